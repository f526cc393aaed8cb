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

/// The token of an `Authorization` header: the scheme in any case, any spaces around the token.
/// `None` without the header; an error for another scheme or an empty token.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<Result<String, ApiError>> {
    let header = headers.get(axum::http::header::AUTHORIZATION)?;
    let bad = || ApiError::Unauthorized("Authorization must be 'Bearer <token>'".into());
    let text = match header.to_str() {
        Ok(text) => text.trim(),
        Err(_) => return Some(Err(bad())),
    };
    let token = text.split_once(char::is_whitespace).filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")).map(|(_, token)| token.trim());
    Some(token.filter(|t| !t.is_empty()).map(str::to_string).ok_or_else(bad))
}

/// A token already looked up by the rate limiter, so the handler does not look it up again.
#[derive(Clone, Debug)]
pub struct Resolved(pub Option<(Role, String)>);

/// Looks a bearer token up (once per request).
pub async fn resolve(state: &AppState, token: String) -> Result<Resolved, ApiError> {
    Ok(Resolved(state.data.role_of(token).await?))
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let k = state.config.project.min_count;
        let Some(token) = bearer_token(&parts.headers) else {
            return Ok(Caller { role: Role::Public, token_name: None, policy: Policy::new(Role::Public, k) });
        };
        let resolved = match parts.extensions.get::<Resolved>() {
            Some(resolved) => resolved.clone(),
            None => resolve(state, token?).await?,
        };
        let (role, name) = resolved.0.ok_or_else(|| ApiError::Unauthorized("unknown, revoked or expired token".into()))?;
        Ok(Caller { role, token_name: Some(name), policy: Policy::new(role, k) })
    }
}
