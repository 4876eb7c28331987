//! The limiting proxy in front of a mock Anthropic Messages API: the OpenAI-format request is
//! translated, the answer comes back in OpenAI format (whole and streamed, on the proxy routes
//! and on the drop-in), and the tokens Anthropic reports (input + output) are what is counted.

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestServer};
use crate::proxy::{chat, identity_usage, project, proxy_post, wait_for_tokens};

const PROVIDER_KEY: &str = "sk-ant-e2e-key";
/// `usage` of the whole message: 21 in + 7 out.
const MESSAGE_TOKENS: u64 = 28;
/// `usage` of the stream: 25 in (message_start) + 15 out (message_delta, cumulative).
const STREAM_TOKENS: u64 = 40;

const MESSAGE: &str = r#"{"id":"msg_01","type":"message","role":"assistant","model":"claude-test","content":[{"type":"text","text":"Hello from Claude"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":21,"output_tokens":7}}"#;

const EVENTS: [(&str, &str); 7] = [
    (
        "message_start",
        r#"{"type":"message_start","message":{"id":"msg_02","type":"message","role":"assistant","content":[],"model":"claude-test","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":25,"output_tokens":1}}}"#,
    ),
    (
        "content_block_start",
        r#"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#,
    ),
    (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}"#,
    ),
    (
        "content_block_delta",
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" Claude"}}"#,
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
];

/// Every request body the mock received, with its headers.
type Seen = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

async fn messages(State(seen): State<Seen>, headers: HeaderMap, body: String) -> Response {
    let json: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let streaming = json["stream"] == true;
    let authorized = headers.get("x-api-key").and_then(|v| v.to_str().ok()) == Some(PROVIDER_KEY)
        && headers.contains_key("anthropic-version");
    seen.lock().expect("lock").push((headers, json));
    if !authorized {
        return (
            AxumStatus::UNAUTHORIZED,
            r#"{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}"#,
        )
            .into_response();
    }
    if streaming {
        let text: String = EVENTS
            .iter()
            .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
            .collect();
        ([(header::CONTENT_TYPE, "text/event-stream")], text).into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], MESSAGE).into_response()
    }
}

async fn mock_anthropic() -> (String, Seen) {
    let seen = Seen::default();
    let app = Router::new()
        .route("/v1/messages", post(messages))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind mock");
    let url = format!(
        "http://{}/v1/messages",
        listener.local_addr().expect("address")
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

async fn drop_in(s: &TestServer, key: &str, body: &Value) -> crate::harness::Reply {
    TestServer::reply(
        s.client
            .post(format!("{}/api/v1/openai/chat/completions", s.base))
            .bearer_auth(key)
            .header("x-identity", "ann")
            .json(body)
            .send()
            .await
            .expect("sent"),
    )
    .await
}

/// The text of every `delta.content` in an OpenAI-format SSE body, joined.
fn streamed_text(sse: &str) -> String {
    sse.lines()
        .filter_map(|line| line.strip_prefix("data: "))
        .filter(|data| *data != "[DONE]")
        .filter_map(|data| serde_json::from_str::<Value>(data).ok())
        .filter_map(|chunk| {
            chunk["choices"][0]["delta"]["content"]
                .as_str()
                .map(str::to_owned)
        })
        .collect()
}

async fn anthropic_through_every_route(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let (url, seen) = mock_anthropic().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "claude", "provider": "anthropic", "baseUrl": url,
            "providerApiKey": PROVIDER_KEY, "limitType": "both", "dailyRequestLimit": 10, "dailyTokenLimit": 100000}),
    )
    .await;

    // Non-streaming through the proxy: translated to a chat.completion.
    let mut body = chat("ann");
    body["max_tokens"] = json!(64);
    body["messages"] = json!([
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"}
    ]);
    let whole = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &body).await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.text);
    assert_eq!(whole.body["object"], "chat.completion");
    assert_eq!(
        whole.body["choices"][0]["message"]["content"],
        "Hello from Claude"
    );
    assert_eq!(whole.body["usage"]["total_tokens"], MESSAGE_TOKENS);
    assert_eq!(whole.headers["x-ratelimit-remaining-requests"], "9");
    let (_, sent) = seen
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a request");
    assert_eq!(sent["system"], "Be brief.", "system prompt translated");
    assert_eq!(sent["max_tokens"], 64);
    assert!(sent.get("identity").is_none());
    assert_eq!(
        wait_for_tokens(&s, &jwt, &id, "ann", MESSAGE_TOKENS).await,
        MESSAGE_TOKENS
    );

    // Streaming through the proxy: OpenAI chunks ending with [DONE].
    let streamed = proxy_post(&s, "/api/v1/proxy/chat/stream", Some(&key), &chat("ann")).await;
    assert_eq!(streamed.status, StatusCode::OK, "{}", streamed.text);
    assert_eq!(streamed.headers["content-type"], "text/event-stream");
    assert_eq!(streamed_text(&streamed.text), "Hello Claude");
    assert!(
        streamed.text.ends_with("data: [DONE]\n\n"),
        "{}",
        streamed.text
    );
    let total = MESSAGE_TOKENS + STREAM_TOKENS;
    assert_eq!(wait_for_tokens(&s, &jwt, &id, "ann", total).await, total);

    // The OpenAI drop-in, whole and streamed, with the identity from x-identity.
    let plain = json!({"model": "claude-test", "messages": [{"role": "user", "content": "Hi"}]});
    let whole = drop_in(&s, &key, &plain).await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.text);
    assert_eq!(
        whole.body["choices"][0]["message"]["content"],
        "Hello from Claude"
    );
    let mut streaming = plain.clone();
    streaming["stream"] = json!(true);
    streaming["stream_options"] = json!({"include_usage": true});
    let streamed = drop_in(&s, &key, &streaming).await;
    assert_eq!(streamed.status, StatusCode::OK, "{}", streamed.text);
    assert_eq!(streamed_text(&streamed.text), "Hello Claude");
    assert!(
        streamed
            .text
            .contains(&format!("\"total_tokens\":{STREAM_TOKENS}")),
        "usage chunk asked for: {}",
        streamed.text
    );
    let total = 2 * (MESSAGE_TOKENS + STREAM_TOKENS);
    assert_eq!(wait_for_tokens(&s, &jwt, &id, "ann", total).await, total);
    let row = identity_usage(&s, &jwt, &id, "ann").await.expect("row");
    assert_eq!(row["requestsUsed"], 4);
    assert_eq!(seen.lock().expect("lock").len(), 4);

    s.state.request_log.flush().await;
    let summary = s
        .get(&format!("/api/projects/{id}/usage/summary"), Some(&jwt))
        .await;
    assert_eq!(summary.body["totalRequests"], 4, "{}", summary.text);
    assert_eq!(summary.body["totalTokens"], total, "{}", summary.text);
    s.stop().await;
}

crate::on_every_backend!(anthropic_through_every_route);
