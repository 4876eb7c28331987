use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

use super::settlement::Settlement;

pin_project! {
    /// The body of every response of [`RateLimit`](super::RateLimit): the inner body,
    /// passed through, or the layer's own JSON.
    ///
    /// Wrapping an admitted response whose tokens are not known yet, it settles the
    /// admission exactly once: at the end of the body, on an error of the inner body, or
    /// when dropped unfinished (client gone) — without holding the body's end back for the
    /// store (see the crate docs).
    ///
    /// The count is the [`TokenReporter`](crate::TokenReporter)'s, or the estimate reserved
    /// at admission if nothing was reported.
    pub struct RateLimitBody<B> {
        #[pin]
        kind: Kind<B>,
    }
}

pin_project! {
    #[project = KindProj]
    enum Kind<B> {
        // Field order matters: a dropped body is dropped before its settlement, so what the
        // body reports while it goes away (a stream's last usage) is what gets settled.
        Inner {
            #[pin]
            body: B,
            settlement: Option<Settlement>,
        },
        Json {
            bytes: Option<Bytes>,
        },
    }
}

impl<B> RateLimitBody<B> {
    /// The inner body, with nothing left to settle.
    pub(crate) fn passthrough(body: B) -> Self {
        Self::inner(body, None)
    }

    /// The inner body, settling `settlement` when it ends.
    pub(crate) fn settling(body: B, settlement: Settlement) -> Self {
        Self::inner(body, Some(settlement))
    }

    fn inner(body: B, settlement: Option<Settlement>) -> Self {
        Self {
            kind: Kind::Inner { body, settlement },
        }
    }

    /// The layer's own JSON.
    pub(crate) fn json(bytes: Bytes) -> Self {
        Self {
            kind: Kind::Json { bytes: Some(bytes) },
        }
    }
}

impl<B> fmt::Debug for RateLimitBody<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.kind {
            Kind::Inner { settlement, .. } if settlement.is_some() => "settling",
            Kind::Inner { .. } => "inner",
            Kind::Json { .. } => "json",
        };
        f.debug_struct("RateLimitBody")
            .field("kind", &kind)
            .finish()
    }
}

impl<B> Body for RateLimitBody<B>
where
    B: Body,
    B::Data: From<Bytes>,
{
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        match self.project().kind.project() {
            KindProj::Json { bytes } => {
                Poll::Ready(bytes.take().map(|b| Ok(Frame::data(B::Data::from(b)))))
            }
            KindProj::Inner { body, settlement } => {
                let frame = ready!(body.poll_frame(cx));
                if !matches!(frame, Some(Ok(_))) {
                    // The end, or an error: dropping the settlement settles it with what was
                    // reported (or the estimate).
                    settlement.take();
                }
                Poll::Ready(frame)
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            // An inner body at its end is not polled again; its settlement ends when the
            // body is dropped.
            Kind::Inner { body, .. } => body.is_end_stream(),
            Kind::Json { bytes } => bytes.is_none(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Inner { body, .. } => body.size_hint(),
            Kind::Json { bytes } => {
                SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
        }
    }
}
