//! The measurement API: indicators, heatmaps (GeoJSON grid, PNG tiles, legend), hotspots,
//! series and before/after. Every response passes the caller's privacy policy.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, Query, State},
    http::header,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, AppState, access::View};
use crate::measurement::{
    self, BeforeAfterParams, EmergingParams, HeatParams, HeatSurface, HotspotParams, Hotspots, Incidents, Level, LisaParams, SeriesParams,
};
use crate::render::ramp;
use crate::spatial::{ANALYSIS_CRS, Crs, Transformer};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MeasurementQuery {
    /// The year measured.
    year: i32,
    /// `delbydel` (default) or `bydel`.
    level: Option<Level>,
    /// `json` (default) or `csv`.
    format: Option<TableFormat>,
}

/// The form of a table answer.
#[derive(Clone, Copy, Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum TableFormat {
    #[default]
    Json,
    Csv,
}

/// Runs a measurement on the caller's incident data: the release for the public (in memory),
/// the raw rows for analysts (on the store's thread pool).
async fn on_incidents<T, F>(state: &AppState, view: &View, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&crate::config::Config, &measurement::Geography, Incidents) -> Result<T, measurement::MeasureError> + Send + 'static,
{
    let (config, geography) = (Arc::clone(&state.config), Arc::clone(&state.derived().geography));
    match view {
        View::Public(public) => {
            let release = Arc::clone(&public.release);
            tokio::task::spawn_blocking(move || f(&config, &geography, Incidents::Released(&release)))
                .await
                .map_err(ApiError::task("measurement"))?
                .map_err(ApiError::from)
        }
        View::Internal(internal) => Ok(internal.store.run(move |db| Ok(f(&config, &geography, Incidents::Raw(db)))).await??),
    }
}

/// `GET /api/measurement?year=Y[&level=bydel][&format=csv]`: indicators per delbydel (or bydel),
/// source and year. 200; 400 for a bad parameter.
pub async fn indicators(State(state): State<AppState>, view: View, Query(q): Query<MeasurementQuery>) -> Result<Response, ApiError> {
    let level = q.level.unwrap_or(Level::Delbydel);
    let rows = on_incidents(&state, &view, move |config, geography, incidents| measurement::measure(geography, incidents, config, q.year, level)).await?;
    let rows = view.caller().policy.apply(rows);
    Ok(match q.format.unwrap_or_default() {
        TableFormat::Csv => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], measurement::indicators_csv(&rows)).into_response(),
        TableFormat::Json => Json(rows).into_response(),
    })
}

/// Computes (or reuses) a heat surface for these parameters, already through the caller's
/// privacy policy (cached per role class, so each tile need not redact it again).
async fn surface(state: &AppState, view: &View, params: HeatParams) -> Result<Arc<HeatSurface>, ApiError> {
    let caller = view.caller();
    let key = format!("{}|{}", serde_json::to_string(&params).unwrap_or_default(), caller.role.is_internal());
    let policy = caller.policy;
    state
        .derived()
        .heat_cache
        .get_or_compute(&key, || async move {
            let _permit = caller.costly(&state.costly)?;
            let heat = on_incidents(state, view, move |config, geography, incidents| measurement::heat(geography, incidents, config, &params)).await?;
            Ok(Arc::new(policy.apply(heat)))
        })
        .await
}

/// Most cells a GeoJSON heat grid may hold; larger requests should clip to an area or use tiles.
const MAX_GEOJSON_CELLS: usize = 50_000;

/// `GET /api/heatmap?source=&category=&year=&to_year=&cell_m=&bandwidth_m=&area=&weighted=&per_1000=`:
/// the grid as GeoJSON polygons (WGS84), non-empty cells only. 400 for bad or oversized requests.
pub async fn heatmap(State(state): State<AppState>, view: View, Query(params): Query<HeatParams>) -> Result<Response, ApiError> {
    let shown = surface(&state, &view, params).await?;
    let caller = view.caller();
    let cells: Vec<usize> = (0..shown.grid().len()).filter(|&i| shown.values[i].is_some_and(|v| v > 0.0)).collect();
    if cells.len() > MAX_GEOJSON_CELLS {
        return Err(ApiError::BadRequest(format!(
            "{} cells is more than {MAX_GEOJSON_CELLS}; clip with area=, use a larger cell_m, or use /tiles/heat",
            cells.len()
        )));
    }
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let features: Vec<Value> = cells
        .into_iter()
        .filter_map(|i| {
            let ring = super::cell_ring_wgs84(shown.grid().bounds(i), &to_wgs84);
            let count = caller.policy.count(shown.density.support[i].round().max(0.0) as u64);
            Some(json!({
                "type": "Feature",
                "geometry": { "type": "Polygon", "coordinates": [ring?] },
                "properties": { "value": shown.values[i], "incidents_within_bandwidth": count }
            }))
        })
        .collect();
    Ok(Json(json!({
        "type": "FeatureCollection",
        "unit": shown.unit,
        "years": [shown.years.0, shown.years.1],
        "cell_m": shown.grid().cell.0,
        "features": features
    }))
    .into_response())
}

/// `GET /api/heatmap/geotiff?...` (parameters as /api/heatmap): the whole surface as a
/// Cloud-Optimized GeoTIFF in EPSG:25832, for GDAL and QGIS; no cell limit, unlike the GeoJSON.
pub async fn heat_geotiff(State(state): State<AppState>, view: View, Query(params): Query<HeatParams>) -> Result<Response, ApiError> {
    let shown = surface(&state, &view, params).await?;
    let tiff = crate::render::geotiff::cloud_optimized(shown.grid(), &shown.values, crate::spatial::ANALYSIS_CRS.epsg());
    let name = format!("heat-{}-{}.tif", shown.years.0, shown.years.1);
    Ok((
        [
            (header::CONTENT_TYPE, "image/tiff; application=geotiff; profile=cloud-optimized".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        tiff,
    )
        .into_response())
}

/// The share of the surface's maximum below which the heat map paints nothing: a kernel's tails
/// reach far, and painting them would cover the city in the ramp's darkest colour.
const HEAT_FLOOR: f64 = 0.01;

/// The colour of a value on the heat ramp (square-root scale, so faint areas still show), or
/// none below the floor.
fn heat_colour(value: f64, max: f64) -> Option<[u8; 4]> {
    let share = value / max;
    (share >= HEAT_FLOOR).then(|| {
        let [r, g, b] = ramp::viridis(share.sqrt());
        [r, g, b, 200]
    })
}

/// `GET /tiles/heat/{z}/{x}/{y}.png?...` (same parameters as /api/heatmap): a 256 px PNG tile.
pub async fn heat_tile(
    State(state): State<AppState>,
    view: View,
    Path(tile): Path<super::TilePath>,
    Query(params): Query<HeatParams>,
) -> Result<Response, ApiError> {
    let tile = tile.checked(super::TileFormat::Png)?;
    let key = super::tile_key("heat", &params, tile, view.caller().role.is_internal());
    let derived = state.derived();
    let png = match derived.tile_cache.get(&key) {
        Some(png) => png,
        None => {
            let shown = surface(&state, &view, params).await?;
            let png = tokio::task::spawn_blocking(move || {
                let max = shown.max();
                if max <= 0.0 || !tile.touches(shown.grid()) {
                    return crate::render::tile::empty_png();
                }
                crate::render::tile::draw(shown.grid(), tile, |i| shown.values[i].and_then(|v| heat_colour(v, max)))
            })
            .await
            .map_err(ApiError::task("tile rendering"))?;
            let png = axum::body::Bytes::from(png);
            derived.tile_cache.insert(key, png.clone());
            png
        }
    };
    Ok(super::tile_answer("image/png", png, view.caller().role.is_internal()))
}

/// `GET /api/heatmap/legend?...`: the unit, the value range and the colour stops of the tiles.
pub async fn heat_legend(State(state): State<AppState>, view: View, Query(params): Query<HeatParams>) -> Result<Json<HeatLegend>, ApiError> {
    let shown = surface(&state, &view, params).await?;
    let max = shown.max();
    // From the floor (the first colour painted) to the maximum, on the tiles' square-root scale.
    let first = HEAT_FLOOR.sqrt();
    let stops = (0..=4)
        .map(|i| {
            let t = first + (1.0 - first) * f64::from(i) / 4.0;
            HeatStop { value: max * t * t, colour: ramp::hex(ramp::viridis(t)) }
        })
        .collect();
    Ok(Json(HeatLegend { unit: shown.unit, unit_id: shown.unit_id, years: [shown.years.0, shown.years.1], max, floor: max * HEAT_FLOOR, stops }))
}

/// `GET /api/heatmap/legend`'s answer: what the heat tiles' colours stand for.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct HeatLegend {
    /// The unit in English.
    unit: &'static str,
    /// The unit's id, for the page's own language files (`per_km2`, `per_1000`).
    unit_id: &'static str,
    /// First and last year of the surface.
    years: [i32; 2],
    max: f64,
    /// Below this value the tiles paint nothing.
    floor: f64,
    /// Values and their colours, from the floor to the maximum.
    stops: Vec<HeatStop>,
}

#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct HeatStop {
    value: f64,
    colour: String,
}

/// `GET /api/hotspots?source=&year=&to_year=&cell_m=&band_m=&area=`: significant Gi* cells as
/// GeoJSON (WGS84) with class and confidence.
pub async fn hotspots(State(state): State<AppState>, view: View, Query(params): Query<HotspotParams>) -> Result<Json<Value>, ApiError> {
    once_per_release(&state, &view, format!("hotspots {params:?}"), hotspots_answer(&state, &view, params)).await
}

async fn hotspots_answer(state: &AppState, view: &View, params: HotspotParams) -> Result<Json<Value>, ApiError> {
    let cells = on_incidents(state, view, move |config, geography, incidents| measurement::hotspots(geography, incidents, config, &params)).await?;
    let Hotspots { cells, cold_spots_detectable } = view.caller().policy.apply(cells);
    if cells.len() > MAX_GEOJSON_CELLS {
        return Err(ApiError::BadRequest(format!(
            "{} hot and cold cells is more than {MAX_GEOJSON_CELLS}; clip with area= or use a larger cell_m",
            cells.len()
        )));
    }
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let features: Vec<Value> = cells
        .iter()
        .filter_map(|c| {
            cell_feature(
                &to_wgs84,
                &c.ring,
                json!({ "class": c.class, "level": c.class.level(), "confidence": c.confidence, "z": c.z, "q": c.q, "count": c.count }),
            )
        })
        .collect();
    let note = (!cold_spots_detectable).then_some("Kalde punkter kan ikke påvises på disse tallene: selv et område uten hendelser skiller seg ikke nok fra snittet. / Cold spots cannot be detected on these counts: even an area without incidents is not unusually low.");
    Ok(Json(json!({ "type": "FeatureCollection", "features": features, "cold_spots_detectable": cold_spots_detectable, "note": note })))
}

/// `GET /api/lisa?source=&year=&to_year=&cell_m=&band_m=&area=`: the cells whose Local Moran's I
/// is significant (FDR q < 0.05) as GeoJSON (WGS84): the quadrant (high-high, low-low and the two
/// outliers), I and q, and the cell's count where the caller may see it.
pub async fn lisa(State(state): State<AppState>, view: View, Query(params): Query<LisaParams>) -> Result<Json<Value>, ApiError> {
    once_per_release(&state, &view, format!("lisa {params:?}"), lisa_answer(&state, &view, params)).await
}

async fn lisa_answer(state: &AppState, view: &View, params: LisaParams) -> Result<Json<Value>, ApiError> {
    let cells = on_incidents(state, view, move |config, geography, incidents| measurement::lisa(geography, incidents, config, &params)).await?;
    let cells = view.caller().policy.apply(cells);
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let features: Vec<Value> = cells
        .iter()
        .filter(|c| c.q < LISA_Q)
        .filter_map(|c| cell_feature(&to_wgs84, &c.ring, json!({ "quadrant": c.quadrant, "i": c.i, "p": c.p, "q": c.q, "count": c.count })))
        .collect();
    if features.len() > MAX_GEOJSON_CELLS {
        return Err(ApiError::BadRequest(format!(
            "{} significant cells is more than {MAX_GEOJSON_CELLS}; clip with area= or use a larger cell_m",
            features.len()
        )));
    }
    Ok(Json(json!({ "type": "FeatureCollection", "features": features, "cells": cells.len(), "permutations": measurement::LISA_PERMUTATIONS })))
}

/// A public answer computed once per release and query (the cache goes with the release, which
/// holds everything a public answer depends on); analysts' answers are computed afresh.
async fn once_per_release(
    state: &AppState,
    view: &View,
    key: String,
    answer: impl std::future::Future<Output = Result<Json<Value>, ApiError>>,
) -> Result<Json<Value>, ApiError> {
    if !matches!(view, View::Public(_)) {
        return answer.await;
    }
    let value = state
        .derived()
        .answer_cache
        .get_or_compute(&key, || async {
            let _permit = view.caller().costly(&state.costly)?;
            answer.await.map(|Json(value)| Arc::new(value))
        })
        .await?;
    Ok(Json((*value).clone()))
}

/// Adjusted p below which a Local Moran's I is shown on the map.
const LISA_Q: f64 = 0.05;

/// A grid cell as a GeoJSON polygon feature in WGS84; `None` when a corner cannot be transformed.
fn cell_feature(to_wgs84: &Transformer, ring: &[[f64; 2]], properties: Value) -> Option<Value> {
    let ring: Option<Vec<[f64; 2]>> = ring.iter().map(|[x, y]| to_wgs84.apply(*x, *y).ok().map(|(a, b)| [a, b])).collect();
    Some(json!({ "type": "Feature", "geometry": { "type": "Polygon", "coordinates": [ring?] }, "properties": properties }))
}

/// `GET /api/emerging?source=&band_m=&area=`: cells with an emerging hot- or cold-spot pattern
/// as GeoJSON (WGS84): the pattern, in words in both languages, the state per year and the
/// trend; with the years and sources of the cube and the cells per pattern. The public get it
/// from the release's cells; it shows no count, so nothing is redacted.
pub async fn emerging(State(state): State<AppState>, view: View, Query(params): Query<EmergingParams>) -> Result<Json<Value>, ApiError> {
    once_per_release(&state, &view, format!("emerging {params:?}"), emerging_answer(&state, &view, params)).await
}

async fn emerging_answer(state: &AppState, view: &View, params: EmergingParams) -> Result<Json<Value>, ApiError> {
    let found = on_incidents(state, view, move |config, geography, incidents| measurement::emerging(geography, incidents, config, &params)).await?;
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let features: Vec<Value> = found
        .cells
        .iter()
        .filter_map(|c| {
            let properties = json!({
                "pattern": c.pattern, "label": c.label, "label_en": c.pattern.label(false), "delbydel": c.delbydel,
                "states": c.states, "trend_z": c.trend_z, "trend_p": c.trend_p
            });
            cell_feature(&to_wgs84, &c.ring, properties)
        })
        .collect();
    Ok(Json(
        json!({ "type": "FeatureCollection", "features": features, "years": [found.years.0, found.years.1], "sources": found.sources, "summary": found.summary }),
    ))
}

/// `GET /api/series?code=&source=&category=&monthly=&trend_years=`: counts per year (or month)
/// with the trend.
pub async fn series(State(state): State<AppState>, view: View, Query(params): Query<SeriesParams>) -> Result<Json<measurement::Series>, ApiError> {
    let series = on_incidents(&state, &view, move |config, geography, incidents| measurement::series(geography, config, incidents, &params)).await?;
    Ok(Json(view.caller().policy.apply(series)))
}

/// `GET /api/before-after?radius_m=&years=`: analysts get every site and the pooled result for
/// any radius and span; the public gets the release's one fixed, pooled result (parameters are
/// refused: nothing a public caller can vary reaches the housing sites).
pub async fn before_after(State(state): State<AppState>, view: View, Query(params): Query<BeforeAfterQuery>) -> Result<Json<BeforeAfterAnswer>, ApiError> {
    match view {
        View::Public(public) => {
            if params.radius_m.is_some() || params.years.is_some() || params.source.is_some() {
                return Err(ApiError::BadRequest("radius_m, years and source are fixed in the public release; leave them out".into()));
            }
            Ok(Json(BeforeAfterAnswer::Public(public.release.settings.before_after.clone())))
        }
        View::Internal(internal) => {
            measurement::check_source(&state.config, params.source.as_deref())?;
            let defaults = BeforeAfterParams::default();
            let params = BeforeAfterParams {
                radius_m: params.radius_m.unwrap_or(defaults.radius_m),
                years: params.years.unwrap_or(defaults.years),
                source: params.source,
            };
            let result = internal.store.run(move |db| Ok(measurement::before_after(&db, &params))).await??;
            Ok(Json(BeforeAfterAnswer::Staff(internal.caller.policy.apply(result))))
        }
    }
}

/// The before/after answer: the release's one public result, or every site for analysts.
#[derive(serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum BeforeAfterAnswer {
    Public(crate::release::PublicBeforeAfter),
    Staff(measurement::BeforeAfter),
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BeforeAfterQuery {
    /// Analysts: radius, 50-2000 m (default 300); refused for the public (fixed in the release).
    radius_m: Option<f64>,
    /// Analysts: years each side, 1-10 (default 3); refused for the public.
    years: Option<i32>,
    /// Analysts: one incident source (all when absent); refused for the public.
    source: Option<String>,
}
