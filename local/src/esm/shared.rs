//! What the pollers and lanes of every shard share: the writer's deps, the stream, the settings, the
//! checkpoints, the on-failure destination, the run's metrics and each shard's status.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_sdk_kinesis::Client;
use stream2neptune_writer::Deps;

use super::checkpoint::CheckpointStore;
use super::destination::OnFailureDestination;
use super::event::EventSource;
use crate::metrics::RunMetrics;
use crate::settings::EsmSettings;

/// What a shard's poller last saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ShardStatus {
    /// Records fetched and not yet behind the checkpoint.
    pub in_flight: usize,
    /// The checkpoint.
    pub checkpoint: Option<String>,
    /// When GetRecords last returned nothing with MillisBehindLatest 0 while nothing was in flight.
    pub idle_since: Option<Instant>,
}

/// Shared by the pollers and lanes of every shard.
pub(super) struct Shared<S> {
    pub(super) deps: Deps<S>,
    pub(super) emf: Arc<Mutex<Vec<serde_json::Value>>>,
    pub(super) client: Client,
    pub(super) stream_name: String,
    pub(super) source: EventSource,
    pub(super) function_arn: String,
    pub(super) settings: EsmSettings,
    pub(super) checkpoints: CheckpointStore,
    pub(super) destination: OnFailureDestination,
    pub(super) metrics: Arc<RunMetrics>,
    pub(super) status: Mutex<BTreeMap<String, ShardStatus>>,
}

impl<S> Shared<S> {
    /// Updates what `shard_id`'s poller last saw.
    pub(super) fn set_status(&self, shard_id: &str, f: impl FnOnce(&mut ShardStatus)) {
        let mut status = self.status.lock().unwrap_or_else(|p| p.into_inner());
        f(status.entry(shard_id.to_owned()).or_default());
    }

    /// Moves the writer's EMF documents into the run metrics.
    pub(super) fn collect_emf(&self) {
        let docs = std::mem::take(&mut *self.emf.lock().unwrap_or_else(|p| p.into_inner()));
        self.metrics.add_emf(&docs);
    }
}
