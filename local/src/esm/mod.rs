//! A local event source mapping doing what Lambda's does for Kinesis, from the rendered settings:
//! one poller per shard (GetShardIterator / GetRecords), ParallelizationFactor ordered lanes per
//! shard (records of one partition key always in one lane, in stream order), batches of at most
//! BatchSize, a checkpoint per shard, partial batch responses, BisectBatchOnFunctionError,
//! MaximumRetryAttempts, MaximumRecordAgeInSeconds and an on-failure destination. Each batch is
//! handed to the writer's [`stream2neptune_writer::handle`], in process, as the `KinesisEvent` Lambda would send.

pub mod checkpoint;
pub mod destination;
pub mod event;
mod lane;
mod shard;
mod shared;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use stream2neptune_writer::{Deps, GraphStore, MetricsOutput};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::error::{LocalError, Result, error_chain};
use crate::metrics::RunMetrics;
use crate::settings::EsmSettings;
use checkpoint::CheckpointStore;
use destination::{OnFailureDestination, OnFailurePaths, mapping_uuid};
use event::EventSource;
pub use shared::ShardStatus;
use shared::Shared;

/// An event source mapping, configured and not yet started.
pub struct EventSourceMapping<S> {
    shared: Arc<Shared<S>>,
}

/// Where the mapping keeps its state.
#[derive(Debug, Clone)]
pub struct MappingFiles<'a> {
    /// Checkpoint folder (one sub-folder per stream).
    pub checkpoints: &'a Path,
    /// The on-failure destination's file and folder.
    pub on_failure: &'a OnFailurePaths,
}

impl<S: GraphStore + Send + Sync + 'static> EventSourceMapping<S> {
    /// A mapping from `stream_name` to the writer `deps`. The writer's metrics are captured in
    /// memory and fed to `metrics`.
    pub async fn new(
        client: Client,
        stream_name: &str,
        settings: EsmSettings,
        mut deps: Deps<S>,
        files: MappingFiles<'_>,
        metrics: Arc<RunMetrics>,
    ) -> Result<Self> {
        let summary = client
            .describe_stream_summary()
            .stream_name(stream_name)
            .send()
            .await
            .map_err(|e| LocalError::Kinesis {
                operation: "DescribeStreamSummary",
                message: error_chain(&e),
            })?;
        let description = summary.stream_description_summary();
        let stream_arn = description
            .map(|d| d.stream_arn().to_owned())
            .unwrap_or_default();
        let source = EventSource::local(&stream_arn);
        let account = source
            .invoke_identity_arn
            .split(':')
            .nth(4)
            .unwrap_or_default()
            .to_owned();
        let region = source.region.clone();
        let emf = Arc::new(Mutex::new(Vec::new()));
        deps.metrics = MetricsOutput::Memory(Arc::clone(&emf));
        Ok(EventSourceMapping {
            shared: Arc::new(Shared {
                deps,
                emf,
                client,
                stream_name: stream_name.to_owned(),
                source,
                function_arn: format!(
                    "arn:aws:lambda:{region}:{account}:function:stream2neptune-local-writer"
                ),
                destination: OnFailureDestination::new(
                    settings.on_failure,
                    files.on_failure.clone(),
                    mapping_uuid(stream_name),
                ),
                settings,
                checkpoints: CheckpointStore::new(files.checkpoints, stream_name)?,
                metrics,
                status: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// Lists the shards and starts one poller per shard.
    pub async fn start(self) -> Result<RunningMapping<S>> {
        let shards = self
            .shared
            .client
            .list_shards()
            .stream_name(&self.shared.stream_name)
            .send()
            .await
            .map_err(|e| LocalError::Kinesis {
                operation: "ListShards",
                message: error_chain(&e),
            })?;
        let (stop, stopped) = watch::channel(false);
        let mut tasks = JoinSet::new();
        let mut shard_ids = Vec::new();
        for shard in shards.shards() {
            let shard_id = shard.shard_id().to_owned();
            self.shared.set_status(&shard_id, |_| {});
            shard_ids.push(shard_id.clone());
            tasks.spawn(shard::run(
                Arc::clone(&self.shared),
                shard_id,
                stopped.clone(),
            ));
        }
        Ok(RunningMapping {
            shared: self.shared,
            stop,
            tasks,
            shard_ids,
        })
    }
}

/// A started mapping.
pub struct RunningMapping<S> {
    shared: Arc<Shared<S>>,
    stop: watch::Sender<bool>,
    tasks: JoinSet<Result<()>>,
    shard_ids: Vec<String>,
}

impl<S: GraphStore + Send + Sync + 'static> RunningMapping<S> {
    /// The shards being read.
    pub fn shard_ids(&self) -> &[String] {
        &self.shard_ids
    }

    /// What each shard's poller last saw.
    pub fn status(&self) -> BTreeMap<String, ShardStatus> {
        self.shared
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The writer's dependencies (tests reach the store through them).
    pub fn deps(&self) -> &Deps<S> {
        &self.shared.deps
    }

    /// Waits until every shard is drained: a poll started after this call found nothing new
    /// and nothing is in flight. False when `timeout` passes first or a poller has failed.
    pub async fn wait_drained(&mut self, timeout: Duration) -> Result<bool> {
        let asked = Instant::now();
        let until = asked + timeout;
        loop {
            if let Some(result) = self.tasks.try_join_next() {
                result.map_err(|e| LocalError::Kinesis {
                    operation: "poll",
                    message: format!("a shard poller stopped: {e}"),
                })??;
            }
            let drained = self
                .status()
                .values()
                .all(|s| s.in_flight == 0 && s.idle_since.is_some_and(|t| t > asked));
            if drained {
                return Ok(true);
            }
            if Instant::now() > until {
                return Ok(false);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops polling (a batch being written is abandoned, as in a crash: it is redelivered from
    /// the checkpoint on the next start) and returns the first poller error, if any.
    pub async fn stop(mut self) -> Result<()> {
        let _ = self.stop.send(true);
        let mut first_error = None;
        while let Some(joined) = self.tasks.join_next().await {
            if let Ok(Err(e)) = joined {
                first_error.get_or_insert(e);
            }
        }
        self.shared.collect_emf();
        first_error.map_or(Ok(()), Err)
    }
}
