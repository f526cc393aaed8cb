//! Administration over HTTP (admin role): tokens and the audit log. Lets an operator manage
//! tokens while the server holds the database.

use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
    Json,
};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{access::Internal, ApiError, AppState};
use crate::privacy::Role;
use crate::store::{audit, tokens};

#[derive(Deserialize, schemars::JsonSchema)]
pub struct AuditQuery {
    /// Newest events, 1-100000 (default 1000).
    limit: Option<usize>,
    /// `json` (default) or `csv`.
    format: Option<String>,
}

/// `GET /api/admin/audit?limit=&format=csv`.
pub async fn audit_log(admin: Internal, Query(q): Query<AuditQuery>) -> Result<Response, ApiError> {
    let limit = q.limit.unwrap_or(1000).clamp(1, 100_000);
    let events = admin.store.run(move |conn| audit::list(conn, limit)).await?;
    Ok(match q.format.as_deref() {
        Some("csv") => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], audit::to_csv(&events)).into_response(),
        _ => Json(events).into_response(),
    })
}

/// `GET /api/admin/tokens`: names, roles and dates; never secrets.
pub async fn list_tokens(admin: Internal) -> Result<Json<Vec<tokens::TokenInfo>>, ApiError> {
    Ok(Json(admin.store.run(tokens::list).await?))
}

/// `GET /api/admin/release`: the current public release: version, budget, accuracy per level,
/// and the budget spent per source-year (rounds of measurement).
pub async fn release(State(state): State<AppState>, _admin: Internal) -> Json<Value> {
    let release = state.data.release();
    let spent: serde_json::Map<String, Value> = release.spent.iter().map(|(k, s)| (k.clone(), json!({ "rounds": s.rounds, "rho": s.rho }))).collect();
    Json(json!({
        "version": release.version,
        "built_at": release.built_at,
        "budget": release.settings.budget,
        "levels": release.settings.levels,
        "years": release.settings.years,
        "spent": spent,
        "accuracy_nb": release.accuracy_nb(),
        "accuracy_en": release.accuracy_en(),
    }))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct NewToken {
    /// A name to list and revoke the token by.
    name: String,
    /// `public`, `analyst` or `admin`.
    role: Role,
    /// Days until it expires (never when absent).
    days: Option<u32>,
}

/// `POST /api/admin/tokens` `{name, role, days?}`: the secret, shown once.
pub async fn create_token(admin: Internal, Json(req): Json<NewToken>) -> Result<Json<Value>, ApiError> {
    if req.name.trim().is_empty() || req.name.len() > 100 {
        return Err(ApiError::BadRequest("name must be 1-100 characters".into()));
    }
    let actor = admin.caller.token_name.clone().unwrap_or_default();
    let (name, role) = (req.name.clone(), req.role);
    let secret = admin
        .store
        .run(move |conn| {
            let secret = tokens::create(conn, &name, role, req.days)?;
            audit::record(conn, &actor, "admin", "token", &format!("create {name} ({role:?})"), None)?;
            Ok(secret)
        })
        .await?;
    Ok(Json(json!({ "name": req.name, "role": req.role, "token": secret })))
}

#[derive(Deserialize, schemars::JsonSchema)]
pub struct Revoke {
    /// Every active token with this name is revoked.
    name: String,
}

/// `POST /api/admin/tokens/revoke` `{name}`.
pub async fn revoke_token(admin: Internal, Json(req): Json<Revoke>) -> Result<Json<Value>, ApiError> {
    let actor = admin.caller.token_name.clone().unwrap_or_default();
    let name = req.name.clone();
    let revoked = admin
        .store
        .run(move |conn| {
            let n = tokens::revoke(conn, &name)?;
            audit::record(conn, &actor, "admin", "token", &format!("revoke {name}"), Some(n as i64))?;
            Ok(n)
        })
        .await?;
    if revoked == 0 {
        return Err(ApiError::NotFound(format!("no active token named '{}'", req.name)));
    }
    Ok(Json(json!({ "revoked": revoked })))
}
