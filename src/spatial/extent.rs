//! The municipality's extent: a rectangle in the analysis CRS that every imported feature must
//! fall inside, to catch swapped axes, wrong CRSs and stray points.

use super::{ANALYSIS_CRS, Crs, CrsError, Transformer};

/// A rectangle in [`ANALYSIS_CRS`] metres.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Extent {
    pub min_x: f64,
    pub min_y: f64,
    pub max_x: f64,
    pub max_y: f64,
}

impl Extent {
    /// The analysis-CRS envelope of a lon/lat box (a lon/lat box is curved in UTM).
    pub fn from_wgs84(bbox: [f64; 4]) -> Result<Extent, CrsError> {
        let [min_x, min_y, max_x, max_y] = envelope_in(bbox, Crs::Wgs84, ANALYSIS_CRS)?;
        Ok(Extent { min_x, min_y, max_x, max_y })
    }

    pub fn contains(&self, x: f64, y: f64) -> bool {
        (self.min_x..=self.max_x).contains(&x) && (self.min_y..=self.max_y).contains(&y)
    }
}

/// The envelope in `to` of the box `[min_x, min_y, max_x, max_y]` in `from`, found by
/// transforming 17 points along each edge (a box's edges bow in another CRS).
pub fn envelope_in([w, s, e, n]: [f64; 4], from: Crs, to: Crs) -> Result<[f64; 4], CrsError> {
    const STEPS: usize = 16;
    let t = Transformer::new(from, to);
    let mut envelope = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for i in 0..=STEPS {
        let f = i as f64 / STEPS as f64;
        let (x, y) = (w + (e - w) * f, s + (n - s) * f);
        for (px, py) in [(x, s), (x, n), (w, y), (e, y)] {
            let (tx, ty) = t.apply(px, py)?;
            envelope = [envelope[0].min(tx), envelope[1].min(ty), envelope[2].max(tx), envelope[3].max(ty)];
        }
    }
    Ok(envelope)
}

/// The box `[min_x, min_y, max_x, max_y]` around some rectangles (`[MAX, MAX, MIN, MIN]`, an empty
/// box whose min exceeds its max, when there are none).
///
/// ```
/// use bomiljo::spatial::bounds_of;
/// let r = |x0: f64, y0: f64, x1: f64, y1: f64| geo::Rect::new(geo::coord! { x: x0, y: y0 }, geo::coord! { x: x1, y: y1 });
/// assert_eq!(bounds_of([r(0.0, 5.0, 2.0, 6.0), r(-1.0, 7.0, 1.0, 9.0)]), [-1.0, 5.0, 2.0, 9.0]);
/// assert!(bounds_of([]).first() > bounds_of([]).get(2));
/// ```
pub fn bounds_of(rects: impl IntoIterator<Item = geo::Rect<f64>>) -> [f64; 4] {
    rects.into_iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |[a, b, c, d], r| [a.min(r.min().x), b.min(r.min().y), c.max(r.max().x), d.max(r.max().y)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wgs84_box_envelope_covers_its_corners() {
        // Corners of [10.4, 59.8, 11.0, 60.2] in EPSG:25832 by cs2cs: SW (578555.7, 6629967.5),
        // NE (610870.0, 6675364.5), SE (612216.8, 6630831.0), NW (577613.0, 6674508.0).
        let e = Extent::from_wgs84([10.4, 59.8, 11.0, 60.2]).unwrap();
        assert!((e.min_x - 577_613.0).abs() < 1.0, "{e:?}");
        assert!((e.max_x - 612_216.8).abs() < 1.0, "{e:?}");
        assert!((e.min_y - 6_629_967.5).abs() < 1.0, "{e:?}");
        assert!((e.max_y - 6_675_364.5).abs() < 1.0, "{e:?}");
    }
}
