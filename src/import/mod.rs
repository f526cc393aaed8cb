//! Imports one file into one layer, all or nothing.
//!
//! Data flow: a format reader ([`geojson`], [`csv`], [`parquet`]) yields raw rows with line
//! numbers → [`validate::Validator`] checks each row, reprojects it to EPSG:25832, anonymises it
//! ([`anonymise`]) and assigns its delbydel and bydel through the [`AreaIndex`] → the store
//! stages the valid rows in one transaction. If any row was rejected, the transaction is rolled
//! back and every rejection is reported as `file:line: reason`; the database is unchanged.
//! Importing the assignment areas themselves re-assigns every stored point in the same
//! transaction, so the order of imports does not matter.

pub mod anonymise;
mod csv;
mod geojson;
mod parquet;
mod source;
pub mod validate;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Config, ConfigError, Layer, LayerKind};
use crate::index::AreaIndex;
use crate::spatial::Crs;
use crate::store::{queries, write, Store, StoreError};
use source::Source;
use validate::{CoordinateColumns, Validator};
pub use write::ImportMode;

/// A row that could not be imported.
#[derive(Clone, Debug, PartialEq)]
pub struct Rejection {
    pub line: usize,
    pub reason: String,
}

impl Rejection {
    pub fn new(line: usize, reason: impl Into<String>) -> Rejection {
        Rejection { line, reason: reason.into() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("{path}: column(s) {columns} look like personal identifiers; {layer} data must arrive anonymised.\n    Remove the column(s) from the file, or map them away with --field, then import again.", columns = .columns.join(", "))]
    PersonalData { path: PathBuf, layer: String, columns: Vec<String> },
    #[error("{}\nimport rejected: {} of {rows} rows in {path} are invalid; nothing was written", list_rejections(.path, .rejections), .rejections.len())]
    Rejected { path: PathBuf, rows: u64, rejections: Vec<Rejection> },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ImportError {
    fn file(path: &Path, reason: impl Into<String>) -> ImportError {
        ImportError::File { path: path.to_path_buf(), reason: reason.into() }
    }
}

fn list_rejections(path: &Path, rejections: &[Rejection]) -> String {
    let name = path.display();
    rejections.iter().map(|r| format!("{name}:{}: {}", r.line, r.reason)).collect::<Vec<_>>().join("\n")
}

/// How to read the file.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Overrides the file's declared CRS.
    pub crs: Option<Crs>,
    /// `--field name=column` overrides of the layer's mapping.
    pub fields: Vec<(String, String)>,
    /// Recorded in the import log.
    pub imported_by: String,
    /// Draw a progress bar on a terminal.
    pub progress: bool,
    /// Replace the layer or append to it; the layer kind's default when `None`
    /// ([`ImportMode::default_for`]).
    pub mode: Option<ImportMode>,
}

/// What an import did.
#[derive(Clone, Debug)]
pub struct ImportSummary {
    pub layer: String,
    pub file: PathBuf,
    pub crs: Crs,
    pub mode: ImportMode,
    pub written: write::Written,
    pub elapsed: Duration,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = &self.written;
        let secs = self.elapsed.as_secs_f64();
        let (layer, rows, replaced) = (&self.layer, w.rows, w.replaced);
        match self.mode {
            ImportMode::Replace => write!(f, "replaced layer {layer}: {replaced} rows before, {rows} now")?,
            ImportMode::Append => write!(f, "appended {rows} rows to {layer} ({replaced} of them replaced rows with the same id)")?,
        }
        write!(
            f,
            " from {} ({}); 0 rejected, {} outside every delbydel; {secs:.2} s ({:.0} rows/s)",
            self.file.display(),
            self.crs,
            w.unassigned,
            rows as f64 / secs.max(1e-9)
        )?;
        if replaced > 0 {
            write!(f, "\n    the superseded rows are kept: `bomiljo layer undo {layer}` puts them back")?;
        }
        Ok(())
    }
}

/// What [`undo_last`] did.
#[derive(Clone, Debug)]
pub struct UndoSummary {
    pub layer: String,
    pub written: write::Written,
}

impl std::fmt::Display for UndoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = &self.written;
        write!(f, "undid import {} of {}: removed its {} rows, restored {} earlier rows", w.import_id, self.layer, w.replaced, w.rows)
    }
}

/// Reverses the newest import of a layer still in effect (see [`write::undo_last`]); when the
/// layer is the assignment layer, every stored point is re-assigned in the same transaction.
pub fn undo_last(store: &mut Store, config: &Config, layer_name: &str) -> Result<Option<UndoSummary>, ImportError> {
    let layer = config.layer(layer_name)?;
    let Some(pending) = write::undo_last(store.conn_mut(), layer)? else { return Ok(None) };
    reassign_if_assignment_layer(&pending, config, layer)?;
    let written = pending.commit()?;
    Ok(Some(UndoSummary { layer: layer.name.clone(), written }))
}

fn reassign_if_assignment_layer(pending: &write::PendingImport<'_>, config: &Config, layer: &Layer) -> Result<(), ImportError> {
    if layer.name == config.project.assign_layer {
        let areas = AreaIndex::from_rows(queries::areas(pending.conn(), &layer.name)?);
        let updated = pending.reassign_points(|x, y| areas.locate(x, y).map(|a| (a.code.clone(), a.parent_code.clone())))?;
        tracing::info!(updated, "re-assigned stored points to the new {}", layer.name);
    }
    Ok(())
}

/// Imports `path` into the layer named `layer_name`; all or nothing.
pub fn import_file(store: &mut Store, config: &Config, layer_name: &str, path: &Path, options: &ImportOptions) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let layer = config.layer(layer_name)?.clone().with_field_overrides(&options.fields)?;
    let source = open(path)?;
    refuse_identifier_columns(&layer, &source, path)?;
    let areas = match layer.kind {
        LayerKind::Areas => None,
        _ => Some(AreaIndex::from_rows(queries::areas(store.conn(), &config.project.assign_layer)?)),
    };
    if areas.as_ref().is_some_and(AreaIndex::is_empty) {
        tracing::warn!(layer = %config.project.assign_layer, "no areas imported yet: points will not be assigned a delbydel");
    }
    let (crs, coordinates) = coordinates_and_crs(&layer, &source, options.crs, path)?;
    let mut validator = Validator::new(&layer, &config.project, crs, coordinates, areas.as_ref());
    let bar = progress_bar(options.progress, source.len_hint);
    let mode = options.mode.unwrap_or(ImportMode::default_for(layer.kind));
    let meta = write::ImportMeta {
        mode,
        file: path.display().to_string(),
        format: source.format,
        crs: crs.to_string(),
        imported_by: options.imported_by.clone(),
        started_at: chrono::Utc::now(),
    };
    let mut rejections = Vec::new();
    let mut rows = 0u64;
    let mut features = source.rows.filter_map(|row| {
        rows += 1;
        bar.inc(1);
        row.and_then(|r| validator.validate(r)).map_err(|r| rejections.push(r)).ok()
    });
    let pending = write::stage(store.conn_mut(), &layer, &meta, &mut features)?;
    drop(features);
    bar.finish_and_clear();
    if !rejections.is_empty() {
        drop(pending);
        return Err(ImportError::Rejected { path: path.to_path_buf(), rows, rejections });
    }
    reassign_if_assignment_layer(&pending, config, &layer)?;
    let written = pending.commit()?;
    Ok(ImportSummary { layer: layer.name.clone(), file: path.to_path_buf(), crs, mode, written, elapsed: started.elapsed() })
}

fn open(path: &Path) -> Result<Source, ImportError> {
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    match ext.as_str() {
        "geojson" | "json" => geojson::read(path),
        "csv" => csv::read(path),
        "parquet" => parquet::read(path),
        _ => Err(ImportError::file(path, format!("unknown file type '.{ext}'; bomiljo imports .geojson, .csv and .parquet"))),
    }
}

fn refuse_identifier_columns(layer: &Layer, source: &Source, path: &Path) -> Result<(), ImportError> {
    if !layer.anonymise.is_some_and(|a| a.reject_identifiers) {
        return Ok(());
    }
    let columns: Vec<String> = source.columns.iter().filter(|c| anonymise::is_identifier_column(c)).cloned().collect();
    if columns.is_empty() {
        Ok(())
    } else {
        Err(ImportError::PersonalData { path: path.to_path_buf(), layer: layer.name.clone(), columns })
    }
}

/// Decides the file's CRS (flag, then the file's own declaration, then the format's default)
/// and where its coordinates are.
fn coordinates_and_crs(layer: &Layer, source: &Source, flag: Option<Crs>, path: &Path) -> Result<(Crs, CoordinateColumns), ImportError> {
    if source.wgs84_by_default {
        return Ok((flag.or(source.declared_crs).unwrap_or(Crs::Wgs84), CoordinateColumns::Geometry));
    }
    let has = |c: &str| source.columns.iter().any(|k| k == c);
    let names = &layer.coordinates;
    if has(&names.lon) && has(&names.lat) {
        let columns = CoordinateColumns::Columns { x: names.lon.clone(), y: names.lat.clone() };
        Ok((flag.unwrap_or(Crs::Wgs84), columns))
    } else if has(&names.x) && has(&names.y) {
        let columns = CoordinateColumns::Columns { x: names.x.clone(), y: names.y.clone() };
        Ok((flag.or(layer.default_crs).unwrap_or(crate::spatial::ANALYSIS_CRS), columns))
    } else {
        Err(ImportError::file(
            path,
            format!(
                "no coordinate columns: expected '{}' and '{}' (degrees) or '{}' and '{}' (metres); found {}.\n    Rename the columns, or set [coordinates] in {}",
                names.lon,
                names.lat,
                names.x,
                names.y,
                source.columns.join(", "),
                layer.path.display()
            ),
        ))
    }
}

fn progress_bar(enabled: bool, len: Option<u64>) -> ProgressBar {
    if !enabled {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len.unwrap_or(0));
    bar.set_style(ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} rows ({per_sec}, {eta} left)").unwrap_or_else(|_| ProgressStyle::default_bar()));
    bar
}
