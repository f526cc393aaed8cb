//! Kernel density estimation on a `Grid`.
//!
//! # Parameters
//! - points with weights, in EPSG:25832 metres;
//! - a grid (cell size 25-250 m is sensible) and a bandwidth `h` in metres (100-1000 m);
//! - a `Kernel`; `Quartic` is the biweight kernel of QGIS's heatmap tool.
//!
//! # Returns
//! A `Density`: per cell, the density in weight per km² at the cell centre, and the number of
//! points within the bandwidth (the *support*, used to blank cells resting on fewer than k
//! incidents in public output).
//!
//! # Algorithm
//! A point adds its kernel to the cells whose centres lie within `h`. The kernel's values depend
//! only on where the point sits relative to its own cell's centre, so points that sit alike share
//! one stencil: incidents snapped to a 100 m grid all do on a 50 m grid, and are binned by cell
//! (one array add each) and spread from the occupied cells, O(n + occupied × (2h / cell)²),
//! exactly as if each were spread on its own. Points that sit otherwise (raw positions) are spread
//! one by one, O(n × (2h / cell)²).
//!
//! # Notes
//! QGIS's "raw" quartic output is Σ w·(1 − d²/h²)². bomiljo multiplies it by the normalising
//! constant 3/(πh²), so the surface integrates to the total weight and reads as incidents per km²
//! (×10⁶ from m²).
//!
//! # References
//! Silverman, B. W. (1986). *Density Estimation for Statistics and Data Analysis*, eq. 4.5;
//! QGIS Heatmap (Kernel Density Estimation), `qgskde.cpp`.

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
    /// What lies within the bandwidth of each cell centre: the number of points, or the sum of
    /// their weights ([`Support`]).
    pub support: Vec<f64>,
}

/// What a density's support counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// Points (incidents) within the bandwidth.
    Points,
    /// The sum of the weights within the bandwidth: for points that stand for an estimated
    /// number of incidents each (a released cell), the estimated incidents within it.
    Weights,
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
/// assert_eq!(d.support[0], 1.0);
/// ```
pub fn kde<K: Kernel>(points: &[WeightedPoint], grid: &Grid, bandwidth: Metres, kernel: &K) -> Density {
    kde_with(points, grid, bandwidth, kernel, Support::Points)
}

/// Kernel density of `points` on `grid`, with the support counted as `support` says.
pub fn kde_with<K: Kernel>(points: &[WeightedPoint], grid: &Grid, bandwidth: Metres, kernel: &K, support: Support) -> Density {
    let mut surface = Surface::new(grid, bandwidth, kernel);
    let Some(first) = points.first() else { return surface.density() };
    // Snapped incidents all sit at one place relative to their cell (a 100 m snap on a 50 m
    // grid puts every point on a cell corner): they are binned by cell and spread with one
    // stencil. Any other point is spread on its own; both add the same kernel values.
    let phase = surface.phase(first.x, first.y);
    let mut bins = Bins::new(grid, surface.reach);
    for p in points {
        let (cell, offset) = surface.phase(p.x, p.y);
        let amount = match support {
            Support::Points => 1.0,
            Support::Weights => p.weight,
        };
        if offset != phase.1 || !bins.add(cell, p.weight, amount) {
            surface.spread((cell, offset), p.weight, amount);
        }
    }
    surface.spread_bins(&bins, phase.1);
    surface.density()
}

/// The surface being summed, with what every point's kernel needs.
struct Surface<'g, K: Kernel> {
    grid: &'g Grid,
    kernel: &'g K,
    h2: f64,
    /// Density per m² × 10⁶ of one unit of weight at shape 1.
    scale: f64,
    /// Cells a kernel reaches beyond its own, per direction.
    reach: isize,
    per_km2: Vec<f64>,
    support: Vec<f64>,
}

impl<'g, K: Kernel> Surface<'g, K> {
    fn new(grid: &'g Grid, bandwidth: Metres, kernel: &'g K) -> Self {
        Surface {
            grid,
            kernel,
            h2: bandwidth.0 * bandwidth.0,
            scale: kernel.normalisation(bandwidth) * 1e6,
            reach: (bandwidth.0 / grid.cell.0).ceil() as isize + 1,
            per_km2: vec![0.0; grid.len()],
            support: vec![0.0; grid.len()],
        }
    }

    /// The point's cell (column, row; may lie outside the grid) and its offset from that
    /// cell's centre.
    fn phase(&self, x: f64, y: f64) -> ((isize, isize), (f64, f64)) {
        let c = self.grid.cell.0;
        let (col, row) = (((x - self.grid.min_x) / c).floor(), ((y - self.grid.min_y) / c).floor());
        let centre = (self.grid.min_x + (col + 0.5) * c, self.grid.min_y + (row + 0.5) * c);
        ((col as isize, row as isize), (x - centre.0, y - centre.1))
    }

    /// The kernel of a point at `offset` from the centre of its cell: (column step, row step,
    /// shape) for every cell whose centre lies within the bandwidth.
    fn stencil(&self, offset: (f64, f64)) -> Vec<(isize, isize, f64)> {
        let mut out = Vec::new();
        kernel_cells(self.grid.cell.0, self.reach, self.h2, self.kernel, offset, |dc, dr, shape| out.push((dc, dr, shape)));
        out
    }

    /// Adds one point's kernel, given its [`Surface::phase`] (without building its stencil: raw
    /// points each have their own).
    fn spread(&mut self, (cell, offset): ((isize, isize), (f64, f64)), weight: f64, count: f64) {
        let (c, reach, h2, kernel) = (self.grid.cell.0, self.reach, self.h2, self.kernel);
        kernel_cells(c, reach, h2, kernel, offset, |dc, dr, shape| self.add(cell.0 + dc, cell.1 + dr, weight * shape, count));
    }

    /// Adds the kernels of every binned point, all at `offset` from their cells' centres.
    fn spread_bins(&mut self, bins: &Bins, offset: (f64, f64)) {
        let stencil = self.stencil(offset);
        for (cell, weight, count) in bins.occupied() {
            for &(dc, dr, shape) in &stencil {
                self.add(cell.0 + dc, cell.1 + dr, weight * shape, count);
            }
        }
    }

    fn add(&mut self, col: isize, row: isize, weighted_shape: f64, count: f64) {
        if col >= 0 && row >= 0 && (col as usize) < self.grid.cols && (row as usize) < self.grid.rows {
            let i = row as usize * self.grid.cols + col as usize;
            self.per_km2[i] += weighted_shape * self.scale;
            self.support[i] += count;
        }
    }

    fn density(self) -> Density {
        Density { grid: self.grid.clone(), per_km2: self.per_km2, support: self.support }
    }
}

/// Calls `f(column step, row step, shape)` for every cell whose centre lies within the bandwidth
/// (`h2` = h²) of a point at `(fx, fy)` from its own cell's centre.
fn kernel_cells<K: Kernel>(cell: f64, reach: isize, h2: f64, kernel: &K, (fx, fy): (f64, f64), mut f: impl FnMut(isize, isize, f64)) {
    for dr in -reach..=reach {
        let dy = dr as f64 * cell - fy;
        if dy * dy >= h2 {
            continue;
        }
        for dc in -reach..=reach {
            let dx = dc as f64 * cell - fx;
            let d2 = dx * dx + dy * dy;
            if d2 < h2 {
                f(dc, dr, kernel.shape(d2 / h2));
            }
        }
    }
}

/// Weight and count per cell of the grid widened by the kernel's reach (points just outside
/// the grid still reach into it).
struct Bins {
    cols: isize,
    rows: isize,
    pad: isize,
    weight: Vec<f64>,
    /// Per cell: its points, and the support they add.
    points: Vec<u32>,
    count: Vec<f64>,
}

impl Bins {
    fn new(grid: &Grid, pad: isize) -> Bins {
        let (cols, rows) = (grid.cols as isize + 2 * pad, grid.rows as isize + 2 * pad);
        let n = (cols * rows) as usize;
        Bins { cols, rows, pad, weight: vec![0.0; n], points: vec![0; n], count: vec![0.0; n] }
    }

    /// Bins a point of `cell`; `false` when the cell is beyond the padding (the caller spreads
    /// it on its own, where it adds nothing to the grid).
    fn add(&mut self, (col, row): (isize, isize), weight: f64, amount: f64) -> bool {
        let (c, r) = (col + self.pad, row + self.pad);
        if c < 0 || r < 0 || c >= self.cols || r >= self.rows {
            return false;
        }
        let i = (r * self.cols + c) as usize;
        self.weight[i] += weight;
        self.points[i] += 1;
        self.count[i] += amount;
        true
    }

    /// (cell, weight, count) of every cell holding a point, in grid coordinates.
    fn occupied(&self) -> impl Iterator<Item = ((isize, isize), f64, f64)> + '_ {
        self.points.iter().enumerate().filter(|&(_, &n)| n > 0).map(|(i, _)| {
            let (r, c) = (i as isize / self.cols, i as isize % self.cols);
            ((c - self.pad, r - self.pad), self.weight[i], self.count[i])
        })
    }
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
        assert_eq!(d.support[0], 2.0);
        // The cell at (1050, 50): only the third point, d² = 2 500 + 2 500.
        let expected = k * 5.0 * (1.0 - 5_000.0 / 90_000.0_f64).powi(2) * 1e6;
        assert!((d.per_km2[10] - expected).abs() < 1e-9);
    }

    /// Σ w·K(d) at every cell centre, point by point, with no binning.
    fn brute_force(points: &[WeightedPoint], grid: &Grid, h: f64) -> Vec<f64> {
        (0..grid.len())
            .map(|i| {
                let (cx, cy) = grid.centre(i);
                points
                    .iter()
                    .map(|p| (p.x - cx).powi(2) + (p.y - cy).powi(2))
                    .zip(points)
                    .filter(|(d2, _)| *d2 < h * h)
                    .map(|(d2, p)| p.weight * (1.0 - d2 / (h * h)).powi(2))
                    .sum::<f64>()
                    * 3.0
                    / (std::f64::consts::PI * h * h)
                    * 1e6
            })
            .collect()
    }

    #[test]
    fn snapped_and_raw_points_give_the_brute_force_surface() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let snap = |v: f64| (v / 100.0).floor() * 100.0 + 50.0;
        // Snapped points (one stencil), a few raw ones among them (spread one by one), some
        // beyond the grid's edge (they reach into it, or not at all).
        let mut points: Vec<WeightedPoint> =
            (0..3000).map(|_| WeightedPoint { x: snap(rng.random_range(-400.0..2400.0)), y: snap(rng.random_range(-400.0..1400.0)), weight: 1.0 }).collect();
        points.extend((0..50).map(|_| WeightedPoint { x: rng.random_range(0.0..2000.0), y: rng.random_range(0.0..1000.0), weight: 2.5 }));
        points.push(WeightedPoint { x: 9_000.0, y: 9_000.0, weight: 1.0 });
        let grid = Grid::covering([0.0, 0.0, 2000.0, 1000.0], Metres(50.0));
        let d = kde(&points, &grid, Metres(300.0), &Quartic);
        let expected = brute_force(&points, &grid, 300.0);
        let max = expected.iter().cloned().fold(0.0, f64::max);
        for (i, (got, want)) in d.per_km2.iter().zip(&expected).enumerate() {
            assert!((got - want).abs() <= 1e-9 * max, "cell {i}: {got} vs {want}");
        }
        let support: f64 = d.support.iter().sum();
        let brute_support: usize =
            (0..grid.len()).map(|i| grid.centre(i)).map(|(cx, cy)| points.iter().filter(|p| (p.x - cx).powi(2) + (p.y - cy).powi(2) < 90_000.0).count()).sum();
        assert_eq!(support as usize, brute_support);
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
