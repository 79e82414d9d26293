//! The run's own metrics: totals for the progress line and per-second series for the report,
//! fed by the writer's EMF documents (captured in memory) and by the event source mapping.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use serde::Serialize;

/// One second of the run.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Second {
    /// Seconds since the start of the run.
    pub t: u64,
    /// Edges written (EMF EdgesWritten).
    pub written: u64,
    /// Graph operations written (EMF OperationsWritten).
    pub operations: u64,
    /// Records rejected (EMF RecordsRejected).
    pub rejected: u64,
    /// Retries: the writer's retried requests (EMF RetryCount) plus batches the mapping retried.
    pub retries: u64,
    /// Invocations that reported a write duration.
    pub invocations: u64,
    /// Sum of write durations (EMF WriteDuration, ms).
    pub latency_sum_ms: u64,
    /// Largest write duration (ms).
    pub latency_max_ms: u64,
    /// Largest iterator age seen per shard (ms).
    pub iterator_age_ms: BTreeMap<String, u64>,
}

/// Counters and series of one run; shared by the mapping, the driver wrapper and the progress bar.
#[derive(Debug)]
pub struct RunMetrics {
    started: Instant,
    /// Records accepted by the stream.
    pub sent: AtomicU64,
    /// Edges written.
    pub written: AtomicU64,
    /// Graph operations written.
    pub operations_written: AtomicU64,
    /// Records rejected.
    pub rejected: AtomicU64,
    /// Retries (writer requests and mapping batches).
    pub retries: AtomicU64,
    /// Records sent to the on-failure destination.
    pub on_failure: AtomicU64,
    /// The (from, to) ids of the edges in those records, for the demo's accounting; kept only by
    /// [`RunMetrics::keeping_on_failure_edges`], so a long `local up` does not hold every failed edge in memory.
    pub on_failure_edges: Mutex<Vec<(String, String)>>,
    keep_on_failure_edges: bool,
    /// Invocations of the writer.
    pub invocations: AtomicU64,
    seconds: Mutex<Vec<Second>>,
    iterator_age: Mutex<BTreeMap<String, u64>>,
}

impl Default for RunMetrics {
    fn default() -> Self {
        RunMetrics {
            started: Instant::now(),
            sent: AtomicU64::new(0),
            written: AtomicU64::new(0),
            operations_written: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            on_failure: AtomicU64::new(0),
            on_failure_edges: Mutex::new(Vec::new()),
            keep_on_failure_edges: false,
            invocations: AtomicU64::new(0),
            seconds: Mutex::new(Vec::new()),
            iterator_age: Mutex::new(BTreeMap::new()),
        }
    }
}

fn field(doc: &serde_json::Value, name: &str) -> u64 {
    doc.get(name)
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0)
}

impl RunMetrics {
    /// Metrics that also keep the edges of the records sent to the on-failure destination (the demo's
    /// accounting of a run of known size needs them).
    pub fn keeping_on_failure_edges() -> Self {
        RunMetrics {
            keep_on_failure_edges: true,
            ..RunMetrics::default()
        }
    }

    fn with_second(&self, f: impl FnOnce(&mut Second)) {
        let t = self.started.elapsed().as_secs();
        let mut seconds = self.seconds.lock().unwrap_or_else(|p| p.into_inner());
        while seconds.last().is_none_or(|s| s.t < t) {
            let next = seconds.last().map_or(0, |s| s.t + 1);
            seconds.push(Second {
                t: next,
                ..Second::default()
            });
        }
        if let Some(second) = seconds.last_mut() {
            f(second);
        }
    }

    /// Adds the writer's EMF documents (one per invocation).
    pub fn add_emf(&self, docs: &[serde_json::Value]) {
        for doc in docs {
            let (written, operations, rejected, retries, duration) = (
                field(doc, "EdgesWritten"),
                field(doc, "OperationsWritten"),
                field(doc, "RecordsRejected"),
                field(doc, "RetryCount"),
                field(doc, "WriteDuration"),
            );
            self.written.fetch_add(written, Ordering::Relaxed);
            self.operations_written
                .fetch_add(operations, Ordering::Relaxed);
            self.rejected.fetch_add(rejected, Ordering::Relaxed);
            self.retries.fetch_add(retries, Ordering::Relaxed);
            self.with_second(|s| {
                s.written += written;
                s.operations += operations;
                s.rejected += rejected;
                s.retries += retries;
                s.invocations += 1;
                s.latency_sum_ms += duration;
                s.latency_max_ms = s.latency_max_ms.max(duration);
            });
        }
    }

    /// Counts one invocation.
    pub fn add_invocation(&self) {
        self.invocations.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a batch the mapping retries.
    pub fn add_batch_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        self.with_second(|s| s.retries += 1);
    }

    /// Counts records sent to the on-failure destination, with the (from, to) ids of the edges they hold.
    pub fn add_on_failure(&self, records: u64, edges: impl IntoIterator<Item = (String, String)>) {
        self.on_failure.fetch_add(records, Ordering::Relaxed);
        if self.keep_on_failure_edges {
            self.on_failure_edges
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend(edges);
        }
    }

    /// Records the iterator age of `shard` (ms): how old the newest record handed to the function is.
    pub fn set_iterator_age(&self, shard: &str, age_ms: u64) {
        self.iterator_age
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(shard.to_owned(), age_ms);
        self.with_second(|s| {
            let slot = s.iterator_age_ms.entry(shard.to_owned()).or_insert(0);
            *slot = (*slot).max(age_ms);
        });
    }

    /// The latest iterator age of each shard.
    pub fn iterator_ages(&self) -> BTreeMap<String, u64> {
        self.iterator_age
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The per-second series so far.
    pub fn seconds(&self) -> Vec<Second> {
        self.seconds
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Seconds since the start.
    pub fn elapsed_secs(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }

    /// A counter's value.
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn on_failure_edges_are_kept_only_when_asked() {
        let edge = || [("a".to_string(), "b".to_string())];
        let plain = RunMetrics::default();
        plain.add_on_failure(1, edge());
        assert_eq!(RunMetrics::get(&plain.on_failure), 1);
        assert!(plain.on_failure_edges.lock().unwrap().is_empty());
        let demo = RunMetrics::keeping_on_failure_edges();
        demo.add_on_failure(1, edge());
        assert_eq!(demo.on_failure_edges.lock().unwrap().len(), 1);
    }

    #[test]
    fn emf_documents_feed_totals_and_the_current_second() {
        let m = RunMetrics::default();
        m.add_emf(&[
            serde_json::json!({"EdgesWritten": 90, "RecordsRejected": 2, "RetryCount": 1, "WriteDuration": 40}),
            serde_json::json!({"EdgesWritten": 10, "WriteDuration": 60}),
            serde_json::json!({"OperationsWritten": 7}),
        ]);
        m.add_batch_retry();
        m.set_iterator_age("shardId-0", 1500);
        m.set_iterator_age("shardId-0", 0);
        assert_eq!(RunMetrics::get(&m.written), 100);
        assert_eq!(RunMetrics::get(&m.operations_written), 7);
        assert_eq!(RunMetrics::get(&m.rejected), 2);
        assert_eq!(RunMetrics::get(&m.retries), 2);
        let s = &m.seconds()[0];
        assert_eq!(
            (
                s.written,
                s.operations,
                s.invocations,
                s.latency_sum_ms,
                s.latency_max_ms
            ),
            (100, 7, 3, 100, 60)
        );
        assert_eq!(
            s.iterator_age_ms["shardId-0"], 1500,
            "the second keeps its largest age"
        );
        assert_eq!(
            m.iterator_ages()["shardId-0"],
            0,
            "the gauge keeps the latest"
        );
    }
}
