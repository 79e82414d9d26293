//! Exponential back-off with full jitter.
//!
//! One convention for every caller: `retry` counts the retries already waited for, so the wait
//! before the first retry is `delay(0)`, drawn below `base`; each retry doubles the ceiling, up to
//! `cap`. A caller that counts failures instead passes `failures - 1`.

use std::time::Duration;

use rand::Rng;

/// Full-jitter back-off: a uniform delay in `[0, min(cap, base * 2^retry))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Ceiling of the wait before the first retry.
    pub base: Duration,
    /// Largest ceiling.
    pub cap: Duration,
}

impl Backoff {
    /// The ceiling of the wait before retry number `retry + 1`: `min(cap, base * 2^retry)`.
    pub fn ceiling(&self, retry: u32) -> Duration {
        self.base
            .saturating_mul(1u32.checked_shl(retry.min(31)).unwrap_or(u32::MAX))
            .min(self.cap)
    }

    /// A uniform random wait below [`Backoff::ceiling`] (zero when the ceiling is below 1 µs).
    pub fn delay(&self, retry: u32, rng: &mut impl Rng) -> Duration {
        let ceiling = self.ceiling(retry).as_micros() as u64;
        if ceiling == 0 {
            return Duration::ZERO;
        }
        Duration::from_micros(rng.random_range(0..ceiling))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ceiling_doubles_per_retry_up_to_the_cap() {
        let b = Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(100),
        };
        let got: Vec<u128> = (0..6).map(|r| b.ceiling(r).as_millis()).collect();
        assert_eq!(got, [10, 20, 40, 80, 100, 100]);
        assert_eq!(b.ceiling(u32::MAX), Duration::from_millis(100));
    }

    #[test]
    fn delays_stay_below_the_ceiling_and_spread_over_it() {
        let b = Backoff {
            base: Duration::from_millis(10),
            cap: Duration::from_millis(100),
        };
        let mut rng = rand::rng();
        for retry in 0..40 {
            for _ in 0..50 {
                assert!(b.delay(retry, &mut rng) < b.ceiling(retry));
            }
        }
        // Full jitter spreads over the whole range, not just near the ceiling.
        let small = (0..200)
            .filter(|_| b.delay(5, &mut rng) < Duration::from_millis(50))
            .count();
        assert!(small > 20, "{small}");
        let large = (0..200)
            .filter(|_| b.delay(5, &mut rng) > Duration::from_millis(50))
            .count();
        assert!(large > 20, "{large}");
    }

    #[test]
    fn a_zero_base_never_waits() {
        let b = Backoff {
            base: Duration::ZERO,
            cap: Duration::ZERO,
        };
        assert_eq!(b.delay(3, &mut rand::rng()), Duration::ZERO);
    }
}
