//! The router: every route of the API, its fallbacks and its middleware.

use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::routing::{delete, get, post};
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use crate::error::ServerError;
use crate::state::AppState;
use crate::{admin, auth, dashboard, openapi, ops, projects, proxy, reports, usage, webhooks};

/// Headers a browser app may read from proxied responses.
const EXPOSED_HEADERS: &[&str] = &[
    "ratelimit",
    "ratelimit-policy",
    "retry-after",
    "x-ratelimit-limit-requests",
    "x-ratelimit-remaining-requests",
    "x-ratelimit-limit-tokens",
    "x-ratelimit-remaining-tokens",
    "x-ratelimit-reset",
    "x-ratelimit-warning",
    "x-request-id",
    "x-should-retry",
];

const X_REQUEST_ID: &str = "x-request-id";

/// The whole application router.
pub fn router(state: AppState) -> Result<Router, ServerError> {
    let api = Router::new()
        .nest("/api/auth", auth_routes())
        .nest("/api/projects", project_routes())
        .nest("/api/admin", admin_routes())
        .merge(proxy::routes(&state))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        // Everything else: the dashboard's files and client routes (JSON 404 under /api).
        .fallback_service(dashboard::service(dashboard::Source::Embedded))
        .method_not_allowed_fallback(ops::method_not_allowed);
    let cors = cors(&state.config.cors_origin)?;
    Ok(api
        .layer(axum::middleware::from_fn(ops::track_requests))
        .layer(DefaultBodyLimit::max(state.config.max_body_bytes))
        .layer(cors)
        .layer(
            TraceLayer::new_for_http()
                // Method and path only: query strings and headers may carry tokens.
                .make_span_with(|request: &axum::http::Request<_>| {
                    let id = request
                        .headers()
                        .get(X_REQUEST_ID)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("");
                    tracing::debug_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
                })
                // One line per request only when asked (`RUST_LOG=tower_http=debug`): at the
                // default level a busy proxy would spend more on its log than on limiting.
                .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
        )
        // Every request gets an id (a client's own `x-request-id` is kept), echoed on its
        // response and in its log span, so a client's error report can be found in the log.
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state))
}

fn auth_routes() -> Router<AppState> {
    Router::new()
        .route("/signup", post(auth::signup))
        .route("/magic-link/request", post(auth::request_magic_link))
        .route("/magic-link/verify", post(auth::verify_magic_link))
        .route("/login", post(auth::login))
        .route("/me", get(auth::me))
}

fn project_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/",
            get(projects::routes::list_projects).post(projects::routes::create_project),
        )
        .route(
            "/{id}",
            get(projects::routes::get_project)
                .patch(projects::routes::update_project)
                .delete(projects::routes::delete_project),
        )
        .route(
            "/{id}/rotate-key",
            post(projects::routes::rotate_project_key),
        )
        .route(
            "/{id}/identity-secret",
            post(projects::routes::rotate_identity_secret),
        )
        .route("/{id}/usage/summary", get(usage::summary))
        .route("/{id}/usage/by-identity", get(usage::by_identity))
        .route("/{id}/usage/history", get(usage::history))
        .route(
            "/{id}/identities/{identity}",
            delete(reports::forget::forget_identity),
        )
        .route(
            "/{id}/webhooks",
            get(webhooks::routes::list).post(webhooks::routes::create),
        )
        .route(
            "/{id}/webhooks/{wid}",
            get(webhooks::routes::get)
                .patch(webhooks::routes::update)
                .delete(webhooks::routes::delete),
        )
        .route(
            "/{id}/webhooks/{wid}/rotate-secret",
            post(webhooks::routes::rotate_secret),
        )
        .route("/{id}/webhooks/{wid}/test", post(webhooks::routes::test))
        .route(
            "/{id}/webhooks/{wid}/deliveries",
            get(webhooks::routes::deliveries),
        )
}

fn admin_routes() -> Router<AppState> {
    Router::new()
        .route("/projects", post(admin::create_project))
        .route(
            "/projects/{project_key}/usage/{identity}",
            get(admin::identity_usage),
        )
}

fn cors(origin: &str) -> Result<CorsLayer, ServerError> {
    let origin = HeaderValue::from_str(origin.trim_end_matches('/'))
        .map_err(|_| ServerError::Startup("CORS_ORIGIN is not a valid origin".to_owned()))?;
    Ok(CorsLayer::new()
        .allow_origin(AllowOrigin::list([origin]))
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            HeaderName::from_static("x-project-key"),
            HeaderName::from_static("x-admin-key"),
            HeaderName::from_static("x-identity"),
            HeaderName::from_static("x-tier"),
            HeaderName::from_static("x-identity-token"),
        ])
        .expose_headers(
            EXPOSED_HEADERS
                .iter()
                .map(|h| HeaderName::from_static(h))
                .collect::<Vec<_>>(),
        )
        .max_age(Duration::from_secs(600)))
}
