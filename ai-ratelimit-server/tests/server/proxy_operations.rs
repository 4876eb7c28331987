//! The rest of OpenAI's surface through the limiter: responses (whole, streamed, abandoned),
//! embeddings and images on the drop-in and the proxy routes, the model list (a key, no
//! limit), the deep-link denial on every route, a provider's own 429, an operation the
//! provider does not serve, an OpenAI-compatible server without `stream_options` (tokens
//! estimated and flagged), and privacy of inputs and image prompts.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row as _;

use crate::harness::{Backend, Reply, TestServer};
use crate::ops_upstream::{
    CHAT_TOKENS, EMBEDDING_TOKENS, IMAGE_TOKENS, OpsUpstream, RESPONSE_TOKENS,
    STREAMED_RESPONSE_TOKENS,
};
use crate::proxy::{identity_usage, project, proxy_post, wait_for_tokens};

/// Output tokens the test projects reserve when a request names no maximum.
const DEFAULT_OUTPUT: u64 = 100;

/// A `POST` to the drop-in at `path` with the key as bearer and `identity` in `x-identity`.
pub(crate) async fn drop_in(
    s: &TestServer,
    path: &str,
    key: &str,
    identity: &str,
    body: &Value,
) -> Reply {
    let request = s
        .client
        .post(format!("{}/api/v1/openai{path}", s.base))
        .bearer_auth(key)
        .header("x-identity", identity)
        .json(body);
    TestServer::reply(request.send().await.expect("request sent")).await
}

fn responses_body() -> Value {
    json!({"model": "gpt-test", "input": "Say hello", "instructions": "Be brief."})
}

/// The request-log rows of a project once there are `count`: (identity, status, tokens,
/// tokens_estimated), oldest first. (A row is written when its call settles, which may follow
/// its response.)
async fn log_rows(
    s: &TestServer,
    project_id: &str,
    count: usize,
) -> Vec<(String, String, i64, i64)> {
    let mut rows = Vec::new();
    for _ in 0..300 {
        s.state.request_log.flush().await;
        rows = sqlx::query(
            "SELECT identity, status, tokens, tokens_estimated FROM request_log WHERE project_id = $1 \
             ORDER BY created_at, identity",
        )
        .bind(project_id)
        .fetch_all(s.state.db.pool())
        .await
        .expect("request log")
        .iter()
        .map(|row| {
            (
                row.try_get("identity").expect("identity"),
                row.try_get("status").expect("status"),
                row.try_get("tokens").expect("tokens"),
                row.try_get("tokens_estimated").expect("flag"),
            )
        })
        .collect();
        if rows.len() >= count {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    rows
}

#[tokio::test]
async fn responses_on_the_drop_in_count_the_reported_usage_whole_and_streamed() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "r", "baseUrl": mock.url(), "limitType": "both",
        "dailyRequestLimit": 10, "dailyTokenLimit": 100_000}),
    )
    .await;

    let whole = drop_in(&s, "/responses", &key, "ria", &responses_body()).await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.text);
    assert_eq!(whole.body["object"], "response");
    assert_eq!(whole.body["usage"]["total_tokens"], RESPONSE_TOKENS);
    assert_eq!(whole.headers["x-ratelimit-remaining-requests"], "9");
    assert!(whole.headers.contains_key("ratelimit-policy"));

    let mut body = responses_body();
    body["stream"] = json!(true);
    let streamed = drop_in(&s, "/responses", &key, "ria", &body).await;
    assert_eq!(streamed.status, StatusCode::OK, "{}", streamed.text);
    assert_eq!(
        streamed.headers[reqwest::header::CONTENT_TYPE],
        "text/event-stream"
    );
    assert!(
        streamed
            .text
            .starts_with("event: response.created\ndata: {"),
        "{}",
        streamed.text
    );
    assert!(
        streamed
            .text
            .contains("event: response.output_text.delta\n")
    );
    assert!(streamed.text.contains("event: response.completed\n"));
    assert!(
        !streamed.text.contains("[DONE]"),
        "typed events end without [DONE]"
    );
    assert_eq!(
        wait_for_tokens(
            &s,
            &jwt,
            &id,
            "ria",
            RESPONSE_TOKENS + STREAMED_RESPONSE_TOKENS
        )
        .await,
        RESPONSE_TOKENS + STREAMED_RESPONSE_TOKENS
    );
    let rows = log_rows(&s, &id, 2).await;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|(_, status, _, estimated)| status == "allowed" && *estimated == 0)
    );
    s.stop().await;
}

#[tokio::test]
async fn a_responses_stream_abandoned_midway_still_counts_its_estimate() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "h", "baseUrl": mock.at("hang"),
        "defaultOutputTokens": DEFAULT_OUTPUT}),
    )
    .await;
    let mut body = responses_body();
    body["stream"] = json!(true);
    let estimate = ai_ratelimit_server::proxy::reserved_tokens(
        ai_ratelimit_server::provider::Operation::Responses,
        &body,
        DEFAULT_OUTPUT,
    );
    let mut response = s
        .client
        .post(format!("{}/api/v1/openai/responses", s.base))
        .bearer_auth(&key)
        .header("x-identity", "hal")
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let first = response.chunk().await.expect("chunk").expect("some bytes");
    assert!(first.starts_with(b"event: response.created\n"));
    drop(response);
    assert_eq!(
        wait_for_tokens(&s, &jwt, &id, "hal", estimate).await,
        estimate
    );
    let rows = log_rows(&s, &id, 1).await;
    assert_eq!(
        rows,
        [(
            "hal".to_owned(),
            "allowed".to_owned(),
            i64::try_from(estimate).expect("small"),
            1
        )]
    );
    s.stop().await;
}

#[tokio::test]
async fn embeddings_and_images_on_both_surfaces_count_what_is_reported() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "e", "baseUrl": mock.url(), "limitType": "requests",
        "dailyRequestLimit": 3}),
    )
    .await;

    let embedded = proxy_post(&s, "/api/v1/proxy/embeddings", Some(&key),
        &json!({"identity": "emma", "tier": "free", "model": "text-embedding-3-small", "input": ["a", "b"]})).await;
    assert_eq!(embedded.status, StatusCode::OK, "{}", embedded.text);
    assert_eq!(embedded.body["data"].as_array().map(Vec::len), Some(2));
    assert_eq!(embedded.headers["x-ratelimit-remaining-requests"], "2");
    let sent = mock
        .bodies
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a body");
    assert_eq!(
        sent,
        json!({"model": "text-embedding-3-small", "input": ["a", "b"]}),
        "identity and tier stay here"
    );

    let dalle = drop_in(
        &s,
        "/images/generations",
        &key,
        "emma",
        &json!({"model": "dall-e-3", "prompt": "A cat"}),
    )
    .await;
    assert_eq!(dalle.status, StatusCode::OK, "{}", dalle.text);
    assert_eq!(dalle.body["data"][0]["url"], "https://example.com/cat.png");
    let image = proxy_post(
        &s,
        "/api/v1/proxy/images/generations",
        Some(&key),
        &json!({"identity": "emma", "model": "gpt-image-1", "prompt": "A cat"}),
    )
    .await;
    assert_eq!(image.status, StatusCode::OK, "{}", image.text);
    assert_eq!(
        image.headers["x-ratelimit-remaining-requests"], "0",
        "images count as requests"
    );

    // DALL·E reported no tokens: its estimate is 0.
    let tokens = EMBEDDING_TOKENS + IMAGE_TOKENS;
    assert_eq!(wait_for_tokens(&s, &jwt, &id, "emma", tokens).await, tokens);
    let row = identity_usage(&s, &jwt, &id, "emma").await.expect("a row");
    assert_eq!(row["requestsUsed"], 3);
    let flags: Vec<i64> = log_rows(&s, &id, 3)
        .await
        .into_iter()
        .map(|r| r.3)
        .collect();
    assert_eq!(
        flags.iter().sum::<i64>(),
        1,
        "only the DALL·E image's count is an estimate"
    );

    let over = drop_in(
        &s,
        "/embeddings",
        &key,
        "emma",
        &json!({"model": "text-embedding-3-small", "input": "c"}),
    )
    .await;
    assert_eq!(over.status, StatusCode::TOO_MANY_REQUESTS, "{}", over.text);
    s.stop().await;
}

#[tokio::test]
async fn streamed_images_and_proxy_responses_routes_count_their_usage() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    let (jwt, id, key) = project(&s, json!({"name": "i", "baseUrl": mock.url()})).await;
    let streamed = drop_in(
        &s,
        "/images/generations",
        &key,
        "ivy",
        &json!({"model": "gpt-image-1", "prompt": "A cat", "stream": true, "partial_images": 1}),
    )
    .await;
    assert_eq!(streamed.status, StatusCode::OK, "{}", streamed.text);
    assert!(
        streamed
            .text
            .contains("event: image_generation.completed\n")
    );

    let mut body = responses_body();
    body["identity"] = json!("ivy");
    let whole = proxy_post(&s, "/api/v1/proxy/responses", Some(&key), &body).await;
    assert_eq!(whole.status, StatusCode::OK, "{}", whole.text);
    let stream = proxy_post(&s, "/api/v1/proxy/responses/stream", Some(&key), &body).await;
    assert_eq!(stream.status, StatusCode::OK, "{}", stream.text);
    assert!(stream.text.contains("event: response.completed\n"));
    let expected = IMAGE_TOKENS + RESPONSE_TOKENS + STREAMED_RESPONSE_TOKENS;
    assert_eq!(
        wait_for_tokens(&s, &jwt, &id, "ivy", expected).await,
        expected
    );
    s.stop().await;
}

#[tokio::test]
async fn the_model_list_needs_a_key_and_counts_toward_no_limit() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    // A project that admits nothing: the model list is not a request it counts.
    let (jwt, id, key) = project(
        &s,
        json!({"name": "m", "baseUrl": mock.url(), "dailyRequestLimit": 0}),
    )
    .await;
    let get = |auth: Option<(&'static str, String)>, path: &'static str| {
        let mut request = s.client.get(format!("{}{path}", s.base));
        if let Some((name, value)) = auth {
            request = request.header(name, value);
        }
        async move { TestServer::reply(request.send().await.expect("sent")).await }
    };
    let listed = get(
        Some(("authorization", format!("Bearer {key}"))),
        "/api/v1/openai/models",
    )
    .await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.text);
    assert_eq!(listed.body["data"][0]["id"], "gpt-test");
    assert!(
        !listed
            .headers
            .contains_key("x-ratelimit-remaining-requests")
    );
    let proxied = get(Some(("x-project-key", key.clone())), "/api/v1/proxy/models").await;
    assert_eq!(proxied.status, StatusCode::OK, "{}", proxied.text);
    assert_eq!(proxied.body, listed.body);

    let missing = get(None, "/api/v1/openai/models").await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.body["error"]["type"], "authentication_error");
    assert_eq!(missing.body["error"]["code"], "invalid_project_key");
    let wrong = get(
        Some(("x-project-key", "pk_wrong".to_owned())),
        "/api/v1/proxy/models",
    )
    .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.body["error"], "invalid_project_key");
    assert_eq!(
        mock.hit_count(),
        2,
        "refused lookups never reach the provider"
    );

    let summary = s
        .get(&format!("/api/projects/{id}/usage/summary"), Some(&jwt))
        .await;
    assert_eq!(
        (
            summary.body["totalRequests"].clone(),
            summary.body["limitedRequests"].clone()
        ),
        (json!(0), json!(0))
    );
    s.stop().await;
}

#[tokio::test]
async fn every_new_route_denies_with_the_deep_link_in_its_surface_shape() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    let (_jwt, _id, key) = project(&s, json!({"name": "d", "baseUrl": mock.url(), "dailyRequestLimit": 0,
        "limitExceededResponse": {"error": "limit_exceeded", "message": "Upgrade for more {{metric}}",
            "deepLink": "myapp://upgrade"}})).await;
    let embed = json!({"model": "text-embedding-3-small", "input": "a"});
    let image = json!({"model": "dall-e-3", "prompt": "A cat"});
    for (path, body) in [
        ("/responses", responses_body()),
        ("/embeddings", embed.clone()),
        ("/images/generations", image.clone()),
    ] {
        let denied = drop_in(&s, path, &key, "dee", &body).await;
        assert_eq!(
            denied.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{path}: {}",
            denied.text
        );
        let error = &denied.body["error"];
        assert_eq!(error["type"], "rate_limit_error", "{path}");
        assert_eq!(error["code"], "limit_exceeded", "{path}");
        assert_eq!(error["deepLink"], "myapp://upgrade", "{path}");
        assert_eq!(error["message"], "Upgrade for more requests", "{path}");
        assert_eq!(denied.headers["x-should-retry"], "false", "{path}");
        assert!(denied.headers.contains_key("retry-after"), "{path}");
    }
    for (path, mut body) in [
        ("/api/v1/proxy/responses", responses_body()),
        ("/api/v1/proxy/responses/stream", responses_body()),
        ("/api/v1/proxy/embeddings", embed),
        ("/api/v1/proxy/images/generations", image),
    ] {
        body["identity"] = json!("dee");
        let denied = proxy_post(&s, path, Some(&key), &body).await;
        assert_eq!(
            denied.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{path}: {}",
            denied.text
        );
        assert_eq!(denied.body["deepLink"], "myapp://upgrade", "{path}");
        assert!(denied.headers.contains_key("retry-after"), "{path}");
    }
    assert_eq!(mock.hit_count(), 0, "no denial was forwarded");
    s.stop().await;
}

#[tokio::test]
async fn an_operation_the_provider_does_not_serve_is_refused_before_admission() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "a", "provider": "anthropic", "baseUrl": mock.url()}),
    )
    .await;
    for path in ["/embeddings", "/responses", "/images/generations"] {
        let refused = drop_in(
            &s,
            path,
            &key,
            "ann",
            &json!({"model": "m", "input": "x", "prompt": "x"}),
        )
        .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{path}: {}",
            refused.text
        );
        assert_eq!(refused.body["error"]["type"], "invalid_request_error");
        assert_eq!(refused.body["error"]["param"], "provider");
        assert!(
            refused.body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("anthropic"))
        );
    }
    let proxied = proxy_post(
        &s,
        "/api/v1/proxy/embeddings",
        Some(&key),
        &json!({"identity": "ann", "model": "m", "input": "x"}),
    )
    .await;
    assert_eq!(proxied.status, StatusCode::BAD_REQUEST);
    assert_eq!(proxied.body["field"], "provider");
    assert_eq!(mock.hit_count(), 0);
    assert!(
        identity_usage(&s, &jwt, &id, "ann").await.is_none(),
        "nothing was counted"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_providers_own_429_passes_through_released_and_logged_as_an_error() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "l", "baseUrl": mock.at("limited"), "dailyRequestLimit": 5}),
    )
    .await;
    for path in ["/responses", "/embeddings"] {
        let refused = drop_in(&s, path, &key, "liz", &json!({"model": "m", "input": "x"})).await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert_eq!(
            refused.body["error"]["code"], "rate_limit_exceeded",
            "the provider's own body"
        );
        assert!(refused.body["error"].get("deepLink").is_none());
        assert!(
            !refused.headers.contains_key("x-should-retry"),
            "the SDK may retry the provider's 429"
        );
        assert_eq!(
            refused.headers["x-ratelimit-remaining-requests"], "4",
            "ours still has room"
        );
    }
    let used = identity_usage(&s, &jwt, &id, "liz")
        .await
        .map_or(0, |row| row["requestsUsed"].as_u64().expect("number"));
    assert_eq!(used, 0, "released");
    let rows = log_rows(&s, &id, 2).await;
    assert_eq!(
        rows.iter().filter(|r| r.1 == "error").count(),
        2,
        "{rows:?}"
    );
    let summary = s
        .get(&format!("/api/projects/{id}/usage/summary"), Some(&jwt))
        .await;
    assert_eq!(summary.body["limitedRequests"], 0);
    assert_eq!(summary.body["errorRequests"], 2);
    s.stop().await;
}

/// The README's OpenAI-compatible example: a server (vLLM, Ollama, …) that ignores
/// `stream_options`, so a stream reports no usage: its tokens are the estimate, flagged.
#[tokio::test]
async fn an_openai_compatible_server_without_stream_usage_is_counted_by_estimate_and_flagged() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "c", "provider": "openai", "baseUrl": mock.at("compat"),
        "defaultOutputTokens": DEFAULT_OUTPUT}),
    )
    .await;
    let body = json!({"model": "llama3", "messages": [{"role": "user", "content": "Hi there"}], "stream": true});
    let estimate = ai_ratelimit_server::proxy::reserved_tokens(
        ai_ratelimit_server::provider::Operation::Chat,
        &body,
        DEFAULT_OUTPUT,
    );
    let streamed = drop_in(&s, "/chat/completions", &key, "cora", &body).await;
    assert_eq!(streamed.status, StatusCode::OK, "{}", streamed.text);
    assert!(streamed.text.ends_with("data: [DONE]\n\n"));
    let sent = mock
        .bodies
        .lock()
        .expect("lock")
        .last()
        .cloned()
        .expect("a body");
    assert_eq!(
        sent["stream_options"],
        json!({"include_usage": true}),
        "asked, ignored"
    );
    assert_eq!(
        wait_for_tokens(&s, &jwt, &id, "cora", estimate).await,
        estimate
    );

    let (_, other_id, other_key) = project(&s, json!({"name": "o", "baseUrl": mock.url()})).await;
    let reported = drop_in(&s, "/chat/completions", &other_key, "cora", &body).await;
    assert_eq!(reported.status, StatusCode::OK);
    let estimated = log_rows(&s, &id, 1).await;
    assert_eq!(
        estimated,
        [(
            "cora".to_owned(),
            "allowed".to_owned(),
            i64::try_from(estimate).expect("small"),
            1
        )]
    );
    let exact = log_rows(&s, &other_id, 1).await;
    assert_eq!(
        exact,
        [(
            "cora".to_owned(),
            "allowed".to_owned(),
            i64::try_from(CHAT_TOKENS).expect("small"),
            0
        )]
    );
    s.stop().await;
}

#[tokio::test]
async fn inputs_and_image_prompts_reach_neither_log_nor_database() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    let (jwt, id, key) = project(&s, json!({"name": "p", "baseUrl": mock.url()})).await;
    let marker = format!("secret-input-{}", uuid::Uuid::new_v4().simple());
    let responses = json!({"model": "gpt-test", "instructions": format!("be {marker}"),
        "input": [{"role": "user", "content": [{"type": "input_text", "text": marker}]}]});
    let embeddings = json!({"model": "text-embedding-3-small", "input": [marker]});
    let image = json!({"model": "gpt-image-1", "prompt": format!("a cat named {marker}")});
    for (path, body) in [
        ("/responses", responses.clone()),
        ("/embeddings", embeddings.clone()),
        ("/images/generations", image.clone()),
    ] {
        let r = drop_in(&s, path, &key, "pia", &body).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
        let mut proxied = body;
        proxied["identity"] = json!("pia");
        let r = proxy_post(&s, &format!("/api/v1/proxy{path}"), Some(&key), &proxied).await;
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text);
    }
    let mut streamed = responses;
    streamed["stream"] = json!(true);
    let r = drop_in(&s, "/responses", &key, "pia", &streamed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let expected =
        2 * (RESPONSE_TOKENS + EMBEDDING_TOKENS + IMAGE_TOKENS) + STREAMED_RESPONSE_TOKENS;
    assert_eq!(
        wait_for_tokens(&s, &jwt, &id, "pia", expected).await,
        expected
    );
    s.state.request_log.flush().await;
    assert!(!crate::harness::logs().contains(&marker));
    let dir = s.stop().await;
    for entry in std::fs::read_dir(dir.path()).expect("server dir") {
        let path = entry.expect("entry").path();
        // SQLite removes its -wal/-shm files while closing; a file gone has nothing to hold.
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        assert!(
            !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
            "{} holds an input",
            path.display()
        );
    }
}
