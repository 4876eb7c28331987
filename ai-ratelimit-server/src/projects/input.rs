//! Typed input of the project routes: the JSON body as serde reads it ([`ProjectFields`],
//! unknown fields rejected), then validated with `TryFrom` into [`NewProject`] (creation) or
//! [`ProjectPatch`] (a partial update). Nothing past this module sees unchecked input.
//!
//! The policy fields stay raw JSON here on purpose: core validates the policy as a whole
//! (`Policy::from_json`), which is what reports paths like `rules[0].condition.operator`, and a
//! patch must be validated merged with the stored policy, which only the store has.

use std::fmt;

use ai_ratelimit_core::Policy;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::error::ProjectError;
use crate::provider::{ProviderKind, ProviderSettings};

/// Longest project name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// Longest `baseUrl`, in bytes.
pub const MAX_URL_BYTES: usize = 2048;
/// Longest provider API key, in bytes.
pub const MAX_PROVIDER_KEY_BYTES: usize = 4096;
/// The provider of a project created without one.
pub const DEFAULT_PROVIDER: ProviderKind = ProviderKind::OpenAi;

/// A JSON field of a partial update: absent, explicitly `null`, or a value. (`Option` alone
/// cannot tell "leave it" from "clear it".)
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Not in the body: keep the stored value.
    #[default]
    Absent,
    /// `null`.
    Null,
    /// A value.
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Only called for a present field (absent ones take `Default`).
        Option::<T>::deserialize(deserializer).map(|v| v.map_or(Patch::Null, Patch::Value))
    }
}

/// The body of `POST /api/projects` and `PATCH /api/projects/:id` as sent. Creation requires
/// `name`; a patch may send any subset. Unknown fields are rejected.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schema(as = ProjectPatch)]
pub struct ProjectFields {
    /// Display name, 1–200 characters (required on creation).
    #[serde(default)]
    #[schema(value_type = String, min_length = 1, max_length = 200, pattern = r"\S", example = "My app")]
    pub name: Patch<String>,
    /// `openai` (default) | `anthropic` | `azure` | `gemini` | `cohere`.
    #[serde(default)]
    #[schema(value_type = ProviderKind)]
    pub provider: Patch<ProviderKind>,
    /// Provider-specific settings, one object per provider (`azure`, `gemini`, `cohere`); only
    /// the project's provider's is used. `null` removes them all.
    #[serde(default)]
    #[schema(value_type = Option<ProviderSettings>)]
    pub provider_settings: Patch<Value>,
    /// Upstream URL (absolute http(s)); `null` or `""` = the server's default for the provider
    /// (`openai`: the chat-completions URL, the other operations beside it; `anthropic`: the
    /// Messages URL; `azure`: the resource endpoint, required unless the server has one;
    /// `gemini`, `cohere`: the API root).
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 2048, example = "https://api.openai.com/v1/chat/completions")]
    pub base_url: Patch<String>,
    /// The provider's API key (write-only); `null` or `""` removes it.
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 4096, example = "sk-proj-…")]
    pub provider_api_key: Patch<String>,
    /// The original product's name of `providerApiKey` (send only one of them).
    #[serde(default)]
    #[schema(value_type = Option<String>, max_length = 4096)]
    pub openai_api_key: Patch<String>,
    /// `requests` (default) | `tokens` | `both`: which metrics are enforced.
    #[serde(default)]
    #[schema(value_type = Option<super::model::LimitTypeName>)]
    pub limit_type: Patch<Value>,
    /// The period every limit counts in: `hour` | `day` (default) | `week` | `month`.
    #[serde(default)]
    #[schema(value_type = Option<super::model::WindowName>)]
    pub window: Patch<Value>,
    /// Requests per period; `null` = no limit.
    #[serde(default)]
    #[schema(value_type = Option<u64>, minimum = 0, example = 50)]
    pub daily_request_limit: Patch<Value>,
    /// Tokens per period; `null` = no limit.
    #[serde(default)]
    #[schema(value_type = Option<u64>, minimum = 0)]
    pub daily_token_limit: Patch<Value>,
    /// Output tokens reserved for a request that names no `max_tokens`.
    #[serde(default)]
    #[schema(value_type = Option<u64>, minimum = 0)]
    pub default_output_tokens: Patch<Value>,
    /// JSON answered (templated) with a 429 when a base limit is reached; `null` = the default body.
    #[serde(default)]
    #[schema(value_type = Option<Object>, example = json!({"error": "limit_exceeded", "message": "You used {{used}} of {{limit}} free requests today.", "deepLink": "myapp://upgrade"}))]
    pub limit_exceeded_response: Patch<Value>,
    /// Tiers by name: `{"requestLimit": n|null, "tokenLimit": n|null}`.
    #[serde(default)]
    #[schema(value_type = Option<std::collections::BTreeMap<String, super::model::TierLimitsDoc>>)]
    pub tiers: Patch<Value>,
    /// Rules, evaluated in order (`{"id", "name", "enabled", "condition", "action"}`).
    #[serde(default)]
    #[schema(value_type = Option<Vec<Object>>)]
    pub rules: Patch<Value>,
    /// A ceiling per window on the whole project, across all identities, for the metrics of
    /// `limitType`: `{"requestLimit": n|null, "tokenLimit": n|null}`; `null` (default) = none.
    #[serde(default)]
    #[schema(value_type = Option<super::model::TierLimitsDoc>)]
    pub project_limits: Patch<Value>,
    /// Whether every proxied call must carry `x-identity-token` (default `false`).
    #[serde(default)]
    #[schema(value_type = Option<bool>)]
    pub require_signed_identity: Patch<bool>,
}

/// A validated project name (trimmed, 1–200 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectName(String);

impl ProjectName {
    /// The name.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl TryFrom<String> for ProjectName {
    type Error = ProjectError;

    fn try_from(raw: String) -> Result<Self, ProjectError> {
        let name = raw.trim();
        if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
            return Err(ProjectError::invalid(
                "name",
                format!("must be 1 to {MAX_NAME_CHARS} characters"),
            ));
        }
        Ok(Self(name.to_owned()))
    }
}

/// A validated upstream URL override (absolute `http`/`https`, at most 2048 bytes), kept as
/// written (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl(String);

impl UpstreamUrl {
    /// The URL.
    pub fn into_inner(self) -> String {
        self.0
    }
}

impl TryFrom<&str> for UpstreamUrl {
    type Error = ProjectError;

    fn try_from(raw: &str) -> Result<Self, ProjectError> {
        let url = raw.trim();
        let valid = url.len() <= MAX_URL_BYTES
            && reqwest::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if valid {
            Ok(Self(url.to_owned()))
        } else {
            Err(ProjectError::invalid(
                "baseUrl",
                "must be an absolute http(s) URL or null",
            ))
        }
    }
}

/// A provider API key to store (encrypted); its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct ProviderKeyInput(String);

impl ProviderKeyInput {
    /// The key, for encryption and its preview only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ProviderKeyInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ProviderKeyInput(<redacted>)")
    }
}

/// A change to a stored provider key.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum KeyChange {
    /// Leave it as stored.
    #[default]
    Keep,
    /// Remove it.
    Remove,
    /// Replace it.
    Set(ProviderKeyInput),
}

/// Changed policy fields, validated against the stored policy when applied.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyPatch(Map<String, Value>);

impl PolicyPatch {
    /// Whether no policy field changes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The policy with these fields overlaid on `current`, validated as a whole.
    pub fn apply(&self, current: &Policy) -> Result<Policy, ProjectError> {
        let mut merged = match serde_json::to_value(current.to_config()) {
            Ok(Value::Object(m)) => m,
            _ => Map::new(),
        };
        merged.extend(self.0.clone());
        Ok(Policy::from_json(&Value::Object(merged))?)
    }

    /// A new policy made of these fields alone.
    fn into_policy(self) -> Result<Policy, ProjectError> {
        Ok(Policy::from_json(&Value::Object(self.0))?)
    }
}

/// A validated creation request.
#[derive(Debug, Clone)]
pub struct NewProject {
    /// Display name.
    pub name: ProjectName,
    /// Upstream provider.
    pub provider: ProviderKind,
    /// Upstream URL override.
    pub base_url: Option<UpstreamUrl>,
    /// Provider key to store.
    pub provider_api_key: Option<ProviderKeyInput>,
    /// Provider-specific settings.
    pub provider_settings: ProviderSettings,
    /// The policy.
    pub policy: Policy,
    /// Whether proxied calls must carry a signed identity token.
    pub require_signed_identity: bool,
}

/// A validated partial update; `None` fields are left as stored.
#[derive(Debug, Clone, Default)]
pub struct ProjectPatch {
    /// New name.
    pub name: Option<ProjectName>,
    /// New provider.
    pub provider: Option<ProviderKind>,
    /// New URL override (`Some(None)` = back to the default).
    pub base_url: Option<Option<UpstreamUrl>>,
    /// Provider key change.
    pub key: KeyChange,
    /// New provider-specific settings (replacing the stored ones).
    pub provider_settings: Option<ProviderSettings>,
    /// Changed policy fields.
    pub policy: PolicyPatch,
    /// New `requireSignedIdentity`.
    pub require_signed_identity: Option<bool>,
}

impl TryFrom<ProjectFields> for NewProject {
    type Error = ProjectError;

    fn try_from(fields: ProjectFields) -> Result<Self, ProjectError> {
        let parts = ProjectPatch::try_from(fields)?;
        let name = parts
            .name
            .ok_or_else(|| ProjectError::invalid("name", "is required"))?;
        Ok(NewProject {
            name,
            provider: parts.provider.unwrap_or(DEFAULT_PROVIDER),
            base_url: parts.base_url.flatten(),
            provider_api_key: match parts.key {
                KeyChange::Set(key) => Some(key),
                KeyChange::Keep | KeyChange::Remove => None,
            },
            provider_settings: parts.provider_settings.unwrap_or_default(),
            policy: parts.policy.into_policy()?,
            require_signed_identity: parts.require_signed_identity.unwrap_or(false),
        })
    }
}

impl TryFrom<ProjectFields> for ProjectPatch {
    type Error = ProjectError;

    fn try_from(f: ProjectFields) -> Result<Self, ProjectError> {
        let name = match f.name {
            Patch::Absent => None,
            Patch::Null => return Err(ProjectError::invalid("name", "must be a string")),
            Patch::Value(s) => Some(ProjectName::try_from(s)?),
        };
        let provider = match f.provider {
            Patch::Absent => None,
            Patch::Null => {
                return Err(ProjectError::invalid(
                    "provider",
                    "must be `openai`, `anthropic`, `azure`, `gemini` or `cohere`",
                ));
            }
            Patch::Value(kind) => Some(kind),
        };
        let base_url = match f.base_url {
            Patch::Absent => None,
            Patch::Null => Some(None),
            Patch::Value(s) if s.trim().is_empty() => Some(None),
            Patch::Value(s) => Some(Some(UpstreamUrl::try_from(s.as_str())?)),
        };
        let provider_settings = match f.provider_settings {
            Patch::Absent => None,
            Patch::Null => Some(ProviderSettings::default()),
            Patch::Value(value) => Some(ProviderSettings::from_json(value).map_err(|e| {
                let field = if e.field.is_empty() {
                    "providerSettings".to_owned()
                } else {
                    format!("providerSettings.{}", e.field)
                };
                ProjectError::invalid(field, e.message)
            })?),
        };
        let require_signed_identity = match f.require_signed_identity {
            Patch::Absent => None,
            Patch::Null => {
                return Err(ProjectError::invalid(
                    "requireSignedIdentity",
                    "must be true or false",
                ));
            }
            Patch::Value(required) => Some(required),
        };
        let provider_key = key_change("providerApiKey", f.provider_api_key)?;
        let openai_key = key_change("openaiApiKey", f.openai_api_key)?;
        let key = match (provider_key, openai_key) {
            // Either name, never both (even equal: the OpenAPI document can say "not both",
            // not "not different").
            (KeyChange::Keep, k) | (k, KeyChange::Keep) => k,
            _ => {
                return Err(ProjectError::invalid(
                    "openaiApiKey",
                    "conflicts with providerApiKey; send only one of them",
                ));
            }
        };
        let mut policy = Map::new();
        for (name, value) in [
            ("limitType", f.limit_type),
            ("window", f.window),
            ("dailyRequestLimit", f.daily_request_limit),
            ("dailyTokenLimit", f.daily_token_limit),
            ("defaultOutputTokens", f.default_output_tokens),
            ("limitExceededResponse", f.limit_exceeded_response),
            ("tiers", f.tiers),
            ("rules", f.rules),
            ("projectLimits", f.project_limits),
        ] {
            match value {
                Patch::Absent => {}
                Patch::Null => {
                    policy.insert(name.to_owned(), Value::Null);
                }
                // serde would read a struct from an array of its field values.
                Patch::Value(v) if name == "projectLimits" && !v.is_object() => {
                    return Err(ProjectError::invalid(name, "must be an object or null"));
                }
                Patch::Value(v) => {
                    policy.insert(name.to_owned(), v);
                }
            }
        }
        Ok(ProjectPatch {
            name,
            provider,
            base_url,
            key,
            provider_settings,
            policy: PolicyPatch(policy),
            require_signed_identity,
        })
    }
}

/// Reads a provider key field. Messages never quote the value.
fn key_change(field: &str, value: Patch<String>) -> Result<KeyChange, ProjectError> {
    match value {
        Patch::Absent => Ok(KeyChange::Keep),
        Patch::Null => Ok(KeyChange::Remove),
        Patch::Value(s) if s.trim().is_empty() => Ok(KeyChange::Remove),
        Patch::Value(s)
            if s.chars().count() <= MAX_PROVIDER_KEY_BYTES
                && !s.trim().chars().any(char::is_control) =>
        {
            Ok(KeyChange::Set(ProviderKeyInput(s.trim().to_owned())))
        }
        Patch::Value(_) => Err(ProjectError::invalid(
            field,
            format!(
                "must be a string of at most {MAX_PROVIDER_KEY_BYTES} characters without control characters, or null"
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Result<ProjectFields, ProjectError> {
        crate::json::from_value::<ProjectFields>(v).map_err(|e| {
            let body = e.body();
            ProjectError::invalid(body.field.unwrap_or_default(), body.message)
        })
    }

    #[test]
    fn splits_project_and_policy_fields() {
        let input = ProjectPatch::try_from(
            fields(json!({
                "name": " App ", "provider": "anthropic", "baseUrl": null,
                "openaiApiKey": "sk-x", "dailyRequestLimit": 2
            }))
            .expect("known fields"),
        )
        .expect("valid");
        assert_eq!(
            input.name.map(ProjectName::into_inner).as_deref(),
            Some("App")
        );
        assert_eq!(input.provider, Some(ProviderKind::Anthropic));
        assert_eq!(input.base_url, Some(None));
        assert!(matches!(&input.key, KeyChange::Set(k) if k.expose() == "sk-x"));
        assert_eq!(input.policy.0.len(), 1);
    }

    #[test]
    fn key_errors_never_quote_the_key() {
        let err = ProjectPatch::try_from(
            fields(json!({"providerApiKey": "sk-aaaaaaaa", "openaiApiKey": "sk-bbbbbbbb"}))
                .expect("known fields"),
        )
        .expect_err("conflict");
        assert!(!err.to_string().contains("sk-"));
        let err = fields(json!({"provider": "sk-secret"})).expect_err("bad");
        assert!(!err.to_string().contains("sk-secret"));
        let key = ProviderKeyInput("sk-secret".into());
        assert!(!format!("{key:?}").contains("sk-secret"));
    }

    #[test]
    fn unknown_and_missing_fields_name_the_field() {
        let unknown = fields(json!({"name": "x", "bogus": 1})).expect_err("unknown");
        assert!(matches!(unknown, ProjectError::Invalid { ref field, .. } if field == "bogus"));
        let missing = NewProject::try_from(fields(json!({"dailyRequestLimit": 3})).expect("ok"))
            .expect_err("name required");
        assert!(matches!(missing, ProjectError::Invalid { ref field, .. } if field == "name"));
        let null_name =
            ProjectPatch::try_from(fields(json!({"name": null})).expect("ok")).expect_err("null");
        assert!(matches!(null_name, ProjectError::Invalid { ref field, .. } if field == "name"));
    }

    #[test]
    fn provider_settings_errors_carry_their_path() {
        let err = ProjectPatch::try_from(
            fields(json!({"providerSettings": {"azure": {"apiVersion": "soon"}}})).expect("ok"),
        )
        .expect_err("bad version");
        assert!(
            matches!(err, ProjectError::Invalid { ref field, .. } if field == "providerSettings.azure.apiVersion")
        );
        let err = ProjectPatch::try_from(fields(json!({"providerSettings": 3})).expect("ok"))
            .expect_err("not an object");
        assert!(
            matches!(err, ProjectError::Invalid { ref field, .. } if field == "providerSettings")
        );
        let cleared =
            ProjectPatch::try_from(fields(json!({"providerSettings": null})).expect("ok"))
                .expect("null clears");
        assert_eq!(cleared.provider_settings, Some(ProviderSettings::default()));
    }

    #[test]
    fn a_patch_is_validated_merged_with_the_stored_policy() {
        let stored = Policy::from_json(&json!({"limitType": "both", "dailyRequestLimit": 5}))
            .expect("policy");
        let patch = ProjectPatch::try_from(
            fields(json!({"dailyTokenLimit": 100, "dailyRequestLimit": null})).expect("ok"),
        )
        .expect("valid");
        let merged = patch.policy.apply(&stored).expect("merged");
        assert_eq!(merged.default_limits().requests, None);
        assert_eq!(merged.default_limits().tokens, Some(100));
        assert_eq!(merged.limit_type(), stored.limit_type());
    }
}
