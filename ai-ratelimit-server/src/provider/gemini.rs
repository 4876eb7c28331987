//! Google Gemini's native API behind OpenAI's format: chat through `generateContent` and
//! `streamGenerateContent` (SSE), embeddings through `batchEmbedContents`, and the model
//! list. Tokens come from `usageMetadata`. The project's URL is the API root
//! (`https://generativelanguage.googleapis.com/v1beta`); the key goes in `x-goog-api-key`.

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

const KIND: ProviderKind = ProviderKind::Gemini;

/// Translates OpenAI-format requests to Gemini's API and its answers back.
#[derive(Debug)]
pub(crate) struct GeminiProvider {
    client: UpstreamClient,
    clock: Arc<dyn Clock>,
}

impl GeminiProvider {
    pub(crate) fn new(client: UpstreamClient, clock: Arc<dyn Clock>) -> Self {
        Self { client, clock }
    }

    /// Sends `body` (or a `GET` without one) to `url` with the project's key.
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
            builder = builder.header("x-goog-api-key", key.expose());
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
        let model = messages::model(&request.body)?;
        let body = to_generate_request(&request.body, &request.settings)?;
        let url = method_url(&request.url, model, "generateContent");
        let response = self.send(request, url, Some(&body), false).await?;
        let status = response.status();
        let (_, generated) = self
            .client
            .read_json::<GenerateResponse>(response, "a generateContent response")
            .await?;
        let mut answer = self.answer(model);
        if let Some(id) = generated.response_id.clone() {
            answer.id = id;
        }
        if let Some(version) = generated.model_version.clone() {
            answer.model = version;
        }
        let usage = generated
            .usage_metadata
            .as_ref()
            .and_then(UsageMetadata::reported);
        let (text, finish) = generated.text_and_finish();
        let body = answer.completion(&text, finish.unwrap_or(Value::Null), usage);
        Ok((status, ProviderResponse { body, usage }))
    }

    async fn embed(
        &self,
        request: &ProviderRequest,
    ) -> Result<(http::StatusCode, ProviderResponse), ProviderError> {
        let input = embeddings::read_request(&request.body, KIND)?;
        let model = model_id(&input.model);
        let requests: Vec<Value> = input
            .texts
            .iter()
            .map(|text| {
                let mut one = json!({"model": format!("models/{model}"), "content": {"parts": [{"text": text}]}});
                if let Some(dimensions) = input.dimensions {
                    one["outputDimensionality"] = json!(dimensions);
                }
                one
            })
            .collect();
        let url = method_url(&request.url, &input.model, "batchEmbedContents");
        let response = self
            .send(request, url, Some(&json!({"requests": requests})), false)
            .await?;
        let status = response.status();
        let (_, embedded) = self
            .client
            .read_json::<BatchEmbedResponse>(response, "a batchEmbedContents response")
            .await?;
        let vectors: Vec<Vec<f64>> = embedded.embeddings.into_iter().map(|e| e.values).collect();
        // Gemini's embeddings report no usage: the proxy counts its estimate of the input.
        let body = embeddings::answer(&input, &vectors, None);
        Ok((status, ProviderResponse { body, usage: None }))
    }

    async fn models(
        &self,
        request: &ProviderRequest,
    ) -> Result<(http::StatusCode, ProviderResponse), ProviderError> {
        let mut url = with_path(&request.url, &["models"]);
        url.query_pairs_mut().append_pair("pageSize", "1000");
        let response = self.send(request, url, None, false).await?;
        let status = response.status();
        let (_, list) = self
            .client
            .read_json::<ModelList>(response, "a Gemini model list")
            .await?;
        let body = openai_list(
            list.models.into_iter().map(|m| ModelEntry {
                id: model_id(&m.name).to_owned(),
                created: 0,
            }),
            "google",
        );
        Ok((status, ProviderResponse { body, usage: None }))
    }
}

#[async_trait::async_trait]
impl Provider for GeminiProvider {
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
            let model = messages::model(&request.body)?;
            let body = to_generate_request(&request.body, &request.settings)?;
            let mut url = method_url(&request.url, model, "streamGenerateContent");
            url.query_pairs_mut().append_pair("alt", "sse");
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
            started: false,
            finished: false,
            usage: None,
        };
        Ok(stream::translate(
            sent?,
            translator,
            self.client.idle_timeout(),
        ))
    }
}

/// A model as Gemini's URLs name it: OpenAI clients send `gemini-2.0-flash`, Gemini's own
/// list says `models/gemini-2.0-flash`; both are accepted.
fn model_id(model: &str) -> &str {
    model.strip_prefix("models/").unwrap_or(model)
}

/// `{root}/models/{model}:{method}`.
fn method_url(root: &Url, model: &str, method: &str) -> Url {
    with_path(root, &["models", &format!("{}:{method}", model_id(model))])
}

/// Gemini's `GenerateContentRequest` from an OpenAI chat body.
fn to_generate_request(
    body: &Map<String, Value>,
    settings: &ProviderSettings,
) -> Result<Value, ProviderError> {
    messages::single_choice(body, KIND)?;
    messages::no_tools(body, KIND)?;
    let mut system = Vec::new();
    let mut contents = Vec::new();
    for message in messages::messages(body, KIND)? {
        let parts: Vec<Value> = message.texts.iter().map(|t| json!({"text": t})).collect();
        match message.role {
            Role::System => system.extend(parts),
            Role::User => contents.push(json!({"role": "user", "parts": parts})),
            // Gemini refuses a turn without parts.
            Role::Assistant if parts.is_empty() => {}
            Role::Assistant => contents.push(json!({"role": "model", "parts": parts})),
        }
    }
    let mut out = Map::new();
    out.insert("contents".into(), Value::Array(contents));
    if !system.is_empty() {
        out.insert("systemInstruction".into(), json!({"parts": system}));
    }
    let mut config = Map::new();
    for (from, to) in [
        ("temperature", "temperature"),
        ("top_p", "topP"),
        ("presence_penalty", "presencePenalty"),
        ("frequency_penalty", "frequencyPenalty"),
        ("seed", "seed"),
    ] {
        if let Some(value) = messages::number(body, from)? {
            config.insert(to.into(), value);
        }
    }
    if let Some(max) = messages::max_tokens(body)? {
        config.insert("maxOutputTokens".into(), json!(max));
    }
    if let Some(stop) = messages::stop(body)? {
        config.insert("stopSequences".into(), json!(stop));
    }
    if messages::wants_json(body, KIND)? {
        config.insert("responseMimeType".into(), json!("application/json"));
    }
    if !config.is_empty() {
        out.insert("generationConfig".into(), Value::Object(config));
    }
    if let Some(gemini) = &settings.gemini
        && !gemini.safety_settings.is_empty()
    {
        out.insert(
            "safetySettings".into(),
            serde_json::to_value(&gemini.safety_settings).unwrap_or_default(),
        );
    }
    Ok(Value::Object(out))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct GenerateResponse {
    #[serde(default)]
    candidates: Vec<Candidate>,
    #[serde(default)]
    usage_metadata: Option<UsageMetadata>,
    #[serde(default)]
    model_version: Option<String>,
    #[serde(default)]
    response_id: Option<String>,
    #[serde(default)]
    prompt_feedback: Option<PromptFeedback>,
    /// Only in a stream, when it fails midway.
    #[serde(default)]
    error: Option<GoogleError>,
}

impl GenerateResponse {
    /// The first candidate's text (thoughts left out) and its finish reason, if it has one.
    fn text_and_finish(&self) -> (String, Option<Value>) {
        let Some(candidate) = self.candidates.first() else {
            // No candidate at all: the prompt itself was blocked.
            let blocked = self
                .prompt_feedback
                .as_ref()
                .is_some_and(|f| f.block_reason.is_some());
            return (String::new(), blocked.then(|| json!("content_filter")));
        };
        let text = candidate
            .content
            .iter()
            .flat_map(|c| &c.parts)
            .filter(|p| !p.thought)
            .filter_map(|p| p.text.as_deref())
            .collect();
        (text, candidate.finish_reason.as_deref().map(finish_reason))
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Candidate {
    #[serde(default)]
    content: Option<Content>,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct Content {
    #[serde(default)]
    parts: Vec<Part>,
}

#[derive(Deserialize)]
struct Part {
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    thought: bool,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PromptFeedback {
    #[serde(default)]
    block_reason: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct UsageMetadata {
    #[serde(default)]
    prompt_token_count: Option<u64>,
    #[serde(default)]
    candidates_token_count: Option<u64>,
    /// Thinking models' reasoning: output the caller pays for.
    #[serde(default)]
    thoughts_token_count: Option<u64>,
    #[serde(default)]
    total_token_count: Option<u64>,
}

impl UsageMetadata {
    fn reported(&self) -> Option<Usage> {
        if self.prompt_token_count.is_none() && self.total_token_count.is_none() {
            return None;
        }
        let output = self
            .candidates_token_count
            .unwrap_or(0)
            .saturating_add(self.thoughts_token_count.unwrap_or(0));
        let mut usage = Usage::new(self.prompt_token_count.unwrap_or(0), output);
        if let Some(total) = self.total_token_count {
            usage.total_tokens = total;
        }
        Some(usage)
    }
}

fn finish_reason(reason: &str) -> Value {
    match reason {
        "MAX_TOKENS" => json!("length"),
        "SAFETY" | "RECITATION" | "BLOCKLIST" | "PROHIBITED_CONTENT" | "SPII" | "IMAGE_SAFETY" => {
            json!("content_filter")
        }
        // STOP, and anything newer.
        _ => json!("stop"),
    }
}

#[derive(Deserialize)]
struct BatchEmbedResponse {
    #[serde(default)]
    embeddings: Vec<Embedding>,
}

#[derive(Deserialize)]
struct Embedding {
    #[serde(default)]
    values: Vec<f64>,
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

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: GoogleError,
}

/// Google's error object: `{"code": 400, "message": "…", "status": "INVALID_ARGUMENT"}`.
#[derive(Deserialize)]
struct GoogleError {
    #[serde(default)]
    message: String,
    #[serde(default)]
    status: Option<String>,
}

fn read_error(body: &[u8]) -> Option<(String, Option<String>)> {
    let envelope: ErrorEnvelope = serde_json::from_slice(body).ok()?;
    Some((envelope.error.message, envelope.error.status))
}

/// Gemini's SSE (each event a whole `GenerateContentResponse` with the next text and the
/// usage so far) → OpenAI `chat.completion.chunk` frames. Gemini sends no terminal event: the
/// stream ends when it closes after a chunk carrying a finish reason.
struct StreamTranslator {
    client_wants_usage: bool,
    answer: Answer,
    started: bool,
    finished: bool,
    usage: Option<Usage>,
}

impl EventTranslator for StreamTranslator {
    fn on_event(
        &mut self,
        event: Event,
        out: &mut VecDeque<Bytes>,
        tracker: &StreamTracker,
    ) -> Result<Flow, StreamError> {
        let chunk: GenerateResponse = serde_json::from_str(&event.data).map_err(|e| {
            StreamError::Malformed(format!(
                "event is not a GenerateContentResponse ({:?})",
                e.classify()
            ))
        })?;
        if let Some(error) = &chunk.error {
            out.push_back(error_chunk(&error.message, error.status.as_deref()));
            return Ok(Flow::End(StreamEnd::UpstreamError));
        }
        if let Some(id) = &chunk.response_id {
            self.answer.id.clone_from(id);
        }
        if let Some(version) = &chunk.model_version {
            self.answer.model.clone_from(version);
        }
        if let Some(usage) = chunk
            .usage_metadata
            .as_ref()
            .and_then(UsageMetadata::reported)
        {
            self.usage = Some(usage);
            tracker.record(usage);
        }
        if !self.started {
            self.started = true;
            out.push_back(
                self.answer
                    .chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            );
        }
        let (text, finish) = chunk.text_and_finish();
        if !text.is_empty() {
            out.push_back(self.answer.chunk(json!({"content": text}), Value::Null));
        }
        if let Some(finish) = finish {
            self.finished = true;
            out.push_back(self.answer.chunk(json!({}), finish));
        }
        Ok(Flow::Continue)
    }

    fn on_close(
        &mut self,
        out: &mut VecDeque<Bytes>,
        _tracker: &StreamTracker,
    ) -> Result<StreamEnd, StreamError> {
        if !self.finished {
            return Err(StreamError::UnexpectedEnd);
        }
        if self.client_wants_usage
            && let Some(usage) = self.usage
        {
            out.push_back(self.answer.usage_chunk(usage));
        }
        out.push_back(Bytes::from_static(DONE_FRAME));
        Ok(StreamEnd::Completed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provider::{GeminiSafetySetting, GeminiSettings, GeminiThreshold};

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn translates_roles_sampling_and_safety() {
        let settings = ProviderSettings {
            gemini: Some(GeminiSettings {
                safety_settings: vec![GeminiSafetySetting {
                    category: "HARM_CATEGORY_HARASSMENT".into(),
                    threshold: GeminiThreshold::BlockOnlyHigh,
                }],
            }),
            ..Default::default()
        };
        let request = body(json!({
            "model": "gemini-x",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello"},
                {"role": "user", "content": [{"type": "text", "text": "Again"}]}
            ],
            "temperature": 0.5, "top_p": 0.9, "max_tokens": 64, "stop": "END",
            "response_format": {"type": "json_object"}, "user": "u-1"
        }));
        assert_eq!(
            to_generate_request(&request, &settings).expect("translates"),
            json!({
                "contents": [
                    {"role": "user", "parts": [{"text": "Hi"}]},
                    {"role": "model", "parts": [{"text": "Hello"}]},
                    {"role": "user", "parts": [{"text": "Again"}]}
                ],
                "systemInstruction": {"parts": [{"text": "Be brief."}]},
                "generationConfig": {"temperature": 0.5, "topP": 0.9, "maxOutputTokens": 64,
                    "stopSequences": ["END"], "responseMimeType": "application/json"},
                "safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]
            })
        );
    }

    #[test]
    fn usage_counts_thoughts_and_keeps_the_total() {
        let usage: UsageMetadata = serde_json::from_value(json!({
            "promptTokenCount": 10, "candidatesTokenCount": 5, "thoughtsTokenCount": 7, "totalTokenCount": 22
        }))
        .expect("parses");
        assert_eq!(
            usage.reported(),
            Some(Usage {
                prompt_tokens: 10,
                completion_tokens: 12,
                total_tokens: 22
            })
        );
        assert_eq!(UsageMetadata::default().reported(), None);
    }

    #[test]
    fn maps_finish_reasons_and_blocked_prompts() {
        assert_eq!(finish_reason("STOP"), "stop");
        assert_eq!(finish_reason("MAX_TOKENS"), "length");
        assert_eq!(finish_reason("SAFETY"), "content_filter");
        let blocked: GenerateResponse =
            serde_json::from_value(json!({"promptFeedback": {"blockReason": "SAFETY"}}))
                .expect("parses");
        assert_eq!(
            blocked.text_and_finish(),
            (String::new(), Some(json!("content_filter")))
        );
        assert_eq!(model_id("models/gemini-x"), "gemini-x");
    }
}
