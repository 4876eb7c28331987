//! The OpenAPI description of the proxy's operations beyond chat (responses, embeddings,
//! images, the model list), on the drop-in and on the proxy routes. Written by hand like the
//! chat routes' (their bodies are OpenAI's, passed on unchanged, so they are open objects);
//! registered as a modifier of the API document.

use utoipa::Modify;
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{Content, ContentBuilder, Ref, Required, ResponseBuilder};

/// Adds the operations' paths to the document.
pub struct OperationPaths;

/// Which surface a path belongs to: it decides the key header and the error shape.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// `/api/v1/proxy/*`: `x-project-key`, identity in the body, the API's error bodies.
    Proxy,
    /// `/api/v1/openai/*`: bearer or `x-project-key`, identity in `x-identity`, OpenAI's errors.
    OpenAi,
}

fn object() -> Content {
    ContentBuilder::new()
        .schema(Some(ObjectBuilder::new().build()))
        .build()
}

/// OpenAI's error shape `{"error": {"message", "type", "code", "param", …}}`; a denial's own
/// fields (`deepLink`, `usage`, …) ride inside `error`.
fn openai_error() -> Content {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let inner = ObjectBuilder::new()
        .property("message", string())
        .property("type", string())
        .property("code", string())
        .property(
            "param",
            ObjectBuilder::new().schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::String,
                Type::Null,
            ])),
        )
        .required("message")
        .required("type");
    ContentBuilder::new()
        .schema(Some(
            ObjectBuilder::new()
                .property("error", inner)
                .required("error")
                .build(),
        ))
        .build()
}

fn api_error() -> Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build()
}

fn error(surface: Surface, description: &str) -> ResponseBuilder {
    let content = match surface {
        Surface::Proxy => api_error(),
        Surface::OpenAi => openai_error(),
    };
    ResponseBuilder::new()
        .description(description)
        .content("application/json", content)
}

fn key_parameter(surface: Surface) -> ParameterBuilder {
    let description = match surface {
        Surface::Proxy => "The project key `pk_…`",
        Surface::OpenAi => {
            "The project key `pk_…` (or `Authorization: Bearer pk_…`, as OpenAI's SDKs send it)"
        }
    };
    ParameterBuilder::new()
        .name("x-project-key")
        .parameter_in(ParameterIn::Header)
        .required(if surface == Surface::Proxy {
            Required::True
        } else {
            Required::False
        })
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .description(Some(description))
}

/// A limited operation: admitted or denied by the project's limits, forwarded if admitted.
fn limited(
    surface: Surface,
    id: &str,
    summary: &str,
    success: ResponseBuilder,
) -> utoipa::openapi::path::Operation {
    let mut operation = OperationBuilder::new()
        .operation_id(Some(id))
        .tag("proxy")
        .summary(Some(summary))
        .parameter(key_parameter(surface))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content("application/json", object())
                .required(Some(Required::True))
                .build(),
        ))
        .response("200", success.build())
        .response(
            "400",
            error(
                surface,
                "`invalid_request` (`field`/`param` names the value: `identity`, a field the provider cannot take, or `provider` when the project's provider does not serve this operation)",
            )
            .build(),
        )
        .response("401", error(surface, "`invalid_project_key`, or `invalid_identity_token` (a required signed identity missing, or any identity token malformed, expired, not yet valid, wrongly signed or not HS256)").build())
        .response(
            "429",
            ResponseBuilder::new()
                .description("Limit reached (`limit_exceeded`, or `project_limit_exceeded` for the project-wide cap) or blocked by a rule (`Retry-After`, rate-limit headers; on the drop-in `x-should-retry: false` and every field of the denial inside OpenAI's error object) — or the provider's own 429, passed through, not counted")
                .content(
                    "application/json",
                    if surface == Surface::OpenAi { openai_error() } else { object() },
                )
                .build(),
        )
        .response("502", error(surface, "`upstream_error`: the provider failed or could not be reached; not counted").build());
    operation = operation.parameter(
        ParameterBuilder::new()
            .name("x-identity-token")
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .description(Some("A signed identity: an HS256 JWT (`sub` = identity, optional `tier`, `exp`) signed with the project's identity secret. Required when the project sets `requireSignedIdentity`; identity and tier then come only from it")),
    );
    if surface == Surface::OpenAi {
        operation = operation.parameter(
            ParameterBuilder::new()
                .name("x-identity")
                .parameter_in(ParameterIn::Header)
                .required(Required::False)
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .description(Some("The end user (else the body's `user`)")),
        );
    }
    operation.build()
}

fn json_answer(description: &str) -> ResponseBuilder {
    ResponseBuilder::new()
        .description(description)
        .content("application/json", object())
}

fn events(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "text/event-stream",
        ContentBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
            .build(),
    )
}

fn responses_answer() -> ResponseBuilder {
    ResponseBuilder::new()
        .description("OpenAI's `response` object, or with `stream: true` its typed events (`response.created` … `response.completed`) passed through unchanged")
        .content("application/json", object())
        .content(
            "text/event-stream",
            ContentBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                .build(),
        )
}

fn model_list(surface: Surface) -> utoipa::openapi::path::Operation {
    let id = match surface {
        Surface::Proxy => "proxy_models",
        Surface::OpenAi => "openai_models",
    };
    OperationBuilder::new()
        .operation_id(Some(id))
        .tag("proxy")
        .summary(Some("The project's provider's model list in OpenAI's shape; needs a valid key, counts toward no limit"))
        .parameter(key_parameter(surface))
        .response("200", json_answer("`{\"object\": \"list\", \"data\": [{\"id\", \"object\": \"model\", \"created\", \"owned_by\"}]}`").build())
        .response("401", error(surface, "`invalid_project_key`").build())
        .response("502", error(surface, "`upstream_error`").build())
        .build()
}

impl Modify for OperationPaths {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use Surface::{OpenAi, Proxy};
        let paths = &mut openapi.paths;
        let mut post = |path: &str, operation| {
            paths.add_path_operation(path, vec![HttpMethod::Post], operation);
        };
        post(
            "/api/v1/openai/responses",
            limited(
                OpenAi,
                "openai_responses",
                "OpenAI-compatible Responses API (identity from `x-identity` or `user`); tokens from the reported usage",
                responses_answer(),
            ),
        );
        post(
            "/api/v1/openai/embeddings",
            limited(
                OpenAi,
                "openai_embeddings",
                "OpenAI-compatible embeddings; tokens from `usage`",
                json_answer("OpenAI's embedding list"),
            ),
        );
        post(
            "/api/v1/openai/images/generations",
            limited(
                OpenAi,
                "openai_images",
                "OpenAI-compatible image generation; counted as a request, tokens only where the provider reports them",
                json_answer("OpenAI's image list (or, with `stream: true`, its typed events)"),
            ),
        );
        post(
            "/api/v1/proxy/responses",
            limited(
                Proxy,
                "proxy_responses",
                "Responses API through the limiter: `{identity, tier?, model, input, …}`",
                json_answer("OpenAI's `response` object"),
            ),
        );
        post(
            "/api/v1/proxy/responses/stream",
            limited(
                Proxy,
                "proxy_responses_stream",
                "Streamed Responses API through the limiter",
                events("The Responses API's typed events, passed through unchanged"),
            ),
        );
        post(
            "/api/v1/proxy/embeddings",
            limited(
                Proxy,
                "proxy_embeddings",
                "Embeddings through the limiter: `{identity, tier?, model, input, …}`",
                json_answer("OpenAI's embedding list"),
            ),
        );
        post(
            "/api/v1/proxy/images/generations",
            limited(
                Proxy,
                "proxy_images",
                "Image generation through the limiter: `{identity, tier?, model, prompt, …}`",
                json_answer("OpenAI's image list"),
            ),
        );
        paths.add_path_operation(
            "/api/v1/openai/models",
            vec![HttpMethod::Get],
            model_list(OpenAi),
        );
        paths.add_path_operation(
            "/api/v1/proxy/models",
            vec![HttpMethod::Get],
            model_list(Proxy),
        );
    }
}
