//! Azure OpenAI, Google Gemini and Cohere behind the drop-in, end to end: a project of each
//! provider (its key encrypted at rest, its settings validated with field paths) answers the
//! official SDKs' chat calls whole and streamed, and counts the tokens each provider reports.

use axum::Router;
use axum::http::{HeaderMap, StatusCode as AxumStatus, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row as _;

use crate::harness::{Backend, TestServer};
use crate::proxy::{project, wait_for_tokens};
use crate::proxy_operations::drop_in;

const KEY: &str = "provider-key-5b1e";

/// Tokens each provider reports for a whole answer and for a stream.
const AZURE: (u64, u64) = (18, 11);
const GEMINI: (u64, u64) = (12, 11);
const COHERE: (u64, u64) = (74, 73);

fn json_answer(value: Value) -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        value.to_string(),
    )
        .into_response()
}

fn sse(text: String) -> Response {
    ([(header::CONTENT_TYPE, "text/event-stream")], text).into_response()
}

/// Azure under `/`, Gemini under `/gemini/v1beta`, Cohere under `/cohere`; each refuses a
/// request without the project's key in its own header, as the real ones do.
async fn providers(uri: Uri, headers: HeaderMap, body: String) -> Response {
    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let stream = body["stream"] == true;
    let header_is =
        |name: &str, value: &str| headers.get(name).and_then(|v| v.to_str().ok()) == Some(value);
    let path = uri.path();
    if let Some(rest) = path.strip_prefix("/openai/deployments/") {
        if !header_is("api-key", KEY)
            || !uri
                .query()
                .is_some_and(|q| q.contains("api-version=2024-10-21"))
        {
            return (
                AxumStatus::UNAUTHORIZED,
                r#"{"error":{"code":"401","message":"Access denied"}}"#,
            )
                .into_response();
        }
        assert_eq!(
            rest, "chat-prod/chat/completions",
            "the deployment of the settings"
        );
        if stream {
            let chunk = json!({"id": "a1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
                "choices": [{"index": 0, "delta": {"content": "Hi from Azure"}, "finish_reason": "stop"}]});
            let usage = json!({"id": "a1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o",
                "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": AZURE.1}});
            return sse(format!(
                "data: {chunk}\n\ndata: {usage}\n\ndata: [DONE]\n\n"
            ));
        }
        return json_answer(
            json!({"id": "a1", "object": "chat.completion", "created": 1, "model": "gpt-4o",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi from Azure"}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 13, "completion_tokens": 5, "total_tokens": AZURE.0}}),
        );
    }
    if let Some(rest) = path.strip_prefix("/gemini/v1beta/models/") {
        if !header_is("x-goog-api-key", KEY) {
            return (AxumStatus::BAD_REQUEST, r#"{"error":{"code":400,"message":"API key not valid.","status":"INVALID_ARGUMENT"}}"#).into_response();
        }
        assert_eq!(
            body["safetySettings"][0]["threshold"], "BLOCK_ONLY_HIGH",
            "the project's safety settings"
        );
        let answer = |text: &str, total: u64| {
            json!({"candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}],
                "usageMetadata": {"promptTokenCount": 8, "candidatesTokenCount": total - 8, "totalTokenCount": total},
                "modelVersion": "gemini-2.0-flash"})
        };
        return match rest {
            "gemini-2.0-flash:streamGenerateContent" => sse(format!(
                "data: {}\r\n\r\n",
                answer("Hi from Gemini", GEMINI.1)
            )),
            _ => json_answer(answer("Hi from Gemini", GEMINI.0)),
        };
    }
    if path == "/cohere/v2/chat" {
        if !header_is("authorization", &format!("Bearer {KEY}")) {
            return (
                AxumStatus::UNAUTHORIZED,
                r#"{"id":"x","message":"invalid api token"}"#,
            )
                .into_response();
        }
        assert_eq!(body["safety_mode"], "STRICT", "the project's safety mode");
        if stream {
            let events = [
                (
                    "message-start",
                    json!({"type": "message-start", "id": "co-1", "delta": {"message": {"role": "assistant"}}}),
                ),
                (
                    "content-delta",
                    json!({"type": "content-delta", "index": 0, "delta": {"message": {"content": {"text": "Hi from Cohere"}}}}),
                ),
                (
                    "message-end",
                    json!({"type": "message-end", "delta": {"finish_reason": "COMPLETE",
                    "usage": {"billed_units": {"input_tokens": 5, "output_tokens": 2}, "tokens": {"input_tokens": 71, "output_tokens": 2}}}}),
                ),
            ];
            return sse(events
                .iter()
                .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
                .collect());
        }
        return json_answer(json!({"id": "co-1", "finish_reason": "COMPLETE",
            "message": {"role": "assistant", "content": [{"type": "text", "text": "Hi from Cohere"}]},
            "usage": {"billed_units": {"input_tokens": 5, "output_tokens": 3}, "tokens": {"input_tokens": 71, "output_tokens": 3}}}));
    }
    AxumStatus::NOT_FOUND.into_response()
}

async fn mock() -> String {
    let app = Router::new().fallback(any(providers));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind mock");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    base
}

async fn each_provider_serves_the_drop_in(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let base = mock().await;
    let cases = [
        (
            "azure",
            base.clone(),
            json!({"azure": {"deployment": "chat-prod"}}),
            "gpt-4o",
            "Hi from Azure",
            AZURE,
        ),
        (
            "gemini",
            format!("{base}/gemini/v1beta"),
            json!({"gemini": {"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]}}),
            "gemini-2.0-flash",
            "Hi from Gemini",
            GEMINI,
        ),
        (
            "cohere",
            format!("{base}/cohere"),
            json!({"cohere": {"safetyMode": "STRICT"}}),
            "command-r-plus",
            "Hi from Cohere",
            COHERE,
        ),
    ];
    for (provider, url, settings, model, text, (whole_tokens, stream_tokens)) in cases {
        let (jwt, id, key) = project(
            &s,
            json!({"name": provider, "provider": provider, "baseUrl": url,
            "providerApiKey": KEY, "providerSettings": settings}),
        )
        .await;
        let identity = format!("{provider}-user");
        let body = json!({"model": model, "messages": [{"role": "user", "content": "Say hi"}]});
        let whole = drop_in(&s, "/chat/completions", &key, &identity, &body).await;
        assert_eq!(whole.status, StatusCode::OK, "{provider}: {}", whole.text);
        assert_eq!(
            whole.body["choices"][0]["message"]["content"], text,
            "{provider}"
        );
        assert_eq!(
            whole.body["usage"]["total_tokens"], whole_tokens,
            "{provider}"
        );

        let mut streaming = body.clone();
        streaming["stream"] = json!(true);
        let streamed = drop_in(&s, "/chat/completions", &key, &identity, &streaming).await;
        assert_eq!(
            streamed.status,
            StatusCode::OK,
            "{provider}: {}",
            streamed.text
        );
        assert!(
            streamed.text.contains(text),
            "{provider}: {}",
            streamed.text
        );
        assert!(
            streamed.text.ends_with("data: [DONE]\n\n"),
            "{provider}: {}",
            streamed.text
        );
        let total = whole_tokens + stream_tokens;
        assert_eq!(
            wait_for_tokens(&s, &jwt, &id, &identity, total).await,
            total,
            "{provider}"
        );
    }
    s.stop().await;
}

async fn provider_settings_are_validated_with_paths_and_keys_stay_encrypted(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let jwt = s
        .sign_in_new(
            &crate::harness::unique_email("settings"),
            &crate::harness::unique_org("Settings"),
        )
        .await;
    for (body, field) in [
        (json!({"name": "a", "provider": "azure"}), "baseUrl"),
        (json!({"name": "a", "provider": "mistral"}), "provider"),
        (
            json!({"name": "a", "providerSettings": {"azure": {"apiVersion": "latest"}}}),
            "providerSettings.azure.apiVersion",
        ),
        (
            json!({"name": "a", "providerSettings": {"azure": {"deployments": {"gpt-4o": "a/b"}}}}),
            "providerSettings.azure.deployments.gpt-4o",
        ),
        (
            json!({"name": "a", "providerSettings": {"gemini": {"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "SOMETIMES"}]}}}),
            "providerSettings.gemini.safetySettings[0].threshold",
        ),
        (
            json!({"name": "a", "providerSettings": {"cohere": {"bogus": 1}}}),
            "providerSettings.cohere.bogus",
        ),
        (
            json!({"name": "a", "providerSettings": {"bedrock": {}}}),
            "providerSettings.bedrock",
        ),
    ] {
        let refused = s.post("/api/projects", Some(&jwt), &body).await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{body}: {}",
            refused.text
        );
        assert_eq!(refused.body["error"], "invalid_request");
        assert_eq!(refused.body["field"], field, "{body}");
    }

    let settings = json!({"azure": {"apiVersion": "2025-04-01-preview", "deployment": "chat-prod",
        "deployments": {"text-embedding-3-small": "embed-prod"}}});
    let created = s
        .post("/api/projects", Some(&jwt), &json!({"name": "az", "provider": "azure",
            "baseUrl": "https://my-resource.openai.azure.com", "providerApiKey": KEY, "providerSettings": settings}))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["provider"], "azure");
    assert_eq!(created.body["providerSettings"], settings);
    assert_eq!(created.body["hasProviderApiKey"], true);
    assert!(!created.text.contains(KEY), "the key is write-only");
    let id = created.body["id"].as_str().expect("id").to_owned();
    let stored: String =
        sqlx::query("SELECT provider_api_key_encrypted FROM projects WHERE id = $1")
            .bind(&id)
            .fetch_one(s.state.db.pool())
            .await
            .expect("row")
            .try_get("provider_api_key_encrypted")
            .expect("column");
    assert!(
        stored.starts_with("v1:") && !stored.contains(KEY),
        "encrypted at rest"
    );

    // Merged with the stored row: clearing the endpoint of an Azure project is refused.
    let cleared = s
        .patch(
            &format!("/api/projects/{id}"),
            Some(&jwt),
            &json!({"baseUrl": null}),
        )
        .await;
    assert_eq!(cleared.status, StatusCode::BAD_REQUEST, "{}", cleared.text);
    assert_eq!(cleared.body["field"], "baseUrl");
    let moved = s
        .patch(
            &format!("/api/projects/{id}"),
            Some(&jwt),
            &json!({"provider": "gemini", "baseUrl": null, "providerSettings": null}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK, "{}", moved.text);
    assert_eq!(moved.body["provider"], "gemini");
    assert!(
        moved.body.get("providerSettings").is_none(),
        "{}",
        moved.text
    );
    assert_eq!(
        moved.body["baseUrl"],
        Value::Null,
        "Gemini's default API root applies"
    );
    let read = s.get(&format!("/api/projects/{id}"), Some(&jwt)).await;
    assert_eq!(read.body, moved.body);
    s.stop().await;
}

crate::on_every_backend!(
    each_provider_serves_the_drop_in,
    provider_settings_are_validated_with_paths_and_keys_stay_encrypted
);

/// `AZURE_OPENAI_ENDPOINT` is the default resource of Azure projects without a `baseUrl`; a
/// server restarted without it answers their calls 502 (not counted) instead of failing.
#[tokio::test]
async fn the_azure_endpoint_of_the_environment_serves_projects_without_base_url() {
    let base = mock().await;
    let endpoint = base.clone();
    let Some(s) = TestServer::start_with(Backend::Sqlite, |c| {
        c.azure_openai_endpoint = Some(endpoint);
    })
    .await
    else {
        return;
    };
    let (jwt, id, key) = project(
        &s,
        json!({"name": "az", "provider": "azure", "providerApiKey": KEY,
        "providerSettings": {"azure": {"deployment": "chat-prod"}}}),
    )
    .await;
    let body = json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "Say hi"}]});
    let answered = drop_in(&s, "/chat/completions", &key, "zed", &body).await;
    assert_eq!(answered.status, StatusCode::OK, "{}", answered.text);
    assert_eq!(
        wait_for_tokens(&s, &jwt, &id, "zed", AZURE.0).await,
        AZURE.0
    );

    let dir = s.stop().await;
    let database = format!("sqlite://{}/server.db", dir.path().display());
    let Some(again) = TestServer::start_with(Backend::Sqlite, |c| c.database_url = database).await
    else {
        return;
    };
    let orphaned = drop_in(&again, "/chat/completions", &key, "zed", &body).await;
    assert_eq!(
        orphaned.status,
        StatusCode::BAD_GATEWAY,
        "{}",
        orphaned.text
    );
    assert_eq!(orphaned.body["error"]["code"], "upstream_error");
    let row = crate::proxy::identity_usage(&again, &jwt, &id, "zed")
        .await
        .expect("a row");
    assert_eq!(row["requestsUsed"], 1, "the failed call was released");
    again.stop().await;
}
