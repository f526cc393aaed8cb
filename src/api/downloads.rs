//! The release as files: every published version's figures as one CSV, and an Atom feed of the
//! releases, so a statistics office, a journalist or a script can take the whole release and
//! learn when a new one is out (as SSB's and police.uk's bulk downloads and feeds).

use std::fmt::Write as _;
use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};

use super::{ApiError, AppState, auth::Caller, links::BaseUrl};
use crate::release::Release;
use crate::report::svg::escape;

/// `GET /api/release/{version}/figures.csv`: every figure of a published release (the served
/// one or an earlier one): source, year, level, unit, detail, the estimate, its standard error
/// and its 95 % interval as the page shows it. Written once per version.
pub async fn figures(State(state): State<AppState>, caller: Caller, Path(version): Path<i64>) -> Result<Response, ApiError> {
    let public = super::access::public_view(&state, caller);
    let derived = state.derived();
    let served = Arc::clone(&derived.release);
    let csv = derived
        .download_cache
        .get_or_compute(&version.to_string(), || async move {
            let release = if served.version == version {
                served
            } else {
                let Some(earlier) = public.reference.release(version).await? else {
                    return Err(ApiError::NotFound(format!("there is no release {version}; the newest is {} (see /api/release/feed.atom)", served.version)));
                };
                Arc::new(earlier)
            };
            tokio::task::spawn_blocking(move || axum::body::Bytes::from(figures_csv(&release))).await.map_err(ApiError::task("the release download"))
        })
        .await?;
    let disposition = format!("attachment; filename=\"bomiljo-utgivelse-{version}.csv\"");
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], csv).into_response())
}

/// The CSV of a release's figures.
fn figures_csv(release: &Release) -> String {
    let mut csv = String::from("release,source,year,level,unit,detail,estimate,standard_error,low,high\n");
    for (source, year, level, unit, detail, figure) in release.figures() {
        let (low, high) = figure.interval();
        writeln!(csv, "{},{source},{year},{level},{unit},{},{:.2},{:.3},{low},{high}", release.version, quoted(&detail), figure.estimate, figure.sd()).ok();
    }
    csv
}

/// A CSV field, quoted when it holds a comma or a quote (category names are data).
fn quoted(text: &str) -> String {
    if text.contains([',', '"', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

/// `GET /api/release/feed.atom`: every published release, newest first (RFC 4287), each with a
/// link to its figures and the source-years it measured anew.
pub async fn feed(State(state): State<AppState>, caller: Caller, base: BaseUrl) -> Result<Response, ApiError> {
    let public = super::access::public_view(&state, caller);
    let published = public.reference.published().await?;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"nb\">\n");
    let updated = published.first().map_or_else(|| "1970-01-01T00:00:00Z".to_string(), |p| rfc3339(&p.built_at));
    writeln!(xml, "<title>bomiljø: offentlige utgivelser</title>\n<id>{}</id>\n<updated>{updated}</updated>", escape(&base.join("/api/release/feed.atom")))
        .ok();
    writeln!(xml, "<link rel=\"self\" href=\"{}\"/>\n<author><name>bomiljø</name></author>", escape(&base.join("/api/release/feed.atom"))).ok();
    for p in &published {
        let csv = base.join(&format!("/api/release/{}/figures.csv", p.version));
        let measured: Vec<String> = p.measured.iter().map(|(source, year, round)| format!("{source} {year} (måling {round})")).collect();
        let summary = if measured.is_empty() {
            "Ingen nye målinger: de samme tallene som utgivelsen før, utgitt på nytt.".to_string()
        } else {
            format!("Nye målinger: {}.", measured.join(", "))
        };
        writeln!(
            xml,
            "<entry>\n<title>Offentlig utgivelse nr. {v}</title>\n<id>{id}</id>\n<updated>{t}</updated>\n<link rel=\"alternate\" type=\"text/csv\" href=\"{csv}\"/>\n<summary>{s}</summary>\n</entry>",
            v = p.version,
            id = escape(&base.join(&format!("/api/release/{}", p.version))),
            t = rfc3339(&p.built_at),
            csv = escape(&csv),
            s = escape(&summary),
        )
        .ok();
    }
    xml.push_str("</feed>\n");
    Ok(([(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")], xml).into_response())
}

/// DuckDB's `2026-12-07 17:31:04.186631` (UTC, the database's clock) as RFC 3339.
fn rfc3339(timestamp: &str) -> String {
    let seconds = timestamp.split('.').next().unwrap_or(timestamp);
    format!("{}Z", seconds.replacen(' ', "T", 1))
}
