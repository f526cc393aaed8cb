//! `GET /api/need`: housing need against supply per bydel and matrix group for a survey year.
//! Analysts see need, units in place and planned, and the gap; the public sees the need only,
//! as the city publishes it in its housing-need plans (supply is the housing layer's, which
//! never shapes a public output: see PRIVACY.md).

use axum::{
    Json,
    extract::{Query, State},
};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState, auth::Caller};
use crate::siting::need::{Balance, GROUPS};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct NeedQuery {
    /// The survey year; the newest survey when absent.
    #[serde(default)]
    pub year: Option<i32>,
    /// One matrix group (1-8); every group when absent.
    #[serde(default)]
    pub group: Option<u8>,
}

/// Need against supply for one survey year.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct NeedAnswer {
    /// Every survey year held, oldest first (empty when no survey is imported).
    pub years: Vec<i32>,
    /// The year shown; `null` when no survey is imported.
    pub year: Option<i32>,
    /// Whether units in place, planned and the gap are shown (analysts) or left out (public).
    pub supply_shown: bool,
    /// Per group, each bydel and then the city (`bydel` null). `needed` null: not surveyed
    /// (*ikke kartlagt*), never 0.
    pub rows: Vec<Balance>,
    /// Bydel names by code.
    pub bydel_names: std::collections::BTreeMap<String, String>,
    /// Analysts: units open at the end of the year the table cannot place, without a matrix
    /// group in the housing layer or outside every delbydel.
    pub unplaced: Option<Unplaced>,
    /// With `group`: the city's balance in every survey year, oldest first (the trend); as the
    /// rows, the public gets the need only.
    pub trend: Vec<Balance>,
}

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Unplaced {
    pub without_group: i64,
    pub outside_bydeler: i64,
}

/// `GET /api/need?year=&group=`: 401 for the public when the need layers are internal.
pub async fn need(State(state): State<AppState>, caller: Caller, Query(query): Query<NeedQuery>) -> Result<Json<NeedAnswer>, ApiError> {
    let derived = state.derived();
    let book = derived.need();
    let years = book.years();
    if let Some(group) = query.group.filter(|g| !GROUPS.contains(g)) {
        return Err(ApiError::BadRequest(format!("group {group} is not a matrix group (1-8)")));
    }
    let year = match query.year {
        Some(y) if !years.contains(&y) => {
            return Err(ApiError::NotFound(format!(
                "no housing-need survey for {y}; surveys held: {}",
                if years.is_empty() {
                    "none (import one into the need layer)".to_string()
                } else {
                    years.iter().map(i32::to_string).collect::<Vec<_>>().join(", ")
                }
            )));
        }
        Some(y) => Some(y),
        None => book.latest_year(),
    };
    let supply_shown = caller.role.is_internal();
    if !supply_shown && !book.is_public() {
        return Err(caller.refused(crate::privacy::Role::Analyst));
    }
    let rows = year
        .map(|y| book.table(y))
        .unwrap_or_default()
        .into_iter()
        .filter(|b| query.group.is_none_or(|g| b.group == g))
        .map(|b| if supply_shown { b } else { b.need_only() })
        .collect();
    let unplaced = year.filter(|_| supply_shown).map(|y| {
        let (without_group, outside_bydeler) = book.unplaced_units(y);
        Unplaced { without_group, outside_bydeler }
    });
    let trend = match query.group {
        Some(group) => years.iter().map(|&y| book.balance(y, None, group)).map(|b| if supply_shown { b } else { b.need_only() }).collect(),
        None => Vec::new(),
    };
    Ok(Json(NeedAnswer { years, year, supply_shown, rows, bydel_names: derived.geography.bydel_names.clone(), unplaced, trend }))
}
