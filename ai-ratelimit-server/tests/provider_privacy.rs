//! No prompt, completion or API key reaches a log line, at any level, from either provider.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ai_ratelimit_core::SystemClock;
use ai_ratelimit_server::provider::{
    Operation, ProviderApiKey, ProviderKind, ProviderOptions, ProviderRequest, ProviderRouter,
};
use axum::Router;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::net::TcpListener;

const MARKER: &str = "PRIVATE-MARKER-7f3a";
const KEY: &str = "sk-KEY-MARKER-91c2";

/// Collects every formatted log line in memory.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn sse(body: String) -> Response {
    ([(header::CONTENT_TYPE, "text/event-stream")], body).into_response()
}

async fn openai(body: String) -> Response {
    if body.contains("\"stream\":true") {
        let chunk = json!({"choices": [{"index": 0, "delta": {"content": MARKER}}]});
        let usage = json!({"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}});
        sse(format!(
            "data: {chunk}\n\ndata: {usage}\n\ndata: [DONE]\n\n"
        ))
    } else {
        let completion = json!({
            "choices": [{"index": 0, "message": {"role": "assistant", "content": MARKER}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}
        });
        (
            [(header::CONTENT_TYPE, "application/json")],
            completion.to_string(),
        )
            .into_response()
    }
}

async fn anthropic(body: String) -> Response {
    if body.contains("\"stream\":true") {
        let start = json!({"type": "message_start", "message": {"id": "m", "model": "c", "usage": {"input_tokens": 1, "output_tokens": 1}}});
        let delta = json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": MARKER}});
        sse(format!(
            "event: message_start\ndata: {start}\n\nevent: content_block_delta\ndata: {delta}\n\nevent: message_stop\ndata: {{\"type\":\"message_stop\"}}\n\n"
        ))
    } else {
        let message = json!({"id": "m", "model": "c", "content": [{"type": "text", "text": MARKER}], "stop_reason": "end_turn", "usage": {"input_tokens": 1, "output_tokens": 1}});
        (
            [(header::CONTENT_TYPE, "application/json")],
            message.to_string(),
        )
            .into_response()
    }
}

async fn fails() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        format!("{{\"error\":{{\"message\":\"{MARKER}\"}}}}"),
    )
        .into_response()
}

async fn mock() -> SocketAddr {
    let app = Router::new()
        .route("/openai", post(openai))
        .route("/anthropic", post(anthropic))
        .route("/fails", post(fails));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind mock");
    let addr = listener.local_addr().expect("mock address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn request(addr: SocketAddr, path: &str, stream: bool) -> ProviderRequest {
    let body = json!({
        "model": "some-model",
        "messages": [
            {"role": "system", "content": format!("system {MARKER}")},
            {"role": "user", "content": format!("user {MARKER}")}
        ],
        "stream": stream
    });
    let Value::Object(body) = body else {
        panic!("object literal");
    };
    let url = format!("http://{addr}{path}").parse().expect("valid URL");
    ProviderRequest::new(Operation::Chat, url)
        .with_body(body)
        .with_api_key(Some(ProviderApiKey::new(KEY)))
}

#[tokio::test]
async fn trace_logs_carry_no_prompt_completion_or_key() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    // The test runtime is single-threaded, so the mock and the client log through this too.
    let _guard = tracing::subscriber::set_default(subscriber);

    let addr = mock().await;
    let router = ProviderRouter::new(&ProviderOptions::default(), Arc::new(SystemClock))
        .expect("client builds");
    let mut errors = Vec::new();
    for (kind, path) in [
        (ProviderKind::OpenAi, "/openai"),
        (ProviderKind::Anthropic, "/anthropic"),
        (ProviderKind::OpenAi, "/fails"),
        (ProviderKind::Anthropic, "/fails"),
    ] {
        match router.call(kind, request(addr, path, false)).await {
            Ok(response) => assert!(String::from_utf8_lossy(&response.body).contains(MARKER)),
            Err(e) => errors.push(e.to_string()),
        }
        match router.stream(kind, request(addr, path, true)).await {
            Ok(stream) => {
                let frames: Vec<_> = stream.collect().await;
                let text: String = frames
                    .iter()
                    .filter_map(|f| f.as_ref().ok())
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .collect();
                assert!(text.contains(MARKER), "the completion reached the client");
            }
            Err(e) => errors.push(e.to_string()),
        }
    }

    assert_eq!(errors.len(), 4, "each /fails call failed");
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("lock")).into_owned();
    assert!(logged.contains("upstream answered"), "metadata is logged");
    assert!(
        logged.contains("upstream request failed"),
        "failures are logged"
    );
    for text in errors.iter().map(String::as_str).chain([logged.as_str()]) {
        assert!(!text.contains(MARKER), "message text leaked: {text}");
        assert!(!text.contains(KEY), "API key leaked: {text}");
    }
}
