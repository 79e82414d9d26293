//! Splitting an invocation's records into ordered lanes and write batches (of the size the store
//! takes, [`WriteSize`]), and computing the partial-batch response.

use std::sync::Mutex;

use aws_lambda_events::streams::KinesisEventResponse;

/// Lane of a partition key: FNV-1a, stable across runs, so one key always lands in one lane.
pub fn lane_of(partition_key: &str, lanes: usize) -> usize {
    let hash = partition_key
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    (hash % lanes.max(1) as u64) as usize
}

/// Distributes items (given with their partition key, in stream order) over `lanes` lanes. Each
/// lane keeps stream order, so the records of one key are written in order.
pub fn into_lanes<'k, T>(
    items: impl IntoIterator<Item = (&'k str, T)>,
    lanes: usize,
) -> Vec<Vec<T>> {
    let mut out: Vec<Vec<T>> = (0..lanes.max(1)).map(|_| Vec::new()).collect();
    for (key, item) in items {
        out[lane_of(key, lanes)].push(item);
    }
    out.retain(|lane| !lane.is_empty());
    out
}

/// Writes in a row accepted at a size before the next write is tried bigger.
pub const GROW_AFTER: u32 = 8;
/// Most writes in a row [`WriteSize`] waits before trying a size the store refused the last times.
pub const MAX_PATIENCE: u32 = 32;

/// How many records a write holds: BATCH_WRITE_SIZE until the store refuses a write for its size,
/// then a size the store took, grown back carefully. One per execution environment, shared by its
/// lanes and invocations (a size is not a record's property: a stale one only costs throughput
/// until it grows back).
///
/// The rule: a write of `n` records refused for its size brings the size down to `n / 2` (at
/// least 1), or, when the refused write was a try above a size the store took, back to that size.
/// After [`GROW_AFTER`] writes in a row accepted at the size, the next write is tried halfway to the
/// smallest size refused since, or at double the size when none was refused above it (at most
/// BATCH_WRITE_SIZE). Each refused try doubles the writes to wait before the next one (at most
/// [`MAX_PATIENCE`]); a try the store takes resets that wait to [`GROW_AFTER`].
#[derive(Debug)]
pub struct WriteSize {
    max: usize,
    state: Mutex<SizeState>,
}

#[derive(Debug, Clone, Copy)]
struct SizeState {
    /// Records per write now.
    size: usize,
    /// The largest size accepted since the last refusal at or below it (0: none).
    proven: usize,
    /// The smallest size refused since the size last doubled.
    ceiling: Option<usize>,
    /// Writes accepted at `size` in a row.
    streak: u32,
    /// Writes accepted in a row needed before the size grows.
    patience: u32,
}

impl WriteSize {
    /// Starts at `max` (BATCH_WRITE_SIZE), never above it.
    pub fn new(max: usize) -> Self {
        let max = max.max(1);
        WriteSize {
            max,
            state: Mutex::new(SizeState {
                size: max,
                proven: 0,
                ceiling: None,
                streak: 0,
                patience: GROW_AFTER,
            }),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, SizeState> {
        // The state is valid after any panic of another holder: each update is one assignment.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records per write now.
    pub fn get(&self) -> usize {
        self.state().size
    }

    /// The store refused a write of `records` for its size; returns the size from now on. A write
    /// bigger than the size now was sent before the size came down and tells nothing new.
    pub fn refused(&self, records: usize) -> usize {
        let mut s = self.state();
        if records > s.size {
            return s.size;
        }
        s.ceiling = Some(records);
        s.streak = 0;
        if s.proven > 0 && s.proven < records {
            s.size = s.proven;
            s.patience = (s.patience * 2).min(MAX_PATIENCE);
        } else {
            s.size = (records / 2).max(1);
            s.proven = 0;
        }
        s.size
    }

    /// The store accepted a write of `records`; returns the size from now on. A write smaller
    /// than the size (a lane's last records) tells nothing about the size.
    pub fn accepted(&self, records: usize) -> usize {
        let mut s = self.state();
        if records < s.size || s.size >= self.max {
            return s.size;
        }
        if s.proven < s.size {
            s.proven = s.size;
            s.patience = GROW_AFTER;
        }
        s.streak += 1;
        if s.streak >= s.patience {
            s.streak = 0;
            s.size = match s.ceiling {
                Some(ceiling) if ceiling > s.size + 1 => s.size + (ceiling - s.size) / 2,
                _ => {
                    s.ceiling = None;
                    (s.size * 2).min(self.max)
                }
            };
        }
        s.size
    }
}

/// The response Lambda expects: the sequence number of the first record not written (stream
/// order), or an empty list when every record was written or rejected.
pub fn response(sequence_numbers: &[&str], first_unwritten: Option<usize>) -> KinesisEventResponse {
    let mut response = KinesisEventResponse::default();
    if let Some(seq) = first_unwritten.and_then(|i| sequence_numbers.get(i)) {
        response.add_failure(seq.to_string());
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_lane_keeps_stream_order_and_batches_are_chunks() {
        let items = [("a", 0), ("b", 1), ("a", 2), ("c", 3), ("b", 4)];
        let lanes = into_lanes(items, 1);
        assert_eq!(lanes, vec![vec![0, 1, 2, 3, 4]]);
        let batches: Vec<_> = lanes[0].chunks(2).collect();
        assert_eq!(batches, vec![&[0, 1][..], &[2, 3], &[4]]);
    }

    #[test]
    fn each_key_stays_in_one_lane_in_order() {
        let keys: Vec<String> = (0..200).map(|i| format!("key-{}", i % 17)).collect();
        let lanes = into_lanes(keys.iter().enumerate().map(|(i, k)| (k.as_str(), i)), 4);
        assert!(
            lanes.len() > 1,
            "17 keys should spread over several of 4 lanes"
        );
        let total: usize = lanes.iter().map(Vec::len).sum();
        assert_eq!(total, 200);
        for key in 0..17 {
            let name = format!("key-{key}");
            let holders: Vec<_> = lanes
                .iter()
                .filter(|l| l.iter().any(|&i| keys[i] == name))
                .collect();
            assert_eq!(holders.len(), 1, "{name} in one lane");
            let positions: Vec<_> = holders[0]
                .iter()
                .copied()
                .filter(|&i| keys[i] == name)
                .collect();
            assert!(
                positions.windows(2).all(|w| w[0] < w[1]),
                "{name} in stream order"
            );
        }
        assert_eq!(lane_of("key-3", 4), lane_of("key-3", 4));
    }

    /// Writes `total` records through `size` against a store taking at most `limit` per write;
    /// returns the size of every write sent.
    fn drive(size: &WriteSize, limit: usize, mut total: usize) -> Vec<usize> {
        let mut sent = Vec::new();
        while total > 0 {
            let n = size.get().min(total);
            sent.push(n);
            if n > limit {
                size.refused(n);
            } else {
                size.accepted(n);
                total -= n;
            }
        }
        sent
    }

    #[test]
    fn a_refused_size_halves_and_the_size_that_worked_is_kept() {
        let size = WriteSize::new(100);
        let sent = drive(&size, 10, 1_000);
        // Halved from 100 down to a size the store takes, never again at 100.
        assert_eq!(sent[..6], [100, 50, 25, 12, 6, 6]);
        assert_eq!(sent.iter().filter(|&&n| n == 100).count(), 1);
        // Then tried halfway to the smallest refused size: 6 -> 9 -> 10 (11 refused).
        let sizes: Vec<usize> = sent.iter().copied().filter(|&n| n <= 10).collect();
        assert!(sizes.windows(2).all(|w| w[0] <= w[1]), "{sent:?}");
        assert_eq!(*sizes.last().unwrap(), 10);
        let refused = sent.iter().filter(|&&n| n > 10).count();
        assert!(refused <= 8, "{refused} refused in {sent:?}");
        assert!(sent.len() <= 115, "{} writes: {sent:?}", sent.len());
    }

    #[test]
    fn a_refused_try_doubles_the_wait_and_a_taken_one_resets_it() {
        let size = WriteSize::new(100);
        assert_eq!(size.refused(100), 50);
        for _ in 1..GROW_AFTER {
            assert_eq!(size.accepted(50), 50);
        }
        // The 8th accepted write grows halfway to 100; refused, back to 50 for twice as long.
        assert_eq!(size.accepted(50), 75);
        assert_eq!(size.refused(75), 50);
        for _ in 1..2 * GROW_AFTER {
            assert_eq!(size.accepted(50), 50);
        }
        assert_eq!(size.accepted(50), 62);
        // Taken: the wait is GROW_AFTER again.
        for _ in 1..GROW_AFTER {
            assert_eq!(size.accepted(62), 62);
        }
        assert_eq!(size.accepted(62), 68);
        // Waits stop doubling at MAX_PATIENCE.
        let mut waited = Vec::new();
        for _ in 0..4 {
            let at = size.get();
            let tried = (1..).find(|_| size.accepted(at) != at).unwrap();
            waited.push(tried);
            size.refused(size.get());
        }
        assert_eq!(
            waited,
            [GROW_AFTER, 2 * GROW_AFTER, MAX_PATIENCE, MAX_PATIENCE]
        );
    }

    #[test]
    fn the_size_grows_back_to_the_maximum_when_the_store_takes_more_again() {
        let size = WriteSize::new(100);
        drive(&size, 10, 1_000);
        let sent = drive(&size, 100, 2_000);
        // Up without a refusal (the last write holds what was left).
        let full = &sent[..sent.len() - 1];
        assert!(full.windows(2).all(|w| w[0] <= w[1]), "{sent:?}");
        assert!(full.iter().filter(|&&n| n == 100).count() >= 5, "{sent:?}");
        assert_eq!(size.get(), 100);
    }

    #[test]
    fn stale_and_short_writes_tell_nothing() {
        let size = WriteSize::new(100);
        assert_eq!(size.refused(100), 50);
        // Another lane's write of 100, sent before the size came down.
        assert_eq!(size.refused(100), 50);
        // A lane's last 3 records, accepted, many times: no growth.
        for _ in 0..100 {
            assert_eq!(size.accepted(3), 50);
        }
        // A short write refused is news: the store takes fewer than 3.
        assert_eq!(size.refused(3), 1);
        assert_eq!(size.refused(1), 1);
        // Never above the maximum, never below 1.
        let one = WriteSize::new(1);
        assert_eq!((one.accepted(1), one.get()), (1, 1));
        assert_eq!(WriteSize::new(0).get(), 1);
    }

    #[test]
    fn partial_response_names_the_first_unwritten_record() {
        let seqs = ["100", "200", "300"];
        let json = |r: &KinesisEventResponse| serde_json::to_string(r).unwrap();
        assert_eq!(json(&response(&seqs, None)), r#"{"batchItemFailures":[]}"#);
        assert_eq!(
            json(&response(&seqs, Some(1))),
            r#"{"batchItemFailures":[{"itemIdentifier":"200"}]}"#
        );
        assert_eq!(
            json(&response(&seqs, Some(0))),
            r#"{"batchItemFailures":[{"itemIdentifier":"100"}]}"#
        );
        assert_eq!(
            json(&response(&seqs, Some(3))),
            r#"{"batchItemFailures":[]}"#
        );
    }
}
