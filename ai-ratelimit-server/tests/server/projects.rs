//! Projects CRUD, validation, isolation, key rotation and the write-only provider key.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, TestServer, logs, unique_email, unique_org};
use crate::on_every_backend;

on_every_backend!(
    crud,
    organizations_are_isolated,
    validation_errors,
    json_body_errors,
    provider_key_is_write_only,
    key_rotation_and_lookup_cache,
    concurrent_patches_of_different_fields,
);

const PROJECT_FIELDS: &[&str] = &[
    "id",
    "name",
    "projectKey",
    "provider",
    "baseUrl",
    "hasProviderApiKey",
    "providerApiKeyPreview",
    "limitType",
    "requireSignedIdentity",
    "projectLimits",
    "dailyRequestLimit",
    "dailyTokenLimit",
    "limitExceededResponse",
    "tiers",
    "rules",
    "createdAt",
    "updatedAt",
];

async fn crud(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let jwt = s
        .sign_in_new(&unique_email("crud"), &unique_org("Crud"))
        .await;
    let empty = s.get("/api/projects", Some(&jwt)).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert_eq!(empty.body, json!([]));

    let body = json!({
        "name": "My app",
        "limitType": "both",
        "dailyRequestLimit": 50,
        "dailyTokenLimit": null,
        "limitExceededResponse": {"error": "limit_exceeded", "message": "Upgrade!", "deepLink": "myapp://upgrade"},
        "tiers": {"free": {"requestLimit": 5, "tokenLimit": 1000}, "enterprise": {"requestLimit": null, "tokenLimit": null}},
        "rules": [{"id": "r1", "name": "warn", "enabled": true,
            "condition": {"type": "usage_percent", "metric": "requests", "operator": "gte", "threshold": 80},
            "action": {"type": "custom_response", "response": {"message": "{{percent}}% used"}, "block": false}}]
    });
    let created = s.post("/api/projects", Some(&jwt), &body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let p = created.body.clone();
    let keys: Vec<&str> = p
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for field in PROJECT_FIELDS {
        assert!(keys.contains(field), "missing {field} in {p}");
    }
    assert_eq!(
        keys.len(),
        PROJECT_FIELDS.len(),
        "no extra fields: {keys:?}"
    );
    assert_eq!(p["name"], "My app");
    assert_eq!(p["provider"], "openai");
    assert_eq!(p["baseUrl"], Value::Null);
    assert_eq!(p["hasProviderApiKey"], false);
    assert_eq!(p["providerApiKeyPreview"], Value::Null);
    assert_eq!(p["limitType"], "both");
    assert_eq!(p["dailyRequestLimit"], 50);
    assert_eq!(p["dailyTokenLimit"], Value::Null);
    assert_eq!(p["limitExceededResponse"]["deepLink"], "myapp://upgrade");
    assert_eq!(
        p["tiers"]["free"],
        json!({"requestLimit": 5, "tokenLimit": 1000})
    );
    assert_eq!(p["rules"][0]["id"], "r1");
    assert_eq!(p["createdAt"], "2026-03-10T12:00:00.000Z");
    let key = p["projectKey"].as_str().expect("key");
    assert!(
        key.starts_with("pk_")
            && key.len() >= 25
            && key[3..].chars().all(|c| c.is_ascii_alphanumeric())
    );
    let id = p["id"].as_str().expect("id").to_owned();

    s.clock.advance(Duration::seconds(1));
    let second = s
        .post(
            "/api/projects",
            Some(&jwt),
            &json!({"name": "Second", "provider": "anthropic"}),
        )
        .await;
    assert_eq!(second.status, StatusCode::CREATED);
    assert_eq!(second.body["limitType"], "requests");
    assert_eq!(second.body["provider"], "anthropic");
    let list = s.get("/api/projects", Some(&jwt)).await;
    let names: Vec<&str> = list
        .body
        .as_array()
        .expect("array")
        .iter()
        .map(|p| p["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names, ["Second", "My app"], "newest first");

    let got = s.get(&format!("/api/projects/{id}"), Some(&jwt)).await;
    assert_eq!(got.status, StatusCode::OK);
    assert_eq!(got.body, p);

    s.clock.advance(Duration::seconds(1));
    let patched = s
        .patch(
            &format!("/api/projects/{id}"),
            Some(&jwt),
            &json!({"name": "Renamed", "dailyRequestLimit": null, "baseUrl": "http://localhost:9999/v1/chat/completions"}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.body["name"], "Renamed");
    assert_eq!(patched.body["dailyRequestLimit"], Value::Null);
    assert_eq!(
        patched.body["baseUrl"],
        "http://localhost:9999/v1/chat/completions"
    );
    // Untouched fields stay.
    assert_eq!(patched.body["limitType"], "both");
    assert_eq!(patched.body["tiers"], p["tiers"]);
    assert_eq!(patched.body["rules"], p["rules"]);
    assert_eq!(patched.body["projectKey"], p["projectKey"]);
    assert_eq!(patched.body["createdAt"], p["createdAt"]);
    assert_eq!(patched.body["updatedAt"], "2026-03-10T12:00:02.000Z");
    let empty_patch = s
        .patch(&format!("/api/projects/{id}"), Some(&jwt), &json!({}))
        .await;
    assert_eq!(empty_patch.status, StatusCode::OK);

    let deleted = s.delete(&format!("/api/projects/{id}"), Some(&jwt)).await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.text.is_empty());
    for r in [
        s.get(&format!("/api/projects/{id}"), Some(&jwt)).await,
        s.delete(&format!("/api/projects/{id}"), Some(&jwt)).await,
        s.get(
            "/api/projects/00000000-0000-0000-0000-000000000000",
            Some(&jwt),
        )
        .await,
        s.get("/api/projects/not-a-uuid", Some(&jwt)).await,
    ] {
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(r.body["error"], "not_found");
    }
    assert_eq!(
        s.get("/api/projects", Some(&jwt))
            .await
            .body
            .as_array()
            .map(Vec::len),
        Some(1)
    );
    s.stop().await;
}

async fn organizations_are_isolated(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let alice = s
        .sign_in_new(&unique_email("alice"), &unique_org("A"))
        .await;
    let bob = s.sign_in_new(&unique_email("bob"), &unique_org("B")).await;
    let p = s
        .post("/api/projects", Some(&alice), &json!({"name": "Alice's"}))
        .await;
    let id = p.body["id"].as_str().expect("id").to_owned();
    assert_eq!(s.get("/api/projects", Some(&bob)).await.body, json!([]));
    let paths = [
        format!("/api/projects/{id}"),
        format!("/api/projects/{id}/usage/summary"),
        format!("/api/projects/{id}/usage/by-identity"),
        format!("/api/projects/{id}/usage/history"),
    ];
    for path in &paths {
        let r = s.get(path, Some(&bob)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.body["error"], "not_found");
    }
    assert_eq!(
        s.patch(&paths[0], Some(&bob), &json!({"name": "mine"}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.post(&format!("{}/rotate-key", paths[0]), Some(&bob), &json!({}))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.delete(&paths[0], Some(&bob)).await.status,
        StatusCode::NOT_FOUND
    );
    // Still intact for its owner.
    let mine = s.get(&paths[0], Some(&alice)).await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(mine.body["name"], "Alice's");
    s.stop().await;
}

async fn validation_errors(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let jwt = s
        .sign_in_new(&unique_email("val"), &unique_org("Val"))
        .await;
    let cases = [
        (json!({"name": "x", "bogus": 1}), "bogus"),
        (json!({"dailyRequestLimit": 3}), "name"),
        (json!({"name": ""}), "name"),
        (json!({"name": 5}), "name"),
        (json!({"name": "x", "provider": "mistral"}), "provider"),
        (json!({"name": "x", "baseUrl": "not a url"}), "baseUrl"),
        (
            json!({"name": "x", "baseUrl": "ftp://example.com"}),
            "baseUrl",
        ),
        (
            json!({"name": "x", "dailyRequestLimit": -1}),
            "dailyRequestLimit",
        ),
        (
            json!({"name": "x", "dailyTokenLimit": 1.5}),
            "dailyTokenLimit",
        ),
        (json!({"name": "x", "limitType": "bytes"}), "limitType"),
        (
            json!({"name": "x", "tiers": {"free": {"reqLimit": 1}}}),
            "tiers.free.reqLimit",
        ),
        (
            json!({"name": "x", "limitExceededResponse": "nope"}),
            "limitExceededResponse",
        ),
        (
            json!({"name": "x", "rules": [{"id": "a", "name": "a", "enabled": true,
            "condition": {"type": "usage_percent", "metric": "requests", "operator": "bigger", "threshold": 1},
            "action": {"type": "allow"}}]}),
            "rules[0].condition.operator",
        ),
        (json!({"name": "x", "providerApiKey": 42}), "providerApiKey"),
    ];
    for (body, field) in cases {
        let r = s.post("/api/projects", Some(&jwt), &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.body["error"], "invalid_request", "{body}");
        assert_eq!(r.body["field"], field, "{body}: {}", r.text);
        assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Composite conditions deeper than 8 levels.
    let mut condition = json!({"type": "tier_match", "value": "free"});
    for _ in 0..8 {
        condition = json!({"type": "composite", "operator": "and", "conditions": [condition]});
    }
    let deep = json!({"name": "x", "rules": [{"id": "d", "name": "d", "enabled": true, "condition": condition, "action": {"type": "block"}}]});
    let r = s.post("/api/projects", Some(&jwt), &deep).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert!(
        r.body["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("rules[0].condition")),
        "{}",
        r.text
    );

    // PATCH validates the merged result and rejects unknown fields too.
    let p = s
        .post("/api/projects", Some(&jwt), &json!({"name": "ok"}))
        .await;
    let path = format!("/api/projects/{}", p.body["id"].as_str().expect("id"));
    for (body, field) in [
        (json!({"nmae": "typo"}), "nmae"),
        (json!({"limitType": "nope"}), "limitType"),
        (json!({"name": null}), "name"),
    ] {
        let r = s.patch(&path, Some(&jwt), &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.body["field"], field, "{body}");
    }
    assert_eq!(
        s.get(&path, Some(&jwt)).await.body["name"],
        "ok",
        "a rejected PATCH changes nothing"
    );
    s.stop().await;
}

async fn json_body_errors(backend: Backend) {
    let Some(s) = TestServer::start_with(backend, |c| c.max_body_bytes = 2048).await else {
        return;
    };
    let jwt = s
        .sign_in_new(&unique_email("json"), &unique_org("Json"))
        .await;
    let url = format!("{}/api/projects", s.base);
    let send = |body: String, content_type: Option<&'static str>| {
        let mut r = s.client.post(&url).bearer_auth(&jwt).body(body);
        if let Some(ct) = content_type {
            r = r.header("content-type", ct);
        }
        r.send()
    };
    let r = TestServer::reply(
        send("{\"name\": ".into(), Some("application/json"))
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"], "invalid_request");
    let r = TestServer::reply(
        send("{\"name\": \"x\"}".into(), Some("text/plain"))
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.body["error"], "unsupported_media_type");
    let r = TestServer::reply(send("{\"name\": \"x\"}".into(), None).await.expect("sent")).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(4096));
    let r = TestServer::reply(send(big, Some("application/json")).await.expect("sent")).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.body["error"], "payload_too_large");
    let r = TestServer::reply(
        send("[1, 2]".into(), Some("application/json"))
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["error"], "invalid_request");
    // The same on an unauthenticated route.
    let r = TestServer::reply(
        s.client
            .post(format!("{}/api/auth/signup", s.base))
            .body("{}")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    s.stop().await;
}

async fn provider_key_is_write_only(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let jwt = s
        .sign_in_new(&unique_email("key"), &unique_org("Key"))
        .await;
    let secret = format!("sk-proj-SECRETMARKER{}AbCd", uuid::Uuid::new_v4().simple());
    let second = format!("sk-ant-SECRETMARKER{}WxYz", uuid::Uuid::new_v4().simple());
    let mut bodies = Vec::new();

    let created = s
        .post(
            "/api/projects",
            Some(&jwt),
            &json!({"name": "k", "openaiApiKey": secret}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.body["hasProviderApiKey"], true);
    assert_eq!(created.body["providerApiKeyPreview"], "sk-…AbCd");
    let id = created.body["id"].as_str().expect("id").to_owned();
    let key = created.body["projectKey"].as_str().expect("key").to_owned();
    bodies.push(created.text);

    // The proxy can read it back, decrypted.
    let record = s
        .state
        .projects
        .project_by_key(&key)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(
        record.provider_api_key.as_ref().map(|k| k.expose()),
        Some(secret.as_str())
    );
    assert!(!format!("{record:?}").contains(&secret));

    let path = format!("/api/projects/{id}");
    bodies.push(s.get(&path, Some(&jwt)).await.text);
    bodies.push(s.get("/api/projects", Some(&jwt)).await.text);
    // Errors in requests that carry a key never echo it.
    for body in [
        json!({"name": "k", "providerApiKey": secret, "bogus": true}),
        json!({"name": "k", "providerApiKey": secret, "openaiApiKey": second}),
        json!({"name": "k", "provider": secret}),
        json!({"name": "k", "baseUrl": secret}),
        json!({"name": "k", "dailyRequestLimit": secret}),
        json!({"name": "k", "tiers": {"free": {"requestLimit": secret}}}),
        json!({"name": "k", "limitType": secret}),
    ] {
        let r = s.post("/api/projects", Some(&jwt), &body).await;
        assert!(r.status.is_client_error() || r.status.is_success());
        bodies.push(r.text);
    }
    let patched = s
        .patch(&path, Some(&jwt), &json!({"providerApiKey": second}))
        .await;
    assert_eq!(patched.body["providerApiKeyPreview"], "sk-…WxYz");
    bodies.push(patched.text);
    let record = s
        .state
        .projects
        .project_by_key(&key)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(
        record.provider_api_key.as_ref().map(|k| k.expose()),
        Some(second.as_str())
    );
    bodies.push(
        s.post(&format!("{path}/rotate-key"), Some(&jwt), &json!({}))
            .await
            .text,
    );

    for body in &bodies {
        assert!(!body.contains("SECRETMARKER"), "key echoed: {body}");
    }
    let log = logs();
    assert!(
        !log.contains(&secret) && !log.contains(&second),
        "key in the log"
    );

    if backend == Backend::Sqlite {
        // Not in the database file either (encrypted at rest).
        s.state.db.pool().close().await;
        for entry in std::fs::read_dir(s.dir.path()).expect("dir") {
            let bytes = std::fs::read(entry.expect("entry").path()).expect("read");
            assert!(
                !bytes.windows(12).any(|w| w == b"SECRETMARKER"),
                "plaintext key at rest"
            );
        }
    } else {
        let rows: Vec<(String,)> =
            sqlx::query_as("SELECT provider_api_key_encrypted FROM projects")
                .fetch_all(s.state.db.pool())
                .await
                .expect("rows");
        assert!(
            rows.iter()
                .all(|(v,)| v.starts_with("v1:") && !v.contains("SECRETMARKER"))
        );
    }

    // Removing it.
    if backend == Backend::Postgres {
        let removed = s
            .patch(&path, Some(&jwt), &json!({"providerApiKey": null}))
            .await;
        assert_eq!(removed.body["hasProviderApiKey"], false);
        assert_eq!(removed.body["providerApiKeyPreview"], Value::Null);
    }
    s.stop().await;
}

async fn key_rotation_and_lookup_cache(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let jwt = s
        .sign_in_new(&unique_email("rot"), &unique_org("Rot"))
        .await;
    let p = s
        .post(
            "/api/projects",
            Some(&jwt),
            &json!({"name": "r", "dailyRequestLimit": 2}),
        )
        .await;
    let id = p.body["id"].as_str().expect("id").to_owned();
    let old = p.body["projectKey"].as_str().expect("key").to_owned();
    let record = s
        .state
        .projects
        .project_by_key(&old)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(record.id, id);
    assert_eq!(
        record.upstream_url,
        "https://api.openai.com/v1/chat/completions"
    );
    assert_eq!(record.policy.default_limits().requests, Some(2));

    // A change is visible at once despite the cache.
    s.patch(
        &format!("/api/projects/{id}"),
        Some(&jwt),
        &json!({"dailyRequestLimit": 7, "provider": "anthropic"}),
    )
    .await;
    let record = s
        .state
        .projects
        .project_by_key(&old)
        .await
        .expect("lookup")
        .expect("found");
    assert_eq!(record.policy.default_limits().requests, Some(7));
    assert_eq!(record.upstream_url, "https://api.anthropic.com/v1/messages");

    let rotated = s
        .post(
            &format!("/api/projects/{id}/rotate-key"),
            Some(&jwt),
            &json!({}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    let new = rotated.body["projectKey"].as_str().expect("key").to_owned();
    assert_ne!(new, old);
    assert_eq!(rotated.body["id"], p.body["id"]);
    assert!(
        s.state
            .projects
            .project_by_key(&old)
            .await
            .expect("lookup")
            .is_none(),
        "old key dead at once"
    );
    assert!(
        s.state
            .projects
            .project_by_key(&new)
            .await
            .expect("lookup")
            .is_some()
    );

    s.delete(&format!("/api/projects/{id}"), Some(&jwt)).await;
    assert!(
        s.state
            .projects
            .project_by_key(&new)
            .await
            .expect("lookup")
            .is_none(),
        "deleted at once"
    );
    s.stop().await;
}

/// Concurrent PATCHes of different fields of one project all land: each runs in one
/// transaction that locks the row, so none writes back a stale copy of another's field.
async fn concurrent_patches_of_different_fields(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let jwt = s
        .sign_in_new(&unique_email("race"), &unique_org("Race"))
        .await;
    let p = s
        .post("/api/projects", Some(&jwt), &json!({"name": "race"}))
        .await;
    let path = format!("/api/projects/{}", p.body["id"].as_str().expect("id"));
    for round in 0..6u64 {
        let patches = [
            json!({"name": format!("name {round}")}),
            json!({"dailyRequestLimit": round + 1}),
            json!({"dailyTokenLimit": round + 1000}),
            json!({"defaultOutputTokens": round + 10}),
            json!({"baseUrl": format!("http://localhost:{}/v1/chat/completions", 9000 + round)}),
            json!({"limitExceededResponse": {"error": "limit_exceeded", "message": format!("m{round}")}}),
            json!({"tiers": {format!("t{round}"): {"requestLimit": round, "tokenLimit": null}}}),
            json!({"providerApiKey": format!("sk-race-{round}-WXYZ{round}")}),
        ];
        let replies =
            futures::future::join_all(patches.iter().map(|b| s.patch(&path, Some(&jwt), b))).await;
        for r in &replies {
            assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        }
        let got = s.get(&path, Some(&jwt)).await.body;
        assert_eq!(got["name"], format!("name {round}"), "round {round}: {got}");
        assert_eq!(got["dailyRequestLimit"], round + 1, "round {round}: {got}");
        assert_eq!(got["dailyTokenLimit"], round + 1000, "round {round}: {got}");
        assert_eq!(
            got["defaultOutputTokens"],
            round + 10,
            "round {round}: {got}"
        );
        assert_eq!(
            got["baseUrl"],
            format!("http://localhost:{}/v1/chat/completions", 9000 + round),
            "round {round}: {got}"
        );
        assert_eq!(
            got["limitExceededResponse"]["message"],
            format!("m{round}"),
            "round {round}: {got}"
        );
        assert_eq!(
            got["tiers"],
            json!({format!("t{round}"): {"requestLimit": round, "tokenLimit": null}}),
            "round {round}: {got}"
        );
        assert_eq!(
            got["providerApiKeyPreview"],
            format!("sk-…XYZ{round}"),
            "round {round}: {got}"
        );
    }
    s.stop().await;
}
