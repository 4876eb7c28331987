//! The tokens an admitted call reserves, per operation, until the provider reports its real
//! usage (or in its place, when it reports none): the input text at one token per four
//! characters plus the output allowance for generating calls, the input alone for
//! embeddings, nothing for images (they count as a request; tokens only where reported).

use ai_ratelimit_core::estimate::{self, TOKENS_PER_MESSAGE, text_tokens};
use serde_json::Value;

use crate::provider::Operation;

/// Tokens to reserve for `body` of `operation`.
pub fn reserved_tokens(operation: Operation, body: &Value, default_output_tokens: u64) -> u64 {
    match operation {
        Operation::Chat => estimate::request_tokens(body, default_output_tokens),
        Operation::Responses => {
            let instructions = body
                .get("instructions")
                .and_then(Value::as_str)
                .map_or(0, text_tokens);
            let output = body
                .get("max_output_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(default_output_tokens);
            responses_input_tokens(body.get("input"))
                .saturating_add(instructions)
                .saturating_add(output)
        }
        Operation::Embeddings => embeddings_input_tokens(body.get("input")),
        Operation::Images | Operation::Models => 0,
    }
}

/// The Responses API's `input`: a string, or items (messages with string or part content,
/// tool outputs), each with the framing of a chat message.
fn responses_input_tokens(input: Option<&Value>) -> u64 {
    match input {
        Some(Value::String(text)) => text_tokens(text),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| {
                let content = match item.get("content") {
                    Some(Value::String(text)) => text_tokens(text),
                    Some(Value::Array(parts)) => parts
                        .iter()
                        .filter_map(|p| p.get("text").and_then(Value::as_str))
                        .map(text_tokens)
                        .sum(),
                    _ => 0,
                };
                // Tool results and calls carry their text here instead.
                let tool_text: u64 = ["output", "arguments"]
                    .iter()
                    .filter_map(|field| item.get(*field).and_then(Value::as_str))
                    .map(text_tokens)
                    .sum();
                content + tool_text + TOKENS_PER_MESSAGE
            })
            .sum(),
        _ => 0,
    }
}

/// Embeddings' `input`: a string, strings, or token arrays (counted exactly).
fn embeddings_input_tokens(input: Option<&Value>) -> u64 {
    match input {
        Some(Value::String(text)) => text_tokens(text),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(text) => text_tokens(text),
                Value::Array(tokens) => tokens.len() as u64,
                // One token id of a flat token array.
                Value::Number(_) => 1,
                _ => 0,
            })
            .sum(),
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn each_operation_reserves_its_own_estimate() {
        let chat = json!({"messages": [{"role": "user", "content": "abcdefgh"}], "max_tokens": 10});
        assert_eq!(reserved_tokens(Operation::Chat, &chat, 99), 2 + 4 + 10);

        let plain = json!({"input": "abcdefgh", "instructions": "abcd"});
        assert_eq!(
            reserved_tokens(Operation::Responses, &plain, 50),
            2 + 1 + 50
        );
        let items = json!({"input": [
            {"role": "user", "content": "abcd"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "abcdefgh"}, {"type": "input_image"}]},
            {"type": "function_call_output", "call_id": "c", "output": "abcd"}
        ], "max_output_tokens": 7});
        assert_eq!(
            reserved_tokens(Operation::Responses, &items, 50),
            (1 + 4) + (2 + 4) + (1 + 4) + 7
        );

        assert_eq!(
            reserved_tokens(Operation::Embeddings, &json!({"input": "abcdefgh"}), 50),
            2
        );
        assert_eq!(
            reserved_tokens(
                Operation::Embeddings,
                &json!({"input": ["abcd", [1, 2, 3]]}),
                50
            ),
            1 + 3
        );
        assert_eq!(
            reserved_tokens(Operation::Embeddings, &json!({"input": [5, 6]}), 50),
            2
        );
        assert_eq!(
            reserved_tokens(Operation::Images, &json!({"prompt": "a cat"}), 50),
            0
        );
    }
}
