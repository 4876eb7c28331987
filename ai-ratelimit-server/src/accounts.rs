//! Organizations, users and magic links in the database.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{AnyPool, Row as _};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db::{is_unique_violation, to_millis};
use crate::error::ApiError;

/// A signed-in user as the API shows it.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// User id (uuid).
    pub id: String,
    /// E-mail, lower case.
    pub email: String,
    /// Organization id (uuid).
    pub organization_id: String,
    /// Organization name as registered.
    pub organization_name: String,
}

/// A user with its password hash, for login.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// The user.
    pub user: User,
    /// Argon2id PHC string, if the account has a password.
    pub password_hash: Option<String>,
}

const USER_COLUMNS: &str = "u.id, u.email, u.organization_id, o.name AS organization_name, u.password_hash \
     FROM users u JOIN organizations o ON o.id = u.organization_id";

fn credentials_from_row(row: &sqlx::any::AnyRow) -> Result<Credentials, sqlx::Error> {
    Ok(Credentials {
        user: User {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            organization_id: row.try_get("organization_id")?,
            organization_name: row.try_get("organization_name")?,
        },
        password_hash: row.try_get("password_hash")?,
    })
}

/// Creates an organization and its first user in one transaction.
///
/// `email` must be normalized (lower case); the organization name is unique case-insensitively.
pub async fn create_organization_with_user(
    pool: &AnyPool,
    organization_name: &str,
    email: &str,
    password_hash: Option<&str>,
    now: DateTime<Utc>,
) -> Result<User, ApiError> {
    let name_key = organization_name.to_lowercase();
    let mut tx = crate::db::begin_write(pool).await?;
    let email_taken = sqlx::query("SELECT 1 FROM users WHERE email = $1")
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if email_taken {
        return Err(ApiError::EmailTaken);
    }
    let org_taken = sqlx::query("SELECT 1 FROM organizations WHERE name_key = $1")
        .bind(&name_key)
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if org_taken {
        return Err(ApiError::OrganizationTaken);
    }
    let organization_id = Uuid::new_v4().to_string();
    let user_id = Uuid::new_v4().to_string();
    let at = to_millis(now);
    let inserted = sqlx::query(
        "INSERT INTO organizations (id, name, name_key, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&organization_id)
    .bind(organization_name)
    .bind(&name_key)
    .bind(at)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => return Err(ApiError::OrganizationTaken),
        other => other?,
    };
    let inserted = sqlx::query(
        "INSERT INTO users (id, email, organization_id, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(&user_id)
    .bind(email)
    .bind(&organization_id)
    .bind(password_hash)
    .bind(at)
    .execute(&mut *tx)
    .await;
    match inserted {
        Err(e) if is_unique_violation(&e) => return Err(ApiError::EmailTaken),
        other => other?,
    };
    tx.commit().await?;
    Ok(User {
        id: user_id,
        email: email.to_owned(),
        organization_id,
        organization_name: organization_name.to_owned(),
    })
}

/// The user with this (normalized) e-mail, with its password hash.
pub async fn credentials_by_email(
    pool: &AnyPool,
    email: &str,
) -> Result<Option<Credentials>, sqlx::Error> {
    sqlx::query(&format!("SELECT {USER_COLUMNS} WHERE u.email = $1"))
        .bind(email)
        .fetch_optional(pool)
        .await?
        .as_ref()
        .map(credentials_from_row)
        .transpose()
}

/// The user with this id.
pub async fn user_by_id(pool: &AnyPool, id: &str) -> Result<Option<User>, sqlx::Error> {
    Ok(
        sqlx::query(&format!("SELECT {USER_COLUMNS} WHERE u.id = $1"))
            .bind(id)
            .fetch_optional(pool)
            .await?
            .as_ref()
            .map(credentials_from_row)
            .transpose()?
            .map(|c| c.user),
    )
}

/// Stores a magic link by the hash of its token.
pub async fn insert_magic_link(
    pool: &AnyPool,
    token_hash: &str,
    user_id: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO magic_links (token_hash, user_id, expires_at, used_at, created_at) VALUES ($1, $2, $3, NULL, $4)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(to_millis(expires_at))
    .bind(to_millis(now))
    .execute(pool)
    .await?;
    Ok(())
}

/// Marks a live, unused magic link as used and returns its user id — one statement, so two
/// concurrent verifications of the same token cannot both succeed.
pub async fn consume_magic_link(
    pool: &AnyPool,
    token_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<String>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE magic_links SET used_at = $1 \
         WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1 RETURNING user_id",
    )
    .bind(to_millis(now))
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    row.map(|r| r.try_get("user_id")).transpose()
}

/// Deletes magic links that expired before `before` (housekeeping).
pub async fn purge_magic_links(pool: &AnyPool, before: DateTime<Utc>) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query("DELETE FROM magic_links WHERE expires_at < $1")
        .bind(to_millis(before))
        .execute(pool)
        .await?
        .rows_affected())
}
