//! Protection at the edge: per-client rate limits (by token, or by address without one), JSON
//! bodies for every 4xx (including axum's own rejections), and request metrics.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::{
    body::Body,
    extract::{ConnectInfo, MatchedPath, Request, State},
    http::{HeaderValue, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{ApiError, AppState, auth};
use crate::privacy::Role;

/// Most keys a limiter holds before it forgets those idle for a full period (a flood of fresh
/// addresses or made-up tokens cannot grow it without bound).
const MAX_KEYS: usize = 100_000;

type Keyed = governor::DefaultKeyedRateLimiter<String>;

/// Per-client request budgets (GCRA, from `governor`): per token name, per client address (an
/// IPv4 address or an IPv6 /64) and per address for failed authentications. A request costs its
/// route's weight ([`super::routes::Route::weight`]): a fresh computation costs more than a
/// cached answer.
pub struct RateLimiter {
    tokens: Keyed,
    addresses: Keyed,
    failed_auth: Keyed,
    /// When the limiters last forgot idle keys.
    pruned: Mutex<Instant>,
}

impl RateLimiter {
    pub fn new(limits: &crate::config::project::Limits) -> RateLimiter {
        let per_minute = |n: u32| governor::Quota::per_minute(std::num::NonZeroU32::new(n).unwrap_or(std::num::NonZeroU32::MIN));
        RateLimiter {
            tokens: Keyed::keyed(per_minute(limits.token_per_minute)),
            addresses: Keyed::keyed(per_minute(limits.public_per_minute)),
            failed_auth: Keyed::keyed(per_minute(limits.failed_auth_per_minute)),
            pruned: Mutex::new(Instant::now()),
        }
    }

    /// Takes `cost` from `key`'s budget; false when it has not that much left (or the cost is more
    /// than the whole budget).
    fn allow(&self, limiter: &Keyed, key: String, cost: u32) -> bool {
        if limiter.len() > MAX_KEYS {
            let mut pruned = self.pruned.lock().unwrap_or_else(|p| p.into_inner());
            if pruned.elapsed() >= Duration::from_secs(1) {
                for limiter in [&self.tokens, &self.addresses, &self.failed_auth] {
                    limiter.retain_recent();
                    limiter.shrink_to_fit();
                }
                *pruned = Instant::now();
            }
        }
        let cost = std::num::NonZeroU32::new(cost).unwrap_or(std::num::NonZeroU32::MIN);
        matches!(limiter.check_key_n(&key, cost), Ok(Ok(())))
    }
}

/// 429 once a client has used its requests for the minute. A valid token is limited by its
/// name (admins are exempt); a request without one by the client's address. A request with an
/// unknown, revoked or expired token counts against its address, and against the address's
/// budget of failed authentications, so made-up tokens neither open fresh buckets nor guess
/// freely. A request costs its route's weight.
pub async fn rate_limit(State(state): State<AppState>, mut request: Request, next: Next) -> Result<Response, ApiError> {
    let limits = state.config.project.limits;
    // An IPv6 client is its /64 (one client holds a whole /64 and could otherwise take a fresh
    // bucket per address).
    let addr =
        request.extensions().get::<ConnectInfo<SocketAddr>>().map_or_else(|| "unknown".to_string(), |c| super::connections::client_key(c.0.ip()).to_string());
    let weight = request.extensions().get::<MatchedPath>().map_or(1, |path| super::routes::weight(request.method().as_str(), path.as_str()));
    let too_many = |what: &str, budget: u32| ApiError::TooManyRequests(format!("more than {budget} {what} this minute; try again shortly"));
    let resolved = match auth::bearer_token(request.headers()) {
        Some(Ok(token)) => Some(auth::resolve(&state, token).await?),
        Some(Err(_)) => Some(auth::Resolved(None)),
        None => auth::signed_in(&state, request.headers()).map(|p| auth::Resolved(Some((p.role, p.name)))),
    };
    let limiter = &state.limiter;
    match resolved.as_ref().map(|r| &r.0) {
        Some(Some((Role::Admin, _))) => {}
        Some(Some((_, name))) => {
            if !limiter.allow(&limiter.tokens, name.clone(), weight) {
                return Err(too_many("requests", limits.token_per_minute));
            }
        }
        Some(None) => {
            if !limiter.allow(&limiter.failed_auth, addr.clone(), 1) {
                return Err(too_many("failed authentications", limits.failed_auth_per_minute));
            }
            if !limiter.allow(&limiter.addresses, addr, weight) {
                return Err(too_many("requests", limits.public_per_minute));
            }
        }
        None => {
            if !limiter.allow(&limiter.addresses, addr, weight) {
                return Err(too_many("requests", limits.public_per_minute));
            }
        }
    }
    if let Some(resolved) = resolved {
        request.extensions_mut().insert(resolved);
    }
    Ok(next.run(request).await)
}

/// Longest request target (path and query) answered; longer ones get a JSON 414.
const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header bytes answered; more get a JSON 431 (hyper's own, larger limits answer bare).
const MAX_HEADER_BYTES: usize = 32 * 1024;

/// Headers one request may carry (hyper's own default; more are refused in JSON).
pub const MAX_HEADERS: usize = 100;

/// Refuses oversized request lines and headers with JSON, before any routing.
pub async fn http_limits(request: Request, next: Next) -> Result<Response, ApiError> {
    let uri = request.uri().to_string().len();
    if uri > MAX_URI_BYTES {
        return Err(ApiError::UriTooLong(format!("the request target is {uri} bytes; at most {MAX_URI_BYTES}")));
    }
    let count = request.headers().len();
    if count > MAX_HEADERS {
        return Err(ApiError::HeadersTooLarge(format!("the request has {count} headers; at most {MAX_HEADERS}")));
    }
    let headers: usize = request.headers().iter().map(|(k, v)| k.as_str().len() + v.len() + 4).sum();
    if headers > MAX_HEADER_BYTES {
        return Err(ApiError::HeadersTooLarge(format!("the request headers are {headers} bytes; at most {MAX_HEADER_BYTES}")));
    }
    Ok(next.run(request).await)
}

/// Turns any 4xx that is not JSON (axum's own rejections: a malformed query, an oversized body,
/// a wrong method) into `{"error": "..."}`.
pub async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !status.is_client_error() || is_json {
        return response;
    }
    let body = axum::body::to_bytes(response.into_body(), 16 * 1024).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&body);
    let message = if text.trim().is_empty() { status.canonical_reason().unwrap_or("bad request").to_string() } else { text.trim().to_string() };
    (status, axum::Json(serde_json::json!({ "error": message }))).into_response()
}

/// Requests and time per route and status, for `/metrics`.
#[derive(Default)]
pub struct Metrics {
    by_route: Mutex<HashMap<(String, u16), (u64, f64)>>,
}

pub async fn record_metrics(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| "static".to_string(), |m| m.as_str().to_string());
    let started = Instant::now();
    let response = next.run(request).await;
    let mut map = state.metrics.by_route.lock().unwrap_or_else(|p| p.into_inner());
    let entry = map.entry((route, response.status().as_u16())).or_insert((0, 0.0));
    entry.0 += 1;
    entry.1 += started.elapsed().as_secs_f64();
    response
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut out = String::from("# HELP bomiljo_requests_total Requests answered, by route and status.\n# TYPE bomiljo_requests_total counter\n");
    let map = state.metrics.by_route.lock().unwrap_or_else(|p| p.into_inner()).clone();
    let mut rows: Vec<_> = map.into_iter().collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    for ((route, status), (count, _)) in &rows {
        out.push_str(&format!("bomiljo_requests_total{{route=\"{route}\",status=\"{status}\"}} {count}\n"));
    }
    out.push_str("# HELP bomiljo_request_seconds_sum Time spent answering, by route.\n# TYPE bomiljo_request_seconds_sum counter\n");
    for ((route, status), (_, seconds)) in &rows {
        out.push_str(&format!("bomiljo_request_seconds_sum{{route=\"{route}\",status=\"{status}\"}} {seconds:.6}\n"));
    }
    out.push_str("# HELP bomiljo_store_calls_total Database calls made while serving.\n# TYPE bomiljo_store_calls_total counter\n");
    out.push_str(&format!("bomiljo_store_calls_total {}\n", state.store_calls()));
    let mut response = Response::new(Body::from(out));
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; version=0.0.4"));
    *response.status_mut() = StatusCode::OK;
    response
}

/// Answers 408 when a request takes longer than `[limits] request_timeout_s` (on every route the
/// route table marks timed).
pub async fn timeout(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limit = state.config.project.limits.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => (StatusCode::REQUEST_TIMEOUT, axum::Json(serde_json::json!({ "error": format!("the request took longer than {} s", limit.as_secs()) })))
            .into_response(),
    }
}
