//! Polygons for a Mapbox Vector Tile, as the specification wants them (MVT 2.1, 4.3.4.4 and
//! 4.3.4.4.1): clipped to the tile and a buffer, simplified at the tile's resolution, on its
//! integer grid, valid (no self-intersection, no repeated or collinear points, no zero-area
//! rings), exterior rings wound with positive area by the surveyor's formula in tile coordinates
//! (y down, so clockwise on screen) and interior rings with negative area.
//!
//! Projecting a delbydel to zoom 8 and rounding to the grid folded 39 of Oslo's 97 onto
//! themselves, and rings wound the other way drew nothing in QGIS. Validity is restored on the
//! integer grid itself (i_overlay's integer overlay with OGC output), so no later rounding can
//! break it again.
//!
//! ```
//! use bomiljo::render::tile_polygons::{tile_polygons, signed_area};
//! use geo::{polygon, MultiPolygon};
//! // A square of 100 tile units, given counter-clockwise with y up (as GIS stores it).
//! let square = polygon![(x: 10.0, y: 10.0), (x: 110.0, y: 10.0), (x: 110.0, y: 110.0), (x: 10.0, y: 110.0)];
//! let rings = tile_polygons(&MultiPolygon::new(vec![square]), 4096);
//! assert_eq!(rings.len(), 1);
//! assert!(signed_area(&rings[0][0]) > 0); // the exterior, positive in tile coordinates
//! ```

use geo::{BooleanOps, Coord, MultiPolygon, Rect, Simplify};
use i_overlay::core::fill_rule::FillRule;
use i_overlay::core::overlay::IntOverlayOptions;
use i_overlay::core::simplify::Simplify as IntSimplify;
use i_overlay::i_float::int::point::IntPoint;

/// Tile units kept beyond each edge, so that outlines join across tile borders.
pub const BUFFER: f64 = 64.0;

/// Polygons already in tile coordinates (0..extent, y down; fractions allowed) as valid,
/// wound, integer polygons: each a list of rings, the exterior first, every ring open (the
/// first point not repeated).
pub fn tile_polygons(polygons: &MultiPolygon<f64>, extent: u32) -> Vec<Vec<Vec<(i32, i32)>>> {
    let e = f64::from(extent);
    let window = Rect::new(Coord { x: -BUFFER, y: -BUFFER }, Coord { x: e + BUFFER, y: e + BUFFER }).to_polygon();
    // Clip first: a delbydel at zoom 16 spans many tiles, and the grid only has to hold this one.
    let clipped = polygons.intersection(&MultiPolygon::new(vec![window]));
    // Half a tile unit: detail the grid cannot show.
    let simplified = clipped.simplify(0.5);
    let snapped: Vec<Vec<Vec<IntPoint>>> = simplified
        .iter()
        .map(|p| {
            std::iter::once(p.exterior())
                .chain(p.interiors())
                .map(|ring| ring.0.iter().map(|c| IntPoint::new(c.x.round() as i32, c.y.round() as i32)).collect())
                .collect()
        })
        .collect();
    // Non-zero: a part that snapping folded over the rest still counts once.
    let valid = snapped.simplify(FillRule::NonZero, IntOverlayOptions::ogc());
    valid.into_iter().filter_map(|shape| wound(shape.into_iter().map(|ring| open_ring(&ring)).collect())).collect()
}

/// The ring without a repeated closing point or repeated neighbours.
fn open_ring(ring: &[IntPoint]) -> Vec<(i32, i32)> {
    let mut out: Vec<(i32, i32)> = Vec::with_capacity(ring.len());
    for p in ring {
        if out.last() != Some(&(p.x, p.y)) {
            out.push((p.x, p.y));
        }
    }
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    out
}

/// The exterior with positive area and interiors negative (reversing what is wound the other
/// way); `None` when the exterior has no area.
fn wound(mut rings: Vec<Vec<(i32, i32)>>) -> Option<Vec<Vec<(i32, i32)>>> {
    rings.retain(|r| r.len() >= 3 && signed_area(r) != 0);
    if rings.is_empty() {
        return None;
    }
    for (i, ring) in rings.iter_mut().enumerate() {
        let exterior = i == 0;
        if (signed_area(ring) > 0) != exterior {
            ring.reverse();
        }
    }
    Some(rings)
}

/// Twice the signed area of an open ring by the surveyor's formula, in the ring's own
/// coordinates (positive: counter-clockwise with y up, clockwise on a tile with y down).
pub fn signed_area(ring: &[(i32, i32)]) -> i64 {
    let n = ring.len();
    (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            i64::from(a.0) * i64::from(b.1) - i64::from(b.0) * i64::from(a.1)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{LineString, Polygon, Validation, polygon};

    fn as_geo(rings: &[Vec<(i32, i32)>]) -> Polygon<f64> {
        let ring = |r: &Vec<(i32, i32)>| LineString::from(r.iter().map(|&(x, y)| (f64::from(x), f64::from(y))).collect::<Vec<_>>());
        Polygon::new(ring(&rings[0]), rings[1..].iter().map(ring).collect())
    }

    #[test]
    fn exteriors_are_positive_and_holes_negative_whichever_way_they_came() {
        // A square with a hole, both wound the wrong way for a tile.
        let outer = LineString::from(vec![(0.0, 0.0), (0.0, 100.0), (100.0, 100.0), (100.0, 0.0), (0.0, 0.0)]);
        let hole = LineString::from(vec![(40.0, 40.0), (60.0, 40.0), (60.0, 60.0), (40.0, 60.0), (40.0, 40.0)]);
        let rings = &tile_polygons(&MultiPolygon::new(vec![Polygon::new(outer, vec![hole])]), 4096)[0];
        assert_eq!(rings.len(), 2);
        assert!(signed_area(&rings[0]) > 0 && signed_area(&rings[1]) < 0, "{rings:?}");
        assert_eq!(signed_area(&rings[0]) + signed_area(&rings[1]), 2 * (100 * 100 - 20 * 20));
    }

    #[test]
    fn what_lies_outside_the_tile_and_its_buffer_is_cut_off() {
        let big = polygon![(x: -1000.0, y: -1000.0), (x: 5000.0, y: -1000.0), (x: 5000.0, y: 5000.0), (x: -1000.0, y: 5000.0)];
        let rings = &tile_polygons(&MultiPolygon::new(vec![big]), 4096)[0];
        let xs: Vec<i32> = rings[0].iter().map(|p| p.0).collect();
        assert_eq!((*xs.iter().min().unwrap(), *xs.iter().max().unwrap()), (-64, 4096 + 64));
    }

    #[test]
    fn a_ring_that_crosses_itself_comes_out_as_valid_polygons() {
        // A bow tie: what rounding makes of a thin part that doubles back within one tile unit.
        let bow_tie = polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 100.0), (x: 100.0, y: 0.0), (x: 0.0, y: 100.0)];
        assert!(!bow_tie.is_valid());
        let parts = tile_polygons(&MultiPolygon::new(vec![bow_tie]), 4096);
        assert_eq!(parts.len(), 2, "{parts:?}");
        for rings in parts {
            assert!(as_geo(&rings).is_valid(), "{rings:?}");
            assert_eq!(signed_area(&rings[0]), 2 * 2500);
        }
    }

    #[test]
    fn slivers_below_the_grid_vanish() {
        let sliver = polygon![(x: 10.0, y: 10.0), (x: 300.0, y: 10.1), (x: 10.0, y: 10.2)];
        assert!(tile_polygons(&MultiPolygon::new(vec![sliver]), 4096).is_empty());
    }
}
