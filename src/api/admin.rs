//! Administration over HTTP (admin role): tokens and the audit log. Lets an operator manage
//! tokens while the server holds the database.

use axum::{
    Json,
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{ApiError, AppState, access::Internal};
use crate::privacy::Role;
use crate::store::Database;
use crate::store::{audit, tokens};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// Newest events, 1-100000 (default 1000).
    limit: Option<usize>,
    /// `json` (default) or `csv`.
    format: Option<super::measurement::TableFormat>,
}

/// `GET /api/admin/audit?limit=&format=csv`.
pub async fn audit_log(admin: Internal, Query(q): Query<AuditQuery>) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(1000).clamp(1, 100_000);
    let events = admin.store.run(move |db| db.audit_events(limit)).await?;
    Ok(match q.format.unwrap_or_default() {
        super::measurement::TableFormat::Csv => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], audit::to_csv(&events)).into_response(),
        _ => Json(events).into_response(),
    })
}

/// `GET /api/admin/tokens`: names, roles and dates; never secrets.
pub async fn list_tokens(admin: Internal) -> Result<Json<Vec<tokens::TokenInfo>>, ApiError> {
    Ok(Json(admin.store.run(|db| db.tokens()).await?))
}

/// `GET /api/admin/release`: the current public release: version, budget, accuracy per level,
/// and the budget spent per source-year (rounds of measurement).
pub async fn release(State(state): State<AppState>, _admin: Internal) -> Json<ReleaseBudget> {
    let release = std::sync::Arc::clone(&state.derived().release);
    Json(ReleaseBudget {
        version: release.version,
        built_at: release.built_at.clone(),
        budget: release.settings.budget,
        levels: release.settings.levels.clone(),
        years: release.settings.years.clone(),
        privacy: release.privacy(),
        accuracy_nb: release.accuracy_nb(),
        accuracy_en: release.accuracy_en(),
    })
}

/// The current release as its administrator sees it ([`release`]).
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct ReleaseBudget {
    version: i64,
    built_at: String,
    /// The privacy budget and its split between levels.
    budget: crate::release::Budget,
    levels: Vec<crate::release::LevelAccuracy>,
    /// First and last year released per source.
    years: std::collections::BTreeMap<String, (i32, i32)>,
    privacy: crate::release::PrivacySpent,
    accuracy_nb: String,
    accuracy_en: String,
}

/// Where a backup goes.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BackupRequest {
    /// A new folder in the server's backup folder (`BOMILJO_BACKUP_DIR`, default `backups/`
    /// beside the database): its name, or its absolute path there.
    out: std::path::PathBuf,
}

/// The folder the server writes backups into: `BOMILJO_BACKUP_DIR`, or `backups/` beside the
/// database. A backup holds everything (person keys, the release's secret), so the server writes
/// nowhere else, whoever asks.
fn backup_root(state: &AppState) -> std::path::PathBuf {
    let root = std::env::var_os("BOMILJO_BACKUP_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| state.data.path().parent().unwrap_or(std::path::Path::new(".")).join("backups"));
    std::path::absolute(&root).unwrap_or(root)
}

/// The backup folder a request names, if it is a new folder right in the backup root.
fn backup_target(root: &std::path::Path, out: &std::path::Path) -> Result<std::path::PathBuf, ApiError> {
    let outside = || ApiError::BadRequest(format!("out = '{}': backups go into a new folder in {} (give its name)", out.display(), root.display()));
    let name = match out.is_absolute() {
        true => out.strip_prefix(root).map_err(|_| outside())?.to_path_buf(),
        false => out.to_path_buf(),
    };
    let mut parts = name.components();
    match (parts.next(), parts.next()) {
        (Some(std::path::Component::Normal(one)), None) => Ok(root.join(one)),
        _ => Err(outside()),
    }
}

/// A backup taken.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct BackupTaken {
    out: String,
    manifest: crate::store::backup::Manifest,
    seconds: f64,
}

/// `POST /api/admin/backup` `{out}`: the whole database, as one commit left it, into `out` (see
/// [`crate::store::backup`]), on a connection of its own while the server goes on answering.
pub async fn backup(State(state): State<AppState>, admin: Internal, Json(req): Json<BackupRequest>) -> Result<Json<BackupTaken>, ApiError> {
    let out = backup_target(&backup_root(&state), &req.out)?;
    if !crate::store::backup::is_new_folder(&out) {
        return Err(ApiError::BadRequest(format!("{} is not empty: a backup goes into a new folder", out.display())));
    }
    let actor = admin.caller.token_name.clone().unwrap_or_default();
    let started = std::time::Instant::now();
    let served = state.clone();
    let target = out.clone();
    let manifest = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let store = served.data.store_for_import()?;
        let manifest = store.backup(&target)?;
        store.audit(&actor, "admin", "backup", &target.display().to_string(), Some(manifest.rows()))?;
        Ok(manifest)
    })
    .await
    .map_err(ApiError::task("backup"))??;
    Ok(Json(BackupTaken { out: out.display().to_string(), manifest, seconds: started.elapsed().as_secs_f64() }))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct NewToken {
    /// A name to list and revoke the token by.
    name: String,
    /// `public`, `analyst` or `admin`.
    role: Role,
    /// Days until it expires (never when absent).
    days: Option<u32>,
}

/// A new token: its secret is in this answer and nowhere else.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct CreatedToken {
    name: String,
    role: Role,
    /// The secret, shown once.
    token: String,
}

/// How many tokens a revocation ended.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Revoked {
    revoked: usize,
}

/// `POST /api/admin/tokens` `{name, role, days?}`: the secret, shown once.
pub async fn create_token(admin: Internal, Json(req): Json<NewToken>) -> Result<Json<CreatedToken>, ApiError> {
    if req.name.trim().is_empty() || req.name.len() > 100 {
        return Err(ApiError::BadRequest("name must be 1-100 characters".into()));
    }
    let actor = admin.caller.token_name.clone().unwrap_or_default();
    let (name, role) = (req.name.clone(), req.role);
    let secret = admin
        .store
        .run(move |db| {
            let secret = db.create_token(&name, role, req.days)?;
            db.audit(&actor, "admin", "token", &format!("create {name} ({role:?})"), None)?;
            Ok(secret)
        })
        .await?;
    Ok(Json(CreatedToken { name: req.name, role: req.role, token: secret }))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Revoke {
    /// Every active token with this name is revoked.
    name: String,
}

/// `POST /api/admin/tokens/revoke` `{name}`.
pub async fn revoke_token(admin: Internal, Json(req): Json<Revoke>) -> Result<Json<Revoked>, ApiError> {
    let actor = admin.caller.token_name.clone().unwrap_or_default();
    let name = req.name.clone();
    let revoked = admin
        .store
        .run(move |db| {
            let n = db.revoke_token(&name)?;
            db.audit(&actor, "admin", "token", &format!("revoke {name}"), Some(n as i64))?;
            Ok(n)
        })
        .await?;
    if revoked == 0 {
        return Err(ApiError::NotFound(format!("no active token named '{}'", req.name)));
    }
    Ok(Json(Revoked { revoked }))
}

/// The longest an upload may pause between two pieces of the file.
const UPLOAD_STALL: std::time::Duration = std::time::Duration::from_secs(30);

/// The largest file an import over HTTP takes (2 GiB: ten years of a city's incidents as CSV).
pub const MAX_UPLOAD_BYTES: u64 = 2 << 30;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    /// The file's name as on the sender's disk: its extension says the format (`police.csv`,
    /// `skoler.geojson`, `oslo.osm.pbf`), and rejections name it (`police.csv:12: ...`).
    filename: String,
    /// `replace` or `append` (the layer's default when absent).
    mode: Option<crate::store::write::ImportMode>,
    /// Read and check every row and write nothing.
    #[serde(default)]
    dry_run: bool,
    /// The file's CRS, over what it says (`EPSG:25833`).
    crs: Option<String>,
    /// Columns for fields, as `bomiljo import --field`: `date=Dato,x=Øst`.
    fields: Option<String>,
    /// Date format of the date column, e.g. `%d/%m/%Y`.
    date_format: Option<String>,
    /// CSV separator: one character or `tab` (detected when absent).
    delimiter: Option<String>,
    /// Decimal mark: `comma` or `point` (detected when absent).
    decimal: Option<String>,
    /// Text encoding: `utf-8` or `windows-1252` (detected when absent).
    encoding: Option<String>,
    /// The GeoPackage table, Excel sheet or GML feature type to read.
    source_layer: Option<String>,
    /// Repair invalid polygons instead of refusing the file.
    #[serde(default)]
    make_valid: bool,
    /// Accept dates after today.
    #[serde(default)]
    allow_future: bool,
    /// Import the valid rows and set the refused ones aside (listed in the answer's `set_aside`),
    /// as `bomiljo import --keep-valid --rejects FILE`; never the default.
    #[serde(default)]
    keep_valid: bool,
}

/// Rows set aside an answer lists at most (the count says how many there were).
const MAX_SET_ASIDE_LISTED: usize = 10_000;

impl ImportQuery {
    /// The reading options, as the CLI's flags give them; 400 naming a malformed one.
    fn reading(&self) -> Result<crate::import::ImportOptions, ApiError> {
        fn bad(name: &'static str) -> impl Fn(String) -> ApiError {
            move |e| ApiError::BadRequest(format!("{name}: {e}"))
        }
        let fields = match &self.fields {
            Some(list) => list.split(',').map(crate::import::parse_pair).collect::<Result<_, _>>().map_err(bad("fields"))?,
            None => Vec::new(),
        };
        Ok(crate::import::ImportOptions {
            crs: self.crs.as_deref().map(|c| crate::spatial::Crs::parse(c).map_err(|e| ApiError::BadRequest(format!("crs = '{c}': {e}")))).transpose()?,
            fields,
            dialect: crate::import::csv::Dialect {
                delimiter: self.delimiter.as_deref().map(crate::import::csv::parse_delimiter).transpose().map_err(bad("delimiter"))?,
                decimal_comma: self.decimal.as_deref().map(crate::import::csv::parse_decimal).transpose().map_err(bad("decimal"))?,
                encoding: self.encoding.as_deref().map(str::parse).transpose().map_err(bad("encoding"))?,
            },
            date_format: self.date_format.clone(),
            allow_future: self.allow_future,
            make_valid: self.make_valid,
            source_layer: self.source_layer.clone(),
            dry_run: self.dry_run,
            ..Default::default()
        })
    }
}

/// `POST /api/admin/import/{layer}?filename=&mode=&dry_run=&crs=` with the file as the body:
/// the same all-or-nothing import as `bomiljo import`, in one transaction on a connection of its
/// own while the server goes on answering from the data as it was; when it commits, the release,
/// the indexes and the siting context are derived afresh and swapped in whole. 422 with every
/// rejected row as `file:line: reason`; 409 while another import runs.
pub async fn import(
    State(state): State<AppState>,
    admin: Internal,
    axum::extract::Path(layer): axum::extract::Path<String>,
    Query(q): Query<ImportQuery>,
    body: axum::body::Body,
) -> Result<Json<Imported>, ApiError> {
    let config = std::sync::Arc::clone(&state.config);
    config.layer(&layer).map_err(|e| ApiError::NotFound(e.to_string()))?;
    let name = std::path::Path::new(&q.filename)
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| !n.is_empty() && !n.starts_with('.') && n.len() <= 200 && !n.chars().any(char::is_control))
        .map(str::to_string);
    let name = name.ok_or_else(|| {
        let shown: String = q.filename.chars().take(80).map(|c| if c.is_control() { '?' } else { c }).collect();
        ApiError::BadRequest(format!("filename = '{shown}' is not a file name of at most 200 characters (e.g. politi_2024.csv)"))
    })?;
    let mode = q.mode;
    let reading = q.reading()?;
    // The file arrives before the import lock is taken: a slow or stalled upload holds up no
    // other import.
    let folder = tempfile::tempdir().map_err(|e| ApiError::Internal(format!("a folder for the upload: {e}")))?;
    let path = folder.path().join(&name);
    receive(body, &path).await?;
    let Ok(_one_at_a_time) = state.importing.try_lock() else {
        return Err(ApiError::Conflict("another import is running; send this one when it has finished".into()));
    };
    let actor = admin.caller.token_name.clone().unwrap_or_default();
    let consequences = crate::import::shapes_the_release(&config, &layer).then_some(crate::release::cost_lines as crate::import::Consequences);
    let rejects = folder.path().join("set-aside.csv");
    let keep_valid = q.keep_valid.then(|| rejects.clone());
    let options = crate::import::ImportOptions { imported_by: format!("api:{actor}"), mode, consequences, keep_valid, ..reading };
    let served = state.clone();
    let file_name = name.clone();
    let outcome = tokio::task::spawn_blocking(move || -> Result<Result<crate::import::ImportSummary, crate::import::ImportError>, ApiError> {
        let mut store = served.data.store_for_import()?;
        let summary = match crate::import::import_file(&mut store, &config, &layer, &path, &options) {
            Ok(summary) => summary,
            Err(rejected) => return Ok(Err(rejected)),
        };
        if !summary.dry_run {
            store.audit(&actor, "admin", "import", &format!("{layer} <- {name} (http)"), Some(summary.written.rows as i64))?;
            let derived = super::Derived::build(&config, &mut store, (&format!("api:{actor}"), "admin"))
                .map_err(|e| ApiError::Internal(format!("deriving the served data after the import: {e}")))?;
            served.replace_derived(derived);
        }
        Ok(Ok(summary))
    })
    .await
    .map_err(ApiError::task("import"))??;
    let local = |text: String| text.replace(&format!("{}/", folder.path().display()), "");
    match outcome {
        Ok(summary) => Ok(Json(Imported {
            report: local(summary.to_string()),
            layer: summary.layer,
            dry_run: summary.dry_run,
            mode: summary.mode,
            rows: summary.written.rows,
            replaced: summary.written.replaced,
            unassigned: summary.written.unassigned,
            seconds: summary.elapsed.as_secs_f64(),
            release: state.derived().release.version,
            warnings: summary.warnings,
            privacy: summary.consequences,
            outside_areas: summary.reassigned.map(|r| r.outside.into_iter().map(|(layer, outside, stored)| OutsideAreas { layer, outside, stored }).collect()),
            set_aside: set_aside(&rejects, &file_name),
        })),
        Err(e @ (crate::import::ImportError::Rejected { .. } | crate::import::ImportError::File { .. } | crate::import::ImportError::PersonalData { .. })) => {
            Err(ApiError::Unprocessable(local(e.to_string())))
        }
        Err(other) => Err(ApiError::BadRequest(local(other.to_string()))),
    }
}

/// What an import over HTTP did.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Imported {
    layer: String,
    /// Nothing was written: the rows were read and checked only.
    dry_run: bool,
    mode: crate::store::write::ImportMode,
    /// Rows written (or valid, in a dry run).
    rows: u64,
    /// Earlier rows this import superseded.
    replaced: u64,
    /// Rows outside every delbydel.
    unassigned: u64,
    seconds: f64,
    /// The public release after the import.
    release: i64,
    /// The import's report as the command line prints it.
    report: String,
    warnings: Vec<String>,
    /// What the data will cost the release's privacy budget.
    privacy: Vec<String>,
    /// When the delbydeler were imported: per layer of points, how many now lie outside every area.
    outside_areas: Option<Vec<OutsideAreas>>,
    /// The rows a `keep_valid` import set aside (null when none were).
    set_aside: Option<SetAside>,
}

/// Stored points of one layer outside every area.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct OutsideAreas {
    layer: String,
    outside: u64,
    stored: u64,
}

/// The rows a `keep_valid` import set aside.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct SetAside {
    total: usize,
    /// At most [`MAX_SET_ASIDE_LISTED`] rows.
    rows: Vec<Rejected>,
}

/// A row set aside, with where and why.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Rejected {
    file: String,
    line: Option<u64>,
    reason: Option<String>,
}

/// The rows a `keep_valid` import set aside, from its rejects file; none when none were.
fn set_aside(rejects: &std::path::Path, name: &str) -> Option<SetAside> {
    let mut reader = ::csv::Reader::from_path(rejects).ok()?;
    let records: Vec<::csv::StringRecord> = reader.records().filter_map(Result::ok).collect();
    let rows = records
        .iter()
        .take(MAX_SET_ASIDE_LISTED)
        .map(|r| Rejected { file: name.to_string(), line: r.get(1).and_then(|l| l.parse::<u64>().ok()), reason: r.get(2).map(str::to_string) })
        .collect();
    Some(SetAside { total: records.len(), rows })
}

/// Streams a request body to a file, refusing more than [`MAX_UPLOAD_BYTES`].
async fn receive(body: axum::body::Body, path: &std::path::Path) -> Result<(), ApiError> {
    use http_body_util::BodyExt;
    use tokio::io::AsyncWriteExt;
    let mut file = tokio::fs::File::create(path).await.map_err(|e| ApiError::Internal(format!("{}: {e}", path.display())))?;
    let mut body = body;
    let mut received = 0u64;
    loop {
        // An upload may be long, but not silent: a client that stops sending is let go.
        let Ok(next) = tokio::time::timeout(UPLOAD_STALL, body.frame()).await else {
            return Err(ApiError::RequestTimeout(format!("the upload stalled: nothing arrived for {} s; send the file again", UPLOAD_STALL.as_secs())));
        };
        let Some(frame) = next else { break };
        let frame = frame.map_err(|e| ApiError::BadRequest(format!("reading the upload: {e}")))?;
        let Ok(chunk) = frame.into_data() else { continue };
        received += chunk.len() as u64;
        if received > MAX_UPLOAD_BYTES {
            return Err(ApiError::BadRequest(format!("the file is larger than {} GiB; split it (imports append by id)", MAX_UPLOAD_BYTES >> 30)));
        }
        file.write_all(&chunk).await.map_err(|e| ApiError::Internal(format!("{}: {e}", path.display())))?;
    }
    file.flush().await.map_err(|e| ApiError::Internal(format!("{}: {e}", path.display())))
}
