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
//! low-high, low-low (a cold cluster), high-low. A cell at the mean (zᵢ = 0, so every permuted
//! Iᵢ is 0 too) has p = 1 (esda's count makes it 1 / (permutations + 1)).
//!
//! Like esda, the random draws are shared by the cells (esda draws one set of indices for all
//! cells): per neighbourhood size k, `permutations` ordered draws of k + 1 of the n cells, drawn
//! once. Cell i's draw is the first k, with i, when among them, replaced by the (k + 1)-th: a
//! uniform draw of k from the other n − 1, as conditional permutation asks. Since Iᵢ of a draw
//! only compares its sum with the observed one, the sums are sorted once and each cell counts the
//! draws above its own sum by binary search, then corrects the few draws that hold it (about
//! k · permutations / n): O(log permutations) a cell instead of k · permutations.
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
    let neighbours_of =
        |k: usize| -> Vec<usize> { offsets.iter().filter_map(|&o| grid.offset(cells[k], o)).map(|j| position[j]).filter(|&j| j != usize::MAX).collect() };
    let sizes: std::collections::BTreeSet<usize> = (0..n).map(|k| neighbours_of(k).len()).filter(|&m| m > 0).collect();
    let references: std::collections::HashMap<usize, Reference> =
        sizes.into_iter().map(|m| (m, Reference::draw(&z, m, permutations, seed ^ (m as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)))).collect();
    let scored: Vec<Option<(usize, f64, Quadrant, f64)>> = crate::parallel::map(&(0..n).collect::<Vec<_>>(), crate::parallel::cores(), |&k| {
        let neighbours = neighbours_of(k);
        let reference = references.get(&neighbours.len())?;
        let sum = neighbours.iter().map(|&j| z[j]).sum::<f64>();
        let lag = sum / neighbours.len() as f64;
        let observed = z[k] / m2 * lag;
        let quadrant = match (z[k] > 0.0, lag > 0.0) {
            (true, true) => Quadrant::HighHigh,
            (false, true) => Quadrant::LowHigh,
            (false, false) => Quadrant::LowLow,
            (true, false) => Quadrant::HighLow,
        };
        Some((k, observed, quadrant, reference.p_value(&z, k, sum)))
    });
    let scored: Vec<(usize, f64, Quadrant, f64)> = scored.into_iter().flatten().collect();
    let q = benjamini_hochberg(&scored.iter().map(|s| s.3).collect::<Vec<_>>());
    for ((k, i, quadrant, p), q) in scored.into_iter().zip(q) {
        out[cells[k]] = Some(Local { i, quadrant, p, q });
    }
    out
}

/// The shared random draws for neighbourhoods of one size `m` (see the module's algorithm).
struct Reference {
    /// Per draw: the sum of its first m values.
    sums: Vec<f64>,
    /// The same sums, sorted.
    sorted: Vec<f64>,
    /// Per draw: the (m + 1)-th value, which stands in for a cell drawn as its own neighbour.
    spare: Vec<f64>,
    /// (cell, draw) for every cell among a draw's first m, sorted by cell.
    holding: Vec<(u32, u32)>,
}

impl Reference {
    /// `permutations` ordered draws of m + 1 distinct cells from `seed` (partial Fisher-Yates).
    fn draw(z: &[f64], m: usize, permutations: usize, seed: u64) -> Reference {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut pool: Vec<u32> = (0..z.len() as u32).collect();
        let take = (m + 1).min(pool.len());
        let (mut sums, mut spare, mut holding) = (Vec::with_capacity(permutations), Vec::with_capacity(permutations), Vec::with_capacity(permutations * m));
        for draw in 0..permutations as u32 {
            for slot in 0..take {
                let pick = rng.random_range(slot..pool.len());
                pool.swap(slot, pick);
            }
            sums.push(pool[..m].iter().map(|&j| z[j as usize]).sum::<f64>());
            spare.push(pool.get(m).filter(|_| take > m).map_or(0.0, |&j| z[j as usize]));
            holding.extend(pool[..m].iter().map(|&j| (j, draw)));
        }
        holding.sort_unstable();
        let mut sorted = sums.clone();
        sorted.sort_by(f64::total_cmp);
        Reference { sums, sorted, spare, holding }
    }

    /// The folded pseudo p-value of cell `k` whose neighbours sum to `observed`: the draws whose
    /// Iₖ is at least the observed one (z_k · sum ≥ z_k · observed).
    fn p_value(&self, z: &[f64], k: usize, observed: f64) -> f64 {
        let zk = z[k];
        if zk == 0.0 {
            return 1.0;
        }
        let beyond = |sum: f64| if zk > 0.0 { sum >= observed } else { sum <= observed };
        let mut larger =
            if zk > 0.0 { self.sorted.len() - self.sorted.partition_point(|&s| s < observed) } else { self.sorted.partition_point(|&s| s <= observed) };
        let start = self.holding.partition_point(|&(cell, _)| (cell as usize) < k);
        for &(_, draw) in self.holding[start..].iter().take_while(|(cell, _)| *cell as usize == k) {
            let (was, is) = (self.sums[draw as usize], self.sums[draw as usize] - zk + self.spare[draw as usize]);
            larger = larger + usize::from(beyond(is)) - usize::from(beyond(was));
        }
        let permutations = self.sums.len();
        let folded = larger.min(permutations - larger);
        (folded + 1) as f64 / (permutations + 1) as f64
    }
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

    #[test]
    fn shared_draws_give_each_cells_own_conditional_permutation_p_value() {
        // Against drawing each cell's neighbours afresh from the other n − 1 values: on 6 × 6
        // random cells with up to 20 neighbours (so leaving the cell itself out matters) the two
        // p-values agree within Monte Carlo error (9,999 draws: sd ≤ 0.005).
        let grid = Grid::covering([0.0, 0.0, 600.0, 600.0], Metres(100.0));
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let values: Vec<f64> = (0..grid.len()).map(|_| f64::from(rng.random_range(0..8u32))).collect();
        let found = local_moran(&grid, &values, &vec![true; grid.len()], Metres(250.0), 9999, 5);
        let mean = values.iter().sum::<f64>() / values.len() as f64;
        let z: Vec<f64> = values.iter().map(|v| v - mean).collect();
        let offsets: Vec<(isize, isize)> = grid.offsets_within(Metres(250.0)).into_iter().filter(|&o| o != (0, 0)).collect();
        let mut worst: f64 = 0.0;
        for k in 0..grid.len() {
            let neighbours: Vec<usize> = offsets.iter().filter_map(|&o| grid.offset(k, o)).collect();
            let observed: f64 = neighbours.iter().map(|&j| z[j]).sum();
            let others: Vec<f64> = z.iter().enumerate().filter(|&(j, _)| j != k).map(|(_, v)| *v).collect();
            let larger = (0..9999)
                .filter(|_| {
                    let mut pool = others.clone();
                    let sum: f64 = (0..neighbours.len())
                        .map(|slot| {
                            let pick = rng.random_range(slot..pool.len());
                            pool.swap(slot, pick);
                            pool[slot]
                        })
                        .sum();
                    z[k] * sum >= z[k] * observed
                })
                .count();
            let brute = if z[k] == 0.0 { 1.0 } else { (larger.min(9999 - larger) + 1) as f64 / 10_000.0 };
            worst = worst.max((brute - found[k].unwrap().p).abs());
        }
        assert!(worst < 0.03, "largest difference in p {worst}");
    }
}
