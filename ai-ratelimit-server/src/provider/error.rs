//! Errors of a provider call that fails before any response byte reaches the client.

use bytes::Bytes;
use http::StatusCode;

/// Why a provider call failed before a response (or a stream) could be handed to the client.
///
/// The `Display` text never contains a prompt, a completion, an upstream body or the API key,
/// so it is safe to log. How the proxy maps it: [`ProviderError::InvalidRequest`] → 400,
/// [`ProviderError::Upstream`] → the upstream 4xx passed through or 502 for 5xx, every other
/// variant → 502.
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
    /// The project's provider name is neither `openai` nor `anthropic`.
    #[error("unknown provider {0:?} (expected \"openai\" or \"anthropic\")")]
    UnknownProvider(String),
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
