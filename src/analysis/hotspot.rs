//! Hot- and cold-spots: Getis-Ord Gi* on a grid of counts, with binary weights inside a
//! distance band, and a Benjamini-Hochberg false-discovery-rate correction.
//!
//! # Parameters
//! - a `Grid` and a value per cell (incident counts);
//! - `study`: which cells belong to the study area (others are neither counted nor classified);
//! - `band`: cells whose centres lie within this distance are neighbours (the cell itself too).
//!
//! # Algorithm
//! With n study cells, mean X̄ and S = √(Σx²/n − X̄²), for each cell i with neighbour weights
//! wᵢⱼ ∈ {0, 1}: Gi* = (Σⱼ wᵢⱼ xⱼ − X̄ Σⱼ wᵢⱼ) / (S √((n Σⱼ wᵢⱼ² − (Σⱼ wᵢⱼ)²)/(n − 1))).
//! Gi* is reported as a z-score, but its p-value does not come from the normal distribution: on
//! sparse counts (under ~3 per cell) the neighbourhood sum's right tail at z ≈ 4 is far heavier
//! than the normal one, and a normal reference finds hot spots in pure noise (41 of 100 worlds
//! without a pattern at 0.5 incidents a cell). The p-value is exact under the null of no spatial
//! pattern, complete spatial randomness: incidents fall at one rate everywhere in the study area,
//! so each cell's count is Poisson with the study's mean λ and a neighbourhood of w cells sums
//! to Poisson(wλ) (Kulldorff's null). For released estimates the release's noise, of known
//! variance per cell, is added to that sum (`super::csr_tails`). Two-sided p-values are adjusted by
//! Benjamini-Hochberg, and a cell is a hot (Gi* > 0) or cold spot at 99/95/90 % confidence when
//! its adjusted p is below 0.01/0.05/0.10.
//!
//! # References
//! Ord, J. K. & Getis, A. (1995), "Local spatial autocorrelation statistics", *Geographical
//! Analysis* 27(4); Benjamini, Y. & Hochberg, Y. (1995), *JRSS B* 57(1); Caldas de Castro &
//! Singer (2006) on FDR for local statistics; Kulldorff, M. (1997), "A spatial scan statistic",
//! *Communications in Statistics: Theory and Methods* 26(6), on the Poisson null.

use serde::Serialize;

use super::csr_tails::CsrTails;
use super::fdr::benjamini_hochberg;
use super::grid::Grid;
use crate::spatial::Metres;

/// A cell's classification.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SpotClass {
    Hot99,
    Hot95,
    Hot90,
    NotSignificant,
    Cold90,
    Cold95,
    Cold99,
}

impl SpotClass {
    /// +3 … −3: hot 99 % is 3, not significant 0, cold 99 % is −3.
    pub fn level(self) -> i8 {
        match self {
            SpotClass::Hot99 => 3,
            SpotClass::Hot95 => 2,
            SpotClass::Hot90 => 1,
            SpotClass::NotSignificant => 0,
            SpotClass::Cold90 => -1,
            SpotClass::Cold95 => -2,
            SpotClass::Cold99 => -3,
        }
    }
}

/// Gi* of one study cell.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Spot {
    pub z: f64,
    pub p: f64,
    /// Benjamini-Hochberg adjusted p-value.
    pub q: f64,
    pub class: SpotClass,
}

/// Gi* of every study cell, and how low the emptiest neighbourhood could go.
#[derive(Clone, Debug, PartialEq)]
pub struct GiStar {
    /// Per grid cell; `None` outside the study area.
    pub spots: Vec<Option<Spot>>,
    /// The two-sided p-value, on the same exact reference as every cell's, of the largest
    /// neighbourhood holding no incidents at all: on sparse counts even that is not unusual, and
    /// then no cell's count alone can make it a cold spot.
    pub empty_p: Option<f64>,
}

impl GiStar {
    /// Whether a cold spot could reach 90 % confidence at all (before the FDR correction, which
    /// only makes it harder): an empty neighbourhood is unusual on the cells' own reference, or a
    /// cell was found cold (a released sum can be below 0). When not, the answer says so instead
    /// of showing an empty cold legend. The same reference decides both, so the note and the map
    /// never disagree.
    ///
    /// ```
    /// use bomiljo::analysis::{grid::Grid, hotspot::gi_star};
    /// use bomiljo::spatial::Metres;
    /// // One incident in 17 cells: five empty cells side by side happen three times in four.
    /// let grid = Grid::covering([0.0, 0.0, 1000.0, 1000.0], Metres(100.0));
    /// let values: Vec<f64> = (0..grid.len()).map(|i| if i % 17 == 0 { 1.0 } else { 0.0 }).collect();
    /// let gi = gi_star(&grid, &values, &vec![true; grid.len()], Metres(100.0), 0.0);
    /// assert!(!gi.cold_spots_detectable());
    /// ```
    pub fn cold_spots_detectable(&self) -> bool {
        self.empty_p.is_some_and(|p| p < 0.10) || self.spots.iter().flatten().any(|s| s.class.level() < 0)
    }
}

/// Gi* for every study cell (`None` outside the study area). `values` are counts, or estimates
/// of counts with noise of variance `noise_var` per cell (0 for counts read from the raw rows).
pub fn gi_star(grid: &Grid, values: &[f64], study: &[bool], band: Metres, noise_var: f64) -> GiStar {
    let n = study.iter().filter(|s| **s).count() as f64;
    let mut out = vec![None; grid.len()];
    if n < 3.0 {
        return GiStar { spots: out, empty_p: None };
    }
    let (sum, sum2) = values.iter().zip(study).filter(|(_, s)| **s).fold((0.0, 0.0), |(a, b), (v, _)| (a + v, b + v * v));
    let mean = sum / n;
    let s = (sum2 / n - mean * mean).max(0.0).sqrt();
    let offsets = grid.offsets_within(band);
    let mut tails = CsrTails::new(mean.max(0.0), noise_var);
    let mut scored = Vec::new();
    let mut widest = 0;
    for i in (0..grid.len()).filter(|&i| study[i]) {
        let (mut w, mut wx) = (0.0, 0.0);
        for &o in &offsets {
            if let Some(j) = grid.offset(i, o).filter(|&j| study[j]) {
                w += 1.0;
                wx += values[j];
            }
        }
        let denominator = s * ((n * w - w * w) / (n - 1.0)).max(0.0).sqrt();
        let z = if denominator > 0.0 { (wx - mean * w) / denominator } else { 0.0 };
        if denominator > 0.0 {
            widest = widest.max(w as usize);
        }
        scored.push((i, z, tails.two_sided(w as usize, wx)));
    }
    let q = benjamini_hochberg(&scored.iter().map(|s| s.2).collect::<Vec<_>>());
    for ((i, z, p), q) in scored.into_iter().zip(q) {
        out[i] = Some(Spot { z, p, q, class: classify(z, q) });
    }
    let empty_p = (widest > 0).then(|| tails.two_sided(widest, 0.0));
    GiStar { spots: out, empty_p }
}

fn classify(z: f64, q: f64) -> SpotClass {
    let level = if q < 0.01 {
        3
    } else if q < 0.05 {
        2
    } else if q < 0.10 {
        1
    } else {
        0
    };
    match (level, z > 0.0) {
        (0, _) => SpotClass::NotSignificant,
        (3, true) => SpotClass::Hot99,
        (2, true) => SpotClass::Hot95,
        (_, true) => SpotClass::Hot90,
        (3, false) => SpotClass::Cold99,
        (2, false) => SpotClass::Cold95,
        (_, false) => SpotClass::Cold90,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn far_tails_keep_their_p_values() {
        // One huge cluster: z far beyond 8.3, where 1 − Φ(z) is exactly 0 in floating point.
        let grid = Grid::covering([0.0, 0.0, 3000.0, 3000.0], Metres(100.0));
        let values: Vec<f64> =
            (0..grid.len()).map(|i| if (i / grid.cols).abs_diff(15) < 2 && (i % grid.cols).abs_diff(15) < 2 { 5000.0 } else { (i % 3) as f64 }).collect();
        let gi = gi_star(&grid, &values, &vec![true; grid.len()], Metres(100.0), 0.0);
        let centre = gi.spots[15 * grid.cols + 15].unwrap();
        assert!(centre.z > 9.0, "{centre:?}");
        assert!(centre.p > 0.0 && centre.q > 0.0 && centre.p < 1e-6, "p and q must not underflow to 0: {centre:?}");
    }

    #[test]
    fn an_empty_neighbourhood_is_judged_on_the_cells_own_reference() {
        // 3 x 3 cells of 100 m, band 100 m (the cell and its 4 neighbours): the centre has the
        // widest neighbourhood, w = 5. One incident in the corner: mean 1/9, an empty
        // neighbourhood of 5 cells has P(Poisson(5/9) = 0) = e^(-5/9) = 0.574, two-sided 1.
        let grid = Grid::covering([0.0, 0.0, 300.0, 300.0], Metres(100.0));
        let mut values = vec![0.0; 9];
        values[8] = 1.0;
        let gi = gi_star(&grid, &values, &[true; 9], Metres(100.0), 0.0);
        assert_eq!(gi.empty_p, Some(1.0));
        assert!(!gi.cold_spots_detectable());
        assert!(gi.spots.iter().flatten().all(|s| s.class.level() >= 0));
        // 18 in the corner: mean 2, an empty neighbourhood has P = e^(-10), two-sided 2e^(-10).
        // The normal z of that neighbourhood is only -1.12 (the counts are skewed), yet on the
        // exact reference the cells use it is far out: detectable, and the note must not say not.
        values[8] = 18.0;
        let gi = gi_star(&grid, &values, &[true; 9], Metres(100.0), 0.0);
        let want = 2.0 * (-10f64).exp();
        assert!((gi.empty_p.unwrap() - want).abs() < 1e-12 * want.max(1.0), "{:?} vs {want}", gi.empty_p);
        assert!(gi.spots.iter().flatten().any(|s| s.class.level() < 0), "the empty corners are cold on the exact reference");
        assert!(gi.cold_spots_detectable(), "cold cells shown, so the answer must not say they cannot be found");
    }

    #[test]
    fn cold_spots_are_detectable_on_a_symmetric_field() {
        // Counts around 10 with a block of zeros: an empty neighbourhood is far below the mean.
        let grid = Grid::covering([0.0, 0.0, 2000.0, 2000.0], Metres(100.0));
        let values: Vec<f64> = (0..grid.len()).map(|i| if (i / grid.cols) < 3 && (i % grid.cols) < 3 { 0.0 } else { 10.0 + (i % 5) as f64 }).collect();
        let gi = gi_star(&grid, &values, &vec![true; grid.len()], Metres(100.0), 0.0);
        assert!(gi.cold_spots_detectable(), "{:?}", gi.empty_p);
        assert!(gi.spots.iter().flatten().any(|s| s.class.level() < 0));
    }

    #[test]
    fn a_planted_cluster_is_a_hot_spot_and_the_background_is_not() {
        // 40 x 40 cells of 100 m; background counts 2 ± 1 in a fixed pattern; a cluster of
        // count 12 in a 5 x 5 block around (20, 20).
        let grid = Grid::covering([0.0, 0.0, 4000.0, 4000.0], Metres(100.0));
        let values: Vec<f64> = (0..grid.len())
            .map(|i| {
                let (c, r) = ((i % 40) as i64, (i / 40) as i64);
                if (18..=22).contains(&c) && (18..=22).contains(&r) { 12.0 } else { (2 + (c * 7 + r * 3) % 3 - 1) as f64 }
            })
            .collect();
        let study = vec![true; grid.len()];
        let spots = gi_star(&grid, &values, &study, Metres(150.0), 0.0).spots;
        let centre = spots[20 * 40 + 20].unwrap();
        assert_eq!(centre.class, SpotClass::Hot99, "{centre:?}");
        let far = spots[5 * 40 + 5].unwrap();
        assert_eq!(far.class, SpotClass::NotSignificant, "{far:?}");
        let hot = spots.iter().flatten().filter(|s| s.class.level() > 0).count();
        assert!((25..=60).contains(&hot), "{hot} hot cells for a 25-cell cluster");
        assert!(spots.iter().flatten().all(|s| s.class.level() >= 0 || s.z < 0.0));
    }

    const WORLDS: u64 = 100;

    /// How many of `WORLDS` worlds with no spatial pattern (iid counts on a 40 x 40 grid of 250 m cells,
    /// band 500 m) show any hot or cold spot, for counts drawn by `draw`.
    fn worlds_with_discoveries(noise_var: f64, draw: impl Fn(&mut rand_chacha::ChaCha20Rng) -> f64) -> usize {
        use rand::SeedableRng;
        let grid = Grid::covering([0.0, 0.0, 10_000.0, 10_000.0], Metres(250.0));
        let study = vec![true; grid.len()];
        (0..WORLDS)
            .filter(|world| {
                let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1000 + world);
                let values: Vec<f64> = (0..grid.len()).map(|_| draw(&mut rng)).collect();
                gi_star(&grid, &values, &study, Metres(500.0), noise_var).spots.iter().flatten().any(|s| s.class != SpotClass::NotSignificant)
            })
            .count()
    }

    #[test]
    fn worlds_without_a_pattern_have_no_hot_spots_beyond_the_stated_rate() {
        use rand_distr::{Distribution, Normal as Gauss, Poisson};
        // Sparse raw counts (0.5 a cell), a span of seven years (3.5), and released estimates of
        // seven source-years (noise of variance 7 × 3.3 on top). At q < 0.10 a map with any
        // discovery may appear in about 10 of 100 worlds; the normal reference found hot spots
        // in 41 of 100 sparse worlds.
        let sparse = Poisson::new(0.5).unwrap();
        let span = Poisson::new(3.5).unwrap();
        let noise = Gauss::new(0.0, (7.0f64 * 3.3).sqrt()).unwrap();
        for (what, found) in [
            ("sparse counts", worlds_with_discoveries(0.0, |rng| sparse.sample(rng))),
            ("seven years", worlds_with_discoveries(0.0, |rng| span.sample(rng))),
            ("released estimates", worlds_with_discoveries(7.0 * 3.3, |rng| span.sample(rng) + noise.sample(rng))),
        ] {
            // Nominally 10 of 100 under BH at q < 0.10 (fewer on discrete counts); 15 is 1.7
            // binomial standard deviations above.
            println!("{what}: {found} of {WORLDS}");
            assert!(found <= 15, "{what}: hot or cold spots in {found} of {WORLDS} worlds without a pattern");
        }
    }

    #[test]
    fn cells_outside_the_study_area_are_not_classified() {
        let grid = Grid::covering([0.0, 0.0, 500.0, 100.0], Metres(100.0));
        let study = [true, true, true, true, false];
        let spots = gi_star(&grid, &[1.0, 2.0, 3.0, 4.0, 100.0], &study, Metres(100.0), 0.0).spots;
        assert!(spots[4].is_none() && spots[0].is_some());
    }
}
