//! SSB's statistical grid: 250 m squares in EPSG:25833, the unit of Norwegian small-area
//! statistics (and of the population grid in `befolkning_250m_*.geojson`).
//!
//! A cell is named by its south-west corner as SSB does: id = (x_sw + 2,000,000) · 10⁷ + y_sw.
//!
//! ```
//! use bomiljo::spatial::SsbCell;
//! let cell = SsbCell::from_id(22637506643000);
//! assert_eq!(cell.south_west(), (263_750.0, 6_643_000.0));
//! assert_eq!(SsbCell::containing_utm33(263_800.0, 6_643_100.0), cell);
//! assert_eq!(cell.id(), 22637506643000);
//! ```

use serde::{Deserialize, Serialize};

use super::{Crs, Transformer};

/// Side of an SSB cell, metres.
pub const SSB_CELL_M: f64 = 250.0;

/// One 250 m cell of SSB's grid (EPSG:25833).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SsbCell(i64);

impl SsbCell {
    pub fn from_id(id: i64) -> SsbCell {
        SsbCell(id)
    }

    pub fn id(self) -> i64 {
        self.0
    }

    /// Whether `id` names a 250 m cell of mainland Norway's grid: 14 digits, corners on the
    /// 250 m lattice.
    ///
    /// ```
    /// use bomiljo::spatial::SsbCell;
    /// assert!(SsbCell::is_valid_id(22620006649500));
    /// assert!(!SsbCell::is_valid_id(22620016649500)); // x not a multiple of 250
    /// assert!(!SsbCell::is_valid_id(6649500));
    /// ```
    pub fn is_valid_id(id: i64) -> bool {
        let (x, y) = (id / 10_000_000 - 2_000_000, id % 10_000_000);
        (10_000_000_000_000..100_000_000_000_000).contains(&id) && x % 250 == 0 && y % 250 == 0 && y > 6_000_000
    }

    /// The cell holding a point given in EPSG:25833 metres.
    pub fn containing_utm33(x: f64, y: f64) -> SsbCell {
        let snap = |v: f64| ((v / SSB_CELL_M).floor() * SSB_CELL_M) as i64;
        SsbCell((snap(x) + 2_000_000) * 10_000_000 + snap(y))
    }

    /// South-west corner, EPSG:25833 metres.
    pub fn south_west(self) -> (f64, f64) {
        ((self.0 / 10_000_000 - 2_000_000) as f64, (self.0 % 10_000_000) as f64)
    }

    /// Bounds `[min_x, min_y, max_x, max_y]` in EPSG:25833.
    pub fn bounds_utm33(self) -> [f64; 4] {
        let (x, y) = self.south_west();
        [x, y, x + SSB_CELL_M, y + SSB_CELL_M]
    }

    /// The centre in EPSG:25833.
    pub fn centre_utm33(self) -> (f64, f64) {
        let (x, y) = self.south_west();
        (x + SSB_CELL_M / 2.0, y + SSB_CELL_M / 2.0)
    }

    /// The cell's square as a closed ring in another CRS (its corners transformed; the edges of a
    /// 250 m cell stay straight to well under a millimetre between the two UTM zones).
    pub fn ring(self, to: &Transformer) -> Option<Vec<[f64; 2]>> {
        let [x0, y0, x1, y1] = self.bounds_utm33();
        [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)].into_iter().map(|(x, y)| to.apply(x, y).ok().map(|(a, b)| [a, b])).collect()
    }
}

/// Transforms between the analysis CRS and the SSB grid's.
pub struct SsbProjection {
    to_grid: Transformer,
    from_grid: Transformer,
}

impl SsbProjection {
    pub fn new() -> SsbProjection {
        SsbProjection { to_grid: Transformer::new(super::ANALYSIS_CRS, Crs::Utm33), from_grid: Transformer::new(Crs::Utm33, super::ANALYSIS_CRS) }
    }

    /// The cell holding a point in the analysis CRS.
    pub fn cell_of(&self, x: f64, y: f64) -> Option<SsbCell> {
        self.to_grid.apply(x, y).ok().map(|(gx, gy)| SsbCell::containing_utm33(gx, gy))
    }

    /// A cell's centre in the analysis CRS.
    pub fn centre(&self, cell: SsbCell) -> Option<(f64, f64)> {
        let (x, y) = cell.centre_utm33();
        self.from_grid.apply(x, y).ok()
    }

    /// Analysis CRS → EPSG:25833.
    pub fn to_grid(&self) -> &Transformer {
        &self.to_grid
    }
}

impl Default for SsbProjection {
    fn default() -> Self {
        SsbProjection::new()
    }
}
