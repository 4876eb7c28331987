//! What the rate-limit layer learns about a proxied call before the handler runs: the project
//! (from its key, [`ProjectSource`]) and the subject, read from the JSON body and headers of
//! each surface ([`ChatExtractor`]). Both leave what they found in the request extensions,
//! so the handler neither looks the key up nor parses the body a second time.

use std::sync::Arc;

use ai_ratelimit_core::estimate;
use ai_ratelimit_tower::{
    PROJECT_KEY_HEADER, PolicySource, Rejection, ScopedPolicy, Subject, SubjectExtractor,
    project_key,
};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Request, header};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value};

use super::surface::{Surface, rejection};
use crate::error::ApiError;
use crate::projects::{ProjectDirectory, ProjectRecord};
use crate::state::AppState;

/// Finds the project of a request by its key (`x-project-key`, or on the drop-in also
/// `Authorization: Bearer`) and attaches it to the request.
pub struct ProjectSource {
    pub(super) projects: ProjectDirectory,
    pub(super) bearer: bool,
}

impl PolicySource for ProjectSource {
    fn resolve<'a>(
        &'a self,
        head: &'a mut Parts,
    ) -> BoxFuture<'a, Result<ScopedPolicy, Rejection>> {
        Box::pin(async move {
            let key = project_key(&head.headers, &PROJECT_KEY_HEADER, self.bearer)
                .map_err(|_| rejection(ApiError::InvalidProjectKey))?;
            let project = self
                .projects
                .project_by_key(key)
                .await
                .map_err(rejection)?
                .ok_or_else(|| rejection(ApiError::InvalidProjectKey))?;
            let scoped = ScopedPolicy::new(project.scope.clone(), project.policy.clone());
            head.extensions.insert(project);
            Ok(scoped)
        })
    }
}

/// Where a call's `stream` flag comes from.
#[derive(Debug, Clone, Copy)]
pub enum Streaming {
    /// The route decides (`/chat` or `/chat/stream`).
    Route(bool),
    /// The body's `stream` field (the drop-in).
    Body,
}

/// The chat call the handler forwards, read once by the extractor. (`Clone` because request
/// extensions must be; nothing clones it.)
#[derive(Debug, Clone)]
pub struct ChatCall {
    /// The chat body without the proxy's own fields.
    pub body: Map<String, Value>,
    /// Whether to answer with server-sent events.
    pub stream: bool,
    /// The surface, for the handler's own errors.
    pub surface: Surface,
}

/// What the request log keeps of a call besides the layer's record: the model asked for and
/// when the request arrived. Recorded by the layer for the observer.
#[derive(Debug, Clone)]
pub struct CallLog {
    /// The body's `model`.
    pub model: Option<String>,
    /// When the request was received.
    pub at: DateTime<Utc>,
}

/// Reads the subject of a proxied call from its JSON body (the proxy routes: `identity`,
/// `tier`, removed before forwarding) or its headers (the drop-in: `x-identity`, else the
/// body's `user`; `x-tier`), and estimates its tokens.
pub struct ChatExtractor {
    pub(super) state: AppState,
    pub(super) surface: Surface,
    pub(super) streaming: Streaming,
}

impl SubjectExtractor<Body> for ChatExtractor {
    fn extract<'a>(
        &'a self,
        request: Request<Body>,
        policy: &'a ScopedPolicy,
    ) -> BoxFuture<'a, Result<(Request<Body>, Subject), Rejection>> {
        Box::pin(async move {
            let at = self.state.clock.now();
            let (mut parts, body) = request.into_parts();
            let mut body = read_json(&parts.headers, body, self.state.config.max_body_bytes)
                .await
                .map_err(rejection)?;
            let (identity, tier) = match self.surface {
                Surface::Proxy => body_subject(&mut body),
                Surface::OpenAi => header_subject(&parts.headers, &body),
            }
            .map_err(rejection)?;
            let stream = match self.streaming {
                Streaming::Route(stream) => stream,
                Streaming::Body => body.get("stream").and_then(Value::as_bool).unwrap_or(false),
            };
            let model = body.get("model").and_then(Value::as_str).map(str::to_owned);
            let mut whole = Value::Object(body);
            let estimated_tokens =
                estimate::request_tokens(&whole, policy.policy.default_output_tokens());
            let body = whole
                .as_object_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            parts.extensions.insert(CallLog { model, at });
            parts.extensions.insert(ChatCall {
                body,
                stream,
                surface: self.surface,
            });
            let subject = Subject {
                identity,
                tier,
                estimated_tokens,
            };
            Ok((Request::from_parts(parts, Body::empty()), subject))
        })
    }
}

/// The JSON object of a request body, with the API's errors: 415 without a JSON content
/// type, 413 over `limit` bytes, 400 for anything but an object.
///
/// Not axum's `Json` extractor: it consumes the whole request, and the layer must hand the
/// request's head (its extensions) on to the handler.
async fn read_json(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Map<String, Value>, ApiError> {
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let bytes = match Limited::new(body, limit).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => {
            return Err(ApiError::PayloadTooLarge);
        }
        Err(_) => return Err(ApiError::invalid("the request body could not be read")),
    };
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid("the body must be a JSON object")),
        Err(e) => Err(ApiError::invalid(format!("malformed JSON: {e}"))),
    }
}

/// `application/json` or any `application/*+json`, as axum's `Json` accepts.
fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || essence
            .strip_prefix("application/")
            .is_some_and(|subtype| subtype.ends_with("+json"))
}

/// The proxy routes' `identity` and `tier`, taken out of the body.
fn body_subject(body: &mut Map<String, Value>) -> Result<(String, Option<String>), ApiError> {
    let identity = match body.remove("identity") {
        Some(Value::String(identity)) => identity,
        Some(_) => return Err(ApiError::invalid_field("identity", "must be a string")),
        None => return Err(ApiError::invalid_field("identity", "identity is required")),
    };
    let tier = match body.remove("tier") {
        None | Some(Value::Null) => None,
        Some(Value::String(tier)) => Some(tier),
        Some(_) => return Err(ApiError::invalid_field("tier", "must be a string")),
    };
    Ok((identity, tier))
}

/// The drop-in's identity (`x-identity`, else the body's `user`) and tier (`x-tier`).
fn header_subject(
    headers: &HeaderMap,
    body: &Map<String, Value>,
) -> Result<(String, Option<String>), ApiError> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let identity = header("x-identity")
        .or_else(|| body.get("user").and_then(Value::as_str))
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::invalid_field("identity", "send the x-identity header or `user`")
        })?;
    Ok((identity, header("x-tier").map(str::to_owned)))
}

/// The project the source attached to a request.
pub fn project_of(parts: &http::Extensions) -> Option<Arc<ProjectRecord>> {
    parts.get::<Arc<ProjectRecord>>().cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_content_types() {
        let with = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_TYPE, value.parse().expect("header"));
            is_json(&headers)
        };
        assert!(with("application/json"));
        assert!(with("application/json; charset=utf-8"));
        assert!(with("Application/JSON"));
        assert!(with("application/vnd.api+json"));
        assert!(!with("text/plain"));
        assert!(!with("application/jsonx"));
        assert!(!is_json(&HeaderMap::new()));
    }
}
