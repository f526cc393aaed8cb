//! `GET /api/reports/dialogue.pdf`: the neighbour-dialogue fact sheet. Public material: the
//! report applies the public policy whoever asks.

use std::sync::Arc;

use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use super::{ApiError, AppState};
use crate::report::{dialogue, ReportError};

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
    let (x, y) = state.config.project.site_from_lonlat(q.lon, q.lat).map_err(ApiError::BadRequest)?;
    let lang = q.lang.unwrap_or(dialogue::Lang::Nb);
    let derived = state.derived();
    derived.coverage.site(x, y).map_err(ApiError::BadRequest)?;
    let rules = match (q.group, &derived.siting) {
        (Some(group), Some(siting)) => Some(siting.group(group)?.clone()),
        _ => None,
    };
    let housing_type = dialogue::housing_type(q.housing_type.as_deref(), rules.as_ref(), lang);
    if housing_type.chars().count() > 120 {
        return Err(ApiError::BadRequest("housing_type is longer than 120 characters".into()));
    }
    let params = dialogue::DialogueParams { x, y, radius_m: q.radius.unwrap_or(500.0), housing_type, group: q.group, lang };
    let actor = caller.token_name.clone().unwrap_or_default();
    let (caller_is_staff, role) = (caller.token_name.is_some(), format!("{:?}", caller.role).to_lowercase());
    let target = format!("dialogue {},{} r={}", q.lat, q.lon, params.radius_m);
    // Public material whoever asks: built from the public view only.
    let public = super::access::public_view(&state, caller);
    let (config, geography, index) = (Arc::clone(&state.config), Arc::clone(&derived.geography), Arc::clone(&derived.reference));
    let siting = derived.siting.clone();
    let pdf = tokio::task::spawn_blocking(move || {
        let travel = siting.as_ref().and_then(|s| s.travel());
        dialogue::render(&dialogue::Sources { config: &config, release: &public.release, geography: &geography, index: &index, travel }, &params)
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
    /// `public` (default: a report that can be shared, from the release) or `analyst` (every
    /// count, from the incidents).
    role: Option<String>,
    /// Also each bydel as PDF.
    #[serde(default)]
    pdf: bool,
}

/// `GET /api/reports/annual?year=&role=&pdf=`: the annual report as a zip of the files
/// `bomiljo report annual` writes (index.html, bydel-XX.html and .pdf), made by the server that
/// holds the database: staff only, audited.
pub async fn annual(State(state): State<AppState>, staff: super::access::Internal, Query(q): Query<AnnualQuery>) -> Result<Response, ApiError> {
    let role = match q.role.as_deref() {
        None | Some("public") => crate::privacy::Role::Public,
        Some("analyst") => crate::privacy::Role::Analyst,
        Some(other) => return Err(ApiError::BadRequest(format!("role = '{other}': public or analyst"))),
    };
    let policy = crate::privacy::Policy::new(role, state.config.project.min_count);
    let (config, release) = (Arc::clone(&state.config), Arc::clone(&state.derived().release));
    let (year, pdf) = (q.year, q.pdf);
    let zipped = staff
        .store
        .run(move |conn| {
            Ok((|| -> Result<Vec<u8>, ReportError> {
                let dir = tempfile::tempdir().map_err(|source| ReportError::Write { path: std::env::temp_dir(), source })?;
                let files = crate::report::annual::write(conn, &release, &config, year, &policy, dir.path(), pdf)?;
                zip_files(&files).map_err(|source| ReportError::Write { path: dir.path().to_path_buf(), source })
            })())
        })
        .await?
        .map_err(|e| match e {
            ReportError::Measure(crate::measurement::MeasureError::BadParameter(m)) => ApiError::BadRequest(m),
            other => ApiError::Internal(other.to_string()),
        })?;
    let actor = staff.caller.token_name.clone().unwrap_or_default();
    state.data.audit(actor, format!("{role:?}").to_lowercase(), "report", format!("annual {year} (http)"), Some(zipped.len() as i64)).await?;
    let disposition = format!("attachment; filename=\"annual-{year}.zip\"");
    Ok(([(header::CONTENT_TYPE, "application/zip".to_string()), (header::CONTENT_DISPOSITION, disposition)], zipped).into_response())
}

/// The files in a zip archive, by their names.
fn zip_files(files: &[std::path::PathBuf]) -> std::io::Result<Vec<u8>> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for file in files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("file");
        zip.start_file(name, options).map_err(std::io::Error::other)?;
        zip.write_all(&std::fs::read(file)?)?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}
