//! The rejected-records sink: malformed records go to SQS (REJECTED_QUEUE_URL), to a JSON Lines
//! file (REJECTED_RECORDS_FILE, local mode) or, with neither set, to the error log in full.
//!
//! A record is acknowledged only once the sink has it: if the sink fails, the handler stops the
//! partial-batch response at that record, so nothing is lost.

use std::io::Write;
use std::path::PathBuf;
use std::time::SystemTime;

use aws_lambda_events::kinesis::KinesisEventRecord;
use base64::Engine;
use serde::Serialize;

use crate::config::Config;
use crate::error::{RejectSinkError, StoreError};
use crate::record::RejectReason;
use crate::retry::{Deadline, RetryPolicy, with_retries};
use crate::sigv4::Signer;
use crate::store::send_checked;

/// At most this many bytes of a record's data are kept in a reject (SQS messages are limited).
pub const MAX_REJECT_DATA_BYTES: usize = 65_536;

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
    /// The record's data, base64 (standard alphabet), at most MAX_REJECT_DATA_BYTES of it.
    pub data: String,
    /// Size of the record's data in bytes.
    pub data_size: usize,
    /// True when `data` holds only the start of the record.
    pub data_truncated: bool,
}

impl RejectedRecord {
    /// Describes `record` rejected for `reason`.
    pub fn new(record: &KinesisEventRecord, reason: &RejectReason) -> Self {
        let data: &[u8] = &record.kinesis.data;
        let kept = &data[..data.len().min(MAX_REJECT_DATA_BYTES)];
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
            partition_key: record.kinesis.partition_key.clone(),
            reason_code: reason.code().to_owned(),
            reason: reason.to_string(),
            data: base64::engine::general_purpose::STANDARD.encode(kept),
            data_size: data.len(),
            data_truncated: kept.len() < data.len(),
        }
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
        /// Signer for `sqs`.
        signer: Signer,
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
                    signer: Signer::new(credentials, region, "sqs"),
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
        let line = serde_json::to_string(reject).unwrap_or_default();
        match self {
            RejectSink::Log => {
                tracing::error!(reject = %line, "rejected record (no REJECTED_QUEUE_URL or REJECTED_RECORDS_FILE set)");
                Ok(())
            }
            RejectSink::File { path, lock } => {
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
                    let signed = signer.sign("POST", endpoint, &headers, &body, SystemTime::now());
                    async move {
                        let mut request = request;
                        for (name, value) in headers {
                            request = request.header(name, value);
                        }
                        for (name, value) in signed.map_err(StoreError::Signing)? {
                            request = request.header(name, value);
                        }
                        send_checked(request, timeout).await
                    }
                };
                with_retries(policy, deadline, attempt, |_| {})
                    .await
                    .map_err(|e| RejectSinkError::Sqs {
                        queue: queue_url.clone(),
                        message: e.to_string(),
                    })
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
                "data": "YSxi", "dataSize": 3, "dataTruncated": false
            })
        );
    }

    #[test]
    fn oversize_data_is_truncated() {
        let big = vec![b'x'; MAX_REJECT_DATA_BYTES + 10];
        let reject = RejectedRecord::new(
            &record(&big),
            &RejectReason::Oversize {
                size: big.len(),
                limit: 10,
            },
        );
        assert!(reject.data_truncated);
        assert_eq!(reject.data_size, big.len());
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
