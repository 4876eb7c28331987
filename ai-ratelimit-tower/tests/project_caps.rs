//! A policy's project-wide cap through the layer: shared by every identity of the scope,
//! answered with `429 project_limit_exceeded`, and carried by the IETF headers as its own
//! policy beside the identity's.

use ai_ratelimit_core::Policy;
use ai_ratelimit_tower::RateLimitLayer;
use axum::Router;
use axum::body::Body;
use axum::routing::post;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

fn call(identity: &str) -> http::Request<Body> {
    http::Request::post("/chat")
        .header("x-identity", identity)
        .body(Body::empty())
        .expect("request")
}

#[tokio::test]
async fn the_cap_is_shared_by_every_identity() {
    tokio::time::pause();
    let policy = Policy::from_json(&json!({
        "dailyRequestLimit": 10,
        "projectLimits": {"requestLimit": 2}
    }))
    .expect("policy");
    let app = Router::new()
        .route("/chat", post(|| async { "ok" }))
        .layer(RateLimitLayer::new(policy));
    let first = app.clone().oneshot(call("a")).await.expect("served");
    assert_eq!(first.status(), 200);
    assert_eq!(
        first.headers()["ratelimit-policy"],
        "\"requests\";q=10;w=86400, \"project-requests\";q=2;w=86400"
    );
    let ratelimit = first.headers()["ratelimit"].to_str().expect("ascii");
    assert!(
        ratelimit.starts_with("\"requests\";r=9;")
            && ratelimit.contains("\"project-requests\";r=1;"),
        "{ratelimit}"
    );
    assert_eq!(first.headers()["x-ratelimit-remaining-requests"], "9");
    let second = app.clone().oneshot(call("b")).await.expect("served");
    assert_eq!(second.status(), 200);
    let third = app.oneshot(call("c")).await.expect("served");
    assert_eq!(third.status(), 429);
    assert!(third.headers().contains_key("retry-after"));
    let body: Value =
        serde_json::from_slice(&third.into_body().collect().await.expect("body").to_bytes())
            .expect("json");
    assert_eq!(body["error"], "project_limit_exceeded");
    assert_eq!(body["usage"]["requestsUsed"], 2);
    assert_eq!(body["limits"]["requestLimit"], 2);
}
