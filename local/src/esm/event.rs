//! The records a shard poller reads, and the `KinesisEvent` Lambda builds from a batch of them:
//! the same JSON document Lambda sends (base64 `data`, `eventID` = `shardId-...:sequence`,
//! `eventSourceARN`), deserialised with the same types the writer's runtime uses.

use aws_lambda_events::kinesis::KinesisEvent;
use base64::Engine;
use serde_json::json;

/// One record read from a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRecord {
    /// The record's position in the shard's fetch order (for checkpoint tracking).
    pub ordinal: u64,
    /// Kinesis sequence number.
    pub sequence_number: String,
    /// Partition key.
    pub partition_key: String,
    /// The data blob.
    pub data: Vec<u8>,
    /// ApproximateArrivalTimestamp, ms since the epoch.
    pub arrival_ms: i64,
}

/// Where a batch comes from: the stream and the shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSource {
    /// The stream ARN (`eventSourceARN`).
    pub stream_arn: String,
    /// The region (`awsRegion`).
    pub region: String,
    /// The function's role (`invokeIdentityArn`).
    pub invoke_identity_arn: String,
}

impl EventSource {
    /// The source of a batch of `stream_arn`, in the region its ARN names, with no invoking role: the source of a
    /// failed batch's range read back from the stream by `redrive`, which does not know the function's role.
    pub fn of_stream(stream_arn: &str) -> Self {
        EventSource {
            stream_arn: stream_arn.to_owned(),
            region: arn_field(stream_arn, 3, "us-east-1"),
            invoke_identity_arn: String::new(),
        }
    }

    /// The source local mode's mapping invokes its writer with for `stream_arn` (region and account from the ARN).
    pub fn local(stream_arn: &str) -> Self {
        let account = arn_field(stream_arn, 4, "000000000000");
        EventSource {
            invoke_identity_arn: format!("arn:aws:iam::{account}:role/stream2neptune-local-writer"),
            ..Self::of_stream(stream_arn)
        }
    }
}

/// Field `n` of an ARN (`arn:partition:service:region:account:resource`), or `default` when it is empty or absent.
fn arn_field(arn: &str, n: usize, default: &str) -> String {
    arn.split(':')
        .nth(n)
        .filter(|p| !p.is_empty())
        .unwrap_or(default)
        .to_owned()
}

/// Builds the event Lambda would send for `records` of `shard_id`.
pub fn kinesis_event(
    source: &EventSource,
    shard_id: &str,
    records: &[std::sync::Arc<StreamRecord>],
) -> KinesisEvent {
    let engine = base64::engine::general_purpose::STANDARD;
    let records: Vec<serde_json::Value> = records
        .iter()
        .map(|r| {
            json!({
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": r.partition_key,
                    "sequenceNumber": r.sequence_number,
                    "data": engine.encode(&r.data),
                    "approximateArrivalTimestamp": r.arrival_ms as f64 / 1000.0,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": format!("{shard_id}:{}", r.sequence_number),
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": source.invoke_identity_arn,
                "awsRegion": source.region,
                "eventSourceARN": source.stream_arn,
            })
        })
        .collect();
    // The document is built above from owned strings and numbers: it always deserialises.
    serde_json::from_value(json!({ "Records": records })).unwrap_or_default()
}

/// GetRecords calls for one [`RangeRead`] at most (10,000 records each): a range the stream cannot end is an error.
pub const MAX_RANGE_READS: usize = 1_000;

/// A failed batch's sequence range read back from its shard, page by page of GetRecords from an
/// AT_SEQUENCE_NUMBER iterator at its start: `redrive` reads through the AWS CLI, `local redrive` through the SDK.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeRead {
    start: String,
    end: String,
    records: Vec<std::sync::Arc<StreamRecord>>,
}

impl RangeRead {
    /// A read of `start..=end`, nothing read yet.
    pub fn new(start: &str, end: &str) -> Self {
        RangeRead {
            start: start.to_owned(),
            end: end.to_owned(),
            records: Vec::new(),
        }
    }

    /// Takes the next record read: `Ok(true)` once the range is whole (this record ends it, or lies past its end
    /// and is left out); `Err` says why the stream no longer holds the range (its first record is not the start).
    pub fn take(
        &mut self,
        sequence_number: &str,
        partition_key: &str,
        data: Vec<u8>,
        arrival_ms: i64,
    ) -> Result<bool, String> {
        if self.records.is_empty() && sequence_number != self.start {
            return Err(format!("its first record is now {sequence_number}"));
        }
        if sequence_cmp(sequence_number, &self.end).is_gt() {
            return Ok(true);
        }
        self.records.push(std::sync::Arc::new(StreamRecord {
            ordinal: self.records.len() as u64,
            sequence_number: sequence_number.to_owned(),
            partition_key: partition_key.to_owned(),
            data,
            arrival_ms,
        }));
        Ok(sequence_number == self.end)
    }

    /// Why the range is not whole when the shard has no more to read.
    pub fn unfinished(&self) -> String {
        format!(
            "{} records read, the end sequence number not among them",
            self.records.len()
        )
    }

    /// The range's records, in order.
    pub fn into_records(self) -> Vec<std::sync::Arc<StreamRecord>> {
        self.records
    }
}

/// Orders Kinesis sequence numbers (decimal strings of up to 128 bits) numerically.
pub fn sequence_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn event_has_lambda_shape_and_decoded_data() {
        let source = EventSource {
            stream_arn: "arn:aws:kinesis:eu-west-1:000000000000:stream/s".into(),
            region: "eu-west-1".into(),
            invoke_identity_arn: "arn:aws:iam::000000000000:role/r".into(),
        };
        let record = Arc::new(StreamRecord {
            ordinal: 0,
            sequence_number: "4955".into(),
            partition_key: "p1".into(),
            data: b"p1,p2,2019-01-01".to_vec(),
            arrival_ms: 1_545_084_650_987,
        });
        let event = kinesis_event(&source, "shardId-000000000001", &[record]);
        let r = &event.records[0];
        assert_eq!(r.event_id.as_deref(), Some("shardId-000000000001:4955"));
        assert_eq!(
            r.event_source_arn.as_deref(),
            Some("arn:aws:kinesis:eu-west-1:000000000000:stream/s")
        );
        assert_eq!(r.kinesis.data.0, b"p1,p2,2019-01-01");
        assert_eq!(r.kinesis.partition_key, "p1");
        let wire = serde_json::to_value(&event).unwrap();
        assert_eq!(
            wire["Records"][0]["kinesis"]["data"],
            "cDEscDIsMjAxOS0wMS0wMQ=="
        );
    }

    #[test]
    fn a_range_read_ends_at_its_end_and_starts_at_its_start() {
        let mut range = RangeRead::new("10", "12");
        assert_eq!(range.take("10", "k", b"a".to_vec(), 1), Ok(false));
        assert_eq!(range.take("11", "k", b"b".to_vec(), 2), Ok(false));
        assert_eq!(
            range.unfinished(),
            "2 records read, the end sequence number not among them"
        );
        assert_eq!(range.take("13", "k", b"d".to_vec(), 4), Ok(true));
        let records = range.into_records();
        assert_eq!(records.len(), 2);
        assert_eq!(
            (records[1].ordinal, records[1].data.as_slice()),
            (1, &b"b"[..])
        );
        let mut ended = RangeRead::new("10", "11");
        assert_eq!(ended.take("10", "k", Vec::new(), 0), Ok(false));
        assert_eq!(ended.take("11", "k", Vec::new(), 0), Ok(true));
        let mut trimmed = RangeRead::new("10", "11");
        assert_eq!(
            trimmed.take("11", "k", Vec::new(), 0),
            Err("its first record is now 11".to_owned())
        );
    }

    #[test]
    fn sequence_numbers_compare_as_numbers() {
        use std::cmp::Ordering::*;
        assert_eq!(sequence_cmp("99", "100"), Less);
        assert_eq!(sequence_cmp("495", "495"), Equal);
        assert_eq!(sequence_cmp("496", "495"), Greater);
    }
}
