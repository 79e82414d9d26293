//! The driver's queue of unsent edges: keeps file order, holds back later records of a
//! partition key while an earlier one is in flight or waiting to be retried, and computes
//! retry back-off.
//!
//! A partition key has at most one record in flight at a time. Kinesis answers each entry of a
//! PutRecords call on its own, so two records of one key in one call (or in two concurrent
//! calls) could be stored out of order when the first fails and the second succeeds.

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use crate::records::StreamRecord;
use crate::sink::{EntryOutcome, PutEntry};

/// An edge waiting to be accepted by the stream.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// Position in send order; lower is older.
    pub seq: u64,
    /// The record.
    pub record: StreamRecord,
    /// Failed attempts so far.
    pub failures: u32,
    /// Not to be sent before this instant (back-off).
    pub not_before: Option<Instant>,
    /// When the first attempt failed.
    pub first_failure: Option<Instant>,
    /// The last error for this edge.
    pub last_error: Option<String>,
}

impl Pending {
    /// The record to put for this edge.
    pub fn entry(&self) -> PutEntry {
        self.record.entry()
    }
}

/// Exponential back-off with full jitter (the shared one; see [`delay_after`]).
pub use stream2neptune_aws::Backoff;

/// The wait before the next attempt of an edge that failed `failures` times: below `base` after
/// the first failure, doubling per further failure up to `cap`.
pub fn delay_after(backoff: &Backoff, failures: u32) -> Duration {
    backoff.delay(failures.saturating_sub(1), &mut rand::rng())
}

/// What happened to one edge of a finished call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Settled {
    /// Edges stored by the stream.
    pub accepted: u64,
    /// Edges refused with throttling.
    pub throttled: u64,
    /// Edges that go back to the queue.
    pub requeued: u64,
}

/// Unsent edges in send order, with per-key gating.
#[derive(Debug, Default)]
pub struct OrderedQueue {
    entries: BTreeMap<u64, Pending>,
    in_flight: HashSet<String>,
    next_seq: u64,
}

impl OrderedQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends an edge after every queued one.
    pub fn push(&mut self, record: StreamRecord) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.entries.insert(
            seq,
            Pending {
                seq,
                record,
                failures: 0,
                not_before: None,
                first_failure: None,
                last_error: None,
            },
        );
    }

    /// Queued edges, in flight ones excluded.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Takes the next batch: in send order, the oldest queued edge of each key that has nothing
    /// in flight and whose back-off has passed, up to `max_records` and `max_bytes`. Later edges
    /// of a key that is held back stay queued.
    pub fn take_batch(
        &mut self,
        now: Instant,
        max_records: usize,
        max_bytes: usize,
    ) -> Vec<Pending> {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut picked = Vec::new();
        let mut bytes = 0;
        for (seq, p) in &self.entries {
            if picked.len() == max_records {
                break;
            }
            let key = p.record.partition_key();
            if self.in_flight.contains(key) || !seen.insert(key) {
                continue;
            }
            if p.not_before.is_some_and(|t| t > now) {
                continue;
            }
            let size = p.entry().size();
            if bytes + size > max_bytes {
                break;
            }
            bytes += size;
            picked.push(*seq);
        }
        picked
            .into_iter()
            .filter_map(|seq| self.entries.remove(&seq))
            .inspect(|p| {
                self.in_flight.insert(p.record.partition_key().to_owned());
            })
            .collect()
    }

    /// Settles a finished call: accepted edges leave, failed ones return with back-off.
    /// `outcomes` pairs each sent edge with its answer.
    pub fn settle(
        &mut self,
        outcomes: impl IntoIterator<Item = (Pending, EntryOutcome)>,
        now: Instant,
        backoff: &Backoff,
    ) -> Settled {
        let mut settled = Settled::default();
        for (mut p, outcome) in outcomes {
            self.in_flight.remove(p.record.partition_key());
            match outcome {
                EntryOutcome::Accepted => settled.accepted += 1,
                EntryOutcome::Failed { code, message } => {
                    if code == crate::sink::THROTTLED {
                        settled.throttled += 1;
                    }
                    settled.requeued += 1;
                    p.failures += 1;
                    p.first_failure.get_or_insert(now);
                    p.not_before = Some(now + delay_after(backoff, p.failures));
                    p.last_error = Some(format!("{code}: {message}"));
                    self.entries.insert(p.seq, p);
                }
            }
        }
        settled
    }

    /// Returns edges of a call that was never answered, without counting a failure.
    pub fn release(&mut self, batch: Vec<Pending>) {
        for p in batch {
            self.in_flight.remove(p.record.partition_key());
            self.entries.insert(p.seq, p);
        }
    }

    /// The earliest back-off end still in the future, to know when to wake up.
    pub fn next_ready_at(&self, now: Instant) -> Option<Instant> {
        self.entries
            .values()
            .filter_map(|p| p.not_before)
            .filter(|t| *t > now)
            .min()
    }

    /// The queued edge that has been failing the longest.
    pub fn longest_failing(&self) -> Option<&Pending> {
        self.entries
            .values()
            .filter(|p| p.first_failure.is_some())
            .min_by_key(|p| p.first_failure)
    }

    /// The queued edges and those of `in_flight` calls, merged in send order (for the resume file).
    pub fn unsent_with<'a>(
        &'a self,
        in_flight: impl IntoIterator<Item = &'a Pending>,
    ) -> Vec<StreamRecord> {
        let mut all: Vec<&Pending> = self.entries.values().chain(in_flight).collect();
        all.sort_by_key(|p| p.seq);
        all.into_iter().map(|p| p.record.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edges::Edge;

    fn edge(from: &str, to: &str) -> StreamRecord {
        StreamRecord::Edge(Edge {
            from: from.into(),
            to: to.into(),
            created: "2019-01-01T00:00:00Z".into(),
        })
    }

    fn to(record: &StreamRecord) -> &str {
        match record {
            StreamRecord::Edge(edge) => &edge.to,
            StreamRecord::Keyed(record) => &record.data,
        }
    }

    fn tos(batch: &[Pending]) -> Vec<&str> {
        batch.iter().map(|p| to(&p.record)).collect()
    }

    const NO_WAIT: Backoff = Backoff {
        base: Duration::ZERO,
        cap: Duration::ZERO,
    };

    #[test]
    fn one_record_per_key_per_batch_in_file_order() {
        // GIVEN a queue where key a has three edges
        let mut q = OrderedQueue::new();
        for (f, t) in [("a", "1"), ("b", "2"), ("a", "3"), ("c", "4"), ("a", "5")] {
            q.push(edge(f, t));
        }
        let now = Instant::now();
        // WHEN batches are taken while earlier ones are in flight
        let first = q.take_batch(now, 500, usize::MAX);
        // THEN each batch holds the oldest edge of each free key
        assert_eq!(tos(&first), ["1", "2", "4"]);
        assert!(
            q.take_batch(now, 500, usize::MAX).is_empty(),
            "a is in flight"
        );
        q.settle(
            first.into_iter().map(|p| (p, EntryOutcome::Accepted)),
            now,
            &NO_WAIT,
        );
        let second = q.take_batch(now, 500, usize::MAX);
        assert_eq!(tos(&second), ["3"]);
    }

    #[test]
    fn a_failed_record_holds_back_its_key_and_goes_first_again() {
        let mut q = OrderedQueue::new();
        for (f, t) in [("a", "1"), ("b", "2"), ("a", "3")] {
            q.push(edge(f, t));
        }
        let now = Instant::now();
        let batch = q.take_batch(now, 500, usize::MAX);
        let outcomes = batch.into_iter().map(|p| {
            let o = if p.record.partition_key() == "a" {
                EntryOutcome::Failed {
                    code: crate::sink::THROTTLED.into(),
                    message: "slow down".into(),
                }
            } else {
                EntryOutcome::Accepted
            };
            (p, o)
        });
        let backoff = Backoff {
            base: Duration::from_secs(60),
            cap: Duration::from_secs(60),
        };
        let settled = q.settle(outcomes, now, &backoff);
        assert_eq!(
            settled,
            Settled {
                accepted: 1,
                throttled: 1,
                requeued: 1
            }
        );
        // "a 3" must not overtake "a 1", which waits for its back-off (unless the jitter drew 0).
        let held = q.take_batch(now, 500, usize::MAX);
        assert!(held.is_empty() || tos(&held) == ["1"], "{:?}", tos(&held));
        let later = now + Duration::from_secs(61);
        q.release(held);
        let retry = q.take_batch(later, 500, usize::MAX);
        assert_eq!(tos(&retry), ["1"]);
        assert_eq!(retry[0].failures, 1);
        assert!(
            q.longest_failing().is_none(),
            "the failing edge is in flight"
        );
    }

    #[test]
    fn batches_respect_the_record_and_byte_limits() {
        let mut q = OrderedQueue::new();
        for i in 0..1200 {
            q.push(edge(&format!("k{i}"), "x"));
        }
        let now = Instant::now();
        assert_eq!(q.take_batch(now, 500, usize::MAX).len(), 500);
        let size = q.entries.values().next().unwrap().entry().size();
        assert_eq!(q.take_batch(now, 500, size * 3 + 1).len(), 3);
    }

    #[test]
    fn a_checkpoint_merges_in_flight_edges_in_send_order() {
        let mut q = OrderedQueue::new();
        for (f, t) in [("a", "1"), ("b", "2"), ("a", "3"), ("c", "4")] {
            q.push(edge(f, t));
        }
        let in_flight = q.take_batch(Instant::now(), 2, usize::MAX);
        assert_eq!(tos(&in_flight), ["1", "2"]);
        let unsent: Vec<String> = q
            .unsent_with(&in_flight)
            .iter()
            .map(|r| to(r).to_owned())
            .collect();
        assert_eq!(unsent, ["1", "2", "3", "4"]);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        };
        for _ in 0..200 {
            assert!(delay_after(&b, 1) < Duration::from_millis(100));
            assert!(delay_after(&b, 3) < Duration::from_millis(400));
            assert!(delay_after(&b, 30) < Duration::from_secs(1));
        }
        assert!((0..200).any(|_| delay_after(&b, 3) > Duration::from_millis(200)));
    }
}
