//! The one pooled HTTP client every provider sends through, with the configured timeouts.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use serde::de::DeserializeOwned;

use super::error::{ERROR_BODY_LIMIT, ProviderError, TimeoutPhase};
use super::options::{ProviderOptions, ProviderOptionsError};

/// A pooled `reqwest` client plus the timeouts `reqwest` cannot express per phase.
#[derive(Debug, Clone)]
pub(crate) struct UpstreamClient {
    http: reqwest::Client,
    first_byte_timeout: Duration,
    idle_timeout: Duration,
    max_response_bytes: usize,
}

impl UpstreamClient {
    pub(crate) fn new(options: &ProviderOptions) -> Result<Self, ProviderOptionsError> {
        // No overall request timeout: a stream may legitimately run for many minutes; the
        // first-byte and idle timeouts bound every phase instead.
        let http = reqwest::Client::builder()
            .connect_timeout(options.connect_timeout())
            .pool_idle_timeout(options.pool_idle_timeout())
            .pool_max_idle_per_host(options.pool_max_idle_per_host())
            .tcp_nodelay(true)
            .tcp_keepalive(Duration::from_secs(60))
            .user_agent(concat!("ai-ratelimit/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ProviderOptionsError {
                field: "client",
                message: error_chain(&e),
            })?;
        Ok(Self {
            http,
            first_byte_timeout: options.first_byte_timeout(),
            idle_timeout: options.idle_timeout(),
            max_response_bytes: options.max_response_bytes(),
        })
    }

    pub(crate) fn post(&self, url: reqwest::Url) -> reqwest::RequestBuilder {
        self.http.post(url)
    }

    pub(crate) fn get(&self, url: reqwest::Url) -> reqwest::RequestBuilder {
        self.http.get(url)
    }

    pub(crate) fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }

    /// Sends the request and waits for the response headers within the first-byte timeout.
    /// A non-2xx answer becomes [`ProviderError::Upstream`] with its (capped) body.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, ProviderError> {
        let response = tokio::time::timeout(self.first_byte_timeout, request.send())
            .await
            .map_err(|_| ProviderError::Timeout(TimeoutPhase::FirstByte))?
            .map_err(from_reqwest)?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        // An unreadable error body still leaves the status, which is what matters.
        let body = self
            .read_capped(response, ERROR_BODY_LIMIT, true)
            .await
            .unwrap_or_default();
        Err(ProviderError::Upstream { status, body })
    }

    /// Reads a whole 2xx body, each chunk within the idle timeout, up to `max_response_bytes`.
    pub(crate) async fn read_body(
        &self,
        response: reqwest::Response,
    ) -> Result<Bytes, ProviderError> {
        self.read_capped(response, self.max_response_bytes, false)
            .await
    }

    /// Reads a whole 2xx body as JSON of type `T`; `what` names the expected document in the
    /// error (never the body itself, which may hold a completion).
    pub(crate) async fn read_json<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
        what: &str,
    ) -> Result<(Bytes, T), ProviderError> {
        let bytes = self.read_body(response).await?;
        let parsed = serde_json::from_slice(&bytes).map_err(|e| {
            ProviderError::InvalidResponse(format!("body is not {what} ({:?})", e.classify()))
        })?;
        Ok((bytes, parsed))
    }

    /// Reads up to `limit` bytes; beyond it either truncates (`truncate`) or fails.
    async fn read_capped(
        &self,
        mut response: reqwest::Response,
        limit: usize,
        truncate: bool,
    ) -> Result<Bytes, ProviderError> {
        let mut body = BytesMut::new();
        loop {
            let chunk = tokio::time::timeout(self.idle_timeout, response.chunk())
                .await
                .map_err(|_| ProviderError::Timeout(TimeoutPhase::Idle))?
                .map_err(from_reqwest)?;
            let Some(chunk) = chunk else {
                return Ok(body.freeze());
            };
            if body.len() + chunk.len() > limit {
                if truncate {
                    body.extend_from_slice(&chunk[..limit - body.len()]);
                    return Ok(body.freeze());
                }
                return Err(ProviderError::InvalidResponse(format!(
                    "response body exceeds {limit} bytes"
                )));
            }
            body.extend_from_slice(&chunk);
        }
    }
}

/// `base` with `segments` appended to its path (each percent-encoded as a path segment, so
/// a model name cannot climb out of it), its query kept.
pub(crate) fn with_path(base: &reqwest::Url, segments: &[&str]) -> reqwest::Url {
    let mut url = base.clone();
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Maps a `reqwest` failure, dropping the URL (a `baseUrl` may carry credentials).
pub(crate) fn from_reqwest(err: reqwest::Error) -> ProviderError {
    let err = err.without_url();
    if err.is_timeout() {
        ProviderError::Timeout(if err.is_connect() {
            TimeoutPhase::Connect
        } else {
            TimeoutPhase::Idle
        })
    } else if err.is_connect() {
        ProviderError::Connect(error_chain(&err))
    } else {
        ProviderError::Transport(error_chain(&err))
    }
}

/// `err: source: source…`, since `reqwest`'s own message alone says little.
pub(crate) fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_path_appends_encoded_segments() {
        let base: reqwest::Url = "http://h/v1beta/?x=1".parse().expect("url");
        assert_eq!(
            with_path(&base, &["models", "gemini-pro:generateContent"]).as_str(),
            "http://h/v1beta/models/gemini-pro:generateContent?x=1"
        );
        let root: reqwest::Url = "http://h".parse().expect("url");
        assert_eq!(
            with_path(&root, &["v2", "../../admin"]).as_str(),
            "http://h/v2/..%2F..%2Fadmin"
        );
    }
}
