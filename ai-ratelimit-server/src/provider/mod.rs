//! Upstream LLM providers behind the limiting proxy.
//!
//! Clients always speak OpenAI's wire format; a [`Provider`] forwards one [`ProviderRequest`]
//! (an [`Operation`] of OpenAI's API: chat, responses, embeddings, images, the model list) to
//! its upstream and answers in that format, whole ([`Provider::call`]) or as server-sent events
//! ([`Provider::stream`]), reporting the token usage the upstream counted. OpenAI and Azure
//! OpenAI pass bodies through; Anthropic, Gemini and Cohere translate them. A provider that
//! cannot serve an operation says so before anything is sent
//! ([`ProviderError::Unsupported`]). The [`ProviderRouter`] holds one implementation per
//! [`ProviderKind`], all sharing one pooled HTTP client configured by [`ProviderOptions`].
//!
//! How the proxy uses it: build one [`ProviderRouter`] at startup; per request, resolve the URL
//! with [`ProviderRouter::upstream_url`], fill a [`ProviderRequest`] and call
//! [`ProviderRouter::call`] or [`ProviderRouter::stream`]. For a stream, keep
//! [`ChatStream::usage`] and hand the stream itself to `axum::body::Body::from_stream`; await
//! [`StreamUsage::finished`] (e.g. in a spawned task) to settle the reservation with the
//! reported tokens, which arrive even when the client disconnects (the end is then
//! [`StreamEnd::Dropped`]; with `usage: None` fall back to the estimate).
//!
//! Privacy: nothing here logs a request or response body, a message, or the API key; log lines
//! carry only provider, operation, model, status and latency.

mod anthropic;
mod azure;
mod cohere;
mod completion;
mod embeddings;
mod error;
mod gemini;
mod messages;
mod models;
mod openai;
mod operation;
mod options;
mod passthrough;
mod settings;
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
pub use operation::Operation;
pub use options::{
    DEFAULT_ANTHROPIC_URL, DEFAULT_COHERE_URL, DEFAULT_GEMINI_URL, DEFAULT_OPENAI_URL,
    ProviderOptions, ProviderOptionsConfig, ProviderOptionsError,
};
pub use settings::{
    AzureSettings, CohereInputType, CohereSafetyMode, CohereSettings, DEFAULT_AZURE_API_VERSION,
    GeminiSafetySetting, GeminiSettings, GeminiThreshold, ProviderSettings, SettingsError,
};
pub use stream::{ChatStream, StreamEnd, StreamError, StreamProgress, StreamUsage};

use anthropic::AnthropicProvider;
use cohere::CohereProvider;
use gemini::GeminiProvider;
use openai::{Dialect, OpenAiProvider};
use upstream::UpstreamClient;

/// Which upstream API a project uses (the project's `provider` field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = Provider)]
pub enum ProviderKind {
    /// OpenAI's API, or any compatible upstream (`baseUrl`).
    #[serde(rename = "openai")]
    OpenAi,
    /// Anthropic's Messages API.
    #[serde(rename = "anthropic")]
    Anthropic,
    /// Azure OpenAI: deployment URLs, the `api-key` header, `api-version`.
    #[serde(rename = "azure")]
    Azure,
    /// Google Gemini's native API (`generateContent`, `streamGenerateContent`).
    #[serde(rename = "gemini")]
    Gemini,
    /// Cohere's v2 API.
    #[serde(rename = "cohere")]
    Cohere,
}

impl ProviderKind {
    /// Every provider.
    pub const ALL: [ProviderKind; 5] = [
        ProviderKind::OpenAi,
        ProviderKind::Anthropic,
        ProviderKind::Azure,
        ProviderKind::Gemini,
        ProviderKind::Cohere,
    ];

    /// The name used in project JSON and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OpenAi => "openai",
            Self::Anthropic => "anthropic",
            Self::Azure => "azure",
            Self::Gemini => "gemini",
            Self::Cohere => "cohere",
        }
    }

    /// The operations this provider serves (the same answer as [`Provider::supports`]).
    pub fn supports(self, operation: Operation) -> bool {
        use Operation::{Chat, Embeddings, Models};
        match self {
            Self::OpenAi | Self::Azure => true,
            // The Responses API and image generation have no counterpart in their APIs that
            // a translation could keep faithful; Anthropic has no embeddings API.
            Self::Anthropic => matches!(operation, Chat | Models),
            Self::Gemini | Self::Cohere => matches!(operation, Chat | Embeddings | Models),
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
        ProviderKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| ProviderError::UnknownProvider(s.to_owned()))
    }
}

/// A decrypted provider API key (a project's, or one given directly to a [`ProviderRequest`]).
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

/// One request to forward upstream.
#[derive(Debug, Clone)]
pub struct ProviderRequest {
    /// What is asked.
    pub operation: Operation,
    /// The OpenAI-format body (`model`, `messages`/`input`/`prompt`, …) with the proxy's own
    /// fields (`identity`, `tier`) already removed; empty for [`Operation::Models`]. OpenAI
    /// and Azure get it unchanged except for the streaming fields the provider sets; the
    /// others get a translation.
    pub body: Map<String, Value>,
    /// The project's `baseUrl` or the server default, see [`ProviderRouter::upstream_url`]:
    /// the chat-completions URL for OpenAI (the other operations are its siblings), the
    /// Messages URL for Anthropic, the resource endpoint for Azure, the API root for Gemini
    /// and Cohere.
    pub url: Url,
    /// The project's provider-specific settings.
    pub settings: Arc<ProviderSettings>,
    /// The project's provider key; `None` sends no credentials (some self-hosted
    /// OpenAI-compatible upstreams need none).
    pub api_key: Option<ProviderApiKey>,
}

impl ProviderRequest {
    /// A request for `operation` at `url`, with an empty body, default settings and no key.
    pub fn new(operation: Operation, url: Url) -> Self {
        Self {
            operation,
            body: Map::new(),
            url,
            settings: Arc::default(),
            api_key: None,
        }
    }

    /// With this body.
    pub fn with_body(mut self, body: Map<String, Value>) -> Self {
        self.body = body;
        self
    }

    /// With this provider key.
    pub fn with_api_key(mut self, key: Option<ProviderApiKey>) -> Self {
        self.api_key = key;
        self
    }

    /// With these provider settings.
    pub fn with_settings(mut self, settings: Arc<ProviderSettings>) -> Self {
        self.settings = settings;
        self
    }

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

    /// This usage plus `other` (several images of one request, each with its usage).
    pub fn plus(self, other: Usage) -> Self {
        Self {
            prompt_tokens: self.prompt_tokens.saturating_add(other.prompt_tokens),
            completion_tokens: self
                .completion_tokens
                .saturating_add(other.completion_tokens),
            total_tokens: self.total_tokens.saturating_add(other.total_tokens),
        }
    }
}

/// A whole (non-streaming) answer.
#[derive(Debug, Clone)]
pub struct ProviderResponse {
    /// OpenAI-format JSON of the operation (a `chat.completion`, a `response`, an embedding
    /// list, an image list, a model list): the upstream bytes unchanged for OpenAI and Azure,
    /// a translation for the others. Send with `content-type: application/json`.
    pub body: Bytes,
    /// The usage the upstream reported; `None` when it reported none (fall back to an estimate).
    pub usage: Option<Usage>,
}

/// An upstream API. Object safe: the router hands out `&dyn Provider`.
#[async_trait::async_trait]
pub trait Provider: Send + Sync + fmt::Debug {
    /// Which kind this is.
    fn kind(&self) -> ProviderKind;

    /// Whether this provider serves `operation` (whole, and streamed where OpenAI streams it).
    fn supports(&self, operation: Operation) -> bool {
        self.kind().supports(operation)
    }

    /// Forwards a request and returns the whole OpenAI-format answer.
    async fn call(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError>;

    /// Forwards a streaming request (chat, responses, images). `Ok` means the upstream
    /// answered 2xx; the returned stream yields OpenAI-format SSE frames — `data:` chunks
    /// ending with `data: [DONE]` for chat, OpenAI's typed events for the others — and its
    /// [`ChatStream::usage`] tells the tokens when it ends or is dropped.
    async fn stream(&self, request: ProviderRequest) -> Result<ChatStream, ProviderError>;
}

/// Picks the provider implementation by project `provider`; build once at startup and share.
#[derive(Debug, Clone)]
pub struct ProviderRouter {
    openai: Arc<dyn Provider>,
    anthropic: Arc<dyn Provider>,
    azure: Arc<dyn Provider>,
    gemini: Arc<dyn Provider>,
    cohere: Arc<dyn Provider>,
    options: Arc<ProviderOptions>,
}

impl ProviderRouter {
    /// Builds the pooled HTTP client and the providers. `clock` stamps the `created` field of
    /// translated responses.
    pub fn new(
        options: &ProviderOptions,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, ProviderOptionsError> {
        let client = UpstreamClient::new(options)?;
        Ok(Self {
            openai: Arc::new(OpenAiProvider::new(client.clone(), Dialect::OpenAi)),
            azure: Arc::new(OpenAiProvider::new(client.clone(), Dialect::Azure)),
            anthropic: Arc::new(AnthropicProvider::new(
                client.clone(),
                clock.clone(),
                options.anthropic_default_max_tokens(),
            )),
            gemini: Arc::new(GeminiProvider::new(client.clone(), clock.clone())),
            cohere: Arc::new(CohereProvider::new(client, clock)),
            options: Arc::new(options.clone()),
        })
    }

    /// The implementation for `kind`.
    pub fn provider(&self, kind: ProviderKind) -> &dyn Provider {
        match kind {
            ProviderKind::OpenAi => self.openai.as_ref(),
            ProviderKind::Anthropic => self.anthropic.as_ref(),
            ProviderKind::Azure => self.azure.as_ref(),
            ProviderKind::Gemini => self.gemini.as_ref(),
            ProviderKind::Cohere => self.cohere.as_ref(),
        }
    }

    /// The upstream URL for a project: its `baseUrl` when set, else the server default for
    /// `kind` (Azure has one only when `AZURE_OPENAI_ENDPOINT` is set).
    pub fn upstream_url(
        &self,
        kind: ProviderKind,
        base_url: Option<&str>,
    ) -> Result<Url, ProviderError> {
        match base_url {
            Some(raw) => {
                options::parse_upstream_url(raw).map_err(ProviderError::InvalidUpstreamUrl)
            }
            None => self
                .options
                .default_url(kind)
                .cloned()
                .ok_or(ProviderError::NoDefaultUrl(kind)),
        }
    }

    /// Forwards a whole request to the provider of `kind`, if it serves the operation.
    pub async fn call(
        &self,
        kind: ProviderKind,
        request: ProviderRequest,
    ) -> Result<ProviderResponse, ProviderError> {
        let provider = self.serving(kind, request.operation, false)?;
        provider.call(request).await
    }

    /// Forwards a streaming request to the provider of `kind`, if it streams the operation.
    pub async fn stream(
        &self,
        kind: ProviderKind,
        request: ProviderRequest,
    ) -> Result<ChatStream, ProviderError> {
        let provider = self.serving(kind, request.operation, true)?;
        provider.stream(request).await
    }

    fn serving(
        &self,
        kind: ProviderKind,
        operation: Operation,
        stream: bool,
    ) -> Result<&dyn Provider, ProviderError> {
        let provider = self.provider(kind);
        // Embeddings and the model list have no streamed form in OpenAI's API either.
        let streamable = !matches!(operation, Operation::Embeddings | Operation::Models);
        if !provider.supports(operation) || (stream && !streamable) {
            return Err(ProviderError::Unsupported {
                provider: kind,
                operation,
                stream,
            });
        }
        Ok(provider)
    }
}

/// Logs the metadata of one finished upstream exchange (never a body).
fn log_exchange(
    kind: ProviderKind,
    operation: Operation,
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
            operation = operation.as_str(),
            model,
            stream,
            status = status.as_u16(),
            latency_ms,
            "upstream answered"
        ),
        Err(error) => tracing::warn!(
            provider = kind.as_str(),
            operation = operation.as_str(),
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
        for kind in ProviderKind::ALL {
            assert_eq!(kind.as_str().parse::<ProviderKind>().ok(), Some(kind));
        }
        assert!(matches!(
            "mistral".parse::<ProviderKind>(),
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
        assert!(matches!(
            router.upstream_url(ProviderKind::Azure, None),
            Err(ProviderError::NoDefaultUrl(ProviderKind::Azure))
        ));
        for kind in ProviderKind::ALL {
            assert_eq!(router.provider(kind).kind(), kind);
        }
    }

    #[tokio::test]
    async fn unsupported_operations_fail_before_sending() {
        let router = ProviderRouter::new(
            &ProviderOptions::default(),
            Arc::new(ai_ratelimit_core::SystemClock),
        )
        .expect("default options build");
        // Port 9 (discard) is never reached: the refusal comes first.
        let url: Url = "http://127.0.0.1:9/".parse().expect("url");
        for (kind, operation, stream) in [
            (ProviderKind::Anthropic, Operation::Embeddings, false),
            (ProviderKind::Gemini, Operation::Responses, true),
            (ProviderKind::Cohere, Operation::Images, false),
            (ProviderKind::OpenAi, Operation::Embeddings, true),
        ] {
            let request = ProviderRequest::new(operation, url.clone());
            let result = if stream {
                router.stream(kind, request).await.map(|_| ())
            } else {
                router.call(kind, request).await.map(|_| ())
            };
            assert!(
                matches!(result, Err(ProviderError::Unsupported { provider, .. }) if provider == kind),
                "{kind} {operation} stream={stream}: {result:?}"
            );
        }
        assert!(ProviderKind::Gemini.supports(Operation::Embeddings));
        assert!(!ProviderKind::Anthropic.supports(Operation::Responses));
    }
}
