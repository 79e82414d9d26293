//! The on-failure destination, in the two shapes Lambda sends a discarded Kinesis batch in, as documented in
//! "Retain discarded batch records for a Kinesis Data Streams event source in Lambda"
//! (https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html):
//! - `sqs` (what an SQS queue or SNS topic receives): a JSON Lines file, one invocation record per discarded batch
//!   (`requestContext`, `responseContext`, `version`, `timestamp`, `KinesisBatchInfo` with the shard and the sequence
//!   range, not the records). Lambda's documented example is `local/tests/fixtures/lambda-on-failure-kinesis.json`.
//! - `s3` (what an S3 bucket receives): the same record plus `payload`, "the original invocation record as an
//!   escaped JSON string", one object per batch at `aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/
//!   YYYY-MM-DDTHH.MM.SS-<Random UUID>`; locally one file at that path under the on-failure folder. The documented
//!   example is `local/tests/fixtures/lambda-on-failure-kinesis-s3.json`.
//!
//! The file and the folder are shared with `local redrive` (another process), which removes what it replayed: an
//! exclusive lock on a lock file beside them orders an append against a rewrite.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use aws_lambda_events::kinesis::KinesisEvent;

use crate::error::{LocalError, Result};
use crate::esm::event::{EventSource, StreamRecord, kinesis_event};

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

/// Which of Lambda's shapes the destination writes: the stack's OnFailureDestination (s3, the default, or sqs).
pub use stream2neptune_plan::OnFailureDestination as OnFailureShape;

/// What an S3 destination receives: the invocation record and, in `payload`, the batch's whole invocation event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct S3OnFailureRecord {
    /// The fields an SQS destination receives.
    #[serde(flatten)]
    pub record: OnFailureRecord,
    /// The event the function was invoked with, written as an escaped JSON string (as Lambda does); a JSON object
    /// is read too.
    #[serde(with = "payload")]
    pub payload: KinesisEvent,
}

mod payload {
    use aws_lambda_events::kinesis::KinesisEvent;
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    pub fn serialize<S: Serializer>(event: &KinesisEvent, s: S) -> Result<S::Ok, S::Error> {
        let text = serde_json::to_string(event).map_err(serde::ser::Error::custom)?;
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<KinesisEvent, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(text) => {
                serde_json::from_str(&text).map_err(D::Error::custom)
            }
            value => serde_json::from_value(value).map_err(D::Error::custom),
        }
    }
}

/// Where local mode's on-failure destination keeps what it receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OnFailurePaths {
    /// The JSON Lines file of the `sqs` shape.
    pub records: PathBuf,
    /// The folder of the `s3` shape's objects (a stand-in for the bucket: the object key is the path below it).
    pub objects: PathBuf,
}

impl std::fmt::Display for OnFailurePaths {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}/ (s3) and {} (sqs)",
            self.objects.display(),
            self.records.display()
        )
    }
}

impl OnFailurePaths {
    /// Failed batches kept, in both shapes.
    pub fn batches(&self) -> Result<usize> {
        let lines = OnFailureDestination::read_all(&self.records)?.len();
        Ok(lines + OnFailureDestination::read_objects(&self.objects)?.len())
    }

    /// The lock file beside the JSON Lines file.
    fn lock_path(&self) -> PathBuf {
        self.records.with_extension("lock")
    }

    /// An exclusive lock on the destination, released when dropped: an append and a rewrite never overlap, in
    /// this process or another.
    pub fn lock(&self) -> Result<FileLock> {
        let path = self.lock_path();
        let io = |action, source| LocalError::Io {
            action,
            path: path.clone(),
            source,
        };
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io("open", e))?;
        use std::os::fd::AsRawFd as _;
        // SAFETY: flock(2) on the descriptor of a file this function owns.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } != 0 {
            return Err(io("lock", std::io::Error::last_os_error()));
        }
        Ok(FileLock(file))
    }
}

/// A held [`OnFailurePaths::lock`] (closing the file releases it).
#[derive(Debug)]
pub struct FileLock(#[allow(dead_code)] std::fs::File);

/// Sends discarded batches to local mode's on-failure destination, in the configured shape.
#[derive(Debug)]
pub struct OnFailureDestination {
    shape: OnFailureShape,
    paths: OnFailurePaths,
    /// The mapping's UUID, the first part of an S3 object's key.
    mapping_uuid: String,
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// A stable UUID for the local mapping of `stream_name` (the same prefix across restarts, as a real mapping's).
pub fn mapping_uuid(stream_name: &str) -> String {
    // FNV-1a, twice with different offsets: stable across runs and Rust versions.
    let fnv = |offset: u64| {
        stream_name.bytes().fold(offset, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    uuid::Uuid::from_u64_pair(fnv(0xcbf2_9ce4_8422_2325), fnv(0x8422_2325_cbf2_9ce4)).to_string()
}

impl OnFailureDestination {
    /// A destination writing `shape` under `paths` for the mapping `mapping_uuid`.
    pub fn new(shape: OnFailureShape, paths: OnFailurePaths, mapping_uuid: String) -> Self {
        OnFailureDestination {
            shape,
            paths,
            mapping_uuid,
        }
    }

    /// Where it writes.
    pub fn paths(&self) -> &OnFailurePaths {
        &self.paths
    }

    /// Writes the record of a discarded batch of `shard_id` of `source`'s stream.
    #[allow(clippy::too_many_arguments)] // the fields of Lambda's record
    pub fn send(
        &self,
        function_arn: &str,
        shard_id: &str,
        source: &EventSource,
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
        let now = chrono::Utc::now();
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
            timestamp: now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            kinesis_batch_info: KinesisBatchInfo {
                shard_id: shard_id.to_owned(),
                start_sequence_number: first.sequence_number.clone(),
                end_sequence_number: last.sequence_number.clone(),
                approximate_arrival_of_first_record: rfc3339(first.arrival_ms),
                approximate_arrival_of_last_record: rfc3339(last.arrival_ms),
                batch_size: batch.len(),
                stream_arn: source.stream_arn.clone(),
            },
        };
        let _lock = self.paths.lock()?;
        match self.shape {
            OnFailureShape::Sqs => {
                let line = serde_json::to_string(&record).unwrap_or_default();
                let path = &self.paths.records;
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(path)
                    .and_then(|mut f| f.write_all(format!("{line}\n").as_bytes()))
                    .map_err(|source| LocalError::Io {
                        action: "append to",
                        path: path.clone(),
                        source,
                    })?;
            }
            OnFailureShape::S3 => {
                let object = S3OnFailureRecord {
                    record: record.clone(),
                    payload: kinesis_event(source, shard_id, batch),
                };
                let key = format!(
                    "aws/lambda/{}/{shard_id}/{}/{}-{}",
                    self.mapping_uuid,
                    now.format("%Y/%m/%d"),
                    now.format("%Y-%m-%dT%H.%M.%S"),
                    uuid::Uuid::new_v4()
                );
                let text = serde_json::to_string(&object).unwrap_or_default();
                write_atomically(&self.paths.objects.join(key), text.as_bytes())?;
            }
        }
        Ok(record)
    }

    /// Every record of the `sqs` shape in `path` (none when it does not exist).
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

    /// Every object of the `s3` shape under `folder`, by path (none when it does not exist).
    pub fn read_objects(folder: &Path) -> Result<Vec<(PathBuf, Result<S3OnFailureRecord>)>> {
        let mut found = Vec::new();
        let mut dirs = vec![folder.to_owned()];
        while let Some(dir) = dirs.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(source) => {
                    return Err(LocalError::Io {
                        action: "list",
                        path: dir,
                        source,
                    });
                }
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let hidden = entry.file_name().to_string_lossy().starts_with('.');
                if path.is_dir() {
                    dirs.push(path);
                } else if !hidden {
                    let read = std::fs::read(&path)
                        .map_err(|source| LocalError::Io {
                            action: "read",
                            path: path.clone(),
                            source,
                        })
                        .and_then(|bytes| {
                            serde_json::from_slice(&bytes).map_err(|e| LocalError::Invalid {
                                field: "on-failure object",
                                value: path.display().to_string(),
                                allowed: format!("Lambda's S3 invocation record ({e})"),
                            })
                        });
                    found.push((path, read));
                }
            }
        }
        found.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }
}

/// Writes `bytes` to `path` through a hidden temporary file in the same folder and a rename, so a reader sees the
/// whole file or none of it.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let io = |action, source| LocalError::Io {
        action,
        path: path.to_owned(),
        source,
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io("create the folder of", e))?;
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temporary = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes).map_err(|e| io("write", e))?;
    std::fs::rename(&temporary, path).map_err(|e| io("replace", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lambda's documented example (see `tests/fixtures/README.md`).
    const LAMBDA_EXAMPLE: &str =
        include_str!("../../tests/fixtures/lambda-on-failure-kinesis.json");
    /// Lambda's documented S3 example (see `tests/fixtures/README.md`).
    const LAMBDA_S3_EXAMPLE: &str =
        include_str!("../../tests/fixtures/lambda-on-failure-kinesis-s3.json");

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

    fn source() -> EventSource {
        EventSource {
            stream_arn: "arn:aws:kinesis:eu-west-1:000000000000:stream/s".into(),
            region: "eu-west-1".into(),
            invoke_identity_arn: "arn:aws:iam::000000000000:role/r".into(),
        }
    }

    fn two_records() -> Vec<Arc<StreamRecord>> {
        ["4960", "4961"]
            .iter()
            .enumerate()
            .map(|(i, seq)| {
                Arc::new(StreamRecord {
                    ordinal: i as u64,
                    sequence_number: seq.to_string(),
                    partition_key: "k".into(),
                    data: format!("p{i},q{i},2019-01-01").into_bytes(),
                    arrival_ms: 1_573_691_884_835 + i as i64,
                })
            })
            .collect()
    }

    fn destination(shape: OnFailureShape, dir: &Path) -> OnFailureDestination {
        OnFailureDestination::new(
            shape,
            OnFailurePaths {
                records: dir.join("on-failure.jsonl"),
                objects: dir.join("on-failure"),
            },
            mapping_uuid("s"),
        )
    }

    fn send(destination: &OnFailureDestination, function_error: bool) {
        destination
            .send(
                "arn:aws:lambda:eu-west-1:000000000000:function:f",
                "shardId-000000000001",
                &source(),
                &two_records(),
                Condition::RetryAttemptsExhausted,
                3,
                &LastInvocation {
                    request_id: "local-1".into(),
                    function_error,
                },
            )
            .unwrap();
    }

    #[test]
    fn a_written_record_has_lambdas_fields_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let destination = destination(OnFailureShape::Sqs, dir.path());
        for function_error in [true, false] {
            send(&destination, function_error);
        }
        let lambda: serde_json::Value = serde_json::from_str(LAMBDA_EXAMPLE).unwrap();
        let text = std::fs::read_to_string(&destination.paths().records).unwrap();
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
        assert!(
            !destination.paths().objects.exists(),
            "sqs writes no object"
        );
    }

    #[test]
    fn lambdas_s3_example_reads_and_an_s3_object_has_its_fields_key_and_payload() {
        // Lambda's documented S3 record reads (its payload is a placeholder string, so only its shape is compared)
        let lambda: serde_json::Value = serde_json::from_str(LAMBDA_S3_EXAMPLE).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let destination = destination(OnFailureShape::S3, dir.path());
        send(&destination, true);
        let objects = OnFailureDestination::read_objects(&destination.paths().objects).unwrap();
        assert_eq!(objects.len(), 1, "{objects:?}");
        let (path, read) = &objects[0];
        // aws/lambda/<ESM-UUID>/<shardID>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>
        let key = path
            .strip_prefix(&destination.paths().objects)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let parts: Vec<&str> = key.split('/').collect();
        assert_eq!(parts.len(), 8, "{key}");
        assert_eq!(&parts[..2], ["aws", "lambda"], "{key}");
        assert_eq!(parts[2], mapping_uuid("s"));
        assert!(uuid::Uuid::parse_str(parts[2]).is_ok(), "{key}");
        assert_eq!(parts[3], "shardId-000000000001");
        let (y, m, d) = (parts[4], parts[5], parts[6]);
        assert!(
            parts[7].starts_with(&format!("{y}-{m}-{d}T")),
            "{key}: the name starts with the date"
        );
        let random = &parts[7][parts[7].len() - 36..];
        assert!(uuid::Uuid::parse_str(random).is_ok(), "{key}");
        let written: serde_json::Value =
            serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
        assert_same_shape(&lambda, &written, "");
        // the payload is the invocation event as an escaped JSON string, with every record of the batch
        let payload: serde_json::Value =
            serde_json::from_str(written["payload"].as_str().unwrap()).unwrap();
        let records = payload["Records"].as_array().unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1]["kinesis"]["sequenceNumber"], "4961");
        assert_eq!(records[0]["eventID"], "shardId-000000000001:4960");
        let record = read.as_ref().unwrap();
        assert_eq!(
            record.payload.records[1].kinesis.data.0,
            b"p1,q1,2019-01-01"
        );
        assert_eq!(record.record.kinesis_batch_info.batch_size, 2);
        // a payload given as a JSON object (as some stand-ins write it) reads the same
        let mut as_object = written.clone();
        as_object["payload"] = payload;
        let reread: S3OnFailureRecord = serde_json::from_value(as_object).unwrap();
        assert_eq!(&reread, record);
        assert!(!destination.paths().records.exists(), "s3 writes no line");
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
