//! Exact tests for Poisson counts.
//!
//! # Algorithm
//! Two counts `a ~ Poisson(λ₁·t₁)` and `b ~ Poisson(λ₂·t₂)`: conditional on `n = a + b`,
//! `b ~ Binomial(n, t₂/(t₁ + t₂))` when λ₁ = λ₂. The two-sided p-value sums the probabilities of
//! every outcome no more likely than the one observed (the method of R's `binom.test`).
//!
//! # References
//! Przyborowski & Wilenski (1940); Fay, M. P. (2010), "Two-sided exact tests and matching
//! confidence intervals for discrete data", *R Journal* 2(1).

use statrs::distribution::{Binomial, Discrete};

/// Two-sided exact p-value that `previous` and `current` counts share one rate, with equal
/// exposure (same area and population, one year each).
///
/// ```
/// use bomiljo::analysis::poisson::rate_change_p;
/// // 10 → 10: no evidence of change.
/// assert!((rate_change_p(10, 10) - 1.0).abs() < 1e-12);
/// // 0 → 6: 2 · 0.5⁶ = 0.03125.
/// assert!((rate_change_p(0, 6) - 0.03125).abs() < 1e-12);
/// ```
pub fn rate_change_p(previous: u64, current: u64) -> f64 {
    let n = previous + current;
    if n == 0 {
        return 1.0;
    }
    let binomial = Binomial::new(0.5, n).expect("p = 0.5 is a valid probability");
    let observed = binomial.pmf(current);
    // A relative tolerance, as binom.test uses, so ties of equal probability count.
    let threshold = observed * (1.0 + 1e-7);
    let p: f64 = (0..=n).map(|k| binomial.pmf(k)).filter(|&pk| pk <= threshold).sum();
    p.min(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_binomial_test_by_hand() {
        // 3 → 9, n = 12: P(X ≥ 9) = (220 + 66 + 12 + 1)/4096, doubled by symmetry.
        let expected = 2.0 * (220.0 + 66.0 + 12.0 + 1.0) / 4096.0;
        assert!((rate_change_p(3, 9) - expected).abs() < 1e-12);
        assert!((rate_change_p(9, 3) - expected).abs() < 1e-12);
    }
}
