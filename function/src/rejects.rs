//! The rejected-records sink: malformed records go to SQS (REJECTED_QUEUE_URL), to a JSON Lines
//! file (REJECTED_RECORDS_FILE, local mode) or, with neither set, to the error log in full.
//!
//! A record is acknowledged only once the sink has it: if the sink fails, the handler stops the
//! partial-batch response at that record, so nothing is lost. A reject always keeps the whole
//! record: one line in the file; in SQS, whose messages hold at most [`SQS_MAX_MESSAGE_BYTES`],
//! as many messages as it takes ([`RejectedRecord::parts`]), each naming its byte range.
//! Consumers deduplicate on (`shardId`, `sequenceNumber`, `dataPart`): a record is rejected at
//! most once per delivery, but a delivery can repeat (an invocation cut short before it answers).

use std::io::Write;
use std::path::PathBuf;
use std::time::SystemTime;

use aws_lambda_events::kinesis::KinesisEventRecord;
use base64::Engine;
use serde::Serialize;

use crate::config::Config;
use crate::deaggregation::UserRecord;
use crate::error::{RejectSinkError, StoreError};
use crate::record::RejectReason;
use crate::retry::{Deadline, RetryPolicy, with_retries};
use crate::store::send_checked;
use stream2neptune_aws::Signer;

/// The largest SQS message body the sink sends, in bytes: 256 KiB, SQS's long-standing limit and
/// the MaximumMessageSize of queues not raised to the 1 MiB allowed since 2025.
pub const SQS_MAX_MESSAGE_BYTES: usize = 262_144;

/// The largest reject written to the log in one line: below CloudWatch Logs' 256 KiB per event,
/// with room for the log line's own fields.
pub const LOG_MAX_REJECT_BYTES: usize = 200_000;

/// One rejected record, as written to the sink (JSON, camelCase).
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RejectedRecord {
    /// Kinesis sequence number.
    pub sequence_number: String,
    /// Shard id, from `eventID` (`shardId-...:sequence`).
    pub shard_id: String,
    /// The stream, from `eventSourceARN`.
    pub event_source_arn: String,
    /// Partition key.
    pub partition_key: String,
    /// Machine-readable reason (see `RejectReason::code`).
    pub reason_code: String,
    /// Human-readable reason.
    pub reason: String,
    /// The record's data from byte `data_offset` on, base64 (standard alphabet): the whole record
    /// unless it is split over several parts.
    pub data: String,
    /// Size of the record's whole data in bytes.
    pub data_size: usize,
    /// Offset of this part's first byte in the record's data.
    pub data_offset: usize,
    /// This part's number, from 0.
    pub data_part: usize,
    /// How many parts the record is split into (1: `data` is the whole record).
    pub data_parts: usize,
    /// For a user record of a KPL aggregate: its position in the aggregate (the rejects of one
    /// aggregate share its sequence number; `data` and `partitionKey` are the user record's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_sequence_number: Option<u64>,
}

impl RejectedRecord {
    /// Describes `record` rejected for `reason`.
    pub fn new(record: &KinesisEventRecord, reason: &RejectReason) -> Self {
        Self::build(
            record,
            reason,
            &record.kinesis.partition_key,
            &record.kinesis.data,
            None,
        )
    }

    /// Describes user record `user` (of the Kinesis record `record`) rejected for `reason`: for a
    /// user record of an aggregate, its own key and data and its position in the aggregate.
    pub fn user_record(
        record: &KinesisEventRecord,
        user: &UserRecord<'_>,
        reason: &RejectReason,
    ) -> Self {
        Self::build(
            record,
            reason,
            &user.partition_key,
            &user.data,
            user.sub_sequence_number,
        )
    }

    fn build(
        record: &KinesisEventRecord,
        reason: &RejectReason,
        partition_key: &str,
        data: &[u8],
        sub_sequence_number: Option<u64>,
    ) -> Self {
        let shard_id = record
            .event_id
            .as_deref()
            .and_then(|id| id.split_once(':').map(|(shard, _)| shard))
            .unwrap_or_default()
            .to_owned();
        RejectedRecord {
            sequence_number: record.kinesis.sequence_number.clone(),
            shard_id,
            event_source_arn: record.event_source_arn.clone().unwrap_or_default(),
            partition_key: partition_key.to_owned(),
            reason_code: reason.code().to_owned(),
            reason: reason.to_string(),
            data: base64::engine::general_purpose::STANDARD.encode(data),
            data_size: data.len(),
            data_offset: 0,
            data_part: 0,
            data_parts: 1,
            sub_sequence_number,
        }
    }

    /// This reject as one line of JSON that every sink can carry: SQS refuses a message body with a character
    /// outside #x9, #xA, #xD, #x20-#xD7FF, #xE000-#xFFFD and #x10000-#x10FFFF, and JSON already escapes the
    /// control characters, so the two non-characters U+FFFE and U+FFFF (possible in a partition key or in a
    /// reason quoting the record) are written as JSON escapes, which read back as the same text.
    pub fn to_json_line(&self) -> String {
        let line = serde_json::to_string(self).unwrap_or_default();
        if !line.contains(['\u{fffe}', '\u{ffff}']) {
            return line;
        }
        line.replace('\u{fffe}', "\\ufffe")
            .replace('\u{ffff}', "\\uffff")
    }

    /// This reject as JSON documents of at most `max_bytes` each: itself when it fits, else
    /// parts holding consecutive byte ranges of the record (every other field repeated).
    pub fn parts(&self, max_bytes: usize) -> Vec<RejectedRecord> {
        let json_len = |r: &RejectedRecord| r.to_json_line().len();
        if json_len(self) <= max_bytes {
            return vec![self.clone()];
        }
        let engine = base64::engine::general_purpose::STANDARD;
        let data = engine.decode(&self.data).unwrap_or_default();
        // The fields besides `data`, with numbers as wide as they can get.
        let overhead = json_len(&RejectedRecord {
            data: String::new(),
            data_offset: self.data_size,
            data_part: self.data_size,
            data_parts: self.data_size,
            ..self.clone()
        });
        // Whole base64 quanta: 4 characters per 3 bytes.
        let bytes_per_part = (max_bytes.saturating_sub(overhead) / 4 * 3).max(3);
        let count = data.len().div_ceil(bytes_per_part);
        data.chunks(bytes_per_part)
            .enumerate()
            .map(|(part, chunk)| RejectedRecord {
                data: engine.encode(chunk),
                data_offset: part * bytes_per_part,
                data_part: part,
                data_parts: count,
                ..self.clone()
            })
            .collect()
    }
}

/// Where rejected records go.
#[derive(Debug)]
pub enum RejectSink {
    /// The error log only (no sink configured).
    Log,
    /// Appended as JSON Lines.
    File {
        /// REJECTED_RECORDS_FILE.
        path: PathBuf,
        /// Serialises appends from concurrent lanes.
        lock: tokio::sync::Mutex<()>,
    },
    /// SQS SendMessage (JSON protocol), signed with SigV4 service `sqs`.
    Sqs {
        /// The shared HTTP client.
        client: reqwest::Client,
        /// REJECTED_QUEUE_URL.
        queue_url: String,
        /// Scheme, host and port of the queue URL (the API endpoint).
        endpoint: String,
        /// Signer for `sqs` (boxed: the largest member, which the other variants would otherwise carry in size).
        signer: Box<Signer>,
        /// Retries for SendMessage.
        policy: RetryPolicy,
    },
}

impl RejectSink {
    /// The sink `config` asks for.
    pub fn from_config(config: &Config, client: reqwest::Client, policy: RetryPolicy) -> Self {
        if let Some(path) = &config.rejected_records_file {
            return RejectSink::File {
                path: path.clone(),
                lock: tokio::sync::Mutex::new(()),
            };
        }
        match (
            &config.rejected_queue_url,
            &config.credentials,
            &config.region,
        ) {
            (Some(queue_url), Some(credentials), Some(region)) => {
                let endpoint = url::Url::parse(queue_url)
                    .map(|u| u.origin().ascii_serialization() + "/")
                    .unwrap_or_else(|_| queue_url.clone());
                RejectSink::Sqs {
                    client,
                    queue_url: queue_url.clone(),
                    endpoint,
                    signer: Box::new(credentials.signer(region, "sqs")),
                    policy,
                }
            }
            _ => RejectSink::Log,
        }
    }

    /// Hands one reject to the sink; Ok means it is safe to acknowledge the record.
    pub async fn send(
        &self,
        reject: &RejectedRecord,
        deadline: Deadline,
    ) -> Result<(), RejectSinkError> {
        match self {
            RejectSink::Log => {
                for part in reject.parts(LOG_MAX_REJECT_BYTES) {
                    let line = part.to_json_line();
                    tracing::error!(reject = %line, "rejected record (no REJECTED_QUEUE_URL or REJECTED_RECORDS_FILE set)");
                }
                Ok(())
            }
            RejectSink::File { path, lock } => {
                // The whole record on one line (Kinesis records are at most 10 MiB, the largest
                // MAX_RECORD_BYTES).
                let line = reject.to_json_line();
                let _guard = lock.lock().await;
                let append = || -> std::io::Result<()> {
                    let mut file = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)?;
                    file.write_all(format!("{line}\n").as_bytes())?;
                    file.flush()
                };
                append().map_err(|source| RejectSinkError::File {
                    path: path.display().to_string(),
                    source,
                })
            }
            RejectSink::Sqs {
                client,
                queue_url,
                endpoint,
                signer,
                policy,
            } => {
                for part in reject.parts(SQS_MAX_MESSAGE_BYTES) {
                    let line = part.to_json_line();
                    let body = serde_json::to_vec(
                        &serde_json::json!({"QueueUrl": queue_url, "MessageBody": line}),
                    )
                    .unwrap_or_default();
                    let headers = [
                        ("content-type", "application/x-amz-json-1.0"),
                        ("x-amz-target", "AmazonSQS.SendMessage"),
                    ];
                    let attempt = |timeout| {
                        let request = client.post(endpoint).timeout(timeout).body(body.clone());
                        let signed =
                            signer.sign("POST", endpoint, &headers, &body, SystemTime::now());
                        async move {
                            let mut request = request;
                            for (name, value) in headers {
                                request = request.header(name, value);
                            }
                            for (name, value) in
                                signed.map_err(|e| StoreError::Signing(e.to_string()))?
                            {
                                request = request.header(name, value);
                            }
                            send_checked(request, timeout).await
                        }
                    };
                    // Throttling (HTTP 400 with `__type` ThrottlingException, RequestThrottled,
                    // OverLimit) is retried like the store's transient errors.
                    with_retries(policy, deadline, StoreError::disposition, attempt, |_| {})
                        .await
                        .map_err(|e| RejectSinkError::Sqs {
                            queue: queue_url.clone(),
                            message: e.to_string(),
                        })?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(data: &[u8]) -> KinesisEventRecord {
        let mut r = KinesisEventRecord::default();
        r.event_id = Some("shardId-000000000007:4958".into());
        r.event_source_arn = Some("arn:aws:kinesis:us-east-1:123456789012:stream/s".into());
        r.kinesis.sequence_number = "4958".into();
        r.kinesis.partition_key = "pk".into();
        *r.kinesis.data = data.to_vec();
        r
    }

    #[test]
    fn reject_carries_sequence_shard_key_reason_and_data() {
        let reject = RejectedRecord::new(
            &record(b"a,b"),
            &RejectReason::WrongColumnCount { found: 2 },
        );
        let json = serde_json::to_value(&reject).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "sequenceNumber": "4958", "shardId": "shardId-000000000007",
                "eventSourceArn": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
                "partitionKey": "pk", "reasonCode": "WrongColumnCount",
                "reason": "CSV record has 2 columns, expected 3: fromId,toId,creationDate",
                "data": "YSxi", "dataSize": 3, "dataOffset": 0, "dataPart": 0, "dataParts": 1
            })
        );
    }

    #[test]
    fn a_large_record_is_kept_whole_over_parts_that_fit_an_sqs_message() {
        // GIVEN a 10 MiB record (the Kinesis maximum) with bytes that base64 does not pad evenly
        let big: Vec<u8> = (0..10_485_760u32).map(|i| (i % 251) as u8).collect();
        let reject = RejectedRecord::new(
            &record(&big),
            &RejectReason::Oversize {
                size: big.len(),
                limit: 65_536,
            },
        );
        assert_eq!(reject.parts(usize::MAX), vec![reject.clone()]);

        // WHEN it is split for SQS
        let parts = reject.parts(SQS_MAX_MESSAGE_BYTES);

        // THEN every part fits, names its range, and the parts put together are the record
        assert!(parts.len() > 40, "{}", parts.len());
        let engine = base64::engine::general_purpose::STANDARD;
        let mut whole = Vec::new();
        for (i, part) in parts.iter().enumerate() {
            assert!(serde_json::to_string(part).unwrap().len() <= SQS_MAX_MESSAGE_BYTES);
            assert_eq!((part.data_part, part.data_parts), (i, parts.len()));
            assert_eq!(part.data_offset, whole.len());
            assert_eq!(
                (part.sequence_number.as_str(), part.data_size),
                ("4958", big.len())
            );
            whole.extend(engine.decode(&part.data).unwrap());
        }
        assert_eq!(whole, big);
    }

    /// The characters SQS allows in a message body (SendMessage, MessageBody).
    fn sqs_allows(c: char) -> bool {
        matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..)
    }

    #[test]
    fn a_reject_quoting_characters_sqs_refuses_is_written_in_characters_it_allows() {
        let mut r = record("x\u{ffff}".as_bytes());
        r.kinesis.partition_key = "k\u{fffe}\u{ffff}\u{0}\u{1f}\u{fffd}\u{10ffff}".into();
        let reason = RejectReason::EmptyId { field: "from" };
        let reject = RejectedRecord::new(&r, &reason);
        let line = reject.to_json_line();
        let refused: Vec<char> = line.chars().filter(|&c| !sqs_allows(c)).collect();
        assert!(refused.is_empty(), "{refused:?} in {line}");
        let back: RejectedRecord = serde_json::from_str(&line).unwrap();
        assert_eq!(back, reject);
        assert_eq!(back.partition_key, r.kinesis.partition_key);
        // Every part of a record split for SQS is escaped too, and still fits.
        for part in reject.parts(400) {
            assert!(part.to_json_line().len() <= 400);
        }
    }

    #[tokio::test]
    async fn file_sink_appends_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rejects.jsonl");
        let sink = RejectSink::File {
            path: path.clone(),
            lock: tokio::sync::Mutex::new(()),
        };
        let reject = RejectedRecord::new(&record(b"x"), &RejectReason::EmptyId { field: "from" });
        sink.send(&reject, Deadline::NONE).await.unwrap();
        sink.send(&reject, Deadline::NONE).await.unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<RejectedRecord> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines, vec![reject.clone(), reject]);
    }

    #[tokio::test]
    async fn file_sink_failure_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let sink = RejectSink::File {
            path: dir.path().join("missing-dir/r.jsonl"),
            lock: tokio::sync::Mutex::new(()),
        };
        let reject = RejectedRecord::new(&record(b"x"), &RejectReason::EmptyId { field: "from" });
        let err = sink.send(&reject, Deadline::NONE).await.unwrap_err();
        assert!(err.to_string().contains("missing-dir"), "{err}");
    }
}
