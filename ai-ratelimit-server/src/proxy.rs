//! The limiting proxy: `/api/v1/proxy/chat`, `/api/v1/proxy/chat/stream` and the OpenAI drop-in
//! `/api/v1/openai/chat/completions`.
//!
//! Every route only reads its own request shape into a [`ProxyCall`]; admission, forwarding,
//! settlement and the request log live in one function, [`forward`], so the three surfaces
//! cannot drift apart. Nothing here logs or stores a message, prompt or completion.
//!
//! # One enforcement path: the core engine, not the `ai-ratelimit-tower` layer
//! The proxy admits through the same [`Limiter`](ai_ratelimit_core::Limiter) (the server's
//! shared store) and in the same calls as the layer does: `Limiter::check`, then
//! `Limiter::settle` with the reported tokens or `Limiter::release` on upstream failure; the
//! headers come from `LimitState::insert_headers()` and `Admission::warning_header()`,
//! `Retry-After` from `Denial::retry_after()` (only on 429/503). The decision logic
//! itself lives only in core. Wrapping these routes in `RateLimitLayer` was weighed and
//! rejected for now, because the layer (as of this commit) cannot express five things the
//! proxy must do:
//! 1. The drop-in's errors (401, 400, 429, 503) must be OpenAI's
//!    `{"error": {"message", "type", "code"}}` so SDKs see `RateLimitError` etc. with the
//!    right `type`; the layer writes its own `{"error", "message"}` bodies with no renderer
//!    hook, so a second middleware would have to re-parse and rewrite each of them.
//! 2. The handler needs the whole project (provider, upstream URL, decrypted provider key);
//!    `PolicySource::resolve` sees only `&Parts` and yields a `ScopedPolicy`, so the handler
//!    would look the key up a second time (and the drop-in's key comes from
//!    `Authorization: Bearer`, another custom source).
//! 3. Graceful shutdown must wait for the token settlement of streams that end during it
//!    (the `settlements` lock, tested by a stop-and-restart); the layer settles an abandoned
//!    body from `Drop` on a detached task that nothing can wait for.
//! 4. An upstream 4xx (the provider refused the request) is released, not counted; the layer
//!    releases only on 5xx or an inner error.
//! 5. The request log keeps the model, which the layer's `RequestRecord` does not carry.
//!
//! Each is a small extension of the layer (an error renderer, a policy source that can attach
//! extensions, a release predicate, a settlement tracker, a free-form record field); once the
//! layer has them the three routes can become one handler behind it.

use std::sync::Arc;
use std::time::Instant;

use ai_ratelimit_core::estimate;
use ai_ratelimit_core::{Decision, LimitRequest, LimitState, Reservation};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Map, Value, json};

use crate::error::ApiError;
use crate::json::ApiJson;
use crate::projects::ProjectRecord;
use crate::provider::{ChatRequest, ProviderError};
use crate::request_log::{RequestLogEntry, RequestOutcome};
use crate::state::AppState;

/// The proxy routes, mounted by the application router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/proxy/chat", post(proxy_chat))
        .route("/api/v1/proxy/chat/stream", post(proxy_chat_stream))
        .route("/api/v1/openai/chat/completions", post(openai_chat))
}

/// Which API surface a request came in on: it decides only the shape of error bodies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// `/api/v1/proxy/*`: the API's own `{"error", "message", "field"?}` shape.
    Proxy,
    /// `/api/v1/openai/*`: OpenAI's `{"error": {"message", "type", "code"}}` shape.
    OpenAi,
}

/// One request, read from any surface, ready for [`forward`].
#[derive(Debug)]
struct ProxyCall {
    project: Arc<ProjectRecord>,
    identity: String,
    tier: Option<String>,
    /// The chat body without the proxy's own fields.
    body: Map<String, Value>,
    stream: bool,
    surface: Surface,
}

/// An error before or instead of an upstream answer, rendered per [`Surface`].
#[derive(Debug)]
enum ProxyError {
    /// One of the API's own errors.
    Api(ApiError),
    /// 502 `upstream_error`.
    Upstream,
}

impl ProxyError {
    fn into_response(self, surface: Surface) -> Response {
        let (status, code, message, field) = match self {
            ProxyError::Api(e) => {
                let status = e.status_code();
                if surface == Surface::Proxy {
                    return e.into_response();
                }
                let body = e.body();
                (status, body.error, body.message, body.field)
            }
            ProxyError::Upstream => (
                StatusCode::BAD_GATEWAY,
                "upstream_error".to_owned(),
                "the upstream provider failed".to_owned(),
                None,
            ),
        };
        let body = match surface {
            Surface::Proxy => {
                let mut body = json!({"error": code, "message": message});
                if let Some(field) = field {
                    body["field"] = Value::String(field);
                }
                body
            }
            Surface::OpenAi => openai_error(status, &code, &message, field.as_deref()),
        };
        (status, axum::Json(body)).into_response()
    }
}

impl From<ApiError> for ProxyError {
    fn from(e: ApiError) -> Self {
        ProxyError::Api(e)
    }
}

/// OpenAI's error object for `status`.
fn openai_error(status: StatusCode, code: &str, message: &str, field: Option<&str>) -> Value {
    let kind = match status {
        StatusCode::BAD_REQUEST => "invalid_request_error",
        StatusCode::UNAUTHORIZED => "authentication_error",
        StatusCode::TOO_MANY_REQUESTS => "rate_limit_error",
        _ if status.is_server_error() => "api_error",
        _ => "invalid_request_error",
    };
    json!({"error": {"message": message, "type": kind, "code": code, "param": field}})
}

async fn proxy_chat(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<ApiJson<Map<String, Value>>, ApiError>,
) -> Response {
    proxy_route(&state, &headers, body, false).await
}

async fn proxy_chat_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<ApiJson<Map<String, Value>>, ApiError>,
) -> Response {
    proxy_route(&state, &headers, body, true).await
}

async fn proxy_route(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<ApiJson<Map<String, Value>>, ApiError>,
    stream: bool,
) -> Response {
    let call = async {
        let project = project_for(state, header_str(headers, "x-project-key")).await?;
        let ApiJson(mut body) = body?;
        let identity = match body.remove("identity") {
            Some(Value::String(identity)) => identity,
            Some(_) => return Err(ApiError::invalid_field("identity", "must be a string").into()),
            None => return Err(ApiError::invalid_field("identity", "identity is required").into()),
        };
        let tier = match body.remove("tier") {
            None | Some(Value::Null) => None,
            Some(Value::String(tier)) => Some(tier),
            Some(_) => return Err(ApiError::invalid_field("tier", "must be a string").into()),
        };
        Ok::<_, ProxyError>(ProxyCall {
            project,
            identity,
            tier,
            body,
            stream,
            surface: Surface::Proxy,
        })
    };
    match call.await {
        Ok(call) => forward(state, call).await,
        Err(e) => e.into_response(Surface::Proxy),
    }
}

async fn openai_chat(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<ApiJson<Map<String, Value>>, ApiError>,
) -> Response {
    let call = async {
        let key = header_str(&headers, header::AUTHORIZATION.as_str())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .or_else(|| header_str(&headers, "x-project-key"));
        let project = project_for(&state, key).await?;
        let ApiJson(body) = body?;
        let identity = header_str(&headers, "x-identity")
            .map(str::to_owned)
            .or_else(|| body.get("user").and_then(Value::as_str).map(str::to_owned))
            .ok_or_else(|| {
                ApiError::invalid_field("identity", "send the x-identity header or `user`")
            })?;
        let tier = header_str(&headers, "x-tier").map(str::to_owned);
        let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
        Ok::<_, ProxyError>(ProxyCall {
            project,
            identity,
            tier,
            body,
            stream,
            surface: Surface::OpenAi,
        })
    };
    match call.await {
        Ok(call) => forward(&state, call).await,
        Err(e) => e.into_response(Surface::OpenAi),
    }
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn project_for(state: &AppState, key: Option<&str>) -> Result<Arc<ProjectRecord>, ApiError> {
    let key = key
        .filter(|k| !k.is_empty())
        .ok_or(ApiError::InvalidProjectKey)?;
    state
        .projects
        .project_by_key(key)
        .await?
        .ok_or(ApiError::InvalidProjectKey)
}

/// What the request log needs to know about a call besides its outcome.
#[derive(Debug, Clone)]
struct LogContext {
    state: AppState,
    project_id: String,
    identity: String,
    tier: Option<String>,
    model: Option<String>,
    at: chrono::DateTime<chrono::Utc>,
    started: Instant,
}

impl LogContext {
    fn record(&self, outcome: RequestOutcome, tokens: u64) {
        let latency_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.state.request_log.record(RequestLogEntry {
            project_id: self.project_id.clone(),
            identity: self.identity.clone(),
            tier: self.tier.clone(),
            model: self.model.clone(),
            outcome,
            tokens,
            latency_ms,
            at: self.at,
        });
    }
}

/// The one enforcement path of every surface: admit, forward, settle (or release), log.
async fn forward(state: &AppState, call: ProxyCall) -> Response {
    let surface = call.surface;
    let log = LogContext {
        state: state.clone(),
        project_id: call.project.id.clone(),
        identity: call.identity.clone(),
        tier: call.tier.clone(),
        model: call
            .body
            .get("model")
            .and_then(Value::as_str)
            .map(str::to_owned),
        at: state.clock.now(),
        started: Instant::now(),
    };
    let project = &call.project;
    let kind = project.provider;
    let url = match state
        .providers
        .upstream_url(kind, Some(&project.upstream_url))
    {
        Ok(url) => url,
        Err(e) => {
            tracing::warn!(project = %project.id, error = %e, "project upstream URL unusable");
            return ProxyError::Upstream.into_response(surface);
        }
    };
    let mut body = Value::Object(call.body);
    let estimated_tokens = estimate::request_tokens(&body, project.policy.default_output_tokens());
    let body = body.as_object_mut().map(std::mem::take).unwrap_or_default();
    let request = LimitRequest {
        scope: &project.id,
        identity: &call.identity,
        tier: call.tier.as_deref(),
        estimated_tokens,
    };
    let admission = match state.limiter.check(&project.policy, &request).await {
        Ok(Decision::Admitted(admission)) => admission,
        Ok(Decision::Denied(denial)) => {
            log.record(RequestOutcome::Limited, 0);
            let status =
                StatusCode::from_u16(denial.status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
            let retry_after = denial.retry_after();
            let body = match surface {
                Surface::Proxy => denial.body,
                Surface::OpenAi => denial_as_openai(status, &denial.body),
            };
            let mut response = (status, axum::Json(body)).into_response();
            add_limit_headers(response.headers_mut(), &denial.state, None);
            if let Some(secs) = retry_after {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from(secs));
            }
            return response;
        }
        Err(e) => return ProxyError::Api(e.into()).into_response(surface),
    };
    let warning = admission.warning_header();
    let reservation = admission.reservation;
    let chat = ChatRequest {
        body,
        url,
        api_key: project.provider_api_key.clone(),
    };
    if call.stream {
        match state.providers.chat_stream(kind, chat).await {
            Ok(stream) => {
                let usage = stream.usage();
                let limiter = state.limiter.clone();
                // Only a shutdown already waiting for settlements holds the write side.
                let in_flight = state.settlements.clone().try_read_owned().ok();
                // Settles when the stream ends, also when the client went away mid-stream.
                tokio::spawn(async move {
                    let progress = usage.finished().await;
                    let tokens = progress.usage.map_or(estimated_tokens, |u| u.total_tokens);
                    settle(&limiter, reservation, tokens).await;
                    log.record(RequestOutcome::Allowed, tokens);
                    drop(in_flight);
                });
                let mut response = Response::new(Body::from_stream(stream));
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/event-stream"),
                );
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                add_limit_headers(headers, &admission.state, warning.as_deref());
                response
            }
            Err(e) => upstream_failed(state, reservation, &log, e, surface).await,
        }
    } else {
        match state.providers.chat(kind, chat).await {
            Ok(answer) => {
                let tokens = answer.usage.map_or(estimated_tokens, |u| u.total_tokens);
                settle(&state.limiter, reservation, tokens).await;
                log.record(RequestOutcome::Allowed, tokens);
                let mut response = Response::new(Body::from(answer.body));
                let headers = response.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                add_limit_headers(headers, &admission.state, warning.as_deref());
                response
            }
            Err(e) => upstream_failed(state, reservation, &log, e, surface).await,
        }
    }
}

/// Releases the admission of a failed upstream call and answers for it.
async fn upstream_failed(
    state: &AppState,
    reservation: Option<Reservation>,
    log: &LogContext,
    error: ProviderError,
    surface: Surface,
) -> Response {
    if let Some(reservation) = reservation
        && let Err(e) = state.limiter.release(reservation).await
    {
        tracing::warn!(error = %e, "releasing a reservation failed; it expires on its TTL");
    }
    log.record(RequestOutcome::Error, 0);
    match error {
        ProviderError::InvalidRequest { field, message } => {
            ProxyError::Api(ApiError::invalid_field(field, message)).into_response(surface)
        }
        ProviderError::Upstream { status, body } if status.is_client_error() => {
            let mut response = Response::new(Body::from(body));
            *response.status_mut() = status;
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            response
        }
        other => {
            tracing::warn!(error = %other, "upstream failed; admission released");
            ProxyError::Upstream.into_response(surface)
        }
    }
}

async fn settle(
    limiter: &ai_ratelimit_core::Limiter,
    reservation: Option<Reservation>,
    tokens: u64,
) {
    if let Some(reservation) = reservation
        && let Err(e) = limiter.settle(reservation, tokens).await
    {
        tracing::warn!(error = %e, "settling tokens failed; the reservation expires on its TTL");
    }
}

/// A denial body in OpenAI's error shape; the policy's own message is kept.
fn denial_as_openai(status: StatusCode, body: &Value) -> Value {
    let message = body
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("Rate limit exceeded");
    let code = body
        .get("error")
        .and_then(Value::as_str)
        .unwrap_or("rate_limit_exceeded");
    openai_error(status, code, message, None)
}

fn add_limit_headers(headers: &mut HeaderMap, state: &LimitState, warning: Option<&str>) {
    state.insert_headers(headers);
    if let Some(value) = warning.and_then(|w| HeaderValue::from_str(w).ok()) {
        headers.insert(HeaderName::from_static("x-ratelimit-warning"), value);
    }
}
