//! Admitting a request: policy, subject, decision — without waiting when it can.

use std::future::ready;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use ai_ratelimit_core::{Decision, DenialReason, LimitError, LimitRequest, LimitState, StoreError};
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{HeaderName, HeaderValue, Request, Response, StatusCode, header};
use serde_json::{Value, json};
use tokio::time::Instant;

use super::body::RateLimitBody;
use super::layer::Config;
use super::settlement::{Observation, Settlement};
use crate::observe::{Outcome, RequestRecord};
use crate::policy_source::ScopedPolicy;
use crate::rejection::{APPLICATION_JSON, Rejection};
use crate::subject::{Subject, SubjectExtractor};
use crate::tokens::TokenReporter;

/// The headers the layer adds to a response, kept as numbers until the response exists
/// and then written straight into its header map (no intermediate strings or list).
#[derive(Default)]
pub(crate) struct LimitHeaders {
    /// The rate-limit headers of this state.
    state: Option<LimitState>,
    /// `x-ratelimit-warning` of an admission or `Retry-After` of a denial.
    extra: Option<ExtraHeader>,
}

/// The one header beside the limit headers a response may get (its name is implied: the
/// headers are moved a few times per request, and a name would double their size).
pub(crate) enum ExtraHeader {
    /// `x-ratelimit-warning`.
    Warning(HeaderValue),
    /// `Retry-After`.
    RetryAfter(HeaderValue),
}

impl LimitHeaders {
    pub(crate) fn insert_into(self, headers: &mut http::HeaderMap) {
        if let Some(state) = &self.state {
            state.insert_headers(headers);
        }
        match self.extra {
            Some(ExtraHeader::Warning(value)) => {
                headers.insert(WARNING_HEADER, value);
            }
            Some(ExtraHeader::RetryAfter(value)) => {
                headers.insert(header::RETRY_AFTER, value);
            }
            None => {}
        }
    }
}

const WARNING_HEADER: HeaderName = HeaderName::from_static("x-ratelimit-warning");

/// What to do with a request once its limit is checked.
#[allow(
    clippy::large_enum_variant,
    reason = "moved once per request; boxing would cost an allocation on the hot path"
)]
pub(crate) enum Admit<B> {
    /// Call the inner service, then add the settlement's headers and settle.
    Forward {
        request: Request<B>,
        settlement: Settlement,
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
        Self::json(
            rejection.status(),
            LimitHeaders::default(),
            rejection.body(),
        )
    }

    pub(crate) fn into_response<B>(self) -> Response<RateLimitBody<B>> {
        let mut response = Response::new(RateLimitBody::json(self.body));
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(APPLICATION_JSON.0, APPLICATION_JSON.1);
        self.headers.insert_into(headers);
        response
    }
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

/// Records a request rejected before its limit was checked (no policy, or no valid subject)
/// and makes its answer.
fn rejected<E>(
    config: &Config<E>,
    started: Option<Instant>,
    scoped: Option<&ScopedPolicy>,
    rejection: &Rejection,
) -> Answer {
    let scope = scoped.map(|s| s.scope.clone());
    observe_now(
        config,
        started,
        scope,
        None,
        Outcome::Rejected,
        rejection.status(),
    );
    Answer::rejection(rejection)
}

/// An admission decided without waiting, applied to the request in place.
pub(crate) enum Decided {
    /// Call the inner service with the request, then add the settlement's headers and settle.
    Forward { settlement: Settlement },
    /// Answer without calling it.
    Respond(Answer),
}

/// The admission of one request, waited on by the response future.
#[allow(
    clippy::large_enum_variant,
    reason = "the request is moved in anyway; boxing it would cost an allocation per request"
)]
pub(crate) enum Admitting<B> {
    /// Fixed policy, subject read from the head: only the limiter's check is waited on,
    /// and the request stays out of the (smaller) boxed future.
    Checking {
        check: BoxFuture<'static, Checked>,
        request: Option<Request<B>>,
    },
    /// Policy resolution and subject extraction may wait too.
    Whole(BoxFuture<'static, Admit<B>>),
}

/// Decides on `request` at once when nothing needs waiting for (an in-process store, a fixed
/// policy and a subject in the head), putting the subject and the token reporter in its
/// extensions; `None` when the admission must be waited on (see [`start`]).
pub(crate) fn decide_now<B, E>(config: &Config<E>, request: &mut Request<B>) -> Option<Decided>
where
    E: SubjectExtractor<B>,
    B: Send + 'static,
{
    if !config.limiter.is_in_process() {
        return None;
    }
    let scoped = config.source.fixed()?;
    let subject = config.extractor.extract_now(request, scoped)?;
    let started = config.observer.as_ref().map(|_| Instant::now());
    Some(match subject {
        Ok(subject) => decide(config, scoped, subject, started).apply_to(request),
        Err(rejection) => Decided::Respond(rejected(config, started, Some(scoped), &rejection)),
    })
}

/// Starts the admission of `request` for the response future to wait on.
pub(crate) fn start<B, E>(config: &Arc<Config<E>>, request: Request<B>) -> Admitting<B>
where
    E: SubjectExtractor<B>,
    B: Send + 'static,
{
    if let Some(scoped) = config.source.fixed()
        && let Some(subject) = config.extractor.extract_now(&request, scoped)
    {
        let started = config.observer.as_ref().map(|_| Instant::now());
        let check: BoxFuture<'static, Checked> = match subject {
            Ok(subject) => Box::pin(check(config.clone(), scoped.clone(), subject, started)),
            Err(rejection) => {
                let answer = rejected(config, started, Some(scoped), &rejection);
                Box::pin(ready(Checked::Respond(answer)))
            }
        };
        return Admitting::Checking {
            check,
            request: Some(request),
        };
    }
    Admitting::Whole(Box::pin(admit(config.clone(), request)))
}

impl<B> Admitting<B> {
    pub(crate) fn poll_admit(&mut self, cx: &mut Context<'_>) -> Poll<Admit<B>> {
        match self {
            Self::Checking { check, request } => {
                let checked = ready!(check.as_mut().poll(cx));
                let request = request.take().expect("the request is kept until checked");
                Poll::Ready(checked.apply(request))
            }
            Self::Whole(admit) => admit.as_mut().poll(cx),
        }
    }
}

/// The limiter's answer for a subject, before it is applied to the request.
#[allow(
    clippy::large_enum_variant,
    reason = "moved once per request; boxing would cost an allocation on the hot path"
)]
pub(crate) enum Checked {
    /// Forward the request with these extensions, then add the headers and settle.
    Admitted {
        subject: Subject,
        reporter: TokenReporter,
        settlement: Settlement,
    },
    /// Answer without calling the inner service.
    Respond(Answer),
}

impl Checked {
    /// Puts the subject and the reporter of an admission in the request's extensions.
    fn apply_to<B>(self, request: &mut Request<B>) -> Decided {
        match self {
            Checked::Admitted {
                subject,
                reporter,
                settlement,
            } => {
                request.extensions_mut().insert(reporter);
                request.extensions_mut().insert(subject);
                Decided::Forward { settlement }
            }
            Checked::Respond(answer) => Decided::Respond(answer),
        }
    }

    fn apply<B>(self, mut request: Request<B>) -> Admit<B> {
        match self.apply_to(&mut request) {
            Decided::Forward { settlement } => Admit::Forward {
                request,
                settlement,
            },
            Decided::Respond(answer) => Admit::Respond(answer),
        }
    }
}

/// Resolves the policy, extracts the subject and asks the limiter.
async fn admit<E, B>(config: Arc<Config<E>>, request: Request<B>) -> Admit<B>
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
                    return Admit::Respond(rejected(&config, started, None, &rejection));
                }
            }
        }
    };
    let extracted = match config.extractor.extract_now(&request, &scoped) {
        Some(subject) => subject.map(|subject| (request, subject)),
        None => config.extractor.extract(request, &scoped).await,
    };
    match extracted {
        Ok((request, subject)) => check(config, scoped, subject, started).await.apply(request),
        Err(rejection) => Admit::Respond(rejected(&config, started, Some(&scoped), &rejection)),
    }
}

/// What the limiter is asked about `subject` under `scoped`.
fn limit_request<'a>(scoped: &'a ScopedPolicy, subject: &'a Subject) -> LimitRequest<'a> {
    LimitRequest {
        scope: &scoped.scope,
        identity: &subject.identity,
        tier: subject.tier.as_deref(),
        estimated_tokens: subject.estimated_tokens,
    }
}

/// Asks the limiter about `subject` and turns its decision into headers and a settlement,
/// or into the answer.
async fn check<E>(
    config: Arc<Config<E>>,
    scoped: ScopedPolicy,
    subject: Subject,
    started: Option<Instant>,
) -> Checked {
    let request = limit_request(&scoped, &subject);
    let decision = config.limiter.check(&scoped.policy, &request).await;
    decided(&config, &scoped, subject, started, decision)
}

/// [`check`] for an in-process store: `check_now` answers without waiting.
fn decide<E>(
    config: &Config<E>,
    scoped: &ScopedPolicy,
    subject: Subject,
    started: Option<Instant>,
) -> Checked {
    let request = limit_request(scoped, &subject);
    let decision = config
        .limiter
        .check_now(&scoped.policy, &request)
        .unwrap_or_else(|| {
            // Only reached if a store stopped being in-process, which none does.
            Err(LimitError::Store(StoreError::Unavailable(
                "the usage store is not in-process".into(),
            )))
        });
    decided(config, scoped, subject, started, decision)
}

/// Turns the limiter's decision into headers and a settlement, or into the answer.
fn decided<E>(
    config: &Config<E>,
    scoped: &ScopedPolicy,
    subject: Subject,
    started: Option<Instant>,
    decision: Result<Decision, LimitError>,
) -> Checked {
    let (outcome, answer) = match decision {
        Ok(Decision::Admitted(admission)) => {
            let headers = LimitHeaders {
                extra: admission
                    .warning_header()
                    .and_then(|w| HeaderValue::try_from(w).ok())
                    .map(ExtraHeader::Warning),
                state: Some(admission.state),
            };
            let reporter = TokenReporter::new();
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
            let settlement = Settlement::new(
                headers,
                config.limiter.clone(),
                admission.reservation,
                reporter.clone(),
                observation,
            );
            return Checked::Admitted {
                subject,
                reporter,
                settlement,
            };
        }
        Ok(Decision::Denied(denial)) => {
            let status =
                StatusCode::from_u16(denial.status).unwrap_or(StatusCode::TOO_MANY_REQUESTS);
            let headers = LimitHeaders {
                extra: denial
                    .retry_after()
                    .map(|secs| ExtraHeader::RetryAfter(secs.into())),
                state: Some(denial.state),
            };
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
            let headers = LimitHeaders {
                state: None,
                extra: Some(ExtraHeader::RetryAfter(HeaderValue::from_static("1"))),
            };
            (
                Outcome::Unavailable,
                Answer::json(StatusCode::SERVICE_UNAVAILABLE, headers, &body),
            )
        }
    };
    let scope = Some(scoped.scope.clone());
    observe_now(
        config,
        started,
        scope,
        Some(&subject),
        outcome,
        answer.status,
    );
    Checked::Respond(answer)
}
