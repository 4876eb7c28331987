//! Persistence of projects: typed input in, [`ProjectRow`]s and [`ProjectError`]s out.
//! Provider keys are encrypted here on the way in (the project id as associated data) and
//! decrypted only for the proxy's record.
//!
//! Every read-modify-write runs in one transaction that locks the row first (`BEGIN
//! IMMEDIATE` on SQLite, `SELECT … FOR UPDATE` on PostgreSQL), so concurrent updates of
//! different fields of one project never undo each other.

use ai_ratelimit_core::Policy;
use ai_ratelimit_tower::IdentityKeys;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{AnyPool, Row as _};
use uuid::Uuid;

use super::error::ProjectError;
use super::input::{KeyChange, NewProject, ProjectPatch};
use super::model::{IdentitySecretRow, Owner, ProjectRow};
use crate::crypto::{self, KeyCipher};
use crate::db::{Dialect, begin_write, from_millis, to_millis};
use crate::provider::{ProviderApiKey, ProviderKind, ProviderSettings};

const PROJECT_COLUMNS: &str = "id, organization_id, name, project_key, provider, base_url, \
     provider_api_key_encrypted, provider_api_key_preview, policy, created_at, updated_at, \
     provider_settings, require_signed_identity, identity_secret_encrypted, \
     identity_secret_previous_encrypted, identity_secret_previous_valid_until";

/// A transaction on the projects database.
type Tx = sqlx::Transaction<'static, sqlx::Any>;

/// The projects table.
#[derive(Debug, Clone)]
pub struct ProjectStore {
    pool: AnyPool,
    dialect: Dialect,
    cipher: KeyCipher,
}

impl ProjectStore {
    /// A store over `pool`, sealing provider keys with `cipher`.
    pub fn new(pool: AnyPool, cipher: KeyCipher) -> Self {
        Self {
            dialect: Dialect::of(&pool),
            pool,
            cipher,
        }
    }

    /// The project with this key, whoever owns it.
    pub async fn find_by_key(&self, key: &str) -> Result<Option<ProjectRow>, ProjectError> {
        sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE project_key = $1"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(row_to_project)
        .transpose()
    }

    /// The projects of an organization, newest first.
    pub async fn list(&self, organization_id: &str) -> Result<Vec<ProjectRow>, ProjectError> {
        sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE organization_id = $1 \
             ORDER BY created_at DESC, id DESC"
        ))
        .bind(organization_id)
        .fetch_all(&self.pool)
        .await?
        .iter()
        .map(row_to_project)
        .collect()
    }

    /// One project, if `owner` may see it; another organization's project is `NotFound`.
    pub async fn get(&self, id: &str, owner: Owner<'_>) -> Result<ProjectRow, ProjectError> {
        let row = sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(row_to_project)
        .transpose()?;
        row.filter(|r| owner.sees(r)).ok_or(ProjectError::NotFound)
    }

    /// Stores a new project.
    pub async fn create(
        &self,
        organization_id: Option<&str>,
        input: NewProject,
        now: DateTime<Utc>,
    ) -> Result<ProjectRow, ProjectError> {
        let id = Uuid::new_v4().to_string();
        let (encrypted, preview) = match &input.provider_api_key {
            Some(key) => (
                Some(self.cipher.encrypt(key.expose(), &id)),
                Some(crypto::key_preview(key.expose())),
            ),
            None => (None, None),
        };
        let row = ProjectRow {
            id,
            organization_id: organization_id.map(str::to_owned),
            name: input.name.into_inner(),
            project_key: crypto::project_key(),
            provider: input.provider,
            base_url: input.base_url.map(|u| u.into_inner()),
            provider_api_key_encrypted: encrypted,
            provider_api_key_preview: preview,
            provider_settings: input.provider_settings,
            policy: input.policy,
            require_signed_identity: input.require_signed_identity,
            identity_secret: IdentitySecretRow::default(),
            created_at: now,
            updated_at: now,
        };
        sqlx::query(&format!(
            "INSERT INTO projects ({PROJECT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(&row.id)
        .bind(row.organization_id.as_deref())
        .bind(&row.name)
        .bind(&row.project_key)
        .bind(row.provider.as_str())
        .bind(row.base_url.as_deref())
        .bind(row.provider_api_key_encrypted.as_deref())
        .bind(row.provider_api_key_preview.as_deref())
        .bind(policy_text(&row)?)
        .bind(to_millis(row.created_at))
        .bind(to_millis(row.updated_at))
        .bind(settings_text(&row)?)
        .bind(i64::from(row.require_signed_identity))
        .bind(None::<String>)
        .bind(None::<String>)
        .bind(None::<i64>)
        .execute(&self.pool)
        .await?;
        Ok(row)
    }

    /// Applies a partial update in one transaction: the row is locked, read, changed, validated
    /// (the policy merged with the stored one, then the whole row by `check`) and written
    /// before any other writer may read it.
    pub async fn update(
        &self,
        id: &str,
        owner: Owner<'_>,
        patch: ProjectPatch,
        now: DateTime<Utc>,
        check: impl FnOnce(&ProjectRow) -> Result<(), ProjectError>,
    ) -> Result<ProjectRow, ProjectError> {
        let mut tx = begin_write(&self.pool).await?;
        let mut row = self.locked(&mut tx, id, owner).await?;
        if !patch.policy.is_empty() {
            row.policy = patch.policy.apply(&row.policy)?;
        }
        if let Some(name) = patch.name {
            row.name = name.into_inner();
        }
        if let Some(provider) = patch.provider {
            row.provider = provider;
        }
        if let Some(base_url) = patch.base_url {
            row.base_url = base_url.map(|u| u.into_inner());
        }
        if let Some(settings) = patch.provider_settings {
            row.provider_settings = settings;
        }
        if let Some(required) = patch.require_signed_identity {
            row.require_signed_identity = required;
        }
        match patch.key {
            KeyChange::Keep => {}
            KeyChange::Remove => {
                row.provider_api_key_encrypted = None;
                row.provider_api_key_preview = None;
            }
            KeyChange::Set(key) => {
                row.provider_api_key_encrypted = Some(self.cipher.encrypt(key.expose(), &row.id));
                row.provider_api_key_preview = Some(crypto::key_preview(key.expose()));
            }
        }
        check(&row)?;
        row.updated_at = now;
        sqlx::query(
            "UPDATE projects SET name = $1, provider = $2, base_url = $3, \
             provider_api_key_encrypted = $4, provider_api_key_preview = $5, policy = $6, \
             updated_at = $7, provider_settings = $8, require_signed_identity = $9 WHERE id = $10",
        )
        .bind(&row.name)
        .bind(row.provider.as_str())
        .bind(row.base_url.as_deref())
        .bind(row.provider_api_key_encrypted.as_deref())
        .bind(row.provider_api_key_preview.as_deref())
        .bind(policy_text(&row)?)
        .bind(to_millis(row.updated_at))
        .bind(settings_text(&row)?)
        .bind(i64::from(row.require_signed_identity))
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// Gives the project a new key; returns the row and the key it replaced.
    pub async fn rotate_key(
        &self,
        id: &str,
        owner: Owner<'_>,
        now: DateTime<Utc>,
    ) -> Result<(ProjectRow, String), ProjectError> {
        let mut tx = begin_write(&self.pool).await?;
        let mut row = self.locked(&mut tx, id, owner).await?;
        let old_key = std::mem::replace(&mut row.project_key, crypto::project_key());
        row.updated_at = now;
        sqlx::query("UPDATE projects SET project_key = $1, updated_at = $2 WHERE id = $3")
            .bind(&row.project_key)
            .bind(to_millis(now))
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok((row, old_key))
    }

    /// Creates the project's identity-signing secret, or replaces it: the replaced one stays
    /// valid for [`IDENTITY_SECRET_GRACE`] (a secret rotated out earlier stops at once).
    /// Returns the row, the new secret in clear (shown once) and the grace's end, if any.
    pub async fn rotate_identity_secret(
        &self,
        id: &str,
        owner: Owner<'_>,
        now: DateTime<Utc>,
    ) -> Result<(ProjectRow, String, Option<DateTime<Utc>>), ProjectError> {
        let mut tx = begin_write(&self.pool).await?;
        let mut row = self.locked(&mut tx, id, owner).await?;
        let secret = crypto::identity_secret();
        let sealed = self.cipher.encrypt(&secret, &identity_context(&row.id));
        let previous = row
            .identity_secret
            .current
            .replace(sealed)
            .map(|old| (old, now + IDENTITY_SECRET_GRACE));
        row.identity_secret.previous = previous;
        row.updated_at = now;
        let (previous_sealed, valid_until) = match &row.identity_secret.previous {
            Some((sealed, until)) => (Some(sealed.as_str()), Some(to_millis(*until))),
            None => (None, None),
        };
        sqlx::query(
            "UPDATE projects SET identity_secret_encrypted = $1, \
             identity_secret_previous_encrypted = $2, identity_secret_previous_valid_until = $3, \
             updated_at = $4 WHERE id = $5",
        )
        .bind(row.identity_secret.current.as_deref())
        .bind(previous_sealed)
        .bind(valid_until)
        .bind(to_millis(now))
        .bind(&row.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        let until = row.identity_secret.previous.as_ref().map(|p| p.1);
        Ok((row, secret, until))
    }

    /// The decrypted identity secrets of `row`, for the proxy only; `None` before the first
    /// is created.
    pub fn identity_keys(&self, row: &ProjectRow) -> Result<Option<IdentityKeys>, ProjectError> {
        let open = |sealed: &str| {
            self.cipher
                .decrypt(sealed, &identity_context(&row.id))
                .map_err(|e| ProjectError::Corrupt {
                    id: row.id.clone(),
                    reason: format!("identity secret: {e}"),
                })
        };
        let Some(current) = row.identity_secret.current.as_deref() else {
            return Ok(None);
        };
        let mut keys = IdentityKeys::new(open(current)?);
        if let Some((previous, until)) = &row.identity_secret.previous {
            keys = keys.with_previous(open(previous)?, *until);
        }
        Ok(Some(keys))
    }

    /// Deletes a project and everything recorded about it; returns the deleted row.
    pub async fn delete(&self, id: &str, owner: Owner<'_>) -> Result<ProjectRow, ProjectError> {
        let mut tx = begin_write(&self.pool).await?;
        let row = self.locked(&mut tx, id, owner).await?;
        for table in PROJECT_DATA_TABLES {
            sqlx::query(&format!("DELETE FROM {table} WHERE project_id = $1"))
                .bind(&row.id)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM projects WHERE id = $1")
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row)
    }

    /// The decrypted provider key of `row`, for the proxy only.
    pub fn provider_key(&self, row: &ProjectRow) -> Result<Option<ProviderApiKey>, ProjectError> {
        row.provider_api_key_encrypted
            .as_deref()
            .map(|sealed| {
                self.cipher
                    .decrypt(sealed, &row.id)
                    .map(ProviderApiKey::new)
                    .map_err(|e| ProjectError::Corrupt {
                        id: row.id.clone(),
                        reason: e.to_string(),
                    })
            })
            .transpose()
    }

    /// Reads and locks the row `id` inside `tx` (see the module docs).
    async fn locked(
        &self,
        tx: &mut Tx,
        id: &str,
        owner: Owner<'_>,
    ) -> Result<ProjectRow, ProjectError> {
        let row = sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1{}",
            self.dialect.for_update()
        ))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .as_ref()
        .map(row_to_project)
        .transpose()?;
        row.filter(|r| owner.sees(r)).ok_or(ProjectError::NotFound)
    }
}

/// How long a rotated-out identity secret keeps verifying tokens.
pub const IDENTITY_SECRET_GRACE: chrono::Duration = chrono::Duration::hours(24);

/// The associated data sealing a project's identity secrets: bound to the row and the
/// column's purpose, so neither a provider key nor another project's secret passes for one.
fn identity_context(id: &str) -> String {
    format!("{id}/identity-secret")
}

/// Tables holding rows of a project (by `project_id`), emptied when it is deleted.
const PROJECT_DATA_TABLES: &[&str] = &["request_log"];

fn row_to_project(row: &sqlx::any::AnyRow) -> Result<ProjectRow, ProjectError> {
    let id: String = row.try_get("id")?;
    let corrupt = |reason: String| ProjectError::Corrupt {
        id: id.clone(),
        reason,
    };
    let provider: String = row.try_get("provider")?;
    let policy: String = row.try_get("policy")?;
    let settings: Option<String> = row.try_get("provider_settings")?;
    let provider_settings = match settings {
        None => ProviderSettings::default(),
        Some(text) => serde_json::from_str::<Value>(&text)
            .map_err(|e| e.to_string())
            .and_then(|value| ProviderSettings::from_json(value).map_err(|e| e.to_string()))
            .map_err(|e| corrupt(format!("provider settings: {e}")))?,
    };
    let policy_json: Value =
        serde_json::from_str(&policy).map_err(|e| corrupt(format!("policy JSON: {e}")))?;
    Ok(ProjectRow {
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        project_key: row.try_get("project_key")?,
        provider: provider
            .parse::<ProviderKind>()
            .map_err(|_| corrupt(format!("provider `{provider}`")))?,
        base_url: row.try_get("base_url")?,
        provider_api_key_encrypted: row.try_get("provider_api_key_encrypted")?,
        provider_api_key_preview: row.try_get("provider_api_key_preview")?,
        provider_settings,
        policy: Policy::from_json(&policy_json).map_err(|e| corrupt(format!("policy: {e}")))?,
        require_signed_identity: row.try_get::<i64, _>("require_signed_identity")? != 0,
        identity_secret: IdentitySecretRow {
            current: row.try_get("identity_secret_encrypted")?,
            previous: match (
                row.try_get::<Option<String>, _>("identity_secret_previous_encrypted")?,
                row.try_get::<Option<i64>, _>("identity_secret_previous_valid_until")?,
            ) {
                (Some(sealed), Some(until)) => Some((sealed, from_millis(until))),
                _ => None,
            },
        },
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
        id,
    })
}

/// The stored settings: `NULL` when none is set.
fn settings_text(row: &ProjectRow) -> Result<Option<String>, ProjectError> {
    if row.provider_settings.is_empty() {
        return Ok(None);
    }
    serde_json::to_string(&row.provider_settings)
        .map(Some)
        .map_err(|e| ProjectError::Corrupt {
            id: row.id.clone(),
            reason: format!("provider settings JSON: {e}"),
        })
}

fn policy_text(row: &ProjectRow) -> Result<String, ProjectError> {
    serde_json::to_string(&row.policy).map_err(|e| ProjectError::Corrupt {
        id: row.id.clone(),
        reason: format!("policy JSON: {e}"),
    })
}
