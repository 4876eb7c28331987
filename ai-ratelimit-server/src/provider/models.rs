//! OpenAI's model list (`GET /models`) made from a translated provider's own list, so the
//! official SDKs' `models.list()` reads it.

use bytes::Bytes;
use serde_json::{Value, json};

/// One model of a provider's list.
pub(crate) struct ModelEntry {
    /// The id to send as `model`.
    pub(crate) id: String,
    /// Unix seconds of its creation; 0 when the provider does not say.
    pub(crate) created: i64,
}

/// `{"object": "list", "data": [{"id", "object": "model", "created", "owned_by"}]}`.
pub(crate) fn openai_list(models: impl IntoIterator<Item = ModelEntry>, owned_by: &str) -> Bytes {
    let data: Vec<Value> = models
        .into_iter()
        .map(|m| json!({"id": m.id, "object": "model", "created": m.created, "owned_by": owned_by}))
        .collect();
    Bytes::from(json!({"object": "list", "data": data}).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_in_openais_shape() {
        let body = openai_list(
            [ModelEntry {
                id: "m-1".into(),
                created: 7,
            }],
            "acme",
        );
        let value: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(
            value,
            json!({"object": "list", "data": [{"id": "m-1", "object": "model", "created": 7, "owned_by": "acme"}]})
        );
    }
}
