//! The Kinesis client for the local stream server and the stream set-up from the plan.

use std::time::{Duration, Instant};

use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::primitives::Blob;
use aws_sdk_kinesis::types::{PutRecordsRequestEntry, StreamStatus};

use crate::error::{LocalError, Result, error_chain};

/// A client for the local stream server at `endpoint`: fixed local credentials, no SDK retries (the driver
/// and the mapping retry themselves).
pub use stream2neptune_aws::kinesis::local_client as client;

/// Creates `name` with `shards` shards (if missing), waits until ACTIVE and sets the retention.
pub async fn create_stream(
    client: &Client,
    name: &str,
    shards: u32,
    retention_hours: u32,
) -> Result<()> {
    fn kinesis(
        operation: &'static str,
    ) -> impl Fn(&(dyn std::error::Error + 'static)) -> LocalError {
        move |e| LocalError::Kinesis {
            operation,
            message: error_chain(e),
        }
    }
    let exists = client
        .describe_stream_summary()
        .stream_name(name)
        .send()
        .await
        .is_ok();
    if !exists {
        client
            .create_stream()
            .stream_name(name)
            .shard_count(shards as i32)
            .send()
            .await
            .map_err(|e| kinesis("CreateStream")(&e))?;
    }
    let started = Instant::now();
    loop {
        let summary = client
            .describe_stream_summary()
            .stream_name(name)
            .send()
            .await
            .map_err(|e| kinesis("DescribeStreamSummary")(&e))?;
        let status = summary
            .stream_description_summary()
            .map(|d| d.stream_status().clone());
        if status == Some(StreamStatus::Active) {
            break;
        }
        if started.elapsed() > Duration::from_secs(30) {
            return Err(LocalError::Kinesis {
                operation: "CreateStream",
                message: format!("stream {name} not ACTIVE after 30 s (status {status:?})"),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if retention_hours > 24 && !exists {
        client
            .increase_stream_retention_period()
            .stream_name(name)
            .retention_period_hours(retention_hours as i32)
            .send()
            .await
            .map_err(|e| kinesis("IncreaseStreamRetentionPeriod")(&e))?;
    }
    Ok(())
}

/// Puts `(partition key, data)` records in order, 500 per call, resending failed entries until
/// every one is accepted (used by tests and benchmarks for records the driver cannot produce,
/// such as malformed ones).
pub async fn put_all(client: &Client, stream: &str, records: &[(String, Vec<u8>)]) -> Result<()> {
    for chunk in records.chunks(500) {
        let mut todo: Vec<&(String, Vec<u8>)> = chunk.iter().collect();
        let started = Instant::now();
        while !todo.is_empty() {
            let entries = todo
                .iter()
                .map(|(key, data)| {
                    PutRecordsRequestEntry::builder()
                        .partition_key(key)
                        .data(Blob::new(data.clone()))
                        .build()
                        .map_err(|e| LocalError::Kinesis {
                            operation: "PutRecords",
                            message: e.to_string(),
                        })
                })
                .collect::<Result<Vec<_>>>()?;
            let output = client
                .put_records()
                .stream_name(stream)
                .set_records(Some(entries))
                .send()
                .await
                .map_err(|e| LocalError::Kinesis {
                    operation: "PutRecords",
                    message: error_chain(&e),
                })?;
            // The local stream servers do not throttle; if it ever fails an entry, exactly the failed ones are resent.
            let failed: Vec<&(String, Vec<u8>)> = todo
                .iter()
                .zip(output.records())
                .filter(|(_, r)| r.error_code().is_some())
                .map(|(entry, _)| *entry)
                .collect();
            if failed.is_empty() {
                todo.clear();
            } else {
                {
                    todo = failed;
                    if started.elapsed() > Duration::from_secs(60) {
                        return Err(LocalError::Kinesis {
                            operation: "PutRecords",
                            message: "entries still failing after 60 s".into(),
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }
    Ok(())
}
