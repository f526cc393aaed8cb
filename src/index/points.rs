//! Queries over one point layer: nearest k, count and weight within a radius, points in a box.

use rstar::{AABB, RTree, primitives::GeomWithData};
use serde::Serialize;

use crate::spatial::Metres;
use crate::store::PointRow;

type Entry = GeomWithData<[f64; 2], u32>;

/// One point layer in an R-tree (EPSG:25832).
///
/// ```
/// use bomiljo::index::PointIndex;
/// use bomiljo::spatial::Metres;
/// use bomiljo::store::PointRow;
/// let p = |id: &str, x: f64, y: f64| PointRow { id: id.into(), x, y, weight: 2.0 };
/// let index = PointIndex::new(vec![p("a", 0.0, 0.0), p("b", 30.0, 40.0), p("c", 300.0, 0.0)]);
/// let nearest = index.nearest(0.0, 0.0, 2);
/// assert_eq!((nearest[1].id, nearest[1].distance), ("b", Metres(50.0)));
/// let within = index.within(0.0, 0.0, Metres(50.0));
/// assert_eq!((within.count, within.weight), (2, 4.0));
/// ```
pub struct PointIndex {
    tree: RTree<Entry>,
    ids: Vec<String>,
    weights: Vec<f64>,
}

/// A feature found by [`PointIndex::nearest`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Nearest<'a> {
    pub id: &'a str,
    pub x: f64,
    pub y: f64,
    pub distance: Metres,
}

/// What lies within a radius: how many points and the sum of their weights.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RadiusSummary {
    pub count: usize,
    pub weight: f64,
}

impl PointIndex {
    pub fn new(rows: Vec<PointRow>) -> PointIndex {
        let mut ids = Vec::with_capacity(rows.len());
        let mut weights = Vec::with_capacity(rows.len());
        let entries = rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                ids.push(r.id);
                weights.push(r.weight);
                GeomWithData::new([r.x, r.y], i as u32)
            })
            .collect();
        PointIndex { tree: RTree::bulk_load(entries), ids, weights }
    }

    /// Every point's position.
    pub fn positions(&self) -> Vec<[f64; 2]> {
        self.tree.iter().map(|e| *e.geom()).collect()
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The `k` nearest points, nearest first, with their distance.
    pub fn nearest(&self, x: f64, y: f64, k: usize) -> Vec<Nearest<'_>> {
        self.tree
            .nearest_neighbor_iter_with_distance_2(&[x, y])
            .take(k)
            .map(|(e, d2)| Nearest { id: &self.ids[e.data as usize], x: e.geom()[0], y: e.geom()[1], distance: Metres(d2.sqrt()) })
            .collect()
    }

    /// Points at most `radius` away (boundary included).
    pub fn within(&self, x: f64, y: f64, radius: Metres) -> RadiusSummary {
        self.tree
            .locate_within_distance([x, y], radius.0 * radius.0)
            .fold(RadiusSummary { count: 0, weight: 0.0 }, |acc, e| RadiusSummary { count: acc.count + 1, weight: acc.weight + self.weights[e.data as usize] })
    }

    /// Ids and positions of the points inside a rectangle.
    pub fn in_bbox(&self, min: [f64; 2], max: [f64; 2]) -> impl Iterator<Item = (&str, [f64; 2])> {
        self.tree.locate_in_envelope(&AABB::from_corners(min, max)).map(|e| (self.ids[e.data as usize].as_str(), *e.geom()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid() -> PointIndex {
        // 11 x 11 points 10 m apart, from (0, 0) to (100, 100).
        let rows =
            (0..=10).flat_map(|i| (0..=10).map(move |j| PointRow { id: format!("{i}-{j}"), x: i as f64 * 10.0, y: j as f64 * 10.0, weight: 1.0 })).collect();
        PointIndex::new(rows)
    }

    #[test]
    fn radius_count_matches_lattice_points_in_a_circle() {
        // Lattice points (i, j) with i^2 + j^2 <= 4, i.e. 13 points, around the centre (50, 50).
        assert_eq!(grid().within(50.0, 50.0, Metres(20.0)).count, 13);
    }

    #[test]
    fn bbox_includes_its_edges() {
        assert_eq!(grid().in_bbox([0.0, 0.0], [20.0, 10.0]).count(), 6);
    }

    #[test]
    fn nearest_reports_distance_in_metres() {
        let index = grid();
        let n = index.nearest(3.0, 4.0, 1);
        assert_eq!((n[0].id, n[0].distance), ("0-0", Metres(5.0)));
    }
}
