//! Staff sign-in with OpenID Connect (the authorization code flow with PKCE, a confidential
//! client, the provider found by discovery): Microsoft Entra ID and Keycloak by configuration
//! only. The role comes from a configured claim of the ID token (app roles, groups, or a
//! Keycloak realm role path such as `realm_access.roles`), mapped to analyst or admin; the
//! signed-in person holds a session cookie (`HttpOnly`, `Secure`, `SameSite=Lax`) that expires,
//! and the audit log names them. Tokens stay for scripts and QGIS; the public needs no sign-in.
//!
//! Configured by environment (the client secret never sits in a file):
//!
//! | variable | meaning |
//! |---|---|
//! | `BOMILJO_OIDC_ISSUER` | the provider, e.g. `https://login.microsoftonline.com/<tenant>/v2.0` (sign-in is off without it) |
//! | `BOMILJO_OIDC_CLIENT_ID`, `BOMILJO_OIDC_CLIENT_SECRET` | the registered confidential client |
//! | `BOMILJO_OIDC_REDIRECT_URL` | `https://<bomiljo>/auth/callback`, as registered |
//! | `BOMILJO_OIDC_SCOPES` | scopes beside `openid` (default `profile email`) |
//! | `BOMILJO_OIDC_ROLE_CLAIM` | the claim holding roles or groups (default `roles`; dots for nesting) |
//! | `BOMILJO_OIDC_ANALYST`, `BOMILJO_OIDC_ADMIN` | the claim's values for each role, comma-separated (default `bomiljo-analyst`, `bomiljo-admin`) |
//! | `BOMILJO_OIDC_SESSION_HOURS` | how long a session lasts (default 8) |
//!
//! Sessions live in the server's memory: a restart signs everyone out (they sign in again in one
//! click while their provider session lasts). A sign-in under way holds nothing on the server: its
//! state, PKCE verifier and nonce travel in a cookie signed by the server, which also ties the
//! provider's answer to the browser that asked (no login CSRF). Requests a session makes that
//! change anything must come from this site's own pages (their `Origin`).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use openidconnect::core::{CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreProviderMetadata, CoreResponseType};
use openidconnect::{
    AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope,
};

use super::{ApiError, AppState};
use crate::privacy::Role;

/// A client made from the provider's metadata: authorization URL set, token and userinfo
/// endpoints as the provider lists them.
type Client = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

/// The session cookie's name (`__Host-`: set by this host only, over HTTPS, for every path).
pub const COOKIE: &str = "__Host-bomiljo_session";
/// The cookie of a sign-in under way.
const PENDING_COOKIE: &str = "__Host-bomiljo_signin";
/// How long a sign-in may take at the provider.
const PENDING_FOR: Duration = Duration::from_secs(600);
/// The provider's metadata and keys are fetched again after this (keys rotate).
const PROVIDER_FOR: Duration = Duration::from_secs(3600);
/// After the provider failed to answer, sign-ins fail at once for this long (no pile-up of
/// waiting threads while it is down).
const BACK_OFF: Duration = Duration::from_secs(30);
/// Calls to the provider at once, at most.
const MAX_PROVIDER_CALLS: usize = 8;
/// Sessions at most: past it the oldest goes.
const MAX_SESSIONS: usize = 10_000;

/// How sign-in is configured.
#[derive(Clone, Debug)]
pub struct Settings {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_url: String,
    pub scopes: Vec<String>,
    pub role_claim: String,
    pub analyst: Vec<String>,
    pub admin: Vec<String>,
    pub session: Duration,
}

impl Settings {
    /// From the environment; `None` when `BOMILJO_OIDC_ISSUER` is unset (sign-in off). A
    /// variable missing beside it is an error naming it.
    pub fn from_env() -> Result<Option<Settings>, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let Some(issuer) = var("BOMILJO_OIDC_ISSUER") else { return Ok(None) };
        let required = |name: &str| var(name).ok_or_else(|| format!("{name} is not set; sign-in with {issuer} needs it"));
        let list = |name: &str, default: &str| {
            var(name).unwrap_or_else(|| default.into()).split(',').map(|v| v.trim().to_string()).filter(|v| !v.is_empty()).collect()
        };
        let hours: f64 = var("BOMILJO_OIDC_SESSION_HOURS").map_or(Ok(8.0), |h| {
            h.parse()
                .ok()
                .filter(|h: &f64| (0.1..=24.0).contains(h))
                .ok_or_else(|| format!("BOMILJO_OIDC_SESSION_HOURS = '{h}' is not a number of hours from 0.1 to 24"))
        })?;
        Ok(Some(Settings {
            client_id: required("BOMILJO_OIDC_CLIENT_ID")?,
            client_secret: required("BOMILJO_OIDC_CLIENT_SECRET")?,
            redirect_url: required("BOMILJO_OIDC_REDIRECT_URL")?,
            scopes: var("BOMILJO_OIDC_SCOPES").unwrap_or_else(|| "profile email".into()).split_whitespace().map(str::to_string).collect(),
            role_claim: var("BOMILJO_OIDC_ROLE_CLAIM").unwrap_or_else(|| "roles".into()),
            analyst: list("BOMILJO_OIDC_ANALYST", "bomiljo-analyst"),
            admin: list("BOMILJO_OIDC_ADMIN", "bomiljo-admin"),
            session: Duration::from_secs_f64(hours * 3600.0),
            issuer,
        }))
    }
}

/// Someone signed in.
#[derive(Clone, Debug, PartialEq)]
pub struct Person {
    /// Their name as the audit log shows it: `name <email>` or the subject.
    pub name: String,
    pub role: Role,
}

/// A sign-in under way, as its cookie holds it.
#[derive(serde::Serialize, serde::Deserialize)]
struct Pending {
    state: String,
    verifier: String,
    nonce: String,
    return_to: String,
    /// Unix seconds when it began.
    begun: u64,
}

struct Session {
    person: Person,
    until: Instant,
}

/// Sign-in for one server: the provider's metadata (found and renewed), sessions, and the key
/// that signs the cookies of sign-ins under way.
pub struct SignIn {
    settings: Settings,
    provider: Mutex<Provider>,
    /// Calls to the provider under way (discovery, the token endpoint).
    calls: tokio::sync::Semaphore,
    sessions: Mutex<HashMap<String, Session>>,
    key: [u8; 32],
}

/// What is known of the provider.
#[derive(Default)]
struct Provider {
    metadata: Option<(CoreProviderMetadata, Instant)>,
    failed: Option<Instant>,
}

/// Why a sign-in failed.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the sign-in provider {0} could not be reached or answered wrongly: {1}")]
    Provider(String, String),
    #[error("the ID token was refused: {0}")]
    Token(String),
    #[error("your account has no bomiljo role (the claim '{0}' holds none of the configured values); ask the administrator for access")]
    NoRole(String),
}

impl SignIn {
    pub fn new(settings: Settings) -> SignIn {
        let mut key = [0u8; 32];
        getrandom::fill(&mut key).expect("the operating system gives random bytes");
        SignIn { settings, provider: Mutex::default(), calls: tokio::sync::Semaphore::new(MAX_PROVIDER_CALLS), sessions: Mutex::default(), key }
    }

    /// A slot for calling the provider, or 503 when as many calls as allowed are under way.
    pub fn call_slot(&self) -> Result<tokio::sync::SemaphorePermit<'_>, ApiError> {
        self.calls.try_acquire().map_err(|_| ApiError::TooManyRequests("many sign-ins are under way; try again in a moment".into()))
    }

    /// The provider's metadata and keys, found by discovery and renewed after [`PROVIDER_FOR`];
    /// while the provider has just failed, a failure at once.
    fn provider(&self) -> Result<CoreProviderMetadata, SignInError> {
        let down = |since: Instant| {
            SignInError::Provider(self.settings.issuer.clone(), format!("it did not answer {} s ago; try again shortly", since.elapsed().as_secs()))
        };
        {
            let known = self.provider.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((metadata, at)) = &known.metadata
                && at.elapsed() < PROVIDER_FOR
            {
                return Ok(metadata.clone());
            }
            if let Some(failed) = known.failed.filter(|f| f.elapsed() < BACK_OFF) {
                return Err(down(failed));
            }
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone()).map_err(|e| SignInError::Provider(self.settings.issuer.clone(), e.to_string()))?;
        let found = CoreProviderMetadata::discover(&issuer, &http);
        let mut known = self.provider.lock().unwrap_or_else(|p| p.into_inner());
        match found {
            Ok(metadata) => {
                *known = Provider { metadata: Some((metadata.clone(), Instant::now())), failed: None };
                Ok(metadata)
            }
            Err(e) => {
                known.failed = Some(Instant::now());
                Err(SignInError::Provider(self.settings.issuer.clone(), error_chain(&e)))
            }
        }
    }

    /// Forgets the provider's keys (a token signed with a key not among them: they rotated).
    fn forget_provider(&self) {
        self.provider.lock().unwrap_or_else(|p| p.into_inner()).metadata = None;
    }

    /// The signed cookie value of a sign-in under way.
    fn seal(&self, pending: &Pending) -> String {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(pending).expect("a pending sign-in serialises"));
        format!("{payload}.{}", self.signature(&payload))
    }

    /// The sign-in a cookie holds, if the server signed it (checked in constant time by `hmac`).
    fn open(&self, cookie: &str) -> Option<Pending> {
        use base64::Engine;
        use hmac::Mac;
        let (payload, signature) = cookie.split_once('.')?;
        let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(signature).ok()?;
        self.mac(payload).verify_slice(&signature).ok()?;
        serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
    }

    fn signature(&self, payload: &str) -> String {
        use base64::Engine;
        use hmac::Mac;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.mac(payload).finalize().into_bytes())
    }

    /// The server's MAC over a cookie's payload.
    fn mac(&self, payload: &str) -> hmac::Hmac<sha2::Sha256> {
        use hmac::Mac;
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(payload.as_bytes());
        mac
    }

    fn client(&self, provider: CoreProviderMetadata) -> Result<Client, SignInError> {
        let s = &self.settings;
        let redirect =
            RedirectUrl::new(s.redirect_url.clone()).map_err(|e| SignInError::Provider(s.issuer.clone(), format!("BOMILJO_OIDC_REDIRECT_URL: {e}")))?;
        Ok(CoreClient::from_provider_metadata(provider, ClientId::new(s.client_id.clone()), Some(ClientSecret::new(s.client_secret.clone())))
            .set_redirect_uri(redirect)
            .set_auth_type(openidconnect::AuthType::BasicAuth))
    }

    /// Where to send the browser to sign in, and the cookie of the sign-in under way; `return_to`
    /// is where it comes back to after.
    fn begin(&self, return_to: String) -> Result<(String, String), SignInError> {
        let client = self.client(self.provider()?)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client.authorize_url(AuthenticationFlow::<CoreResponseType>::AuthorizationCode, CsrfToken::new_random, Nonce::new_random);
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let pending =
            Pending { state: state.secret().clone(), verifier: verifier.secret().clone(), nonce: nonce.secret().clone(), return_to, begun: unix_now() };
        Ok((url.to_string(), self.seal(&pending)))
    }

    /// Finishes a sign-in the provider sent back: exchanges the code (with the PKCE verifier),
    /// verifies the ID token and maps its role claim. Returns the new session's id, the person
    /// and where to go.
    fn finish(&self, code: String, state: &str, cookie: Option<&str>) -> Result<(String, Person, String), ApiError> {
        // The provider's answer counts only in the browser that began this sign-in, within 10 minutes.
        let pending = cookie.and_then(|c| self.open(c)).filter(|p| p.state == state && unix_now().saturating_sub(p.begun) < PENDING_FOR.as_secs());
        let Some(pending) = pending else {
            return Err(ApiError::BadRequest("this sign-in is unknown or expired (over 10 minutes), or began in another browser; sign in again".into()));
        };
        let client = self.client(self.provider().map_err(unavailable)?).map_err(unavailable)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .map_err(|e| unavailable(SignInError::Provider(self.settings.issuer.clone(), e.to_string())))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier))
            .request(&http)
            .map_err(|e| unavailable(SignInError::Provider(self.settings.issuer.clone(), error_chain(&e))))?;
        let id_token = openidconnect::TokenResponse::id_token(&tokens)
            .ok_or_else(|| unavailable(SignInError::Token("the provider sent no ID token (is `openid` among the client's scopes?)".into())))?;
        let person = person_of(&client.id_token_verifier(), id_token, &Nonce::new(pending.nonce), &self.settings).map_err(|e| match e {
            SignInError::NoRole(_) => ApiError::Forbidden(e.to_string()),
            other => {
                // Perhaps signed with a key the provider has rotated in: read its keys afresh next time.
                self.forget_provider();
                ApiError::Unauthorized(other.to_string())
            }
        })?;
        let id = session_id();
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| s.until > Instant::now());
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions.iter().min_by_key(|(_, s)| s.until).map(|(k, _)| k.clone())
        {
            sessions.remove(&oldest);
        }
        sessions.insert(id.clone(), Session { person: person.clone(), until: Instant::now() + self.settings.session });
        Ok((id, person, pending.return_to))
    }

    /// The person behind a session cookie, while the session lasts.
    pub fn person(&self, session: &str) -> Option<Person> {
        let sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.get(session).filter(|s| s.until > Instant::now()).map(|s| s.person.clone())
    }

    fn end(&self, session: &str) -> Option<Person> {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(session).map(|s| s.person)
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

fn unavailable(e: SignInError) -> ApiError {
    ApiError::Unavailable(e.to_string())
}

/// An error with its causes, for the log and the answer.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// 32 random bytes as hex.
fn session_id() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system gives random bytes");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Verifies an ID token (signature, issuer, audience, expiry, nonce) and maps its role claim.
pub fn person_of(verifier: &CoreIdTokenVerifier, token: &CoreIdToken, nonce: &Nonce, settings: &Settings) -> Result<Person, SignInError> {
    let claims = token.claims(verifier, nonce).map_err(|e| SignInError::Token(error_chain(&e)))?;
    // The signature was verified over exactly these bytes: the role claim is read from them
    // (providers name and nest it differently; the library's claim types hold the standard ones).
    let payload = token.to_string().split('.').nth(1).map(str::to_string).unwrap_or_default();
    use base64::Engine;
    let json: serde_json::Value = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    let values = claim_values(&json, &settings.role_claim);
    let has = |wanted: &[String]| values.iter().any(|v| wanted.contains(v));
    let role = if has(&settings.admin) {
        Role::Admin
    } else if has(&settings.analyst) {
        Role::Analyst
    } else {
        return Err(SignInError::NoRole(settings.role_claim.clone()));
    };
    let name = claims.name().and_then(|n| n.get(None)).map(|n| n.to_string());
    let email = claims.email().map(|e| e.to_string()).or_else(|| claims.preferred_username().map(|u| u.to_string()));
    // The subject is the provider's stable id: names and addresses can be edited.
    let subject = claims.subject().as_str();
    let name = match (name, email) {
        (Some(name), Some(email)) => format!("{name} <{email}> [oidc:{subject}]"),
        (Some(one), None) | (None, Some(one)) => format!("{one} [oidc:{subject}]"),
        (None, None) => format!("oidc:{subject}"),
    };
    Ok(Person { name, role })
}

/// The strings at a dotted claim path: an array of strings, or one string.
fn claim_values(json: &serde_json::Value, path: &str) -> Vec<String> {
    let found = path.split('.').try_fold(json, |value, key| value.get(key));
    match found {
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(serde_json::Value::String(one)) => vec![one.clone()],
        _ => Vec::new(),
    }
}

/// The provider's HTTP calls (discovery, keys, the token endpoint): no redirects followed, 10 s
/// at most, 1 MB of answer at most.
fn http(request: openidconnect::HttpRequest) -> Result<openidconnect::HttpResponse, ureq::Error> {
    let agent: ureq::Agent =
        ureq::Agent::config_builder().http_status_as_error(false).max_redirects(0).timeout_global(Some(Duration::from_secs(10))).build().into();
    let response = agent.run(request)?;
    let (parts, mut body) = response.into_parts();
    let bytes = body.with_config().limit(1 << 20).read_to_vec()?;
    Ok(openidconnect::HttpResponse::from_parts(parts, bytes))
}

/// A cookie of a request by name.
fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_string())
}

/// The session id of a request's cookie.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, COOKIE)
}

fn cookie(name: &str, value: &str, max_age: u64) -> HeaderValue {
    HeaderValue::from_str(&format!("{name}={value}; Path=/; HttpOnly; Secure; SameSite=Lax; Max-Age={max_age}"))
        .expect("a cookie of base64 and hex is a header value")
}

/// Whether a request a session makes may change something: it comes from this site's own page
/// (its `Origin` names this host). A page elsewhere, even on a sibling domain, cannot make a
/// signed-in browser import or delete (tokens, sent by scripts, need no such check).
pub fn from_own_page(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()).and_then(|o| o.split_once("://")).map(|(_, authority)| authority);
    matches!((host, origin), (Some(host), Some(origin)) if host.eq_ignore_ascii_case(origin))
}

fn configured(state: &AppState) -> Result<std::sync::Arc<SignIn>, ApiError> {
    state.signin.clone().ok_or_else(|| ApiError::NotFound("sign-in is not configured on this server (see docs/operations.md); use a token".into()))
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct LoginQuery {
    /// Where to come back to on this site after signing in (a path; default `/`).
    #[serde(rename = "return")]
    return_to: Option<String>,
}

/// `GET /auth/login?return=/path`: to the provider's sign-in page.
pub async fn login(State(state): State<AppState>, Query(q): Query<LoginQuery>) -> Result<Response, ApiError> {
    let signin = configured(&state)?;
    let return_to = q.return_to.filter(|p| is_local_path(p)).unwrap_or_else(|| "/".into());
    let _slot = signin.call_slot()?;
    let task = std::sync::Arc::clone(&signin);
    let (url, pending) = tokio::task::spawn_blocking(move || task.begin(return_to)).await.map_err(ApiError::task("sign-in"))?.map_err(unavailable)?;
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, url), (header::CACHE_CONTROL, "no-store".into())]).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie(PENDING_COOKIE, &pending, PENDING_FOR.as_secs()));
    Ok(response)
}

/// A path on this site, and only that: a sign-in never sends anyone elsewhere (no `//host`, no
/// backslash, no control character or space a browser would drop to make one).
fn is_local_path(path: &str) -> bool {
    path.starts_with('/') && !path.starts_with("//") && path.chars().all(|c| c.is_ascii_graphic() && c != '\\')
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    /// The provider's refusal (`access_denied`, …).
    error: Option<String>,
    error_description: Option<String>,
}

/// `GET /auth/callback?code=&state=`: where the provider sends the browser back; sets the
/// session cookie and goes on to where the sign-in began.
pub async fn callback(State(state): State<AppState>, headers: HeaderMap, Query(q): Query<CallbackQuery>) -> Result<Response, ApiError> {
    let signin = configured(&state)?;
    if let Some(error) = q.error {
        return Err(ApiError::Unauthorized(format!("the sign-in provider refused: {error} {}", q.error_description.unwrap_or_default())));
    }
    let (Some(code), Some(flow)) = (q.code, q.state) else {
        return Err(ApiError::BadRequest("the provider's answer lacks code and state; sign in again".into()));
    };
    let _slot = signin.call_slot()?;
    let task = std::sync::Arc::clone(&signin);
    let pending = cookie_value(&headers, PENDING_COOKIE);
    let (id, person, return_to) =
        tokio::task::spawn_blocking(move || task.finish(code, &flow, pending.as_deref())).await.map_err(ApiError::task("sign-in"))??;
    let role = format!("{:?}", person.role).to_lowercase();
    state.data.audit(person.name.clone(), role, "signin", "oidc".into(), None).await?;
    let max_age = signin.settings.session.as_secs();
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, return_to)]).into_response();
    response.headers_mut().append(header::SET_COOKIE, cookie(COOKIE, &id, max_age));
    response.headers_mut().append(header::SET_COOKIE, cookie(PENDING_COOKIE, "", 0));
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /auth/logout`: ends the session and clears the cookie.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    let signin = configured(&state)?;
    if !from_own_page(&headers) {
        return Err(ApiError::Forbidden("signing out must come from this site's own page (its Origin header)".into()));
    }
    if let Some(person) = session_cookie(&headers).and_then(|id| signin.end(&id)) {
        let role = format!("{:?}", person.role).to_lowercase();
        state.data.audit(person.name, role, "signout", "oidc".into(), None).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie(COOKIE, "", 0));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use openidconnect::core::{CoreGenderClaim, CoreJsonWebKeySet, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
    use openidconnect::{Audience, EndUserEmail, IdTokenClaims, JsonWebKeyId, PrivateSigningKey, StandardClaims, SubjectIdentifier};

    use super::*;

    /// An RSA key made for these tests (tests/fixtures/oidc/README.md).
    const KEY: &str = include_str!("../../tests/fixtures/oidc/test-signing-key.pem");
    const ISSUER: &str = "https://login.example/tenant/v2.0";

    #[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
    struct Extra {
        roles: serde_json::Value,
    }
    impl openidconnect::AdditionalClaims for Extra {}
    type SignedToken = openidconnect::IdToken<Extra, CoreGenderClaim, CoreJweContentEncryptionAlgorithm, CoreJwsSigningAlgorithm>;

    fn key() -> CoreRsaPrivateSigningKey {
        CoreRsaPrivateSigningKey::from_pem(KEY, Some(JsonWebKeyId::new("test".into()))).unwrap()
    }

    fn settings(role_claim: &str) -> Settings {
        Settings {
            issuer: ISSUER.into(),
            client_id: "bomiljo".into(),
            client_secret: "secret".into(),
            redirect_url: "https://bomiljo.example/auth/callback".into(),
            scopes: Vec::new(),
            role_claim: role_claim.into(),
            analyst: vec!["bomiljo-analyst".into()],
            admin: vec!["bomiljo-admin".into()],
            session: Duration::from_secs(3600),
        }
    }

    /// What bomiljo's client verifies with: its id, the configured issuer, the provider's keys.
    fn verifier() -> CoreIdTokenVerifier<'static> {
        CoreIdTokenVerifier::new_confidential_client(
            ClientId::new("bomiljo".into()),
            ClientSecret::new("secret".into()),
            IssuerUrl::new(ISSUER.into()).unwrap(),
            CoreJsonWebKeySet::new(vec![key().as_verification_key()]),
        )
    }

    /// An ID token signed with the test key.
    fn token(issuer: &str, audience: &str, expires_in_s: i64, roles: serde_json::Value, nonce: &Nonce) -> CoreIdToken {
        let now = chrono::Utc::now();
        let standard = StandardClaims::new(SubjectIdentifier::new("ada".into())).set_email(Some(EndUserEmail::new("ada@bydel.example".into())));
        let claims = IdTokenClaims::new(
            IssuerUrl::new(issuer.into()).unwrap(),
            vec![Audience::new(audience.into())],
            now + chrono::Duration::seconds(expires_in_s),
            now - chrono::Duration::seconds(60),
            standard,
            Extra { roles },
        )
        .set_nonce(Some(nonce.clone()));
        let signed = SignedToken::new(claims, &key(), CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256, None, None).unwrap();
        CoreIdToken::from_str(&signed.to_string()).unwrap()
    }

    #[test]
    fn a_valid_token_signs_in_with_the_role_its_claim_names() {
        let nonce = Nonce::new("n-1".into());
        let analyst = token(ISSUER, "bomiljo", 300, serde_json::json!(["ansatt", "bomiljo-analyst"]), &nonce);
        assert_eq!(
            person_of(&verifier(), &analyst, &nonce, &settings("roles")).unwrap(),
            Person { name: "ada@bydel.example [oidc:ada]".into(), role: Role::Analyst }
        );
        let admin = token(ISSUER, "bomiljo", 300, serde_json::json!("bomiljo-admin"), &nonce);
        assert_eq!(person_of(&verifier(), &admin, &nonce, &settings("roles")).unwrap().role, Role::Admin);
        // Keycloak nests realm roles: the claim path says where.
        let nested = token(ISSUER, "bomiljo", 300, serde_json::json!({ "realm": ["bomiljo-admin"] }), &nonce);
        assert_eq!(person_of(&verifier(), &nested, &nonce, &settings("roles.realm")).unwrap().role, Role::Admin);
    }

    #[test]
    fn tokens_from_another_issuer_for_another_audience_expired_or_replayed_are_refused() {
        let nonce = Nonce::new("n-2".into());
        let roles = serde_json::json!(["bomiljo-admin"]);
        let refused = |token: CoreIdToken, nonce: &Nonce| match person_of(&verifier(), &token, nonce, &settings("roles")) {
            Err(SignInError::Token(why)) => why,
            other => panic!("not refused: {other:?}"),
        };
        let why = refused(token("https://evil.example/v2.0", "bomiljo", 300, roles.clone(), &nonce), &nonce);
        assert!(why.contains("issuer") || why.contains("Issuer"), "{why}");
        let why = refused(token(ISSUER, "another-app", 300, roles.clone(), &nonce), &nonce);
        assert!(why.to_lowercase().contains("audience"), "{why}");
        let why = refused(token(ISSUER, "bomiljo", -120, roles.clone(), &nonce), &nonce);
        assert!(why.to_lowercase().contains("expire"), "{why}");
        // A token made for another sign-in (its nonce) is not accepted for this one.
        let why = refused(token(ISSUER, "bomiljo", 300, roles, &nonce), &Nonce::new("n-other".into()));
        assert!(why.to_lowercase().contains("nonce"), "{why}");
    }

    #[test]
    fn an_account_without_a_bomiljo_role_is_refused_by_name_of_the_claim() {
        let nonce = Nonce::new("n-3".into());
        let none = token(ISSUER, "bomiljo", 300, serde_json::json!(["ansatt"]), &nonce);
        assert!(matches!(person_of(&verifier(), &none, &nonce, &settings("roles")), Err(SignInError::NoRole(claim)) if claim == "roles"));
        let elsewhere = token(ISSUER, "bomiljo", 300, serde_json::json!(["bomiljo-admin"]), &nonce);
        assert!(matches!(person_of(&verifier(), &elsewhere, &nonce, &settings("groups")), Err(SignInError::NoRole(_))));
    }

    #[test]
    fn a_sign_in_returns_only_to_a_path_on_this_site() {
        for local in ["/", "/?lang=en#plassering", "/index.html"] {
            assert!(is_local_path(local), "{local}");
        }
        // Browsers drop tabs and newlines and read a backslash as a slash: each would lead off the site.
        for elsewhere in
            ["https://evil.example/", "//evil.example", "/\t/evil.example", "/\\evil.example", "/\n/evil.example", "/ /evil.example", "evil.example"]
        {
            assert!(!is_local_path(elsewhere), "{elsewhere:?}");
        }
    }

    #[test]
    fn a_sign_in_cookie_opens_only_as_the_server_signed_it() {
        let signin = SignIn::new(settings("roles"));
        let pending = Pending { state: "s".into(), verifier: "v".into(), nonce: "n".into(), return_to: "/".into(), begun: 1 };
        let sealed = signin.seal(&pending);
        assert_eq!(signin.open(&sealed).map(|p| p.state), Some("s".into()));
        let (payload, _) = sealed.split_once('.').unwrap();
        use base64::Engine;
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"state":"s","verifier":"mine","nonce":"n","return_to":"/","begun":1}"#);
        assert!(signin.open(&format!("{forged}.{}", sealed.split_once('.').unwrap().1)).is_none());
        assert!(signin.open(&format!("{payload}.AAAA")).is_none());
        // Another server (or this one after a restart) signed with another key.
        assert!(SignIn::new(settings("roles")).open(&sealed).is_none());
    }

    #[test]
    fn the_session_cookie_is_read_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("_session=abc; __Host-bomiljo_session=f00d; theme=dark"));
        assert_eq!(session_cookie(&headers).as_deref(), Some("f00d"));
        assert_eq!(session_cookie(&HeaderMap::new()), None);
    }
}
