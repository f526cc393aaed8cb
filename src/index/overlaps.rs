//! Overlapping areas: pairs of polygons of one layer that cover the same ground.
//!
//! A layer of delbydeler or bydeler must tile the municipality: neighbours share a boundary but
//! no area. Two files stacked on top of each other, or one file with a duplicated feature,
//! break every per-area figure without any single row being wrong, so `bomiljo check` looks
//! for it. Candidate pairs come from the R-tree over bounding boxes; the shared area is the
//! exact polygon intersection (Martinez-Rueda, `geo::BooleanOps`).

use geo::{Area as _, BooleanOps, BoundingRect};

use super::AreaIndex;

/// Two areas covering the same ground.
#[derive(Clone, Debug, PartialEq)]
pub struct Overlap {
    pub first: String,
    pub second: String,
    /// Shared area in m².
    pub shared_m2: f64,
    /// Shared area as a share of the smaller of the two areas (0-1).
    pub share_of_smaller: f64,
}

/// Every pair of areas sharing more than `min_share` of the smaller one (digitising slivers
/// along a common boundary stay far below 1 %).
///
/// ```
/// use bomiljo::index::{overlapping, Area, AreaIndex};
/// use geo::{polygon, MultiPolygon};
/// let square = |code: &str, x0: f64| Area {
///     code: code.into(), name: None, parent_code: None, population: None, area_m2: 100.0,
///     polygon: MultiPolygon(vec![polygon![(x: x0, y: 0.0), (x: x0 + 10.0, y: 0.0), (x: x0 + 10.0, y: 10.0), (x: x0, y: 10.0)]]),
/// };
/// let index = AreaIndex::new(vec![square("a", 0.0), square("b", 10.0), square("c", 5.0)]);
/// let found = overlapping(&index, 0.01);
/// assert_eq!(found.len(), 2); // a-c and b-c share half a square each; a-b only touch
/// assert!((found[0].shared_m2 - 50.0).abs() < 1e-9);
/// ```
pub fn overlapping(areas: &AreaIndex, min_share: f64) -> Vec<Overlap> {
    let mut found = Vec::new();
    for a in areas.iter() {
        let Some(rect) = a.polygon.bounding_rect() else { continue };
        for b in areas.in_bbox([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]) {
            if b.code <= a.code {
                continue;
            }
            let shared_m2 = a.polygon.intersection(&b.polygon).unsigned_area();
            let smaller = a.polygon.unsigned_area().min(b.polygon.unsigned_area());
            let share_of_smaller = if smaller > 0.0 { shared_m2 / smaller } else { 0.0 };
            if share_of_smaller > min_share {
                found.push(Overlap { first: a.code.clone(), second: b.code.clone(), shared_m2, share_of_smaller });
            }
        }
    }
    found.sort_by(|x, y| (&x.first, &x.second).cmp(&(&y.first, &y.second)));
    found
}
