//! `GET /api/addresses?q=`: addresses by street address or gnr/bnr, from the local copy of
//! Kartverket's address dataset (see [`crate::index::addresses`]).

use axum::{
    Json,
    extract::{Query, State},
};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::spatial::{ANALYSIS_CRS, Crs, Transformer};

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressQuery {
    /// A street address ("Trondheimsveien 2A") or a cadastral unit ("228/100", "gnr 228 bnr 100");
    /// 1-200 characters.
    pub q: String,
}

/// An address found, in WGS84.
#[derive(Serialize, schemars::JsonSchema)]
pub struct AddressHit {
    pub text: String,
    pub postnummer: Option<String>,
    pub poststed: Option<String>,
    pub gnr: Option<u32>,
    pub bnr: Option<u32>,
    pub lon: f64,
    pub lat: f64,
}

/// Most addresses an answer lists.
const MAX_HITS: usize = 10;

/// `GET /api/addresses?q=`: at most 10 addresses, the street named exactly first; empty when
/// nothing matches or no address layer is imported.
pub async fn search(State(state): State<AppState>, Query(query): Query<AddressQuery>) -> Result<Json<Vec<AddressHit>>, ApiError> {
    if query.q.trim().is_empty() || query.q.chars().count() > 200 {
        return Err(ApiError::BadRequest("q must be 1-200 characters: a street address or gnr/bnr".into()));
    }
    let derived = state.derived();
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let round = |v: f64| (v * 1e6).round() / 1e6;
    Ok(Json(
        derived
            .addresses
            .search(&query.q, MAX_HITS)
            .into_iter()
            .filter_map(|a| {
                let (lon, lat) = to_wgs84.apply(a.x, a.y).ok()?;
                Some(AddressHit {
                    text: a.text.clone(),
                    postnummer: a.postnummer.clone(),
                    poststed: a.poststed.clone(),
                    gnr: a.gnr,
                    bnr: a.bnr,
                    lon: round(lon),
                    lat: round(lat),
                })
            })
            .collect(),
    ))
}
