//! The decision: effective limits → rules on prior usage → base limits → atomic admission.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, SecondsFormat, Utc};
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Value, json};

use crate::clock::{Clock, CoarseClock};
use crate::policy::{Action, LimitType, Limits, Metric, Policy, RuleContext, TemplateValues};
use crate::store::{
    AdmitOutcome, AdmitRequest, MAX_IDENTITY_LEN, Reservation, StoreError, Usage, UsageKey,
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

/// Errors of the engine: bad input, or a store failure on settle/release/read.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The identity is empty or too long.
    #[error("identity must be 1 to {MAX_IDENTITY_LEN} characters")]
    InvalidIdentity,
    /// The tier is empty or too long.
    #[error("tier must be 1 to {} characters", crate::policy::MAX_TIER_LEN)]
    InvalidTier,
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Errors building a [`Limiter`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BuildError {
    /// A duration option was zero or too large.
    #[error("{0} must be between 1 ms and 1 day")]
    InvalidDuration(&'static str),
}

/// One request to decide on.
#[derive(Debug, Clone, Copy)]
pub struct LimitRequest<'a> {
    /// The tenant (e.g. the project id); counters of different scopes never mix.
    pub scope: &'a str,
    /// The end user.
    pub identity: &'a str,
    /// The tier the caller claims, if any.
    pub tier: Option<&'a str>,
    /// Tokens to reserve until the request settles (see [`crate::estimate`]).
    pub estimated_tokens: u64,
}

/// Why a request was denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DenialReason {
    /// A rule with a `block` action applied.
    RuleBlocked {
        /// The rule's id.
        rule_id: String,
    },
    /// A rule with a blocking `custom_response` applied.
    RuleResponse {
        /// The rule's id.
        rule_id: String,
    },
    /// A base limit was reached.
    LimitExceeded {
        /// The metric that was exceeded.
        metric: Metric,
    },
    /// The store failed and the limiter fails closed.
    StoreUnavailable,
}

/// Numbers shared by admissions and denials, from which the rate-limit headers are made.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitState {
    /// Which metrics are enforced.
    pub limit_type: LimitType,
    /// Effective limits.
    pub limits: Limits,
    /// Usage (after admission for an admitted request, before it for a denied one).
    pub usage: Usage,
    /// The current period.
    pub period: Period,
    /// When the period resets.
    pub reset_at: DateTime<Utc>,
    /// Whole seconds until the reset, rounded up.
    pub reset_after_secs: u64,
}

impl LimitState {
    fn remaining(&self, metric: Metric) -> Option<u64> {
        let limit = self.limits.of(metric)?;
        let used = match metric {
            Metric::Requests => self.usage.requests,
            Metric::Tokens => self.usage.tokens.saturating_add(self.usage.reserved_tokens),
        };
        Some(limit.saturating_sub(used))
    }

    fn enforced(&self) -> impl Iterator<Item = (Metric, u64)> + '_ {
        [
            (Metric::Requests, self.limit_type.enforces_requests()),
            (Metric::Tokens, self.limit_type.enforces_tokens()),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .filter_map(|(m, _)| self.limits.of(m).map(|l| (m, l)))
    }

    /// Inserts the rate-limit headers of the HTTP API for this state into `headers`: for each
    /// enforced, limited metric, `x-ratelimit-limit-*` / `x-ratelimit-remaining-*`, then
    /// `RateLimit-Policy` and `RateLimit` (draft-ietf-httpapi-ratelimit-headers-09), then
    /// `x-ratelimit-reset`. Existing values of these headers are replaced; other headers are
    /// kept (after these).
    pub fn insert_headers(&self, headers: &mut HeaderMap) {
        let key = PolicyHeadersKey {
            limit_type: self.limit_type,
            limits: self.limits,
            window: self.period.length_seconds(),
        };
        LAST_HEADER_TEMPLATE.with_borrow_mut(|last| {
            let template = match last {
                Some(cached) if cached.key == key => cached,
                _ => last.insert(self.header_template(key)),
            };
            // A copy of the template (made once per policy) carries every name already
            // hashed and placed: cloning it costs far less than inserting each custom name
            // (the http crate hashes custom names byte by byte on every insert).
            let inner = std::mem::replace(headers, template.headers.clone());
            self.fill_counts(headers, &template.slots);
            if !inner.is_empty() {
                let mut skipping = false;
                headers.extend(inner.into_iter().filter(|(name, _)| {
                    // `None` continues the previous name: skipped with it.
                    if let Some(name) = name {
                        skipping = template.headers.contains_key(name);
                    }
                    !skipping
                }));
            }
        });
    }

    /// Writes the numbers of this state into the template's slots for them. Each value is
    /// its own exact-size copy: a value sliced from one shared buffer would cost an atomic
    /// reference count per header (and `From<u64>` an extra allocation), more than a copy.
    fn fill_counts(&self, headers: &mut HeaderMap, slots: &[Slot]) {
        let mut text = HeaderText::default();
        for ((_, value), slot) in headers.iter_mut().zip(slots) {
            text.clear();
            match *slot {
                Slot::Fixed => continue,
                Slot::Remaining(metric) => text.number(self.remaining(metric).unwrap_or(0)),
                Slot::State => {
                    for (i, (metric, _)) in self.enforced().enumerate() {
                        text.list_item(i, metric);
                        text.push(b";r=");
                        text.number(self.remaining(metric).unwrap_or(0));
                        text.push(b";t=");
                        text.number(self.reset_after_secs);
                    }
                }
                Slot::Reset => text.number(self.reset_after_secs),
            }
            if let Some(text) = text.value() {
                *value = text;
            }
        }
    }

    /// Every header of states with `key`, the numbers left as placeholders (`0`), and what
    /// each entry holds, in the map's order.
    fn header_template(&self, key: PolicyHeadersKey) -> HeaderTemplate {
        let mut headers = HeaderMap::with_capacity(MAX_LIMIT_HEADERS);
        let mut slots = Vec::with_capacity(MAX_LIMIT_HEADERS);
        let placeholder = HeaderValue::from_static("0");
        let mut add = |name: &HeaderName, value: HeaderValue, slot: Slot| {
            headers.insert(name.clone(), value);
            slots.push(slot);
        };
        let mut listed = false;
        for (metric, limit) in self.enforced() {
            let (limit_name, remaining_name) = match metric {
                Metric::Requests => (&LIMIT_REQUESTS, &REMAINING_REQUESTS),
                Metric::Tokens => (&LIMIT_TOKENS, &REMAINING_TOKENS),
            };
            add(limit_name, HeaderValue::from(limit), Slot::Fixed);
            add(remaining_name, placeholder.clone(), Slot::Remaining(metric));
            listed = true;
        }
        if listed {
            let mut text = HeaderText::default();
            for (i, (metric, limit)) in self.enforced().enumerate() {
                text.list_item(i, metric);
                text.push(b";q=");
                text.number(limit);
                text.push(b";w=");
                text.number(key.window);
            }
            if let Some(policy) = text.value() {
                add(&RATELIMIT_POLICY, policy, Slot::Fixed);
            }
            add(&RATELIMIT, placeholder.clone(), Slot::State);
        }
        add(&RESET, placeholder, Slot::Reset);
        HeaderTemplate {
            key,
            headers,
            slots,
        }
    }
}

/// What the policy headers of a state depend on.
#[derive(Debug, Clone, Copy, PartialEq)]
struct PolicyHeadersKey {
    limit_type: LimitType,
    limits: Limits,
    window: u64,
}

/// What an entry of a [`HeaderTemplate`] holds.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// A value of the policy (a limit, `RateLimit-Policy`): kept as is.
    Fixed,
    /// `x-ratelimit-remaining-*` of the metric.
    Remaining(Metric),
    /// `RateLimit`.
    State,
    /// `x-ratelimit-reset`.
    Reset,
}

/// The headers of every state of one policy key, numbers left to fill in.
struct HeaderTemplate {
    key: PolicyHeadersKey,
    headers: HeaderMap,
    slots: Vec<Slot>,
}

thread_local! {
    /// The header template last made on this thread. The names and the policy values are
    /// the same on every response of one policy and tier, so each response copies the
    /// template and writes only its counts. One entry per thread: no lock, no unbounded growth.
    static LAST_HEADER_TEMPLATE: RefCell<Option<HeaderTemplate>> = const { RefCell::new(None) };
}

static LIMIT_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-limit-requests");
static REMAINING_REQUESTS: HeaderName = HeaderName::from_static("x-ratelimit-remaining-requests");
static LIMIT_TOKENS: HeaderName = HeaderName::from_static("x-ratelimit-limit-tokens");
static REMAINING_TOKENS: HeaderName = HeaderName::from_static("x-ratelimit-remaining-tokens");
static RATELIMIT_POLICY: HeaderName = HeaderName::from_static("ratelimit-policy");
static RATELIMIT: HeaderName = HeaderName::from_static("ratelimit");
static RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// At most 2 metrics × (limit + remaining) + policy + state + reset.
const MAX_LIMIT_HEADERS: usize = 7;

/// The text of one header value, written on the stack: the longest (`RateLimit` with both
/// metrics and 20-digit numbers) is 112 bytes.
struct HeaderText {
    buf: [u8; 128],
    len: usize,
}

impl Default for HeaderText {
    fn default() -> Self {
        Self {
            buf: [0; 128],
            len: 0,
        }
    }
}

impl HeaderText {
    /// Appends `bytes`; text beyond the buffer (never written by this module) is dropped.
    fn push(&mut self, bytes: &[u8]) {
        let end = (self.len + bytes.len()).min(self.buf.len());
        if let Some(room) = self.buf.get_mut(self.len..end) {
            room.copy_from_slice(&bytes[..room.len()]);
            self.len = end;
        }
    }

    fn number(&mut self, n: u64) {
        self.push(itoa::Buffer::new().format(n).as_bytes());
    }

    /// `"metric"`, preceded by `, ` unless it is the first item of a list.
    fn list_item(&mut self, index: usize, metric: Metric) {
        if index > 0 {
            self.push(b", ");
        }
        self.push(b"\"");
        self.push(metric.as_str().as_bytes());
        self.push(b"\"");
    }

    fn clear(&mut self) {
        self.len = 0;
    }

    /// The value (ASCII digits, quotes and punctuation: always valid).
    fn value(&self) -> Option<HeaderValue> {
        HeaderValue::from_bytes(&self.buf[..self.len]).ok()
    }
}

/// An admitted request.
#[derive(Debug)]
pub struct Admission {
    /// The handle to settle or release; `None` when admitted fail-open without a store.
    pub reservation: Option<Reservation>,
    /// Limits, usage after admission and reset time.
    pub state: LimitState,
    /// A non-blocking rule's response, to attach as `x-ratelimit-warning`.
    pub warning: Option<Value>,
}

impl Admission {
    /// The warning as the header value of the API: compact JSON with non-ASCII escaped.
    pub fn warning_header(&self) -> Option<String> {
        self.warning.as_ref().map(ascii_json)
    }
}

/// A denied request: nothing was counted.
#[derive(Debug, Clone, PartialEq)]
pub struct Denial {
    /// HTTP status (429 unless a rule says otherwise, 503 for a failed store).
    pub status: u16,
    /// The JSON body to answer with.
    pub body: Value,
    /// Why.
    pub reason: DenialReason,
    /// Limits, usage before the request and reset time.
    pub state: LimitState,
}

impl Denial {
    /// `Retry-After` in seconds: until the window resets (1 s for a failed store).
    pub fn retry_after_secs(&self) -> u64 {
        match self.reason {
            DenialReason::StoreUnavailable => 1,
            _ => self.state.reset_after_secs.max(1),
        }
    }

    /// The `Retry-After` seconds to send with this denial: only when its status means "try
    /// again later" (429, or 503 for a failed store); a rule's own status (402, 403…) is not.
    pub fn retry_after(&self) -> Option<u64> {
        matches!(self.status, 429 | 503).then(|| self.retry_after_secs())
    }
}

/// The engine's answer.
#[derive(Debug)]
pub enum Decision {
    /// Forward the request, then settle or release.
    Admitted(Admission),
    /// Answer with the denial; the request was not counted.
    Denied(Denial),
}

/// The limit engine over a [`UsageStore`].
#[derive(Debug, Clone)]
pub struct Limiter {
    /// Shared: a limiter is cloned into every admission it makes (to settle it later), so a
    /// clone is one reference count and a pointer.
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn UsageStore>,
    clock: Arc<dyn Clock>,
    reservation_ttl: Duration,
    store_timeout: StdDuration,
    failure_mode: FailureMode,
    /// `store.in_process().is_some()`, asked several times per request: one virtual call
    /// less each time.
    in_process: bool,
}

/// Builds a [`Limiter`].
#[derive(Debug)]
pub struct LimiterBuilder {
    store: Arc<dyn UsageStore>,
    clock: Arc<dyn Clock>,
    reservation_ttl: StdDuration,
    store_timeout: StdDuration,
    failure_mode: FailureMode,
}

impl LimiterBuilder {
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
    pub fn build(self) -> Result<Limiter, BuildError> {
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
        Ok(Limiter::from_parts(
            self.store,
            self.clock,
            reservation_ttl,
            self.store_timeout,
            self.failure_mode,
        ))
    }
}

impl Limiter {
    /// A limiter with default options over `store` (time from [`CoarseClock`]).
    pub fn new(store: Arc<dyn UsageStore>) -> Self {
        Self::from_parts(
            store,
            Arc::new(CoarseClock),
            Duration::seconds(i64::from(DEFAULT_RESERVATION_SECS)),
            DEFAULT_STORE_TIMEOUT,
            FailureMode::Closed,
        )
    }

    fn from_parts(
        store: Arc<dyn UsageStore>,
        clock: Arc<dyn Clock>,
        reservation_ttl: Duration,
        store_timeout: StdDuration,
        failure_mode: FailureMode,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                in_process: store.in_process().is_some(),
                store,
                clock,
                reservation_ttl,
                store_timeout,
                failure_mode,
            }),
        }
    }

    /// A builder over `store`.
    pub fn builder(store: Arc<dyn UsageStore>) -> LimiterBuilder {
        LimiterBuilder {
            store,
            clock: Arc::new(CoarseClock),
            reservation_ttl: DEFAULT_RESERVATION_TTL,
            store_timeout: DEFAULT_STORE_TIMEOUT,
            failure_mode: FailureMode::Closed,
        }
    }

    /// The store behind this limiter.
    pub fn store(&self) -> &Arc<dyn UsageStore> {
        &self.inner.store
    }

    /// The clock of this limiter.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    async fn call<T>(
        &self,
        f: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        tokio::time::timeout(self.inner.store_timeout, f)
            .await
            .unwrap_or(Err(StoreError::Timeout(self.inner.store_timeout)))
    }

    /// Whether the store answers in-process, so that [`check_now`](Self::check_now),
    /// [`settle_now`](Self::settle_now) and [`release_now`](Self::release_now) answer.
    pub fn is_in_process(&self) -> bool {
        self.inner.in_process
    }

    /// Decides on one request, in the order of the HTTP API: effective limits, rules on the
    /// usage before the request, base limits with atomic admission.
    pub async fn check(
        &self,
        policy: &Policy,
        request: &LimitRequest<'_>,
    ) -> Result<Decision, LimitError> {
        if let Some(decided) = self.check_now(policy, request) {
            return decided;
        }
        let check = Check::new(self, policy, request)?;
        let key = UsageKey::new(request.scope, request.identity, check.period);
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
        let admit = check.admit_request(key);
        let outcome = self.call(self.inner.store.admit(&admit)).await;
        Ok(check.conclude(outcome, warning))
    }

    /// [`check`](Self::check) without waiting, when the store is in-process (`None`
    /// otherwise): what the tower layer calls on its hot path.
    pub fn check_now(
        &self,
        policy: &Policy,
        request: &LimitRequest<'_>,
    ) -> Option<Result<Decision, LimitError>> {
        let store = self.inner.store.in_process()?;
        let check = match Check::new(self, policy, request) {
            Ok(check) => check,
            Err(e) => return Some(Err(e)),
        };
        let key = UsageKeyRef {
            scope: request.scope,
            identity: request.identity,
            period: check.period,
        };
        let mut warning = None;
        if check.has_rules() {
            let usage = if check.rules_read_usage() {
                match store.usage_now(key, check.now) {
                    Ok(u) => u,
                    Err(e) => return Some(Ok(check.store_failed(e))),
                }
            } else {
                Usage::default()
            };
            match check.apply_rules(usage) {
                RuleVerdict::Proceed(w) => warning = w,
                RuleVerdict::Deny(denial) => return Some(Ok(Decision::Denied(denial))),
            }
        }
        let outcome = store.admit_now(&check.admit_request(key));
        Some(Ok(check.conclude(outcome, warning)))
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
                Decision::Denied(Denial {
                    status: 503,
                    body: json!({"error": "store_unavailable", "message": "Usage limits cannot be checked right now; try again shortly"}),
                    reason: DenialReason::StoreUnavailable,
                    state,
                })
            }
        }
    }

    /// Replaces the admission's reservation by the real token count.
    pub async fn settle(&self, reservation: Reservation, tokens: u64) -> Result<(), LimitError> {
        if let Some(settled) = self.settle_now(&reservation, tokens) {
            return settled;
        }
        Ok(self
            .call(self.inner.store.settle(&reservation, tokens))
            .await?)
    }

    /// [`settle`](Self::settle) without waiting, when the store is in-process (`None`
    /// otherwise, and nothing is done).
    pub fn settle_now(
        &self,
        reservation: &Reservation,
        tokens: u64,
    ) -> Option<Result<(), LimitError>> {
        let store = self.inner.store.in_process()?;
        Some(
            store
                .settle_now(reservation, tokens)
                .map_err(LimitError::from),
        )
    }

    /// Un-counts an admitted request whose upstream failed.
    pub async fn release(&self, reservation: Reservation) -> Result<(), LimitError> {
        if let Some(released) = self.release_now(&reservation) {
            return released;
        }
        Ok(self.call(self.inner.store.release(&reservation)).await?)
    }

    /// [`release`](Self::release) without waiting, when the store is in-process (`None`
    /// otherwise, and nothing is done).
    pub fn release_now(&self, reservation: &Reservation) -> Option<Result<(), LimitError>> {
        let store = self.inner.store.in_process()?;
        Some(store.release_now(reservation).map_err(LimitError::from))
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
        let key = UsageKey::new(scope, identity, period);
        if let Some(store) = self.inner.store.in_process() {
            return Ok((period, store.usage_now(key.as_ref(), now)?));
        }
        Ok((period, self.call(self.inner.store.usage(&key, now)).await?))
    }
}

/// What the rules say about a request.
enum RuleVerdict {
    /// Go on to the admission, with a non-blocking rule's warning if one applied.
    Proceed(Option<Value>),
    /// A blocking rule applied.
    Deny(Denial),
}

/// One decision in progress: what [`Limiter::check`] and [`Limiter::check_now`] share
/// around their store calls (the one waits on them, the other does not).
struct Check<'a> {
    limiter: &'a Limiter,
    policy: &'a Policy,
    request: &'a LimitRequest<'a>,
    now: DateTime<Utc>,
    period: Period,
    reset_at: DateTime<Utc>,
    reset_after_secs: u64,
    limits: Limits,
}

impl<'a> Check<'a> {
    /// Validates the request and finds its period and effective limits.
    fn new(
        limiter: &'a Limiter,
        policy: &'a Policy,
        request: &'a LimitRequest<'a>,
    ) -> Result<Self, LimitError> {
        validate_identity(request.identity)?;
        if let Some(t) = request.tier
            && (t.is_empty() || t.chars().count() > crate::policy::MAX_TIER_LEN)
        {
            return Err(LimitError::InvalidTier);
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
        }
    }

    /// The decision from the store's answer to the admission.
    fn conclude(
        &self,
        outcome: Result<AdmitOutcome, StoreError>,
        warning: Option<Value>,
    ) -> Decision {
        let usage = match outcome {
            Ok(AdmitOutcome::Admitted { reservation, usage }) => {
                return Decision::Admitted(Admission {
                    reservation: Some(reservation),
                    state: self.state(usage),
                    warning,
                });
            }
            Ok(AdmitOutcome::Denied { usage }) => usage,
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

/// Checks the API's identity rule: 1–256 characters.
pub fn validate_identity(identity: &str) -> Result<(), LimitError> {
    // Byte bounds first: 256 bytes are at most 256 chars, and 256 chars at most 1024 bytes.
    if identity.is_empty()
        || identity.len() > MAX_IDENTITY_LEN * 4
        || (identity.len() > MAX_IDENTITY_LEN && identity.chars().count() > MAX_IDENTITY_LEN)
    {
        return Err(LimitError::InvalidIdentity);
    }
    Ok(())
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

/// Compact JSON with every non-ASCII character escaped as `\uXXXX`, safe in an HTTP header.
pub fn ascii_json(value: &Value) -> String {
    let compact = value.to_string();
    let mut out = String::with_capacity(compact.len());
    for c in compact.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut buf = [0u16; 2];
            for unit in c.encode_utf16(&mut buf) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}
