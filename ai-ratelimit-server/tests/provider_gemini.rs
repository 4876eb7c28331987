//! Google Gemini against a mock replaying its documented wire format: `generateContent`,
//! `streamGenerateContent?alt=sse`, `batchEmbedContents`, the model list, `usageMetadata`
//! and Google's error objects.

mod support;

use ai_ratelimit_server::provider::{
    GeminiSafetySetting, GeminiSettings, GeminiThreshold, Operation, ProviderError, ProviderKind,
    ProviderOptionsConfig, ProviderRequest, ProviderSettings, StreamEnd, StreamError, Usage,
};
use axum::Router;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Value, json};
use support::{CREATED, Seen, chat_payloads, drain, router, serve, sse};

const GENERATED: &str = r#"{"candidates":[{"content":{"parts":[{"text":"Hello"},{"text":" world"}],"role":"model"},"finishReason":"MAX_TOKENS","index":0,"safetyRatings":[{"category":"HARM_CATEGORY_HARASSMENT","probability":"NEGLIGIBLE"}]}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":4,"totalTokenCount":12,"promptTokensDetails":[{"modality":"TEXT","tokenCount":8}]},"modelVersion":"gemini-2.0-flash-001","responseId":"resp-1"}"#;

/// Gemini's SSE: each event a whole response with the next text; frames end with CRLF CRLF.
const CHUNKS: [&str; 3] = [
    r#"{"candidates":[{"content":{"parts":[{"text":"Hel"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":8,"totalTokenCount":8},"modelVersion":"gemini-2.0-flash-001","responseId":"resp-2"}"#,
    r#"{"candidates":[{"content":{"parts":[{"text":"lo"}],"role":"model"},"index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":1,"totalTokenCount":9},"modelVersion":"gemini-2.0-flash-001","responseId":"resp-2"}"#,
    r#"{"candidates":[{"content":{"parts":[{"text":"!"}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":8,"candidatesTokenCount":3,"totalTokenCount":11},"modelVersion":"gemini-2.0-flash-001","responseId":"resp-2"}"#,
];

const STREAM_ERROR: &str = r#"{"error":{"code":503,"message":"The model is overloaded. Please try again later.","status":"UNAVAILABLE"}}"#;

fn frames(events: &[&str]) -> String {
    events
        .iter()
        .map(|e| format!("data: {e}\r\n\r\n"))
        .collect()
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
    let ok = |text: String| ([(header::CONTENT_TYPE, "application/json")], text).into_response();
    let error = |status: StatusCode, code: &str, message: &str| {
        let body = json!({"error": {"code": status.as_u16(), "message": message, "status": code,
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": code}]}});
        (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    };
    match uri.path() {
        "/v1beta/models/gemini-2.0-flash:generateContent" => ok(GENERATED.to_owned()),
        "/v1beta/models/gemini-2.0-flash:streamGenerateContent" => sse(frames(&CHUNKS)),
        "/v1beta/models/overloaded:streamGenerateContent" => sse(frames(&[CHUNKS[0], STREAM_ERROR])),
        "/v1beta/models/cut:streamGenerateContent" => sse(frames(&CHUNKS[..2])),
        "/v1beta/models/exhausted:generateContent" => error(
            StatusCode::TOO_MANY_REQUESTS,
            "RESOURCE_EXHAUSTED",
            "Resource has been exhausted (e.g. check quota).",
        ),
        "/v1beta/models/bad:generateContent" => error(
            StatusCode::BAD_REQUEST,
            "INVALID_ARGUMENT",
            "API key not valid. Please pass a valid API key.",
        ),
        "/v1beta/models/text-embedding-004:batchEmbedContents" => {
            let count = json["requests"].as_array().map_or(0, Vec::len);
            let embeddings: Vec<Value> = (0..count)
                .map(|i| json!({"values": [0.5, -0.25, f64::from(u32::try_from(i).unwrap_or(0))]}))
                .collect();
            ok(json!({"embeddings": embeddings}).to_string())
        }
        "/v1beta/models" => ok(json!({"models": [
            {"name": "models/gemini-2.0-flash", "version": "2.0", "displayName": "Gemini 2.0 Flash",
                "inputTokenLimit": 1_048_576, "outputTokenLimit": 8192,
                "supportedGenerationMethods": ["generateContent", "countTokens"]},
            {"name": "models/text-embedding-004", "version": "004", "displayName": "Text Embedding 004",
                "supportedGenerationMethods": ["embedContent"]}
        ], "nextPageToken": ""})
        .to_string()),
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
    (format!("http://{addr}/v1beta"), seen)
}

fn gemini(operation: Operation, root: &str, body: Value) -> ProviderRequest {
    let settings = ProviderSettings {
        gemini: Some(GeminiSettings {
            safety_settings: vec![GeminiSafetySetting {
                category: "HARM_CATEGORY_HATE_SPEECH".into(),
                threshold: GeminiThreshold::BlockMediumAndAbove,
            }],
        }),
        ..Default::default()
    };
    support::request(operation, root.to_owned(), body, settings, "gemini-key-1")
}

fn chat_body(model: &str, extra: Value) -> Value {
    let mut body = json!({
        "model": model,
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": [{"type": "text", "text": "Say it"}, {"type": "text", "text": "again"}]}
        ],
        "temperature": 0.3, "max_tokens": 50, "stop": ["END"], "user": "end-user-1"
    });
    if let (Value::Object(b), Value::Object(e)) = (&mut body, extra) {
        b.extend(e);
    }
    body
}

fn chunk(delta: Value, finish_reason: Value) -> Value {
    json!({
        "id": "resp-2", "object": "chat.completion.chunk", "created": CREATED, "model": "gemini-2.0-flash-001",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason}]
    })
}

#[tokio::test]
async fn chat_is_translated_to_generate_content() {
    let (root, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    router
        .call(
            ProviderKind::Gemini,
            gemini(
                Operation::Chat,
                &root,
                chat_body("models/gemini-2.0-flash", json!({})),
            ),
        )
        .await
        .expect("answered");
    let received = seen.last();
    assert_eq!(
        received.uri,
        "/v1beta/models/gemini-2.0-flash:generateContent"
    );
    assert_eq!(received.headers["x-goog-api-key"], "gemini-key-1");
    assert!(received.headers.get(header::AUTHORIZATION).is_none());
    assert_eq!(
        received.body,
        json!({
            "contents": [
                {"role": "user", "parts": [{"text": "Hi"}]},
                {"role": "model", "parts": [{"text": "Hello."}]},
                {"role": "user", "parts": [{"text": "Say it"}, {"text": "again"}]}
            ],
            "systemInstruction": {"parts": [{"text": "You are terse."}]},
            "generationConfig": {"temperature": 0.3, "maxOutputTokens": 50, "stopSequences": ["END"]},
            "safetySettings": [{"category": "HARM_CATEGORY_HATE_SPEECH", "threshold": "BLOCK_MEDIUM_AND_ABOVE"}]
        })
    );
}

#[tokio::test]
async fn the_answer_is_a_chat_completion_with_usage_metadata_as_usage() {
    let (root, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let answer = router
        .call(
            ProviderKind::Gemini,
            gemini(
                Operation::Chat,
                &root,
                chat_body("gemini-2.0-flash", json!({})),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(answer.usage, Some(Usage::new(8, 4)));
    let body: Value = serde_json::from_slice(&answer.body).expect("json");
    assert_eq!(
        body,
        json!({
            "id": "resp-1", "object": "chat.completion", "created": CREATED, "model": "gemini-2.0-flash-001",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello world"},
                "logprobs": null, "finish_reason": "length"}],
            "usage": {"prompt_tokens": 8, "completion_tokens": 4, "total_tokens": 12}
        })
    );
}

#[tokio::test]
async fn the_stream_is_translated_to_chunks_and_counts_the_last_usage_metadata() {
    let (root, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::Gemini,
            gemini(
                Operation::Chat,
                &root,
                chat_body("gemini-2.0-flash", json!({"stream": true})),
            ),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    assert_eq!(
        seen.last().uri,
        "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse"
    );
    let (chunks, done) = chat_payloads(&bytes);
    assert!(done, "[DONE] once Gemini closed after its finish reason");
    assert_eq!(
        chunks,
        [
            chunk(json!({"role": "assistant", "content": ""}), Value::Null),
            chunk(json!({"content": "Hel"}), Value::Null),
            chunk(json!({"content": "lo"}), Value::Null),
            chunk(json!({"content": "!"}), Value::Null),
            chunk(json!({}), json!("stop")),
        ]
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::Completed));
    assert_eq!(progress.usage, Some(Usage::new(8, 3)));
}

#[tokio::test]
async fn the_stream_adds_the_usage_chunk_when_the_client_asked() {
    let (root, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let body = chat_body(
        "gemini-2.0-flash",
        json!({"stream": true, "stream_options": {"include_usage": true}}),
    );
    let stream = router
        .stream(ProviderKind::Gemini, gemini(Operation::Chat, &root, body))
        .await
        .expect("stream starts");
    let (bytes, _) = drain(stream).await;
    let (chunks, done) = chat_payloads(&bytes);
    assert!(done);
    assert_eq!(
        chunks.last().map(|c| c["usage"].clone()),
        Some(json!({"prompt_tokens": 8, "completion_tokens": 3, "total_tokens": 11}))
    );
    assert_eq!(chunks.last().map(|c| c["choices"].clone()), Some(json!([])));
}

#[tokio::test]
async fn an_error_midway_becomes_an_openai_error_chunk() {
    let (root, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::Gemini,
            gemini(Operation::Chat, &root, chat_body("overloaded", json!({}))),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert!(error.is_none(), "{error:?}");
    let (chunks, done) = chat_payloads(&bytes);
    assert!(!done);
    assert_eq!(
        chunks.last(),
        Some(
            &json!({"error": {"message": "The model is overloaded. Please try again later.",
            "type": "api_error", "param": null, "code": "UNAVAILABLE"}})
        )
    );
    let progress = usage.finished().await;
    assert_eq!(progress.end, Some(StreamEnd::UpstreamError));
    assert_eq!(progress.usage, Some(Usage::new(8, 0)));
}

#[tokio::test]
async fn a_stream_closed_before_a_finish_reason_is_an_unexpected_end() {
    let (root, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let stream = router
        .stream(
            ProviderKind::Gemini,
            gemini(Operation::Chat, &root, chat_body("cut", json!({}))),
        )
        .await
        .expect("stream starts");
    let usage = stream.usage();
    let (bytes, error) = drain(stream).await;
    assert!(!chat_payloads(&bytes).1);
    assert!(
        matches!(error, Some(StreamError::UnexpectedEnd)),
        "{error:?}"
    );
    assert_eq!(usage.finished().await.usage, Some(Usage::new(8, 1)));
}

#[tokio::test]
async fn errors_keep_their_status_in_openais_shape() {
    let (root, _) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    for (model, status, kind, code) in [
        (
            "exhausted",
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limit_error",
            "RESOURCE_EXHAUSTED",
        ),
        (
            "bad",
            StatusCode::BAD_REQUEST,
            "invalid_request_error",
            "INVALID_ARGUMENT",
        ),
    ] {
        let err = router
            .call(
                ProviderKind::Gemini,
                gemini(Operation::Chat, &root, chat_body(model, json!({}))),
            )
            .await
            .err();
        let Some(ProviderError::Upstream { status: got, body }) = err else {
            panic!("expected an upstream error, got {err:?}");
        };
        assert_eq!(got, status);
        let body: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(body["error"]["type"], kind);
        assert_eq!(body["error"]["code"], code);
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
}

#[tokio::test]
async fn embeddings_are_batched_and_answered_as_floats_or_base64_without_usage() {
    let (root, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let floats = router
        .call(
            ProviderKind::Gemini,
            gemini(
                Operation::Embeddings,
                &root,
                json!({"model": "text-embedding-004", "input": ["a", "b"], "dimensions": 3}),
            ),
        )
        .await
        .expect("answered");
    assert_eq!(floats.usage, None, "Gemini's embeddings report no usage");
    let received = seen.last();
    assert_eq!(
        received.uri,
        "/v1beta/models/text-embedding-004:batchEmbedContents"
    );
    assert_eq!(
        received.body,
        json!({"requests": [
            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "a"}]}, "outputDimensionality": 3},
            {"model": "models/text-embedding-004", "content": {"parts": [{"text": "b"}]}, "outputDimensionality": 3}
        ]})
    );
    let body: Value = serde_json::from_slice(&floats.body).expect("json");
    assert_eq!(
        body,
        json!({"object": "list", "model": "text-embedding-004", "data": [
            {"object": "embedding", "index": 0, "embedding": [0.5, -0.25, 0.0]},
            {"object": "embedding", "index": 1, "embedding": [0.5, -0.25, 1.0]}
        ]})
    );

    let encoded = router
        .call(
            ProviderKind::Gemini,
            gemini(
                Operation::Embeddings,
                &root,
                json!({"model": "text-embedding-004", "input": "a", "encoding_format": "base64"}),
            ),
        )
        .await
        .expect("answered");
    let body: Value = serde_json::from_slice(&encoded.body).expect("json");
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(
            body["data"][0]["embedding"]
                .as_str()
                .expect("a base64 string"),
        )
        .expect("base64");
    let values: Vec<f32> = bytes
        .chunks(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    assert_eq!(values, [0.5, -0.25, 0.0]);
}

#[tokio::test]
async fn the_model_list_is_openais() {
    let (root, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    let answer = router
        .call(
            ProviderKind::Gemini,
            gemini(Operation::Models, &root, json!({})),
        )
        .await
        .expect("answered");
    let received = seen.last();
    assert_eq!(
        (received.method, received.uri.as_str()),
        (Method::GET, "/v1beta/models?pageSize=1000")
    );
    let body: Value = serde_json::from_slice(&answer.body).expect("json");
    assert_eq!(
        body,
        json!({"object": "list", "data": [
            {"id": "gemini-2.0-flash", "object": "model", "created": 0, "owned_by": "google"},
            {"id": "text-embedding-004", "object": "model", "created": 0, "owned_by": "google"}
        ]})
    );
}

#[tokio::test]
async fn untranslatable_requests_are_refused_unsent() {
    let (root, seen) = mock().await;
    let router = router(ProviderOptionsConfig::default());
    for (body, field) in [
        (
            json!({"model": "gemini-2.0-flash", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]}),
            "messages[0].content[0].type",
        ),
        (
            json!({"model": "gemini-2.0-flash", "messages": [], "n": 3}),
            "n",
        ),
        (json!({"messages": []}), "model"),
    ] {
        let err = router
            .call(ProviderKind::Gemini, gemini(Operation::Chat, &root, body))
            .await
            .err();
        assert!(
            matches!(&err, Some(ProviderError::InvalidRequest { field: f, .. }) if f == field),
            "{field}: {err:?}"
        );
    }
    let err = router
        .call(
            ProviderKind::Gemini,
            gemini(
                Operation::Embeddings,
                &root,
                json!({"model": "text-embedding-004", "input": [[1, 2]]}),
            ),
        )
        .await
        .err();
    assert!(
        matches!(&err, Some(ProviderError::InvalidRequest { field, .. }) if field == "input[0]"),
        "{err:?}"
    );
    assert_eq!(seen.count(), 0);
}
