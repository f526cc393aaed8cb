//! The siting API: explained scores, comparison, all groups at once, the suitability surface
//! (GeoJSON and PNG tiles) and the rule set. Coordinates in and out are WGS84.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, Query, State},
    response::Response,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{ApiError, AppState, auth::Caller};
use crate::analysis::siting::sensitivity::{self, Swap, VerdictFlip};
use crate::analysis::siting::what_if::{Change, WhatIf};
use crate::analysis::siting::{Explanation, GroupRules};
use crate::render::ramp;
use crate::siting::need::NeedAtSite;
use crate::siting::{self, Candidate, SitingContext, SitingError, SurfaceParams};
use crate::spatial::{ANALYSIS_CRS, Crs, Transformer};

impl From<SitingError> for ApiError {
    fn from(e: SitingError) -> ApiError {
        match e {
            SitingError::Store(s) => ApiError::Store(s),
            other => ApiError::BadRequest(other.to_string()),
        }
    }
}

/// The served siting context (the server does not start without its rules).
fn context(state: &AppState) -> Arc<SitingContext> {
    Arc::clone(&state.derived().siting)
}

/// A site in a request: WGS84 degrees.
#[derive(Clone, Debug, Deserialize, schemars::JsonSchema)]
pub struct SiteRequest {
    /// A name for the site, echoed back.
    #[serde(default)]
    pub label: Option<String>,
    /// Longitude (WGS84).
    pub lon: f64,
    /// Latitude (WGS84).
    pub lat: f64,
    /// Proposed units, 1-1000 (the group's usual number when absent).
    #[serde(default)]
    pub units: Option<u32>,
    /// Whether the site has its own staff base (personalbase).
    #[serde(default)]
    pub staff_base_on_site: Option<bool>,
}

impl SiteRequest {
    pub(super) fn candidate(&self, state: &AppState) -> Result<Candidate, ApiError> {
        let (x, y) = state.config.project.site_from_lonlat(crate::spatial::LonLat { lon: self.lon, lat: self.lat }).map_err(ApiError::BadRequest)?;
        state.derived().coverage.site(x, y).map_err(ApiError::BadRequest)?;
        if self.units.is_some_and(|u| u == 0 || u > 1000) {
            return Err(ApiError::BadRequest("units must be 1-1000".into()));
        }
        Ok(Candidate { label: self.label.clone(), x, y, units: self.units, staff_base_on_site: self.staff_base_on_site })
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct ScoreRequest {
    /// Matrix group 1-8.
    pub group: u8,
    #[serde(flatten)]
    pub site: SiteRequest,
    /// Analysts: weights and thresholds to try instead of the matrix's, within the rule file's
    /// `[what_if]` ranges. The public always gets the matrix.
    #[serde(default)]
    pub what_if: Option<WhatIf>,
}

/// An explanation with the site it is about.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ScoreResponse {
    pub label: Option<String>,
    pub lon: f64,
    pub lat: f64,
    #[serde(flatten)]
    pub explanation: Explanation,
    /// What a what-if moved from the matrix (empty: the matrix as it is).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed: Vec<Change>,
    /// The weights, one factor at a time and within the rule file's range, at which the site's
    /// verdict would change, nearest first.
    pub sensitivity: Vec<VerdictFlip>,
    /// In a comparison: the smallest change of one weight that would swap this site with the
    /// next one down (none when no weight in the range would).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stability: Option<Swap>,
    /// The newest housing-need survey in the site's bydel for the group: the gap for analysts,
    /// the reported need for the public (absent when no survey is imported).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub need: Option<NeedAtSite>,
}

/// The need in the bydel of the site at (`x`, `y`), EPSG:25832.
fn need_at(state: &AppState, caller: &Caller, (x, y): (f64, f64), group: u8) -> Option<NeedAtSite> {
    let derived = state.derived();
    let bydel = derived.reference.assignment_areas(&state.config)?.locate(x, y)?.parent_code.clone()?;
    let name = derived.geography.bydel_names.get(&bydel).cloned();
    derived.need().at_site(&bydel, name, group, caller.role.is_internal())
}

/// The group's rules for a caller: the matrix, or an analyst's what-if with what it moved.
fn rules_for(ctx: &SitingContext, caller: &Caller, group: u8, what_if: Option<&WhatIf>) -> Result<(GroupRules, Vec<Change>), ApiError> {
    match what_if.filter(|w| !w.is_empty()) {
        None => Ok((ctx.group(group)?.clone(), Vec::new())),
        // The public is scored by the matrix as it is.
        Some(_) if !caller.role.is_internal() => Err(caller.refused(crate::privacy::Role::Analyst)),
        Some(asked) => Ok(siting::what_if_rules(ctx, group, asked)?),
    }
}

/// An explanation as answered: a what-if's changes said first, and where the verdict would turn.
fn answer(ctx: &SitingContext, label: Option<String>, (lon, lat): (f64, f64), mut explanation: Explanation, changed: &[Change]) -> ScoreResponse {
    siting::mark_what_if(&mut explanation, changed);
    let sensitivity = sensitivity::verdict_flips(&explanation, ctx.rules().what_if.weight);
    ScoreResponse { label, lon, lat, explanation, changed: changed.to_vec(), sensitivity, stability: None, need: None }
}

/// `POST /api/score` `{group, lon, lat, units?, what_if?}`: 200 with the explained score and
/// where its verdict would turn; 400 for a bad group, a point outside the municipality or a
/// what-if outside the rule file's ranges; 403 for a what-if from the public.
pub async fn score(State(state): State<AppState>, caller: Caller, Json(req): Json<ScoreRequest>) -> Result<Json<ScoreResponse>, ApiError> {
    let ctx = context(&state);
    let site = req.site.candidate(&state)?;
    let (rules, changed) = rules_for(&ctx, &caller, req.group, req.what_if.as_ref())?;
    let explanation = siting::score_with(&ctx, &rules, &site, &caller.policy);
    let need = need_at(&state, &caller, (site.x, site.y), req.group);
    Ok(Json(ScoreResponse { need, ..answer(&ctx, req.site.label, (req.site.lon, req.site.lat), explanation, &changed) }))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct CompareRequest {
    /// Matrix group 1-8.
    pub group: u8,
    /// 1-50 candidate sites (a scenario: 2-20 planned sites).
    pub sites: Vec<SiteRequest>,
    /// Analysts: as in `POST /api/score`.
    #[serde(default)]
    pub what_if: Option<WhatIf>,
    /// Comparisons: `score` (the default) best first; `need_gap` (analysts) the sites in the bydeler
    /// still lacking the most homes for the group first (the newest survey's need less the homes
    /// in place and those opened or planned since), best first among equals; sites where the need
    /// is not surveyed last.
    #[serde(default)]
    pub order: RankOrder,
}

/// How a comparison ranks its sites.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RankOrder {
    #[default]
    Score,
    NeedGap,
}

/// `POST /api/score/compare` `{group, sites: [{label?, lon, lat, units?}], what_if?}` (at most
/// 50): the sites ranked best first, each with the smallest weight change that would swap it
/// with the next.
pub async fn compare(State(state): State<AppState>, caller: Caller, Json(req): Json<CompareRequest>) -> Result<Json<Vec<ScoreResponse>>, ApiError> {
    if req.sites.is_empty() || req.sites.len() > 50 {
        return Err(ApiError::BadRequest("give 1-50 sites".into()));
    }
    let ctx = context(&state);
    let candidates: Vec<Candidate> = req.sites.iter().map(|s| s.candidate(&state)).collect::<Result<_, _>>()?;
    let (rules, changed) = rules_for(&ctx, &caller, req.group, req.what_if.as_ref())?;
    if req.order == RankOrder::NeedGap && !caller.role.is_internal() {
        return Err(caller.refused(crate::privacy::Role::Analyst));
    }
    let mut ranked: Vec<_> = siting::compare_with(&ctx, &rules, &candidates, &caller.policy)
        .into_iter()
        .map(|(site, explanation)| {
            let need = need_at(&state, &caller, (site.x, site.y), req.group);
            (site, explanation, need)
        })
        .collect();
    let by_need = req.order == RankOrder::NeedGap;
    if by_need {
        // Stable: best first among equal needs, as compared.
        ranked.sort_by_key(|(_, _, need)| need.as_ref().map_or((true, std::cmp::Reverse(0)), |n| n.balance.siting_order()));
    }
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let range = ctx.rules().what_if.weight;
    // Ordered by need, no weight reorders the list: a swap point would mislead.
    let swaps: Vec<Option<Swap>> = ranked.windows(2).map(|pair| if by_need { None } else { sensitivity::swap_point(&pair[0].1, &pair[1].1, range) }).collect();
    Ok(Json(
        ranked
            .into_iter()
            .zip(swaps.into_iter().chain(std::iter::once(None)))
            .map(|((site, explanation, need), stability)| {
                let at = to_wgs84.apply(site.x, site.y).unwrap_or((f64::NAN, f64::NAN));
                ScoreResponse { stability, need, ..answer(&ctx, site.label, at, explanation, &changed) }
            })
            .collect(),
    ))
}

/// A planned site scored with the scenario's other sites counted as if built.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ScenarioSite {
    pub label: Option<String>,
    pub lon: f64,
    pub lat: f64,
    #[serde(flatten)]
    pub explanation: Explanation,
    /// The site's score alone (the others not built), for comparison.
    pub alone_score: f64,
    /// What the other planned sites add to each rule's measurement (units, sites).
    pub planned: Vec<PlannedAdded>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct PlannedAdded {
    pub rule: String,
    pub added: f64,
}

/// `POST /api/score/scenario` `{group, sites, what_if?}` (analysts): a named set of planned sites
/// scored together: each site's concentration and group-site counts include the other planned
/// sites; with each site's score alone beside it. Two scenarios compare by asking twice.
pub async fn scenario(State(state): State<AppState>, caller: Caller, Json(req): Json<CompareRequest>) -> Result<Json<Vec<ScenarioSite>>, ApiError> {
    if !(2..=20).contains(&req.sites.len()) {
        return Err(ApiError::BadRequest("a scenario has 2-20 planned sites".into()));
    }
    let ctx = context(&state);
    let candidates: Vec<Candidate> = req.sites.iter().map(|s| s.candidate(&state)).collect::<Result<_, _>>()?;
    let (rules, changed) = rules_for(&ctx, &caller, req.group, req.what_if.as_ref())?;
    // Up to 20 sites, each measured once: off the async workers.
    let (work_ctx, policy) = (Arc::clone(&ctx), caller.policy);
    let scored = tokio::task::spawn_blocking(move || siting::score_scenario(&work_ctx, &rules, &candidates, &policy))
        .await
        .map_err(ApiError::task("scenario scoring"))?;
    Ok(Json(
        req.sites
            .iter()
            .zip(scored)
            .map(|(asked, siting::ScenarioScore { explanation, planned, alone: alone_score })| {
                let answered = answer(&ctx, asked.label.clone(), (asked.lon, asked.lat), explanation, &changed);
                ScenarioSite {
                    label: answered.label,
                    lon: asked.lon,
                    lat: asked.lat,
                    explanation: answered.explanation,
                    alone_score,
                    planned: planned.into_iter().map(|(rule, added)| PlannedAdded { rule, added }).collect(),
                }
            })
            .collect(),
    ))
}

/// `GET /api/score/groups?lon=&lat=&units=`: the site scored for all eight groups.
pub async fn all_groups(State(state): State<AppState>, caller: Caller, Query(req): Query<SiteRequest>) -> Result<Json<Vec<Explanation>>, ApiError> {
    let ctx = context(&state);
    let site = req.candidate(&state)?;
    Ok(Json(siting::score_all_groups(&ctx, &site, &caller.policy)))
}

/// `GET /api/rules`: the rule set in force, with every threshold, weight and source.
pub async fn rules(State(state): State<AppState>) -> Json<crate::analysis::siting::RuleSet> {
    Json(context(&state).rules().clone())
}

/// Cell sizes of public suitability maps: a few fixed ones, so that public requests share the
/// cache instead of each costing a fresh surface.
const PUBLIC_CELLS_M: [f64; 4] = [50.0, 100.0, 250.0, 500.0];

/// Most grid cells of a public suitability surface as GeoJSON: the city at 50 m is 190,000
/// (half a CPU-second to score); the tiles draw 50 m a tile at a time.
const PUBLIC_GEOJSON_MAX_CELLS: usize = 20_000;

/// Cells across a tile at most: at low zoom a finer grid is smaller than a pixel and would cost
/// the whole city for one tile, so the tile is drawn on the next coarser public grid.
const MAX_CELLS_ACROSS_TILE: f64 = 128.0;

/// The parameters checked for the caller, with `need_gap` resolved to the bydeler where the
/// newest survey shows a gap for the group (staff only: the gap is made from the housing layer).
fn checked(state: &AppState, caller: &Caller, params: SurfaceParams) -> Result<SurfaceParams, ApiError> {
    check_public(caller, &params)?;
    if !params.need_gap {
        return Ok(params);
    }
    if !caller.role.is_internal() {
        return Err(caller.refused(crate::privacy::Role::Analyst));
    }
    let need = state.derived().need();
    let year = need.latest_year().ok_or_else(|| ApiError::NotFound("need_gap: no housing-need survey is imported (the need layer)".into()))?;
    let gaps = need.bydeler_by_gap(year, params.group).into_iter().filter(|b| b.gap_after_planned.is_some_and(|g| g > 0)).filter_map(|b| b.bydel).collect();
    Ok(SurfaceParams { within_bydeler: Some(gaps), ..params })
}

fn check_public(caller: &Caller, params: &SurfaceParams) -> Result<(), ApiError> {
    if caller.role.is_internal() {
        return Ok(());
    }
    if !PUBLIC_CELLS_M.contains(&params.cell_m) {
        return Err(ApiError::BadRequest(format!("cell_m = {}: public suitability maps use 50, 100, 250 or 500 m", params.cell_m)));
    }
    if params.units.is_some_and(|u| !(1..=20).contains(&u)) {
        return Err(ApiError::BadRequest("units must be 1-20 (at most 20 residents per site, bystyret 2004)".into()));
    }
    Ok(())
}

async fn surface(state: &AppState, caller: &Caller, params: SurfaceParams) -> Result<Arc<siting::Surface>, ApiError> {
    let params = checked(state, caller, params)?;
    let key = format!("{}|{:?}", serde_json::to_string(&params).unwrap_or_default(), caller.policy.role.is_internal());
    state
        .derived()
        .surface_cache
        .get_or_compute(&key, || async move {
            let ctx = context(state);
            let policy = caller.policy;
            let _permit = caller.costly(&state.costly)?;
            let computed = tokio::task::spawn_blocking(move || siting::surface(&ctx, &params, &policy)).await.map_err(ApiError::task("surface"))??;
            Ok(Arc::new(computed))
        })
        .await
}

/// `GET /api/suitability?group=&area=&cell_m=&units=`: the scored grid as GeoJSON (WGS84);
/// `score` is null where a constraint excludes the cell; `along_streets` says whether the
/// distances the rules ask to walk were measured along the streets there (else in a straight
/// line).
pub async fn suitability(State(state): State<AppState>, caller: Caller, Query(params): Query<SurfaceParams>) -> Result<Json<Value>, ApiError> {
    if !caller.role.is_internal() {
        let cells = siting::grid_cells(&context(&state), &params)?;
        if cells > PUBLIC_GEOJSON_MAX_CELLS {
            return Err(ApiError::BadRequest(format!(
                "{cells} cells at cell_m = {}: a public suitability grid as GeoJSON has at most {PUBLIC_GEOJSON_MAX_CELLS}; pass area=, a larger cell_m, or use /tiles/suitability",
                params.cell_m
            )));
        }
    }
    let surface = surface(&state, &caller, params).await?;
    let inside = surface.cells.iter().filter(|c| c.is_some()).count();
    if inside > 100_000 {
        return Err(ApiError::BadRequest(format!("{inside} cells is more than 100000; pass area=, a larger cell_m, or use /tiles/suitability")));
    }
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let features: Vec<Value> = surface
        .cells
        .iter()
        .enumerate()
        .filter_map(|(i, cell)| {
            let score = (*cell)?;
            let ring = super::cell_ring_wgs84(surface.grid.bounds(i), &to_wgs84);
            let properties = json!({ "score": score, "excluded": score.is_none(), "along_streets": surface.along_streets[i] });
            Some(json!({ "type": "Feature", "geometry": { "type": "Polygon", "coordinates": [ring?] }, "properties": properties }))
        })
        .collect();
    Ok(Json(json!({ "type": "FeatureCollection", "features": features })))
}

/// `GET /tiles/suitability/{z}/{x}/{y}.png?group=&area=&cell_m=`: viridis by score, excluded
/// cells grey. Each tile scores only its own cells (on the city's grid, coarser at low zoom: at
/// most 128 × 128, under 0.1 CPU-s) and is kept per release. A tile takes no costly slot: a map
/// asks for a screenful at once, and each is cheap by construction.
pub async fn suitability_tile(
    State(state): State<AppState>,
    caller: Caller,
    Path(tile): Path<super::TilePath>,
    Query(params): Query<SurfaceParams>,
) -> Result<Response, ApiError> {
    let tile = tile.checked(super::TileFormat::Png)?;
    let params = checked(&state, &caller, params)?;
    let window = tile.envelope();
    let params = SurfaceParams { cell_m: cell_for_tile(params.cell_m, window), ..params };
    let key = super::tile_key("suitability", &params, tile, caller.role.is_internal());
    let png = state
        .derived()
        .tile_cache
        .get_or_compute(&key, || async move {
            let ctx = context(&state);
            let policy = caller.policy;
            let drawn = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, siting::SitingError> {
                let surface = siting::surface_within(&ctx, &params, &policy, Some(window))?;
                Ok(crate::render::tile::draw(&surface.grid, tile, |i| match surface.cells[i] {
                    None => None,
                    Some(None) => Some([128, 128, 128, 140]),
                    Some(Some(score)) => {
                        let [r, g, b] = ramp::viridis(score / 100.0);
                        Some([r, g, b, 190])
                    }
                }))
            })
            .await
            .map_err(ApiError::task("tile rendering"))??;
            Ok::<_, ApiError>(axum::body::Bytes::from(drawn))
        })
        .await?;
    Ok(super::tile_answer("image/png", png, caller.role.is_internal()))
}

/// The cell a tile is drawn with: the one asked for, or the next coarser public grid when that
/// would put more than [`MAX_CELLS_ACROSS_TILE`] cells across the tile.
fn cell_for_tile(asked_m: f64, [x0, _, x1, _]: [f64; 4]) -> f64 {
    let fits = |cell: f64| (x1 - x0) / cell <= MAX_CELLS_ACROSS_TILE;
    std::iter::once(asked_m).chain(PUBLIC_CELLS_M.into_iter().filter(|c| *c > asked_m)).find(|c| fits(*c)).unwrap_or(PUBLIC_CELLS_M[3].max(asked_m))
}

/// `GET /api/isochrone?lat=&lon=&minutes=&mode=` parameters.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IsochroneRequest {
    /// Latitude (WGS84).
    pub lat: f64,
    /// Longitude (WGS84).
    pub lon: f64,
    /// 1-30 minutes.
    #[serde(default = "five")]
    pub minutes: f64,
    /// `walk` or `drive` (default).
    #[serde(default = "drive")]
    pub mode: crate::index::network::Mode,
    /// `from` the point (default), or `to` it: where a staff base can lie to reach a home in the
    /// minutes (the two differ on one-way streets).
    #[serde(default = "from")]
    pub direction: crate::analysis::network::isochrone::Direction,
}

fn from() -> crate::analysis::network::isochrone::Direction {
    crate::analysis::network::isochrone::Direction::From
}

fn five() -> f64 {
    5.0
}

fn drive() -> crate::index::network::Mode {
    crate::index::network::Mode::Drive
}

/// `GET /api/isochrone?lat=&lon=&minutes=&mode=&direction=`: the area reachable from a point
/// along the streets, or from which it is reached (GeoJSON feature, WGS84); 404 when no street network is imported, 400 for a point
/// off the network or outside the municipality. The point is the caller's own (a planned
/// site); the network is public data, so any role may ask.
pub async fn isochrone(State(state): State<AppState>, Query(req): Query<IsochroneRequest>) -> Result<Json<Value>, ApiError> {
    let ctx = context(&state);
    let (x, y) = state.config.project.site_from_lonlat(crate::spatial::LonLat { lon: req.lon, lat: req.lat }).map_err(ApiError::BadRequest)?;
    if ctx.travel().is_none() {
        return Err(ApiError::NotFound("no street network: import the rule file's [network] layer (roads) to draw travel areas".into()));
    }
    let area = tokio::task::spawn_blocking(move || {
        let network = &ctx.travel().expect("checked above").network;
        siting::travel::reachable_area(network, x, y, req.mode, req.minutes, req.direction).map_err(|e| e.to_string())
    })
    .await
    .map_err(ApiError::task("isochrone"))?
    .map_err(ApiError::BadRequest)?;
    Ok(Json(area))
}
