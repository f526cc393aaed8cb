//! The audit log: imports, exports, reports, token management and token use, viewable and
//! exportable by an administrator.

use duckdb::{Connection, params};
use serde::Serialize;

use super::StoreError;

/// One audited event.
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct Event {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub role: String,
    pub action: String,
    pub target: String,
    pub amount: Option<i64>,
}

/// Records an event.
pub fn record(conn: &Connection, actor: &str, role: &str, action: &str, target: &str, amount: Option<i64>) -> Result<(), StoreError> {
    conn.execute("INSERT INTO audit VALUES (nextval('audit_id'), now(), ?, ?, ?, ?, ?)", params![actor, role, action, target, amount])
        .map(|_| ())
        .map_err(StoreError::query("writing the audit log"))
}

/// The newest `limit` events, newest first.
pub fn list(conn: &Connection, limit: usize) -> Result<Vec<Event>, StoreError> {
    let what = "reading the audit log";
    let mut stmt = conn
        .prepare("SELECT id, CAST(happened_at AS VARCHAR), actor, role, action, target, amount FROM audit ORDER BY id DESC LIMIT ?")
        .map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map(params![limit as i64], |r| {
            Ok(Event { id: r.get(0)?, at: r.get(1)?, actor: r.get(2)?, role: r.get(3)?, action: r.get(4)?, target: r.get(5)?, amount: r.get(6)? })
        })
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// The events as CSV.
pub fn to_csv(events: &[Event]) -> String {
    let mut out = String::from("id,at,actor,role,action,target,amount\n");
    for e in events {
        let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
        out.push_str(&format!(
            "{},{},{},{},{},{},{}\n",
            e.id,
            e.at,
            quote(&e.actor),
            e.role,
            e.action,
            quote(&e.target),
            e.amount.map_or(String::new(), |a| a.to_string())
        ));
    }
    out
}
