//! OpenAI's chat answers written by the translating providers (Gemini, Cohere): the whole
//! `chat.completion` and the `chat.completion.chunk` frames of a stream.

use bytes::Bytes;
use serde_json::{Value, json};

use super::Usage;
use super::stream;

/// Who answered: the fields every chunk of one answer repeats.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub(crate) id: String,
    pub(crate) created: i64,
    pub(crate) model: String,
}

impl Answer {
    /// A whole `chat.completion` with one choice.
    pub(crate) fn completion(
        &self,
        text: &str,
        finish_reason: Value,
        usage: Option<Usage>,
    ) -> Bytes {
        let mut body = json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": null,
                "finish_reason": finish_reason,
            }],
        });
        if let Some(usage) = usage {
            body["usage"] = usage_json(usage);
        }
        Bytes::from(body.to_string())
    }

    /// One `data:` frame of a `chat.completion.chunk` with one choice.
    pub(crate) fn chunk(&self, delta: Value, finish_reason: Value) -> Bytes {
        let chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{
                "index": 0,
                "delta": delta,
                "logprobs": null,
                "finish_reason": finish_reason,
            }],
        });
        stream::data_frame(chunk.to_string().as_bytes())
    }

    /// The usage-only chunk (`choices: []`) a client asks for with `stream_options.include_usage`.
    pub(crate) fn usage_chunk(&self, usage: Usage) -> Bytes {
        let chunk = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": usage_json(usage),
        });
        stream::data_frame(chunk.to_string().as_bytes())
    }
}

fn usage_json(usage: Usage) -> Value {
    json!({
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
    })
}

/// An error chunk: OpenAI's clients raise on a `data:` payload carrying `error`.
pub(crate) fn error_chunk(message: &str, code: Option<&str>) -> Bytes {
    let error =
        json!({"error": {"message": message, "type": "api_error", "param": null, "code": code}});
    stream::data_frame(error.to_string().as_bytes())
}
