//! OpenAI's wire format passed through unchanged (OpenAI, Azure OpenAI, compatible servers):
//! the usage this proxy reads on the way, and the two stream shapes — chat's `data:` chunks
//! ending with `[DONE]`, and the typed events of the Responses API and image generation.

use std::collections::VecDeque;

use bytes::Bytes;
use eventsource_stream::Event;
use serde::Deserialize;
use serde::de::IgnoredAny;

use super::Usage;
use super::stream::{
    self, DONE_FRAME, EventTranslator, Flow, StreamEnd, StreamError, StreamTracker,
};

/// The fields of an OpenAI answer or chunk this proxy reads; everything else is ignored.
#[derive(Deserialize)]
pub(crate) struct UsageProbe {
    #[serde(default)]
    choices: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    pub(crate) usage: Option<WireUsage>,
}

/// An upstream error object inside a stream (`{"error": {...}}`).
#[derive(Deserialize)]
struct ErrorProbe {
    #[serde(default)]
    error: Option<IgnoredAny>,
}

/// OpenAI's `usage` in each operation's spelling: chat (`prompt_tokens`, `completion_tokens`),
/// responses and images (`input_tokens`, `output_tokens`), embeddings (`prompt_tokens` only);
/// all with `total_tokens`.
#[derive(Deserialize, Default)]
pub(crate) struct WireUsage {
    #[serde(default)]
    prompt_tokens: Option<u64>,
    #[serde(default)]
    completion_tokens: Option<u64>,
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    total_tokens: Option<u64>,
}

impl WireUsage {
    /// The usage, or `None` when no count is present at all.
    pub(crate) fn reported(&self) -> Option<Usage> {
        let input = self.prompt_tokens.or(self.input_tokens);
        let output = self.completion_tokens.or(self.output_tokens);
        if input.is_none() && output.is_none() && self.total_tokens.is_none() {
            return None;
        }
        let mut usage = Usage::new(input.unwrap_or(0), output.unwrap_or(0));
        if let Some(total) = self.total_tokens {
            usage.total_tokens = total;
        }
        Some(usage)
    }
}

/// Chat chunks: every event's payload passes through unchanged; usage is read on the way and
/// the usage-only chunk the client did not ask for is hidden.
pub(crate) struct ChatChunks {
    pub(crate) client_wants_usage: bool,
}

impl EventTranslator for ChatChunks {
    fn on_event(
        &mut self,
        event: Event,
        out: &mut VecDeque<Bytes>,
        tracker: &StreamTracker,
    ) -> Result<Flow, StreamError> {
        if event.data == "[DONE]" {
            out.push_back(Bytes::from_static(DONE_FRAME));
            return Ok(Flow::End(StreamEnd::Completed));
        }
        // An upstream error object passes through and ends the stream as the upstream's
        // error: OpenAI closes the stream after it, without `[DONE]`, and the client has its
        // answer; ending the body with a transport error instead would let the client's
        // HTTP stack drop the error frame it had not read yet.
        if event.data.contains("\"error\"")
            && serde_json::from_str::<ErrorProbe>(&event.data).is_ok_and(|p| p.error.is_some())
        {
            out.push_back(stream::data_frame(event.data.as_bytes()));
            return Ok(Flow::End(StreamEnd::UpstreamError));
        }
        // Only a chunk naming `usage` is parsed (the last one): the others pass untouched.
        if event.data.contains("\"usage\"")
            && let Ok(probe) = serde_json::from_str::<UsageProbe>(&event.data)
            && let Some(usage) = probe.usage.as_ref().and_then(WireUsage::reported)
        {
            tracker.record(usage);
            let usage_only = probe.choices.is_some_and(|c| c.is_empty());
            if usage_only && !self.client_wants_usage {
                return Ok(Flow::Continue);
            }
        }
        out.push_back(stream::data_frame(event.data.as_bytes()));
        Ok(Flow::Continue)
    }
}

/// The typed events of the Responses API (`response.created` … `response.completed`) and of
/// streamed image generation (`image_generation.partial_image` …
/// `image_generation.completed`): each passes through unchanged, its `event:` name included.
/// Neither ends with `[DONE]`: the upstream closes the stream after its terminal event, whose
/// usage (`response.usage`, or each image's `usage`) is what the call counts.
pub(crate) struct TypedEvents {
    /// How the stream ends once the upstream closes it; `None` until a terminal event came.
    end: Option<StreamEnd>,
    usage: Option<Usage>,
}

impl TypedEvents {
    pub(crate) fn new() -> Self {
        Self {
            end: None,
            usage: None,
        }
    }
}

/// The fields of a typed event this proxy reads.
#[derive(Deserialize)]
struct TypedProbe {
    #[serde(rename = "type", default)]
    kind: String,
    /// The Responses API's terminal events carry the whole response.
    #[serde(default)]
    response: Option<ResponseProbe>,
    /// Image generation's `completed` event carries its own usage.
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct ResponseProbe {
    #[serde(default)]
    usage: Option<WireUsage>,
}

/// Event names after which the upstream closes the stream.
fn terminal(kind: &str) -> Option<StreamEnd> {
    match kind {
        "response.completed" | "response.incomplete" | "image_generation.completed" => {
            Some(StreamEnd::Completed)
        }
        "response.failed" | "error" => Some(StreamEnd::UpstreamError),
        _ => None,
    }
}

impl EventTranslator for TypedEvents {
    fn on_event(
        &mut self,
        event: Event,
        out: &mut VecDeque<Bytes>,
        tracker: &StreamTracker,
    ) -> Result<Flow, StreamError> {
        // A compatible server may still end with `[DONE]`; it is the end either way.
        if event.data == "[DONE]" {
            out.push_back(Bytes::from_static(DONE_FRAME));
            return Ok(Flow::End(self.end.unwrap_or(StreamEnd::Completed)));
        }
        // Only unnamed and terminal events are parsed: partial images are large and carry
        // nothing this proxy reads.
        let named = event.event != "message";
        if (!named || terminal(&event.event).is_some())
            && let Ok(probe) = serde_json::from_str::<TypedProbe>(&event.data)
            && let Some(end) = terminal(&probe.kind)
        {
            let usage = probe
                .response
                .and_then(|r| r.usage)
                .or(probe.usage)
                .as_ref()
                .and_then(WireUsage::reported);
            if let Some(usage) = usage {
                // Several images of one request each report their own usage.
                let total = self.usage.map_or(usage, |seen| seen.plus(usage));
                self.usage = Some(total);
                tracker.record(total);
            }
            if self.end != Some(StreamEnd::UpstreamError) {
                self.end = Some(end);
            }
        }
        let name = named.then_some(event.event.as_str());
        out.push_back(stream::event_frame(name, event.data.as_bytes()));
        Ok(Flow::Continue)
    }

    fn on_close(
        &mut self,
        _out: &mut VecDeque<Bytes>,
        _tracker: &StreamTracker,
    ) -> Result<StreamEnd, StreamError> {
        self.end.ok_or(StreamError::UnexpectedEnd)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(json: &str) -> Option<Usage> {
        serde_json::from_str::<WireUsage>(json)
            .expect("usage JSON")
            .reported()
    }

    #[test]
    fn reads_usage_in_every_spelling() {
        assert_eq!(
            usage(r#"{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}"#),
            Some(Usage::new(3, 4))
        );
        assert_eq!(
            usage(
                r#"{"input_tokens":5,"output_tokens":6,"total_tokens":11,"input_tokens_details":{"cached_tokens":0}}"#
            ),
            Some(Usage::new(5, 6))
        );
        assert_eq!(
            usage(r#"{"prompt_tokens":8,"total_tokens":8}"#),
            Some(Usage::new(8, 0))
        );
        assert_eq!(usage("{}"), None);
    }
}
