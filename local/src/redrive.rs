//! Replaying failed batches from local mode's on-failure destination (`stream2neptune local redrive`): each record
//! of the `s3` shape carries the batch's whole invocation event in `payload`; one of the `sqs` shape names only the
//! shard and sequence range, read back from the stream (GetShardIterator AT_SEQUENCE_NUMBER, then GetRecords up to
//! the end sequence number) while the stream still holds them. The batch goes to the writer's own
//! [`stream2neptune_writer::handle`] in process, as the local mapping invokes it, and its failure record is removed
//! only once the writer has answered with no failed item. The writes are idempotent, so a batch replayed twice (a
//! redrive stopped between the write and the removal) leaves the same graph, and a second redrive finds nothing.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_lambda_events::kinesis::KinesisEvent;
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::types::ShardIteratorType;
use lambda_runtime::{Context, LambdaEvent};
use stream2neptune_writer::{Deps, GraphStore};

use crate::error::{Result, error_chain};
use crate::esm::destination::{
    KinesisBatchInfo, OnFailureDestination, OnFailurePaths, write_atomically,
};
use crate::esm::event::{EventSource, MAX_RANGE_READS, RangeRead, StreamRecord, kinesis_event};

/// One failed batch and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// `shard ... sequence start..end`, or the file that could not be read.
    pub batch: String,
    /// Where its failure record was: `sqs` (a line of the file) or `s3` (an object).
    pub shape: &'static str,
    /// Records written; `Err` with the reason the failure record was kept.
    pub written: std::result::Result<usize, String>,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.written {
            Ok(records) => write!(
                f,
                "replayed {} ({records} records, {}); its failure record is removed",
                self.batch, self.shape
            ),
            Err(reason) => write!(
                f,
                "kept {} ({}): {reason}; its failure record stays for the next redrive",
                self.batch, self.shape
            ),
        }
    }
}

/// Replays every failed batch under `paths` through `deps`' writer, reading `sqs` ranges with `client`; each
/// invocation gets `timeout` (the stack's FunctionTimeout). Returns what became of each, in the order replayed.
pub async fn redrive<S: GraphStore>(
    deps: &Deps<S>,
    client: &Client,
    paths: &OnFailurePaths,
    timeout: Duration,
) -> Result<Vec<Outcome>> {
    let mut outcomes = Vec::new();
    for (path, object) in OnFailureDestination::read_objects(&paths.objects)? {
        let (batch, written) = match object {
            Err(e) => (path.display().to_string(), Err(e.to_string())),
            Ok(object) => {
                let info = &object.record.kinesis_batch_info;
                let records = object.payload.records.len();
                let written = write(deps, object.payload, &info.shard_id, timeout).await;
                if written.is_ok() {
                    remove_object(&path)?;
                }
                (describe(info), written.map(|()| records))
            }
        };
        outcomes.push(Outcome {
            batch,
            shape: "s3",
            written,
        });
    }
    let text = match std::fs::read_to_string(&paths.records) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(source) => {
            return Err(crate::error::LocalError::Io {
                action: "read",
                path: paths.records.clone(),
                source,
            });
        }
    };
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let record: crate::esm::destination::OnFailureRecord = match serde_json::from_str(line) {
            Ok(record) => record,
            Err(e) => {
                outcomes.push(Outcome {
                    batch: format!("line {} of {}", number + 1, paths.records.display()),
                    shape: "sqs",
                    written: Err(format!("not Lambda's invocation record: {e}")),
                });
                continue;
            }
        };
        let info = &record.kinesis_batch_info;
        let written = match read_range(client, info).await {
            Err(reason) => Err(reason),
            Ok(records) => {
                let count = records.len();
                let event = kinesis_event(
                    &EventSource::local(&info.stream_arn),
                    &info.shard_id,
                    &records,
                );
                write(deps, event, &info.shard_id, timeout)
                    .await
                    .map(|()| count)
            }
        };
        if written.is_ok() {
            remove_line(paths, line)?;
        }
        outcomes.push(Outcome {
            batch: describe(info),
            shape: "sqs",
            written,
        });
    }
    Ok(outcomes)
}

fn describe(info: &KinesisBatchInfo) -> String {
    format!(
        "{} sequence {}..{} of {}",
        info.shard_id, info.start_sequence_number, info.end_sequence_number, info.stream_arn
    )
}

/// Invokes the writer once with `event`; `Err` says why the batch is not written (a function error, a timeout, or
/// failed items in its partial batch response).
pub async fn write<S: GraphStore>(
    deps: &Deps<S>,
    event: KinesisEvent,
    shard_id: &str,
    timeout: Duration,
) -> std::result::Result<(), String> {
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let mut context = Context::default();
    context.request_id = format!("local-redrive-{shard_id}-{now_ms}");
    context.deadline = now_ms + timeout.as_millis() as u64;
    let invocation = stream2neptune_writer::handle(deps, LambdaEvent::new(event, context));
    match tokio::time::timeout(timeout, invocation).await {
        Err(_) => Err(format!(
            "the writer timed out after {:.2} s",
            timeout.as_secs_f64()
        )),
        Ok(Err(error)) => Err(format!("the writer failed: {error}")),
        Ok(Ok(response)) if !response.batch_item_failures.is_empty() => Err(format!(
            "the writer reported failed items {:?}",
            response
                .batch_item_failures
                .iter()
                .map(|f| f.item_identifier.clone().unwrap_or_default())
                .collect::<Vec<_>>()
        )),
        Ok(Ok(_)) => Ok(()),
    }
}

/// Reads a batch's range back from its shard: from its start sequence number up to its end one. `Err` names the
/// shard and range when the stream no longer holds them.
async fn read_range(
    client: &Client,
    info: &KinesisBatchInfo,
) -> std::result::Result<Vec<Arc<StreamRecord>>, String> {
    let (shard, start, end) = (
        &info.shard_id,
        &info.start_sequence_number,
        &info.end_sequence_number,
    );
    let gone = |why: String| {
        format!(
            "the stream no longer holds shard {shard} sequence {start}..{end} ({why}): past the stream's \
             retention, these records can no longer be replayed (an s3 OnFailureDestination keeps whole batches)"
        )
    };
    let stream = info.stream_arn.rsplit('/').next().unwrap_or_default();
    let iterator = client
        .get_shard_iterator()
        .stream_name(stream)
        .shard_id(shard)
        .shard_iterator_type(ShardIteratorType::AtSequenceNumber)
        .starting_sequence_number(start)
        .send()
        .await
        .map_err(|e| gone(format!("GetShardIterator: {}", error_chain(&e))))?;
    let mut iterator = iterator.shard_iterator().map(str::to_owned);
    let mut range = RangeRead::new(start, end);
    for _ in 0..MAX_RANGE_READS {
        let Some(current) = iterator.take() else {
            break;
        };
        let output = client
            .get_records()
            .shard_iterator(current)
            .limit(10_000)
            .send()
            .await
            .map_err(|e| gone(format!("GetRecords: {}", error_chain(&e))))?;
        for record in output.records() {
            let whole = range
                .take(
                    record.sequence_number(),
                    record.partition_key().unwrap_or_default(),
                    record.data().as_ref().to_vec(),
                    record
                        .approximate_arrival_timestamp()
                        .and_then(|t| t.to_millis().ok())
                        .unwrap_or_default(),
                )
                .map_err(gone)?;
            if whole {
                return Ok(range.into_records());
            }
        }
        if output.records().is_empty() && output.millis_behind_latest().unwrap_or(0) == 0 {
            break;
        }
        iterator = output.next_shard_iterator().map(str::to_owned);
    }
    Err(gone(range.unfinished()))
}

/// Removes one line (the first equal to `line`) from the records file, rewriting it whole under the lock, so a
/// line the mapping appends meanwhile is kept.
fn remove_line(paths: &OnFailurePaths, line: &str) -> Result<()> {
    let _lock = paths.lock()?;
    let text = std::fs::read_to_string(&paths.records).unwrap_or_default();
    let mut removed = false;
    let kept: String = text
        .lines()
        .filter(|l| {
            let this = !removed && *l == line;
            removed |= this;
            !this
        })
        .map(|l| format!("{l}\n"))
        .collect();
    write_atomically(&paths.records, kept.as_bytes())
}

fn remove_object(path: &PathBuf) -> Result<()> {
    std::fs::remove_file(path).map_err(|source| crate::error::LocalError::Io {
        action: "remove",
        path: path.clone(),
        source,
    })
}
