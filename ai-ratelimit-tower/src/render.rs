//! How the layer's own answers look: a denial or a rejection rendered as a response. The
//! default is the HTTP API's JSON; a surface with another error shape (say, OpenAI's
//! `{"error": {...}}`) installs its own handler, as tower_governor's `error_handler`.

use ai_ratelimit_core::Denial;
use bytes::Bytes;
use http::{Response, StatusCode};
use serde_json::Value;

use crate::rejection::{APPLICATION_JSON, Rejection};

/// Why the layer answers a request itself instead of calling the inner service.
#[derive(Debug, Clone, Copy)]
pub enum Refusal<'a> {
    /// Refused before its limit was checked: no policy (401 `invalid_project_key`, 503
    /// `policy_unavailable`) or no valid subject (400 `invalid_request` with its `field`).
    Rejected(&'a Rejection),
    /// Denied by the limiter: a limit (429 `limit_exceeded` or the policy's own response), a
    /// blocking rule (its status and body), or a failed store (503 `store_unavailable`).
    Denied(&'a Denial),
}

impl Refusal<'_> {
    /// The status the default answer has.
    pub fn status(&self) -> StatusCode {
        match self {
            Refusal::Rejected(rejection) => rejection.status(),
            Refusal::Denied(denial) => {
                StatusCode::from_u16(denial.status).unwrap_or(StatusCode::TOO_MANY_REQUESTS)
            }
        }
    }

    /// The JSON body the default answer has (every field of the policy's templated response
    /// for a denial).
    pub fn body(&self) -> &Value {
        match self {
            Refusal::Rejected(rejection) => rejection.body(),
            Refusal::Denied(denial) => &denial.body,
        }
    }

    /// The default answer: [`body`](Self::body) as JSON with [`status`](Self::status).
    pub fn default_response(&self) -> Response<Bytes> {
        json_response(self.status(), self.body())
    }
}

/// A JSON response with `status` and `body`.
pub fn json_response(status: StatusCode, body: &Value) -> Response<Bytes> {
    // Serializing a `Value` cannot fail: its map keys are strings.
    let mut response = Response::new(Bytes::from(serde_json::to_vec(body).unwrap_or_default()));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(APPLICATION_JSON.0, APPLICATION_JSON.1);
    response
}

/// Renders the layer's own answers (see [`RateLimitLayer::error_handler`]).
///
/// The layer adds the rate-limit headers of a denial (and `Retry-After` for 429 and 503) to
/// whatever the handler returns. Any `Fn(Refusal<'_>) -> Response<Bytes> + Send + Sync +
/// 'static` closure is a handler.
///
/// [`RateLimitLayer::error_handler`]: crate::RateLimitLayer::error_handler
pub trait ErrorHandler: Send + Sync + 'static {
    /// The response to answer `refusal` with.
    fn render(&self, refusal: Refusal<'_>) -> Response<Bytes>;
}

impl<F> ErrorHandler for F
where
    F: Fn(Refusal<'_>) -> Response<Bytes> + Send + Sync + 'static,
{
    fn render(&self, refusal: Refusal<'_>) -> Response<Bytes> {
        self(refusal)
    }
}
