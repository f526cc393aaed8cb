//! One layer, resolved from `layers/<name>.toml`: what it holds, where it is stored, which
//! fields it expects and from which columns, and who may see it.
//!
//! Each [`LayerKind`] has a fixed set of canonical fields the code understands (an incident has
//! `id`, `date`, `category`, `weight`); a layer file maps them to the columns of its source files
//! and sets defaults. A new incident source is a new file with `kind = "incidents"`.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{
    ConfigError,
    raw::{RawField, RawLayer},
    suggest,
};
use crate::spatial::{Crs, Metres};

/// What a layer holds; decides its table and canonical fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// Administrative areas (delbydeler, bydeler): polygons with a code.
    Areas,
    /// Resident population per grid cell or area.
    Population,
    /// Points (or polygons) of interest: schools, stops, shops, commercial land.
    Poi,
    /// Housing sites for the target groups: sensitive, always internal.
    Housing,
    /// Anonymised incidents from one source (fire, police, waste, ...).
    Incidents,
    /// Housing need from the housing-need surveys: homes needed per survey year, bydel and
    /// matrix group. Rows without geometry; each names its bydel.
    Need,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GeometryType {
    Point,
    Polygon,
    /// Either points or polygons (e.g. population per grid cell or per address).
    Any,
    /// Lines (streets): stored with a point on the line, drawn on the maps.
    Line,
    /// No geometry: tabular rows that name their area (housing need per bydel).
    None,
}

/// Who may see a layer's features: `public` leaves the municipality, `internal` does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    Public,
    Internal,
}

/// The type a canonical field is parsed into.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Integer,
    Number,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    Boolean,
    /// Text from the layer's `categories` list.
    Category,
    /// A key that names a person or household to the agency alone (a case or client number):
    /// stored only as a one-way hash, used to bound each key's share of the public release.
    Pseudonym,
}

/// A canonical field of a layer kind.
#[derive(Clone, Copy, Debug)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    pub required: bool,
}

const fn field(name: &'static str, ty: FieldType, required: bool) -> FieldSpec {
    FieldSpec { name, ty, required }
}

impl LayerKind {
    fn parse(s: &str) -> Option<LayerKind> {
        Some(match s {
            "areas" => LayerKind::Areas,
            "population" => LayerKind::Population,
            "poi" => LayerKind::Poi,
            "housing" => LayerKind::Housing,
            "incidents" => LayerKind::Incidents,
            "need" => LayerKind::Need,
            _ => return None,
        })
    }

    /// The fields this kind of layer understands. Anything else in a source file is dropped.
    pub fn canonical_fields(self) -> &'static [FieldSpec] {
        match self {
            LayerKind::Areas => AREA_FIELDS,
            LayerKind::Population => POPULATION_FIELDS,
            LayerKind::Poi => POI_FIELDS,
            LayerKind::Housing => HOUSING_FIELDS,
            LayerKind::Incidents => INCIDENT_FIELDS,
            LayerKind::Need => NEED_FIELDS,
        }
    }
}

const AREA_FIELDS: &[FieldSpec] = &[
    field("code", FieldType::Text, true),
    field("name", FieldType::Text, false),
    field("parent", FieldType::Text, false),
    field("population", FieldType::Integer, false),
];
const POPULATION_FIELDS: &[FieldSpec] = &[field("id", FieldType::Text, false), field("population", FieldType::Number, true)];
const POI_FIELDS: &[FieldSpec] = &[field("id", FieldType::Text, false), field("name", FieldType::Text, false), field("category", FieldType::Text, false)];
const HOUSING_FIELDS: &[FieldSpec] = &[
    field("id", FieldType::Text, true),
    field("units", FieldType::Integer, true),
    field("group", FieldType::Integer, false),
    field("has_staff_base", FieldType::Boolean, false),
    field("opened", FieldType::Date, false),
    field("closed", FieldType::Date, false),
];
const INCIDENT_FIELDS: &[FieldSpec] = &[
    field("id", FieldType::Text, true),
    field("date", FieldType::Date, true),
    field("category", FieldType::Category, true),
    field("weight", FieldType::Number, false),
    field("person_key", FieldType::Pseudonym, false),
];

/// `group` is a category ("1" to "8") so that a survey's housing types map to matrix groups by
/// the layer's `[category_labels]`, as agencies' labels map to incident categories.
const NEED_FIELDS: &[FieldSpec] = &[
    field("bydel", FieldType::Text, true),
    field("year", FieldType::Integer, true),
    field("group", FieldType::Category, true),
    field("units", FieldType::Integer, true),
];

/// How one canonical field is read from a source file.
#[derive(Clone, Debug, Serialize)]
pub struct FieldMapping {
    pub name: &'static str,
    pub column: String,
    pub ty: FieldType,
    pub required: bool,
    /// Used when the column is missing or empty (as text, parsed like a cell).
    pub default: Option<String>,
}

/// Names of the coordinate columns in tabular files (CSV, Parquet).
#[derive(Clone, Debug, Serialize)]
pub struct CoordinateColumns {
    pub lon: String,
    pub lat: String,
    pub x: String,
    pub y: String,
}

/// Anonymisation applied on import.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Anonymise {
    /// Points are snapped to the centre of a square grid cell of this size (incidents).
    pub grid: Option<Metres>,
    /// Fail the import when a column looks like a personal identifier.
    pub reject_identifiers: bool,
}

/// A resolved, checked layer definition.
#[derive(Clone, Debug, Serialize)]
pub struct Layer {
    pub name: String,
    pub title_nb: String,
    pub title_en: String,
    pub description: String,
    pub kind: LayerKind,
    pub geometry: GeometryType,
    pub visibility: Visibility,
    /// Incident source (`fire`, `police`, `waste`, ...); `None` for other kinds.
    pub source: Option<String>,
    #[serde(serialize_with = "serialize_crs")]
    pub default_crs: Option<Crs>,
    pub fields: Vec<FieldMapping>,
    pub coordinates: CoordinateColumns,
    pub categories: Option<Vec<String>>,
    /// How the labels of source files map to `categories`.
    pub category_labels: super::CategoryLabels,
    pub anonymise: Option<Anonymise>,
    /// Dates before this day are refused as typing errors (e.g. 1900 for 2019).
    pub earliest_date: Option<chrono::NaiveDate>,
    /// Areas: leading digits of `code` that form the parent code when no `parent` column is given.
    pub parent_code_digits: Option<usize>,
    /// Areas: a prefix removed from `code` values ("0301" turns "030101" into "01").
    pub code_strip_prefix: Option<String>,
    /// Areas: how many digits a code has (4 for delbydeler, 2 for bydeler); codes are
    /// normalised to it. `None` keeps codes as given.
    pub code_digits: Option<usize>,
    /// Areas: the layer holding the parents (bydeler of delbydeler), checked on import.
    pub parent_layer: Option<String>,
    /// OpenStreetMap tags (`shop=supermarket`, `amenity=*`) that select this layer's features
    /// from an `.osm.pbf` file.
    pub osm_tags: Vec<String>,
    /// Line layers: source columns kept verbatim as the feature's tags (for the street network).
    pub keep_tags: Vec<String>,
    #[serde(skip)]
    pub path: PathBuf,
}

fn serialize_crs<S: serde::Serializer>(crs: &Option<Crs>, s: S) -> Result<S::Ok, S::Error> {
    match crs {
        Some(c) => s.serialize_some(&c.to_string()),
        None => s.serialize_none(),
    }
}

impl Layer {
    /// A public reference layer (areas, population, points of interest marked public): what
    /// public outputs may read. Incidents and housing never are, whatever their visibility says.
    pub fn is_public_reference(&self) -> bool {
        self.visibility == Visibility::Public && !matches!(self.kind, LayerKind::Incidents | LayerKind::Housing)
    }

    pub fn load(path: &Path) -> Result<Layer, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
        let raw: RawLayer = toml::from_str(&text).map_err(|e| ConfigError::Parse { path: path.to_path_buf(), message: e.to_string() })?;
        Layer::resolve(raw, path)
    }

    fn resolve(raw: RawLayer, path: &Path) -> Result<Layer, ConfigError> {
        let invalid = |message: String| ConfigError::Invalid { path: path.to_path_buf(), message };
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
        if raw.name != stem {
            return Err(invalid(format!("name = \"{}\" must match the file name '{stem}.toml'", raw.name)));
        }
        let kind =
            LayerKind::parse(&raw.kind).ok_or_else(|| invalid(format!("kind = \"{}\" is not one of areas, population, poi, housing, incidents", raw.kind)))?;
        let geometry = match raw.geometry.as_str() {
            "point" => GeometryType::Point,
            "polygon" => GeometryType::Polygon,
            "any" => GeometryType::Any,
            "line" => GeometryType::Line,
            "none" => GeometryType::None,
            other => return Err(invalid(format!("geometry = \"{other}\" is not one of point, polygon, any, line, none"))),
        };
        let visibility = match raw.visibility.as_str() {
            "public" => Visibility::Public,
            "internal" => Visibility::Internal,
            other => return Err(invalid(format!("visibility = \"{other}\" is not one of public, internal"))),
        };
        if geometry == GeometryType::Line && kind != LayerKind::Poi {
            return Err(invalid(
                "geometry = \"line\" is for kind = \"poi\" layers (streets); areas, population, housing and incidents are points or polygons".into(),
            ));
        }
        if !raw.keep_tags.is_empty() && kind != LayerKind::Poi {
            return Err(invalid("keep_tags is for kind = \"poi\" layers (streets and addresses keep source columns as tags); remove it".into()));
        }
        if (kind == LayerKind::Need) != (geometry == GeometryType::None) {
            return Err(invalid("need layers, and only they, have geometry = \"none\" (their rows name a bydel)".into()));
        }
        if kind == LayerKind::Need && raw.categories.as_ref().is_none_or(|c| c.is_empty() || c.iter().any(|g| !matches!(g.parse::<u8>(), Ok(1..=8)))) {
            return Err(invalid(
                "need layers list the matrix groups as categories = [\"1\", ..., \"8\"] (housing types map to them in [category_labels])".into(),
            ));
        }
        if kind == LayerKind::Housing && visibility == Visibility::Public {
            return Err(invalid("housing layers hold sensitive sites and must be visibility = \"internal\"".into()));
        }
        let fields = resolve_fields(kind, raw.fields).map_err(invalid)?;
        let default_crs = raw.crs.as_deref().map(Crs::parse).transpose().map_err(|e| invalid(e.to_string()))?;
        if kind == LayerKind::Incidents {
            if raw.source.is_none() {
                return Err(invalid("incident layers need source = \"...\" (e.g. \"police\")".into()));
            }
            if raw.categories.as_ref().is_none_or(Vec::is_empty) {
                return Err(invalid("incident layers need a non-empty categories = [...] list".into()));
            }
            if raw.anonymise.is_none() {
                return Err(invalid("incident layers need an [anonymise] section (grid_m = 100)".into()));
            }
        }
        let anonymise = raw
            .anonymise
            .map(|a| match a.grid_m {
                Some(g) if !(10.0..=1000.0).contains(&g) => Err(invalid(format!("[anonymise] grid_m = {g} must be between 10 and 1000 metres"))),
                None if kind == LayerKind::Incidents => Err(invalid("incident layers need [anonymise] grid_m (100 is the default choice)".into())),
                grid => Ok(Anonymise { grid: grid.map(Metres), reject_identifiers: a.reject_identifiers }),
            })
            .transpose()?;
        let category_labels = super::CategoryLabels::new(raw.categories.clone().unwrap_or_default(), raw.category_labels).map_err(invalid)?;
        let earliest_date = raw
            .earliest_date
            .as_deref()
            .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| invalid(format!("earliest_date = \"{d}\" is not YYYY-MM-DD"))))
            .transpose()?;
        Ok(Layer {
            name: raw.name,
            title_nb: raw.title.nb,
            title_en: raw.title.en,
            description: raw.description,
            kind,
            geometry,
            visibility,
            source: raw.source,
            default_crs,
            fields,
            coordinates: CoordinateColumns { lon: raw.coordinates.lon, lat: raw.coordinates.lat, x: raw.coordinates.x, y: raw.coordinates.y },
            categories: raw.categories,
            category_labels,
            anonymise,
            earliest_date,
            parent_code_digits: raw.parent_code_digits,
            code_strip_prefix: raw.code_strip_prefix,
            code_digits: raw.code_digits,
            parent_layer: raw.parent_layer,
            osm_tags: raw.osm_tags,
            keep_tags: raw.keep_tags,
            path: path.to_path_buf(),
        })
    }

    /// Whether the layer's rows have a place (all but need surveys, which name their bydel):
    /// only these are feature collections, tiles and spatial indexes.
    pub fn has_geometry(&self) -> bool {
        self.geometry != GeometryType::None
    }

    /// The mapping of a canonical field.
    pub fn field(&self, name: &str) -> Option<&FieldMapping> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Applies `--field name=column` overrides from the command line.
    pub fn with_field_overrides(mut self, overrides: &[(String, String)]) -> Result<Layer, ConfigError> {
        for (name, column) in overrides {
            let coordinate = match name.as_str() {
                "x" => Some(&mut self.coordinates.x),
                "y" => Some(&mut self.coordinates.y),
                "lon" => Some(&mut self.coordinates.lon),
                "lat" => Some(&mut self.coordinates.lat),
                _ => None,
            };
            if let Some(target) = coordinate {
                *target = column.clone();
                continue;
            }
            let all: Vec<&str> = self.fields.iter().map(|f| f.name).chain(["x", "y", "lon", "lat"]).collect();
            let hint = suggest(name, all.iter().copied());
            let message = format!("--field {name}=...: layer '{}' has no field '{name}'{hint} (fields: {})", self.name, all.join(", "));
            let Some(mapping) = self.fields.iter_mut().find(|f| f.name == name) else {
                return Err(ConfigError::Invalid { path: self.path.clone(), message });
            };
            mapping.column = column.clone();
        }
        Ok(self)
    }
}

fn resolve_fields(kind: LayerKind, mut raw: std::collections::BTreeMap<String, RawField>) -> Result<Vec<FieldMapping>, String> {
    let specs = kind.canonical_fields();
    if let Some(unknown) = raw.keys().find(|k| !specs.iter().any(|s| s.name == k.as_str())) {
        let names: Vec<_> = specs.iter().map(|s| s.name).collect();
        return Err(format!("[fields.{unknown}] is not a field of {kind:?} layers{} (fields: {})", suggest(unknown, names.iter().copied()), names.join(", ")));
    }
    specs
        .iter()
        .map(|spec| {
            let given = raw.remove(spec.name);
            let (column, required, default) = match given {
                Some(f) => (f.column, f.required, f.default),
                None => (None, None, None),
            };
            let default = default.map(|v| match v {
                toml::Value::String(s) => s,
                other => other.to_string(),
            });
            Ok(FieldMapping {
                name: spec.name,
                column: column.unwrap_or_else(|| spec.name.to_string()),
                ty: spec.ty,
                required: required.unwrap_or(spec.required) && default.is_none(),
                default,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layer_from(text: &str) -> Result<Layer, ConfigError> {
        let raw: RawLayer = toml::from_str(text).map_err(|e| ConfigError::Parse { path: "t.toml".into(), message: e.to_string() })?;
        Layer::resolve(raw, Path::new("layers/t.toml"))
    }

    const BASE: &str = r#"
name = "t"
title = { nb = "T", en = "T" }
kind = "incidents"
geometry = "point"
visibility = "internal"
source = "ambulance"
categories = ["a"]
[anonymise]
grid_m = 100
"#;

    #[test]
    fn a_new_incident_source_is_just_a_file() {
        let layer = layer_from(BASE).unwrap();
        assert_eq!(layer.source.as_deref(), Some("ambulance"));
        assert_eq!(layer.field("date").unwrap().column, "date");
        assert_eq!(layer.anonymise.unwrap().grid, Some(Metres(100.0)));
    }

    #[test]
    fn a_misspelt_field_is_rejected_with_the_nearest_name() {
        let err = layer_from(&format!("{BASE}\n[fields]\ncatgory = {{ column = \"type\" }}\n")).unwrap_err().to_string();
        assert!(err.contains("[fields.catgory]") && err.contains("did you mean 'category'"), "{err}");
    }

    #[test]
    fn an_unknown_key_is_rejected_with_its_line() {
        let err = layer_from(&format!("{BASE}\nvisiblity = \"public\"\n")).unwrap_err().to_string();
        assert!(err.contains("unknown field `visiblity`"), "{err}");
    }

    #[test]
    fn public_housing_layers_are_refused() {
        let text = BASE.replace("kind = \"incidents\"", "kind = \"housing\"").replace("\"internal\"", "\"public\"");
        let err = layer_from(&text).unwrap_err().to_string();
        assert!(err.contains("must be visibility = \"internal\""), "{err}");
    }

    #[test]
    fn a_field_default_makes_it_optional() {
        let layer = layer_from(&format!("{BASE}\n[fields]\nweight = {{ default = 1.0 }}\n")).unwrap();
        let weight = layer.field("weight").unwrap();
        assert_eq!(weight.default.as_deref(), Some("1.0"));
        assert!(!weight.required);
    }
}
