//! Backup and restore of the whole database: a consistent copy taken while the server runs, and
//! a new database file made from it.
//!
//! A backup is DuckDB's `EXPORT DATABASE` (schema, sequences and every table as Parquet) run in
//! one transaction, so it holds the data as one commit left it: an import committing meanwhile is
//! in it wholly or not at all. Sequences are exported at their position, so ids given out before
//! (an audit event's, a deleted scenario's) are not given out again after a restore. Beside the
//! files, `bomiljo-backup.json` names the schema version and the rows of every table, which a
//! restore checks before it puts the file in place.
//!
//! A restore runs only files whose hashes the manifest holds, builds the new file under a
//! temporary name and puts it in place only when every table holds the rows the manifest counts:
//! a restore that fails leaves nothing behind, and it never replaces a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use duckdb::Connection;
use serde::{Deserialize, Serialize};

use super::StoreError;

/// The file beside the exported tables that says what the backup holds.
pub const MANIFEST: &str = "bomiljo-backup.json";

/// What a backup holds.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Manifest {
    /// The schema version of the database backed up (a restore migrates it forward).
    pub schema_version: i64,
    /// The bomiljo that took it.
    pub bomiljo: String,
    /// When (UTC, RFC 3339).
    pub taken_at: String,
    /// Rows per table.
    pub tables: BTreeMap<String, i64>,
    /// SHA-256 of every file of the backup: a restore runs the backup's SQL, so it runs only
    /// what the backup wrote.
    #[serde(default)]
    pub files: BTreeMap<String, String>,
}

impl Manifest {
    /// Rows in all tables.
    pub fn rows(&self) -> i64 {
        self.tables.values().sum()
    }
}

fn failed(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> StoreError {
    let what = what.into();
    move |e| StoreError::Invalid { what, reason: e.to_string() }
}

/// A path as a quoted SQL string literal.
fn literal(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', "''"))
}

/// Rows per base table, as the transaction sees them.
fn row_counts(conn: &Connection) -> Result<BTreeMap<String, i64>, StoreError> {
    let what = "counting the rows of every table";
    let mut stmt = conn
        .prepare("SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema = 'main' ORDER BY table_name")
        .map_err(StoreError::query(what))?;
    let tables: Vec<String> = stmt.query_map([], |r| r.get(0)).map_err(StoreError::query(what))?.collect::<Result<_, _>>().map_err(StoreError::query(what))?;
    tables
        .into_iter()
        .map(|t| {
            let n: i64 = conn.query_row(&format!("SELECT count(*) FROM \"{}\"", t.replace('"', "\"\"")), [], |r| r.get(0)).map_err(StoreError::query(what))?;
            Ok((t, n))
        })
        .collect()
}

/// SHA-256 (hex) of every file in `dir` but the manifest.
fn hashes(dir: &Path) -> Result<BTreeMap<String, String>, StoreError> {
    use sha2::Digest;
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(dir).map_err(failed(format!("reading {}", dir.display())))? {
        let path = entry.map_err(failed(format!("reading {}", dir.display())))?.path();
        let name = path.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_default();
        if name == MANIFEST {
            continue;
        }
        let mut file = std::fs::File::open(&path).map_err(failed(format!("reading {}", path.display())))?;
        let mut hasher = sha2::Sha256::new();
        std::io::copy(&mut file, &mut hasher).map_err(failed(format!("reading {}", path.display())))?;
        out.insert(name, hasher.finalize().iter().map(|b| format!("{b:02x}")).collect());
    }
    Ok(out)
}

/// A new folder only its owner may read (a backup holds everything: person keys, the release's
/// secret, token hashes).
fn private_folder(dir: &Path) -> Result<(), StoreError> {
    let what = || format!("creating {}", dir.display());
    std::fs::create_dir_all(dir).map_err(failed(what()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(failed(what()))?;
    }
    Ok(())
}

/// Exports the database into `dir` (which must not exist yet, or be empty) as one consistent
/// snapshot, with its [`Manifest`]; the folder is readable by its owner only.
pub fn backup(conn: &Connection, dir: &Path) -> Result<Manifest, StoreError> {
    if !is_new_folder(dir) {
        return Err(StoreError::Invalid {
            what: format!("backing up into {}", dir.display()),
            reason: "the folder is not empty; name a new folder (a backup never overwrites another)".into(),
        });
    }
    let what = || format!("backing up into {}", dir.display());
    private_folder(dir)?;
    // One transaction on a connection of its own: the counts and the export see one commit.
    let conn = conn.try_clone().map_err(StoreError::query(what()))?;
    conn.execute_batch("BEGIN TRANSACTION").map_err(StoreError::query(what()))?;
    let taken = (|| {
        let tables = row_counts(&conn)?;
        let schema_version = super::schema_version(&conn)?;
        conn.execute_batch(&format!("EXPORT DATABASE {} (FORMAT parquet)", literal(dir))).map_err(StoreError::query(what()))?;
        Ok::<_, StoreError>(Manifest {
            schema_version,
            bomiljo: env!("CARGO_PKG_VERSION").into(),
            taken_at: chrono::Utc::now().to_rfc3339(),
            tables,
            files: BTreeMap::new(),
        })
    })();
    let _ = conn.execute_batch("ROLLBACK");
    let mut manifest = taken?;
    manifest.files = hashes(dir)?;
    let text = serde_json::to_string_pretty(&manifest).map_err(|e| StoreError::Invalid { what: what(), reason: e.to_string() })?;
    std::fs::write(dir.join(MANIFEST), text).map_err(failed(what()))?;
    Ok(manifest)
}

/// Whether `dir` may take a backup: missing or empty (a backup never overwrites another).
pub fn is_new_folder(dir: &Path) -> bool {
    !std::fs::read_dir(dir).is_ok_and(|mut entries| entries.next().is_some())
}

/// Reads a backup's manifest.
pub fn manifest(dir: &Path) -> Result<Manifest, StoreError> {
    let path = dir.join(MANIFEST);
    // A manifest names some tens of tables and files: one larger than this was not written by bomiljo.
    const MAX_MANIFEST_BYTES: u64 = 1 << 20;
    if std::fs::metadata(&path).is_ok_and(|m| m.len() > MAX_MANIFEST_BYTES) {
        return Err(StoreError::Invalid {
            what: format!("reading {}", path.display()),
            reason: format!("over {MAX_MANIFEST_BYTES} bytes: not a manifest bomiljo wrote"),
        });
    }
    let text = std::fs::read_to_string(&path).map_err(|e| StoreError::Invalid {
        what: format!("reading {}", path.display()),
        reason: format!("{e}; is {} a folder made by `bomiljo backup`?", dir.display()),
    })?;
    serde_json::from_str(&text).map_err(|e| StoreError::Invalid { what: format!("reading {}", path.display()), reason: e.to_string() })
}

/// Makes the database file `target` (which must not exist) from the backup in `dir`: the files
/// checked against the manifest's hashes (the restore runs the backup's SQL), the database built
/// beside the target under a temporary name with file access limited to the backup folder, its
/// tables checked against the manifest's counts, written to disk, then linked into place (which
/// fails rather than replace a file that appeared meanwhile).
pub fn restore(dir: &Path, target: &Path) -> Result<Manifest, StoreError> {
    let manifest = manifest(dir)?;
    let refuse = |reason: &str| StoreError::Invalid { what: format!("restoring into {}", target.display()), reason: reason.into() };
    if target.exists() || Path::new(&format!("{}.wal", target.display())).exists() {
        return Err(refuse("the file (or its .wal) exists; restore into a new file, or move the old one away first"));
    }
    if manifest.files.is_empty() || hashes(dir)? != manifest.files {
        return Err(StoreError::Invalid {
            what: format!("restoring from {}", dir.display()),
            reason: "its files differ from those the backup wrote (hashes in bomiljo-backup.json): changed, added or missing; nothing was restored".into(),
        });
    }
    let building = PathBuf::from(format!("{}.restoring", target.display()));
    let _ = std::fs::remove_file(&building);
    let _ = std::fs::remove_file(format!("{}.wal", building.display()));
    let outcome = (|| {
        let what = || format!("restoring {} into {}", dir.display(), target.display());
        let conn = Connection::open(&building).map_err(StoreError::query(what()))?;
        // The backup's SQL may read its own files and nothing else.
        let folder = dir.canonicalize().map_err(failed(what()))?;
        conn.execute_batch(&format!("SET allowed_directories = [{}]; SET enable_external_access = false;", literal(&folder)))
            .map_err(StoreError::query(what()))?;
        conn.execute_batch(&format!("IMPORT DATABASE {}", literal(&folder))).map_err(StoreError::query(what()))?;
        let found = row_counts(&conn)?;
        if found != manifest.tables {
            let differ: Vec<String> = manifest
                .tables
                .iter()
                .filter(|(t, n)| found.get(*t) != Some(n))
                .map(|(t, n)| format!("{t}: {n} backed up, {} restored", found.get(t).copied().unwrap_or(0)))
                .collect();
            return Err(StoreError::Invalid { what: what(), reason: format!("the tables differ from the backup's manifest ({})", differ.join("; ")) });
        }
        conn.execute_batch("CHECKPOINT").map_err(StoreError::query(what()))?;
        Ok(())
    })();
    match outcome {
        Ok(()) => {
            let placed = std::fs::File::open(&building)
                .and_then(|f| f.sync_all())
                .and_then(|()| std::fs::hard_link(&building, target))
                .map_err(failed(format!("putting the restored database at {}", target.display())));
            let _ = std::fs::remove_file(&building);
            placed?;
            Ok(manifest)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&building);
            let _ = std::fs::remove_file(format!("{}.wal", building.display()));
            Err(e)
        }
    }
}
