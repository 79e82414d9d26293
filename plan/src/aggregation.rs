//! KPL aggregation and the event source mapping, as data: how many user records (edges) the driver packs
//! into one Kinesis record, and the BatchSize that gives one invocation about BatchReadSize edges.
//!
//! The event source mapping's BatchSize counts Kinesis records. With DriverAggregation on, one record is an
//! aggregate of up to [`USER_RECORDS_PER_AGGREGATE`] edges of one shard, so BatchSize = BatchReadSize would hand
//! the writer up to 1,000 x BatchReadSize edges per invocation. [`event_source_batch_size`] divides by the
//! aggregate's size instead: a full aggregate bounds the work, so an invocation never carries much more than
//! BatchReadSize edges, and fewer when the driver's aggregates are not full (a paced driver packs
//! DriverBatchSize / ShardCount edges per aggregate per period).

/// User records the driver packs into one aggregate at most (`drive --aggregate`). An aggregate is the smallest
/// unit Lambda delivers and retries, so this bounds an invocation's work at BatchSize 1 and the work a failure
/// inside an aggregate repeats: 1,000 edges is the default BatchReadSize. It costs no throughput: 1,000 edges of
/// ~40 bytes make a ~45 KB record, so a shard reaches its 1 MB/s limit at ~22 records/s, far below its 1,000
/// records/s.
pub const USER_RECORDS_PER_AGGREGATE: u32 = 1_000;

/// The event source mapping's BatchSize bounds for a Kinesis stream (Lambda's `BatchSize`: 1 to 10,000).
pub const BATCH_SIZE_RANGE: std::ops::RangeInclusive<u32> = 1..=10_000;

/// The BatchSize (Kinesis records per invocation) that gives one invocation about `batch_read_size` edges:
/// `batch_read_size` itself for plain records; with aggregation, `batch_read_size` / [`USER_RECORDS_PER_AGGREGATE`]
/// rounded to the nearest whole number, at least 1 (one full aggregate).
pub fn event_source_batch_size(batch_read_size: u32, aggregation: bool) -> u32 {
    let records = if aggregation {
        (batch_read_size + USER_RECORDS_PER_AGGREGATE / 2) / USER_RECORDS_PER_AGGREGATE
    } else {
        batch_read_size
    };
    records.clamp(*BATCH_SIZE_RANGE.start(), *BATCH_SIZE_RANGE.end())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Kind, Name};

    #[test]
    fn batch_size_row_by_row() {
        for (read, aggregation, batch_size) in [
            (1_000, false, 1_000),
            (1, false, 1),
            (10_000, false, 10_000),
            (1_000, true, 1),
            (1, true, 1),
            (499, true, 1),
            (1_499, true, 1),
            (1_500, true, 2),
            (4_000, true, 4),
            (10_000, true, 10),
        ] {
            assert_eq!(
                event_source_batch_size(read, aggregation),
                batch_size,
                "BatchReadSize {read}, aggregation {aggregation}"
            );
        }
    }

    #[test]
    fn every_batch_read_size_gives_a_batch_size_lambda_accepts() {
        let Kind::Integer { min, max } = Name::BatchReadSize.param().kind else {
            panic!("BatchReadSize is a whole number");
        };
        for read in u32::try_from(min).unwrap()..=u32::try_from(max).unwrap() {
            for aggregation in [false, true] {
                let size = event_source_batch_size(read, aggregation);
                assert!(BATCH_SIZE_RANGE.contains(&size), "{read} -> {size}");
                // About BatchReadSize edges when aggregates are full: within half an aggregate, or one aggregate.
                let edges = size
                    * if aggregation {
                        USER_RECORDS_PER_AGGREGATE
                    } else {
                        1
                    };
                assert!(
                    edges.abs_diff(read) <= USER_RECORDS_PER_AGGREGATE / 2 || size == 1,
                    "{read} -> {size} records, {edges} edges"
                );
            }
        }
    }
}
