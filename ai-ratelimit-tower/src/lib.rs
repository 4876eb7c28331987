#![forbid(unsafe_code)]
//! A [tower] layer that enforces AI Ratelimit limits on any HTTP service: axum, hyper,
//! tonic, or anything else built on `http` and `tower`.
//!
//! Three lines give an existing app per-user daily limits, with the identity read from the
//! `x-identity` header (and the tier from `x-tier`):
//!
//! ```
//! use ai_ratelimit_core::Policy;
//! use ai_ratelimit_tower::RateLimitLayer;
//! use axum::{Router, routing::post};
//! use serde_json::json;
//! # use tower::ServiceExt;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let policy = Policy::from_json(&json!({"dailyRequestLimit": 100}))?;
//! let app = Router::new()
//!     .route("/chat", post(|| async { "hello" }))
//!     .layer(RateLimitLayer::new(policy));
//!
//! let request = http::Request::post("/chat").header("x-identity", "user-42").body(axum::body::Body::empty())?;
//! let response = app.oneshot(request).await?;
//! assert_eq!(response.status(), 200);
//! assert_eq!(response.headers()["x-ratelimit-remaining-requests"], "99");
//! # Ok(())
//! # }
//! ```
//!
//! # What the layer does
//! For each request it resolves the [policy](PolicySource) (one fixed [`ScopedPolicy`], or
//! one per project key with [`RateLimitLayer::by_project_key`]), finds the [`Subject`] with a
//! [`SubjectExtractor`] (headers by default, [a closure](RateLimitLayer::subject_fn), or
//! your own, which may read and rewrite the body), and asks the core
//! [`Limiter`](ai_ratelimit_core::Limiter) (by default over a fresh in-memory store; give it
//! a shared store with [`RateLimitLayer::limiter`]). The layer is generic over the store:
//! with a concrete store its futures are not boxed, and an in-process store decides on the
//! response future's first poll.
//!
//! - **Denied**: the inner service is not called. The answer is the limiter's JSON (429
//!   `limit_exceeded`, a rule's `blocked` or custom response, or 503 `store_unavailable`
//!   when the store fails and the limiter fails closed) with the rate-limit headers of the
//!   HTTP API and, for 429 and 503, `Retry-After`. A denial is a response, never an error.
//! - **Invalid**: a missing or unknown project key gets `401 invalid_project_key`; a missing
//!   or malformed identity `400 invalid_request` with `"field": "identity"` (see
//!   [`Rejection`]); with the [`SignedIdentityExtractor`], a missing or invalid signed
//!   identity token `401 invalid_identity_token`.
//! - Both are rendered by an [error handler](RateLimitLayer::error_handler) when one is set,
//!   so a surface answers in its own error shape.
//! - **Admitted**: the inner service is called and its response gets the rate-limit headers
//!   (and `x-ratelimit-warning` when a non-blocking rule applied). The request's [`Subject`]
//!   and a [`TokenReporter`] are in its extensions.
//!
//! # Token accounting
//! - A response carrying a [`TokensUsed`] extension settles the admission with that count.
//! - Otherwise the response body ([`RateLimitBody`]) settles when it ends, with what was
//!   reported through the request's [`TokenReporter`] (`add` per chunk, or `set`), or with
//!   the estimate reserved at admission if nothing was reported. An early drop (the client
//!   went away) or a body error settles the same way.
//! - A response whose status [`release_if`](RateLimitLayer::release_if) selects (5xx by
//!   default), or an inner error, releases the admission: the request is not counted.
//! - No response or body waits for its settlement: an in-process store settles at once, a
//!   remote one on a task spawned on the tokio runtime. Until it lands, the reservation
//!   keeps counting the request's estimate. (A release is waited for: a failed request's
//!   slot is free before a client that retries sees the failure.) A [settlement tracker](RateLimitLayer::settlement_tracker)
//!   lets a graceful shutdown wait for every admission to end. **A tokio runtime is
//!   therefore required** for remote stores; an admission ended outside one only expires
//!   after the reservation TTL.

//! # Observability
//! [`RateLimitLayer::observer`] receives one [`RequestRecord`] per request: scope,
//! identity, tier, outcome, status, tokens, latency, the limits and usage the decision saw,
//! and the request extensions named with [`RateLimitLayer::record_extension`]. Never a body.

mod error;
mod identity_token;
mod observe;
mod policy_source;
mod rate_limit;
mod rejection;
mod render;
mod subject;
mod tokens;

pub use error::{BoxError, RateLimitError};
pub use identity_token::{
    CLOCK_LEEWAY_SECONDS, IDENTITY_TOKEN_HEADER, IdentityClaims, IdentityKeys, IdentityTokenError,
    SignedIdentityExtractor,
};
pub use observe::{Outcome, RequestObserver, RequestRecord};
pub use policy_source::{
    PROJECT_KEY_HEADER, PolicySource, ProjectKeyLookup, ProjectKeyPolicy, ScopedPolicy, project_key,
};
pub use rate_limit::{RateLimit, RateLimitBody, RateLimitLayer, ResponseFuture};
pub use rejection::Rejection;
pub use render::{ErrorHandler, Refusal, json_response};
pub use subject::{
    ClientIpSource, FnExtractor, HeaderExtractor, IDENTITY_HEADER, Subject, SubjectExtractor,
    TIER_HEADER, client_ip,
};
pub use tokens::{TokenReporter, TokensUsed};
