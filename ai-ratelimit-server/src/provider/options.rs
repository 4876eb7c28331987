//! Settings of the upstream HTTP client, validated once at startup.

use std::time::Duration;

use reqwest::Url;
use serde::Deserialize;

use super::ProviderKind;

/// Default upstream of provider `openai` (the full chat-completions URL, env `OPENAI_BASE_URL`).
pub const DEFAULT_OPENAI_URL: &str = "https://api.openai.com/v1/chat/completions";
/// Default upstream of provider `anthropic` (the Messages API URL, env `ANTHROPIC_BASE_URL`).
pub const DEFAULT_ANTHROPIC_URL: &str = "https://api.anthropic.com/v1/messages";
/// Default upstream of provider `gemini` (the API root, env `GEMINI_BASE_URL`).
pub const DEFAULT_GEMINI_URL: &str = "https://generativelanguage.googleapis.com/v1beta";
/// Default upstream of provider `cohere` (the API root, env `COHERE_BASE_URL`).
pub const DEFAULT_COHERE_URL: &str = "https://api.cohere.com";

/// Longest accepted timeout: anything longer is a typo, not a setting.
const MAX_TIMEOUT_MS: u64 = 60 * 60 * 1000;

/// Raw provider settings as read from configuration; [`ProviderOptions::try_from`] validates them.
/// Every field is optional and falls back to the default documented on it.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderOptionsConfig {
    /// Default upstream for projects of provider `openai` without a `baseUrl`
    /// (default [`DEFAULT_OPENAI_URL`]).
    pub openai_base_url: Option<String>,
    /// Default upstream for projects of provider `anthropic` without a `baseUrl`
    /// (default [`DEFAULT_ANTHROPIC_URL`]).
    pub anthropic_base_url: Option<String>,
    /// Default resource endpoint for projects of provider `azure` without a `baseUrl`, e.g.
    /// `https://my-resource.openai.azure.com` (default: none, each project names its own).
    pub azure_base_url: Option<String>,
    /// Default API root for projects of provider `gemini` (default [`DEFAULT_GEMINI_URL`]).
    pub gemini_base_url: Option<String>,
    /// Default API root for projects of provider `cohere` (default [`DEFAULT_COHERE_URL`]).
    pub cohere_base_url: Option<String>,
    /// Time allowed to open a TCP (and TLS) connection, in milliseconds (default 10 000).
    pub connect_timeout_ms: Option<u64>,
    /// Time from sending a request to receiving the response headers, in milliseconds,
    /// connecting included (default 300 000). A non-streaming completion sends its headers only
    /// once it is fully generated, so this bounds the generation time of non-streaming calls.
    pub first_byte_timeout_ms: Option<u64>,
    /// Longest silence allowed between two body chunks or stream events, in milliseconds
    /// (default 60 000).
    pub idle_timeout_ms: Option<u64>,
    /// How long an unused pooled connection is kept open, in milliseconds (default 90 000).
    pub pool_idle_timeout_ms: Option<u64>,
    /// Most idle pooled connections kept per upstream host (default 64).
    pub pool_max_idle_per_host: Option<usize>,
    /// Largest accepted non-streaming response body, in bytes (default 16 MiB).
    pub max_response_bytes: Option<usize>,
    /// `max_tokens` sent to Anthropic when the client gave neither `max_tokens` nor
    /// `max_completion_tokens` (Anthropic requires one; default 1024).
    pub anthropic_default_max_tokens: Option<u64>,
}

/// A value of [`ProviderOptionsConfig`] was rejected, or the HTTP client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("invalid provider option {field}: {message}")]
pub struct ProviderOptionsError {
    /// Name of the offending setting (camelCase, as in [`ProviderOptionsConfig`]).
    pub field: &'static str,
    /// What is wrong with it.
    pub message: String,
}

/// Validated settings of the upstream client; build with [`ProviderOptions::try_from`] or take
/// [`ProviderOptions::default`].
#[derive(Debug, Clone)]
pub struct ProviderOptions {
    openai_base_url: Url,
    anthropic_base_url: Url,
    azure_base_url: Option<Url>,
    gemini_base_url: Url,
    cohere_base_url: Url,
    connect_timeout: Duration,
    first_byte_timeout: Duration,
    idle_timeout: Duration,
    pool_idle_timeout: Duration,
    pool_max_idle_per_host: usize,
    max_response_bytes: usize,
    anthropic_default_max_tokens: u64,
}

impl ProviderOptions {
    /// Default upstream URL of provider `openai`.
    pub fn openai_base_url(&self) -> &Url {
        &self.openai_base_url
    }
    /// Default upstream URL of provider `anthropic`.
    pub fn anthropic_base_url(&self) -> &Url {
        &self.anthropic_base_url
    }
    /// Default upstream URL of `kind`; `None` for Azure without a configured endpoint.
    pub fn default_url(&self, kind: ProviderKind) -> Option<&Url> {
        match kind {
            ProviderKind::OpenAi => Some(&self.openai_base_url),
            ProviderKind::Anthropic => Some(&self.anthropic_base_url),
            ProviderKind::Azure => self.azure_base_url.as_ref(),
            ProviderKind::Gemini => Some(&self.gemini_base_url),
            ProviderKind::Cohere => Some(&self.cohere_base_url),
        }
    }
    /// Connect timeout.
    pub fn connect_timeout(&self) -> Duration {
        self.connect_timeout
    }
    /// First-byte (response headers) timeout, connecting included.
    pub fn first_byte_timeout(&self) -> Duration {
        self.first_byte_timeout
    }
    /// Idle timeout between body chunks and stream events.
    pub fn idle_timeout(&self) -> Duration {
        self.idle_timeout
    }
    /// Keep-alive of unused pooled connections.
    pub fn pool_idle_timeout(&self) -> Duration {
        self.pool_idle_timeout
    }
    /// Most idle pooled connections per host.
    pub fn pool_max_idle_per_host(&self) -> usize {
        self.pool_max_idle_per_host
    }
    /// Largest accepted non-streaming response body, in bytes.
    pub fn max_response_bytes(&self) -> usize {
        self.max_response_bytes
    }
    /// `max_tokens` sent to Anthropic when the client gave none.
    pub fn anthropic_default_max_tokens(&self) -> u64 {
        self.anthropic_default_max_tokens
    }
}

impl Default for ProviderOptions {
    fn default() -> Self {
        // The empty configuration is valid by construction; a failure here is a bug in the
        // defaults above, which the unit tests catch.
        Self::try_from(ProviderOptionsConfig::default()).unwrap_or_else(|e| panic!("{e}"))
    }
}

impl TryFrom<ProviderOptionsConfig> for ProviderOptions {
    type Error = ProviderOptionsError;

    fn try_from(c: ProviderOptionsConfig) -> Result<Self, Self::Error> {
        Ok(Self {
            openai_base_url: upstream_url(
                "openaiBaseUrl",
                c.openai_base_url.as_deref().unwrap_or(DEFAULT_OPENAI_URL),
            )?,
            anthropic_base_url: upstream_url(
                "anthropicBaseUrl",
                c.anthropic_base_url
                    .as_deref()
                    .unwrap_or(DEFAULT_ANTHROPIC_URL),
            )?,
            azure_base_url: c
                .azure_base_url
                .as_deref()
                .filter(|raw| !raw.trim().is_empty())
                .map(|raw| upstream_url("azureBaseUrl", raw))
                .transpose()?,
            gemini_base_url: upstream_url(
                "geminiBaseUrl",
                c.gemini_base_url.as_deref().unwrap_or(DEFAULT_GEMINI_URL),
            )?,
            cohere_base_url: upstream_url(
                "cohereBaseUrl",
                c.cohere_base_url.as_deref().unwrap_or(DEFAULT_COHERE_URL),
            )?,
            connect_timeout: timeout("connectTimeoutMs", c.connect_timeout_ms, 10_000)?,
            first_byte_timeout: timeout("firstByteTimeoutMs", c.first_byte_timeout_ms, 300_000)?,
            idle_timeout: timeout("idleTimeoutMs", c.idle_timeout_ms, 60_000)?,
            pool_idle_timeout: timeout("poolIdleTimeoutMs", c.pool_idle_timeout_ms, 90_000)?,
            pool_max_idle_per_host: in_range(
                "poolMaxIdlePerHost",
                c.pool_max_idle_per_host.unwrap_or(64),
                0,
                4096,
            )?,
            max_response_bytes: in_range(
                "maxResponseBytes",
                c.max_response_bytes.unwrap_or(16 * 1024 * 1024),
                1024,
                1024 * 1024 * 1024,
            )?,
            anthropic_default_max_tokens: in_range(
                "anthropicDefaultMaxTokens",
                c.anthropic_default_max_tokens.unwrap_or(1024),
                1,
                10_000_000,
            )?,
        })
    }
}

/// Parses an absolute `http`/`https` URL (for defaults and for a project's `baseUrl`).
pub(crate) fn parse_upstream_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("not an absolute URL ({e})"))?;
    match url.scheme() {
        "http" | "https" if url.has_host() => Ok(url),
        "http" | "https" => Err("the URL has no host".to_owned()),
        other => Err(format!("scheme {other:?} is not http or https")),
    }
}

fn upstream_url(field: &'static str, raw: &str) -> Result<Url, ProviderOptionsError> {
    parse_upstream_url(raw).map_err(|message| ProviderOptionsError { field, message })
}

fn timeout(
    field: &'static str,
    ms: Option<u64>,
    default_ms: u64,
) -> Result<Duration, ProviderOptionsError> {
    in_range(field, ms.unwrap_or(default_ms), 1, MAX_TIMEOUT_MS).map(Duration::from_millis)
}

fn in_range<T: PartialOrd + std::fmt::Display>(
    field: &'static str,
    value: T,
    min: T,
    max: T,
) -> Result<T, ProviderOptionsError> {
    if value < min || value > max {
        return Err(ProviderOptionsError {
            field,
            message: format!("{value} is outside {min}..={max}"),
        });
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_documented_values() {
        let o = ProviderOptions::default();
        assert_eq!(o.openai_base_url().as_str(), DEFAULT_OPENAI_URL);
        assert_eq!(o.anthropic_base_url().as_str(), DEFAULT_ANTHROPIC_URL);
        assert_eq!(
            o.default_url(ProviderKind::Gemini).map(Url::as_str),
            Some(DEFAULT_GEMINI_URL)
        );
        assert_eq!(
            o.default_url(ProviderKind::Cohere).map(Url::as_str),
            Some("https://api.cohere.com/")
        );
        assert_eq!(o.default_url(ProviderKind::Azure), None);
        assert_eq!(o.connect_timeout(), Duration::from_secs(10));
        assert_eq!(o.first_byte_timeout(), Duration::from_secs(300));
        assert_eq!(o.idle_timeout(), Duration::from_secs(60));
        assert_eq!(o.anthropic_default_max_tokens(), 1024);
    }

    #[test]
    fn rejects_zero_timeout_bad_url_and_unknown_fields() {
        let zero = ProviderOptionsConfig {
            idle_timeout_ms: Some(0),
            ..Default::default()
        };
        let err = ProviderOptions::try_from(zero).unwrap_err();
        assert_eq!(err.field, "idleTimeoutMs");

        let ftp = ProviderOptionsConfig {
            openai_base_url: Some("ftp://example.com/x".into()),
            ..Default::default()
        };
        assert_eq!(
            ProviderOptions::try_from(ftp).unwrap_err().field,
            "openaiBaseUrl"
        );

        let unknown = serde_json::from_value::<ProviderOptionsConfig>(
            serde_json::json!({"idleTimeoutMs": 5, "readTimeout": 1}),
        );
        assert!(unknown.is_err());
    }
}
