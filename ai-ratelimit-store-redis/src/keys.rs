//! Key names (see the crate docs for the layout).

use std::fmt::Write as _;

use ai_ratelimit_core::{Period, UsageKey};

/// Appends `raw` percent-encoded: every byte outside `[A-Za-z0-9._-]` becomes `%XX`, so the
/// result never holds `{`, `}`, `:` or spaces and cannot alter the key structure.
fn push_encoded(out: &mut String, raw: &str) {
    for b in raw.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.') {
            out.push(char::from(b));
        } else {
            // Writing to a String cannot fail.
            let _ = write!(out, "%{b:02X}");
        }
    }
}

/// The key names of one store (one prefix).
#[derive(Debug, Clone)]
pub(crate) struct KeySpace {
    prefix: String,
}

/// The keys of one scope and period.
#[derive(Debug)]
pub(crate) struct PeriodKeys {
    /// `<base>`: `<prefix>:{<scope>}:3:<period id>`.
    base: String,
}

/// The keys a settlement, release or usage read may touch, all in the slot of the scope's
/// hash tag.
#[derive(Debug)]
pub(crate) struct IdentityKeys {
    pub(crate) counter: String,
    pub(crate) totals: String,
    pub(crate) changed: String,
}

impl KeySpace {
    pub(crate) fn new(prefix: &str) -> Self {
        Self {
            prefix: prefix.to_owned(),
        }
    }

    pub(crate) fn period(&self, scope: &str, period: &Period) -> PeriodKeys {
        let mut base = String::with_capacity(self.prefix.len() + scope.len() + 24);
        base.push_str(&self.prefix);
        base.push_str(":{");
        if scope.is_empty() {
            // `{}` is no hash tag at all; `%` alone is never produced by the encoding.
            base.push('%');
        } else {
            push_encoded(&mut base, scope);
        }
        // The layout's version: keys of earlier layouts (none, `2:`) are never read.
        base.push_str("}:3:");
        base.push_str(&period.id());
        PeriodKeys { base }
    }

    pub(crate) fn identity(&self, key: &UsageKey) -> IdentityKeys {
        let period = self.period(&key.scope, &key.period);
        IdentityKeys {
            counter: period.counter(&key.identity),
            totals: period.totals(),
            changed: period.changed(),
        }
    }
}

impl PeriodKeys {
    fn with_identity(&self, kind: &str, identity: &str) -> String {
        let mut key = String::with_capacity(self.base.len() + kind.len() + identity.len() + 8);
        key.push_str(&self.base);
        key.push_str(kind);
        push_encoded(&mut key, identity);
        key
    }

    pub(crate) fn counter(&self, identity: &str) -> String {
        self.with_identity(":c:", identity)
    }

    pub(crate) fn index(&self) -> String {
        format!("{}:ix", self.base)
    }

    pub(crate) fn totals(&self) -> String {
        format!("{}:tot", self.base)
    }

    pub(crate) fn changed(&self) -> String {
        format!("{}:ch", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ai_ratelimit_core::Window;

    /// The hash tag as Redis Cluster computes it: the bytes between the first `{` and the
    /// first `}` after it, if not empty.
    fn hash_tag(key: &str) -> Option<&str> {
        let open = key.find('{')?;
        let close = key[open + 1..].find('}')? + open + 1;
        (close > open + 1).then(|| &key[open + 1..close])
    }

    fn usage_key(scope: &str, identity: &str) -> UsageKey {
        UsageKey {
            scope: scope.into(),
            identity: identity.into(),
            period: Window::Day.period_at("2030-01-15T10:20:00Z".parse().expect("time")),
        }
    }

    #[test]
    fn layout_is_as_documented() {
        let key = usage_key("proj-1", "user 42");
        let keys = KeySpace::new("airl").identity(&key);
        assert_eq!(keys.counter, "airl:{proj-1}:3:day:2030-01-15:c:user%2042");
        assert_eq!(keys.totals, "airl:{proj-1}:3:day:2030-01-15:tot");
        assert_eq!(keys.changed, "airl:{proj-1}:3:day:2030-01-15:ch");
        let period = KeySpace::new("airl").period(&key.scope, &key.period);
        assert_eq!(period.index(), "airl:{proj-1}:3:day:2030-01-15:ix");
    }

    #[test]
    fn every_key_of_a_scope_shares_one_hash_tag_whatever_the_names() {
        let scopes = ["p", "{x}", "}{", "a:b}c", "", "用户", "{}"];
        let identities = ["{tag}:x", "}", "{", "a'b\"c;--", "用户🙂", "", "%41"];
        for scope in scopes {
            let mut tags = std::collections::HashSet::new();
            for identity in identities {
                let k = KeySpace::new("airl").identity(&usage_key(scope, identity));
                let index = KeySpace::new("airl")
                    .period(scope, &usage_key(scope, identity).period)
                    .index();
                for key in [&k.counter, &index, &k.totals, &k.changed] {
                    tags.insert(hash_tag(key).map(str::to_owned));
                }
            }
            assert_eq!(tags.len(), 1, "scope {scope:?}: {tags:?}");
            assert!(tags.iter().all(Option::is_some), "scope {scope:?}");
        }
    }

    #[test]
    fn distinct_names_give_distinct_keys() {
        let pairs = [
            ("a", "b:c"),
            ("a:b", "c"),
            ("a", "b%3Ac"),
            ("", "x"),
            ("%", "x"),
        ];
        let keys: std::collections::HashSet<String> = pairs
            .iter()
            .map(|(s, i)| KeySpace::new("airl").identity(&usage_key(s, i)).counter)
            .collect();
        assert_eq!(keys.len(), pairs.len());
    }
}
