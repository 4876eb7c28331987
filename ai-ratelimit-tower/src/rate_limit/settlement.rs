//! Settling or releasing an admission exactly once: when the response is known, when its
//! body ends, or — from `Drop`, on a spawned task — when it is abandoned.

use std::sync::Arc;

use ai_ratelimit_core::{LimitError, Limiter, Reservation};
use futures::future::BoxFuture;
use http::StatusCode;
use tokio::runtime::Handle;
use tokio::time::Instant;

use super::admit::LimitHeaders;
use crate::observe::{Outcome, RequestObserver, RequestRecord};
use crate::tokens::TokenReporter;

/// What the request log needs about an admitted request, kept until it settles.
pub(crate) struct Observation {
    pub(crate) observer: Arc<dyn RequestObserver>,
    pub(crate) scope: Arc<str>,
    pub(crate) identity: String,
    pub(crate) tier: Option<String>,
    pub(crate) started: Instant,
}

/// How to end an admission.
pub(crate) enum Finish {
    /// Count these tokens.
    Settle(u64),
    /// Un-count the request (the inner service failed).
    Release,
}

/// An admission not yet settled, with the limit headers its response gets. Dropping it
/// settles it on a spawned task with the reported tokens, or the estimate when none were
/// reported.
///
/// One pointer: it travels from the decision through the response future into the response
/// body, and copying its couple of hundred bytes at each of those moves cost more than
/// boxing it once.
pub(crate) struct Settlement {
    state: Box<SettlementState>,
}

struct SettlementState {
    /// Taken when the response exists.
    headers: LimitHeaders,
    pending: Option<Pending>,
    reporter: TokenReporter,
    status: Option<StatusCode>,
    /// Captured at admission so that a drop outside the runtime's context can still spawn.
    runtime: Option<Handle>,
}

struct Pending {
    limiter: Limiter,
    reservation: Option<Reservation>,
    /// Boxed: only with an observer, and it keeps the settlement (moved a few times per
    /// request) small.
    observation: Option<Box<Observation>>,
}

impl Settlement {
    pub(crate) fn new(
        headers: LimitHeaders,
        limiter: Limiter,
        reservation: Option<Reservation>,
        reporter: TokenReporter,
        observation: Option<Observation>,
    ) -> Self {
        let limiter_in_process = limiter.is_in_process();
        Self {
            state: Box::new(SettlementState {
                headers,
                pending: Some(Pending {
                    limiter,
                    reservation,
                    observation: observation.map(Box::new),
                }),
                reporter,
                status: None,
                // An in-process store settles in `Drop` itself: no runtime needed.
                runtime: if limiter_in_process {
                    None
                } else {
                    Handle::try_current().ok()
                },
            }),
        }
    }

    /// The limit headers for the response (taken once).
    pub(crate) fn take_headers(&mut self) -> LimitHeaders {
        std::mem::take(&mut self.state.headers)
    }

    /// Records the response status for the request log.
    pub(crate) fn set_status(&mut self, status: StatusCode) {
        self.state.status = Some(status);
    }

    /// The reported tokens, else the estimate reserved at admission.
    fn reported_or_estimated(&self) -> u64 {
        self.state.reporter.reported().unwrap_or_else(|| {
            self.state
                .pending
                .as_ref()
                .and_then(|p| p.reservation.as_ref())
                .map_or(0, |r| r.tokens)
        })
    }

    /// Ends the admission, once: at once with an in-process store (`None`), else the work
    /// to wait on. `None` too if it already ended.
    pub(crate) fn finish(&mut self, how: Finish) -> Option<BoxFuture<'static, ()>> {
        let pending = self.state.pending.take()?;
        if pending.limiter.is_in_process() {
            pending.run_now(how, self.state.status);
            return None;
        }
        Some(Box::pin(pending.run(how, self.state.status)))
    }

    /// Ends the admission with what was reported (or the estimate).
    pub(crate) fn finish_reported(&mut self) -> Option<BoxFuture<'static, ()>> {
        let tokens = self.reported_or_estimated();
        self.finish(Finish::Settle(tokens))
    }
}

impl Drop for Settlement {
    fn drop(&mut self) {
        let Some(work) = self.finish_reported() else {
            return;
        };
        match self.state.runtime.take() {
            Some(runtime) => {
                runtime.spawn(work);
            }
            None => tracing::warn!(
                "rate-limit admission dropped outside a tokio runtime; its reservation will expire after its TTL"
            ),
        }
    }
}

impl Pending {
    async fn run(mut self, how: Finish, status: Option<StatusCode>) {
        if let Some(reservation) = self.reservation.take() {
            let ended = match how {
                Finish::Settle(tokens) => self.limiter.settle(reservation, tokens).await,
                Finish::Release => self.limiter.release(reservation).await,
            };
            warn_if_failed(&how, ended);
        }
        self.observe(&how, status);
    }

    /// [`run`](Self::run) for an in-process store, which answers without waiting.
    fn run_now(mut self, how: Finish, status: Option<StatusCode>) {
        if let Some(reservation) = self.reservation.take() {
            let ended = match how {
                Finish::Settle(tokens) => self.limiter.settle_now(&reservation, tokens),
                Finish::Release => self.limiter.release_now(&reservation),
            };
            if let Some(ended) = ended {
                warn_if_failed(&how, ended);
            }
        }
        self.observe(&how, status);
    }

    fn observe(self, how: &Finish, status: Option<StatusCode>) {
        let Some(o) = self.observation.map(|o| *o) else {
            return;
        };
        let failed = status.is_none_or(|s| s.is_server_error());
        let (tokens, outcome) = match how {
            Finish::Settle(tokens) if !failed => (Some(*tokens), Outcome::Allowed),
            Finish::Settle(tokens) => (Some(*tokens), Outcome::Error),
            Finish::Release => (None, Outcome::Error),
        };
        o.observer.observe(&RequestRecord {
            scope: Some(o.scope),
            identity: Some(o.identity),
            tier: o.tier,
            outcome,
            status: status.map(|s| s.as_u16()),
            tokens,
            latency: o.started.elapsed(),
        });
    }
}

fn warn_if_failed(how: &Finish, ended: Result<(), LimitError>) {
    if let Err(error) = ended {
        match how {
            Finish::Settle(_) => tracing::warn!(%error, "could not settle a rate-limit admission"),
            Finish::Release => tracing::warn!(%error, "could not release a rate-limit admission"),
        }
    }
}
