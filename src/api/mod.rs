//! The HTTP server: an axum [`Router`] over the store and the spatial index, plus the map page
//! from `web/`. Handlers stay thin (extract, call the core, respond); one [`ApiError`] maps
//! failures to status codes and short JSON messages.

pub mod access;
mod addresses;
mod admin;
mod areas;
pub mod auth;
mod cache;
pub mod connections;
pub mod costly;
mod downloads;
mod error;
mod features;
mod limits;
pub(crate) mod links;
mod measurement;
mod meta;
mod mvt;
mod need;
mod reports;
pub mod routes;
mod scenarios;
pub mod server;
pub mod signin;
mod siting;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use tower_http::{services::ServeDir, trace::TraceLayer};

pub use error::ApiError;
pub use server::{serve, serve_listener};

use crate::config::Config;
use crate::snapshot::Snapshot;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("cannot listen on {addr}: {source}\n    Is another bomiljo (or another server) using the port? Stop it or pass --port.")]
    Bind { addr: SocketAddr, source: std::io::Error },
    #[error("server failed: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("siting rules: {0}")]
    Siting(#[from] crate::siting::SitingError),
    #[error(transparent)]
    Snapshot(#[from] crate::snapshot::SnapshotError),
    #[error("public release: {0}")]
    Release(#[from] crate::release::ReleaseError),
    #[error("staff sign-in: {0}")]
    SignIn(String),
}

/// What every handler can reach. Data is behind [`access::DataAccess`]: handlers ask for an
/// [`access::View`] and get the release or the store according to the caller's role.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    data: access::DataAccess,
    /// Everything derived from the data, swapped whole after an import while serving.
    derived: Arc<std::sync::RwLock<Arc<Derived>>>,
    /// Held while an import runs: one at a time.
    importing: Arc<tokio::sync::Mutex<()>>,
    limiter: Arc<limits::RateLimiter>,
    /// Costly public computations running per client.
    costly: Arc<costly::Costly>,
    /// The configuration files as the server read them (see [`Config::file_times`]).
    config_files: Arc<std::collections::BTreeMap<std::path::PathBuf, Option<std::time::SystemTime>>>,
    metrics: Arc<limits::Metrics>,
    /// The minute each token was last recorded as used (the audit log notes use once a minute).
    token_use: Arc<Mutex<HashMap<String, u64>>>,
    /// Staff sign-in with OpenID Connect, when configured ([`signin`]).
    signin: Option<Arc<signin::SignIn>>,
}

/// What the server serves from: the [`Snapshot`] of the data (release, indexes, geography,
/// siting context, need) and the caches of answers computed from it. Built at start-up and again
/// after an import while serving, then swapped whole, so a request reads one version from start
/// to end and no cache outlives the data it was computed from.
pub struct Derived {
    snapshot: Snapshot,
    /// `GET /api/areas`, rendered once per version.
    areas_geojson: axum::body::Bytes,
    /// Heat surfaces by their parameters and role class, so tiles do not recompute the density.
    heat_cache: cache::Cache<Arc<crate::measurement::HeatSurface>>,
    /// Rendered heat tiles by parameters, role class and tile address.
    tile_cache: cache::Cache<axum::body::Bytes>,
    surface_cache: cache::Cache<Arc<crate::siting::Surface>>,
    /// Public spatial statistics by route and query: computed once per release and parameters.
    answer_cache: cache::Cache<Arc<serde_json::Value>>,
    /// The public annual report of a year, its files by name: written once per release and year.
    report_cache: cache::Cache<Arc<reports::ReportFiles>>,
    /// Each release's figures as CSV, by version.
    download_cache: cache::Cache<axum::body::Bytes>,
}

/// A served version reads as its snapshot (`derived.geography`, `derived.need()`), with the
/// caches beside it.
impl std::ops::Deref for Derived {
    type Target = Snapshot;

    fn deref(&self) -> &Snapshot {
        &self.snapshot
    }
}

impl Derived {
    /// Brings the public release up to date (`publisher`, a name and an audit role, builds one if
    /// the data changed), then builds the snapshot from the store.
    pub fn build(config: &Config, store: &mut Store, (name, role): (&str, &str)) -> Result<Derived, ServeError> {
        let release = crate::release::current(store, config, name, role)?;
        let snapshot = Snapshot::build(config, store, release)?;
        let areas_geojson = areas::feature_collection(config, &snapshot.reference, &snapshot.geography)?;
        Ok(Derived {
            snapshot,
            areas_geojson: axum::body::Bytes::from(areas_geojson),
            heat_cache: cache::Cache::new(16),
            tile_cache: cache::Cache::new(4096),
            surface_cache: cache::Cache::new(16),
            answer_cache: cache::Cache::new(256),
            report_cache: cache::Cache::new(32),
            download_cache: cache::Cache::new(4),
        })
    }
}

impl AppState {
    /// Derives everything from the store and holds it for serving.
    pub fn new(config: Config, mut store: Store) -> Result<AppState, ServeError> {
        let derived = Derived::build(&config, &mut store, ("bomiljo serve (start)", "system"))?;
        let limiter = Arc::new(limits::RateLimiter::new(&config.project.limits));
        let signin = signin::Settings::from_env().map_err(ServeError::SignIn)?.map(|settings| Arc::new(signin::SignIn::new(settings)));
        Ok(AppState {
            signin,
            config_files: Arc::new(config.file_times()),
            config: Arc::new(config),
            data: access::DataAccess::new(store.into_shared()),
            derived: Arc::new(std::sync::RwLock::new(Arc::new(derived))),
            importing: Arc::default(),
            limiter,
            costly: Arc::default(),
            metrics: Arc::default(),
            token_use: Arc::default(),
        })
    }

    /// Configuration files edited, added or removed since the server read them: they take
    /// effect only after a restart.
    pub fn config_changed(&self) -> Vec<String> {
        let now = self.config.file_times();
        // Named relative to the configuration folder: a public route shows no server paths.
        let shown = |p: &std::path::PathBuf| p.strip_prefix(&self.config.dir).unwrap_or(p).display().to_string();
        let mut changed: Vec<String> = now.iter().filter(|(path, time)| self.config_files.get(*path) != Some(time)).map(|(p, _)| shown(p)).collect();
        changed.extend(self.config_files.keys().filter(|p| !now.contains_key(*p)).map(shown));
        changed
    }

    /// Database calls made while serving: an output the snapshot holds makes none (tested for
    /// vector tiles and neighbour sheets), and `/metrics` shows the count.
    pub fn store_calls(&self) -> u64 {
        self.data.runs()
    }

    /// The current version of everything derived from the data.
    pub fn derived(&self) -> Arc<Derived> {
        Arc::clone(&self.derived.read().unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Serves a new version from the next request on; requests under way keep theirs.
    fn replace_derived(&self, derived: Derived) {
        *self.derived.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(derived);
    }

    /// Records a token's use in the audit log, once a minute per token, without delaying the
    /// request.
    pub(crate) fn note_token_use(&self, name: &str, role: crate::privacy::Role, path: &str) {
        let minute = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() / 60);
        let fresh = self.token_use.lock().unwrap_or_else(|p| p.into_inner()).insert(name.to_string(), minute) != Some(minute);
        if fresh {
            let (data, name, path, role) = (self.data.clone(), name.to_string(), path.to_string(), format!("{role:?}").to_lowercase());
            tokio::spawn(async move {
                if let Err(e) = data.audit(name, role, "request", path, None).await {
                    tracing::warn!(error = %e, "could not record token use");
                }
            });
        }
    }
}

/// Every route of [`routes::ROUTES`], each behind its role check, plus the static web files.
pub fn router(state: AppState) -> Router {
    use axum::middleware::{from_fn, from_fn_with_state};
    let web = ServeDir::new(state.config.dir.join("web"));
    let limits = state.config.project.limits;
    let mut router = Router::new();
    for route in routes::ROUTES {
        let guard = from_fn_with_state((state.clone(), route.role), routes::require_role);
        let mut handler = (route.handler)().route_layer(guard);
        if route.timed {
            handler = handler.route_layer(from_fn_with_state(state.clone(), limits::timeout));
        }
        if matches!(route.answer, routes::Answer::GeoJson) {
            handler = handler.route_layer(axum::middleware::map_response(geojson_content_type));
        }
        router = router.route(route.path, handler);
    }
    router
        .fallback_service(web)
        .layer(axum::extract::DefaultBodyLimit::max(limits.max_body_bytes))
        .layer(from_fn_with_state(state.clone(), limits::rate_limit))
        .layer(from_fn(limits::json_errors))
        .layer(from_fn_with_state(state.clone(), limits::record_metrics))
        .layer(from_fn_with_state(state.clone(), release_header))
        .layer(from_fn(etags))
        // gzip for clients that ask (the map page's scripts, GeoJSON, vector tiles): outside the
        // ETags, which are weak for that reason (one tag for either encoding of the same answer).
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(from_fn(cache_control))
        .layer(from_fn(limits::http_limits))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// A route documented as GeoJSON answers `application/geo+json` (RFC 7946), whichever way its
/// handler built the body; errors stay `application/json`.
async fn geojson_content_type(mut response: axum::response::Response) -> axum::response::Response {
    let json = axum::http::HeaderValue::from_static("application/json");
    if response.status().is_success() && response.headers().get(axum::http::header::CONTENT_TYPE) == Some(&json) {
        response.headers_mut().insert(axum::http::header::CONTENT_TYPE, axum::http::HeaderValue::from_static("application/geo+json"));
    }
    response
}

/// How long browsers keep the page's libraries and fonts without asking (they change only with
/// an upgrade of bomiljo); everything else is asked for again and answered 304 when unchanged.
const STATIC_MAX_AGE_S: u32 = 86_400;

/// `Cache-Control` for what a browser may keep: the vendored libraries and fonts for a day, the
/// page's own files and every answer revalidated by their ETag (`no-cache`).
async fn cache_control(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let lasting = ["/vendor/", "/fonts/"].iter().any(|p| request.uri().path().starts_with(p));
    let mut response = next.run(request).await;
    if response.status().is_success() && !response.headers().contains_key(header::CACHE_CONTROL) {
        let value = if lasting { format!("public, max-age={STATIC_MAX_AGE_S}") } else { "no-cache".to_string() };
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(header::CACHE_CONTROL, value);
        }
    }
    response
}

/// Largest answer given an ETag (bodies are hashed whole; the city's GeoTIFF is a few MB).
const MAX_ETAG_BODY: u64 = 64 << 20;

/// Answers to GET carry an ETag, a hash of their body, and a client that sends it back in
/// `If-None-Match` gets 304 Not Modified without the body: maps, QGIS and GDAL ask for the same
/// tiles and layers again and again, and what is public changes only with a new release.
async fn etags(request: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    use axum::body::HttpBody as _;
    use axum::http::{HeaderValue, StatusCode, header};
    use std::hash::{BuildHasher, Hasher};
    let get = request.method() == axum::http::Method::GET;
    let asked = request.headers().get(header::IF_NONE_MATCH).cloned();
    let response = next.run(request).await;
    let small = response.body().size_hint().upper().is_some_and(|n| n <= MAX_ETAG_BODY);
    if !get || response.status() != StatusCode::OK || !small || response.headers().contains_key(header::ETAG) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_ETAG_BODY as usize).await else {
        return axum::response::IntoResponse::into_response(ApiError::Internal("reading an answer to tag it".into()));
    };
    // A fast 128-bit hash (two seeds): an ETag guards against serving stale bytes, not against
    // forgery, and SHA-256 of the city's GeoJSON on every request cut /api/areas from 1,932 to 1,197 req/s.
    let half = |seed: u64| {
        let mut hasher = foldhash::quality::FixedState::with_seed(seed).build_hasher();
        hasher.write(&bytes);
        hasher.finish()
    };
    let opaque = format!("\"{:016x}{:016x}\"", half(0x626f_6d69), half(0x6c6a_6f00));
    // Weak: the same answer may travel gzipped or not, and If-None-Match compares weakly.
    let tag = format!("W/{opaque}");
    let matches =
        asked.as_ref().and_then(|v| v.to_str().ok()).is_some_and(|v| v.split(',').any(|t| t.trim().trim_start_matches("W/") == opaque || t.trim() == "*"));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        parts.headers.insert(header::ETAG, value);
    }
    if matches {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        return axum::response::Response::from_parts(parts, axum::body::Body::empty());
    }
    axum::response::Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Every answer names the release its public figures come from (`X-Bomiljo-Release`).
async fn release_header(
    axum::extract::State(state): axum::extract::State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    response.headers_mut().insert("x-bomiljo-release", axum::http::HeaderValue::from(state.derived().release.version));
    response
}

/// The row of a tile path (`4766.png`, `4766.mvt`) checked against its zoom and column: 404
/// for a wrong extension, 400 for a tile outside the zoom level.
/// A tile's row with its extension, as in `.../{y}.png`.
#[derive(Clone, Copy, Debug)]
pub struct TileRow {
    pub y: u32,
    pub ext: TileFormat,
}

/// The formats tiles are served in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TileFormat {
    Png,
    Mvt,
}

impl<'de> serde::Deserialize<'de> for TileRow {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<TileRow, D::Error> {
        let text = String::deserialize(d)?;
        let (y, ext) = text.split_once('.').ok_or_else(|| serde::de::Error::custom("tiles are {z}/{x}/{y}.png or .mvt"))?;
        let ext = match ext {
            "png" => TileFormat::Png,
            "mvt" => TileFormat::Mvt,
            other => return Err(serde::de::Error::custom(format!("no .{other} tiles: .png or .mvt"))),
        };
        Ok(TileRow { y: y.parse().map_err(|_| serde::de::Error::custom(format!("tile row '{y}' is not a number")))?, ext })
    }
}

/// `{z}/{x}/{y}.ext` of an XYZ tile, as the router hands it over.
#[derive(Clone, Copy, Debug, serde::Deserialize)]
pub struct TilePath {
    pub z: u32,
    pub x: u32,
    pub y: TileRow,
}

impl TilePath {
    /// The tile, if it exists and is asked for in `format`.
    fn checked(self, format: TileFormat) -> Result<crate::render::tile::TileId, ApiError> {
        let TilePath { z, x, y: TileRow { y, ext } } = self;
        if ext != format {
            return Err(ApiError::NotFound(format!("these tiles are {{z}}/{{x}}/{{y}}.{}", if format == TileFormat::Png { "png" } else { "mvt" })));
        }
        crate::render::tile::TileId::new(z, x, y).ok_or_else(|| ApiError::BadRequest(format!("tile {z}/{x}/{y} does not exist")))
    }
}

/// The key of a tile in the tile cache (which is per data version): what is drawn, with which
/// parameters, for which class of caller, and where.
fn tile_key(what: &str, params: &impl serde::Serialize, tile: crate::render::tile::TileId, internal: bool) -> String {
    let crate::render::tile::TileId { z, x, y } = tile;
    format!("{what}|{}|{z}/{x}/{y}|{internal}", serde_json::to_string(params).unwrap_or_default())
}

/// How long a public tile may be kept without asking again: a tile is a function of the data
/// version, its parameters and its address, and the data change only by import.
const PUBLIC_TILE_MAX_AGE_S: u32 = 300;

/// Every tile's answer (heat and suitability PNG, vector tiles): its type, kept for
/// [`PUBLIC_TILE_MAX_AGE_S`] by anyone when public, never by a shared cache when it holds staff
/// data, and varying with the caller's token. The ETag (a hash of the bytes) is added on the way
/// out, so a client asks again with If-None-Match and gets 304.
fn tile_answer(content_type: &'static str, bytes: axum::body::Bytes, internal: bool) -> axum::response::Response {
    use axum::response::IntoResponse;
    let cache = if internal { "private, no-cache".to_string() } else { format!("public, max-age={PUBLIC_TILE_MAX_AGE_S}") };
    use axum::http::header;
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CACHE_CONTROL, cache), (header::VARY, "Authorization".to_string())], bytes).into_response()
}

/// A grid cell's square (EPSG:25832 bounds) as a closed WGS84 ring for GeoJSON.
fn cell_ring_wgs84([x0, y0, x1, y1]: [f64; 4], to_wgs84: &crate::spatial::Transformer) -> Option<Vec<[f64; 2]>> {
    [(x0, y0), (x1, y0), (x1, y1), (x0, y1), (x0, y0)].into_iter().map(|(x, y)| to_wgs84.apply(x, y).ok().map(|(a, b)| [a, b])).collect()
}
