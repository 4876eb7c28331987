//! What the limiter answers: the request it decides on, admissions, denials and the numbers
//! both carry (from which the rate-limit headers are made, see `headers`).

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::policy::{LimitType, Limits, Metric};
use crate::store::{MAX_IDENTITY_LEN, Reservation, StoreError, Usage};
use crate::window::Period;

/// A request the limiter cannot decide on: its identity or tier is malformed. Store failures
/// are not errors of a check: they are decisions (a 503 denial, or a fail-open admission).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRequest {
    /// The identity is empty or too long.
    #[error("identity must be 1 to {MAX_IDENTITY_LEN} characters")]
    Identity,
    /// The tier is empty or too long.
    #[error("tier must be 1 to {} characters", crate::policy::MAX_TIER_LEN)]
    Tier,
}

impl InvalidRequest {
    /// The request field at fault (`identity` or `tier`).
    pub fn field(self) -> &'static str {
        match self {
            Self::Identity => "identity",
            Self::Tier => "tier",
        }
    }
}

/// Errors of reading an identity's usage: a malformed identity, or a store failure.
#[derive(Debug, thiserror::Error)]
pub enum LimitError {
    /// The identity or tier is malformed.
    #[error(transparent)]
    Invalid(#[from] InvalidRequest),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
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
    /// The project-wide cap was reached (the identity's own limits had room).
    ProjectLimitExceeded {
        /// The metric of the cap that was exceeded.
        metric: Metric,
    },
    /// The store failed and the limiter fails closed.
    StoreUnavailable,
}

/// The project-wide cap of a state: its enforced limits and the scope's usage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProjectState {
    /// The cap's limits (metrics of the limit type only).
    pub limits: Limits,
    /// The whole scope's usage (after admission for an admitted request, before it for a
    /// denied one).
    pub usage: Usage,
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
    /// The project-wide cap and usage, when the policy sets a cap and the store was asked.
    pub project: Option<ProjectState>,
}

impl LimitState {
    /// What is left of `metric`'s limit (`None` when it has none).
    pub(crate) fn remaining(&self, metric: Metric) -> Option<u64> {
        let limit = self.limits.of(metric)?;
        let used = match metric {
            Metric::Requests => self.usage.requests,
            Metric::Tokens => self.usage.tokens.saturating_add(self.usage.reserved_tokens),
        };
        Some(limit.saturating_sub(used))
    }

    /// The enforced metrics that have a limit, with it.
    pub(crate) fn enforced(&self) -> impl Iterator<Item = (Metric, u64)> + '_ {
        [
            (Metric::Requests, self.limit_type.enforces_requests()),
            (Metric::Tokens, self.limit_type.enforces_tokens()),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .filter_map(|(m, _)| self.limits.of(m).map(|l| (m, l)))
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
    /// `503 store_unavailable`: the store failed and the limiter fails closed.
    pub fn store_unavailable(state: LimitState) -> Self {
        Self {
            status: 503,
            body: serde_json::json!({"error": "store_unavailable", "message": "Usage limits cannot be checked right now; try again shortly"}),
            reason: DenialReason::StoreUnavailable,
            state,
        }
    }

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

/// Checks the API's identity rule: 1–256 characters.
pub fn validate_identity(identity: &str) -> Result<(), InvalidRequest> {
    // Byte bounds first: 256 bytes are at most 256 chars, and 256 chars at most 1024 bytes.
    if identity.is_empty()
        || identity.len() > MAX_IDENTITY_LEN * 4
        || (identity.len() > MAX_IDENTITY_LEN && identity.chars().count() > MAX_IDENTITY_LEN)
    {
        return Err(InvalidRequest::Identity);
    }
    Ok(())
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
