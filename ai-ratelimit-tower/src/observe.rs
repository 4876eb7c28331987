//! A hook for request logs and metrics: metadata of every request, never its content.

use std::sync::Arc;
use std::time::Duration;

use ai_ratelimit_core::{DenialReason, LimitState};
use http::Extensions;

/// How a request ended, in the vocabulary of the HTTP API's request log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Admitted, and the inner service answered (with a status below 500).
    Allowed,
    /// Denied by a limit or a blocking rule; the inner service was not called.
    Limited,
    /// Admitted, but the inner service failed (an error or a 5xx).
    Error,
    /// Refused before any limit was checked: unknown project key, invalid identity.
    Rejected,
    /// The usage store could not be reached and the limiter fails closed (503).
    Unavailable,
}

impl Outcome {
    /// The lowercase name (`allowed`, `limited`, `error`, `rejected`, `unavailable`).
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Limited => "limited",
            Outcome::Error => "error",
            Outcome::Rejected => "rejected",
            Outcome::Unavailable => "unavailable",
        }
    }
}

/// What the layer knows about one finished request. Only metadata: no body, no header
/// value other than the identity and tier, and only the request extensions the layer was
/// told to record.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// The scope (project) of the request; `None` when its policy could not be resolved.
    pub scope: Option<Arc<str>>,
    /// The identity; `None` when it could not be extracted.
    pub identity: Option<String>,
    /// The tier the request claimed.
    pub tier: Option<String>,
    /// How it ended.
    pub outcome: Outcome,
    /// The response status; `None` when the inner service returned an error.
    pub status: Option<u16>,
    /// Tokens the admission was settled with; `None` when nothing was counted.
    pub tokens: Option<u64>,
    /// From the request entering the layer to its end: the response for a denial, the
    /// settlement (end of the body, or its drop) for an admitted request.
    pub latency: Duration,
    /// Why the limiter denied it (`Limited` and `Unavailable` outcomes).
    pub denial: Option<DenialReason>,
    /// Limits, usage and period the decision saw: usage after the admission for an admitted
    /// request, before it for a denied one; `None` when it was rejected before any check.
    pub limits: Option<LimitState>,
    /// Whether a non-blocking rule attached a warning (`x-ratelimit-warning`).
    pub warned: bool,
    /// Copies of the request's extensions of the types named with
    /// [`RateLimitLayer::record_extension`](crate::RateLimitLayer::record_extension) (a model
    /// name, a request id…), as they were when the request was admitted or refused.
    pub extensions: Extensions,
}

/// Receives a [`RequestRecord`] once per request. Called on the request's task (or on the
/// task that settles a dropped body): keep it quick, hand heavy work to a channel.
///
/// Any `Fn(&RequestRecord) + Send + Sync + 'static` closure is an observer.
pub trait RequestObserver: Send + Sync + 'static {
    /// Called once when a request has finished.
    fn observe(&self, record: &RequestRecord);
}

impl<F> RequestObserver for F
where
    F: Fn(&RequestRecord) + Send + Sync + 'static,
{
    fn observe(&self, record: &RequestRecord) {
        self(record)
    }
}

/// Which request extensions go into records: one copier per recorded type, so a record
/// holds exactly what was asked for (never a body that some extension might carry).
#[derive(Clone, Default)]
pub(crate) struct RecordedExtensions {
    copiers: Vec<fn(&Extensions, &mut Extensions)>,
}

impl RecordedExtensions {
    pub(crate) fn add<T: Clone + Send + Sync + 'static>(&mut self) {
        self.copiers.push(|from, to| {
            if let Some(value) = from.get::<T>() {
                to.insert(value.clone());
            }
        });
    }

    /// The recorded extensions of `from`.
    pub(crate) fn copy(&self, from: &Extensions) -> Extensions {
        let mut to = Extensions::new();
        for copy in &self.copiers {
            copy(from, &mut to);
        }
        to
    }
}
