//! The limiting proxy against a mock OpenAI upstream: limits and headers, errors, streaming and
//! token counting, upstream failure, the OpenAI drop-in surface and concurrent admission.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Json;
use axum::Router;
use axum::http::{StatusCode as AxumStatus, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use futures::StreamExt as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, Reply, TestServer, unique_email, unique_org};

/// Tokens the mock reports for every completion.
pub(crate) const MOCK_TOKENS: u64 = 42;

/// A mock OpenAI chat-completions upstream on an ephemeral port.
pub(crate) struct MockUpstream {
    pub(crate) base: String,
    pub(crate) hits: Arc<AtomicUsize>,
}

async fn mock_chat(hits: Arc<AtomicUsize>, body: Value) -> Response {
    hits.fetch_add(1, Ordering::SeqCst);
    if body.get("identity").is_some() || body.get("tier").is_some() {
        return (AxumStatus::BAD_REQUEST, "proxy fields leaked").into_response();
    }
    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        let chunk = |content: &str| {
            json!({"id": "c1", "object": "chat.completion.chunk", "model": "gpt-test",
                "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": null}]})
        };
        let usage = json!({"id": "c1", "object": "chat.completion.chunk", "model": "gpt-test",
            "choices": [], "usage": {"prompt_tokens": 40, "completion_tokens": 2, "total_tokens": MOCK_TOKENS}});
        let text = format!(
            "data: {}\n\ndata: {}\n\ndata: {}\n\ndata: [DONE]\n\n",
            chunk("Hel"),
            chunk("lo"),
            usage
        );
        return ([(header::CONTENT_TYPE, "text/event-stream")], text).into_response();
    }
    Json(json!({
        "id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-test",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 40, "completion_tokens": 2, "total_tokens": MOCK_TOKENS}
    }))
    .into_response()
}

impl MockUpstream {
    pub(crate) async fn start() -> Self {
        let hits = Arc::new(AtomicUsize::new(0));
        let ok_hits = hits.clone();
        let fail_hits = hits.clone();
        let app = Router::new()
            .route(
                "/v1/chat/completions",
                post(move |Json(body): Json<Value>| mock_chat(ok_hits.clone(), body)),
            )
            .route(
                "/bad/v1/chat/completions",
                post(|| async {
                    (
                        AxumStatus::BAD_REQUEST,
                        Json(json!({"error": {"message": "bad model", "type": "invalid_request_error", "code": "model_not_found"}})),
                    )
                }),
            )
            .route(
                "/hang/v1/chat/completions",
                post(|| async {
                    let first = format!(
                        "data: {}\n\n",
                        json!({"id": "c1", "object": "chat.completion.chunk", "choices": [{"index": 0, "delta": {"content": "Hi"}}]})
                    );
                    // One chunk, then silence: the client leaves before the end.
                    let body = futures::stream::iter([Ok::<_, std::io::Error>(first)])
                        .chain(futures::stream::pending());
                    (
                        [(header::CONTENT_TYPE, "text/event-stream")],
                        axum::body::Body::from_stream(body),
                    )
                }),
            )
            .route(
                "/slow/v1/chat/completions",
                // Answers long after the short first-byte timeout of the test that uses it.
                post(|Json(body): Json<Value>| async move {
                    tokio::time::sleep(std::time::Duration::from_secs(10)).await;
                    mock_chat(Arc::default(), body).await
                }),
            )
            .route(
                "/fail/v1/chat/completions",
                post(move || {
                    let hits = fail_hits.clone();
                    async move {
                        hits.fetch_add(1, Ordering::SeqCst);
                        (AxumStatus::INTERNAL_SERVER_ERROR, "boom")
                    }
                }),
            );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind mock");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { base, hits }
    }

    pub(crate) fn url(&self) -> String {
        format!("{}/v1/chat/completions", self.base)
    }

    pub(crate) fn at(&self, prefix: &str) -> String {
        format!("{}/{prefix}/v1/chat/completions", self.base)
    }

    fn failing_url(&self) -> String {
        format!("{}/fail/v1/chat/completions", self.base)
    }
}

/// A signed-in owner and one project of theirs: (jwt, project id, project key).
pub(crate) async fn project(s: &TestServer, body: Value) -> (String, String, String) {
    let jwt = s
        .sign_in_new(&unique_email("proxy"), &unique_org("Proxy"))
        .await;
    let p = s.post("/api/projects", Some(&jwt), &body).await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
    let id = p.body["id"].as_str().expect("id").to_owned();
    let key = p.body["projectKey"].as_str().expect("key").to_owned();
    (jwt, id, key)
}

pub(crate) async fn proxy_post(
    s: &TestServer,
    path: &str,
    key: Option<&str>,
    body: &Value,
) -> Reply {
    let mut request = s.client.post(format!("{}{path}", s.base)).json(body);
    if let Some(key) = key {
        request = request.header("x-project-key", key);
    }
    TestServer::reply(request.send().await.expect("request sent")).await
}

pub(crate) fn chat(identity: &str) -> Value {
    json!({"identity": identity, "model": "gpt-test", "messages": [{"role": "user", "content": "Hi"}]})
}

/// Polls the by-identity row of `identity` until its tokens equal `expected` (settlement after
/// a stream runs in a background task) and returns the last value seen.
pub(crate) async fn wait_for_tokens(
    s: &TestServer,
    jwt: &str,
    id: &str,
    identity: &str,
    expected: u64,
) -> Value {
    let mut tokens = Value::Null;
    for _ in 0..300 {
        if let Some(row) = identity_usage(s, jwt, id, identity).await {
            tokens = row["tokensUsed"].clone();
            if tokens == expected {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    tokens
}

/// The by-identity usage row of `identity`, if any.
pub(crate) async fn identity_usage(
    s: &TestServer,
    jwt: &str,
    id: &str,
    identity: &str,
) -> Option<Value> {
    let r = s
        .get(&format!("/api/projects/{id}/usage/by-identity"), Some(jwt))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|item| item["identity"] == identity)
        .cloned()
}

#[tokio::test]
async fn limit_admits_two_then_answers_custom_429_with_headers() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "p", "baseUrl": mock.url(), "limitType": "requests", "dailyRequestLimit": 2,
            "limitExceededResponse": {"error": "limit_exceeded", "message": "Upgrade to continue ({{used}}/{{limit}})"}}),
    )
    .await;
    for remaining in ["1", "0"] {
        let r = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &chat("alice")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.body["choices"][0]["message"]["content"], "Hello");
        assert_eq!(r.headers["x-ratelimit-remaining-requests"], remaining);
        assert_eq!(r.headers["x-ratelimit-limit-requests"], "2");
        assert!(r.headers.contains_key("ratelimit-policy"));
    }
    let denied = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &chat("alice")).await;
    assert_eq!(denied.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(denied.body["message"], "Upgrade to continue (2/2)");
    assert_eq!(denied.headers["x-ratelimit-remaining-requests"], "0");
    let retry: u64 = denied.headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    assert_eq!(
        mock.hits.load(Ordering::SeqCst),
        2,
        "the 429 is not forwarded"
    );
    let usage = identity_usage(&s, &jwt, &id, "alice").await.expect("row");
    assert_eq!(usage["requestsUsed"], 2);
    assert_eq!(usage["tokensUsed"], MOCK_TOKENS * 2);
    s.stop().await;
}

#[tokio::test]
async fn unknown_key_and_missing_identity_are_refused() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (_jwt, _id, key) = project(&s, json!({"name": "p", "baseUrl": mock.url()})).await;
    let unknown = proxy_post(&s, "/api/v1/proxy/chat", Some("pk_nope"), &chat("a")).await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body["error"], "invalid_project_key");
    let missing_key = proxy_post(&s, "/api/v1/proxy/chat", None, &chat("a")).await;
    assert_eq!(missing_key.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing_key.body["error"], "invalid_project_key");
    let no_identity = proxy_post(
        &s,
        "/api/v1/proxy/chat",
        Some(&key),
        &json!({"model": "gpt-test", "messages": []}),
    )
    .await;
    assert_eq!(no_identity.status, StatusCode::BAD_REQUEST);
    assert_eq!(no_identity.body["error"], "invalid_request");
    assert_eq!(no_identity.body["field"], "identity");
    assert_eq!(mock.hits.load(Ordering::SeqCst), 0);
    s.stop().await;
}

#[tokio::test]
async fn stream_passes_chunks_and_counts_reported_tokens() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (jwt, id, key) = project(&s, json!({"name": "p", "baseUrl": mock.url()})).await;
    let r = proxy_post(&s, "/api/v1/proxy/chat/stream", Some(&key), &chat("sam")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.headers["content-type"], "text/event-stream");
    assert!(r.headers.contains_key("x-ratelimit-reset"));
    assert!(r.text.contains("\"content\":\"Hel\""), "{}", r.text);
    assert!(r.text.contains("\"content\":\"lo\""), "{}", r.text);
    assert!(r.text.ends_with("data: [DONE]\n\n"), "{}", r.text);
    assert!(
        !r.text.contains("total_tokens"),
        "usage chunk not asked for"
    );
    assert_eq!(
        wait_for_tokens(&s, &jwt, &id, "sam", MOCK_TOKENS).await,
        MOCK_TOKENS
    );
    s.stop().await;
}

#[tokio::test]
async fn upstream_500_is_502_and_not_counted() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "p", "baseUrl": mock.failing_url(), "dailyRequestLimit": 1}),
    )
    .await;
    for _ in 0..2 {
        let r = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &chat("eve")).await;
        assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{}", r.text);
        assert_eq!(r.body["error"], "upstream_error");
    }
    assert_eq!(
        mock.hits.load(Ordering::SeqCst),
        2,
        "a released request frees its slot"
    );
    let used = identity_usage(&s, &jwt, &id, "eve")
        .await
        .map_or(0, |row| row["requestsUsed"].as_u64().expect("number"));
    assert_eq!(used, 0);
    s.stop().await;
}

#[tokio::test]
async fn openai_drop_in_takes_bearer_key_and_identity_header() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "p", "baseUrl": mock.url(), "limitType": "requests", "dailyRequestLimit": 1}),
    )
    .await;
    let send = |body: Value| {
        s.client
            .post(format!("{}/api/v1/openai/chat/completions", s.base))
            .bearer_auth(&key)
            .header("x-identity", "olga")
            .json(&body)
            .send()
    };
    let body = json!({"model": "gpt-test", "messages": [{"role": "user", "content": "Hi"}]});
    let ok = TestServer::reply(send(body.clone()).await.expect("sent")).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["object"], "chat.completion");
    let limited = TestServer::reply(send(body).await.expect("sent")).await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(limited.body["error"]["type"], "rate_limit_error");
    assert!(limited.body["error"]["message"].is_string());
    assert!(limited.headers.contains_key("retry-after"));
    // Otherwise openai-node sleeps the whole Retry-After (until the window resets) and retries.
    assert_eq!(limited.headers["x-should-retry"], "false");
    assert_eq!(limited.headers["x-ratelimit-remaining-requests"], "0");
    let row = identity_usage(&s, &jwt, &id, "olga").await.expect("row");
    assert_eq!(row["requestsUsed"], 1);

    let bad_key = TestServer::reply(
        s.client
            .post(format!("{}/api/v1/openai/chat/completions", s.base))
            .bearer_auth("pk_unknown")
            .json(&json!({"model": "m", "messages": [], "user": "u"}))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(bad_key.status, StatusCode::UNAUTHORIZED);
    assert_eq!(bad_key.body["error"]["code"], "invalid_project_key");
    assert_eq!(bad_key.body["error"]["type"], "authentication_error");
    s.stop().await;
}

#[tokio::test]
async fn openai_drop_in_streams_with_user_as_identity() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (_jwt, _id, key) = project(&s, json!({"name": "p", "baseUrl": mock.url()})).await;
    let r = TestServer::reply(
        s.client
            .post(format!("{}/api/v1/openai/chat/completions", s.base))
            .header("x-project-key", &key)
            .json(&json!({"model": "gpt-test", "stream": true, "user": "uma",
                "messages": [{"role": "user", "content": "Hi"}]}))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(r.text.ends_with("data: [DONE]\n\n"), "{}", r.text);
    s.stop().await;
}

/// 100 concurrent proxy requests of one identity against a limit of 20: exactly 20 reach the
/// upstream, 80 get 429, on each usage store.
async fn concurrent_requests_admit_exactly_the_limit(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "p", "baseUrl": mock.url(), "limitType": "requests", "dailyRequestLimit": 20}),
    )
    .await;
    let url = format!("{}/api/v1/proxy/chat", s.base);
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let request = s
                .client
                .post(&url)
                .header("x-project-key", &key)
                .json(&chat("crowd"));
            tokio::spawn(async move { request.send().await.expect("sent").status() })
        })
        .collect();
    let mut ok = 0;
    let mut limited = 0;
    for task in tasks {
        match task.await.expect("task") {
            StatusCode::OK => ok += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((ok, limited), (20, 80));
    assert_eq!(mock.hits.load(Ordering::SeqCst), 20);
    let row = identity_usage(&s, &jwt, &id, "crowd").await.expect("row");
    assert_eq!(row["requestsUsed"], 20);
    // Settlements land after their responses (the reservations hold the estimate meanwhile).
    assert_eq!(
        wait_for_tokens(&s, &jwt, &id, "crowd", 20 * MOCK_TOKENS).await,
        20 * MOCK_TOKENS
    );
    s.stop().await;
}

mod concurrent_requests_admit_exactly_the_limit {
    use crate::harness::Backend;

    #[tokio::test]
    async fn sqlite() {
        super::concurrent_requests_admit_exactly_the_limit(Backend::Sqlite).await
    }

    #[tokio::test]
    async fn postgres() {
        super::concurrent_requests_admit_exactly_the_limit(Backend::Postgres).await
    }

    #[tokio::test]
    async fn redis() {
        super::concurrent_requests_admit_exactly_the_limit(Backend::Redis).await
    }
}

#[tokio::test]
async fn client_disconnect_mid_stream_still_counts_the_estimate() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (jwt, id, key) = project(&s, json!({"name": "p", "baseUrl": mock.at("hang")})).await;
    let record = s
        .state
        .projects
        .project_by_key(&key)
        .await
        .expect("lookup")
        .expect("project");
    let mut forwarded = chat("dan");
    if let Some(body) = forwarded.as_object_mut() {
        body.remove("identity");
    }
    let estimate = ai_ratelimit_core::estimate::request_tokens(
        &forwarded,
        record.policy.default_output_tokens(),
    );
    let mut response = s
        .client
        .post(format!("{}/api/v1/proxy/chat/stream", s.base))
        .header("x-project-key", &key)
        .json(&chat("dan"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let first = response.chunk().await.expect("chunk").expect("some bytes");
    assert!(first.starts_with(b"data: "));
    drop(response);
    assert_eq!(
        wait_for_tokens(&s, &jwt, &id, "dan", estimate).await,
        estimate
    );
    s.stop().await;
}

#[tokio::test]
async fn upstream_4xx_passes_through_and_warning_rule_sets_header() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (jwt, id, key) = project(&s, json!({"name": "p", "baseUrl": mock.at("bad")})).await;
    let bad = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &chat("bo")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["error"]["code"], "model_not_found");
    let used = identity_usage(&s, &jwt, &id, "bo")
        .await
        .map_or(0, |row| row["requestsUsed"].as_u64().expect("number"));
    assert_eq!(used, 0, "a refused request is released");

    let (_jwt, _id, key) = project(
        &s,
        json!({"name": "w", "baseUrl": mock.url(), "tiers": {"free": {"requestLimit": 1, "tokenLimit": null}},
            "rules": [{"id": "r1", "name": "free", "enabled": true,
                "condition": {"type": "tier_match", "value": "free"},
                "action": {"type": "custom_response", "response": {"message": "tier {{tier}}"}, "block": false}}]}),
    )
    .await;
    let mut body = chat("fay");
    body["tier"] = json!("free");
    let warned = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &body).await;
    assert_eq!(warned.status, StatusCode::OK, "{}", warned.text);
    assert_eq!(
        warned.headers["x-ratelimit-warning"],
        r#"{"message":"tier free"}"#
    );
    let limited = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &body).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "tier limit of 1"
    );
    s.stop().await;
}

#[tokio::test]
async fn prompts_reach_neither_log_nor_database() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (jwt, id, key) = project(&s, json!({"name": "p", "baseUrl": mock.url()})).await;
    let marker = format!("secret-prompt-{}", uuid::Uuid::new_v4().simple());
    let body = json!({"identity": "pia", "model": "gpt-test",
        "messages": [{"role": "user", "content": marker}]});
    let r = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = proxy_post(&s, "/api/v1/proxy/chat/stream", Some(&key), &body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    wait_for_tokens(&s, &jwt, &id, "pia", MOCK_TOKENS * 2).await;
    s.state.request_log.flush().await;
    let summary = s
        .get(&format!("/api/projects/{id}/usage/summary"), Some(&jwt))
        .await;
    assert_eq!(summary.body["totalRequests"], 2, "{}", summary.text);
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
            "{} holds the prompt",
            path.display()
        );
    }
}

#[tokio::test]
async fn stream_tokens_survive_an_immediate_stop_and_restart() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (_jwt, _id, key) = project(&s, json!({"name": "p", "baseUrl": mock.url()})).await;
    let r = proxy_post(&s, "/api/v1/proxy/chat/stream", Some(&key), &chat("stu")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Stop at once, then read the counters back from a restarted server over the same files.
    let dir = s.stop().await;
    let database = format!("sqlite://{}/server.db", dir.path().display());
    let Some(again) = TestServer::start_with(Backend::Sqlite, |c| c.database_url = database).await
    else {
        return;
    };
    let project = again
        .state
        .projects
        .project_by_key(&key)
        .await
        .expect("lookup")
        .expect("project survives the restart");
    let (_, usage) = again
        .state
        .limiter
        .usage(&project.policy, &project.id, "stu")
        .await
        .expect("usage");
    assert_eq!((usage.requests, usage.tokens), (1, MOCK_TOKENS));
    again.stop().await;
    drop(dir);
}

#[tokio::test]
async fn first_byte_timeout_from_the_environment_is_502_and_not_counted() {
    let Some(s) = TestServer::start_with(Backend::Sqlite, |raw| {
        raw.provider_first_byte_timeout_ms = Some(200);
    })
    .await
    else {
        return;
    };
    assert_eq!(
        s.state.config.providers.first_byte_timeout(),
        std::time::Duration::from_millis(200)
    );
    let mock = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "p", "baseUrl": mock.at("slow"), "dailyRequestLimit": 1}),
    )
    .await;
    for path in ["/api/v1/proxy/chat", "/api/v1/proxy/chat/stream"] {
        let r = proxy_post(&s, path, Some(&key), &chat("tim")).await;
        assert_eq!(r.status, StatusCode::BAD_GATEWAY, "{path}: {}", r.text);
        assert_eq!(r.body["error"], "upstream_error");
    }
    let used = identity_usage(&s, &jwt, &id, "tim")
        .await
        .map_or(0, |row| row["requestsUsed"].as_u64().expect("number"));
    assert_eq!(used, 0, "a timed-out request is released");
    s.stop().await;
}

#[tokio::test]
async fn a_blocking_rule_answers_its_own_status_without_retry_after() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (_jwt, _id, key) = project(
        &s,
        json!({"name": "p", "baseUrl": mock.url(),
            "rules": [{"id": "r1", "name": "pay", "enabled": true,
                "condition": {"type": "tier_match", "value": "free"},
                "action": {"type": "custom_response", "status": 402,
                    "response": {"error": "payment_required", "message": "Upgrade"}}}]}),
    )
    .await;
    let mut body = chat("pat");
    body["tier"] = json!("free");
    let blocked = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &body).await;
    assert_eq!(
        blocked.status,
        StatusCode::PAYMENT_REQUIRED,
        "{}",
        blocked.text
    );
    assert_eq!(blocked.body["error"], "payment_required");
    assert!(
        !blocked.headers.contains_key("retry-after"),
        "a 402 is not a retry-later answer"
    );
    assert!(blocked.headers.contains_key("x-ratelimit-reset"));
    assert_eq!(mock.hits.load(Ordering::SeqCst), 0);
    s.stop().await;
}
