//! Where the driver puts records: the [`RecordSink`] trait, its Kinesis PutRecords
//! implementation and the PutRecords limits.
//!
//! A sink answers per entry (accepted or failed with an error code) or fails the whole call,
//! and says whether a whole-call failure is worth retrying. The driver owns retries: the SDK's
//! own retries are turned off so every throttle and retry shows in the driver's counters.

use std::future::Future;

use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::PutRecordsRequestEntry;

/// PutRecords accepts at most this many records per call.
pub const MAX_RECORDS_PER_CALL: usize = 500;
/// Request size limit we keep to: the pre-October-2025 5 MiB, still valid everywhere.
pub const MAX_REQUEST_BYTES: usize = 5 * 1024 * 1024;
/// Record size limit (data + partition key) we keep to: the pre-October-2025 1 MiB.
pub const MAX_RECORD_BYTES: usize = 1024 * 1024;
/// Longest partition key Kinesis accepts.
pub const MAX_PARTITION_KEY_CHARS: usize = 256;
/// The error code of a throttled entry or call.
pub const THROTTLED: &str = "ProvisionedThroughputExceededException";

/// Why a record cannot be put at all, if it cannot: a partition key or a record past Kinesis' limits.
pub fn over_limits(partition_key: &str, body_bytes: usize) -> Option<String> {
    if partition_key.len() > MAX_PARTITION_KEY_CHARS {
        return Some(format!(
            "the partition key is {} bytes long, a Kinesis partition key allows at most {MAX_PARTITION_KEY_CHARS}",
            partition_key.len()
        ));
    }
    let record = partition_key.len() + body_bytes;
    (record > MAX_RECORD_BYTES).then(|| {
        format!(
            "the record would be {record} bytes, a Kinesis record allows at most {MAX_RECORD_BYTES}"
        )
    })
}

/// One record to put.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutEntry {
    /// The partition key.
    pub partition_key: String,
    /// The record body.
    pub data: Vec<u8>,
}

impl PutEntry {
    /// Bytes this entry counts toward the request and record limits.
    pub fn size(&self) -> usize {
        self.partition_key.len() + self.data.len()
    }
}

/// The answer for one entry of a call that went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryOutcome {
    /// The stream stored the record.
    Accepted,
    /// The stream refused the record; it must be sent again.
    Failed {
        /// `ProvisionedThroughputExceededException` or `InternalFailure`.
        code: String,
        /// The message that came with it.
        message: String,
    },
}

/// A whole call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// Throttling, 5xx, timeout or connection error: send the same records again later.
    #[error("{message}")]
    Retryable {
        /// Whether the stream said it was throttling.
        throttled: bool,
        /// What happened.
        message: String,
    },
    /// The endpoint could not be reached at all (connection refused, no route, connect timeout): retryable
    /// once the endpoint has answered, but on the first calls a sign that the endpoint or region is wrong.
    #[error("{0}")]
    Unreachable(String),
    /// Missing stream, access denied, invalid request: retrying cannot help.
    #[error("{0}")]
    Fatal(String),
}

/// Something that stores records like Kinesis PutRecords.
pub trait RecordSink: Send + Sync + 'static {
    /// Entries the driver hands [`RecordSink::put_records`] at most.
    fn edges_per_call(&self) -> usize {
        MAX_RECORDS_PER_CALL
    }

    /// Puts `entries` (at most [`RecordSink::edges_per_call`]) in one call; on success returns one
    /// outcome per entry, in order.
    fn put_records(
        &self,
        entries: Vec<PutEntry>,
    ) -> impl Future<Output = Result<Vec<EntryOutcome>, CallError>> + Send;
}

/// PutRecords on one Kinesis stream.
#[derive(Debug, Clone)]
pub struct KinesisSink {
    client: aws_sdk_kinesis::Client,
    stream: String,
}

impl KinesisSink {
    /// A sink putting into `stream` with `client`.
    pub fn new(client: aws_sdk_kinesis::Client, stream: impl Into<String>) -> Self {
        Self {
            client,
            stream: stream.into(),
        }
    }
}

/// A Kinesis client from the default credential chain, with the SDK's retries off (the driver
/// retries) and a per-attempt timeout so a hung call becomes a retry.
pub use stream2neptune_aws::kinesis::client as kinesis_client;

impl RecordSink for KinesisSink {
    async fn put_records(&self, entries: Vec<PutEntry>) -> Result<Vec<EntryOutcome>, CallError> {
        let records = entries
            .into_iter()
            .map(|e| request_entry(e.partition_key, None, e.data))
            .collect::<Result<Vec<_>, _>>()?;
        let outcomes = put_records(&self.client, &self.stream, records).await?;
        Ok(outcomes.into_iter().map(|(outcome, _)| outcome).collect())
    }
}

/// One PutRecords entry; `explicit_hash_key` places it in a chosen shard's range.
pub(crate) fn request_entry(
    partition_key: String,
    explicit_hash_key: Option<String>,
    data: Vec<u8>,
) -> Result<PutRecordsRequestEntry, CallError> {
    PutRecordsRequestEntry::builder()
        .partition_key(partition_key)
        .set_explicit_hash_key(explicit_hash_key)
        .data(Blob::new(data))
        .build()
        .map_err(|err| CallError::Fatal(format!("cannot build a record: {err}")))
}

/// One PutRecords call; per entry, in order: its outcome and, when stored, the shard it landed on.
pub(crate) async fn put_records(
    client: &aws_sdk_kinesis::Client,
    stream: &str,
    records: Vec<PutRecordsRequestEntry>,
) -> Result<Vec<(EntryOutcome, Option<String>)>, CallError> {
    let count = records.len();
    let output = client
        .put_records()
        .stream_name(stream)
        .set_records(Some(records))
        .send()
        .await
        .map_err(classify)?;
    if output.records().len() != count {
        // Without one answer per entry we cannot tell which were stored: resend them all.
        return Err(CallError::Retryable {
            throttled: false,
            message: format!(
                "PutRecords answered {} results for {count} records",
                output.records().len()
            ),
        });
    }
    Ok(output
        .records()
        .iter()
        .map(|r| match r.error_code() {
            Some(code) => (
                EntryOutcome::Failed {
                    code: code.to_owned(),
                    message: r.error_message().unwrap_or_default().to_owned(),
                },
                None,
            ),
            None => (EntryOutcome::Accepted, r.shard_id().map(str::to_owned)),
        })
        .collect())
}

/// A failed PutRecords call as the driver handles it.
fn classify(err: SdkError<aws_sdk_kinesis::operation::put_records::PutRecordsError>) -> CallError {
    let message = format!("{}", aws_sdk_kinesis::error::DisplayErrorContext(&err));
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let status = service.raw().status().as_u16();
            if e.is_provisioned_throughput_exceeded_exception() || e.is_kms_throttling_exception() {
                CallError::Retryable {
                    throttled: true,
                    message,
                }
            } else if e.is_internal_failure_exception()
                || status >= 500
                || e.code() == Some("ThrottlingException")
            {
                CallError::Retryable {
                    throttled: e.code() == Some("ThrottlingException"),
                    message,
                }
            } else {
                CallError::Fatal(message)
            }
        }
        SdkError::ConstructionFailure(_) => CallError::Fatal(message),
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            CallError::Unreachable(stream2neptune_aws::cause_chain(&err))
        }
        // Timeouts, connection errors and unreadable responses: the records may or may not be
        // stored; sending them again is safe because the writer is idempotent.
        _ => CallError::Retryable {
            throttled: false,
            message,
        },
    }
}
