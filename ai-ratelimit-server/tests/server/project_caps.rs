//! Project-wide caps (`projectLimits`): exactly C admitted across many identities under
//! concurrency, `429 project_limit_exceeded` with the project's numbers (or the project's
//! template filled with the cap's), the cap as its own policy in the IETF headers, and the
//! usage summary's project-wide numbers — on SQLite, PostgreSQL and Redis counters.

use std::sync::atomic::Ordering;

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Backend, TestServer};
use crate::on_every_backend;
use crate::proxy::{MockUpstream, chat, project, proxy_post};

async fn the_cap_binds_across_identities(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "Capped", "baseUrl": upstream.url(), "providerApiKey": "sk-test",
            "dailyRequestLimit": 5, "projectLimits": {"requestLimit": 10, "tokenLimit": null}}),
    )
    .await;
    let shown = s.get(&format!("/api/projects/{id}"), Some(&jwt)).await;
    assert_eq!(
        shown.body["projectLimits"],
        json!({"requestLimit": 10, "tokenLimit": null})
    );
    // 40 concurrent calls from 20 identities, each far under its own limit of 5.
    let calls: Vec<_> = (0..40)
        .map(|i| {
            let request = s
                .client
                .post(format!("{}/api/v1/proxy/chat", s.base))
                .header("x-project-key", &key)
                .json(&chat(&format!("user-{}", i % 20)));
            tokio::spawn(
                async move { TestServer::reply(request.send().await.expect("sent")).await },
            )
        })
        .collect();
    let mut admitted = 0;
    let mut denial = None;
    for call in calls {
        let reply = call.await.expect("task");
        match reply.status {
            StatusCode::OK => admitted += 1,
            StatusCode::TOO_MANY_REQUESTS => denial = Some(reply),
            other => panic!("unexpected {other}: {}", reply.text),
        }
    }
    assert_eq!(admitted, 10, "exactly the cap, project-wide");
    assert_eq!(upstream.hits.load(Ordering::SeqCst), 10);
    let denial = denial.expect("denied calls");
    assert_eq!(
        denial.body["error"], "project_limit_exceeded",
        "{}",
        denial.text
    );
    assert_eq!(denial.body["message"], "Project limit reached");
    assert_eq!(denial.body["usage"]["requestsUsed"], 10);
    assert_eq!(
        denial.body["limits"],
        json!({"requestLimit": 10, "tokenLimit": null})
    );
    assert_eq!(denial.body["limitType"], "requests");
    assert!(denial.headers.contains_key("retry-after"));
    let policy = denial.headers["ratelimit-policy"].to_str().expect("ascii");
    assert!(
        policy.contains("\"requests\";q=5;w=86400")
            && policy.contains("\"project-requests\";q=10;w=86400"),
        "{policy}"
    );
    let state = denial.headers["ratelimit"].to_str().expect("ascii");
    assert!(state.contains("\"project-requests\";r=0;"), "{state}");

    let summary = s
        .get(&format!("/api/projects/{id}/usage/summary"), Some(&jwt))
        .await;
    assert_eq!(summary.status, StatusCode::OK, "{}", summary.text);
    assert_eq!(summary.body["totalRequests"], 10);
    assert_eq!(summary.body["requestsUsed"], 10);
    assert_eq!(
        summary.body["projectLimits"],
        json!({"requestLimit": 10, "tokenLimit": null})
    );
    s.stop().await;
}

async fn a_template_gets_the_caps_numbers(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "Templated", "baseUrl": upstream.url(), "providerApiKey": "sk-test",
            "dailyRequestLimit": 1,
            "limitExceededResponse": {"error": "limit_exceeded", "message": "{{used}} of {{limit}} {{metric}}", "deepLink": "app://up"}}),
    )
    .await;
    // The cap is set later, and removed again: a PATCH of one field.
    let r = s
        .patch(
            &format!("/api/projects/{id}"),
            Some(&jwt),
            &json!({"projectLimits": {"requestLimit": 2}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for identity in ["a", "b"] {
        let r = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &chat(identity)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    // The identity's own limit speaks first.
    let own = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &chat("a")).await;
    assert_eq!(own.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(own.body["message"], "1 of 1 requests");
    // The cap's denial, templated with the project's numbers; OpenAI's shape on the drop-in.
    let capped = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &chat("c")).await;
    assert_eq!(capped.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(capped.body["message"], "2 of 2 requests");
    assert_eq!(capped.body["deepLink"], "app://up");
    let dropin = TestServer::reply(
        s.client
            .post(format!("{}/api/v1/openai/chat/completions", s.base))
            .bearer_auth(&key)
            .header("x-identity", "d")
            .json(&json!({"model": "gpt-test", "messages": [{"role": "user", "content": "Hi"}]}))
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(dropin.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(dropin.body["error"]["message"], "2 of 2 requests");
    assert_eq!(dropin.body["error"]["type"], "rate_limit_error");
    let r = s
        .patch(
            &format!("/api/projects/{id}"),
            Some(&jwt),
            &json!({"projectLimits": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["projectLimits"], serde_json::Value::Null);
    let freed = proxy_post(&s, "/api/v1/proxy/chat", Some(&key), &chat("e")).await;
    assert_eq!(freed.status, StatusCode::OK, "{}", freed.text);
    let summary = s
        .get(&format!("/api/projects/{id}/usage/summary"), Some(&jwt))
        .await;
    assert!(
        summary.body.get("projectLimits").is_none(),
        "{}",
        summary.text
    );
    let bad = s
        .patch(
            &format!("/api/projects/{id}"),
            Some(&jwt),
            &json!({"projectLimits": {"requestLimit": -1}}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["field"], "projectLimits.requestLimit");
    s.stop().await;
}

on_every_backend!(
    the_cap_binds_across_identities,
    a_template_gets_the_caps_numbers
);

#[tokio::test]
async fn the_cap_binds_with_redis_counters() {
    the_cap_binds_across_identities(Backend::Redis).await;
}
