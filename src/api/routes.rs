//! The route table: every HTTP route once, with its method, the role it needs, its handler,
//! and the Rust types of its parameters, body and answer. The router is mounted from it, one
//! middleware enforces its roles, and `/api/openapi.json` is generated from it: parameter and
//! response schemas come from the types (`schemars`, with the types' doc comments as
//! descriptions), so the contract cannot drift from the code. `docs/openapi.json` is the
//! committed snapshot (a test fails when they differ).

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
    routing::{MethodRouter, delete, get, post},
};
use schemars::{JsonSchema, Schema, SchemaGenerator, generate::Contract, generate::SchemaSettings};
use serde_json::{Map, Value, json};

use super::{ApiError, AppState, addresses, admin, areas, auth::Caller, downloads, features, limits, measurement, meta, mvt, need, reports, scenarios, siting};
use crate::privacy::Role;

/// A path parameter (`{code}`, `{z}`).
pub struct Param {
    pub name: &'static str,
    pub kind: &'static str,
    pub doc: &'static str,
}

const fn path(name: &'static str, kind: &'static str, doc: &'static str) -> Param {
    Param { name, kind, doc }
}

/// The schema of a Rust type, from a generator.
type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

/// An answer's schema: a reference into `components` (transformed for OpenAPI 3.0 when the
/// definitions are taken).
fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// A query's or body's schema, inline and transformed for OpenAPI 3.0.
fn input<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let mut schema = generator.root_schema_for::<T>();
    schema.remove("$schema");
    schema
}

/// What a route answers with on success.
#[derive(Clone, Copy)]
pub enum Answer {
    /// JSON of a Rust type.
    Json(SchemaFn),
    /// JSON of a Rust type, or CSV with `format=csv`.
    JsonOrCsv(SchemaFn),
    /// A redirect (303) elsewhere: (where to).
    Redirect(&'static str),
    /// Nothing (204).
    NoContent,
    /// A JSON document whose schema a standard defines: (what it is, the standard's address).
    JsonDocument(&'static str, &'static str),
    GeoJson,
    Png,
    /// A Cloud-Optimized GeoTIFF.
    GeoTiff,
    Mvt,
    Pdf,
    Html,
    /// A PDF or an HTML page, by the file asked for.
    PdfOrHtml,
    Text,
    /// A TrueType font.
    Font,
    /// A zip archive of files.
    Zip,
    Csv,
    /// An Atom feed (RFC 4287).
    Atom,
}

/// One route.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The least role that may call it.
    pub role: Role,
    pub handler: fn() -> MethodRouter<AppState>,
    pub path_params: &'static [Param],
    /// The type its query string deserialises into.
    pub query: Option<SchemaFn>,
    /// The type of its JSON body (POST).
    pub body: Option<SchemaFn>,
    pub answer: Answer,
    /// Status codes besides 200.
    pub errors: &'static [(u16, &'static str)],
    /// Answered within `[limits] request_timeout_s` (408 otherwise); an import takes as long as its
    /// file.
    pub timed: bool,
    /// What a request takes from its caller's budget per minute: 1, or [`COSTLY_WEIGHT`] for a
    /// route that may compute afresh (a statistic, a surface, a travel area, a PDF).
    pub weight: u32,
}

/// The weight of a route that may compute afresh.
pub const COSTLY_WEIGHT: u32 = 10;

/// The weight of the route `path` (as matched) answers for `method`; 1 for anything else.
pub fn weight(method: &str, path: &str) -> u32 {
    ROUTES.iter().find(|r| r.path == path && r.method == method).map_or(1, |r| r.weight)
}

impl Route {
    const fn new(method: &'static str, path: &'static str, summary: &'static str, handler: fn() -> MethodRouter<AppState>, answer: Answer) -> Route {
        Route { method, path, summary, role: Role::Public, handler, path_params: &[], query: None, body: None, answer, errors: &[], timed: true, weight: 1 }
    }

    /// No request timeout: the upload and the transaction of an import take as long as the file;
    /// cutting them short would only make the operator send it again.
    const fn untimed(mut self) -> Route {
        self.timed = false;
        self
    }

    /// A route that may compute afresh weighs [`COSTLY_WEIGHT`] requests.
    const fn costly(mut self) -> Route {
        self.weight = COSTLY_WEIGHT;
        self
    }

    const fn role(mut self, role: Role) -> Route {
        self.role = role;
        self
    }

    const fn path_params(mut self, params: &'static [Param]) -> Route {
        self.path_params = params;
        self
    }

    const fn query(mut self, query: SchemaFn) -> Route {
        self.query = Some(query);
        self
    }

    const fn body(mut self, body: SchemaFn) -> Route {
        self.body = Some(body);
        self
    }

    const fn errors(mut self, errors: &'static [(u16, &'static str)]) -> Route {
        self.errors = errors;
        self
    }

    /// The path as documented: tiles show their extension (`{y}.png`).
    pub fn documented_path(&self) -> String {
        match self.answer {
            Answer::Png => self.path.replace("{y}", "{y}.png"),
            Answer::Mvt => self.path.replace("{y}", "{y}.mvt"),
            _ => self.path.to_string(),
        }
    }
}

const BAD: (u16, &str) = (400, "A parameter is missing, malformed or out of range");
const UNAUTH: (u16, &str) = (401, "The bearer token is unknown, revoked or expired");
const FORBIDDEN: (u16, &str) = (403, "The caller's role may not see this");
const NOT_FOUND: (u16, &str) = (404, "No such area, layer or tile");
const CONFLICT: (u16, &str) = (409, "Another import is running");
const BAD_GATEWAY: (u16, &str) = (502, "The sign-in provider could not be reached or answered wrongly");
const UNPROCESSABLE: (u16, &str) = (422, "The file was read and refused; nothing was written (every rejected row listed)");

const TILE_XYZ: &[Param] = &[path("z", "integer", "Zoom, 0-20"), path("x", "integer", "Column"), path("y", "integer", "Row")];
const LAYER: &[Param] = &[path("layer", "string", "Layer name")];

/// Every route of the service.
pub const ROUTES: &[Route] = &[
    Route::new("GET", "/", "The map page, or the OGC API landing page for JSON clients (`f=json`)", || get(features::landing), Answer::Html)
        .query(input::<features::FormatQuery>),
    Route::new("GET", "/conformance", "OGC API conformance classes", || get(features::conformance), Answer::Json(schema::<features::Conformance>)),
    Route::new("GET", "/collections", "OGC API collections: the layers the caller may see", || get(features::collections), Answer::Json(schema::<features::Collections>)).errors(&[UNAUTH]),
    Route::new("GET", "/collections/{layer}", "One collection", || get(features::one_collection), Answer::Json(schema::<features::Collection>))
        .path_params(LAYER)
        .errors(&[UNAUTH, FORBIDDEN, NOT_FOUND]),
    Route::new("GET", "/collections/{layer}/items", "Features of a layer as GeoJSON (CRS84, or EPSG:25832/25833 with `crs`); internal layers need the analyst role", || get(features::items), Answer::GeoJson)
        .path_params(LAYER)
        .query(input::<features::ItemsQuery>)
        .errors(&[BAD, UNAUTH, FORBIDDEN, NOT_FOUND]),
    Route::new("GET", "/collections/{layer}/queryables", "The properties items filter on (`property=value`), sort by and select, as JSON Schema", || get(features::queryables), Answer::JsonDocument("A JSON Schema (2019-09) of the queryable properties, as OGC API - Features - Part 3 asks", "https://json-schema.org/draft/2019-09/schema"))
        .path_params(LAYER)
        .errors(&[UNAUTH, FORBIDDEN, NOT_FOUND]),
    Route::new("GET", "/collections/{layer}/items/{id}", "One feature of a layer as GeoJSON (CRS84, or EPSG:25832/25833 with `crs`)", || get(features::item), Answer::GeoJson)
        .path_params(&[path("layer", "string", "Layer name"), path("id", "string", "Feature id")])
        .query(input::<features::ItemQuery>)
        .errors(&[BAD, UNAUTH, FORBIDDEN, NOT_FOUND]),
    Route::new("GET", "/metrics", "Request counts and time per route (Prometheus text format)", || get(limits::metrics), Answer::Text).role(Role::Analyst),
    Route::new("GET", "/api/admin/audit", "The audit log: imports, exports, reports, token management and use (JSON or CSV)", || get(admin::audit_log), Answer::JsonOrCsv(schema::<Vec<crate::store::audit::Event>>))
        .role(Role::Admin)
        .query(input::<admin::AuditQuery>)
        .errors(&[UNAUTH, FORBIDDEN]),
    Route::new("GET", "/api/admin/release", "The public release: version, budget, accuracy per level, budget spent per source-year", || get(admin::release), Answer::Json(schema::<admin::ReleaseBudget>))
        .role(Role::Admin)
        .errors(&[UNAUTH, FORBIDDEN]),
    Route::new(
        "POST",
        "/api/admin/import/{layer}",
        "Import a file into a layer while serving (the body is the file; all or nothing; 422 lists every rejected row as file:line: reason)",
        || post(admin::import).layer(axum::extract::DefaultBodyLimit::disable()),
        Answer::Json(schema::<admin::Imported>),
    )
    .role(Role::Admin)
    .untimed()
    .path_params(&[path("layer", "string", "Layer name (bomiljo layers)")])
    .query(input::<admin::ImportQuery>)
    .errors(&[BAD, UNAUTH, FORBIDDEN, NOT_FOUND, CONFLICT, UNPROCESSABLE]),
    Route::new(
        "POST",
        "/api/admin/backup",
        "A consistent copy of the whole database into a new folder on the server's machine (imports included or not, never half)",
        || post(admin::backup),
        Answer::Json(schema::<admin::BackupTaken>),
    )
    .role(Role::Admin)
    .untimed()
    .body(input::<admin::BackupRequest>)
    .errors(&[BAD, UNAUTH, FORBIDDEN]),
    Route::new("GET", "/api/admin/tokens", "Tokens: names, roles, dates (never secrets)", || get(admin::list_tokens), Answer::Json(schema::<Vec<crate::store::tokens::TokenInfo>>))
        .role(Role::Admin)
        .errors(&[UNAUTH, FORBIDDEN]),
    Route::new("POST", "/api/admin/tokens", "Create a token; the secret is returned once (`{name, role, token}`)", || post(admin::create_token), Answer::Json(schema::<admin::CreatedToken>))
        .role(Role::Admin)
        .body(input::<admin::NewToken>)
        .errors(&[BAD, UNAUTH, FORBIDDEN]),
    Route::new("POST", "/api/admin/tokens/revoke", "Revoke every token with a name", || post(admin::revoke_token), Answer::Json(schema::<admin::Revoked>))
        .role(Role::Admin)
        .body(input::<admin::Revoke>)
        .errors(&[UNAUTH, FORBIDDEN, NOT_FOUND]),
    Route::new("GET", "/auth/login", "Staff sign-in with OpenID Connect (when configured): to the provider's sign-in page", || get(super::signin::login), Answer::Redirect("To the provider's sign-in page"))
        .query(input::<super::signin::LoginQuery>)
        .errors(&[NOT_FOUND, BAD_GATEWAY]),
    Route::new("GET", "/auth/callback", "Where the provider sends the browser back: sets the session cookie", || get(super::signin::callback), Answer::Redirect("Back to where sign-in began, signed in"))
        .query(input::<super::signin::CallbackQuery>)
        .errors(&[BAD, UNAUTH, FORBIDDEN, NOT_FOUND, BAD_GATEWAY]),
    Route::new("POST", "/auth/logout", "Sign out: ends the session and clears its cookie", || post(super::signin::logout), Answer::NoContent).errors(&[NOT_FOUND]),
    Route::new("GET", "/api/health", "Liveness and schema version (`{status, schema_version, version}`)", || get(meta::health), Answer::Json(schema::<meta::Health>)),
    Route::new("GET", "/api/health/live", "Liveness: the process answers (no database call)", || get(meta::live), Answer::Json(schema::<meta::Probe>)),
    Route::new("GET", "/api/health/ready", "Readiness: the database answers and the served snapshot is built", || get(meta::ready), Answer::Json(schema::<meta::Probe>)),
    Route::new("GET", "/api/openapi.json", "This OpenAPI document", || get(openapi_handler), Answer::JsonDocument("An OpenAPI 3.0 document", "https://spec.openapis.org/oas/v3.0.3")),
    Route::new(
        "GET",
        "/api/release",
        "The public release every public figure comes from: version, accuracy in plain words, units and years",
        || get(meta::release),
        Answer::Json(schema::<meta::ReleaseAbout>),
    ),
    Route::new(
        "GET",
        "/api/release/{version}/figures.csv",
        "Every figure of a published release (this or an earlier version): source, year, level, unit, detail, estimate, standard error, 95 % interval",
        || get(downloads::figures),
        Answer::Csv,
    )
    .costly()
    .path_params(&[path("version", "integer", "The release's version (see /api/release and the feed)")])
    .errors(&[BAD, NOT_FOUND]),
    Route::new("GET", "/api/release/feed.atom", "Every published release, newest first, as an Atom feed with links to its figures", || get(downloads::feed), Answer::Atom),
    Route::new("GET", "/api/map", "The base map under the data: Kartverket's raster tiles, local (from the data on hand) or none", || get(meta::map), Answer::Json(schema::<crate::config::project::Basemap>)),
    Route::new("GET", "/fonts/{file}", "The label fonts of the map page (DejaVuSans.ttf, DejaVuSans-Bold.ttf)", || get(meta::font), Answer::Font)
        .path_params(&[path("file", "string", "Font file")])
        .errors(&[NOT_FOUND]),
    Route::new("GET", "/api/whoami", "The caller's role (`{role, token}`)", || get(meta::whoami), Answer::Json(schema::<meta::WhoAmI>)).errors(&[UNAUTH]),
    Route::new("GET", "/api/layers", "Every configured layer with its feature count", || get(meta::layers), Answer::Json(schema::<Vec<meta::LayerInfo>>)).errors(&[UNAUTH]),
    Route::new("GET", "/api/areas", "Delbydeler as GeoJSON (WGS84) with code, name, bydel, population, area_km2", || get(areas::list), Answer::GeoJson),
    Route::new("GET", "/api/addresses", "Addresses by street address or gnr/bnr, from the local copy of Kartverket's address dataset (at most 10)", || get(addresses::search), Answer::Json(schema::<Vec<addresses::AddressHit>>))
        .query(input::<addresses::AddressQuery>)
        .errors(&[BAD]),
    Route::new("GET", "/api/areas/{code}", "One delbydel with incident counts per source and year (\"<k\" for the public)", || get(areas::detail), Answer::Json(schema::<areas::AreaDetail>))
        .path_params(&[path("code", "string", "Delbydel code")])
        .errors(&[UNAUTH, NOT_FOUND]),
    Route::new("GET", "/api/measurement", "Indicators per delbydel (or bydel), source and year", || get(measurement::indicators), Answer::JsonOrCsv(schema::<Vec<crate::analysis::indicators::Indicator>>))
        .query(input::<measurement::MeasurementQuery>)
        .errors(&[BAD, UNAUTH]),
    Route::new("GET", "/api/heatmap", "Kernel density grid as GeoJSON (cells on fewer than k incidents blank for the public)", || get(measurement::heatmap), Answer::GeoJson)
    .costly()
        .query(input::<crate::measurement::HeatParams>)
        .errors(&[BAD, UNAUTH]),
    Route::new(
        "GET",
        "/api/heatmap/geotiff",
        "The whole kernel density surface as a Cloud-Optimized GeoTIFF (EPSG:25832, float32, no-data -9999; the public's from the release, cells on fewer than k incidents no-data)",
        || get(measurement::heat_geotiff),
        Answer::GeoTiff,
    )
    .costly()
    .query(input::<crate::measurement::HeatParams>)
    .errors(&[BAD, UNAUTH]),
    Route::new("GET", "/api/heatmap/legend", "Unit, range and colour stops of the heat tiles", || get(measurement::heat_legend), Answer::Json(schema::<measurement::HeatLegend>))
    .costly()
        .query(input::<crate::measurement::HeatParams>)
        .errors(&[BAD, UNAUTH]),
    Route::new("GET", "/tiles/heat/{z}/{x}/{y}", "Heat map PNG tile (parameters as /api/heatmap)", || get(measurement::heat_tile), Answer::Png)
        .path_params(TILE_XYZ)
        .query(input::<crate::measurement::HeatParams>)
        .errors(&[BAD, UNAUTH, NOT_FOUND]),
    Route::new("GET", "/api/hotspots", "Getis-Ord Gi* hot and cold spots (FDR-corrected) as GeoJSON", || get(measurement::hotspots), Answer::GeoJson)
    .costly()
        .query(input::<crate::measurement::HotspotParams>)
        .errors(&[BAD, UNAUTH]),
    Route::new("GET", "/api/emerging", "Emerging hot and cold spots over the years (space-time Gi*, Mann-Kendall, Esri's 17 patterns) as GeoJSON", || get(measurement::emerging), Answer::GeoJson)
    .costly()
        .query(input::<crate::measurement::EmergingParams>)
        .errors(&[BAD, UNAUTH]),
    Route::new("GET", "/api/lisa", "Local Moran's I: significant clusters (high-high, low-low) and outliers (FDR q < 0.05) as GeoJSON", || get(measurement::lisa), Answer::GeoJson)
    .costly()
        .query(input::<crate::measurement::LisaParams>)
        .errors(&[BAD, UNAUTH]),
    Route::new("GET", "/api/series", "Incidents per year or month with the trend", || get(measurement::series), Answer::Json(schema::<crate::measurement::Series>))
        .query(input::<crate::measurement::SeriesParams>)
        .errors(&[BAD, UNAUTH]),
    Route::new(
        "GET",
        "/api/before-after",
        "Incidents around housing before and after opening vs the rest of the delbydel: the release's one fixed, rounded, pooled result for the public; every site and any radius for analysts",
        || get(measurement::before_after),
        Answer::Json(schema::<measurement::BeforeAfterAnswer>),
    )
    .query(input::<measurement::BeforeAfterQuery>)
    .errors(&[BAD, UNAUTH]),
    Route::new("POST", "/api/score", "Explained score of a site for a matrix group", || post(siting::score), Answer::Json(schema::<siting::ScoreResponse>))
        .body(input::<siting::ScoreRequest>)
        .errors(&[BAD, UNAUTH, FORBIDDEN]),
    Route::new("POST", "/api/score/scenario", "Planned sites scored together: each counts the others in its concentration rules (analysts)", || post(siting::scenario), Answer::Json(schema::<Vec<siting::ScenarioSite>>))
        .role(Role::Analyst)
        .costly()
        .body(input::<siting::CompareRequest>)
        .errors(&[BAD, UNAUTH, FORBIDDEN]),
    Route::new(
        "GET",
        "/api/need",
        "Housing need per bydel and matrix group for a survey year (the public); with units in place, planned and the gap (analysts)",
        || get(need::need),
        Answer::Json(schema::<need::NeedAnswer>),
    )
    .query(input::<need::NeedQuery>)
    .errors(&[BAD, UNAUTH, NOT_FOUND]),
    Route::new("POST", "/api/scenarios", "Save a named set of planned sites for a group (analysts); an adopted one counts as planned homes in /api/need", || post(scenarios::save), Answer::Json(schema::<scenarios::SavedScenario>))
        .role(Role::Analyst)
        .body(input::<scenarios::SaveScenario>)
        .errors(&[BAD, UNAUTH, FORBIDDEN]),
    Route::new("GET", "/api/scenarios", "Every saved scenario, newest first (analysts)", || get(scenarios::list), Answer::Json(schema::<Vec<scenarios::SavedScenario>>))
        .role(Role::Analyst)
        .errors(&[UNAUTH, FORBIDDEN]),
    Route::new("GET", "/api/scenarios/{id}", "One saved scenario, to restore it (analysts)", || get(scenarios::get), Answer::Json(schema::<scenarios::SavedScenario>))
        .role(Role::Analyst)
        .path_params(&[path("id", "integer", "Scenario id")])
        .errors(&[UNAUTH, FORBIDDEN, NOT_FOUND]),
    Route::new("DELETE", "/api/scenarios/{id}", "Delete a saved scenario (analysts)", || delete(scenarios::delete), Answer::Json(schema::<scenarios::Deleted>))
        .role(Role::Analyst)
        .path_params(&[path("id", "integer", "Scenario id")])
        .errors(&[UNAUTH, FORBIDDEN, NOT_FOUND]),
    Route::new("POST", "/api/score/compare", "Up to 50 candidates for one group, best first", || post(siting::compare), Answer::Json(schema::<Vec<siting::ScoreResponse>>))
        .body(input::<siting::CompareRequest>)
        .errors(&[BAD, UNAUTH, FORBIDDEN]),
    Route::new(
        "GET",
        "/api/score/groups",
        "A site scored for all eight groups",
        || get(siting::all_groups),
        Answer::Json(schema::<Vec<crate::analysis::siting::Explanation>>),
    )
    .query(input::<siting::SiteRequest>)
    .errors(&[BAD, UNAUTH]),
    Route::new("GET", "/api/suitability", "Suitability grid for a group as GeoJSON (score null where excluded)", || get(siting::suitability), Answer::GeoJson)
    .costly()
        .query(input::<crate::siting::SurfaceParams>)
        .errors(&[BAD, UNAUTH]),
    Route::new("GET", "/tiles/suitability/{z}/{x}/{y}", "Suitability PNG tile", || get(siting::suitability_tile), Answer::Png)
        .path_params(TILE_XYZ)
        .query(input::<crate::siting::SurfaceParams>)
        .errors(&[BAD, UNAUTH, NOT_FOUND]),
    Route::new("GET", "/api/isochrone", "The area reachable from a point along the streets in 1-30 minutes on foot or by car (GeoJSON feature)", || get(siting::isochrone), Answer::GeoJson)
    .costly()
        .query(input::<siting::IsochroneRequest>)
        .errors(&[BAD, NOT_FOUND]),
    Route::new(
        "GET",
        "/api/reports/annual",
        "The annual report as a zip of its files (index.html, bydel-XX.html and .pdf), as bomiljo report annual writes it: the public one for anyone, role=analyst for staff",
        || get(reports::annual),
        Answer::Zip,
    )
    .costly()
    .query(input::<reports::AnnualQuery>)
    .errors(&[BAD, UNAUTH, FORBIDDEN]),
    Route::new(
        "GET",
        "/api/reports/annual/{year}/{file}",
        "One file of a year's public annual report: index.html, bydel-XX.html or bydel-XX.pdf (a bydel's report)",
        || get(reports::annual_file),
        Answer::PdfOrHtml,
    )
    .costly()
    .path_params(&[path("year", "integer", "The year reported"), path("file", "string", "index.html, bydel-XX.html or bydel-XX.pdf")])
    .errors(&[BAD, NOT_FOUND]),
    Route::new("GET", "/api/reports/dialogue.pdf", "Neighbour-dialogue fact sheet for a planned site (PDF, public material whoever asks)", || get(reports::dialogue), Answer::Pdf)
    .costly()
        .query(input::<reports::DialogueQuery>)
        .errors(&[BAD, UNAUTH]),
    Route::new("GET", "/api/rules", "The siting rule set in force, with every threshold, weight and source", || get(siting::rules), Answer::Json(schema::<crate::analysis::siting::RuleSet>)),
    Route::new("GET", "/tiles/{layer}/{z}/{x}/{y}", "Mapbox Vector Tile of an areas layer or 'incidents' (count grid)", || get(mvt::tile), Answer::Mvt)
        .path_params(&[
            path("layer", "string", "delbydeler, bydeler or incidents"),
            path("z", "integer", "Zoom, 0-20"),
            path("x", "integer", "Column"),
            path("y", "integer", "Row"),
        ])
        .query(input::<mvt::TileQuery>)
        .errors(&[BAD, UNAUTH, FORBIDDEN, NOT_FOUND]),
];

/// Refuses callers below the route's role (401 for a bad token, 403 for too low a role).
pub(super) async fn require_role(State((state, role)): State<(AppState, Role)>, request: Request, next: Next) -> Result<Response, ApiError> {
    let (mut parts, body) = request.into_parts();
    let caller = <Caller as axum::extract::FromRequestParts<AppState>>::from_request_parts(&mut parts, &state).await?;
    caller.require(role)?;
    if let Some(name) = &caller.token_name {
        state.note_token_use(name, caller.role, parts.uri.path());
    }
    Ok(next.run(Request::from_parts(parts, body)).await)
}

async fn openapi_handler() -> axum::Json<Value> {
    axum::Json(openapi())
}

/// The OpenAPI 3 document of [`ROUTES`]: parameters and request bodies inline (from the types'
/// deserialisation), answers as named schemas under `components` (from their serialisation).
pub fn openapi() -> Value {
    let mut inputs = SchemaSettings::openapi3().with(|s| s.inline_subschemas = true).into_generator();
    let mut outputs = SchemaSettings::openapi3().with(|s| s.contract = Contract::Serialize).into_generator();
    let mut paths: Map<String, Value> = Map::new();
    for r in ROUTES {
        let mut parameters: Vec<Value> = r
            .path_params
            .iter()
            .map(|p| json!({ "name": p.name, "in": "path", "required": true, "description": p.doc, "schema": { "type": p.kind } }))
            .collect();
        if let Some(query) = r.query {
            parameters.extend(query_parameters(&query(&mut inputs)));
        }
        let mut responses: Map<String, Value> = Map::new();
        match r.answer {
            Answer::Redirect(to) => responses.insert("303".into(), json!({ "description": to })),
            Answer::NoContent => responses.insert("204".into(), json!({ "description": "Done" })),
            answer => responses.insert("200".into(), json!({ "description": "OK", "content": answer_content(answer, &mut outputs) })),
        };
        for (code, doc) in r.errors {
            responses.insert(
                code.to_string(),
                json!({ "description": doc, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
            );
        }
        let mut operation = json!({
            "summary": r.summary,
            "parameters": parameters,
            "responses": responses,
            "x-bomiljo-role": r.role,
            "security": if r.role == Role::Public { json!([{}, { "bearer": [] }]) } else { json!([{ "bearer": [] }]) }
        });
        if let Some(body) = r.body {
            operation["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": body(&mut inputs) } } });
        }
        let entry = paths.entry(r.documented_path()).or_insert_with(|| json!({}));
        entry[r.method.to_lowercase()] = operation;
    }
    let mut schemas = outputs.take_definitions(true);
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "description": "Every 4xx and 5xx answer", "properties": { "error": { "type": "string", "description": "What went wrong and what to do" } }, "required": ["error"] }),
    );
    let mut doc = json!({
        "openapi": "3.0.3",
        "info": { "title": "bomiljo", "version": env!("CARGO_PKG_VERSION"), "description": "Bomiljø monitoring for Oslo kommune. Without a token the caller has the public role: every figure is computed from the public release (GET /api/release: noisy counts for fixed units, see PRIVACY.md), counts under k shown as \"<k\". Every answer carries the release version in the X-Bomiljo-Release header." },
        "paths": paths,
        "components": { "schemas": schemas, "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } } }
    });
    tuples_as_arrays(&mut doc);
    doc
}

/// OpenAPI 3.0 has no tuples (`items` is one schema, not a list): a pair such as a span of
/// years (`[2020, 2024]`) is written as an array of two of one schema (or of any of them).
fn tuples_as_arrays(value: &mut Value) {
    match value {
        Value::Object(object) => {
            if let Some(Value::Array(each)) = object.get_mut("items") {
                let mut kinds: Vec<Value> = Vec::new();
                for kind in each.drain(..) {
                    if !kinds.contains(&kind) {
                        kinds.push(kind);
                    }
                }
                let one = if kinds.len() == 1 { kinds.remove(0) } else { json!({ "anyOf": kinds }) };
                object.insert("items".into(), one);
            }
            object.values_mut().for_each(tuples_as_arrays);
        }
        Value::Array(values) => values.iter_mut().for_each(tuples_as_arrays),
        _ => {}
    }
}

/// One query parameter per property of a query type's schema, with its doc comment as the
/// description.
fn query_parameters(schema: &Schema) -> Vec<Value> {
    let required: Vec<&str> = schema.get("required").and_then(Value::as_array).map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return Vec::new() };
    properties
        .iter()
        .map(|(name, property)| {
            let mut property = property.clone();
            let description = property.as_object_mut().and_then(|p| p.remove("description")).unwrap_or(Value::Null);
            let mut parameter = json!({ "name": name, "in": "query", "required": required.contains(&name.as_str()), "schema": property });
            if !description.is_null() {
                parameter["description"] = description;
            }
            parameter
        })
        .collect()
}

fn answer_content(answer: Answer, outputs: &mut SchemaGenerator) -> Value {
    let binary = json!({ "type": "string", "format": "binary" });
    match answer {
        Answer::Json(schema) => json!({ "application/json": { "schema": schema(outputs) } }),
        Answer::JsonOrCsv(schema) => json!({ "application/json": { "schema": schema(outputs) }, "text/csv": { "schema": { "type": "string" } } }),
        Answer::Redirect(_) | Answer::NoContent => json!({}),
        Answer::JsonDocument(what, url) => {
            json!({ "application/json": { "schema": { "type": "object", "description": what, "externalDocs": { "url": url } } } })
        }
        Answer::GeoJson => json!({ "application/geo+json": { "schema": { "type": "object", "description": "A GeoJSON FeatureCollection (RFC 7946)" } } }),
        Answer::Png => json!({ "image/png": { "schema": binary } }),
        Answer::GeoTiff => json!({ "image/tiff; application=geotiff; profile=cloud-optimized": { "schema": binary } }),
        Answer::Mvt => json!({ "application/vnd.mapbox-vector-tile": { "schema": binary } }),
        Answer::Pdf => json!({ "application/pdf": { "schema": binary } }),
        Answer::Html => json!({ "text/html": { "schema": { "type": "string" } } }),
        Answer::PdfOrHtml => json!({ "application/pdf": { "schema": binary }, "text/html": { "schema": { "type": "string" } } }),
        Answer::Text => json!({ "text/plain": { "schema": { "type": "string" } } }),
        Answer::Font => json!({ "font/ttf": { "schema": binary } }),
        Answer::Zip => json!({ "application/zip": { "schema": binary } }),
        Answer::Csv => json!({ "text/csv": { "schema": { "type": "string" } } }),
        Answer::Atom => json!({ "application/atom+xml": { "schema": { "type": "string" } } }),
    }
}
