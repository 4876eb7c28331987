//! Usage summary, by-identity listing and history.

use ai_ratelimit_core::{Decision, LimitRequest};
use ai_ratelimit_server::request_log::{RequestLogEntry, RequestOutcome};
use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Backend, TestServer, start_time, unique_email, unique_org};
use crate::on_every_backend;

on_every_backend!(summary_and_by_identity, history_per_day);

/// Admits `n` requests of `identity` through the server's limiter and settles `tokens` each.
pub(crate) async fn admit(
    s: &TestServer,
    key: &str,
    identity: &str,
    tier: Option<&str>,
    n: usize,
    tokens: u64,
) {
    let project = s
        .state
        .projects
        .project_by_key(key)
        .await
        .expect("lookup")
        .expect("project");
    for _ in 0..n {
        let request = LimitRequest {
            scope: &project.id,
            identity,
            tier,
            estimated_tokens: 10,
        };
        match s
            .state
            .limiter
            .check(&project.policy, &request)
            .await
            .expect("check")
        {
            Decision::Admitted(a) => {
                if let Some(r) = a.reservation {
                    s.state.limiter.settle(r, tokens).await.expect("settle");
                }
            }
            Decision::Denied(d) => panic!("denied: {:?}", d.body),
        }
    }
}

fn entry(
    project_id: &str,
    identity: &str,
    outcome: RequestOutcome,
    tokens: u64,
    days_ago: i64,
) -> RequestLogEntry {
    RequestLogEntry {
        project_id: project_id.to_owned(),
        identity: identity.to_owned(),
        tier: None,
        model: Some("gpt-4o-mini".to_owned()),
        outcome,
        tokens,
        tokens_estimated: false,
        latency_ms: 120,
        at: start_time() - Duration::days(days_ago),
    }
}

async fn summary_and_by_identity(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let jwt = s
        .sign_in_new(&unique_email("usage"), &unique_org("Usage"))
        .await;
    let p = s
        .post("/api/projects", Some(&jwt), &json!({"name": "u"}))
        .await;
    let id = p.body["id"].as_str().expect("id").to_owned();
    let key = p.body["projectKey"].as_str().expect("key").to_owned();
    let base = format!("/api/projects/{id}/usage");

    let zero = s.get(&format!("{base}/summary"), Some(&jwt)).await;
    assert_eq!(zero.status, StatusCode::OK);
    assert_eq!(
        zero.body,
        json!({"periodStart": "2026-03-10", "totalRequests": 0, "totalTokens": 0, "uniqueIdentities": 0, "limitedRequests": 0, "errorRequests": 0})
    );

    admit(&s, &key, "alice", Some("pro"), 3, 100).await;
    admit(&s, &key, "bob", None, 1, 50).await;
    admit(&s, &key, "carol", None, 2, 5).await;
    admit(&s, &key, "dave", None, 2, 5).await;
    s.state
        .request_log
        .record(entry(&id, "bob", RequestOutcome::Limited, 0, 0));
    s.state
        .request_log
        .record(entry(&id, "bob", RequestOutcome::Limited, 0, 0));
    s.state
        .request_log
        .record(entry(&id, "carol", RequestOutcome::Error, 0, 0));
    s.state
        .request_log
        .record(entry(&id, "carol", RequestOutcome::Limited, 0, 1));
    s.state.request_log.flush().await;

    let summary = s.get(&format!("{base}/summary"), Some(&jwt)).await;
    assert_eq!(
        summary.body,
        json!({"periodStart": "2026-03-10", "totalRequests": 8, "totalTokens": 370, "uniqueIdentities": 4, "limitedRequests": 2, "errorRequests": 1})
    );
    let yesterday = s
        .get(&format!("{base}/summary?date=2026-03-09"), Some(&jwt))
        .await;
    assert_eq!(yesterday.body["periodStart"], "2026-03-09");
    assert_eq!(yesterday.body["totalRequests"], 0);
    assert_eq!(yesterday.body["limitedRequests"], 1);

    let all = s.get(&format!("{base}/by-identity"), Some(&jwt)).await;
    assert_eq!(all.status, StatusCode::OK);
    assert_eq!(all.body["nextCursor"], serde_json::Value::Null);
    let items = all.body["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    assert_eq!(
        items[0],
        json!({"identity": "alice", "tier": "pro", "requestsUsed": 3, "tokensUsed": 300, "periodStart": "2026-03-10"})
    );
    let order: Vec<&str> = items
        .iter()
        .map(|i| i["identity"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        order,
        ["alice", "carol", "dave", "bob"],
        "most requests first, then identity"
    );

    // Cursor pagination.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{base}/by-identity?limit=3&cursor={c}"),
            None => format!("{base}/by-identity?limit=3"),
        };
        let page = s.get(&path, Some(&jwt)).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        for item in page.body["items"].as_array().expect("items") {
            seen.push(item["identity"].as_str().expect("identity").to_owned());
        }
        match page.body["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen, order);

    for (query, field) in [
        ("by-identity?limit=0", "limit"),
        ("by-identity?limit=1001", "limit"),
        ("by-identity?limit=abc", "limit"),
        ("by-identity?cursor=%%%", "cursor"),
        ("by-identity?cursor=bm9wZQ", "cursor"),
        ("by-identity?date=yesterday", "date"),
        ("summary?date=2026-13-01", "date"),
    ] {
        let r = s.get(&format!("{base}/{query}"), Some(&jwt)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text);
        assert_eq!(r.body["error"], "invalid_request");
        assert_eq!(r.body["field"], field, "{query}");
    }
    assert_eq!(
        s.get(&format!("{base}/summary"), None).await.status,
        StatusCode::UNAUTHORIZED
    );
    s.stop().await;
}

async fn history_per_day(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let jwt = s
        .sign_in_new(&unique_email("hist"), &unique_org("Hist"))
        .await;
    let p = s
        .post("/api/projects", Some(&jwt), &json!({"name": "h"}))
        .await;
    let id = p.body["id"].as_str().expect("id").to_owned();
    let other = s
        .post("/api/projects", Some(&jwt), &json!({"name": "other"}))
        .await;
    let other_id = other.body["id"].as_str().expect("id").to_owned();
    let log = &s.state.request_log;
    log.record(entry(&id, "a", RequestOutcome::Allowed, 10, 0));
    log.record(entry(&id, "a", RequestOutcome::Allowed, 20, 0));
    log.record(entry(&id, "b", RequestOutcome::Allowed, 5, 0));
    log.record(entry(&id, "c", RequestOutcome::Limited, 0, 0));
    log.record(entry(&id, "a", RequestOutcome::Error, 0, 0));
    log.record(entry(&id, "a", RequestOutcome::Allowed, 7, 2));
    log.record(entry(&other_id, "z", RequestOutcome::Allowed, 1000, 0));
    log.flush().await;

    let r = s
        .get(
            &format!("/api/projects/{id}/usage/history?from=2026-03-07&to=2026-03-10"),
            Some(&jwt),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        r.body,
        json!({"days": [
            {"date": "2026-03-07", "requests": 0, "tokens": 0, "limited": 0, "uniqueIdentities": 0},
            {"date": "2026-03-08", "requests": 1, "tokens": 7, "limited": 0, "uniqueIdentities": 1},
            {"date": "2026-03-09", "requests": 0, "tokens": 0, "limited": 0, "uniqueIdentities": 0},
            {"date": "2026-03-10", "requests": 3, "tokens": 35, "limited": 1, "uniqueIdentities": 2},
        ]})
    );
    let default = s
        .get(&format!("/api/projects/{id}/usage/history"), Some(&jwt))
        .await;
    let days = default.body["days"].as_array().expect("days");
    assert_eq!(days.len(), 30, "default: the last 30 days");
    assert_eq!(days[29]["date"], "2026-03-10");
    let year = s
        .get(
            &format!("/api/projects/{id}/usage/history?from=2025-03-11&to=2026-03-10"),
            Some(&jwt),
        )
        .await;
    assert_eq!(year.status, StatusCode::OK);
    assert_eq!(year.body["days"].as_array().map(Vec::len), Some(365));

    for (query, field) in [
        ("from=2026-03-10&to=2026-03-01", "from"),
        ("from=2024-01-01&to=2026-03-10", "to"),
        ("from=March&to=2026-03-10", "from"),
        ("from=2026-03-01&to=2026-3-1x", "to"),
    ] {
        let r = s
            .get(
                &format!("/api/projects/{id}/usage/history?{query}"),
                Some(&jwt),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert_eq!(r.body["field"], field, "{query}");
    }
    s.stop().await;
}

/// With `REDIS_URL`, counters live in Redis: the summary and readiness go through it.
#[tokio::test]
async fn counters_in_redis() {
    let url = std::env::var("AIRL_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let address = reqwest::Url::parse(&url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port().unwrap_or(6379))))
        .expect("redis URL");
    if let Err(e) = tokio::net::TcpStream::connect(&address).await {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "Redis at {url} unreachable under CI=true: {e}"
        );
        eprintln!("SKIPPED: Redis at {url} is unreachable ({e})");
        return;
    }
    let Some(s) =
        TestServer::start_with(Backend::Sqlite, |raw| raw.redis_url = Some(url.clone())).await
    else {
        return;
    };
    let ready = s.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.text);
    let jwt = s
        .sign_in_new(&unique_email("redis"), &unique_org("Redis"))
        .await;
    let p = s
        .post("/api/projects", Some(&jwt), &json!({"name": "r"}))
        .await;
    let key = p.body["projectKey"].as_str().expect("key").to_owned();
    admit(&s, &key, "alice", None, 2, 9).await;
    let summary = s
        .get(
            &format!(
                "/api/projects/{}/usage/summary",
                p.body["id"].as_str().expect("id")
            ),
            Some(&jwt),
        )
        .await;
    assert_eq!(summary.body["totalRequests"], 2);
    assert_eq!(summary.body["totalTokens"], 18);
    assert_eq!(summary.body["uniqueIdentities"], 1);
    s.stop().await;
}
