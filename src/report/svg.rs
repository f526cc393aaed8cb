//! Minimal SVG drawing of EPSG:25832 geometry for reports: a fitted view with north up.

use geo::{BoundingRect, MultiPolygon};

/// Maps EPSG:25832 metres into an SVG viewport, north up, keeping the aspect ratio.
pub struct View {
    min_x: f64,
    max_y: f64,
    scale: f64,
    pub width: f64,
    pub height: f64,
}

impl View {
    pub fn fit<'a>(polygons: impl Iterator<Item = &'a MultiPolygon<f64>>, width: f64) -> Option<View> {
        let bbox = polygons.filter_map(|p| p.bounding_rect()).reduce(|a, b| {
            geo::Rect::new(
                geo::coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                geo::coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })?;
        let scale = width / bbox.width().max(1.0);
        Some(View { min_x: bbox.min().x, max_y: bbox.max().y, scale, width, height: bbox.height() * scale })
    }

    pub fn point(&self, x: f64, y: f64) -> (f64, f64) {
        ((x - self.min_x) * self.scale, (self.max_y - y) * self.scale)
    }

    /// An SVG path for a polygon (outer rings and holes, even-odd fill).
    pub fn path(&self, polygon: &MultiPolygon<f64>) -> String {
        let mut d = String::new();
        for p in &polygon.0 {
            for ring in std::iter::once(p.exterior()).chain(p.interiors()) {
                for (i, c) in ring.0.iter().enumerate() {
                    let (x, y) = self.point(c.x, c.y);
                    d.push_str(&format!("{}{x:.1},{y:.1} ", if i == 0 { "M" } else { "L" }));
                }
                d.push('Z');
            }
        }
        d
    }

    /// Metres per SVG unit, for a scale bar.
    pub fn metres_per_unit(&self) -> f64 {
        1.0 / self.scale
    }
}

/// Escapes text for HTML and SVG.
pub fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
