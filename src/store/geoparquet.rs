//! GeoParquet 1.1 export: every layer as a Parquet file another engine (GeoPandas, DuckDB,
//! Spark with Sedona, SedonaDB) reads with its geometry and CRS, written by DuckDB's own
//! Parquet writer (no spatial extension needed).
//!
//! Each file has a `geometry` column of WKB (points, multi-polygons or multi-line-strings in
//! EPSG:25832), a `bbox` covering column (a struct of `xmin`, `ymin`, `xmax`, `ymax`, so readers can
//! skip row groups by their statistics) and the `geo` key of the file metadata (GeoParquet 1.1:
//! version, primary column, encoding, geometry types, the CRS as PROJJSON, the file's bounding box
//! and the covering). Incidents are one dataset partitioned Hive-style by source and year
//! (`incidents/source=police/year=2024/data.parquet`), each file with its own bounding box.
//!
//! Reference: <https://geoparquet.org/releases/v1.1.0/>.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use duckdb::{Connection, params};
use geo::{BoundingRect, Coord, LineString, MultiLineString, MultiPolygon};
use serde_json::json;

use super::StoreError;
use super::queries::{Shape, parse_shape};
use super::write::Table;
use crate::config::{Config, LayerKind};

/// EPSG:25832 (ETRS89 / UTM zone 32N) as PROJJSON, as PROJ 9 writes it.
const PROJJSON_25832: &str = include_str!("epsg25832.projjson.json");

/// A file written, and how many rows it holds.
#[derive(Clone, Debug)]
pub struct Exported {
    pub path: PathBuf,
    pub rows: i64,
}

/// What measurement divides by for an area: residents (the layer's own figure or the population
/// grid by area weighting) and km² (land, or the whole polygon), so that another engine computes
/// the same rates from the export.
#[derive(Clone, Debug)]
pub struct AreaMeasures {
    pub code: String,
    pub residents: Option<f64>,
    pub km2: f64,
    pub km2_basis: &'static str,
}

/// Writes every layer (housing only when asked: it is internal data) under `dir`; the assignment
/// layer (delbydeler) carries `residents`, `km2` and `km2_basis` from `measures`.
pub fn export(conn: &Connection, config: &Config, dir: &Path, with_housing: bool, measures: &[AreaMeasures]) -> Result<Vec<Exported>, StoreError> {
    let failed = |what: String| move |e: std::io::Error| StoreError::Invalid { what: what.clone(), reason: e.to_string() };
    std::fs::create_dir_all(dir).map_err(failed(format!("creating {}", dir.display())))?;
    let mut written = Vec::new();
    for layer in &config.layers {
        match layer.kind {
            LayerKind::Incidents | LayerKind::Need => continue,
            LayerKind::Housing if !with_housing => continue,
            kind => {
                // Layer names come from the configuration, which only allows [a-z0-9_] file stems.
                let condition = format!("layer = '{}'", layer.name);
                let extra = (layer.name == config.project.assign_layer).then_some(measures);
                written.extend(write_file(conn, Table::for_kind(kind), &condition, &dir.join(format!("{}.parquet", layer.name)), extra)?);
            }
        }
    }
    let partitions: Vec<(String, i64)> = {
        let mut stmt = conn.prepare("SELECT DISTINCT source, year FROM incidents ORDER BY 1, 2").map_err(StoreError::query("listing incident partitions"))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?))).map_err(StoreError::query("listing incident partitions"))?;
        rows.collect::<Result<_, _>>().map_err(StoreError::query("listing incident partitions"))?
    };
    for (source, year) in partitions {
        let folder = dir.join("incidents").join(format!("source={source}")).join(format!("year={year}"));
        std::fs::create_dir_all(&folder).map_err(failed(format!("creating {}", folder.display())))?;
        let condition = format!("source = '{}' AND year = {year}", source.replace('\'', "''"));
        written.extend(write_file(conn, Table::Incidents, &condition, &folder.join("data.parquet"), None)?);
    }
    Ok(written)
}

/// One Parquet file of the rows of `table` matching `condition` (areas: with their `measures`),
/// or none when no row does.
fn write_file(conn: &Connection, table: Table, condition: &str, path: &Path, measures: Option<&[AreaMeasures]>) -> Result<Option<Exported>, StoreError> {
    let name = table.name();
    let what = || format!("exporting {name} ({condition}) to {}", path.display());
    conn.execute_batch("CREATE OR REPLACE TEMP TABLE export_geometry (row_id BIGINT, geometry BLOB, xmin DOUBLE, ymin DOUBLE, xmax DOUBLE, ymax DOUBLE)")
        .map_err(StoreError::query(what()))?;
    let has_shape = table != Table::Housing && table != Table::Incidents;
    let select = format!("SELECT rowid, x, y, {} FROM {name} WHERE {condition}", if has_shape { "geometry" } else { "NULL" });
    let mut types = BTreeSet::new();
    let mut extent = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    let mut rows = 0i64;
    {
        let mut appender = conn.appender("export_geometry").map_err(StoreError::query(what()))?;
        let mut stmt = conn.prepare(&select).map_err(StoreError::query(what()))?;
        let mut found = stmt.query([]).map_err(StoreError::query(what()))?;
        while let Some(row) = found.next().map_err(StoreError::query(what()))? {
            let (row_id, x, y, shape): (i64, f64, f64, Option<String>) = (
                row.get(0).map_err(StoreError::query(what()))?,
                row.get(1).map_err(StoreError::query(what()))?,
                row.get(2).map_err(StoreError::query(what()))?,
                row.get(3).map_err(StoreError::query(what()))?,
            );
            let geometry = match shape {
                Some(text) => parse_shape(&text).map_err(|reason| StoreError::Invalid { what: what(), reason })?,
                None => Shape::Polygon(MultiPolygon(vec![])),
            };
            let (wkb, kind, bbox) = match &geometry {
                Shape::Polygon(p) if !p.0.is_empty() => {
                    (multi_polygon_wkb(p), "MultiPolygon", p.bounding_rect().map(|r| [r.min().x, r.min().y, r.max().x, r.max().y]))
                }
                Shape::Lines(l) => (multi_line_wkb(l), "MultiLineString", l.bounding_rect().map(|r| [r.min().x, r.min().y, r.max().x, r.max().y])),
                Shape::Polygon(_) => (point_wkb(x, y), "Point", Some([x, y, x, y])),
            };
            let [x0, y0, x1, y1] = bbox.unwrap_or([x, y, x, y]);
            extent = [extent[0].min(x0), extent[1].min(y0), extent[2].max(x1), extent[3].max(y1)];
            types.insert(kind);
            appender.append_row(params![row_id, wkb, x0, y0, x1, y1]).map_err(StoreError::query(what()))?;
            rows += 1;
        }
        appender.flush().map_err(StoreError::query(what()))?;
    }
    if rows == 0 {
        return Ok(None);
    }
    let dropped = match table {
        // The partition's source and year are in its path (Hive style); the hashed person key
        // serves the release's bound, not analysis, and the position as delivered serves area
        // assignment only: both stay in the database.
        Table::Incidents => "layer, import_id, source, year, person_key, delivered_x, delivered_y",
        Table::Housing => "layer, import_id",
        _ => "layer, import_id, geometry",
    };
    let geo = json!({
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": { "geometry": {
            "encoding": "WKB",
            "geometry_types": types.iter().collect::<Vec<_>>(),
            "crs": serde_json::from_str::<serde_json::Value>(PROJJSON_25832).map_err(|e| StoreError::Invalid { what: what(), reason: e.to_string() })?,
            "edges": "planar",
            "bbox": extent,
            "covering": { "bbox": { "xmin": ["bbox", "xmin"], "ymin": ["bbox", "ymin"], "xmax": ["bbox", "xmax"], "ymax": ["bbox", "ymax"] } }
        }}
    });
    let (measured, join) = match measures {
        Some(measures) => {
            stage_measures(conn, measures).map_err(StoreError::query(what()))?;
            (", m.residents, m.km2, m.km2_basis", "LEFT JOIN export_measures m ON m.code = t.id")
        }
        None => ("", ""),
    };
    let target = path.display().to_string().replace('\'', "''");
    let metadata = geo.to_string().replace('\'', "''");
    conn.execute_batch(&format!(
        "COPY (SELECT t.* EXCLUDE ({dropped}){measured}, g.geometry, {{'xmin': g.xmin, 'ymin': g.ymin, 'xmax': g.xmax, 'ymax': g.ymax}} AS bbox
               FROM {name} t JOIN export_geometry g ON t.rowid = g.row_id {join} ORDER BY t.id)
         TO '{target}' (FORMAT parquet, KV_METADATA {{geo: '{metadata}'}})"
    ))
    .map_err(StoreError::query(what()))?;
    conn.execute_batch("DROP TABLE export_geometry; DROP TABLE IF EXISTS export_measures").map_err(StoreError::query(what()))?;
    Ok(Some(Exported { path: path.to_path_buf(), rows }))
}

/// The areas' measures as a temporary table to join.
fn stage_measures(conn: &Connection, measures: &[AreaMeasures]) -> duckdb::Result<()> {
    conn.execute_batch("CREATE OR REPLACE TEMP TABLE export_measures (code VARCHAR, residents DOUBLE, km2 DOUBLE, km2_basis VARCHAR)")?;
    let mut appender = conn.appender("export_measures")?;
    for m in measures {
        appender.append_row(params![m.code, m.residents, m.km2, m.km2_basis])?;
    }
    appender.flush()
}

/// WKB, little-endian (byte order 1), of a point.
fn point_wkb(x: f64, y: f64) -> Vec<u8> {
    let mut out = header(1);
    coord(&mut out, Coord { x, y });
    out
}

fn multi_polygon_wkb(polygons: &MultiPolygon<f64>) -> Vec<u8> {
    let mut out = header(6);
    count(&mut out, polygons.0.len());
    for polygon in &polygons.0 {
        out.extend(header(3));
        let rings: Vec<&LineString<f64>> = std::iter::once(polygon.exterior()).chain(polygon.interiors()).collect();
        count(&mut out, rings.len());
        for ring in rings {
            points(&mut out, ring);
        }
    }
    out
}

fn multi_line_wkb(lines: &MultiLineString<f64>) -> Vec<u8> {
    let mut out = header(5);
    count(&mut out, lines.0.len());
    for line in &lines.0 {
        out.extend(header(2));
        points(&mut out, line);
    }
    out
}

fn header(kind: u32) -> Vec<u8> {
    let mut out = vec![1u8];
    out.extend(kind.to_le_bytes());
    out
}

fn count(out: &mut Vec<u8>, n: usize) {
    out.extend((n as u32).to_le_bytes());
}

fn points(out: &mut Vec<u8>, line: &LineString<f64>) {
    count(out, line.0.len());
    for &c in &line.0 {
        coord(out, c);
    }
}

fn coord(out: &mut Vec<u8>, c: Coord<f64>) {
    out.extend(c.x.to_le_bytes());
    out.extend(c.y.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::{line_string, polygon};

    #[test]
    fn wkb_reads_back_as_the_same_geometry() {
        let square = polygon![(x: 0.0, y: 0.0), (x: 10.0, y: 0.0), (x: 10.0, y: 10.0), (x: 0.0, y: 0.0)];
        let polygons = MultiPolygon(vec![square]);
        assert_eq!(crate::spatial::wkb::parse(&multi_polygon_wkb(&polygons)).unwrap(), geo::Geometry::MultiPolygon(polygons));
        let lines = MultiLineString(vec![line_string![(x: 1.0, y: 2.0), (x: 3.0, y: 4.5)]]);
        assert_eq!(crate::spatial::wkb::parse(&multi_line_wkb(&lines)).unwrap(), geo::Geometry::MultiLineString(lines));
        assert_eq!(crate::spatial::wkb::parse(&point_wkb(597_500.5, 6_642_500.25)).unwrap(), geo::Geometry::Point(geo::Point::new(597_500.5, 6_642_500.25)));
    }
}
