//! Saved siting scenarios (analysts): `POST /api/scenarios` saves a named set of planned sites for
//! a group, `GET /api/scenarios[/{id}]` lists and restores them (the page's link
//! `#mode=siting&g=5&scenario=ID`), `DELETE /api/scenarios/{id}` removes one. An adopted scenario is
//! the plan: its sites count as planned homes in the need balance from the next request on.

use std::sync::Arc;

use axum::{
    Json,
    extract::{Path, State},
};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, access::Internal, siting::SiteRequest};
use crate::siting::need::{NeedBook, Stored};
use crate::spatial::{ANALYSIS_CRS, Crs, Transformer};
use crate::store::Database;
use crate::store::scenarios::{PlannedSite, Scenario};

#[derive(Deserialize, schemars::JsonSchema)]
pub struct SaveScenario {
    /// 1-100 characters.
    pub name: String,
    /// Matrix group 1-8.
    pub group: u8,
    /// 1-20 planned sites.
    pub sites: Vec<SiteRequest>,
    /// The plan (its sites count as planned homes in `GET /api/need`), not an alternative.
    #[serde(default)]
    pub adopted: bool,
}

/// A saved scenario.
#[derive(Serialize, schemars::JsonSchema)]
pub struct SavedScenario {
    pub id: i64,
    pub name: String,
    pub group: u8,
    pub adopted: bool,
    /// The sites in WGS84 with their units (the group's usual number where none was given).
    pub sites: Vec<SavedSite>,
    pub created_by: String,
    pub created_at: String,
    /// The page's address that restores it.
    pub link: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct SavedSite {
    pub label: Option<String>,
    pub lon: f64,
    pub lat: f64,
    pub units: Option<u32>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct Deleted {
    pub deleted: i64,
}

fn answer(s: Scenario) -> SavedScenario {
    let to_wgs84 = Transformer::new(ANALYSIS_CRS, Crs::Wgs84);
    let sites = s
        .sites
        .into_iter()
        .map(|p| {
            let (lon, lat) = to_wgs84.apply(p.x, p.y).unwrap_or((f64::NAN, f64::NAN));
            SavedSite { label: p.label, lon: (lon * 1e6).round() / 1e6, lat: (lat * 1e6).round() / 1e6, units: p.units }
        })
        .collect();
    let link = format!("/#mode=siting&g={}&scenario={}", s.group, s.id);
    SavedScenario { id: s.id, name: s.name, group: s.group, adopted: s.adopted, sites, created_by: s.created_by, created_at: s.created_at, link }
}

/// `POST /api/scenarios` `{name, group, sites: [{label?, lon, lat, units?}], adopted?}`.
pub async fn save(State(state): State<AppState>, staff: Internal, Json(req): Json<SaveScenario>) -> Result<Json<SavedScenario>, ApiError> {
    if req.name.trim().is_empty() || req.name.chars().count() > 100 {
        return Err(ApiError::BadRequest("name must be 1-100 characters".into()));
    }
    if !(1..=20).contains(&req.sites.len()) {
        return Err(ApiError::BadRequest("a scenario has 1-20 planned sites".into()));
    }
    let siting = Arc::clone(&state.derived().siting);
    let default_units = siting.group(req.group)?.default_units;
    let sites = req
        .sites
        .iter()
        .map(|s| s.candidate(&state).map(|c| PlannedSite { label: c.label, x: c.x, y: c.y, units: Some(c.units.unwrap_or(default_units)) }))
        .collect::<Result<Vec<_>, _>>()?;
    let actor = staff.caller.token_name.clone().unwrap_or_default();
    let (name, group, adopted) = (req.name.trim().to_string(), req.group, req.adopted);
    let saved = staff
        .store
        .run(move |db| {
            let id = db.save_scenario(&name, group, &sites, adopted, &actor)?;
            db.audit(
                &actor,
                "analyst",
                "scenario",
                &format!("save {id} '{name}' group {group}{}", if adopted { " (adopted)" } else { "" }),
                Some(sites.len() as i64),
            )?;
            db.scenario(id)
        })
        .await?
        .ok_or_else(|| ApiError::NotFound("the scenario just saved is gone".into()))?;
    if saved.adopted {
        refresh_need(&state, &staff).await?;
    }
    Ok(Json(answer(saved)))
}

/// `GET /api/scenarios`: every saved scenario, newest first.
pub async fn list(staff: Internal) -> Result<Json<Vec<SavedScenario>>, ApiError> {
    Ok(Json(staff.store.run(|db| db.scenarios()).await?.into_iter().map(answer).collect()))
}

/// `GET /api/scenarios/{id}`.
pub async fn get(staff: Internal, Path(id): Path<i64>) -> Result<Json<SavedScenario>, ApiError> {
    let found = staff.store.run(move |db| db.scenario(id)).await?;
    found.map(|s| Json(answer(s))).ok_or_else(|| ApiError::NotFound(format!("no scenario {id} (see GET /api/scenarios)")))
}

/// `DELETE /api/scenarios/{id}`.
pub async fn delete(State(state): State<AppState>, staff: Internal, Path(id): Path<i64>) -> Result<Json<Deleted>, ApiError> {
    let actor = staff.caller.token_name.clone().unwrap_or_default();
    let was_adopted = staff
        .store
        .run(move |db| {
            let found = db.scenario(id)?;
            if found.is_some() {
                db.delete_scenario(id)?;
                db.audit(&actor, "analyst", "scenario", &format!("delete {id}"), None)?;
            }
            Ok(found.map(|s| s.adopted))
        })
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no scenario {id} (see GET /api/scenarios)")))?;
    if was_adopted {
        refresh_need(&state, &staff).await?;
    }
    Ok(Json(Deleted { deleted: id }))
}

/// Reads the need balance's rows again (the adopted scenarios changed) and serves it. The rows
/// are read under the store's lock with a ticket taken there, so of two refreshes under way the
/// later reading is the one served, whichever finishes first.
async fn refresh_need(state: &AppState, staff: &Internal) -> Result<(), ApiError> {
    let derived = state.derived();
    let config = Arc::clone(&state.config);
    let reading = Arc::clone(&derived);
    let (ticket, stored) = staff
        .store
        .run(move |db| {
            let ticket = reading.need_ticket();
            let stored = Stored { survey: db.need_survey(&config)?, housing: db.housing_sites()?, scenarios: db.scenarios()? };
            Ok((ticket, stored))
        })
        .await?;
    derived.set_need(ticket, NeedBook::from_stored(stored, &state.config, &derived.geography));
    Ok(())
}
