//! The trend of a yearly count series: a quasi-Poisson log-linear regression
//! `log E[yₜ] = a + b·t`, fitted by iteratively reweighted least squares.
//!
//! # Returns
//! The yearly rate ratio `exp(b)` as a percentage change per year, its 95 % confidence interval
//! (Wald) and p-value, and the dispersion φ.
//!
//! # Overdispersion
//! Yearly incident counts vary more than a Poisson model allows (φ > 1), which would make its
//! intervals too narrow and its p-values too small. φ is estimated from Pearson's statistic,
//! φ = Σ (yₜ − μₜ)²/μₜ / (n − 2), and the standard error is scaled by √max(φ, 1): the quasi-Poisson
//! model (statsmodels `GLM(..., Poisson()).fit(scale="X2")` when φ ≥ 1). It is never narrowed
//! below Poisson.
//!
//! # References
//! McCullagh & Nelder (1989), *Generalized Linear Models*, ch. 6 and §9.2 (quasi-likelihood).

use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal};

/// A fitted trend.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Trend {
    /// Estimated change per year, in per cent (e.g. -4.2 for a 4.2 % yearly fall).
    pub pct_per_year: f64,
    pub ci95_low_pct: f64,
    pub ci95_high_pct: f64,
    pub p_value: f64,
    pub years: usize,
    /// Pearson dispersion φ; intervals and p-values are widened by √φ when it exceeds 1.
    pub dispersion: f64,
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
    let pearson: f64 = series
        .iter()
        .map(|(t, y)| {
            let mu = (a + b * (*t as f64 - t0)).exp();
            (*y as f64 - mu).powi(2) / mu
        })
        .sum();
    let dispersion = if series.len() > 2 { pearson / (series.len() - 2) as f64 } else { 1.0 };
    let se = (info[0][0] / det).sqrt() * dispersion.max(1.0).sqrt();
    let normal = Normal::standard();
    let z = b / se;
    let pct = |v: f64| (v.exp() - 1.0) * 100.0;
    Some(Trend {
        pct_per_year: pct(b),
        ci95_low_pct: pct(b - 1.959_964 * se),
        ci95_high_pct: pct(b + 1.959_964 * se),
        p_value: 2.0 * normal.sf(z.abs()),
        years: series.len(),
        dispersion,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_labels_under_bh_hold_their_rate_in_a_city_without_trends() {
        // 100 cities of 95 delbydeler, five years of counts with no trend (Poisson, means from 2
        // to 40, plus the release's noise of variance 3 for the estimates shown): with BH across
        // the report (as the annual report labels "signifikant") a city with any label may
        // appear in about 5 of 100; per delbydel at p < 0.05, nearly every city had some.
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal, Poisson};
        let noise = Normal::new(0.0, 3f64.sqrt()).unwrap();
        let (mut any_bh, mut any_raw) = (0, 0);
        for city in 0..100u64 {
            let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(700 + city);
            let p: Vec<f64> = (0..95)
                .filter_map(|d| {
                    let counts = Poisson::new(2.0 + f64::from(d % 39)).unwrap();
                    let series: Vec<(i32, u64)> =
                        (2021..=2025).map(|y| (y, (counts.sample(&mut rng) + noise.sample(&mut rng)).round().max(0.0) as u64)).collect();
                    trend(&series).map(|t| t.p_value)
                })
                .collect();
            any_raw += usize::from(p.iter().any(|p| *p < 0.05));
            any_bh += usize::from(crate::analysis::fdr::benjamini_hochberg(&p).iter().any(|q| *q < 0.05));
        }
        println!("cities with a trend label: {any_bh} of 100 under BH, {any_raw} of 100 at p < 0.05");
        assert!(any_bh <= 10 && any_raw >= 50, "BH {any_bh}, unadjusted {any_raw}");
    }

    #[test]
    fn a_flat_series_has_no_trend() {
        let t = trend(&[(2020, 50), (2021, 50), (2022, 50), (2023, 50)]).unwrap();
        assert!(t.pct_per_year.abs() < 1e-9 && (t.p_value - 1.0).abs() < 1e-9);
        assert!(t.ci95_low_pct < 0.0 && t.ci95_high_pct > 0.0);
    }

    #[test]
    fn overdispersed_counts_widen_the_interval_as_quasi_poisson_does() {
        // Reference: statsmodels 0.14, GLM(y, [1, t - mean], Poisson()).fit(scale="X2").
        let t = trend(&[(2016, 40), (2017, 62), (2018, 35), (2019, 71), (2020, 48), (2021, 90), (2022, 55), (2023, 83)]).unwrap();
        assert!((t.dispersion - 4.833_604_801_337_978).abs() < 1e-9, "{t:?}");
        assert!((t.pct_per_year - 8.420_852_221_075_847).abs() < 1e-7, "{t:?}");
        assert!((t.ci95_low_pct - -0.552_515_181_247_226_2).abs() < 1e-5 && (t.ci95_high_pct - 18.203_906_491_637_234).abs() < 1e-5, "{t:?}");
        // Plain Poisson would call this p = 5.5e-5; with the dispersion it is not significant.
        assert!((t.p_value - 0.066_614_494_533_432_8).abs() < 1e-6, "{t:?}");
    }

    #[test]
    fn underdispersed_counts_are_not_narrowed_below_poisson() {
        let t = trend(&[(2020, 50), (2021, 52), (2022, 54), (2023, 56)]).unwrap();
        assert!(t.dispersion < 1.0);
        // The Poisson standard error of b, 1/√(Σ μ (t - t̄)²), at μ ≈ 53: the interval is no narrower.
        let se = (t.ci95_high_pct / 100.0 + 1.0).ln() - (t.pct_per_year / 100.0 + 1.0).ln();
        assert!(se / 1.959_964 > 0.9 / (53.0f64 * 5.0).sqrt(), "{t:?}");
    }

    #[test]
    fn a_steady_rise_is_significant() {
        let t = trend(&[(2019, 100), (2020, 110), (2021, 121), (2022, 133), (2023, 146)]).unwrap();
        assert!((t.pct_per_year - 10.0).abs() < 0.2, "{t:?}");
        assert!(t.p_value < 0.01, "{t:?}");
    }
}
