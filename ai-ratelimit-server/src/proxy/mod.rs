//! The limiting proxy: `/api/v1/proxy/chat`, `/api/v1/proxy/chat/stream` and the OpenAI drop-in
//! `/api/v1/openai/chat/completions`.
//!
//! One handler, [`forward`], behind `ai-ratelimit-tower`'s `RateLimitLayer` (the library's own
//! enforcement path, not a second one): each route's layer finds the project by its key
//! ([`ProjectSource`]), reads the subject from the route's request shape ([`ChatExtractor`]),
//! admits in the server's shared store, renders refusals in the route's error shape
//! ([`Surface`]) and settles when the answer is known — with the provider's reported usage
//! (`TokensUsed` for a whole answer, the `TokenReporter` for a stream), else the estimate —
//! or releases on an upstream failure or refusal (any 4xx or 5xx). The handler only forwards.
//! Nothing here logs or stores a message, prompt or completion.

mod call;
mod log;
mod surface;

use std::pin::Pin;
use std::task::{Context, Poll};

use ai_ratelimit_tower::{RateLimitLayer, TokenReporter, TokensUsed};
use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use futures::Stream;

pub use call::{CallLog, ChatCall, ChatExtractor, ProjectSource, Streaming};
pub use log::ProxyLog;
pub use surface::Surface;

use crate::error::ApiError;
use crate::provider::{ChatRequest, ChatStream, ProviderError, StreamError, StreamUsage};
use crate::state::AppState;

/// The proxy routes, each behind its rate-limit layer, mounted by the application router.
pub fn routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/proxy/chat",
            post(forward).layer(layer(state, Surface::Proxy, Streaming::Route(false))),
        )
        .route(
            "/api/v1/proxy/chat/stream",
            post(forward).layer(layer(state, Surface::Proxy, Streaming::Route(true))),
        )
        .route(
            "/api/v1/openai/chat/completions",
            post(forward).layer(layer(state, Surface::OpenAi, Streaming::Body)),
        )
}

/// The rate-limit layer of one route: the server's limiter (shared store), the surface's
/// key location, subject and error shape, and the request log as its observer.
fn layer(
    state: &AppState,
    surface: Surface,
    streaming: Streaming,
) -> RateLimitLayer<ChatExtractor, ai_ratelimit_core::SharedStore> {
    RateLimitLayer::from_source(ProjectSource {
        projects: state.projects.clone(),
        bearer: surface == Surface::OpenAi,
    })
    .extractor(ChatExtractor {
        state: state.clone(),
        surface,
        streaming,
    })
    .limiter(state.limiter.clone())
    .error_handler(move |refusal: ai_ratelimit_tower::Refusal<'_>| surface.render(refusal))
    // The provider refused the request (4xx) or failed (5xx): not counted.
    .release_if(|status: StatusCode| status.is_client_error() || status.is_server_error())
    .settlement_tracker(state.settlements.clone())
    .observer(ProxyLog {
        log: state.request_log.clone(),
    })
    .record_extension::<CallLog>()
}

/// Forwards an admitted call to the project's provider; the layer around it settles.
async fn forward(State(state): State<AppState>, mut request: Request) -> Response {
    let extensions = request.extensions_mut();
    let (Some(project), Some(call), Some(reporter)) = (
        call::project_of(extensions),
        extensions.remove::<ChatCall>(),
        extensions.remove::<TokenReporter>(),
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
    let chat = ChatRequest {
        body: call.body,
        url,
        api_key: project.provider_api_key.clone(),
    };
    if call.stream {
        match state.providers.chat_stream(kind, chat).await {
            Ok(stream) => {
                let usage = stream.usage();
                let body = Body::from_stream(Reporting {
                    stream,
                    usage,
                    reporter,
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
        match state.providers.chat(kind, chat).await {
            Ok(answer) => {
                let mut response = Response::new(Body::from(answer.body));
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                // Without reported usage the layer settles the estimate it reserved.
                if let Some(usage) = answer.usage {
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
}

impl Reporting {
    fn report(&self) {
        if let Some(usage) = self.usage.snapshot().usage {
            self.reporter.set(usage.total_tokens);
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
