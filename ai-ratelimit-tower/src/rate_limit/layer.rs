use std::fmt;
use std::sync::Arc;

use ai_ratelimit_core::{Limiter, MemoryStore, Policy};
use http::Request;
use tower::Layer;

use super::service::RateLimit;
use crate::observe::RequestObserver;
use crate::policy_source::{PolicySource, ProjectKeyLookup, ProjectKeyPolicy, ScopedPolicy};
use crate::rejection::Rejection;
use crate::subject::{FnExtractor, HeaderExtractor, Subject};

/// The scope of a policy given to [`RateLimitLayer::new`].
pub const DEFAULT_SCOPE: &str = "default";

/// Applies per-identity limits to a service; see the [crate docs](crate).
///
/// Built from a [`Limiter`] (default: over a fresh [`MemoryStore`]), a [`PolicySource`]
/// and a [`SubjectExtractor`](crate::SubjectExtractor) (default: [`HeaderExtractor`]).
/// Clones share the limiter, hence the counters.
pub struct RateLimitLayer<E = HeaderExtractor> {
    limiter: Limiter,
    source: Arc<dyn PolicySource>,
    extractor: Arc<E>,
    observer: Option<Arc<dyn RequestObserver>>,
    release_on_server_error: bool,
}

/// What every [`RateLimit`] made by one layer shares.
pub(crate) struct Config<E> {
    pub(crate) limiter: Limiter,
    pub(crate) source: Arc<dyn PolicySource>,
    pub(crate) extractor: Arc<E>,
    pub(crate) observer: Option<Arc<dyn RequestObserver>>,
    pub(crate) release_on_server_error: bool,
}

impl RateLimitLayer<HeaderExtractor> {
    /// One policy for every request, counted under the scope `"default"`, in memory.
    pub fn new(policy: Policy) -> Self {
        Self::from_source(ScopedPolicy::new(DEFAULT_SCOPE, policy))
    }

    /// One policy for every request, counted under `scope`.
    pub fn fixed(scope: impl Into<Arc<str>>, policy: impl Into<Arc<Policy>>) -> Self {
        Self::from_source(ScopedPolicy::new(scope, policy))
    }

    /// The policy of the project whose key is in the `x-project-key` header (see
    /// [`ProjectKeyPolicy`] for another header).
    pub fn by_project_key(lookup: impl ProjectKeyLookup) -> Self {
        Self::from_source(ProjectKeyPolicy::new(lookup))
    }

    /// Policies from any source.
    pub fn from_source(source: impl PolicySource) -> Self {
        Self {
            limiter: Limiter::new(Arc::new(MemoryStore::new())),
            source: Arc::new(source),
            extractor: Arc::new(HeaderExtractor::new()),
            observer: None,
            release_on_server_error: true,
        }
    }
}

impl<E> RateLimitLayer<E> {
    /// Decides with `limiter` (its store, clock, timeouts and failure mode).
    pub fn limiter(mut self, limiter: Limiter) -> Self {
        self.limiter = limiter;
        self
    }

    /// Finds subjects with `extractor`.
    pub fn extractor<E2>(self, extractor: E2) -> RateLimitLayer<E2> {
        RateLimitLayer {
            limiter: self.limiter,
            source: self.source,
            extractor: Arc::new(extractor),
            observer: self.observer,
            release_on_server_error: self.release_on_server_error,
        }
    }

    /// Finds subjects with a synchronous closure over the request.
    pub fn subject_fn<F, B>(self, f: F) -> RateLimitLayer<FnExtractor<F>>
    where
        F: Fn(&Request<B>) -> Result<Subject, Rejection> + Send + Sync + 'static,
    {
        self.extractor(FnExtractor::new(f))
    }

    /// Whether an inner error or a 5xx response un-counts the request (default `true`).
    /// When `false`, it is settled like a success.
    pub fn release_on_server_error(mut self, release: bool) -> Self {
        self.release_on_server_error = release;
        self
    }

    /// Calls `observer` once per finished request (see [`RequestObserver`]).
    pub fn observer(mut self, observer: impl RequestObserver) -> Self {
        self.observer = Some(Arc::new(observer));
        self
    }
}

impl<E> Clone for RateLimitLayer<E> {
    fn clone(&self) -> Self {
        Self {
            limiter: self.limiter.clone(),
            source: self.source.clone(),
            extractor: self.extractor.clone(),
            observer: self.observer.clone(),
            release_on_server_error: self.release_on_server_error,
        }
    }
}

impl<E> fmt::Debug for RateLimitLayer<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("limiter", &self.limiter)
            .field("observer", &self.observer.is_some())
            .field("release_on_server_error", &self.release_on_server_error)
            .finish_non_exhaustive()
    }
}

impl<S, E> Layer<S> for RateLimitLayer<E> {
    type Service = RateLimit<S, E>;

    fn layer(&self, inner: S) -> Self::Service {
        RateLimit::new(
            inner,
            Arc::new(Config {
                limiter: self.limiter.clone(),
                source: self.source.clone(),
                extractor: self.extractor.clone(),
                observer: self.observer.clone(),
                release_on_server_error: self.release_on_server_error,
            }),
        )
    }
}
