//! Who a request is from: identity, tier and estimated tokens, and how to find them.

use std::fmt;
use std::future::ready;
use std::net::{IpAddr, SocketAddr};

use futures::future::BoxFuture;
use http::{HeaderMap, HeaderName, Request};

use crate::policy_source::ScopedPolicy;
use crate::rejection::Rejection;

/// The identity header read by default.
pub const IDENTITY_HEADER: HeaderName = HeaderName::from_static("x-identity");
/// The tier header read by default.
pub const TIER_HEADER: HeaderName = HeaderName::from_static("x-tier");

/// The subject of a limit: who is asking, in which tier, for how many tokens.
///
/// The layer also puts the subject of every admitted request in the request extensions,
/// so handlers can read who they serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// The end user (1–256 characters).
    pub identity: String,
    /// The tier the request claims, if any.
    pub tier: Option<String>,
    /// Tokens to reserve until the request settles (see `ai_ratelimit_core::estimate`).
    pub estimated_tokens: u64,
}

/// Finds the [`Subject`] of a request.
///
/// It takes the request by value and gives it back, so it may read (and rewrite) the body:
/// a proxy buffers the JSON body, reads `identity` and `tier`, estimates tokens with
/// `ai_ratelimit_core::estimate::request_tokens(&body, policy.default_output_tokens())`
/// and puts the body back. It sees the request's resolved policy for that reason.
///
/// Ready-made: [`HeaderExtractor`] (the default) and [`FnExtractor`] over `&Request`.
pub trait SubjectExtractor<B>: Send + Sync + 'static {
    /// The request (possibly rewritten) and its subject, or the response to answer with
    /// (e.g. `400 invalid_request` with `field: "identity"`).
    fn extract<'a>(
        &'a self,
        request: Request<B>,
        policy: &'a ScopedPolicy,
    ) -> BoxFuture<'a, Result<(Request<B>, Subject), Rejection>>;

    /// The subject read from the request's head without waiting, for extractors that can
    /// (headers, extensions): the layer then skips [`extract`](Self::extract) and its boxed
    /// future. `None` (the default) means "call `extract`".
    fn extract_now(
        &self,
        _request: &Request<B>,
        _policy: &ScopedPolicy,
    ) -> Option<Result<Subject, Rejection>> {
        None
    }
}

/// Where to find the client address when a request carries no identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClientIpSource {
    /// The peer address in the request extensions: a `std::net::SocketAddr` (or, with the
    /// `axum` feature, axum's `ConnectInfo<SocketAddr>`).
    ConnectInfo,
    /// The last address of `x-forwarded-for` (the one your proxy appended), else the peer
    /// address. Only opt in behind a proxy that appends to this header: clients can forge
    /// every entry but the last.
    ForwardedFor,
}

/// The client address of a request, from `source`.
pub fn client_ip<B>(request: &Request<B>, source: ClientIpSource) -> Option<IpAddr> {
    let forwarded = match source {
        ClientIpSource::ForwardedFor => last_forwarded_for(request.headers()),
        ClientIpSource::ConnectInfo => None,
    };
    forwarded.or_else(|| peer_ip(request.extensions()))
}

fn last_forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last = headers.get_all("x-forwarded-for").iter().next_back()?;
    last.to_str().ok()?.rsplit(',').next()?.trim().parse().ok()
}

fn peer_ip(extensions: &http::Extensions) -> Option<IpAddr> {
    if let Some(addr) = extensions.get::<SocketAddr>() {
        return Some(addr.ip());
    }
    #[cfg(feature = "axum")]
    if let Some(axum::extract::ConnectInfo(addr)) =
        extensions.get::<axum::extract::ConnectInfo<SocketAddr>>()
    {
        return Some(addr.ip());
    }
    None
}

/// The default extractor: identity and tier from headers (`x-identity`, `x-tier`), a
/// constant token estimate (default 0), and optionally the client IP as the identity of a
/// request without one.
///
/// A missing identity gets `400 invalid_request` with `field: "identity"`; a header that is
/// not visible ASCII gets the same with its field. An empty tier header counts as no tier.
#[derive(Debug, Clone)]
pub struct HeaderExtractor {
    identity_header: HeaderName,
    tier_header: HeaderName,
    estimated_tokens: u64,
    client_ip: Option<ClientIpSource>,
}

impl Default for HeaderExtractor {
    fn default() -> Self {
        Self::new()
    }
}

impl HeaderExtractor {
    /// Reads `x-identity` and `x-tier`, estimates 0 tokens, no IP fallback.
    pub fn new() -> Self {
        Self {
            identity_header: IDENTITY_HEADER,
            tier_header: TIER_HEADER,
            estimated_tokens: 0,
            client_ip: None,
        }
    }

    /// Reads the identity from another header.
    pub fn identity_header(mut self, header: HeaderName) -> Self {
        self.identity_header = header;
        self
    }

    /// Reads the tier from another header.
    pub fn tier_header(mut self, header: HeaderName) -> Self {
        self.tier_header = header;
        self
    }

    /// Tokens reserved per request until it settles (default 0).
    pub fn estimated_tokens(mut self, tokens: u64) -> Self {
        self.estimated_tokens = tokens;
        self
    }

    /// Uses the client IP as the identity of a request without an identity header.
    pub fn fallback_to_client_ip(mut self, source: ClientIpSource) -> Self {
        self.client_ip = Some(source);
        self
    }

    /// The subject of `request`, synchronously.
    pub fn subject<B>(&self, request: &Request<B>) -> Result<Subject, Rejection> {
        let identity = match header_text(request.headers(), &self.identity_header, "identity")? {
            Some(identity) => identity.to_owned(),
            None => match self.client_ip.and_then(|source| client_ip(request, source)) {
                Some(ip) => ip.to_string(),
                None => {
                    return Err(Rejection::invalid_request(
                        "identity",
                        format!("Missing identity: set the {} header", self.identity_header),
                    ));
                }
            },
        };
        let tier = header_text(request.headers(), &self.tier_header, "tier")?.map(str::to_owned);
        Ok(Subject {
            identity,
            tier,
            estimated_tokens: self.estimated_tokens,
        })
    }
}

/// A header's text: `None` when absent or empty, 400 naming `field` when not visible ASCII.
fn header_text<'h>(
    headers: &'h HeaderMap,
    name: &HeaderName,
    field: &str,
) -> Result<Option<&'h str>, Rejection> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => match value.to_str() {
            Ok("") => Ok(None),
            Ok(text) => Ok(Some(text)),
            Err(_) => Err(Rejection::invalid_request(
                field,
                format!("The {name} header must be visible ASCII"),
            )),
        },
    }
}

impl<B: Send + 'static> SubjectExtractor<B> for HeaderExtractor {
    fn extract<'a>(
        &'a self,
        request: Request<B>,
        _policy: &'a ScopedPolicy,
    ) -> BoxFuture<'a, Result<(Request<B>, Subject), Rejection>> {
        let subject = self.subject(&request);
        Box::pin(ready(subject.map(|s| (request, s))))
    }

    fn extract_now(
        &self,
        request: &Request<B>,
        _policy: &ScopedPolicy,
    ) -> Option<Result<Subject, Rejection>> {
        Some(self.subject(request))
    }
}

/// An extractor from a synchronous closure over the request: a JWT claim, an extension set
/// by the app's own authentication, a path segment…
///
/// Made by [`RateLimitLayer::subject_fn`](crate::RateLimitLayer::subject_fn).
#[derive(Clone)]
pub struct FnExtractor<F> {
    f: F,
}

impl<F> FnExtractor<F> {
    /// Wraps `f`.
    pub fn new(f: F) -> Self {
        Self { f }
    }
}

impl<F> fmt::Debug for FnExtractor<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnExtractor").finish_non_exhaustive()
    }
}

impl<B, F> SubjectExtractor<B> for FnExtractor<F>
where
    B: Send + 'static,
    F: Fn(&Request<B>) -> Result<Subject, Rejection> + Send + Sync + 'static,
{
    fn extract<'a>(
        &'a self,
        request: Request<B>,
        _policy: &'a ScopedPolicy,
    ) -> BoxFuture<'a, Result<(Request<B>, Subject), Rejection>> {
        let subject = (self.f)(&request);
        Box::pin(ready(subject.map(|s| (request, s))))
    }

    fn extract_now(
        &self,
        request: &Request<B>,
        _policy: &ScopedPolicy,
    ) -> Option<Result<Subject, Rejection>> {
        Some((self.f)(request))
    }
}
