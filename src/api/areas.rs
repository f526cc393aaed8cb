//! `GET /api/areas` (delbydeler as GeoJSON in WGS84) and `GET /api/areas/{code}` (one
//! delbydel with incident counts per source and year).

use std::collections::BTreeMap;

use axum::{
    Json,
    extract::{Path, State},
    http::header,
    response::IntoResponse,
};
use serde::Serialize;

use super::{ApiError, AppState, access::View};
use crate::config::Config;
use crate::index::{Area, SpatialIndex};
use crate::privacy::Count;
use crate::spatial::{Crs, Transformer};
use crate::store::{AreaColumn, StoreError};

/// `GET /api/areas`: a FeatureCollection of the delbydeler with `code`, `name`, `bydel`,
/// `population` and `area_km2`.
pub async fn list(State(state): State<AppState>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/geo+json")], state.derived().areas_geojson.clone())
}

/// Renders the assignment areas once, reprojected to WGS84 for web maps.
pub fn feature_collection(config: &Config, index: &SpatialIndex, geography: &crate::measurement::Geography) -> Result<String, StoreError> {
    let population: BTreeMap<String, f64> = geography.infos.iter().filter_map(|a| Some((a.code.clone(), a.population?))).collect();
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
#[derive(Serialize, schemars::JsonSchema)]
pub struct AreaDetail {
    code: String,
    name: Option<String>,
    bydel: Option<String>,
    population: Option<i64>,
    area_km2: f64,
    /// Incidents per source and year: `{"police": {"2024": 17}}`; "<k" for the public role.
    counts: BTreeMap<String, BTreeMap<String, Count>>,
}

/// `GET /api/areas/{code}`: 200 with the area and its counts, 404 for an unknown code. The
/// public role reads the counts from the release; years without data are left out.
pub async fn detail(State(state): State<AppState>, view: View, Path(code): Path<String>) -> Result<Json<AreaDetail>, ApiError> {
    let info =
        state.derived().geography.infos.iter().find(|a| a.code == code).ok_or_else(|| ApiError::NotFound(format!("no delbydel with code '{code}'")))?.clone();
    let counts: BTreeMap<String, BTreeMap<String, Count>> = match &view {
        View::Public(public) => {
            let release = &public.release;
            release
                .sources()
                .into_iter()
                .map(|source| {
                    let (first, last) = release.years(Some(&source)).unwrap_or((0, -1));
                    let years = (first..=last).filter_map(|y| Some((y.to_string(), Count::of(release.table(&source, y)?.area(&code)?)))).collect();
                    (source, years)
                })
                .collect()
        }
        View::Internal(internal) => {
            let lookup = info.code.clone();
            let raw = internal.store.incident_counts(AreaColumn::Delbydel, &lookup).await?;
            raw.into_iter().map(|(source, years)| (source, years.into_iter().map(|(y, n)| (y, Count::Exact(n as u64))).collect())).collect()
        }
    };
    let policy = view.caller().policy;
    Ok(Json(AreaDetail {
        code: info.code,
        name: info.name,
        bydel: info.bydel,
        population: info.population.map(|p| p.round() as i64),
        area_km2: info.area_km2,
        counts: counts.into_iter().map(|(source, years)| (source, years.into_iter().map(|(y, n)| (y, policy.shown(n))).collect())).collect(),
    }))
}
