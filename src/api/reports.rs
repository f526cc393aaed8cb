//! `GET /api/reports/dialogue.pdf`: the neighbour-dialogue fact sheet. Public material: the
//! report applies the public policy whoever asks.

use std::sync::Arc;

use axum::{
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::report::{ReportError, dialogue};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DialogueQuery {
    /// Latitude of the planned site (WGS84).
    lat: f64,
    /// Longitude of the planned site (WGS84).
    lon: f64,
    /// Radius of the area described, 100-2000 m (default 500).
    radius: Option<f64>,
    /// The kind of housing, in neutral words (default: the group's housing type, in the sheet's
    /// language).
    housing_type: Option<String>,
    /// Matrix group 1-8 of the planned housing: names its housing type and quotes its distances.
    group: Option<u8>,
    /// `nb` (default) or `en`.
    lang: Option<dialogue::Lang>,
}

pub async fn dialogue(State(state): State<AppState>, caller: super::auth::Caller, Query(q): Query<DialogueQuery>) -> Result<Response, ApiError> {
    let (x, y) = state.config.project.site_from_lonlat(crate::spatial::LonLat { lon: q.lon, lat: q.lat }).map_err(ApiError::BadRequest)?;
    let lang = q.lang.unwrap_or(dialogue::Lang::Nb);
    let derived = state.derived();
    derived.coverage.site(x, y).map_err(ApiError::BadRequest)?;
    let rules = match q.group {
        Some(group) => Some(derived.siting.group(group)?.clone()),
        None => None,
    };
    let housing_type = dialogue::housing_type(q.housing_type.as_deref(), rules.as_ref(), lang);
    if housing_type.chars().count() > 120 {
        return Err(ApiError::BadRequest("housing_type is longer than 120 characters".into()));
    }
    let staff_base_area = rules.as_ref().is_some_and(|g| g.measures_staff_base());
    let params = dialogue::DialogueParams { x, y, radius_m: q.radius.unwrap_or(500.0), housing_type, group: q.group, staff_base_area, lang };
    let actor = caller.token_name.clone().unwrap_or_default();
    let (caller_is_staff, role) = (caller.token_name.is_some(), format!("{:?}", caller.role).to_lowercase());
    let target = format!("dialogue {},{} r={}", q.lat, q.lon, params.radius_m);
    // Public material whoever asks: built from the public view only.
    let public = super::access::public_view(&state, caller);
    let (config, geography, index) = (Arc::clone(&state.config), Arc::clone(&derived.geography), Arc::clone(&derived.reference));
    let siting = Arc::clone(&derived.siting);
    let pdf = tokio::task::spawn_blocking(move || {
        let (travel, rules) = (siting.travel(), Some(siting.rules()));
        dialogue::render(&dialogue::Sources { config: &config, release: &public.release, geography: &geography, index: &index, travel, rules }, &params)
    })
    .await
    .map_err(ApiError::task("report"))?
    .map_err(|e| match e {
        ReportError::Measure(crate::measurement::MeasureError::BadParameter(m)) => ApiError::BadRequest(m),
        ReportError::Store(s) | ReportError::Measure(crate::measurement::MeasureError::Store(s)) => ApiError::Store(s),
        other => ApiError::BadRequest(other.to_string()),
    })?;
    // Staff requests are audited; a public request writes nothing (and where a member of the
    // public looked is nobody's record).
    if caller_is_staff {
        state.data.audit(actor, role, "report", target, Some(pdf.len() as i64)).await?;
    }
    Ok(([(header::CONTENT_TYPE, "application/pdf"), (header::CONTENT_DISPOSITION, "inline; filename=\"nabodialog.pdf\"")], pdf).into_response())
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AnnualQuery {
    /// The year reported.
    year: i32,
    /// `public` (default: the report anyone may read and share, from the release) or `analyst`
    /// (every count, from the incidents; analysts and admins only).
    role: Option<crate::privacy::Role>,
    /// Also each bydel as PDF.
    #[serde(default)]
    pdf: bool,
}

/// The files of one annual report by name (`index.html`, `bydel-XX.html`, `bydel-XX.pdf`).
pub type ReportFiles = std::collections::BTreeMap<String, Vec<u8>>;

/// `GET /api/reports/annual?year=&role=&pdf=`: the annual report as a zip of the files
/// `bomiljo report annual` writes (index.html, bydel-XX.html and .pdf). The public report is
/// anyone's (post-processing of the release, written once per release and year); the analyst
/// report is for staff and audited.
pub async fn annual(State(state): State<AppState>, view: super::access::View, Query(q): Query<AnnualQuery>) -> Result<Response, ApiError> {
    use crate::privacy::Role;
    let files = match (q.role.unwrap_or(Role::Public), view) {
        (Role::Public, view) => {
            let files = public_annual(&state, q.year).await?;
            if let Some(actor) = view.caller().token_name.clone() {
                state.data.audit(actor, "public".into(), "report", format!("annual {} (http)", q.year), None).await?;
            }
            files
        }
        (_, super::access::View::Internal(staff)) => Arc::new(analyst_annual(&state, staff, q.year, q.pdf).await?),
        (_, super::access::View::Public(public)) => return Err(public.caller.refused(Role::Analyst)),
    };
    // The PDFs when asked for, as `report annual --pdf` writes them.
    let files: ReportFiles = files.iter().filter(|(name, _)| q.pdf || !name.ends_with(".pdf")).map(|(n, b)| (n.clone(), b.clone())).collect();
    let zipped = zip_files(&files).map_err(|e| ApiError::Internal(format!("zipping the annual report: {e}")))?;
    let disposition = format!("attachment; filename=\"annual-{}.zip\"", q.year);
    Ok(([(header::CONTENT_TYPE, "application/zip".to_string()), (header::CONTENT_DISPOSITION, disposition)], zipped).into_response())
}

/// `GET /api/reports/annual/{year}/{file}`: one file of a year's public annual report, so the
/// page can link a bydel's report (`bydel-03.pdf`) and the report's own links work.
pub async fn annual_file(State(state): State<AppState>, Path((year, file)): Path<(i32, String)>) -> Result<Response, ApiError> {
    let files = public_annual(&state, year).await?;
    let Some(bytes) = files.get(&file) else {
        let names = files.keys().map(String::as_str);
        return Err(ApiError::NotFound(format!("the annual report {year} has no file '{file}'{}", crate::config::suggest(&file, names))));
    };
    let kind = if file.ends_with(".pdf") { "application/pdf" } else { "text/html; charset=utf-8" };
    let disposition = format!("inline; filename=\"bomiljo-{year}-{file}\"");
    Ok(([(header::CONTENT_TYPE, kind.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes.clone()).into_response())
}

/// A year's public annual report with PDFs, from the served release only; computed once per
/// release and year (at most one per year the release holds).
async fn public_annual(state: &AppState, year: i32) -> Result<Arc<ReportFiles>, ApiError> {
    let derived = state.derived();
    let release = Arc::clone(&derived.release);
    match release.years(None) {
        Some((first, last)) if (first..=last).contains(&year) => {}
        Some((first, last)) => return Err(ApiError::BadRequest(format!("year = {year}: the release holds {first}-{last}"))),
        None => return Err(ApiError::NotFound("the release holds no year yet: import incidents first".into())),
    }
    let (config, geography, need) = (Arc::clone(&state.config), Arc::clone(&derived.geography), derived.need());
    let policy = crate::privacy::Policy::new(crate::privacy::Role::Public, config.project.min_count);
    derived
        .report_cache
        .get_or_compute(&year.to_string(), || async move {
            tokio::task::spawn_blocking(move || {
                let incidents = crate::measurement::Incidents::Released(&release);
                write_annual(|dir| crate::report::annual::write(&geography, &need, incidents, &release, &config, year, &policy, dir, true)).map(Arc::new)
            })
            .await
            .map_err(ApiError::task("annual report"))?
        })
        .await
}

/// The analyst's annual report from the incidents (staff only, audited).
async fn analyst_annual(state: &AppState, staff: super::access::Internal, year: i32, pdf: bool) -> Result<ReportFiles, ApiError> {
    let derived = state.derived();
    let (config, geography, release) = (Arc::clone(&state.config), Arc::clone(&derived.geography), Arc::clone(&derived.release));
    let need = derived.need();
    let policy = crate::privacy::Policy::new(crate::privacy::Role::Analyst, config.project.min_count);
    let files = staff
        .store
        .run(move |db| {
            let incidents = crate::measurement::Incidents::Raw(db);
            Ok(write_annual(|dir| crate::report::annual::write(&geography, &need, incidents, &release, &config, year, &policy, dir, pdf)))
        })
        .await??;
    let actor = staff.caller.token_name.clone().unwrap_or_default();
    let size = files.values().map(Vec::len).sum::<usize>();
    state.data.audit(actor, "analyst".into(), "report", format!("annual {year} (http)"), Some(size as i64)).await?;
    Ok(files)
}

/// Runs a report writer in a temporary folder and returns what it wrote, by file name.
fn write_annual(write: impl FnOnce(&std::path::Path) -> Result<Vec<std::path::PathBuf>, ReportError>) -> Result<ReportFiles, ApiError> {
    let dir = tempfile::tempdir().map_err(|e| ApiError::Internal(format!("a temporary folder for the annual report: {e}")))?;
    let written = write(dir.path()).map_err(|e| match e {
        ReportError::Measure(crate::measurement::MeasureError::BadParameter(m)) => ApiError::BadRequest(m),
        other => ApiError::Internal(other.to_string()),
    })?;
    let mut files = ReportFiles::new();
    for path in written {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file").to_string();
        let bytes = std::fs::read(&path).map_err(|e| ApiError::Internal(format!("reading {}: {e}", path.display())))?;
        files.insert(name, bytes);
    }
    Ok(files)
}

/// The files in a zip archive, by their names.
fn zip_files(files: &ReportFiles) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(name.as_str(), options).map_err(std::io::Error::other)?;
        zip.write_all(bytes)?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}
