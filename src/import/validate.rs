//! Per-row checks: turns a [`RawRow`] into a [`Feature`] in EPSG:25832, or a [`Rejection`] that
//! names every problem of the row (missing field, unparseable date, unknown category, bad or
//! misplaced geometry, personal identifiers).

use std::collections::HashMap;

use chrono::NaiveDate;
use geo::{BoundingRect, Geometry, InteriorPoint, MultiPolygon, Validation};

use super::{anonymise, source::RawRow, Rejection};
use crate::config::{FieldMapping, FieldType, GeometryType, Layer, LayerKind};
use crate::feature::{Feature, FieldValue};
use crate::index::AreaIndex;
use crate::spatial::{Crs, Extent, Transformer, ANALYSIS_CRS};

/// Where tabular rows keep their coordinates.
#[derive(Clone, Debug)]
pub enum CoordinateColumns {
    /// GeoJSON: the feature's geometry.
    Geometry,
    /// Two columns: easting/longitude first, then northing/latitude.
    Columns { x: String, y: String },
}

/// Validates the rows of one file for one layer.
pub struct Validator<'a> {
    layer: &'a Layer,
    extent: Extent,
    municipality: &'a str,
    crs: Crs,
    to_analysis: Transformer,
    coordinates: CoordinateColumns,
    areas: Option<&'a AreaIndex>,
    seen_ids: HashMap<String, usize>,
    /// Incidents' SSB cells, from the position as delivered.
    ssb: crate::spatial::SsbProjection,
}

impl<'a> Validator<'a> {
    pub fn new(layer: &'a Layer, project: &'a crate::config::Project, crs: Crs, coordinates: CoordinateColumns, areas: Option<&'a AreaIndex>) -> Validator<'a> {
        Validator {
            layer,
            extent: project.extent,
            municipality: &project.municipality,
            crs,
            to_analysis: Transformer::new(crs, ANALYSIS_CRS),
            coordinates,
            areas,
            seen_ids: HashMap::new(),
            ssb: crate::spatial::SsbProjection::new(),
        }
    }

    pub fn validate(&mut self, row: RawRow) -> Result<Feature, Rejection> {
        let mut reasons = Vec::new();
        if self.layer.anonymise.is_some_and(|a| a.reject_identifiers) {
            for (column, text) in row.cells.iter() {
                if anonymise::looks_like_fodselsnummer(&text) {
                    reasons.push(format!("column '{column}' holds an 11-digit number that looks like a fødselsnummer; the data must arrive anonymised"));
                }
            }
        }
        let mut values = Vec::with_capacity(self.layer.fields.len());
        for mapping in &self.layer.fields {
            let value = self.field_value(mapping, &row).unwrap_or_else(|reason| {
                reasons.push(reason);
                FieldValue::Null
            });
            values.push((mapping.name, value));
        }
        let geometry = self.geometry(&row).map_err(|reason| reasons.push(reason)).ok();
        let (Some((mut x, mut y, polygon)), true) = (geometry, reasons.is_empty()) else {
            return Err(Rejection::new(row.line, reasons.join("; ")));
        };
        let ssb_cell = (self.layer.kind == LayerKind::Incidents).then(|| self.ssb.cell_of(x, y)).flatten();
        if let Some(grid) = self.layer.anonymise.and_then(|a| a.grid) {
            x = anonymise::snap(x, grid);
            y = anonymise::snap(y, grid);
        }
        let mut feature = Feature { id: String::new(), x, y, polygon, values, delbydel: None, bydel: None, ssb_cell };
        if self.layer.kind == LayerKind::Areas {
            self.resolve_area_codes(&mut feature);
        } else if let Some(area) = self.areas.and_then(|a| a.locate(x, y)) {
            feature.delbydel = Some(area.code.clone());
            feature.bydel = area.parent_code.clone();
        }
        feature.id = self.feature_id(&feature);
        if let Some(first) = self.seen_ids.insert(feature.id.clone(), row.line) {
            return Err(Rejection::new(row.line, format!("duplicate id '{}' (also on line {first})", feature.id)));
        }
        Ok(feature)
    }

    fn field_value(&self, mapping: &FieldMapping, row: &RawRow) -> Result<FieldValue, String> {
        let cell = row.cells.get(&mapping.column);
        let text = match (&cell, &mapping.default) {
            (Some(text), _) => text.as_ref(),
            (None, Some(default)) => default.as_str(),
            (None, None) if mapping.required => return Err(format!("missing {} (column '{}')", mapping.name, mapping.column)),
            (None, None) => return Ok(FieldValue::Null),
        };
        let bad = |expected: &str| format!("{} '{text}' in column '{}' is not {expected}", mapping.name, mapping.column);
        Ok(match mapping.ty {
            FieldType::Text => FieldValue::Text(text.to_string()),
            FieldType::Integer => {
                let n: f64 = text.parse().map_err(|_| bad("a whole number"))?;
                if n.fract() != 0.0 || !n.is_finite() {
                    return Err(bad("a whole number"));
                }
                self.check_integer_range(mapping, n as i64)?;
                FieldValue::Integer(n as i64)
            }
            FieldType::Number => match text.parse::<f64>() {
                Ok(n) if n.is_finite() => FieldValue::Number(n),
                _ => return Err(bad("a number")),
            },
            FieldType::Date => FieldValue::Date(
                NaiveDate::parse_from_str(text, "%Y-%m-%d")
                    .map_err(|_| format!("unparseable date '{text}' in column '{}'; expected YYYY-MM-DD", mapping.column))?,
            ),
            FieldType::Boolean => FieldValue::Boolean(match text.to_lowercase().as_str() {
                "true" | "1" | "yes" | "ja" => true,
                "false" | "0" | "no" | "nei" => false,
                _ => return Err(bad("true/false")),
            }),
            FieldType::Category => {
                let known = self.layer.categories.as_deref().unwrap_or_default();
                let found = known.iter().find(|c| c.eq_ignore_ascii_case(text)).ok_or_else(|| {
                    format!(
                        "unknown category '{text}'{} (layer {} knows: {})",
                        crate::config::suggest(text, known.iter().map(String::as_str)),
                        self.layer.name,
                        known.join(", ")
                    )
                })?;
                FieldValue::Text(found.clone())
            }
        })
    }

    fn check_integer_range(&self, mapping: &FieldMapping, n: i64) -> Result<(), String> {
        let (lo, hi) = match (self.layer.kind, mapping.name) {
            (LayerKind::Housing, "group") => (1, 8),
            (LayerKind::Housing, "units") => (1, 10_000),
            (_, "population") => (0, i64::MAX),
            _ => return Ok(()),
        };
        if (lo..=hi).contains(&n) {
            Ok(())
        } else {
            Err(format!("{} {n} in column '{}' is outside {lo}-{hi}", mapping.name, mapping.column))
        }
    }

    /// The feature's point (or representative point) and polygon, in the analysis CRS.
    fn geometry(&self, row: &RawRow) -> Result<(f64, f64, Option<MultiPolygon<f64>>), String> {
        let source = match &self.coordinates {
            CoordinateColumns::Geometry => {
                let g = row.geometry.clone().ok_or("feature has no geometry")?;
                Geometry::<f64>::try_from(g).map_err(|e| format!("unreadable geometry: {e}"))?
            }
            CoordinateColumns::Columns { x, y } => {
                let coordinate = |column: &str| -> Result<f64, String> {
                    let text = row.cells.get(column).ok_or_else(|| format!("missing coordinate (column '{column}')"))?;
                    text.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("coordinate '{text}' in column '{column}' is not a number"))
                };
                let (x, y) = (coordinate(x)?, coordinate(y)?);
                Geometry::Point(geo::Point::new(x, y))
            }
        };
        self.check_geometry_type(&source)?;
        let rect = source.bounding_rect().ok_or("geometry is empty")?;
        if !(rect.min().x.is_finite() && rect.min().y.is_finite() && rect.max().x.is_finite() && rect.max().y.is_finite()) {
            return Err("geometry has a coordinate that is not a finite number".into());
        }
        self.check_units(rect.min().x, rect.min().y)?;
        let projected = self.to_analysis.geometry(&source).map_err(|e| e.to_string())?;
        let rect = projected.bounding_rect().ok_or("geometry is empty")?;
        for corner in [rect.min(), rect.max()] {
            if !self.extent.contains(corner.x, corner.y) {
                let (ox, oy) = (rect.min().x, rect.min().y);
                return Err(format!(
                    "outside {}'s extent (at {ANALYSIS_CRS} {ox:.0}, {oy:.0}); check the CRS ({}) and that x/y or lon/lat are not swapped",
                    self.municipality, self.crs
                ));
            }
        }
        match projected {
            Geometry::Point(p) => Ok((p.x(), p.y(), None)),
            Geometry::Polygon(p) => polygon_feature(MultiPolygon(vec![p])),
            Geometry::MultiPolygon(mp) => polygon_feature(mp),
            other => Err(format!("unsupported geometry {}", geometry_name(&other))),
        }
    }

    fn check_geometry_type(&self, g: &Geometry<f64>) -> Result<(), String> {
        let is_point = matches!(g, Geometry::Point(_));
        let is_polygon = matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_));
        let ok = match self.layer.geometry {
            GeometryType::Point => is_point,
            GeometryType::Polygon => is_polygon,
            GeometryType::Any => is_point || is_polygon,
        };
        if ok {
            Ok(())
        } else {
            Err(format!("layer {} expects {:?} geometry, found {}", self.layer.name, self.layer.geometry, geometry_name(g)).to_lowercase())
        }
    }

    /// Catches degrees given as metres and the reverse, before a transform hides the mistake.
    fn check_units(&self, x: f64, y: f64) -> Result<(), String> {
        let looks_like_degrees = x.abs() <= 180.0 && y.abs() <= 90.0;
        if !self.crs.is_geographic() && looks_like_degrees {
            return Err(format!("coordinates ({x}, {y}) look like degrees but the CRS is {}; pass --crs EPSG:4326 or fix the columns", self.crs));
        }
        if self.crs.is_geographic() && !looks_like_degrees {
            return Err(format!("coordinates ({x}, {y}) look like metres but the CRS is {}; pass --crs EPSG:25832 (or 25833)", self.crs));
        }
        Ok(())
    }

    fn resolve_area_codes(&self, feature: &mut Feature) {
        let code = match feature.get("code") {
            FieldValue::Text(code) => code.clone(),
            _ => unreachable!("area codes are required"),
        };
        let code = match &self.layer.code_strip_prefix {
            Some(prefix) if code.len() > prefix.len() => code.strip_prefix(prefix.as_str()).unwrap_or(&code).to_string(),
            _ => code,
        };
        let parent_from_code = self.layer.parent_code_digits.and_then(|n| code.get(..n)).map(str::to_string);
        for (name, value) in &mut feature.values {
            match (*name, &value) {
                ("code", _) => *value = FieldValue::Text(code.clone()),
                ("parent", FieldValue::Null) => *value = parent_from_code.clone().map_or(FieldValue::Null, FieldValue::Text),
                _ => {}
            }
        }
    }

    /// The id field, the area code, or (for layers without ids) [`stable_id`] of the name and
    /// position, so an append re-import replaces instead of duplicating.
    fn feature_id(&self, f: &Feature) -> String {
        let given = if self.layer.kind == LayerKind::Areas { f.get("code") } else { f.get("id") };
        match given {
            FieldValue::Text(id) => id.clone(),
            FieldValue::Null => stable_id(
                match f.get("name") {
                    FieldValue::Text(name) => name,
                    _ => "",
                },
                f.x,
                f.y,
            ),
            other => format!("{other:?}"),
        }
    }
}

/// The id of a feature delivered without one: `h` followed by the first 16 hex digits of the
/// SHA-256 of `name`, a unit separator (U+001F), the EPSG:25832 easting rounded to whole
/// metres, a unit separator and the northing rounded likewise. Documented and independent of
/// the Rust release (unlike `std`'s `DefaultHasher`), so ids stay the same across versions.
///
/// ```
/// assert_eq!(bomiljo::import::validate::stable_id("Jernbanetorget", 597979.9, 6643118.99), "ha55663d8aa922280");
/// ```
pub fn stable_id(name: &str, x: f64, y: f64) -> String {
    use sha2::{Digest, Sha256};
    let canonical = format!("{name}\u{1f}{}\u{1f}{}", x.round() as i64, y.round() as i64);
    let digest = Sha256::digest(canonical.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("h{hex}")
}

fn polygon_feature(mp: MultiPolygon<f64>) -> Result<(f64, f64, Option<MultiPolygon<f64>>), String> {
    if let Some(problem) = mp.validation_errors().into_iter().next() {
        return Err(format!("invalid polygon: {problem}"));
    }
    let inside = mp.interior_point().ok_or("polygon is empty")?;
    Ok((inside.x(), inside.y(), Some(mp)))
}

fn geometry_name(g: &Geometry<f64>) -> &'static str {
    match g {
        Geometry::Point(_) => "Point",
        Geometry::Line(_) => "Line",
        Geometry::LineString(_) => "LineString",
        Geometry::Polygon(_) => "Polygon",
        Geometry::MultiPoint(_) => "MultiPoint",
        Geometry::MultiLineString(_) => "MultiLineString",
        Geometry::MultiPolygon(_) => "MultiPolygon",
        Geometry::GeometryCollection(_) => "GeometryCollection",
        Geometry::Rect(_) => "Rect",
        Geometry::Triangle(_) => "Triangle",
    }
}
