//! Session tokens (JWT, HS256) and the [`AuthUser`] extractor of authenticated routes.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::accounts::User;
use crate::error::ApiError;
use crate::state::AppState;

/// The claims of a session token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Organization id.
    pub org: String,
    /// Issued at (Unix seconds).
    pub iat: i64,
    /// Expires at (Unix seconds).
    pub exp: i64,
}

/// Issues and verifies session tokens.
#[derive(Clone)]
pub struct SessionKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

impl std::fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionKeys")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

impl SessionKeys {
    /// Keys from the HS256 secret, issuing tokens valid for `lifetime`.
    pub fn new(secret: &str, lifetime: Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret.as_bytes()),
            decoding: DecodingKey::from_secret(secret.as_bytes()),
            lifetime,
        }
    }

    /// A token for `user`, issued at `now`.
    pub fn issue(&self, user: &User, now: DateTime<Utc>) -> Result<String, ApiError> {
        let iat = now.timestamp();
        let lifetime = i64::try_from(self.lifetime.as_secs()).unwrap_or(i64::MAX);
        let claims = Claims {
            sub: user.id.clone(),
            org: user.organization_id.clone(),
            iat,
            exp: iat.saturating_add(lifetime),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(ApiError::internal)
    }

    /// The claims of a valid token at `now`. Expiry is checked against the injected clock,
    /// not the system time, so tests can move past it.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, ApiError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &validation)
            .map_err(|_| ApiError::Unauthorized)?;
        if data.claims.exp <= now.timestamp() {
            return Err(ApiError::Unauthorized);
        }
        Ok(data.claims)
    }
}

/// The caller of an authenticated route: `Authorization: Bearer <jwt>`.
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// User id.
    pub user_id: String,
    /// The organization whose projects the caller may see.
    pub organization_id: String,
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(ApiError::Unauthorized)?;
        let claims = state.sessions.verify(token, state.clock.now())?;
        Ok(AuthUser {
            user_id: claims.sub,
            organization_id: claims.org,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> User {
        User {
            id: "u".into(),
            email: "a@b.c".into(),
            organization_id: "o".into(),
            organization_name: "O".into(),
        }
    }

    #[test]
    fn expiry_follows_the_given_clock() {
        let keys = SessionKeys::new("secret", Duration::from_secs(60));
        let t0: DateTime<Utc> = "2026-01-01T00:00:00Z".parse().expect("time");
        let token = keys.issue(&user(), t0).expect("issued");
        assert_eq!(
            keys.verify(&token, t0).map(|c| c.sub).ok(),
            Some("u".into())
        );
        assert!(
            keys.verify(&token, t0 + chrono::Duration::seconds(60))
                .is_err()
        );
        let other = SessionKeys::new("other", Duration::from_secs(60));
        assert!(other.verify(&token, t0).is_err());
    }
}
