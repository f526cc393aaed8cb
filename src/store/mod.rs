//! The DuckDB store: one database file, a versioned schema migrated on open, and the queries the
//! rest of bomiljo runs against it (in [`queries`]).
//!
//! DuckDB calls block, so the server reaches the store through [`SharedStore::run`], which moves
//! a cloned connection into `spawn_blocking`.

pub mod audit;
pub mod backup;
mod database;
pub mod geoparquet;
pub mod ops;
pub mod queries;
pub mod release;
pub mod scenarios;

pub use database::{Database, Handle};
pub use queries::{AreaColumn, AreaRow, CountsBySourceYear, FeaturePage, HousingSite, IncidentFilter, PointRow, StoredFeature};
pub mod tokens;
pub mod write;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use duckdb::Connection;

/// Schema migrations, applied in order; the index + 1 is the schema version.
const MIGRATIONS: &[&str] = &[
    include_str!("schema/0001_init.sql"),
    include_str!("schema/0002_tokens.sql"),
    include_str!("schema/0003_audit.sql"),
    include_str!("schema/0004_release.sql"),
    include_str!("schema/0005_incident_cells.sql"),
    include_str!("schema/0006_layer_history.sql"),
    include_str!("schema/0007_feature_tags.sql"),
    include_str!("schema/0008_release_ledger.sql"),
    include_str!("schema/0009_person_key.sql"),
    include_str!("schema/0010_delivered_position.sql"),
    include_str!("schema/0011_envelopes.sql"),
    include_str!("schema/0012_need.sql"),
    include_str!("schema/0013_scenarios.sql"),
];

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database {0} does not exist\n    Create it with `bomiljo demo` or `bomiljo import <layer> <file>`, or pass --db PATH.")]
    Missing(PathBuf),
    #[error("database {path} is locked by another process ({detail})\n    Stop the other bomiljo (a running `serve` holds the lock) and try again.")]
    Locked { path: PathBuf, detail: String },
    #[error("cannot open database {path}: {source}")]
    Open { path: PathBuf, source: duckdb::Error },
    #[error("database {path} has schema version {found}, newer than this bomiljo ({SCHEMA_VERSION}); upgrade bomiljo")]
    TooNew { path: PathBuf, found: i64 },
    #[error("migration to schema version {version} failed: {source}")]
    Migrate { version: i64, source: duckdb::Error },
    #[error("{what}: {source}")]
    Query { what: String, source: duckdb::Error },
    /// A failure that is not the database's: stored text that does not parse, no randomness.
    #[error("{what}: {reason}")]
    Invalid { what: String, reason: String },
}

impl StoreError {
    /// Wraps a DuckDB error with what bomiljo was doing.
    pub fn query(what: impl Into<String>) -> impl FnOnce(duckdb::Error) -> StoreError {
        let what = what.into();
        move |source| StoreError::Query { what, source }
    }
}

/// Whether [`Store::open`] may create a new database file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenMode {
    CreateIfMissing,
    MustExist,
}

/// Seals [`Database`]: only the store's own types are databases, and only the store can call
/// [`Database::sql`] (the token cannot be made, nor the trait implemented, outside `store`).
mod sealed {
    pub trait Sealed {}

    /// Proof of being inside the store.
    pub struct Token(());

    pub(in crate::store) fn token() -> Token {
        Token(())
    }
}

impl sealed::Sealed for Store {}

impl Database for Store {
    fn sql(&self, _: sealed::Token) -> &Connection {
        &self.conn
    }
}

/// An open bomiljo database.
pub struct Store {
    conn: Connection,
    path: PathBuf,
    /// A connection beside a serving process's ([`SharedStore::detached`]): settings of the
    /// database (its memory limit) would bind that process's readers too, so none are changed.
    beside_readers: bool,
}

/// DuckDB's buffer pool during an import; see [`Store::with_import_memory`].
pub const IMPORT_MEMORY_LIMIT: &str = "64MB";

impl Store {
    /// Opens (or creates) the database file and migrates it to [`SCHEMA_VERSION`].
    pub fn open(path: &Path, mode: OpenMode) -> Result<Store, StoreError> {
        if mode == OpenMode::MustExist && !path.exists() {
            return Err(StoreError::Missing(path.to_path_buf()));
        }
        let conn = Connection::open(path).map_err(|source| {
            let detail = source.to_string();
            if detail.contains("Could not set lock") {
                StoreError::Locked { path: path.to_path_buf(), detail: lock_holder(&detail) }
            } else {
                StoreError::Open { path: path.to_path_buf(), source }
            }
        })?;
        let store = Store { conn, path: path.to_path_buf(), beside_readers: false };
        store.migrate()?;
        Ok(store)
    }

    /// An in-memory database, for tests and benchmarks.
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Open { path: ":memory:".into(), source })?;
        let store = Store { conn, path: ":memory:".into(), beside_readers: false };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The connection itself, for tests that read or tamper with the database as an attacker
    /// would (built with the `testing` feature only; bomiljo's own code goes through [`Database`]).
    #[cfg(feature = "testing")]
    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// The database lent for one piece of work (see [`Database`]).
    pub fn handle(&self) -> Handle<'_> {
        Handle(&self.conn)
    }

    /// Runs `work` with DuckDB's buffer pool limited to [`IMPORT_MEMORY_LIMIT`] (file databases
    /// only: an in-memory one cannot give pages back), then sets the limit back. DuckDB keeps
    /// an import's written blocks cached up to its limit (80 % of RAM by default), so an import
    /// of 10M rows held 590 MB; with the limit, 360 MB, and no slower (the blocks are on disk
    /// already; a query that needs more spills to a temporary file). Not beside a serving
    /// process's readers (an import over HTTP): the limit is the database's and would bind them.
    pub fn with_import_memory<T>(&mut self, work: impl FnOnce(&mut Store) -> T) -> Result<T, StoreError> {
        if self.path == Path::new(":memory:") || self.beside_readers {
            return Ok(work(self));
        }
        let what = "limiting DuckDB's memory for an import";
        let before: String = self.conn.query_row("SELECT current_setting('memory_limit')", [], |r| r.get(0)).map_err(StoreError::query(what))?;
        self.conn.execute_batch(&format!("SET memory_limit = '{IMPORT_MEMORY_LIMIT}'")).map_err(StoreError::query(what))?;
        let result = work(self);
        // The work is done (an import may be committed): a failure to set the limit back is
        // only logged, not reported as the work's failure.
        if let Err(e) = self.conn.execute_batch(&format!("SET memory_limit = '{}'", before.replace('\'', ""))) {
            tracing::warn!(error = %e, "could not set DuckDB's memory limit back to {before}");
        }
        Ok(result)
    }

    fn migrate(&self) -> Result<(), StoreError> {
        self.conn
            .execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL, applied_at TIMESTAMP NOT NULL)")
            .map_err(|source| StoreError::Migrate { version: 0, source })?;
        let current = schema_version(&self.conn)?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::TooNew { path: self.path.clone(), found: current });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            let version = i as i64 + 1;
            let step = format!("BEGIN TRANSACTION;\n{sql}\nINSERT INTO schema_version VALUES ({version}, now());\nCOMMIT;");
            if let Err(source) = self.conn.execute_batch(&step) {
                let _ = self.conn.execute_batch("ROLLBACK");
                return Err(StoreError::Migrate { version, source });
            }
            tracing::info!(version, path = %self.path.display(), "migrated database schema");
        }
        if current < SCHEMA_VERSION {
            write::fill_envelopes(&self.conn)?;
        }
        Ok(())
    }

    /// Writes a new release version and its ledger entries in one transaction (see
    /// [`release::save`]); its version and build time.
    pub fn save_release(
        &mut self,
        built_by: &str,
        settings: &str,
        spent: &str,
        rows: &[release::ReleasedRow],
        ledger: &[release::LedgerRow],
    ) -> Result<(i64, String), StoreError> {
        release::save(&mut self.conn, built_by, settings, spent, rows, ledger)
    }

    /// Writes everything committed into the database file (DuckDB keeps recent commits in its
    /// write-ahead log until then).
    pub fn checkpoint(&self) -> Result<(), StoreError> {
        self.conn.execute_batch("CHECKPOINT").map_err(StoreError::query("checkpointing the database"))
    }

    /// A consistent copy of the whole database in `dir` (see [`backup`]).
    pub fn backup(&self, dir: &Path) -> Result<backup::Manifest, StoreError> {
        backup::backup(&self.conn, dir)
    }

    /// Hands the connection to the server.
    pub fn into_shared(self) -> SharedStore {
        SharedStore { conn: Arc::new(Mutex::new(self.conn)), path: self.path, runs: Arc::default() }
    }
}

pub fn schema_version(conn: &Connection) -> Result<i64, StoreError> {
    conn.query_row("SELECT coalesce(max(version), 0) FROM schema_version", [], |r| r.get(0)).map_err(StoreError::query("reading schema_version"))
}

/// "held by PID 1234" from DuckDB's lock message, or the whole message.
fn lock_holder(detail: &str) -> String {
    let pid: Option<String> = detail.find("PID ").map(|i| detail[i + 4..].chars().take_while(char::is_ascii_digit).collect());
    match pid {
        Some(pid) if !pid.is_empty() => format!("held by PID {pid}"),
        _ => detail.to_string(),
    }
}

/// A store shared by the server's request handlers.
#[derive(Clone)]
pub struct SharedStore {
    conn: Arc<Mutex<Connection>>,
    path: PathBuf,
    /// Database calls made through [`SharedStore::run`], for `/metrics` and for the tests that
    /// hold outputs to the served snapshot (a vector tile or a sheet makes none).
    runs: Arc<std::sync::atomic::AtomicU64>,
}

impl SharedStore {
    /// Runs `f` on a handle of its own on the blocking thread pool.
    pub async fn run<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(Handle<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        self.run_sql(move |conn| f(Handle(conn))).await
    }

    /// [`SharedStore::run`] for the store's own queries.
    async fn run_sql<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, StoreError> + Send + 'static,
    {
        self.runs.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let conn = {
            let base = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            base.try_clone().map_err(StoreError::query("cloning a connection"))?
        };
        tokio::task::spawn_blocking(move || f(&conn)).await.unwrap_or_else(|join| std::panic::resume_unwind(join.into_panic()))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many database calls were made through [`SharedStore::run`] so far.
    pub fn runs(&self) -> u64 {
        self.runs.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A [`Store`] over a connection of its own to the same database: DuckDB lets one writer
    /// commit while the other connections read their own snapshot, so an import through it never
    /// shows readers half its rows.
    pub fn detached(&self) -> Result<Store, StoreError> {
        let base = self.conn.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let conn = base.try_clone().map_err(StoreError::query("cloning a connection"))?;
        Ok(Store { conn, path: self.path.clone(), beside_readers: true })
    }

    /// Every area of an areas layer, ordered by code.
    pub async fn areas(&self, layer: &str) -> Result<Vec<AreaRow>, StoreError> {
        let layer = layer.to_string();
        self.run_sql(move |conn| queries::areas(conn, &layer)).await
    }

    /// A page of a layer's features, and how many match in all.
    pub async fn layer_features(&self, layer: &crate::config::Layer, page: FeaturePage) -> Result<(Vec<StoredFeature>, u64), StoreError> {
        let (table, name) = (write::Table::for_kind(layer.kind).name(), layer.name.clone());
        self.run_sql(move |conn| queries::layer_features(conn, &page.query(table, &name))).await
    }

    /// Rows per layer.
    pub async fn layer_counts(&self) -> Result<std::collections::BTreeMap<String, i64>, StoreError> {
        self.run_sql(queries::layer_counts).await
    }

    /// Incidents per source and year in one delbydel or bydel.
    pub async fn incident_counts(&self, column: AreaColumn, code: &str) -> Result<CountsBySourceYear, StoreError> {
        let code = code.to_string();
        self.run_sql(move |conn| queries::incident_counts(conn, column, &code)).await
    }

    /// Incident counts per square cell of `cell_m` metres inside a box: (cell min x, min y, count).
    pub async fn incident_grid(&self, filter: IncidentFilter, cell_m: f64, bbox: [f64; 4]) -> Result<Vec<(f64, f64, u64)>, StoreError> {
        self.run_sql(move |conn| queries::incident_grid(conn, &filter, cell_m, bbox)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_database_is_migrated_to_the_current_version() {
        let store = Store::open_in_memory().unwrap();
        assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);
    }

    #[test]
    fn reopening_a_database_does_not_migrate_twice() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.duckdb");
        drop(Store::open(&path, OpenMode::CreateIfMissing).unwrap());
        let store = Store::open(&path, OpenMode::MustExist).unwrap();
        let rows: i64 = store.conn.query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, SCHEMA_VERSION);
    }

    #[test]
    fn a_missing_database_says_how_to_create_one() {
        let err = Store::open(Path::new("/nonexistent/x.duckdb"), OpenMode::MustExist).err().unwrap();
        assert!(err.to_string().contains("bomiljo demo"), "{err}");
    }
}
