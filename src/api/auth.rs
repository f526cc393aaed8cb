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
    /// The address the request came from (absent in tests that call the router directly).
    pub client: Option<std::net::IpAddr>,
}

impl Caller {
    /// A slot for a costly computation ([`super::costly`]): public callers only, and only when
    /// their address is known.
    pub fn costly(&self, costly: &std::sync::Arc<super::costly::Costly>) -> Result<Option<super::costly::Permit>, ApiError> {
        match (self.role.is_internal(), self.client) {
            (false, Some(client)) => costly.begin(client).map(Some),
            _ => Ok(None),
        }
    }

    /// Refuses the request unless the caller has at least `role`.
    /// Without a token the answer is 401 (say who you are); with too low a role, 403.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.role >= role { Ok(()) } else { Err(self.refused(role)) }
    }

    /// Why the caller may not do what needs `role`: 401 without a token, 403 with one whose role
    /// is too low.
    pub fn refused(&self, role: Role) -> ApiError {
        let needed = format!("{role:?}").to_lowercase();
        match &self.token_name {
            None => ApiError::Unauthorized(format!("this needs the {needed} role; send Authorization: Bearer <token>")),
            Some(_) => ApiError::Forbidden(format!("this needs the {needed} role; your token's role is {:?}", self.role).to_lowercase()),
        }
    }
}

/// The token of an `Authorization` header: `Bearer <token>`, or `Basic` with the token as the
/// password (QGIS 3.22 and other GIS clients can send only Basic; the user name is ignored); the
/// scheme in any case, any spaces around the token. `None` without the header; an error naming
/// the scheme for any other, and for an empty token.
pub fn bearer_token(headers: &axum::http::HeaderMap) -> Option<Result<String, ApiError>> {
    let header = headers.get(axum::http::header::AUTHORIZATION)?;
    let bad = |why: String| ApiError::Unauthorized(format!("{why}: send 'Authorization: Bearer <token>', or Basic with the token as the password"));
    let Ok(text) = header.to_str() else {
        return Some(Err(bad("the Authorization header is not text".into())));
    };
    let (scheme, credentials) = text.trim().split_once(char::is_whitespace).unwrap_or((text.trim(), ""));
    let token = if scheme.eq_ignore_ascii_case("bearer") {
        credentials.trim().to_string()
    } else if scheme.eq_ignore_ascii_case("basic") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD.decode(credentials.trim()).ok().and_then(|b| String::from_utf8(b).ok());
        match decoded.as_deref().and_then(|d| d.split_once(':')) {
            Some((_, password)) => password.to_string(),
            None => return Some(Err(bad("Basic credentials are not base64 of 'user:token'".into()))),
        }
    } else {
        return Some(Err(bad(format!("the Authorization scheme '{scheme}' is not supported"))));
    };
    Some(if token.is_empty() { Err(bad("the token is empty".into())) } else { Ok(token) })
}

/// The person a request's session cookie stands for, while the session lasts (sign-in on).
pub fn signed_in(state: &AppState, headers: &axum::http::HeaderMap) -> Option<super::signin::Person> {
    let signin = state.signin.as_deref()?;
    signin.person(&super::signin::session_cookie(headers)?)
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
        let client = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
        let Some(token) = bearer_token(&parts.headers) else {
            // A signed-in member of staff (session cookie), else the public.
            let person = signed_in(state, &parts.headers);
            let reads = matches!(parts.method, axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS);
            if person.is_some() && !reads && !super::signin::from_own_page(&parts.headers) {
                return Err(ApiError::Forbidden("a change made while signed in must come from this site's own page (its Origin header)".into()));
            }
            let (role, name) = person.map_or((Role::Public, None), |p| (p.role, Some(p.name)));
            return Ok(Caller { role, token_name: name, policy: Policy::new(role, k), client });
        };
        // A header that holds no token says what is wrong with it, not "unknown token".
        let token = token?;
        let resolved = match parts.extensions.get::<Resolved>() {
            Some(resolved) => resolved.clone(),
            None => resolve(state, token).await?,
        };
        let (role, name) = resolved.0.ok_or_else(|| ApiError::Unauthorized("unknown, revoked or expired token".into()))?;
        Ok(Caller { role, token_name: Some(name), policy: Policy::new(role, k), client })
    }
}
