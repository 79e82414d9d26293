//! `drive --aggregate`: packs edges into KPL aggregated records (the `kpl` crate's format) the way
//! the Kinesis Producer Library does, so one shard carries far more than 1,000 edges/s.
//!
//! Kinesis puts a record on the open shard whose hash key range holds the MD5 of its partition
//! key (or its ExplicitHashKey). [`AggregatingSink`] lists the open shards ([`ShardMap`]), maps
//! each edge's key (its from id) to its shard, packs the edges of one shard into aggregates
//! (at most [`MAX_USER_RECORDS_PER_AGGREGATE`] edges and [`MAX_AGGREGATE_BYTES`]), and puts each
//! with the aggregate's first key and, as ExplicitHashKey, that key's hash: the aggregate lands
//! on the shard every record of the key lands on. Order per key holds because the driver sends
//! one edge of a key at a time ([`crate::schedule`]).
//!
//! After a reshard the map is stale: Kinesis still takes the record (on the open child that
//! holds its hash key) but answers with another shard id than the one predicted. The sink then
//! lists the shards again before its next call, as the KPL does. Edges packed with the stale map
//! in that call may share an aggregate with a key of a sibling shard; each key's records still
//! arrive in order within a shard, and Lambda reads a parent shard before its children.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use tokio::sync::Mutex;

use crate::sink::{
    CallError, EntryOutcome, MAX_PARTITION_KEY_CHARS, MAX_RECORD_BYTES, MAX_RECORDS_PER_CALL,
    MAX_REQUEST_BYTES, PutEntry, RecordSink, put_records, request_entry,
};

/// User records per aggregate at most: the plan's
/// [`stream2neptune_plan::aggregation::USER_RECORDS_PER_AGGREGATE`], from which the stack's
/// event source mapping BatchSize is computed (one place for both).
pub const MAX_USER_RECORDS_PER_AGGREGATE: usize =
    stream2neptune_plan::aggregation::USER_RECORDS_PER_AGGREGATE as usize;

/// Largest aggregate, in bytes: below the 1 MiB record limit with room for the partition key
/// (up to 256 characters of up to 4 bytes each).
pub const MAX_AGGREGATE_BYTES: usize = MAX_RECORD_BYTES - 4 * MAX_PARTITION_KEY_CHARS;

/// Edges the driver hands the sink per call: several aggregates per shard of a large stream,
/// few enough that a call's PutRecords requests finish in about a second.
pub const EDGES_PER_CALL: usize = 10 * MAX_USER_RECORDS_PER_AGGREGATE;

/// One open shard and its hash key range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardRange {
    /// The shard id.
    pub shard_id: String,
    /// First hash key of the range.
    pub start: u128,
    /// Last hash key of the range (inclusive).
    pub end: u128,
}

/// The open shards of a stream, by hash key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardMap {
    /// Sorted by `start`; the ranges do not overlap.
    shards: Vec<ShardRange>,
}

impl ShardMap {
    /// A map of `shards` (open shards: their ranges cover the hash key space once).
    pub fn new(mut shards: Vec<ShardRange>) -> Self {
        shards.sort_by_key(|s| s.start);
        Self { shards }
    }

    /// The shard whose range holds `hash_key`.
    pub fn shard_of(&self, hash_key: u128) -> Option<&ShardRange> {
        self.index_of(hash_key).map(|i| &self.shards[i])
    }

    /// The position in [`ShardMap::shards`] of the shard whose range holds `hash_key`.
    fn index_of(&self, hash_key: u128) -> Option<usize> {
        let after = self.shards.partition_point(|s| s.start <= hash_key);
        let index = after.checked_sub(1)?;
        (hash_key <= self.shards[index].end).then_some(index)
    }

    /// The open shards.
    pub fn shards(&self) -> &[ShardRange] {
        &self.shards
    }

    /// Lists the open shards of `stream` (ListShards, every page).
    pub async fn list(client: &aws_sdk_kinesis::Client, stream: &str) -> Result<Self, CallError> {
        let mut shards = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let request = match &token {
                Some(token) => client.list_shards().next_token(token),
                None => client.list_shards().stream_name(stream),
            };
            let page = request.send().await.map_err(|err| {
                let message = format!(
                    "ListShards on {stream}: {}",
                    aws_sdk_kinesis::error::DisplayErrorContext(&err)
                );
                match err.as_service_error() {
                    Some(e)
                        if e.is_resource_not_found_exception()
                            || e.is_access_denied_exception() =>
                    {
                        CallError::Fatal(message)
                    }
                    _ => CallError::Retryable {
                        throttled: err
                            .as_service_error()
                            .is_some_and(|e| e.is_limit_exceeded_exception()),
                        message,
                    },
                }
            })?;
            for shard in page.shards() {
                let open = shard
                    .sequence_number_range()
                    .is_none_or(|r| r.ending_sequence_number().is_none());
                let range = shard.hash_key_range();
                let parse = |key: Option<&str>| key.and_then(|k| k.parse::<u128>().ok());
                if let (true, Some(start), Some(end)) = (
                    open,
                    parse(range.map(|r| r.starting_hash_key())),
                    parse(range.map(|r| r.ending_hash_key())),
                ) {
                    shards.push(ShardRange {
                        shard_id: shard.shard_id().to_owned(),
                        start,
                        end,
                    });
                }
            }
            token = page.next_token().map(str::to_owned);
            if token.is_none() {
                break;
            }
        }
        if shards.is_empty() {
            return Err(CallError::Retryable {
                throttled: false,
                message: format!("ListShards on {stream} found no open shard"),
            });
        }
        Ok(Self::new(shards))
    }
}

/// One aggregated record to put, and the entries it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packed {
    /// The shard it is predicted to land on.
    pub shard_id: String,
    /// The first user record's partition key.
    pub partition_key: String,
    /// The first user record's hash key, in decimal (inside the shard's range).
    pub explicit_hash_key: String,
    /// The aggregated record.
    pub data: Vec<u8>,
    /// Positions of its user records in the call's entries.
    pub members: Vec<usize>,
}

/// Packs `entries` into aggregates: per shard of `map`, in entry order, each at most
/// `max_records` user records and `max_bytes` bytes. Entries of one key go to one shard in
/// order. Aggregates come out ordered by their first entry.
pub fn pack(
    map: &ShardMap,
    entries: &[PutEntry],
    max_records: usize,
    max_bytes: usize,
) -> Vec<Packed> {
    struct Open {
        aggregator: kpl::Aggregator,
        members: Vec<usize>,
        hash_key: u128,
    }
    let finish = |shard: &ShardRange, open: &mut Open| Packed {
        shard_id: shard.shard_id.clone(),
        partition_key: open
            .aggregator
            .first_partition_key()
            .unwrap_or_default()
            .to_owned(),
        explicit_hash_key: open.hash_key.to_string(),
        data: open.aggregator.finish(),
        members: std::mem::take(&mut open.members),
    };
    let mut open: Vec<Option<Open>> = map.shards.iter().map(|_| None).collect();
    let mut packed = Vec::new();
    for (position, entry) in entries.iter().enumerate() {
        let hash_key = kpl::hash_key(&entry.partition_key);
        // A gap in the map (listed mid-reshard) cannot place the key: Kinesis still routes the
        // record by its hash key, answers with another shard and the map is listed again.
        let shard = map.index_of(hash_key).unwrap_or(0);
        if let Some(current) = &mut open[shard]
            && (current.members.len() >= max_records
                || current
                    .aggregator
                    .size_with(&entry.partition_key, &entry.data)
                    > max_bytes)
        {
            packed.push(finish(&map.shards[shard], current));
            open[shard] = None;
        }
        let current = open[shard].get_or_insert_with(|| Open {
            aggregator: kpl::Aggregator::new(),
            members: Vec::new(),
            hash_key,
        });
        current
            .aggregator
            .push(&entry.partition_key, entry.data.clone());
        current.members.push(position);
    }
    for (shard, current) in open.iter_mut().enumerate() {
        if let Some(current) = current {
            packed.push(finish(&map.shards[shard], current));
        }
    }
    packed.sort_by_key(|p| p.members[0]);
    packed
}

/// A [`RecordSink`] that puts the driver's edges as KPL aggregated records.
#[derive(Debug)]
pub struct AggregatingSink {
    client: aws_sdk_kinesis::Client,
    stream: String,
    /// The shard map; `None` until listed, and again after a record landed elsewhere than
    /// predicted.
    map: Mutex<Option<Arc<ShardMap>>>,
    refreshes: AtomicU64,
    aggregates: AtomicU64,
}

impl AggregatingSink {
    /// A sink putting into `stream` with `client`; the shards are listed on the first call.
    pub fn new(client: aws_sdk_kinesis::Client, stream: impl Into<String>) -> Self {
        Self {
            client,
            stream: stream.into(),
            map: Mutex::new(None),
            refreshes: AtomicU64::new(0),
            aggregates: AtomicU64::new(0),
        }
    }

    /// How often the shard map was listed.
    pub fn shard_map_listings(&self) -> u64 {
        self.refreshes.load(Ordering::Relaxed)
    }

    /// Aggregated records the stream accepted.
    pub fn aggregates_accepted(&self) -> u64 {
        self.aggregates.load(Ordering::Relaxed)
    }

    async fn shard_map(&self) -> Result<Arc<ShardMap>, CallError> {
        let mut map = self.map.lock().await;
        if let Some(map) = &*map {
            return Ok(Arc::clone(map));
        }
        let listed = Arc::new(ShardMap::list(&self.client, &self.stream).await?);
        self.refreshes.fetch_add(1, Ordering::Relaxed);
        *map = Some(Arc::clone(&listed));
        Ok(listed)
    }

    /// One PutRecords call; per aggregate: the outcome and the shard it landed on.
    async fn put(
        &self,
        aggregates: &[Packed],
    ) -> Result<Vec<(EntryOutcome, Option<String>)>, CallError> {
        let records = aggregates
            .iter()
            .map(|p| {
                request_entry(
                    p.partition_key.clone(),
                    Some(p.explicit_hash_key.clone()),
                    p.data.clone(),
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        put_records(&self.client, &self.stream, records).await
    }
}

/// Splits aggregates into PutRecords calls within the record and request limits.
fn calls(aggregates: &[Packed]) -> Vec<&[Packed]> {
    let mut out = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, p) in aggregates.iter().enumerate() {
        let size = p.partition_key.len() + p.data.len();
        if i > start && (i - start == MAX_RECORDS_PER_CALL || bytes + size > MAX_REQUEST_BYTES) {
            out.push(&aggregates[start..i]);
            (start, bytes) = (i, 0);
        }
        bytes += size;
    }
    if start < aggregates.len() {
        out.push(&aggregates[start..]);
    }
    out
}

impl RecordSink for AggregatingSink {
    fn edges_per_call(&self) -> usize {
        EDGES_PER_CALL
    }

    async fn put_records(&self, entries: Vec<PutEntry>) -> Result<Vec<EntryOutcome>, CallError> {
        let map = self.shard_map().await?;
        let aggregates = pack(
            &map,
            &entries,
            MAX_USER_RECORDS_PER_AGGREGATE,
            MAX_AGGREGATE_BYTES,
        );
        let mut outcomes: Vec<Option<EntryOutcome>> = vec![None; entries.len()];
        let mut stale = false;
        for (n, call) in calls(&aggregates).into_iter().enumerate() {
            let answers = match self.put(call).await {
                Ok(answers) => answers,
                // Nothing stored yet: the driver handles the call's failure as a whole.
                Err(err) if n == 0 => return Err(err),
                Err(err) => call
                    .iter()
                    .map(|_| {
                        let outcome = EntryOutcome::Failed {
                            code: "CallFailed".into(),
                            message: err.to_string(),
                        };
                        (outcome, None)
                    })
                    .collect(),
            };
            for (packed, (outcome, shard)) in call.iter().zip(answers) {
                if outcome == EntryOutcome::Accepted {
                    self.aggregates.fetch_add(1, Ordering::Relaxed);
                }
                stale |= shard.is_some_and(|s| s != packed.shard_id);
                for &member in &packed.members {
                    outcomes[member] = Some(outcome.clone());
                }
            }
        }
        if stale {
            stream2neptune_process::terminal::note(format!(
                "{}: a record landed on another shard than predicted (resharded?); listing the shards again",
                self.stream
            ));
            let mut current = self.map.lock().await;
            if current.as_ref().is_some_and(|m| Arc::ptr_eq(m, &map)) {
                *current = None;
            }
        }
        Ok(outcomes
            .into_iter()
            .map(|o| o.unwrap_or(EntryOutcome::Accepted))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` shards splitting the hash key space evenly, as CreateStream does.
    fn even(count: u128) -> ShardMap {
        let step = u128::MAX / count;
        ShardMap::new(
            (0..count)
                .map(|i| ShardRange {
                    shard_id: format!("shardId-{i:012}"),
                    start: i * step,
                    end: if i + 1 == count {
                        u128::MAX
                    } else {
                        (i + 1) * step - 1
                    },
                })
                .collect(),
        )
    }

    fn entry(key: &str, body: &str) -> PutEntry {
        PutEntry {
            partition_key: key.into(),
            data: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn hash_keys_map_to_the_shard_whose_range_holds_them() {
        let map = even(4);
        assert_eq!(map.shard_of(0).unwrap().shard_id, "shardId-000000000000");
        assert_eq!(
            map.shard_of(u128::MAX).unwrap().shard_id,
            "shardId-000000000003"
        );
        let step = u128::MAX / 4;
        assert_eq!(map.shard_of(step).unwrap().shard_id, "shardId-000000000001");
        assert_eq!(
            map.shard_of(step - 1).unwrap().shard_id,
            "shardId-000000000000"
        );
        let gap = ShardMap::new(vec![ShardRange {
            shard_id: "a".into(),
            start: 10,
            end: 20,
        }]);
        assert!(gap.shard_of(9).is_none() && gap.shard_of(21).is_none());
    }

    #[test]
    fn packing_keeps_each_key_on_its_shard_in_order_within_the_limits() {
        let map = even(4);
        let entries: Vec<PutEntry> = (0..2_500)
            .map(|i| {
                entry(
                    &format!("p{}", i % 97),
                    &format!("p{},q{i},2020-01-01", i % 97),
                )
            })
            .collect();
        let packed = pack(&map, &entries, 300, 8_000);
        let mut seen = vec![false; entries.len()];
        for p in &packed {
            assert!(
                p.members.len() <= 300 && p.data.len() <= 8_000,
                "{} records, {} bytes",
                p.members.len(),
                p.data.len()
            );
            assert!(p.members.windows(2).all(|w| w[0] < w[1]));
            let hash: u128 = p.explicit_hash_key.parse().unwrap();
            assert_eq!(map.shard_of(hash).unwrap().shard_id, p.shard_id);
            assert_eq!(p.partition_key, entries[p.members[0]].partition_key);
            let users = kpl::deaggregate(&p.data).unwrap();
            assert_eq!(users.len(), p.members.len());
            for (user, &member) in users.iter().zip(&p.members) {
                assert_eq!(user.partition_key, entries[member].partition_key);
                assert_eq!(user.data, entries[member].data);
                let shard = map.shard_of(kpl::hash_key(&user.partition_key)).unwrap();
                assert_eq!(shard.shard_id, p.shard_id, "key {}", user.partition_key);
                assert!(!std::mem::replace(&mut seen[member], true));
            }
        }
        assert!(seen.iter().all(|&s| s), "every entry packed once");
        let shards: std::collections::HashSet<_> = packed.iter().map(|p| &p.shard_id).collect();
        assert_eq!(shards.len(), 4);
        assert!(packed.windows(2).all(|w| w[0].members[0] < w[1].members[0]));
    }

    #[test]
    fn calls_stay_within_the_putrecords_limits() {
        let packed = |size: usize| Packed {
            shard_id: "s".into(),
            partition_key: "k".into(),
            explicit_hash_key: "0".into(),
            data: vec![0; size],
            members: vec![0],
        };
        let many: Vec<Packed> = (0..1_200).map(|_| packed(10)).collect();
        let lens: Vec<usize> = calls(&many).iter().map(|c| c.len()).collect();
        assert_eq!(lens, vec![500, 500, 200]);
        let big: Vec<Packed> = (0..12).map(|_| packed(MAX_AGGREGATE_BYTES)).collect();
        let lens: Vec<usize> = calls(&big).iter().map(|c| c.len()).collect();
        assert_eq!(lens, vec![5, 5, 2]);
        assert!(calls(&[]).is_empty());
    }

    #[test]
    fn the_cap_keeps_an_aggregate_of_typical_edges_far_below_a_record() {
        let map = even(1);
        let entries: Vec<PutEntry> = (0..MAX_USER_RECORDS_PER_AGGREGATE + 1)
            .map(|i| entry(&format!("{i}"), &format!("{i},{},2019-12-31", i + 1)))
            .collect();
        let packed = pack(
            &map,
            &entries,
            MAX_USER_RECORDS_PER_AGGREGATE,
            MAX_AGGREGATE_BYTES,
        );
        assert_eq!(packed.len(), 2);
        assert_eq!(packed[0].members.len(), MAX_USER_RECORDS_PER_AGGREGATE);
        assert!(
            packed[0].data.len() < 40_000,
            "{} bytes",
            packed[0].data.len()
        );
    }
}
