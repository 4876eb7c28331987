//! Cohere against a mock replaying its documented wire format: v2 chat (whole and streamed
//! events), `usage.tokens`, v2 embed, the v1 model list and Cohere's error bodies.

mod support;

use ai_ratelimit_server::provider::{
    CohereInputType, CohereSafetyMode, CohereSettings, Operation, ProviderError, ProviderKind,
    ProviderOptionsConfig, ProviderRequest, ProviderSettings, StreamEnd, StreamError, Usage,
};
use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use bytes::Bytes;
use serde_json::{Value, json};
use support::{CREATED, Seen, chat_payloads, drain, named_events, router, serve, sse};

const CHAT: &str = r#"{"id":"c14c80c3-18eb-4519-9460-6c92edd8cfb4","finish_reason":"MAX_TOKENS","message":{"role":"assistant","content":[{"type":"text","text":"Hello world"}]},"usage":{"billed_units":{"input_tokens":5,"output_tokens":3},"tokens":{"input_tokens":71,"output_tokens":3}}}"#;

const EVENTS: [(&str, &str); 6] = [
    (
        "message-start",
        r#"{"id":"29f14a5a-11de-4cae-9800-25e4747408ea","type":"message-start","delta":{"message":{"role":"assistant","content":[],"tool_plan":"","tool_calls":[],"citations":[]}}}"#,
    ),
    (
        "content-start",
        r#"{"type":"content-start","index":0,"delta":{"message":{"content":{"type":"text","text":""}}}}"#,
    ),
    (
        "content-delta",
        r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":"Hello"}}}}"#,
    ),
    (
        "content-delta",
        r#"{"type":"content-delta","index":0,"delta":{"message":{"content":{"text":" world"}}}}"#,
    ),
    ("content-end", r#"{"type":"content-end","index":0}"#),
    (
        "message-end",
        r#"{"type":"message-end","delta":{"finish_reason":"COMPLETE","usage":{"billed_units":{"input_tokens":5,"output_tokens":2},"tokens":{"input_tokens":71,"output_tokens":2}}}}"#,
    ),
];

const EMBED: &str = r#"{"id":"da6e531f-54c6-4a73-bf92-f60566d8d753","embeddings":{"float":[[0.016296387,-0.008354187],[0.25,0.5]]},"texts":["hello","world"],"meta":{"api_version":{"version":"2"},"billed_units":{"input_tokens":2}},"response_type":"embeddings_by_type"}"#;

async fn upstream(
    seen: Seen,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    seen.record(method.clone(), &uri, headers, &body);
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let ok =
        |text: &'static str| ([(header::CONTENT_TYPE, "application/json")], text).into_response();
    let failure = |status: StatusCode, message: &'static str| {
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            json!({"id": "5cb1b7e1-0000-4000-8000-000000000000", "message": message}).to_string(),
        )
            .into_response()
    };
    match (uri.path(), json["model"].as_str()) {
        ("/v2/chat", Some("trial")) => failure(
            StatusCode::TOO_MANY_REQUESTS,
            "You are using a Trial key, which is limited to 10 API calls / minute.",
        ),
        ("/v2/chat", Some("unauthorized")) => {
            failure(StatusCode::UNAUTHORIZED, "invalid api token")
        }
        ("/v2/chat", Some("cut")) => sse(named_events(&EVENTS[..4])),
        ("/v2/chat", _) if json["stream"] == true => sse(named_events(&EVENTS)),
        ("/v2/chat", _) => ok(CHAT),
        ("/v2/embed", _) => ok(EMBED),
        ("/v1/models", _) => ok(
            r#"{"models":[{"name":"command-r-plus","endpoints":["generate","chat","summarize"],"finetuned":false,"context_length":128000},{"name":"embed-english-v3.0","endpoints":["embed"],"finetuned":false,"context_length":512}],"next_page_token":""}"#,
        ),
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn mock() -> (String, Seen) {
    let seen = Seen::default();
    let state = seen.clone();
    let app = Router::new().fallback(any(move |method, uri, headers, body| {
        upstream(state.clone(), method, uri, headers, body)
    }));
    let addr = serve(app).await;
    (format!("http://{addr}"), seen)
}

fn cohere(operation: Operation, root: &str, body: Value) -> ProviderRequest {
    let settings = ProviderSettings {
        cohere: Some(CohereSettings {
            safety_mode: Some(CohereSafetyMode::Contextual),
            embedding_input_type: Some(CohereInputType::SearchQuery),
        }),
        ..Default::default()
    };
    support::request(operation, root.to_owned(), body, settings, "co-key-1")
}

fn chat_body(model: &str, extra: Value) -> Value {
    let mut body = json!({
        "model": model,
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": [{"type": "text", "text": "Say it "}, {"type": "text", "text": "again"}]}
        ],
        "temperature": 0.3, "top_p": 0.8, "max_tokens": 50, "stop": "END", "frequency_penalty": 0.1, "user": "u-1"
    });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    body
}

fn chunk(delta: Value, finish_reason: Value) -> Value {
    json!({
        "id": "29f14a5a-11de-4cae-9800-25e4747408ea", "object": "chat.completion.chunk", "created": CREATED,
        "model": "command-r-plus",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}]
    })
}

#[tokio::test]
async fn chat_is_translated_to_v2_chat() {
    let (root, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    router
        .call(
            ProviderKind::Cohere,
            cohere(
                Operation::Chat,
                &root,
                chat_body("command-r-plus", json!({})),
            ),
        )
        .await
        .expect("answered");
    let received = seen.last();
    assert_eq!(received.uri, "/v2/chat");
    assert_eq!(received.headers[header::AUTHORIZATION], "Bearer co-key-1");
    assert_eq!(
        received.body,
        json!({
            "model": "command-r-plus",
            "messages": [
                {"role": "system", "content": "You are terse."},
                {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "Hello."},
                {"role": "user", "content": "Say it again"}
            ],
            "temperature": 0.3, "p": 0.8, "frequency_penalty": 0.1, "max_tokens": 50,
            "stop_sequences": ["END"], "safety_mode": "CONTEXTUAL"
        })
    );
}

#[tokio::test]
async fn the_answer_is_a_chat_completion_counting_usage_tokens() {
    let (root, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let answer = router
        .call(
            ProviderKind::Cohere,
            cohere(
                Operation::Chat,
                &root,
                chat_body("command-r-plus", json!({})),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(
        answer.usage,
        Some(Usage::new(71, 3)),
        "usage.tokens, not billed_units"
    );
    let body: Value = serde_json::from_slice(&answer.body).expect("json");
    assert_eq!(
        body,
        json!({
            "id": "c14c80c3-18eb-4519-9460-6c92edd8cfb4", "object": "chat.completion", "created": CREATED,
            "model": "command-r-plus",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello world"},
                "logprobs": null, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 71, "completion_tokens": 3, "total_tokens": 74}
        })
    );
}

#[tokio::test]
async fn the_stream_is_translated_and_ends_at_message_end() {
    let (root, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::Cohere,
            cohere(
                Operation::Chat,
                &root,
                chat_body(
                    "command-r-plus",
                    json!({"stream": true, "stream_options": {"include_usage": true}}),
                ),
            ),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(seen.last().body["stream"], true);
    let (chunks, done) = chat_payloads(&bytes);
    assert!(done);
    let mut usage_chunk = chunk(Value::Null, Value::Null);
    usage_chunk["choices"] = json!([]);
    usage_chunk["usage"] = json!({"prompt_tokens": 71, "completion_tokens": 2, "total_tokens": 73});
    assert_eq!(
        chunks,
        [
            chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            chunk(json!({"content": "Hello"}), Value::Null),
            chunk(json!({"content": " world"}), Value::Null),
            chunk(json!({}), json!("stop")),
            usage_chunk,
        ]
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Completed));
    assert_eq!(progress.usage, Some(Usage::new(71, 2)));
}

#[tokio::test]
async fn a_stream_closed_before_message_end_is_an_unexpected_end() {
    let (root, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::Cohere,
            cohere(Operation::Chat, &root, chat_body("cut", json!({}))),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert_eq!(
        chat_payloads(&bytes).0.len(),
        3,
        "message-start and both deltas passed"
    );
    assert!(
        matches!(error, Some(StreamError::UnexpectedEnd)),
        "{error:?}"
    );
    let progress = usage.finished().await;
    assert_eq!(
        (progress.end, progress.usage),
        (Some(StreamEnd::Failed), None)
    );
}

#[tokio::test]
async fn errors_keep_their_status_in_openais_shape() {
    let (root, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    for (model, status, kind) in [
        ("trial", StatusCode::TOO_MANY_REQUESTS, "rate_limit_error"),
        (
            "unauthorized",
            StatusCode::UNAUTHORIZED,
            "authentication_error",
        ),
    ] {
        let err = router
            .call(
                ProviderKind::Cohere,
                cohere(Operation::Chat, &root, chat_body(model, json!({}))),
            )
            .await
            .err();
        let Some(ProviderError::Upstream { status: got, body }) = err else {
            panic!("expected an upstream error, got {err:?}");
        };
        assert_eq!(got, status);
        let body: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(body["error"]["type"], kind);
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[tokio::test]
async fn embeddings_use_v2_embed_and_count_billed_input_tokens() {
    let (root, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let answer = router
        .call(
            ProviderKind::Cohere,
            cohere(
                Operation::Embeddings,
                &root,
                json!({"model": "embed-english-v3.0", "input": ["hello", "world"]}),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(answer.usage, Some(Usage::new(2, 0)));
    let received = seen.last();
    assert_eq!(received.uri, "/v2/embed");
    assert_eq!(
        received.body,
        json!({"model": "embed-english-v3.0", "texts": ["hello", "world"], "input_type": "search_query",
            "embedding_types": ["float"]})
    );
    let body: Value = serde_json::from_slice(&answer.body).expect("json");
    assert_eq!(
        body,
        json!({"object": "list", "model": "embed-english-v3.0",
            "data": [
                {"object": "embedding", "index": 0, "embedding": [0.016296387, -0.008354187]},
                {"object": "embedding", "index": 1, "embedding": [0.25, 0.5]}
            ],
            "usage": {"prompt_tokens": 2, "total_tokens": 2}})
    );
}

#[tokio::test]
async fn the_model_list_is_openais() {
    let (root, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let answer = router
        .call(
            ProviderKind::Cohere,
            cohere(Operation::Models, &root, json!({})),
        )
        .await
        .expect("answered");
    let received = seen.last();
    assert_eq!(
        (received.method, received.uri.as_str()),
        (Method::GET, "/v1/models?page_size=1000")
    );
    let body: Value = serde_json::from_slice(&answer.body).expect("json");
    assert_eq!(
        body["data"],
        json!([
            {"id": "command-r-plus", "object": "model", "created": 0, "owned_by": "cohere"},
            {"id": "embed-english-v3.0", "object": "model", "created": 0, "owned_by": "cohere"}
        ])
    );
}
