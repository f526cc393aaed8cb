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

use statrs::distribution::{Discrete, DiscreteCDF, Poisson};

/// Tails of neighbourhood sums for one study area.
pub struct CsrTails {
    /// Mean count per cell.
    rate: f64,
    /// Noise variance per cell (0 for raw counts).
    noise_var: f64,
    /// Per neighbourhood size: the first k, P(K = k) for k from it on, and their running sums.
    pmf: HashMap<usize, (u64, Vec<f64>, Vec<f64>)>,
}

impl CsrTails {
    pub fn new(rate: f64, noise_var: f64) -> CsrTails {
        CsrTails { rate, noise_var: noise_var.max(0.0), pmf: HashMap::new() }
    }

    /// P(S ≥ s) for the sum S over `cells` cells.
    pub fn upper(&mut self, cells: usize, s: f64) -> f64 {
        self.tail(cells, s, Tail::Upper)
    }

    /// P(S ≤ s) for the sum S over `cells` cells.
    pub fn lower(&mut self, cells: usize, s: f64) -> f64 {
        self.tail(cells, s, Tail::Lower)
    }

    /// Twice the smaller tail, at most 1; never 0 (a tail beyond floating point is the smallest
    /// positive number, so adjusted p-values stay ordered). With noise the sum is continuous and
    /// its tails add up to 1, so only the tail on the side of `s` is summed.
    pub fn two_sided(&mut self, cells: usize, s: f64) -> f64 {
        let smaller = if self.noise_var == 0.0 {
            self.upper(cells, s).min(self.lower(cells, s))
        } else {
            let tail = if s >= self.rate * cells as f64 { self.upper(cells, s) } else { self.lower(cells, s) };
            tail.min(1.0 - tail)
        };
        (2.0 * smaller).clamp(f64::MIN_POSITIVE, 1.0)
    }

    /// [`Self::two_sided`], or 1 where it is surely above 0.2: a noisy sum within one standard
    /// deviation of its mean (the normal approximation puts p at 0.32 there; the test below checks
    /// the exact p stays above 0.2 for means from 0.1 to 500 and noise variances from 0.5 to 50).
    /// No test at α ≤ 0.2 can flag such a sum, and Benjamini-Hochberg's decisions at q ≤ 0.2 do
    /// not change when p-values above 0.2 are raised, so a caller that only decides (emerging hot
    /// spots) skips two thirds of the sums.
    pub fn two_sided_deciding(&mut self, cells: usize, s: f64) -> f64 {
        let mean = self.rate * cells as f64;
        let sd = (mean + self.noise_var * cells as f64).sqrt();
        if self.noise_var > 0.0 && (s - mean).abs() < sd {
            return 1.0;
        }
        self.two_sided(cells, s)
    }

    fn tail(&mut self, cells: usize, s: f64, tail: Tail) -> f64 {
        let mean = self.rate * cells as f64;
        if mean <= 0.0 {
            let inside = match tail {
                Tail::Upper => s <= 0.0,
                Tail::Lower => s >= 0.0,
            };
            return f64::from(u8::from(inside));
        }
        if self.noise_var == 0.0 {
            let Ok(poisson) = Poisson::new(mean) else { return 1.0 };
            return match tail {
                Tail::Upper => {
                    let k = (s - 1e-9).ceil();
                    if k <= 0.0 { 1.0 } else { poisson.sf(k as u64 - 1) }
                }
                Tail::Lower => {
                    let k = (s + 1e-9).floor();
                    if k < 0.0 { 0.0 } else { poisson.cdf(k as u64) }
                }
            };
        }
        // P(N ≥ t) = erfc(t / √2) / 2 for the standard normal N. Beyond 8.3 sd of noise from s a
        // term's normal factor is within 1e-16 of 0 or 1, so only the window between needs erfc
        // and the rest is a sum of the pmf (kept as running sums).
        let sd = (self.noise_var * cells as f64).sqrt();
        let scale = 1.0 / sd / std::f64::consts::SQRT_2;
        let (first, pmf, running) = self.pmf_of(cells);
        let index = |k: f64| (k - first as f64).clamp(0.0, pmf.len() as f64) as usize;
        let (from, to) = (index((s - 8.3 * sd).ceil()), index((s + 8.3 * sd).floor() + 1.0));
        let at = |j: usize| (s - (first + j as u64) as f64) * scale;
        let window = from..to.max(from);
        let sum: f64 = match tail {
            Tail::Upper => window.clone().map(|j| pmf[j] * libm::erfc(at(j))).sum::<f64>() / 2.0 + (running[pmf.len()] - running[window.end]),
            Tail::Lower => window.clone().map(|j| pmf[j] * libm::erfc(-at(j))).sum::<f64>() / 2.0 + running[window.start],
        };
        sum.min(1.0)
    }

    /// The first k, P(K = k) from it on, and the running sums of those (Σ of the first j at j),
    /// for a neighbourhood of `cells` cells (computed once).
    fn pmf_of(&mut self, cells: usize) -> (u64, &[f64], &[f64]) {
        let mean = self.rate * cells as f64;
        let (first, pmf, running) = self.pmf.entry(cells).or_insert_with(|| {
            let reach = 12.0 * mean.sqrt() + 12.0;
            let (first, last) = ((mean - reach).max(0.0).floor() as u64, (mean + reach).ceil() as u64);
            let poisson = Poisson::new(mean).expect("a positive mean");
            // Terms under 1e-300 add nothing a p-value can show.
            let pmf: Vec<(u64, f64)> = (first..=last).map(|k| (k, poisson.pmf(k))).filter(|(_, p)| *p > 1e-300).collect();
            let first = pmf.first().map_or(first, |(k, _)| *k);
            let pmf: Vec<f64> = pmf.into_iter().map(|(_, p)| p).collect();
            let running: Vec<f64> = std::iter::once(0.0)
                .chain(pmf.iter().scan(0.0, |total, p| {
                    *total += p;
                    Some(*total)
                }))
                .collect();
            (first, pmf, running)
        });
        (*first, pmf.as_slice(), running.as_slice())
    }
}

#[derive(Clone, Copy)]
enum Tail {
    Upper,
    Lower,
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

    #[test]
    fn a_noisy_sum_within_one_sd_of_its_mean_has_p_above_a_fifth() {
        for rate in [0.1, 0.5, 2.0, 10.0, 50.0] {
            for noise_var in [0.5, 3.3, 50.0] {
                for cells in [1, 5, 10] {
                    let mut tails = CsrTails::new(rate, noise_var);
                    let (mean, sd) = (rate * cells as f64, (rate * cells as f64 + noise_var * cells as f64).sqrt());
                    for s in [mean - 0.999 * sd, mean + 0.999 * sd] {
                        let p = tails.two_sided(cells, s);
                        assert!(p > 0.2, "rate {rate}, noise {noise_var}, {cells} cells, s {s}: p {p}");
                    }
                }
            }
        }
    }
}
