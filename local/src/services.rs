//! The local services: kinesis-mock and an Oxigraph server, each a child process bound to
//! 127.0.0.1, logging under `.local/logs/`, and killed when its handle is dropped (also on a
//! panic or Ctrl-C, since the handle is dropped while the runtime unwinds).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::error::{LocalError, Result};
use crate::paths;

/// How long a service may take to listen.
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// A child process killed when dropped.
#[derive(Debug)]
pub struct ManagedProcess {
    service: &'static str,
    child: tokio::process::Child,
}

impl ManagedProcess {
    /// Spawns `command` in its own process group (so a terminal's Ctrl-C reaches only us, and
    /// we stop it in order), output appended to `log`.
    fn spawn(
        service: &'static str,
        mut command: tokio::process::Command,
        log: &Path,
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
        let shown = format!("{:?}", command.as_std());
        command
            .stdin(Stdio::null())
            .stdout(Stdio::from(out))
            .stderr(Stdio::from(err))
            .process_group(0)
            .kill_on_drop(true);
        let child = command.spawn().map_err(|source| LocalError::Spawn {
            service,
            command: shown,
            source,
        })?;
        Ok(ManagedProcess { service, child })
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// Kills the process and waits for it to exit.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

impl Drop for ManagedProcess {
    fn drop(&mut self) {
        if self.child.id().is_some() {
            tracing::debug!(service = self.service, "stopping");
            let _ = self.child.start_kill();
        }
    }
}

/// Fails when `port` is taken: waiting for it to answer would find the other server.
fn ensure_free(service: &'static str, port: u16) -> Result<()> {
    std::net::TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|_| LocalError::Invalid {
            field: service,
            value: format!("port {port}"),
            allowed: "a free port on 127.0.0.1 (is another `local up` running? see `stream2neptune local status`)".into(),
        })
}

/// Waits until something accepts connections on 127.0.0.1:`port`, or the process exits.
async fn wait_listening(process: &mut ManagedProcess, port: u16, log: &Path) -> Result<()> {
    let started = Instant::now();
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        let exited = matches!(process.child.try_wait(), Ok(Some(_)));
        if exited || started.elapsed() > READY_TIMEOUT {
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

/// kinesis-mock (npm `kinesis-local`) serving plain HTTP on 127.0.0.1.
#[derive(Debug)]
pub struct KinesisMock {
    process: ManagedProcess,
    /// The plain-HTTP port.
    pub port: u16,
}

impl KinesisMock {
    /// Starts kinesis-mock on `port` (0 picks a free one) with streams created without delay and
    /// room for `shard_limit` shards; `region` is its default region.
    pub async fn start(port: u16, region: &str, shard_limit: u32, log: &Path) -> Result<Self> {
        let dir = paths::kinesis_mock_dir()?;
        let port = if port == 0 { paths::free_port()? } else { port };
        ensure_free("kinesis-mock", port)?;
        let mut command = tokio::process::Command::new(paths::node()?);
        command
            .arg(dir.join("main.js"))
            .current_dir(&dir)
            .env("KINESIS_MOCK_PLAIN_PORT", port.to_string())
            .env("KINESIS_MOCK_TLS_PORT", paths::free_port()?.to_string())
            .env("AWS_REGION", region)
            .env("SHARD_LIMIT", shard_limit.max(50).to_string())
            .env("CREATE_STREAM_DURATION", "0ms")
            .env("DELETE_STREAM_DURATION", "0ms")
            .env("UPDATE_SHARD_COUNT_DURATION", "0ms")
            .env("LOG_LEVEL", "WARN");
        let mut process = ManagedProcess::spawn("kinesis-mock", command, log)?;
        wait_listening(&mut process, port, log).await?;
        Ok(KinesisMock { process, port })
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process id.
    pub fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    /// Stops the server.
    pub async fn stop(self) {
        self.process.stop().await;
    }
}

/// An Oxigraph server with its database in a folder.
#[derive(Debug)]
pub struct Oxigraph {
    process: Option<ManagedProcess>,
    /// The HTTP port.
    pub port: u16,
    location: PathBuf,
    log: PathBuf,
}

impl Oxigraph {
    /// Starts `oxigraph serve --location <location> --bind 127.0.0.1:<port>` (0 picks a free port).
    pub async fn start(location: &Path, port: u16, log: &Path) -> Result<Self> {
        let port = if port == 0 { paths::free_port()? } else { port };
        let mut server = Oxigraph {
            process: None,
            port,
            location: location.to_owned(),
            log: log.to_owned(),
        };
        server.restart().await?;
        Ok(server)
    }

    /// (Re)starts the server on the same port and database (after [`Oxigraph::kill`]).
    pub async fn restart(&mut self) -> Result<()> {
        ensure_free("oxigraph", self.port)?;
        let mut command = tokio::process::Command::new(paths::venv_tool("oxigraph")?);
        command
            .arg("serve")
            .arg("--location")
            .arg(&self.location)
            .arg("--bind")
            .arg(format!("127.0.0.1:{}", self.port));
        let mut process = ManagedProcess::spawn("oxigraph", command, &self.log)?;
        wait_listening(&mut process, self.port, &self.log).await?;
        self.process = Some(process);
        Ok(())
    }

    /// Kills the server (SIGKILL), as a crash would.
    pub async fn kill(&mut self) {
        if let Some(process) = self.process.take() {
            process.stop().await;
        }
    }

    /// `http://127.0.0.1:<port>` (NEPTUNE_ENDPOINT of the writer in local mode).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(ManagedProcess::pid)
    }
}
