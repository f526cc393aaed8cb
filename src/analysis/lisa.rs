//! Local Moran's I (LISA): where do high values sit among high ones (a cluster), low among low,
//! or one against its neighbourhood (an outlier)?
//!
//! # Algorithm
//! With z = x − x̄ over the n study cells, m₂ = Σ z² / (n − 1) and row-standardised binary weights
//! (neighbours: the other study cells within `band`, not the cell itself),
//! Iᵢ = (zᵢ / m₂) · Σⱼ wᵢⱼ zⱼ. Inference by conditional permutation, as `esda.Moran_Local`: cell
//! i keeps its value while its kᵢ neighbours are drawn at random from the other n − 1 values,
//! `permutations` times (seeded, so runs repeat); the pseudo p-value is folded to the nearer tail,
//! p = (min(#≥Iᵢ, #<Iᵢ) + 1) / (permutations + 1), and adjusted by Benjamini-Hochberg. The
//! quadrant follows the signs of zᵢ and of its spatial lag Σⱼ wᵢⱼ zⱼ: high-high (a hot cluster),
//! low-high, low-low (a cold cluster), high-low.
//!
//! m₂ divides by n − 1 as `esda` does (Anselin divides by n): the factor n / (n − 1) scales every
//! Iᵢ alike and changes no p-value, quadrant or ranking, and the figures agree with PySAL's.
//!
//! # References
//! Anselin, L. (1995), "Local indicators of spatial association — LISA", *Geographical Analysis*
//! 27(2); PySAL `esda.Moran_Local` (conditional randomisation, folded pseudo p-values).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::fdr::benjamini_hochberg;
use super::grid::Grid;
use crate::spatial::Metres;

/// Where a cell sits against its neighbourhood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Quadrant {
    HighHigh,
    LowHigh,
    LowLow,
    HighLow,
}

/// Local Moran's I of one study cell.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Local {
    pub i: f64,
    pub quadrant: Quadrant,
    /// Folded pseudo p-value of the conditional permutations.
    pub p: f64,
    /// Benjamini-Hochberg adjusted p.
    pub q: f64,
}

/// Local Moran's I for every study cell (`None` outside the study area, and for a cell without
/// neighbours), with `permutations` conditional permutations from `seed`.
pub fn local_moran(grid: &Grid, values: &[f64], study: &[bool], band: Metres, permutations: usize, seed: u64) -> Vec<Option<Local>> {
    let cells: Vec<usize> = (0..grid.len()).filter(|&i| study[i]).collect();
    let n = cells.len();
    let mut out = vec![None; grid.len()];
    if n < 3 {
        return out;
    }
    let mean = cells.iter().map(|&i| values[i]).sum::<f64>() / n as f64;
    let z: Vec<f64> = cells.iter().map(|&i| values[i] - mean).collect();
    let m2 = z.iter().map(|v| v * v).sum::<f64>() / (n - 1) as f64;
    if m2 <= 0.0 {
        return out;
    }
    let mut position = vec![usize::MAX; grid.len()];
    for (k, &i) in cells.iter().enumerate() {
        position[i] = k;
    }
    let offsets: Vec<(isize, isize)> = grid.offsets_within(band).into_iter().filter(|&o| o != (0, 0)).collect();
    let scored: Vec<Option<(usize, f64, Quadrant, f64)>> = crate::parallel::map(&(0..n).collect::<Vec<_>>(), crate::parallel::cores(), |&k| {
        let neighbours: Vec<usize> = offsets.iter().filter_map(|&o| grid.offset(cells[k], o)).map(|j| position[j]).filter(|&j| j != usize::MAX).collect();
        if neighbours.is_empty() {
            return None;
        }
        let lag = neighbours.iter().map(|&j| z[j]).sum::<f64>() / neighbours.len() as f64;
        let observed = z[k] / m2 * lag;
        let quadrant = match (z[k] > 0.0, lag > 0.0) {
            (true, true) => Quadrant::HighHigh,
            (false, true) => Quadrant::LowHigh,
            (false, false) => Quadrant::LowLow,
            (true, false) => Quadrant::HighLow,
        };
        let p = permuted_p(&z, k, neighbours.len(), observed, m2, permutations, seed);
        Some((k, observed, quadrant, p))
    });
    let scored: Vec<(usize, f64, Quadrant, f64)> = scored.into_iter().flatten().collect();
    let q = benjamini_hochberg(&scored.iter().map(|s| s.3).collect::<Vec<_>>());
    for ((k, i, quadrant, p), q) in scored.into_iter().zip(q) {
        out[cells[k]] = Some(Local { i, quadrant, p, q });
    }
    out
}

/// The folded pseudo p-value of cell `k`: its value kept, `neighbours` others drawn without
/// replacement from the rest, `permutations` times. Each cell has its own stream from `seed`, so
/// the answer does not depend on how cells are split over threads.
fn permuted_p(z: &[f64], k: usize, neighbours: usize, observed: f64, m2: f64, permutations: usize, seed: u64) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let mut pool: Vec<f64> = z.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, v)| *v).collect();
    let mut larger = 0usize;
    for _ in 0..permutations {
        // A partial Fisher-Yates shuffle: the first `neighbours` entries are the draw.
        let mut sum = 0.0;
        for slot in 0..neighbours {
            let pick = rng.random_range(slot..pool.len());
            pool.swap(slot, pick);
            sum += pool[slot];
        }
        if z[k] / m2 * (sum / neighbours as f64) >= observed {
            larger += 1;
        }
    }
    let folded = larger.min(permutations - larger);
    (folded + 1) as f64 / (permutations + 1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_i_of_one_cell_by_hand() {
        // 3 cells in a row, band 100 m: cell 0's only neighbour is cell 1. Values 1 2 6: mean 3,
        // z = −2 −1 3, m₂ = 14/2 = 7. I₀ = (−2 / 7) · (−1) = 2/7. Cell 2: (3 / 7) · (−1).
        let grid = Grid::covering([0.0, 0.0, 300.0, 100.0], Metres(100.0));
        let found = local_moran(&grid, &[1.0, 2.0, 6.0], &[true; 3], Metres(100.0), 99, 7);
        let c0 = found[0].unwrap();
        assert!((c0.i - 2.0 / 7.0).abs() < 1e-12, "{c0:?}");
        assert_eq!(c0.quadrant, Quadrant::LowLow);
        let c2 = found[2].unwrap();
        assert!((c2.i + 3.0 / 7.0).abs() < 1e-12, "{c2:?}");
        assert_eq!(c2.quadrant, Quadrant::HighLow);
        // Cell 1: neighbours 0 and 2 (row-standardised: the mean of −2 and 3).
        assert!((found[1].unwrap().i - (-1.0 / 7.0) * 0.5).abs() < 1e-12);
    }

    #[test]
    fn a_planted_cluster_is_high_high_and_significant_and_runs_repeat() {
        // 20 × 20 cells; a 4 × 4 block of 30 in a field of 0-3.
        let grid = Grid::covering([0.0, 0.0, 2000.0, 2000.0], Metres(100.0));
        let values: Vec<f64> = (0..grid.len())
            .map(|i| if (8..12).contains(&(i % grid.cols)) && (8..12).contains(&(i / grid.cols)) { 30.0 } else { ((i * 7) % 4) as f64 })
            .collect();
        let study = vec![true; grid.len()];
        let found = local_moran(&grid, &values, &study, Metres(150.0), 999, 1);
        let centre = found[9 * grid.cols + 9].unwrap();
        assert_eq!(centre.quadrant, Quadrant::HighHigh);
        assert!(centre.p <= 0.002 && centre.q < 0.05, "{centre:?}");
        // A background cell far from the block is not significant.
        let corner = found[0].unwrap();
        assert!(corner.q > 0.05, "{corner:?}");
        assert_eq!(found, local_moran(&grid, &values, &study, Metres(150.0), 999, 1), "same seed, same answer");
    }
}
