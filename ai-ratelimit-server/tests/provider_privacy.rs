//! No prompt, completion, input text, image prompt or API key reaches a log line or an error
//! message, at any level, from any provider and operation.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ai_ratelimit_core::SystemClock;
use ai_ratelimit_server::provider::{
    Operation, ProviderApiKey, ProviderKind, ProviderOptions, ProviderRequest, ProviderRouter,
};
use axum::Router;
use axum::http::Uri;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
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

/// Answers every provider's every operation, each answer carrying [`MARKER`] where the real
/// one carries text; everything under `/fails` is a 500 whose body carries it too.
async fn everything(uri: Uri, body: String) -> Response {
    let path = uri.path();
    let stream = body.contains("\"stream\":true");
    let json_answer = |value: Value| {
        (
            [(header::CONTENT_TYPE, "application/json")],
            value.to_string(),
        )
            .into_response()
    };
    if path.starts_with("/fails") {
        return fails().await;
    }
    if path.ends_with("/responses") {
        let response = json!({"id": "r", "object": "response", "status": "completed",
            "output": [{"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": MARKER}]}],
            "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}});
        if stream {
            let delta = json!({"type": "response.output_text.delta", "delta": MARKER});
            let done = json!({"type": "response.completed", "response": response});
            return sse(format!(
                "event: response.output_text.delta\ndata: {delta}\n\nevent: response.completed\ndata: {done}\n\n"
            ));
        }
        return json_answer(response);
    }
    if path.ends_with("/embeddings") {
        return json_answer(
            json!({"object": "list", "data": [{"object": "embedding", "index": 0, "embedding": [0.5]}],
            "model": "m", "usage": {"prompt_tokens": 1, "total_tokens": 1}}),
        );
    }
    if path.ends_with("/images/generations") {
        return json_answer(
            json!({"created": 1, "data": [{"url": "https://example.com/i.png", "revised_prompt": MARKER}]}),
        );
    }
    if path.ends_with(":generateContent") || path.ends_with(":streamGenerateContent") {
        let chunk = json!({"candidates": [{"content": {"parts": [{"text": MARKER}], "role": "model"}, "finishReason": "STOP"}],
            "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2}});
        return if stream || path.ends_with(":streamGenerateContent") {
            sse(format!("data: {chunk}\r\n\r\n"))
        } else {
            json_answer(chunk)
        };
    }
    if path.ends_with(":batchEmbedContents") {
        return json_answer(json!({"embeddings": [{"values": [0.5]}]}));
    }
    if path == "/cohere/v2/chat" {
        if stream {
            let delta = json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": MARKER}}}});
            let end = json!({"type": "message-end", "delta": {"finish_reason": "COMPLETE",
                "usage": {"tokens": {"input_tokens": 1, "output_tokens": 1}}}});
            return sse(format!(
                "event: content-delta\ndata: {delta}\n\nevent: message-end\ndata: {end}\n\n"
            ));
        }
        return json_answer(json!({"id": "c", "finish_reason": "COMPLETE",
            "message": {"role": "assistant", "content": [{"type": "text", "text": MARKER}]},
            "usage": {"tokens": {"input_tokens": 1, "output_tokens": 1}}}));
    }
    if path == "/cohere/v2/embed" {
        return json_answer(
            json!({"id": "e", "embeddings": {"float": [[0.5]]}, "texts": [MARKER],
            "meta": {"billed_units": {"input_tokens": 1}}}),
        );
    }
    if path == "/anthropic" {
        return anthropic(body).await;
    }
    // OpenAI's and Azure's chat completions.
    openai(body).await
}

/// A request of `operation` whose every text field carries [`MARKER`].
fn marked(operation: Operation, url: String, stream: bool) -> ProviderRequest {
    let body = match operation {
        Operation::Responses => json!({"model": "m", "instructions": format!("be {MARKER}"),
            "input": [{"role": "user", "content": format!("user {MARKER}")}], "stream": stream}),
        Operation::Embeddings => json!({"model": "m", "input": [format!("text {MARKER}")]}),
        Operation::Images => json!({"model": "m", "prompt": format!("a cat {MARKER}")}),
        _ => json!({"model": "some-model", "stream": stream, "messages": [
            {"role": "system", "content": format!("system {MARKER}")},
            {"role": "user", "content": format!("user {MARKER}")}
        ]}),
    };
    let Value::Object(body) = body else {
        panic!("object literal");
    };
    ProviderRequest::new(operation, url.parse().expect("valid URL"))
        .with_body(body)
        .with_api_key(Some(ProviderApiKey::new(KEY)))
}

#[tokio::test]
async fn no_provider_or_operation_logs_inputs_outputs_or_keys() {
    let logs = LogBuffer::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let app = Router::new().fallback(any(everything));
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind mock");
    let addr = listener.local_addr().expect("mock address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let router = ProviderRouter::new(&ProviderOptions::default(), Arc::new(SystemClock))
        .expect("client builds");

    use Operation::{Chat, Embeddings, Images, Responses};
    use ProviderKind::{Anthropic, Azure, Cohere, Gemini, OpenAi};
    let openai_url = format!("http://{addr}/v1/chat/completions");
    let cases: Vec<(ProviderKind, String, Operation, bool)> = vec![
        (OpenAi, openai_url.clone(), Chat, true),
        (OpenAi, openai_url.clone(), Responses, false),
        (OpenAi, openai_url.clone(), Responses, true),
        (OpenAi, openai_url.clone(), Embeddings, false),
        (OpenAi, openai_url, Images, false),
        (Azure, format!("http://{addr}"), Chat, false),
        (Azure, format!("http://{addr}"), Chat, true),
        (Azure, format!("http://{addr}"), Responses, false),
        (Azure, format!("http://{addr}"), Embeddings, false),
        (Azure, format!("http://{addr}"), Images, false),
        (Anthropic, format!("http://{addr}/anthropic"), Chat, true),
        (Gemini, format!("http://{addr}/gemini"), Chat, false),
        (Gemini, format!("http://{addr}/gemini"), Chat, true),
        (Gemini, format!("http://{addr}/gemini"), Embeddings, false),
        (Cohere, format!("http://{addr}/cohere"), Chat, false),
        (Cohere, format!("http://{addr}/cohere"), Chat, true),
        (Cohere, format!("http://{addr}/cohere"), Embeddings, false),
    ];
    let mut failures = Vec::new();
    for (kind, url, operation, stream) in cases {
        let request = marked(operation, url, stream);
        let text = if stream {
            let stream = router.stream(kind, request).await.expect("stream starts");
            let frames: Vec<_> = stream.collect().await;
            frames
                .iter()
                .filter_map(|f| f.as_ref().ok())
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .collect()
        } else {
            let answer = router.call(kind, request).await.expect("answered");
            String::from_utf8_lossy(&answer.body).into_owned()
        };
        if operation != Embeddings {
            assert!(
                text.contains(MARKER),
                "{kind} {operation}: the answer reached the client"
            );
        }
    }
    for kind in [OpenAi, Azure, Anthropic, Gemini, Cohere] {
        for operation in [Chat, Embeddings] {
            if !kind.supports(operation) {
                continue;
            }
            let request = marked(
                operation,
                format!("http://{addr}/fails/v1/chat/completions"),
                false,
            );
            match router.call(kind, request).await {
                Err(e) => failures.push(e.to_string()),
                Ok(_) => panic!("{kind} {operation} under /fails succeeded"),
            }
        }
    }

    assert_eq!(failures.len(), 9);
    let logged = String::from_utf8_lossy(&logs.0.lock().expect("lock")).into_owned();
    for operation in ["responses", "embeddings", "images"] {
        assert!(
            logged.contains(&format!("operation=\"{operation}\"")),
            "metadata of {operation} calls is logged"
        );
    }
    for text in failures.iter().map(String::as_str).chain([logged.as_str()]) {
        assert!(!text.contains(MARKER), "message text leaked: {text}");
        assert!(!text.contains(KEY), "API key leaked: {text}");
    }
}
