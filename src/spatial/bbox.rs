//! A box a client selects features with (OGC API - Features `bbox` and `bbox-crs`): a feature is
//! in the answer when its geometry intersects the box as the client drew it (Features Part 1,
//! 7.15.3), not when its stored point lies in the box's envelope in metres. A box in degrees is
//! curved in metres: it is carried into metres as a polygon of 64 edges per side (its edges bow
//! by well under a centimetre between them at municipal scale), and features are tested against
//! that, so no feature's vertices need transforming; the envelope narrows the candidates first.
//!
//! ```
//! use bomiljo::spatial::{BoxQuery, Crs};
//! use geo::{line_string, Geometry};
//! let b = BoxQuery::new(Crs::Utm32, [597_000.0, 6_642_000.0, 598_000.0, 6_643_000.0]).unwrap();
//! // A road crossing the box whose ends both lie outside it.
//! let road = Geometry::LineString(line_string![(x: 596_000.0, y: 6_642_500.0), (x: 599_000.0, y: 6_642_500.0)]);
//! assert!(b.intersects(&road));
//! ```

use geo::{Intersects, LineString, Polygon};

use super::{ANALYSIS_CRS, Crs, CrsError, Transformer, envelope_in};

/// A box in `crs` (min x, min y, max x, max y; degrees lon/lat for geographic CRSs).
#[derive(Clone, Debug, PartialEq)]
pub struct BoxQuery {
    /// The box in the analysis CRS: its edges sampled densely and carried over.
    in_metres: Polygon<f64>,
    /// The box's envelope in the analysis CRS, widened a little: every feature that intersects
    /// the box intersects the envelope.
    envelope: [f64; 4],
}

/// Points per side when a box is carried into metres.
const SIDE_POINTS: usize = 64;

impl BoxQuery {
    pub fn new(crs: Crs, [w, s, e, n]: [f64; 4]) -> Result<BoxQuery, CrsError> {
        let [x0, y0, x1, y1] = envelope_in([w, s, e, n], crs, ANALYSIS_CRS)?;
        // Between the edge samples an edge bows by far less than a metre at municipal scale.
        let pad = 1.0;
        let to_metres = Transformer::new(crs, ANALYSIS_CRS);
        let corners = [(w, s), (e, s), (e, n), (w, n)];
        let mut ring = Vec::with_capacity(4 * SIDE_POINTS + 1);
        for (k, &(ax, ay)) in corners.iter().enumerate() {
            let (bx, by) = corners[(k + 1) % 4];
            for i in 0..SIDE_POINTS {
                let t = i as f64 / SIDE_POINTS as f64;
                ring.push(to_metres.apply(ax + t * (bx - ax), ay + t * (by - ay))?);
            }
        }
        ring.push(ring[0]);
        Ok(BoxQuery { in_metres: Polygon::new(LineString::from(ring), vec![]), envelope: [x0 - pad, y0 - pad, x1 + pad, y1 + pad] })
    }

    /// The envelope in the analysis CRS (min x, min y, max x, max y) that holds the box.
    pub fn envelope(&self) -> [f64; 4] {
        self.envelope
    }

    /// Whether `geometry` (analysis CRS: a point, polygons, lines) intersects the box.
    pub fn intersects<G: Intersects<Polygon<f64>>>(&self, geometry: &G) -> bool {
        geometry.intersects(&self.in_metres)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{Geometry, point, polygon};

    #[test]
    fn a_polygon_that_covers_the_box_or_crosses_it_is_in_and_one_beside_it_is_not() {
        let b = BoxQuery::new(Crs::Utm32, [0.0, 0.0, 10.0, 10.0]).unwrap();
        let around = polygon![(x: -100.0, y: -100.0), (x: 100.0, y: -100.0), (x: 100.0, y: 100.0), (x: -100.0, y: 100.0)];
        let beside = polygon![(x: 20.0, y: 0.0), (x: 30.0, y: 0.0), (x: 30.0, y: 10.0)];
        assert!(b.intersects(&Geometry::Polygon(around)));
        assert!(!b.intersects(&Geometry::Polygon(beside)));
    }

    #[test]
    fn a_point_inside_the_metre_envelope_of_a_degree_box_but_outside_the_box_is_out() {
        let b = BoxQuery::new(Crs::Wgs84, [10.74, 59.91, 10.76, 59.92]).unwrap();
        // Just west of 10.74 E: in metres the degree box is a tilted quadrilateral, and its
        // envelope takes in a sliver beyond its western edge.
        let (x, y) = Transformer::new(Crs::Wgs84, ANALYSIS_CRS).apply(10.7399, 59.9101).unwrap();
        let [x0, y0, x1, y1] = b.envelope();
        assert!((x0..=x1).contains(&x) && (y0..=y1).contains(&y), "the envelope holds it");
        assert!(!b.intersects(&Geometry::Point(point!(x: x, y: y))));
        let (x, y) = Transformer::new(Crs::Wgs84, ANALYSIS_CRS).apply(10.7401, 59.9101).unwrap();
        assert!(b.intersects(&Geometry::Point(point!(x: x, y: y))));
    }
}
