//! Authentication routes: sign-up, magic links, legacy password login and `me`.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, LazyLock};

use ai_ratelimit_core::{Decision, LimitRequest, Limiter, MemoryStore, Policy, Window};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use chrono::Duration;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{self, User};
use crate::crypto;
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::reserved;
use crate::session::AuthUser;
use crate::state::AppState;

/// How long a magic link works.
pub const MAGIC_LINK_TTL: Duration = Duration::minutes(15);
/// Magic-link requests accepted per e-mail address and hour.
pub const MAGIC_LINKS_PER_EMAIL_PER_HOUR: u64 = 5;
/// Magic-link requests accepted per client IP and hour.
pub const MAGIC_LINKS_PER_IP_PER_HOUR: u64 = 30;
const MIN_PASSWORD_CHARS: usize = 8;
// Lengths in characters, as JSON Schema's `maxLength` counts (the OpenAPI document says them).
const MAX_PASSWORD_CHARS: usize = 1024;
const MAX_ORGANIZATION_NAME_CHARS: usize = 100;
const MAX_EMAIL_CHARS: usize = 254;

/// `POST /api/auth/signup` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SignupRequest {
    /// The first user's e-mail.
    #[schema(format = Email, min_length = 3, max_length = 254, example = "you@example.com")]
    pub email: String,
    /// The new organization's name (unique, case-insensitively).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$",
        example = "Acme"
    )]
    pub organization_name: String,
    /// Optional password for the legacy login (8 to 1024 characters).
    #[serde(default)]
    #[schema(min_length = 8, max_length = 1024)]
    pub password: Option<String>,
}

/// `POST /api/auth/signup` answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct SignupResponse {
    /// What happens next.
    pub message: String,
    /// The registered e-mail.
    pub email: String,
}

/// `POST /api/auth/magic-link/request` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MagicLinkRequest {
    /// Where to send the link.
    #[schema(format = Email, min_length = 3, max_length = 254, example = "you@example.com")]
    pub email: String,
}

/// A message-only answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    /// What happened.
    pub message: String,
}

/// `POST /api/auth/magic-link/verify` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyRequest {
    /// The token from the link.
    pub token: String,
}

/// `POST /api/auth/login` body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// E-mail.
    pub email: String,
    /// Password.
    pub password: String,
}

/// A session: the JWT and its user.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionResponse {
    /// `Authorization: Bearer` token of later requests.
    pub token: String,
    /// The signed-in user.
    pub user: User,
}

/// Normalizes and checks an e-mail address: one `@`, a dotted domain, no spaces.
pub fn normalize_email(raw: &str) -> Result<String, ApiError> {
    let email = raw.trim().to_lowercase();
    let invalid = || ApiError::invalid_field("email", "must be a valid e-mail address");
    if email.is_empty()
        || email.chars().count() > MAX_EMAIL_CHARS
        || email.chars().any(char::is_whitespace)
    {
        return Err(invalid());
    }
    let (local, domain) = email.split_once('@').ok_or_else(invalid)?;
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty()
        || local.chars().count() > 64
        || !domain_ok
        || local.contains(['<', '>', '"', ','])
    {
        return Err(invalid());
    }
    Ok(email)
}

fn validate_organization_name(raw: &str) -> Result<String, ApiError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > MAX_ORGANIZATION_NAME_CHARS {
        return Err(ApiError::invalid_field(
            "organizationName",
            format!("must be 1 to {MAX_ORGANIZATION_NAME_CHARS} characters"),
        ));
    }
    if name.chars().any(char::is_control) {
        return Err(ApiError::invalid_field(
            "organizationName",
            "must not contain control characters",
        ));
    }
    if reserved::is_reserved(name) {
        return Err(ApiError::OrganizationReserved);
    }
    Ok(name.to_owned())
}

/// A random 128-bit salt.
fn new_salt() -> Result<SaltString, ApiError> {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    SaltString::encode_b64(&bytes).map_err(ApiError::internal)
}

/// Hashes a password with Argon2id (default parameters), off the async threads.
async fn hash_password(password: String) -> Result<String, ApiError> {
    tokio::task::spawn_blocking(move || {
        let salt = new_salt()?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)?
}

/// A valid hash of a random password, verified against when the account does not exist so
/// that a login takes as long whether or not the e-mail is registered.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    new_salt()
        .ok()
        .and_then(|salt| {
            Argon2::default()
                .hash_password(crypto::random_token().as_bytes(), &salt)
                .ok()
                .map(|h| h.to_string())
        })
        .unwrap_or_default()
});

async fn verify_password(password: String, hash: Option<String>) -> Result<bool, ApiError> {
    tokio::task::spawn_blocking(move || {
        let (hash, exists) = match hash {
            Some(h) => (h, true),
            None => (DUMMY_HASH.clone(), false),
        };
        let ok = PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false);
        ok && exists
    })
    .await
    .map_err(ApiError::internal)
}

/// Per-e-mail and per-IP limits on magic-link requests, so the endpoint cannot be used to
/// flood an inbox. Built on the core limiter (hourly window, in memory, this instance).
#[derive(Debug, Clone)]
pub struct MagicLinkLimits {
    limiter: Limiter<MemoryStore>,
    per_email: Arc<Policy>,
    per_ip: Arc<Policy>,
}

impl MagicLinkLimits {
    /// Limits on the given clock.
    pub fn new(clock: Arc<dyn ai_ratelimit_core::Clock>) -> Result<Self, ApiError> {
        let hourly = |limit| {
            Policy::builder()
                .window(Window::Hour)
                .request_limit(Some(limit))
                .build()
                .map_err(ApiError::internal)
        };
        Ok(Self {
            limiter: Limiter::builder(MemoryStore::new())
                .clock(clock)
                .build()
                .map_err(ApiError::internal)?,
            per_email: Arc::new(hourly(MAGIC_LINKS_PER_EMAIL_PER_HOUR)?),
            per_ip: Arc::new(hourly(MAGIC_LINKS_PER_IP_PER_HOUR)?),
        })
    }

    /// Counts one request from `ip` for `email`; `RateLimited` when either limit is reached.
    pub async fn check(&self, email: &str, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let ip = ip.map(|ip| ip.to_string());
        let checks = [
            ip.as_deref().map(|ip| ("magic-link:ip", ip, &self.per_ip)),
            Some(("magic-link:email", email, &self.per_email)),
        ];
        for (scope, identity, policy) in checks.into_iter().flatten() {
            let request = LimitRequest {
                scope,
                identity,
                tier: None,
                estimated_tokens: 0,
            };
            if let Decision::Denied(denial) = self.limiter.check(policy, &request).await? {
                return Err(ApiError::RateLimited {
                    retry_after_secs: denial.retry_after_secs(),
                });
            }
        }
        Ok(())
    }
}

/// Creates a magic link for `user` and hands it to the sender.
async fn send_magic_link(state: &AppState, user: &User) -> Result<(), ApiError> {
    let now = state.clock.now();
    let token = crypto::random_token();
    accounts::insert_magic_link(
        state.db.pool(),
        &crypto::token_hash(&token),
        &user.id,
        now + MAGIC_LINK_TTL,
        now,
    )
    .await?;
    state
        .mailer
        .send(&user.email, &state.config.magic_link_url(&token))
        .await;
    Ok(())
}

/// Sign up: creates an organization and its first user, and sends a magic link.
#[utoipa::path(post, path = "/api/auth/signup", tag = "auth",
    request_body = SignupRequest,
    responses(
        (status = 201, description = "Organization and user created; magic link sent", body = SignupResponse),
        (status = 400, description = "Invalid e-mail, name or password (`invalid_request`), or reserved name (`organization_reserved`)", body = ErrorBody),
        (status = 409, description = "`organization_taken` or `email_taken`", body = ErrorBody),
    ))]
pub async fn signup(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<SignupRequest>,
) -> Result<(StatusCode, Json<SignupResponse>), ApiError> {
    let email = normalize_email(&body.email)?;
    let organization_name = validate_organization_name(&body.organization_name)?;
    let password_hash = match body.password {
        Some(p)
            if p.chars().count() < MIN_PASSWORD_CHARS || p.chars().count() > MAX_PASSWORD_CHARS =>
        {
            return Err(ApiError::invalid_field(
                "password",
                format!("must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
            ));
        }
        Some(p) => Some(hash_password(p).await?),
        None => None,
    };
    let user = accounts::create_organization_with_user(
        state.db.pool(),
        &organization_name,
        &email,
        password_hash.as_deref(),
        state.clock.now(),
    )
    .await?;
    tracing::info!(user_id = %user.id, organization_id = %user.organization_id, "organization signed up");
    send_magic_link(&state, &user).await?;
    Ok((
        StatusCode::CREATED,
        Json(SignupResponse {
            message: "Account created. Check your e-mail for a sign-in link.".to_owned(),
            email,
        }),
    ))
}

/// Request a magic link. Answers the same whether or not the e-mail is registered.
#[utoipa::path(post, path = "/api/auth/magic-link/request", tag = "auth",
    request_body = MagicLinkRequest,
    responses(
        (status = 200, description = "If the e-mail is registered, a link was sent", body = MessageResponse),
        (status = 400, description = "Invalid e-mail", body = ErrorBody),
        (status = 429, description = "Too many links requested for this e-mail or from this address (`rate_limited`, with `Retry-After`)", body = ErrorBody),
    ))]
pub async fn request_magic_link(
    State(state): State<AppState>,
    connect_info: Option<Extension<ConnectInfo<SocketAddr>>>,
    ApiJson(body): ApiJson<MagicLinkRequest>,
) -> Result<Json<MessageResponse>, ApiError> {
    let email = normalize_email(&body.email)?;
    let ip = connect_info.map(|Extension(ConnectInfo(addr))| addr.ip());
    state.magic_link_limits.check(&email, ip).await?;
    if let Some(credentials) = accounts::credentials_by_email(state.db.pool(), &email).await? {
        send_magic_link(&state, &credentials.user).await?;
    }
    // Housekeeping: links that expired a day ago can go.
    accounts::purge_magic_links(state.db.pool(), state.clock.now() - Duration::days(1)).await?;
    Ok(Json(MessageResponse {
        message: "If this e-mail is registered, a sign-in link is on its way.".to_owned(),
    }))
}

/// Exchange a magic-link token for a session.
#[utoipa::path(post, path = "/api/auth/magic-link/verify", tag = "auth",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "Signed in", body = SessionResponse),
        (status = 401, description = "Unknown, used or expired token (`invalid_token`)", body = ErrorBody),
    ))]
pub async fn verify_magic_link(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<VerifyRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    let now = state.clock.now();
    let user_id =
        accounts::consume_magic_link(state.db.pool(), &crypto::token_hash(body.token.trim()), now)
            .await?
            .ok_or(ApiError::InvalidToken)?;
    let user = accounts::user_by_id(state.db.pool(), &user_id)
        .await?
        .ok_or(ApiError::InvalidToken)?;
    let token = state.sessions.issue(&user, now)?;
    Ok(Json(SessionResponse { token, user }))
}

/// Legacy password login (deprecated: prefer magic links).
#[utoipa::path(post, path = "/api/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = SessionResponse),
        (status = 401, description = "Wrong e-mail or password (`invalid_credentials`)", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Json<SessionResponse>, ApiError> {
    let email = normalize_email(&body.email).map_err(|_| ApiError::InvalidCredentials)?;
    if body.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(ApiError::InvalidCredentials);
    }
    let credentials = accounts::credentials_by_email(state.db.pool(), &email).await?;
    let hash = credentials.as_ref().and_then(|c| c.password_hash.clone());
    if !verify_password(body.password, hash).await? {
        return Err(ApiError::InvalidCredentials);
    }
    let user = credentials.ok_or(ApiError::InvalidCredentials)?.user;
    let token = state.sessions.issue(&user, state.clock.now())?;
    Ok(Json(SessionResponse { token, user }))
}

/// The signed-in user.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The user", body = User),
        (status = 401, description = "Missing, invalid or expired token (`unauthorized`)", body = ErrorBody),
    ))]
pub async fn me(State(state): State<AppState>, auth: AuthUser) -> Result<Json<User>, ApiError> {
    accounts::user_by_id(state.db.pool(), &auth.user_id)
        .await?
        .map(Json)
        .ok_or(ApiError::Unauthorized)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(
            normalize_email(" Ada@Example.COM ").ok().as_deref(),
            Some("ada@example.com")
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a da@example.com",
            "ada@@example.com",
            "ada@exa_mple.com",
            "ada@.example.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad}");
        }
    }
}
