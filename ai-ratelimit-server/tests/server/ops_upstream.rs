//! A mock OpenAI upstream serving every operation the proxy forwards (chat, responses,
//! embeddings, images, the model list) in OpenAI's documented wire format, plus the failure
//! modes the tests need under a path prefix: `limited/` (OpenAI's own 429), `compat/` (an
//! OpenAI-compatible server that ignores `stream_options` and reports no usage), `hang/` (a
//! stream that stops after its first event).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use futures::StreamExt as _;
use serde_json::{Value, json};

/// Tokens of a whole chat completion.
pub(crate) const CHAT_TOKENS: u64 = 42;
/// Tokens of a whole response (36 in + 87 out).
pub(crate) const RESPONSE_TOKENS: u64 = 123;
/// Tokens of a streamed response (`response.completed`: 37 in + 11 out).
pub(crate) const STREAMED_RESPONSE_TOKENS: u64 = 48;
/// Tokens of an embeddings call.
pub(crate) const EMBEDDING_TOKENS: u64 = 8;
/// Tokens gpt-image-1 reports per image (DALL·E reports none).
pub(crate) const IMAGE_TOKENS: u64 = 100;

/// The embedding every call answers.
pub(crate) const EMBEDDING: [f32; 3] = [0.25, -0.5, 1.0];

pub(crate) struct OpsUpstream {
    pub(crate) base: String,
    pub(crate) hits: Arc<AtomicUsize>,
    /// Every JSON body received, in order.
    pub(crate) bodies: Arc<Mutex<Vec<Value>>>,
}

fn json_answer(status: StatusCode, value: Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn sse(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/event-stream")], text).into_response()
}

fn named(events: &[(&str, Value)]) -> String {
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

fn response_object(status: &str, text: &str, usage: Value) -> Value {
    json!({"id": "resp_1", "object": "response", "created_at": 1_741_290_958, "status": status,
        "model": "gpt-test", "output": [{"id": "msg_1", "type": "message", "status": "completed",
            "role": "assistant", "content": [{"type": "output_text", "text": text, "annotations": []}]}],
        "parallel_tool_calls": true, "tool_choice": "auto", "tools": [], "usage": usage})
}

fn response_events() -> Vec<(&'static str, Value)> {
    let created = json!({"id": "resp_1", "object": "response", "created_at": 1_741_290_958,
        "status": "in_progress", "model": "gpt-test", "output": [], "parallel_tool_calls": true,
        "tool_choice": "auto", "tools": [], "usage": null});
    let delta = |n: u64, text: &str| {
        json!({"type": "response.output_text.delta", "sequence_number": n, "item_id": "msg_1",
            "output_index": 0, "content_index": 0, "delta": text, "logprobs": []})
    };
    vec![
        (
            "response.created",
            json!({"type": "response.created", "sequence_number": 0, "response": created}),
        ),
        ("response.output_text.delta", delta(1, "Hel")),
        ("response.output_text.delta", delta(2, "lo")),
        (
            "response.completed",
            json!({"type": "response.completed", "sequence_number": 3, "response": response_object(
                "completed",
                "Hello",
                json!({"input_tokens": 37, "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": 11, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": STREAMED_RESPONSE_TOKENS}),
            )}),
        ),
    ]
}

fn chat(stream: bool, with_usage: bool) -> Response {
    if stream {
        let chunk = |content: &str| {
            json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-test",
                "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]})
        };
        let mut text = format!("data: {}\n\ndata: {}\n\n", chunk("Hel"), chunk("lo"));
        if with_usage {
            let usage = json!({"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-test",
                "choices": [], "usage": {"prompt_tokens": 40, "completion_tokens": 2, "total_tokens": CHAT_TOKENS}});
            text.push_str(&format!("data: {usage}\n\n"));
        }
        text.push_str("data: [DONE]\n\n");
        return sse(text);
    }
    let mut completion = json!({"id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}]});
    if with_usage {
        completion["usage"] =
            json!({"prompt_tokens": 40, "completion_tokens": 2, "total_tokens": CHAT_TOKENS});
    }
    json_answer(StatusCode::OK, completion)
}

fn embeddings(body: &Value) -> Response {
    let count = match &body["input"] {
        Value::Array(items) => items.len(),
        _ => 1,
    };
    // The official Python SDK asks for base64 unless told otherwise, and decodes it.
    let embedding = if body["encoding_format"] == "base64" {
        let bytes: Vec<u8> = EMBEDDING.iter().flat_map(|v| v.to_le_bytes()).collect();
        json!(base64::engine::general_purpose::STANDARD.encode(bytes))
    } else {
        json!(EMBEDDING)
    };
    let data: Vec<Value> = (0..count)
        .map(|index| json!({"object": "embedding", "index": index, "embedding": embedding}))
        .collect();
    json_answer(
        StatusCode::OK,
        json!({"object": "list", "data": data, "model": body["model"],
            "usage": {"prompt_tokens": EMBEDDING_TOKENS, "total_tokens": EMBEDDING_TOKENS}}),
    )
}

fn images(body: &Value) -> Response {
    let image_usage = json!({"total_tokens": IMAGE_TOKENS, "input_tokens": 20, "output_tokens": 80,
        "input_tokens_details": {"text_tokens": 20, "image_tokens": 0}});
    if body["stream"] == true {
        let partial = json!({"type": "image_generation.partial_image", "b64_json": "iVBORw0KGgo=",
            "created_at": 1, "size": "1024x1024", "quality": "low", "background": "opaque",
            "output_format": "png", "partial_image_index": 0});
        let done = json!({"type": "image_generation.completed", "b64_json": "iVBORw0KGgo=",
            "created_at": 1, "size": "1024x1024", "quality": "low", "background": "opaque",
            "output_format": "png", "usage": image_usage});
        return sse(named(&[
            ("image_generation.partial_image", partial),
            ("image_generation.completed", done),
        ]));
    }
    if body["model"] == "gpt-image-1" {
        return json_answer(
            StatusCode::OK,
            json!({"created": 1_713_833_628, "data": [{"b64_json": "iVBORw0KGgo="}], "usage": image_usage}),
        );
    }
    json_answer(
        StatusCode::OK,
        json!({"created": 1_713_833_628, "data": [{"url": "https://example.com/cat.png", "revised_prompt": "A cat"}]}),
    )
}

async fn answer(
    upstream: Arc<Mutex<Vec<Value>>>,
    hits: Arc<AtomicUsize>,
    method: Method,
    uri: Uri,
    body: String,
) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    upstream.lock().expect("lock").push(body.clone());
    if body.get("identity").is_some() || body.get("tier").is_some() {
        return (StatusCode::BAD_REQUEST, "proxy fields leaked").into_response();
    }
    let path = uri.path();
    let (prefix, rest) = match path.strip_prefix('/').and_then(|p| p.split_once("/v1/")) {
        Some((prefix, rest)) => (prefix, rest),
        None => ("", path.strip_prefix("/v1/").unwrap_or(path)),
    };
    let stream = body["stream"] == true;
    match (prefix, method.as_str(), rest) {
        ("limited", _, _) => json_answer(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"error": {"message": "Rate limit reached for requests", "type": "requests",
                "param": null, "code": "rate_limit_exceeded"}}),
        ),
        ("compat", "POST", "chat/completions") => chat(stream, false),
        ("hang", "POST", "responses") => {
            let first = named(&response_events()[..1]);
            let body = futures::stream::iter([Ok::<_, std::io::Error>(first)])
                .chain(futures::stream::pending());
            (
                [(header::CONTENT_TYPE, "text/event-stream")],
                Body::from_stream(body),
            )
                .into_response()
        }
        ("", "POST", "chat/completions") => chat(stream, true),
        ("", "POST", "responses") if stream => sse(named(&response_events())),
        ("", "POST", "responses") => json_answer(
            StatusCode::OK,
            response_object(
                "completed",
                "Hello",
                json!({"input_tokens": 36, "input_tokens_details": {"cached_tokens": 0},
                    "output_tokens": 87, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": RESPONSE_TOKENS}),
            ),
        ),
        ("", "POST", "embeddings") => embeddings(&body),
        ("", "POST", "images/generations") => images(&body),
        ("", "GET", "models") => json_answer(
            StatusCode::OK,
            json!({"object": "list", "data": [
                {"id": "gpt-test", "object": "model", "created": 1_686_935_002, "owned_by": "openai"},
                {"id": "text-embedding-3-small", "object": "model", "created": 1_705_948_997, "owned_by": "system"}
            ]}),
        ),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

impl OpsUpstream {
    pub(crate) async fn start() -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (h, b) = (hits.clone(), bodies.clone());
        let app = Router::new().fallback(any(move |method: Method, uri: Uri, body: String| {
            answer(b.clone(), h.clone(), method, uri, body)
        }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind mock");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, hits, bodies }
    }

    /// A project's `baseUrl`: the chat-completions URL, the other operations beside it.
    pub(crate) fn url(&self) -> String {
        format!("{}/v1/chat/completions", self.base)
    }

    /// The same under a failure prefix (`limited`, `compat`, `hang`).
    pub(crate) fn at(&self, prefix: &str) -> String {
        format!("{}/{prefix}/v1/chat/completions", self.base)
    }

    pub(crate) fn hit_count(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}
