//! Limit events from the proxy's records to the outbox, off the hot path: the observer only
//! queues an event (no I/O); a background task writes one outbox row per subscribed endpoint,
//! once per identity, event type and period (a unique key in the outbox), and wakes the
//! deliverer.

use std::collections::HashSet;

use ai_ratelimit_core::{DenialReason, Metric};
use ai_ratelimit_tower::{Outcome, RequestRecord};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::AnyPool;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::deliver::Deliverer;
use super::store;

/// Events queued at most before new ones are dropped (a later denial of the same identity
/// and period queues it again, so a drop delays an event rather than losing it).
pub const QUEUE_CAPACITY: usize = 10_000;
/// Keys remembered as already queued, to skip the database for repeated denials.
const RECENT_KEYS: usize = 100_000;

/// An identity's limit event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitEvent {
    /// `limit.exceeded` or `limit.warning` (`project_limit.exceeded` once project caps exist).
    pub event_type: &'static str,
    /// The project.
    pub project_id: String,
    /// The end user.
    pub identity: String,
    /// Its tier, if any.
    pub tier: Option<String>,
    /// The metric that was exceeded, or that the limits are counted in.
    pub metric: Option<&'static str>,
    /// Usage of that metric when the event happened.
    pub used: u64,
    /// Its limit (`None`: no limit).
    pub limit: Option<u64>,
    /// The period.
    pub period_start: DateTime<Utc>,
    /// Its end (exclusive).
    pub period_end: DateTime<Utc>,
}

impl LimitEvent {
    /// The event of a finished proxied request, if it is one: a denial by a limit or a
    /// blocking rule, or an admission with a warning.
    pub fn of(record: &RequestRecord) -> Option<Self> {
        let event_type = match (record.outcome, &record.denial) {
            (Outcome::Limited, Some(DenialReason::StoreUnavailable)) => return None,
            (Outcome::Limited, Some(DenialReason::ProjectLimitExceeded { .. })) => {
                "project_limit.exceeded"
            }
            (Outcome::Limited, _) => "limit.exceeded",
            (Outcome::Allowed, _) if record.warned => "limit.warning",
            _ => return None,
        };
        let state = record.limits.as_ref()?;
        let metric = match &record.denial {
            Some(
                DenialReason::LimitExceeded { metric }
                | DenialReason::ProjectLimitExceeded { metric },
            ) => *metric,
            _ if state.limits.requests.is_none() && state.limits.tokens.is_some() => Metric::Tokens,
            _ => Metric::Requests,
        };
        // The cap's numbers are the whole project's.
        let (usage, limits) = match (&record.denial, state.project) {
            (Some(DenialReason::ProjectLimitExceeded { .. }), Some(project)) => {
                (project.usage, project.limits)
            }
            _ => (state.usage, state.limits),
        };
        let (used, limit) = match metric {
            Metric::Requests => (usage.requests, limits.requests),
            Metric::Tokens => (usage.tokens, limits.tokens),
        };
        Some(Self {
            event_type,
            project_id: record.scope.as_deref()?.to_owned(),
            identity: record.identity.clone()?,
            tier: record.tier.clone(),
            metric: Some(match metric {
                Metric::Requests => "requests",
                Metric::Tokens => "tokens",
            }),
            used,
            limit,
            period_start: state.period.start(),
            period_end: state.period.end(),
        })
    }

    /// Once per identity (per project for the cap), event type and period.
    fn key(&self) -> String {
        let who = if self.event_type == "project_limit.exceeded" {
            ""
        } else {
            self.identity.as_str()
        };
        format!(
            "{}|{}|{}|{}",
            self.project_id,
            self.event_type,
            who,
            self.period_start.timestamp()
        )
    }

    /// The Standard Webhooks body: metadata only.
    pub fn payload(&self, at: DateTime<Utc>) -> String {
        json!({
            "type": self.event_type,
            "timestamp": at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "data": {
                "projectId": self.project_id,
                "identity": self.identity,
                "tier": self.tier,
                "metric": self.metric,
                "used": self.used,
                "limit": self.limit,
                "periodStart": self.period_start.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "periodEnd": self.period_end.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }
        })
        .to_string()
    }
}

enum Command {
    Event(Box<LimitEvent>),
    Close,
}

/// Queues limit events for the background writer. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Emitter {
    sender: mpsc::Sender<Command>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Command::Event(_) => "Event",
            Command::Close => "Close",
        })
    }
}

impl Emitter {
    /// Starts the writer task.
    pub fn start(
        pool: AnyPool,
        deliverer: Deliverer,
        clock: std::sync::Arc<dyn ai_ratelimit_core::Clock>,
    ) -> (Self, JoinHandle<()>) {
        let (sender, mut receiver) = mpsc::channel::<Command>(QUEUE_CAPACITY);
        let handle = tokio::spawn(async move {
            let mut recent: HashSet<String> = HashSet::new();
            // Events queued before `Close` are written; the task ends there.
            while let Some(Command::Event(event)) = receiver.recv().await {
                let key = event.key();
                if recent.contains(&key) {
                    continue;
                }
                match queue(&pool, &event, clock.now()).await {
                    Ok(queued) => {
                        if recent.len() >= RECENT_KEYS {
                            recent.clear();
                        }
                        recent.insert(key);
                        if queued {
                            deliverer.wake();
                        }
                    }
                    Err(e) => tracing::warn!(error = %e, "webhook event not queued"),
                }
            }
        });
        (Self { sender }, handle)
    }

    /// Queues an event without waiting.
    pub fn emit(&self, event: LimitEvent) {
        if self
            .sender
            .try_send(Command::Event(Box::new(event)))
            .is_err()
        {
            metrics::counter!("webhook_events_dropped_total").increment(1);
        }
    }

    /// Asks the writer to stop after the events queued so far.
    pub async fn close(&self) {
        // If the task is already gone there is nothing left to write.
        let _ = self.sender.send(Command::Close).await;
    }
}

/// Writes the event's outbox rows (one per subscribed endpoint); whether any was new.
pub async fn queue(
    pool: &AnyPool,
    event: &LimitEvent,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let mut queued = false;
    for endpoint in store::subscribers(pool, &event.project_id, event.event_type).await? {
        let id = format!("msg_{}", uuid::Uuid::new_v4().simple());
        let dedup = format!("{}|{}", endpoint.id, event.key());
        queued |= store::enqueue(
            pool,
            &id,
            &endpoint.id,
            &event.project_id,
            Some(&event.identity),
            event.event_type,
            &dedup,
            &event.payload(now),
            now,
        )
        .await?;
    }
    Ok(queued)
}
