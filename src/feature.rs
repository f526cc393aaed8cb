//! A validated feature, ready to store: the hand-over from import to store.

use chrono::NaiveDate;
use geo::{MultiLineString, MultiPolygon};

/// A canonical field's value.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldValue {
    Null,
    Text(String),
    Integer(i64),
    Number(f64),
    Date(NaiveDate),
    Boolean(bool),
}

/// One feature in EPSG:25832 with its canonical fields, its delbydel and bydel.
#[derive(Clone, Debug)]
pub struct Feature {
    pub id: String,
    /// The point, or a polygon's representative point (inside it), in metres.
    pub x: f64,
    pub y: f64,
    pub polygon: Option<MultiPolygon<f64>>,
    /// A line layer's lines (streets), in metres; `x`, `y` is a point on them.
    pub lines: Option<MultiLineString<f64>>,
    /// Canonical field values in the layer's field order.
    pub values: Vec<(&'static str, FieldValue)>,
    /// `None` when the point is outside every area (kept, and counted as unassigned).
    pub delbydel: Option<String>,
    pub bydel: Option<String>,
    /// Incidents: the SSB 250 m cell of the position as delivered, before snapping (so released
    /// cell counts are not aliased by the snapping grid).
    pub ssb_cell: Option<crate::spatial::SsbCell>,
    /// Snapped layers: the position as delivered, in metres, before snapping. Stored only to
    /// assign areas, so that re-assignment after a replace or an undo equals the import's.
    pub delivered: Option<(f64, f64)>,
    /// Line layers: the source columns the layer keeps (`keep_tags`), as a JSON object.
    pub tags: Option<String>,
}

impl Feature {
    /// A field's value, `Null` when absent.
    pub fn get(&self, name: &str) -> &FieldValue {
        self.values.iter().find(|(n, _)| *n == name).map_or(&FieldValue::Null, |(_, v)| v)
    }
}
