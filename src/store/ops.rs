//! Operations on the database file: Parquet export per layer (backup, or moving data to a
//! larger engine) and an integrity check.

use std::path::{Path, PathBuf};

use duckdb::Connection;

use super::StoreError;
use crate::config::Config;

/// Writes every layer's rows (and the import and audit logs) as Parquet files into `dir`;
/// returns (file, rows) per file. Geometry stays as stored: x, y in EPSG:25832 and polygons
/// as GeoJSON text.
pub fn export_parquet(conn: &Connection, config: &Config, dir: &Path) -> Result<Vec<(PathBuf, i64)>, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| StoreError::Invalid { what: format!("creating {}", dir.display()), reason: e.to_string() })?;
    let mut jobs: Vec<(String, String)> = config
        .layers
        .iter()
        .map(|l| (l.name.clone(), format!("SELECT * FROM {} WHERE layer = '{}'", crate::store::write::Table::for_kind(l.kind).name(), l.name)))
        .collect();
    jobs.push(("import_log".into(), "SELECT * FROM import_log".into()));
    jobs.push(("audit".into(), "SELECT * FROM audit".into()));
    let mut written = Vec::new();
    for (name, select) in jobs {
        // Layer names come from the configuration, which only allows [a-z0-9_] file stems.
        let path = dir.join(format!("{name}.parquet"));
        let target = path.display().to_string().replace('\'', "''");
        conn.execute_batch(&format!("COPY ({select}) TO '{target}' (FORMAT parquet)"))
            .map_err(StoreError::query(format!("exporting {name} to {}", path.display())))?;
        let rows: i64 = conn.query_row(&format!("SELECT count(*) FROM ({select})"), [], |r| r.get(0)).map_err(StoreError::query(format!("counting {name}")))?;
        written.push((path, rows));
    }
    Ok(written)
}

/// Numeric columns of a Parquet file (for comparing with other tools' outputs).
pub fn read_parquet_f64(path: &Path, columns: &[&str]) -> Result<Vec<Vec<f64>>, StoreError> {
    let what = || format!("reading {}", path.display());
    let conn = Connection::open_in_memory().map_err(StoreError::query(what()))?;
    let select = columns.iter().map(|c| format!("CAST(\"{}\" AS DOUBLE)", c.replace('"', "\"\""))).collect::<Vec<_>>().join(", ");
    let mut stmt = conn.prepare(&format!("SELECT {select} FROM read_parquet(?)")).map_err(StoreError::query(what()))?;
    let mut out = vec![Vec::new(); columns.len()];
    let mut rows = stmt.query([path.display().to_string()]).map_err(StoreError::query(what()))?;
    while let Some(row) = rows.next().map_err(StoreError::query(what()))? {
        for (i, column) in out.iter_mut().enumerate() {
            column.push(row.get::<_, Option<f64>>(i).map_err(StoreError::query(what()))?.unwrap_or(f64::NAN));
        }
    }
    Ok(out)
}

/// Every cell of a Parquet file as text (dates as YYYY-MM-DD, decimals in full; a null as ""),
/// with the column names: the import reads Parquet as it reads CSV.
pub fn read_parquet_text(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), StoreError> {
    let what = "cannot read as Parquet";
    let conn = Connection::open_in_memory().map_err(StoreError::query(what))?;
    let mut stmt = conn.prepare("SELECT COLUMNS(*)::VARCHAR FROM read_parquet(?)").map_err(StoreError::query(what))?;
    let mut rows = stmt.query([path.to_string_lossy().to_string()]).map_err(StoreError::query(what))?;
    let columns: Vec<String> = rows.as_ref().map(|s| s.column_names()).unwrap_or_default();
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(StoreError::query(what))? {
        let cells = (0..columns.len()).map(|i| row.get::<_, Option<String>>(i).map(Option::unwrap_or_default)).collect::<Result<Vec<_>, _>>();
        out.push(cells.map_err(StoreError::query(what))?);
    }
    Ok((columns, out))
}

/// Problems found by [`check`], one sentence each.
pub fn check(conn: &Connection, config: &Config) -> Result<Vec<String>, StoreError> {
    let mut problems = Vec::new();
    let q = |sql: &str| -> Result<i64, StoreError> { conn.query_row(sql, [], |r| r.get(0)).map_err(StoreError::query(format!("checking: {sql}"))) };
    let version = super::schema_version(conn)?;
    if version != super::SCHEMA_VERSION {
        problems.push(format!("schema version {version}, expected {}", super::SCHEMA_VERSION));
    }
    let known: Vec<String> = config.layers.iter().map(|l| format!("'{}'", l.name)).collect();
    for table in ["areas", "features", "housing", "incidents"] {
        let unknown = q(&format!("SELECT count(*) FROM {table} WHERE layer NOT IN ({})", known.join(",")))?;
        if unknown > 0 {
            problems.push(format!("{unknown} rows in {table} belong to layers not in layers/*.toml"));
        }
        let bad = q(&format!("SELECT count(*) FROM {table} WHERE NOT isfinite(x) OR NOT isfinite(y)"))?;
        if bad > 0 {
            problems.push(format!("{bad} rows in {table} have non-finite coordinates"));
        }
        let dupes = q(&format!("SELECT count(*) FROM (SELECT layer, id FROM {table} GROUP BY ALL HAVING count(*) > 1)"))?;
        if dupes > 0 {
            problems.push(format!("{dupes} ids appear more than once in {table}"));
        }
    }
    let e = config.project.extent;
    let outside = q(&format!("SELECT count(*) FROM incidents WHERE x NOT BETWEEN {} AND {} OR y NOT BETWEEN {} AND {}", e.min_x, e.max_x, e.min_y, e.max_y))?;
    if outside > 0 {
        problems.push(format!("{outside} incidents lie outside the municipality's extent"));
    }
    for table in ["features", "housing", "incidents"] {
        let orphans = q(&format!(
            "SELECT count(*) FROM {table} t WHERE t.delbydel IS NOT NULL AND t.delbydel NOT IN (SELECT id FROM areas WHERE layer = '{}')",
            config.project.assign_layer
        ))?;
        if orphans > 0 {
            problems.push(format!("{orphans} rows in {table} name a delbydel that is not stored; re-import the delbydeler"));
        }
    }
    problems.extend(population_against_stated(conn, config)?);
    let leftovers = q("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('staging_import', 'reassigned')")?;
    if leftovers > 0 {
        problems.push("a staging table from an interrupted import is left; it holds nothing that was committed and can be dropped".into());
    }
    Ok(problems)
}

/// How far a population grid's total may stray from the population the area layers state for
/// themselves (a census year apart moves Oslo by a few per cent; a second grid stacked on the
/// first doubles it).
const POPULATION_TOLERANCE: f64 = 0.10;

/// Compares each population layer's total with each area layer's own stated population.
fn population_against_stated(conn: &Connection, config: &Config) -> Result<Vec<String>, StoreError> {
    let total = |sql: &str, layer: &str| -> Result<f64, StoreError> {
        conn.query_row(sql, duckdb::params![layer], |r| r.get::<_, Option<f64>>(0))
            .map(Option::unwrap_or_default)
            .map_err(StoreError::query(format!("checking the population of {layer}")))
    };
    let mut problems = Vec::new();
    for grid in config.layers.iter().filter(|l| l.kind == crate::config::LayerKind::Population) {
        let counted = total("SELECT sum(value) FROM features WHERE layer = ?", &grid.name)?;
        for areas in config.layers.iter().filter(|l| l.kind == crate::config::LayerKind::Areas) {
            let stated = total("SELECT sum(population) FROM areas WHERE layer = ?", &areas.name)?;
            if counted > 0.0 && stated > 0.0 && (counted / stated - 1.0).abs() > POPULATION_TOLERANCE {
                problems.push(format!(
                    "layer {} sums to {counted:.0} inhabitants but {} states {stated:.0} ({:+.0} %); was a second grid imported on top (`bomiljo layer history {}`)?",
                    grid.name,
                    areas.name,
                    (counted / stated - 1.0) * 100.0,
                    grid.name
                ));
            }
        }
    }
    Ok(problems)
}
