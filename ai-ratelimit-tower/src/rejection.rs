//! Responses the layer gives instead of calling the inner service.

use http::{HeaderValue, StatusCode, header};
use serde_json::{Value, json};

/// A JSON error response that ends a request before the inner service is called: a missing
/// or unknown project key, an invalid identity, a policy that cannot be loaded.
///
/// Extractors and policy sources return it; the layer renders it as
/// `{"error": <code>, "message": <sentence>, ...}` with `content-type: application/json`.
#[derive(Debug, Clone, PartialEq)]
pub struct Rejection {
    status: StatusCode,
    body: Value,
}

impl Rejection {
    /// A rejection with any status and JSON body.
    pub fn new(status: StatusCode, body: Value) -> Self {
        Self { status, body }
    }

    /// `400 invalid_request` naming the offending `field` (e.g. `identity`).
    pub fn invalid_request(field: &str, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            json!({"error": "invalid_request", "message": message.into(), "field": field}),
        )
    }

    /// `401 invalid_project_key`.
    pub fn invalid_project_key(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_project_key", "message": message.into()}),
        )
    }

    /// `503 policy_unavailable`: the policy of the request could not be loaded.
    pub fn policy_unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            json!({"error": "policy_unavailable", "message": "Usage limits cannot be loaded right now; try again shortly"}),
        )
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The JSON body.
    pub fn body(&self) -> &Value {
        &self.body
    }
}

/// The `content-type` of every JSON response the layer writes.
pub(crate) const APPLICATION_JSON: (header::HeaderName, HeaderValue) = (
    header::CONTENT_TYPE,
    HeaderValue::from_static("application/json"),
);
