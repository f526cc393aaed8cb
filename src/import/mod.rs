//! Imports one file into one layer, all or nothing.
//!
//! Data flow: a format reader (`geojson`, `csv`, `parquet`) yields raw rows with line
//! numbers → [`validate::Validator`] checks each row, reprojects it to EPSG:25832, anonymises it
//! ([`anonymise`]) and assigns its delbydel and bydel through the [`AreaIndex`] → the store
//! stages the valid rows in one transaction. If any row was rejected, the transaction is rolled
//! back and every rejection is reported as `file:line: reason`; the database is unchanged.
//! Importing the assignment areas themselves re-assigns every stored point in the same
//! transaction, so the order of imports does not matter.

pub mod anonymise;
pub mod csv;
mod encoding;
mod geojson;
mod gml;
mod gpkg;
mod gtfs;
pub mod limits;
mod osm;
mod parquet;
mod pipeline;
mod shp;
mod source;
pub mod timetable;
pub mod validate;
pub mod xlsx;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::{Config, ConfigError, Layer, LayerKind};
use crate::index::AreaIndex;
use crate::spatial::Crs;
use crate::store::Database;
use crate::store::{Store, StoreError, write};
use source::Source;
use std::collections::BTreeMap;
use validate::{CoordinateColumns, LabelUse, Validator};
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
    #[error("{}\nimport rejected: {} of {rows} rows in {path} are invalid; nothing was written{}{}", list_rejections(.path, .rejections), .rejections.total, unknown_labels(.labels), units_advice(*.rows, .rejections))]
    Rejected { path: PathBuf, rows: u64, rejections: Rejections, labels: BTreeMap<String, LabelUse> },
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

fn list_rejections(path: &Path, rejections: &Rejections) -> String {
    let name = path.display();
    let mut lines: Vec<String> = rejections.listed.iter().map(|r| format!("{name}:{}: {}", r.line, r.reason)).collect();
    let more = rejections.total - rejections.listed.len() as u64;
    if more > 0 {
        lines.push(format!("... and {more} more rejected rows (only the first {} are listed)", Rejections::LISTED));
    }
    lines.join("\n")
}

/// What to do about coordinates in the wrong unit, fitted to how many rows have them: `--crs`
/// when every row does, the rows themselves when only some do (`--crs` would misplace the rest).
fn units_advice(rows: u64, rejections: &Rejections) -> String {
    let [degrees, metres] = ["look like degrees", "look like metres"].map(|s| rejections.listed.iter().filter(|r| r.reason.contains(s)).count() as u64);
    let listed = rejections.listed.len() as u64;
    let every_row = rejections.total == rows && rejections.total == listed;
    match (degrees, metres) {
        (0, 0) => String::new(),
        (n, 0) if every_row && n == listed => "\nevery row is in degrees: pass --crs EPSG:4326".into(),
        (0, n) if every_row && n == listed => "\nevery row is in metres: pass --crs EPSG:25832 (or EPSG:25833)".into(),
        _ => format!(
            "\n{} row(s) have coordinates in another unit than the rest of the file: correct those rows (a --crs for the whole file would misplace the others)",
            degrees + metres
        ),
    }
}

/// The labels no category takes, with their row counts, as a hint where to map them.
fn unknown_labels(labels: &BTreeMap<String, LabelUse>) -> String {
    let unknown: Vec<String> = labels.iter().filter(|(_, u)| u.category.is_none()).map(|(label, u)| format!("'{label}' ({} rows)", u.rows)).collect();
    if unknown.is_empty() {
        String::new()
    } else {
        format!("\nlabels that map to no category: {}; add them to [category_labels] in the layer file", unknown.join(", "))
    }
}

/// The label table of `import --dry-run`: each label, its category and its rows.
pub fn label_table(labels: &BTreeMap<String, LabelUse>) -> String {
    labels
        .iter()
        .map(|(label, u)| format!("  {label:30} -> {:16} {:>8} rows", u.category.as_deref().unwrap_or("(no category)"), u.rows))
        .collect::<Vec<_>>()
        .join("\n")
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
    /// Read and check every row, report, and write nothing.
    pub dry_run: bool,
    /// CSV separator, decimal mark and encoding, where not detected.
    pub dialect: csv::Dialect,
    /// A chrono date format for the date column (e.g. `%d/%m/%Y`).
    pub date_format: Option<String>,
    /// Accept dates after today.
    pub allow_future: bool,
    /// Repair invalid polygons instead of refusing the file.
    pub make_valid: bool,
    /// The table (GeoPackage) or sheet (Excel) to read when the file holds several.
    pub source_layer: Option<String>,
    /// Import the valid rows and write the rejected ones (line and reason) to this CSV file,
    /// instead of refusing the file: an explicit choice, never the default.
    pub keep_valid: Option<PathBuf>,
    /// Looks at the staged data before it is committed (a dry run stages it and rolls it back)
    /// and says what it will cause beyond the layer: the privacy cost of the next public release.
    pub consequences: Option<Consequences>,
}

/// `NAME=VALUE` as users write a field mapping (`date=Dato`) or a layer's file (`bydeler=FILE`).
pub fn parse_pair(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        .ok_or_else(|| format!("'{s}' is not NAME=VALUE, e.g. date=Dato"))
}

/// Whether importing into `layer_name` changes what the public release counts: incident layers
/// and the layer incidents are assigned to.
pub fn shapes_the_release(config: &Config, layer_name: &str) -> bool {
    layer_name == config.project.assign_layer || config.layer(layer_name).is_ok_and(|l| l.kind == LayerKind::Incidents)
}

/// Lines on what staged data will cause, from the transaction that holds it.
pub type Consequences = fn(&dyn Database, &Config) -> Vec<String>;

/// What an import did.
#[derive(Clone, Debug)]
pub struct ImportSummary {
    pub layer: String,
    pub file: PathBuf,
    pub crs: Crs,
    pub mode: ImportMode,
    pub written: write::Written,
    pub elapsed: Duration,
    /// Nothing was written: the rows were read and checked only.
    pub dry_run: bool,
    /// Category labels found in the file and what each maps to.
    pub labels: BTreeMap<String, LabelUse>,
    /// What was detected about the file (separator, encoding).
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
    /// What the data will cause beyond the layer ([`ImportOptions::consequences`]).
    pub consequences: Vec<String>,
    /// When the assignment layer was imported: where the stored points now lie.
    pub reassigned: Option<Reassignment>,
    /// Whether the layer's rows have a place (need surveys name their bydel instead).
    pub has_geometry: bool,
}

impl std::fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = &self.written;
        let secs = self.elapsed.as_secs_f64();
        let (layer, rows, replaced) = (&self.layer, w.rows, w.replaced);
        match (self.dry_run, self.mode) {
            (true, mode) => write!(f, "dry run: {rows} rows of {} are valid for {layer} ({} mode); nothing was written", self.file.display(), mode.as_str())?,
            (false, ImportMode::Replace) => write!(f, "replaced layer {layer}: {replaced} rows before, {rows} now from {}", self.file.display())?,
            (false, ImportMode::Append) if !self.has_geometry => {
                write!(f, "appended {rows} rows to {layer} ({replaced} earlier rows of the same survey years replaced) from {}", self.file.display())?
            }
            (false, ImportMode::Append) => {
                write!(f, "appended {rows} rows to {layer} ({replaced} of them replaced rows with the same id) from {}", self.file.display())?
            }
        }
        let notes: Vec<String> = self.has_geometry.then(|| self.crs.to_string()).into_iter().chain(self.notes.iter().cloned()).collect();
        // New areas have no "outside": what lies outside them is the stored points (below).
        let outside = if self.reassigned.is_some() || !self.has_geometry { String::new() } else { format!(", {} outside every delbydel", w.unassigned) };
        write!(f, " ({}); 0 rejected{outside}; {secs:.2} s ({:.0} rows/s)", notes.join(", "), rows as f64 / secs.max(1e-9))?;
        if !self.labels.is_empty() {
            write!(f, "\ncategory labels found:\n{}", label_table(&self.labels))?;
        }
        if let Some(reassigned) = &self.reassigned {
            write!(f, "\n{reassigned}")?;
        }
        for warning in &self.warnings {
            write!(f, "\nwarning: {warning}")?;
        }
        for line in &self.consequences {
            write!(f, "\n{line}")?;
        }
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
    /// When the assignment layer was undone: where the stored points now lie.
    pub reassigned: Option<Reassignment>,
}

impl std::fmt::Display for UndoSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let w = &self.written;
        write!(f, "undid import {} of {}: removed its {} rows, restored {} earlier rows", w.import_id, self.layer, w.replaced, w.rows)?;
        if let Some(reassigned) = &self.reassigned {
            write!(f, "\n{reassigned}")?;
            for warning in reassigned.warnings() {
                write!(f, "\nwarning: {warning}")?;
            }
        }
        Ok(())
    }
}

/// Reverses the newest import of a layer still in effect (see [`write::undo_last`]); when the
/// layer is the assignment layer, every stored point is re-assigned in the same transaction.
pub fn undo_last(store: &mut Store, config: &Config, layer_name: &str) -> Result<Option<UndoSummary>, ImportError> {
    let layer = config.layer(layer_name)?;
    let Some(pending) = write::undo_last(store, layer)? else { return Ok(None) };
    let reassigned = reassign_if_assignment_layer(&pending, config, layer)?;
    let written = pending.commit()?;
    Ok(Some(UndoSummary { layer: layer.name.clone(), written, reassigned }))
}

/// When `layer` is the layer points are assigned to, gives every stored point its area in the
/// areas as the pending transaction holds them, and says how many ended up outside every area.
fn reassign_if_assignment_layer(pending: &write::PendingImport<'_>, config: &Config, layer: &Layer) -> Result<Option<Reassignment>, ImportError> {
    if layer.name != config.project.assign_layer {
        return Ok(None);
    }
    let areas = AreaIndex::from_rows(pending.areas(&layer.name)?);
    let updated = pending.reassign_points(|x, y| areas.locate(x, y).map(|a| (a.code.clone(), a.parent_code.clone())))?;
    tracing::info!(updated, "re-assigned stored points to the new {}", layer.name);
    Ok(Some(Reassignment { areas: layer.name.clone(), outside: pending.unassigned_points()? }))
}

/// The stored points re-assigned when the areas changed (a replace, an append or an undo of
/// the assignment layer): per layer of points, how many now lie outside every area. Areas that
/// leave out part of the city would otherwise drop its incidents from every figure unseen.
#[derive(Clone, Debug, Default)]
pub struct Reassignment {
    /// The assignment layer (delbydeler).
    pub areas: String,
    /// (point layer, outside every area, stored), in layer order.
    pub outside: Vec<(String, u64, u64)>,
}

impl Reassignment {
    /// One warning per point layer with more than 5 % of its points outside every area.
    pub fn warnings(&self) -> Vec<String> {
        self.outside
            .iter()
            .filter(|(_, outside, total)| *outside as f64 > OUTSIDE_WARNING_SHARE * *total as f64)
            .map(|(layer, outside, total)| {
                format!(
                    "{outside} of {total} stored {layer} ({:.0} %) now lie outside every {}: do the new areas cover the whole municipality? `bomiljo layer undo {}` puts the previous ones back",
                    100.0 * *outside as f64 / *total as f64,
                    self.areas,
                    self.areas
                )
            })
            .collect()
    }
}

impl std::fmt::Display for Reassignment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "stored points re-assigned to the new {}; outside every area:", self.areas)?;
        if self.outside.is_empty() {
            return write!(f, " none stored");
        }
        for (layer, outside, total) in &self.outside {
            write!(f, "\n    {layer}: {outside} of {total} ({:.1} %)", 100.0 * *outside as f64 / (*total).max(1) as f64)?;
        }
        Ok(())
    }
}

/// Imports `path` into the layer named `layer_name`; all or nothing. With
/// [`ImportOptions::dry_run`] every row is read and checked but nothing is written.
pub fn import_file(store: &mut Store, config: &Config, layer_name: &str, path: &Path, options: &ImportOptions) -> Result<ImportSummary, ImportError> {
    store.with_import_memory(|store| import_with(store, config, layer_name, path, options))?
}

fn import_with(store: &mut Store, config: &Config, layer_name: &str, path: &Path, options: &ImportOptions) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let layer = config.layer(layer_name)?.clone().with_field_overrides(&options.fields)?;
    let budget = limits::Budget::from_memory_mb(config.project.limits.import_memory_mb);
    let source = open(path, &layer, options, &budget)?;
    refuse_identifier_columns(&layer, &source, path)?;
    refuse_missing_columns(&layer, &source, path)?;
    let areas = match layer.kind {
        LayerKind::Areas | LayerKind::Need => None,
        _ => Some(AreaIndex::from_rows(store.areas(&config.project.assign_layer)?)),
    };
    let mut warnings = Vec::new();
    if areas.as_ref().is_some_and(AreaIndex::is_empty) {
        warnings.push(format!("no {} imported yet: points are not assigned a delbydel until they are", config.project.assign_layer));
    }
    let (crs, coordinates) = coordinates_and_crs(&layer, &source, options.crs, path)?;
    let reading = validate::Reading {
        decimal_comma: source.decimal_comma,
        date_format: options.date_format.clone(),
        allow_future: options.allow_future,
        today: Some(chrono::Local::now().date_naive()),
    };
    let parents = match &layer.parent_layer {
        Some(parent) => store.areas(parent)?.into_iter().map(|a| (a.code, a.name)).collect(),
        None => Default::default(),
    };
    let mut validator =
        Validator::new(&layer, &config.project, crs, coordinates, areas.as_ref(), reading).with_parents(parents).with_make_valid(options.make_valid);
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
    let notes = source.notes.clone();
    // A dry run stages the rows only when their consequences are asked for (and rolls back).
    let stages = !options.dry_run || options.consequences.is_some();
    let encoder = if stages { Some(write::RowEncoder::new(store, &layer)?) } else { None };
    // Areas are keyed by id in their table: a repeat is refused before it is written.
    let ids = if layer.kind == LayerKind::Areas { pipeline::IdCheck::Each(Default::default()) } else { pipeline::IdCheck::collect(source.len_hint) };
    let keep_valid = options.keep_valid.is_some();
    let (checked, staged) = pipeline::check_in_order(
        source.rows,
        &mut validator,
        encoder.as_ref(),
        pipeline::Checks { ids, keep_valid },
        crate::parallel::cores(),
        &bar,
        |batches| {
            // A dry run only checks; a real one writes every valid row in the import's transaction.
            if stages { write::stage(store, &layer, &meta, batches).map(Some) } else { Ok(None) }
        },
    );
    let pending = staged?;
    // Rows whose id repeats cannot be set aside: both copies are already staged.
    let repeated = !checked.repeated_ids.is_empty();
    let checked = if repeated { name_repeated_ids(path, &layer, options, &budget, &validator, checked.repeated_ids)? } else { checked };
    let pipeline::Checked { rows, unassigned, rejections, .. } = checked;
    bar.finish_and_clear();
    let labels = validator.labels().clone();
    let repairs = validator.repairs();
    let set_aside = match (&options.keep_valid, rejections.total) {
        (_, 0) => None,
        // Nothing valid to keep is a refusal still (a replace would empty the layer).
        (Some(rejects), total) if !repeated && total < rows => Some(write_rejects(rejects, path, &rejections)?),
        _ => return Err(ImportError::Rejected { path: path.to_path_buf(), rows, rejections, labels }),
    };
    if rows == 0 && mode == ImportMode::Replace {
        return Err(ImportError::file(
            path,
            "the file has no data rows (only a header); nothing was imported, since replacing the layer with it would empty the layer",
        ));
    }
    if rows == 0 {
        warnings.push("the file has no data rows (only a header); nothing was added".into());
    }
    let mut consequences = Vec::new();
    let mut reassigned = None;
    let written = match pending {
        Some(pending) if rows > 0 => {
            reassigned = reassign_if_assignment_layer(&pending, config, &layer)?;
            if let Some(consequences_of) = options.consequences {
                consequences = consequences_of(&pending, config);
            }
            if options.dry_run {
                // Dropped: the transaction rolls back and nothing is written.
                write::Written { rows, unassigned, ..write::Written::default() }
            } else {
                pending.commit()?
            }
        }
        // Nothing to add: the empty transaction rolls back when dropped.
        Some(_) if !options.dry_run => write::Written::default(),
        _ => write::Written { rows, unassigned, ..write::Written::default() },
    };
    warnings.extend(repairs);
    warnings.extend(set_aside);
    warnings.extend(reassigned.iter().flat_map(Reassignment::warnings));
    if layer.kind != LayerKind::Areas && areas.as_ref().is_some_and(|a| !a.is_empty()) {
        warnings.extend(outside_warning(written.unassigned, rows, crs, &config.project.assign_layer));
    }
    Ok(ImportSummary {
        layer: layer.name.clone(),
        file: path.to_path_buf(),
        crs,
        mode,
        written,
        elapsed: started.elapsed(),
        dry_run: options.dry_run,
        labels,
        notes,
        warnings,
        consequences,
        reassigned,
        has_geometry: layer.has_geometry(),
    })
}

/// Writes every rejected row (line, reason) to `rejects` as CSV; the warning that says so.
fn write_rejects(rejects: &Path, path: &Path, rejections: &Rejections) -> Result<String, ImportError> {
    let all = rejections.all.as_deref().unwrap_or(&rejections.listed);
    let mut writer = ::csv::Writer::from_path(rejects).map_err(|e| ImportError::file(rejects, format!("writing the rejected rows: {e}")))?;
    let write =
        |writer: &mut ::csv::Writer<std::fs::File>, record: [&str; 3]| writer.write_record(record).map_err(|e| ImportError::file(rejects, e.to_string()));
    write(&mut writer, ["file", "line", "reason"])?;
    let file = path.display().to_string();
    for r in all {
        write(&mut writer, [&file, &r.line.to_string(), &r.reason])?;
    }
    writer.flush().map_err(|e| ImportError::file(rejects, e.to_string()))?;
    Ok(format!("{} rejected rows were set aside, not imported: each with its line and reason in {}", rejections.total, rejects.display()))
}

/// Reads the file once more to name the rows whose id repeats an earlier row's (line and id),
/// when the first pass found repeated ids; returns everything that second pass found, since it
/// checks every row again.
fn name_repeated_ids(
    path: &Path,
    layer: &Layer,
    options: &ImportOptions,
    budget: &limits::Budget,
    validator: &Validator<'_>,
    repeated: std::collections::HashSet<u64, pipeline::IdHashBuilder>,
) -> Result<pipeline::Checked, ImportError> {
    let source = open(path, layer, options, budget)?;
    let mut fork = validator.fork();
    let ids = pipeline::IdCheck::name(repeated);
    let (checked, _) = pipeline::check_in_order(
        source.rows,
        &mut fork,
        None,
        pipeline::Checks { ids, keep_valid: false },
        crate::parallel::cores(),
        &ProgressBar::hidden(),
        |_| Ok::<(), ()>(()),
    );
    if checked.rejections.total == 0 {
        // The first reading found repeated ids and this one none: the file changed meanwhile.
        return Err(ImportError::file(
            path,
            "the file changed while it was being imported (repeated ids found, then not); nothing was written; import it again",
        ));
    }
    Ok(checked)
}

/// Share of points outside every area above which an import warns: Oslo's files put a few
/// points in Marka or the fjord; a fifth outside means a wrong CRS or another municipality.
pub const OUTSIDE_WARNING_SHARE: f64 = 0.05;

fn outside_warning(outside: u64, rows: u64, crs: Crs, assign_layer: &str) -> Option<String> {
    let share = outside as f64 / rows.max(1) as f64;
    (share > OUTSIDE_WARNING_SHARE).then(|| {
        format!(
            "{outside} of {rows} points ({:.0} %) lie outside every {assign_layer}: is the CRS right ({crs}; try --crs), does the file cover more than the municipality, or are the {assign_layer} incomplete?",
            share * 100.0
        )
    })
}

/// The rejected rows of an import: the first [`Rejections::LISTED`] in full, and a count (and,
/// when the valid rows are kept, every rejection, for the rejects file).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rejections {
    pub listed: Vec<Rejection>,
    pub total: u64,
    /// Every rejection, kept only for [`ImportOptions::keep_valid`].
    pub all: Option<Vec<Rejection>>,
}

impl Rejections {
    /// A file of junk would otherwise print millions of lines.
    pub const LISTED: usize = 100;

    fn push(&mut self, rejection: Rejection) {
        self.total += 1;
        if let Some(all) = &mut self.all {
            all.push(rejection.clone());
        }
        if self.listed.len() < Self::LISTED {
            self.listed.push(rejection);
        }
    }
}

fn open(path: &Path, layer: &Layer, options: &ImportOptions, budget: &limits::Budget) -> Result<Source, ImportError> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
        return Err(ImportError::file(path, "the file is empty; nothing was imported"));
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
    match ext.as_str() {
        "geojson" | "json" => geojson::read(path),
        "csv" | "txt" | "tsv" => csv::read(path, options.dialect),
        "parquet" => parquet::read(path),
        "gpkg" => gpkg::read(path, options.source_layer.as_deref(), options.crs, budget),
        "shp" => shp::read(path, options.dialect.encoding, options.crs, budget),
        "gml" => gml::read(path, layer.geometry, options.source_layer.as_deref()),
        "xlsx" | "xlsm" | "xls" | "ods" => xlsx::read(path, options.source_layer.as_deref(), budget),
        "zip" => gtfs::read(path, budget),
        "pbf" if layer.geometry == crate::config::GeometryType::Line => osm::read_lines(path, layer),
        "pbf" => osm::read(path, &layer.osm_tags, &layer.name),
        _ => Err(ImportError::file(path, unsupported(&ext, path))),
    }
}

/// What to do with a file type bomiljo does not read: the `ogr2ogr` (GDAL) command that turns
/// it into one it does.
fn unsupported(ext: &str, path: &Path) -> String {
    let convert = match ext {
        "sos" | "sosi" => Some("SOSI"),
        "gdb" => Some("File Geodatabase"),
        "kml" | "kmz" => Some("KML"),
        "tab" | "mif" => Some("MapInfo"),
        "dxf" | "dwg" => Some("CAD"),
        _ => None,
    };
    let supported = "bomiljo imports .geojson, .csv, .parquet, .gpkg, .shp, .gml, .xlsx, GTFS .zip and .osm.pbf";
    match convert {
        Some(format) => {
            let converted = path.with_extension("gpkg");
            format!(
                "{format} files are not read directly; convert with GDAL first:\n    ogr2ogr -f GPKG {} {} -t_srs EPSG:25832\n    then import {} ({supported})",
                converted.display(),
                path.display(),
                converted.display()
            )
        }
        None => format!("unknown file type '.{ext}'; {supported}"),
    }
}

fn refuse_identifier_columns(layer: &Layer, source: &Source, path: &Path) -> Result<(), ImportError> {
    if !layer.anonymise.is_some_and(|a| a.reject_identifiers) {
        return Ok(());
    }
    let columns: Vec<String> = source.columns.iter().filter(|c| anonymise::is_identifier_column(c)).cloned().collect();
    if columns.is_empty() { Ok(()) } else { Err(ImportError::PersonalData { path: path.to_path_buf(), layer: layer.name.clone(), columns }) }
}

/// A required column that no row of the file has is one error naming the file's columns and
/// the `--field` that maps one, not a rejection per row.
fn refuse_missing_columns(layer: &Layer, source: &Source, path: &Path) -> Result<(), ImportError> {
    if source.columns.is_empty() {
        return Ok(());
    }
    let missing: Vec<&crate::config::FieldMapping> =
        layer.fields.iter().filter(|m| m.required && m.default.is_none() && !source.columns.contains(&m.column)).collect();
    let Some(first) = missing.first() else { return Ok(()) };
    let lines: Vec<String> = missing
        .iter()
        .map(|m| format!("no column '{}' for {}{}", m.column, m.name, crate::config::suggest(&m.column, source.columns.iter().map(String::as_str))))
        .collect();
    Err(ImportError::file(
        path,
        format!(
            "{}; the file's columns are: {}.\n    Map one with --field {}=COLUMN (on the page: choose its column in the import form), or set [fields] in {}",
            lines.join("; "),
            source.columns.join(", "),
            first.name,
            layer.path.display()
        ),
    ))
}

/// Columns SSB uses for 250 m grid ids in its grid statistics.
const SSB_ID_COLUMNS: &[&str] = &["ru250m", "RUTEID", "ruteid", "SSBid250m", "ssbid250m", "SSBID"];

/// Decides the file's CRS (flag, then the file's own declaration, then the format's default)
/// and where its coordinates are.
fn coordinates_and_crs(layer: &Layer, source: &Source, flag: Option<Crs>, path: &Path) -> Result<(Crs, CoordinateColumns), ImportError> {
    if layer.geometry == crate::config::GeometryType::None {
        return Ok((crate::spatial::ANALYSIS_CRS, CoordinateColumns::None));
    }
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
    } else if let Some(column) = SSB_ID_COLUMNS.iter().find(|c| has(c)) {
        // SSB grid statistics name each cell by id; its square follows from the id.
        Ok((Crs::Utm33, CoordinateColumns::SsbCell { column: column.to_string() }))
    } else {
        Err(ImportError::file(
            path,
            format!(
                "no coordinate columns: expected '{}' and '{}' (degrees) or '{}' and '{}' (metres); found {}.\n    Map them with --field x=COLUMN --field y=COLUMN or lon=/lat= (on the page: choose the columns in the import form), or set [coordinates] in {}",
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
