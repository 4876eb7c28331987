//! Token estimates, for reservations and for providers that report no usage.
//!
//! The rule: one token per four characters of text, rounded up, plus four tokens of
//! framing per chat message. It overestimates English slightly and underestimates code and
//! CJK text; it is only used until (or when) a provider reports real usage.

use serde_json::Value;

/// Framing tokens counted per chat message (role, separators).
pub const TOKENS_PER_MESSAGE: u64 = 4;

/// Estimated tokens of a text: characters / 4, rounded up.
pub fn text_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}

/// Estimated prompt tokens of an OpenAI-format chat body (`messages[].content`, string or
/// array of parts with `text`), plus [`TOKENS_PER_MESSAGE`] per message.
pub fn prompt_tokens(body: &Value) -> u64 {
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return 0;
    };
    messages
        .iter()
        .map(|m| {
            let content = match m.get("content") {
                Some(Value::String(s)) => text_tokens(s),
                Some(Value::Array(parts)) => parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .map(text_tokens)
                    .sum(),
                _ => 0,
            };
            content + TOKENS_PER_MESSAGE
        })
        .sum()
}

/// Tokens to reserve for a chat request: the prompt estimate plus `max_completion_tokens`
/// or `max_tokens` when given, else `default_output_tokens`.
pub fn request_tokens(body: &Value, default_output_tokens: u64) -> u64 {
    let output = ["max_completion_tokens", "max_tokens"]
        .iter()
        .find_map(|f| body.get(*f).and_then(Value::as_u64))
        .unwrap_or(default_output_tokens);
    prompt_tokens(body).saturating_add(output)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn four_characters_per_token_rounded_up() {
        assert_eq!(text_tokens(""), 0);
        assert_eq!(text_tokens("abcd"), 1);
        assert_eq!(text_tokens("abcde"), 2);
        assert_eq!(text_tokens("日本語の"), 1);
    }

    #[test]
    fn chat_bodies() {
        let body = json!({"messages": [
            {"role": "system", "content": "12345678"},
            {"role": "user", "content": [{"type": "text", "text": "abcd"}, {"type": "image_url"}]}
        ], "max_tokens": 100});
        assert_eq!(prompt_tokens(&body), 2 + 4 + 1 + 4);
        assert_eq!(request_tokens(&body, 7), 111);
        assert_eq!(request_tokens(&json!({"messages": []}), 7), 7);
        assert_eq!(
            request_tokens(&json!({"max_completion_tokens": 5, "max_tokens": 9}), 7),
            5
        );
    }
}
