//! Per-row checks: turns a `RawRow` into a [`Feature`] in EPSG:25832, or a [`Rejection`] that
//! names every problem of the row (missing field, unparseable date, unknown category, bad or
//! misplaced geometry, personal identifiers).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use geo::{BoundingRect, Geometry, InteriorPoint, MultiLineString, MultiPolygon, Validation};

use super::{Rejection, anonymise, source::RawRow};
use crate::config::{FieldMapping, FieldType, GeometryType, Layer, LayerKind};
use crate::feature::{Feature, FieldValue};
use crate::index::AreaIndex;
use crate::spatial::{ANALYSIS_CRS, Crs, Extent, Transformer};

/// A feature's place in the analysis CRS: its point (a polygon's representative point, a point
/// on a line) and polygon or lines, and for a point its coordinates as delivered, in the file's
/// CRS.
struct Located {
    x: f64,
    y: f64,
    polygon: Option<MultiPolygon<f64>>,
    lines: Option<MultiLineString<f64>>,
    delivered: Option<(f64, f64)>,
}

/// Where tabular rows keep their coordinates.
#[derive(Clone, Debug)]
pub enum CoordinateColumns {
    /// GeoJSON: the feature's geometry.
    Geometry,
    /// Two columns: easting/longitude first, then northing/latitude.
    Columns { x: String, y: String },
    /// One column of SSB grid ids (`ru250m`): the geometry is the cell's square, in EPSG:25833.
    SsbCell { column: String },
    /// A layer without geometry (`geometry = "none"`): its rows name their area.
    None,
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
    /// The file's CRS to the SSB grid's (EPSG:25833), for incidents' cells from the position
    /// as delivered (one projection, not one to the analysis CRS and another from it).
    to_ssb_grid: Transformer,
    reading: Reading,
    /// Repair invalid polygons instead of refusing them.
    make_valid: bool,
    /// Repairs by line, so that those of several workers merge in file order.
    repairs: Vec<(usize, String)>,
    /// Parent codes an area may name (the stored bydeler), when known.
    parents: Option<std::collections::BTreeSet<String>>,
    /// The stored parents' codes by normalised name, so a need survey may name its bydel.
    parent_names: BTreeMap<String, String>,
    /// Every category label found, as written, with its category and how many rows used it.
    labels: BTreeMap<String, LabelUse>,
}

/// How cells are read beyond their column: number and date notation, and which dates pass.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    /// Numbers written with a decimal comma (`597123,5`), as Norwegian Excel writes them.
    pub decimal_comma: bool,
    /// A chrono format for dates (e.g. `%d/%m/%Y`); ISO `YYYY-MM-DD` and `dd.mm.yyyy` (with or
    /// without a time) are read without it.
    pub date_format: Option<String>,
    /// Accept dates after today.
    pub allow_future: bool,
    /// Today, for the future-date check.
    pub today: Option<NaiveDate>,
}

/// One category label as found in a file.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LabelUse {
    /// The layer category it maps to; `None` when it maps to none.
    pub category: Option<String>,
    pub rows: u64,
}

impl<'a> Validator<'a> {
    pub fn new(
        layer: &'a Layer,
        project: &'a crate::config::Project,
        crs: Crs,
        coordinates: CoordinateColumns,
        areas: Option<&'a AreaIndex>,
        reading: Reading,
    ) -> Validator<'a> {
        Validator {
            layer,
            extent: project.extent,
            municipality: &project.municipality,
            crs,
            to_analysis: Transformer::new(crs, ANALYSIS_CRS),
            coordinates,
            areas,
            to_ssb_grid: Transformer::new(crs, Crs::Utm33),
            reading,
            make_valid: false,
            repairs: Vec::new(),
            parents: None,
            parent_names: BTreeMap::new(),
            labels: BTreeMap::new(),
        }
    }

    /// Repairs invalid polygons (`--make-valid`) and records what changed.
    pub fn with_make_valid(mut self, make_valid: bool) -> Self {
        self.make_valid = make_valid;
        self
    }

    /// Refuses areas (and need rows) whose parent code is not among the stored parent layer's
    /// `(code, name)` pairs; need rows may also name the parent.
    pub fn with_parents(mut self, parents: Vec<(String, Option<String>)>) -> Self {
        self.parent_names = parents.iter().filter_map(|(code, name)| Some((crate::config::labels::place_key(name.as_deref()?), code.clone()))).collect();
        let codes: std::collections::BTreeSet<String> = parents.into_iter().map(|(code, _)| code).collect();
        self.parents = (!codes.is_empty()).then_some(codes);
        self
    }

    /// The category labels found so far.
    pub fn labels(&self) -> &BTreeMap<String, LabelUse> {
        &self.labels
    }

    /// Checks one row; a rejection of a feature from a GeoJSON, GeoPackage or Shapefile names
    /// the feature (its number and its code, id or name), since one-line files have no useful
    /// line numbers.
    pub fn validate(&mut self, row: RawRow) -> Result<Feature, Rejection> {
        self.validate_row(&row).map_err(|mut rejection| {
            // Named only on rejection: valid rows (the hot path) build no extra strings.
            if let Some(index) = row.feature {
                rejection.reason = format!("{}: {}", self.identity(index, &row), rejection.reason);
            }
            rejection
        })
    }

    /// "feature 12 (DELBYDEL 0102, DELBYDELSN Grønland)": the feature's number and the cells of
    /// its code, id and name columns.
    fn identity(&self, index: usize, row: &RawRow) -> String {
        let named: Vec<String> = ["code", "id", "name"]
            .into_iter()
            .filter_map(|field| self.layer.field(field))
            .filter_map(|mapping| row.cells.get(&mapping.column).map(|value| format!("{} {value}", mapping.column)))
            .collect();
        if named.is_empty() { format!("feature {index}") } else { format!("feature {index} ({})", named.join(", ")) }
    }

    /// Polygons repaired by `--make-valid`, one sentence each, in file order.
    pub fn repairs(&self) -> Vec<String> {
        self.repairs.iter().map(|(_, repair)| repair.clone()).collect()
    }

    /// A validator with the same layer, CRS, areas and reading, and nothing found yet: one per
    /// thread that checks rows (see `super::pipeline`).
    pub fn fork(&self) -> Validator<'a> {
        Validator {
            to_analysis: Transformer::new(self.crs, ANALYSIS_CRS),
            to_ssb_grid: Transformer::new(self.crs, Crs::Utm33),
            coordinates: self.coordinates.clone(),
            reading: self.reading.clone(),
            repairs: Vec::new(),
            parents: self.parents.clone(),
            parent_names: self.parent_names.clone(),
            labels: BTreeMap::new(),
            ..*self
        }
    }

    /// Takes in what a fork found: its category labels (rows added up) and repairs.
    pub fn absorb(&mut self, fork: Validator<'a>) {
        for (label, usage) in fork.labels {
            self.labels.entry(label).and_modify(|u| u.rows += usage.rows).or_insert(usage);
        }
        self.repairs.extend(fork.repairs);
        self.repairs.sort_by_key(|(line, _)| *line);
    }

    fn validate_row(&mut self, row: &RawRow) -> Result<Feature, Rejection> {
        let mut reasons = Vec::new();
        if self.layer.anonymise.is_some_and(|a| a.reject_identifiers) {
            for column in row.cells.columns_where(anonymise::looks_like_fodselsnummer) {
                reasons.push(format!("column '{column}' holds an 11-digit number that looks like a fødselsnummer; the data must arrive anonymised"));
            }
        }
        let mut values = Vec::with_capacity(self.layer.fields.len());
        for mapping in &self.layer.fields {
            let value = self.field_value(mapping, row).unwrap_or_else(|reason| {
                reasons.push(reason);
                FieldValue::Null
            });
            values.push((mapping.name, value));
        }
        let geometry = self.geometry(row).map_err(|reason| reasons.push(reason)).ok();
        let (Some(Located { mut x, mut y, polygon, lines, delivered }), true) = (geometry, reasons.is_empty()) else {
            return Err(Rejection::new(row.line, reasons.join("; ")));
        };
        // The SSB cell and the delbydel come from the position as delivered; only the snapped
        // position is stored. Assigning the snapped position instead moved 3.5 % of clustered
        // incidents into a neighbouring delbydel (a 100 m cell straddles the boundary).
        let ssb_cell = match (self.layer.kind, delivered) {
            (LayerKind::Incidents, Some((dx, dy))) => self.to_ssb_grid.apply(dx, dy).ok().map(|(gx, gy)| crate::spatial::SsbCell::containing_utm33(gx, gy)),
            _ => None,
        };
        let area = if self.layer.kind == LayerKind::Areas { None } else { self.areas.and_then(|a| a.locate(x, y)) };
        let mut unsnapped = None;
        if let Some(grid) = self.layer.anonymise.and_then(|a| a.grid) {
            unsnapped = Some((x, y));
            x = anonymise::snap(x, grid);
            y = anonymise::snap(y, grid);
        }
        let mut feature =
            Feature { id: String::new(), x, y, polygon, lines, values, delbydel: None, bydel: None, ssb_cell, delivered: unsnapped, tags: self.kept_tags(row) };
        if self.layer.kind == LayerKind::Areas {
            self.resolve_area_codes(&mut feature).map_err(|reason| Rejection::new(row.line, reason))?;
        } else if self.layer.kind == LayerKind::Need {
            self.resolve_need_row(&mut feature, row).map_err(|reason| Rejection::new(row.line, reason))?;
            return Ok(feature);
        } else if let Some(area) = area {
            feature.delbydel = Some(area.code.clone());
            feature.bydel = area.parent_code.clone();
        }
        feature.id = self.feature_id(&feature);
        Ok(feature)
    }

    /// The layer's `keep_tags` columns that have a value, as a JSON object (`None` when none do).
    fn kept_tags(&self, row: &RawRow) -> Option<String> {
        let tags: serde_json::Map<String, serde_json::Value> =
            self.layer.keep_tags.iter().filter_map(|key| Some((key.clone(), serde_json::Value::String(row.cells.get(key)?.into_owned())))).collect();
        (!tags.is_empty()).then(|| serde_json::Value::Object(tags).to_string())
    }

    fn field_value(&mut self, mapping: &FieldMapping, row: &RawRow) -> Result<FieldValue, String> {
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
            FieldType::Pseudonym if text.trim().is_empty() => FieldValue::Null,
            FieldType::Pseudonym => FieldValue::Text(super::anonymise::pseudonym(text.trim())),
            FieldType::Integer => {
                let n: f64 = text.parse().map_err(|_| bad("a whole number"))?;
                if n.fract() != 0.0 || !n.is_finite() {
                    return Err(bad("a whole number"));
                }
                self.check_integer_range(mapping, n as i64)?;
                FieldValue::Integer(n as i64)
            }
            FieldType::Number => match self.number(text) {
                Some(n) => FieldValue::Number(n),
                None => return Err(bad("a number")),
            },
            FieldType::Date => FieldValue::Date(self.date(text, &mapping.column)?),
            FieldType::Boolean => FieldValue::Boolean(match text.to_lowercase().as_str() {
                "true" | "1" | "yes" | "ja" => true,
                "false" | "0" | "no" | "nei" => false,
                _ => return Err(bad("true/false")),
            }),
            FieldType::Category => {
                let labels = &self.layer.category_labels;
                // Files repeat a handful of labels: each is normalised and looked up once.
                let usage = match self.labels.get_mut(text) {
                    Some(usage) => usage,
                    None => self.labels.entry(text.to_string()).or_insert(LabelUse { category: labels.category_of(text).map(str::to_string), rows: 0 }),
                };
                usage.rows += 1;
                let found = usage.category.clone().ok_or_else(|| {
                    format!(
                        "unknown category '{text}'{} (layer {} knows: {}); map the label in [category_labels] of {}",
                        crate::config::suggest(&crate::config::labels::normalise(text), labels.known()),
                        self.layer.name,
                        labels.categories().join(", "),
                        self.layer.path.display()
                    )
                })?;
                FieldValue::Text(found)
            }
        })
    }

    /// A finite number, with a decimal comma when the file writes them so.
    fn number(&self, text: &str) -> Option<f64> {
        let text: std::borrow::Cow<'_, str> = if self.reading.decimal_comma { text.replace(',', ".").into() } else { text.into() };
        text.parse::<f64>().ok().filter(|n| n.is_finite())
    }

    /// A date in the given format, or ISO, or Norwegian `dd.mm.yyyy` (a time after it is
    /// ignored); then checked against the layer's earliest date and today.
    fn date(&self, text: &str, column: &str) -> Result<NaiveDate, String> {
        let day_part = text.split([' ', 'T']).next().unwrap_or(text);
        let parsed = match (&self.reading.date_format, iso_date(day_part)) {
            (None, Some(date)) => date,
            (Some(format), _) => NaiveDate::parse_from_str(text, format)
                .or_else(|_| NaiveDate::parse_from_str(day_part, format))
                .map_err(|_| format!("unparseable date '{text}' in column '{column}'; expected the format {format}"))?,
            (None, None) => NaiveDate::parse_from_str(day_part, "%d.%m.%Y")
                .map_err(|_| format!("unparseable date '{text}' in column '{column}'; expected YYYY-MM-DD or dd.mm.yyyy (or pass --date-format)"))?,
        };
        if let Some(earliest) = self.layer.earliest_date.filter(|e| parsed < *e) {
            return Err(format!("date {parsed} in column '{column}' is before {earliest}, the earliest date of layer {}; a typing error?", self.layer.name));
        }
        if let Some(today) = self.reading.today.filter(|t| parsed > *t && !self.reading.allow_future) {
            return Err(format!("date {parsed} in column '{column}' is after today ({today}); pass --allow-future if that is right"));
        }
        Ok(parsed)
    }

    fn check_integer_range(&self, mapping: &FieldMapping, n: i64) -> Result<(), String> {
        let (lo, hi) = match (self.layer.kind, mapping.name) {
            (LayerKind::Housing, "group") => (1, 8),
            (LayerKind::Housing, "units") => (1, 10_000),
            (LayerKind::Need, "year") => (1990, 2100),
            (LayerKind::Need, "units") => (0, 100_000),
            (_, "population") => (0, i64::MAX),
            _ => return Ok(()),
        };
        if (lo..=hi).contains(&n) { Ok(()) } else { Err(format!("{} {n} in column '{}' is outside {lo}-{hi}", mapping.name, mapping.column)) }
    }

    /// The feature's point (or representative point) and polygon, in the analysis CRS.
    fn geometry(&mut self, row: &RawRow) -> Result<Located, String> {
        let source = match &self.coordinates {
            CoordinateColumns::Geometry => {
                let g = row.geometry.clone().ok_or("feature has no geometry")?;
                Geometry::<f64>::try_from(g).map_err(|e| format!("unreadable geometry: {e}"))?
            }
            CoordinateColumns::Columns { x, y } => {
                let coordinate = |column: &str| -> Result<f64, String> {
                    let text = row.cells.get(column).ok_or_else(|| format!("missing coordinate (column '{column}')"))?;
                    self.number(&text).ok_or_else(|| format!("coordinate '{text}' in column '{column}' is not a number"))
                };
                let (x, y) = (coordinate(x)?, coordinate(y)?);
                Geometry::Point(geo::Point::new(x, y))
            }
            CoordinateColumns::None => return Ok(Located { x: 0.0, y: 0.0, polygon: None, lines: None, delivered: None }),
            CoordinateColumns::SsbCell { column } => {
                let text = row.cells.get(column).ok_or_else(|| format!("missing SSB grid id (column '{column}')"))?;
                let id: i64 = text.parse().ok().filter(|&id| crate::spatial::SsbCell::is_valid_id(id)).ok_or_else(|| {
                    format!("'{text}' in column '{column}' is not an SSB 250 m grid id ((x + 2000000) * 10^7 + y of the south-west corner, EPSG:25833)")
                })?;
                let [x0, y0, x1, y1] = crate::spatial::SsbCell::from_id(id).bounds_utm33();
                Geometry::Polygon(geo::Polygon::new(vec![(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)].into(), vec![]))
            }
        };
        self.check_geometry_type(&source)?;
        if let Geometry::Point(p) = source {
            return self.point(p.x(), p.y());
        }
        let rect = source.bounding_rect().ok_or("geometry is empty")?;
        if !(rect.min().x.is_finite() && rect.min().y.is_finite() && rect.max().x.is_finite() && rect.max().y.is_finite()) {
            return Err("geometry has a coordinate that is not a finite number".into());
        }
        self.check_units(rect.min().x, rect.min().y)?;
        let projected = self.to_analysis.geometry(&source).map_err(|e| e.to_string())?;
        let rect = projected.bounding_rect().ok_or("geometry is empty")?;
        if [rect.min(), rect.max()].iter().any(|corner| !self.extent.contains(corner.x, corner.y)) {
            return Err(self.outside_extent(rect.min().x, rect.min().y));
        }
        let (x, y, polygon) = match projected {
            Geometry::Polygon(p) => self.polygon_feature(MultiPolygon(vec![p]), row.line)?,
            Geometry::MultiPolygon(mp) => self.polygon_feature(mp, row.line)?,
            Geometry::LineString(l) => return line_feature(MultiLineString(vec![l])),
            Geometry::MultiLineString(ml) => return line_feature(ml),
            other => return Err(format!("unsupported geometry {}", geometry_name(&other))),
        };
        Ok(Located { x, y, polygon, lines: None, delivered: None })
    }

    /// A point as delivered, checked and projected (the hot path of incident files: no
    /// geometry is built).
    fn point(&self, x: f64, y: f64) -> Result<Located, String> {
        if !(x.is_finite() && y.is_finite()) {
            return Err("geometry has a coordinate that is not a finite number".into());
        }
        self.check_units(x, y)?;
        let (px, py) = self.to_analysis.apply(x, y).map_err(|e| e.to_string())?;
        if !self.extent.contains(px, py) {
            return Err(self.outside_extent(px, py));
        }
        Ok(Located { x: px, y: py, polygon: None, lines: None, delivered: Some((x, y)) })
    }

    fn outside_extent(&self, x: f64, y: f64) -> String {
        format!(
            "outside {}'s extent (at {ANALYSIS_CRS} {x:.0}, {y:.0}); check the CRS ({}) and that x/y or lon/lat are not swapped",
            self.municipality, self.crs
        )
    }

    fn check_geometry_type(&self, g: &Geometry<f64>) -> Result<(), String> {
        let is_point = matches!(g, Geometry::Point(_));
        let is_polygon = matches!(g, Geometry::Polygon(_) | Geometry::MultiPolygon(_));
        let is_line = matches!(g, Geometry::LineString(_) | Geometry::MultiLineString(_));
        let ok = match self.layer.geometry {
            GeometryType::Point => is_point,
            GeometryType::Polygon => is_polygon,
            GeometryType::Any => is_point || is_polygon,
            GeometryType::Line => is_line,
            GeometryType::None => false,
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
            return Err(format!("coordinates ({x}, {y}) look like degrees but the CRS is {}", self.crs));
        }
        if self.crs.is_geographic() && !looks_like_degrees {
            return Err(format!("coordinates ({x}, {y}) look like metres but the CRS is {}", self.crs));
        }
        Ok(())
    }

    /// The polygon and its representative point; an invalid polygon is refused with every
    /// problem named, or with `--make-valid` rebuilt by a union of its rings (a self-crossing
    /// ring becomes the pieces it encloses) and the change in area recorded.
    fn polygon_feature(&mut self, mp: MultiPolygon<f64>, line: usize) -> Result<(f64, f64, Option<MultiPolygon<f64>>), String> {
        use geo::{Area, BooleanOps};
        let problems: Vec<String> = mp.validation_errors().into_iter().map(|p| p.to_string()).collect();
        let mp = if problems.is_empty() {
            mp
        } else if self.make_valid {
            let repaired = mp.union(&MultiPolygon::new(Vec::new()));
            if !repaired.is_valid() {
                return Err(format!("invalid polygon that --make-valid could not repair: {}", problems.join("; ")));
            }
            self.repairs.push((
                line,
                format!(
                    "line {line}: repaired ({}): area {:.0} m² -> {:.0} m², {} part(s)",
                    problems.join("; "),
                    mp.unsigned_area(),
                    repaired.unsigned_area(),
                    repaired.0.len()
                ),
            ));
            repaired
        } else {
            return Err(format!("invalid polygon: {}; fix it in the source, or pass --make-valid to repair it on import", problems.join("; ")));
        };
        let inside = mp.interior_point().ok_or("polygon is empty")?;
        Ok((inside.x(), inside.y(), Some(mp)))
    }

    /// Normalises the area code (and the parent code) to the layer's form: see [`area_code`].
    fn resolve_area_codes(&self, feature: &mut Feature) -> Result<(), String> {
        let text = |v: &FieldValue| match v {
            FieldValue::Text(t) => Some(t.clone()),
            FieldValue::Integer(i) => Some(i.to_string()),
            _ => None,
        };
        let given = text(feature.get("code")).ok_or("area without a code")?;
        let parent_digits = self.layer.parent_code_digits;
        let code = area_code(&given, self.layer.code_digits, self.layer.code_strip_prefix.as_deref(), parent_digits)?;
        let parent_from_code = parent_digits.and_then(|n| code.get(..n)).map(str::to_string);
        let parent = match text(feature.get("parent")) {
            Some(p) => Some(area_code(&p, parent_digits, self.layer.code_strip_prefix.as_deref(), None).map_err(|e| format!("parent: {e}"))?),
            None => parent_from_code,
        };
        if let (Some(parent), Some(known)) = (&parent, &self.parents) {
            if !known.contains(parent) {
                let layer = self.layer.parent_layer.as_deref().unwrap_or("parents");
                return Err(format!(
                    "area {code}: parent '{parent}' is not one of the {} stored {layer}; import the {layer} first, or fix the code",
                    known.len()
                ));
            }
        }
        for (name, value) in &mut feature.values {
            match *name {
                "code" => *value = FieldValue::Text(code.clone()),
                "parent" => *value = parent.clone().map_or(FieldValue::Null, FieldValue::Text),
                _ => {}
            }
        }
        Ok(())
    }

    /// A need row's bydel (a code, or a name of the stored bydeler), its housing type as written
    /// and its id: survey year, bydel and the housing type normalised, so that a re-import of
    /// the same survey replaces row for row and a type written twice is refused as a repeat.
    fn resolve_need_row(&self, feature: &mut Feature, row: &RawRow) -> Result<(), String> {
        let FieldValue::Text(given) = feature.get("bydel").clone() else { return Err("missing bydel".into()) };
        let bydel = if given.trim().bytes().all(|b| b.is_ascii_digit()) {
            area_code(&given, Some(2), Some("0301"), None)?
        } else {
            self.parent_names.get(&crate::config::labels::place_key(&given)).cloned().ok_or_else(|| match &self.parents {
                Some(_) => format!(
                    "bydel '{given}' is not the name of a stored bydel{}; write its name as in the bydeler layer, or its code",
                    crate::config::suggest(&crate::config::labels::place_key(&given), self.parent_names.keys().map(String::as_str))
                ),
                None => {
                    format!("bydel '{given}' is a name, but no bydeler are imported to look it up; import the bydeler layer first, or write the code (01-17)")
                }
            })?
        };
        if bydel.bytes().all(|b| b == b'0') {
            return Err(format!("bydel '{given}' names no bydel (the municipality's own number?); write the bydel's code (01-17) or name"));
        }
        if let Some(known) = self.parents.as_ref().filter(|known| !known.contains(&bydel)) {
            return Err(format!("bydel '{bydel}' is not one of the {} stored bydeler", known.len()));
        }
        let group_column = self.layer.field("group").map_or("group", |f| f.column.as_str());
        let housing_type = row.cells.get(group_column).map(|c| c.trim().to_string()).unwrap_or_default();
        let FieldValue::Integer(year) = feature.get("year") else { return Err("missing year".into()) };
        feature.id = format!("{year}:{bydel}:{}", crate::config::labels::normalise(&housing_type));
        feature.values.push(("housing_type", FieldValue::Text(housing_type)));
        feature.bydel = Some(bydel);
        Ok(())
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

/// `YYYY-MM-DD`, read without a format string (the common case, a million times per import).
fn iso_date(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let digits = |r: std::ops::Range<usize>| b[r].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')));
    NaiveDate::from_ymd_opt(digits(0..4)? as i32, digits(5..7)?, digits(8..10)?)
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

/// An area code in the layer's form, `digits` long: the municipality `prefix` ("0301") is
/// removed, a code that lost its leading zeros (Excel) is padded, and a longer national code
/// keeps its last `digits` when the digits before them repeat its parent (SSB's 10-digit
/// delbydel "0301 01 0102" is delbydel 0102 in bydel 01). Anything else is refused, since a
/// wrong code silently puts the area in the wrong bydel.
///
/// ```
/// use bomiljo::import::validate::area_code;
/// assert_eq!(area_code("0301010102", Some(4), Some("0301"), Some(2)).unwrap(), "0102");
/// assert_eq!(area_code("102", Some(4), Some("0301"), Some(2)).unwrap(), "0102");
/// assert_eq!(area_code("030101", Some(2), Some("0301"), None).unwrap(), "01");
/// assert_eq!(area_code("1", Some(2), Some("0301"), None).unwrap(), "01");
/// assert!(area_code("0301020102", Some(4), Some("0301"), Some(2)).is_err()); // bydel 02 vs 0102
/// assert_eq!(area_code("Sentrum", None, None, None).unwrap(), "Sentrum"); // no form declared
/// ```
pub fn area_code(given: &str, digits: Option<usize>, prefix: Option<&str>, parent_digits: Option<usize>) -> Result<String, String> {
    let given = given.trim();
    let Some(digits) = digits else {
        return Ok(match prefix {
            Some(p) if given.len() > p.len() => given.strip_prefix(p).unwrap_or(given).to_string(),
            _ => given.to_string(),
        });
    };
    if given.is_empty() || !given.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("code '{given}' is not a number of up to {digits} digits"));
    }
    let unprefixed = match prefix {
        Some(p) if given.len() > digits && given.starts_with(p) => &given[p.len()..],
        _ => given,
    };
    match unprefixed.len() {
        n if n == digits => Ok(unprefixed.to_string()),
        n if n < digits => Ok(format!("{unprefixed:0>digits$}")),
        n => {
            let (head, code) = unprefixed.split_at(n - digits);
            match parent_digits {
                Some(p) if head.len() == p && code.starts_with(head) => Ok(code.to_string()),
                _ => Err(format!(
                    "code '{given}' has {} digits; this layer uses {digits}-digit codes and the extra digits do not repeat the parent",
                    given.len()
                )),
            }
        }
    }
}

/// Lines and a point on them (the vertex nearest their centroid: where a line layer's feature
/// is found by box, and assigned a delbydel).
fn line_feature(lines: MultiLineString<f64>) -> Result<Located, String> {
    let on = lines.interior_point().ok_or("line is empty")?;
    if lines.0.iter().any(|l| l.0.len() < 2) {
        return Err("a line needs at least two points".into());
    }
    Ok(Located { x: on.x(), y: on.y(), polygon: None, lines: Some(lines), delivered: None })
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
