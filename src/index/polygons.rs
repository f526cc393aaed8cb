//! Distance from a point to a polygon layer (0 inside), fast for large polygons such as Marka:
//! an R-tree over every ring edge gives the nearest edge, and the parity of edges crossed by a
//! ray to the east decides inside (even-odd, so holes and multipolygons need no special case).

use geo::MultiPolygon;
use rstar::{AABB, PointDistance, RTree, primitives::Line};

/// The edges of a polygon layer, indexed.
///
/// ```
/// use bomiljo::index::PolygonIndex;
/// use geo::{polygon, MultiPolygon};
/// let square = MultiPolygon(vec![polygon![(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)]]);
/// let index = PolygonIndex::new(&[square]);
/// assert_eq!(index.distance(50.0, 50.0), Some(0.0));
/// assert_eq!(index.distance(130.0, 140.0), Some(50.0));
/// ```
pub struct PolygonIndex {
    edges: RTree<Line<[f64; 2]>>,
    max_x: f64,
}

impl PolygonIndex {
    pub fn new(polygons: &[MultiPolygon<f64>]) -> PolygonIndex {
        let mut max_x = f64::MIN;
        let edges: Vec<_> = polygons
            .iter()
            .flat_map(|mp| &mp.0)
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .flat_map(|ring| ring.lines())
            .map(|l| {
                max_x = max_x.max(l.start.x).max(l.end.x);
                Line::new([l.start.x, l.start.y], [l.end.x, l.end.y])
            })
            .collect();
        PolygonIndex { edges: RTree::bulk_load(edges), max_x }
    }

    /// Metres to the nearest polygon, 0 inside one; `None` for an empty layer.
    pub fn distance(&self, x: f64, y: f64) -> Option<f64> {
        let nearest = self.edges.nearest_neighbor(&[x, y])?;
        if self.contains(x, y) {
            return Some(0.0);
        }
        Some(nearest.distance_2(&[x, y]).sqrt())
    }

    fn contains(&self, x: f64, y: f64) -> bool {
        if x > self.max_x {
            return false;
        }
        let ray = AABB::from_corners([x, y], [self.max_x, y]);
        let crossings = self
            .edges
            .locate_in_envelope_intersecting(&ray)
            .filter(|e| {
                let (a, b) = (e.from, e.to);
                (a[1] > y) != (b[1] > y) && a[0] + (y - a[1]) * (b[0] - a[0]) / (b[1] - a[1]) > x
            })
            .count();
        crossings % 2 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::polygon;

    #[test]
    fn holes_are_outside_and_measured_to_their_edge() {
        let with_hole = MultiPolygon(vec![polygon!(
            exterior: [(x: 0.0, y: 0.0), (x: 100.0, y: 0.0), (x: 100.0, y: 100.0), (x: 0.0, y: 100.0)],
            interiors: [[(x: 40.0, y: 40.0), (x: 60.0, y: 40.0), (x: 60.0, y: 60.0), (x: 40.0, y: 60.0)]],
        )]);
        let index = PolygonIndex::new(&[with_hole]);
        assert_eq!(index.distance(50.0, 50.0), Some(10.0));
        assert_eq!(index.distance(20.0, 50.0), Some(0.0));
        assert_eq!(index.distance(-30.0, 50.0), Some(30.0));
    }

    #[test]
    fn an_empty_layer_has_no_distance() {
        assert_eq!(PolygonIndex::new(&[]).distance(0.0, 0.0), None);
    }
}
