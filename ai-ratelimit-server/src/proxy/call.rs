//! What the rate-limit layer learns about a proxied call before the handler runs: the project
//! (from its key, [`ProjectSource`]) and the subject, read from the JSON body and headers of
//! each surface ([`CallExtractor`]). Both leave what they found in the request extensions,
//! so the handler neither looks the key up nor parses the body a second time.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ai_ratelimit_tower::{
    IDENTITY_TOKEN_HEADER, IdentityClaims, IdentityTokenError, PROJECT_KEY_HEADER, PolicySource,
    Rejection, ScopedPolicy, Subject, SubjectExtractor, project_key,
};
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Request, header};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde_json::{Map, Value};

use super::estimate::reserved_tokens;
use super::surface::{Surface, rejection};
use crate::error::ApiError;
use crate::projects::{ProjectDirectory, ProjectRecord};
use crate::provider::Operation;
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
            let project = find_project(&self.projects, &head.headers, self.bearer)
                .await
                .map_err(rejection)?;
            let scoped = ScopedPolicy::new(project.scope.clone(), project.policy.clone());
            head.extensions.insert(project);
            Ok(scoped)
        })
    }
}

/// The project of a request's key (`x-project-key`, or with `bearer` also `Authorization:
/// Bearer`); an unknown or missing key is `invalid_project_key`. Shared by the layer's source
/// and the routes outside the layer (the model list).
pub async fn find_project(
    projects: &ProjectDirectory,
    headers: &HeaderMap,
    bearer: bool,
) -> Result<Arc<ProjectRecord>, ApiError> {
    let key = project_key(headers, &PROJECT_KEY_HEADER, bearer)
        .map_err(|_| ApiError::InvalidProjectKey)?;
    projects
        .project_by_key(key)
        .await?
        .ok_or(ApiError::InvalidProjectKey)
}

/// Where a call's `stream` flag comes from.
#[derive(Debug, Clone, Copy)]
pub enum Streaming {
    /// The route decides (`/chat` or `/chat/stream`).
    Route(bool),
    /// The body's `stream` field (the drop-in).
    Body,
}

/// The call the handler forwards, read once by the extractor. (`Clone` because request
/// extensions must be; nothing clones it.)
#[derive(Debug, Clone)]
pub struct ProxyCall {
    /// What is asked of the provider.
    pub operation: Operation,
    /// The OpenAI-format body without the proxy's own fields.
    pub body: Map<String, Value>,
    /// Whether to answer with server-sent events.
    pub stream: bool,
    /// The surface, for the handler's own errors.
    pub surface: Surface,
}

/// What the request log keeps of a call besides the layer's record: the model asked for,
/// when the request arrived, and whether the provider reported its tokens. Recorded by the
/// layer for the observer.
#[derive(Debug, Clone)]
pub struct CallLog {
    /// The body's `model`.
    pub model: Option<String>,
    /// When the request was received.
    pub at: DateTime<Utc>,
    /// Set by the handler when the provider reports the call's usage.
    pub usage: UsageReport,
}

/// Whether the provider reported a call's tokens (else the layer settles the estimate). One
/// flag shared by every clone: the layer records its copy of [`CallLog`] at admission, before
/// the handler learns the usage, and the request log reads it when the call settles.
#[derive(Debug, Clone, Default)]
pub struct UsageReport(Arc<AtomicBool>);

impl UsageReport {
    /// The provider reported the tokens.
    pub fn reported(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether it did.
    pub fn was_reported(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// Reads the subject of a proxied call: from a signed identity token (`x-identity-token`)
/// when the project requires one or the call sends one, else from its JSON body (the proxy
/// routes: `identity`, `tier`, removed before forwarding either way) or its headers (the
/// drop-in: `x-identity`, else the body's `user`; `x-tier`); refuses an operation the
/// project's provider does not serve, and estimates the call's tokens.
pub struct CallExtractor {
    pub(super) state: AppState,
    pub(super) surface: Surface,
    pub(super) operation: Operation,
    pub(super) streaming: Streaming,
}

impl SubjectExtractor<Body> for CallExtractor {
    fn extract<'a>(
        &'a self,
        request: Request<Body>,
        policy: &'a ScopedPolicy,
    ) -> BoxFuture<'a, Result<(Request<Body>, Subject), Rejection>> {
        Box::pin(async move {
            let at = self.state.clock.now();
            let (mut parts, body) = request.into_parts();
            let signed = signed_subject(&parts, at).map_err(rejection)?;
            let mut body = read_json(&parts.headers, body, self.state.config.max_body_bytes)
                .await
                .map_err(rejection)?;
            let (identity, tier) = match (signed, self.surface) {
                (Some(claims), Surface::Proxy) => {
                    // The body's own fields are ignored, and never forwarded.
                    body.remove("identity");
                    body.remove("tier");
                    Ok((claims.identity, claims.tier))
                }
                (Some(claims), Surface::OpenAi) => Ok((claims.identity, claims.tier)),
                (None, Surface::Proxy) => body_subject(&mut body),
                (None, Surface::OpenAi) => header_subject(&parts.headers, &body),
            }
            .map_err(rejection)?;
            // Refused before admission: nothing is counted for a call no provider could serve.
            if let Some(project) = project_of(&parts.extensions)
                && !project.provider.supports(self.operation)
            {
                return Err(rejection(ApiError::invalid_field(
                    "provider",
                    format!(
                        "this project's provider ({}) does not serve {}",
                        project.provider, self.operation
                    ),
                )));
            }
            let stream = match self.streaming {
                Streaming::Route(stream) => stream,
                Streaming::Body => body.get("stream").and_then(Value::as_bool).unwrap_or(false),
            };
            let model = body.get("model").and_then(Value::as_str).map(str::to_owned);
            let mut whole = Value::Object(body);
            let estimated_tokens = reserved_tokens(
                self.operation,
                &whole,
                policy.policy.default_output_tokens(),
            );
            let body = whole
                .as_object_mut()
                .map(std::mem::take)
                .unwrap_or_default();
            parts.extensions.insert(CallLog {
                model,
                at,
                usage: UsageReport::default(),
            });
            parts.extensions.insert(ProxyCall {
                operation: self.operation,
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

/// The identity and tier of a signed identity token (`x-identity-token`), when the project
/// requires one or the call sends one; `None` when neither (the unsigned subject applies).
/// A required but missing token, or any invalid one, is `401 invalid_identity_token`.
fn signed_subject(parts: &Parts, now: DateTime<Utc>) -> Result<Option<IdentityClaims>, ApiError> {
    let Some(project) = project_of(&parts.extensions) else {
        return Ok(None);
    };
    let token = parts
        .headers
        .get(IDENTITY_TOKEN_HEADER)
        .map(|value| value.to_str())
        .transpose()
        .map_err(|_| IdentityTokenError::Malformed)?
        .filter(|token| !token.is_empty());
    let token = match token {
        Some(token) => token,
        None if project.require_signed_identity => return Err(IdentityTokenError::Missing.into()),
        None => return Ok(None),
    };
    let keys = project
        .identity_keys
        .as_ref()
        .ok_or(IdentityTokenError::NoSecret)?;
    Ok(Some(keys.verify(token, now)?))
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
