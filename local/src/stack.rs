//! The local stack: a stream server (kinesalite or kinesis-mock) with the plan's stream, the store of the plan's
//! query language, and the writer
//! and event source mapping wired to them.

use std::sync::Arc;
use std::time::Duration;

use stream2neptune_writer::{Deps, GraphStore, HttpStore};

use crate::error::Result;
use crate::esm::{EventSourceMapping, MappingFiles, RunningMapping};
use crate::kinesis;
use crate::metrics::RunMetrics;
use crate::paths::StateDir;
use crate::services::{StreamServer, StreamServerKind};
use crate::settings::LocalPlan;
use crate::store::StoreClient;
use crate::store_server::StoreServer;

/// Ports to bind on 127.0.0.1 (0 picks free ones), and the stream server to run.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ports {
    /// The stream server (`--stream-server`).
    pub stream_server: StreamServerKind,
    /// The stream server's plain-HTTP port.
    pub kinesis: u16,
    /// The store's port.
    pub store: u16,
}

/// A service of the stack whose process exited while the run needed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitedService {
    /// Its name (kinesalite, kinesis-mock, gremlin-server, oxigraph, neo4j).
    pub service: &'static str,
    /// Its log file.
    pub log: std::path::PathBuf,
}

/// Running services for one plan; [`LocalStack::stop`] stops them in order, dropping it kills them.
#[derive(Debug)]
pub struct LocalStack {
    /// The plan.
    pub plan: LocalPlan,
    /// The state directory.
    pub state: StateDir,
    /// The stream server.
    pub kinesis: StreamServer,
    /// The store.
    pub store: StoreServer,
    /// A Kinesis client for the stream server.
    pub client: aws_sdk_kinesis::Client,
}

impl LocalStack {
    /// Starts both services and creates the plan's stream.
    pub async fn up(plan: LocalPlan, state: StateDir, ports: Ports) -> Result<Self> {
        let kinesis_log = state.log(ports.stream_server.name());
        let (kinesis, store) = tokio::try_join!(
            StreamServer::start(
                ports.stream_server,
                ports.kinesis,
                &plan.region,
                plan.shard_count,
                &kinesis_log,
            ),
            StoreServer::start(plan.query_language, &state, ports.store),
        )?;
        let client = kinesis::client(&kinesis.endpoint(), &plan.region);
        kinesis::create_stream(
            &client,
            &plan.stream_name,
            plan.shard_count,
            plan.retention_hours,
        )
        .await?;
        Ok(LocalStack {
            plan,
            state,
            kinesis,
            store,
            client,
        })
    }

    /// The writer's dependencies, configured for the local store.
    pub fn writer_deps(&self) -> Result<Deps<HttpStore>> {
        let config = self
            .plan
            .writer_config(&self.store.url(), &self.state.rejected())?;
        Ok(Deps::new(config))
    }

    /// Starts an event source mapping from the stream to `deps`.
    pub async fn start_mapping<S: GraphStore + Send + Sync + 'static>(
        &self,
        deps: Deps<S>,
        metrics: Arc<RunMetrics>,
    ) -> Result<RunningMapping<S>> {
        let checkpoints = self.state.checkpoints();
        let on_failure = self.state.on_failure_paths();
        EventSourceMapping::new(
            self.client.clone(),
            &self.plan.stream_name,
            self.plan.esm.clone(),
            deps,
            MappingFiles {
                checkpoints: &checkpoints,
                on_failure: &on_failure,
            },
            metrics,
        )
        .await?
        .start()
        .await
    }

    /// Stops both services in order (SIGTERM, then SIGKILL after a grace period) and waits for them.
    pub async fn stop(self) {
        let LocalStack { kinesis, store, .. } = self;
        tokio::join!(kinesis.stop(), store.stop());
    }

    /// The process ids of the stream server and the store, while they run.
    pub fn pids(&self) -> (Option<u32>, Option<u32>) {
        (self.kinesis.pid(), self.store.pid())
    }

    /// Resolves when the stream server or the store has exited, polled every 250 ms, so that a run names the
    /// service it lost within a second instead of retrying against a port nobody serves.
    pub async fn first_exit(&self) -> ExitedService {
        loop {
            if self.kinesis.has_exited() {
                return ExitedService {
                    service: self.kinesis.kind.name(),
                    log: self.kinesis.log().to_owned(),
                };
            }
            if self.store.has_exited() {
                return ExitedService {
                    service: self.store.name(),
                    log: self.store.log().to_owned(),
                };
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// A client of the store in its own language.
    pub fn store_client(&self) -> StoreClient {
        StoreClient::new(self.store.language(), &self.store.url())
    }
}

/// Longest wait for the mapping to stop after a signal (the batch being written is redelivered on the next
/// start, as after a crash).
pub const MAPPING_STOP_TIMEOUT: Duration = Duration::from_secs(10);
