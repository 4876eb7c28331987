//! The OpenAPI 3.1 document (`GET /api/openapi.json`), generated from the handlers'
//! `#[utoipa::path]` annotations.

use axum::Json;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, Ref, Required, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::proxy::openapi::OperationPaths;
use crate::{admin, auth, error, ops, projects, reports, usage, webhooks};

/// The API document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "AI Ratelimit",
        description = "Accounts, projects, usage and the limiting proxy of the AI Ratelimit reference server."
    ),
    paths(
        auth::signup,
        auth::request_magic_link,
        auth::verify_magic_link,
        auth::login,
        auth::me,
        projects::routes::list_projects,
        projects::routes::create_project,
        projects::routes::get_project,
        projects::routes::update_project,
        projects::routes::delete_project,
        projects::routes::rotate_project_key,
        projects::routes::rotate_identity_secret,
        usage::summary,
        usage::by_identity,
        usage::history,
        reports::forget::forget_identity,
        webhooks::routes::create,
        webhooks::routes::list,
        webhooks::routes::get,
        webhooks::routes::update,
        webhooks::routes::delete,
        webhooks::routes::rotate_secret,
        webhooks::routes::test,
        webhooks::routes::deliveries,
        admin::create_project,
        admin::identity_usage,
        ops::healthz,
        ops::readyz,
        ops::metrics,
        openapi_json,
    ),
    components(schemas(error::ErrorBody, reports::periods::Interval)),
    modifiers(&SecuritySchemes, &ProxyPaths, &OperationPaths),
    tags(
        (name = "auth", description = "Sign-up, magic links, sessions"),
        (name = "projects", description = "Projects of the caller's organization"),
        (name = "usage", description = "Usage of a project"),
        (name = "webhooks", description = "Webhooks on limit events (Standard Webhooks signatures)"),
        (name = "proxy", description = "The limiting proxy (header `x-project-key`)"),
        (name = "admin", description = "Admin API (header `x-admin-key`)"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
pub struct ApiDoc;

struct SecuritySchemes;

impl Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        components.add_security_scheme(
            "admin_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-admin-key"))),
        );
        components.add_security_scheme(
            "project_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("x-project-key"))),
        );
    }
}

/// The proxy routes, described here until their handlers carry their own annotations.
struct ProxyPaths;

impl Modify for ProxyPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let error = || {
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build()
        };
        let object = || {
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().build()))
                .build()
        };
        let operation = |id: &str, summary: &str, success: ResponseBuilder| {
            OperationBuilder::new()
                .operation_id(Some(id))
                .tag("proxy")
                .summary(Some(summary))
                .parameter(
                    ParameterBuilder::new()
                        .name("x-project-key")
                        .parameter_in(ParameterIn::Header)
                        .required(Required::False)
                        .description(Some("The project key `pk_…` (or `Authorization: Bearer pk_…` on the OpenAI-compatible route)")),
                )
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .content("application/json", object())
                        .required(Some(Required::True))
                        .build(),
                ))
                .response("200", success.build())
                .response("400", ResponseBuilder::new().description("`invalid_request` (e.g. `field: \"identity\"`)").content("application/json", error()).build())
                .response("401", ResponseBuilder::new().description("`invalid_project_key` or `invalid_identity_token`").content("application/json", error()).build())
                .response("429", ResponseBuilder::new().description("Limit reached or blocked by a rule; `Retry-After` and rate-limit headers (and, on the OpenAI-compatible route, `x-should-retry: false`, so OpenAI SDKs do not retry)").content("application/json", object()).build())
                .response("502", ResponseBuilder::new().description("`upstream_error`").content("application/json", error()).build())
                .build()
        };
        let completion = || {
            ResponseBuilder::new()
                .description("The provider's chat completion, OpenAI format")
                .content("application/json", object())
        };
        let stream = ResponseBuilder::new()
            .description("OpenAI-format `data:` chunks ending with `data: [DONE]`")
            .content("text/event-stream", ContentBuilder::new().build());
        openapi.paths.add_path_operation(
            "/api/v1/proxy/chat",
            vec![HttpMethod::Post],
            operation(
                "proxy_chat",
                "Chat completion through the limiter: `{identity, tier?, model, messages, …}`",
                completion(),
            ),
        );
        openapi.paths.add_path_operation(
            "/api/v1/proxy/chat/stream",
            vec![HttpMethod::Post],
            operation(
                "proxy_chat_stream",
                "Streaming chat completion through the limiter",
                stream,
            ),
        );
        openapi.paths.add_path_operation(
            "/api/v1/openai/chat/completions",
            vec![HttpMethod::Post],
            operation(
                "openai_chat_completions",
                "OpenAI-compatible drop-in (identity from `x-identity` or `user`, tier from `x-tier`)",
                completion(),
            ),
        );
    }
}

/// This document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3.1 document", body = Object)))]
pub async fn openapi_json() -> Json<serde_json::Value> {
    Json(document().clone())
}

/// The document, completed (see [`crate::openapi_contract`]), built once.
pub fn document() -> &'static serde_json::Value {
    static DOCUMENT: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOCUMENT.get_or_init(|| {
        crate::openapi_contract::complete(
            serde_json::to_value(ApiDoc::openapi()).unwrap_or(serde_json::Value::Null),
        )
    })
}
