//! Admitting a request: policy, subject, decision.

use std::future::ready;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use ai_ratelimit_core::{
    Decision, DenialReason, InvalidRequest, LimitRequest, LimitState, UsageStore,
};
use bytes::Bytes;
use futures::future::BoxFuture;
use http::{Extensions, HeaderName, HeaderValue, Request, Response, StatusCode, header};
use tokio::time::Instant;

use super::body::RateLimitBody;
use super::layer::Config;
use super::settlement::{Observation, Settlement};
use crate::observe::{Outcome, RequestRecord};
use crate::policy_source::ScopedPolicy;
use crate::rejection::Rejection;
use crate::render::Refusal;
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

/// A response made by the layer itself (rendered by the error handler), with the limit
/// headers it gets on top.
pub(crate) struct Answer {
    response: Response<Bytes>,
    headers: LimitHeaders,
}

impl Answer {
    fn new<E, S>(config: &Config<E, S>, refusal: Refusal<'_>, headers: LimitHeaders) -> Self {
        let response = match &config.error_handler {
            Some(handler) => handler.render(refusal),
            None => refusal.default_response(),
        };
        Self { response, headers }
    }

    pub(crate) fn status(&self) -> StatusCode {
        self.response.status()
    }

    pub(crate) fn into_response<B>(self) -> Response<RateLimitBody<B>> {
        let (mut parts, bytes) = self.response.into_parts();
        self.headers.insert_into(&mut parts.headers);
        Response::from_parts(parts, RateLimitBody::json(bytes))
    }
}

/// Who asked, as far as the layer knows when it answers.
struct Asker<'a> {
    started: Option<Instant>,
    scope: Option<&'a Arc<str>>,
    subject: Option<&'a Subject>,
    /// The recorded request extensions (only with an observer).
    extensions: Option<Extensions>,
}

/// Records a request the layer answered itself.
fn observe_answer<E, S>(
    config: &Config<E, S>,
    asker: Asker<'_>,
    outcome: Outcome,
    status: StatusCode,
    denial: Option<(&DenialReason, &LimitState)>,
) {
    if let (Some(observer), Some(started)) = (&config.observer, asker.started) {
        observer.observe(&RequestRecord {
            scope: asker.scope.cloned(),
            identity: asker.subject.map(|s| s.identity.clone()),
            tier: asker.subject.and_then(|s| s.tier.clone()),
            outcome,
            status: Some(status.as_u16()),
            tokens: None,
            latency: started.elapsed(),
            denial: denial.map(|(reason, _)| reason.clone()),
            limits: denial.map(|(_, state)| state.clone()),
            warned: false,
            extensions: asker.extensions.unwrap_or_default(),
        });
    }
}

/// Records a request rejected before its limit was checked (no policy, or no valid subject)
/// and makes its answer.
fn rejected<E, S>(config: &Config<E, S>, asker: Asker<'_>, rejection: &Rejection) -> Answer {
    let answer = Answer::new(
        config,
        Refusal::Rejected(rejection),
        LimitHeaders::default(),
    );
    observe_answer(config, asker, Outcome::Rejected, answer.status(), None);
    answer
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

/// Starts the admission of `request` for the response future to wait on.
pub(crate) fn start<B, E, S>(config: &Arc<Config<E, S>>, request: Request<B>) -> Admitting<B>
where
    E: SubjectExtractor<B>,
    S: UsageStore + 'static,
    B: Send + 'static,
{
    if let Some(scoped) = config.source.fixed()
        && let Some(subject) = config.extractor.extract_now(&request, scoped)
    {
        let started = config.observer.as_ref().map(|_| Instant::now());
        let extensions = recorded(config, &request);
        let check: BoxFuture<'static, Checked> = match subject {
            Ok(subject) => Box::pin(check(
                config.clone(),
                scoped.clone(),
                subject,
                started,
                extensions,
            )),
            Err(rejection) => {
                let asker = Asker {
                    started,
                    scope: Some(&scoped.scope),
                    subject: None,
                    extensions,
                };
                Box::pin(ready(Checked::Respond(rejected(config, asker, &rejection))))
            }
        };
        return Admitting::Checking {
            check,
            request: Some(request),
        };
    }
    Admitting::Whole(Box::pin(admit(config.clone(), request)))
}

/// The recorded extensions of `request`, when there is an observer to see them.
fn recorded<B, E, S>(config: &Config<E, S>, request: &Request<B>) -> Option<Extensions> {
    config
        .observer
        .as_ref()
        .map(|_| config.recorded.copy(request.extensions()))
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
    fn apply<B>(self, mut request: Request<B>) -> Admit<B> {
        match self {
            Checked::Admitted {
                subject,
                reporter,
                settlement,
            } => {
                request.extensions_mut().insert(reporter);
                request.extensions_mut().insert(subject);
                Admit::Forward {
                    request,
                    settlement,
                }
            }
            Checked::Respond(answer) => Admit::Respond(answer),
        }
    }
}

/// Resolves the policy, extracts the subject and asks the limiter.
async fn admit<E, S, B>(config: Arc<Config<E, S>>, request: Request<B>) -> Admit<B>
where
    E: SubjectExtractor<B>,
    S: UsageStore + 'static,
    B: Send + 'static,
{
    let started = config.observer.as_ref().map(|_| Instant::now());
    let (scoped, request) = match config.source.fixed() {
        Some(fixed) => (fixed.clone(), request),
        None => {
            let (mut parts, body) = request.into_parts();
            match config.source.resolve(&mut parts).await {
                Ok(scoped) => (scoped, Request::from_parts(parts, body)),
                Err(rejection) => {
                    let asker = Asker {
                        started,
                        scope: None,
                        subject: None,
                        extensions: config
                            .observer
                            .as_ref()
                            .map(|_| config.recorded.copy(&parts.extensions)),
                    };
                    return Admit::Respond(rejected(&config, asker, &rejection));
                }
            }
        }
    };
    let extracted = match config.extractor.extract_now(&request, &scoped) {
        Some(subject) => subject.map(|subject| (request, subject)),
        None => config.extractor.extract(request, &scoped).await,
    };
    match extracted {
        Ok((request, subject)) => {
            let extensions = recorded(&config, &request);
            check(config, scoped, subject, started, extensions)
                .await
                .apply(request)
        }
        Err(rejection) => {
            let asker = Asker {
                started,
                scope: Some(&scoped.scope),
                subject: None,
                extensions: None,
            };
            Admit::Respond(rejected(&config, asker, &rejection))
        }
    }
}

/// Asks the limiter about `subject` and turns its decision into headers and a settlement,
/// or into the answer.
async fn check<E, S>(
    config: Arc<Config<E, S>>,
    scoped: ScopedPolicy,
    subject: Subject,
    started: Option<Instant>,
    extensions: Option<Extensions>,
) -> Checked
where
    E: Send + Sync + 'static,
    S: UsageStore + 'static,
{
    let request = LimitRequest {
        scope: &scoped.scope,
        identity: &subject.identity,
        tier: subject.tier.as_deref(),
        estimated_tokens: subject.estimated_tokens,
    };
    let decision = config.limiter.check(&scoped.policy, &request).await;
    let asker = Asker {
        started,
        scope: Some(&scoped.scope),
        subject: Some(&subject),
        extensions,
    };
    let denial = match decision {
        Ok(Decision::Admitted(admission)) => {
            let warning = admission
                .warning_header()
                .and_then(|w| HeaderValue::try_from(w).ok());
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
                    limits: admission.state.clone(),
                    warned: warning.is_some(),
                    extensions: asker.extensions.unwrap_or_default(),
                });
            let headers = LimitHeaders {
                extra: warning.map(ExtraHeader::Warning),
                state: Some(admission.state),
            };
            let reporter = TokenReporter::new();
            let settlement = Settlement::new(
                config,
                headers,
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
        Ok(Decision::Denied(denial)) => denial,
        Err(invalid @ (InvalidRequest::Identity | InvalidRequest::Tier)) => {
            let rejection = Rejection::invalid_request(invalid.field(), invalid.to_string());
            return Checked::Respond(rejected(&config, asker, &rejection));
        }
    };
    let headers = LimitHeaders {
        extra: denial
            .retry_after()
            .map(|secs| ExtraHeader::RetryAfter(secs.into())),
        state: Some(denial.state.clone()),
    };
    let answer = Answer::new(&config, Refusal::Denied(&denial), headers);
    let outcome = match denial.reason {
        DenialReason::StoreUnavailable => Outcome::Unavailable,
        _ => Outcome::Limited,
    };
    let status = answer.status();
    observe_answer(
        &config,
        asker,
        outcome,
        status,
        Some((&denial.reason, &denial.state)),
    );
    Checked::Respond(answer)
}
