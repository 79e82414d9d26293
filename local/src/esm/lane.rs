//! One ordered lane of a shard: forms batches, invokes the writer, and applies Lambda's error
//! handling: partial batch responses, bisection, retries with back-off, record age, on-failure.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use lambda_runtime::{Context, LambdaEvent};
use tokio::sync::{mpsc, watch};
use writer::GraphStore;

use super::Shared;
use super::checkpoint::Tracker;
use super::destination::Condition;
use super::event::{StreamRecord, kinesis_event, sequence_cmp};
use crate::error::Result;

type Batch = Vec<Arc<StreamRecord>>;

/// A batch waiting to be (re)invoked.
struct Pending {
    records: Batch,
    /// Failed invocations of this batch's first record so far.
    attempts: u32,
    /// The last failure, for the on-failure record.
    last_error: String,
}

/// What one invocation answered.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// Every record written or rejected.
    Success,
    /// Records before this index are done; retry from it (index 0: the whole batch failed).
    FailedFrom(usize, String),
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
                Pending {
                    records: batch,
                    attempts: 0,
                    last_error: String::new(),
                }
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
                    &reason,
                )?;
                handled(&discarded)?;
                if pending.records.is_empty() {
                    continue;
                }
            }
        }

        let outcome = tokio::select! {
            outcome = invoke(&shared, &shard_id, &pending.records) => outcome,
            _ = stop.wait_for(|s| *s) => return Ok(()),
        };
        match outcome {
            Outcome::Success => handled(&pending.records)?,
            Outcome::FailedFrom(index, error) => {
                let done: Batch = pending.records.drain(..index).collect();
                handled(&done)?;
                shared.metrics.add_batch_retry();
                pending.last_error = error;
                if index > 0 {
                    // Progress: the batch is cut at the returned sequence number and retried from it.
                    pending.attempts = 0;
                } else if settings.bisect_on_error && pending.records.len() > 1 {
                    // Bisection does not count as a retry.
                    let second = pending.records.split_off(pending.records.len() / 2);
                    retry.push(Pending {
                        records: second,
                        attempts: pending.attempts,
                        last_error: pending.last_error.clone(),
                    });
                    retry.push(pending);
                    continue;
                } else {
                    pending.attempts += 1;
                    if settings
                        .maximum_retry_attempts
                        .is_some_and(|max| pending.attempts > max)
                    {
                        let reason = pending.last_error.clone();
                        discard(
                            &shared,
                            &shard_id,
                            &pending.records,
                            Condition::RetryAttemptsExhausted,
                            pending.attempts,
                            &reason,
                        )?;
                        handled(&pending.records)?;
                        continue;
                    }
                }
                let backoff = backoff(&settings, pending.attempts);
                retry.push(pending);
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = stop.wait_for(|s| *s) => return Ok(()),
                }
            }
        }
    }
}

/// Doubling back-off from `retry_backoff`, capped at `retry_backoff_max`.
fn backoff(settings: &crate::settings::EsmSettings, attempts: u32) -> Duration {
    let factor = 1u32 << attempts.saturating_sub(1).min(16);
    settings
        .retry_backoff
        .saturating_mul(factor)
        .min(settings.retry_backoff_max)
}

fn discard<S>(
    shared: &Shared<S>,
    shard_id: &str,
    batch: &[Arc<StreamRecord>],
    condition: Condition,
    attempts: u32,
    reason: &str,
) -> Result<()> {
    let record = shared.destination.send(
        shard_id,
        &shared.source.stream_arn,
        batch,
        condition,
        attempts,
        reason,
    )?;
    tracing::warn!(
        shard = shard_id,
        condition = ?condition,
        start = %record.kinesis_batch_info.start_sequence_number,
        end = %record.kinesis_batch_info.end_sequence_number,
        size = batch.len(),
        "batch sent to the on-failure destination"
    );
    shared.metrics.add_on_failure(batch.len() as u64);
    Ok(())
}

/// Invokes the writer once with `batch`, bounded by FunctionTimeout.
async fn invoke<S: GraphStore + Send + Sync + 'static>(
    shared: &Shared<S>,
    shard_id: &str,
    batch: &[Arc<StreamRecord>],
) -> Outcome {
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
    let event = LambdaEvent::new(kinesis_event(&shared.source, shard_id, batch), context);
    shared.metrics.add_invocation();
    let result = tokio::time::timeout(timeout, writer::handle(&shared.deps, event)).await;
    shared.collect_emf();
    match result {
        Err(_) => Outcome::FailedFrom(
            0,
            format!("Task timed out after {:.2} seconds", timeout.as_secs_f64()),
        ),
        Ok(Err(error)) => Outcome::FailedFrom(0, format!("function error: {error}")),
        Ok(Ok(response)) => outcome_of(&response, batch),
    }
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
    Outcome::FailedFrom(index.unwrap_or(0), reason)
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
            Outcome::FailedFrom(i, _) => Some(i),
            Outcome::Success => None,
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
    fn backoff_doubles_up_to_the_cap() {
        let mut s = crate::settings::tests::settings();
        s.retry_backoff = Duration::from_millis(100);
        s.retry_backoff_max = Duration::from_millis(350);
        let got: Vec<u128> = (0..5).map(|a| backoff(&s, a).as_millis()).collect();
        assert_eq!(got, vec![100, 100, 200, 350, 350]);
    }
}
