//! The data sets' random sampling: uniform integers and floats from ChaCha8 through our own bounded sampling (the
//! same seed gives the same data with any `rand` release), and Zipf-distributed ranks.

use rand::RngCore;
use rand_chacha::ChaCha8Rng;

/// A uniform integer in `0..n` (Lemire's multiply-shift; the bias is below 2^-32 for our n).
pub(crate) fn below(rng: &mut ChaCha8Rng, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// A uniform float in `[0, 1)`.
pub(crate) fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// A popularity rank drawn from the cumulative weights `cdf` (one uniform draw: the binary search calls its
/// predicate several times, and a draw per call would not follow the weights).
pub(crate) fn zipf_rank(cdf: &[f64], rng: &mut ChaCha8Rng) -> usize {
    let draw = unit(rng) * cdf[cdf.len() - 1];
    cdf.partition_point(|&c| c <= draw).min(cdf.len() - 1)
}

/// Cumulative Zipf weights over popularity ranks 0..n.
pub(crate) fn zipf_cdf(n: u32, exponent: f64) -> Vec<f64> {
    let mut total = 0.0;
    (1..=n)
        .map(|rank| {
            total += f64::from(rank).powf(-exponent);
            total
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn zipf_ranks_follow_their_weights() {
        // Exponent 1 over 10 ranks: rank r is drawn with probability (1 / (r + 1)) / H(10), H(10) = 2.929.
        let cdf = zipf_cdf(10, 1.0);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut counts = [0u32; 10];
        let draws = 100_000;
        for _ in 0..draws {
            counts[zipf_rank(&cdf, &mut rng)] += 1;
        }
        for (rank, count) in counts.iter().enumerate() {
            let expected = f64::from(draws) / (rank as f64 + 1.0) / 2.928_968;
            let off = (f64::from(*count) - expected).abs() / expected;
            assert!(
                off < 0.05,
                "rank {rank}: {count} draws, expected {expected:.0}"
            );
        }
    }
}
