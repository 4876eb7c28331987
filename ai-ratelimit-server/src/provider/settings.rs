//! Provider-specific project settings (the project's `providerSettings`): one optional object
//! per provider that has any, validated once when a project is written, with the path of the
//! offending value. Nothing here is secret (keys live in the encrypted `providerApiKey`).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Azure OpenAI's `api-version` when a project names none: the latest GA version at the
/// time of writing, which takes `stream_options` (so streams report their usage).
pub const DEFAULT_AZURE_API_VERSION: &str = "2024-10-21";

/// Longest Azure deployment name Azure accepts.
const MAX_DEPLOYMENT_CHARS: usize = 64;
/// Most entries of a settings list or map: configuration, not data.
const MAX_ENTRIES: usize = 64;

/// Settings of each provider; only the one of the project's `provider` is used, so switching
/// providers back and forth keeps both.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ProviderSettings {
    /// Provider `azure`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object_or_null"
    )]
    pub azure: Option<AzureSettings>,
    /// Provider `gemini`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object_or_null"
    )]
    pub gemini: Option<GeminiSettings>,
    /// Provider `cohere`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "object_or_null"
    )]
    pub cohere: Option<CohereSettings>,
}

/// A settings object or `null`: serde would also read a struct from an array of its field
/// values (`[null, null]`), which the API does not accept. Reads the map in place, so that
/// errors inside it keep their path.
fn object_or_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    struct ObjectOrNull<T>(std::marker::PhantomData<T>);

    impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for ObjectOrNull<T> {
        type Value = Option<T>;

        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object or null")
        }

        fn visit_unit<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_none<E: serde::de::Error>(self) -> Result<Option<T>, E> {
            Ok(None)
        }

        fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Option<T>, A::Error> {
            T::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(Some)
        }
    }

    deserializer.deserialize_any(ObjectOrNull(std::marker::PhantomData))
}

/// Azure OpenAI: which deployment serves a model, and the API version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AzureSettings {
    /// The `api-version` query parameter (`YYYY-MM-DD` or `YYYY-MM-DD-preview`; default
    /// `2024-10-21`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "2024-10-21")]
    pub api_version: Option<String>,
    /// The deployment of a model not listed in `deployments` (default: the model's name,
    /// for deployments named after their model).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "gpt-4o-prod")]
    pub deployment: Option<String>,
    /// Deployment by requested `model`, e.g. `{"text-embedding-3-small": "embed-prod"}`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub deployments: BTreeMap<String, String>,
}

impl AzureSettings {
    /// The `api-version` to send.
    pub fn api_version(&self) -> &str {
        self.api_version
            .as_deref()
            .unwrap_or(DEFAULT_AZURE_API_VERSION)
    }

    /// The deployment serving `model`.
    pub fn deployment_for<'a>(&'a self, model: &'a str) -> &'a str {
        self.deployments
            .get(model)
            .or(self.deployment.as_ref())
            .map_or(model, String::as_str)
    }
}

/// Google Gemini: safety settings sent with every `generateContent` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GeminiSettings {
    /// Gemini's `safetySettings`, e.g. `[{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub safety_settings: Vec<GeminiSafetySetting>,
}

/// One of Gemini's safety settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GeminiSafetySetting {
    /// A harm category, `HARM_CATEGORY_…`.
    #[schema(example = "HARM_CATEGORY_HARASSMENT")]
    pub category: String,
    /// The blocking threshold.
    pub threshold: GeminiThreshold,
}

/// Gemini's `HarmBlockThreshold`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum GeminiThreshold {
    /// Block low probability and above.
    BlockLowAndAbove,
    /// Block medium probability and above.
    BlockMediumAndAbove,
    /// Block only high probability.
    BlockOnlyHigh,
    /// Block nothing.
    BlockNone,
    /// Turn the safety filter off.
    Off,
}

/// Cohere: the safety mode of chats and the input type of embeddings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct CohereSettings {
    /// Cohere's `safety_mode` for chats (default: Cohere's own, `CONTEXTUAL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety_mode: Option<CohereSafetyMode>,
    /// Cohere's `input_type` for embeddings, which OpenAI's request cannot say (default
    /// `search_document`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_input_type: Option<CohereInputType>,
}

/// Cohere's `safety_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CohereSafetyMode {
    /// Cohere's default.
    Contextual,
    /// Stricter guardrails.
    Strict,
    /// No safety preamble.
    Off,
}

/// Cohere's embedding `input_type`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CohereInputType {
    /// Documents stored for search.
    #[default]
    SearchDocument,
    /// Queries searched with.
    SearchQuery,
    /// Texts to classify.
    Classification,
    /// Texts to cluster.
    Clustering,
}

impl CohereInputType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            CohereInputType::SearchDocument => "search_document",
            CohereInputType::SearchQuery => "search_query",
            CohereInputType::Classification => "classification",
            CohereInputType::Clustering => "clustering",
        }
    }
}

/// A setting was rejected. Messages never quote the value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct SettingsError {
    /// Path of the offending value below `providerSettings`, e.g. `azure.apiVersion`.
    pub field: String,
    /// A human sentence.
    pub message: String,
}

impl SettingsError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl ProviderSettings {
    /// Reads and validates settings from JSON (unknown fields rejected).
    pub fn from_json(value: Value) -> Result<Self, SettingsError> {
        // serde would also read the struct from an array of its field values.
        if !value.is_object() {
            return Err(SettingsError::new("", "must be an object or null"));
        }
        let settings: ProviderSettings = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let message = crate::json::redact_strings(&e.into_inner().to_string());
            SettingsError::new(if path == "." { String::new() } else { path }, message)
        })?;
        settings.validate()?;
        Ok(settings)
    }

    /// Whether nothing is set (stored as `NULL`, not shown).
    pub fn is_empty(&self) -> bool {
        self == &ProviderSettings::default()
    }

    /// Azure's settings, or the defaults.
    pub fn azure(&self) -> AzureSettings {
        self.azure.clone().unwrap_or_default()
    }

    fn validate(&self) -> Result<(), SettingsError> {
        if let Some(azure) = &self.azure {
            if let Some(version) = &azure.api_version
                && !is_api_version(version)
            {
                return Err(SettingsError::new(
                    "azure.apiVersion",
                    "must look like 2024-10-21 or 2025-04-01-preview",
                ));
            }
            if let Some(deployment) = &azure.deployment
                && !is_deployment(deployment)
            {
                return Err(deployment_error("azure.deployment"));
            }
            if azure.deployments.len() > MAX_ENTRIES {
                return Err(SettingsError::new(
                    "azure.deployments",
                    format!("at most {MAX_ENTRIES} models"),
                ));
            }
            for (model, deployment) in &azure.deployments {
                if model.is_empty()
                    || model.chars().count() > 256
                    || model.chars().any(char::is_control)
                {
                    return Err(SettingsError::new(
                        "azure.deployments",
                        "model names must be 1 to 256 printable characters",
                    ));
                }
                if !is_deployment(deployment) {
                    return Err(deployment_error(&format!("azure.deployments.{model}")));
                }
            }
        }
        if let Some(gemini) = &self.gemini {
            if gemini.safety_settings.len() > MAX_ENTRIES {
                return Err(SettingsError::new(
                    "gemini.safetySettings",
                    format!("at most {MAX_ENTRIES} entries"),
                ));
            }
            for (i, setting) in gemini.safety_settings.iter().enumerate() {
                let valid = setting
                    .category
                    .strip_prefix("HARM_CATEGORY_")
                    .is_some_and(|rest| {
                        !rest.is_empty()
                            && rest.len() <= 64
                            && rest.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
                    });
                if !valid {
                    return Err(SettingsError::new(
                        format!("gemini.safetySettings[{i}].category"),
                        "must be a harm category such as HARM_CATEGORY_HARASSMENT",
                    ));
                }
            }
        }
        Ok(())
    }
}

fn deployment_error(field: &str) -> SettingsError {
    SettingsError::new(
        field,
        format!(
            "a deployment name is 1 to {MAX_DEPLOYMENT_CHARS} letters, digits, `-`, `_` or `.`"
        ),
    )
}

/// `YYYY-MM-DD` or `YYYY-MM-DD-preview`.
fn is_api_version(version: &str) -> bool {
    let date = version.strip_suffix("-preview").unwrap_or(version);
    let bytes = date.as_bytes();
    bytes.len() == 10
        && bytes.iter().enumerate().all(|(i, b)| match i {
            4 | 7 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// What Azure accepts as a deployment name (it goes into the URL path).
fn is_deployment(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_DEPLOYMENT_CHARS
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && name != "."
        && name != ".."
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(value: Value) -> String {
        ProviderSettings::from_json(value)
            .expect_err("invalid settings")
            .field
    }

    #[test]
    fn reads_every_provider_and_round_trips() {
        let value = json!({
            "azure": {"apiVersion": "2025-04-01-preview", "deployment": "chat-prod",
                "deployments": {"text-embedding-3-small": "embed.prod"}},
            "gemini": {"safetySettings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_ONLY_HIGH"}]},
            "cohere": {"safetyMode": "STRICT", "embeddingInputType": "search_query"}
        });
        let settings = ProviderSettings::from_json(value.clone()).expect("valid");
        assert_eq!(serde_json::to_value(&settings).expect("json"), value);
        let azure = settings.azure();
        assert_eq!(azure.api_version(), "2025-04-01-preview");
        assert_eq!(azure.deployment_for("text-embedding-3-small"), "embed.prod");
        assert_eq!(azure.deployment_for("gpt-4o"), "chat-prod");
        assert_eq!(
            AzureSettings::default().deployment_for("gpt-4o"),
            "gpt-4o",
            "without settings a deployment is named after its model"
        );
        assert_eq!(
            AzureSettings::default().api_version(),
            DEFAULT_AZURE_API_VERSION
        );
        assert!(
            ProviderSettings::from_json(json!({}))
                .expect("empty")
                .is_empty()
        );
    }

    #[test]
    fn errors_name_the_path_and_never_quote_the_value() {
        assert_eq!(
            field(json!({"azure": {"apiVersion": "latest"}})),
            "azure.apiVersion"
        );
        assert_eq!(
            field(json!({"azure": {"deployment": "a/b"}})),
            "azure.deployment"
        );
        assert_eq!(
            field(json!({"azure": {"deployments": {"gpt": "../x"}}})),
            "azure.deployments.gpt"
        );
        assert_eq!(
            field(json!({"azure": {"apiKey": "sk-secret"}})),
            "azure.apiKey"
        );
        assert_eq!(field(json!({"openai": {}})), "openai");
        assert_eq!(
            field(
                json!({"gemini": {"safetySettings": [{"category": "HARM_CATEGORY_X", "threshold": "sk-secret"}]}})
            ),
            "gemini.safetySettings[0].threshold"
        );
        assert_eq!(
            field(
                json!({"gemini": {"safetySettings": [{"category": "violence", "threshold": "OFF"}]}})
            ),
            "gemini.safetySettings[0].category"
        );
        assert_eq!(
            field(json!({"cohere": {"safetyMode": "LOOSE"}})),
            "cohere.safetyMode"
        );
        let err = ProviderSettings::from_json(json!({"cohere": {"safetyMode": "sk-secret"}}))
            .expect_err("invalid");
        assert!(!err.to_string().contains("sk-secret"), "{err}");
    }
}
