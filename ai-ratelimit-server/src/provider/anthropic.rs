//! Anthropic's Messages API behind the OpenAI chat-completions format, and Anthropic's model
//! list (`GET /v1/models`, beside the Messages URL) as OpenAI's.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Instant;

use ai_ratelimit_core::Clock;
use bytes::Bytes;
use eventsource_stream::Event;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::models::{ModelEntry, openai_list};
use super::stream::{
    self, DONE_FRAME, EventTranslator, Flow, StreamEnd, StreamError, StreamTracker,
};
use super::upstream::UpstreamClient;
use super::{
    ChatStream, Operation, Provider, ProviderError, ProviderKind, ProviderRequest,
    ProviderResponse, Usage, log_exchange,
};

/// The Messages API version this translation is written against.
const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Translates OpenAI-format requests to the Messages API and its answers back.
#[derive(Debug)]
pub(crate) struct AnthropicProvider {
    client: UpstreamClient,
    clock: Arc<dyn Clock>,
    default_max_tokens: u64,
}

impl AnthropicProvider {
    pub(crate) fn new(
        client: UpstreamClient,
        clock: Arc<dyn Clock>,
        default_max_tokens: u64,
    ) -> Self {
        Self {
            client,
            clock,
            default_max_tokens,
        }
    }

    fn request(
        &self,
        request: &ProviderRequest,
        body: &Value,
        sse: bool,
    ) -> reqwest::RequestBuilder {
        let mut builder = self
            .client
            .post(request.url.clone())
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header(
                http::header::ACCEPT,
                if sse {
                    "text/event-stream"
                } else {
                    "application/json"
                },
            );
        if let Some(key) = &request.api_key {
            builder = builder.header("x-api-key", key.expose());
        }
        // Serializing a `Value` cannot fail.
        builder.body(serde_json::to_vec(body).unwrap_or_default())
    }

    fn created(&self) -> i64 {
        self.clock.now().timestamp()
    }

    async fn send(
        &self,
        request: &ProviderRequest,
        sse: bool,
    ) -> Result<reqwest::Response, ProviderError> {
        let body = to_messages_request(&request.body, sse, self.default_max_tokens)?;
        self.client
            .send(self.request(request, &body, sse))
            .await
            .map_err(openai_error_body)
    }

    async fn chat(
        &self,
        request: &ProviderRequest,
    ) -> Result<(http::StatusCode, ProviderResponse), ProviderError> {
        let response = self.send(request, false).await?;
        let status = response.status();
        let (_, message) = self
            .client
            .read_json::<MessagesResponse>(response, "a Messages API response")
            .await?;
        let usage = message.usage.reported();
        let body = to_chat_completion(message, self.created());
        Ok((
            status,
            ProviderResponse {
                body: Bytes::from(body.to_string()),
                usage,
            },
        ))
    }

    /// The model list lives beside the Messages URL (`…/v1/messages` → `…/v1/models`).
    async fn models(
        &self,
        request: &ProviderRequest,
    ) -> Result<(http::StatusCode, ProviderResponse), ProviderError> {
        let mut url = request.url.clone();
        let path = url.path().trim_end_matches('/');
        let root = path.strip_suffix("/messages").unwrap_or(path);
        let path = format!("{root}/models");
        url.set_path(&path);
        url.query_pairs_mut().append_pair("limit", "1000");
        let mut builder = self
            .client
            .get(url)
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header(http::header::ACCEPT, "application/json");
        if let Some(key) = &request.api_key {
            builder = builder.header("x-api-key", key.expose());
        }
        let response = self.client.send(builder).await.map_err(openai_error_body)?;
        let status = response.status();
        let (_, list) = self
            .client
            .read_json::<ModelList>(response, "an Anthropic model list")
            .await?;
        let body = openai_list(
            list.data.into_iter().map(|m| ModelEntry {
                created: chrono::DateTime::parse_from_rfc3339(&m.created_at)
                    .map_or(0, |t| t.timestamp()),
                id: m.id,
            }),
            "anthropic",
        );
        Ok((status, ProviderResponse { body, usage: None }))
    }
}

#[derive(Deserialize)]
struct ModelList {
    #[serde(default)]
    data: Vec<AnthropicModel>,
}

#[derive(Deserialize)]
struct AnthropicModel {
    id: String,
    #[serde(default)]
    created_at: String,
}

#[async_trait::async_trait]
impl Provider for AnthropicProvider {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Anthropic
    }

    async fn call(&self, request: ProviderRequest) -> Result<ProviderResponse, ProviderError> {
        let started = Instant::now();
        let result = match request.operation {
            Operation::Chat => self.chat(&request).await,
            Operation::Models => self.models(&request).await,
            operation => Err(ProviderError::Unsupported {
                provider: ProviderKind::Anthropic,
                operation,
                stream: false,
            }),
        };
        log_exchange(
            ProviderKind::Anthropic,
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
        let result = if request.operation == Operation::Chat {
            self.send(&request, true).await
        } else {
            Err(ProviderError::Unsupported {
                provider: ProviderKind::Anthropic,
                operation: request.operation,
                stream: true,
            })
        };
        log_exchange(
            ProviderKind::Anthropic,
            request.operation,
            request.model(),
            true,
            started,
            result.as_ref().map(reqwest::Response::status),
        );
        let translator = StreamTranslator {
            client_wants_usage: request.wants_usage_chunk(),
            created: self.created(),
            id: String::new(),
            model: request.model().unwrap_or_default().to_owned(),
            input_tokens: 0,
            output_tokens: 0,
        };
        Ok(stream::translate(
            result?,
            translator,
            self.client.idle_timeout(),
        ))
    }
}

/// Builds the Messages API body from an OpenAI chat body.
fn to_messages_request(
    body: &Map<String, Value>,
    stream: bool,
    default_max_tokens: u64,
) -> Result<Value, ProviderError> {
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::invalid_request("model", "model must be a string"))?;
    let raw_messages = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| ProviderError::invalid_request("messages", "messages must be an array"))?;

    let mut system = Vec::new();
    let mut messages = Vec::with_capacity(raw_messages.len());
    for (i, message) in raw_messages.iter().enumerate() {
        let role = message.get("role").and_then(Value::as_str).ok_or_else(|| {
            ProviderError::invalid_request(format!("messages[{i}].role"), "role must be a string")
        })?;
        let content = message.get("content").unwrap_or(&Value::Null);
        let path = format!("messages[{i}].content");
        match role {
            "system" | "developer" => system.push(text_of(content, &path)?),
            "user" | "assistant" => messages.push(json!({
                "role": role,
                "content": anthropic_content(content, &path)?,
            })),
            _ => {
                return Err(ProviderError::invalid_request(
                    format!("messages[{i}].role"),
                    "provider anthropic supports the roles system, developer, user and assistant",
                ));
            }
        }
    }

    let mut out = Map::new();
    out.insert("model".into(), Value::from(model));
    let max_tokens = match body
        .get("max_completion_tokens")
        .or_else(|| body.get("max_tokens"))
    {
        None | Some(Value::Null) => default_max_tokens,
        Some(v) => v.as_u64().ok_or_else(|| {
            ProviderError::invalid_request("max_tokens", "max_tokens must be a positive integer")
        })?,
    };
    out.insert("max_tokens".into(), Value::from(max_tokens));
    out.insert("messages".into(), Value::Array(messages));
    if !system.is_empty() {
        out.insert("system".into(), Value::from(system.join("\n\n")));
    }
    for field in ["temperature", "top_p"] {
        if let Some(v) = body.get(field).filter(|v| !v.is_null()) {
            if !v.is_number() {
                return Err(ProviderError::invalid_request(field, "must be a number"));
            }
            out.insert(field.into(), v.clone());
        }
    }
    match body.get("stop") {
        None | Some(Value::Null) => {}
        Some(Value::String(s)) => {
            out.insert("stop_sequences".into(), json!([s]));
        }
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            out.insert("stop_sequences".into(), Value::Array(items.clone()));
        }
        Some(_) => {
            return Err(ProviderError::invalid_request(
                "stop",
                "stop must be a string or an array of strings",
            ));
        }
    }
    if stream {
        out.insert("stream".into(), Value::Bool(true));
    }
    Ok(Value::Object(out))
}

/// Message content for Anthropic: a string stays a string, text parts become text blocks.
fn anthropic_content(content: &Value, path: &str) -> Result<Value, ProviderError> {
    match content {
        Value::String(_) => Ok(content.clone()),
        Value::Array(parts) => parts
            .iter()
            .enumerate()
            .map(|(j, part)| {
                Ok(json!({"type": "text", "text": text_part(part, &format!("{path}[{j}]"))?}))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        _ => Err(ProviderError::invalid_request(
            path,
            "content must be a string or an array of text parts",
        )),
    }
}

/// The text of a system message's content, parts joined.
fn text_of(content: &Value, path: &str) -> Result<String, ProviderError> {
    match content {
        Value::String(s) => Ok(s.clone()),
        Value::Array(parts) => parts
            .iter()
            .enumerate()
            .map(|(j, part)| text_part(part, &format!("{path}[{j}]")).map(str::to_owned))
            .collect::<Result<Vec<_>, _>>()
            .map(|texts| texts.join("\n")),
        _ => Err(ProviderError::invalid_request(
            path,
            "content must be a string or an array of text parts",
        )),
    }
}

fn text_part<'a>(part: &'a Value, path: &str) -> Result<&'a str, ProviderError> {
    if part.get("type").and_then(Value::as_str) != Some("text") {
        return Err(ProviderError::invalid_request(
            format!("{path}.type"),
            "provider anthropic supports only text content parts",
        ));
    }
    part.get("text").and_then(Value::as_str).ok_or_else(|| {
        ProviderError::invalid_request(format!("{path}.text"), "text must be a string")
    })
}

#[derive(Deserialize)]
struct MessagesResponse {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    content: Vec<ContentBlock>,
    #[serde(default)]
    stop_reason: Option<String>,
    #[serde(default)]
    usage: AnthropicUsage,
}

#[derive(Deserialize)]
struct ContentBlock {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize, Default)]
struct AnthropicUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

impl AnthropicUsage {
    /// Anthropic's `input_tokens` excludes prompt-cache reads and writes, which are input too.
    fn prompt_tokens(&self) -> Option<u64> {
        self.input_tokens.map(|input| {
            input
                .saturating_add(self.cache_creation_input_tokens.unwrap_or(0))
                .saturating_add(self.cache_read_input_tokens.unwrap_or(0))
        })
    }

    /// The usage, or `None` when the upstream reported no token count at all.
    fn reported(&self) -> Option<Usage> {
        if self.input_tokens.is_none() && self.output_tokens.is_none() {
            return None;
        }
        Some(Usage::new(
            self.prompt_tokens().unwrap_or(0),
            self.output_tokens.unwrap_or(0),
        ))
    }
}

fn finish_reason(stop_reason: Option<&str>) -> Value {
    match stop_reason {
        None => Value::Null,
        Some("max_tokens") => Value::from("length"),
        Some("tool_use") => Value::from("tool_calls"),
        Some("refusal") => Value::from("content_filter"),
        // end_turn, stop_sequence, pause_turn and anything newer.
        Some(_) => Value::from("stop"),
    }
}

fn usage_json(usage: Usage) -> Value {
    json!({
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    })
}

fn to_chat_completion(message: MessagesResponse, created: i64) -> Value {
    let text: String = message
        .content
        .iter()
        .filter(|b| b.kind == "text")
        .filter_map(|b| b.text.as_deref())
        .collect();
    json!({
        "id": message.id,
        "object": "chat.completion",
        "created": created,
        "model": message.model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": text},
            "logprobs": null,
            "finish_reason": finish_reason(message.stop_reason.as_deref()),
        }],
        "usage": usage_json(message.usage.reported().unwrap_or_default()),
    })
}

/// Rewrites an Anthropic error body (`{"type":"error","error":{"type","message"}}`) into
/// OpenAI's error shape so OpenAI clients surface it; other bodies stay as they are.
fn openai_error_body(err: ProviderError) -> ProviderError {
    let ProviderError::Upstream { status, body } = err else {
        return err;
    };
    let body = match serde_json::from_slice::<ErrorEnvelope>(&body) {
        Ok(envelope) => Bytes::from(envelope.error.to_openai().to_string()),
        Err(_) => body,
    };
    ProviderError::Upstream { status, body }
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    message: String,
}

impl ErrorDetail {
    fn to_openai(&self) -> Value {
        json!({"error": {"message": self.message, "type": self.kind, "param": null, "code": null}})
    }
}

/// Stream events this translation reads (`type` field of each event's data).
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StreamEvent {
    MessageStart {
        message: StartMessage,
    },
    ContentBlockDelta {
        delta: BlockDelta,
    },
    MessageDelta {
        delta: MessageDeltaBody,
        #[serde(default)]
        usage: AnthropicUsage,
    },
    MessageStop,
    Error {
        error: ErrorDetail,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct StartMessage {
    #[serde(default)]
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    usage: AnthropicUsage,
}

#[derive(Deserialize)]
struct BlockDelta {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct MessageDeltaBody {
    #[serde(default)]
    stop_reason: Option<String>,
}

/// Anthropic SSE → OpenAI `chat.completion.chunk` frames.
struct StreamTranslator {
    client_wants_usage: bool,
    created: i64,
    id: String,
    model: String,
    input_tokens: u64,
    output_tokens: u64,
}

impl StreamTranslator {
    fn chunk(&self, delta: Value, finish_reason: Value) -> Bytes {
        let chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{
                "index": 0,
                "delta": delta,
                "logprobs": null,
                "finish_reason": finish_reason,
            }],
        });
        stream::data_frame(chunk.to_string().as_bytes())
    }

    fn usage(&self) -> Usage {
        Usage::new(self.input_tokens, self.output_tokens)
    }
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
                "{} event is not valid Messages API JSON ({:?})",
                event.event,
                e.classify()
            ))
        })?;
        match parsed {
            StreamEvent::MessageStart { message } => {
                self.id = message.id;
                if !message.model.is_empty() {
                    self.model = message.model;
                }
                if let Some(usage) = message.usage.reported() {
                    self.input_tokens = usage.prompt_tokens;
                    self.output_tokens = usage.completion_tokens;
                    tracker.record(usage);
                }
                out.push_back(self.chunk(json!({"role": "assistant", "content": ""}), Value::Null));
            }
            StreamEvent::ContentBlockDelta { delta } => {
                if let (true, Some(text)) = (delta.kind == "text_delta", delta.text) {
                    out.push_back(self.chunk(json!({"content": text}), Value::Null));
                }
            }
            StreamEvent::MessageDelta { delta, usage } => {
                // `output_tokens` here is cumulative; newer API versions repeat the input too.
                if let Some(input) = usage.prompt_tokens() {
                    self.input_tokens = input;
                }
                if let Some(output) = usage.output_tokens {
                    self.output_tokens = output;
                }
                if usage.reported().is_some() {
                    tracker.record(self.usage());
                }
                out.push_back(self.chunk(json!({}), finish_reason(delta.stop_reason.as_deref())));
            }
            StreamEvent::MessageStop => {
                if self.client_wants_usage {
                    let chunk = json!({
                        "id": self.id,
                        "object": "chat.completion.chunk",
                        "created": self.created,
                        "model": self.model,
                        "choices": [],
                        "usage": usage_json(self.usage()),
                    });
                    out.push_back(stream::data_frame(chunk.to_string().as_bytes()));
                }
                out.push_back(Bytes::from_static(DONE_FRAME));
                return Ok(Flow::End(StreamEnd::Completed));
            }
            StreamEvent::Error { error } => {
                // OpenAI clients raise on a data payload carrying `error`; no `[DONE]` follows.
                out.push_back(stream::data_frame(error.to_openai().to_string().as_bytes()));
                return Ok(Flow::End(StreamEnd::UpstreamError));
            }
            StreamEvent::Other => {}
        }
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn translates_system_roles_parts_and_sampling() {
        let request = body(json!({
            "model": "claude-x",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
                {"role": "developer", "content": [{"type": "text", "text": "No emoji."}]},
                {"role": "user", "content": "Again"}
            ],
            "temperature": 0.5,
            "top_p": 0.9,
            "stop": "END",
            "presence_penalty": 1
        }));
        let out = to_messages_request(&request, false, 1024).expect("translates");
        assert_eq!(
            out,
            json!({
                "model": "claude-x",
                "max_tokens": 1024,
                "system": "Be brief.\n\nNo emoji.",
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
                    {"role": "user", "content": "Again"}
                ],
                "temperature": 0.5,
                "top_p": 0.9,
                "stop_sequences": ["END"]
            })
        );
    }

    #[test]
    fn max_completion_tokens_wins_and_stream_is_set() {
        let request = body(json!({
            "model": "m", "messages": [], "max_tokens": 5, "max_completion_tokens": 7,
            "stop": ["a", "b"]
        }));
        let out = to_messages_request(&request, true, 1024).expect("translates");
        assert_eq!(out["max_tokens"], 7);
        assert_eq!(out["stream"], true);
        assert_eq!(out["stop_sequences"], json!(["a", "b"]));
    }

    #[test]
    fn rejects_what_anthropic_cannot_take() {
        let cases = [
            (json!({"messages": []}), "model"),
            (
                json!({"model": "m", "messages": [{"role": "tool", "content": "x"}]}),
                "messages[0].role",
            ),
            (
                json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]}),
                "messages[0].content[0].type",
            ),
            (json!({"model": "m", "messages": [], "stop": 3}), "stop"),
        ];
        for (request, expected) in cases {
            match to_messages_request(&body(request), false, 1024) {
                Err(ProviderError::InvalidRequest { field, .. }) => assert_eq!(field, expected),
                other => panic!("expected invalid request at {expected}, got {other:?}"),
            }
        }
    }

    #[test]
    fn maps_stop_reasons() {
        assert_eq!(finish_reason(Some("end_turn")), "stop");
        assert_eq!(finish_reason(Some("stop_sequence")), "stop");
        assert_eq!(finish_reason(Some("max_tokens")), "length");
        assert_eq!(finish_reason(Some("tool_use")), "tool_calls");
        assert_eq!(finish_reason(None), Value::Null);
    }

    #[test]
    fn counts_cache_tokens_as_prompt() {
        let usage: AnthropicUsage = serde_json::from_value(json!({
            "input_tokens": 10, "output_tokens": 5,
            "cache_creation_input_tokens": 3, "cache_read_input_tokens": 2
        }))
        .expect("parses");
        assert_eq!(usage.reported(), Some(Usage::new(15, 5)));
        assert_eq!(AnthropicUsage::default().reported(), None);
    }

    #[test]
    fn error_body_becomes_openai_shape() {
        let err = openai_error_body(ProviderError::Upstream {
            status: http::StatusCode::BAD_REQUEST,
            body: Bytes::from_static(
                br#"{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}"#,
            ),
        });
        let ProviderError::Upstream { body, .. } = err else {
            panic!("still an upstream error");
        };
        let value: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(value["error"]["type"], "invalid_request_error");
        assert_eq!(value["error"]["message"], "bad");
    }
}
