//! Reads GeoPackage files (OGC 12-128r18): SSB's, Geonorge's and QGIS's default format. One
//! feature table is read (the only one, or the one named with `--source-layer`); each row's
//! geometry is the standard GeoPackage binary header followed by WKB ([`super::wkb`]), and the
//! CRS comes from the table's `srs_id` in `gpkg_spatial_ref_sys`.

use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags, types::ValueRef};

use super::limits::{Budget, MAX_COLUMNS};
use super::source::ColumnIndex;
use super::{
    ImportError, Rejection,
    source::{Cells, RawRow, Source},
};
use crate::spatial::Crs;

pub fn read(path: &Path, wanted: Option<&str>, crs_flag: Option<Crs>, budget: &Budget) -> Result<Source, ImportError> {
    let fail = |reason: String| ImportError::file(path, reason);
    let db = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(|e| fail(format!("not a GeoPackage (SQLite) file: {e}")))?;
    let tables = feature_tables(&db).map_err(|e| fail(format!("not a GeoPackage: no gpkg_geometry_columns table ({e})")))?;
    let (table, geometry_column, srs_id) = match wanted {
        Some(name) => tables.iter().find(|t| t.0 == name).cloned().ok_or_else(|| fail(format!("no feature table '{name}'; it has {}", names(&tables))))?,
        None if tables.len() == 1 => tables[0].clone(),
        None => return Err(fail(format!("holds {} feature tables ({}); choose one with --source-layer", tables.len(), names(&tables)))),
    };
    // `--crs` wins over the file's spatial reference, which is then not even read.
    let declared_crs = match crs_flag {
        Some(crs) => crs,
        None => crs_of(&db, srs_id).map_err(fail)?,
    };
    let quoted = |name: &str| format!("\"{}\"", name.replace('"', "\"\""));
    let mut stmt = db.prepare(&format!("SELECT * FROM {}", quoted(&table))).map_err(|e| fail(format!("reading table {table}: {e}")))?;
    let columns: Vec<String> = stmt.column_names().into_iter().map(str::to_string).collect();
    let geometry_index = columns.iter().position(|c| *c == geometry_column).ok_or_else(|| fail(format!("table {table} has no column {geometry_column}")))?;
    let properties: Vec<String> = columns.iter().filter(|c| **c != geometry_column).cloned().collect();
    if columns.len() > MAX_COLUMNS {
        return Err(fail(format!("table {table} has {} columns; an import reads at most {MAX_COLUMNS}", columns.len())));
    }
    // A view may yield rows without end (a recursive one did): rows stop at the cell budget.
    let max_rows = budget.cells / columns.len().max(1);
    let index: Arc<ColumnIndex> = Arc::new(properties.iter().enumerate().map(|(i, c)| (c.clone(), i)).collect());
    let mut rows = Vec::new();
    let mut query = stmt.query([]).map_err(|e| fail(format!("reading table {table}: {e}")))?;
    while let Some(row) = query.next().map_err(|e| fail(format!("reading table {table}: {e}")))? {
        let number = rows.len() + 1;
        if number > max_rows {
            return Err(fail(format!(
                "table {table} holds more than {max_rows} features of {} columns; an import reads at most {} cells ({})",
                columns.len(),
                budget.cells,
                budget.advice()
            )));
        }
        let mut values = Vec::with_capacity(properties.len());
        let mut geometry = Err("feature has no geometry".to_string());
        for i in 0..columns.len() {
            let value = row.get_ref(i).map_err(|e| fail(e.to_string()))?;
            if i == geometry_index {
                if let ValueRef::Blob(blob) = value {
                    geometry = geometry_of(blob);
                }
            } else {
                values.push(text_of(value));
            }
        }
        rows.push(match geometry {
            Ok(g) => Ok(RawRow { line: number, feature: Some(number), cells: Cells::Tabular { columns: Arc::clone(&index), values }, geometry: Some(g) }),
            Err(reason) => Err(Rejection::new(number, format!("feature {number}: {reason}"))),
        });
    }
    let len = rows.len() as u64;
    Ok(Source {
        format: "gpkg",
        columns: properties,
        declared_crs: Some(declared_crs),
        wgs84_by_default: true,
        rows: Box::new(rows.into_iter()),
        len_hint: Some(len),
        decimal_comma: false,
        notes: vec![format!("table {table}")],
    })
}

/// (table, geometry column, srs_id) of every feature table.
fn feature_tables(db: &Connection) -> rusqlite::Result<Vec<(String, String, i64)>> {
    let mut stmt = db.prepare("SELECT table_name, column_name, srs_id FROM gpkg_geometry_columns ORDER BY table_name")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    rows.collect()
}

fn names(tables: &[(String, String, i64)]) -> String {
    tables.iter().map(|t| t.0.as_str()).collect::<Vec<_>>().join(", ")
}

/// The table's CRS: by its EPSG code, else from its WKT definition (an ESRI or QGIS export of a
/// custom CRS carries organisation NONE and the WKT only).
fn crs_of(db: &Connection, srs_id: i64) -> Result<Crs, String> {
    let (organisation, code, definition): (String, i64, String) = db
        .query_row("SELECT organization, organization_coordsys_id, definition FROM gpkg_spatial_ref_sys WHERE srs_id = ?", [srs_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .map_err(|e| format!("srs_id {srs_id} is not in gpkg_spatial_ref_sys: {e}"))?;
    Crs::parse(&format!("{organisation}:{code}")).or_else(|_| Crs::from_wkt(&definition).map_err(|e| format!("srs_id {srs_id} ({organisation}:{code}): {e}")))
}

/// The GeoPackage binary header (magic `GP`, version, flags, srs_id, optional envelope) is
/// skipped; the rest is WKB.
fn geometry_of(blob: &[u8]) -> Result<geojson::Geometry, String> {
    if blob.len() < 8 || &blob[..2] != b"GP" {
        return Err("geometry is not a GeoPackage geometry blob".into());
    }
    let flags = blob[3];
    if flags & 0b1_0000 != 0 {
        return Err("geometry is empty".into());
    }
    let envelope_bytes = match (flags >> 1) & 0b111 {
        0 => 0,
        1 => 32,
        2 | 3 => 48,
        4 => 64,
        other => return Err(format!("geometry header has an invalid envelope code {other}")),
    };
    let geometry = crate::spatial::wkb::parse(blob.get(8 + envelope_bytes..).ok_or("geometry blob ends in its header")?)?;
    Ok(geojson::Geometry::from(&geometry))
}

fn text_of(value: ValueRef<'_>) -> String {
    match value {
        ValueRef::Null => String::new(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => f.to_string(),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(_) => String::new(),
    }
}
