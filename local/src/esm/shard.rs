//! One shard's poller: reads from the checkpoint (or the starting position), hands each record to
//! the lane of its partition key, and keeps the shard's status.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::error::ProvideErrorMetadata;
use aws_sdk_kinesis::types::ShardIteratorType;
use stream2neptune_writer::GraphStore;
use stream2neptune_writer::batching::lane_of;
use tokio::sync::{mpsc, watch};

use super::checkpoint::Tracker;
use super::event::StreamRecord;
use super::lane;
use super::shared::Shared;
use crate::error::{LocalError, Result, error_chain};
use crate::settings::StartingPosition;

/// GetRecords returns at most this many records per call.
const GET_RECORDS_LIMIT: usize = 10_000;
/// Kinesis allows 5 GetRecords calls per second per shard; the poller keeps to it, which also
/// leaves kinesis-mock's CPU to PutRecords.
const MIN_GET_RECORDS_GAP: Duration = Duration::from_millis(200);
/// Wait after a throttled or failed GetRecords.
const ERROR_PAUSE: Duration = Duration::from_millis(500);

/// Runs the shard until `stop` or until a closed shard is fully handled.
pub(super) async fn run<S: GraphStore + Send + Sync + 'static>(
    shared: Arc<Shared<S>>,
    shard_id: String,
    stop: watch::Receiver<bool>,
) -> Result<()> {
    let saved = shared
        .checkpoints
        .load(&shard_id)?
        .map(|c| c.sequence_number);
    let tracker = Arc::new(Mutex::new(Tracker::new(
        &shard_id,
        shared.checkpoints.clone(),
        saved.clone(),
    )));
    let settings = &shared.settings;
    let lanes = settings.parallelization_factor.max(1);
    let capacity = settings.batch_size.max(100) * 2;
    let mut senders = Vec::with_capacity(lanes);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..lanes {
        let (tx, rx) = mpsc::channel::<Arc<StreamRecord>>(capacity);
        senders.push(tx);
        workers.spawn(lane::run(
            Arc::clone(&shared),
            shard_id.clone(),
            Arc::clone(&tracker),
            rx,
            stop.clone(),
        ));
    }
    // GetRecords reads ahead of the batches, as much as the lanes' buffers hold: with a small BatchSize (one
    // aggregate per invocation) a shard would otherwise be capped at 5 batches a second, whatever the writer's pace.
    let limit = (capacity * lanes).clamp(1, GET_RECORDS_LIMIT) as i32;

    let mut last_fetched = saved;
    let mut stop_poll = stop.clone();
    let mut iterator =
        shard_iterator(&shared, &shard_id, last_fetched.as_deref(), &mut stop_poll).await?;
    let mut lane_failed = false;
    while let Some(current) = iterator.take() {
        if *stop_poll.borrow() {
            break;
        }
        let polled_at = Instant::now();
        let response = shared
            .client
            .get_records()
            .shard_iterator(&current)
            .limit(limit)
            .send()
            .await;
        let output = match response {
            Ok(output) => output,
            Err(err) => {
                let code = err.code().unwrap_or_default().to_owned();
                if code == "ExpiredIteratorException" {
                    iterator =
                        shard_iterator(&shared, &shard_id, last_fetched.as_deref(), &mut stop_poll)
                            .await?;
                } else {
                    tracing::warn!(shard = %shard_id, error = %error_chain(&err), "GetRecords failed; retrying");
                    iterator = Some(current);
                    pause(&mut stop_poll, ERROR_PAUSE).await;
                }
                continue;
            }
        };
        let records = output.records();
        let behind = output.millis_behind_latest().unwrap_or(0);
        for record in records {
            let sequence_number = record.sequence_number().to_owned();
            let ordinal = tracker
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .register(&sequence_number);
            let item = Arc::new(StreamRecord {
                ordinal,
                sequence_number: sequence_number.clone(),
                partition_key: record.partition_key().unwrap_or_default().to_owned(),
                data: record.data().as_ref().to_vec(),
                arrival_ms: record
                    .approximate_arrival_timestamp()
                    .and_then(|t| t.to_millis().ok())
                    .unwrap_or_else(|| chrono::Utc::now().timestamp_millis()),
            });
            let lane = lane_of(&item.partition_key, lanes);
            tokio::select! {
                sent = senders[lane].send(item) => if sent.is_err() { lane_failed = true; break },
                _ = stop_poll.wait_for(|s| *s) => break,
            }
            last_fetched = Some(sequence_number);
        }
        if lane_failed {
            // A lane stopped on an error: stop polling and report it below.
            break;
        }
        let in_flight = {
            let t = tracker.lock().unwrap_or_else(|p| p.into_inner());
            (t.in_flight(), t.checkpoint().map(str::to_owned))
        };
        let idle = records.is_empty() && behind == 0 && in_flight.0 == 0;
        if idle {
            shared.metrics.set_iterator_age(&shard_id, 0);
        }
        shared.set_status(&shard_id, |s| {
            s.in_flight = in_flight.0;
            s.checkpoint = in_flight.1;
            s.idle_since = if idle { Some(polled_at) } else { None };
        });
        iterator = output.next_shard_iterator().map(str::to_owned);
        let gap = if records.is_empty() {
            settings.idle_poll_interval
        } else {
            MIN_GET_RECORDS_GAP.saturating_sub(polled_at.elapsed())
        };
        pause(&mut stop_poll, gap).await;
    }
    // A closed shard (no next iterator): let the lanes finish what they have. On stop they return at once.
    drop(senders);
    while let Some(joined) = workers.join_next().await {
        joined.map_err(|e| LocalError::Kinesis {
            operation: "invoke",
            message: format!("a lane of {shard_id} stopped: {e}"),
        })??;
    }
    Ok(())
}

/// Sleeps `duration` unless stopped first.
async fn pause(stop: &mut watch::Receiver<bool>, duration: Duration) {
    tokio::select! {
        _ = tokio::time::sleep(duration) => {}
        _ = stop.wait_for(|s| *s) => {}
    }
}

/// An iterator after `after` (the checkpoint or the last record fetched), else at the starting position; `None`
/// when stopped first. A call that may heal (the connection failed or timed out, the shard is throttled) is
/// retried after a pause, as the service's own mapping keeps polling; an answer that will not change (no such
/// stream or shard, a bad argument, access denied) ends the poller with the service's reason.
async fn shard_iterator<S>(
    shared: &Shared<S>,
    shard_id: &str,
    after: Option<&str>,
    stop: &mut watch::Receiver<bool>,
) -> Result<Option<String>> {
    loop {
        if *stop.borrow() {
            return Ok(None);
        }
        let request = shared
            .client
            .get_shard_iterator()
            .stream_name(&shared.stream_name)
            .shard_id(shard_id);
        let request = match after {
            Some(sequence_number) => request
                .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                .starting_sequence_number(sequence_number),
            None => request.shard_iterator_type(match shared.settings.starting_position {
                StartingPosition::TrimHorizon => ShardIteratorType::TrimHorizon,
                StartingPosition::Latest => ShardIteratorType::Latest,
            }),
        };
        match request.send().await {
            Ok(output) => {
                return output
                    .shard_iterator()
                    .map(|iterator| Some(iterator.to_owned()))
                    .ok_or_else(|| LocalError::Kinesis {
                        operation: "GetShardIterator",
                        message: format!("no iterator returned for {shard_id}"),
                    });
            }
            Err(err) if may_heal(err.code()) => {
                tracing::warn!(shard = %shard_id, error = %error_chain(&err), "GetShardIterator failed; retrying");
                pause(stop, ERROR_PAUSE).await;
            }
            Err(err) => {
                return Err(LocalError::Kinesis {
                    operation: "GetShardIterator",
                    message: error_chain(&err),
                });
            }
        }
    }
}

/// Whether a failed Kinesis call may succeed when tried again: no answer from the service (a closed connection,
/// a timeout: no error code), or a throttling answer.
fn may_heal(code: Option<&str>) -> bool {
    matches!(
        code,
        None | Some("ProvisionedThroughputExceededException" | "LimitExceededException")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_or_throttling_is_retried_and_a_service_refusal_is_not() {
        assert!(may_heal(None));
        assert!(may_heal(Some("ProvisionedThroughputExceededException")));
        assert!(may_heal(Some("LimitExceededException")));
        for code in [
            "ResourceNotFoundException",
            "InvalidArgumentException",
            "AccessDeniedException",
        ] {
            assert!(!may_heal(Some(code)), "{code}");
        }
    }
}
