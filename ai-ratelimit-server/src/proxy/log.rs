//! The request log of proxied calls, written from the rate-limit layer's records.

use ai_ratelimit_tower::{Outcome, RequestObserver, RequestRecord};

use super::call::CallLog;
use crate::request_log::{RequestLogEntry, RequestLogWriter, RequestOutcome};

/// Writes one metadata-only entry per proxied call (never a body: the layer's record holds
/// only the extensions it was told to keep, here [`CallLog`]).
pub struct ProxyLog {
    pub(super) log: RequestLogWriter,
    /// Limit events for webhooks (queued, never written here).
    pub(super) webhooks: crate::webhooks::emit::Emitter,
}

impl RequestObserver for ProxyLog {
    fn observe(&self, record: &RequestRecord) {
        if let Some(event) = crate::webhooks::emit::LimitEvent::of(record) {
            self.webhooks.emit(event);
        }
        let outcome = match record.outcome {
            Outcome::Allowed => RequestOutcome::Allowed,
            Outcome::Error => RequestOutcome::Error,
            // A failed store refuses like a limit (503 instead of 429): nothing was forwarded.
            Outcome::Limited | Outcome::Unavailable => RequestOutcome::Limited,
            // No project or no identity: nothing to attribute the request to.
            Outcome::Rejected => return,
        };
        let (Some(project_id), Some(identity), Some(call)) = (
            record.scope.as_deref(),
            record.identity.as_ref(),
            record.extensions.get::<CallLog>(),
        ) else {
            return;
        };
        let tokens = match outcome {
            RequestOutcome::Allowed => record.tokens.unwrap_or(0),
            RequestOutcome::Limited | RequestOutcome::Error => 0,
        };
        // Counted tokens the provider did not report are the layer's estimate.
        let tokens_estimated = outcome == RequestOutcome::Allowed && !call.usage.was_reported();
        self.log.record(RequestLogEntry {
            project_id: project_id.to_owned(),
            identity: identity.clone(),
            tier: record.tier.clone(),
            model: call.model.clone(),
            outcome,
            tokens,
            tokens_estimated,
            latency_ms: u64::try_from(record.latency.as_millis()).unwrap_or(u64::MAX),
            at: call.at,
        });
    }
}
