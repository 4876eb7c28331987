//! The policy model: limit type, default and tier limits, the limit-exceeded response and rules.
//!
//! Configuration arrives as JSON ([`PolicyConfig`], camelCase, unknown fields rejected) and is
//! converted with [`TryFrom`] into a validated [`Policy`]. Errors carry the path of the first
//! bad value, such as `rules[0].condition.operator`.

mod rule;
mod template;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::window::Window;

pub use rule::{
    Action, ActionConfig, ActionKind, Comparison, Condition, ConditionConfig, ConditionKind, Logic,
    MAX_CONDITION_DEPTH, Rule, RuleConfig, RuleContext, RuleSet,
};
pub use template::TemplateValues;

/// Output tokens reserved for a request that names no `max_tokens`, unless the policy says otherwise.
pub const DEFAULT_OUTPUT_TOKENS: u64 = 1024;

/// Longest tier name accepted.
pub const MAX_TIER_LEN: usize = 64;

/// Which metrics a policy enforces. Both metrics are always counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LimitType {
    /// Only the request count is enforced.
    #[default]
    Requests,
    /// Only the token count is enforced.
    Tokens,
    /// Both counts are enforced.
    Both,
}

impl LimitType {
    /// Whether the request metric is enforced.
    pub fn enforces_requests(self) -> bool {
        matches!(self, LimitType::Requests | LimitType::Both)
    }

    /// Whether the token metric is enforced.
    pub fn enforces_tokens(self) -> bool {
        matches!(self, LimitType::Tokens | LimitType::Both)
    }

    /// The lowercase name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitType::Requests => "requests",
            LimitType::Tokens => "tokens",
            LimitType::Both => "both",
        }
    }
}

/// A counted quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Admitted requests.
    Requests,
    /// Tokens (prompt + completion) of admitted requests.
    Tokens,
}

impl Metric {
    /// The lowercase name used in JSON and in headers.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Requests => "requests",
            Metric::Tokens => "tokens",
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The limits of one tier; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TierLimits {
    /// Requests per period, or `None` for no limit.
    #[serde(default)]
    pub request_limit: Option<u64>,
    /// Tokens per period, or `None` for no limit.
    #[serde(default)]
    pub token_limit: Option<u64>,
}

/// Effective limits for one request; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Limits {
    /// Requests per period.
    pub requests: Option<u64>,
    /// Tokens per period.
    pub tokens: Option<u64>,
}

impl Limits {
    /// The limit of one metric.
    pub fn of(&self, metric: Metric) -> Option<u64> {
        match metric {
            Metric::Requests => self.requests,
            Metric::Tokens => self.tokens,
        }
    }
}

/// A policy as written in JSON: the project fields of the HTTP API that govern limiting.
///
/// `window` and `defaultOutputTokens` extend the original API; both are optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyConfig {
    /// `requests` | `tokens` | `both` (default `requests`).
    #[serde(default)]
    pub limit_type: Option<LimitType>,
    /// Default request limit per period; `null` = unlimited.
    #[serde(default)]
    pub daily_request_limit: Option<u64>,
    /// Default token limit per period; `null` = unlimited.
    #[serde(default)]
    pub daily_token_limit: Option<u64>,
    /// JSON returned (templated) with a 429 when a base limit is exceeded.
    #[serde(default)]
    pub limit_exceeded_response: Option<Value>,
    /// Named tiers with their own limits.
    #[serde(default)]
    pub tiers: BTreeMap<String, TierLimits>,
    /// Rules, evaluated in order.
    #[serde(default)]
    pub rules: Vec<RuleConfig>,
    /// The usage window (default `day`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Window>,
    /// Output tokens reserved when a request names no `max_tokens`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_output_tokens: Option<u64>,
    /// A ceiling per window on the whole scope (all identities together), for the metrics of
    /// `limitType`; `None` (default) = no project-wide cap.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project_limits: Option<TierLimits>,
}

/// A validation error: which value is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct PolicyError {
    /// The path of the offending value, e.g. `rules[0].condition.operator`.
    pub field: String,
    /// A human sentence.
    pub message: String,
}

impl PolicyError {
    pub(crate) fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// A validated policy. Build one from JSON with [`Policy::from_json`], from a
/// [`PolicyConfig`] with `try_from`, or with [`Policy::builder`].
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(into = "PolicyConfig")]
pub struct Policy {
    limit_type: LimitType,
    request_limit: Option<u64>,
    token_limit: Option<u64>,
    limit_exceeded_response: Option<Value>,
    tiers: BTreeMap<String, TierLimits>,
    rules: RuleSet,
    window: Window,
    default_output_tokens: u64,
    project_limits: Option<Limits>,
}

impl Policy {
    /// Parses and validates a policy from JSON, reporting the path of the first bad value.
    pub fn from_json(value: &Value) -> Result<Self, PolicyError> {
        let config: PolicyConfig = serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." { String::new() } else { path };
            PolicyError::new(field, e.into_inner().to_string())
        })?;
        Self::try_from(config)
    }

    /// A builder starting from an empty policy (requests enforced, no limits, daily window).
    pub fn builder() -> PolicyBuilder {
        PolicyBuilder::default()
    }

    /// Which metrics are enforced.
    pub fn limit_type(&self) -> LimitType {
        self.limit_type
    }

    /// The usage window.
    pub fn window(&self) -> Window {
        self.window
    }

    /// The rules, in evaluation order.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The tiers by name.
    pub fn tiers(&self) -> &BTreeMap<String, TierLimits> {
        &self.tiers
    }

    /// The configured limit-exceeded response, if any.
    pub fn limit_exceeded_response(&self) -> Option<&Value> {
        self.limit_exceeded_response.as_ref()
    }

    /// Output tokens reserved when a request names no `max_tokens`.
    pub fn default_output_tokens(&self) -> u64 {
        self.default_output_tokens
    }

    /// The project-wide cap (all identities of a scope together), if any: checked in the same
    /// atomic admission as the identity's own limits.
    pub fn project_limits(&self) -> Option<Limits> {
        self.project_limits
    }

    /// The default limits (no tier, or an unknown tier).
    pub fn default_limits(&self) -> Limits {
        Limits {
            requests: self.request_limit,
            tokens: self.token_limit,
        }
    }

    /// Effective limits: the tier's when `tier` names a defined tier, else the defaults.
    pub fn limits_for(&self, tier: Option<&str>) -> Limits {
        match tier.and_then(|t| self.tiers.get(t)) {
            Some(t) => Limits {
                requests: t.request_limit,
                tokens: t.token_limit,
            },
            None => self.default_limits(),
        }
    }

    /// The policy back in its JSON form.
    pub fn to_config(&self) -> PolicyConfig {
        PolicyConfig {
            limit_type: Some(self.limit_type),
            daily_request_limit: self.request_limit,
            daily_token_limit: self.token_limit,
            limit_exceeded_response: self.limit_exceeded_response.clone(),
            tiers: self.tiers.clone(),
            rules: self.rules.iter().map(RuleConfig::from).collect(),
            window: (self.window != Window::Day).then_some(self.window),
            default_output_tokens: (self.default_output_tokens != DEFAULT_OUTPUT_TOKENS)
                .then_some(self.default_output_tokens),
            project_limits: self.project_limits.map(|l| TierLimits {
                request_limit: l.requests,
                token_limit: l.tokens,
            }),
        }
    }
}

impl From<Policy> for PolicyConfig {
    fn from(p: Policy) -> Self {
        p.to_config()
    }
}

impl TryFrom<PolicyConfig> for Policy {
    type Error = PolicyError;

    fn try_from(c: PolicyConfig) -> Result<Self, PolicyError> {
        if let Some(r) = &c.limit_exceeded_response
            && !(r.is_object() || r.is_null())
        {
            return Err(PolicyError::new(
                "limitExceededResponse",
                "must be a JSON object or null",
            ));
        }
        for name in c.tiers.keys() {
            if name.is_empty() || name.chars().count() > MAX_TIER_LEN {
                return Err(PolicyError::new(
                    format!("tiers.{name}"),
                    format!("tier names must be 1 to {MAX_TIER_LEN} characters"),
                ));
            }
        }
        let rules = RuleSet::try_from_configs(c.rules)?;
        Ok(Policy {
            limit_type: c.limit_type.unwrap_or_default(),
            request_limit: c.daily_request_limit,
            token_limit: c.daily_token_limit,
            limit_exceeded_response: c.limit_exceeded_response.filter(|v| !v.is_null()),
            tiers: c.tiers,
            rules,
            window: c.window.unwrap_or_default(),
            default_output_tokens: c.default_output_tokens.unwrap_or(DEFAULT_OUTPUT_TOKENS),
            project_limits: c.project_limits.map(|l| Limits {
                requests: l.request_limit,
                tokens: l.token_limit,
            }),
        })
    }
}

/// Builds a [`Policy`] in code; [`PolicyBuilder::build`] validates like the JSON path does.
#[derive(Debug, Clone, Default)]
pub struct PolicyBuilder {
    config: PolicyConfig,
}

impl PolicyBuilder {
    /// Which metrics to enforce.
    pub fn limit_type(mut self, limit_type: LimitType) -> Self {
        self.config.limit_type = Some(limit_type);
        self
    }

    /// Default request limit per period (`None` = unlimited).
    pub fn request_limit(mut self, limit: Option<u64>) -> Self {
        self.config.daily_request_limit = limit;
        self
    }

    /// Default token limit per period (`None` = unlimited).
    pub fn token_limit(mut self, limit: Option<u64>) -> Self {
        self.config.daily_token_limit = limit;
        self
    }

    /// Adds or replaces a tier.
    pub fn tier(mut self, name: impl Into<String>, limits: TierLimits) -> Self {
        self.config.tiers.insert(name.into(), limits);
        self
    }

    /// Appends a rule.
    pub fn rule(mut self, rule: RuleConfig) -> Self {
        self.config.rules.push(rule);
        self
    }

    /// The JSON returned with a 429 when a base limit is exceeded.
    pub fn limit_exceeded_response(mut self, response: Value) -> Self {
        self.config.limit_exceeded_response = Some(response);
        self
    }

    /// The usage window.
    pub fn window(mut self, window: Window) -> Self {
        self.config.window = Some(window);
        self
    }

    /// Output tokens reserved when a request names no `max_tokens`.
    pub fn default_output_tokens(mut self, tokens: u64) -> Self {
        self.config.default_output_tokens = Some(tokens);
        self
    }

    /// Sets the project-wide cap (see [`Policy::project_limits`]).
    pub fn project_limits(mut self, limits: TierLimits) -> Self {
        self.config.project_limits = Some(limits);
        self
    }

    /// Validates and returns the policy.
    pub fn build(self) -> Result<Policy, PolicyError> {
        Policy::try_from(self.config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_api_example() {
        let p = Policy::from_json(&json!({
            "limitType": "both",
            "dailyRequestLimit": 50,
            "dailyTokenLimit": null,
            "limitExceededResponse": {"error": "limit_exceeded", "message": "…", "deepLink": "myapp://upgrade"},
            "tiers": {"free": {"requestLimit": 5, "tokenLimit": 1000}, "enterprise": {"requestLimit": null, "tokenLimit": null}},
            "rules": [{"id": "r1", "name": "warn", "enabled": true,
                "condition": {"type": "usage_percent", "metric": "requests", "operator": "gte", "threshold": 80},
                "action": {"type": "custom_response", "response": {"message": "{{percent}}% used"}, "block": false}}]
        }))
        .expect("valid policy");
        assert_eq!(p.limit_type(), LimitType::Both);
        assert_eq!(p.limits_for(None).requests, Some(50));
        assert_eq!(p.limits_for(Some("free")).tokens, Some(1000));
        assert_eq!(p.limits_for(Some("enterprise")).requests, None);
        assert_eq!(p.limits_for(Some("unknown")).requests, Some(50));
        assert_eq!(p.rules().len(), 1);
        let round =
            Policy::from_json(&serde_json::to_value(&p).expect("serializes")).expect("round trip");
        assert_eq!(round, p);
    }

    #[test]
    fn reports_paths_of_bad_values() {
        let cases = [
            (json!({"dailyRequestLimit": -1}), "dailyRequestLimit"),
            (json!({"limitType": "bytes"}), "limitType"),
            (json!({"bogus": 1}), "bogus"),
            (
                json!({"tiers": {"free": {"requestLimit": 1.5}}}),
                "tiers.free.requestLimit",
            ),
            (
                json!({"tiers": {"free": {"reqLimit": 1}}}),
                "tiers.free.reqLimit",
            ),
            (
                json!({"limitExceededResponse": "nope"}),
                "limitExceededResponse",
            ),
            (
                json!({"rules": [{"condition": {"type": "usage_percent", "metric": "requests", "operator": "bigger", "threshold": 1}, "action": {"type": "allow"}}]}),
                "rules[0].condition.operator",
            ),
            (
                json!({"rules": [{"condition": {"type": "tier_match", "value": "a"}, "action": {"type": "explode"}}]}),
                "rules[0].action.type",
            ),
        ];
        for (input, field) in cases {
            let err = Policy::from_json(&input).expect_err("must be rejected");
            assert_eq!(err.field, field, "for {input}: {err}");
        }
    }

    #[test]
    fn builder_validates() {
        let p = Policy::builder()
            .limit_type(LimitType::Tokens)
            .token_limit(Some(10))
            .window(Window::Hour)
            .build()
            .expect("valid");
        assert_eq!(p.window(), Window::Hour);
        assert!(
            Policy::builder()
                .limit_exceeded_response(json!(3))
                .build()
                .is_err()
        );
    }
}
