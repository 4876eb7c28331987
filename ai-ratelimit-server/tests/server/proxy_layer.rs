//! The proxy as the rate-limit layer's user: drop-in denials that keep every field of the
//! project's response, and a graceful shutdown that waits for the settlement of a stream
//! abandoned during it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, Reply, TestServer};
use crate::proxy::{MockUpstream, project};

async fn drop_in(s: &TestServer, key: &str, identity: &str, body: Value) -> Reply {
    TestServer::reply(
        s.client
            .post(format!("{}/api/v1/openai/chat/completions", s.base))
            .bearer_auth(key)
            .header("x-identity", identity)
            .json(&body)
            .send()
            .await
            .expect("sent"),
    )
    .await
}

fn hello() -> Value {
    json!({"model": "gpt-test", "messages": [{"role": "user", "content": "Hi"}]})
}

#[tokio::test]
async fn drop_in_denials_keep_every_field_in_openais_shape() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;

    // The default body: usage, limits, limitType and resetAt inside the error object.
    let (_jwt, _id, key) = project(
        &s,
        json!({"name": "d", "baseUrl": mock.url(), "dailyRequestLimit": 1}),
    )
    .await;
    assert_eq!(
        drop_in(&s, &key, "dee", hello()).await.status,
        StatusCode::OK
    );
    let denied = drop_in(&s, &key, "dee", hello()).await;
    assert_eq!(denied.status, StatusCode::TOO_MANY_REQUESTS);
    let error = &denied.body["error"];
    assert_eq!(error["type"], "rate_limit_error");
    assert_eq!(error["code"], "limit_exceeded");
    assert_eq!(error["message"], "Daily limit reached");
    assert_eq!(error["param"], Value::Null);
    assert_eq!(error["limitType"], "requests");
    assert_eq!(error["usage"]["requestsUsed"], 1);
    assert_eq!(error["limits"]["requestLimit"], 1);
    assert!(error["resetAt"].is_string(), "{}", denied.text);
    assert!(denied.headers.contains_key("retry-after"));

    // A project's own response, templated, and a blocking rule's custom response.
    let (_jwt, _id, key) = project(
        &s,
        json!({"name": "c", "baseUrl": mock.url(), "dailyRequestLimit": 0,
            "limitExceededResponse": {"error": "limit_exceeded", "message": "{{used}} of {{limit}}: upgrade",
                "deepLink": "myapp://upgrade", "webUrl": "https://example.com/up", "offer": {"percent": 20}},
            "rules": [{"id": "r1", "name": "pay", "enabled": true,
                "condition": {"type": "tier_match", "value": "blocked"},
                "action": {"type": "custom_response", "status": 402,
                    "response": {"error": "payment_required", "message": "Pay first", "deepLink": "myapp://pay"}}}]}),
    )
    .await;
    let denied = drop_in(&s, &key, "cat", hello()).await;
    assert_eq!(denied.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        denied.body,
        json!({"error": {"message": "0 of 0: upgrade", "type": "rate_limit_error", "code": "limit_exceeded",
            "param": null, "deepLink": "myapp://upgrade", "webUrl": "https://example.com/up",
            "offer": {"percent": 20}}})
    );
    let blocked = TestServer::reply(
        s.client
            .post(format!("{}/api/v1/openai/chat/completions", s.base))
            .bearer_auth(&key)
            .header("x-identity", "cat")
            .header("x-tier", "blocked")
            .json(&hello())
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(blocked.status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(blocked.body["error"]["code"], "payment_required");
    assert_eq!(blocked.body["error"]["deepLink"], "myapp://pay");
    assert!(!blocked.headers.contains_key("retry-after"));

    // The drop-in's own validation errors name their field in `param`.
    let missing = TestServer::reply(
        s.client
            .post(format!("{}/api/v1/openai/chat/completions", s.base))
            .bearer_auth(&key)
            .json(&hello())
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.body["error"]["type"], "invalid_request_error");
    assert_eq!(missing.body["error"]["param"], "identity");
    assert_eq!(mock.hits.load(std::sync::atomic::Ordering::SeqCst), 1);
    s.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_abandoned_during_shutdown_is_still_counted() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (_jwt, _id, key) = project(&s, json!({"name": "p", "baseUrl": mock.at("hang")})).await;
    let project = s
        .state
        .projects
        .project_by_key(&key)
        .await
        .expect("lookup")
        .expect("project");
    let body = json!({"identity": "hal", "model": "gpt-test",
        "messages": [{"role": "user", "content": "Hi"}]});
    let mut forwarded = body.clone();
    forwarded.as_object_mut().map(|b| b.remove("identity"));
    let estimate = ai_ratelimit_core::estimate::request_tokens(
        &forwarded,
        project.policy.default_output_tokens(),
    );
    let mut response = s
        .client
        .post(format!("{}/api/v1/proxy/chat/stream", s.base))
        .header("x-project-key", &key)
        .json(&body)
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    response.chunk().await.expect("chunk").expect("first bytes");

    // Shut down while the stream hangs: the server stops listening, then waits for it.
    let base = s.base.clone();
    let stopping = tokio::spawn(s.stop());
    let probe = reqwest::Client::new();
    while probe.get(format!("{base}/healthz")).send().await.is_ok() {
        tokio::task::yield_now().await;
    }
    // The client leaves during the shutdown: the stream's settlement must still land.
    drop(response);
    let dir = stopping.await.expect("stopped");

    let database = format!("sqlite://{}/server.db", dir.path().display());
    let Some(again) = TestServer::start_with(Backend::Sqlite, |c| c.database_url = database).await
    else {
        return;
    };
    let (_, usage) = again
        .state
        .limiter
        .usage(&project.policy, &project.id, "hal")
        .await
        .expect("usage");
    assert_eq!((usage.requests, usage.tokens), (1, estimate));
    // Its request-log entry too: written when it settled, before the log was closed.
    let logged: (i64, i64) = sqlx::query_as(
        "SELECT COUNT(*), COALESCE(SUM(tokens), 0) FROM request_log WHERE identity = 'hal' AND status = 'allowed'",
    )
    .fetch_one(again.state.db.pool())
    .await
    .expect("request log");
    assert_eq!(logged, (1, i64::try_from(estimate).expect("small")));
    again.stop().await;
    drop(dir);
}
