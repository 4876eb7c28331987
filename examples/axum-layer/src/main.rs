#![forbid(unsafe_code)]
//! A small existing axum app — a public page and two "AI" routes behind its own (toy)
//! authentication — that gains per-user daily limits with `ai-ratelimit-tower`.
//!
//! Run it with `cargo run -p axum-layer-example` (listens on 127.0.0.1:3001, or `PORT`), then:
//!
//! ```text
//! curl -i -X POST localhost:3001/api/complete -H 'authorization: Bearer alice' -d 'Hello there'
//! curl -N localhost:3001/api/stream -H 'authorization: Bearer alice'
//! ```
//!
//! `alice` is on the free tier (5 requests a day), `bob` on pro (100). The sixth request of
//! alice gets a JSON 429 with `Retry-After`; every answer carries the RateLimit headers.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::time::Duration;

use ai_ratelimit_core::Policy;
use ai_ratelimit_tower::{RateLimitLayer, Rejection, Subject, TokenReporter, TokensUsed};
use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use futures::StreamExt;
use serde_json::json;

/// The signed-in user, set by the app's own authentication.
#[derive(Debug, Clone)]
struct CurrentUser {
    id: String,
    plan: &'static str,
}

/// The app's (toy) authentication: `Authorization: Bearer <user id>`.
async fn authenticate(mut request: Request, next: Next) -> Result<Response, StatusCode> {
    let id = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .filter(|id| !id.is_empty())
        .map(str::to_owned);
    if let Some(id) = id {
        let plan = if id == "bob" { "pro" } else { "free" };
        request.extensions_mut().insert(CurrentUser { id, plan });
    }
    Ok(next.run(request).await)
}

/// A non-streaming "model call": reports its token count as a response extension.
async fn complete(body: Bytes) -> (Extension<TokensUsed>, String) {
    let words = body.split(|b| b.is_ascii_whitespace()).count() as u64;
    (
        Extension(TokensUsed(words * 2 + 10)),
        format!("You said {words} words.\n"),
    )
}

/// A streaming "model call": reports tokens as chunks pass.
async fn stream(Extension(reporter): Extension<TokenReporter>) -> Body {
    let words = ["Once ", "upon ", "a ", "time", "…\n"];
    let chunks = futures::stream::iter(words).then(move |word| {
        let reporter = reporter.clone();
        async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            reporter.add(1);
            Ok::<_, Infallible>(Bytes::from(word))
        }
    });
    Body::from_stream(chunks)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // --- the only new lines: a policy and a layer that knows who the user is ---
    let policy = Policy::from_json(&json!({
        "dailyRequestLimit": 5,
        "tiers": {"pro": {"requestLimit": 100, "tokenLimit": null}}
    }))?;
    let limits = RateLimitLayer::new(policy).subject_fn(|request: &Request| {
        let user = request.extensions().get::<CurrentUser>().ok_or_else(|| {
            Rejection::new(
                StatusCode::UNAUTHORIZED,
                json!({"error": "unauthorized", "message": "Sign in first"}),
            )
        })?;
        Ok(Subject {
            identity: user.id.clone(),
            tier: Some(user.plan.to_owned()),
            estimated_tokens: 0,
        })
    });
    // ---

    let app = Router::new()
        .route("/api/complete", post(complete))
        .route("/api/stream", get(stream))
        .route_layer(limits) // <- new
        .route("/", get(|| async { "Hello! Try POST /api/complete\n" }))
        .layer(middleware::from_fn(authenticate));

    let port = match std::env::var("PORT") {
        Ok(port) => port.parse()?,
        Err(_) => 3001,
    };
    let address = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = tokio::net::TcpListener::bind(address).await?;
    println!("listening on http://{address}");
    axum::serve(listener, app).await?;
    Ok(())
}
