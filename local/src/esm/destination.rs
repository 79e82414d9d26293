//! The on-failure destination: a JSON Lines file standing in for the SQS/SNS destination, one
//! invocation record per discarded batch, shaped like Lambda's (`KinesisBatchInfo` with the shard
//! and the sequence range, not the records).

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

/// One line of the on-failure file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnFailureRecord {
    /// When the batch was discarded (RFC 3339).
    pub timestamp: String,
    /// Why.
    pub condition: Condition,
    /// Invocations of the batch (its last records) before it was discarded.
    pub approximate_invoke_count: u32,
    /// The function's last error or partial-batch answer.
    pub reason: String,
    /// The batch.
    #[serde(rename = "KinesisBatchInfo")]
    pub kinesis_batch_info: KinesisBatchInfo,
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
    pub fn send(
        &self,
        shard_id: &str,
        stream_arn: &str,
        batch: &[Arc<StreamRecord>],
        condition: Condition,
        invoke_count: u32,
        reason: &str,
    ) -> Result<OnFailureRecord> {
        let (Some(first), Some(last)) = (batch.first(), batch.last()) else {
            return Err(LocalError::Invalid {
                field: "batch",
                value: "[]".into(),
                allowed: "at least one record".into(),
            });
        };
        let record = OnFailureRecord {
            timestamp: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            condition,
            approximate_invoke_count: invoke_count,
            reason: reason.to_owned(),
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
