//! OpenAI's chat-completions API and any compatible upstream: bodies pass through.

use std::collections::VecDeque;
use std::time::Instant;

use bytes::Bytes;
use eventsource_stream::Event;
use reqwest::Url;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};

use super::stream::{
    self, DONE_FRAME, EventTranslator, Flow, StreamEnd, StreamError, StreamTracker,
};
use super::upstream::UpstreamClient;
use super::{
    ChatRequest, ChatResponse, ChatStream, Provider, ProviderApiKey, ProviderError, ProviderKind,
    Usage, log_exchange,
};

/// Forwards to an OpenAI-compatible `…/chat/completions` URL.
#[derive(Debug)]
pub(crate) struct OpenAiProvider {
    client: UpstreamClient,
}

impl OpenAiProvider {
    pub(crate) fn new(client: UpstreamClient) -> Self {
        Self { client }
    }

    fn request(
        &self,
        url: Url,
        api_key: Option<&ProviderApiKey>,
        body: &Map<String, Value>,
        sse: bool,
    ) -> reqwest::RequestBuilder {
        let mut builder = self
            .client
            .post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(
                http::header::ACCEPT,
                if sse {
                    "text/event-stream"
                } else {
                    "application/json"
                },
            );
        if let Some(key) = api_key {
            builder = builder.bearer_auth(key.expose());
        }
        // Serializing a `Map` of `Value`s cannot fail.
        builder.body(serde_json::to_vec(body).unwrap_or_default())
    }
}

/// The fields of an OpenAI response or chunk this proxy reads; everything else is ignored.
#[derive(Deserialize)]
struct UsageProbe {
    #[serde(default)]
    choices: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireUsage {
    prompt_tokens: u64,
    completion_tokens: u64,
    #[serde(default)]
    total_tokens: Option<u64>,
}

impl From<WireUsage> for Usage {
    fn from(w: WireUsage) -> Self {
        let mut usage = Usage::new(w.prompt_tokens, w.completion_tokens);
        if let Some(total) = w.total_tokens {
            usage.total_tokens = total;
        }
        usage
    }
}

#[async_trait::async_trait]
impl Provider for OpenAiProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::OpenAi
    }

    async fn chat(&self, request: ChatRequest) -> Result<ChatResponse, ProviderError> {
        let started = Instant::now();
        let model = request.model().map(str::to_owned);
        let ChatRequest {
            mut body,
            url,
            api_key,
        } = request;
        // This call answers with one JSON document, so the streaming fields cannot apply.
        body.remove("stream");
        body.remove("stream_options");
        let result = async {
            let response = self
                .client
                .send(self.request(url, api_key.as_ref(), &body, false))
                .await?;
            let status = response.status();
            let bytes = self.client.read_body(response).await?;
            let probe: UsageProbe = serde_json::from_slice(&bytes).map_err(|e| {
                ProviderError::InvalidResponse(format!(
                    "body is not a chat completion ({:?})",
                    e.classify()
                ))
            })?;
            Ok((
                status,
                ChatResponse {
                    body: bytes,
                    usage: probe.usage.map(Usage::from),
                },
            ))
        }
        .await;
        log_exchange(
            ProviderKind::OpenAi,
            model.as_deref(),
            false,
            started,
            result.as_ref().map(|(status, _)| *status),
        );
        result.map(|(_, response)| response)
    }

    async fn chat_stream(&self, request: ChatRequest) -> Result<ChatStream, ProviderError> {
        let started = Instant::now();
        let client_wants_usage = request.wants_usage_chunk();
        let model = request.model().map(str::to_owned);
        let ChatRequest {
            mut body,
            url,
            api_key,
        } = request;
        body.insert("stream".into(), Value::Bool(true));
        // Forced on so the token count is exact; other stream options the client set stay.
        let options = body
            .entry("stream_options")
            .or_insert_with(|| Value::Object(Map::new()));
        if !options.is_object() {
            *options = Value::Object(Map::new());
        }
        if let Value::Object(options) = options {
            options.insert("include_usage".into(), Value::Bool(true));
        }
        let result = self
            .client
            .send(self.request(url, api_key.as_ref(), &body, true))
            .await;
        log_exchange(
            ProviderKind::OpenAi,
            model.as_deref(),
            true,
            started,
            result.as_ref().map(reqwest::Response::status),
        );
        Ok(stream::translate(
            result?,
            PassThrough { client_wants_usage },
            self.client.idle_timeout(),
        ))
    }
}

/// Passes every event's payload through unchanged, reading usage on the way and hiding the
/// usage-only chunk the client did not ask for.
struct PassThrough {
    client_wants_usage: bool,
}

impl EventTranslator for PassThrough {
    fn on_event(
        &mut self,
        event: Event,
        out: &mut VecDeque<Bytes>,
        tracker: &StreamTracker,
    ) -> Result<Flow, StreamError> {
        if event.data == "[DONE]" {
            out.push_back(Bytes::from_static(DONE_FRAME));
            return Ok(Flow::End(StreamEnd::Completed));
        }
        // A payload that is not a chunk (e.g. an upstream error object) still passes through.
        // Only a chunk naming `usage` is parsed (the last one): the others pass untouched.
        if event.data.contains("\"usage\"")
            && let Ok(probe) = serde_json::from_str::<UsageProbe>(&event.data)
            && let Some(usage) = probe.usage
        {
            tracker.record(usage.into());
            let usage_only = probe.choices.is_some_and(|c| c.is_empty());
            if usage_only && !self.client_wants_usage {
                return Ok(Flow::Continue);
            }
        }
        out.push_back(stream::data_frame(event.data.as_bytes()));
        Ok(Flow::Continue)
    }
}
