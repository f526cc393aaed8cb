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
    let leftovers = q("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('staging_import', 'reassigned')")?;
    if leftovers > 0 {
        problems.push("a staging table from an interrupted import is left; it holds nothing that was committed and can be dropped".into());
    }
    Ok(problems)
}
