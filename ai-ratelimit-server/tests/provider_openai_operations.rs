//! OpenAI's other operations passed through (responses, embeddings, images, the model list),
//! and an OpenAI-compatible server that ignores `stream_options`, against a mock replaying
//! OpenAI's documented wire format.

mod support;

use ai_ratelimit_server::provider::{
    Operation, ProviderError, ProviderKind, ProviderOptionsConfig, ProviderSettings, StreamEnd,
    StreamError, Usage,
};
use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use bytes::Bytes;
use serde_json::{Value, json};
use support::{Seen, chat_payloads, drain, named_events, router, serve, sse};

const RESPONSE: &str = r#"{"id":"resp_67cc","object":"response","created_at":1741476542,"status":"completed","error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":"gpt-4.1-2025-04-14","output":[{"type":"message","id":"msg_67cc","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello","annotations":[]}]}],"parallel_tool_calls":true,"previous_response_id":null,"store":true,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":0},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":123},"user":null,"metadata":{}}"#;

/// A Responses API stream as OpenAI sends it: named events, no `[DONE]`.
const RESPONSE_EVENTS: [(&str, &str); 8] = [
    (
        "response.created",
        r#"{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","object":"response","created_at":1741290958,"status":"in_progress","model":"gpt-test","output":[],"usage":null}}"#,
    ),
    (
        "response.in_progress",
        r#"{"type":"response.in_progress","sequence_number":1,"response":{"id":"resp_1","object":"response","created_at":1741290958,"status":"in_progress","model":"gpt-test","output":[],"usage":null}}"#,
    ),
    (
        "response.output_item.added",
        r#"{"type":"response.output_item.added","sequence_number":2,"output_index":0,"item":{"id":"msg_1","type":"message","status":"in_progress","role":"assistant","content":[]}}"#,
    ),
    (
        "response.output_text.delta",
        r#"{"type":"response.output_text.delta","sequence_number":3,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hel"}"#,
    ),
    (
        "response.output_text.delta",
        r#"{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"lo"}"#,
    ),
    (
        "response.output_text.done",
        r#"{"type":"response.output_text.done","sequence_number":5,"item_id":"msg_1","output_index":0,"content_index":0,"text":"Hello"}"#,
    ),
    (
        "response.output_item.done",
        r#"{"type":"response.output_item.done","sequence_number":6,"output_index":0,"item":{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello","annotations":[]}]}}"#,
    ),
    (
        "response.completed",
        r#"{"type":"response.completed","sequence_number":7,"response":{"id":"resp_1","object":"response","created_at":1741290958,"status":"completed","model":"gpt-test","output":[{"id":"msg_1","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Hello","annotations":[]}]}],"usage":{"input_tokens":37,"input_tokens_details":{"cached_tokens":0},"output_tokens":11,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":48}}}"#,
    ),
];

const FAILED: (&str, &str) = (
    "response.failed",
    r#"{"type":"response.failed","sequence_number":3,"response":{"id":"resp_1","object":"response","status":"failed","error":{"code":"server_error","message":"The model failed"},"output":[],"usage":{"input_tokens":37,"output_tokens":0,"total_tokens":37}}}"#,
);

const EMBEDDINGS: &str = r#"{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.0023064255,-0.009327292,0.015797347]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":8,"total_tokens":8}}"#;

/// DALL·E answers without usage; gpt-image-1 reports it.
const IMAGE_URL: &str = r#"{"created":1713833628,"data":[{"url":"https://example.com/img.png","revised_prompt":"A cat"}]}"#;
const IMAGE_TOKENS: &str = r#"{"created":1713833628,"data":[{"b64_json":"iVBORw0KGgo="}],"usage":{"total_tokens":100,"input_tokens":50,"output_tokens":50,"input_tokens_details":{"text_tokens":10,"image_tokens":40}}}"#;

fn image_event(kind: &str, index: u32) -> (String, String) {
    let data = if kind == "image_generation.partial_image" {
        json!({"type": kind, "b64_json": "iVBORw0KGgo=", "created_at": 1_620_000_000, "size": "1024x1024",
            "quality": "low", "background": "opaque", "output_format": "png", "partial_image_index": index})
    } else {
        json!({"type": kind, "b64_json": "iVBORw0KGgo=", "created_at": 1_620_000_000, "size": "1024x1024",
            "quality": "low", "background": "opaque", "output_format": "png",
            "usage": {"total_tokens": 60, "input_tokens": 10, "output_tokens": 50,
                "input_tokens_details": {"text_tokens": 10, "image_tokens": 0}}})
    };
    (kind.to_owned(), data.to_string())
}

const MODELS: &str = r#"{"object":"list","data":[{"id":"gpt-4o","object":"model","created":1686935002,"owned_by":"openai"},{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"}]}"#;

/// A compatible server's chat stream: no usage chunk, whatever `stream_options` said.
const COMPAT_EVENTS: [&str; 3] = [
    r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"llama","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}"#,
    r#"{"id":"c1","object":"chat.completion.chunk","created":1,"model":"llama","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}"#,
    "[DONE]",
];

fn json_response(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn upstream(
    seen: Seen,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    seen.record(method.clone(), &uri, headers, &body);
    let json: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let streaming = json["stream"] == true;
    match (method.as_str(), uri.path()) {
        ("POST", "/v1/responses") if streaming => sse(named_events(&RESPONSE_EVENTS)),
        ("POST", "/v1/responses") => json_response(StatusCode::OK, RESPONSE),
        ("POST", "/failed/v1/responses") => sse(named_events(&[RESPONSE_EVENTS[0], FAILED])),
        // The connection closes before `response.completed`.
        ("POST", "/cut/v1/responses") => sse(named_events(&RESPONSE_EVENTS[..5])),
        ("POST", "/v1/embeddings") => json_response(StatusCode::OK, EMBEDDINGS),
        ("POST", "/v1/images/generations") if streaming => {
            let events: Vec<(String, String)> = (0..2)
                .flat_map(|i| {
                    [
                        image_event("image_generation.partial_image", i),
                        image_event("image_generation.completed", i),
                    ]
                })
                .collect();
            let pairs: Vec<(&str, &str)> = events
                .iter()
                .map(|(n, d)| (n.as_str(), d.as_str()))
                .collect();
            sse(named_events(&pairs))
        }
        ("POST", "/v1/images/generations") if json["model"] == "gpt-image-1" => {
            json_response(StatusCode::OK, IMAGE_TOKENS)
        }
        ("POST", "/v1/images/generations") => json_response(StatusCode::OK, IMAGE_URL),
        ("GET", "/v1/models") => json_response(StatusCode::OK, MODELS),
        ("POST", "/limited/v1/responses") => json_response(
            StatusCode::TOO_MANY_REQUESTS,
            r#"{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#,
        ),
        ("POST", "/compat/v1/chat/completions") => sse(COMPAT_EVENTS
            .iter()
            .map(|e| format!("data: {e}\n\n"))
            .collect()),
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

fn openai(
    operation: Operation,
    url: String,
    body: Value,
) -> ai_ratelimit_server::provider::ProviderRequest {
    support::request(operation, url, body, ProviderSettings::default(), "sk-test")
}

#[tokio::test]
async fn responses_pass_through_whole_and_count_the_reported_usage() {
    let (base, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let body = json!({"model": "gpt-4.1", "input": "Say hello", "stream": false, "user": "u"});
    let answer = router
        .call(
            ProviderKind::OpenAi,
            openai(
                Operation::Responses,
                format!("{base}/v1/chat/completions"),
                body,
            ),
        )
        .await
        .expect("answered");
    assert_eq!(answer.body, Bytes::from_static(RESPONSE.as_bytes()));
    assert_eq!(answer.usage, Some(Usage::new(36, 87)));
    let received = seen.last();
    assert_eq!(
        received.uri, "/v1/responses",
        "beside the chat-completions URL"
    );
    assert_eq!(received.headers[header::AUTHORIZATION], "Bearer sk-test");
    assert_eq!(
        received.body,
        json!({"model": "gpt-4.1", "input": "Say hello", "user": "u"})
    );
}

#[tokio::test]
async fn responses_stream_passes_typed_events_through_unchanged() {
    let (base, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::OpenAi,
            openai(
                Operation::Responses,
                format!("{base}/v1/chat/completions"),
                json!({"model": "gpt-test", "input": "Say hello"}),
            ),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        named_events(&RESPONSE_EVENTS)
    );
    let received = seen.last().body;
    assert_eq!(received["stream"], true);
    assert!(
        received.get("stream_options").is_none(),
        "the Responses API reports usage without being asked"
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Completed));
    assert_eq!(progress.usage, Some(Usage::new(37, 11)));
}

#[tokio::test]
async fn a_failed_response_ends_its_stream_as_an_upstream_error_with_its_usage() {
    let (base, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::OpenAi,
            openai(
                Operation::Responses,
                format!("{base}/failed/v1/chat/completions"),
                json!({"model": "m", "input": "x"}),
            ),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    assert!(String::from_utf8_lossy(&bytes).ends_with(&named_events(&[FAILED])));
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::UpstreamError));
    assert_eq!(progress.usage, Some(Usage::new(37, 0)));
}

#[tokio::test]
async fn a_responses_stream_closed_before_its_terminal_event_is_an_error() {
    let (base, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::OpenAi,
            openai(
                Operation::Responses,
                format!("{base}/cut/v1/chat/completions"),
                json!({"model": "m", "input": "x"}),
            ),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        named_events(&RESPONSE_EVENTS[..5])
    );
    assert!(
        matches!(error, Some(StreamError::UnexpectedEnd)),
        "{error:?}"
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Failed));
    assert_eq!(
        progress.usage, None,
        "the caller falls back to its estimate"
    );
}

#[tokio::test]
async fn embeddings_pass_through_and_count_their_prompt_tokens() {
    let (base, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let body =
        json!({"model": "text-embedding-3-small", "input": ["a", "b"], "encoding_format": "float"});
    let answer = router
        .call(
            ProviderKind::OpenAi,
            openai(
                Operation::Embeddings,
                format!("{base}/v1/chat/completions"),
                body.clone(),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(answer.body, Bytes::from_static(EMBEDDINGS.as_bytes()));
    assert_eq!(answer.usage, Some(Usage::new(8, 0)));
    assert_eq!(seen.last().uri, "/v1/embeddings");
    assert_eq!(seen.last().body, body);
}

#[tokio::test]
async fn images_count_tokens_only_where_the_provider_reports_them() {
    let (base, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let url = format!("{base}/v1/chat/completions");
    let dalle = router
        .call(
            ProviderKind::OpenAi,
            openai(
                Operation::Images,
                url.clone(),
                json!({"model": "dall-e-3", "prompt": "A cat"}),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(dalle.body, Bytes::from_static(IMAGE_URL.as_bytes()));
    assert_eq!(dalle.usage, None);
    assert_eq!(seen.last().uri, "/v1/images/generations");
    let gpt_image = router
        .call(
            ProviderKind::OpenAi,
            openai(
                Operation::Images,
                url,
                json!({"model": "gpt-image-1", "prompt": "A cat"}),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(gpt_image.usage, Some(Usage::new(50, 50)));
}

#[tokio::test]
async fn streamed_images_pass_through_and_add_each_images_usage() {
    let (base, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::OpenAi,
            openai(
                Operation::Images,
                format!("{base}/v1/chat/completions"),
                json!({"model": "gpt-image-1", "prompt": "A cat", "n": 2, "partial_images": 1}),
            ),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    let text = String::from_utf8_lossy(&bytes);
    assert_eq!(
        text.matches("event: image_generation.partial_image\n")
            .count(),
        2
    );
    assert_eq!(
        text.matches("event: image_generation.completed\n").count(),
        2
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Completed));
    assert_eq!(progress.usage, Some(Usage::new(20, 100)));
}

#[tokio::test]
async fn the_model_list_is_a_get_beside_the_chat_url() {
    let (base, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let answer = router
        .call(
            ProviderKind::OpenAi,
            openai(
                Operation::Models,
                format!("{base}/v1/chat/completions"),
                json!({}),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(answer.body, Bytes::from_static(MODELS.as_bytes()));
    assert_eq!(answer.usage, None);
    let received = seen.last();
    assert_eq!(
        (received.method, received.uri.as_str()),
        (Method::GET, "/v1/models")
    );
    assert_eq!(received.headers[header::AUTHORIZATION], "Bearer sk-test");
}

#[tokio::test]
async fn a_providers_429_is_an_upstream_error_with_its_own_body() {
    let (base, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let err = router
        .call(
            ProviderKind::OpenAi,
            openai(
                Operation::Responses,
                format!("{base}/limited/v1/chat/completions"),
                json!({"model": "m", "input": "x"}),
            ),
        )
        .await
        .err();
    let Some(ProviderError::Upstream { status, body }) = err else {
        panic!("expected an upstream error, got {err:?}");
    };
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["error"]["code"], "rate_limit_exceeded");
}

#[tokio::test]
async fn a_compatible_server_ignoring_stream_options_ends_without_usage() {
    let (base, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::OpenAi,
            openai(
                Operation::Chat,
                format!("{base}/compat/v1/chat/completions"),
                json!({"model": "llama", "messages": [{"role": "user", "content": "Hi"}]}),
            ),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    let (chunks, done) = chat_payloads(&bytes);
    assert!(done);
    assert_eq!(chunks.len(), 2);
    assert_eq!(
        seen.last().body["stream_options"],
        json!({"include_usage": true})
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Completed));
    assert_eq!(
        progress.usage, None,
        "no usage: the proxy settles its estimate"
    );
}

#[tokio::test]
async fn what_a_translated_provider_cannot_serve_is_refused_unsent() {
    let (base, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    for (kind, operation) in [
        (ProviderKind::Anthropic, Operation::Responses),
        (ProviderKind::Anthropic, Operation::Embeddings),
        (ProviderKind::Gemini, Operation::Images),
        (ProviderKind::Cohere, Operation::Responses),
    ] {
        let err = router
            .call(
                kind,
                openai(
                    operation,
                    format!("{base}/v1/chat/completions"),
                    json!({"model": "m"}),
                ),
            )
            .await
            .err();
        assert!(
            matches!(err, Some(ProviderError::Unsupported { operation: o, .. }) if o == operation),
            "{kind} {operation}: {err:?}"
        );
    }
    assert_eq!(seen.count(), 0);
}
