//! Who is calling: `Authorization: Bearer <token>` resolves to a role through the tokens table;
//! no header means the public role. A bad token is refused (401), never silently downgraded.

use axum::{extract::FromRequestParts, http::request::Parts};

use super::{ApiError, AppState};
use crate::privacy::{Policy, Role};

/// The caller's role, and the privacy policy that follows from it.
#[derive(Clone, Debug)]
pub struct Caller {
    pub role: Role,
    pub token_name: Option<String>,
    pub policy: Policy,
}

impl Caller {
    /// Refuses the request unless the caller has at least `role`.
    /// Without a token the answer is 401 (say who you are); with too low a role, 403.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        let needed = format!("{role:?}").to_lowercase();
        match (self.role >= role, &self.token_name) {
            (true, _) => Ok(()),
            (false, None) => Err(ApiError::Unauthorized(format!("this needs the {needed} role; send Authorization: Bearer <token>"))),
            (false, Some(_)) => Err(ApiError::Forbidden(format!("this needs the {needed} role; your token's role is {:?}", self.role).to_lowercase())),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let k = state.config.project.min_count;
        let Some(header) = parts.headers.get(axum::http::header::AUTHORIZATION) else {
            return Ok(Caller { role: Role::Public, token_name: None, policy: Policy::new(Role::Public, k) });
        };
        let secret = header
            .to_str()
            .ok()
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(|s| s.trim().to_string())
            .ok_or_else(|| ApiError::Unauthorized("Authorization must be 'Bearer <token>'".into()))?;
        let found = state.data.role_of(secret).await?;
        let (role, name) = found.ok_or_else(|| ApiError::Unauthorized("unknown, revoked or expired token".into()))?;
        Ok(Caller { role, token_name: Some(name), policy: Policy::new(role, k) })
    }
}
