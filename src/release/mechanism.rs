//! The discrete Gaussian mechanism: integer noise for counts, sampled exactly.
//!
//! # Definition
//! The discrete Gaussian with scale σ puts probability ∝ exp(−x²/(2σ²)) on every integer x. Added
//! to a count whose value one incident can change by at most 1 (sensitivity 1), it gives
//! ρ-zero-concentrated differential privacy with ρ = 1/(2σ²); ρ adds up over every count an
//! incident touches (Bun & Steinke 2016). Integer noise keeps counts integers, and an exact sampler
//! avoids the floating-point pitfalls that break naive samplers (Mironov 2012).
//!
//! # Algorithm
//! Canonne, Kamath & Steinke (2020), algorithms 1-3, with σ² a rational number and only integer
//! arithmetic: Bernoulli(exp(−γ)) by the alternating series, discrete Laplace by a geometric and
//! a uniform draw, and the discrete Gaussian by rejection from the discrete Laplace with
//! t = ⌊σ⌋ + 1.
//!
//! ```
//! use bomiljo::release::mechanism::DiscreteGaussian;
//! use rand::SeedableRng;
//! let noise = DiscreteGaussian::for_rho(0.5); // σ² = 1
//! assert_eq!(noise.sigma2(), 1.0);
//! let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
//! let draws: Vec<i64> = (0..1000).map(|_| noise.sample(&mut rng)).collect();
//! assert!(draws.iter().all(|x| x.abs() < 10));
//! ```
//!
//! # References
//! Canonne, C., Kamath, G. & Steinke, T. (2020), "The Discrete Gaussian for Differential
//! Privacy", *NeurIPS*; Bun, M. & Steinke, T. (2016), "Concentrated Differential Privacy", *TCC*.

use rand::{Rng, RngExt};

/// Denominator σ² is expressed in: σ² is rounded up to a multiple of 1/10,000 (rounding up
/// only adds noise, so the stated ρ still holds).
const SIGMA2_DENOMINATOR: u128 = 10_000;

/// The discrete Gaussian N_ℤ(0, σ²) with σ² = `num / den`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiscreteGaussian {
    num: u128,
    den: u128,
}

impl DiscreteGaussian {
    /// The scale that gives `rho`-zCDP to a sensitivity-1 count: σ² = 1/(2ρ).
    pub fn for_rho(rho: f64) -> DiscreteGaussian {
        assert!(rho > 0.0 && rho.is_finite(), "rho must be positive");
        let sigma2 = 1.0 / (2.0 * rho);
        let num = (sigma2 * SIGMA2_DENOMINATOR as f64).ceil().max(1.0) as u128;
        DiscreteGaussian { num, den: SIGMA2_DENOMINATOR }
    }

    pub fn sigma2(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// The ρ this scale gives a sensitivity-1 count (after rounding σ² up).
    pub fn rho(&self) -> f64 {
        1.0 / (2.0 * self.sigma2())
    }

    /// The half-width h of the central interval holding at least 95 % of the noise, computed
    /// from the exact probabilities: P(|X| ≤ h) ≥ 0.95.
    pub fn half_width_95(&self) -> u64 {
        let sigma2 = self.sigma2();
        let weight = |x: f64| (-x * x / (2.0 * sigma2)).exp();
        let total: f64 = 1.0 + 2.0 * (1..2000).map(|x| weight(f64::from(x))).sum::<f64>();
        let mut inside = 1.0;
        let mut h = 0u64;
        while inside / total < 0.95 {
            h += 1;
            inside += 2.0 * weight(h as f64);
        }
        h
    }

    /// One draw.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> i64 {
        // t = ⌊σ⌋ + 1, with ⌊√(a/b)⌋ = isqrt(⌊a/b⌋).
        let t = (self.num / self.den).isqrt() + 1;
        loop {
            let y = discrete_laplace(rng, t);
            // γ = (|y| − σ²/t)² / (2σ²) = (|y|·den·t − num)² / (2·num·den·t²).
            let diff = i128::try_from(u128::from(y.unsigned_abs()) * self.den * t).unwrap_or(i128::MAX) - self.num as i128;
            let gamma_num = diff.unsigned_abs().saturating_mul(diff.unsigned_abs());
            let gamma_den = 2 * self.num * self.den * t * t;
            if bernoulli_exp_neg(rng, gamma_num, gamma_den) {
                return y;
            }
        }
    }
}

/// Bernoulli(n/d).
fn bernoulli<R: Rng + ?Sized>(rng: &mut R, n: u128, d: u128) -> bool {
    rng.random_range(0..d) < n
}

/// Bernoulli(exp(−n/d)) for any n/d ≥ 0 (CKS algorithm 1).
fn bernoulli_exp_neg<R: Rng + ?Sized>(rng: &mut R, n: u128, d: u128) -> bool {
    for _ in 0..n / d {
        if !bernoulli_exp_neg_unit(rng, 1, 1) {
            return false;
        }
    }
    bernoulli_exp_neg_unit(rng, n % d, d)
}

/// Bernoulli(exp(−γ)) for γ = n/d in [0, 1]: the first k with Bernoulli(γ/k) = 0 is odd with
/// probability exp(−γ).
fn bernoulli_exp_neg_unit<R: Rng + ?Sized>(rng: &mut R, n: u128, d: u128) -> bool {
    let mut k: u128 = 1;
    while bernoulli(rng, n, d * k) {
        k += 1;
    }
    k % 2 == 1
}

/// The discrete Laplace with scale t: P(x) ∝ exp(−|x|/t) (CKS algorithm 2 with s = 1).
fn discrete_laplace<R: Rng + ?Sized>(rng: &mut R, t: u128) -> i64 {
    loop {
        let u = rng.random_range(0..t);
        if !bernoulli_exp_neg(rng, u, t) {
            continue;
        }
        let mut v: u128 = 0;
        while bernoulli_exp_neg(rng, 1, 1) {
            v += 1;
        }
        let magnitude = i64::try_from(u + t * v).unwrap_or(i64::MAX);
        let negative = rng.random_bool(0.5);
        if negative && magnitude == 0 {
            continue;
        }
        return if negative { -magnitude } else { magnitude };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use std::collections::BTreeMap;

    /// Pearson's χ² of observed counts against probabilities ∝ `weight`, over |x| ≤ `reach`
    /// (with the tails pooled), and the degrees of freedom.
    fn chi_square(draws: &[i64], reach: i64, weight: impl Fn(i64) -> f64) -> (f64, usize) {
        let total_weight: f64 = (-10 * reach..=10 * reach).map(&weight).sum();
        let mut observed: BTreeMap<i64, f64> = BTreeMap::new();
        for &x in draws {
            *observed.entry(x.clamp(-reach - 1, reach + 1)).or_default() += 1.0;
        }
        let n = draws.len() as f64;
        let mut chi2 = 0.0;
        let mut bins = 0;
        for x in -reach - 1..=reach + 1 {
            let p = if x.abs() <= reach { weight(x) / total_weight } else { (reach + 1..=10 * reach).map(&weight).sum::<f64>() / total_weight };
            let expected = n * p;
            let seen = observed.get(&x).copied().unwrap_or(0.0);
            chi2 += (seen - expected).powi(2) / expected;
            bins += 1;
        }
        (chi2, bins - 1)
    }

    #[test]
    fn discrete_gaussian_matches_its_probabilities() {
        for sigma2 in [0.5, 2.0, 7.3] {
            let noise = DiscreteGaussian::for_rho(1.0 / (2.0 * sigma2));
            let mut rng = ChaCha20Rng::seed_from_u64(42);
            let draws: Vec<i64> = (0..100_000).map(|_| noise.sample(&mut rng)).collect();
            let reach = (3.0 * sigma2.sqrt()).ceil() as i64;
            let (chi2, df) = chi_square(&draws, reach, |x| (-(x * x) as f64 / (2.0 * noise.sigma2())).exp());
            // The 99.9 % point of χ² is below df + 4.5·√(2·df) + 10 for these df.
            assert!(chi2 < df as f64 + 4.5 * (2.0 * df as f64).sqrt() + 10.0, "σ²={sigma2}: χ²={chi2:.1} on {df} df");
            let mean = draws.iter().sum::<i64>() as f64 / draws.len() as f64;
            let var = draws.iter().map(|x| (*x as f64 - mean).powi(2)).sum::<f64>() / draws.len() as f64;
            assert!(mean.abs() < 0.05 && (var / noise.sigma2() - 1.0).abs() < 0.05, "σ²={sigma2}: mean {mean}, var {var}");
        }
    }

    #[test]
    fn the_test_rejects_a_wrong_distribution() {
        // The same check against draws of a discrete Laplace (heavier tails) must fail.
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let draws: Vec<i64> = (0..100_000).map(|_| discrete_laplace(&mut rng, 2)).collect();
        let (chi2, df) = chi_square(&draws, 5, |x| (-(x * x) as f64 / 4.0).exp());
        assert!(chi2 > df as f64 + 4.5 * (2.0 * df as f64).sqrt() + 10.0);
    }

    #[test]
    fn discrete_laplace_matches_its_probabilities() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let draws: Vec<i64> = (0..100_000).map(|_| discrete_laplace(&mut rng, 3)).collect();
        let (chi2, df) = chi_square(&draws, 9, |x| (-(x.abs() as f64) / 3.0).exp());
        assert!(chi2 < df as f64 + 4.5 * (2.0 * df as f64).sqrt() + 10.0, "χ²={chi2:.1} on {df} df");
    }

    #[test]
    fn bernoulli_exp_neg_has_the_right_rate() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        for (n, d) in [(1u128, 3u128), (5, 2), (0, 1)] {
            let hits = (0..200_000).filter(|_| bernoulli_exp_neg(&mut rng, n, d)).count() as f64 / 200_000.0;
            let want = (-(n as f64) / d as f64).exp();
            assert!((hits - want).abs() < 0.004, "exp(-{n}/{d}): {hits} vs {want}");
        }
    }

    #[test]
    fn half_width_covers_95_percent() {
        // σ² = 1: P(|X| ≤ 1) ≈ 0.79, P(|X| ≤ 2) ≈ 0.96 (from the exact probabilities).
        assert_eq!(DiscreteGaussian::for_rho(0.5).half_width_95(), 2);
        let noise = DiscreteGaussian::for_rho(0.05); // σ² = 10
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let h = noise.half_width_95() as i64;
        let inside = (0..50_000).filter(|_| noise.sample(&mut rng).abs() <= h).count() as f64 / 50_000.0;
        assert!((0.95..0.975).contains(&inside), "{inside}");
    }
}
