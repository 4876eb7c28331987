//! Streaming responses: the OpenAI-format SSE byte stream handed to the client (chat chunks,
//! or the typed events of the Responses API and image generation), and the usage the caller
//! reads when that stream ends or is dropped.

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use eventsource_stream::{Event, EventStreamError, Eventsource};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};
use tokio::sync::watch;

use super::Usage;
use super::upstream::error_chain;

/// The final SSE frame of every successful stream.
pub(crate) const DONE_FRAME: &[u8] = b"data: [DONE]\n\n";

/// Why a stream stopped before its end. Yielded as the stream's last item; the client's
/// connection is then cut, which tells it the response is incomplete.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// No upstream event arrived within the idle timeout.
    #[error("upstream stream idle for more than {0:?}")]
    IdleTimeout(Duration),
    /// The upstream connection failed mid-stream.
    #[error("upstream stream transport failed: {0}")]
    Transport(String),
    /// The upstream sent bytes that are not server-sent events, or an event this provider
    /// could not read.
    #[error("malformed upstream stream: {0}")]
    Malformed(String),
    /// The upstream closed the stream without its terminal event (`[DONE]`, `message_stop`,
    /// `response.completed`, …).
    #[error("upstream closed the stream before its end")]
    UnexpectedEnd,
}

/// How a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamEnd {
    /// The upstream finished normally; the stream's last frame (`data: [DONE]` for chat) was
    /// queued for the client.
    Completed,
    /// The upstream reported an error event (passed to the client as an OpenAI error chunk).
    UpstreamError,
    /// The stream stopped on a [`StreamError`].
    Failed,
    /// The consumer dropped the stream before its end (e.g. the client disconnected).
    Dropped,
}

/// What a stream has reported so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StreamProgress {
    /// The latest usage the upstream reported, if any. For Anthropic it is known from the first
    /// event (prompt tokens) and grows; for OpenAI it arrives with the last chunk only.
    pub usage: Option<Usage>,
    /// `None` while the stream is running.
    pub end: Option<StreamEnd>,
}

/// Read side of a stream's usage; clone it before handing the [`ChatStream`] to the response
/// body. Settles even when the stream is dropped, so a client disconnect still lets the
/// caller commit tokens (falling back to an estimate when `usage` is `None`).
#[derive(Debug, Clone)]
pub struct StreamUsage {
    rx: watch::Receiver<StreamProgress>,
}

impl StreamUsage {
    /// The progress right now.
    pub fn snapshot(&self) -> StreamProgress {
        *self.rx.borrow()
    }

    /// Waits until the stream has ended (completed, failed or dropped) and returns the final
    /// progress, whose `end` is then `Some`.
    pub async fn finished(mut self) -> StreamProgress {
        let waited = self.rx.wait_for(|p| p.end.is_some()).await.map(|p| *p);
        // The tracker marks the end before it goes away, so the last value is final.
        waited.unwrap_or_else(|_| *self.rx.borrow())
    }
}

/// Write side of [`StreamUsage`]; marks the stream as dropped if it goes away unfinished.
#[derive(Debug)]
pub(crate) struct StreamTracker {
    tx: watch::Sender<StreamProgress>,
}

impl StreamTracker {
    pub(crate) fn new() -> (Self, StreamUsage) {
        let (tx, rx) = watch::channel(StreamProgress::default());
        (Self { tx }, StreamUsage { rx })
    }

    pub(crate) fn record(&self, usage: Usage) {
        self.tx.send_if_modified(|p| {
            let changed = p.usage != Some(usage);
            p.usage = Some(usage);
            changed
        });
    }

    pub(crate) fn finish(&self, end: StreamEnd) {
        self.tx.send_if_modified(|p| {
            let first = p.end.is_none();
            if first {
                p.end = Some(end);
            }
            first
        });
    }
}

impl Drop for StreamTracker {
    fn drop(&mut self) {
        self.finish(StreamEnd::Dropped);
    }
}

/// An OpenAI-format SSE response body: chat's `data:` frames ending with `data: [DONE]`, or
/// the typed events of the Responses API and image generation. Implements `Stream`, so it goes straight into `axum::body::Body::from_stream`.
pub struct ChatStream {
    body: BoxStream<'static, Result<Bytes, StreamError>>,
    usage: StreamUsage,
}

impl ChatStream {
    /// A handle on the usage this stream reports; keep it to settle the request.
    pub fn usage(&self) -> StreamUsage {
        self.usage.clone()
    }
}

impl fmt::Debug for ChatStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatStream")
            .field("progress", &self.usage.snapshot())
            .finish_non_exhaustive()
    }
}

impl Stream for ChatStream {
    type Item = Result<Bytes, StreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.body.poll_next_unpin(cx)
    }
}

/// What the translator wants after an event.
pub(crate) enum Flow {
    Continue,
    End(StreamEnd),
}

/// Turns upstream SSE events into client frames; one per provider.
pub(crate) trait EventTranslator: Send + 'static {
    /// Handles one upstream event: queues client frames on `out`, records usage on `tracker`.
    fn on_event(
        &mut self,
        event: Event,
        out: &mut VecDeque<Bytes>,
        tracker: &StreamTracker,
    ) -> Result<Flow, StreamError>;

    /// The upstream closed the stream: how it ended, or why that is an error. Most upstreams
    /// send a terminal event first, so a close is an unexpected end; some (Gemini, the typed
    /// events) just close after their last event.
    fn on_close(
        &mut self,
        _out: &mut VecDeque<Bytes>,
        _tracker: &StreamTracker,
    ) -> Result<StreamEnd, StreamError> {
        Err(StreamError::UnexpectedEnd)
    }
}

struct DriverState<T> {
    events: BoxStream<'static, Result<Event, EventStreamError<reqwest::Error>>>,
    translator: T,
    tracker: StreamTracker,
    pending: VecDeque<Bytes>,
    done: bool,
    idle_timeout: Duration,
}

/// Parses the upstream body as SSE and runs `translator` over it, with the idle timeout
/// applied between events.
pub(crate) fn translate<T: EventTranslator>(
    response: reqwest::Response,
    translator: T,
    idle_timeout: Duration,
) -> ChatStream {
    let (tracker, usage) = StreamTracker::new();
    let state = DriverState {
        events: response.bytes_stream().eventsource().boxed(),
        translator,
        tracker,
        pending: VecDeque::new(),
        done: false,
        idle_timeout,
    };
    let body = futures::stream::unfold(state, |mut st| async move {
        loop {
            if let Some(frame) = st.pending.pop_front() {
                return Some((Ok(frame), st));
            }
            if st.done {
                return None;
            }
            let failure = match tokio::time::timeout(st.idle_timeout, st.events.next()).await {
                Err(_) => StreamError::IdleTimeout(st.idle_timeout),
                Ok(None) => match st.translator.on_close(&mut st.pending, &st.tracker) {
                    Ok(end) => {
                        st.done = true;
                        st.tracker.finish(end);
                        continue;
                    }
                    Err(e) => e,
                },
                Ok(Some(Err(e))) => from_event_error(e),
                Ok(Some(Ok(event))) => {
                    match st.translator.on_event(event, &mut st.pending, &st.tracker) {
                        Ok(Flow::Continue) => continue,
                        Ok(Flow::End(end)) => {
                            st.done = true;
                            st.tracker.finish(end);
                            continue;
                        }
                        Err(e) => e,
                    }
                }
            };
            st.done = true;
            st.pending.clear();
            st.tracker.finish(StreamEnd::Failed);
            return Some((Err(failure), st));
        }
    });
    ChatStream {
        body: body.boxed(),
        usage,
    }
}

fn from_event_error(err: EventStreamError<reqwest::Error>) -> StreamError {
    match err {
        EventStreamError::Transport(e) => StreamError::Transport(error_chain(&e.without_url())),
        EventStreamError::Utf8(e) => StreamError::Malformed(e.to_string()),
        EventStreamError::Parser(e) => StreamError::Malformed(format!("SSE syntax ({:?})", e.code)),
    }
}

/// Frames an event payload as SSE `data:` lines, keeping the payload bytes as they are.
pub(crate) fn data_frame(payload: &[u8]) -> Bytes {
    event_frame(None, payload)
}

/// Frames a payload as SSE: an `event:` line when the event is named, then `data:` lines.
pub(crate) fn event_frame(event: Option<&str>, payload: &[u8]) -> Bytes {
    let name_len = event.map_or(0, |name| name.len() + 8);
    let mut frame = BytesMut::with_capacity(payload.len() + name_len + 8);
    if let Some(name) = event {
        frame.put_slice(b"event: ");
        frame.put_slice(name.as_bytes());
        frame.put_u8(b'\n');
    }
    // A payload spanning several `data:` lines was joined with '\n' by the parser.
    for line in payload.split(|b| *b == b'\n') {
        frame.put_slice(b"data: ");
        frame.put_slice(line);
        frame.put_u8(b'\n');
    }
    frame.put_u8(b'\n');
    frame.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_frame_keeps_payload_and_splits_lines() {
        assert_eq!(&data_frame(b"{\"a\":1}")[..], b"data: {\"a\":1}\n\n");
        assert_eq!(&data_frame(b"x\ny")[..], b"data: x\ndata: y\n\n");
        assert_eq!(
            &event_frame(Some("response.created"), b"{}")[..],
            b"event: response.created\ndata: {}\n\n"
        );
    }

    #[tokio::test]
    async fn dropped_tracker_marks_the_end_and_keeps_usage() {
        let (tracker, usage) = StreamTracker::new();
        let seen = Usage::new(3, 4);
        tracker.record(seen);
        assert_eq!(usage.snapshot().end, None);
        drop(tracker);
        let last = usage.finished().await;
        assert_eq!(last.end, Some(StreamEnd::Dropped));
        assert_eq!(last.usage, Some(seen));
    }

    #[tokio::test]
    async fn first_end_wins() {
        let (tracker, usage) = StreamTracker::new();
        tracker.finish(StreamEnd::Completed);
        drop(tracker);
        assert_eq!(usage.finished().await.end, Some(StreamEnd::Completed));
    }
}
