//! The admin API.

use ai_ratelimit_core::{Decision, LimitRequest};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, Reply, TestServer};
use crate::on_every_backend;

on_every_backend!(admin_disabled_without_key, admin_key_checked);

const ADMIN_KEY: &str = "admin-key-for-tests-0123456789";

async fn admin_call(
    s: &TestServer,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Reply {
    let mut r = s.client.request(method, format!("{}{path}", s.base));
    if let Some(k) = key {
        r = r.header("x-admin-key", k);
    }
    if let Some(b) = body {
        r = r.json(&b);
    }
    TestServer::reply(r.send().await.expect("sent")).await
}

async fn admin_disabled_without_key(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    for key in [None, Some(ADMIN_KEY), Some("")] {
        let r = admin_call(
            &s,
            reqwest::Method::POST,
            "/api/admin/projects",
            key,
            Some(json!({"name": "x"})),
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body["error"], "not_found");
        let r = admin_call(
            &s,
            reqwest::Method::GET,
            "/api/admin/projects/pk_x/usage/u",
            key,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
    }
    s.stop().await;
}

async fn admin_key_checked(backend: Backend) {
    let Some(s) =
        TestServer::start_with(backend, |c| c.global_admin_key = Some(ADMIN_KEY.to_owned())).await
    else {
        return;
    };
    let body = json!({"name": "Admin made", "dailyRequestLimit": 3});
    for key in [
        None,
        Some("wrong"),
        Some(""),
        Some("admin-key-for-tests-012345678"),
    ] {
        let r = admin_call(
            &s,
            reqwest::Method::POST,
            "/api/admin/projects",
            key,
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{key:?}");
        assert_eq!(r.body["error"], "unauthorized");
        let r = admin_call(
            &s,
            reqwest::Method::GET,
            "/api/admin/projects/pk_x/usage/u",
            key,
            None,
        )
        .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let created = admin_call(
        &s,
        reqwest::Method::POST,
        "/api/admin/projects",
        Some(ADMIN_KEY),
        Some(body),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    assert_eq!(created.body["dailyRequestLimit"], 3);
    let key = created.body["projectKey"].as_str().expect("key").to_owned();
    let bad = admin_call(
        &s,
        reqwest::Method::POST,
        "/api/admin/projects",
        Some(ADMIN_KEY),
        Some(json!({"name": "x", "extra": 1})),
    )
    .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["field"], "extra");

    let usage_path = format!("/api/admin/projects/{key}/usage/user-1");
    let zero = admin_call(&s, reqwest::Method::GET, &usage_path, Some(ADMIN_KEY), None).await;
    assert_eq!(zero.status, StatusCode::OK, "{}", zero.text);
    assert_eq!(
        zero.body,
        json!({"identity": "user-1", "periodStart": "2026-03-10", "requestsUsed": 0, "tokensUsed": 0})
    );

    let project = s
        .state
        .projects
        .project_by_key(&key)
        .await
        .expect("lookup")
        .expect("project");
    for _ in 0..2 {
        let request = LimitRequest {
            scope: &project.id,
            identity: "user-1",
            tier: None,
            estimated_tokens: 5,
        };
        let Decision::Admitted(a) = s
            .state
            .limiter
            .check(&project.policy, &request)
            .await
            .expect("check")
        else {
            panic!("admitted");
        };
        s.state
            .limiter
            .settle(a.reservation.expect("reservation"), 21)
            .await
            .expect("settle");
    }
    let used = admin_call(&s, reqwest::Method::GET, &usage_path, Some(ADMIN_KEY), None).await;
    assert_eq!(
        used.body,
        json!({"identity": "user-1", "periodStart": "2026-03-10", "requestsUsed": 2, "tokensUsed": 42})
    );

    let unknown = admin_call(
        &s,
        reqwest::Method::GET,
        "/api/admin/projects/pk_unknown/usage/u",
        Some(ADMIN_KEY),
        None,
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.body["error"], "not_found");
    // Admin projects belong to no organization: no user sees them.
    let jwt = s
        .sign_in_new(
            &crate::harness::unique_email("adm"),
            &crate::harness::unique_org("Adm"),
        )
        .await;
    assert_eq!(s.get("/api/projects", Some(&jwt)).await.body, json!([]));
    let id = created.body["id"].as_str().expect("id");
    assert_eq!(
        s.get(&format!("/api/projects/{id}"), Some(&jwt))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    s.stop().await;
}
