//! The local store: the engine of the region's QueryLanguage, a child process on 127.0.0.1 (see
//! [`crate::services`] for how it is stopped and why it cannot outlive us).
//! - `sparql`: an Oxigraph server (PyPI `oxigraph`), its database in `<state>/oxigraph`;
//! - `gremlin`: TinkerPop's Gremlin Server ([`stream2neptune_engines::gremlin_server`]; the writer's requests
//!   evaluated by the `gremlin-lang` grammar, as on Neptune), its graph saved to `<state>/gremlin-server/graph.json`
//!   on a clean stop;
//! - `opencypher`: Neo4j behind Neptune's openCypher HTTP form ([`stream2neptune_engines::neo4j`]), its database in
//!   `<state>/neo4j`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use stream2neptune_plan::QueryLanguage;

use crate::error::{LocalError, Result};
use crate::paths::{self, StateDir};
use crate::services::{ManagedProcess, ensure_free, pick_free_port, wait_listening_for};
use stream2neptune_engines::{gremlin_server, neo4j, tools};

/// How long Oxigraph may take to listen.
const OXIGRAPH_START_TIMEOUT: Duration = Duration::from_secs(60);

/// How long Oxigraph may take to exit after SIGTERM (it closes its database) before it gets SIGKILL.
const OXIGRAPH_STOP_GRACE: Duration = Duration::from_secs(5);

/// The engine and where it keeps its data.
#[derive(Debug, Clone)]
enum Engine {
    Oxigraph { location: PathBuf },
    GremlinServer { config: PathBuf },
    Neo4j { data: PathBuf, bolt: Option<u16> },
}

/// The engine that serves `language` locally, by the name of its process and log file (`gremlin-server`,
/// `oxigraph`, `neo4j`).
pub fn engine_name(language: QueryLanguage) -> &'static str {
    match language {
        QueryLanguage::Gremlin => "gremlin-server",
        QueryLanguage::Sparql => "oxigraph",
        QueryLanguage::OpenCypher => "neo4j",
    }
}

impl Engine {
    fn command(&self, port: u16) -> Result<Command> {
        match self {
            Engine::Oxigraph { location } => {
                let mut command = Command::new(tools::venv_tool("oxigraph")?);
                command
                    .arg("serve")
                    .arg("--location")
                    .arg(location)
                    .arg("--bind")
                    .arg(format!("127.0.0.1:{port}"));
                Ok(command)
            }
            Engine::GremlinServer { config } => Ok(gremlin_server::command(config)?),
            Engine::Neo4j { data, bolt } => Ok(neo4j::command(port, data, *bolt)?),
        }
    }

    /// (How long it may take to listen, how long it may take to exit after SIGTERM.)
    fn timing(&self) -> (Duration, Duration) {
        match self {
            Engine::Oxigraph { .. } => (OXIGRAPH_START_TIMEOUT, OXIGRAPH_STOP_GRACE),
            Engine::GremlinServer { .. } => {
                (gremlin_server::START_TIMEOUT, gremlin_server::STOP_GRACE)
            }
            Engine::Neo4j { .. } => (neo4j::START_TIMEOUT, neo4j::STOP_GRACE),
        }
    }
}

/// The running store of one query language.
#[derive(Debug)]
pub struct StoreServer {
    language: QueryLanguage,
    engine: Engine,
    process: Option<ManagedProcess>,
    /// The HTTP port.
    pub port: u16,
    log: PathBuf,
}

impl StoreServer {
    /// Starts the engine of `language` on `port` (0 picks a free one) with its data under `state`.
    pub async fn start(language: QueryLanguage, state: &StateDir, port: u16) -> Result<Self> {
        Self::start_with(language, state, port, false).await
    }

    /// [`StoreServer::start`]; with `bolt`, Neo4j also opens its Bolt connector on a second free port
    /// ([`StoreServer::bolt_url`]) for clients that are not the writer (`make write-bench`'s contenders). The other
    /// engines ignore it: Oxigraph has one HTTP port and Gremlin Server serves HTTP and WebSocket on one.
    pub async fn start_with(
        language: QueryLanguage,
        state: &StateDir,
        port: u16,
        bolt: bool,
    ) -> Result<Self> {
        if port != 0 {
            return Self::start_on(language, state, port, bolt).await;
        }
        // Between the pick and the engine's start another process (a client's outgoing connection, a test running
        // beside) may take the picked port: pick again rather than fail a run for it.
        let mut tries = 0;
        loop {
            let port = pick_free_port(engine_name(language))?;
            match Self::start_on(language, state, port, bolt).await {
                Err(LocalError::PortTaken { .. }) if tries < 4 => tries += 1,
                started => return started,
            }
        }
    }

    async fn start_on(
        language: QueryLanguage,
        state: &StateDir,
        port: u16,
        bolt: bool,
    ) -> Result<Self> {
        let engine = match language {
            QueryLanguage::Sparql => Engine::Oxigraph {
                location: state.oxigraph(),
            },
            QueryLanguage::Gremlin => Engine::GremlinServer {
                config: gremlin_server::write_config(
                    &state.gremlin_server(),
                    port,
                    gremlin_server::Channelizer::GrammarByDefault,
                )?,
            },
            QueryLanguage::OpenCypher => Engine::Neo4j {
                data: state.neo4j(),
                bolt: if bolt {
                    Some(paths::free_port()?)
                } else {
                    None
                },
            },
        };
        let mut server = StoreServer {
            language,
            log: state.log(engine_name(language)),
            engine,
            process: None,
            port,
        };
        server.restart().await?;
        Ok(server)
    }

    /// (Re)starts the engine on the same port and data (after [`StoreServer::kill`] or [`StoreServer::interrupt`]).
    pub async fn restart(&mut self) -> Result<()> {
        let name = engine_name(self.language);
        ensure_free(name, self.port)?;
        let (start_timeout, stop_grace) = self.engine.timing();
        let process =
            ManagedProcess::spawn(name, self.engine.command(self.port)?, &self.log, stop_grace)
                .await?;
        wait_listening_for(&process, self.port, &self.log, start_timeout).await?;
        self.process = Some(process);
        Ok(())
    }

    /// The query language it speaks.
    pub fn language(&self) -> QueryLanguage {
        self.language
    }

    /// The engine's name (`oxigraph`, `gremlin-server`, `neo4j`).
    pub fn name(&self) -> &'static str {
        engine_name(self.language)
    }

    /// Kills the engine (SIGKILL), as a crash would. Gremlin Server's TinkerGraph loses what it held since it
    /// started (it is saved only on a clean stop); Oxigraph and Neo4j keep every committed write.
    pub async fn kill(&mut self) {
        if let Some(process) = self.process.take() {
            process.kill().await;
        }
    }

    /// Takes the store away mid-run without losing a committed write, as Neptune's failover does: SIGKILL for the
    /// engines that keep their writes on disk, a stop (SIGTERM, the graph saved) for Gremlin Server.
    pub async fn interrupt(&mut self) {
        match self.engine {
            Engine::GremlinServer { .. } => self.stop_in_place().await,
            Engine::Oxigraph { .. } | Engine::Neo4j { .. } => self.kill().await,
        }
    }

    async fn stop_in_place(&mut self) {
        if let Some(process) = self.process.take() {
            process.stop().await;
        }
    }

    /// Stops the engine in order (SIGTERM, then SIGKILL after its grace period).
    pub async fn stop(mut self) {
        self.stop_in_place().await;
    }

    /// `http://127.0.0.1:<port>` (NEPTUNE_ENDPOINT of the writer in local mode).
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `bolt://127.0.0.1:<port>` of Neo4j's Bolt connector, when started with one ([`StoreServer::start_with`]).
    pub fn bolt_url(&self) -> Option<String> {
        match self.engine {
            Engine::Neo4j {
                bolt: Some(port), ..
            } => Some(format!("bolt://127.0.0.1:{port}")),
            _ => None,
        }
    }

    /// The process id, while running.
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(ManagedProcess::pid)
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Whether its process has exited (or was stopped).
    pub fn has_exited(&self) -> bool {
        self.process.as_ref().is_none_or(ManagedProcess::has_exited)
    }
}
