//! Per-invocation metrics, written as one CloudWatch Embedded Metric Format document on stdout.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde_json::json;

/// Counters of one invocation (lanes update them concurrently), and the write size it ended with.
#[derive(Debug, Default)]
pub struct InvocationMetrics {
    /// Kinesis records in the batch (a KPL aggregate counts once).
    pub kinesis_records: AtomicU64,
    /// User records in the batch: plain records plus the records inside aggregates.
    pub user_records: AtomicU64,
    /// Edges written (acknowledged by the store): `follows` records.
    pub edges_written: AtomicU64,
    /// Graph operations written (acknowledged by the store): the operations of graph-operation records.
    pub operations_written: AtomicU64,
    /// Wall time of the write phase, in ms.
    pub write_duration_ms: AtomicU64,
    /// Retried requests.
    pub retry_count: AtomicU64,
    /// Records rejected (malformed, or refused by the store on their own).
    pub records_rejected: AtomicU64,
    /// Write batches that could not be written (retries exhausted or stopped).
    pub batches_failed: AtomicU64,
    /// Records the store refused although the fault is the environment's (every record of a
    /// batch refused on its own): not rejected, left in the stream.
    pub environment_refusals: AtomicU64,
    /// Writes split in two after a size failure (memory, time or query limit).
    pub writes_shrunk: AtomicU64,
    /// Records per write at the end of the write phase: BATCH_WRITE_SIZE, or the size the writer
    /// keeps since the store refused a write for its size (see [`crate::batching::WriteSize`]).
    pub write_size: AtomicU64,
}

/// Picks one counter of [`InvocationMetrics`].
type Counter = fn(&InvocationMetrics) -> &AtomicU64;

/// Metric names, units and accessors, in the order they are written.
const METRICS: &[(&str, &str, Counter)] = &[
    ("KinesisRecords", "Count", |m| &m.kinesis_records),
    ("UserRecords", "Count", |m| &m.user_records),
    ("EdgesWritten", "Count", |m| &m.edges_written),
    ("OperationsWritten", "Count", |m| &m.operations_written),
    ("WriteDuration", "Milliseconds", |m| &m.write_duration_ms),
    ("RetryCount", "Count", |m| &m.retry_count),
    ("RecordsRejected", "Count", |m| &m.records_rejected),
    ("BatchesFailed", "Count", |m| &m.batches_failed),
    ("EnvironmentRefusals", "Count", |m| &m.environment_refusals),
    ("WritesShrunk", "Count", |m| &m.writes_shrunk),
    ("WriteSize", "Count", |m| &m.write_size),
];

/// The EMF metric names the writer emits, in the order they are written (the stack's dashboard shows each one).
pub fn metric_names() -> impl Iterator<Item = &'static str> {
    METRICS.iter().map(|(name, _, _)| *name)
}

impl InvocationMetrics {
    /// Adds `n` to a counter.
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The EMF document: namespace, dimension `ClusterId`, every metric.
    pub fn to_emf(
        &self,
        namespace: &str,
        cluster_id: &str,
        timestamp: SystemTime,
    ) -> serde_json::Value {
        let millis = timestamp
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let definitions: Vec<_> = METRICS
            .iter()
            .map(|(name, unit, _)| json!({"Name": name, "Unit": unit}))
            .collect();
        let mut doc = json!({
            "_aws": {
                "Timestamp": millis,
                "CloudWatchMetrics": [{
                    "Namespace": namespace,
                    "Dimensions": [["ClusterId"]],
                    "Metrics": definitions,
                }],
            },
            "ClusterId": cluster_id,
        });
        for (name, _, counter) in METRICS {
            doc[*name] = json!(counter(self).load(Ordering::Relaxed));
        }
        doc
    }
}

/// Where EMF documents go: stdout on Lambda (CloudWatch Logs extracts them), memory in tests.
#[derive(Debug, Clone, Default)]
pub enum MetricsOutput {
    /// One JSON line per invocation on stdout.
    #[default]
    Stdout,
    /// Kept in memory (tests, local mode summaries).
    Memory(Arc<Mutex<Vec<serde_json::Value>>>),
}

impl MetricsOutput {
    /// Writes one document.
    pub fn emit(&self, doc: serde_json::Value) {
        match self {
            MetricsOutput::Stdout => {
                use std::io::Write;
                let mut out = std::io::stdout().lock();
                // A lost metric line must not fail the invocation.
                let _ = writeln!(out, "{doc}");
            }
            MetricsOutput::Memory(docs) => {
                if let Ok(mut docs) = docs.lock() {
                    docs.push(doc);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn emf_document_shape() {
        let m = InvocationMetrics::default();
        InvocationMetrics::add(&m.edges_written, 7);
        InvocationMetrics::add(&m.operations_written, 3);
        InvocationMetrics::add(&m.retry_count, 2);
        let doc = m.to_emf(
            "ns",
            "cluster-1",
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_123),
        );
        assert_eq!(
            doc,
            json!({
                "_aws": {"Timestamp": 1_700_000_000_123u64, "CloudWatchMetrics": [{
                    "Namespace": "ns", "Dimensions": [["ClusterId"]],
                    "Metrics": [
                        {"Name": "KinesisRecords", "Unit": "Count"},
                        {"Name": "UserRecords", "Unit": "Count"},
                        {"Name": "EdgesWritten", "Unit": "Count"},
                        {"Name": "OperationsWritten", "Unit": "Count"},
                        {"Name": "WriteDuration", "Unit": "Milliseconds"},
                        {"Name": "RetryCount", "Unit": "Count"},
                        {"Name": "RecordsRejected", "Unit": "Count"},
                        {"Name": "BatchesFailed", "Unit": "Count"},
                        {"Name": "EnvironmentRefusals", "Unit": "Count"},
                        {"Name": "WritesShrunk", "Unit": "Count"},
                        {"Name": "WriteSize", "Unit": "Count"}]}]},
                "ClusterId": "cluster-1",
                "KinesisRecords": 0, "UserRecords": 0,
                "EdgesWritten": 7, "OperationsWritten": 3, "WriteDuration": 0, "RetryCount": 2, "RecordsRejected": 0, "BatchesFailed": 0,
                "EnvironmentRefusals": 0, "WritesShrunk": 0, "WriteSize": 0
            })
        );
    }
}
