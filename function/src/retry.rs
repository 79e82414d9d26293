//! Exponential back-off with jitter, bounded by an attempt count and the invocation deadline: full jitter in
//! general, and for a transaction conflict a first pause of about 100 ms that never falls near zero, as
//! Neptune's "Exception Handling and Retries" suggests for ConcurrentModificationException on short queries.

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

/// Ceiling of the first pause after a transaction conflict (Neptune's suggested start for occasional
/// ConcurrentModificationException on short queries, "Exception Handling and Retries").
pub const CONFLICT_FIRST_PAUSE: Duration = Duration::from_millis(100);

impl RetryPolicy {
    /// The wait after a transaction conflict: equal jitter, a uniform delay in `[c/2, c)` where
    /// `c = min(max(max_delay, b), b * 2^retry)` and `b = max(base_delay, CONFLICT_FIRST_PAUSE)`. The other
    /// transaction holds the same element now: a retry drawn near zero, as full jitter may draw, meets it
    /// again.
    pub fn conflict_backoff(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let base = self.base_delay.max(CONFLICT_FIRST_PAUSE);
        let ceiling = Backoff {
            base,
            cap: self.max_delay.max(base),
        }
        .ceiling(retry);
        let half = ceiling / 2;
        half + Backoff {
            base: ceiling - half,
            cap: ceiling - half,
        }
        .delay(0, rng)
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
    let mut retry = 0;
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
        ) || retry + 1 >= policy.max_attempts
        {
            return Err(err);
        }
        let delay = if err.is_conflict() {
            policy.conflict_backoff(retry, &mut rand::rng())
        } else {
            policy.backoff(retry, &mut rand::rng())
        };
        if deadline.remaining() < delay + MIN_ATTEMPT_TIME {
            return Err(err);
        }
        tracing::warn!(error = %err, retry = retry + 1, delay_ms = delay.as_millis() as u64, "write failed, retrying");
        on_retry(&err);
        tokio::time::sleep(delay).await;
        retry += 1;
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
            request_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn backoff_is_bounded_by_the_exponential_ceiling() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(100),
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
    fn a_conflict_waits_about_100_ms_first_never_near_zero_doubling_to_the_cap() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(1_000),
            request_timeout: Duration::from_secs(1),
        };
        let mut rng = rand::rng();
        for (retry, low, high) in [
            (0, 50, 100),
            (1, 100, 200),
            (2, 200, 400),
            (3, 400, 800),
            (4, 500, 1_000),
            (30, 500, 1_000),
        ] {
            for _ in 0..50 {
                let delay = p.conflict_backoff(retry, &mut rng);
                assert!(
                    delay >= Duration::from_millis(low) && delay < Duration::from_millis(high),
                    "retry {retry}: {delay:?}"
                );
            }
        }
        // A larger RETRY_BASE_DELAY_MS is kept.
        let slow = RetryPolicy {
            base_delay: Duration::from_millis(300),
            ..p
        };
        assert!(slow.conflict_backoff(0, &mut rng) >= Duration::from_millis(150));
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
                async move {
                    if n < 3 {
                        Err(StoreError::from_response(
                            500,
                            r#"{"code":"ConcurrentModificationException"}"#,
                        ))
                    } else {
                        Ok(())
                    }
                }
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
