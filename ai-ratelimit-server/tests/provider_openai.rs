//! The OpenAI provider against a mock OpenAI upstream started by each test.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ai_ratelimit_core::SystemClock;
use ai_ratelimit_server::provider::{
    ChatStream, Operation, ProviderApiKey, ProviderError, ProviderKind, ProviderOptions,
    ProviderOptionsConfig, ProviderRequest, ProviderRouter, StreamEnd, StreamError, StreamUsage,
    TimeoutPhase, Usage,
};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpListener;

/// A completion with odd spacing and key order: pass-through must keep these exact bytes.
const COMPLETION: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":"gpt-test",  "choices":[{"index":0,"message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":4,"total_tokens":15} , "system_fingerprint":null}"#;

/// Upstream SSE events in order; the fourth is the usage-only chunk.
const EVENTS: [&str; 5] = [
    r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"usage":null}"#,
    r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}] ,"usage":null, "x_extra": 1.50}"#,
    r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":null}"#,
    r#"data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"gpt-test","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"#,
    "data: [DONE]",
];

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<(HeaderMap, Value)>>>);

impl Seen {
    fn record(&self, headers: HeaderMap, body: &Bytes) {
        let json = serde_json::from_slice(body).unwrap_or(Value::Null);
        self.0.lock().expect("lock").push((headers, json));
    }
    fn last(&self) -> (HeaderMap, Value) {
        self.0
            .lock()
            .expect("lock")
            .last()
            .cloned()
            .expect("a request reached the mock")
    }
}

fn sse_bytes() -> String {
    sse(&EVENTS)
}

/// Events as an SSE body.
fn sse(events: &[&str]) -> String {
    events.iter().map(|e| format!("{e}\n\n")).collect()
}

/// Serves the events split at odd byte positions, so frames straddle network chunks.
fn sse_response(body: String) -> Response {
    let bytes = body.into_bytes();
    let chunks: Vec<Result<Bytes, std::io::Error>> = bytes
        .chunks(37)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(futures::stream::iter(chunks)),
    )
        .into_response()
}

async fn completions(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> Response {
    seen.record(headers, &body);
    let streaming = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|b| b.get("stream").and_then(Value::as_bool))
        .unwrap_or(false);
    if streaming {
        sse_response(sse_bytes())
    } else {
        ([(header::CONTENT_TYPE, "application/json")], COMPLETION).into_response()
    }
}

async fn failing(State(seen): State<Seen>, headers: HeaderMap, body: Bytes) -> Response {
    seen.record(headers, &body);
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        r#"{"error":{"message":"boom","type":"server_error"}}"#,
    )
        .into_response()
}

async fn never_answers() -> Response {
    std::future::pending::<()>().await;
    StatusCode::OK.into_response()
}

/// Sends the first two events, then stalls without closing.
async fn stalls() -> Response {
    let first = sse(&EVENTS[..2]);
    let body = futures::stream::iter([Ok::<_, std::io::Error>(Bytes::from(first))])
        .chain(futures::stream::pending());
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(body),
    )
        .into_response()
}

/// An upstream error object after the first two events; then the upstream closes, without
/// `[DONE]` (as OpenAI does).
const STREAM_ERROR: &str =
    r#"data: {"error":{"message":"the model is overloaded","type":"server_error","code":null}}"#;

/// What `/error-midway` sends.
const ERROR_MIDWAY: [&str; 3] = [EVENTS[0], EVENTS[1], STREAM_ERROR];

async fn error_midway() -> Response {
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        sse(&ERROR_MIDWAY),
    )
        .into_response()
}

async fn mock() -> (SocketAddr, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/v1/chat/completions", post(completions))
        .route("/fail", post(failing))
        .route("/hang", post(never_answers))
        .route("/stall", post(stalls))
        .route("/error-midway", post(error_midway))
        .with_state(seen.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind mock");
    let addr = listener.local_addr().expect("mock address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, seen)
}

fn router(config: ProviderOptionsConfig) -> ProviderRouter {
    let options = ProviderOptions::try_from(config).expect("valid options");
    ProviderRouter::new(&options, Arc::new(SystemClock)).expect("client builds")
}

fn request(router: &ProviderRouter, url: String, body: Value) -> ProviderRequest {
    let Value::Object(body) = body else {
        panic!("body must be an object");
    };
    let url = router
        .upstream_url(ProviderKind::OpenAi, Some(&url))
        .expect("mock URL is valid");
    ProviderRequest::new(Operation::Chat, url)
        .with_body(body)
        .with_api_key(Some(ProviderApiKey::new("sk-test-key")))
}

fn chat_body(extra: Value) -> Value {
    let mut body = json!({
        "model": "gpt-test",
        "messages": [{"role": "user", "content": "Say hi"}],
        "temperature": 0.2
    });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    body
}

/// Streams a chat from the mock's `path` and reads it to its end: the bytes, the error it
/// stopped on, and its usage.
async fn stream_from(
    path: &str,
    config: ProviderOptionsConfig,
) -> (Vec<u8>, Option<StreamError>, StreamUsage) {
    let (addr, _) = mock().await;
    let router = router(config);
    let req = request(
        &router,
        format!("http://{addr}{path}"),
        chat_body(json!({"stream": true})),
    );
    let stream = router
        .stream(ProviderKind::OpenAi, req)
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    (bytes, error, usage)
}

/// Reads a stream to its end: the bytes and the error it stopped on, if any.
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

#[tokio::test]
async fn chat_passes_body_through_and_reads_usage() {
    let (addr, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let sent = chat_body(json!({"user": "u-1", "seed": 7}));
    let response = router
        .call(
            ProviderKind::OpenAi,
            request(
                &router,
                format!("http://{addr}/v1/chat/completions"),
                sent.clone(),
            ),
        )
        .await
        .expect("chat succeeds");

    assert_eq!(response.body, Bytes::from_static(COMPLETION.as_bytes()));
    assert_eq!(response.usage, Some(Usage::new(11, 4)));
    let (headers, received) = seen.last();
    assert_eq!(received, sent);
    assert_eq!(headers[header::AUTHORIZATION], "Bearer sk-test-key");
}

#[tokio::test]
async fn chat_drops_streaming_fields() {
    let (addr, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let sent = chat_body(json!({"stream": false, "stream_options": {"include_usage": true}}));
    router
        .call(
            ProviderKind::OpenAi,
            request(&router, format!("http://{addr}/v1/chat/completions"), sent),
        )
        .await
        .expect("chat succeeds");
    assert_eq!(seen.last().1, chat_body(json!({})));
}

#[tokio::test]
async fn stream_is_byte_for_byte_and_hides_the_usage_chunk_by_default() {
    let (addr, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let sent = chat_body(json!({"stream": true, "stream_options": {"include_obfuscation": false}}));
    let stream = router
        .stream(
            ProviderKind::OpenAi,
            request(&router, format!("http://{addr}/v1/chat/completions"), sent),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;

    assert!(error.is_none(), "stream failed: {error:?}");
    let expected = sse(&[EVENTS[0], EVENTS[1], EVENTS[2], EVENTS[4]]);
    assert_eq!(String::from_utf8_lossy(&bytes), expected);
    assert!(bytes.ends_with(b"data: [DONE]\n\n"));

    let (_, received) = seen.last();
    assert_eq!(received["stream"], true);
    assert_eq!(
        received["stream_options"],
        json!({"include_obfuscation": false, "include_usage": true})
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Completed));
    assert_eq!(progress.usage, Some(Usage::new(9, 3)));
}

#[tokio::test]
async fn stream_shows_the_usage_chunk_when_the_client_asked() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let sent = chat_body(json!({"stream": true, "stream_options": {"include_usage": true}}));
    let stream = router
        .stream(
            ProviderKind::OpenAi,
            request(&router, format!("http://{addr}/v1/chat/completions"), sent),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;

    assert!(error.is_none(), "stream failed: {error:?}");
    assert_eq!(String::from_utf8_lossy(&bytes), sse_bytes());
    assert_eq!(usage.finished().await.usage, Some(Usage::new(9, 3)));
}

#[tokio::test]
async fn upstream_500_is_an_error_with_status_and_body() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    for streaming in [false, true] {
        let req = request(&router, format!("http://{addr}/fail"), chat_body(json!({})));
        let err = if streaming {
            router.stream(ProviderKind::OpenAi, req).await.err()
        } else {
            router.call(ProviderKind::OpenAi, req).await.err()
        };
        match err {
            Some(ProviderError::Upstream { status, body }) => {
                assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
                assert_eq!(
                    &body[..],
                    br#"{"error":{"message":"boom","type":"server_error"}}"#
                );
            }
            other => panic!("expected an upstream error, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    // Bind then free a port, so nothing listens on it.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    let router = router(ProviderOptionsConfig::default());
    let req = request(
        &router,
        format!("http://{addr}/v1/chat/completions"),
        chat_body(json!({})),
    );
    let err = router.call(ProviderKind::OpenAi, req).await.err();
    assert!(
        matches!(err, Some(ProviderError::Connect(_))),
        "got {err:?}"
    );
}

#[tokio::test]
async fn missing_response_headers_hit_the_first_byte_timeout() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig {
        first_byte_timeout_ms: Some(200),
        ..Default::default()
    });
    for streaming in [false, true] {
        let req = request(&router, format!("http://{addr}/hang"), chat_body(json!({})));
        let err = if streaming {
            router.stream(ProviderKind::OpenAi, req).await.err()
        } else {
            router.call(ProviderKind::OpenAi, req).await.err()
        };
        assert!(
            matches!(err, Some(ProviderError::Timeout(TimeoutPhase::FirstByte))),
            "got {err:?}"
        );
    }
}

/// An error object inside the stream is passed on and ends the stream cleanly as the
/// upstream's error, not with a transport error that could cost the client the frame.
#[tokio::test]
async fn an_error_object_midway_ends_the_stream_as_an_upstream_error() {
    let (bytes, error, usage) =
        stream_from("/error-midway", ProviderOptionsConfig::default()).await;

    assert!(error.is_none(), "stream failed: {error:?}");
    assert_eq!(String::from_utf8_lossy(&bytes), sse(&ERROR_MIDWAY));
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::UpstreamError));
}

#[tokio::test]
async fn stalled_stream_hits_the_idle_timeout_after_passing_what_came() {
    let (bytes, error, usage) = stream_from(
        "/stall",
        ProviderOptionsConfig {
            idle_timeout_ms: Some(200),
            ..Default::default()
        },
    )
    .await;

    let first_two = sse(&EVENTS[..2]);
    assert_eq!(String::from_utf8_lossy(&bytes), first_two);
    assert!(
        matches!(error, Some(StreamError::IdleTimeout(_))),
        "got {error:?}"
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Failed));
    assert_eq!(progress.usage, None);
}

#[tokio::test]
async fn dropping_the_stream_midway_settles_its_usage_as_dropped() {
    let (addr, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let req = request(
        &router,
        format!("http://{addr}/stall"),
        chat_body(json!({"stream": true})),
    );
    let mut stream = router
        .stream(ProviderKind::OpenAi, req)
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let first = stream
        .next()
        .await
        .and_then(Result::ok)
        .expect("a first frame");
    assert!(first.starts_with(b"data: "));
    drop(stream);

    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Dropped));
    // OpenAI reports usage only at the end: the caller falls back to its estimate.
    assert_eq!(progress.usage, None);
}

/// A minimal proxy: forwards to `upstream` and answers with the stream as an axum body.
#[derive(Clone)]
struct Relay {
    router: Arc<ProviderRouter>,
    upstream: String,
    usage: Arc<Mutex<Option<StreamUsage>>>,
}

async fn relay(State(relay): State<Relay>, body: Bytes) -> Response {
    let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let req = request(&relay.router, relay.upstream.clone(), body);
    match relay.router.stream(ProviderKind::OpenAi, req).await {
        Ok(stream) => {
            *relay.usage.lock().expect("lock") = Some(stream.usage());
            (
                [(header::CONTENT_TYPE, "text/event-stream")],
                Body::from_stream(stream),
            )
                .into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}

async fn start_relay(upstream: String) -> (SocketAddr, Arc<Mutex<Option<StreamUsage>>>) {
    let usage = Arc::new(Mutex::new(None));
    let state = Relay {
        router: Arc::new(router(ProviderOptionsConfig::default())),
        upstream,
        usage: usage.clone(),
    };
    let app = Router::new().route("/relay", post(relay)).with_state(state);
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind relay");
    let addr = listener.local_addr().expect("relay address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    (addr, usage)
}

fn taken(slot: &Mutex<Option<StreamUsage>>) -> StreamUsage {
    slot.lock()
        .expect("lock")
        .take()
        .expect("the relay started a stream")
}

#[tokio::test]
async fn stream_relays_through_an_axum_body_unchanged() {
    let (upstream, _) = mock().await;
    let (relay_addr, usage) = start_relay(format!("http://{upstream}/v1/chat/completions")).await;
    let body = chat_body(json!({"stream": true, "stream_options": {"include_usage": true}}));
    let response = reqwest::Client::new()
        .post(format!("http://{relay_addr}/relay"))
        .json(&body)
        .send()
        .await
        .expect("relay answers");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = response.bytes().await.expect("whole body");
    assert_eq!(String::from_utf8_lossy(&bytes), sse_bytes());
    assert_eq!(taken(&usage).finished().await.usage, Some(Usage::new(9, 3)));
}

#[tokio::test]
async fn client_disconnect_midway_ends_the_stream_as_dropped() {
    let (upstream, _) = mock().await;
    let (relay_addr, usage) = start_relay(format!("http://{upstream}/stall")).await;
    let mut response = reqwest::Client::new()
        .post(format!("http://{relay_addr}/relay"))
        .json(&chat_body(json!({"stream": true})))
        .send()
        .await
        .expect("relay answers");
    let first = response
        .chunk()
        .await
        .expect("readable")
        .expect("a first chunk");
    assert!(first.starts_with(b"data: "));
    drop(response);

    // The bound only keeps a broken build from hanging; it asserts nothing about speed.
    let progress =
        tokio::time::timeout(std::time::Duration::from_secs(30), taken(&usage).finished())
            .await
            .expect("the relay noticed the disconnect");
    assert_eq!(progress.end, Some(StreamEnd::Dropped));
}
