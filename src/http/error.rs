//! The one error type of the HTTP layer, and how it becomes a status and a JSON body.
//!
//! Store and internal failures are logged with their detail and shown to the client only
//! as `internal`; bad input always names the field.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::FieldError;
use crate::store::StoreError;

/// What a `503` asks the client to wait before retrying: about one busy timeout.
const RETRY_AFTER_SECONDS: u32 = 5;

/// Result alias for handlers.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One problem in a bulk write: which feature, which field.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Detail {
    /// Position of the feature in the collection (0 for a single Feature).
    pub index: usize,
    /// Path of the field inside the feature.
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl Detail {
    /// Places a domain field error at a collection index.
    pub fn at(index: usize, e: FieldError) -> Self {
        Self { index, field: e.field, message: e.message }
    }
}

/// Everything a handler can answer other than success.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// 400: malformed or out-of-range input; `code` is machine-readable.
    #[error("{message}")]
    BadRequest {
        /// e.g. `invalid_coordinates`, `invalid_parameter`, `invalid_json`.
        code: &'static str,
        /// Names the field.
        message: String,
    },
    /// 401: no token where one is needed, or an unknown token.
    #[error("{0}")]
    Unauthorized(String),
    /// 401: a known token that is revoked or past its expiry date.
    #[error("{message}")]
    TokenRefused {
        /// `token_revoked` or `token_expired`, so a page can say what to do.
        code: &'static str,
        /// What happened and what to do.
        message: String,
    },
    /// 403: the token lacks the right.
    #[error("{0}")]
    Forbidden(String),
    /// 404: no such resource, or one the caller may not know exists.
    #[error("{0}")]
    NotFound(String),
    /// 409: the write conflicts with what is stored.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body (or collection) is past the limit.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 422: well-formed but invalid; `details` lists every problem.
    #[error("{message}")]
    Unprocessable {
        /// Summary.
        message: String,
        /// Each problem with its feature index and field.
        details: Vec<Detail>,
    },
    /// 500: logged, never described to the client; except a child written meanwhile (404)
    /// and a database busy past its timeout (503 with `Retry-After`), which are retryable.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// 500 for a failure of our own (a worker task that panicked): logged, not described.
    #[error("{0}")]
    Internal(String),
}

impl Error {
    /// A 400 for a query parameter.
    pub fn param(message: impl Into<String>) -> Self {
        Error::BadRequest { code: "invalid_parameter", message: message.into() }
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            Error::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Error::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Error::TokenRefused { code, .. } => (StatusCode::UNAUTHORIZED, code),
            Error::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Error::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Error::PayloadTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Error::Unprocessable { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_feature"),
            Error::Store(StoreError::AlreadyExists(_)) => (StatusCode::CONFLICT, "already_exists"),
            Error::Store(StoreError::VersionConflict { .. }) => (StatusCode::CONFLICT, "version_conflict"),
            Error::Store(StoreError::NoSuchChild(_)) => (StatusCode::NOT_FOUND, "not_found"),
            Error::Store(StoreError::Unavailable(_)) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Error::Store(_) | Error::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

/// The JSON error body of the contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// The error.
    pub error: ErrorInfo,
}

/// Code, message and, for 422, the details.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorInfo {
    /// Machine-readable code.
    pub code: String,
    /// Human-readable message naming the field.
    pub message: String,
    /// Per-feature problems of a rejected write.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<Detail>,
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        let message = match &self {
            Error::Store(
                e @ (StoreError::AlreadyExists(_) | StoreError::VersionConflict { .. } | StoreError::NoSuchChild(_)),
            ) => e.to_string(),
            Error::Store(StoreError::Unavailable(e)) => {
                tracing::warn!(error = %e, "database busy; answered 503");
                "the database is busy with a long write (an import?); nothing was done, try again shortly".to_owned()
            }
            Error::Store(e) => {
                tracing::error!(error = %e, "store error");
                "internal error; the request was not applied".to_owned()
            }
            Error::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                "internal error; the request was not applied".to_owned()
            }
            other => other.to_string(),
        };
        let details = match self {
            Error::Unprocessable { details, .. } => details,
            _ => Vec::new(),
        };
        let body = ErrorBody { error: ErrorInfo { code: code.to_owned(), message, details } };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
        }
        response
    }
}

/// Makes every API error JSON, as the contract says, including those axum writes itself:
/// a path that is not valid UTF-8 (400), a method the route lacks (405, keeping `Allow`).
pub async fn json_errors(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (parts, body) = response.into_parts();
    let said = axum::body::to_bytes(body, 16 * 1024)
        .await
        .ok()
        .map(|b| String::from_utf8_lossy(&b).trim().to_owned())
        .filter(|t| !t.is_empty());
    let (code, fallback) = match status {
        StatusCode::METHOD_NOT_ALLOWED => ("method_not_allowed", "this method is not allowed on this path"),
        StatusCode::NOT_FOUND => ("not_found", "no such path"),
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the body is too large"),
        s if s.is_client_error() => ("invalid_request", "the request could not be understood"),
        _ => ("internal", "internal error; the request was not applied"),
    };
    let message = said.unwrap_or_else(|| fallback.to_owned());
    let body = ErrorBody { error: ErrorInfo { code: code.to_owned(), message, details: Vec::new() } };
    let mut answer = (status, Json(body)).into_response();
    if let Some(allow) = parts.headers.get(axum::http::header::ALLOW) {
        answer.headers_mut().insert(axum::http::header::ALLOW, allow.clone());
    }
    answer
}
