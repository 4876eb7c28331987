//! The layer on an axum `Router`, the way an app uses it.

use std::convert::Infallible;
use std::sync::Arc;

use ai_ratelimit_core::{Limiter, MemoryStore, Policy};
use ai_ratelimit_tower::{
    HeaderExtractor, RateLimitLayer, ScopedPolicy, TokenReporter, TokensUsed,
};
use axum::body::Body;
use axum::routing::{get, post};
use axum::{Extension, Router};
use bytes::Bytes;
use futures::StreamExt;
use http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

fn policy(value: Value) -> Arc<Policy> {
    Arc::new(Policy::from_json(&value).expect("valid policy"))
}

async fn chat() -> (Extension<TokensUsed>, &'static str) {
    (Extension(TokensUsed(25)), "answer")
}

/// Streams three chunks, reporting 5 tokens per chunk as they pass.
async fn stream(Extension(reporter): Extension<TokenReporter>) -> Body {
    let chunks = futures::stream::iter(["one ", "two ", "three"]).map(move |text| {
        reporter.add(5);
        Ok::<_, Infallible>(Bytes::from(text))
    });
    Body::from_stream(chunks)
}

fn app(layer: RateLimitLayer) -> Router {
    Router::new()
        .route("/chat", post(chat))
        .route("/stream", get(stream))
        .layer(layer)
        .route("/health", get(|| async { "up" }))
}

fn get_as(uri: &str, identity: Option<&str>) -> Request<Body> {
    let mut builder = Request::get(uri);
    if let Some(identity) = identity {
        builder = builder.header("x-identity", identity);
    }
    builder.body(Body::empty()).expect("request")
}

#[tokio::test]
async fn a_router_gains_limits_headers_and_json_denials() {
    let limiter = Limiter::new(MemoryStore::new());
    let p = policy(json!({"limitType": "both", "dailyRequestLimit": 2, "dailyTokenLimit": 1000}));
    let app = app(RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .extractor(HeaderExtractor::new().estimated_tokens(50)));

    let response = app
        .clone()
        .oneshot(
            Request::post("/chat")
                .header("x-identity", "ann")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-ratelimit-remaining-requests"], "1");
    assert_eq!(response.headers()["x-ratelimit-remaining-tokens"], "950");
    assert_eq!(
        response.headers()["ratelimit-policy"],
        "\"requests\";q=2;w=86400, \"tokens\";q=1000;w=86400"
    );
    let usage = limiter.usage(&p, "app", "ann").await.expect("usage").1;
    assert_eq!((usage.tokens, usage.reserved_tokens), (25, 0));

    // A streamed response counts what passed through it once the client read it all.
    let response = app
        .clone()
        .oneshot(get_as("/stream", Some("ann")))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    assert_eq!(body, "one two three");
    let usage = limiter.usage(&p, "app", "ann").await.expect("usage").1;
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (2, 40, 0)
    );

    let response = app
        .clone()
        .oneshot(get_as("/stream", Some("ann")))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = serde_json::from_slice(
        &response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes(),
    )
    .expect("JSON");
    assert_eq!(body["error"], "limit_exceeded");
    assert_eq!(body["usage"], json!({"requestsUsed": 2, "tokensUsed": 40}));

    // Routes outside the layer are not limited.
    let response = app
        .oneshot(get_as("/health", None))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.headers().contains_key("x-ratelimit-reset"));
}

#[tokio::test]
async fn a_router_serves_several_projects_by_key() {
    let lookup = |key: String| async move {
        (key == "pk_demo")
            .then(|| ScopedPolicy::new("demo", policy(json!({"dailyRequestLimit": 1}))))
    };
    let app = app(RateLimitLayer::by_project_key(lookup));
    let keyed = |key: &str| {
        Request::post("/chat")
            .header("x-project-key", key)
            .header("x-identity", "bob")
            .body(Body::empty())
            .expect("request")
    };

    let response = app
        .clone()
        .oneshot(keyed("pk_wrong"))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let body: Value = serde_json::from_slice(
        &response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes(),
    )
    .expect("JSON");
    assert_eq!(body["error"], "invalid_project_key");

    let response = app
        .clone()
        .oneshot(keyed("pk_demo"))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let response = app.oneshot(keyed("pk_demo")).await.expect("response");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn axum_connect_info_is_a_client_ip_source() {
    use ai_ratelimit_tower::ClientIpSource;
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;

    let limiter = Limiter::new(MemoryStore::new());
    let p = policy(json!({"dailyRequestLimit": 3}));
    let app = app(RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .extractor(HeaderExtractor::new().fallback_to_client_ip(ClientIpSource::ConnectInfo)));
    let mut request = Request::post("/chat").body(Body::empty()).expect("request");
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([192, 0, 2, 1], 4000))));
    let response = app.oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let usage = limiter
        .usage(&p, "app", "192.0.2.1")
        .await
        .expect("usage")
        .1;
    assert_eq!(usage.requests, 1);
}
