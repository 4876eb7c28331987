//! Where the layer finds the policy of a request: one fixed policy, or one per project key.

use std::collections::HashMap;
use std::fmt;
use std::future::{Future, ready};
use std::sync::Arc;

use ai_ratelimit_core::Policy;
use futures::future::BoxFuture;
use http::HeaderName;
use http::request::Parts;

use crate::error::RateLimitError;
use crate::rejection::Rejection;

/// The header a project key is read from by default.
pub const PROJECT_KEY_HEADER: HeaderName = HeaderName::from_static("x-project-key");

/// A policy and the scope its counters live in (a project id, an app name).
#[derive(Debug, Clone, PartialEq)]
pub struct ScopedPolicy {
    /// The tenant: counters of different scopes never mix.
    pub scope: Arc<str>,
    /// The limits, tiers and rules.
    pub policy: Arc<Policy>,
}

impl ScopedPolicy {
    /// `policy` counted under `scope`.
    pub fn new(scope: impl Into<Arc<str>>, policy: impl Into<Arc<Policy>>) -> Self {
        Self {
            scope: scope.into(),
            policy: policy.into(),
        }
    }
}

impl<S: Into<Arc<str>>> From<(S, Arc<Policy>)> for ScopedPolicy {
    fn from((scope, policy): (S, Arc<Policy>)) -> Self {
        Self::new(scope, policy)
    }
}

/// Finds the policy that governs a request, from its head (method, URI, headers,
/// extensions). Object safe, so a server can plug a cached database lookup.
///
/// A [`ScopedPolicy`] is itself a source (the same policy for every request), and
/// [`ProjectKeyPolicy`] looks one up by a header.
pub trait PolicySource: Send + Sync + 'static {
    /// The request's policy, or the response to answer with instead (e.g. a 401).
    fn resolve<'a>(&'a self, head: &'a Parts) -> BoxFuture<'a, Result<ScopedPolicy, Rejection>>;

    /// The policy of every request, when it does not depend on the request: lets the layer
    /// skip [`resolve`](Self::resolve) (and its allocation). Default: `None`.
    fn fixed(&self) -> Option<&ScopedPolicy> {
        None
    }
}

impl PolicySource for ScopedPolicy {
    fn resolve<'a>(&'a self, _head: &'a Parts) -> BoxFuture<'a, Result<ScopedPolicy, Rejection>> {
        Box::pin(ready(Ok(self.clone())))
    }

    fn fixed(&self) -> Option<&ScopedPolicy> {
        Some(self)
    }
}

/// Looks up the policy of a project key. `None` means the key is unknown (401).
///
/// Implemented by closures `Fn(String) -> impl Future<Output = Option<ScopedPolicy>>` and by
/// `HashMap<String, ScopedPolicy>`; a server implements it over its (cached) database.
pub trait ProjectKeyLookup: Send + Sync + 'static {
    /// The policy of `project_key`, `Ok(None)` if there is no such key, or an error if the
    /// lookup could not be made (answered with `503 policy_unavailable`).
    fn lookup<'a>(
        &'a self,
        project_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<ScopedPolicy>, RateLimitError>>;
}

impl<F, Fut> ProjectKeyLookup for F
where
    F: Fn(String) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<ScopedPolicy>> + Send + 'static,
{
    fn lookup<'a>(
        &'a self,
        project_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<ScopedPolicy>, RateLimitError>> {
        let found = self(project_key.to_owned());
        Box::pin(async move { Ok(found.await) })
    }
}

impl ProjectKeyLookup for HashMap<String, ScopedPolicy> {
    fn lookup<'a>(
        &'a self,
        project_key: &'a str,
    ) -> BoxFuture<'a, Result<Option<ScopedPolicy>, RateLimitError>> {
        Box::pin(ready(Ok(self.get(project_key).cloned())))
    }
}

/// A [`PolicySource`] that reads a project key from a header (default `x-project-key`) and
/// looks it up. A missing, non-UTF-8 or unknown key gets `401 invalid_project_key`.
pub struct ProjectKeyPolicy<L> {
    header: HeaderName,
    lookup: L,
}

impl<L: ProjectKeyLookup> ProjectKeyPolicy<L> {
    /// Looks keys from the `x-project-key` header up in `lookup`.
    pub fn new(lookup: L) -> Self {
        Self {
            header: PROJECT_KEY_HEADER,
            lookup,
        }
    }

    /// Reads the key from another header.
    pub fn header(mut self, header: HeaderName) -> Self {
        self.header = header;
        self
    }
}

impl<L> fmt::Debug for ProjectKeyPolicy<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProjectKeyPolicy")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

impl<L: ProjectKeyLookup> PolicySource for ProjectKeyPolicy<L> {
    fn resolve<'a>(&'a self, head: &'a Parts) -> BoxFuture<'a, Result<ScopedPolicy, Rejection>> {
        Box::pin(async move {
            let key = match head.headers.get(&self.header).map(|v| v.to_str()) {
                Some(Ok(key)) if !key.is_empty() => key,
                Some(Ok(_)) | None => {
                    return Err(Rejection::invalid_project_key(format!(
                        "Missing project key: set the {} header",
                        self.header
                    )));
                }
                Some(Err(_)) => {
                    return Err(Rejection::invalid_project_key(
                        "The project key must be visible ASCII",
                    ));
                }
            };
            match self.lookup.lookup(key).await {
                Ok(Some(found)) => Ok(found),
                Ok(None) => Err(Rejection::invalid_project_key("Unknown project key")),
                Err(error) => {
                    tracing::warn!(error = %error, source = ?std::error::Error::source(&error), "policy lookup failed");
                    Err(Rejection::policy_unavailable())
                }
            }
        })
    }
}
