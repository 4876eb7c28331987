//! Upstream LLM providers behind the limiting proxy.
//!
//! Clients always speak OpenAI's chat-completions format; a [`Provider`] forwards one request to
//! its upstream and answers in that format, whole ([`Provider::chat`]) or as server-sent events
//! ([`Provider::chat_stream`]), reporting the token usage the upstream counted. The
//! [`ProviderRouter`] holds one implementation per [`ProviderKind`], all sharing one pooled HTTP
//! client configured by [`ProviderOptions`].
//!
//! How the proxy uses it: build one [`ProviderRouter`] at startup; per request, resolve the URL
//! with [`ProviderRouter::upstream_url`], fill a [`ChatRequest`] and call
//! [`ProviderRouter::chat`] or [`ProviderRouter::chat_stream`]. For a stream, keep
//! [`ChatStream::usage`] and hand the stream itself to `axum::body::Body::from_stream`; await
//! [`StreamUsage::finished`] (e.g. in a spawned task) to settle the reservation with the
//! reported tokens, which arrive even when the client disconnects (the end is then
//! [`StreamEnd::Dropped`]; with `usage: None` fall back to the estimate).
//!
//! Privacy: nothing here logs a request or response body, a message, or the API key; log lines
//! carry only provider, model, status and latency.

mod anthropic;
mod error;
mod openai;
mod options;
mod stream;
mod upstream;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use ai_ratelimit_core::Clock;
use bytes::Bytes;
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use error::{ERROR_BODY_LIMIT, ProviderError, TimeoutPhase};
pub use options::{
    DEFAULT_ANTHROPIC_URL, DEFAULT_OPENAI_URL, ProviderOptions, ProviderOptionsConfig,
    ProviderOptionsError,
};
pub use stream::{ChatStream, StreamEnd, StreamError, StreamProgress, StreamUsage};

use anthropic::AnthropicProvider;
use openai::OpenAiProvider;
use upstream::UpstreamClient;

/// Which upstream API a project uses (the project's `provider` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Provider)]
pub enum ProviderKind {
    /// OpenAI's chat-completions API, or any compatible upstream.
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic's Messages API.
    #[serde(rename = "anthropic")]
    Anthropic,
}

impl ProviderKind {
    /// The name used in project JSON and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
        }
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ProviderKind {
    type Err = ProviderError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "openai" => Ok(Self::OpenAi),
            "anthropic" => Ok(Self::Anthropic),
            other => Err(ProviderError::UnknownProvider(other.to_owned())),
        }
    }
}

/// A decrypted provider API key (a project's, or one given directly to a [`ChatRequest`]).
/// Its `Debug` output is redacted so it cannot leak into logs.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderApiKey(String);

impl ProviderApiKey {
    /// Wraps a decrypted key.
    pub fn new(key: impl Into<String>) -> Self {
        Self(key.into())
    }

    /// The key, for the upstream request only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProviderApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProviderApiKey(<redacted>)")
    }
}

/// One chat request to forward upstream.
#[derive(Debug, Clone)]
pub struct ChatRequest {
    /// The OpenAI-format chat body (`model`, `messages`, …) with the proxy's own fields
    /// (`identity`, `tier`) already removed. OpenAI gets it unchanged except for the streaming
    /// fields the provider sets; Anthropic gets a translation.
    pub body: Map<String, Value>,
    /// The upstream endpoint: the project's `baseUrl` or the server default, see
    /// [`ProviderRouter::upstream_url`].
    pub url: Url,
    /// The project's provider key; `None` sends no credentials (some self-hosted
    /// OpenAI-compatible upstreams need none).
    pub api_key: Option<ProviderApiKey>,
}

impl ChatRequest {
    /// The requested model, for logs and the request log.
    pub fn model(&self) -> Option<&str> {
        self.body.get("model").and_then(Value::as_str)
    }

    /// Whether the client asked for the usage chunk (`stream_options.include_usage: true`).
    pub fn wants_usage_chunk(&self) -> bool {
        self.body
            .get("stream_options")
            .and_then(|o| o.get("include_usage"))
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// Token usage as the upstream reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Usage {
    /// Input tokens.
    pub prompt_tokens: u64,
    /// Output tokens.
    pub completion_tokens: u64,
    /// What the request counts toward token limits.
    pub total_tokens: u64,
}

impl Usage {
    /// Usage whose total is the sum of its parts.
    pub fn new(prompt_tokens: u64, completion_tokens: u64) -> Self {
        Self {
            prompt_tokens,
            completion_tokens,
            total_tokens: prompt_tokens.saturating_add(completion_tokens),
        }
    }
}

/// A whole (non-streaming) chat completion.
#[derive(Debug, Clone)]
pub struct ChatResponse {
    /// OpenAI-format `chat.completion` JSON: the upstream bytes unchanged for OpenAI, a
    /// translation for Anthropic. Send with `content-type: application/json`.
    pub body: Bytes,
    /// The usage the upstream reported; `None` when it reported none (fall back to an estimate).
    pub usage: Option<Usage>,
}

/// An upstream chat API. Object safe: the router hands out `&dyn Provider`.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + fmt::Debug {
    /// Which kind this is.
    fn kind(&self) -> ProviderKind;

    /// Forwards a non-streaming request and returns the whole OpenAI-format completion.
    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, ProviderError>;

    /// Forwards a streaming request. `Ok` means the upstream answered 2xx; the returned stream
    /// yields OpenAI-format SSE frames ending with `data: [DONE]`, and its
    /// [`ChatStream::usage`] tells the tokens when it ends or is dropped.
    async fn chat_stream(&self, request: ChatRequest) -> Result<ChatStream, ProviderError>;
}

/// Picks the provider implementation by project `provider`; build once at startup and share.
#[derive(Debug, Clone)]
pub struct ProviderRouter {
    openai: Arc<dyn Provider>,
    anthropic: Arc<dyn Provider>,
    openai_url: Url,
    anthropic_url: Url,
}

impl ProviderRouter {
    /// Builds the pooled HTTP client and the providers. `clock` stamps the `created` field of
    /// translated (Anthropic) responses.
    pub fn new(
        options: &ProviderOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ProviderOptionsError> {
        let client = UpstreamClient::new(options)?;
        Ok(Self {
            openai: Arc::new(OpenAiProvider::new(client.clone())),
            anthropic: Arc::new(AnthropicProvider::new(
                client,
                clock,
                options.anthropic_default_max_tokens(),
            )),
            openai_url: options.openai_base_url().clone(),
            anthropic_url: options.anthropic_base_url().clone(),
        })
    }

    /// The implementation for `kind`.
    pub fn provider(&self, kind: ProviderKind) -> &dyn Provider {
        match kind {
            ProviderKind::OpenAi => self.openai.as_ref(),
            ProviderKind::Anthropic => self.anthropic.as_ref(),
        }
    }

    /// The upstream URL for a project: its `baseUrl` when set, else the server default for
    /// `kind`.
    pub fn upstream_url(
        &self,
        kind: ProviderKind,
        base_url: Option<&str>,
    ) -> Result<Url, ProviderError> {
        match base_url {
            Some(raw) => {
                options::parse_upstream_url(raw).map_err(ProviderError::InvalidUpstreamUrl)
            }
            None => Ok(match kind {
                ProviderKind::OpenAi => self.openai_url.clone(),
                ProviderKind::Anthropic => self.anthropic_url.clone(),
            }),
        }
    }

    /// Shorthand for `self.provider(kind).chat(request)`.
    pub async fn chat(
        &self,
        kind: ProviderKind,
        request: ChatRequest,
    ) -> Result<ChatResponse, ProviderError> {
        self.provider(kind).chat(request).await
    }

    /// Shorthand for `self.provider(kind).chat_stream(request)`.
    pub async fn chat_stream(
        &self,
        kind: ProviderKind,
        request: ChatRequest,
    ) -> Result<ChatStream, ProviderError> {
        self.provider(kind).chat_stream(request).await
    }
}

/// Logs the metadata of one finished upstream exchange (never a body).
fn log_exchange(
    kind: ProviderKind,
    model: Option<&str>,
    stream: bool,
    started: std::time::Instant,
    result: Result<http::StatusCode, &ProviderError>,
) {
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    let model = model.unwrap_or("");
    match result {
        Ok(status) => tracing::debug!(
            provider = kind.as_str(),
            model,
            stream,
            status = status.as_u16(),
            latency_ms,
            "upstream answered"
        ),
        Err(error) => tracing::warn!(
            provider = kind.as_str(),
            model,
            stream,
            status = error.upstream_status().map(|s| s.as_u16()),
            latency_ms,
            %error,
            "upstream request failed"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_parses_and_prints() {
        assert_eq!(
            "openai".parse::<ProviderKind>().ok(),
            Some(ProviderKind::OpenAi)
        );
        assert_eq!(
            "anthropic".parse::<ProviderKind>().ok(),
            Some(ProviderKind::Anthropic)
        );
        assert!(matches!(
            "gemini".parse::<ProviderKind>(),
            Err(ProviderError::UnknownProvider(_))
        ));
        assert_eq!(ProviderKind::Anthropic.to_string(), "anthropic");
    }

    #[test]
    fn api_key_debug_is_redacted() {
        let key = ProviderApiKey::new("sk-secret-value");
        assert!(!format!("{key:?}").contains("secret"));
    }

    #[test]
    fn router_resolves_default_and_project_urls() {
        let router = ProviderRouter::new(
            &ProviderOptions::default(),
            Arc::new(ai_ratelimit_core::SystemClock),
        )
        .expect("default options build");
        let default = router.upstream_url(ProviderKind::Anthropic, None).ok();
        assert_eq!(
            default.as_ref().map(Url::as_str),
            Some(DEFAULT_ANTHROPIC_URL)
        );
        let own = router
            .upstream_url(
                ProviderKind::OpenAi,
                Some("http://127.0.0.1:9/v1/chat/completions"),
            )
            .ok();
        assert_eq!(own.map(|u| u.port()), Some(Some(9)));
        assert!(matches!(
            router.upstream_url(ProviderKind::OpenAi, Some("not a url")),
            Err(ProviderError::InvalidUpstreamUrl(_))
        ));
        assert_eq!(
            router.provider(ProviderKind::OpenAi).kind(),
            ProviderKind::OpenAi
        );
    }
}
