//! Kernel density estimation on a [`Grid`].
//!
//! # Parameters
//! - points with weights, in EPSG:25832 metres;
//! - a grid (cell size 25-250 m is sensible) and a bandwidth `h` in metres (100-1000 m);
//! - a [`Kernel`]; [`Quartic`] is the biweight kernel of QGIS's heatmap tool.
//!
//! # Returns
//! A [`Density`]: per cell, the density in weight per km² at the cell centre, and the number of
//! points within the bandwidth (the *support*, used to blank cells resting on fewer than k
//! incidents in public output).
//!
//! # Algorithm
//! Points at the same position are merged first (incidents are snapped to a 100 m grid, so 1M
//! incidents collapse to a few tens of thousands of positions). Each position then adds its kernel
//! to the cells whose centres lie within `h`: O(positions × (2h / cell)²).
//!
//! # Notes
//! QGIS's "raw" quartic output is Σ w·(1 − d²/h²)². bomiljo multiplies it by the normalising
//! constant 3/(πh²), so the surface integrates to the total weight and reads as incidents per km²
//! (×10⁶ from m²).
//!
//! # References
//! Silverman, B. W. (1986). *Density Estimation for Statistics and Data Analysis*, eq. 4.5;
//! QGIS Heatmap (Kernel Density Estimation), `qgskde.cpp`.

use std::collections::HashMap;

use super::grid::Grid;
use crate::spatial::Metres;

/// A kernel: its shape as a function of (d/h)², and the constant that makes it integrate to 1.
pub trait Kernel {
    /// The kernel's shape at squared relative distance `u2 = (d/h)²`, for `u2 < 1`.
    fn shape(&self, u2: f64) -> f64;
    /// The constant that turns the shape into a density per m² for bandwidth `h` metres.
    fn normalisation(&self, h: Metres) -> f64;
}

/// The quartic (biweight) kernel: K(u) = 3/π · (1 − u²)² on the unit disc.
#[derive(Clone, Copy, Debug, Default)]
pub struct Quartic;

impl Kernel for Quartic {
    fn shape(&self, u2: f64) -> f64 {
        (1.0 - u2).powi(2)
    }

    fn normalisation(&self, h: Metres) -> f64 {
        3.0 / (std::f64::consts::PI * h.0 * h.0)
    }
}

/// A point with a weight (1 for a plain count).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WeightedPoint {
    pub x: f64,
    pub y: f64,
    pub weight: f64,
}

/// The result of [`kde`].
#[derive(Clone, Debug)]
pub struct Density {
    pub grid: Grid,
    /// Weight per km² at each cell centre.
    pub per_km2: Vec<f64>,
    /// Points within the bandwidth of each cell centre.
    pub support: Vec<u32>,
}

/// Kernel density of `points` on `grid`.
///
/// ```
/// use bomiljo::analysis::{grid::Grid, kde::{kde, Quartic, WeightedPoint}};
/// use bomiljo::spatial::Metres;
/// // One incident at the centre of a 100 m cell: density there is 3/(π h²) per m².
/// let grid = Grid::covering([0.0, 0.0, 100.0, 100.0], Metres(100.0));
/// let d = kde(&[WeightedPoint { x: 50.0, y: 50.0, weight: 1.0 }], &grid, Metres(300.0), &Quartic);
/// let expected = 3.0 / (std::f64::consts::PI * 300.0 * 300.0) * 1e6;
/// assert!((d.per_km2[0] - expected).abs() < 1e-9);
/// assert_eq!(d.support[0], 1);
/// ```
pub fn kde<K: Kernel>(points: &[WeightedPoint], grid: &Grid, bandwidth: Metres, kernel: &K) -> Density {
    let mut per_km2 = vec![0.0; grid.len()];
    let mut support = vec![0u32; grid.len()];
    let h2 = bandwidth.0 * bandwidth.0;
    let scale = kernel.normalisation(bandwidth) * 1e6;
    let c = grid.cell.0;
    for (x, y, weight, count) in merge_positions(points) {
        let col_lo = (((x - bandwidth.0 - grid.min_x) / c - 0.5).ceil().max(0.0)) as usize;
        let row_lo = (((y - bandwidth.0 - grid.min_y) / c - 0.5).ceil().max(0.0)) as usize;
        let col_hi = (((x + bandwidth.0 - grid.min_x) / c - 0.5).floor()).min(grid.cols as f64 - 1.0);
        let row_hi = (((y + bandwidth.0 - grid.min_y) / c - 0.5).floor()).min(grid.rows as f64 - 1.0);
        if col_hi < 0.0 || row_hi < 0.0 {
            continue;
        }
        for row in row_lo..=row_hi as usize {
            let cy = grid.min_y + (row as f64 + 0.5) * c;
            let dy2 = (cy - y).powi(2);
            if dy2 >= h2 {
                continue;
            }
            for col in col_lo..=col_hi as usize {
                let cx = grid.min_x + (col as f64 + 0.5) * c;
                let d2 = (cx - x).powi(2) + dy2;
                if d2 < h2 {
                    let i = row * grid.cols + col;
                    per_km2[i] += weight * kernel.shape(d2 / h2) * scale;
                    support[i] += count;
                }
            }
        }
    }
    Density { grid: grid.clone(), per_km2, support }
}

/// Merges points at the same position (to the millimetre): (x, y, total weight, count).
fn merge_positions(points: &[WeightedPoint]) -> Vec<(f64, f64, f64, u32)> {
    let mut merged: HashMap<(i64, i64), (f64, f64, f64, u32)> = HashMap::new();
    for p in points {
        let key = ((p.x * 1000.0).round() as i64, (p.y * 1000.0).round() as i64);
        let e = merged.entry(key).or_insert((p.x, p.y, 0.0, 0));
        e.2 += p.weight;
        e.3 += 1;
    }
    let mut out: Vec<_> = merged.into_values().collect();
    // Summation order affects the last bits; sort so results do not depend on hashing.
    out.sort_by(|a, b| (a.0, a.1).partial_cmp(&(b.0, b.1)).unwrap_or(std::cmp::Ordering::Equal));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn density_matches_a_hand_computed_sum_of_kernels() {
        // Points at (0, 0) weight 1, (200, 0) weight 2, (1000, 0) weight 5; h = 300 m.
        // The 100 m cell centred at (50, 50) is at d² = 5 000 from the first and 25 000 from the
        // second (beyond h from the third):
        // density = 3/(π·300²)·[(1 − 5000/90000)² + 2·(1 − 25000/90000)²] per m².
        let points =
            [WeightedPoint { x: 0.0, y: 0.0, weight: 1.0 }, WeightedPoint { x: 200.0, y: 0.0, weight: 2.0 }, WeightedPoint { x: 1000.0, y: 0.0, weight: 5.0 }];
        let grid = Grid::covering([0.0, 0.0, 1100.0, 100.0], Metres(100.0));
        let d = kde(&points, &grid, Metres(300.0), &Quartic);
        let k = 3.0 / (std::f64::consts::PI * 90_000.0);
        let expected = k * ((1.0 - 5_000.0 / 90_000.0_f64).powi(2) + 2.0 * (1.0 - 25_000.0 / 90_000.0_f64).powi(2)) * 1e6;
        assert!((d.per_km2[0] - expected).abs() < 1e-9, "{} vs {expected}", d.per_km2[0]);
        assert_eq!(d.support[0], 2);
        // The cell at (1050, 50): only the third point, d² = 2 500 + 2 500.
        let expected = k * 5.0 * (1.0 - 5_000.0 / 90_000.0_f64).powi(2) * 1e6;
        assert!((d.per_km2[10] - expected).abs() < 1e-9);
    }

    #[test]
    fn the_surface_integrates_to_the_total_weight() {
        let points: Vec<_> = (0..7).map(|i| WeightedPoint { x: 5_000.0 + i as f64 * 137.0, y: 5_000.0, weight: 1.5 }).collect();
        let grid = Grid::covering([0.0, 0.0, 10_000.0, 10_000.0], Metres(10.0));
        let d = kde(&points, &grid, Metres(300.0), &Quartic);
        let integral: f64 = d.per_km2.iter().sum::<f64>() * (10.0 * 10.0) / 1e6;
        assert!((integral - 7.0 * 1.5).abs() < 0.01, "{integral}");
    }
}
