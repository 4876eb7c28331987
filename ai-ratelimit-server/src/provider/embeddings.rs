//! OpenAI's embeddings request and answer, for providers with an embeddings API of their own
//! (Gemini, Cohere): the texts and options read from OpenAI's request, and OpenAI's answer
//! written from the provider's vectors — as floats, or as base64 when the client asked (the
//! official Python SDK asks for base64 by default and decodes it itself).

use base64::Engine as _;
use bytes::Bytes;
use serde_json::{Map, Value, json};

use super::{ProviderError, ProviderKind, Usage};

/// What a translated provider needs of OpenAI's embeddings request.
#[derive(Debug)]
pub(crate) struct EmbeddingsRequest {
    /// `model`.
    pub(crate) model: String,
    /// `input`, one text per vector.
    pub(crate) texts: Vec<String>,
    /// `dimensions`, if given.
    pub(crate) dimensions: Option<u64>,
    /// Whether to answer base64 (`encoding_format: "base64"`).
    pub(crate) base64: bool,
}

/// Reads OpenAI's embeddings body; token-array inputs cannot be translated.
pub(crate) fn read_request(
    body: &Map<String, Value>,
    provider: ProviderKind,
) -> Result<EmbeddingsRequest, ProviderError> {
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .ok_or_else(|| ProviderError::invalid_request("model", "model must be a string"))?
        .to_owned();
    let texts = match body.get("input") {
        Some(Value::String(text)) => vec![text.clone()],
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, item)| {
                item.as_str().map(str::to_owned).ok_or_else(|| {
                    ProviderError::invalid_request(
                        format!("input[{i}]"),
                        format!("provider {provider} embeds text only (no token arrays)"),
                    )
                })
            })
            .collect::<Result<_, _>>()?,
        _ => {
            return Err(ProviderError::invalid_request(
                "input",
                "input must be a string or a non-empty array of strings",
            ));
        }
    };
    let dimensions = match body.get("dimensions") {
        None | Some(Value::Null) => None,
        Some(value) => Some(value.as_u64().filter(|d| *d > 0).ok_or_else(|| {
            ProviderError::invalid_request("dimensions", "dimensions must be a positive integer")
        })?),
    };
    let base64 = match body.get("encoding_format").and_then(Value::as_str) {
        None | Some("float") => false,
        Some("base64") => true,
        Some(_) => {
            return Err(ProviderError::invalid_request(
                "encoding_format",
                "encoding_format must be float or base64",
            ));
        }
    };
    Ok(EmbeddingsRequest {
        model,
        texts,
        dimensions,
        base64,
    })
}

/// OpenAI's embeddings answer. `usage` only when the provider reported one (an invented
/// count would be worse than none; the proxy then counts its estimate).
pub(crate) fn answer(
    request: &EmbeddingsRequest,
    vectors: &[Vec<f64>],
    usage: Option<Usage>,
) -> Bytes {
    let data: Vec<Value> = vectors
        .iter()
        .enumerate()
        .map(|(index, vector)| {
            let embedding = if request.base64 {
                Value::String(base64_floats(vector))
            } else {
                json!(vector)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let mut out = json!({"object": "list", "data": data, "model": request.model});
    if let Some(usage) = usage {
        out["usage"] =
            json!({"prompt_tokens": usage.prompt_tokens, "total_tokens": usage.total_tokens});
    }
    Bytes::from(out.to_string())
}

/// OpenAI's base64 encoding: the vector as little-endian `f32`s.
fn base64_floats(vector: &[f64]) -> String {
    let mut bytes = Vec::with_capacity(vector.len() * 4);
    for value in vector {
        // Narrowing is the format: OpenAI's base64 embeddings are float32.
        bytes.extend_from_slice(&(*value as f32).to_le_bytes());
    }
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn reads_texts_and_options() {
        let one = read_request(
            &body(
                json!({"model": "m", "input": "a", "encoding_format": "base64", "dimensions": 8}),
            ),
            ProviderKind::Gemini,
        )
        .expect("valid");
        assert_eq!(
            (one.texts, one.dimensions, one.base64),
            (vec!["a".to_owned()], Some(8), true)
        );
        let field = |value: Value| match read_request(&body(value), ProviderKind::Cohere) {
            Err(ProviderError::InvalidRequest { field, .. }) => field,
            other => panic!("expected an invalid request, got {other:?}"),
        };
        assert_eq!(
            field(json!({"model": "m", "input": ["a", [1, 2]]})),
            "input[1]"
        );
        assert_eq!(field(json!({"model": "m", "input": []})), "input");
        assert_eq!(field(json!({"input": "a"})), "model");
        assert_eq!(
            field(json!({"model": "m", "input": "a", "encoding_format": "int8"})),
            "encoding_format"
        );
    }

    #[test]
    fn answers_floats_or_little_endian_base64() {
        let request = EmbeddingsRequest {
            model: "m".into(),
            texts: vec!["a".into()],
            dimensions: None,
            base64: true,
        };
        let value: Value =
            serde_json::from_slice(&answer(&request, &[vec![1.0, -2.5]], None)).expect("json");
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(value["data"][0]["embedding"].as_str().expect("base64"))
            .expect("decodes");
        assert_eq!(
            decoded,
            [1.0f32.to_le_bytes(), (-2.5f32).to_le_bytes()].concat()
        );
        assert!(value.get("usage").is_none());
        let floats = EmbeddingsRequest {
            base64: false,
            ..request
        };
        let value: Value =
            serde_json::from_slice(&answer(&floats, &[vec![0.5]], Some(Usage::new(3, 0))))
                .expect("json");
        assert_eq!(
            value["data"][0],
            json!({"object": "embedding", "index": 0, "embedding": [0.5]})
        );
        assert_eq!(
            value["usage"],
            json!({"prompt_tokens": 3, "total_tokens": 3})
        );
    }
}
