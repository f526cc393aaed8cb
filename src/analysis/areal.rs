//! Areal weighting: counts given for source polygons (population per SSB grid cell) moved onto
//! target polygons (delbydeler) in proportion to the area they share, assuming each count is
//! spread evenly over its polygon (Goodchild & Lam 1980, "Areal interpolation: a variant of the
//! traditional spatial problem", Geo-Processing 1).
//!
//! Taking each cell's centre instead puts a 250 m cell's residents wholly on one side of a
//! boundary; in Oslo a quarter of the delbydeler are then more than 10 % off.

use std::collections::BTreeMap;

use geo::{Area, BooleanOps, BoundingRect, MultiPolygon};

use crate::index::AreaIndex;

/// Each target's share of the sources' values, by target code. Value outside every target is
/// not counted.
///
/// ```
/// use bomiljo::analysis::areal::area_weighted;
/// use bomiljo::index::{Area, AreaIndex};
/// use geo::{polygon, MultiPolygon};
/// let square = |x0: f64, side: f64| MultiPolygon(vec![polygon![(x: x0, y: 0.0), (x: x0 + side, y: 0.0), (x: x0 + side, y: side), (x: x0, y: side)]]);
/// let area = |code: &str, x0: f64| Area { code: code.into(), name: None, parent_code: None, population: None, area_m2: 100.0, polygon: square(x0, 10.0) };
/// let targets = AreaIndex::new(vec![area("west", 0.0), area("east", 10.0)]);
/// // A cell of 100 residents straddling the boundary, three quarters in the east.
/// let cell = square(7.5, 10.0);
/// let shares = area_weighted(&[(cell, 100.0)], &targets);
/// assert!((shares["west"] - 25.0).abs() < 1e-9 && (shares["east"] - 75.0).abs() < 1e-9);
/// ```
pub fn area_weighted(sources: &[(MultiPolygon<f64>, f64)], targets: &AreaIndex) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for (polygon, value) in sources {
        let Some(rect) = polygon.bounding_rect() else { continue };
        let whole = polygon.unsigned_area();
        if whole <= 0.0 {
            continue;
        }
        for target in targets.in_bbox([rect.min().x, rect.min().y], [rect.max().x, rect.max().y]) {
            let shared = target.polygon.intersection(polygon).unsigned_area();
            if shared > 0.0 {
                *out.entry(target.code.clone()).or_insert(0.0) += value * shared / whole;
            }
        }
    }
    out
}
