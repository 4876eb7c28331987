//! Cohere's API behind OpenAI's format: chat through v2 `/v2/chat` (streamed as typed
//! events ending with `message-end`), embeddings through `/v2/embed`, and the model list
//! (`/v1/models`). Tokens come from `usage.tokens`. The project's URL is the API root
//! (`https://api.cohere.com`); the key is a bearer token.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use ai_ratelimit_core::Clock;
use bytes::Bytes;
use eventsource_stream::Event;
use reqwest::Url;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::completion::{Answer, error_chunk};
use super::embeddings;
use super::error::translate_upstream_error;
use super::messages::{self, Role};
use super::models::{ModelEntry, openai_list};
use super::stream::{
    self, DONE_FRAME, EventTranslator, Flow, StreamEnd, StreamError, StreamTracker,
};
use super::upstream::{UpstreamClient, with_path};
use super::{
    ChatStream, Operation, Provider, ProviderError, ProviderKind, ProviderRequest,
    ProviderResponse, ProviderSettings, Usage, log_exchange,
};

const KIND: ProviderKind = ProviderKind::Cohere;

/// Translates OpenAI-format requests to Cohere's API and its answers back.
#[derive(Debug)]
pub(crate) struct CohereProvider {
    client: UpstreamClient,
    clock: Arc<dyn Clock>,
}

impl CohereProvider {
    pub(crate) fn new(client: UpstreamClient, clock: Arc<dyn Clock>) -> Self {
        Self { client, clock }
    }

    async fn send(
        &self,
        request: &ProviderRequest,
        url: Url,
        body: Option<&Value>,
        sse: bool,
    ) -> Result<reqwest::Response, ProviderError> {
        let mut builder = match body {
            // Serializing a `Value` cannot fail.
            Some(body) => self
                .client
                .post(url)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(serde_json::to_vec(body).unwrap_or_default()),
            None => self.client.get(url),
        }
        .header(
            http::header::ACCEPT,
            if sse {
                "text/event-stream"
            } else {
                "application/json"
            },
        );
        if let Some(key) = &request.api_key {
            builder = builder.bearer_auth(key.expose());
        }
        self.client
            .send(builder)
            .await
            .map_err(|e| translate_upstream_error(e, read_error))
    }

    fn answer(&self, model: &str) -> Answer {
        Answer {
            id: String::new(),
            created: self.clock.now().timestamp(),
            model: model.to_owned(),
        }
    }

    async fn chat(
        &self,
        request: &ProviderRequest,
    ) -> Result<(http::StatusCode, ProviderResponse), ProviderError> {
        let body = to_chat_request(&request.body, &request.settings, false)?;
        let url = with_path(&request.url, &["v2", "chat"]);
        let response = self.send(request, url, Some(&body), false).await?;
        let status = response.status();
        let (_, chat) = self
            .client
            .read_json::<ChatResponse>(response, "a Cohere chat response")
            .await?;
        let mut answer = self.answer(request.model().unwrap_or_default());
        answer.id = chat.id;
        let usage = chat.usage.as_ref().and_then(CohereUsage::reported);
        let text: String = chat
            .message
            .content
            .iter()
            .filter(|c| c.kind == "text")
            .filter_map(|c| c.text.as_deref())
            .collect();
        let finish = chat
            .finish_reason
            .as_deref()
            .map_or(Value::Null, finish_reason);
        let body = answer.completion(&text, finish, usage);
        Ok((status, ProviderResponse { body, usage }))
    }

    async fn embed(
        &self,
        request: &ProviderRequest,
    ) -> Result<(http::StatusCode, ProviderResponse), ProviderError> {
        let input = embeddings::read_request(&request.body, KIND)?;
        let input_type = request
            .settings
            .cohere
            .as_ref()
            .and_then(|c| c.embedding_input_type)
            .unwrap_or_default();
        let mut body = json!({
            "model": input.model,
            "texts": input.texts,
            "input_type": input_type.as_str(),
            "embedding_types": ["float"],
        });
        if let Some(dimensions) = input.dimensions {
            body["output_dimension"] = json!(dimensions);
        }
        let url = with_path(&request.url, &["v2", "embed"]);
        let response = self.send(request, url, Some(&body), false).await?;
        let status = response.status();
        let (_, embedded) = self
            .client
            .read_json::<EmbedResponse>(response, "a Cohere embed response")
            .await?;
        let usage = embedded
            .meta
            .and_then(|m| m.billed_units)
            .and_then(|b| b.input_tokens)
            .map(|input| Usage::new(input, 0));
        let body = embeddings::answer(&input, &embedded.embeddings.float, usage);
        Ok((status, ProviderResponse { body, usage }))
    }

    async fn models(
        &self,
        request: &ProviderRequest,
    ) -> Result<(http::StatusCode, ProviderResponse), ProviderError> {
        // The model list exists in v1 only.
        let mut url = with_path(&request.url, &["v1", "models"]);
        url.query_pairs_mut().append_pair("page_size", "1000");
        let response = self.send(request, url, None, false).await?;
        let status = response.status();
        let (_, list) = self
            .client
            .read_json::<ModelList>(response, "a Cohere model list")
            .await?;
        let body = openai_list(
            list.models.into_iter().map(|m| ModelEntry {
                id: m.name,
                created: 0,
            }),
            "cohere",
        );
        Ok((status, ProviderResponse { body, usage: None }))
    }
}

#[async_trait::async_trait]
impl Provider for CohereProvider {
    fn kind(&self) -> ProviderKind {
        KIND
    }

    async fn call(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError> {
        let started = Instant::now();
        let result = match request.operation {
            Operation::Chat => self.chat(&request).await,
            Operation::Embeddings => self.embed(&request).await,
            Operation::Models => self.models(&request).await,
            operation => Err(ProviderError::Unsupported {
                provider: KIND,
                operation,
                stream: false,
            }),
        };
        log_exchange(
            KIND,
            request.operation,
            request.model(),
            false,
            started,
            result.as_ref().map(|(status, _)| *status),
        );
        result.map(|(_, response)| response)
    }

    async fn stream(&self, request: ProviderRequest) -> Result<ChatStream, ProviderError> {
        let started = Instant::now();
        let sent = async {
            if request.operation != Operation::Chat {
                return Err(ProviderError::Unsupported {
                    provider: KIND,
                    operation: request.operation,
                    stream: true,
                });
            }
            let body = to_chat_request(&request.body, &request.settings, true)?;
            let url = with_path(&request.url, &["v2", "chat"]);
            self.send(&request, url, Some(&body), true).await
        }
        .await;
        log_exchange(
            KIND,
            request.operation,
            request.model(),
            true,
            started,
            sent.as_ref().map(reqwest::Response::status),
        );
        let translator = StreamTranslator {
            client_wants_usage: request.wants_usage_chunk(),
            answer: self.answer(request.model().unwrap_or_default()),
        };
        Ok(stream::translate(
            sent?,
            translator,
            self.client.idle_timeout(),
        ))
    }
}

/// Cohere's v2 chat body from an OpenAI chat body.
fn to_chat_request(
    body: &Map<String, Value>,
    settings: &ProviderSettings,
    stream: bool,
) -> Result<Value, ProviderError> {
    let model = messages::model(body)?;
    messages::single_choice(body, KIND)?;
    messages::no_tools(body, KIND)?;
    let chat: Vec<Value> = messages::messages(body, KIND)?
        .into_iter()
        .map(|m| {
            let role = match m.role {
                Role::System => "system",
                Role::User => "user",
                Role::Assistant => "assistant",
            };
            json!({"role": role, "content": m.texts.concat()})
        })
        .collect();
    let mut out = Map::new();
    out.insert("model".into(), json!(model));
    out.insert("messages".into(), Value::Array(chat));
    for (from, to) in [
        ("temperature", "temperature"),
        ("top_p", "p"),
        ("presence_penalty", "presence_penalty"),
        ("frequency_penalty", "frequency_penalty"),
        ("seed", "seed"),
    ] {
        if let Some(value) = messages::number(body, from)? {
            out.insert(to.into(), value);
        }
    }
    if let Some(max) = messages::max_tokens(body)? {
        out.insert("max_tokens".into(), json!(max));
    }
    if let Some(stop) = messages::stop(body)? {
        out.insert("stop_sequences".into(), json!(stop));
    }
    if messages::wants_json(body, KIND)? {
        out.insert("response_format".into(), json!({"type": "json_object"}));
    }
    if let Some(mode) = settings.cohere.as_ref().and_then(|c| c.safety_mode) {
        out.insert(
            "safety_mode".into(),
            serde_json::to_value(mode).unwrap_or_default(),
        );
    }
    if stream {
        out.insert("stream".into(), Value::Bool(true));
    }
    Ok(Value::Object(out))
}

#[derive(Deserialize)]
struct ChatResponse {
    #[serde(default)]
    id: String,
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    message: ChatMessage,
    #[serde(default)]
    usage: Option<CohereUsage>,
}

#[derive(Deserialize, Default)]
struct ChatMessage {
    #[serde(default)]
    content: Vec<ContentItem>,
}

#[derive(Deserialize)]
struct ContentItem {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

/// Cohere's `usage`: `tokens` (what the model processed, which this proxy counts) and
/// `billed_units` (what Cohere bills, used only when `tokens` is missing).
#[derive(Deserialize, Default)]
struct CohereUsage {
    #[serde(default)]
    tokens: Option<TokenCounts>,
    #[serde(default)]
    billed_units: Option<TokenCounts>,
}

#[derive(Deserialize, Default)]
struct TokenCounts {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
}

impl CohereUsage {
    fn reported(&self) -> Option<Usage> {
        let counts = self
            .tokens
            .as_ref()
            .filter(|t| t.input_tokens.is_some() || t.output_tokens.is_some())
            .or(self.billed_units.as_ref())?;
        if counts.input_tokens.is_none() && counts.output_tokens.is_none() {
            return None;
        }
        Some(Usage::new(
            counts.input_tokens.unwrap_or(0),
            counts.output_tokens.unwrap_or(0),
        ))
    }
}

fn finish_reason(reason: &str) -> Value {
    match reason {
        "MAX_TOKENS" => json!("length"),
        "TOOL_CALL" => json!("tool_calls"),
        // COMPLETE, STOP_SEQUENCE, ERROR, TIMEOUT and anything newer.
        _ => json!("stop"),
    }
}

#[derive(Deserialize)]
struct EmbedResponse {
    #[serde(default)]
    embeddings: EmbeddingsByType,
    #[serde(default)]
    meta: Option<Meta>,
}

#[derive(Deserialize, Default)]
struct EmbeddingsByType {
    #[serde(default)]
    float: Vec<Vec<f64>>,
}

#[derive(Deserialize)]
struct Meta {
    #[serde(default)]
    billed_units: Option<TokenCounts>,
}

#[derive(Deserialize)]
struct ModelList {
    #[serde(default)]
    models: Vec<ModelName>,
}

#[derive(Deserialize)]
struct ModelName {
    name: String,
}

/// Cohere's error body: `{"id": "…", "message": "…"}`.
#[derive(Deserialize)]
struct CohereError {
    message: String,
}

fn read_error(body: &[u8]) -> Option<(String, Option<String>)> {
    let error: CohereError = serde_json::from_slice(body).ok()?;
    Some((error.message, None))
}

/// Stream events this translation reads (the `type` of each event's data).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
enum StreamEvent {
    MessageStart {
        #[serde(default)]
        id: Option<String>,
    },
    ContentDelta {
        #[serde(default)]
        delta: ContentDelta,
    },
    MessageEnd {
        #[serde(default)]
        delta: EndDelta,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize, Default)]
struct ContentDelta {
    #[serde(default)]
    message: DeltaMessage,
}

#[derive(Deserialize, Default)]
struct DeltaMessage {
    #[serde(default)]
    content: DeltaContent,
}

#[derive(Deserialize, Default)]
struct DeltaContent {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize, Default)]
struct EndDelta {
    #[serde(default)]
    finish_reason: Option<String>,
    #[serde(default)]
    usage: Option<CohereUsage>,
    /// Set when the generation failed midway.
    #[serde(default)]
    error: Option<String>,
}

/// Cohere's v2 stream events → OpenAI `chat.completion.chunk` frames, ending at `message-end`.
struct StreamTranslator {
    client_wants_usage: bool,
    answer: Answer,
}

impl EventTranslator for StreamTranslator {
    fn on_event(
        &mut self,
        event: Event,
        out: &mut VecDeque<Bytes>,
        tracker: &StreamTracker,
    ) -> Result<Flow, StreamError> {
        let parsed: StreamEvent = serde_json::from_str(&event.data).map_err(|e| {
            StreamError::Malformed(format!(
                "{} event is not valid Cohere chat JSON ({:?})",
                event.event,
                e.classify()
            ))
        })?;
        match parsed {
            StreamEvent::MessageStart { id } => {
                if let Some(id) = id {
                    self.answer.id = id;
                }
                out.push_back(
                    self.answer
                        .chunk(json!({"role": "assistant", "content": ""}), Value::Null),
                );
            }
            StreamEvent::ContentDelta { delta } => {
                if let Some(text) = delta.message.content.text {
                    out.push_back(self.answer.chunk(json!({"content": text}), Value::Null));
                }
            }
            StreamEvent::MessageEnd { delta } => {
                let usage = delta.usage.as_ref().and_then(CohereUsage::reported);
                if let Some(usage) = usage {
                    tracker.record(usage);
                }
                if let Some(error) = delta.error {
                    out.push_back(error_chunk(&error, None));
                    return Ok(Flow::End(StreamEnd::UpstreamError));
                }
                let finish = delta
                    .finish_reason
                    .as_deref()
                    .map_or(Value::Null, finish_reason);
                out.push_back(self.answer.chunk(json!({}), finish));
                if self.client_wants_usage
                    && let Some(usage) = usage
                {
                    out.push_back(self.answer.usage_chunk(usage));
                }
                out.push_back(Bytes::from_static(DONE_FRAME));
                return Ok(Flow::End(StreamEnd::Completed));
            }
            StreamEvent::Other => {}
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{CohereSafetyMode, CohereSettings};

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn translates_the_chat_request() {
        let settings = ProviderSettings {
            cohere: Some(CohereSettings {
                safety_mode: Some(CohereSafetyMode::Strict),
                embedding_input_type: None,
            }),
            ..Default::default()
        };
        let request = body(json!({
            "model": "command-x",
            "messages": [
                {"role": "developer", "content": "Be brief."},
                {"role": "user", "content": [{"type": "text", "text": "Hi "}, {"type": "text", "text": "there"}]}
            ],
            "top_p": 0.5, "max_completion_tokens": 9, "stop": ["x"], "seed": 3, "user": "u"
        }));
        assert_eq!(
            to_chat_request(&request, &settings, true).expect("translates"),
            json!({
                "model": "command-x",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": "Hi there"}
                ],
                "p": 0.5, "seed": 3, "max_tokens": 9, "stop_sequences": ["x"],
                "safety_mode": "STRICT", "stream": true
            })
        );
    }

    #[test]
    fn counts_tokens_before_billed_units() {
        let usage: CohereUsage = serde_json::from_value(json!({
            "billed_units": {"input_tokens": 5, "output_tokens": 2},
            "tokens": {"input_tokens": 70, "output_tokens": 2}
        }))
        .expect("parses");
        assert_eq!(usage.reported(), Some(Usage::new(70, 2)));
        let billed: CohereUsage = serde_json::from_value(
            json!({"billed_units": {"input_tokens": 5, "output_tokens": 2}}),
        )
        .expect("parses");
        assert_eq!(billed.reported(), Some(Usage::new(5, 2)));
        assert_eq!(CohereUsage::default().reported(), None);
        assert_eq!(finish_reason("MAX_TOKENS"), "length");
        assert_eq!(finish_reason("COMPLETE"), "stop");
    }
}
