//! [`ApiJson`]: the JSON extractor of every handler, whose rejections are the API's error
//! shapes (400 with the offending field, 415, 413) instead of axum's plain-text ones.

use std::collections::HashMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Query, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::ApiError;

/// A JSON object request body deserialized into `T`; errors name the path of the bad value.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let axum::Json(mut value) = axum::Json::<Value>::from_request(req, state)
            .await
            .map_err(json_rejection)?;
        // Every body of this API is an object; serde alone would also read a struct from an
        // array of its field values.
        if !value.is_object() {
            return Err(ApiError::invalid("the body must be a JSON object"));
        }
        integral_floats_as_integers(&mut value);
        from_value(value).map(ApiJson)
    }
}

/// Rewrites numbers like `50.0` as `50`: JSON (and JSON Schema's `integer`) does not tell
/// them apart, but serde's integer fields refuse the float spelling.
fn integral_floats_as_integers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64()
                && f.fract() == 0.0
                // Exact in an f64 and in an i64: beyond 2^53 the float is not that integer.
                && f.abs() <= 9_007_199_254_740_992.0
            {
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *value = Value::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

/// The query string as a map; a malformed one is a JSON 400 like every other error.
#[derive(Debug, Clone, Default)]
pub struct ApiQuery(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for ApiQuery {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        Query::<HashMap<String, String>>::try_from_uri(&parts.uri)
            .map(|Query(map)| ApiQuery(map))
            .map_err(|_| ApiError::invalid("malformed query string"))
    }
}

/// Deserializes `value` into `T`, turning serde's error into a 400 with the value's path.
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        let message = redact_strings(&e.into_inner().to_string());
        if path == "." {
            // serde reports a missing field at the parent; name it like any other bad field.
            match missing_field(&message) {
                Some(field) => ApiError::invalid_field(field, message),
                None => ApiError::invalid(message),
            }
        } else {
            ApiError::invalid_field(path, message)
        }
    })
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}

/// Maps axum's JSON rejections onto the API's codes.
pub fn json_rejection(rejection: JsonRejection) -> ApiError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ApiError::UnsupportedMediaType,
        _ => match rejection {
            JsonRejection::JsonSyntaxError(e) => {
                ApiError::invalid(format!("malformed JSON: {}", e.body_text()))
            }
            other => ApiError::invalid(other.body_text()),
        },
    }
}

/// Removes string values quoted by serde messages (`invalid type: string "…"`), so that an
/// error never echoes a value that might be a secret put in the wrong field.
pub fn redact_strings(message: &str) -> String {
    let once = redact_between(message, "string \"", '"', "string");
    redact_between(&once, "unknown variant `", '`', "unknown variant")
}

/// Replaces each `marker…close` by `replacement`.
fn redact_between(message: &str, marker: &str, close: char, replacement: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(marker) {
        out.push_str(&rest[..start]);
        out.push_str(replacement);
        let after = &rest[start + marker.len()..];
        rest = match after.find(close) {
            Some(end) => &after[end + close.len_utf8()..],
            None => "",
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integral_floats_become_integers() {
        let mut value = serde_json::json!({"a": 50.0, "b": [1.5, -2.0], "c": {"d": 1e300}});
        integral_floats_as_integers(&mut value);
        assert_eq!(
            value,
            serde_json::json!({"a": 50, "b": [1.5, -2], "c": {"d": 1e300}})
        );
    }

    #[test]
    fn strings_are_redacted() {
        assert_eq!(
            redact_strings("invalid type: string \"sk-secret\", expected u64"),
            "invalid type: string, expected u64"
        );
        assert_eq!(redact_strings("unknown field `x`"), "unknown field `x`");
        assert_eq!(
            redact_strings("unknown variant `sk-1`, expected `a` or `b`"),
            "unknown variant, expected `a` or `b`"
        );
    }
}
