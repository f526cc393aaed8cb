//! `GET /api/health` and `GET /api/layers`: what the service is and holds.

use axum::{Json, extract::State};
use serde::Serialize;

use super::{ApiError, AppState, access::View, auth::Caller};
use crate::config::{GeometryType, LayerKind, Visibility};

/// `GET /api/health`: liveness, schema version, and whether configuration files were edited
/// since the server started (they apply only after a restart: `restart_needed` lists them).
pub async fn health(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    let schema_version = state.data.schema_version().await?;
    let restart_needed = state.config_changed();
    if !restart_needed.is_empty() {
        tracing::warn!(files = ?restart_needed, "configuration files changed since the server started; restart it to use them");
    }
    Ok(Json(Health { status: "ok", schema_version, version: env!("CARGO_PKG_VERSION"), restart_needed }))
}

/// `GET /api/health/live`: the process answers (no database call): a liveness probe restarts
/// the container when this fails.
pub async fn live() -> Json<Probe> {
    Json(Probe { status: "alive", release: None })
}

/// `GET /api/health/ready`: the store answers and the served snapshot is built (its release
/// version): a readiness probe sends traffic only then.
pub async fn ready(State(state): State<AppState>) -> Result<Json<Probe>, ApiError> {
    state.data.schema_version().await?;
    Ok(Json(Probe { status: "ready", release: Some(state.derived().release.version) }))
}

/// A probe's answer.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Probe {
    status: &'static str,
    /// The served release (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    release: Option<i64>,
}

/// `GET /api/health`'s answer.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Health {
    /// `ok` once the store answers.
    status: &'static str,
    schema_version: i64,
    /// bomiljo's version.
    version: &'static str,
    /// Configuration files edited since the server started (they apply after a restart).
    restart_needed: Vec<String>,
}

/// `GET /api/whoami`'s answer.
#[derive(Serialize, schemars::JsonSchema)]
pub struct WhoAmI {
    role: crate::privacy::Role,
    /// The token's name, or the signed-in person's; none for the public.
    token: Option<String>,
    /// Counts under k are shown as "<k" to this caller.
    k: u32,
    /// Whether staff can sign in here with OpenID Connect (`/auth/login`).
    sign_in: bool,
    /// Whether the caller is signed in with a session (signs out with `POST /auth/logout`).
    session: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct LayerInfo {
    name: String,
    title: Titles,
    kind: LayerKind,
    geometry: GeometryType,
    visibility: Visibility,
    source: Option<String>,
    /// Feature count; null for the public role on internal layers (incident totals are in the
    /// release, not here).
    features: Option<i64>,
    /// The columns a file for this layer is read from (what the page's import maps a file's
    /// own columns to); staff only, empty for the public.
    columns: Vec<ColumnInfo>,
}

/// A field the import reads and the column it reads it from unless told otherwise.
#[derive(Serialize, schemars::JsonSchema)]
struct ColumnInfo {
    field: String,
    column: String,
    /// A file without this column (and no default) is refused.
    required: bool,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Titles {
    nb: String,
    en: String,
}

/// `GET /api/layers`: every configured layer with its feature count (public reference layers
/// only for the public role).
pub async fn layers(State(state): State<AppState>, view: View) -> Result<Json<Vec<LayerInfo>>, ApiError> {
    let counts = match &view {
        View::Public(public) => public.reference.layer_counts(&state.config).await?,
        View::Internal(internal) => internal.store.layer_counts().await?,
    };
    Ok(Json(
        state
            .config
            .layers
            .iter()
            .map(|l| LayerInfo {
                name: l.name.clone(),
                title: Titles { nb: l.title_nb.clone(), en: l.title_en.clone() },
                kind: l.kind,
                geometry: l.geometry,
                visibility: l.visibility,
                source: l.source.clone(),
                features: counts.get(&l.name).copied().or_else(|| matches!(view, View::Internal(_)).then_some(0)),
                // The columns files are read from matter to staff who import (none to the public).
                columns: if matches!(view, View::Internal(_)) { columns(l) } else { Vec::new() },
            })
            .collect(),
    ))
}

/// `GET /api/release`: what the public release is: its version, its accuracy in plain words,
/// the budget per level, the years per source, the delbydeler and categories it covers, the
/// one public before/after result, and the privacy spent per source-year (ρ and ε).
pub async fn release(State(state): State<AppState>) -> Json<ReleaseAbout> {
    let release = std::sync::Arc::clone(&state.derived().release);
    let settings = &release.settings;
    Json(ReleaseAbout {
        release: release.version,
        built_at: release.built_at.clone(),
        accuracy_nb: release.accuracy_nb(),
        accuracy_en: release.accuracy_en(),
        levels: settings.levels.clone(),
        rho_per_source_year: settings.budget.rho_per_source_year,
        years: settings.years.clone(),
        categories: settings.categories.clone(),
        before_after: settings.before_after.clone(),
        figures_csv: format!("/api/release/{}/figures.csv", release.version),
        feed: "/api/release/feed.atom",
        privacy: release.privacy(),
    })
}

/// The public release described ([`release`]).
#[derive(Serialize, schemars::JsonSchema)]
pub struct ReleaseAbout {
    /// The release version (0: nothing released yet).
    release: i64,
    built_at: String,
    /// How accurate the released figures are, in plain words.
    accuracy_nb: String,
    accuracy_en: String,
    /// The noise of each level and the ± that holds in 95 of 100 cases.
    levels: Vec<crate::release::LevelAccuracy>,
    rho_per_source_year: f64,
    /// First and last year released per source.
    years: std::collections::BTreeMap<String, (i32, i32)>,
    /// The categories released per source.
    categories: std::collections::BTreeMap<String, Vec<String>>,
    /// The one public before/after result.
    before_after: crate::release::PublicBeforeAfter,
    /// Every released figure of this version as CSV.
    figures_csv: String,
    /// An Atom feed of the releases.
    feed: &'static str,
    privacy: crate::release::PrivacySpent,
}

/// `GET /api/map`: the base map the page draws under the data.
pub async fn map(State(state): State<AppState>) -> Json<crate::config::project::Basemap> {
    Json(state.config.project.basemap.clone())
}

/// `GET /fonts/{file}`: DejaVu Sans for the map's labels (MapLibre's `font-faces`), served from
/// the binary, so labels need no glyph server.
pub async fn font(axum::extract::Path(file): axum::extract::Path<String>) -> Result<axum::response::Response, super::ApiError> {
    use axum::response::IntoResponse;
    let bytes: &'static [u8] = match file.as_str() {
        "DejaVuSans.ttf" => dejavu::sans::regular(),
        "DejaVuSans-Bold.ttf" => dejavu::sans::bold(),
        other => return Err(super::ApiError::NotFound(format!("no font '{other}'; the page uses DejaVuSans.ttf and DejaVuSans-Bold.ttf"))),
    };
    Ok(([(axum::http::header::CONTENT_TYPE, "font/ttf"), (axum::http::header::CACHE_CONTROL, "public, max-age=86400")], bytes).into_response())
}

/// `GET /api/whoami`: the caller's role (public without a token or a session).
pub async fn whoami(State(state): State<AppState>, headers: axum::http::HeaderMap, caller: Caller) -> Json<WhoAmI> {
    let session = super::auth::bearer_token(&headers).is_none() && caller.token_name.is_some();
    Json(WhoAmI { role: caller.role, token: caller.token_name, k: caller.policy.k, sign_in: state.signin.is_some(), session })
}

/// The fields of a layer's files with their columns, then the coordinate columns of tabular files.
fn columns(layer: &crate::config::Layer) -> Vec<ColumnInfo> {
    let fields = layer.fields.iter().map(|f| ColumnInfo { field: f.name.to_string(), column: f.column.clone(), required: f.required && f.default.is_none() });
    let tabular = matches!(layer.geometry, GeometryType::Point);
    let coordinates = [("x", &layer.coordinates.x), ("y", &layer.coordinates.y)].into_iter().filter(|_| tabular).map(|(field, column)| ColumnInfo {
        field: field.to_string(),
        column: column.clone(),
        required: false,
    });
    fields.chain(coordinates).collect()
}
