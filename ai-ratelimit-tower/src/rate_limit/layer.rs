use std::fmt;
use std::sync::Arc;

use ai_ratelimit_core::{Limiter, MemoryStore, Policy};
use http::{Request, StatusCode};
use tokio_util::task::TaskTracker;
use tower::Layer;

use super::service::RateLimit;
use crate::observe::{RecordedExtensions, RequestObserver};
use crate::policy_source::{PolicySource, ProjectKeyLookup, ProjectKeyPolicy, ScopedPolicy};
use crate::rejection::Rejection;
use crate::render::ErrorHandler;
use crate::subject::{FnExtractor, HeaderExtractor, Subject};

/// The scope of a policy given to [`RateLimitLayer::new`].
pub const DEFAULT_SCOPE: &str = "default";

/// Decides from a response status whether its admission is released (un-counted).
pub(crate) type ReleaseIf = Arc<dyn Fn(StatusCode) -> bool + Send + Sync>;

/// Applies per-identity limits to a service; see the [crate docs](crate).
///
/// Built from a [`Limiter`] over a store `S` (default: a fresh [`MemoryStore`]), a
/// [`PolicySource`] and a [`SubjectExtractor`](crate::SubjectExtractor) `E` (default:
/// [`HeaderExtractor`]). Clones share the limiter, hence the counters.
pub struct RateLimitLayer<E = HeaderExtractor, S = MemoryStore> {
    config: Config<E, S>,
}

/// What every [`RateLimit`] made by one layer shares.
pub(crate) struct Config<E, S> {
    pub(crate) limiter: Limiter<S>,
    pub(crate) source: Arc<dyn PolicySource>,
    pub(crate) extractor: Arc<E>,
    pub(crate) observer: Option<Arc<dyn RequestObserver>>,
    pub(crate) recorded: RecordedExtensions,
    pub(crate) release_if: ReleaseIf,
    pub(crate) error_handler: Option<Arc<dyn ErrorHandler>>,
    pub(crate) tracker: Option<TaskTracker>,
}

impl<E, S> Clone for Config<E, S> {
    fn clone(&self) -> Self {
        Self {
            limiter: self.limiter.clone(),
            source: self.source.clone(),
            extractor: self.extractor.clone(),
            observer: self.observer.clone(),
            recorded: self.recorded.clone(),
            release_if: self.release_if.clone(),
            error_handler: self.error_handler.clone(),
            tracker: self.tracker.clone(),
        }
    }
}

impl RateLimitLayer<HeaderExtractor, MemoryStore> {
    /// One policy for every request, counted under the scope `"default"`, in memory.
    pub fn new(policy: Policy) -> Self {
        Self::from_source(ScopedPolicy::new(DEFAULT_SCOPE, policy))
    }

    /// One policy for every request, counted under `scope`.
    pub fn fixed(scope: impl Into<Arc<str>>, policy: impl Into<Arc<Policy>>) -> Self {
        Self::from_source(ScopedPolicy::new(scope, policy))
    }

    /// The policy of the project whose key is in the `x-project-key` header (see
    /// [`ProjectKeyPolicy`] for another header or a bearer token).
    pub fn by_project_key(lookup: impl ProjectKeyLookup) -> Self {
        Self::from_source(ProjectKeyPolicy::new(lookup))
    }

    /// Policies from any source.
    pub fn from_source(source: impl PolicySource) -> Self {
        Self {
            config: Config {
                limiter: Limiter::new(MemoryStore::new()),
                source: Arc::new(source),
                extractor: Arc::new(HeaderExtractor::new()),
                observer: None,
                recorded: RecordedExtensions::default(),
                release_if: Arc::new(|status: StatusCode| status.is_server_error()),
                error_handler: None,
                tracker: None,
            },
        }
    }
}

impl<E, S> RateLimitLayer<E, S> {
    /// Decides with `limiter` (its store, clock, timeouts and failure mode).
    pub fn limiter<S2>(self, limiter: Limiter<S2>) -> RateLimitLayer<E, S2> {
        let c = self.config;
        RateLimitLayer {
            config: Config {
                limiter,
                source: c.source,
                extractor: c.extractor,
                observer: c.observer,
                recorded: c.recorded,
                release_if: c.release_if,
                error_handler: c.error_handler,
                tracker: c.tracker,
            },
        }
    }

    /// Finds subjects with `extractor`.
    pub fn extractor<E2>(self, extractor: E2) -> RateLimitLayer<E2, S> {
        let c = self.config;
        RateLimitLayer {
            config: Config {
                limiter: c.limiter,
                source: c.source,
                extractor: Arc::new(extractor),
                observer: c.observer,
                recorded: c.recorded,
                release_if: c.release_if,
                error_handler: c.error_handler,
                tracker: c.tracker,
            },
        }
    }

    /// Finds subjects with a synchronous closure over the request.
    pub fn subject_fn<F, B>(self, f: F) -> RateLimitLayer<FnExtractor<F>, S>
    where
        F: Fn(&Request<B>) -> Result<Subject, Rejection> + Send + Sync + 'static,
    {
        self.extractor(FnExtractor::new(f))
    }

    /// Which response statuses un-count the request (its admission is released instead of
    /// settled). Default: 5xx. An error of the inner service counts as a 500.
    ///
    /// A proxy whose upstream refused a request (4xx) releases those too:
    /// `.release_if(|s| s.is_client_error() || s.is_server_error())`; a service that counts
    /// every call, failed or not: `.release_if(|_| false)`.
    pub fn release_if(
        mut self,
        release: impl Fn(StatusCode) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.config.release_if = Arc::new(release);
        self
    }

    /// Renders the layer's own answers (denials and rejections) with `handler` instead of
    /// the HTTP API's JSON; the layer still adds the rate-limit headers and `Retry-After`.
    ///
    /// ```
    /// # use ai_ratelimit_core::Policy;
    /// use ai_ratelimit_tower::{RateLimitLayer, Refusal};
    /// use bytes::Bytes;
    /// use http::Response;
    ///
    /// # let policy = Policy::from_json(&serde_json::json!({"dailyRequestLimit": 5})).unwrap();
    /// let layer = RateLimitLayer::new(policy).error_handler(|refusal: Refusal<'_>| {
    ///     let mut response = Response::new(Bytes::from("slow down"));
    ///     *response.status_mut() = refusal.status();
    ///     response
    /// });
    /// ```
    pub fn error_handler(mut self, handler: impl ErrorHandler) -> Self {
        self.config.error_handler = Some(Arc::new(handler));
        self
    }

    /// Tracks every admission on `tracker` until it is settled or released, wherever that
    /// happens (at the end of its response or body, or on a task spawned when the client
    /// went away), so that a graceful shutdown can wait for them all:
    /// `tracker.close(); tracker.wait().await` after the server stopped accepting requests.
    pub fn settlement_tracker(mut self, tracker: TaskTracker) -> Self {
        self.config.tracker = Some(tracker);
        self
    }

    /// Calls `observer` once per finished request (see [`RequestObserver`]).
    pub fn observer(mut self, observer: impl RequestObserver) -> Self {
        self.config.observer = Some(Arc::new(observer));
        self
    }

    /// Copies the request extension of type `T`, when a request has one, into its
    /// [`RequestRecord`](crate::RequestRecord)'s `extensions` (e.g. the model a request
    /// asked for, put there by the extractor). Only with an observer.
    pub fn record_extension<T: Clone + Send + Sync + 'static>(mut self) -> Self {
        self.config.recorded.add::<T>();
        self
    }
}

impl<E, S> Clone for RateLimitLayer<E, S> {
    fn clone(&self) -> Self {
        Self {
            config: self.config.clone(),
        }
    }
}

impl<E, S: fmt::Debug> fmt::Debug for RateLimitLayer<E, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("limiter", &self.config.limiter)
            .field("observer", &self.config.observer.is_some())
            .field("error_handler", &self.config.error_handler.is_some())
            .field("settlement_tracker", &self.config.tracker)
            .finish_non_exhaustive()
    }
}

impl<Svc, E, S> Layer<Svc> for RateLimitLayer<E, S> {
    type Service = RateLimit<Svc, E, S>;

    fn layer(&self, inner: Svc) -> Self::Service {
        RateLimit::new(inner, Arc::new(self.config.clone()))
    }
}
