//! Maps failures to HTTP status codes with a short JSON body; the full chain goes to the log.

use axum::{Json, http::StatusCode, response::IntoResponse};
use serde_json::json;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("{0}")]
    UriTooLong(String),
    #[error("{0}")]
    HeadersTooLarge(String),
    /// The client stopped sending (an upload that stalls).
    #[error("{0}")]
    RequestTimeout(String),
    /// The request clashes with work under way (an import while another runs).
    #[error("{0}")]
    Conflict(String),
    /// The request was understood but its content is refused (an import's rejected rows).
    #[error("{0}")]
    Unprocessable(String),
    /// A service bomiljo depends on (the sign-in provider) failed: a 502, said in the answer.
    #[error("{0}")]
    Unavailable(String),
    /// A failure of the service, not of the request: a 500, with the cause in the log.
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl ApiError {
    /// A background task that panicked or was cancelled.
    pub fn task(what: &str) -> impl FnOnce(tokio::task::JoinError) -> ApiError + '_ {
        move |e| ApiError::Internal(format!("{what} failed: {e}"))
    }
}

impl From<crate::measurement::MeasureError> for ApiError {
    fn from(e: crate::measurement::MeasureError) -> ApiError {
        match e {
            crate::measurement::MeasureError::BadParameter(m) => ApiError::BadRequest(m),
            crate::measurement::MeasureError::Store(s) => ApiError::Store(s),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> axum::response::Response {
        let (status, message) = match &self {
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m.clone()),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m.clone()),
            ApiError::Unauthorized(m) => (StatusCode::UNAUTHORIZED, m.clone()),
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m.clone()),
            ApiError::TooManyRequests(m) => (StatusCode::TOO_MANY_REQUESTS, m.clone()),
            ApiError::UriTooLong(m) => (StatusCode::URI_TOO_LONG, m.clone()),
            ApiError::HeadersTooLarge(m) => (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, m.clone()),
            ApiError::RequestTimeout(m) => (StatusCode::REQUEST_TIMEOUT, m.clone()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m.clone()),
            ApiError::Unprocessable(m) => (StatusCode::UNPROCESSABLE_ENTITY, m.clone()),
            ApiError::Unavailable(m) => {
                tracing::warn!(error = %m, "a service bomiljo depends on failed");
                (StatusCode::BAD_GATEWAY, m.clone())
            }
            ApiError::Internal(cause) => {
                tracing::error!(error = %cause, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the server log".to_string())
            }
            ApiError::Store(e) => {
                tracing::error!(error = %e, "store error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error; see the server log".to_string())
            }
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}
