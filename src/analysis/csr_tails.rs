//! Tail probabilities of a neighbourhood's incident sum under complete spatial randomness.
//!
//! # Model
//! Without a spatial pattern, incidents fall at one rate over the study area: each cell's count is
//! Poisson with the study's mean λ, independently, so the sum over a neighbourhood of w cells is
//! Poisson(wλ). A released figure adds noise of known variance v per cell (the discrete Gaussian
//! of the release, combined over its units and years), so the released sum is Poisson(wλ) plus
//! noise of variance wv, taken as normal (a sum of many independent noise terms).
//!
//! # Algorithm
//! Without noise, the tails are the Poisson distribution's own. With noise,
//! P(S ≥ s) = Σₖ P(K = k) · P(N ≥ s − k), summed over k within 12 standard deviations of wλ. The
//! Poisson probabilities of each w are computed once. Two-sided p-values are twice the smaller
//! tail, at most 1.
//!
//! ```
//! use bomiljo::analysis::csr_tails::CsrTails;
//! // Mean 0.5 a cell, 9 cells: the sum is Poisson(4.5); P(S ≥ 12) = 0.002404 (scipy's
//! // poisson.sf(11, 4.5)).
//! let mut tails = CsrTails::new(0.5, 0.0);
//! assert!((tails.upper(9, 12.0) - 0.002_404_28).abs() < 1e-8);
//! assert!(tails.two_sided(9, 4.0) > 0.9);
//! ```
//!
//! # References
//! Kulldorff, M. (1997), "A spatial scan statistic", *Communications in Statistics: Theory and
//! Methods* 26(6) (the Poisson null of no clustering); Ord & Getis (1995).

use std::collections::HashMap;

use statrs::distribution::{ContinuousCDF, Discrete, DiscreteCDF, Normal, Poisson};

/// Tails of neighbourhood sums for one study area.
pub struct CsrTails {
    /// Mean count per cell.
    rate: f64,
    /// Noise variance per cell (0 for raw counts).
    noise_var: f64,
    /// Per neighbourhood size: the first k and P(K = k) for k from it on.
    pmf: HashMap<usize, (u64, Vec<f64>)>,
}

impl CsrTails {
    pub fn new(rate: f64, noise_var: f64) -> CsrTails {
        CsrTails { rate, noise_var: noise_var.max(0.0), pmf: HashMap::new() }
    }

    /// P(S ≥ s) for the sum S over `cells` cells.
    pub fn upper(&mut self, cells: usize, s: f64) -> f64 {
        let mean = self.rate * cells as f64;
        if mean <= 0.0 {
            return if s <= 0.0 { 1.0 } else { 0.0 };
        }
        if self.noise_var == 0.0 {
            let k = (s - 1e-9).ceil();
            return if k <= 0.0 { 1.0 } else { Poisson::new(mean).map_or(1.0, |p| p.sf(k as u64 - 1)) };
        }
        let sd = (self.noise_var * cells as f64).sqrt();
        let normal = Normal::standard();
        let (first, pmf) = self.pmf_of(cells);
        pmf.iter().enumerate().map(|(j, p)| p * normal.sf((s - (first + j as u64) as f64) / sd)).sum::<f64>().min(1.0)
    }

    /// P(S ≤ s) for the sum S over `cells` cells.
    pub fn lower(&mut self, cells: usize, s: f64) -> f64 {
        let mean = self.rate * cells as f64;
        if mean <= 0.0 {
            return if s >= 0.0 { 1.0 } else { 0.0 };
        }
        if self.noise_var == 0.0 {
            let k = (s + 1e-9).floor();
            return if k < 0.0 { 0.0 } else { Poisson::new(mean).map_or(1.0, |p| p.cdf(k as u64)) };
        }
        let sd = (self.noise_var * cells as f64).sqrt();
        let normal = Normal::standard();
        let (first, pmf) = self.pmf_of(cells);
        pmf.iter().enumerate().map(|(j, p)| p * normal.cdf((s - (first + j as u64) as f64) / sd)).sum::<f64>().min(1.0)
    }

    /// Twice the smaller tail, at most 1; never 0 (a tail beyond floating point is the smallest
    /// positive number, so adjusted p-values stay ordered).
    pub fn two_sided(&mut self, cells: usize, s: f64) -> f64 {
        (2.0 * self.upper(cells, s).min(self.lower(cells, s))).clamp(f64::MIN_POSITIVE, 1.0)
    }

    fn pmf_of(&mut self, cells: usize) -> (u64, Vec<f64>) {
        let mean = self.rate * cells as f64;
        self.pmf
            .entry(cells)
            .or_insert_with(|| {
                let reach = 12.0 * mean.sqrt() + 12.0;
                let (first, last) = ((mean - reach).max(0.0).floor() as u64, (mean + reach).ceil() as u64);
                let poisson = Poisson::new(mean).expect("a positive mean");
                (first, (first..=last).map(|k| poisson.pmf(k)).collect())
            })
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal as Gauss, Poisson as Draw};

    #[test]
    fn noisy_tails_match_simulation() {
        // Poisson(3 x 1) plus noise of variance 3 x 2: the tails by simulation.
        let mut tails = CsrTails::new(1.0, 2.0);
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let (poisson, noise) = (Draw::new(3.0).unwrap(), Gauss::new(0.0, 6f64.sqrt()).unwrap());
        let draws: Vec<f64> = (0..200_000).map(|_| poisson.sample(&mut rng) + noise.sample(&mut rng)).collect();
        for s in [-2.0, 1.5, 6.0, 9.0] {
            let upper = draws.iter().filter(|d| **d >= s).count() as f64 / draws.len() as f64;
            let lower = draws.iter().filter(|d| **d <= s).count() as f64 / draws.len() as f64;
            assert!((tails.upper(3, s) - upper).abs() < 0.004, "P(S ≥ {s}): {} vs {upper}", tails.upper(3, s));
            assert!((tails.lower(3, s) - lower).abs() < 0.004, "P(S ≤ {s}): {} vs {lower}", tails.lower(3, s));
        }
    }

    #[test]
    fn without_noise_the_tails_are_poissons() {
        let mut tails = CsrTails::new(2.0, 0.0);
        // Poisson(4): P(K ≤ 0) = e^-4, P(K ≥ 1) = 1 − e^-4.
        assert!((tails.lower(2, 0.0) - (-4f64).exp()).abs() < 1e-12);
        assert!((tails.upper(2, 1.0) - (1.0 - (-4f64).exp())).abs() < 1e-12);
        assert_eq!(tails.upper(2, 0.0), 1.0);
    }
}
