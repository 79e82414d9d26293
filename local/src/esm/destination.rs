//! The on-failure destination: a JSON Lines file standing in for the SQS/SNS destination, one
//! invocation record per discarded batch in Lambda's own shape (`requestContext`,
//! `responseContext`, `version`, `timestamp`, `KinesisBatchInfo` with the shard and the sequence
//! range, not the records), so a tool reading the local file reads real ones too. Lambda's
//! documented example is `local/tests/fixtures/lambda-on-failure-kinesis.json`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::error::{LocalError, Result};
use crate::esm::event::StreamRecord;

/// Why a batch was discarded (Lambda's `requestContext.condition`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Condition {
    /// MaximumRetryAttempts reached.
    RetryAttemptsExhausted,
    /// MaximumRecordAgeInSeconds reached.
    RecordAgeExceeded,
}

/// `requestContext` of an on-failure record: the last invocation of the batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestContext {
    /// The last invocation's request id.
    pub request_id: String,
    /// The function.
    pub function_arn: String,
    /// Why the batch was discarded.
    pub condition: Condition,
    /// Invocations of the batch before it was discarded.
    pub approximate_invoke_count: u32,
}

/// `responseContext` of an on-failure record: what the last invocation answered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseContext {
    /// The invoke API's status code (200 also for a function error, as Lambda reports it).
    pub status_code: u16,
    /// The function version that ran.
    pub executed_version: String,
    /// `Unhandled` when the last invocation failed (error or timeout); null when it answered
    /// with a partial batch response (as records published from AWS show).
    pub function_error: Option<String>,
}

/// `KinesisBatchInfo` of an on-failure record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KinesisBatchInfo {
    /// The shard.
    pub shard_id: String,
    /// First sequence number of the batch.
    pub start_sequence_number: String,
    /// Last sequence number of the batch.
    pub end_sequence_number: String,
    /// Arrival of the first record (RFC 3339).
    pub approximate_arrival_of_first_record: String,
    /// Arrival of the last record (RFC 3339).
    pub approximate_arrival_of_last_record: String,
    /// Records in the batch.
    pub batch_size: usize,
    /// The stream.
    pub stream_arn: String,
}

/// One line of the on-failure file: Lambda's invocation record for a Kinesis batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnFailureRecord {
    /// The last invocation and why the batch was discarded.
    #[serde(rename = "requestContext")]
    pub request_context: RequestContext,
    /// What the last invocation answered.
    #[serde(rename = "responseContext")]
    pub response_context: ResponseContext,
    /// Record format version (`1.0`).
    pub version: String,
    /// When the batch was discarded (RFC 3339).
    pub timestamp: String,
    /// The batch.
    #[serde(rename = "KinesisBatchInfo")]
    pub kinesis_batch_info: KinesisBatchInfo,
}

/// The last invocation of a discarded batch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LastInvocation {
    /// Its request id.
    pub request_id: String,
    /// True when it failed (error or timeout) rather than answering a partial response.
    pub function_error: bool,
}

/// Appends on-failure records to a file.
#[derive(Debug)]
pub struct OnFailureDestination {
    path: PathBuf,
    lock: std::sync::Mutex<()>,
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

impl OnFailureDestination {
    /// A destination appending to `path`.
    pub fn new(path: &Path) -> Self {
        OnFailureDestination {
            path: path.to_owned(),
            lock: std::sync::Mutex::new(()),
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the record of a discarded batch.
    #[allow(clippy::too_many_arguments)] // the fields of Lambda's record
    pub fn send(
        &self,
        function_arn: &str,
        shard_id: &str,
        stream_arn: &str,
        batch: &[Arc<StreamRecord>],
        condition: Condition,
        invoke_count: u32,
        invocation: &LastInvocation,
    ) -> Result<OnFailureRecord> {
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return Err(LocalError::Invalid {
                field: "batch",
                value: "[]".into(),
                allowed: "at least one record".into(),
            });
        };
        let record = OnFailureRecord {
            request_context: RequestContext {
                request_id: invocation.request_id.clone(),
                function_arn: function_arn.to_owned(),
                condition,
                approximate_invoke_count: invoke_count,
            },
            response_context: ResponseContext {
                status_code: 200,
                executed_version: "$LATEST".to_owned(),
                function_error: invocation.function_error.then(|| "Unhandled".to_owned()),
            },
            version: "1.0".to_owned(),
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            kinesis_batch_info: KinesisBatchInfo {
                shard_id: shard_id.to_owned(),
                start_sequence_number: first.sequence_number.clone(),
                end_sequence_number: last.sequence_number.clone(),
                approximate_arrival_of_first_record: rfc3339(first.arrival_ms),
                approximate_arrival_of_last_record: rfc3339(last.arrival_ms),
                batch_size: batch.len(),
                stream_arn: stream_arn.to_owned(),
            },
        };
        let line = serde_json::to_string(&record).unwrap_or_default();
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()))
            .map_err(|source| LocalError::Io {
                action: "append to",
                path: self.path.clone(),
                source,
            })?;
        Ok(record)
    }

    /// Every record in the file (none when it does not exist).
    pub fn read_all(path: &Path) -> Result<Vec<OnFailureRecord>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(text
                .lines()
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(source) => Err(LocalError::Io {
                action: "read",
                path: path.to_owned(),
                source,
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lambda's documented example (see `tests/fixtures/README.md`).
    const LAMBDA_EXAMPLE: &str =
        include_str!("../../tests/fixtures/lambda-on-failure-kinesis.json");

    #[test]
    fn lambdas_own_record_reads_and_writes_back_unchanged() {
        let lambda: serde_json::Value = serde_json::from_str(LAMBDA_EXAMPLE).unwrap();
        let record: OnFailureRecord = serde_json::from_value(lambda.clone()).unwrap();
        assert_eq!(
            record.request_context.condition,
            Condition::RetryAttemptsExhausted
        );
        assert_eq!(record.kinesis_batch_info.batch_size, 500);
        assert_eq!(serde_json::to_value(&record).unwrap(), lambda);
    }

    #[test]
    fn a_written_record_has_lambdas_fields_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("on-failure.jsonl");
        let destination = OnFailureDestination::new(&path);
        let batch: Vec<Arc<StreamRecord>> = ["4960", "4961"]
            .iter()
            .enumerate()
            .map(|(i, seq)| {
                Arc::new(StreamRecord {
                    ordinal: i as u64,
                    sequence_number: seq.to_string(),
                    partition_key: "k".into(),
                    data: vec![],
                    arrival_ms: 1_573_691_884_835 + i as i64,
                })
            })
            .collect();
        for function_error in [true, false] {
            destination
                .send(
                    "arn:aws:lambda:eu-west-1:000000000000:function:f",
                    "shardId-000000000001",
                    "arn:aws:kinesis:eu-west-1:000000000000:stream/s",
                    &batch,
                    Condition::RetryAttemptsExhausted,
                    3,
                    &LastInvocation {
                        request_id: "local-1".into(),
                        function_error,
                    },
                )
                .unwrap();
        }
        let lambda: serde_json::Value = serde_json::from_str(LAMBDA_EXAMPLE).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for line in &lines {
            assert_same_shape(&lambda, line, "");
        }
        assert_eq!(lines[0]["responseContext"]["functionError"], "Unhandled");
        assert!(lines[1]["responseContext"]["functionError"].is_null());
        assert_eq!(
            lines[0]["KinesisBatchInfo"]["approximateArrivalOfFirstRecord"],
            "2019-11-14T00:38:04.835Z"
        );
    }

    /// The same keys at every level, and the same JSON types (null standing for a string).
    pub(crate) fn assert_same_shape(
        lambda: &serde_json::Value,
        ours: &serde_json::Value,
        at: &str,
    ) {
        use serde_json::Value;
        match (lambda, ours) {
            (Value::Object(a), Value::Object(b)) => {
                let keys = |m: &serde_json::Map<String, Value>| {
                    m.keys().cloned().collect::<std::collections::BTreeSet<_>>()
                };
                assert_eq!(keys(a), keys(b), "keys of {at}");
                for (key, value) in a {
                    assert_same_shape(value, &b[key], &format!("{at}.{key}"));
                }
            }
            (Value::String(_), Value::Null) => {}
            (a, b) => assert_eq!(
                std::mem::discriminant(a),
                std::mem::discriminant(b),
                "type of {at}: {a} vs {b}"
            ),
        }
    }
}
