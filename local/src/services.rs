//! The local services: a stream server (kinesalite or kinesis-mock) and the store ([`crate::store_server`]), each a
//! child process bound to 127.0.0.1 and logging under `.local/logs/`. A service never outlives the process that
//! started it:
//! - [`ManagedProcess::stop`] (the ordered stop) sends SIGTERM to the service's process group, then SIGKILL after
//!   the service's grace period (none for the in-memory stream servers);
//! - dropping the handle (an error, a panic, a cancelled future) kills the group at once;
//! - when the process dies without either (`kill -9`, a crash), the kernel kills the service (PR_SET_PDEATHSIG).
//!
//! Each service runs in a process group of its own, so a terminal's Ctrl-C (sent to the foreground group)
//! reaches only us and we stop the services in order, after the mapping has saved its checkpoints. A service
//! that forks (kinesis-mock's `node` does not today) is stopped whole: signals go to the group.

use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{LazyLock, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::error::{LocalError, Result};
use crate::paths;
use stream2neptune_process::procfs;

/// How long a service may take to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

// Both stream servers keep their streams in memory only (no persistence is configured), so there is nothing to save,
// and kinesis-mock's graceful shutdown waits for the clients' open connections (more than 5 s was measured): they get
// SIGKILL at once.
const KINESIS_STOP_GRACE: Duration = Duration::ZERO;

/// A service to start, and where to answer.
struct SpawnRequest {
    command: Command,
    reply: oneshot::Sender<io::Result<Child>>,
}

// Every service is forked by this one thread. PR_SET_PDEATHSIG fires when the *thread* that forked the child
// exits, not the process: a tokio worker or blocking-pool thread (idle ones end after 10 s) may end while the
// process goes on and would take its services with it. This thread waits on a channel whose sender is a static,
// so it never returns and ends only with the process: exactly when the services must die.
static SPAWNER: LazyLock<io::Result<mpsc::Sender<SpawnRequest>>> = LazyLock::new(|| {
    let (requests, received) = mpsc::channel::<SpawnRequest>();
    std::thread::Builder::new()
        .name("service-spawner".into())
        .spawn(move || {
            for SpawnRequest { mut command, reply } in received {
                let _ = reply.send(command.spawn());
            }
        })?;
    Ok(requests)
});

/// Forks `command` on the spawner thread.
async fn spawn_on_spawner(command: Command) -> io::Result<Child> {
    let requests = SPAWNER
        .as_ref()
        .map_err(|e| io::Error::new(e.kind(), format!("service-spawner thread: {e}")))?;
    let (reply, answer) = oneshot::channel();
    requests
        .send(SpawnRequest { command, reply })
        .map_err(|_| io::Error::other("the service-spawner thread is gone"))?;
    answer
        .await
        .map_err(|_| io::Error::other("the service-spawner thread did not answer"))?
}

/// A service's process (the leader of its own process group), stopped when dropped.
#[derive(Debug)]
pub struct ManagedProcess {
    service: &'static str,
    child: Option<Child>,
    grace: Duration,
}

impl ManagedProcess {
    /// Spawns `command` in its own process group with PR_SET_PDEATHSIG, output appended to `log`; [`Self::stop`]
    /// waits `grace` after SIGTERM.
    pub(crate) async fn spawn(
        service: &'static str,
        mut command: Command,
        log: &Path,
        grace: Duration,
    ) -> Result<Self> {
        let open = || {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(log)
                .map_err(|source| LocalError::Io {
                    action: "open",
                    path: log.to_owned(),
                    source,
                })
        };
        let (out, err) = (open()?, open()?);
        let shown = format!("{command:?}");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .process_group(0);
        stream2neptune_process::orphans::die_with_parent(&mut command, libc::SIGKILL);
        let child = spawn_on_spawner(command)
            .await
            .map_err(|source| LocalError::Spawn {
                service,
                command: shown,
                source,
            })?;
        Ok(ManagedProcess {
            service,
            child: Some(child),
            grace,
        })
    }

    /// The process id (also its process group id), until it is stopped.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process has exited (it is not collected, so its process group can still be signalled).
    pub fn has_exited(&self) -> bool {
        self.pid()
            .is_none_or(|pid| procfs::stat(pid).is_none_or(|s| !s.is_alive()))
    }

    fn signal_group(&self, signal: libc::c_int) {
        if let Some(pid) = self.pid() {
            // SAFETY: kill(2) with a negative pid signals that process group; the group is ours (the leader is our
            // child and not yet collected, so its id cannot have been reused).
            unsafe {
                libc::kill(-(pid as libc::pid_t), signal);
            }
        }
    }

    /// Kills the whole group (SIGKILL) and collects the leader.
    fn kill_now(&mut self) {
        self.signal_group(libc::SIGKILL);
        if let Some(mut child) = self.child.take() {
            let _ = child.wait();
        }
    }

    /// Stops the service in order: SIGTERM to its group, SIGKILL after its grace period.
    pub async fn stop(mut self) {
        if self.child.is_none() {
            return;
        }
        tracing::debug!(service = self.service, "stopping");
        let asked = Instant::now();
        if !self.grace.is_zero() {
            self.signal_group(libc::SIGTERM);
        }
        while !self.has_exited() && asked.elapsed() < self.grace {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        tracing::debug!(
            service = self.service,
            exited = self.has_exited(),
            ms = asked.elapsed().as_millis() as u64,
            "stopped"
        );
        // SIGKILL for whatever is left in the group, then the leader is collected.
        self.kill_now();
    }

    /// Kills the service at once (SIGKILL), as a crash would.
    pub async fn kill(mut self) {
        self.kill_now();
    }
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        if self.child.is_some() {
            tracing::debug!(service = self.service, "killing");
            self.kill_now();
        }
    }
}

/// Fails when `port` is taken: waiting for it to answer would find the other server.
pub(crate) fn ensure_free(service: &'static str, port: u16) -> Result<()> {
    std::net::TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|_| LocalError::PortTaken { service, port })
}

/// A port for `service` when none was asked for: a free one from the system, checked free again, tried up to five
/// times, since between the system's answer and the check another process (a test running beside, a client's
/// outgoing connection) may take it.
pub(crate) fn pick_free_port(service: &'static str) -> Result<u16> {
    let mut tries = 0;
    loop {
        let port = paths::free_port()?;
        match ensure_free(service, port) {
            Ok(()) => return Ok(port),
            Err(err) if tries == 4 => return Err(err),
            Err(_) => tries += 1,
        }
    }
}

/// Waits until the process (its process group) accepts connections on 127.0.0.1:`port`, or exits.
async fn wait_listening(process: &ManagedProcess, port: u16, log: &Path) -> Result<()> {
    wait_listening_for(process, port, log, READY_TIMEOUT).await
}

/// [`wait_listening`] with a time limit of the service's own.
pub(crate) async fn wait_listening_for(
    process: &ManagedProcess,
    port: u16,
    log: &Path,
    timeout: Duration,
) -> Result<()> {
    let started = Instant::now();
    loop {
        // A port that answers may belong to another process that took it after `pick_free_port`: the service then
        // fails to bind and exits, and its log says why.
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
            && process
                .pid()
                .is_some_and(|pid| procfs::group_listens_on(pid, port))
        {
            return Ok(());
        }
        if process.has_exited() || started.elapsed() > timeout {
            return Err(LocalError::NotReady {
                service: process.service,
                port,
                secs: started.elapsed().as_secs(),
                log: log.to_owned(),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The Kinesis implementations local mode can run as its stream (`--stream-server`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum StreamServerKind {
    /// kinesalite (npm): Kinesis on LevelDB, in memory here; the default, the faster of the two
    /// (BENCHMARKS.md, "Local pipeline").
    #[default]
    Kinesalite,
    /// kinesis-mock (npm `kinesis-local`): Kinesis on one Node.js thread.
    KinesisMock,
}

impl StreamServerKind {
    /// The name `--stream-server` takes, also the log file's name.
    pub fn name(self) -> &'static str {
        match self {
            StreamServerKind::Kinesalite => "kinesalite",
            StreamServerKind::KinesisMock => "kinesis-mock",
        }
    }
}

impl std::fmt::Display for StreamServerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The local Kinesis stream server (kinesalite or kinesis-mock) serving plain HTTP on 127.0.0.1.
#[derive(Debug)]
pub struct StreamServer {
    process: ManagedProcess,
    /// Which implementation runs.
    pub kind: StreamServerKind,
    /// The plain-HTTP port.
    pub port: u16,
    log: std::path::PathBuf,
}

impl StreamServer {
    /// Starts `kind` on `port` (0 picks a free one) with streams created without delay and room
    /// for `shard_limit` shards; `region` is kinesis-mock's default region (kinesalite takes the
    /// region of each request).
    pub async fn start(
        kind: StreamServerKind,
        port: u16,
        region: &str,
        shard_limit: u32,
        log: &Path,
    ) -> Result<Self> {
        let port = if port == 0 {
            pick_free_port(kind.name())?
        } else {
            ensure_free(kind.name(), port)?;
            port
        };
        let shard_limit = shard_limit.max(50);
        let mut command = Command::new(paths::node()?);
        match kind {
            StreamServerKind::Kinesalite => {
                let dir = paths::kinesalite_dir()?;
                // Its command line listens on every interface: listen on 127.0.0.1 only.
                let script = format!(
                    "require({dir})({{createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: {shard_limit}}}).listen({port}, '127.0.0.1')",
                    dir = serde_json::to_string(&dir.to_string_lossy()).expect("a string"),
                );
                command.arg("-e").arg(script).current_dir(&dir);
            }
            StreamServerKind::KinesisMock => {
                let dir = paths::kinesis_mock_dir()?;
                command
                    .arg(dir.join("main.js"))
                    .current_dir(&dir)
                    .env("KINESIS_MOCK_PLAIN_PORT", port.to_string())
                    .env("KINESIS_MOCK_TLS_PORT", paths::free_port()?.to_string())
                    .env("AWS_REGION", region)
                    .env("SHARD_LIMIT", shard_limit.to_string())
                    .env("CREATE_STREAM_DURATION", "0ms")
                    .env("DELETE_STREAM_DURATION", "0ms")
                    .env("UPDATE_SHARD_COUNT_DURATION", "0ms")
                    .env("LOG_LEVEL", "WARN");
            }
        }
        let process = ManagedProcess::spawn(kind.name(), command, log, KINESIS_STOP_GRACE).await?;
        wait_listening(&process, port, log).await?;
        Ok(StreamServer {
            process,
            kind,
            port,
            log: log.to_owned(),
        })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Whether its process has exited.
    pub fn has_exited(&self) -> bool {
        self.process.has_exited()
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.process.stop().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_port_is_named_with_its_service_and_what_to_do() {
        let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = holder.local_addr().unwrap().port();
        let err = ensure_free("oxigraph", port).unwrap_err();
        assert!(
            matches!(err, LocalError::PortTaken { service: "oxigraph", port: p } if p == port),
            "{err:?}"
        );
        assert!(
            err.to_string().starts_with(&format!(
                "oxigraph cannot listen on port {port} of 127.0.0.1"
            )),
            "{err}"
        );
        drop(holder);
        ensure_free("oxigraph", port).unwrap();
        assert_ne!(pick_free_port("oxigraph").unwrap(), 0);
    }

    #[tokio::test]
    async fn a_port_another_process_answers_on_is_not_the_service_listening() {
        let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = holder.local_addr().unwrap().port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut sleep = Command::new("sleep");
        sleep.arg("30");
        let process = ManagedProcess::spawn("oxigraph", sleep, log.path(), Duration::from_secs(1))
            .await
            .unwrap();
        let waited =
            wait_listening_for(&process, port, log.path(), Duration::from_millis(300)).await;
        assert!(
            matches!(waited, Err(LocalError::NotReady { service: "oxigraph", port: p, .. }) if p == port),
            "{waited:?}"
        );
        process.stop().await;
    }
}
