//! A grid over a set of polygons whose cells are classified once as inside one polygon,
//! outside all, or on a boundary, so most point lookups are one array read and only points in
//! boundary cells need an exact point-in-polygon test.
//!
//! A cell is a boundary cell when any polygon edge touches it (closed cell, widened by a
//! micrometre so an edge along a cell border marks both neighbours). Each edge is cut into
//! pieces no longer than a cell; every cell meeting a piece's bounding box is marked, which
//! covers every cell the piece passes through. A cell no edge touches lies wholly in the
//! polygon its centre lies in (or in none), so its centre's answer holds for every point in it.

use geo::{BoundingRect, MultiPolygon};

/// What a cell holds.
const OUTSIDE: u32 = u32::MAX;
const BOUNDARY: u32 = u32::MAX - 1;

/// Most cells the grid may have (memory: 4 bytes each).
const MAX_CELLS: f64 = 4_000_000.0;

/// The answer for a point from its cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellAnswer {
    /// Wholly inside the polygon with this index.
    Inside(usize),
    /// Outside every polygon.
    Outside,
    /// A boundary runs through the cell: test exactly.
    Exact,
}

/// The classified grid.
#[derive(Clone, Debug)]
pub struct CellGrid {
    x0: f64,
    y0: f64,
    cell: f64,
    cols: usize,
    rows: usize,
    cells: Vec<u32>,
}

impl CellGrid {
    /// Classifies cells of about `cell_m` metres (larger when the polygons span a very wide
    /// area) over `polygons`; `locate` gives the exact answer for a point (used for cell centres).
    ///
    /// ```
    /// use bomiljo::index::cells::{CellAnswer, CellGrid};
    /// use geo::{polygon, MultiPolygon};
    /// let square = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 1000.0, y: 0.0), (x: 1000.0, y: 1000.0), (x: 0.0, y: 1000.0)]]);
    /// let locate = |x: f64, y: f64| (x > 0.0 && x < 1000.0 && y > 0.0 && y < 1000.0).then_some(0);
    /// let grid = CellGrid::new(&[square], 100.0, locate).unwrap();
    /// assert_eq!(grid.answer(500.0, 500.0), CellAnswer::Inside(0));
    /// assert_eq!(grid.answer(5.0, 500.0), CellAnswer::Exact); // the edge x = 0 touches this cell
    /// assert_eq!(grid.answer(-500.0, 500.0), CellAnswer::Outside);
    /// ```
    pub fn new(polygons: &[MultiPolygon<f64>], cell_m: f64, locate: impl Fn(f64, f64) -> Option<usize>) -> Option<CellGrid> {
        let bounds = polygons.iter().filter_map(|p| p.bounding_rect()).reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })?;
        let area = bounds.width().max(1.0) * bounds.height().max(1.0);
        let cell = cell_m.max((area / MAX_CELLS).sqrt());
        let cols = (bounds.width() / cell).floor() as usize + 1;
        let rows = (bounds.height() / cell).floor() as usize + 1;
        let mut grid = CellGrid { x0: bounds.min().x, y0: bounds.min().y, cell, cols, rows, cells: vec![OUTSIDE; cols * rows] };
        for polygon in polygons {
            for ring in polygon.0.iter().flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors())) {
                for line in ring.lines() {
                    grid.mark_segment(line.start, line.end);
                }
            }
        }
        for row in 0..rows {
            for col in 0..cols {
                let i = row * cols + col;
                if grid.cells[i] != BOUNDARY {
                    let (cx, cy) = (grid.x0 + (col as f64 + 0.5) * cell, grid.y0 + (row as f64 + 0.5) * cell);
                    grid.cells[i] = locate(cx, cy).map_or(OUTSIDE, |a| a as u32);
                }
            }
        }
        Some(grid)
    }

    /// Marks every cell a segment touches.
    fn mark_segment(&mut self, a: geo::Coord<f64>, b: geo::Coord<f64>) {
        const WIDEN: f64 = 1e-6;
        let length = ((b.x - a.x).powi(2) + (b.y - a.y).powi(2)).sqrt();
        let pieces = (length / self.cell).ceil().max(1.0) as usize;
        for k in 0..pieces {
            let (t0, t1) = (k as f64 / pieces as f64, (k + 1) as f64 / pieces as f64);
            let (p, q) = ((a.x + (b.x - a.x) * t0, a.y + (b.y - a.y) * t0), (a.x + (b.x - a.x) * t1, a.y + (b.y - a.y) * t1));
            let (c0, c1) = (self.column(p.0.min(q.0) - WIDEN), self.column(p.0.max(q.0) + WIDEN));
            let (r0, r1) = (self.row(p.1.min(q.1) - WIDEN), self.row(p.1.max(q.1) + WIDEN));
            for row in r0..=r1 {
                for col in c0..=c1 {
                    self.cells[row * self.cols + col] = BOUNDARY;
                }
            }
        }
    }

    fn column(&self, x: f64) -> usize {
        (((x - self.x0) / self.cell).floor().max(0.0) as usize).min(self.cols - 1)
    }

    fn row(&self, y: f64) -> usize {
        (((y - self.y0) / self.cell).floor().max(0.0) as usize).min(self.rows - 1)
    }

    /// The answer for a point, from its cell.
    pub fn answer(&self, x: f64, y: f64) -> CellAnswer {
        let (fx, fy) = ((x - self.x0) / self.cell, (y - self.y0) / self.cell);
        if !(fx >= 0.0 && fy >= 0.0 && fx < self.cols as f64 && fy < self.rows as f64) {
            // Outside the polygons' bounding box (NaN lands here too and gets the exact test).
            return if x.is_finite() && y.is_finite() { CellAnswer::Outside } else { CellAnswer::Exact };
        }
        match self.cells[fy as usize * self.cols + fx as usize] {
            OUTSIDE => CellAnswer::Outside,
            BOUNDARY => CellAnswer::Exact,
            area => CellAnswer::Inside(area as usize),
        }
    }
}
