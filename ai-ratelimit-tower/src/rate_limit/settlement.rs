//! Settling or releasing an admission exactly once: when the response is known, when its
//! body ends, or — from `Drop` — when it is abandoned.

use std::sync::Arc;
use std::task::{Context, Waker};

use ai_ratelimit_core::{LimitState, Reservation, StoreError, UsageStore};
use futures::future::BoxFuture;
use http::{Extensions, StatusCode};
use tokio::runtime::Handle;
use tokio::time::Instant;
use tokio_util::task::TaskTracker;
use tokio_util::task::task_tracker::TaskTrackerToken;

use super::admit::LimitHeaders;
use super::layer::Config;
use crate::observe::{Outcome, RequestObserver, RequestRecord};
use crate::tokens::TokenReporter;

/// What the request log needs about an admitted request, kept until it settles.
pub(crate) struct Observation {
    pub(crate) observer: Arc<dyn RequestObserver>,
    pub(crate) scope: Arc<str>,
    pub(crate) identity: String,
    pub(crate) tier: Option<String>,
    pub(crate) started: Instant,
    pub(crate) limits: LimitState,
    pub(crate) warned: bool,
    pub(crate) extensions: Extensions,
}

/// How to end an admission.
pub(crate) enum Finish {
    /// Count these tokens.
    Settle(u64),
    /// Un-count the request (the inner service failed).
    Release,
}

/// An admission not yet settled, with the limit headers its response gets. Dropping it
/// settles it with the reported tokens, or the estimate when none were reported.
///
/// One pointer: it travels from the decision through the response future into the response
/// body, and copying its couple of hundred bytes at each of those moves cost more than
/// boxing it once. The box also hides the store's type from the body.
pub(crate) struct Settlement {
    state: Box<dyn Settling>,
}

/// The store-typed part of a [`Settlement`].
trait Settling: Send {
    fn take_headers(&mut self) -> LimitHeaders;
    fn set_status(&mut self, status: StatusCode);
    fn releases(&self, status: StatusCode) -> bool;
    fn reported_or_estimated(&self) -> u64;
    fn finish(&mut self, how: Finish) -> Option<BoxFuture<'static, ()>>;
    /// Runs work that could not finish at once in the background.
    fn spawn(&mut self, work: BoxFuture<'static, ()>);
}

struct SettlementState<E, S> {
    config: Arc<Config<E, S>>,
    /// Taken when the response exists.
    headers: LimitHeaders,
    /// `None` once finished, or for a fail-open admission.
    reservation: Option<Reservation>,
    /// Boxed: only with an observer, and it keeps the settlement small.
    observation: Option<Box<Observation>>,
    finished: bool,
    reporter: TokenReporter,
    status: Option<StatusCode>,
    /// Holds the layer's settlement tracker open until this admission has ended.
    tracked: Option<TaskTrackerToken>,
}

impl Settlement {
    pub(crate) fn new<E, S>(
        config: Arc<Config<E, S>>,
        headers: LimitHeaders,
        reservation: Option<Reservation>,
        reporter: TokenReporter,
        observation: Option<Observation>,
    ) -> Self
    where
        E: Send + Sync + 'static,
        S: UsageStore + 'static,
    {
        Self {
            state: Box::new(SettlementState {
                headers,
                reservation,
                observation: observation.map(Box::new),
                finished: false,
                reporter,
                status: None,
                tracked: config.tracker.as_ref().map(TaskTracker::token),
                config,
            }),
        }
    }

    /// The limit headers for the response (taken once).
    pub(crate) fn take_headers(&mut self) -> LimitHeaders {
        self.state.take_headers()
    }

    /// Records the response status for the request log.
    pub(crate) fn set_status(&mut self, status: StatusCode) {
        self.state.set_status(status);
    }

    /// Whether a response with `status` un-counts the request (the layer's `release_if`).
    pub(crate) fn releases(&self, status: StatusCode) -> bool {
        self.state.releases(status)
    }

    /// Ends the admission, once (later calls do nothing). A settlement does not keep its
    /// caller waiting for the store: it runs at once when the store answers on the first
    /// poll (in memory), else on a spawned task (tracked by the layer's settlement
    /// tracker), and until it lands the reservation keeps counting the request's estimate.
    /// A release is returned to be waited on when it did not finish at once: the failed
    /// request's slot must be free before its answer reaches a client that may retry.
    pub(crate) fn end(&mut self, how: Finish) -> Option<BoxFuture<'static, ()>> {
        let release = matches!(how, Finish::Release);
        let mut work = self.state.finish(how)?;
        // (A future polled once may be polled again later with another waker.)
        if work
            .as_mut()
            .poll(&mut Context::from_waker(Waker::noop()))
            .is_ready()
        {
            return None;
        }
        if release {
            return Some(work);
        }
        self.state.spawn(work);
        None
    }

    /// Ends the admission with what was reported (or the estimate).
    pub(crate) fn end_reported(&mut self) {
        let tokens = self.state.reported_or_estimated();
        let settled = self.end(Finish::Settle(tokens));
        debug_assert!(settled.is_none(), "a settlement never waits");
    }
}

impl Drop for Settlement {
    fn drop(&mut self) {
        self.end_reported();
    }
}

impl<E, S> Settling for SettlementState<E, S>
where
    E: Send + Sync + 'static,
    S: UsageStore + 'static,
{
    fn take_headers(&mut self) -> LimitHeaders {
        std::mem::take(&mut self.headers)
    }

    fn set_status(&mut self, status: StatusCode) {
        self.status = Some(status);
    }

    fn releases(&self, status: StatusCode) -> bool {
        (self.config.release_if)(status)
    }

    fn reported_or_estimated(&self) -> u64 {
        self.reporter
            .reported()
            .unwrap_or_else(|| self.reservation.as_ref().map_or(0, |r| r.tokens))
    }

    fn finish(&mut self, how: Finish) -> Option<BoxFuture<'static, ()>> {
        if std::mem::replace(&mut self.finished, true) {
            return None;
        }
        let reservation = self.reservation.take();
        let observation = self.observation.take();
        let tracked = self.tracked.take();
        if reservation.is_none() && observation.is_none() {
            return None;
        }
        let config = self.config.clone();
        let status = self.status;
        Some(Box::pin(async move {
            // The tracker stays open until this work is done, wherever it runs.
            let _tracked = tracked;
            if let Some(reservation) = reservation {
                let ended = match how {
                    Finish::Settle(tokens) => config.limiter.settle(reservation, tokens).await,
                    Finish::Release => config.limiter.release(reservation).await,
                };
                warn_if_failed(&how, ended);
            }
            if let Some(observation) = observation {
                observe(*observation, &how, status);
            }
        }))
    }

    fn spawn(&mut self, work: BoxFuture<'static, ()>) {
        // Looked up here rather than kept from the admission: a response is almost always
        // dropped on its connection's task, and the lookup costs every request otherwise.
        match Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(work);
            }
            Err(_) => tracing::warn!(
                "rate-limit admission dropped outside a tokio runtime; its reservation will expire after its TTL"
            ),
        }
    }
}

fn observe(o: Observation, how: &Finish, status: Option<StatusCode>) {
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
        denial: None,
        limits: Some(o.limits),
        warned: o.warned,
        extensions: o.extensions,
    });
}

fn warn_if_failed(how: &Finish, ended: Result<(), StoreError>) {
    if let Err(error) = ended {
        match how {
            Finish::Settle(_) => tracing::warn!(%error, "could not settle a rate-limit admission"),
            Finish::Release => tracing::warn!(%error, "could not release a rate-limit admission"),
        }
    }
}
