//! Errors: [`ApiError`], the one error type of every handler, rendered as the API's JSON error
//! shape, and [`ServerError`], why the server could not start or stopped.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::ConfigError;
use crate::projects::ProjectError;

/// The JSON body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Snake-case error code, e.g. `invalid_request`.
    pub error: String,
    /// A human sentence.
    pub message: String,
    /// Path of the offending value (validation errors only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// Every error an API handler can answer with.
///
/// Internal failures carry their cause for the log only: the response says no more than
/// "internal error", so no SQL, path or secret ever reaches a client.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `invalid_request`, with the path of the offending value when there is one.
    #[error("{message}")]
    InvalidRequest {
        /// Human sentence.
        message: String,
        /// Path of the offending value.
        field: Option<String>,
    },
    /// 400 `organization_reserved`.
    #[error("this organization name is reserved")]
    OrganizationReserved,
    /// 401 `unauthorized`.
    #[error("authentication required")]
    Unauthorized,
    /// 401 `invalid_token` (magic link).
    #[error("this sign-in link is invalid or has expired")]
    InvalidToken,
    /// 401 `invalid_credentials`.
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    /// 401 `invalid_project_key`.
    #[error("unknown or missing project key")]
    InvalidProjectKey,
    /// 401 `invalid_identity_token`: a signed identity is required, or was sent, and is not
    /// valid (the message says which check failed).
    #[error(transparent)]
    InvalidIdentityToken(#[from] ai_ratelimit_tower::IdentityTokenError),
    /// 404 `not_found`.
    #[error("not found")]
    NotFound,
    /// 405 `method_not_allowed`.
    #[error("this method is not allowed on this route")]
    MethodNotAllowed,
    /// 409 `organization_taken`.
    #[error("an organization with this name already exists")]
    OrganizationTaken,
    /// 409 `email_taken`.
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    /// 409 `limit_reached`: a count the server caps (e.g. webhooks per project) is reached.
    #[error("{0}")]
    LimitReached(String),
    /// 413 `payload_too_large`.
    #[error("the request body is larger than the server accepts (MAX_BODY_BYTES)")]
    PayloadTooLarge,
    /// 415 `unsupported_media_type`.
    #[error("expected a JSON body with `Content-Type: application/json`")]
    UnsupportedMediaType,
    /// 429 `rate_limited`, with `Retry-After`.
    #[error("too many requests, retry later")]
    RateLimited {
        /// Seconds until a retry may succeed.
        retry_after_secs: u64,
    },
    /// 503 `unavailable`: a dependency (store, database) is down.
    #[error("service temporarily unavailable")]
    Unavailable(String),
    /// 500 `internal_error`; the cause is logged, never returned.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// A 400 `invalid_request` about one field.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::InvalidRequest {
            message: message.into(),
            field: Some(field.into()),
        }
    }

    /// A 400 `invalid_request` about the request as a whole.
    pub fn invalid(message: impl Into<String>) -> Self {
        ApiError::InvalidRequest {
            message: message.into(),
            field: None,
        }
    }

    /// A 500 whose cause goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        ApiError::Internal(cause.to_string())
    }

    /// The HTTP status.
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidRequest { .. } | ApiError::OrganizationReserved => {
                StatusCode::BAD_REQUEST
            }
            ApiError::Unauthorized
            | ApiError::InvalidToken
            | ApiError::InvalidCredentials
            | ApiError::InvalidProjectKey
            | ApiError::InvalidIdentityToken(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::OrganizationTaken | ApiError::EmailTaken | ApiError::LimitReached(_) => {
                StatusCode::CONFLICT
            }
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The snake-case error code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidRequest { .. } => "invalid_request",
            ApiError::OrganizationReserved => "organization_reserved",
            ApiError::Unauthorized => "unauthorized",
            ApiError::InvalidToken => "invalid_token",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::InvalidProjectKey => "invalid_project_key",
            ApiError::InvalidIdentityToken(_) => "invalid_identity_token",
            ApiError::NotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::OrganizationTaken => "organization_taken",
            ApiError::EmailTaken => "email_taken",
            ApiError::LimitReached(_) => "limit_reached",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::RateLimited { .. } => "rate_limited",
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Internal(_) => "internal_error",
        }
    }

    /// The response body.
    pub fn body(&self) -> ErrorBody {
        let field = match self {
            ApiError::InvalidRequest { field, .. } => field.clone(),
            _ => None,
        };
        ErrorBody {
            error: self.code().to_owned(),
            message: self.to_string(),
            field,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        match &self {
            ApiError::Internal(cause) => tracing::error!(error = %cause, "internal error"),
            ApiError::Unavailable(cause) => {
                tracing::warn!(error = %cause, "dependency unavailable");
            }
            _ => {}
        }
        let mut response = (self.status_code(), Json(self.body())).into_response();
        if let ApiError::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                ApiError::Unavailable(e.to_string())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<ai_ratelimit_core::StoreError> for ApiError {
    fn from(e: ai_ratelimit_core::StoreError) -> Self {
        ApiError::Unavailable(e.to_string())
    }
}

impl From<ai_ratelimit_core::InvalidRequest> for ApiError {
    fn from(e: ai_ratelimit_core::InvalidRequest) -> Self {
        ApiError::invalid_field(e.field(), e.to_string())
    }
}

impl From<ai_ratelimit_core::LimitError> for ApiError {
    fn from(e: ai_ratelimit_core::LimitError) -> Self {
        match e {
            ai_ratelimit_core::LimitError::Invalid(invalid) => invalid.into(),
            ai_ratelimit_core::LimitError::Store(s) => s.into(),
        }
    }
}

impl From<ProjectError> for ApiError {
    fn from(e: ProjectError) -> Self {
        match e {
            ProjectError::Invalid { field, message } if field.is_empty() => {
                ApiError::invalid(message)
            }
            ProjectError::Invalid { field, message } => ApiError::invalid_field(field, message),
            ProjectError::NotFound => ApiError::NotFound,
            ProjectError::Corrupt { .. } => ApiError::internal(e),
            ProjectError::Database(e) => e.into(),
        }
    }
}

/// Why the server could not start, or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The configuration was refused.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Database(String),
    /// The usage store could not be opened.
    #[error("usage store: {0}")]
    UsageStore(String),
    /// Listening or serving failed.
    #[error("server I/O: {0}")]
    Io(#[from] std::io::Error),
    /// Another start-up step failed.
    #[error("start-up: {0}")]
    Startup(String),
}
