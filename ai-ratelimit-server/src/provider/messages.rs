//! Reading OpenAI's chat request for the providers that translate it (Gemini, Cohere): roles,
//! text content and the sampling fields, each error naming the offending field. Only text
//! travels: other content parts are refused rather than silently dropped.

use serde_json::{Map, Value};

use super::{ProviderError, ProviderKind};

/// Who wrote a message, in the three roles every translated API has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// `system` or `developer`.
    System,
    /// `user`.
    User,
    /// `assistant`.
    Assistant,
}

/// One message of the chat: its role and its text parts.
pub(crate) struct Message<'a> {
    pub(crate) role: Role,
    pub(crate) texts: Vec<&'a str>,
}

/// The `model` field.
pub(crate) fn model(body: &Map<String, Value>) -> Result<&str, ProviderError> {
    body.get("model")
        .and_then(Value::as_str)
        .filter(|m| !m.is_empty())
        .ok_or_else(|| ProviderError::invalid_request("model", "model must be a string"))
}

/// The `messages`, text only.
pub(crate) fn messages(
    body: &Map<String, Value>,
    provider: ProviderKind,
) -> Result<Vec<Message<'_>>, ProviderError> {
    let raw = body
        .get("messages")
        .and_then(Value::as_array)
        .ok_or_else(|| ProviderError::invalid_request("messages", "messages must be an array"))?;
    raw.iter()
        .enumerate()
        .map(|(i, message)| {
            let role = match message.get("role").and_then(Value::as_str) {
                Some("system" | "developer") => Role::System,
                Some("user") => Role::User,
                Some("assistant") => Role::Assistant,
                _ => {
                    return Err(ProviderError::invalid_request(
                        format!("messages[{i}].role"),
                        format!(
                            "provider {provider} supports the roles system, developer, user and assistant"
                        ),
                    ));
                }
            };
            let path = format!("messages[{i}].content");
            let texts = match message.get("content") {
                Some(Value::String(text)) => vec![text.as_str()],
                Some(Value::Array(parts)) => parts
                    .iter()
                    .enumerate()
                    .map(|(j, part)| text_part(part, &format!("{path}[{j}]"), provider))
                    .collect::<Result<_, _>>()?,
                // An assistant turn may carry no content.
                None | Some(Value::Null) if role == Role::Assistant => Vec::new(),
                _ => {
                    return Err(ProviderError::invalid_request(
                        path,
                        "content must be a string or an array of text parts",
                    ));
                }
            };
            Ok(Message { role, texts })
        })
        .collect()
}

fn text_part<'a>(
    part: &'a Value,
    path: &str,
    provider: ProviderKind,
) -> Result<&'a str, ProviderError> {
    if part.get("type").and_then(Value::as_str) != Some("text") {
        return Err(ProviderError::invalid_request(
            format!("{path}.type"),
            format!("provider {provider} supports only text content parts"),
        ));
    }
    part.get("text").and_then(Value::as_str).ok_or_else(|| {
        ProviderError::invalid_request(format!("{path}.text"), "text must be a string")
    })
}

/// `max_completion_tokens`, else `max_tokens`.
pub(crate) fn max_tokens(body: &Map<String, Value>) -> Result<Option<u64>, ProviderError> {
    for field in ["max_completion_tokens", "max_tokens"] {
        match body.get(field) {
            None | Some(Value::Null) => {}
            Some(value) => {
                return value.as_u64().map(Some).ok_or_else(|| {
                    ProviderError::invalid_request(
                        field,
                        format!("{field} must be a positive integer"),
                    )
                });
            }
        }
    }
    Ok(None)
}

/// `stop`: a string or an array of strings.
pub(crate) fn stop(body: &Map<String, Value>) -> Result<Option<Vec<String>>, ProviderError> {
    match body.get("stop") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(vec![s.clone()])),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => Ok(Some(
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
        )),
        Some(_) => Err(ProviderError::invalid_request(
            "stop",
            "stop must be a string or an array of strings",
        )),
    }
}

/// A numeric field, if present.
pub(crate) fn number(
    body: &Map<String, Value>,
    field: &str,
) -> Result<Option<Value>, ProviderError> {
    match body.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(v) if v.is_number() => Ok(Some(v.clone())),
        Some(_) => Err(ProviderError::invalid_request(field, "must be a number")),
    }
}

/// Whether `response_format` asks for JSON (`json_object`); other formats (a JSON schema)
/// cannot be kept faithfully and are refused.
pub(crate) fn wants_json(
    body: &Map<String, Value>,
    provider: ProviderKind,
) -> Result<bool, ProviderError> {
    match body.get("response_format") {
        None | Some(Value::Null) => Ok(false),
        Some(format) => match format.get("type").and_then(Value::as_str) {
            Some("text") => Ok(false),
            Some("json_object") => Ok(true),
            _ => Err(ProviderError::invalid_request(
                "response_format.type",
                format!("provider {provider} supports response_format text or json_object"),
            )),
        },
    }
}

/// Tool calling is not translated: a request offering tools is refused rather than answered
/// by a model that never saw them.
pub(crate) fn no_tools(
    body: &Map<String, Value>,
    provider: ProviderKind,
) -> Result<(), ProviderError> {
    for field in ["tools", "tool_choice", "functions", "function_call"] {
        let offered = match body.get(field) {
            None | Some(Value::Null) => false,
            Some(Value::Array(items)) => !items.is_empty(),
            Some(_) => true,
        };
        if offered {
            return Err(ProviderError::invalid_request(
                field,
                format!("provider {provider} is served without tool calling"),
            ));
        }
    }
    Ok(())
}

/// `n`: translated providers answer one choice.
pub(crate) fn single_choice(
    body: &Map<String, Value>,
    provider: ProviderKind,
) -> Result<(), ProviderError> {
    match body.get("n") {
        None | Some(Value::Null) => Ok(()),
        Some(n) if n.as_u64() == Some(1) => Ok(()),
        Some(_) => Err(ProviderError::invalid_request(
            "n",
            format!("provider {provider} answers one choice (n = 1)"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn reads_roles_and_text_parts() {
        let b = body(json!({"messages": [
            {"role": "developer", "content": "Be brief."},
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
            {"role": "assistant", "content": null}
        ]}));
        let read = messages(&b, ProviderKind::Gemini).expect("valid");
        assert_eq!(read[0].role, Role::System);
        assert_eq!(read[1].texts, ["a", "b"]);
        assert!(read[2].texts.is_empty());
    }

    #[test]
    fn errors_name_the_field() {
        let field = |value: Value| {
            let b = body(value);
            let result = messages(&b, ProviderKind::Cohere)
                .map(|_| ())
                .and_then(|()| max_tokens(&b).map(|_| ()))
                .and_then(|()| stop(&b).map(|_| ()))
                .and_then(|()| wants_json(&b, ProviderKind::Cohere).map(|_| ()))
                .and_then(|()| single_choice(&b, ProviderKind::Cohere))
                .and_then(|()| no_tools(&b, ProviderKind::Cohere));
            match result {
                Err(ProviderError::InvalidRequest { field, .. }) => field,
                other => panic!("expected an invalid request, got {other:?}"),
            }
        };
        assert_eq!(field(json!({})), "messages");
        assert_eq!(
            field(json!({"messages": [{"role": "tool", "content": "x"}]})),
            "messages[0].role"
        );
        assert_eq!(
            field(json!({"messages": [{"role": "user", "content": [{"type": "image_url"}]}]})),
            "messages[0].content[0].type"
        );
        assert_eq!(
            field(json!({"messages": [{"role": "user"}]})),
            "messages[0].content"
        );
        assert_eq!(
            field(json!({"messages": [], "max_tokens": -1})),
            "max_tokens"
        );
        assert_eq!(field(json!({"messages": [], "stop": 3})), "stop");
        assert_eq!(
            field(json!({"messages": [], "response_format": {"type": "json_schema"}})),
            "response_format.type"
        );
        assert_eq!(field(json!({"messages": [], "n": 2})), "n");
        assert_eq!(
            field(json!({"messages": [], "tools": [{"type": "function"}]})),
            "tools"
        );
        assert!(
            no_tools(
                &body(json!({"tools": [], "tool_choice": null})),
                ProviderKind::Gemini
            )
            .is_ok()
        );
    }
}
