//! `GET /api/areas` (delbydeler as GeoJSON in WGS84) and `GET /api/areas/{code}` (one
//! delbydel with incident counts per source and year).

use std::collections::BTreeMap;

use axum::{
    extract::{Path, State},
    http::header,
    response::IntoResponse,
    Json,
};
use serde::Serialize;

use super::{auth::Caller, ApiError, AppState};
use crate::config::Config;
use crate::index::{Area, SpatialIndex};
use crate::privacy::Count;
use crate::spatial::{Crs, Transformer};
use crate::store::{queries, StoreError};

/// `GET /api/areas`: a FeatureCollection of the delbydeler with `code`, `name`, `bydel`,
/// `population` and `area_km2`.
pub async fn list(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/geo+json")], state.areas_geojson.clone())
}

/// Renders the assignment areas once, reprojected to WGS84 for web maps.
pub fn feature_collection(conn: &duckdb::Connection, config: &Config, index: &SpatialIndex) -> Result<String, StoreError> {
    let population = queries::population_by_area(conn)?;
    let to_wgs84 = Transformer::new(crate::spatial::ANALYSIS_CRS, Crs::Wgs84);
    let features: Vec<geojson::Feature> = index
        .assignment_areas(config)
        .into_iter()
        .flat_map(|areas| areas.iter())
        .filter_map(|area| {
            let geometry = to_wgs84.geometry(&geo::Geometry::MultiPolygon(area.polygon.clone())).ok()?;
            let properties = serde_json::to_value(AreaProperties::of(area, &population)).ok()?;
            Some(geojson::Feature { geometry: Some(geojson::Geometry::from(&geometry)), properties: properties.as_object().cloned(), ..Default::default() })
        })
        .collect();
    Ok(geojson::FeatureCollection { features, bbox: None, foreign_members: None }.to_string())
}

#[derive(Serialize)]
struct AreaProperties<'a> {
    code: &'a str,
    name: Option<&'a str>,
    bydel: Option<&'a str>,
    population: Option<i64>,
    area_km2: f64,
}

impl<'a> AreaProperties<'a> {
    fn of(area: &'a Area, population: &BTreeMap<String, f64>) -> Self {
        AreaProperties {
            code: &area.code,
            name: area.name.as_deref(),
            bydel: area.parent_code.as_deref(),
            population: area.population.or_else(|| population.get(&area.code).map(|p| p.round() as i64)),
            area_km2: area.area_m2 / 1e6,
        }
    }
}

/// The body of `GET /api/areas/{code}`.
#[derive(Serialize)]
pub struct AreaDetail {
    code: String,
    name: Option<String>,
    bydel: Option<String>,
    population: Option<i64>,
    area_km2: f64,
    /// Incidents per source and year: `{"police": {"2024": 17}}`; "<k" for the public role.
    counts: BTreeMap<String, BTreeMap<String, Count>>,
}

/// `GET /api/areas/{code}`: 200 with the area and its counts, 404 for an unknown code.
pub async fn detail(State(state): State<AppState>, caller: Caller, Path(code): Path<String>) -> Result<Json<AreaDetail>, ApiError> {
    let area = state
        .index
        .assignment_areas(&state.config)
        .and_then(|areas| areas.get(&code))
        .ok_or_else(|| ApiError::NotFound(format!("no delbydel with code '{code}'")))?
        .clone();
    let lookup = area.code.clone();
    let (counts, population) =
        state.store.run(move |conn| Ok((queries::incident_counts(conn, queries::AreaColumn::Delbydel, &lookup)?, queries::population_by_area(conn)?))).await?;
    let props = AreaProperties::of(&area, &population);
    let population = props.population;
    Ok(Json(AreaDetail {
        code: area.code.clone(),
        name: area.name.clone(),
        bydel: area.parent_code.clone(),
        population,
        area_km2: area.area_m2 / 1e6,
        counts: counts.into_iter().map(|(source, years)| (source, years.into_iter().map(|(y, n)| (y, caller.policy.count(n as u64))).collect())).collect(),
    }))
}
