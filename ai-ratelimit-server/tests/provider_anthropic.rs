//! The Anthropic provider against a mock Messages API started by each test.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ai_ratelimit_core::FakeClock;
use ai_ratelimit_server::provider::{
    ChatStream, Operation, ProviderApiKey, ProviderError, ProviderKind, ProviderOptions,
    ProviderOptionsConfig, ProviderRequest, ProviderRouter, StreamEnd, StreamError, Usage,
};
use axum::Router;
use axum::body::Body;
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use chrono::{TimeZone, Utc};
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpListener;

const MESSAGE: &str = r#"{"id":"msg_01","type":"message","role":"assistant","model":"claude-test","content":[{"type":"text","text":"Hello"},{"type":"text","text":" world"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":7}}"#;

/// A Messages API stream, ping and block events included.
const EVENTS: [(&str, &str); 9] = [
    (
        "message_start",
        r#"{"type":"message_start","message":{"id":"msg_02","type":"message","role":"assistant","content":[],"model":"claude-test","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#,
    ),
    (
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
    ),
    ("ping", r#"{"type": "ping"}"#),
    (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
    ),
    (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}}"#,
    ),
    (
        "content_block_stop",
        r#"{"type":"content_block_stop","index":0}"#,
    ),
    (
        "message_delta",
        r#"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":15}}"#,
    ),
    ("message_stop", r#"{"type":"message_stop"}"#),
    ("ping", r#"{"type": "ping"}"#),
];

const CREATED: i64 = 1_700_000_000;

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(HeaderMap, Value)>>>);

impl Seen {
    fn last(&self) -> (HeaderMap, Value) {
        self.0
            .lock()
            .expect("lock")
            .last()
            .cloned()
            .expect("a request reached the mock")
    }
}

fn sse(events: &[(&str, &str)]) -> String {
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

async fn messages(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> Response {
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let streaming = json["stream"] == true;
    seen.0.lock().expect("lock").push((headers, json));
    if streaming {
        let chunks: Vec<Result<Bytes, std::io::Error>> = sse(&EVENTS)
            .into_bytes()
            .chunks(29)
            .map(|c| Ok(Bytes::copy_from_slice(c)))
            .collect();
        (
            [(header::CONTENT_TYPE, "text/event-stream")],
            Body::from_stream(futures::stream::iter(chunks)),
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], MESSAGE).into_response()
    }
}

async fn overloaded_midway() -> Response {
    let events = [
        EVENTS[0],
        EVENTS[3],
        (
            "error",
            r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
        ),
    ];
    ([(header::CONTENT_TYPE, "text/event-stream")], sse(&events)).into_response()
}

async fn rejects() -> Response {
    (
        StatusCode::BAD_REQUEST,
        r#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: too large"}}"#,
    )
        .into_response()
}

/// Sends message_start and one delta, then stalls without closing.
async fn stalls() -> Response {
    let first = Bytes::from(sse(&[EVENTS[0], EVENTS[3]]));
    let body =
        futures::stream::iter([Ok::<_, std::io::Error>(first)]).chain(futures::stream::pending());
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(body),
    )
        .into_response()
}

/// Ends the body after one delta, without message_stop.
async fn truncated() -> Response {
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        sse(&[EVENTS[0], EVENTS[3]]),
    )
        .into_response()
}

/// Anthropic's model list (`GET /v1/models`), recording the headers and the query.
async fn models(
    State(seen): State<Seen>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    seen.0
        .lock()
        .expect("lock")
        .push((headers, json!({"query": query})));
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"data":[{"type":"model","id":"claude-sonnet-4-20250514","display_name":"Claude Sonnet 4","created_at":"2025-05-22T00:00:00Z"},{"type":"model","id":"claude-3-5-haiku-20241022","display_name":"Claude Haiku 3.5","created_at":"2024-10-22T00:00:00Z"}],"has_more":false,"first_id":"claude-sonnet-4-20250514","last_id":"claude-3-5-haiku-20241022"}"#,
    )
        .into_response()
}

async fn mock() -> (SocketAddr, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/v1/messages", post(messages))
        .route("/overloaded", post(overloaded_midway))
        .route("/rejects", post(rejects))
        .route("/stall", post(stalls))
        .route("/truncated", post(truncated))
        .route("/v1/models", get(models))
        .with_state(seen.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind mock");
    let addr = listener.local_addr().expect("mock address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

fn router(config: ProviderOptionsConfig) -> ProviderRouter {
    let options = ProviderOptions::try_from(config).expect("valid options");
    let clock = FakeClock::new(Utc.timestamp_opt(CREATED, 0).single().expect("valid time"));
    ProviderRouter::new(&options, Arc::new(clock)).expect("client builds")
}

fn request(addr: SocketAddr, path: &str, body: Value) -> ProviderRequest {
    let Value::Object(body) = body else {
        panic!("body must be an object");
    };
    let url = format!("http://{addr}{path}").parse().expect("valid URL");
    ProviderRequest::new(Operation::Chat, url)
        .with_body(body)
        .with_api_key(Some(ProviderApiKey::new("sk-ant-test")))
}

fn chat_body(extra: Value) -> Value {
    let mut body = json!({
        "model": "claude-test",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": [{"type": "text", "text": "Say it"}, {"type": "text", "text": "again"}]}
        ],
        "temperature": 0.3,
        "top_p": 0.8,
        "stop": ["\n\n", "END"],
        "frequency_penalty": 0.5,
        "user": "end-user-1"
    });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    body
}

/// The JSON payloads of the `data:` frames before `[DONE]`, and whether `[DONE]` ended them.
fn payloads(bytes: &[u8]) -> (Vec<Value>, bool) {
    let text = String::from_utf8_lossy(bytes);
    let mut values = Vec::new();
    let mut done = false;
    for frame in text.split_terminator("\n\n") {
        let data = frame
            .strip_prefix("data: ")
            .expect("every frame is a data line");
        if data == "[DONE]" {
            done = true;
        } else {
            values.push(serde_json::from_str(data).expect("frame is JSON"));
        }
    }
    (values, done)
}

async fn drain(mut stream: ChatStream) -> (Vec<u8>, Option<StreamError>) {
    let mut bytes = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(e) => return (bytes, Some(e)),
        }
    }
    (bytes, None)
}

fn chunk(delta: Value, finish_reason: Value) -> Value {
    json!({
        "id": "msg_02", "object": "chat.completion.chunk", "created": CREATED, "model": "claude-test",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}]
    })
}

#[tokio::test]
async fn request_is_translated_to_the_messages_api() {
    let (addr, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    router
        .call(
            ProviderKind::Anthropic,
            request(addr, "/v1/messages", chat_body(json!({}))),
        )
        .await
        .expect("chat succeeds");

    let (headers, received) = seen.last();
    assert_eq!(headers["x-api-key"], "sk-ant-test");
    assert_eq!(headers["anthropic-version"], "2023-06-01");
    assert!(headers.get(header::AUTHORIZATION).is_none());
    assert_eq!(
        received,
        json!({
            "model": "claude-test",
            "max_tokens": 1024,
            "system": "You are terse.",
            "messages": [
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello."},
                {"role": "user", "content": [{"type": "text", "text": "Say it"}, {"type": "text", "text": "again"}]}
            ],
            "temperature": 0.3,
            "top_p": 0.8,
            "stop_sequences": ["\n\n", "END"]
        })
    );
}

#[tokio::test]
async fn client_max_tokens_and_configured_default_are_used() {
    let (addr, seen) = mock().await;
    let router = router(ProviderOptionsConfig {
        anthropic_default_max_tokens: Some(77),
        ..Default::default()
    });
    router
        .call(
            ProviderKind::Anthropic,
            request(addr, "/v1/messages", chat_body(json!({}))),
        )
        .await
        .expect("chat succeeds");
    assert_eq!(seen.last().1["max_tokens"], 77);
    router
        .call(
            ProviderKind::Anthropic,
            request(addr, "/v1/messages", chat_body(json!({"max_tokens": 300}))),
        )
        .await
        .expect("chat succeeds");
    assert_eq!(seen.last().1["max_tokens"], 300);
}

#[tokio::test]
async fn response_is_translated_to_a_chat_completion() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let response = router
        .call(
            ProviderKind::Anthropic,
            request(addr, "/v1/messages", chat_body(json!({}))),
        )
        .await
        .expect("chat succeeds");

    assert_eq!(response.usage, Some(Usage::new(21, 7)));
    let body: Value = serde_json::from_slice(&response.body).expect("JSON body");
    assert_eq!(
        body,
        json!({
            "id": "msg_01",
            "object": "chat.completion",
            "created": CREATED,
            "model": "claude-test",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": "Hello world"},
                "logprobs": null,
                "finish_reason": "length"
            }],
            "usage": {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28}
        })
    );
}

#[tokio::test]
async fn stream_is_translated_to_openai_chunks_and_counts_tokens() {
    let (addr, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::Anthropic,
            request(addr, "/v1/messages", chat_body(json!({"stream": true}))),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;

    assert!(error.is_none(), "stream failed: {error:?}");
    assert_eq!(seen.last().1["stream"], true);
    assert!(bytes.ends_with(b"data: [DONE]\n\n"));
    let (chunks, done) = payloads(&bytes);
    assert!(done);
    assert_eq!(
        chunks,
        vec![
            chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            chunk(json!({"content": "Hello"}), Value::Null),
            chunk(json!({"content": " world"}), Value::Null),
            chunk(json!({}), json!("stop")),
        ]
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Completed));
    assert_eq!(progress.usage, Some(Usage::new(25, 15)));
    assert_eq!(progress.usage.map(|u| u.total_tokens), Some(40));
}

#[tokio::test]
async fn stream_adds_the_usage_chunk_when_the_client_asked() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let body = chat_body(json!({"stream": true, "stream_options": {"include_usage": true}}));
    let stream = router
        .stream(ProviderKind::Anthropic, request(addr, "/v1/messages", body))
        .await
        .expect("stream starts");
    let (bytes, error) = drain(stream).await;

    assert!(error.is_none(), "stream failed: {error:?}");
    let (chunks, done) = payloads(&bytes);
    assert!(done);
    assert_eq!(chunks.len(), 5);
    assert_eq!(
        chunks[4],
        json!({
            "id": "msg_02", "object": "chat.completion.chunk", "created": CREATED, "model": "claude-test",
            "choices": [],
            "usage": {"prompt_tokens": 25, "completion_tokens": 15, "total_tokens": 40}
        })
    );
}

#[tokio::test]
async fn error_event_becomes_an_openai_error_chunk_without_done() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::Anthropic,
            request(addr, "/overloaded", chat_body(json!({}))),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;

    assert!(error.is_none(), "stream failed: {error:?}");
    let (chunks, done) = payloads(&bytes);
    assert!(!done);
    assert_eq!(
        chunks.last(),
        Some(
            &json!({"error": {"message": "Overloaded", "type": "overloaded_error", "param": null, "code": null}})
        )
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::UpstreamError));
    assert_eq!(progress.usage, Some(Usage::new(25, 1)));
}

#[tokio::test]
async fn upstream_4xx_keeps_status_and_gets_openai_error_shape() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let err = router
        .call(
            ProviderKind::Anthropic,
            request(addr, "/rejects", chat_body(json!({}))),
        )
        .await
        .err();
    let Some(ProviderError::Upstream { status, body }) = err else {
        panic!("expected an upstream error, got {err:?}");
    };
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(&body).expect("JSON error body");
    assert_eq!(body["error"]["type"], "invalid_request_error");
    assert_eq!(body["error"]["message"], "max_tokens: too large");
}

#[tokio::test]
async fn untranslatable_request_is_rejected_before_sending() {
    let (addr, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let body = json!({"model": "claude-test", "messages": [{"role": "tool", "content": "x", "tool_call_id": "t"}]});
    let err = router
        .call(ProviderKind::Anthropic, request(addr, "/v1/messages", body))
        .await
        .err();
    assert!(
        matches!(&err, Some(ProviderError::InvalidRequest { field, .. }) if field == "messages[0].role"),
        "got {err:?}"
    );
    assert!(seen.0.lock().expect("lock").is_empty());
}

#[tokio::test]
async fn dropping_the_stream_midway_keeps_the_usage_seen_so_far() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let mut stream = router
        .stream(
            ProviderKind::Anthropic,
            request(addr, "/stall", chat_body(json!({}))),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let mut frames = 0;
    while frames < 2 {
        stream.next().await.and_then(Result::ok).expect("a frame");
        frames += 1;
    }
    assert_eq!(usage.snapshot().usage, Some(Usage::new(25, 1)));
    drop(stream);

    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Dropped));
    assert_eq!(progress.usage, Some(Usage::new(25, 1)));
}

#[tokio::test]
async fn stalled_stream_hits_the_idle_timeout() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig {
        idle_timeout_ms: Some(200),
        ..Default::default()
    });
    let stream = router
        .stream(
            ProviderKind::Anthropic,
            request(addr, "/stall", chat_body(json!({}))),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert_eq!(payloads(&bytes).0.len(), 2);
    assert!(
        matches!(error, Some(StreamError::IdleTimeout(_))),
        "got {error:?}"
    );
    assert_eq!(usage.finished().await.end, Some(StreamEnd::Failed));
}

#[tokio::test]
async fn stream_closed_without_message_stop_is_an_error() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::Anthropic,
            request(addr, "/truncated", chat_body(json!({}))),
        )
        .await
        .expect("stream starts");
    let (bytes, error) = drain(stream).await;
    assert!(!payloads(&bytes).1);
    assert!(
        matches!(error, Some(StreamError::UnexpectedEnd)),
        "got {error:?}"
    );
}

#[tokio::test]
async fn the_model_list_beside_the_messages_url_becomes_openais() {
    let (addr, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let url = format!("http://{addr}/v1/messages")
        .parse()
        .expect("valid URL");
    let answer = router
        .call(
            ProviderKind::Anthropic,
            ProviderRequest::new(Operation::Models, url)
                .with_api_key(Some(ProviderApiKey::new("sk-ant-test"))),
        )
        .await
        .expect("listed");
    assert_eq!(answer.usage, None);
    let (headers, received) = seen.last();
    assert_eq!(received["query"], "limit=1000");
    assert_eq!(headers["x-api-key"], "sk-ant-test");
    assert_eq!(headers["anthropic-version"], "2023-06-01");
    let body: Value = serde_json::from_slice(&answer.body).expect("JSON body");
    assert_eq!(
        body,
        json!({"object": "list", "data": [
            {"id": "claude-sonnet-4-20250514", "object": "model", "created": 1_747_872_000, "owned_by": "anthropic"},
            {"id": "claude-3-5-haiku-20241022", "object": "model", "created": 1_729_555_200, "owned_by": "anthropic"}
        ]})
    );
}
