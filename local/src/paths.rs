//! Where things are: local mode's stream servers (kinesis-mock, kinesalite, Node.js) and the `.local/` state layout.
//! The workspace root and the tools the engines need are found by [`stream2neptune_engines::tools`].

use std::path::PathBuf;

use stream2neptune_engines::EngineError;
use stream2neptune_engines::tools::workspace_root;
use stream2neptune_process::tools::on_path;

use crate::error::{LocalError, Result};

/// The kinesis-mock package folder (`KINESIS_MOCK_DIR`, else `<workspace>/node_modules/kinesis-local`).
pub fn kinesis_mock_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("KINESIS_MOCK_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("node_modules/kinesis-local"));
    if dir.join("main.js").is_file() {
        Ok(dir)
    } else {
        Err(EngineError::ToolMissing {
            tool: "kinesis-mock (npm kinesis-local)".into(),
            looked_in: dir.join("main.js"),
        }
        .into())
    }
}

/// The kinesalite package folder (`KINESALITE_DIR`, else `<workspace>/node_modules/kinesalite`).
pub fn kinesalite_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("KINESALITE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("node_modules/kinesalite"));
    if dir.join("index.js").is_file() {
        Ok(dir)
    } else {
        Err(EngineError::ToolMissing {
            tool: "kinesalite (npm kinesalite)".into(),
            looked_in: dir.join("index.js"),
        }
        .into())
    }
}

/// `node` on PATH.
pub fn node() -> Result<PathBuf> {
    on_path("node").ok_or_else(|| {
        EngineError::ToolMissing {
            tool: "node".into(),
            looked_in: PathBuf::from("/usr/bin/node"),
        }
        .into()
    })
}

/// A free TCP port on 127.0.0.1 (bound, read and released).
pub fn free_port() -> Result<u16> {
    stream2neptune_process::tools::free_port().map_err(|source| LocalError::Io {
        action: "bind a port on",
        path: PathBuf::from("127.0.0.1:0"),
        source,
    })
}

/// The files of one local run under a state directory (`.local/` by default).
#[derive(Debug, Clone)]
pub struct StateDir {
    /// The directory itself.
    pub root: PathBuf,
}

impl StateDir {
    /// `<workspace>/.local`.
    pub fn default_root() -> PathBuf {
        workspace_root().join(".local")
    }

    /// A state directory at `root`, created if missing.
    pub fn create(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        for dir in [root.clone(), root.join("logs"), root.join("checkpoints")] {
            std::fs::create_dir_all(&dir).map_err(|source| LocalError::Io {
                action: "create",
                path: dir,
                source,
            })?;
        }
        Ok(StateDir { root })
    }

    /// The Oxigraph database folder.
    pub fn oxigraph(&self) -> PathBuf {
        self.root.join("oxigraph")
    }
    /// Gremlin Server's config and saved graph.
    pub fn gremlin_server(&self) -> PathBuf {
        self.root.join("gremlin-server")
    }
    /// The Neo4j database folder.
    pub fn neo4j(&self) -> PathBuf {
        self.root.join("neo4j")
    }
    /// A service's log file.
    pub fn log(&self, service: &str) -> PathBuf {
        self.root.join("logs").join(format!("{service}.log"))
    }
    /// The checkpoint folder of the event source mapping.
    pub fn checkpoints(&self) -> PathBuf {
        self.root.join("checkpoints")
    }
    /// The writer's rejected-records file (REJECTED_RECORDS_FILE).
    pub fn rejected(&self) -> PathBuf {
        self.root.join("rejected.jsonl")
    }
    /// The on-failure destination's JSON Lines file (OnFailureDestination sqs).
    pub fn on_failure(&self) -> PathBuf {
        self.root.join("on-failure.jsonl")
    }
    /// The on-failure destination's folder of objects, keyed as in the bucket (OnFailureDestination s3).
    pub fn on_failure_objects(&self) -> PathBuf {
        self.root.join("on-failure")
    }
    /// Both places of the on-failure destination.
    pub fn on_failure_paths(&self) -> crate::esm::destination::OnFailurePaths {
        crate::esm::destination::OnFailurePaths {
            records: self.on_failure(),
            objects: self.on_failure_objects(),
        }
    }
    /// The run report.
    pub fn report(&self) -> PathBuf {
        self.root.join("report.html")
    }
    /// Endpoints and pid of a running `local up`.
    pub fn services_file(&self) -> PathBuf {
        self.root.join("services.json")
    }
    /// The demo's data set.
    pub fn dataset(&self) -> PathBuf {
        self.root.join("dataset")
    }

    /// Takes the state directory for this process until the returned guard is dropped: one local pipeline per
    /// directory, so a second `demo` or `local up` cannot wipe the state (and the store folder) a first one still
    /// has open. The lock is the kernel's (flock on `<root>/lock`), released when the process ends however it
    /// ends, so a lock left by a run that died is never in the way; the file names the holder for the message.
    pub fn lock(&self, command: &str) -> Result<StateLock> {
        use std::io::{Read as _, Seek as _, Write as _};
        let path = self.root.join("lock");
        let io = |action, source| LocalError::Io {
            action,
            path: path.clone(),
            source,
        };
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| io("open", e))?;
        match file.try_lock() {
            Ok(()) => {
                file.set_len(0).map_err(|e| io("write", e))?;
                file.rewind().map_err(|e| io("write", e))?;
                writeln!(file, "pid {} ({command})", std::process::id())
                    .map_err(|e| io("write", e))?;
                Ok(StateLock { _file: file })
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                let mut owner = String::new();
                file.read_to_string(&mut owner).map_err(|e| io("read", e))?;
                let owner = owner.trim();
                Err(LocalError::StateInUse {
                    root: self.root.clone(),
                    owner: if owner.is_empty() {
                        "a process that is starting".to_owned()
                    } else {
                        owner.to_owned()
                    },
                })
            }
            Err(std::fs::TryLockError::Error(e)) => Err(io("lock", e)),
        }
    }

    /// Removes the state of an earlier run (store, checkpoints, rejects, on-failure, report, data set).
    pub fn reset(&self) -> Result<()> {
        for dir in [
            self.oxigraph(),
            self.gremlin_server(),
            self.neo4j(),
            self.checkpoints(),
            self.dataset(),
            self.on_failure_objects(),
        ] {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|source| LocalError::Io {
                    action: "remove",
                    path: dir.clone(),
                    source,
                })?;
            }
        }
        for file in [self.rejected(), self.on_failure(), self.report()] {
            if file.exists() {
                std::fs::remove_file(&file).map_err(|source| LocalError::Io {
                    action: "remove",
                    path: file.clone(),
                    source,
                })?;
            }
        }
        StateDir::create(&self.root).map(|_| ())
    }
}

/// A state directory held by this process ([`StateDir::lock`]); dropping it lets the next run in.
#[derive(Debug)]
pub struct StateLock {
    _file: std::fs::File,
}

/// Lines in a JSON Lines file (0 when missing).
pub fn count_lines(path: &std::path::Path) -> anyhow::Result<u64> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text.lines().filter(|l| !l.trim().is_empty()).count() as u64),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => anyhow::Context::with_context(Err(e), || format!("reading {}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_run_holds_a_state_directory_and_a_lock_left_by_a_dead_run_is_no_obstacle() {
        let dir = tempfile::tempdir().unwrap();
        let state = StateDir::create(dir.path()).unwrap();
        // A lock file a run that died left behind: its lock went with its process.
        std::fs::write(state.root.join("lock"), "pid 999999 (demo)\n").unwrap();
        let held = state.lock("demo").unwrap();
        let refused = state.lock("local up").unwrap_err().to_string();
        assert_eq!(
            refused,
            format!(
                "the state directory {} is in use by another local run (pid {} (demo)); wait for it to end or stop it (Ctrl-C in its terminal, or `stream2neptune local down` for `local up`), or pass --state-dir DIR to run beside it",
                dir.path().display(),
                std::process::id()
            )
        );
        drop(held);
        let _again = state.lock("local up").unwrap();
    }
}
