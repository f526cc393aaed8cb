//! The outline of the filled cells of a raster as polygons with holes: every side between a
//! filled and an empty cell becomes a directed edge with the filled cell on its left, and the
//! edges are linked into rings (the boundary-following step of contour tracing; see e.g.
//! Suzuki & Abe 1985 for the classic raster version). Exterior rings come out counter-clockwise,
//! holes clockwise. Where two filled cells touch only at a corner, the ring turns left there, so
//! the two cells belong to separate rings that touch at one point.
//!
//! Linear in the number of cells, which is why isochrones are drawn from a raster of the reached
//! streets rather than by a union of buffers (thousands of small polygons).
//!
//! ```
//! use bomiljo::analysis::grid::Grid;
//! use bomiljo::analysis::outline::outline;
//! use bomiljo::spatial::Metres;
//! use geo::Area;
//! // A 3 x 3 ring of cells around an empty middle.
//! let grid = Grid::covering([0.0, 0.0, 30.0, 30.0], Metres(10.0));
//! let filled: Vec<bool> = (0..9).map(|i| i != 4).collect();
//! let shape = outline(&grid, &filled);
//! assert_eq!(shape.0.len(), 1);
//! assert_eq!(shape.0[0].interiors().len(), 1);
//! assert_eq!(shape.unsigned_area(), 800.0);
//! ```

use std::collections::HashMap;

use geo::{Area, Coord, Intersects, LineString, MultiPolygon, Polygon};

use super::grid::Grid;

/// The filled cells' outline (`filled[i]` for grid cell `i`) as polygons in the grid's units.
pub fn outline(grid: &Grid, filled: &[bool]) -> MultiPolygon<f64> {
    let (cols, rows) = (grid.cols as i64, grid.rows as i64);
    let at = |c: i64, r: i64| c >= 0 && r >= 0 && c < cols && r < rows && filled[(r * cols + c) as usize];
    // Corners are (column, row) lattice points; an edge from each start corner.
    let mut edges: HashMap<(i64, i64), Vec<(i64, i64)>> = HashMap::new();
    for r in 0..rows {
        for c in 0..cols {
            if !at(c, r) {
                continue;
            }
            // Counter-clockwise around the cell, keeping sides that face an empty cell.
            for (open, from, to) in [
                (!at(c, r - 1), (c, r), (c + 1, r)),
                (!at(c + 1, r), (c + 1, r), (c + 1, r + 1)),
                (!at(c, r + 1), (c + 1, r + 1), (c, r + 1)),
                (!at(c - 1, r), (c, r + 1), (c, r)),
            ] {
                if open {
                    edges.entry(from).or_default().push(to);
                }
            }
        }
    }
    let mut rings: Vec<Vec<(i64, i64)>> = Vec::new();
    let mut starts: Vec<(i64, i64)> = edges.keys().copied().collect();
    starts.sort_unstable();
    for start in starts {
        while let Some(first) = edges.get_mut(&start).and_then(Vec::pop) {
            let mut ring = vec![start];
            let (mut prev, mut here) = (start, first);
            while here != start {
                ring.push(here);
                let next = take_left_turn(&mut edges, prev, here);
                prev = here;
                here = next;
            }
            ring.push(start);
            rings.push(ring);
        }
    }
    assemble(rings.into_iter().map(|ring| to_line(grid, &ring)).collect())
}

/// The next edge from `here`, arriving from `prev`: the leftmost turn where two leave (a corner
/// shared diagonally by two filled cells).
fn take_left_turn(edges: &mut HashMap<(i64, i64), Vec<(i64, i64)>>, prev: (i64, i64), here: (i64, i64)) -> (i64, i64) {
    let out = edges.get_mut(&here).expect("every boundary corner has a way on");
    let heading = (here.0 - prev.0, here.1 - prev.1);
    let turn = |to: &(i64, i64)| {
        let d = (to.0 - here.0, to.1 - here.1);
        // Left (counter-clockwise) first, then straight, then right.
        match heading.0 * d.1 - heading.1 * d.0 {
            c if c > 0 => 0,
            0 => 1,
            _ => 2,
        }
    };
    let best = (0..out.len()).min_by_key(|&i| turn(&out[i])).expect("every boundary corner has a way on");
    out.swap_remove(best)
}

/// A ring of lattice corners as coordinates, with the corners along straight runs left out.
fn to_line(grid: &Grid, ring: &[(i64, i64)]) -> LineString<f64> {
    let n = ring.len() - 1;
    let corner = |(c, r): (i64, i64)| Coord { x: grid.min_x + c as f64 * grid.cell.0, y: grid.min_y + r as f64 * grid.cell.0 };
    let mut points: Vec<Coord<f64>> = (0..n)
        .filter(|&i| {
            let (a, b, c) = (ring[(i + n - 1) % n], ring[i], ring[(i + 1) % n]);
            (b.0 - a.0) * (c.1 - b.1) != (b.1 - a.1) * (c.0 - b.0)
        })
        .map(|i| corner(ring[i]))
        .collect();
    if let Some(&first) = points.first() {
        points.push(first);
    }
    LineString::new(points)
}

/// Counter-clockwise rings as exteriors, clockwise ones as holes of the smallest exterior that
/// holds them.
fn assemble(rings: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    let (mut exteriors, mut holes) = (Vec::new(), Vec::new());
    for ring in rings {
        let area = Polygon::new(ring.clone(), vec![]).signed_area();
        if area > 0.0 {
            exteriors.push((area, Polygon::new(ring, vec![])));
        } else if area < 0.0 {
            holes.push(ring);
        }
    }
    exteriors.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut interiors: Vec<Vec<LineString<f64>>> = vec![Vec::new(); exteriors.len()];
    for hole in holes {
        if let Some(i) = exteriors.iter().position(|(_, outer)| hole.0.iter().all(|c| outer.intersects(c))) {
            interiors[i].push(hole);
        }
    }
    MultiPolygon(exteriors.into_iter().zip(interiors).map(|((_, outer), holes)| Polygon::new(outer.into_inner().0, holes)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::Metres;

    #[test]
    fn cells_touching_at_a_corner_are_two_polygons_and_area_is_kept() {
        // Filled: (0,0) and (1,1) of a 2 x 2 grid.
        let grid = Grid::covering([0.0, 0.0, 20.0, 20.0], Metres(10.0));
        let shape = outline(&grid, &[true, false, false, true]);
        assert_eq!(shape.0.len(), 2);
        assert_eq!(shape.unsigned_area(), 200.0);
        assert!(shape.0.iter().all(|p| p.exterior().0.len() == 5), "{shape:?}");
    }

    #[test]
    fn a_random_raster_keeps_its_area_and_every_cell_centre_is_inside_exactly_when_filled() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let grid = Grid::covering([0.0, 0.0, 400.0, 300.0], Metres(10.0));
        let filled: Vec<bool> = (0..grid.len()).map(|_| rng.random_bool(0.55)).collect();
        let shape = outline(&grid, &filled);
        let cells = filled.iter().filter(|f| **f).count() as f64 * 100.0;
        assert!((shape.unsigned_area() - cells).abs() < 1e-6, "{} vs {cells}", shape.unsigned_area());
        for (i, f) in filled.iter().enumerate() {
            let (x, y) = grid.centre(i);
            assert_eq!(geo::Contains::contains(&shape, &geo::Point::new(x, y)), *f, "cell {i}");
        }
    }
}
