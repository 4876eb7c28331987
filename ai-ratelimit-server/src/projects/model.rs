//! The project as stored ([`ProjectRow`]), as the proxy needs it ([`ProjectRecord`]) and as the
//! API shows it ([`ProjectView`]).

use std::sync::Arc;

use ai_ratelimit_core::Policy;
use ai_ratelimit_tower::IdentityKeys;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::provider::{ProviderApiKey, ProviderKind, ProviderSettings};

/// A project as stored.
#[derive(Debug, Clone)]
pub struct ProjectRow {
    /// Id (uuid).
    pub id: String,
    /// Owning organization; `None` for admin-created projects.
    pub organization_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Publishable key, `pk_…`.
    pub project_key: String,
    /// Upstream provider.
    pub provider: ProviderKind,
    /// Upstream URL override; `None` = the server's default for the provider.
    pub base_url: Option<String>,
    /// Encrypted provider key.
    pub provider_api_key_encrypted: Option<String>,
    /// `sk-…AbCd`.
    pub provider_api_key_preview: Option<String>,
    /// Provider-specific settings (validated).
    pub provider_settings: ProviderSettings,
    /// The validated policy.
    pub policy: Policy,
    /// Whether proxied calls must carry a signed identity token.
    pub require_signed_identity: bool,
    /// The encrypted identity-signing secret and the rotated-out one, if any.
    pub identity_secret: IdentitySecretRow,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A project's identity-signing secrets as stored (encrypted).
#[derive(Debug, Clone, Default)]
pub struct IdentitySecretRow {
    /// The current secret, sealed.
    pub current: Option<String>,
    /// The rotated-out secret, sealed, and until when it is still accepted.
    pub previous: Option<(String, DateTime<Utc>)>,
}

/// What the proxy needs of a project, looked up by key and cached.
#[derive(Debug, Clone)]
pub struct ProjectRecord {
    /// Id (uuid): also the scope of its usage counters.
    pub id: String,
    /// Owning organization, if any.
    pub organization_id: Option<String>,
    /// The key it was found by.
    pub project_key: String,
    /// Upstream provider.
    pub provider: ProviderKind,
    /// The effective upstream URL (the project's, else the server default for its provider).
    pub upstream_url: String,
    /// `upstream_url` parsed once (here, not per request); `None` if it does not parse.
    pub upstream: Option<reqwest::Url>,
    /// `id` as the scope of the project's counters (shared, not copied per request).
    pub scope: Arc<str>,
    /// The decrypted provider key, if one is set.
    pub provider_api_key: Option<ProviderApiKey>,
    /// Provider-specific settings.
    pub provider_settings: Arc<ProviderSettings>,
    /// The policy.
    pub policy: Arc<Policy>,
    /// Whether calls must carry a signed identity token.
    pub require_signed_identity: bool,
    /// The decrypted identity-signing secrets, if one was created.
    pub identity_keys: Option<IdentityKeys>,
}

/// Who may see a project.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    /// Only projects of this organization.
    Organization(&'a str),
    /// Projects created through the admin API (no organization).
    Admin,
}

impl Owner<'_> {
    /// Whether this owner may see `row`.
    pub fn sees(&self, row: &ProjectRow) -> bool {
        match self {
            Owner::Organization(org) => row.organization_id.as_deref() == Some(*org),
            Owner::Admin => true,
        }
    }
}

/// `limitType` values (documentation schema).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = LimitType)]
pub enum LimitTypeName {
    /// Requests are enforced.
    Requests,
    /// Tokens are enforced.
    Tokens,
    /// Both are enforced.
    Both,
}

/// `window` values (documentation schema).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(as = Window)]
pub enum WindowName {
    /// From the top of each UTC hour.
    Hour,
    /// From UTC midnight.
    Day,
    /// From Monday 00:00 UTC.
    Week,
    /// From the first day of the month, 00:00 UTC.
    Month,
}

/// A tier's limits (documentation schema; core validates the real thing).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = TierLimits)]
pub struct TierLimitsDoc {
    /// Requests per period; `null` = no limit.
    #[schema(minimum = 0)]
    pub request_limit: Option<u64>,
    /// Tokens per period; `null` = no limit.
    #[schema(minimum = 0)]
    pub token_limit: Option<u64>,
}

/// The API's Project object.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectView {
    /// Id (uuid).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Publishable key, `pk_` + base62.
    pub project_key: String,
    /// `openai` | `anthropic` | `azure` | `gemini` | `cohere`.
    pub provider: ProviderKind,
    /// Upstream URL; `null` = the server's default for the provider.
    pub base_url: Option<String>,
    /// Whether a provider API key is stored (the key itself is never returned).
    pub has_provider_api_key: bool,
    /// A hint of the stored key, e.g. `sk-…AbCd`.
    pub provider_api_key_preview: Option<String>,
    /// `requests` | `tokens` | `both`.
    #[schema(value_type = LimitTypeName)]
    pub limit_type: String,
    /// Requests per day; `null` = no limit.
    pub daily_request_limit: Option<u64>,
    /// Tokens per day; `null` = no limit.
    pub daily_token_limit: Option<u64>,
    /// JSON answered (templated) with a 429 when a base limit is reached.
    #[schema(value_type = Option<Object>)]
    pub limit_exceeded_response: Option<Value>,
    /// Tiers by name: `{"requestLimit": n|null, "tokenLimit": n|null}`.
    #[schema(value_type = std::collections::BTreeMap<String, TierLimitsDoc>)]
    pub tiers: Value,
    /// Rules, evaluated in order.
    #[schema(value_type = Vec<Object>)]
    pub rules: Value,
    /// The project-wide cap per window, across all identities (`null` = none).
    pub project_limits: Option<TierLimitsDoc>,
    /// Whether every proxied call must carry `x-identity-token`, an HS256 JWT signed with the
    /// project's identity secret (identity and tier then come only from it).
    pub require_signed_identity: bool,
    /// Extension: whether an identity secret exists (`POST …/identity-secret` creates or
    /// rotates it; the secret itself is shown only then), shown once one does.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub has_identity_secret: bool,
    /// Extension: provider-specific settings (Azure deployments and `apiVersion`, Gemini
    /// safety settings, Cohere options), shown when any is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider_settings: Option<ProviderSettings>,
    /// Extension: the usage window (`hour` | `day` | `week` | `month`), shown when not `day`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<WindowName>)]
    pub window: Option<String>,
    /// Extension: output tokens reserved for requests without `max_tokens`, shown when not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_output_tokens: Option<u64>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

/// An instant as the API writes it (RFC 3339, milliseconds, `Z`).
pub fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl From<&ProjectRow> for ProjectView {
    fn from(p: &ProjectRow) -> Self {
        let config = p.policy.to_config();
        ProjectView {
            id: p.id.clone(),
            name: p.name.clone(),
            project_key: p.project_key.clone(),
            provider: p.provider,
            base_url: p.base_url.clone(),
            has_provider_api_key: p.provider_api_key_encrypted.is_some(),
            provider_api_key_preview: p.provider_api_key_preview.clone(),
            limit_type: p.policy.limit_type().as_str().to_owned(),
            daily_request_limit: config.daily_request_limit,
            daily_token_limit: config.daily_token_limit,
            limit_exceeded_response: config.limit_exceeded_response,
            tiers: serde_json::to_value(&config.tiers).unwrap_or(Value::Null),
            rules: serde_json::to_value(&config.rules).unwrap_or(Value::Null),
            project_limits: config.project_limits.map(|l| TierLimitsDoc {
                request_limit: l.request_limit,
                token_limit: l.token_limit,
            }),
            require_signed_identity: p.require_signed_identity,
            has_identity_secret: p.identity_secret.current.is_some(),
            provider_settings: (!p.provider_settings.is_empty())
                .then(|| p.provider_settings.clone()),
            window: config.window.map(|w| w.as_str().to_owned()),
            default_output_tokens: config.default_output_tokens,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// The answer of `POST /api/projects/:id/identity-secret`: the new secret, shown only here.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct IdentitySecretView {
    /// The new identity-signing secret (32 random bytes, base64url): sign tokens with this
    /// string as the HS256 key. Not retrievable later.
    pub identity_secret: String,
    /// Until when the secret it replaced is still accepted (RFC 3339); `null` on creation.
    pub previous_valid_until: Option<String>,
}
