//! One ordered lane of a shard: forms batches, invokes the writer, and applies Lambda's error
//! handling: partial batch responses, bisection, retries with back-off, record age, on-failure.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use lambda_runtime::{Context, LambdaEvent};
use stream2neptune_graph::Operation;
use stream2neptune_writer::GraphStore;
use stream2neptune_writer::record::Write;
use tokio::sync::{mpsc, watch};

use super::checkpoint::Tracker;
use super::destination::{Condition, LastInvocation};
use super::event::{StreamRecord, kinesis_event, sequence_cmp};
use super::shared::Shared;
use crate::error::Result;
use crate::settings::EsmSettings;

type Batch = Vec<Arc<StreamRecord>>;

/// A batch waiting to be (re)invoked.
struct Pending {
    records: Batch,
    /// Failed invocations of this batch's first record so far.
    attempts: u32,
    /// The last invocation, for the on-failure record.
    last: LastInvocation,
}

impl Pending {
    fn new(records: Batch) -> Self {
        Pending {
            records,
            attempts: 0,
            last: LastInvocation::default(),
        }
    }
}

/// What one invocation answered.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Every record written or rejected.
    Success,
    /// A partial batch response: records before this index are done, retry from it (index 0:
    /// none is done, also for an empty, null or unknown item identifier).
    Partial(usize, String),
    /// The invocation failed (error or timeout): nothing is done.
    FunctionError(String),
}

/// What the mapping does with a batch after an invocation.
#[derive(Debug, PartialEq, Eq)]
enum Next {
    /// Every record is done.
    Done,
    /// The first `done` records are done; retry the rest (with `attempts` failed invocations of
    /// its first record so far) after a back-off.
    Retry { done: usize, attempts: u32 },
    /// Split the batch in two halves and retry both, the first half first, at once.
    Bisect,
    /// The first `done` records are done; the rest is discarded to the on-failure destination
    /// after `attempts` invocations of its first record.
    Discard { done: usize, attempts: u32 },
}

/// Lambda's handling of a Kinesis invocation's outcome, from AWS's documentation:
// - "Configuring partial batch response with Kinesis Data Streams and Lambda"
//   (https://docs.aws.amazon.com/lambda/latest/dg/services-kinesis-batchfailurereporting.html):
//   with ReportBatchItemFailures Lambda checkpoints at the lowest sequence number reported and
//   retries the records from there on; "when you use BisectBatchOnFunctionError with
//   ReportBatchItemFailures, the batch is bisected at the returned sequence number and Lambda
//   retries only the remaining records". A partial response is split at the reported record and
//   never halved, so a failure reported at the first record retries the whole batch and counts
//   against MaximumRetryAttempts. An empty or null itemIdentifier is a complete failure.
// - "Error handling" in "Using Lambda with Kinesis" and CreateEventSourceMapping
//   (https://docs.aws.amazon.com/lambda/latest/dg/with-kinesis.html,
//   https://docs.aws.amazon.com/lambda/latest/api/API_CreateEventSourceMapping.html):
//   BisectBatchOnFunctionError splits a batch in two only when the function returns an error
//   (or times out); splitting does not count towards the retry quota. MaximumRetryAttempts
//   (-1 = until the record expires) bounds the retries of a failed batch, MaximumRecordAgeInSeconds
//   discards records older than that; discarded batches go to the on-failure destination.
// Our reading, not stated by AWS: after a partial response that moved the checkpoint, the retry
// count starts again for the batch that now starts at the reported record.
fn next(outcome: &Outcome, len: usize, attempts: u32, settings: &EsmSettings) -> Next {
    let (done, bisectable) = match outcome {
        Outcome::Success => return Next::Done,
        Outcome::Partial(done, _) => (*done, false),
        Outcome::FunctionError(_) => (0, settings.bisect_on_error),
    };
    if bisectable && len > 1 {
        return Next::Bisect;
    }
    let attempts = if done > 0 { 1 } else { attempts + 1 };
    if settings
        .maximum_retry_attempts
        .is_some_and(|max| attempts > max)
    {
        Next::Discard { done, attempts }
    } else {
        Next::Retry { done, attempts }
    }
}

pub(super) async fn run<S: GraphStore + Send + Sync + 'static>(
    shared: Arc<Shared<S>>,
    shard_id: String,
    tracker: Arc<Mutex<Tracker>>,
    mut records: mpsc::Receiver<Arc<StreamRecord>>,
    mut stop: watch::Receiver<bool>,
) -> Result<()> {
    let settings = shared.settings.clone();
    // Retried halves and remainders, processed before any newer record (keeps per-key order).
    let mut retry: Vec<Pending> = Vec::new();
    let handled = |batch: &[Arc<StreamRecord>]| -> Result<()> {
        let mut t = tracker.lock().unwrap_or_else(|p| p.into_inner());
        batch.iter().try_for_each(|r| t.handled(r.ordinal))
    };
    loop {
        if *stop.borrow() {
            return Ok(());
        }
        let mut pending = match retry.pop() {
            Some(pending) => pending,
            None => {
                let first = tokio::select! {
                    next = records.recv() => match next { Some(r) => r, None => return Ok(()) },
                    _ = stop.wait_for(|s| *s) => return Ok(()),
                };
                let mut batch = vec![first];
                while batch.len() < settings.batch_size {
                    match records.try_recv() {
                        Ok(r) => batch.push(r),
                        Err(_) => break,
                    }
                }
                Pending::new(batch)
            }
        };

        // MaximumRecordAgeInSeconds: expired records (the oldest come first) are discarded.
        if let Some(max_age) = settings.maximum_record_age {
            let now = chrono::Utc::now().timestamp_millis();
            let expired = pending
                .records
                .iter()
                .take_while(|r| now.saturating_sub(r.arrival_ms) > max_age.as_millis() as i64)
                .count();
            if expired > 0 {
                let discarded: Batch = pending.records.drain(..expired).collect();
                let reason = format!(
                    "records older than MaximumRecordAgeInSeconds ({} s)",
                    max_age.as_secs()
                );
                discard(
                    &shared,
                    &shard_id,
                    &discarded,
                    Condition::RecordAgeExceeded,
                    pending.attempts,
                    &pending.last,
                    &reason,
                )?;
                handled(&discarded)?;
                if pending.records.is_empty() {
                    continue;
                }
            }
        }

        let (outcome, last) = tokio::select! {
            outcome = invoke(&shared, &shard_id, &pending.records) => outcome,
            _ = stop.wait_for(|s| *s) => return Ok(()),
        };
        pending.last = last;
        let reason = match &outcome {
            Outcome::Success => String::new(),
            Outcome::Partial(_, reason) | Outcome::FunctionError(reason) => reason.clone(),
        };
        match next(&outcome, pending.records.len(), pending.attempts, &settings) {
            Next::Done => handled(&pending.records)?,
            Next::Bisect => {
                shared.metrics.add_batch_retry();
                let second = pending.records.split_off(pending.records.len() / 2);
                retry.push(Pending {
                    records: second,
                    attempts: pending.attempts,
                    last: pending.last.clone(),
                });
                retry.push(pending);
            }
            Next::Discard { done, attempts } => {
                let finished: Batch = pending.records.drain(..done).collect();
                handled(&finished)?;
                discard(
                    &shared,
                    &shard_id,
                    &pending.records,
                    Condition::RetryAttemptsExhausted,
                    attempts,
                    &pending.last,
                    &reason,
                )?;
                handled(&pending.records)?;
            }
            Next::Retry { done, attempts } => {
                let finished: Batch = pending.records.drain(..done).collect();
                handled(&finished)?;
                shared.metrics.add_batch_retry();
                pending.attempts = attempts;
                let backoff = backoff(&settings, attempts);
                retry.push(pending);
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|s| *s) => return Ok(()),
                }
            }
        }
    }
}

/// The wait after `attempts` failed invocations: doubling from `retry_backoff`, capped at `retry_backoff_max`, and
/// without jitter (Lambda's own back-off is not documented; a fixed wait keeps the local runs reproducible).
fn backoff(settings: &EsmSettings, attempts: u32) -> Duration {
    stream2neptune_aws::Backoff {
        base: settings.retry_backoff,
        cap: settings.retry_backoff_max,
    }
    .ceiling(attempts.saturating_sub(1))
}

fn discard<S>(
    shared: &Shared<S>,
    shard_id: &str,
    batch: &[Arc<StreamRecord>],
    condition: Condition,
    attempts: u32,
    last: &LastInvocation,
    reason: &str,
) -> Result<()> {
    let record = shared.destination.send(
        &shared.function_arn,
        shard_id,
        &shared.source,
        batch,
        condition,
        attempts,
        last,
    )?;
    tracing::warn!(
        shard = shard_id,
        condition = ?condition,
        reason,
        start = %record.kinesis_batch_info.start_sequence_number,
        end = %record.kinesis_batch_info.end_sequence_number,
        size = batch.len(),
        "batch sent to the on-failure destination"
    );
    let users = stream2neptune_writer::deaggregation::user_records(
        batch
            .iter()
            .map(|r| (r.partition_key.as_str(), r.data.as_slice())),
    );
    let edges = users
        .iter()
        .filter_map(|user| match user.decode(usize::MAX, None, |_| Ok(())) {
            Ok(Write::Follows(Operation::UpsertEdge(edge))) => Some((edge.from, edge.to)),
            _ => None,
        });
    shared.metrics.add_on_failure(batch.len() as u64, edges);
    Ok(())
}

/// Invokes the writer once with `batch`, bounded by FunctionTimeout.
async fn invoke<S: GraphStore + Send + Sync + 'static>(
    shared: &Shared<S>,
    shard_id: &str,
    batch: &[Arc<StreamRecord>],
) -> (Outcome, LastInvocation) {
    let timeout = shared.settings.function_timeout;
    let now_ms = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_millis() as u64;
    let invocation = shared
        .metrics
        .invocations
        .load(std::sync::atomic::Ordering::Relaxed);
    let mut context = Context::default();
    context.request_id = format!("local-{shard_id}-{invocation}");
    context.deadline = now_ms + timeout.as_millis() as u64;
    context.invoked_function_arn = shared.function_arn.clone();
    if let Some(last) = batch.last() {
        shared.metrics.set_iterator_age(
            shard_id,
            (now_ms as i64).saturating_sub(last.arrival_ms).max(0) as u64,
        );
    }
    let request_id = context.request_id.clone();
    let event = LambdaEvent::new(kinesis_event(&shared.source, shard_id, batch), context);
    shared.metrics.add_invocation();
    let result =
        tokio::time::timeout(timeout, stream2neptune_writer::handle(&shared.deps, event)).await;
    shared.collect_emf();
    let outcome = match result {
        Err(_) => Outcome::FunctionError(format!(
            "Task timed out after {:.2} seconds",
            timeout.as_secs_f64()
        )),
        Ok(Err(error)) => Outcome::FunctionError(format!("function error: {error}")),
        Ok(Ok(response)) => outcome_of(&response, batch),
    };
    let function_error = matches!(outcome, Outcome::FunctionError(_));
    (
        outcome,
        LastInvocation {
            request_id,
            function_error,
        },
    )
}

/// Reads a partial batch response the way Lambda does: none or an empty list is success; the
/// lowest sequence number listed is where processing resumes; an empty, null or unknown item
/// identifier fails the whole batch.
fn outcome_of(
    response: &aws_lambda_events::streams::KinesisEventResponse,
    batch: &[Arc<StreamRecord>],
) -> Outcome {
    let failures = &response.batch_item_failures;
    if failures.is_empty() {
        return Outcome::Success;
    }
    let ids: Option<Vec<&str>> = failures
        .iter()
        .map(|f| f.item_identifier.as_deref().filter(|id| !id.is_empty()))
        .collect();
    let lowest = ids.and_then(|ids| ids.into_iter().min_by(|a, b| sequence_cmp(a, b)));
    let index = lowest.and_then(|seq| batch.iter().position(|r| r.sequence_number == seq));
    let reason = format!(
        "partial batch response: batchItemFailures {:?}",
        failures
            .iter()
            .map(|f| f.item_identifier.clone())
            .collect::<Vec<_>>()
    );
    Outcome::Partial(index.unwrap_or(0), reason)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lambda_events::streams::KinesisEventResponse;

    fn batch(seqs: &[&str]) -> Vec<Arc<StreamRecord>> {
        seqs.iter()
            .enumerate()
            .map(|(i, s)| {
                Arc::new(StreamRecord {
                    ordinal: i as u64,
                    sequence_number: s.to_string(),
                    partition_key: "k".into(),
                    data: vec![],
                    arrival_ms: 0,
                })
            })
            .collect()
    }

    fn response(ids: &[Option<&str>]) -> KinesisEventResponse {
        let json: Vec<_> = ids
            .iter()
            .map(|id| serde_json::json!({"itemIdentifier": id}))
            .collect();
        serde_json::from_value(serde_json::json!({"batchItemFailures": json})).unwrap()
    }

    #[test]
    fn partial_responses_resume_at_the_lowest_listed_sequence_number() {
        let b = batch(&["100", "200", "300", "1000"]);
        assert_eq!(outcome_of(&response(&[]), &b), Outcome::Success);
        let at = |r| match outcome_of(&r, &b) {
            Outcome::Partial(i, _) => Some(i),
            _ => None,
        };
        assert_eq!(at(response(&[Some("300")])), Some(2));
        assert_eq!(
            at(response(&[Some("1000"), Some("200")])),
            Some(1),
            "lowest, compared as numbers"
        );
        assert_eq!(
            at(response(&[Some("")])),
            Some(0),
            "empty id fails the batch"
        );
        assert_eq!(at(response(&[None])), Some(0), "null id fails the batch");
        assert_eq!(
            at(response(&[Some("999")])),
            Some(0),
            "unknown id fails the batch"
        );
    }

    #[test]
    fn a_partial_response_is_cut_at_the_reported_record_and_never_halved() {
        let mut s = crate::settings::tests::settings();
        s.bisect_on_error = true;
        s.maximum_retry_attempts = Some(2);
        let partial = |i| Outcome::Partial(i, "partial".into());
        // At the first record: the whole batch again, counted as a retry, however long it is.
        assert_eq!(
            next(&partial(0), 100, 0, &s),
            Next::Retry {
                done: 0,
                attempts: 1
            }
        );
        assert_eq!(
            next(&partial(0), 100, 1, &s),
            Next::Retry {
                done: 0,
                attempts: 2
            }
        );
        // The retries exhausted: the rest of the batch is discarded, all 100 records.
        assert_eq!(
            next(&partial(0), 100, 2, &s),
            Next::Discard {
                done: 0,
                attempts: 3
            }
        );
        // Further in: the records before it are done, the rest starts a new count.
        assert_eq!(
            next(&partial(40), 100, 2, &s),
            Next::Retry {
                done: 40,
                attempts: 1
            }
        );
        assert_eq!(next(&Outcome::Success, 100, 2, &s), Next::Done);
        // Retry forever with -1.
        s.maximum_retry_attempts = None;
        assert_eq!(
            next(&partial(0), 100, 10_000, &s),
            Next::Retry {
                done: 0,
                attempts: 10_001
            }
        );
    }

    #[test]
    fn only_a_function_error_is_bisected_and_bisection_is_not_a_retry() {
        let mut s = crate::settings::tests::settings();
        s.maximum_retry_attempts = Some(0);
        let error = Outcome::FunctionError("Task timed out".into());
        s.bisect_on_error = true;
        assert_eq!(next(&error, 2, 0, &s), Next::Bisect);
        assert_eq!(
            next(&error, 1, 0, &s),
            Next::Discard {
                done: 0,
                attempts: 1
            }
        );
        s.bisect_on_error = false;
        s.maximum_retry_attempts = Some(3);
        assert_eq!(
            next(&error, 50, 0, &s),
            Next::Retry {
                done: 0,
                attempts: 1
            }
        );
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let mut s = crate::settings::tests::settings();
        s.retry_backoff = Duration::from_millis(100);
        s.retry_backoff_max = Duration::from_millis(350);
        let got: Vec<u128> = (0..5).map(|a| backoff(&s, a).as_millis()).collect();
        assert_eq!(got, vec![100, 100, 200, 350, 350]);
    }
}
