use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use futures::future::BoxFuture;
use http::{Request, Response, StatusCode};
use pin_project_lite::pin_project;
use tower::Service;

use super::admit::{Admit, Admitting};
use super::body::RateLimitBody;
use super::settlement::{Finish, Settlement};
use crate::tokens::TokensUsed;

type Output<ResBody, Error> = Result<Response<RateLimitBody<ResBody>>, Error>;

pin_project! {
    /// The future of [`RateLimit`](super::RateLimit): checks the limit, then calls the inner
    /// service if admitted, then settles or releases (or hands that to the body).
    pub struct ResponseFuture<S, ReqBody, ResBody>
    where
        S: Service<Request<ReqBody>>,
    {
        #[pin]
        state: State<S, S::Future, ReqBody, Output<ResBody, S::Error>>,
    }
}

pin_project! {
    #[project = StateProj]
    enum State<S, F, ReqBody, O> {
        Admitting {
            admitting: Admitting<ReqBody>,
            inner: Option<S>,
        },
        Calling {
            #[pin]
            future: F,
            settlement: Option<Settlement>,
        },
        Releasing {
            release: BoxFuture<'static, ()>,
            output: Option<O>,
        },
        Done,
    }
}

impl<S, ReqBody, ResBody> ResponseFuture<S, ReqBody, ResBody>
where
    S: Service<Request<ReqBody>>,
{
    /// Waits on `admitting`, then calls `inner` (the instance polled ready) if admitted.
    pub(crate) fn admitting(inner: S, admitting: Admitting<ReqBody>) -> Self {
        Self {
            state: State::Admitting {
                admitting,
                inner: Some(inner),
            },
        }
    }
}

impl<S, ReqBody, ResBody> fmt::Debug for ResponseFuture<S, ReqBody, ResBody>
where
    S: Service<Request<ReqBody>>,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Admitting { .. } => "admitting",
            State::Calling { .. } => "calling",
            State::Releasing { .. } => "releasing",
            State::Done => "done",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish()
    }
}

impl<S, ReqBody, ResBody> Future for ResponseFuture<S, ReqBody, ResBody>
where
    S: Service<Request<ReqBody>, Response = Response<ResBody>>,
{
    type Output = Output<ResBody, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        loop {
            match this.state.as_mut().project() {
                StateProj::Admitting { admitting, inner } => match ready!(admitting.poll_admit(cx))
                {
                    Admit::Respond(answer) => {
                        this.state.set(State::Done);
                        return Poll::Ready(Ok(answer.into_response()));
                    }
                    Admit::Forward {
                        request,
                        settlement,
                    } => {
                        let mut service = inner
                            .take()
                            .expect("the inner service is kept until the request is admitted");
                        let future = service.call(request);
                        this.state.set(State::Calling {
                            future,
                            settlement: Some(settlement),
                        });
                    }
                },
                StateProj::Calling { future, settlement } => {
                    let result = ready!(future.poll(cx));
                    let mut settlement = settlement
                        .take()
                        .expect("the settlement is kept until the inner service answers");
                    let (release, output) = match result {
                        Err(error) => {
                            // An inner error counts as a 500 for `release_if`.
                            let release = if settlement.releases(StatusCode::INTERNAL_SERVER_ERROR)
                            {
                                settlement.end(Finish::Release)
                            } else {
                                settlement.end_reported();
                                None
                            };
                            (release, Err(error))
                        }
                        Ok(response) => {
                            let (mut parts, body) = response.into_parts();
                            settlement.take_headers().insert_into(&mut parts.headers);
                            settlement.set_status(parts.status);
                            let (release, body) = if settlement.releases(parts.status) {
                                (
                                    settlement.end(Finish::Release),
                                    RateLimitBody::passthrough(body),
                                )
                            } else if let Some(TokensUsed(tokens)) = parts.extensions.get().copied()
                            {
                                // Not waited for (see `Settlement::end`).
                                let settled = settlement.end(Finish::Settle(tokens));
                                debug_assert!(settled.is_none(), "a settlement never waits");
                                (None, RateLimitBody::passthrough(body))
                            } else {
                                // Tokens still unknown: the body settles when it ends.
                                (None, RateLimitBody::settling(body, settlement))
                            };
                            (release, Ok(Response::from_parts(parts, body)))
                        }
                    };
                    match release {
                        Some(release) => this.state.set(State::Releasing {
                            release,
                            output: Some(output),
                        }),
                        None => {
                            this.state.set(State::Done);
                            return Poll::Ready(output);
                        }
                    }
                }
                StateProj::Releasing { release, output } => {
                    ready!(release.as_mut().poll(cx));
                    let output = output.take().expect("the output is kept until released");
                    this.state.set(State::Done);
                    return Poll::Ready(output);
                }
                StateProj::Done => panic!("ResponseFuture polled after completion"),
            }
        }
    }
}
