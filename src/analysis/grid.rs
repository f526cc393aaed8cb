use serde::Serialize;

use crate::spatial::Metres;

/// A regular grid of square cells in EPSG:25832.
///
/// Cell `i` sits at column `i % cols` and row `i / cols`; row 0 is the southernmost. Its centre is
/// `(min_x + (col + 0.5) · cell, min_y + (row + 0.5) · cell)`.
///
/// ```
/// use bomiljo::analysis::grid::Grid;
/// use bomiljo::spatial::Metres;
/// let grid = Grid::covering([10.0, 10.0, 190.0, 90.0], Metres(50.0));
/// assert_eq!((grid.min_x, grid.min_y, grid.cols, grid.rows), (0.0, 0.0, 4, 2));
/// assert_eq!(grid.centre(5), (75.0, 75.0));
/// assert_eq!(grid.index_of(75.0, 60.0), Some(5));
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Grid {
    pub min_x: f64,
    pub min_y: f64,
    pub cell: Metres,
    pub cols: usize,
    pub rows: usize,
}

impl Grid {
    /// The smallest grid aligned to multiples of `cell` that covers `[min_x, min_y, max_x, max_y]`.
    pub fn covering([x0, y0, x1, y1]: [f64; 4], cell: Metres) -> Grid {
        let c = cell.0;
        let (min_x, min_y) = ((x0 / c).floor() * c, (y0 / c).floor() * c);
        let cols = (((x1 - min_x) / c).ceil() as usize).max(1);
        let rows = (((y1 - min_y) / c).ceil() as usize).max(1);
        Grid { min_x, min_y, cell, cols, rows }
    }

    pub fn len(&self) -> usize {
        self.cols * self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn centre(&self, i: usize) -> (f64, f64) {
        let (col, row) = (i % self.cols, i / self.cols);
        (self.min_x + (col as f64 + 0.5) * self.cell.0, self.min_y + (row as f64 + 0.5) * self.cell.0)
    }

    /// The cell containing a point, if inside the grid.
    pub fn index_of(&self, x: f64, y: f64) -> Option<usize> {
        let col = ((x - self.min_x) / self.cell.0).floor();
        let row = ((y - self.min_y) / self.cell.0).floor();
        (col >= 0.0 && row >= 0.0 && (col as usize) < self.cols && (row as usize) < self.rows).then(|| row as usize * self.cols + col as usize)
    }

    /// The cell's square as `[min_x, min_y, max_x, max_y]`.
    pub fn bounds(&self, i: usize) -> [f64; 4] {
        let (cx, cy) = self.centre(i);
        let h = self.cell.0 / 2.0;
        [cx - h, cy - h, cx + h, cy + h]
    }

    /// Offsets `(dcol, drow)` of the cells whose centres lie within `radius` of a cell's centre
    /// (the cell itself included).
    pub fn offsets_within(&self, radius: Metres) -> Vec<(isize, isize)> {
        let reach = (radius.0 / self.cell.0).floor() as isize;
        let r2 = (radius.0 / self.cell.0).powi(2);
        (-reach..=reach).flat_map(|dr| (-reach..=reach).map(move |dc| (dc, dr))).filter(|(dc, dr)| (dc * dc + dr * dr) as f64 <= r2 + 1e-9).collect()
    }

    /// The neighbour of cell `i` at an offset, if inside the grid.
    pub fn offset(&self, i: usize, (dc, dr): (isize, isize)) -> Option<usize> {
        let col = (i % self.cols) as isize + dc;
        let row = (i / self.cols) as isize + dr;
        (col >= 0 && row >= 0 && (col as usize) < self.cols && (row as usize) < self.rows).then(|| row as usize * self.cols + col as usize)
    }
}
