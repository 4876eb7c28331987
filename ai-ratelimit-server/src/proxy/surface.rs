//! The error shapes of the proxy's two surfaces: the API's own `{"error", "message",
//! "field"?}` on `/api/v1/proxy/*`, OpenAI's `{"error": {"message", "type", "code", "param"}}`
//! on the drop-in, so the official SDKs raise their typed errors.

use ai_ratelimit_core::DenialReason;
use ai_ratelimit_tower::{Refusal, Rejection, json_response};
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Map, Value, json};

use crate::error::ApiError;

/// Which API surface a request came in on: it decides only the shape of error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// `/api/v1/proxy/*`: the API's own `{"error", "message", "field"?}` shape.
    Proxy,
    /// `/api/v1/openai/*`: OpenAI's `{"error": {"message", "type", "code", "param"}}` shape.
    OpenAi,
}

impl Surface {
    /// The layer's error handler of this surface: the default JSON on the proxy routes,
    /// OpenAI's shape on the drop-in.
    pub fn render(self, refusal: Refusal<'_>) -> http::Response<Bytes> {
        match self {
            Surface::Proxy => refusal.default_response(),
            Surface::OpenAi => {
                let code = match refusal {
                    Refusal::Denied(denial) => denial_code(&denial.reason),
                    Refusal::Rejected(_) => "invalid_request",
                };
                let mut response = json_response(
                    refusal.status(),
                    &openai_error(refusal.status(), refusal.body(), code),
                );
                // A denial lasts until its window resets, yet OpenAI's SDKs retry a 429 after
                // the whole `Retry-After` (openai-node sleeps hours of it). Their own header
                // `x-should-retry: false` says not to; a failed store (503) is worth a retry.
                if let Refusal::Denied(denial) = refusal
                    && denial.reason != DenialReason::StoreUnavailable
                {
                    response.headers_mut().insert(
                        http::HeaderName::from_static("x-should-retry"),
                        http::HeaderValue::from_static("false"),
                    );
                }
                response
            }
        }
    }

    /// One of the API's own errors, in this surface's shape.
    pub fn error(self, error: ApiError) -> Response {
        match self {
            Surface::Proxy => error.into_response(),
            Surface::OpenAi => {
                let status = error.status_code();
                let body = serde_json::to_value(error.body()).unwrap_or_default();
                (status, axum::Json(openai_error(status, &body, "api_error"))).into_response()
            }
        }
    }

    /// 502 `upstream_error`: the provider failed or could not be reached.
    pub fn upstream_error(self) -> Response {
        let body = json!({"error": "upstream_error", "message": "the upstream provider failed"});
        let status = StatusCode::BAD_GATEWAY;
        match self {
            Surface::Proxy => (status, axum::Json(body)).into_response(),
            Surface::OpenAi => (
                status,
                axum::Json(openai_error(status, &body, "upstream_error")),
            )
                .into_response(),
        }
    }
}

/// An API error as the layer's rejection (its status and JSON body).
pub fn rejection(error: ApiError) -> Rejection {
    let status = error.status_code();
    Rejection::new(
        status,
        serde_json::to_value(error.body()).unwrap_or_default(),
    )
}

/// The code of a denial whose body names none (a custom response without `error`).
fn denial_code(reason: &DenialReason) -> &'static str {
    match reason {
        DenialReason::LimitExceeded { .. } => "limit_exceeded",
        DenialReason::ProjectLimitExceeded { .. } => "project_limit_exceeded",
        DenialReason::RuleBlocked { .. } => "blocked",
        DenialReason::RuleResponse { .. } => "rate_limit_exceeded",
        DenialReason::StoreUnavailable => "store_unavailable",
    }
}

/// OpenAI's error object for `status` from one of our bodies. Every other field of the body
/// (a deep link, a web URL, custom fields, the default denial's `usage`, `limits`, `resetAt`)
/// is carried inside the error object too, where the SDKs expose it (`err.body` in Python,
/// `err.error` in Node); OpenAI's own four fields win over fields of the same name.
fn openai_error(status: StatusCode, body: &Value, fallback_code: &str) -> Value {
    let kind = match status {
        StatusCode::BAD_REQUEST => "invalid_request_error",
        StatusCode::UNAUTHORIZED => "authentication_error",
        StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
        _ if status.is_server_error() => "api_error",
        _ => "invalid_request_error",
    };
    let text = |name: &str| body.get(name).and_then(Value::as_str);
    let mut error = Map::new();
    if let Some(fields) = body.as_object() {
        for (name, value) in fields {
            if !matches!(name.as_str(), "error" | "message" | "field") {
                error.insert(name.clone(), value.clone());
            }
        }
    }
    let message = text("message")
        .map(str::to_owned)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("error").to_owned());
    error.insert("message".into(), Value::String(message));
    error.insert("type".into(), Value::String(kind.into()));
    error.insert(
        "code".into(),
        Value::String(text("error").unwrap_or(fallback_code).into()),
    );
    error.insert(
        "param".into(),
        text("field").map_or(Value::Null, |f| Value::String(f.into())),
    );
    json!({ "error": error })
}

/// A provider's own 4xx answer, passed through as it came (the client sees why its request
/// was refused); not counted.
pub fn passthrough(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openai_errors_carry_every_field_and_keep_their_own() {
        let body = json!({"error": "limit_exceeded", "message": "Upgrade", "deepLink": "app://up",
            "usage": {"requestsUsed": 2}, "type": "mine"});
        let error = openai_error(StatusCode::TOO_MANY_REQUESTS, &body, "x");
        assert_eq!(
            error,
            json!({"error": {"message": "Upgrade", "type": "rate_limit_error", "code": "limit_exceeded",
                "param": null, "deepLink": "app://up", "usage": {"requestsUsed": 2}}})
        );
        let bad = openai_error(
            StatusCode::BAD_REQUEST,
            &json!({"error": "invalid_request", "message": "m", "field": "identity"}),
            "x",
        );
        assert_eq!(bad["error"]["param"], "identity");
        assert_eq!(bad["error"]["type"], "invalid_request_error");
        let bare = openai_error(
            StatusCode::PAYMENT_REQUIRED,
            &json!({"deepLink": "d"}),
            "blocked",
        );
        assert_eq!(bare["error"]["code"], "blocked");
        assert_eq!(bare["error"]["message"], "Payment Required");
    }
}
