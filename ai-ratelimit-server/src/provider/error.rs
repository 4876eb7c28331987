//! Errors of a provider call that fails before any response byte reaches the client.

use bytes::Bytes;
use http::StatusCode;

use super::{Operation, ProviderKind};

/// Why a provider call failed before a response (or a stream) could be handed to the client.
///
/// The `Display` text never contains a prompt, a completion, an upstream body or the API key,
/// so it is safe to log. How the proxy maps it: [`ProviderError::InvalidRequest`] and
/// [`ProviderError::Unsupported`] → 400, [`ProviderError::Upstream`] → the upstream 4xx passed
/// through (a provider's own 429 included: it is the provider's refusal, not a limit of ours,
/// and the request is released) or 502 for 5xx, every other variant → 502.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The client's request cannot be expressed for this provider (e.g. a non-text content part
    /// sent to Anthropic). `field` is the JSON path of the offending value.
    #[error("invalid request at {field}: {message}")]
    InvalidRequest {
        /// JSON path of the offending value, e.g. `messages[2].role`.
        field: String,
        /// Human sentence; never quotes message text.
        message: String,
    },
    /// The provider cannot serve this operation (or not streamed); nothing was sent.
    #[error("provider {provider} does not serve {operation}{}", if *stream { " streamed" } else { "" })]
    Unsupported {
        /// The project's provider.
        provider: ProviderKind,
        /// What was asked.
        operation: Operation,
        /// Whether a stream was asked.
        stream: bool,
    },
    /// The project's provider name is not one of [`ProviderKind::ALL`].
    #[error("unknown provider {0:?} (expected openai, anthropic, azure, gemini or cohere)")]
    UnknownProvider(String),
    /// The project has no `baseUrl` and the server has no default for its provider.
    #[error("provider {0} has no default upstream; set the project's baseUrl")]
    NoDefaultUrl(ProviderKind),
    /// The upstream URL is not an absolute `http(s)` URL.
    #[error("invalid upstream URL: {0}")]
    InvalidUpstreamUrl(String),
    /// The upstream answered with a non-2xx status.
    #[error("upstream answered {status}")]
    Upstream {
        /// The upstream status code.
        status: StatusCode,
        /// The upstream error body (OpenAI error shape: Anthropic errors are translated), capped
        /// at [`ERROR_BODY_LIMIT`] bytes. Provider error bodies describe the error, not the prompt.
        body: Bytes,
    },
    /// The upstream could not be reached (connection refused, DNS, TLS handshake).
    #[error("upstream unreachable: {0}")]
    Connect(String),
    /// A configured timeout expired before the response headers (or body) arrived.
    #[error("upstream timed out ({0})")]
    Timeout(TimeoutPhase),
    /// The connection failed after it was established.
    #[error("upstream transport failed: {0}")]
    Transport(String),
    /// The upstream answered 2xx with a body this proxy cannot read (not JSON, too large).
    #[error("invalid upstream response: {0}")]
    InvalidResponse(String),
}

impl ProviderError {
    /// The upstream status when the upstream answered with a non-2xx status.
    pub fn upstream_status(&self) -> Option<StatusCode> {
        match self {
            Self::Upstream { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn invalid_request(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::InvalidRequest {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Largest upstream error body kept in [`ProviderError::Upstream`]; the rest is cut.
pub const ERROR_BODY_LIMIT: usize = 64 * 1024;

/// Which timeout expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeoutPhase {
    /// Establishing the TCP/TLS connection took longer than the connect timeout.
    Connect,
    /// The response headers did not arrive within the first-byte timeout.
    FirstByte,
    /// The response body stalled for longer than the idle timeout.
    Idle,
}

impl std::fmt::Display for TimeoutPhase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Connect => "connect",
            Self::FirstByte => "first byte",
            Self::Idle => "idle",
        })
    }
}

/// OpenAI's error body `{"error": {"message", "type", "param": null, "code"}}` for an error a
/// translated provider answered, so OpenAI clients raise their usual typed errors. `type` is
/// what OpenAI would say for the status; `code` the provider's own code, if any.
pub(crate) fn openai_error_body(status: StatusCode, message: &str, code: Option<&str>) -> Bytes {
    let kind = match status.as_u16() {
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        500.. => "api_error",
        _ => "invalid_request_error",
    };
    let body = serde_json::json!({
        "error": {"message": message, "type": kind, "param": null, "code": code}
    });
    Bytes::from(body.to_string())
}

/// Rewrites the body of a translated provider's non-2xx answer into OpenAI's error shape with
/// `read` (the provider's message and code, `None` for a body it cannot read, which is kept
/// as it came).
pub(crate) fn translate_upstream_error(
    error: ProviderError,
    read: impl FnOnce(&[u8]) -> Option<(String, Option<String>)>,
) -> ProviderError {
    let ProviderError::Upstream { status, body } = error else {
        return error;
    };
    let body = match read(&body) {
        Some((message, code)) => openai_error_body(status, &message, code.as_deref()),
        None => body,
    };
    ProviderError::Upstream { status, body }
}
