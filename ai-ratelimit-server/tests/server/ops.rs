//! Health, readiness, metrics, fallbacks, CORS and the OpenAPI document.

use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{Backend, TestServer};
use crate::on_every_backend;

on_every_backend!(operations_routes, openapi_lists_every_route);

async fn operations_routes(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let h = s.get("/healthz", None).await;
    assert_eq!(h.status, StatusCode::OK);
    assert_eq!(h.body, json!({"status": "ok"}));
    let r = s.get("/readyz", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body,
        json!({"status": "ready", "database": "ok", "usageStore": "ok"})
    );

    for path in [
        "/api/nope",
        "/api/projects/x/y/z",
        "/api",
        "/assets/missing-0000.js",
    ] {
        let r = s.get(path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.body["error"], "not_found");
        assert!(r.body["message"].is_string());
    }
    let r = s
        .call(reqwest::Method::POST, "/nothing", None, Some(&json!({})))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.body["error"], "not_found");
    let r = s
        .call(reqwest::Method::PUT, "/api/auth/me", None, None)
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.body["error"], "method_not_allowed");

    let metrics = s
        .client
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(metrics.status(), StatusCode::OK);
    assert!(
        metrics.headers()["content-type"]
            .to_str()
            .unwrap_or("")
            .starts_with("text/plain")
    );
    let text = metrics.text().await.expect("text");
    assert!(text.contains("http_requests_total{"), "{text}");
    assert!(text.contains("status=\"404\""), "{text}");
    assert!(text.contains("usage_store_duration_seconds"), "{text}");

    // CORS: the configured dashboard origin may call the API.
    let preflight = s
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/api/projects", s.base))
        .header("origin", "http://localhost:3001")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .expect("sent");
    assert!(preflight.status().is_success());
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "http://localhost:3001"
    );
    // A browser app calling the proxy with a signed identity may send its token.
    let proxy_preflight = s
        .client
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/v1/proxy/chat/stream", s.base),
        )
        .header("origin", "http://localhost:3001")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "content-type,x-project-key,x-identity-token",
        )
        .send()
        .await
        .expect("sent");
    assert!(proxy_preflight.status().is_success());
    let allowed = proxy_preflight.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap_or("")
        .to_ascii_lowercase();
    assert!(allowed.contains("x-identity-token"), "{allowed}");
    let other = s
        .client
        .get(format!("{}/healthz", s.base))
        .header("origin", "http://evil.example")
        .send()
        .await
        .expect("sent");
    assert!(other.headers().get("access-control-allow-origin").is_none());
    s.stop().await;
}

async fn openapi_lists_every_route(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let r = s.get("/api/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    let routes = [
        ("post", "/api/auth/signup"),
        ("post", "/api/auth/magic-link/request"),
        ("post", "/api/auth/magic-link/verify"),
        ("post", "/api/auth/login"),
        ("get", "/api/auth/me"),
        ("get", "/api/projects"),
        ("post", "/api/projects"),
        ("get", "/api/projects/{id}"),
        ("patch", "/api/projects/{id}"),
        ("delete", "/api/projects/{id}"),
        ("post", "/api/projects/{id}/rotate-key"),
        ("post", "/api/projects/{id}/identity-secret"),
        ("get", "/api/projects/{id}/usage/summary"),
        ("get", "/api/projects/{id}/usage/by-identity"),
        ("get", "/api/projects/{id}/usage/history"),
        ("delete", "/api/projects/{id}/identities/{identity}"),
        ("post", "/api/projects/{id}/webhooks"),
        ("get", "/api/projects/{id}/webhooks"),
        ("get", "/api/projects/{id}/webhooks/{wid}"),
        ("patch", "/api/projects/{id}/webhooks/{wid}"),
        ("delete", "/api/projects/{id}/webhooks/{wid}"),
        ("post", "/api/projects/{id}/webhooks/{wid}/rotate-secret"),
        ("post", "/api/projects/{id}/webhooks/{wid}/test"),
        ("get", "/api/projects/{id}/webhooks/{wid}/deliveries"),
        ("post", "/api/v1/proxy/chat"),
        ("post", "/api/v1/proxy/chat/stream"),
        ("post", "/api/v1/proxy/responses"),
        ("post", "/api/v1/proxy/responses/stream"),
        ("post", "/api/v1/proxy/embeddings"),
        ("post", "/api/v1/proxy/images/generations"),
        ("get", "/api/v1/proxy/models"),
        ("post", "/api/v1/openai/responses"),
        ("post", "/api/v1/openai/embeddings"),
        ("post", "/api/v1/openai/images/generations"),
        ("get", "/api/v1/openai/models"),
        ("post", "/api/v1/openai/chat/completions"),
        ("post", "/api/admin/projects"),
        ("get", "/api/admin/projects/{projectKey}/usage/{identity}"),
        ("get", "/healthz"),
        ("get", "/readyz"),
        ("get", "/metrics"),
        ("get", "/api/openapi.json"),
    ];
    for (method, path) in routes {
        assert!(
            r.body["paths"][path][method].is_object(),
            "{method} {path} missing"
        );
    }
    let documented: usize = r.body["paths"]
        .as_object()
        .expect("paths")
        .values()
        .map(|item| {
            item.as_object().map_or(0, |o| {
                o.keys()
                    .filter(|k| ["get", "post", "patch", "delete", "put"].contains(&k.as_str()))
                    .count()
            })
        })
        .sum();
    assert_eq!(documented, routes.len(), "no undocumented extras");
    // Code generators (the dashboard's typed client) need one operationId per operation.
    let mut operation_ids: Vec<&str> = r.body["paths"]
        .as_object()
        .expect("paths")
        .values()
        .filter_map(|item| item.as_object())
        .flat_map(|o| o.values())
        .filter_map(|op| op["operationId"].as_str())
        .collect();
    assert_eq!(
        operation_ids.len(),
        routes.len(),
        "every operation has an id"
    );
    operation_ids.sort_unstable();
    operation_ids.dedup();
    assert_eq!(operation_ids.len(), routes.len(), "operationIds are unique");
    let project = &r.body["components"]["schemas"]["ProjectView"]["properties"];
    for field in [
        "projectKey",
        "hasProviderApiKey",
        "providerApiKeyPreview",
        "limitExceededResponse",
        "tiers",
        "rules",
        "requireSignedIdentity",
        "hasIdentitySecret",
    ] {
        assert!(project[field].is_object(), "Project.{field}");
    }
    let schemas = &r.body["components"]["schemas"];
    assert_eq!(
        schemas["Provider"]["enum"],
        json!(["openai", "anthropic", "azure", "gemini", "cohere"])
    );
    assert!(project["providerSettings"].is_object());
    for provider in ["azure", "gemini", "cohere"] {
        assert!(
            schemas["ProviderSettings"]["properties"][provider].is_object(),
            "ProviderSettings.{provider}"
        );
    }
    s.stop().await;
}

#[tokio::test]
async fn every_response_carries_a_request_id() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let r = s.get("/healthz", None).await;
    let id = r.headers["x-request-id"].to_str().expect("ascii");
    assert_eq!(id.len(), 36, "a UUID: {id}");
    let other = s.get("/api/nope", None).await;
    assert_ne!(other.headers["x-request-id"], r.headers["x-request-id"]);
    let mine = TestServer::reply(
        s.client
            .get(format!("{}/healthz", s.base))
            .header("x-request-id", "client-chosen-1")
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(mine.headers["x-request-id"], "client-chosen-1");
    s.stop().await;
}

/// Issue 19: what a contract tester needs from the document (schemathesis runs on it in
/// `scripts/schemathesis.sh`): schemas on every parameter, required fields, the common statuses.
#[tokio::test]
async fn openapi_document_is_complete_for_contract_testers() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let doc = s.get("/api/openapi.json", None).await.body;
    let paths = doc["paths"].as_object().expect("paths");
    for (path, item) in paths {
        for (method, op) in item.as_object().expect("item") {
            if !["get", "post", "patch", "delete", "put"].contains(&method.as_str()) {
                continue;
            }
            for param in op["parameters"].as_array().into_iter().flatten() {
                assert!(
                    param["schema"].is_object(),
                    "{method} {path}: parameter {} has no schema",
                    param["name"]
                );
            }
            let responses = &op["responses"];
            assert!(responses["405"].is_object(), "{method} {path}: 405");
            if op["requestBody"].is_object() {
                assert_eq!(op["requestBody"]["required"], true, "{method} {path}");
                for status in ["400", "413", "415"] {
                    assert!(responses[status].is_object(), "{method} {path}: {status}");
                }
            }
            if path.starts_with("/api/v1/") {
                for status in ["401", "503"] {
                    assert!(responses[status].is_object(), "{method} {path}: {status}");
                }
            }
        }
    }
    // `{}` is not a valid new project: `name` is required.
    let create =
        &paths["/api/projects"]["post"]["requestBody"]["content"]["application/json"]["schema"];
    assert_eq!(create["$ref"], "#/components/schemas/ProjectCreate");
    assert_eq!(
        doc["components"]["schemas"]["ProjectCreate"]["required"],
        json!(["name"])
    );
    let error_example = &paths["/api/projects"]["post"]["responses"]["415"]["content"]["application/json"]
        ["example"];
    assert_eq!(error_example["error"], "unsupported_media_type");
    s.stop().await;
}
