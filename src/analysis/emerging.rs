//! Emerging hot and cold spots: is a place getting worse, and since when? ArcGIS Pro's
//! *Emerging Hot Spot Analysis*, done exactly as Esri defines it, with a false-discovery-rate
//! correction.
//!
//! # Algorithm
//! 1. A space-time cube: a value (count) per grid cell and time step; every step has every cell.
//! 2. Gi* per bin: the neighbourhood of cell i at step t is every study cell within `band` at
//!    steps t, t−1, …, t−k (`time_lag` k, Esri's *Neighborhood Time Step*), binary weights; the
//!    mean and standard deviation are those of all study bins of the cube (Esri's space-time Gi*).
//!    Two-sided p-values are exact under complete spatial randomness: a neighbourhood's sum is
//!    Poisson with w times the cube's mean, plus the release's noise for released figures
//!    (`super::csr_tails`; Esri and esda use the normal distribution, which on sparse counts
//!    finds hot spots in noise). All bins are adjusted together by Benjamini-Hochberg; a bin is a
//!    significant hot (cold) spot when its adjusted p is below `alpha_bin` and z > 0 (z < 0).
//!    The z-scores are Esri's.
//! 3. Per location, the Mann-Kendall test on its series of z-scores: a significant rise or fall
//!    (p below `alpha_trend`) says the clustering intensifies or diminishes.
//! 4. One of 17 patterns per location (`Pattern`), by Esri's definitions (hot side; the cold
//!    side mirrors it), evaluated in this order for a location hot in the final step:
//!    - **new**: hot in the final step and never before;
//!    - **intensifying** / **persistent** / **diminishing**: hot in at least 90 % of the steps
//!      (the final one included), with a significant rising / no / a significant falling trend;
//!    - **consecutive**: one uninterrupted run of at least two hot steps ending in the final one,
//!      never hot before the run (and under 90 % of the steps hot);
//!    - **oscillating**: under 90 % hot, and a significant cold spot in some earlier step;
//!    - **sporadic**: under 90 % hot, on and off before, never cold.
//!
//!    A location not hot (or cold) in the final step is **historical** when it was hot (cold) in
//!    at least 90 % of the steps, else **no pattern**. A location hot in the final step takes a
//!    hot pattern even if it was mostly cold (new, or oscillating).
//!
//! Where `sfdep` departs from Esri (METHODS.md), this follows Esri: the FDR correction, 90 %
//! counted over all steps, the final step required for sporadic, runs of at least two. Esri's
//! text leaves open whether *persistent* needs the final step; here it does, since a location
//! hot for 90 % of the steps but not in the final one is *historical* by Esri's own definition.
//!
//! # References
//! Esri, "How Emerging Hot Spot Analysis works", ArcGIS Pro 3 documentation (Space Time Pattern
//! Mining toolbox); Ord & Getis (1995); Mann (1945); Benjamini & Hochberg (1995).

use serde::Serialize;

use super::csr_tails::CsrTails;
use super::fdr::benjamini_hochberg;
use super::grid::Grid;
use super::mann_kendall::{MannKendall, mann_kendall};
use crate::spatial::Metres;

/// Values per cell of `grid`, one vector per time step (oldest first).
pub struct Cube<'a> {
    pub grid: &'a Grid,
    pub steps: &'a [Vec<f64>],
    /// Which cells belong to the study area (others are neither counted nor classified).
    pub study: &'a [bool],
    /// The noise variance of each value (0 for counts read from the raw rows).
    pub noise_var: f64,
}

/// The analysis' choices, with Esri's defaults where Esri has one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Params {
    /// Cells whose centres lie within this distance are spatial neighbours (the cell too).
    pub band: Metres,
    /// How many earlier steps the neighbourhood reaches back (Esri's default: 1).
    pub time_lag: usize,
    /// A bin is significant when its FDR-adjusted p is below this (0.10: Esri's 90 %).
    pub alpha_bin: f64,
    /// A trend is significant when the Mann-Kendall p is below this.
    pub alpha_trend: f64,
}

impl Params {
    pub fn new(band: Metres) -> Params {
        Params { band, time_lag: 1, alpha_bin: 0.10, alpha_trend: 0.05 }
    }
}

/// A location's state in one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Hot,
    Cold,
    NotSignificant,
}

/// The eight kinds of hot (or cold) spot pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    New,
    Consecutive,
    Intensifying,
    Persistent,
    Diminishing,
    Sporadic,
    Oscillating,
    Historical,
}

/// One of Esri's 17 patterns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case", tag = "side", content = "kind")]
pub enum Pattern {
    Hot(Kind),
    Cold(Kind),
    NoPattern,
}

impl Pattern {
    /// The pattern in words, in bokmål or English (the map's legend and the panel).
    pub fn label(self, norwegian: bool) -> String {
        let (kind, hot) = match self {
            Pattern::NoPattern => return if norwegian { "intet mønster".into() } else { "no pattern".into() },
            Pattern::Hot(kind) => (kind, true),
            Pattern::Cold(kind) => (kind, false),
        };
        let (nb, en) = match kind {
            Kind::New => ("ny", "new"),
            Kind::Consecutive => ("sammenhengende", "consecutive"),
            Kind::Intensifying => ("tiltagende", "intensifying"),
            Kind::Persistent => ("vedvarende", "persistent"),
            Kind::Diminishing => ("avtagende", "diminishing"),
            Kind::Sporadic => ("sporadisk", "sporadic"),
            Kind::Oscillating => ("vekslende", "oscillating"),
            Kind::Historical => ("tidligere", "historical"),
        };
        match (norwegian, hot) {
            (true, true) => format!("{nb} varm sone"),
            (true, false) => format!("{nb} kald sone"),
            (false, true) => format!("{en} hot spot"),
            (false, false) => format!("{en} cold spot"),
        }
    }
}

/// One location of the cube: its z-score and state per step, its trend and its pattern.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Location {
    pub cell: usize,
    pub z: Vec<f64>,
    pub states: Vec<State>,
    /// Mann-Kendall on the z-scores; `None` when the series cannot be tested (flat, too short).
    pub trend: Option<MannKendall>,
    pub pattern: Pattern,
}

/// Every study cell of the cube, classified (cells in index order).
pub fn emerging_hot_spots(cube: &Cube<'_>, params: &Params) -> Vec<Location> {
    let steps = cube.steps.len();
    let cells: Vec<usize> = (0..cube.grid.len()).filter(|&i| cube.study[i]).collect();
    let n = (cells.len() * steps) as f64;
    if steps == 0 || n < 3.0 {
        return Vec::new();
    }
    let (sum, sum2) = cube.steps.iter().flat_map(|values| cells.iter().map(move |&i| values[i])).fold((0.0, 0.0), |(a, b), v| (a + v, b + v * v));
    let mean = sum / n;
    let s = (sum2 / n - mean * mean).max(0.0).sqrt();
    let offsets = cube.grid.offsets_within(params.band);
    let mut tails = CsrTails::new(mean.max(0.0), cube.noise_var);
    // z and p of every bin, location by location, steps in order.
    let mut z = Vec::with_capacity(cells.len() * steps);
    let mut p = Vec::with_capacity(cells.len() * steps);
    for &i in &cells {
        for t in 0..steps {
            let (mut w, mut wx) = (0.0, 0.0);
            for values in &cube.steps[t.saturating_sub(params.time_lag)..=t] {
                for &o in &offsets {
                    if let Some(j) = cube.grid.offset(i, o).filter(|&j| cube.study[j]) {
                        w += 1.0;
                        wx += values[j];
                    }
                }
            }
            let denominator = s * ((n * w - w * w) / (n - 1.0)).max(0.0).sqrt();
            let zi = if denominator > 0.0 { (wx - mean * w) / denominator } else { 0.0 };
            z.push(zi);
            p.push(tails.two_sided_deciding(w as usize, wx));
        }
    }
    let q = benjamini_hochberg(&p);
    cells
        .iter()
        .enumerate()
        .map(|(k, &cell)| {
            let range = k * steps..(k + 1) * steps;
            let z = z[range.clone()].to_vec();
            let states: Vec<State> = range.map(|b| state(z[b % steps], q[b], params.alpha_bin)).collect();
            let trend = mann_kendall(&z);
            let pattern = classify(&states, trend.filter(|t| t.p < params.alpha_trend).map(|t| t.z));
            Location { cell, z, states, trend, pattern }
        })
        .collect()
}

fn state(z: f64, q: f64, alpha: f64) -> State {
    match (q < alpha, z > 0.0) {
        (false, _) => State::NotSignificant,
        (true, true) => State::Hot,
        (true, false) => State::Cold,
    }
}

/// The pattern of a location from its states (oldest first) and the z of its significant
/// trend, if any (positive: the clustering intensifies).
pub fn classify(states: &[State], significant_trend: Option<f64>) -> Pattern {
    let Some(&last) = states.last() else { return Pattern::NoPattern };
    let share = |side: State| states.iter().filter(|s| **s == side).count() as f64 / states.len() as f64;
    match last {
        State::Hot => Pattern::Hot(kind_ending_in(states, State::Hot, State::Cold, significant_trend)),
        State::Cold => Pattern::Cold(kind_ending_in(states, State::Cold, State::Hot, significant_trend.map(|z| -z))),
        State::NotSignificant if share(State::Hot) >= MOSTLY => Pattern::Hot(Kind::Historical),
        State::NotSignificant if share(State::Cold) >= MOSTLY => Pattern::Cold(Kind::Historical),
        State::NotSignificant => Pattern::NoPattern,
    }
}

/// "At least 90 percent of the time-step intervals".
const MOSTLY: f64 = 0.9;

/// The kind of a location whose final step is `side`; `towards` is the trend's z turned so that
/// positive means "more of `side`".
fn kind_ending_in(states: &[State], side: State, opposite: State, towards: Option<f64>) -> Kind {
    let count = states.iter().filter(|s| **s == side).count();
    let run = states.iter().rev().take_while(|s| **s == side).count();
    if count == 1 {
        Kind::New
    } else if count as f64 / states.len() as f64 >= MOSTLY {
        match towards {
            Some(z) if z > 0.0 => Kind::Intensifying,
            Some(z) if z < 0.0 => Kind::Diminishing,
            _ => Kind::Persistent,
        }
    } else if run >= 2 && run == count {
        Kind::Consecutive
    } else if states.contains(&opposite) {
        Kind::Oscillating
    } else {
        Kind::Sporadic
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use State::{Cold as C, Hot as H, NotSignificant as N};

    /// Every one of the 17 patterns, from hand-built state series (10 steps, so 90 % is 9).
    #[test]
    fn every_pattern_by_esris_definitions() {
        let up = Some(2.5);
        let down = Some(-2.5);
        let cases: &[(&[State], Option<f64>, Pattern)] = &[
            (&[N, N, N, N, N, N, N, N, N, H], None, Pattern::Hot(Kind::New)),
            (&[C, N, N, N, N, N, N, N, N, H], None, Pattern::Hot(Kind::New)),
            (&[N, N, N, N, N, N, N, H, H, H], None, Pattern::Hot(Kind::Consecutive)),
            (&[H, H, H, H, H, H, H, H, H, H], up, Pattern::Hot(Kind::Intensifying)),
            (&[N, H, H, H, H, H, H, H, H, H], None, Pattern::Hot(Kind::Persistent)),
            (&[H, H, H, H, H, H, H, H, H, H], down, Pattern::Hot(Kind::Diminishing)),
            (&[N, H, N, H, N, N, H, N, N, H], None, Pattern::Hot(Kind::Sporadic)),
            (&[N, C, N, H, N, N, N, N, H, H], None, Pattern::Hot(Kind::Oscillating)),
            (&[H, H, H, H, H, H, H, H, H, N], None, Pattern::Hot(Kind::Historical)),
            (&[N, N, N, N, N, N, N, N, N, C], None, Pattern::Cold(Kind::New)),
            (&[N, N, N, N, N, N, N, N, C, C], None, Pattern::Cold(Kind::Consecutive)),
            (&[C, C, C, C, C, C, C, C, C, C], down, Pattern::Cold(Kind::Intensifying)),
            (&[C, C, C, C, C, C, C, C, C, C], None, Pattern::Cold(Kind::Persistent)),
            (&[C, C, C, C, N, C, C, C, C, C], up, Pattern::Cold(Kind::Diminishing)),
            (&[C, N, N, C, N, C, N, N, N, C], None, Pattern::Cold(Kind::Sporadic)),
            (&[N, H, N, N, N, N, N, C, N, C], None, Pattern::Cold(Kind::Oscillating)),
            (&[C, C, C, C, C, C, C, C, C, N], None, Pattern::Cold(Kind::Historical)),
            (&[N, H, N, C, N, H, N, N, N, N], None, Pattern::NoPattern),
        ];
        for (states, trend, want) in cases {
            assert_eq!(classify(states, *trend), *want, "{states:?} {trend:?}");
        }
        let distinct: std::collections::BTreeSet<Pattern> = cases.iter().map(|c| c.2).collect();
        assert_eq!(distinct.len(), 17);
    }

    #[test]
    fn the_edges_of_the_definitions() {
        // A run of one after earlier hot steps is sporadic, not consecutive.
        assert_eq!(classify(&[H, N, N, N, H], None), Pattern::Hot(Kind::Sporadic));
        // A run of two with a hot step before it is not consecutive either.
        assert_eq!(classify(&[H, N, N, H, H], None), Pattern::Hot(Kind::Sporadic));
        // 8 of 10 steps hot is under 90 %: a run to the end is consecutive only if nothing
        // came before it.
        assert_eq!(classify(&[N, N, H, H, H, H, H, H, H, H], None), Pattern::Hot(Kind::Consecutive));
        // Mostly cold but hot in the final step: a hot pattern (new when hot only then).
        assert_eq!(classify(&[C, C, C, C, C, C, C, C, N, H], None), Pattern::Hot(Kind::New));
        assert_eq!(classify(&[C, C, C, C, C, C, C, H, N, H], None), Pattern::Hot(Kind::Oscillating));
        assert_eq!(classify(&[], None), Pattern::NoPattern);
    }

    #[test]
    fn worlds_without_a_pattern_have_no_emerging_hot_spots_beyond_the_stated_rate() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, Normal, Poisson};
        // 100 worlds of sparse counts (0.5 a cell and year, 20 x 20 cells of 250 m, 7 years),
        // band 250 m, as counted and as released (the noise of one source-year's cell, variance
        // 3.3, on every count): a map with any pattern may appear in about 10 of 100 at q < 0.10
        // (the normal reference: 17).
        let grid = Grid::covering([0.0, 0.0, 5000.0, 5000.0], Metres(250.0));
        let study = vec![true; grid.len()];
        let counts = Poisson::new(0.5).unwrap();
        for noise_var in [0.0, 3.3] {
            let noise = Normal::new(0.0, f64::sqrt(noise_var)).unwrap();
            let found = (0..100u64)
                .filter(|world| {
                    let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(500 + world);
                    let steps: Vec<Vec<f64>> = (0..7).map(|_| (0..grid.len()).map(|_| counts.sample(&mut rng) + noise.sample(&mut rng)).collect()).collect();
                    let cube = Cube { grid: &grid, steps: &steps, study: &study, noise_var };
                    emerging_hot_spots(&cube, &Params::new(Metres(250.0))).iter().any(|l| l.pattern != Pattern::NoPattern)
                })
                .count();
            println!("emerging, noise variance {noise_var}: {found} of 100");
            assert!(found <= 15, "emerging patterns in {found} of 100 worlds without a pattern (noise variance {noise_var})");
        }
    }

    /// A 12 × 12 grid of 100 m cells over 8 years: background counts of about 21 in a fixed
    /// pattern, a block that is busy every year and growing, and a block that only starts in the
    /// last two years.
    #[test]
    fn planted_clusters_are_found_with_their_history() {
        let grid = Grid::covering([0.0, 0.0, 1200.0, 1200.0], Metres(100.0));
        let block = |i: usize, (c0, r0): (usize, usize)| (i % grid.cols).abs_diff(c0) <= 1 && (i / grid.cols).abs_diff(r0) <= 1;
        let steps: Vec<Vec<f64>> = (0..8)
            .map(|t| {
                (0..grid.len())
                    .map(|i| {
                        let background = 20.0 + ((i * 7 + t * 3) % 4) as f64;
                        if block(i, (3, 3)) {
                            30.0 + 4.0 * t as f64
                        } else if block(i, (8, 8)) && t >= 6 {
                            40.0
                        } else {
                            background
                        }
                    })
                    .collect()
            })
            .collect();
        let study = vec![true; grid.len()];
        let cube = Cube { grid: &grid, steps: &steps, study: &study, noise_var: 0.0 };
        let found = emerging_hot_spots(&cube, &Params::new(Metres(100.0)));
        assert_eq!(found.len(), grid.len());
        let at = |c: usize, r: usize| found.iter().find(|l| l.cell == r * grid.cols + c).unwrap();
        assert_eq!(at(3, 3).pattern, Pattern::Hot(Kind::Intensifying), "{:?}", at(3, 3));
        assert_eq!(at(8, 8).pattern, Pattern::Hot(Kind::Consecutive), "{:?}", at(8, 8));
        // Far from both blocks: nothing.
        assert_eq!(at(11, 0).pattern, Pattern::NoPattern, "{:?}", at(11, 0));
    }

    #[test]
    fn the_space_time_gi_star_of_one_bin_by_hand() {
        // 3 cells in a row (100 m), 2 steps, band 100 m, lag 1. Values step 0: 0 0 6, step 1:
        // 0 0 6. n = 6 bins, mean 2, S = √(72/6 − 4) = √8. The last cell at step 1 has the
        // neighbours {1, 2} at steps 0 and 1: w = 4, Σwx = 12; z = (12 − 8) / (√8 · √((24 − 16)/5)).
        let grid = Grid::covering([0.0, 0.0, 300.0, 100.0], Metres(100.0));
        let steps = vec![vec![0.0, 0.0, 6.0], vec![0.0, 0.0, 6.0]];
        let study = vec![true; 3];
        let found = emerging_hot_spots(&Cube { grid: &grid, steps: &steps, study: &study, noise_var: 0.0 }, &Params::new(Metres(100.0)));
        let want = 4.0 / (8f64.sqrt() * (8.0f64 / 5.0).sqrt());
        assert!((found[2].z[1] - want).abs() < 1e-12, "{} vs {want}", found[2].z[1]);
        // At step 0 only step 0 is in reach: w = 2, Σwx = 6: z = (6 − 4) / (√8 · √((12 − 4)/5)).
        let want0 = 2.0 / (8f64.sqrt() * (8.0f64 / 5.0).sqrt());
        assert!((found[2].z[0] - want0).abs() < 1e-12, "{} vs {want0}", found[2].z[0]);
    }
}
