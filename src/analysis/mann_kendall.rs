//! The Mann-Kendall trend test: is a series rising or falling more than chance allows, without
//! assuming a shape for the change?
//!
//! # Algorithm
//! S = Σ_{i<j} sign(x_j − x_i). Under no trend S has mean 0 and, with the correction for ties
//! (groups of t equal values), Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18. The continuity-
//! corrected z = (S − sign(S)) / √Var(S) is compared with the standard normal: two-sided
//! p = 2(1 − Φ(|z|)).
//!
//! # References
//! Mann, H. B. (1945), "Nonparametric tests against trend", *Econometrica* 13(3); Kendall, M. G.
//! (1975), *Rank Correlation Methods*, 4th ed.; the tie correction as in Hipel & McLeod (1994),
//! *Time Series Modelling of Water Resources*, §23.3.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// The test's statistic and its significance.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct MannKendall {
    pub s: i64,
    pub var_s: f64,
    pub z: f64,
    /// Two-sided p-value.
    pub p: f64,
}

/// The Mann-Kendall test of `series` (in time order); `None` with fewer than 3 values or when
/// every value is the same (no variance to test against).
///
/// ```
/// use bomiljo::analysis::mann_kendall::mann_kendall;
/// // Rising every step: S = 10 (all 10 pairs up), Var(S) = 5·4·15/18, z = 9/√16.67 = 2.205.
/// let mk = mann_kendall(&[1.0, 2.0, 3.0, 4.0, 5.0]).unwrap();
/// assert_eq!(mk.s, 10);
/// assert!((mk.z - 2.2045).abs() < 1e-4 && (mk.p - 0.0275).abs() < 1e-4);
/// ```
pub fn mann_kendall(series: &[f64]) -> Option<MannKendall> {
    let n = series.len();
    if n < 3 {
        return None;
    }
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            s += match series[j].partial_cmp(&series[i]) {
                Some(std::cmp::Ordering::Greater) => 1,
                Some(std::cmp::Ordering::Less) => -1,
                _ => 0,
            };
        }
    }
    let nf = n as f64;
    let ties: f64 = tie_groups(series).map(|t| t * (t - 1.0) * (2.0 * t + 5.0)).sum();
    let var_s = (nf * (nf - 1.0) * (2.0 * nf + 5.0) - ties) / 18.0;
    if var_s <= 0.0 {
        return None;
    }
    let z = (s - s.signum()) as f64 / var_s.sqrt();
    let p = 2.0 * Normal::standard().sf(z.abs());
    Some(MannKendall { s, var_s, z, p })
}

/// The sizes of the groups of equal values (2 or more).
fn tie_groups(series: &[f64]) -> impl Iterator<Item = f64> + use<> {
    let mut sorted = series.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mut groups = Vec::new();
    let mut run = 1.0;
    for pair in sorted.windows(2) {
        if pair[0] == pair[1] {
            run += 1.0;
        } else {
            if run > 1.0 {
                groups.push(run);
            }
            run = 1.0;
        }
    }
    if run > 1.0 {
        groups.push(run);
    }
    groups.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_shrink_the_variance() {
        // 1 2 2 3: pairs up 5, tied 1: S = 5. Var = (4·3·13 − 2·1·9)/18 = 138/18;
        // z = 4/√7.667 = 1.4446.
        let mk = mann_kendall(&[1.0, 2.0, 2.0, 3.0]).unwrap();
        assert_eq!(mk.s, 5);
        assert!((mk.var_s - 138.0 / 18.0).abs() < 1e-12);
        assert!((mk.z - 4.0 / (138.0f64 / 18.0).sqrt()).abs() < 1e-12);
    }

    #[test]
    fn agrees_with_pymannkendall_on_a_series_full_of_ties() {
        // pymannkendall 1.4 `original_test` on this series: s = 1, var_s = 190.3333, z = 0, p = 1
        // (four 0s, two 1s, two 2s and three 4s tied).
        let mk = mann_kendall(&[4.0, 0.0, 0.0, 1.0, 0.0, 4.0, 4.0, 2.0, 0.0, 0.0, 1.0, 2.0]).unwrap();
        assert_eq!(mk.s, 1);
        assert!((mk.var_s - 190.333_333_333_333_34).abs() < 1e-9, "{mk:?}");
        assert_eq!((mk.z, mk.p), (0.0, 1.0));
        // And on a falling series: s = -13, var_s = 28.3333, z = -2.254407, p = 0.024171 (the two
        // normal CDFs differ in the 12th digit).
        let mk = mann_kendall(&[9.0, 7.0, 8.0, 4.0, 2.0, 1.0]).unwrap();
        assert!((mk.z + 2.254_407_447_906_538_6).abs() < 1e-12 && (mk.p - 0.024_170_547_174_545_254).abs() < 1e-9, "{mk:?}");
    }

    #[test]
    fn a_falling_series_has_a_negative_z_and_flat_ones_are_not_tested() {
        let mk = mann_kendall(&[9.0, 7.0, 8.0, 4.0, 2.0, 1.0]).unwrap();
        // 15 pairs, one up (7 -> 8): S = 1 - 14 = -13.
        assert_eq!(mk.s, -13);
        assert!(mk.z < 0.0 && mk.p < 0.05);
        assert!(mann_kendall(&[3.0, 3.0, 3.0, 3.0]).is_none());
        assert!(mann_kendall(&[1.0, 2.0]).is_none());
    }
}
