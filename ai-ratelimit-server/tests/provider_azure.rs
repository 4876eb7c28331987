//! Azure OpenAI against a mock replaying its documented wire format: deployment URLs with
//! `api-version`, the `api-key` header, content-filter chunks, usage, errors.

mod support;

use std::collections::BTreeMap;

use ai_ratelimit_server::provider::{
    AzureSettings, Operation, ProviderError, ProviderKind, ProviderOptionsConfig, ProviderRequest,
    ProviderSettings, StreamEnd, Usage,
};
use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use bytes::Bytes;
use serde_json::{Value, json};
use support::{Seen, chat_payloads, drain, router, serve, sse};

const COMPLETION: &str = r#"{"choices":[{"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}},"finish_reason":"stop","index":0,"logprobs":null,"message":{"content":"Hello","refusal":null,"role":"assistant"}}],"created":1724000000,"id":"chatcmpl-A1","model":"gpt-4o-2024-08-06","object":"chat.completion","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{"hate":{"filtered":false,"severity":"safe"}}}],"system_fingerprint":"fp_1","usage":{"completion_tokens":5,"prompt_tokens":13,"total_tokens":18}}"#;

/// Azure's stream: a prompt-filter chunk without choices first, the usage chunk last.
const EVENTS: [&str; 5] = [
    r#"{"choices":[],"created":0,"id":"","model":"","object":"","prompt_filter_results":[{"prompt_index":0,"content_filter_results":{}}]}"#,
    r#"{"choices":[{"content_filter_results":{},"delta":{"content":"Hello","role":"assistant"},"finish_reason":null,"index":0}],"created":1724000000,"id":"chatcmpl-A2","model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","usage":null}"#,
    r#"{"choices":[{"content_filter_results":{},"delta":{},"finish_reason":"stop","index":0}],"created":1724000000,"id":"chatcmpl-A2","model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","usage":null}"#,
    r#"{"choices":[],"created":1724000000,"id":"chatcmpl-A2","model":"gpt-4o-2024-08-06","object":"chat.completion.chunk","usage":{"completion_tokens":2,"prompt_tokens":9,"total_tokens":11}}"#,
    "[DONE]",
];

const EMBEDDINGS: &str = r#"{"data":[{"embedding":[0.1,0.2],"index":0,"object":"embedding"}],"model":"text-embedding-3-small","object":"list","usage":{"prompt_tokens":2,"total_tokens":2}}"#;
const IMAGES: &str = r#"{"created":1724000000,"data":[{"content_filter_results":{},"prompt_filter_results":{},"revised_prompt":"A cat","url":"https://example.blob.core.windows.net/img.png"}]}"#;
const MODELS: &str = r#"{"data":[{"status":"succeeded","model":"gpt-4o","capabilities":{"chat_completion":true},"id":"gpt-4o-2024-08-06","created_at":1723000000,"object":"model"}],"object":"list"}"#;

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
    match uri.path() {
        "/openai/deployments/throttled/chat/completions" => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"error":{"code":"429","message":"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 have exceeded call rate limit of your current OpenAI S0 pricing tier. Please retry after 7 seconds."}}"#,
        )
            .into_response(),
        path if path.ends_with("/chat/completions") && json["stream"] == true => {
            sse(EVENTS.iter().map(|e| format!("data: {e}\n\n")).collect())
        }
        path if path.ends_with("/chat/completions") => ok(COMPLETION),
        path if path.ends_with("/embeddings") => ok(EMBEDDINGS),
        path if path.ends_with("/images/generations") => ok(IMAGES),
        "/openai/responses" => ok(r#"{"id":"resp_1","object":"response","status":"completed","output":[],"usage":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}"#),
        "/openai/models" => ok(MODELS),
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

fn settings() -> ProviderSettings {
    ProviderSettings {
        azure: Some(AzureSettings {
            api_version: Some("2025-04-01-preview".into()),
            deployment: Some("chat-prod".into()),
            deployments: BTreeMap::from([("text-embedding-3-small".into(), "embed-prod".into())]),
        }),
        ..Default::default()
    }
}

fn azure(
    operation: Operation,
    endpoint: &str,
    body: Value,
    settings: ProviderSettings,
) -> ProviderRequest {
    support::request(
        operation,
        endpoint.to_owned(),
        body,
        settings,
        "azure-key-1",
    )
}

fn chat_body(extra: Value) -> Value {
    let mut body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hello"}], "user": "u-1"});
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    body
}

#[tokio::test]
async fn chat_goes_to_its_deployment_with_the_api_key_header_and_version() {
    let (endpoint, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let answer = router
        .call(
            ProviderKind::Azure,
            azure(Operation::Chat, &endpoint, chat_body(json!({})), settings()),
        )
        .await
        .expect("answered");
    assert_eq!(answer.body, Bytes::from_static(COMPLETION.as_bytes()));
    assert_eq!(answer.usage, Some(Usage::new(13, 5)));
    let received = seen.last();
    assert_eq!(
        received.uri,
        "/openai/deployments/chat-prod/chat/completions?api-version=2025-04-01-preview"
    );
    assert_eq!(received.headers["api-key"], "azure-key-1");
    assert!(received.headers.get(header::AUTHORIZATION).is_none());
    assert_eq!(received.body, chat_body(json!({})));
}

#[tokio::test]
async fn without_settings_the_model_names_the_deployment_and_the_version_is_the_default() {
    let (endpoint, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    router
        .call(
            ProviderKind::Azure,
            azure(
                Operation::Chat,
                &format!("{endpoint}/openai/"),
                chat_body(json!({})),
                ProviderSettings::default(),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(
        seen.last().uri,
        "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"
    );
}

#[tokio::test]
async fn stream_passes_content_filter_chunks_and_counts_the_usage_chunk() {
    let (endpoint, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::Azure,
            azure(
                Operation::Chat,
                &endpoint,
                chat_body(json!({"stream": true})),
                settings(),
            ),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    let expected: String = [EVENTS[0], EVENTS[1], EVENTS[2], EVENTS[4]]
        .iter()
        .map(|e| format!("data: {e}\n\n"))
        .collect();
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        expected,
        "the usage chunk nobody asked for is hidden"
    );
    assert_eq!(chat_payloads(&bytes).0.len(), 3);
    assert_eq!(
        seen.last().body["stream_options"],
        json!({"include_usage": true})
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Completed));
    assert_eq!(progress.usage, Some(Usage::new(9, 2)));
}

#[tokio::test]
async fn every_operation_has_its_azure_url() {
    let (endpoint, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let embed = router
        .call(
            ProviderKind::Azure,
            azure(
                Operation::Embeddings,
                &endpoint,
                json!({"model": "text-embedding-3-small", "input": "a"}),
                settings(),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(embed.usage, Some(Usage::new(2, 0)));
    assert_eq!(
        seen.last().uri,
        "/openai/deployments/embed-prod/embeddings?api-version=2025-04-01-preview"
    );

    let image = router
        .call(
            ProviderKind::Azure,
            azure(
                Operation::Images,
                &endpoint,
                json!({"model": "dall-e-3", "prompt": "A cat"}),
                settings(),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(image.usage, None, "DALL·E reports no tokens");
    assert_eq!(
        seen.last().uri,
        "/openai/deployments/chat-prod/images/generations?api-version=2025-04-01-preview"
    );

    let response = router
        .call(
            ProviderKind::Azure,
            azure(
                Operation::Responses,
                &endpoint,
                json!({"model": "gpt-4o", "input": "Hi"}),
                settings(),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(response.usage, Some(Usage::new(3, 4)));
    let received = seen.last();
    assert_eq!(
        received.uri,
        "/openai/responses?api-version=2025-04-01-preview"
    );
    assert_eq!(
        received.body["model"], "chat-prod",
        "the Responses API names the deployment as its model"
    );

    let models = router
        .call(
            ProviderKind::Azure,
            azure(Operation::Models, &endpoint, json!({}), settings()),
        )
        .await
        .expect("answered");
    assert_eq!(models.body, Bytes::from_static(MODELS.as_bytes()));
    let received = seen.last();
    assert_eq!(
        (received.method, received.uri.as_str()),
        (Method::GET, "/openai/models?api-version=2025-04-01-preview")
    );
}

#[tokio::test]
async fn a_throttled_deployment_is_an_upstream_429_with_azures_body() {
    let (endpoint, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let mut throttled = settings();
    if let Some(azure) = throttled.azure.as_mut() {
        azure.deployment = Some("throttled".into());
    }
    let err = router
        .call(
            ProviderKind::Azure,
            azure(Operation::Chat, &endpoint, chat_body(json!({})), throttled),
        )
        .await
        .err();
    let Some(ProviderError::Upstream { status, body }) = err else {
        panic!("expected an upstream error, got {err:?}");
    };
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["error"]["code"], "429");
}

#[tokio::test]
async fn a_missing_model_is_refused_before_sending() {
    let (endpoint, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let err = router
        .call(
            ProviderKind::Azure,
            azure(
                Operation::Chat,
                &endpoint,
                json!({"messages": []}),
                ProviderSettings::default(),
            ),
        )
        .await
        .err();
    assert!(
        matches!(&err, Some(ProviderError::InvalidRequest { field, .. }) if field == "model"),
        "{err:?}"
    );
    assert_eq!(seen.count(), 0);
}
