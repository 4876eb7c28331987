//! The crate's own errors.

/// A boxed error from a user-supplied component (a policy lookup, say).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Errors of the rate-limit layer's pluggable parts.
///
/// Denials and invalid requests are never errors: they are responses (see
/// [`Rejection`](crate::Rejection)). These errors are what a lookup reports when it cannot
/// answer at all; the layer answers them with `503 policy_unavailable` and logs them.
#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    /// A [`ProjectKeyLookup`](crate::ProjectKeyLookup) failed (its database is down, say).
    #[error("policy lookup failed")]
    PolicyLookup(#[source] BoxError),
}

impl RateLimitError {
    /// Wraps any error as a failed policy lookup.
    pub fn policy_lookup(error: impl Into<BoxError>) -> Self {
        Self::PolicyLookup(error.into())
    }
}
