//! The route table: every HTTP route once, with its method, the role it needs, its parameters
//! and status codes. The router is mounted from it, one middleware enforces its roles, and
//! `/api/openapi.json` is generated from it, so the three cannot drift apart.

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::Response,
    routing::{get, post, MethodRouter},
};
use serde_json::{json, Map, Value};

use super::{admin, areas, auth::Caller, features, limits, measurement, meta, mvt, reports, siting, ApiError, AppState};
use crate::privacy::Role;

/// A query or path parameter.
pub struct Param {
    pub name: &'static str,
    pub kind: &'static str,
    pub doc: &'static str,
    pub required: bool,
}

const fn p(name: &'static str, kind: &'static str, doc: &'static str) -> Param {
    Param { name, kind, doc, required: false }
}

const fn req(name: &'static str, kind: &'static str, doc: &'static str) -> Param {
    Param { name, kind, doc, required: true }
}

/// One route.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub summary: &'static str,
    /// The least role that may call it.
    pub role: Role,
    pub params: &'static [Param],
    /// JSON body fields, for POST routes.
    pub body: Option<&'static str>,
    pub responses: &'static [(u16, &'static str)],
}

const OK: (u16, &str) = (200, "OK");
const BAD: (u16, &str) = (400, "A parameter is missing, malformed or out of range");
const UNAUTH: (u16, &str) = (401, "The bearer token is unknown, revoked or expired");
const FORBIDDEN: (u16, &str) = (403, "The caller's role may not see this");
const NOT_FOUND: (u16, &str) = (404, "No such area, layer or tile");

const HEAT: &[Param] = &[
    p("source", "string", "Incident source (fire, police, waste); all when absent"),
    p("category", "string", "One category of the source"),
    p("year", "integer", "First year (the latest in the store when absent)"),
    p("to_year", "integer", "Last year of a range"),
    p("cell_m", "number", "Cell size in metres, 25-250 (default 50)"),
    p("bandwidth_m", "number", "Kernel bandwidth in metres, 100-1000 (default 300)"),
    p("area", "string", "Clip to a delbydel or bydel code"),
    p("weighted", "boolean", "Use incident weights"),
    p("per_1000", "boolean", "Incidents per 1,000 inhabitants per year"),
];
const TILE_XYZ: &[Param] = &[req("z", "integer", "Zoom"), req("x", "integer", "Column"), req("y", "string", "Row with extension")];
const SITE: &[Param] = &[req("lon", "number", "Longitude (WGS84)"), req("lat", "number", "Latitude (WGS84)"), p("units", "integer", "Proposed units")];
const SURFACE: &[Param] = &[
    req("group", "integer", "Matrix group 1-8"),
    p("area", "string", "A delbydel or bydel code; the whole city when absent"),
    p("cell_m", "number", "Cell size in metres, 25-500 (default 50)"),
    p("units", "integer", "Proposed units"),
];

/// Every route of the service.
pub const ROUTES: &[Route] = &[
    Route {
        method: "GET",
        path: "/",
        summary: "The map page, or the OGC API landing page for JSON clients",
        role: Role::Public,
        params: &[p("f", "string", "json for the landing page")],
        body: None,
        responses: &[OK],
    },
    Route { method: "GET", path: "/conformance", summary: "OGC API conformance classes", role: Role::Public, params: &[], body: None, responses: &[OK] },
    Route {
        method: "GET",
        path: "/collections",
        summary: "OGC API collections: the layers the caller may see",
        role: Role::Public,
        params: &[],
        body: None,
        responses: &[OK, UNAUTH],
    },
    Route {
        method: "GET",
        path: "/collections/{layer}",
        summary: "One collection",
        role: Role::Public,
        params: &[req("layer", "string", "Layer name")],
        body: None,
        responses: &[OK, UNAUTH, FORBIDDEN, NOT_FOUND],
    },
    Route {
        method: "GET",
        path: "/collections/{layer}/items",
        summary: "Features of a layer as GeoJSON (CRS84); internal layers need the analyst role",
        role: Role::Public,
        params: &[
            req("layer", "string", "Layer name"),
            p("bbox", "string", "min_lon,min_lat,max_lon,max_lat"),
            p("limit", "integer", "Page size, 1-10000 (default 100)"),
            p("offset", "integer", "Items to skip"),
            p("datetime", "string", "A date or start/end interval (incident date, housing opening)"),
        ],
        body: None,
        responses: &[OK, BAD, UNAUTH, FORBIDDEN, NOT_FOUND],
    },
    Route {
        method: "GET",
        path: "/metrics",
        summary: "Request counts and time per route (Prometheus text format)",
        role: Role::Analyst,
        params: &[],
        body: None,
        responses: &[OK],
    },
    Route {
        method: "GET",
        path: "/api/admin/audit",
        summary: "The audit log: imports, exports, reports, token management and use",
        role: Role::Admin,
        params: &[p("limit", "integer", "Newest events, 1-100000 (default 1000)"), p("format", "string", "json or csv")],
        body: None,
        responses: &[OK, UNAUTH, FORBIDDEN],
    },
    Route {
        method: "GET",
        path: "/api/admin/release",
        summary: "The public release: version, budget, accuracy per level, budget spent per source-year",
        role: Role::Admin,
        params: &[],
        body: None,
        responses: &[OK, UNAUTH, FORBIDDEN],
    },
    Route {
        method: "GET",
        path: "/api/admin/tokens",
        summary: "Tokens (names, roles, dates; never secrets)",
        role: Role::Admin,
        params: &[],
        body: None,
        responses: &[OK, UNAUTH, FORBIDDEN],
    },
    Route {
        method: "POST",
        path: "/api/admin/tokens",
        summary: "Create a token; the secret is returned once",
        role: Role::Admin,
        params: &[],
        body: Some("{name, role: public|analyst|admin, days?}"),
        responses: &[OK, BAD, UNAUTH, FORBIDDEN],
    },
    Route {
        method: "POST",
        path: "/api/admin/tokens/revoke",
        summary: "Revoke every token with a name",
        role: Role::Admin,
        params: &[],
        body: Some("{name}"),
        responses: &[OK, UNAUTH, FORBIDDEN, NOT_FOUND],
    },
    Route { method: "GET", path: "/api/health", summary: "Liveness and schema version", role: Role::Public, params: &[], body: None, responses: &[OK] },
    Route { method: "GET", path: "/api/openapi.json", summary: "This OpenAPI document", role: Role::Public, params: &[], body: None, responses: &[OK] },
    Route {
        method: "GET",
        path: "/api/release",
        summary: "The public release every public figure comes from: version, accuracy in plain words, units and years",
        role: Role::Public,
        params: &[],
        body: None,
        responses: &[OK],
    },
    Route { method: "GET", path: "/api/whoami", summary: "The caller's role", role: Role::Public, params: &[], body: None, responses: &[OK, UNAUTH] },
    Route {
        method: "GET",
        path: "/api/layers",
        summary: "Every configured layer with its feature count",
        role: Role::Public,
        params: &[],
        body: None,
        responses: &[OK, UNAUTH],
    },
    Route {
        method: "GET",
        path: "/api/areas",
        summary: "Delbydeler as GeoJSON (WGS84) with code, name, bydel, population",
        role: Role::Public,
        params: &[],
        body: None,
        responses: &[OK],
    },
    Route {
        method: "GET",
        path: "/api/areas/{code}",
        summary: "One delbydel with incident counts per source and year (\"<k\" for the public)",
        role: Role::Public,
        params: &[req("code", "string", "Delbydel code")],
        body: None,
        responses: &[OK, UNAUTH, NOT_FOUND],
    },
    Route {
        method: "GET",
        path: "/api/measurement",
        summary: "Indicators per delbydel (or bydel), source and year",
        role: Role::Public,
        params: &[req("year", "integer", "The year measured"), p("level", "string", "delbydel or bydel"), p("format", "string", "json or csv")],
        body: None,
        responses: &[OK, BAD, UNAUTH],
    },
    Route {
        method: "GET",
        path: "/api/heatmap",
        summary: "Kernel density grid as GeoJSON (cells on fewer than k incidents blank for the public)",
        role: Role::Public,
        params: HEAT,
        body: None,
        responses: &[OK, BAD, UNAUTH],
    },
    Route {
        method: "GET",
        path: "/api/heatmap/legend",
        summary: "Unit, range and colour stops of the heat tiles",
        role: Role::Public,
        params: HEAT,
        body: None,
        responses: &[OK, BAD, UNAUTH],
    },
    Route {
        method: "GET",
        path: "/tiles/heat/{z}/{x}/{y}",
        summary: "Heat map PNG tile (parameters as /api/heatmap)",
        role: Role::Public,
        params: TILE_XYZ,
        body: None,
        responses: &[OK, BAD, UNAUTH, NOT_FOUND],
    },
    Route {
        method: "GET",
        path: "/api/hotspots",
        summary: "Getis-Ord Gi* hot and cold spots (FDR-corrected) as GeoJSON",
        role: Role::Public,
        params: &[
            p("source", "string", "Incident source"),
            p("year", "integer", "Year"),
            p("to_year", "integer", "Last year"),
            p("cell_m", "number", "Cell size: the public gets the release's 250 m cells; analysts a multiple of the 100 m snapping grid, 100-1000 m (default 200)"),
            p("band_m", "number", "Neighbour distance (default 500)"),
            p("area", "string", "Delbydel or bydel code"),
        ],
        body: None,
        responses: &[OK, BAD, UNAUTH],
    },
    Route {
        method: "GET",
        path: "/api/series",
        summary: "Incidents per year or month with the trend",
        role: Role::Public,
        params: &[
            p("code", "string", "Delbydel or bydel code; the city when absent"),
            p("source", "string", "Incident source"),
            p("category", "string", "Category"),
            p("monthly", "boolean", "Months instead of years"),
            p("trend_years", "integer", "Years in the trend (default 5)"),
        ],
        body: None,
        responses: &[OK, BAD, UNAUTH],
    },
    Route {
        method: "GET",
        path: "/api/before-after",
        summary: "Incidents around housing before and after opening vs the rest of the delbydel: the release's one fixed, rounded, pooled result for the public; every site and any radius for analysts",
        role: Role::Public,
        params: &[p("radius_m", "number", "Analysts: radius, 50-2000 m (default 300); refused for the public (fixed in the release)"), p("years", "integer", "Analysts: years each side, 1-10 (default 3); refused for the public"), p("source", "string", "Analysts: one incident source (all when absent); refused for the public")],
        body: None,
        responses: &[OK, BAD, UNAUTH],
    },
    Route {
        method: "POST",
        path: "/api/score",
        summary: "Explained score of a site for a matrix group",
        role: Role::Public,
        params: &[],
        body: Some("{group: 1-8, lon, lat, units?, staff_base_on_site?, label?}"),
        responses: &[OK, BAD, UNAUTH],
    },
    Route {
        method: "POST",
        path: "/api/score/compare",
        summary: "Up to 50 candidates for one group, best first",
        role: Role::Public,
        params: &[],
        body: Some("{group, sites: [{label?, lon, lat, units?}]}"),
        responses: &[OK, BAD, UNAUTH],
    },
    Route {
        method: "GET",
        path: "/api/score/groups",
        summary: "A site scored for all eight groups",
        role: Role::Public,
        params: SITE,
        body: None,
        responses: &[OK, BAD, UNAUTH],
    },
    Route {
        method: "GET",
        path: "/api/suitability",
        summary: "Suitability grid for a group as GeoJSON (score null where excluded)",
        role: Role::Public,
        params: SURFACE,
        body: None,
        responses: &[OK, BAD, UNAUTH],
    },
    Route {
        method: "GET",
        path: "/tiles/suitability/{z}/{x}/{y}",
        summary: "Suitability PNG tile",
        role: Role::Public,
        params: TILE_XYZ,
        body: None,
        responses: &[OK, BAD, UNAUTH, NOT_FOUND],
    },
    Route {
        method: "GET",
        path: "/api/reports/dialogue.pdf",
        summary: "Neighbour-dialogue fact sheet for a planned site (PDF, public material whoever asks)",
        role: Role::Public,
        params: &[
            req("lat", "number", "Latitude (WGS84)"),
            req("lon", "number", "Longitude (WGS84)"),
            p("radius", "number", "Radius in metres, 100-2000 (default 500)"),
            p("housing_type", "string", "The kind of housing in neutral words"),
            p("lang", "string", "nb (default) or en"),
        ],
        body: None,
        responses: &[OK, BAD, UNAUTH],
    },
    Route { method: "GET", path: "/api/rules", summary: "The siting rule set in force", role: Role::Public, params: &[], body: None, responses: &[OK] },
    Route {
        method: "GET",
        path: "/tiles/{layer}/{z}/{x}/{y}",
        summary: "Mapbox Vector Tile of an areas layer or 'incidents' (count grid)",
        role: Role::Public,
        params: &[
            req("layer", "string", "delbydeler, bydeler or incidents"),
            req("z", "integer", "Zoom"),
            req("x", "integer", "Column"),
            req("y", "string", "Row with .mvt"),
            p("source", "string", "incidents: source"),
            p("year", "integer", "incidents: year"),
            p("cell_m", "number", "incidents: cell size"),
        ],
        body: None,
        responses: &[OK, BAD, UNAUTH, FORBIDDEN, NOT_FOUND],
    },
];

/// The handler of a route in the table.
pub(super) fn handler(route: &Route) -> MethodRouter<AppState> {
    match (route.method, route.path) {
        ("GET", "/") => get(features::landing),
        ("GET", "/conformance") => get(features::conformance),
        ("GET", "/collections") => get(features::collections),
        ("GET", "/collections/{layer}") => get(features::one_collection),
        ("GET", "/collections/{layer}/items") => get(features::items),
        ("GET", "/metrics") => get(limits::metrics),
        ("GET", "/api/admin/audit") => get(admin::audit_log),
        ("GET", "/api/admin/release") => get(admin::release),
        ("GET", "/api/admin/tokens") => get(admin::list_tokens),
        ("POST", "/api/admin/tokens") => post(admin::create_token),
        ("POST", "/api/admin/tokens/revoke") => post(admin::revoke_token),
        ("GET", "/api/health") => get(meta::health),
        ("GET", "/api/openapi.json") => get(openapi_handler),
        ("GET", "/api/release") => get(meta::release),
        ("GET", "/api/whoami") => get(meta::whoami),
        ("GET", "/api/layers") => get(meta::layers),
        ("GET", "/api/areas") => get(areas::list),
        ("GET", "/api/areas/{code}") => get(areas::detail),
        ("GET", "/api/measurement") => get(measurement::indicators),
        ("GET", "/api/heatmap") => get(measurement::heatmap),
        ("GET", "/api/heatmap/legend") => get(measurement::heat_legend),
        ("GET", "/tiles/heat/{z}/{x}/{y}") => get(measurement::heat_tile),
        ("GET", "/api/hotspots") => get(measurement::hotspots),
        ("GET", "/api/series") => get(measurement::series),
        ("GET", "/api/before-after") => get(measurement::before_after),
        ("POST", "/api/score") => post(siting::score),
        ("POST", "/api/score/compare") => post(siting::compare),
        ("GET", "/api/score/groups") => get(siting::all_groups),
        ("GET", "/api/suitability") => get(siting::suitability),
        ("GET", "/tiles/suitability/{z}/{x}/{y}") => get(siting::suitability_tile),
        ("GET", "/api/rules") => get(siting::rules),
        ("GET", "/api/reports/dialogue.pdf") => get(reports::dialogue),
        ("GET", "/tiles/{layer}/{z}/{x}/{y}") => get(mvt::tile),
        (method, path) => unreachable!("route {method} {path} is in ROUTES but has no handler"),
    }
}

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

/// The OpenAPI 3 document of [`ROUTES`].
pub fn openapi() -> Value {
    let mut paths: Map<String, Value> = Map::new();
    for r in ROUTES {
        let parameters: Vec<Value> = r
            .params
            .iter()
            .map(|p| {
                let location = if r.path.contains(&format!("{{{}}}", p.name)) { "path" } else { "query" };
                json!({ "name": p.name, "in": location, "required": p.required || location == "path", "description": p.doc, "schema": { "type": p.kind } })
            })
            .collect();
        let responses: Map<String, Value> = r.responses.iter().map(|(code, doc)| (code.to_string(), json!({ "description": doc }))).collect();
        let mut operation = json!({
            "summary": r.summary,
            "parameters": parameters,
            "responses": responses,
            "x-bomiljo-role": r.role,
            "security": if r.role == Role::Public { json!([{}, { "bearer": [] }]) } else { json!([{ "bearer": [] }]) }
        });
        if let Some(body) = r.body {
            operation["requestBody"] = json!({ "required": true, "description": body, "content": { "application/json": { "schema": { "type": "object" } } } });
        }
        let entry = paths.entry(r.path.to_string()).or_insert_with(|| json!({}));
        entry[r.method.to_lowercase()] = operation;
    }
    json!({
        "openapi": "3.0.3",
        "info": { "title": "bomiljo", "version": env!("CARGO_PKG_VERSION"), "description": "Bomiljø monitoring for Oslo kommune. Without a token the caller has the public role: every figure is computed from the public release (GET /api/release: noisy counts for fixed units, see PRIVACY.md), counts under k shown as \"<k\". Every answer carries the release version in the X-Bomiljo-Release header." },
        "paths": paths,
        "components": { "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } } }
    })
}
