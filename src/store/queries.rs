//! One function per query the rest of bomiljo runs. Nothing outside `store` writes SQL.

use std::collections::BTreeMap;

use duckdb::{Connection, params};
use geo::{MultiLineString, MultiPolygon};
use serde::Serialize;

use super::StoreError;
use crate::spatial::BoxQuery;

/// An area as stored: code, names and its polygon in EPSG:25832.
#[derive(Clone, Debug)]
pub struct AreaRow {
    pub code: String,
    pub name: Option<String>,
    pub parent_code: Option<String>,
    pub population: Option<i64>,
    pub area_m2: f64,
    pub polygon: MultiPolygon<f64>,
}

/// Every area of one areas layer, ordered by code.
pub fn areas(conn: &Connection, layer: &str) -> Result<Vec<AreaRow>, StoreError> {
    let what = || format!("reading areas of layer '{layer}'");
    let mut stmt = conn
        .prepare("SELECT id, name, parent_code, population, area_m2, geometry FROM areas WHERE layer = ? ORDER BY id")
        .map_err(StoreError::query(what()))?;
    let rows = stmt
        .query_map(params![layer], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, String>(5)?)))
        .map_err(StoreError::query(what()))?;
    rows.map(|row| {
        let (code, name, parent_code, population, area_m2, geometry) = row.map_err(StoreError::query(what()))?;
        let polygon = parse_multipolygon(&geometry).map_err(|reason| StoreError::Invalid { what: format!("{}: geometry of area {code}", what()), reason })?;
        Ok(AreaRow { code, name, parent_code, population, area_m2, polygon })
    })
    .collect()
}

fn parse_multipolygon(text: &str) -> Result<MultiPolygon<f64>, String> {
    match parse_shape(text)? {
        Shape::Polygon(polygon) => Ok(polygon),
        Shape::Lines(_) => Err("expected a polygon, found lines".into()),
    }
}

/// A stored geometry (GeoJSON text) that is not a point.
pub(super) enum Shape {
    Polygon(MultiPolygon<f64>),
    Lines(MultiLineString<f64>),
}

pub(super) fn parse_shape(text: &str) -> Result<Shape, String> {
    let geometry: geojson::Geometry = text.parse().map_err(|e: geojson::Error| e.to_string())?;
    match geo::Geometry::<f64>::try_from(geometry).map_err(|e| e.to_string())? {
        geo::Geometry::Polygon(p) => Ok(Shape::Polygon(MultiPolygon(vec![p]))),
        geo::Geometry::MultiPolygon(mp) => Ok(Shape::Polygon(mp)),
        geo::Geometry::LineString(l) => Ok(Shape::Lines(MultiLineString(vec![l]))),
        geo::Geometry::MultiLineString(ml) => Ok(Shape::Lines(ml)),
        other => Err(format!("expected a polygon or lines, found {other:?}")),
    }
}

/// A street of a line layer: its name, its class (OpenStreetMap `highway`, in `category`), the
/// tags the layer keeps (`oneway`, `maxspeed`, ...) and its lines in EPSG:25832.
#[derive(Clone, Debug)]
pub struct StreetRow {
    pub name: Option<String>,
    pub class: Option<String>,
    pub tags: std::collections::BTreeMap<String, String>,
    pub lines: MultiLineString<f64>,
}

/// Every street of a line layer.
pub fn streets(conn: &Connection, layer: &str) -> Result<Vec<StreetRow>, StoreError> {
    let what = || format!("reading the streets of layer '{layer}'");
    let mut stmt = conn
        .prepare("SELECT name, category, tags, geometry FROM features WHERE layer = ? AND geometry IS NOT NULL ORDER BY id")
        .map_err(StoreError::query(what()))?;
    let rows = stmt
        .query_map(params![layer], |r| {
            Ok((r.get::<_, Option<String>>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, Option<String>>(2)?, r.get::<_, String>(3)?))
        })
        .map_err(StoreError::query(what()))?;
    let mut out = Vec::new();
    for row in rows {
        let (name, class, tags, geometry) = row.map_err(StoreError::query(what()))?;
        let tags = kept_tags(tags, &what)?;
        if let Shape::Lines(lines) = parse_shape(&geometry).map_err(|reason| StoreError::Invalid { what: what(), reason })? {
            out.push(StreetRow { name, class, tags, lines });
        }
    }
    Ok(out)
}

/// A point feature: id, position in EPSG:25832 and a weight (1 unless the layer says otherwise).
#[derive(Clone, Debug)]
pub struct PointRow {
    pub id: String,
    pub x: f64,
    pub y: f64,
    pub weight: f64,
}

/// Every point of a layer, from whichever table its kind is stored in.
pub fn points(conn: &Connection, table: &str, layer: &str) -> Result<Vec<PointRow>, StoreError> {
    let weight = match table {
        "incidents" => "weight",
        "housing" => "units",
        "features" => "coalesce(value, 1)",
        _ => "1",
    };
    let sql = format!("SELECT id, x, y, CAST({weight} AS DOUBLE) FROM {table} WHERE layer = ?");
    let what = || format!("reading points of layer '{layer}' from {table}");
    let mut stmt = conn.prepare(&sql).map_err(StoreError::query(what()))?;
    let rows =
        stmt.query_map(params![layer], |r| Ok(PointRow { id: r.get(0)?, x: r.get(1)?, y: r.get(2)?, weight: r.get(3)? })).map_err(StoreError::query(what()))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what()))
}

/// Incident counts in one area per source and year: `{source: {year: n}}`.
pub type CountsBySourceYear = BTreeMap<String, BTreeMap<String, i64>>;

/// Incident counts per source and year for one delbydel (or, with `column = "bydel"`, one bydel).
pub fn incident_counts(conn: &Connection, column: AreaColumn, code: &str) -> Result<CountsBySourceYear, StoreError> {
    counts_by_source_year(conn, &format!("counting incidents in area {code}"), &format!("{} = ?", column.as_sql()), params![code])
}

/// Incidents of one layer per delbydel (those outside every delbydel left out).
pub fn incident_counts_by_delbydel(conn: &Connection, layer: &str) -> Result<BTreeMap<String, u64>, StoreError> {
    let what = || format!("counting incidents of {layer} per delbydel");
    let mut stmt = conn
        .prepare("SELECT delbydel, count(*) FROM incidents WHERE layer = ? AND delbydel IS NOT NULL GROUP BY delbydel")
        .map_err(StoreError::query(what()))?;
    let rows = stmt.query_map(params![layer], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))).map_err(StoreError::query(what()))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what()))
}

/// Incidents per source and year within `radius_m` of a point.
pub fn incident_counts_within(conn: &Connection, (x, y): (f64, f64), radius_m: f64, (from, to): (i32, i32)) -> Result<CountsBySourceYear, StoreError> {
    counts_by_source_year(
        conn,
        "counting incidents within a radius",
        "(x - ?) * (x - ?) + (y - ?) * (y - ?) <= ? * ? AND year BETWEEN ? AND ?",
        params![x, x, y, y, radius_m, radius_m, from, to],
    )
}

fn counts_by_source_year(conn: &Connection, what: &str, condition: &str, params: impl duckdb::Params) -> Result<CountsBySourceYear, StoreError> {
    let sql = format!("SELECT source, year, count(*) FROM incidents WHERE {condition} GROUP BY source, year ORDER BY source, year");
    let mut stmt = conn.prepare(&sql).map_err(StoreError::query(what))?;
    let rows = stmt.query_map(params, |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))).map_err(StoreError::query(what))?;
    let mut counts = CountsBySourceYear::new();
    for row in rows {
        let (source, year, n) = row.map_err(StoreError::query(what))?;
        counts.entry(source).or_default().insert(year.to_string(), n);
    }
    Ok(counts)
}

/// Which assignment column of a point table to filter on.
#[derive(Clone, Copy, Debug)]
pub enum AreaColumn {
    Delbydel,
    Bydel,
}

impl AreaColumn {
    fn as_sql(self) -> &'static str {
        match self {
            AreaColumn::Delbydel => "delbydel",
            AreaColumn::Bydel => "bydel",
        }
    }
}

/// Number of stored features per layer.
pub fn layer_counts(conn: &Connection) -> Result<BTreeMap<String, i64>, StoreError> {
    let sql = "SELECT layer, count(*) FROM (
                 SELECT layer FROM areas UNION ALL SELECT layer FROM features
                 UNION ALL SELECT layer FROM housing UNION ALL SELECT layer FROM incidents UNION ALL SELECT layer FROM need)
               GROUP BY layer";
    let mut stmt = conn.prepare(sql).map_err(StoreError::query("counting features per layer"))?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?))).map_err(StoreError::query("counting features per layer"))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query("counting features per layer"))
}

/// What a layer's stored features cover: their envelope in EPSG:25832 and, for dated layers
/// (incidents, housing by opening date), the first and last date.
#[derive(Clone, Debug, PartialEq)]
pub struct LayerExtent {
    pub envelope: [f64; 4],
    pub dates: Option<(String, String)>,
}

/// Every layer's [`LayerExtent`], by layer name (layers with no rows are absent).
pub fn layer_extents(conn: &Connection) -> Result<BTreeMap<String, LayerExtent>, StoreError> {
    let what = "reading the layers' extents";
    let sql = "SELECT layer, min(coalesce(xmin, x)), min(coalesce(ymin, y)), max(coalesce(xmax, x)), max(coalesce(ymax, y)), NULL, NULL
                 FROM (SELECT layer, x, y, xmin, ymin, xmax, ymax FROM areas UNION ALL SELECT layer, x, y, xmin, ymin, xmax, ymax FROM features) GROUP BY layer
               UNION ALL SELECT layer, min(x), min(y), max(x), max(y), CAST(min(opened) AS VARCHAR), CAST(max(opened) AS VARCHAR) FROM housing GROUP BY layer
               UNION ALL SELECT layer, min(x), min(y), max(x), max(y), CAST(min(date) AS VARCHAR), CAST(max(date) AS VARCHAR) FROM incidents GROUP BY layer";
    let mut stmt = conn.prepare(sql).map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map([], |r| {
            let dates = match (r.get::<_, Option<String>>(5)?, r.get::<_, Option<String>>(6)?) {
                (Some(first), Some(last)) => Some((first, last)),
                _ => None,
            };
            Ok((r.get::<_, String>(0)?, LayerExtent { envelope: [r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?], dates }))
        })
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// Stored points outside every area, per layer of points that are assigned one (incident
/// layers and housing): (layer, outside, total), layers in name order.
pub fn unassigned_points(conn: &Connection) -> Result<Vec<(String, u64, u64)>, StoreError> {
    let what = "counting stored points outside every area";
    let sql = "SELECT layer, count(*) FILTER (WHERE delbydel IS NULL), count(*) FROM (
                 SELECT layer, delbydel FROM incidents UNION ALL SELECT layer, delbydel FROM housing)
               GROUP BY layer ORDER BY layer";
    let mut stmt = conn.prepare(sql).map_err(StoreError::query(what))?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, u64>(1)?, r.get::<_, u64>(2)?))).map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// Residents per delbydel of the population features given as points (only population
/// features carry a `value`); polygons (grid cells) are weighted by area in `measurement`.
pub fn population_by_area(conn: &Connection) -> Result<BTreeMap<String, f64>, StoreError> {
    let what = "summing population per delbydel";
    let mut stmt = conn
        .prepare(
            "SELECT delbydel, sum(value) FROM features
             WHERE delbydel IS NOT NULL AND value IS NOT NULL AND geometry IS NULL GROUP BY delbydel",
        )
        .map_err(StoreError::query(what))?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?))).map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// Which incidents to read: sources, one category, a span of years. Empty `sources` means all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct IncidentFilter {
    pub sources: Vec<String>,
    pub category: Option<String>,
    pub years: Option<(i32, i32)>,
}

impl IncidentFilter {
    /// SQL conditions and their parameters (values are always bound, never spliced).
    fn sql(&self) -> (String, Vec<duckdb::types::Value>) {
        use duckdb::types::Value;
        let mut clauses = vec!["TRUE".to_string()];
        let mut params = Vec::new();
        if !self.sources.is_empty() {
            clauses.push(format!("source IN ({})", vec!["?"; self.sources.len()].join(", ")));
            params.extend(self.sources.iter().map(|s| Value::Text(s.clone())));
        }
        if let Some(c) = &self.category {
            clauses.push("category = ?".into());
            params.push(Value::Text(c.clone()));
        }
        if let Some((from, to)) = self.years {
            clauses.push("year BETWEEN ? AND ?".into());
            params.extend([Value::Int(from), Value::Int(to)]);
        }
        (clauses.join(" AND "), params)
    }
}

/// Positions and weights of the incidents matching a filter (EPSG:25832).
pub fn incident_points(conn: &Connection, filter: &IncidentFilter) -> Result<Vec<(f64, f64, f64)>, StoreError> {
    let (condition, params) = filter.sql();
    let sql = format!("SELECT x, y, sum(weight), count(*) FROM incidents WHERE {condition} GROUP BY x, y");
    let what = "reading incident positions";
    let mut stmt = conn.prepare(&sql).map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map(duckdb::params_from_iter(params), |r| Ok((r.get::<_, f64>(0)?, r.get::<_, f64>(1)?, r.get::<_, f64>(2)?, r.get::<_, i64>(3)?)))
        .map_err(StoreError::query(what))?;
    let mut out = Vec::new();
    for row in rows {
        let (x, y, weight, count) = row.map_err(StoreError::query(what))?;
        // One entry per incident keeps the support counts exact; weights are spread evenly.
        out.extend(std::iter::repeat_n((x, y, weight / count as f64), count as usize));
    }
    Ok(out)
}

/// One tally: (delbydel, source, year, category, count).
pub type TallyRow = (String, String, i32, String, u64);

/// Incident counts per (delbydel, source, year, category) for a span of years.
pub fn incident_tallies(conn: &Connection, from: i32, to: i32) -> Result<Vec<TallyRow>, StoreError> {
    let what = "tallying incidents per delbydel";
    let mut stmt = conn
        .prepare(
            "SELECT delbydel, source, year, category, count(*) FROM incidents
             WHERE delbydel IS NOT NULL AND year BETWEEN ? AND ? GROUP BY ALL",
        )
        .map_err(StoreError::query(what))?;
    let rows =
        stmt.query_map(params![from, to], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get::<_, i64>(4)? as u64))).map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// Counts per period (year, or year and month) for one area (or the whole city with `None`).
pub fn incident_series(conn: &Connection, code: Option<&str>, filter: &IncidentFilter, monthly: bool) -> Result<Vec<(i32, u32, u64)>, StoreError> {
    let (condition, mut params) = filter.sql();
    let area = match code {
        Some(code) => {
            params.push(duckdb::types::Value::Text(code.to_string()));
            "AND (delbydel = ? OR bydel = ?)"
        }
        // The city is its delbydeler, as in the public release (the series says so).
        None => "AND delbydel IS NOT NULL",
    };
    if let Some(code) = code {
        params.push(duckdb::types::Value::Text(code.to_string()));
    }
    let month = if monthly { "month" } else { "0" };
    let sql = format!("SELECT year, {month} AS m, count(*) FROM incidents WHERE {condition} {area} GROUP BY year, m ORDER BY year, m");
    let what = "reading an incident series";
    let mut stmt = conn.prepare(&sql).map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map(duckdb::params_from_iter(params), |r| Ok((r.get::<_, i32>(0)?, r.get::<_, i32>(1)? as u32, r.get::<_, i64>(2)? as u64)))
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// The span of incident years in the store.
pub fn incident_years(conn: &Connection) -> Result<Option<(i32, i32)>, StoreError> {
    conn.query_row("SELECT min(year), max(year) FROM incidents", [], |r| Ok(r.get::<_, Option<i32>>(0)?.zip(r.get::<_, Option<i32>>(1)?)))
        .map_err(StoreError::query("reading incident years"))
}

/// One row of a housing-need survey: homes needed in a bydel and matrix group, as reported.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NeedRow {
    pub year: i32,
    pub bydel: String,
    pub group: u8,
    pub housing_type: String,
    pub units: i64,
}

/// Every row of the need layers `layers` (names from the configuration, `[a-z0-9_]`), ordered
/// by year, bydel, group and housing type; rows of layers no longer configured are left out.
pub fn need_survey(conn: &Connection, layers: &[&str]) -> Result<Vec<NeedRow>, StoreError> {
    let what = "reading the housing-need surveys";
    if layers.is_empty() {
        return Ok(Vec::new());
    }
    let names = layers.iter().map(|l| format!("'{}'", l.replace('\'', "''"))).collect::<Vec<_>>().join(", ");
    let mut stmt = conn
        .prepare(&format!(
            "SELECT year, bydel, matrix_group, housing_type, units FROM need WHERE layer IN ({names}) ORDER BY year, bydel, matrix_group, housing_type"
        ))
        .map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map([], |r| Ok(NeedRow { year: r.get(0)?, bydel: r.get(1)?, group: r.get(2)?, housing_type: r.get(3)?, units: r.get(4)? }))
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// A housing site as stored (internal: exact position).
#[derive(Clone, Debug, Serialize)]
pub struct HousingSite {
    pub id: String,
    pub x: f64,
    pub y: f64,
    pub units: i64,
    pub group: Option<i64>,
    pub has_staff_base: bool,
    pub opened: Option<String>,
    pub closed: Option<String>,
    pub delbydel: Option<String>,
}

pub fn housing_sites(conn: &Connection) -> Result<Vec<HousingSite>, StoreError> {
    let what = "reading housing sites";
    let mut stmt = conn
        .prepare(
            "SELECT id, x, y, units, matrix_group, has_staff_base, CAST(opened AS VARCHAR), CAST(closed AS VARCHAR), delbydel
             FROM housing ORDER BY id",
        )
        .map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(HousingSite {
                id: r.get(0)?,
                x: r.get(1)?,
                y: r.get(2)?,
                units: r.get(3)?,
                group: r.get(4)?,
                has_staff_base: r.get(5)?,
                opened: r.get(6)?,
                closed: r.get(7)?,
                delbydel: r.get(8)?,
            })
        })
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// Incidents per year of one delbydel: within `radius_m` of any of the centres, and in the rest
/// of the delbydel (one source, or all).
pub fn counts_near_sites_and_rest(
    conn: &Connection,
    centres: &[(f64, f64)],
    radius_m: f64,
    delbydel: &str,
    source: Option<&str>,
    (from, to): (i32, i32),
) -> Result<Vec<(i32, u64, u64)>, StoreError> {
    use duckdb::types::Value;
    let what = "counting incidents around housing sites";
    let near = vec!["(x - ?) * (x - ?) + (y - ?) * (y - ?) <= ?"; centres.len().max(1)].join(" OR ");
    let near_params: Vec<Value> = centres
        .iter()
        .flat_map(|&(x, y)| [Value::Double(x), Value::Double(x), Value::Double(y), Value::Double(y), Value::Double(radius_m * radius_m)])
        .collect();
    let source_clause = if source.is_some() { "AND source = ?" } else { "" };
    let sql = format!(
        "SELECT year, count(*) FILTER (WHERE {near}), count(*) FILTER (WHERE NOT ({near}))
         FROM incidents WHERE delbydel = ? AND year BETWEEN ? AND ? {source_clause} GROUP BY year ORDER BY year"
    );
    let mut params = near_params.clone();
    params.extend(near_params);
    params.extend([Value::Text(delbydel.to_string()), Value::Int(from), Value::Int(to)]);
    params.extend(source.map(|s| Value::Text(s.to_string())));
    let mut stmt = conn.prepare(&sql).map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map(duckdb::params_from_iter(params), |r| Ok((r.get::<_, i32>(0)?, r.get::<_, i64>(1)? as u64, r.get::<_, i64>(2)? as u64)))
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// The polygons of a polygon layer stored in `features` (commercial land, Marka), as areas.
pub fn feature_polygons(conn: &Connection, layer: &str) -> Result<Vec<AreaRow>, StoreError> {
    let what = || format!("reading polygons of layer '{layer}'");
    let mut stmt = conn
        .prepare("SELECT id, name, geometry, CAST(round(value) AS BIGINT) FROM features WHERE layer = ? AND geometry IS NOT NULL ORDER BY id")
        .map_err(StoreError::query(what()))?;
    let rows = stmt
        .query_map(params![layer], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?, r.get::<_, String>(2)?, r.get::<_, Option<i64>>(3)?)))
        .map_err(StoreError::query(what()))?;
    rows.map(|row| {
        let (code, name, geometry, population) = row.map_err(StoreError::query(what()))?;
        let polygon = parse_multipolygon(&geometry).map_err(|reason| StoreError::Invalid { what: format!("{}: {code}", what()), reason })?;
        Ok(AreaRow { code, name, parent_code: None, population, area_m2: 0.0, polygon })
    })
    .collect()
}

/// A stored feature for GIS clients: geometry in EPSG:25832 (a point, or a polygon or lines as
/// GeoJSON text) and its properties.
#[derive(Clone, Debug)]
pub struct StoredFeature {
    pub id: String,
    pub x: f64,
    pub y: f64,
    pub polygon: Option<MultiPolygon<f64>>,
    pub lines: Option<MultiLineString<f64>>,
    pub properties: serde_json::Map<String, serde_json::Value>,
}

/// A page of a layer's features whose geometry intersects a box, with an optional date span
/// (incident date, housing opening date).
pub struct FeatureQuery<'a> {
    pub table: &'a str,
    pub layer: &'a str,
    pub id: Option<String>,
    pub bbox: Option<BoxQuery>,
    pub dates: Option<(String, String)>,
    /// Properties that must equal a value (compared as text).
    pub equals: Vec<(String, String)>,
    /// A property to order by, and whether descending (then by id).
    pub sort: Option<(String, bool)>,
    pub limit: usize,
    pub offset: usize,
}

/// Which features of a layer a caller asks for: a box, dates and a page.
#[derive(Clone, Debug, Default)]
pub struct FeaturePage {
    /// One feature by id (OGC API `items/{id}`).
    pub id: Option<String>,
    /// Features whose geometry intersects this box.
    pub bbox: Option<BoxQuery>,
    pub dates: Option<(String, String)>,
    /// Properties that must equal a value (OGC API property filters on queryables).
    pub equals: Vec<(String, String)>,
    /// A property to order by, and whether descending (`sortby`).
    pub sort: Option<(String, bool)>,
    pub limit: usize,
    pub offset: usize,
}

impl FeaturePage {
    pub fn query<'a>(&self, table: &'a str, layer: &'a str) -> FeatureQuery<'a> {
        FeatureQuery {
            table,
            layer,
            id: self.id.clone(),
            bbox: self.bbox.clone(),
            dates: self.dates.clone(),
            equals: self.equals.clone(),
            sort: self.sort.clone(),
            limit: self.limit,
            offset: self.offset,
        }
    }
}

/// The JSON type of a feature property.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PropertyType {
    Text,
    Integer,
    Number,
    Boolean,
    /// `YYYY-MM-DD`, a JSON string.
    Date,
}

impl PropertyType {
    /// The JSON Schema type and format (OGC API - Features Part 3 queryables).
    pub fn json_schema(self) -> serde_json::Value {
        match self {
            PropertyType::Text => serde_json::json!({ "type": "string" }),
            PropertyType::Integer => serde_json::json!({ "type": "integer" }),
            PropertyType::Number => serde_json::json!({ "type": "number" }),
            PropertyType::Boolean => serde_json::json!({ "type": "boolean" }),
            PropertyType::Date => serde_json::json!({ "type": "string", "format": "date" }),
        }
    }

    /// A stored value (read as text) as JSON of this type.
    fn json(self, text: String) -> serde_json::Value {
        let parsed = match self {
            PropertyType::Integer => text.parse::<i64>().ok().map(serde_json::Value::from),
            PropertyType::Number => text.parse::<f64>().ok().map(serde_json::Value::from),
            PropertyType::Boolean => text.parse::<bool>().ok().map(serde_json::Value::from),
            PropertyType::Text | PropertyType::Date => None,
        };
        parsed.unwrap_or(serde_json::Value::String(text))
    }
}

/// The properties a feature table's rows carry, in order, with their types; `None` for a
/// table that holds no features.
pub fn feature_properties(table: &str) -> Option<&'static [(&'static str, PropertyType)]> {
    use PropertyType::*;
    Some(match table {
        "areas" => &[("name", Text), ("parent_code", Text), ("population", Integer), ("area_m2", Number)],
        "features" => &[("name", Text), ("category", Text), ("value", Number), ("delbydel", Text), ("bydel", Text)],
        "housing" => &[
            ("units", Integer),
            ("matrix_group", Integer),
            ("has_staff_base", Boolean),
            ("opened", Date),
            ("closed", Date),
            ("delbydel", Text),
            ("bydel", Text),
        ],
        "incidents" => &[("source", Text), ("date", Date), ("category", Text), ("weight", Number), ("delbydel", Text), ("bydel", Text)],
        _ => return None,
    })
}

/// The features matching a query, and how many match in all.
pub fn layer_features(conn: &Connection, q: &FeatureQuery) -> Result<(Vec<StoredFeature>, u64), StoreError> {
    use duckdb::types::Value;
    let invalid = |reason: String| StoreError::Invalid { what: format!("listing features of layer '{}'", q.layer), reason };
    let columns = feature_properties(q.table).ok_or_else(|| invalid(format!("unknown table {}", q.table)))?;
    let date_column = match q.table {
        "housing" => Some("opened"),
        "incidents" => Some("date"),
        _ => None,
    };
    // Property names reach the SQL text only when they are one of the table's properties.
    let known = |name: &str| columns.iter().any(|(c, _)| *c == name);
    if let Some(unknown) = q.equals.iter().map(|(name, _)| name).chain(q.sort.as_ref().map(|(name, _)| name)).find(|name| !known(name)) {
        return Err(invalid(format!("'{unknown}' is not a property of this layer")));
    }
    let geometry = if matches!(q.table, "areas" | "features") { "geometry" } else { "NULL" };
    let mut clauses = vec!["layer = ?".to_string()];
    let mut params = vec![Value::Text(q.layer.to_string())];
    if let Some(id) = &q.id {
        clauses.push("id = ?".into());
        params.push(Value::Text(id.clone()));
    }
    // The box's envelope narrows the candidates in SQL (polygons and lines by their envelope,
    // points by themselves); the exact test in the box's CRS follows below.
    if let Some([x0, y0, x1, y1]) = q.bbox.as_ref().map(BoxQuery::envelope) {
        let point_in = "x BETWEEN ? AND ? AND y BETWEEN ? AND ?";
        let mut values = vec![x0, x1, y0, y1];
        if geometry == "NULL" {
            clauses.push(point_in.into());
        } else {
            clauses.push(format!("((xmin IS NULL AND {point_in}) OR (xmin <= ? AND xmax >= ? AND ymin <= ? AND ymax >= ?))"));
            values.extend([x1, x0, y1, y0]);
        }
        params.extend(values.into_iter().map(Value::Double));
    }
    if let (Some(column), Some((from, to))) = (date_column, &q.dates) {
        clauses.push(format!("{column} BETWEEN CAST(? AS DATE) AND CAST(? AS DATE)"));
        params.extend([Value::Text(from.clone()), Value::Text(to.clone())]);
    }
    for (name, value) in &q.equals {
        clauses.push(format!("CAST({name} AS VARCHAR) = ?"));
        params.push(Value::Text(value.clone()));
    }
    let order = match &q.sort {
        Some((name, descending)) => format!("{name} {} NULLS LAST, id", if *descending { "DESC" } else { "ASC" }),
        None => "id".to_string(),
    };
    let condition = clauses.join(" AND ");
    let what = || format!("listing features of layer '{}'", q.layer);
    let select: Vec<String> = columns.iter().map(|(c, _)| format!("CAST({c} AS VARCHAR)")).collect();
    // Line layers keep source tags (OpenStreetMap's oneway, maxspeed, ...): they are properties too.
    let tags = if q.table == "features" { "tags" } else { "NULL" };
    let mut sql = format!("SELECT id, x, y, {geometry}, {tags}, {} FROM {} WHERE {condition} ORDER BY {order}", select.join(", "), q.table);
    // Without a box SQL counts and pages; with one, every candidate is read and tested first.
    let counted_in_sql = match q.bbox {
        Some(_) => None,
        None => {
            let matched: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {} WHERE {condition}", q.table), duckdb::params_from_iter(params.clone()), |r| r.get(0))
                .map_err(StoreError::query(what()))?;
            // Page values are bound like every other value; beyond i64 a page is simply empty.
            let page = |n: usize| Value::BigInt(i64::try_from(n).unwrap_or(i64::MAX));
            params.extend([page(q.limit), page(q.offset)]);
            sql.push_str(" LIMIT ? OFFSET ?");
            Some(matched as u64)
        }
    };
    let mut stmt = conn.prepare(&sql).map_err(StoreError::query(what()))?;
    let rows = stmt
        .query_map(duckdb::params_from_iter(params), |r| {
            let mut properties = serde_json::Map::new();
            for (i, (name, kind)) in columns.iter().enumerate() {
                let value: Option<String> = r.get(5 + i)?;
                properties.insert(name.to_string(), value.map_or(serde_json::Value::Null, |text| kind.json(text)));
            }
            let tags: Option<String> = r.get(4)?;
            if let Some(serde_json::Value::Object(tags)) = tags.and_then(|t| serde_json::from_str(&t).ok()) {
                for (key, value) in tags {
                    properties.entry(key).or_insert(value);
                }
            }
            Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?, r.get::<_, f64>(2)?, r.get::<_, Option<String>>(3)?, properties))
        })
        .map_err(StoreError::query(what()))?;
    let mut out = Vec::new();
    for row in rows {
        let (id, x, y, geometry, properties) = row.map_err(StoreError::query(what()))?;
        let (polygon, lines) = match geometry.map(|text| parse_shape(&text)).transpose().map_err(|reason| StoreError::Invalid { what: what(), reason })? {
            Some(Shape::Polygon(polygon)) => (Some(polygon), None),
            Some(Shape::Lines(lines)) => (None, Some(lines)),
            None => (None, None),
        };
        out.push(StoredFeature { id, x, y, polygon, lines, properties });
    }
    match &q.bbox {
        Some(bbox) => {
            out.retain(|f| match (&f.polygon, &f.lines) {
                (Some(polygon), _) => bbox.intersects(polygon),
                (None, Some(lines)) => bbox.intersects(lines),
                (None, None) => bbox.intersects(&geo::Point::new(f.x, f.y)),
            });
            let matched = out.len() as u64;
            Ok((out.into_iter().skip(q.offset).take(q.limit).collect(), matched))
        }
        None => Ok((out, counted_in_sql.unwrap_or_default())),
    }
}

impl StoredFeature {
    /// The feature's geometry in EPSG:25832: its polygons, its lines or its point.
    pub fn geometry(&self) -> geo::Geometry<f64> {
        match (&self.polygon, &self.lines) {
            (Some(p), _) => geo::Geometry::MultiPolygon(p.clone()),
            (None, Some(l)) => geo::Geometry::MultiLineString(l.clone()),
            (None, None) => geo::Geometry::Point(geo::Point::new(self.x, self.y)),
        }
    }
}

/// Incident counts per square cell of `cell_m` metres inside a box, for vector tiles:
/// (cell min x, cell min y, count).
pub fn incident_grid(conn: &Connection, filter: &IncidentFilter, cell_m: f64, [x0, y0, x1, y1]: [f64; 4]) -> Result<Vec<(f64, f64, u64)>, StoreError> {
    let (condition, filter_params) = filter.sql();
    // Every value is bound: the cell size comes from a request and never reaches the SQL text.
    let mut params: Vec<duckdb::types::Value> = vec![duckdb::types::Value::Double(cell_m)];
    params.extend(filter_params);
    params.extend([x0, x1, y0, y1].map(duckdb::types::Value::Double));
    let sql = format!(
        "SELECT floor(x / p.c) * p.c AS cx, floor(y / p.c) * p.c AS cy, count(*) FROM (SELECT CAST(? AS DOUBLE) AS c) p, incidents
         WHERE {condition} AND x BETWEEN ? AND ? AND y BETWEEN ? AND ? GROUP BY cx, cy"
    );
    let what = "counting incidents per tile cell";
    let mut stmt = conn.prepare(&sql).map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map(duckdb::params_from_iter(params), |r| Ok((r.get::<_, f64>(0)?, r.get::<_, f64>(1)?, r.get::<_, i64>(2)? as u64)))
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// A feature's kept source columns (`keep_tags`, stored as a JSON object), empty when it kept none.
fn kept_tags(json: Option<String>, what: &impl Fn() -> String) -> Result<BTreeMap<String, String>, StoreError> {
    json.map_or(Ok(BTreeMap::new()), |json| serde_json::from_str(&json).map_err(|e| StoreError::Invalid { what: what(), reason: format!("tags {json}: {e}") }))
}

/// A point feature with its name and kept source columns (`keep_tags`).
#[derive(Clone, Debug)]
pub struct TaggedPoint {
    pub name: Option<String>,
    pub x: f64,
    pub y: f64,
    pub tags: BTreeMap<String, String>,
}

/// Every point of a layer with its name and tags.
pub fn tagged_points(conn: &Connection, layer: &str) -> Result<Vec<TaggedPoint>, StoreError> {
    let what = || format!("reading the points of layer '{layer}'");
    let mut stmt = conn.prepare("SELECT name, x, y, tags FROM features WHERE layer = ? AND geometry IS NULL ORDER BY id").map_err(StoreError::query(what()))?;
    let rows = stmt
        .query_map(params![layer], |r| Ok((r.get::<_, Option<String>>(0)?, r.get::<_, f64>(1)?, r.get::<_, f64>(2)?, r.get::<_, Option<String>>(3)?)))
        .map_err(StoreError::query(what()))?;
    let mut out = Vec::new();
    for row in rows {
        let (name, x, y, tags) = row.map_err(StoreError::query(what()))?;
        out.push(TaggedPoint { name, x, y, tags: kept_tags(tags, &what)? });
    }
    Ok(out)
}
