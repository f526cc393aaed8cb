//! Before/after around a site, against the rest of its delbydel: a difference in differences of
//! Poisson rates.
//!
//! # Parameters
//! Incident counts in the same number of years before and after a site opened, inside a radius
//! around it ("near") and in the rest of its delbydel ("rest").
//!
//! # Returns
//! The ratio of rate ratios RR = (near_after/near_before) / (rest_after/rest_before): 1 means
//! "changed like the rest of the delbydel", above 1 "rose more (or fell less) near the site".
//! A 95 % confidence interval and p-value come from the log scale, where the variance of a log
//! count is 1/count (delta method); a count of 0 is replaced by 0.5 (Haldane's correction).
//!
//! # Algorithm
//! Sites are pooled with inverse-variance weights on log RR (a fixed-effect meta-analysis).
//!
//! # References
//! Rothman, Greenland & Lash (2008), *Modern Epidemiology*, ch. 14 and 33.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// Counts in the four cells of the comparison.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct WindowCounts {
    pub near_before: u64,
    pub near_after: u64,
    pub rest_before: u64,
    pub rest_after: u64,
}

/// A ratio of rate ratios with its uncertainty.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct DidEstimate {
    pub rate_ratio: f64,
    pub ci95_low: f64,
    pub ci95_high: f64,
    pub p_value: f64,
    #[serde(skip)]
    log_rr: f64,
    #[serde(skip)]
    se: f64,
}

impl DidEstimate {
    fn from_log(log_rr: f64, se: f64) -> DidEstimate {
        let z = log_rr / se;
        DidEstimate {
            rate_ratio: log_rr.exp(),
            ci95_low: (log_rr - 1.959_964 * se).exp(),
            ci95_high: (log_rr + 1.959_964 * se).exp(),
            p_value: 2.0 * Normal::standard().sf(z.abs()),
            log_rr,
            se,
        }
    }

    /// Whether the 95 % interval excludes "no difference".
    pub fn significant(&self) -> bool {
        self.ci95_low > 1.0 || self.ci95_high < 1.0
    }
}

/// The estimate for one site.
///
/// ```
/// use bomiljo::analysis::did::{did, WindowCounts};
/// // Near the site 20 → 40, in the rest of the delbydel 100 → 200: both doubled, RR = 1.
/// let e = did(&WindowCounts { near_before: 20, near_after: 40, rest_before: 100, rest_after: 200 });
/// assert!((e.rate_ratio - 1.0).abs() < 1e-12);
/// // SE = √(1/20 + 1/40 + 1/100 + 1/200) = √0.09 = 0.3
/// assert!((e.ci95_high - (1.959964_f64 * 0.3).exp()).abs() < 1e-6);
/// ```
pub fn did(c: &WindowCounts) -> DidEstimate {
    let f = |n: u64| if n == 0 { 0.5 } else { n as f64 };
    let (a, b, c2, d) = (f(c.near_before), f(c.near_after), f(c.rest_before), f(c.rest_after));
    let log_rr = (b / a).ln() - (d / c2).ln();
    let se = (1.0 / a + 1.0 / b + 1.0 / c2 + 1.0 / d).sqrt();
    DidEstimate::from_log(log_rr, se)
}

/// The same from estimated counts (the public release's sums), whose noise adds to the Poisson
/// variance: var(log n̂) ≈ (n + V)/n², so the interval is as wide as the figures are uncertain.
///
/// ```
/// use bomiljo::analysis::did::{did, did_estimated, WindowCounts};
/// use bomiljo::figure::Figure;
/// let exact = did(&WindowCounts { near_before: 20, near_after: 30, rest_before: 200, rest_after: 200 });
/// let f = |n: f64| Figure::new(n, 10.0);
/// let noisy = did_estimated([f(20.0), f(30.0), f(200.0), f(200.0)]);
/// // The same ratio, a wider interval.
/// assert!((noisy.rate_ratio - exact.rate_ratio).abs() < 1e-12);
/// assert!(noisy.ci95_low < exact.ci95_low && noisy.ci95_high > exact.ci95_high);
/// ```
pub fn did_estimated([near_before, near_after, rest_before, rest_after]: [crate::figure::Figure; 4]) -> DidEstimate {
    let part = |f: crate::figure::Figure| {
        let n = f.estimate.max(0.5);
        (n, (n + f.variance) / (n * n))
    };
    let ((a, va), (b, vb), (c, vc), (d, vd)) = (part(near_before), part(near_after), part(rest_before), part(rest_after));
    DidEstimate::from_log((b / a).ln() - (d / c).ln(), (va + vb + vc + vd).sqrt())
}

/// Pools several sites' estimates (inverse-variance weights on the log scale).
pub fn pooled(estimates: &[DidEstimate]) -> Option<DidEstimate> {
    if estimates.is_empty() {
        return None;
    }
    let weights: Vec<f64> = estimates.iter().map(|e| 1.0 / (e.se * e.se)).collect();
    let total: f64 = weights.iter().sum();
    let log_rr = estimates.iter().zip(&weights).map(|(e, w)| e.log_rr * w).sum::<f64>() / total;
    Some(DidEstimate::from_log(log_rr, (1.0 / total).sqrt()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooling_two_identical_sites_halves_the_variance() {
        let one = did(&WindowCounts { near_before: 30, near_after: 45, rest_before: 300, rest_after: 300 });
        let both = pooled(&[one, one]).unwrap();
        assert!((both.rate_ratio - 1.5).abs() < 1e-12);
        assert!((both.se - one.se / 2f64.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn a_clear_rise_near_the_site_is_significant() {
        let e = did(&WindowCounts { near_before: 20, near_after: 80, rest_before: 1000, rest_after: 1000 });
        assert!(e.significant() && e.rate_ratio > 3.0, "{e:?}");
    }
}
