//! Rules: conditions on usage and tier, and the action of the first rule that holds.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Limits, Metric, PolicyError};
use crate::store::Usage;

/// Deepest nesting of conditions: a rule's top condition is level 1.
pub const MAX_CONDITION_DEPTH: usize = 8;

/// The kind of a condition, as named in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionKind {
    /// Usage of one metric as a percent of its effective limit.
    UsagePercent,
    /// Usage of one metric as an absolute count.
    UsageAbsolute,
    /// The request's tier is one of the given names.
    TierMatch,
    /// `and` / `or` of nested conditions.
    Composite,
}

/// A condition as written in JSON. One flat shape for every kind keeps error paths exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionConfig {
    /// The kind of condition.
    #[serde(rename = "type")]
    pub kind: ConditionKind,
    /// `requests` | `tokens` (usage conditions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<Metric>,
    /// `gt`|`gte`|`lt`|`lte`|`eq` for usage conditions, `and`|`or` for composites.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// The number compared against (usage conditions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// One tier name (`tier_match`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// Several tier names (`tier_match`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<String>>,
    /// Nested conditions (`composite`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<ConditionConfig>>,
}

/// The kind of an action, as named in JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    /// Stop evaluating rules and apply the base limits.
    Allow,
    /// Deny with `429 {"error": "blocked"}`.
    Block,
    /// Answer with a custom JSON response, blocking or as a warning.
    CustomResponse,
}

/// An action as written in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActionConfig {
    /// The kind of action.
    #[serde(rename = "type")]
    pub kind: ActionKind,
    /// The JSON to answer with (`custom_response`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
    /// The HTTP status of a blocking custom response (default 429).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Whether a custom response blocks (default true) or only warns.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block: Option<bool>,
    /// The message of a `block` action's body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// A rule as written in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Stable id; `rule-<n>` (1-based position) when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Disabled rules are skipped (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// When the rule applies.
    pub condition: ConditionConfig,
    /// What it does then.
    pub action: ActionConfig,
}

/// A comparison operator of usage conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// `>`
    Gt,
    /// `>=`
    Gte,
    /// `<`
    Lt,
    /// `<=`
    Lte,
    /// `==`
    Eq,
}

impl Comparison {
    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "gt" => Self::Gt,
            "gte" => Self::Gte,
            "lt" => Self::Lt,
            "lte" => Self::Lte,
            "eq" => Self::Eq,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Gt => "gt",
            Self::Gte => "gte",
            Self::Lt => "lt",
            Self::Lte => "lte",
            Self::Eq => "eq",
        }
    }

    /// Applies the comparison `lhs op rhs`.
    pub fn holds(self, lhs: f64, rhs: f64) -> bool {
        match self {
            Self::Gt => lhs > rhs,
            Self::Gte => lhs >= rhs,
            Self::Lt => lhs < rhs,
            Self::Lte => lhs <= rhs,
            Self::Eq => (lhs - rhs).abs() < f64::EPSILON,
        }
    }
}

/// How a composite joins its conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logic {
    /// All must hold (an empty `and` holds).
    And,
    /// One must hold (an empty `or` does not).
    Or,
}

/// A validated condition.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// Percent of the effective limit of `metric`; false when that limit is unlimited.
    UsagePercent {
        /// The metric looked at.
        metric: Metric,
        /// The comparison.
        op: Comparison,
        /// The percent compared against.
        threshold: f64,
    },
    /// Absolute usage of `metric`.
    UsageAbsolute {
        /// The metric looked at.
        metric: Metric,
        /// The comparison.
        op: Comparison,
        /// The count compared against.
        threshold: f64,
    },
    /// The request's tier is one of these names.
    TierMatch(Vec<String>),
    /// A join of nested conditions.
    Composite {
        /// `and` or `or`.
        logic: Logic,
        /// The nested conditions.
        conditions: Vec<Condition>,
    },
}

/// What a rule evaluates against: usage before the request, effective limits and the tier.
#[derive(Debug, Clone, Copy)]
pub struct RuleContext<'a> {
    /// The identity's usage before this request.
    pub usage: Usage,
    /// Effective limits for this request.
    pub limits: Limits,
    /// The request's tier, if any.
    pub tier: Option<&'a str>,
}

impl RuleContext<'_> {
    /// Usage of one metric (settled tokens only; in-flight reservations are not usage yet).
    pub fn used(&self, metric: Metric) -> u64 {
        match metric {
            Metric::Requests => self.usage.requests,
            Metric::Tokens => self.usage.tokens,
        }
    }

    /// Percent used of `metric`'s limit, or `None` when unlimited. A zero limit reads as 100 %.
    pub fn percent(&self, metric: Metric) -> Option<f64> {
        let limit = self.limits.of(metric)?;
        if limit == 0 {
            return Some(100.0);
        }
        Some(self.used(metric) as f64 * 100.0 / limit as f64)
    }
}

impl Condition {
    /// Whether the condition holds.
    pub fn evaluate(&self, ctx: &RuleContext<'_>) -> bool {
        match self {
            Condition::UsagePercent {
                metric,
                op,
                threshold,
            } => ctx
                .percent(*metric)
                .is_some_and(|p| op.holds(p, *threshold)),
            Condition::UsageAbsolute {
                metric,
                op,
                threshold,
            } => op.holds(ctx.used(*metric) as f64, *threshold),
            Condition::TierMatch(names) => ctx.tier.is_some_and(|t| names.iter().any(|n| n == t)),
            Condition::Composite { logic, conditions } => match logic {
                Logic::And => conditions.iter().all(|c| c.evaluate(ctx)),
                Logic::Or => conditions.iter().any(|c| c.evaluate(ctx)),
            },
        }
    }

    /// Whether evaluating needs the identity's usage (a store read).
    pub fn reads_usage(&self) -> bool {
        match self {
            Condition::UsagePercent { .. } | Condition::UsageAbsolute { .. } => true,
            Condition::TierMatch(_) => false,
            Condition::Composite { conditions, .. } => conditions.iter().any(Self::reads_usage),
        }
    }

    /// The first metric the condition looks at, depth first.
    pub fn metric(&self) -> Option<Metric> {
        match self {
            Condition::UsagePercent { metric, .. } | Condition::UsageAbsolute { metric, .. } => {
                Some(*metric)
            }
            Condition::TierMatch(_) => None,
            Condition::Composite { conditions, .. } => conditions.iter().find_map(Self::metric),
        }
    }

    fn try_from_config(c: ConditionConfig, path: &str, depth: usize) -> Result<Self, PolicyError> {
        if depth > MAX_CONDITION_DEPTH {
            return Err(PolicyError::new(
                path,
                format!("conditions nest at most {MAX_CONDITION_DEPTH} levels deep"),
            ));
        }
        let field = |name: &str| format!("{path}.{name}");
        let unexpected = |name: &str, present: bool| {
            if present {
                Err(PolicyError::new(
                    field(name),
                    format!("not allowed in a `{}` condition", kind_name(c.kind)),
                ))
            } else {
                Ok(())
            }
        };
        match c.kind {
            ConditionKind::UsagePercent | ConditionKind::UsageAbsolute => {
                unexpected("value", c.value.is_some())?;
                unexpected("values", c.values.is_some())?;
                unexpected("conditions", c.conditions.is_some())?;
                let metric = c
                    .metric
                    .ok_or_else(|| PolicyError::new(field("metric"), "is required"))?;
                let op_text = c
                    .operator
                    .as_deref()
                    .ok_or_else(|| PolicyError::new(field("operator"), "is required"))?;
                let op = Comparison::parse(op_text).ok_or_else(|| {
                    PolicyError::new(
                        field("operator"),
                        format!("unknown operator `{op_text}`, expected gt, gte, lt, lte or eq"),
                    )
                })?;
                let threshold = c
                    .threshold
                    .ok_or_else(|| PolicyError::new(field("threshold"), "is required"))?;
                if !threshold.is_finite() || threshold < 0.0 {
                    return Err(PolicyError::new(
                        field("threshold"),
                        "must be a number >= 0",
                    ));
                }
                Ok(if c.kind == ConditionKind::UsagePercent {
                    Condition::UsagePercent {
                        metric,
                        op,
                        threshold,
                    }
                } else {
                    Condition::UsageAbsolute {
                        metric,
                        op,
                        threshold,
                    }
                })
            }
            ConditionKind::TierMatch => {
                unexpected("metric", c.metric.is_some())?;
                unexpected("operator", c.operator.is_some())?;
                unexpected("threshold", c.threshold.is_some())?;
                unexpected("conditions", c.conditions.is_some())?;
                let names = match (c.value, c.values) {
                    (Some(v), None) => vec![v],
                    (None, Some(vs)) if !vs.is_empty() => vs,
                    (None, Some(_)) => {
                        return Err(PolicyError::new(field("values"), "must not be empty"));
                    }
                    (Some(_), Some(_)) => {
                        return Err(PolicyError::new(
                            field("values"),
                            "give either `value` or `values`, not both",
                        ));
                    }
                    (None, None) => {
                        return Err(PolicyError::new(
                            field("value"),
                            "`value` or `values` is required",
                        ));
                    }
                };
                Ok(Condition::TierMatch(names))
            }
            ConditionKind::Composite => {
                unexpected("metric", c.metric.is_some())?;
                unexpected("threshold", c.threshold.is_some())?;
                unexpected("value", c.value.is_some())?;
                unexpected("values", c.values.is_some())?;
                let logic = match c.operator.as_deref() {
                    Some("and") => Logic::And,
                    Some("or") => Logic::Or,
                    Some(other) => {
                        return Err(PolicyError::new(
                            field("operator"),
                            format!("unknown operator `{other}`, expected and or or"),
                        ));
                    }
                    None => return Err(PolicyError::new(field("operator"), "is required")),
                };
                let nested = c
                    .conditions
                    .ok_or_else(|| PolicyError::new(field("conditions"), "is required"))?;
                let conditions = nested
                    .into_iter()
                    .enumerate()
                    .map(|(i, n)| {
                        Self::try_from_config(n, &format!("{path}.conditions[{i}]"), depth + 1)
                    })
                    .collect::<Result<_, _>>()?;
                Ok(Condition::Composite { logic, conditions })
            }
        }
    }
}

fn kind_name(kind: ConditionKind) -> &'static str {
    match kind {
        ConditionKind::UsagePercent => "usage_percent",
        ConditionKind::UsageAbsolute => "usage_absolute",
        ConditionKind::TierMatch => "tier_match",
        ConditionKind::Composite => "composite",
    }
}

impl From<&Condition> for ConditionConfig {
    fn from(c: &Condition) -> Self {
        let empty = |kind| ConditionConfig {
            kind,
            metric: None,
            operator: None,
            threshold: None,
            value: None,
            values: None,
            conditions: None,
        };
        match c {
            Condition::UsagePercent {
                metric,
                op,
                threshold,
            }
            | Condition::UsageAbsolute {
                metric,
                op,
                threshold,
            } => {
                let kind = if matches!(c, Condition::UsagePercent { .. }) {
                    ConditionKind::UsagePercent
                } else {
                    ConditionKind::UsageAbsolute
                };
                ConditionConfig {
                    metric: Some(*metric),
                    operator: Some(op.as_str().to_owned()),
                    threshold: Some(*threshold),
                    ..empty(kind)
                }
            }
            Condition::TierMatch(names) => {
                let mut cfg = empty(ConditionKind::TierMatch);
                match names.as_slice() {
                    [one] => cfg.value = Some(one.clone()),
                    _ => cfg.values = Some(names.clone()),
                }
                cfg
            }
            Condition::Composite { logic, conditions } => ConditionConfig {
                operator: Some(match logic {
                    Logic::And => "and".to_owned(),
                    Logic::Or => "or".to_owned(),
                }),
                conditions: Some(conditions.iter().map(ConditionConfig::from).collect()),
                ..empty(ConditionKind::Composite)
            },
        }
    }
}

/// A validated action.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Stop evaluating rules; the base limits decide.
    Allow,
    /// Deny with `429 {"error": "blocked", "message": …}`.
    Block {
        /// The message, or a default naming the rule.
        message: Option<String>,
    },
    /// Answer with `response` (templated).
    CustomResponse {
        /// The JSON answered (string values are templates).
        response: Value,
        /// The status of a blocking response.
        status: u16,
        /// Blocks (true) or only attaches a warning (false).
        block: bool,
    },
}

impl Action {
    fn try_from_config(a: ActionConfig, path: &str) -> Result<Self, PolicyError> {
        let field = |name: &str| format!("{path}.{name}");
        match a.kind {
            ActionKind::Allow | ActionKind::Block => {
                for (name, present) in [
                    ("response", a.response.is_some()),
                    ("status", a.status.is_some()),
                    ("block", a.block.is_some()),
                ] {
                    if present {
                        return Err(PolicyError::new(
                            field(name),
                            "only allowed in a `custom_response` action",
                        ));
                    }
                }
                if a.kind == ActionKind::Allow {
                    if a.message.is_some() {
                        return Err(PolicyError::new(
                            field("message"),
                            "not allowed in an `allow` action",
                        ));
                    }
                    Ok(Action::Allow)
                } else {
                    Ok(Action::Block { message: a.message })
                }
            }
            ActionKind::CustomResponse => {
                if a.message.is_some() {
                    return Err(PolicyError::new(
                        field("message"),
                        "not allowed in a `custom_response` action; put it in `response`",
                    ));
                }
                let response = a
                    .response
                    .ok_or_else(|| PolicyError::new(field("response"), "is required"))?;
                let status = a.status.unwrap_or(429);
                if !(200..=599).contains(&status) {
                    return Err(PolicyError::new(
                        field("status"),
                        "must be an HTTP status from 200 to 599",
                    ));
                }
                Ok(Action::CustomResponse {
                    response,
                    status,
                    block: a.block.unwrap_or(true),
                })
            }
        }
    }
}

impl From<&Action> for ActionConfig {
    fn from(a: &Action) -> Self {
        match a {
            Action::Allow => ActionConfig {
                kind: ActionKind::Allow,
                response: None,
                status: None,
                block: None,
                message: None,
            },
            Action::Block { message } => ActionConfig {
                kind: ActionKind::Block,
                response: None,
                status: None,
                block: None,
                message: message.clone(),
            },
            Action::CustomResponse {
                response,
                status,
                block,
            } => ActionConfig {
                kind: ActionKind::CustomResponse,
                response: Some(response.clone()),
                status: Some(*status),
                block: Some(*block),
                message: None,
            },
        }
    }
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Disabled rules are skipped.
    pub enabled: bool,
    /// When the rule applies.
    pub condition: Condition,
    /// What it does then.
    pub action: Action,
}

impl From<&Rule> for RuleConfig {
    fn from(r: &Rule) -> Self {
        RuleConfig {
            id: Some(r.id.clone()),
            name: Some(r.name.clone()),
            enabled: Some(r.enabled),
            condition: ConditionConfig::from(&r.condition),
            action: ActionConfig::from(&r.action),
        }
    }
}

/// The rules of a policy, in evaluation order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    reads_usage: bool,
}

impl RuleSet {
    pub(crate) fn try_from_configs(configs: Vec<RuleConfig>) -> Result<Self, PolicyError> {
        let rules = configs
            .into_iter()
            .enumerate()
            .map(|(i, r)| {
                let path = format!("rules[{i}]");
                Ok(Rule {
                    id: r.id.unwrap_or_else(|| format!("rule-{}", i + 1)),
                    name: r.name.unwrap_or_default(),
                    enabled: r.enabled.unwrap_or(true),
                    condition: Condition::try_from_config(
                        r.condition,
                        &format!("{path}.condition"),
                        1,
                    )?,
                    action: Action::try_from_config(r.action, &format!("{path}.action"))?,
                })
            })
            .collect::<Result<Vec<_>, PolicyError>>()?;
        let reads_usage = rules.iter().any(|r| r.enabled && r.condition.reads_usage());
        Ok(Self { rules, reads_usage })
    }

    /// The first enabled rule whose condition holds.
    pub fn first_match(&self, ctx: &RuleContext<'_>) -> Option<&Rule> {
        self.rules
            .iter()
            .find(|r| r.enabled && r.condition.evaluate(ctx))
    }

    /// Whether any enabled rule looks at usage (so the engine must read it first).
    pub fn reads_usage(&self) -> bool {
        self.reads_usage
    }

    /// Whether there are no enabled rules.
    pub fn is_empty(&self) -> bool {
        !self.rules.iter().any(|r| r.enabled)
    }

    /// Number of rules, enabled or not.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// The rules in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Rule> {
        self.rules.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;
    use serde_json::json;

    fn nested(depth: usize) -> Value {
        let mut c = json!({"type": "tier_match", "value": "free"});
        for _ in 1..depth {
            c = json!({"type": "composite", "operator": "and", "conditions": [c]});
        }
        c
    }

    fn policy_with_condition(c: Value) -> Result<Policy, PolicyError> {
        Policy::from_json(&json!({"rules": [{"condition": c, "action": {"type": "block"}}]}))
    }

    #[test]
    fn composite_depth_is_limited_to_eight() {
        assert!(policy_with_condition(nested(8)).is_ok());
        let err = policy_with_condition(nested(9)).expect_err("too deep");
        assert!(
            err.field.starts_with("rules[0].condition.conditions[0]"),
            "{err}"
        );
    }

    #[test]
    fn missing_and_misplaced_fields_name_the_field() {
        let cases = [
            (
                json!({"type": "usage_percent", "metric": "requests", "operator": "gt"}),
                "rules[0].condition.threshold",
            ),
            (
                json!({"type": "usage_absolute", "operator": "gt", "threshold": 1}),
                "rules[0].condition.metric",
            ),
            (json!({"type": "tier_match"}), "rules[0].condition.value"),
            (
                json!({"type": "tier_match", "value": "a", "threshold": 3}),
                "rules[0].condition.threshold",
            ),
            (
                json!({"type": "composite", "operator": "xor", "conditions": []}),
                "rules[0].condition.operator",
            ),
            (
                json!({"type": "usage_percent", "metric": "requests", "operator": "gt", "threshold": -5}),
                "rules[0].condition.threshold",
            ),
            (
                json!({"type": "usage_percent", "metric": "bytes", "operator": "gt", "threshold": 5}),
                "rules[0].condition.metric",
            ),
        ];
        for (c, field) in cases {
            let err = policy_with_condition(c.clone()).expect_err("invalid");
            assert_eq!(err.field, field, "for {c}");
        }
        let err = Policy::from_json(
            &json!({"rules": [{"condition": {"type": "tier_match", "value": "a"},
            "action": {"type": "custom_response", "status": 99, "response": {}}}]}),
        )
        .expect_err("bad status");
        assert_eq!(err.field, "rules[0].action.status");
        let err = Policy::from_json(
            &json!({"rules": [{"condition": {"type": "tier_match", "value": "a"},
            "action": {"type": "custom_response"}}]}),
        )
        .expect_err("no response");
        assert_eq!(err.field, "rules[0].action.response");
    }

    #[test]
    fn first_enabled_matching_rule_wins() {
        let p = Policy::from_json(&json!({"rules": [
            {"id": "off", "enabled": false, "condition": {"type": "tier_match", "value": "free"}, "action": {"type": "block"}},
            {"id": "free", "condition": {"type": "tier_match", "values": ["free", "trial"]}, "action": {"type": "allow"}},
            {"id": "any", "condition": {"type": "usage_absolute", "metric": "requests", "operator": "gte", "threshold": 0}, "action": {"type": "block"}}
        ]}))
        .expect("valid");
        let ctx = |tier| RuleContext {
            usage: Usage::default(),
            limits: Limits::default(),
            tier,
        };
        assert_eq!(
            p.rules()
                .first_match(&ctx(Some("trial")))
                .map(|r| r.id.as_str()),
            Some("free")
        );
        assert_eq!(
            p.rules().first_match(&ctx(None)).map(|r| r.id.as_str()),
            Some("any")
        );
        assert!(p.rules().reads_usage());
    }
}
