//! Exponential back-off with jitter, bounded by an attempt count and the invocation deadline: full jitter in
//! general, and for a transaction conflict a schedule of its own that starts at a few milliseconds, never falls
//! near zero and doubles with each conflict of the same write (the engine that answered the conflict has already
//! waited for the lock or found the deadlock; a conflict that repeats is a hot element, and the pause grows
//! towards the ~100 ms Neptune's "Exception Handling and Retries" suggests for ConcurrentModificationException).

use std::future::Future;
use std::time::{Duration, Instant, SystemTime};

use rand::Rng;
use stream2neptune_aws::Backoff;

use crate::error::{Disposition, StoreError};

/// 2001-09-09T01:46:40Z in ms: no real Lambda deadline is earlier.
pub const EPOCH_MS_FLOOR: u64 = 1_000_000_000_000;

/// When the invocation must stop writing (Lambda's deadline minus a margin to answer).
#[derive(Debug, Clone, Copy)]
pub struct Deadline(Option<Instant>);

impl Deadline {
    /// No deadline (only the attempt count bounds retries).
    pub const NONE: Deadline = Deadline(None);

    /// From `Context.deadline` (ms since the epoch); 0, as in `Context::default()`, means none.
    /// A value below [`EPOCH_MS_FLOOR`] is read as a duration from now: cargo lambda's runtime
    /// emulator sends the function timeout (e.g. 600000) instead of an absolute deadline.
    pub fn from_epoch_ms(deadline_ms: u64, margin: Duration) -> Self {
        if deadline_ms == 0 {
            return Deadline::NONE;
        }
        let left = if deadline_ms < EPOCH_MS_FLOOR {
            Duration::from_millis(deadline_ms)
        } else {
            let deadline = SystemTime::UNIX_EPOCH + Duration::from_millis(deadline_ms);
            deadline
                .duration_since(SystemTime::now())
                .unwrap_or_default()
        };
        Deadline(Some(Instant::now() + left.saturating_sub(margin)))
    }

    /// A deadline `left` from now.
    pub fn after(left: Duration) -> Self {
        Deadline(Some(Instant::now() + left))
    }

    /// Time left; `Duration::MAX` without a deadline.
    pub fn remaining(&self) -> Duration {
        match self.0 {
            None => Duration::MAX,
            Some(at) => at.saturating_duration_since(Instant::now()),
        }
    }
}

/// Back-off parameters.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Attempts per request, the first one included.
    pub max_attempts: u32,
    /// Ceiling of the first back-off; doubles per retry.
    pub base_delay: Duration,
    /// Largest ceiling.
    pub max_delay: Duration,
    /// Ceiling of the first pause after a transaction conflict; doubles per conflict of the same write.
    pub conflict_delay: Duration,
    /// Timeout of one attempt (shortened to the time left before the deadline).
    pub request_timeout: Duration,
}

impl RetryPolicy {
    /// Full jitter: a uniform delay below min(max_delay, base_delay * 2^retry), `retry` counting
    /// from 0 ([`Backoff`]).
    pub fn backoff(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        Backoff {
            base: self.base_delay,
            cap: self.max_delay,
        }
        .delay(retry, rng)
    }
}

impl RetryPolicy {
    /// The wait after conflict number `conflicts + 1` of one write: equal jitter, a uniform delay in `[c/2, c)`
    /// where `c = min(max(max_delay, d), d * 2^conflicts)` and `d = conflict_delay`. The other transaction holds
    /// the same element now: a retry drawn near zero, as full jitter may draw, meets it again.
    pub fn conflict_backoff(&self, conflicts: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = Backoff {
            base: self.conflict_delay,
            cap: self.max_delay.max(self.conflict_delay),
        }
        .ceiling(conflicts);
        let half = ceiling / 2;
        half + Backoff {
            base: ceiling - half,
            cap: ceiling - half,
        }
        .delay(0, rng)
    }
}

/// The retries of one request so far: the pause before the next attempt depends on them.
#[derive(Debug, Default)]
struct Pauses {
    /// Retries so far, whatever their cause.
    retries: u32,
    /// Transaction conflicts among them.
    conflicts: u32,
}

impl Pauses {
    /// The pause before retrying after `err`, which it counts: a conflict's from the conflicts so far
    /// ([`RetryPolicy::conflict_backoff`]), any other error's from all retries so far ([`RetryPolicy::backoff`]).
    fn next(&mut self, policy: &RetryPolicy, err: &StoreError, rng: &mut impl Rng) -> Duration {
        let delay = if err.is_conflict() {
            self.conflicts += 1;
            policy.conflict_backoff(self.conflicts - 1, rng)
        } else {
            policy.backoff(self.retries, rng)
        };
        self.retries += 1;
        delay
    }
}

// Below this, an attempt is not worth starting: it would time out before Neptune answers.
const MIN_ATTEMPT_TIME: Duration = Duration::from_millis(50);

/// Runs `attempt(timeout)` until it succeeds, fails for good, runs out of attempts or of time.
/// `rule` classifies each error ([`StoreError::disposition`], or
/// [`StoreError::disposition_alone`] for a one-record write); only [`Disposition::Retry`],
/// [`Disposition::RetryThenRefuse`] and [`Disposition::Reconnect`] are retried. `on_retry` is called before each back-off with the
/// error that caused it (to count it and, for [`Disposition::Reconnect`], to drop pooled
/// connections).
pub async fn with_retries<F, Fut>(
    policy: &RetryPolicy,
    deadline: Deadline,
    mut rule: impl FnMut(&StoreError) -> Disposition,
    mut attempt: F,
    mut on_retry: impl FnMut(&StoreError),
) -> Result<(), StoreError>
where
    F: FnMut(Duration) -> Fut,
    Fut: Future<Output = Result<(), StoreError>>,
{
    let mut pauses = Pauses::default();
    loop {
        let timeout = policy.request_timeout.min(deadline.remaining());
        if timeout < MIN_ATTEMPT_TIME {
            return Err(StoreError::Timeout(
                "no time left before the invocation deadline".into(),
            ));
        }
        let err = match attempt(timeout).await {
            Ok(()) => return Ok(()),
            Err(err) => err,
        };
        let disposition = rule(&err);
        if !matches!(
            disposition,
            Disposition::Retry | Disposition::Reconnect | Disposition::RetryThenRefuse
        ) || pauses.retries + 1 >= policy.max_attempts
        {
            return Err(err);
        }
        let conflict = err.is_conflict();
        let delay = pauses.next(policy, &err, &mut rand::rng());
        if deadline.remaining() < delay + MIN_ATTEMPT_TIME {
            return Err(err);
        }
        tracing::warn!(error = %err, conflict, retry = pauses.retries, delay_ms = delay.as_micros() as f64 / 1e3, "write failed, retrying");
        on_retry(&err);
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    fn policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(4),
            conflict_delay: Duration::from_millis(1),
            request_timeout: Duration::from_secs(1),
        }
    }

    /// The writer's defaults (RETRY_BASE_DELAY_MS, RETRY_MAX_DELAY_MS, RETRY_CONFLICT_DELAY_MS).
    fn defaults() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(5_000),
            conflict_delay: Duration::from_millis(5),
            request_timeout: Duration::from_secs(30),
        }
    }

    fn conflict() -> StoreError {
        StoreError::from_response(500, r#"{"code":"ConcurrentModificationException"}"#)
    }

    /// Asserts that 50 draws of `delay` all fall in `[low, high)` ms.
    fn draws_within(what: &str, low: f64, high: f64, mut delay: impl FnMut() -> Duration) {
        for _ in 0..50 {
            let ms = delay().as_secs_f64() * 1e3;
            assert!(
                ms >= low && ms < high,
                "{what}: {ms} ms not in [{low}, {high})"
            );
        }
    }

    #[test]
    fn backoff_is_bounded_by_the_exponential_ceiling() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
            conflict_delay: Duration::from_millis(5),
            request_timeout: Duration::from_secs(1),
        };
        let mut rng = rand::rng();
        for retry in 0..40 {
            let ceiling = Duration::from_millis((10u64 << retry.min(20)).min(100));
            for _ in 0..50 {
                assert!(p.backoff(retry, &mut rng) <= ceiling);
            }
        }
        // Full jitter spreads over the whole range, not just near the ceiling.
        let small = (0..200)
            .filter(|_| p.backoff(5, &mut rng) < Duration::from_millis(50))
            .count();
        assert!(small > 20, "{small}");
    }

    #[test]
    fn a_conflict_pauses_a_few_ms_first_never_near_zero_doubling_per_conflict_to_the_cap() {
        let p = defaults();
        let mut rng = rand::rng();
        for (conflicts, low, high) in [
            (0, 2.5, 5.0),
            (1, 5.0, 10.0),
            (2, 10.0, 20.0),
            (3, 20.0, 40.0),
            (4, 40.0, 80.0),
            (5, 80.0, 160.0),
            (10, 2_500.0, 5_000.0),
            (40, 2_500.0, 5_000.0),
        ] {
            draws_within(&format!("conflict {}", conflicts + 1), low, high, || {
                p.conflict_backoff(conflicts, &mut rng)
            });
        }
    }

    #[test]
    fn the_conflict_pause_is_its_own_setting() {
        let mut rng = rand::rng();
        // RETRY_CONFLICT_DELAY_MS=100 is the schedule before it was a setting (Neptune's ~100 ms start).
        let neptune_start = RetryPolicy {
            conflict_delay: Duration::from_millis(100),
            ..defaults()
        };
        for (conflicts, low, high) in [(0, 50.0, 100.0), (1, 100.0, 200.0), (2, 200.0, 400.0)] {
            draws_within("100 ms start", low, high, || {
                neptune_start.conflict_backoff(conflicts, &mut rng)
            });
        }
        // RETRY_BASE_DELAY_MS does not move it; a first pause above RETRY_MAX_DELAY_MS is kept, not cut.
        let other = RetryPolicy {
            base_delay: Duration::from_millis(1_000),
            max_delay: Duration::from_millis(2),
            conflict_delay: Duration::from_millis(8),
            ..defaults()
        };
        for conflicts in [0, 1, 7] {
            draws_within("above the cap", 4.0, 8.0, || {
                other.conflict_backoff(conflicts, &mut rng)
            });
        }
    }

    #[test]
    fn a_conflict_pause_grows_with_the_conflicts_of_the_write_not_with_its_other_retries() {
        let p = defaults();
        let mut rng = rand::rng();
        let mut pauses = Pauses::default();
        let timeout = StoreError::Timeout("slow".into());
        // Two timeouts first.
        pauses.next(&p, &timeout, &mut rng);
        pauses.next(&p, &timeout, &mut rng);
        // The first conflict after them still starts at the conflict schedule's start.
        let first = pauses.next(&p, &conflict(), &mut rng).as_secs_f64() * 1e3;
        assert!((2.5..5.0).contains(&first), "{first} ms");
        let second = pauses.next(&p, &conflict(), &mut rng).as_secs_f64() * 1e3;
        assert!((5.0..10.0).contains(&second), "{second} ms");
        // A timeout after them takes the ceiling of the fifth retry (50 ms * 2^4).
        let fifth = pauses.next(&p, &timeout, &mut rng);
        assert!(fifth < Duration::from_millis(800), "{fifth:?}");
        let third = pauses.next(&p, &conflict(), &mut rng).as_secs_f64() * 1e3;
        assert!((10.0..20.0).contains(&third), "{third} ms");
        assert_eq!((pauses.retries, pauses.conflicts), (6, 3));
    }

    #[tokio::test]
    async fn retries_transient_errors_then_succeeds() {
        let calls = Cell::new(0);
        let retries = Cell::new(0);
        let result = with_retries(
            &policy(5),
            Deadline::NONE,
            StoreError::disposition,
            |_| {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move { if n < 3 { Err(conflict()) } else { Ok(()) } }
            },
            |_| retries.set(retries.get() + 1),
        )
        .await;
        assert!(result.is_ok());
        assert_eq!((calls.get(), retries.get()), (3, 2));
    }

    #[tokio::test]
    async fn permanent_errors_are_not_retried() {
        let calls = Cell::new(0);
        let result = with_retries(
            &policy(5),
            Deadline::NONE,
            StoreError::disposition,
            |_| {
                calls.set(calls.get() + 1);
                async {
                    Err(StoreError::from_response(
                        400,
                        r#"{"code":"MalformedQueryException"}"#,
                    ))
                }
            },
            |_| {},
        )
        .await;
        assert!(result.is_err());
        assert_eq!(calls.get(), 1);
    }

    #[tokio::test]
    async fn the_rule_decides_whether_a_size_failure_is_retried() {
        let memory =
            || StoreError::from_response(500, r#"{"code":"MemoryLimitExceededException"}"#);
        // A multi-record write is not resent whole: the caller halves it.
        let calls = Cell::new(0);
        let _ = with_retries(
            &policy(5),
            Deadline::NONE,
            StoreError::disposition,
            |_| {
                calls.set(calls.get() + 1);
                async { Err(memory()) }
            },
            |_| {},
        )
        .await;
        assert_eq!(calls.get(), 1);
        // One record cannot shrink: the same limit is retried as transient.
        let calls = Cell::new(0);
        let _ = with_retries(
            &policy(5),
            Deadline::NONE,
            StoreError::disposition_alone,
            |_| {
                calls.set(calls.get() + 1);
                async { Err(memory()) }
            },
            |_| {},
        )
        .await;
        assert_eq!(calls.get(), 5);
    }

    #[tokio::test]
    async fn attempts_and_deadline_bound_the_retries() {
        let calls = Cell::new(0);
        let err = with_retries(
            &policy(4),
            Deadline::NONE,
            StoreError::disposition,
            |_| {
                calls.set(calls.get() + 1);
                async { Err(StoreError::Connect("refused".into())) }
            },
            |_| {},
        )
        .await
        .unwrap_err();
        assert_eq!(calls.get(), 4);
        assert!(matches!(err, StoreError::Connect(_)));

        let calls = Cell::new(0);
        let started = Instant::now();
        let slow = RetryPolicy {
            base_delay: Duration::from_millis(40),
            max_delay: Duration::from_millis(40),
            ..policy(1000)
        };
        let _ = with_retries(
            &slow,
            Deadline::after(Duration::from_millis(300)),
            StoreError::disposition,
            |_| {
                calls.set(calls.get() + 1);
                async { Err(StoreError::Connect("refused".into())) }
            },
            |_| {},
        )
        .await
        .unwrap_err();
        assert!(
            started.elapsed() < Duration::from_millis(600),
            "{:?}",
            started.elapsed()
        );
        assert!(calls.get() < 1000);
    }

    #[test]
    fn context_deadline_zero_means_none() {
        assert_eq!(
            Deadline::from_epoch_ms(0, Duration::from_secs(1)).remaining(),
            Duration::MAX
        );
        let now_ms = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let d = Deadline::from_epoch_ms(now_ms + 10_000, Duration::from_secs(1));
        assert!(d.remaining() <= Duration::from_secs(9) && d.remaining() > Duration::from_secs(8));
        let emulator = Deadline::from_epoch_ms(600_000, Duration::from_secs(1));
        assert!(
            emulator.remaining() <= Duration::from_secs(599)
                && emulator.remaining() > Duration::from_secs(598)
        );
    }
}
