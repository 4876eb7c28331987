//! The limiting proxy: `/api/v1/proxy/*` (identity in the body) and the OpenAI drop-in
//! `/api/v1/openai/*` (identity in headers), for each operation of OpenAI's API the proxy
//! forwards: chat completions, responses, embeddings, image generation — and the model list,
//! which needs a key but counts toward no limit ([`models`]).
//!
//! One handler, [`forward`], behind `ai-ratelimit-tower`'s `RateLimitLayer` (the library's own
//! enforcement path, not a second one): each route's layer finds the project by its key
//! ([`ProjectSource`]), reads the subject from the route's request shape and estimates the
//! tokens of its operation ([`CallExtractor`]),
//! admits in the server's shared store, renders refusals in the route's error shape
//! ([`Surface`]) and settles when the answer is known — with the provider's reported usage
//! (`TokensUsed` for a whole answer, the `TokenReporter` for a stream), else the estimate —
//! or releases on an upstream failure or refusal (any 4xx or 5xx). The handler only forwards.
//! Nothing here logs or stores a message, prompt or completion.

mod call;
mod estimate;
mod log;
mod models;
pub mod openapi;
mod surface;

use std::pin::Pin;
use std::task::{Context, Poll};

use ai_ratelimit_tower::{RateLimitLayer, TokenReporter, TokensUsed};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get, post};
use bytes::Bytes;
use futures::Stream;

pub use call::{CallExtractor, CallLog, ProjectSource, ProxyCall, Streaming, UsageReport};
pub use estimate::reserved_tokens;
pub use log::ProxyLog;
pub use surface::Surface;

use crate::error::ApiError;
use crate::provider::{
    ChatStream, Operation, ProviderError, ProviderRequest, StreamError, StreamUsage,
};
use crate::state::AppState;

/// The proxy routes, each behind its rate-limit layer, mounted by the application router.
pub fn routes(state: &AppState) -> Router<AppState> {
    use Operation::{Chat, Embeddings, Images, Responses};
    use Surface::{OpenAi, Proxy};
    let route = |surface, operation, streaming| forwarding(state, surface, operation, streaming);
    Router::new()
        .route(
            "/api/v1/proxy/chat",
            route(Proxy, Chat, Streaming::Route(false)),
        )
        .route(
            "/api/v1/proxy/chat/stream",
            route(Proxy, Chat, Streaming::Route(true)),
        )
        .route(
            "/api/v1/proxy/responses",
            route(Proxy, Responses, Streaming::Route(false)),
        )
        .route(
            "/api/v1/proxy/responses/stream",
            route(Proxy, Responses, Streaming::Route(true)),
        )
        .route(
            "/api/v1/proxy/embeddings",
            route(Proxy, Embeddings, Streaming::Route(false)),
        )
        .route(
            "/api/v1/proxy/images/generations",
            route(Proxy, Images, Streaming::Route(false)),
        )
        .route("/api/v1/proxy/models", get(models::proxy))
        .route(
            "/api/v1/openai/chat/completions",
            route(OpenAi, Chat, Streaming::Body),
        )
        .route(
            "/api/v1/openai/responses",
            route(OpenAi, Responses, Streaming::Body),
        )
        // OpenAI's embeddings never stream.
        .route(
            "/api/v1/openai/embeddings",
            route(OpenAi, Embeddings, Streaming::Route(false)),
        )
        .route(
            "/api/v1/openai/images/generations",
            route(OpenAi, Images, Streaming::Body),
        )
        .route("/api/v1/openai/models", get(models::openai))
}

/// `POST` to [`forward`] behind the rate-limit layer of one surface and operation.
fn forwarding(
    state: &AppState,
    surface: Surface,
    operation: Operation,
    streaming: Streaming,
) -> MethodRouter<AppState> {
    post(forward).layer(layer(state, surface, operation, streaming))
}

/// The rate-limit layer of one route: the server's limiter (shared store), the surface's
/// key location, subject and error shape, and the request log as its observer.
fn layer(
    state: &AppState,
    surface: Surface,
    operation: Operation,
    streaming: Streaming,
) -> RateLimitLayer<CallExtractor, ai_ratelimit_core::SharedStore> {
    RateLimitLayer::from_source(ProjectSource {
        projects: state.projects.clone(),
        bearer: surface == Surface::OpenAi,
    })
    .extractor(CallExtractor {
        state: state.clone(),
        surface,
        operation,
        streaming,
    })
    .limiter(state.limiter.clone())
    .error_handler(move |refusal: ai_ratelimit_tower::Refusal<'_>| surface.render(refusal))
    // The provider refused the request (4xx, its own 429 included) or failed (5xx): not counted.
    .release_if(|status: StatusCode| status.is_client_error() || status.is_server_error())
    .settlement_tracker(state.settlements.clone())
    .observer(ProxyLog {
        log: state.request_log.clone(),
        webhooks: state.webhooks.emitter.clone(),
    })
    .record_extension::<CallLog>()
}

/// Forwards an admitted call to the project's provider; the layer around it settles.
async fn forward(State(state): State<AppState>, mut request: Request) -> Response {
    let extensions = request.extensions_mut();
    let usage_report = extensions.get::<CallLog>().map(|log| log.usage.clone());
    let (Some(project), Some(call), Some(reporter), Some(usage_report)) = (
        call::project_of(extensions),
        extensions.remove::<ProxyCall>(),
        extensions.remove::<TokenReporter>(),
        usage_report,
    ) else {
        // Only reachable if the route lost its layer.
        return ApiError::internal("proxy handler reached without its rate-limit layer")
            .into_response();
    };
    let surface = call.surface;
    let kind = project.provider;
    let Some(url) = project.upstream.clone() else {
        tracing::warn!(project = %project.id, "project upstream URL unusable");
        return surface.upstream_error();
    };
    let upstream = ProviderRequest::new(call.operation, url)
        .with_body(call.body)
        .with_settings(project.provider_settings.clone())
        .with_api_key(project.provider_api_key.clone());
    if call.stream {
        match state.providers.stream(kind, upstream).await {
            Ok(stream) => {
                let usage = stream.usage();
                let body = Body::from_stream(Reporting {
                    stream,
                    usage,
                    reporter,
                    report: usage_report,
                });
                let mut response = Response::new(body);
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/event-stream"),
                );
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                response
            }
            Err(e) => upstream_failed(e, surface),
        }
    } else {
        match state.providers.call(kind, upstream).await {
            Ok(answer) => {
                let mut response = Response::new(Body::from(answer.body));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                // Without reported usage the layer settles the estimate it reserved.
                if let Some(usage) = answer.usage {
                    usage_report.reported();
                    response
                        .extensions_mut()
                        .insert(TokensUsed(usage.total_tokens));
                }
                response
            }
            Err(e) => upstream_failed(e, surface),
        }
    }
}

/// The answer to a failed upstream call (its 4xx/5xx status makes the layer release it).
fn upstream_failed(error: ProviderError, surface: Surface) -> Response {
    match error {
        ProviderError::InvalidRequest { field, message } => {
            surface.error(ApiError::invalid_field(field, message))
        }
        unsupported @ ProviderError::Unsupported { .. } => {
            surface.error(ApiError::invalid_field("provider", unsupported.to_string()))
        }
        ProviderError::Upstream { status, body } if status.is_client_error() => {
            surface::passthrough(status, body)
        }
        other => {
            tracing::warn!(error = %other, "upstream failed; admission released");
            surface.upstream_error()
        }
    }
}

/// A provider's stream as a response body that reports the stream's usage to the layer
/// when it ends or fails, and when it is dropped unfinished (the client went away) — the
/// layer then settles with it, or with the estimate when the provider reported none.
struct Reporting {
    stream: ChatStream,
    usage: StreamUsage,
    reporter: TokenReporter,
    /// The request log's flag: tokens reported, not estimated.
    report: UsageReport,
}

impl Reporting {
    fn report(&self) {
        if let Some(usage) = self.usage.snapshot().usage {
            self.reporter.set(usage.total_tokens);
            self.report.reported();
        }
    }
}

impl Stream for Reporting {
    type Item = Result<Bytes, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = Pin::new(&mut self.stream).poll_next(cx);
        if matches!(next, Poll::Ready(None | Some(Err(_)))) {
            self.report();
        }
        next
    }
}

impl Drop for Reporting {
    // The layer's body drops this inner body before its settlement, so the settlement of an
    // abandoned stream sees what was reported here.
    fn drop(&mut self) {
        self.report();
    }
}
