use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use ai_ratelimit_core::{MemoryStore, UsageStore};
use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use tower::Service;

use super::admit;
use super::body::RateLimitBody;
use super::future::ResponseFuture;
use super::layer::Config;
use crate::subject::{HeaderExtractor, SubjectExtractor};

/// The middleware made by [`RateLimitLayer`](super::RateLimitLayer).
///
/// `poll_ready` only asks the inner service. `call` checks the limit inside the returned
/// future, on the very service instance that was polled ready (it is swapped out for a
/// clone, the tower way), and calls it only when the request is admitted. With an
/// in-process store the check is done on the future's first poll.
pub struct RateLimit<Svc, E = HeaderExtractor, S = MemoryStore> {
    inner: Svc,
    config: Arc<Config<E, S>>,
}

impl<Svc, E, S> RateLimit<Svc, E, S> {
    pub(crate) fn new(inner: Svc, config: Arc<Config<E, S>>) -> Self {
        Self { inner, config }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &Svc {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut Svc {
        &mut self.inner
    }

    /// The inner service, consuming the middleware.
    pub fn into_inner(self) -> Svc {
        self.inner
    }
}

impl<Svc: Clone, E, S> Clone for RateLimit<Svc, E, S> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            config: self.config.clone(),
        }
    }
}

impl<Svc: fmt::Debug, E, S> fmt::Debug for RateLimit<Svc, E, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<Svc, E, S, ReqBody, ResBody> Service<Request<ReqBody>> for RateLimit<Svc, E, S>
where
    Svc: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    E: SubjectExtractor<ReqBody>,
    S: UsageStore + 'static,
    ReqBody: Send + 'static,
    ResBody: Body,
    ResBody::Data: From<Bytes>,
{
    type Response = Response<RateLimitBody<ResBody>>;
    type Error = Svc::Error;
    type Future = ResponseFuture<Svc, ReqBody, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // The check waits on the store inside the future, on the instance polled ready (the
        // clone stays behind and is polled for the next request).
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        ResponseFuture::admitting(ready, admit::start(&self.config, request))
    }
}
