//! The trend of a yearly count series: a Poisson log-linear regression `log E[yₜ] = a + b·t`,
//! fitted by iteratively reweighted least squares.
//!
//! # Returns
//! The yearly rate ratio `exp(b)` as a percentage change per year, its 95 % confidence interval
//! (Wald) and p-value.
//!
//! # References
//! McCullagh & Nelder (1989), *Generalized Linear Models*, ch. 6.

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// A fitted trend.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Trend {
    /// Estimated change per year, in per cent (e.g. -4.2 for a 4.2 % yearly fall).
    pub pct_per_year: f64,
    pub ci95_low_pct: f64,
    pub ci95_high_pct: f64,
    pub p_value: f64,
    pub years: usize,
}

/// Fits the trend of `(year, count)` pairs; `None` with fewer than 3 years or no counts.
///
/// ```
/// use bomiljo::analysis::trend::trend;
/// // Exactly doubling every year: +100 % per year.
/// let t = trend(&[(2020, 10), (2021, 20), (2022, 40), (2023, 80)]).unwrap();
/// assert!((t.pct_per_year - 100.0).abs() < 1e-6);
/// ```
pub fn trend(series: &[(i32, u64)]) -> Option<Trend> {
    if series.len() < 3 || series.iter().all(|(_, y)| *y == 0) {
        return None;
    }
    let t0 = series.iter().map(|(t, _)| *t as f64).sum::<f64>() / series.len() as f64;
    let mean = series.iter().map(|(_, y)| *y as f64).sum::<f64>() / series.len() as f64;
    let (mut a, mut b) = (mean.ln(), 0.0);
    let mut info = [[0.0; 2]; 2];
    for _ in 0..50 {
        // Fisher scoring: information matrix X'WX and score X'(y - μ).
        let (mut i00, mut i01, mut i11, mut s0, mut s1) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for (t, y) in series {
            let x = *t as f64 - t0;
            let mu = (a + b * x).exp();
            i00 += mu;
            i01 += mu * x;
            i11 += mu * x * x;
            s0 += *y as f64 - mu;
            s1 += (*y as f64 - mu) * x;
        }
        let det = i00 * i11 - i01 * i01;
        if det.abs() < 1e-12 {
            return None;
        }
        let (da, db) = ((i11 * s0 - i01 * s1) / det, (i00 * s1 - i01 * s0) / det);
        a += da;
        b += db;
        info = [[i00, i01], [i01, i11]];
        if da.abs() < 1e-10 && db.abs() < 1e-10 {
            break;
        }
    }
    let det = info[0][0] * info[1][1] - info[0][1] * info[0][1];
    let se = (info[0][0] / det).sqrt();
    let normal = Normal::standard();
    let z = b / se;
    let pct = |v: f64| (v.exp() - 1.0) * 100.0;
    Some(Trend {
        pct_per_year: pct(b),
        ci95_low_pct: pct(b - 1.959_964 * se),
        ci95_high_pct: pct(b + 1.959_964 * se),
        p_value: 2.0 * normal.sf(z.abs()),
        years: series.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_series_has_no_trend() {
        let t = trend(&[(2020, 50), (2021, 50), (2022, 50), (2023, 50)]).unwrap();
        assert!(t.pct_per_year.abs() < 1e-9 && (t.p_value - 1.0).abs() < 1e-9);
        assert!(t.ci95_low_pct < 0.0 && t.ci95_high_pct > 0.0);
    }

    #[test]
    fn a_steady_rise_is_significant() {
        let t = trend(&[(2019, 100), (2020, 110), (2021, 121), (2022, 133), (2023, 146)]).unwrap();
        assert!((t.pct_per_year - 10.0).abs() < 0.2, "{t:?}");
        assert!(t.p_value < 0.01, "{t:?}");
    }
}
