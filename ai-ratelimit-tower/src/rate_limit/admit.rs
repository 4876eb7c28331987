//! The asynchronous half of `call`: policy, subject, decision.

use std::sync::Arc;

use ai_ratelimit_core::{Decision, DenialReason, LimitError, LimitRequest, LimitState};
use bytes::Bytes;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::body::RateLimitBody;
use super::layer::Config;
use super::settlement::{Observation, Settlement};
use crate::observe::{Outcome, RequestRecord};
use crate::rejection::{APPLICATION_JSON, Rejection};
use crate::subject::{Subject, SubjectExtractor};
use crate::tokens::TokenReporter;

/// Headers the layer adds to a response.
pub(crate) type LimitHeaders = Vec<(HeaderName, HeaderValue)>;

const WARNING_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-warning");

/// What to do with a request once its limit is checked.
#[allow(
    clippy::large_enum_variant,
    reason = "moved once per request; boxing would cost an allocation on the hot path"
)]
pub(crate) enum Admit<B> {
    /// Call the inner service, then add `headers` and settle.
    Forward {
        request: Request<B>,
        settlement: Settlement,
        headers: LimitHeaders,
    },
    /// Answer without calling it.
    Respond(Answer),
}

/// A JSON response made by the layer itself.
pub(crate) struct Answer {
    status: StatusCode,
    headers: LimitHeaders,
    body: Bytes,
}

impl Answer {
    fn json(status: StatusCode, headers: LimitHeaders, body: &Value) -> Self {
        Self {
            status,
            headers,
            // Serializing a `Value` cannot fail: its map keys are strings.
            body: Bytes::from(serde_json::to_vec(body).unwrap_or_default()),
        }
    }

    fn rejection(rejection: &Rejection) -> Self {
        Self::json(rejection.status(), Vec::new(), rejection.body())
    }

    pub(crate) fn into_response<B>(self) -> Response<RateLimitBody<B>> {
        let mut response = Response::new(RateLimitBody::json(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(APPLICATION_JSON.0, APPLICATION_JSON.1);
        insert_all(headers, self.headers);
        response
    }
}

pub(crate) fn insert_all(headers: &mut http::HeaderMap, add: LimitHeaders) {
    headers.reserve(add.len());
    for (name, value) in add {
        headers.insert(name, value);
    }
}

/// `LimitState::headers()` as header values.
fn limit_headers(state: &LimitState, extra: usize) -> LimitHeaders {
    let pairs = state.headers();
    let mut out = Vec::with_capacity(pairs.len() + extra);
    for (name, value) in pairs {
        // Taking the String's buffer avoids a copy; the values are ASCII by construction.
        if let Ok(value) = HeaderValue::from_maybe_shared(Bytes::from(value)) {
            out.push((HeaderName::from_static(name), value));
        }
    }
    out
}

fn observe_now<E>(
    config: &Config<E>,
    started: Option<Instant>,
    scope: Option<Arc<str>>,
    subject: Option<&Subject>,
    outcome: Outcome,
    status: StatusCode,
) {
    if let (Some(observer), Some(started)) = (&config.observer, started) {
        observer.observe(&RequestRecord {
            scope,
            identity: subject.map(|s| s.identity.clone()),
            tier: subject.and_then(|s| s.tier.clone()),
            outcome,
            status: Some(status.as_u16()),
            tokens: None,
            latency: started.elapsed(),
        });
    }
}

/// Resolves the policy, extracts the subject and asks the limiter.
pub(crate) async fn admit<E, B>(config: Arc<Config<E>>, request: Request<B>) -> Admit<B>
where
    E: SubjectExtractor<B>,
    B: Send + 'static,
{
    let started = config.observer.as_ref().map(|_| Instant::now());
    let (scoped, request) = match config.source.fixed() {
        Some(fixed) => (fixed.clone(), request),
        None => {
            let (parts, body) = request.into_parts();
            match config.source.resolve(&parts).await {
                Ok(scoped) => (scoped, Request::from_parts(parts, body)),
                Err(rejection) => {
                    let status = rejection.status();
                    observe_now(&config, started, None, None, Outcome::Rejected, status);
                    return Admit::Respond(Answer::rejection(&rejection));
                }
            }
        }
    };
    let (mut request, subject) = match config.extractor.extract(request, &scoped).await {
        Ok(extracted) => extracted,
        Err(rejection) => {
            let scope = Some(scoped.scope.clone());
            observe_now(
                &config,
                started,
                scope,
                None,
                Outcome::Rejected,
                rejection.status(),
            );
            return Admit::Respond(Answer::rejection(&rejection));
        }
    };
    let decision = config
        .limiter
        .check(
            &scoped.policy,
            &LimitRequest {
                scope: &scoped.scope,
                identity: &subject.identity,
                tier: subject.tier.as_deref(),
                estimated_tokens: subject.estimated_tokens,
            },
        )
        .await;
    let scope = Some(scoped.scope.clone());
    let (outcome, answer) = match decision {
        Ok(Decision::Admitted(admission)) => {
            let warning = admission.warning_header();
            let mut headers = limit_headers(&admission.state, 1);
            if let Some(value) = warning.and_then(|w| HeaderValue::try_from(w).ok()) {
                headers.push((WARNING_HEADER, value));
            }
            let reporter = TokenReporter::new();
            request.extensions_mut().insert(reporter.clone());
            let observation = config
                .observer
                .clone()
                .zip(started)
                .map(|(observer, started)| Observation {
                    observer,
                    scope: scoped.scope.clone(),
                    identity: subject.identity.clone(),
                    tier: subject.tier.clone(),
                    started,
                });
            request.extensions_mut().insert(subject);
            let settlement = Settlement::new(
                config.limiter.clone(),
                admission.reservation,
                reporter,
                observation,
            );
            return Admit::Forward {
                request,
                settlement,
                headers,
            };
        }
        Ok(Decision::Denied(denial)) => {
            let status =
                StatusCode::from_u16(denial.status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
            let mut headers = limit_headers(&denial.state, 1);
            if status == StatusCode::TOO_MANY_REQUESTS || status == StatusCode::SERVICE_UNAVAILABLE
            {
                headers.push((header::RETRY_AFTER, denial.retry_after_secs().into()));
            }
            let outcome = match denial.reason {
                DenialReason::StoreUnavailable => Outcome::Unavailable,
                _ => Outcome::Limited,
            };
            (outcome, Answer::json(status, headers, &denial.body))
        }
        Err(error @ LimitError::InvalidIdentity) => (
            Outcome::Rejected,
            Answer::rejection(&Rejection::invalid_request("identity", error.to_string())),
        ),
        Err(error @ LimitError::InvalidTier) => (
            Outcome::Rejected,
            Answer::rejection(&Rejection::invalid_request("tier", error.to_string())),
        ),
        Err(LimitError::Store(error)) => {
            tracing::error!(%error, "usage store failed");
            let body = json!({"error": "store_unavailable", "message": "Usage limits cannot be checked right now; try again shortly"});
            let headers = vec![(header::RETRY_AFTER, HeaderValue::from_static("1"))];
            (
                Outcome::Unavailable,
                Answer::json(StatusCode::SERVICE_UNAVAILABLE, headers, &body),
            )
        }
    };
    observe_now(
        &config,
        started,
        scope,
        Some(&subject),
        outcome,
        answer.status,
    );
    Admit::Respond(answer)
}
