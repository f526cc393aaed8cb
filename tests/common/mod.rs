//! Helpers shared by the integration tests: run the real binary, find fixtures and the shared
//! Oslo data, and read back what a database holds.
#![allow(dead_code, reason = "each test file uses a different subset")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bomiljo::store::{OpenMode, Store};

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// A file of the real Oslo data in ../shared/data/oslo (never copied into the project).
pub fn oslo(file: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/oslo").join(file);
    assert!(path.is_file(), "{} is missing: the tests read Oslo's real data from ../shared", path.display());
    path
}

/// Runs `bomiljo --db DB args...` with the project's configuration.
pub fn bomiljo(db: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bomiljo"))
        .arg("--db")
        .arg(db)
        .arg("--config")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .env("BOMILJO_LOG", "warn")
        .output()
        .expect("the bomiljo binary runs")
}

/// Runs an import and asserts it succeeded.
pub fn import_ok(db: &Path, layer: &str, file: &Path, extra: &[&str]) -> String {
    let file = file.to_string_lossy();
    let mut args = vec!["import", layer, &file];
    args.extend_from_slice(extra);
    let out = bomiljo(db, &args);
    assert!(out.status.success(), "import of {file} into {layer} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Everything an import could change: row counts, a checksum of incident positions, the import
/// log and the list of tables (a leftover staging table would show here).
pub fn fingerprint(db: &Path) -> String {
    let store = Store::open(db, OpenMode::MustExist).expect("database opens");
    store
        .conn()
        .query_row(
            "SELECT concat_ws(' | ',
                (SELECT count(*) FROM areas), (SELECT count(*) FROM features),
                (SELECT count(*) FROM housing), (SELECT count(*) FROM incidents),
                (SELECT coalesce(sum(x + y), 0) FROM incidents), (SELECT count(*) FROM import_log),
                (SELECT string_agg(table_name, ',' ORDER BY table_name) FROM duckdb_tables()))",
            [],
            |r| r.get(0),
        )
        .expect("fingerprint query")
}

/// One query returning a single value.
pub fn query<T: duckdb::types::FromSql>(db: &Path, sql: &str) -> T {
    let store = Store::open(db, OpenMode::MustExist).expect("database opens");
    store.conn().query_row(sql, [], |r| r.get(0)).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A fresh database holding the two hand-built 1 km squares (delbydeler 0101 and 0202).
pub fn two_squares_db(dir: &Path) -> PathBuf {
    let db = dir.join("t.duckdb");
    import_ok(&db, "delbydeler", &fixture("areas/two_squares_25832.geojson"), &[]);
    db
}
