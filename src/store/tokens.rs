//! API tokens: created for a role, stored only as a SHA-256 hash, looked up per request.

use duckdb::{Connection, OptionalExt, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::StoreError;
use crate::privacy::Role;

/// A token as listed (never the secret itself).
#[derive(Clone, Debug, Serialize, schemars::JsonSchema)]
pub struct TokenInfo {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub expires_at: Option<String>,
    pub revoked: bool,
}

fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Creates a token and returns its secret (shown once).
pub fn create(conn: &Connection, name: &str, role: Role, valid_days: Option<u32>) -> Result<String, StoreError> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| StoreError::Invalid { what: "drawing a random token".into(), reason: e.to_string() })?;
    let secret = format!("bmj_{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
    let role_name = serde_json::to_value(role).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
    let expires = valid_days.map(|d| format!("now() + INTERVAL {d} DAY")).unwrap_or_else(|| "NULL".into());
    conn.execute(
        &format!("INSERT INTO tokens SELECT coalesce(max(id), 0) + 1, ?, ?, ?, now(), {expires}, false FROM tokens"),
        params![name, role_name, hash(&secret)],
    )
    .map_err(StoreError::query("creating a token"))?;
    Ok(secret)
}

/// The role of a valid (known, unrevoked, unexpired) token.
pub fn role_of(conn: &Connection, secret: &str) -> Result<Option<(Role, String)>, StoreError> {
    let row: Option<(String, String)> = conn
        .query_row("SELECT role, name FROM tokens WHERE hash = ? AND NOT revoked AND (expires_at IS NULL OR expires_at > now())", params![hash(secret)], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(StoreError::query("checking a token"))?;
    Ok(row.and_then(|(role, name)| Role::parse(&role).map(|r| (r, name))))
}

pub fn list(conn: &Connection) -> Result<Vec<TokenInfo>, StoreError> {
    let what = "listing tokens";
    let mut stmt = conn
        .prepare("SELECT id, name, role, CAST(created_at AS VARCHAR), CAST(expires_at AS VARCHAR), revoked FROM tokens ORDER BY id")
        .map_err(StoreError::query(what))?;
    let rows = stmt
        .query_map([], |r| {
            Ok(TokenInfo {
                id: r.get(0)?,
                name: r.get(1)?,
                role: Role::parse(&r.get::<_, String>(2)?).unwrap_or(Role::Public),
                created_at: r.get(3)?,
                expires_at: r.get(4)?,
                revoked: r.get(5)?,
            })
        })
        .map_err(StoreError::query(what))?;
    rows.collect::<Result<_, _>>().map_err(StoreError::query(what))
}

/// Revokes a token by name; returns how many were revoked.
pub fn revoke(conn: &Connection, name: &str) -> Result<usize, StoreError> {
    conn.execute("UPDATE tokens SET revoked = true WHERE name = ? AND NOT revoked", params![name]).map_err(StoreError::query("revoking a token"))
}
