//! Organization names sign-up refuses; the same list as the repository's `RESERVED_ORG_NAMES.md`.

/// Reserved names, lower case, sorted.
pub const RESERVED_ORG_NAMES: &[&str] = &[
    "about",
    "account",
    "accounts",
    "admin",
    "administrator",
    "ai-ratelimit",
    "airatelimit",
    "api",
    "app",
    "auth",
    "billing",
    "blog",
    "dashboard",
    "docs",
    "help",
    "login",
    "logout",
    "mail",
    "owner",
    "root",
    "security",
    "settings",
    "signup",
    "staff",
    "status",
    "support",
    "system",
    "team",
    "www",
];

/// Whether `name` (any case, surrounding spaces ignored) is reserved.
pub fn is_reserved(name: &str) -> bool {
    let key = name.trim().to_lowercase();
    RESERVED_ORG_NAMES.binary_search(&key.as_str()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_repository_list() {
        let doc = include_str!("../../RESERVED_ORG_NAMES.md");
        let from_doc: Vec<&str> = doc
            .lines()
            .filter_map(|l| l.strip_prefix("- "))
            .map(str::trim)
            .collect();
        assert_eq!(from_doc, RESERVED_ORG_NAMES);
    }

    #[test]
    fn sorted_and_case_insensitive() {
        assert!(RESERVED_ORG_NAMES.windows(2).all(|w| w[0] < w[1]));
        assert!(is_reserved(" Admin "));
        assert!(is_reserved("WWW"));
        assert!(!is_reserved("Acme"));
    }
}
