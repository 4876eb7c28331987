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
/// It may also attach request extensions (the head is mutable): a server's source that
/// loads a whole project puts it there, so the handler reads it without a second lookup.
///
/// A [`ScopedPolicy`] is itself a source (the same policy for every request), and
/// [`ProjectKeyPolicy`] looks one up by a header or a bearer token.
pub trait PolicySource: Send + Sync + 'static {
    /// The request's policy, or the response to answer with instead (e.g. a 401).
    fn resolve<'a>(&'a self, head: &'a mut Parts)
    -> BoxFuture<'a, Result<ScopedPolicy, Rejection>>;

    /// The policy of every request, when it does not depend on the request: lets the layer
    /// skip [`resolve`](Self::resolve) (and its allocation). Default: `None`.
    fn fixed(&self) -> Option<&ScopedPolicy> {
        None
    }
}

impl PolicySource for ScopedPolicy {
    fn resolve<'a>(
        &'a self,
        _head: &'a mut Parts,
    ) -> BoxFuture<'a, Result<ScopedPolicy, Rejection>> {
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
    bearer: bool,
    lookup: L,
}

impl<L: ProjectKeyLookup> ProjectKeyPolicy<L> {
    /// Looks keys from the `x-project-key` header up in `lookup`.
    pub fn new(lookup: L) -> Self {
        Self {
            header: PROJECT_KEY_HEADER,
            bearer: false,
            lookup,
        }
    }

    /// Reads the key from another header.
    pub fn header(mut self, header: HeaderName) -> Self {
        self.header = header;
        self
    }

    /// Reads the key from `Authorization: Bearer <key>` first (as an SDK that only lets
    /// its API key be set sends it), then from the header.
    pub fn bearer(mut self) -> Self {
        self.bearer = true;
        self
    }
}

/// The project key of a request: its bearer token when `bearer`, else the `header`.
/// `Err` carries the rejection of a missing or unreadable key.
pub fn project_key<'h>(
    headers: &'h http::HeaderMap,
    header: &HeaderName,
    bearer: bool,
) -> Result<&'h str, Rejection> {
    if bearer
        && let Some(token) = headers
            .get(http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .filter(|k| !k.is_empty())
    {
        return Ok(token);
    }
    match headers.get(header).map(|v| v.to_str()) {
        Some(Ok(key)) if !key.is_empty() => Ok(key),
        Some(Ok(_)) | None => Err(Rejection::invalid_project_key(if bearer {
            format!("Missing project key: send Authorization: Bearer <key> or the {header} header")
        } else {
            format!("Missing project key: set the {header} header")
        })),
        Some(Err(_)) => Err(Rejection::invalid_project_key(
            "The project key must be visible ASCII",
        )),
    }
}

impl<L> fmt::Debug for ProjectKeyPolicy<L> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProjectKeyPolicy")
            .field("header", &self.header)
            .field("bearer", &self.bearer)
            .finish_non_exhaustive()
    }
}

impl<L: ProjectKeyLookup> PolicySource for ProjectKeyPolicy<L> {
    fn resolve<'a>(
        &'a self,
        head: &'a mut Parts,
    ) -> BoxFuture<'a, Result<ScopedPolicy, Rejection>> {
        Box::pin(async move {
            let key = project_key(&head.headers, &self.header, self.bearer)?;
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
