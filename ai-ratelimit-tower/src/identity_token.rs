//! Signed identities: an app's own backend mints a short-lived HS256 JWT (`sub` = identity,
//! optional `tier`, `exp`) with its identity secret, the client sends it as
//! `x-identity-token`, and only a valid token says who the client is and in which tier.
//!
//! [`IdentityKeys`] checks a token (the current secret, and a rotated-out one until its grace
//! period ends); [`SignedIdentityExtractor`] is the layer's [`SubjectExtractor`] over it.

use std::collections::HashSet;
use std::fmt;
use std::future::ready;
use std::sync::Arc;

use ai_ratelimit_core::{Clock, SystemClock};
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use http::{HeaderName, Request, StatusCode};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::json;

use crate::policy_source::ScopedPolicy;
use crate::rejection::Rejection;
use crate::subject::{HeaderExtractor, Subject, SubjectExtractor};

/// The header a signed identity token is read from.
pub const IDENTITY_TOKEN_HEADER: HeaderName = HeaderName::from_static("x-identity-token");

/// How far in the future `nbf` and `iat` may lie (the minting backend's clock may run ahead).
pub const CLOCK_LEEWAY_SECONDS: i64 = 60;

/// The longest identity, in characters (as the API's `identity`).
const MAX_IDENTITY_CHARS: usize = 256;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdentityClaims {
    /// `sub`: the identity.
    pub identity: String,
    /// `tier`, when the token names one.
    pub tier: Option<String>,
}

/// Why a token is refused. Every variant is answered with `401 invalid_identity_token`; the
/// message says which check failed, never the token or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentityTokenError {
    /// No token was sent where one is required.
    #[error("missing identity token: send a signed JWT in the x-identity-token header")]
    Missing,
    /// Not a JWT, not JSON, or a claim of the wrong type.
    #[error("the identity token is malformed")]
    Malformed,
    /// Signed with anything but HS256 (`none` included).
    #[error("the identity token must be signed with HS256")]
    Algorithm,
    /// No secret of the project verifies the signature.
    #[error("the identity token's signature is invalid")]
    Signature,
    /// A required claim (`sub`, `exp`) is missing or empty.
    #[error("the identity token lacks the `{0}` claim")]
    MissingClaim(&'static str),
    /// `sub` is longer than 256 characters.
    #[error("the identity token's `sub` is longer than 256 characters")]
    IdentityTooLong,
    /// `exp` has passed.
    #[error("the identity token has expired")]
    Expired,
    /// `nbf` or `iat` lies more than the leeway in the future.
    #[error("the identity token is not valid yet")]
    NotYetValid,
    /// The project has no identity secret, so no token can be valid.
    #[error("this project has no identity secret: create one first")]
    NoSecret,
}

impl IdentityTokenError {
    /// The layer's answer: `401 {"error": "invalid_identity_token", "message": …}`.
    pub fn rejection(&self) -> Rejection {
        Rejection::new(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_identity_token", "message": self.to_string()}),
        )
    }
}

/// A secret's bytes; `Debug` never shows them.
#[derive(Clone)]
struct Secret(DecodingKey);

/// The secrets a project's identity tokens may be signed with: the current one, and the one
/// it replaced until `valid_until`.
///
/// A secret is used as the HMAC key byte for byte, as standard JWT libraries use a string
/// secret (`jwt.sign(claims, secret)` in Node, `EncodingKey::from_secret(secret.as_bytes())`
/// in Rust).
#[derive(Clone)]
pub struct IdentityKeys {
    current: Secret,
    previous: Option<(Secret, DateTime<Utc>)>,
}

impl fmt::Debug for IdentityKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityKeys")
            .field("current", &"<redacted>")
            .field("previous_valid_until", &self.previous.as_ref().map(|p| p.1))
            .finish()
    }
}

/// The claims as they may come; types are checked here, presence and times below.
#[derive(Deserialize)]
struct RawClaims {
    sub: Option<String>,
    #[serde(default)]
    tier: Option<String>,
    exp: Option<f64>,
    nbf: Option<f64>,
    iat: Option<f64>,
}

impl IdentityKeys {
    /// Tokens signed with `secret`.
    pub fn new(secret: impl AsRef<[u8]>) -> Self {
        Self {
            current: Secret(DecodingKey::from_secret(secret.as_ref())),
            previous: None,
        }
    }

    /// Also accepts tokens signed with the rotated-out `secret` until `valid_until`.
    pub fn with_previous(mut self, secret: impl AsRef<[u8]>, valid_until: DateTime<Utc>) -> Self {
        self.previous = Some((
            Secret(DecodingKey::from_secret(secret.as_ref())),
            valid_until,
        ));
        self
    }

    /// The claims of `token` if it is a valid HS256 JWT of these secrets at `now`: `exp`
    /// required and not passed; `nbf` and `iat` optional and at most
    /// [`CLOCK_LEEWAY_SECONDS`] in the future; `sub` required (1–256 characters).
    pub fn verify(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<IdentityClaims, IdentityTokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| match e.kind() {
            // jsonwebtoken knows no `none`: its header does not parse as an algorithm.
            ErrorKind::Json(_) if has_foreign_alg(token) => IdentityTokenError::Algorithm,
            _ => IdentityTokenError::Malformed,
        })?;
        if header.alg != Algorithm::HS256 {
            return Err(IdentityTokenError::Algorithm);
        }
        let raw = match self.decode(&self.current, token) {
            Err(IdentityTokenError::Signature) => match &self.previous {
                Some((previous, valid_until)) if now < *valid_until => {
                    self.decode(previous, token)?
                }
                _ => return Err(IdentityTokenError::Signature),
            },
            other => other?,
        };
        check_claims(raw, now)
    }

    fn decode(&self, key: &Secret, token: &str) -> Result<RawClaims, IdentityTokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        // Times are checked against the injected clock in `check_claims`, not the system's.
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims = HashSet::new();
        jsonwebtoken::decode::<RawClaims>(token, &key.0, &validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::InvalidSignature => IdentityTokenError::Signature,
                ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => {
                    IdentityTokenError::Algorithm
                }
                _ => IdentityTokenError::Malformed,
            })
    }
}

/// Whether the token's header names an `alg` at all (one jsonwebtoken cannot parse, such as
/// `none`), as opposed to a header that is not JSON.
fn has_foreign_alg(token: &str) -> bool {
    use base64::Engine as _;
    let Some(encoded) = token.split('.').next() else {
        return false;
    };
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(encoded.trim_end_matches('='))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|header| header.get("alg").is_some_and(|alg| alg != "HS256"))
}

fn check_claims(raw: RawClaims, now: DateTime<Utc>) -> Result<IdentityClaims, IdentityTokenError> {
    let now = now.timestamp() as f64;
    let leeway = CLOCK_LEEWAY_SECONDS as f64;
    let exp = raw.exp.ok_or(IdentityTokenError::MissingClaim("exp"))?;
    if exp <= now {
        return Err(IdentityTokenError::Expired);
    }
    if raw.nbf.is_some_and(|nbf| nbf > now + leeway)
        || raw.iat.is_some_and(|iat| iat > now + leeway)
    {
        return Err(IdentityTokenError::NotYetValid);
    }
    let identity = raw
        .sub
        .filter(|sub| !sub.is_empty())
        .ok_or(IdentityTokenError::MissingClaim("sub"))?;
    if identity.chars().count() > MAX_IDENTITY_CHARS {
        return Err(IdentityTokenError::IdentityTooLong);
    }
    Ok(IdentityClaims {
        identity,
        tier: raw.tier.filter(|tier| !tier.is_empty()),
    })
}

/// The secrets of a request's scope (a project), or `None` when it has none.
type KeysOf = dyn Fn(&ScopedPolicy) -> Option<IdentityKeys> + Send + Sync;

/// A [`SubjectExtractor`] that takes the identity and tier from a signed token in
/// `x-identity-token`.
///
/// Required (the default): a request without a valid token gets `401
/// invalid_identity_token`, and identity headers are ignored. Optional
/// ([`optional`](Self::optional)): a request without a token falls back to the
/// [`HeaderExtractor`]; one with a token must still send a valid one.
///
/// ```
/// use ai_ratelimit_tower::{IdentityKeys, RateLimitLayer, SignedIdentityExtractor};
/// # let policy = ai_ratelimit_core::Policy::from_json(&serde_json::json!({"dailyRequestLimit": 5})).unwrap();
/// let layer = RateLimitLayer::new(policy)
///     .extractor(SignedIdentityExtractor::new(IdentityKeys::new("my identity secret")));
/// # let _ = layer;
/// ```
#[derive(Clone)]
pub struct SignedIdentityExtractor {
    keys: Arc<KeysOf>,
    header: HeaderName,
    required: bool,
    fallback: HeaderExtractor,
    estimated_tokens: u64,
    clock: Arc<dyn Clock>,
}

impl fmt::Debug for SignedIdentityExtractor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedIdentityExtractor")
            .field("header", &self.header)
            .field("required", &self.required)
            .finish_non_exhaustive()
    }
}

impl SignedIdentityExtractor {
    /// Tokens of `keys`, for every request.
    pub fn new(keys: IdentityKeys) -> Self {
        Self::per_scope(move |_| Some(keys.clone()))
    }

    /// Tokens of each scope's own secrets (with `RateLimitLayer::by_project_key`, one per
    /// project); a scope without secrets accepts no token.
    pub fn per_scope(
        keys: impl Fn(&ScopedPolicy) -> Option<IdentityKeys> + Send + Sync + 'static,
    ) -> Self {
        Self {
            keys: Arc::new(keys),
            header: IDENTITY_TOKEN_HEADER,
            required: true,
            fallback: HeaderExtractor::new(),
            estimated_tokens: 0,
            clock: Arc::new(SystemClock),
        }
    }

    /// Without a token, read the subject with `fallback` (a token, when sent, must be valid).
    pub fn optional(mut self, fallback: HeaderExtractor) -> Self {
        self.required = false;
        self.fallback = fallback;
        self
    }

    /// Reads the token from another header.
    pub fn header(mut self, header: HeaderName) -> Self {
        self.header = header;
        self
    }

    /// Tokens reserved per request until it settles (default 0).
    pub fn estimated_tokens(mut self, tokens: u64) -> Self {
        self.estimated_tokens = tokens;
        self
    }

    /// The clock tokens' times are checked against (default: the system clock).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The subject of `request`, synchronously.
    pub fn subject<B>(
        &self,
        request: &Request<B>,
        policy: &ScopedPolicy,
    ) -> Result<Subject, Rejection> {
        let token = match request.headers().get(&self.header) {
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| IdentityTokenError::Malformed.rejection())?,
            ),
            None => None,
        };
        let Some(token) = token.filter(|t| !t.is_empty()) else {
            if self.required {
                return Err(IdentityTokenError::Missing.rejection());
            }
            let mut subject = self.fallback.subject(request)?;
            subject.estimated_tokens = self.estimated_tokens;
            return Ok(subject);
        };
        let keys = (self.keys)(policy).ok_or_else(|| IdentityTokenError::NoSecret.rejection())?;
        let claims = keys
            .verify(token, self.clock.now())
            .map_err(|e| e.rejection())?;
        Ok(Subject {
            identity: claims.identity,
            tier: claims.tier,
            estimated_tokens: self.estimated_tokens,
        })
    }
}

impl<B: Send + 'static> SubjectExtractor<B> for SignedIdentityExtractor {
    fn extract<'a>(
        &'a self,
        request: Request<B>,
        policy: &'a ScopedPolicy,
    ) -> BoxFuture<'a, Result<(Request<B>, Subject), Rejection>> {
        let subject = self.subject(&request, policy);
        Box::pin(ready(subject.map(|s| (request, s))))
    }

    fn extract_now(
        &self,
        request: &Request<B>,
        policy: &ScopedPolicy,
    ) -> Option<Result<Subject, Rejection>> {
        Some(self.subject(request, policy))
    }
}
