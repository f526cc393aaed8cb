//! OGC API - Features (Part 1, core + GeoJSON; Part 2, CRS by reference): landing page,
//! conformance, `/collections`, `/collections/{layer}` and `/collections/{layer}/items` with
//! `bbox`, `limit`, `offset`, `datetime`, `crs` and `bbox-crs`, so QGIS and other desktop GIS can
//! add a bomiljo layer as a source in CRS84 or in the UTM zones Norwegian data come in (EPSG:25832,
//! EPSG:25833). Internal layers are listed and served to analysts only.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::{HeaderMap, header},
    response::{Html, IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, AppState, access::View, auth::Caller, links::BaseUrl};
use crate::config::{Layer, Visibility};
use crate::spatial::{ANALYSIS_CRS, BoxQuery, Crs, Transformer};
use crate::store::FeaturePage;
use crate::store::queries::{PropertyType, feature_properties};

const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";

/// The CRSs items can be asked for (`crs`, `bbox-crs`), by their OGC URIs. EPSG:4326 is left out
/// on purpose: its URI means latitude first, which clients mix up; CRS84 is the same datum.
const OFFERED: [(&str, Crs); 3] =
    [(CRS84, Crs::Wgs84), ("http://www.opengis.net/def/crs/EPSG/0/25832", Crs::Utm32), ("http://www.opengis.net/def/crs/EPSG/0/25833", Crs::Utm33)];

/// The CRS a `crs` or `bbox-crs` URI names; 400 for any other.
fn offered_crs(uri: &str, parameter: &str) -> Result<Crs, ApiError> {
    OFFERED.iter().find(|(u, _)| *u == uri).map(|(_, c)| *c).ok_or_else(|| {
        ApiError::BadRequest(format!("{parameter}={uri} is not offered; use one of {}", OFFERED.iter().map(|(u, _)| *u).collect::<Vec<_>>().join(", ")))
    })
}

fn crs_uri(crs: Crs) -> &'static str {
    OFFERED.iter().find(|(_, c)| *c == crs).map_or(CRS84, |(u, _)| u)
}

/// `GET /`: the map page for browsers (they ask for `text/html`); the OGC landing page for every
/// other client and for `?f=json`. OGC clients such as OWSLib send no Accept header at all.
pub async fn landing(State(state): State<AppState>, base: BaseUrl, headers: HeaderMap, Query(q): Query<FormatQuery>) -> Result<Response, ApiError> {
    let asks_html = headers.get(header::ACCEPT).and_then(|a| a.to_str().ok()).is_some_and(|a| a.contains("text/html"));
    let wants_json = q.f == Some(LandingFormat::Json) || (!asks_html && q.f != Some(LandingFormat::Html));
    if wants_json {
        return Ok(Json(json!({
            "title": "bomiljo",
            "description": "Bomiljø data for Oslo kommune: delbydeler, points of interest, incidents (internal) and housing (internal).",
            "links": [
                { "href": base.join("/?f=json"), "rel": "self", "type": "application/json", "title": "This document" },
                { "href": base.join("/api/openapi.json"), "rel": "service-desc", "type": "application/vnd.oai.openapi+json;version=3.0", "title": "The API definition" },
                { "href": base.join("/docs.html"), "rel": "service-doc", "type": "text/html", "title": "The API documentation" },
                { "href": base.join("/conformance"), "rel": "conformance", "type": "application/json", "title": "Conformance classes" },
                { "href": base.join("/collections"), "rel": "data", "type": "application/json", "title": "Collections" }
            ]
        }))
        .into_response());
    }
    let page = std::fs::read_to_string(state.config.dir.join("web/index.html")).map_err(|e| ApiError::NotFound(format!("web/index.html: {e}")))?;
    Ok(Html(page).into_response())
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct FormatQuery {
    /// `json` for the OGC API landing page, `html` for the map page (default: by the Accept header).
    f: Option<LandingFormat>,
}

/// What the landing page answers with.
#[derive(Clone, Copy, PartialEq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum LandingFormat {
    Json,
    Html,
}

/// The one encoding features are offered in: GeoJSON (`f=json` and `f=geojson` alike).
#[derive(Clone, Copy, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum FeatureFormat {
    Json,
    Geojson,
}

/// `GET /conformance`.
/// `GET /conformance`: the OGC API conformance classes this server implements.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Conformance {
    conforms_to: Vec<&'static str>,
}

pub async fn conformance() -> Json<Conformance> {
    Json(Conformance {
        conforms_to: vec![
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
            "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
            "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
            "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
        ],
    })
}

/// A link of an OGC API answer.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Link {
    href: String,
    rel: &'static str,
    #[serde(rename = "type")]
    media_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
}

/// A collection (OGC API - Features): a layer the caller may see.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Collection {
    id: String,
    title: String,
    description: String,
    item_type: &'static str,
    /// The CRSs items can be asked in.
    crs: Vec<&'static str>,
    storage_crs: &'static str,
    extent: CollectionExtent,
    links: Vec<Link>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct CollectionExtent {
    spatial: SpatialExtent,
    /// Dated layers (incidents, housing by opening date): the first and last date.
    #[serde(skip_serializing_if = "Option::is_none")]
    temporal: Option<TemporalExtent>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct SpatialExtent {
    /// Min lon, min lat, max lon, max lat (CRS84).
    bbox: Vec<[f64; 4]>,
    crs: &'static str,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct TemporalExtent {
    interval: Vec<[String; 2]>,
    trs: &'static str,
}

/// `GET /collections`.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct Collections {
    collections: Vec<Collection>,
    links: Vec<Link>,
}

fn link(href: String, rel: &'static str, media_type: &'static str) -> Link {
    Link { href, rel, media_type, title: None }
}

/// A collection: its links, and its extent from its stored features (the municipality's box
/// while it is empty), with the span of its dates for dated layers.
fn collection(layer: &Layer, state: &AppState, base: &BaseUrl) -> Collection {
    let stored = state.derived().extents.get(&layer.name).cloned();
    let bbox = stored
        .as_ref()
        .and_then(|e| crate::spatial::envelope_in(e.envelope, ANALYSIS_CRS, Crs::Wgs84).ok())
        .map(|b| b.map(|v| (v * 1e6).round() / 1e6))
        .unwrap_or(state.config.project.extent_wgs84);
    let temporal = stored.and_then(|e| e.dates).map(|(first, last)| TemporalExtent {
        interval: vec![[format!("{first}T00:00:00Z"), format!("{last}T23:59:59Z")]],
        trs: "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
    });
    let at = |path: &str| base.join(&format!("/collections/{}{path}", layer.name));
    Collection {
        id: layer.name.clone(),
        title: layer.title_nb.clone(),
        description: format!("{} ({})", layer.description, layer.title_en),
        item_type: "feature",
        crs: OFFERED.iter().map(|(uri, _)| *uri).collect(),
        storage_crs: crs_uri(ANALYSIS_CRS),
        extent: CollectionExtent { spatial: SpatialExtent { bbox: vec![bbox], crs: CRS84 }, temporal },
        links: vec![
            Link { title: Some(layer.title_nb.clone()), ..link(at("/items"), "items", "application/geo+json") },
            link(at(""), "self", "application/json"),
            link(at("/queryables"), "http://www.opengis.net/def/rel/ogc/1.0/queryables", "application/schema+json"),
        ],
    }
}

fn visible_layer<'a>(state: &'a AppState, caller: &Caller, name: &str) -> Result<&'a Layer, ApiError> {
    let layer = state.config.layer(name).ok().filter(|l| l.has_geometry()).ok_or_else(|| ApiError::NotFound(format!("no collection '{name}'")))?;
    if layer.visibility == Visibility::Internal && !caller.role.is_internal() {
        return Err(ApiError::Forbidden(format!("collection '{name}' is internal; it needs the analyst role")));
    }
    Ok(layer)
}

/// `GET /collections`: every layer the caller may see.
pub async fn collections(State(state): State<AppState>, base: BaseUrl, caller: Caller) -> Json<Collections> {
    let list: Vec<Collection> = state
        .config
        .layers
        .iter()
        .filter(|l| l.has_geometry() && (l.visibility == Visibility::Public || caller.role.is_internal()))
        .map(|l| collection(l, &state, &base))
        .collect();
    Json(Collections { collections: list, links: vec![link(base.join("/collections"), "self", "application/json")] })
}

/// `GET /collections/{layer}/queryables`: the properties `items` filters on (`property=value`),
/// sorts by (`sortby`) and selects (`properties`), as JSON Schema (OGC API - Features Part 3).
pub async fn queryables(State(state): State<AppState>, base: BaseUrl, caller: Caller, Path(name): Path<String>) -> Result<Response, ApiError> {
    let layer = visible_layer(&state, &caller, &name)?;
    let properties: serde_json::Map<String, Value> = queryables_of(layer).iter().map(|(n, kind)| (n.to_string(), kind.json_schema())).collect();
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": base.join(&format!("/collections/{name}/queryables")),
        "type": "object",
        "title": layer.title_nb,
        "properties": properties,
        "additionalProperties": false
    });
    Ok(([(header::CONTENT_TYPE, "application/schema+json")], schema.to_string()).into_response())
}

/// `GET /collections/{layer}`.
pub async fn one_collection(State(state): State<AppState>, base: BaseUrl, caller: Caller, Path(name): Path<String>) -> Result<Json<Collection>, ApiError> {
    Ok(Json(collection(visible_layer(&state, &caller, &name)?, &state, &base)))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct ItemsQuery {
    /// min x, min y, max x, max y in `bbox-crs` (CRS84 degrees by default: min lon, min lat, ...).
    bbox: Option<String>,
    /// The CRS of `bbox`: a URI from the collection's `crs` list.
    #[serde(rename = "bbox-crs")]
    bbox_crs: Option<String>,
    /// The CRS of the answer's geometry: a URI from the collection's `crs` list (default CRS84).
    crs: Option<String>,
    /// Page size, 1-10000 (default 100).
    #[schemars(range(min = 1, max = 10_000), extend("default" = 100))]
    limit: Option<usize>,
    /// Items to skip.
    offset: Option<usize>,
    /// A date or an interval `start/end` (`..` for open ends).
    datetime: Option<String>,
    /// `json` or `geojson` (the only encodings offered).
    #[allow(dead_code, reason = "accepted and documented; GeoJSON is the only answer")]
    f: Option<FeatureFormat>,
    /// The properties to include, comma-separated (default: all).
    properties: Option<String>,
    /// A property to order by: `name` or `+name` ascending, `-name` descending (then by id).
    sortby: Option<String>,
}

/// The query parameters `items` takes besides the collection's queryables (`property=value`).
const ITEMS_PARAMETERS: [&str; 9] = ["bbox", "bbox-crs", "crs", "limit", "offset", "datetime", "f", "properties", "sortby"];

/// The collection's properties by name and type (its queryables).
fn queryables_of(layer: &Layer) -> &'static [(&'static str, PropertyType)] {
    feature_properties(crate::store::write::Table::for_kind(layer.kind).name()).unwrap_or_default()
}

/// Whether `name` is one of the layer's queryables.
fn is_queryable(layer: &Layer, name: &str) -> bool {
    queryables_of(layer).iter().any(|(n, _)| *n == name)
}

fn queryable_names(layer: &Layer) -> String {
    queryables_of(layer).iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

/// `property=value` filters from the query string; 400 naming what is offered for any other
/// parameter (OGC API - Features 7.15.2: unknown parameters are an error, not ignored, or a
/// client would page through everything believing it filtered).
fn property_filters(layer: &Layer, pairs: &[(String, String)]) -> Result<Vec<(String, String)>, ApiError> {
    let mut filters = Vec::new();
    for (key, value) in pairs.iter().filter(|(key, _)| !ITEMS_PARAMETERS.contains(&key.as_str())) {
        if !is_queryable(layer, key) {
            let hint = if key.starts_with("filter") { " CQL2 filters are not offered; filter on a queryable with property=value." } else { "" };
            return Err(ApiError::BadRequest(format!(
                "unknown parameter '{key}'.{hint} Collection {} takes {} and its queryables {} (/collections/{}/queryables)",
                layer.name,
                ITEMS_PARAMETERS.join(", "),
                queryable_names(layer),
                layer.name
            )));
        }
        filters.push((key.clone(), value.clone()));
    }
    Ok(filters)
}

/// `sortby=name`, `+name` or `-name` on one queryable.
fn sort_order(layer: &Layer, sortby: &str) -> Result<(String, bool), ApiError> {
    let trimmed = sortby.trim();
    let (name, descending) = match trimmed.strip_prefix('-') {
        Some(name) => (name, true),
        None => (trimmed.strip_prefix('+').unwrap_or(trimmed), false),
    };
    if !is_queryable(layer, name) {
        return Err(ApiError::BadRequest(format!(
            "sortby={sortby}: sort by one of {} (+ ascending, - descending); the default order is by id",
            queryable_names(layer)
        )));
    }
    Ok((name.to_string(), descending))
}

/// `f=json` or `f=geojson`; 400 for any other encoding.
/// `properties=a,b`: the names, each a property of the layer.
fn chosen_properties(layer: &Layer, list: &str) -> Result<Vec<String>, ApiError> {
    list.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|name| match is_queryable(layer, name) {
            true => Ok(name.to_string()),
            false => Err(ApiError::BadRequest(format!("properties: '{name}' is not a property of {}; it has {}", layer.name, queryable_names(layer)))),
        })
        .collect()
}

/// Most items one page may hold.
const MAX_LIMIT: usize = 10_000;

/// `GET /collections/{layer}/items?bbox=&limit=&offset=&datetime=`: GeoJSON in CRS84.
/// 400 for a malformed bbox or datetime; 403 for internal layers without the analyst role.
pub async fn items(
    State(state): State<AppState>,
    base: BaseUrl,
    view: View,
    Path(name): Path<String>,
    Query(q): Query<ItemsQuery>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let layer = visible_layer(&state, view.caller(), &name)?.clone();
    let equals = property_filters(&layer, &pairs)?;
    let sort = q.sortby.as_deref().map(|s| sort_order(&layer, s)).transpose()?;
    let chosen = q.properties.as_deref().map(|list| chosen_properties(&layer, list)).transpose()?;
    let limit = q.limit.unwrap_or(100).clamp(1, MAX_LIMIT);
    let offset = q.offset.unwrap_or(0);
    let bbox_crs = q.bbox_crs.as_deref().map(|u| offered_crs(u, "bbox-crs")).transpose()?.unwrap_or(Crs::Wgs84);
    let bbox = q.bbox.as_deref().map(|b| parse_bbox(b, bbox_crs)).transpose()?;
    let out_crs = q.crs.as_deref().map(|u| offered_crs(u, "crs")).transpose()?.unwrap_or(Crs::Wgs84);
    let dates = q.datetime.as_deref().map(parse_datetime).transpose()?;
    let page = FeaturePage { id: None, bbox, dates, equals, sort, limit, offset };
    let (features, matched) = match &view {
        View::Public(public) => public.reference.features(&layer, page).await?,
        View::Internal(internal) => internal.store.layer_features(&layer, page).await?,
    };
    let to_out = Transformer::new(ANALYSIS_CRS, out_crs);
    let mut out: Vec<Value> = features.into_iter().filter_map(|f| feature_json(&state, &layer, &to_out, f)).collect();
    if let Some(chosen) = &chosen {
        for feature in &mut out {
            if let Some(properties) = feature["properties"].as_object_mut() {
                properties.retain(|key, _| chosen.contains(key));
            }
        }
    }
    let returned = out.len();
    let link = |offset: usize| base.join(&page_link(&name, &pairs, limit, offset));
    let mut links = vec![json!({ "href": link(offset), "rel": "self", "type": "application/geo+json" })];
    if offset.saturating_add(returned) < matched as usize {
        links.push(json!({ "href": link(offset.saturating_add(limit)), "rel": "next", "type": "application/geo+json" }));
    }
    let body = json!({ "type": "FeatureCollection", "features": out, "numberMatched": matched, "numberReturned": returned, "links": links });
    Ok(geojson_response(body.to_string(), out_crs))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct ItemQuery {
    /// The CRS of the answer's geometry: a URI from the collection's `crs` list (default CRS84).
    crs: Option<String>,
    /// `json` or `geojson` (the only encodings offered).
    #[allow(dead_code, reason = "accepted and documented; GeoJSON is the only answer")]
    f: Option<FeatureFormat>,
}

/// `GET /collections/{layer}/items/{id}`: one feature; 404 when the layer has no such id.
pub async fn item(
    State(state): State<AppState>,
    base: BaseUrl,
    view: View,
    Path((name, id)): Path<(String, String)>,
    Query(q): Query<ItemQuery>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let layer = visible_layer(&state, view.caller(), &name)?.clone();
    if let Some((key, _)) = pairs.iter().find(|(key, _)| key != "crs" && key != "f") {
        return Err(ApiError::BadRequest(format!("unknown parameter '{key}': one item takes crs and f")));
    }
    let out_crs = q.crs.as_deref().map(|u| offered_crs(u, "crs")).transpose()?.unwrap_or(Crs::Wgs84);
    let page = FeaturePage { id: Some(id.clone()), limit: 1, ..FeaturePage::default() };
    let (features, _) = match &view {
        View::Public(public) => public.reference.features(&layer, page).await?,
        View::Internal(internal) => internal.store.layer_features(&layer, page).await?,
    };
    let to_out = Transformer::new(ANALYSIS_CRS, out_crs);
    let mut feature = features
        .into_iter()
        .find_map(|f| feature_json(&state, &layer, &to_out, f))
        .ok_or_else(|| ApiError::NotFound(format!("collection '{name}' has no item '{id}'")))?;
    feature["links"] = json!([
        { "href": base.join(&format!("/collections/{name}/items/{}", url_segment(&id))), "rel": "self", "type": "application/geo+json" },
        { "href": base.join(&format!("/collections/{name}")), "rel": "collection", "type": "application/json" }
    ]);
    Ok(geojson_response(feature.to_string(), out_crs))
}

/// A GeoJSON answer naming its CRS (`Content-Crs`, OGC API - Features Part 2).
fn geojson_response(body: String, crs: Crs) -> Response {
    ([(header::CONTENT_TYPE, "application/geo+json".to_string()), (header::HeaderName::from_static("content-crs"), format!("<{}>", crs_uri(crs)))], body)
        .into_response()
}

/// A stored feature as GeoJSON in the answer's CRS. Delbydeler carry the population every other output
/// shows (areal weighting of the grid) where the file gave none.
fn feature_json(state: &AppState, layer: &Layer, to_out: &Transformer, f: crate::store::StoredFeature) -> Option<Value> {
    let geometry = geojson::Geometry::from(&to_out.geometry(&f.geometry()).ok()?);
    let mut properties = f.properties;
    if layer.name == state.config.project.assign_layer && properties.get("population").is_none_or(Value::is_null) {
        let population = state.derived().geography.infos.iter().find(|a| a.code == f.id).and_then(|a| a.population).map(|p| p.round() as i64);
        properties.insert("population".into(), json!(population));
    }
    Some(json!({ "type": "Feature", "id": f.id, "geometry": geometry, "properties": properties }))
}

/// An id as one path segment: road ids such as `way/123` hold a slash.
fn url_segment(id: &str) -> String {
    id.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// A page of `items` with the same parameters (a client following `next` keeps its filters).
fn page_link(name: &str, pairs: &[(String, String)], limit: usize, offset: usize) -> String {
    let encode = |v: &str| v.replace('%', "%25").replace(' ', "%20").replace('&', "%26").replace('+', "%2B").replace('#', "%23").replace('=', "%3D");
    let mut href = format!("/collections/{name}/items?limit={limit}&offset={offset}");
    for (key, value) in pairs.iter().filter(|(key, _)| key != "limit" && key != "offset") {
        href.push_str(&format!("&{}={}", encode(key), encode(value)));
    }
    href
}

/// A bbox in `crs` (CRS84 degrees, or metres of a UTM zone): features intersecting it match.
fn parse_bbox(text: &str, crs: Crs) -> Result<BoxQuery, ApiError> {
    let bad = || {
        ApiError::BadRequest(if crs.is_geographic() {
            format!("bbox={text}: give min_lon,min_lat,max_lon,max_lat in degrees")
        } else {
            format!("bbox={text}: give min_x,min_y,max_x,max_y in metres of {crs} (bbox-crs)")
        })
    };
    let v: Vec<f64> = text.split(',').map(|s| s.trim().parse::<f64>()).collect::<Result<_, _>>().map_err(|_| bad())?;
    let [w, s, e, n] = <[f64; 4]>::try_from(v).map_err(|_| bad())?;
    let in_range = if crs.is_geographic() {
        (-180.0..=180.0).contains(&w) && (-90.0..=90.0).contains(&s) && e <= 180.0 && n <= 90.0
    } else {
        w.is_finite() && n.is_finite()
    };
    if !(w < e && s < n && in_range) {
        return Err(bad());
    }
    // One municipality: about 4 square degrees, or 40,000 km².
    let too_big = if crs.is_geographic() { (e - w) * (n - s) > 4.0 } else { (e - w) * (n - s) > 4.0e10 };
    if too_big {
        return Err(ApiError::BadRequest(format!("bbox={text} covers more than a region; bomiljo serves one municipality")));
    }
    BoxQuery::new(crs, [w, s, e, n]).map_err(|_| bad())
}

/// `2024-05-17`, `2024-01-01/2024-12-31`, `../2024-12-31` or `2024-01-01/..` (times are ignored:
/// data are dates).
fn parse_datetime(text: &str) -> Result<(String, String), ApiError> {
    let date = |s: &str, open: &str| -> Result<String, ApiError> {
        if s == ".." || s.is_empty() {
            return Ok(open.to_string());
        }
        let day = s.get(..10).unwrap_or(s);
        chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .map(|d| d.to_string())
            .map_err(|_| ApiError::BadRequest(format!("datetime={text}: use YYYY-MM-DD or an interval start/end")))
    };
    match text.split_once('/') {
        Some((from, to)) => Ok((date(from, "0001-01-01")?, date(to, "9999-12-31")?)),
        None => {
            let d = date(text, "")?;
            Ok((d.clone(), d))
        }
    }
}

/// Shared by the vector tiles: the collection's layer when visible to the caller.
pub(crate) fn layer_for_tiles(state: &AppState, caller: &Caller, name: &str) -> Result<Arc<Layer>, ApiError> {
    visible_layer(state, caller, name).map(|l| Arc::new(l.clone()))
}
