//! `{{variable}}` substitution in custom responses.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::Metric;

/// The values a custom response may refer to, for one metric.
///
/// Unlimited metrics render `{{limit}}` and `{{remaining}}` as `unlimited` and `{{percent}}` as `0`.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateValues {
    /// `{{used}}`
    pub used: u64,
    /// `{{limit}}`
    pub limit: Option<u64>,
    /// `{{tier}}` (empty when none)
    pub tier: Option<String>,
    /// `{{metric}}`
    pub metric: Metric,
    /// `{{resetAt}}` (RFC 3339)
    pub reset_at: DateTime<Utc>,
}

impl TemplateValues {
    fn percent(&self) -> u64 {
        match self.limit {
            None => 0,
            Some(0) => 100,
            Some(l) => self.used.saturating_mul(100) / l,
        }
    }

    fn lookup(&self, name: &str) -> Option<String> {
        let unlimited = || "unlimited".to_owned();
        Some(match name {
            "used" => self.used.to_string(),
            "limit" => self.limit.map_or_else(unlimited, |l| l.to_string()),
            "remaining" => self
                .limit
                .map_or_else(unlimited, |l| l.saturating_sub(self.used).to_string()),
            "percent" => self.percent().to_string(),
            "tier" => self.tier.clone().unwrap_or_default(),
            "metric" => self.metric.as_str().to_owned(),
            "resetAt" => self.reset_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            _ => return None,
        })
    }

    /// Fills every string (at any depth, keys excepted) of `template`. Unknown variables stay as written.
    pub fn render(&self, template: &Value) -> Value {
        match template {
            Value::String(s) => Value::String(self.render_str(s)),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.render(v)).collect()),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.render(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }

    fn render_str(&self, s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        let mut rest = s;
        while let Some(open) = rest.find("{{") {
            out.push_str(&rest[..open]);
            let after = &rest[open + 2..];
            match after.find("}}") {
                Some(close) => {
                    let name = after[..close].trim();
                    match self.lookup(name) {
                        Some(v) => out.push_str(&v),
                        None => out.push_str(&rest[open..open + 2 + close + 2]),
                    }
                    rest = &after[close + 2..];
                }
                None => {
                    out.push_str(&rest[open..]);
                    rest = "";
                }
            }
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fills_variables_at_any_depth() {
        let t = TemplateValues {
            used: 8,
            limit: Some(10),
            tier: Some("free".into()),
            metric: Metric::Requests,
            reset_at: "2026-11-29T00:00:00Z".parse().expect("timestamp"),
        };
        let out = t.render(&json!({
            "message": "{{used}}/{{limit}} ({{percent}}%), {{remaining}} left on {{tier}} {{metric}}",
            "nested": [{"at": "{{ resetAt }}"}, 3, "{{unknown}} {{"],
        }));
        assert_eq!(
            out,
            json!({
                "message": "8/10 (80%), 2 left on free requests",
                "nested": [{"at": "2026-11-29T00:00:00Z"}, 3, "{{unknown}} {{"],
            })
        );
        let unlimited = TemplateValues {
            limit: None,
            tier: None,
            ..t
        };
        assert_eq!(
            unlimited.render(&json!("{{limit}} {{remaining}} {{percent}} [{{tier}}]")),
            json!("unlimited unlimited 0 []")
        );
    }
}
