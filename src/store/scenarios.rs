//! Saved siting scenarios: a named set of planned sites for one matrix group, saved by an
//! analyst; an adopted one is the plan, and its sites count as planned homes in the need balance.

use duckdb::{Connection, OptionalExt, params};
use serde::{Deserialize, Serialize};

use super::StoreError;

/// A planned site of a scenario, in EPSG:25832.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PlannedSite {
    pub label: Option<String>,
    pub x: f64,
    pub y: f64,
    /// Proposed units; the group's usual number when absent.
    pub units: Option<u32>,
}

/// A scenario as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub id: i64,
    pub name: String,
    pub group: u8,
    pub sites: Vec<PlannedSite>,
    pub adopted: bool,
    pub created_by: String,
    pub created_at: String,
}

/// Saves a scenario; returns its id.
pub fn save(conn: &Connection, name: &str, group: u8, sites: &[PlannedSite], adopted: bool, created_by: &str) -> Result<i64, StoreError> {
    let json = serde_json::to_string(sites).map_err(|e| StoreError::Invalid { what: "saving a scenario".into(), reason: e.to_string() })?;
    conn.query_row(
        "INSERT INTO scenarios VALUES (nextval('scenario_ids'), ?, ?, ?, ?, ?, now()) RETURNING id",
        params![name, group, json, adopted, created_by],
        |r| r.get(0),
    )
    .map_err(StoreError::query("saving a scenario"))
}

const COLUMNS: &str = "id, name, matrix_group, sites, adopted, created_by, CAST(created_at AS VARCHAR)";

fn scenario(r: &duckdb::Row<'_>) -> duckdb::Result<(Scenario, String)> {
    let empty =
        Scenario { id: r.get(0)?, name: r.get(1)?, group: r.get(2)?, sites: Vec::new(), adopted: r.get(4)?, created_by: r.get(5)?, created_at: r.get(6)? };
    Ok((empty, r.get(3)?))
}

fn with_sites((mut scenario, json): (Scenario, String)) -> Result<Scenario, StoreError> {
    scenario.sites =
        serde_json::from_str(&json).map_err(|e| StoreError::Invalid { what: format!("reading scenario {}", scenario.id), reason: e.to_string() })?;
    Ok(scenario)
}

/// Every scenario, newest first.
pub fn list(conn: &Connection) -> Result<Vec<Scenario>, StoreError> {
    let what = "reading the scenarios";
    let mut stmt = conn.prepare(&format!("SELECT {COLUMNS} FROM scenarios ORDER BY id DESC")).map_err(StoreError::query(what))?;
    let rows = stmt.query_map([], scenario).map_err(StoreError::query(what))?;
    rows.map(|r| r.map_err(StoreError::query(what)).and_then(with_sites)).collect()
}

/// One scenario, `None` when there is none with that id.
pub fn get(conn: &Connection, id: i64) -> Result<Option<Scenario>, StoreError> {
    let found = conn
        .query_row(&format!("SELECT {COLUMNS} FROM scenarios WHERE id = ?"), params![id], scenario)
        .optional()
        .map_err(StoreError::query("reading a scenario"))?;
    found.map(with_sites).transpose()
}

/// Deletes a scenario; whether there was one.
pub fn delete(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM scenarios WHERE id = ?", params![id]).map_err(StoreError::query("deleting a scenario"))? > 0)
}
