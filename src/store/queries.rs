//! One function per query the rest of bomiljo runs. Nothing outside `store` writes SQL.

use std::collections::BTreeMap;

use duckdb::{params, Connection};
use geo::MultiPolygon;
use serde::Serialize;

use super::StoreError;

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
        .query_map(params![layer], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get::<_, String>(5)?))
        })
        .map_err(StoreError::query(what()))?;
    rows.map(|row| {
        let (code, name, parent_code, population, area_m2, geometry) = row.map_err(StoreError::query(what()))?;
        let polygon = parse_multipolygon(&geometry).map_err(|e| StoreError::Query {
            what: format!("{}: geometry of area {code}", what()),
            source: duckdb::Error::InvalidParameterName(e),
        })?;
        Ok(AreaRow { code, name, parent_code, population, area_m2, polygon })
    })
    .collect()
}

fn parse_multipolygon(text: &str) -> Result<MultiPolygon<f64>, String> {
    let geometry: geojson::Geometry = text.parse().map_err(|e: geojson::Error| e.to_string())?;
    match geo::Geometry::<f64>::try_from(geometry).map_err(|e| e.to_string())? {
        geo::Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        geo::Geometry::MultiPolygon(mp) => Ok(mp),
        other => Err(format!("expected a polygon, found {other:?}")),
    }
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
    let rows = stmt
        .query_map(params![layer], |r| Ok(PointRow { id: r.get(0)?, x: r.get(1)?, y: r.get(2)?, weight: r.get(3)? }))
        .map_err(StoreError::query(what()))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what()))
}

/// Incident counts in one area per source and year: `{source: {year: n}}`.
pub type CountsBySourceYear = BTreeMap<String, BTreeMap<String, i64>>;

/// Incident counts per source and year for one delbydel (or, with `column = "bydel"`, one bydel).
pub fn incident_counts(conn: &Connection, column: AreaColumn, code: &str) -> Result<CountsBySourceYear, StoreError> {
    let sql = format!(
        "SELECT source, year, count(*) FROM incidents WHERE {} = ? GROUP BY source, year ORDER BY source, year",
        column.as_sql()
    );
    let what = || format!("counting incidents in area {code}");
    let mut stmt = conn.prepare(&sql).map_err(StoreError::query(what()))?;
    let rows = stmt
        .query_map(params![code], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?, r.get::<_, i64>(2)?)))
        .map_err(StoreError::query(what()))?;
    let mut counts = CountsBySourceYear::new();
    for row in rows {
        let (source, year, n) = row.map_err(StoreError::query(what()))?;
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
                 UNION ALL SELECT layer FROM housing UNION ALL SELECT layer FROM incidents)
               GROUP BY layer";
    let mut stmt = conn.prepare(sql).map_err(StoreError::query("counting features per layer"))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
        .map_err(StoreError::query("counting features per layer"))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query("counting features per layer"))
}

/// One row of the import log.
#[derive(Clone, Debug, Serialize)]
pub struct ImportLogEntry {
    pub id: i64,
    pub layer: String,
    pub file: String,
    pub imported_by: String,
    pub finished_at: String,
    pub rows: i64,
}

/// The import log, newest first.
pub fn import_log(conn: &Connection) -> Result<Vec<ImportLogEntry>, StoreError> {
    let what = "reading the import log";
    let mut stmt = conn
        .prepare("SELECT id, layer, file, imported_by, CAST(finished_at AS VARCHAR), rows FROM import_log ORDER BY id DESC")
        .map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(ImportLogEntry {
                id: r.get(0)?,
                layer: r.get(1)?,
                file: r.get(2)?,
                imported_by: r.get(3)?,
                finished_at: r.get(4)?,
                rows: r.get(5)?,
            })
        })
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// Residents per delbydel, summed from the population layer(s): only population features carry
/// a `value`. A grid cell counts in the delbydel its representative point falls in.
pub fn population_by_area(conn: &Connection) -> Result<BTreeMap<String, f64>, StoreError> {
    let what = "summing population per delbydel";
    let mut stmt = conn
        .prepare(
            "SELECT delbydel, sum(value) FROM features
             WHERE delbydel IS NOT NULL AND value IS NOT NULL GROUP BY delbydel",
        )
        .map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?)))
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}
