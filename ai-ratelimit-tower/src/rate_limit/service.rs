use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response};
use http_body::Body;
use tower::Service;

use super::admit::{self, Decided};
use super::body::RateLimitBody;
use super::future::ResponseFuture;
use super::layer::Config;
use crate::subject::{HeaderExtractor, SubjectExtractor};

/// The middleware made by [`RateLimitLayer`](super::RateLimitLayer).
///
/// `poll_ready` only asks the inner service. With a remote store, `call` checks the limit
/// inside the returned future, on the very service instance that was polled ready (it is
/// swapped out for a clone, the tower way), and calls it only when the request is admitted.
/// With an in-process store the decision needs no waiting, so `call` makes it at once and
/// either calls the ready instance or answers.
pub struct RateLimit<S, E = HeaderExtractor> {
    inner: S,
    config: Arc<Config<E>>,
}

impl<S, E> RateLimit<S, E> {
    pub(crate) fn new(inner: S, config: Arc<Config<E>>) -> Self {
        Self { inner, config }
    }

    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, consuming the middleware.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, E> Clone for RateLimit<S, E> {
    fn clone(&self) -> Self {
        Self {
            inner: self.inner.clone(),
            config: self.config.clone(),
        }
    }
}

impl<S: fmt::Debug, E> fmt::Debug for RateLimit<S, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RateLimit")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, E, ReqBody, ResBody> Service<Request<ReqBody>> for RateLimit<S, E>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>> + Clone,
    E: SubjectExtractor<ReqBody>,
    ReqBody: Send + 'static,
    ResBody: Body,
    ResBody::Data: From<Bytes>,
{
    type Response = Response<RateLimitBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<S, ReqBody, ResBody>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<ReqBody>) -> Self::Future {
        let release = self.config.release_on_server_error;
        match admit::decide_now(&self.config, &mut request) {
            // Decided without waiting (an in-process store): like tower-http's synchronous
            // `ValidateRequest`, call the instance polled ready right away, or answer.
            Some(Decided::Forward { settlement }) => {
                ResponseFuture::calling(self.inner.call(request), settlement, release)
            }
            Some(Decided::Respond(answer)) => ResponseFuture::answering(answer),
            // The check waits on the store inside the future, on the instance polled ready
            // (the clone stays behind and is polled for the next request).
            None => {
                let clone = self.inner.clone();
                let ready = std::mem::replace(&mut self.inner, clone);
                ResponseFuture::admitting(ready, admit::start(&self.config, request), release)
            }
        }
    }
}
