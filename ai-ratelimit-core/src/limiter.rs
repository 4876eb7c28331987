//! The limit engine: effective limits → rules on prior usage → base limits → one atomic
//! admission in the store; then settlement or release.

use std::cell::Cell;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use serde_json::{Value, json};

use crate::clock::{Clock, CoarseClock};
use crate::decision::{
    Admission, Decision, Denial, DenialReason, InvalidRequest, LimitError, LimitRequest,
    LimitState, ProjectState, validate_identity,
};
use crate::erased::SharedStore;
use crate::policy::{Action, LimitType, Limits, Metric, Policy, RuleContext, TemplateValues};
use crate::store::{
    AdmitOutcome, AdmitRequest, Reservation, SCOPE_IDENTITY, ScopeCap, StoreError, Usage,
    UsageKeyRef, UsageStore,
};
use crate::window::{Period, Window, seconds_until};

/// [`DEFAULT_RESERVATION_TTL`] in seconds, for the chrono duration the limiter keeps.
const DEFAULT_RESERVATION_SECS: u32 = 600;
/// Default lifetime of a reservation that is never settled.
pub const DEFAULT_RESERVATION_TTL: StdDuration =
    StdDuration::from_secs(DEFAULT_RESERVATION_SECS as u64);
/// Default bound on one store call.
pub const DEFAULT_STORE_TIMEOUT: StdDuration = StdDuration::from_secs(2);

/// What to do when the store fails or times out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FailureMode {
    /// Deny with `503 store_unavailable` (the default: a limiter that fails open is no limiter).
    #[default]
    Closed,
    /// Admit without counting, and log a warning.
    Open,
}

/// Errors building a [`Limiter`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A duration option was zero or too large.
    #[error("{0} must be between 1 ms and 1 day")]
    InvalidDuration(&'static str),
}

/// The limit engine over a [`UsageStore`] `S`.
///
/// Generic over its store, so that the futures of a concrete store (e.g. [`MemoryStore`]'s,
/// which are ready on their first poll) are neither boxed nor dispatched dynamically; a caller
/// that picks the store at run time (as the server does) uses the default [`SharedStore`].
///
/// [`MemoryStore`]: crate::MemoryStore
pub struct Limiter<S = SharedStore> {
    /// Shared: a limiter is cloned into every admission it makes (to settle it later), so a
    /// clone is one reference count and a pointer.
    inner: Arc<Inner<S>>,
}

impl<S> Clone for Limiter<S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for Limiter<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("store", &self.inner.store)
            .field("reservation_ttl", &self.inner.reservation_ttl)
            .field("store_timeout", &self.inner.store_timeout)
            .field("failure_mode", &self.inner.failure_mode)
            .finish_non_exhaustive()
    }
}

struct Inner<S> {
    store: S,
    clock: Arc<dyn Clock>,
    reservation_ttl: Duration,
    store_timeout: StdDuration,
    failure_mode: FailureMode,
}

/// Builds a [`Limiter`].
#[derive(Debug)]
pub struct LimiterBuilder<S> {
    store: S,
    clock: Arc<dyn Clock>,
    reservation_ttl: StdDuration,
    store_timeout: StdDuration,
    failure_mode: FailureMode,
}

impl<S> LimiterBuilder<S> {
    /// The clock (default: [`CoarseClock`]).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long an unsettled reservation counts (default 10 minutes).
    pub fn reservation_ttl(mut self, ttl: StdDuration) -> Self {
        self.reservation_ttl = ttl;
        self
    }

    /// Bound on each store call (default 2 s).
    pub fn store_timeout(mut self, timeout: StdDuration) -> Self {
        self.store_timeout = timeout;
        self
    }

    /// Fail closed (default) or open when the store fails.
    pub fn failure_mode(mut self, mode: FailureMode) -> Self {
        self.failure_mode = mode;
        self
    }

    /// Validates the options and returns the limiter.
    pub fn build(self) -> Result<Limiter<S>, BuildError> {
        let valid = |d: StdDuration| {
            d >= StdDuration::from_millis(1) && d <= StdDuration::from_secs(86_400)
        };
        if !valid(self.reservation_ttl) {
            return Err(BuildError::InvalidDuration("reservation_ttl"));
        }
        if !valid(self.store_timeout) {
            return Err(BuildError::InvalidDuration("store_timeout"));
        }
        let reservation_ttl = Duration::from_std(self.reservation_ttl)
            .map_err(|_| BuildError::InvalidDuration("reservation_ttl"))?;
        Ok(Limiter {
            inner: Arc::new(Inner {
                store: self.store,
                clock: self.clock,
                reservation_ttl,
                store_timeout: self.store_timeout,
                failure_mode: self.failure_mode,
            }),
        })
    }
}

impl<S> Limiter<S> {
    /// A limiter with default options over `store` (time from [`CoarseClock`]).
    pub fn new(store: S) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                clock: Arc::new(CoarseClock),
                reservation_ttl: Duration::seconds(i64::from(DEFAULT_RESERVATION_SECS)),
                store_timeout: DEFAULT_STORE_TIMEOUT,
                failure_mode: FailureMode::Closed,
            }),
        }
    }

    /// A builder over `store`.
    pub fn builder(store: S) -> LimiterBuilder<S> {
        LimiterBuilder {
            store,
            clock: Arc::new(CoarseClock),
            reservation_ttl: DEFAULT_RESERVATION_TTL,
            store_timeout: DEFAULT_STORE_TIMEOUT,
            failure_mode: FailureMode::Closed,
        }
    }

    /// The store behind this limiter.
    pub fn store(&self) -> &S {
        &self.inner.store
    }

    /// The clock of this limiter.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    fn on_store_error(&self, error: StoreError, state: LimitState) -> Decision {
        match self.inner.failure_mode {
            FailureMode::Open => {
                tracing::warn!(%error, "usage store failed; admitting without counting (fail-open)");
                Decision::Admitted(Admission {
                    reservation: None,
                    state,
                    warning: None,
                })
            }
            FailureMode::Closed => {
                tracing::error!(%error, "usage store failed; denying (fail-closed)");
                Decision::Denied(Denial::store_unavailable(state))
            }
        }
    }
}

impl<S: UsageStore> Limiter<S> {
    /// Runs one store call within the store timeout. A store that answers without I/O
    /// (`MemoryStore`) is done on the first poll, before any timer is set up for it.
    async fn call<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let mut call = pin!(call);
        if let Poll::Ready(answer) = poll_fn(|cx| Poll::Ready(call.as_mut().poll(cx))).await {
            return answer;
        }
        tokio::time::timeout(self.inner.store_timeout, call)
            .await
            .unwrap_or(Err(StoreError::Timeout(self.inner.store_timeout)))
    }

    /// Decides on one request, in the order of the HTTP API: effective limits, rules on the
    /// usage before the request, base limits with atomic admission.
    ///
    /// A store failure is a decision too: a `503 store_unavailable` denial when failing
    /// closed (the default), an admission without a reservation when failing open. The only
    /// errors are malformed requests.
    pub async fn check(
        &self,
        policy: &Policy,
        request: &LimitRequest<'_>,
    ) -> Result<Decision, InvalidRequest> {
        let check = Check::new(self, policy, request)?;
        let key = UsageKeyRef {
            scope: request.scope,
            identity: request.identity,
            period: check.period,
        };
        let mut warning = None;
        if check.has_rules() {
            let usage = if check.rules_read_usage() {
                match self.call(self.inner.store.usage(&key, check.now)).await {
                    Ok(u) => u,
                    Err(e) => return Ok(check.store_failed(e)),
                }
            } else {
                Usage::default()
            };
            match check.apply_rules(usage) {
                RuleVerdict::Proceed(w) => warning = w,
                RuleVerdict::Deny(denial) => return Ok(Decision::Denied(denial)),
            }
        }
        let outcome = self
            .call(self.inner.store.admit(&check.admit_request(key)))
            .await;
        Ok(check.conclude(outcome, warning))
    }

    /// Replaces the admission's reservation by the real token count.
    pub async fn settle(&self, reservation: Reservation, tokens: u64) -> Result<(), StoreError> {
        self.call(self.inner.store.settle(&reservation, tokens))
            .await
    }

    /// Un-counts an admitted request whose upstream failed.
    pub async fn release(&self, reservation: Reservation) -> Result<(), StoreError> {
        self.call(self.inner.store.release(&reservation)).await
    }

    /// An identity's usage in the current period of `policy`.
    pub async fn usage(
        &self,
        policy: &Policy,
        scope: &str,
        identity: &str,
    ) -> Result<(Period, Usage), LimitError> {
        validate_identity(identity)?;
        let now = self.inner.clock.now();
        let period = policy.window().period_at(now);
        let key = UsageKeyRef {
            scope,
            identity,
            period,
        };
        Ok((period, self.call(self.inner.store.usage(&key, now)).await?))
    }

    /// The whole scope's usage in the current period under `policy`'s project-wide cap:
    /// `None` when the policy sets no cap (the scope's counter is kept only under one).
    pub async fn project_usage(
        &self,
        policy: &Policy,
        scope: &str,
    ) -> Result<Option<(Period, Usage)>, StoreError> {
        if policy.project_limits().is_none() {
            return Ok(None);
        }
        let now = self.inner.clock.now();
        let period = policy.window().period_at(now);
        let key = UsageKeyRef {
            scope,
            identity: SCOPE_IDENTITY,
            period,
        };
        Ok(Some((
            period,
            self.call(self.inner.store.usage(&key, now)).await?,
        )))
    }
}

/// What the rules say about a request.
enum RuleVerdict {
    /// Go on to the admission, with a non-blocking rule's warning if one applied.
    Proceed(Option<Value>),
    /// A blocking rule applied.
    Deny(Denial),
}

/// One decision in progress: the request, its period and its effective limits, around the
/// store calls of [`Limiter::check`].
struct Check<'a, S> {
    limiter: &'a Limiter<S>,
    policy: &'a Policy,
    request: &'a LimitRequest<'a>,
    now: DateTime<Utc>,
    period: Period,
    reset_at: DateTime<Utc>,
    reset_after_secs: u64,
    limits: Limits,
    /// The policy's project-wide cap, enforced metrics only; `None` without one.
    cap_limits: Option<Limits>,
}

impl<'a, S> Check<'a, S> {
    /// Validates the request and finds its period and effective limits.
    fn new(
        limiter: &'a Limiter<S>,
        policy: &'a Policy,
        request: &'a LimitRequest<'a>,
    ) -> Result<Self, InvalidRequest> {
        validate_identity(request.identity)?;
        if let Some(t) = request.tier
            && (t.is_empty() || t.chars().count() > crate::policy::MAX_TIER_LEN)
        {
            return Err(InvalidRequest::Tier);
        }
        let now = limiter.inner.clock.now();
        let (period, reset_at) = period_at(policy.window(), now);
        Ok(Self {
            limiter,
            policy,
            request,
            now,
            period,
            reset_at,
            reset_after_secs: seconds_until(reset_at, now),
            limits: policy.limits_for(request.tier),
            cap_limits: policy.project_limits().map(|cap| {
                let lt = policy.limit_type();
                Limits {
                    requests: cap.requests.filter(|_| lt.enforces_requests()),
                    tokens: cap.tokens.filter(|_| lt.enforces_tokens()),
                }
            }),
        })
    }

    fn state(&self, usage: Usage) -> LimitState {
        LimitState {
            limit_type: self.policy.limit_type(),
            limits: self.limits,
            usage,
            period: self.period,
            reset_at: self.reset_at,
            reset_after_secs: self.reset_after_secs,
            project: None,
        }
    }

    /// The state of a capped admission: also the cap and the scope's usage.
    fn state_with_project(&self, usage: Usage, scope_usage: Option<Usage>) -> LimitState {
        LimitState {
            project: self
                .cap_limits
                .zip(scope_usage)
                .map(|(limits, usage)| ProjectState { limits, usage }),
            ..self.state(usage)
        }
    }

    fn has_rules(&self) -> bool {
        !self.policy.rules().is_empty()
    }

    fn rules_read_usage(&self) -> bool {
        self.policy.rules().reads_usage()
    }

    fn store_failed(&self, error: StoreError) -> Decision {
        self.limiter
            .on_store_error(error, self.state(Usage::default()))
    }

    /// The rules on the usage before the request: a warning to attach, or the denial.
    fn apply_rules(&self, usage: Usage) -> RuleVerdict {
        let request = self.request;
        let limits = self.limits;
        let ctx = RuleContext {
            usage,
            limits,
            tier: request.tier,
        };
        let Some(rule) = self.policy.rules().first_match(&ctx) else {
            return RuleVerdict::Proceed(None);
        };
        let metric = rule
            .condition
            .metric()
            .unwrap_or_else(|| primary_metric(self.policy.limit_type()));
        let values = TemplateValues {
            used: ctx.used(metric),
            limit: limits.of(metric),
            tier: request.tier.map(str::to_owned),
            metric,
            reset_at: self.reset_at,
        };
        match &rule.action {
            Action::Allow => RuleVerdict::Proceed(None),
            Action::Block { message } => {
                let message = message.clone().unwrap_or_else(|| {
                    if rule.name.is_empty() {
                        "Request blocked by a usage rule".to_owned()
                    } else {
                        format!("Request blocked by rule \"{}\"", rule.name)
                    }
                });
                RuleVerdict::Deny(Denial {
                    status: 429,
                    body: json!({"error": "blocked", "message": values.render(&Value::String(message))}),
                    reason: DenialReason::RuleBlocked {
                        rule_id: rule.id.clone(),
                    },
                    state: self.state(usage),
                })
            }
            Action::CustomResponse {
                response,
                status,
                block: true,
            } => RuleVerdict::Deny(Denial {
                status: *status,
                body: values.render(response),
                reason: DenialReason::RuleResponse {
                    rule_id: rule.id.clone(),
                },
                state: self.state(usage),
            }),
            Action::CustomResponse {
                response,
                block: false,
                ..
            } => RuleVerdict::Proceed(Some(values.render(response))),
        }
    }

    /// The atomic admission to ask the store for, on `key`.
    fn admit_request<K>(&self, key: K) -> AdmitRequest<K> {
        let lt = self.policy.limit_type();
        AdmitRequest {
            key,
            tier: self.request.tier.map(str::to_owned),
            request_limit: self.limits.requests.filter(|_| lt.enforces_requests()),
            token_limit: self.limits.tokens.filter(|_| lt.enforces_tokens()),
            reserve_tokens: self.request.estimated_tokens,
            // A reservation of no tokens never counts, so its expiry is moot: spare the
            // calendar arithmetic (most layer requests reserve nothing).
            reservation_expires_at: if self.request.estimated_tokens == 0 {
                self.now
            } else {
                self.now + self.limiter.inner.reservation_ttl
            },
            now: self.now,
            scope_cap: self.cap_limits.map(|cap| ScopeCap {
                request_limit: cap.requests,
                token_limit: cap.tokens,
            }),
        }
    }

    /// The decision from the store's answer to the admission.
    fn conclude(
        &self,
        outcome: Result<AdmitOutcome, StoreError>,
        warning: Option<Value>,
    ) -> Decision {
        let usage = match outcome {
            Ok(AdmitOutcome::Admitted {
                reservation,
                usage,
                scope_usage,
            }) => {
                return Decision::Admitted(Admission {
                    reservation: Some(reservation),
                    state: self.state_with_project(usage, scope_usage),
                    warning,
                });
            }
            Ok(AdmitOutcome::Denied { usage }) => usage,
            Ok(AdmitOutcome::ScopeDenied { usage, scope_usage }) => {
                return self.project_denial(usage, scope_usage);
            }
            Err(e) => return self.store_failed(e),
        };
        let limits = self.limits;
        let requests_enforced = self.policy.limit_type().enforces_requests();
        let metric = if requests_enforced
            && limits
                .requests
                .is_some_and(|l| usage.requests.saturating_add(1) > l)
        {
            Metric::Requests
        } else {
            Metric::Tokens
        };
        let state = self.state(usage);
        let body = match self.policy.limit_exceeded_response() {
            Some(template) => TemplateValues {
                used: match metric {
                    Metric::Requests => usage.requests,
                    Metric::Tokens => usage.tokens,
                },
                limit: limits.of(metric),
                tier: self.request.tier.map(str::to_owned),
                metric,
                reset_at: self.reset_at,
            }
            .render(template),
            None => default_exceeded_body(self.policy, &state),
        };
        Decision::Denied(Denial {
            status: 429,
            body,
            reason: DenialReason::LimitExceeded { metric },
            state,
        })
    }
}

impl<S> Check<'_, S> {
    /// `429 project_limit_exceeded` (or the project's limit-exceeded response, templated with
    /// the cap's numbers): the scope's usage left no room under its cap.
    fn project_denial(&self, usage: Usage, scope_usage: Usage) -> Decision {
        let cap = self.cap_limits.unwrap_or_default();
        let metric = if cap
            .requests
            .is_some_and(|l| scope_usage.requests.saturating_add(1) > l)
        {
            Metric::Requests
        } else {
            Metric::Tokens
        };
        let state = self.state_with_project(usage, Some(scope_usage));
        let body = match self.policy.limit_exceeded_response() {
            Some(template) => TemplateValues {
                used: match metric {
                    Metric::Requests => scope_usage.requests,
                    Metric::Tokens => scope_usage.tokens,
                },
                limit: cap.of(metric),
                tier: self.request.tier.map(str::to_owned),
                metric,
                reset_at: self.reset_at,
            }
            .render(template),
            None => json!({
                "error": "project_limit_exceeded",
                "message": "Project limit reached",
                "limitType": self.policy.limit_type().as_str(),
                "usage": {"requestsUsed": scope_usage.requests, "tokensUsed": scope_usage.tokens},
                "limits": {"requestLimit": cap.requests, "tokenLimit": cap.tokens},
                "resetAt": self.reset_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            }),
        };
        Decision::Denied(Denial {
            status: 429,
            body,
            reason: DenialReason::ProjectLimitExceeded { metric },
            state,
        })
    }
}

thread_local! {
    /// The period last computed on this thread, with its end: the requests of a period all
    /// ask for the same one, and the calendar arithmetic cost more than the rest of the check.
    static LAST_PERIOD: Cell<Option<(Period, DateTime<Utc>)>> = const { Cell::new(None) };
}

/// The period of `window` containing `now`, and its end.
fn period_at(window: Window, now: DateTime<Utc>) -> (Period, DateTime<Utc>) {
    LAST_PERIOD.with(|last| match last.get() {
        Some((period, end)) if period.window() == window && period.start() <= now && now < end => {
            (period, end)
        }
        _ => {
            let period = window.period_at(now);
            let end = period.end();
            last.set(Some((period, end)));
            (period, end)
        }
    })
}

fn primary_metric(limit_type: LimitType) -> Metric {
    match limit_type {
        LimitType::Tokens => Metric::Tokens,
        LimitType::Requests | LimitType::Both => Metric::Requests,
    }
}

fn default_exceeded_body(policy: &Policy, state: &LimitState) -> Value {
    json!({
        "error": "limit_exceeded",
        "message": format!("{} limit reached", policy.window().adjective()),
        "limitType": policy.limit_type().as_str(),
        "usage": {"requestsUsed": state.usage.requests, "tokensUsed": state.usage.tokens},
        "limits": {"requestLimit": state.limits.requests, "tokenLimit": state.limits.tokens},
        "resetAt": state.reset_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}
