//! Projects: their storage, the API's Project object, the CRUD routes scoped to the caller's
//! organization, and the cached lookup by project key that the proxy uses.

use std::sync::Arc;
use std::time::Duration;

use ai_ratelimit_core::Policy;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, SecondsFormat, Utc};
use moka::future::Cache;
use serde::Serialize;
use serde_json::{Map, Value};
use sqlx::{AnyPool, Row as _};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crypto::{self, KeyCipher};
use crate::db::{from_millis, to_millis};
use crate::error::{ApiError, ErrorBody};
use crate::json::ApiJson;
use crate::provider::{ProviderApiKey, ProviderKind};
use crate::session::AuthUser;
use crate::state::AppState;

/// How long a project looked up by key stays cached (changes made through this instance
/// invalidate it at once; other instances see them within this time).
pub const PROJECT_CACHE_TTL: Duration = Duration::from_secs(30);
const MAX_NAME_CHARS: usize = 200;
const MAX_URL_BYTES: usize = 2048;
const MAX_PROVIDER_KEY_BYTES: usize = 4096;

/// A project as stored.
#[derive(Debug, Clone)]
pub struct ProjectRow {
    /// Id (uuid).
    pub id: String,
    /// Owning organization; `None` for admin-created projects.
    pub organization_id: Option<String>,
    /// Display name.
    pub name: String,
    /// Publishable key, `pk_…`.
    pub project_key: String,
    /// Upstream provider.
    pub provider: ProviderKind,
    /// Upstream URL override; `None` = the server's default for the provider.
    pub base_url: Option<String>,
    /// Encrypted provider key.
    pub provider_api_key_encrypted: Option<String>,
    /// `sk-…AbCd`.
    pub provider_api_key_preview: Option<String>,
    /// The validated policy.
    pub policy: Policy,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// What the proxy needs of a project, looked up by key and cached.
#[derive(Debug, Clone)]
pub struct ProjectRecord {
    /// Id (uuid): also the scope of its usage counters.
    pub id: String,
    /// Owning organization, if any.
    pub organization_id: Option<String>,
    /// The key it was found by.
    pub project_key: String,
    /// Upstream provider.
    pub provider: ProviderKind,
    /// The effective upstream URL (the project's, else the server default for its provider).
    pub upstream_url: String,
    /// The decrypted provider key, if one is set.
    pub provider_api_key: Option<ProviderApiKey>,
    /// The policy.
    pub policy: Arc<Policy>,
}

/// The API's Project object.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectView {
    /// Id (uuid).
    pub id: String,
    /// Display name.
    pub name: String,
    /// Publishable key, `pk_` + base62.
    pub project_key: String,
    /// `openai` | `anthropic`.
    pub provider: ProviderKind,
    /// Upstream URL; `null` = the server's default for the provider.
    pub base_url: Option<String>,
    /// Whether a provider API key is stored (the key itself is never returned).
    pub has_provider_api_key: bool,
    /// A hint of the stored key, e.g. `sk-…AbCd`.
    pub provider_api_key_preview: Option<String>,
    /// `requests` | `tokens` | `both`.
    pub limit_type: String,
    /// Requests per day; `null` = no limit.
    pub daily_request_limit: Option<u64>,
    /// Tokens per day; `null` = no limit.
    pub daily_token_limit: Option<u64>,
    /// JSON answered (templated) with a 429 when a base limit is reached.
    #[schema(value_type = Option<Object>)]
    pub limit_exceeded_response: Option<Value>,
    /// Tiers by name: `{"requestLimit": n|null, "tokenLimit": n|null}`.
    #[schema(value_type = Object)]
    pub tiers: Value,
    /// Rules, evaluated in order.
    #[schema(value_type = Vec<Object>)]
    pub rules: Value,
    /// Extension: the usage window (`hour` | `day` | `week` | `month`), shown when not `day`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Extension: output tokens reserved for requests without `max_tokens`, shown when not the default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_output_tokens: Option<u64>,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

impl From<&ProjectRow> for ProjectView {
    fn from(p: &ProjectRow) -> Self {
        let config = p.policy.to_config();
        ProjectView {
            id: p.id.clone(),
            name: p.name.clone(),
            project_key: p.project_key.clone(),
            provider: p.provider,
            base_url: p.base_url.clone(),
            has_provider_api_key: p.provider_api_key_encrypted.is_some(),
            provider_api_key_preview: p.provider_api_key_preview.clone(),
            limit_type: p.policy.limit_type().as_str().to_owned(),
            daily_request_limit: config.daily_request_limit,
            daily_token_limit: config.daily_token_limit,
            limit_exceeded_response: config.limit_exceeded_response,
            tiers: serde_json::to_value(&config.tiers).unwrap_or(Value::Null),
            rules: serde_json::to_value(&config.rules).unwrap_or(Value::Null),
            window: config.window.map(|w| w.as_str().to_owned()),
            default_output_tokens: config.default_output_tokens,
            created_at: rfc3339(p.created_at),
            updated_at: rfc3339(p.updated_at),
        }
    }
}

/// The body of `POST /api/projects` and `PATCH /api/projects/:id` (documentation schema; the
/// handlers read the JSON object field by field to report the exact offending field).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProjectInputDoc {
    /// Display name (required on creation).
    pub name: Option<String>,
    /// `openai` (default) | `anthropic`.
    pub provider: Option<ProviderKind>,
    /// Upstream URL override; `null` = the server's default.
    pub base_url: Option<String>,
    /// The provider's API key (write-only); `null` or `""` removes it.
    pub provider_api_key: Option<String>,
    /// The original product's name of `providerApiKey`.
    pub openai_api_key: Option<String>,
    /// `requests` (default) | `tokens` | `both`.
    pub limit_type: Option<String>,
    /// Integer ≥ 0 or `null` (no limit).
    pub daily_request_limit: Option<u64>,
    /// Integer ≥ 0 or `null` (no limit).
    pub daily_token_limit: Option<u64>,
    /// Object answered with a 429 (templated), or `null` for the default body.
    #[schema(value_type = Option<Object>)]
    pub limit_exceeded_response: Option<Value>,
    /// Tiers by name.
    #[schema(value_type = Option<Object>)]
    pub tiers: Option<Value>,
    /// Rules.
    #[schema(value_type = Option<Vec<Object>>)]
    pub rules: Option<Value>,
}

/// A change to a stored provider key.
#[derive(Debug, Clone, PartialEq, Eq)]
enum KeyChange {
    Keep,
    Remove,
    Set(String),
}

/// The project fields of a create/patch body; the rest is the policy.
#[derive(Debug)]
struct ProjectInput {
    name: Option<String>,
    provider: Option<ProviderKind>,
    base_url: Option<Option<String>>,
    key: KeyChange,
    policy: Map<String, Value>,
}

impl ProjectInput {
    fn parse(mut body: Map<String, Value>) -> Result<Self, ApiError> {
        let name = match body.remove("name") {
            None => None,
            Some(Value::String(s)) => {
                let name = s.trim();
                if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
                    return Err(ApiError::invalid_field(
                        "name",
                        format!("must be 1 to {MAX_NAME_CHARS} characters"),
                    ));
                }
                Some(name.to_owned())
            }
            Some(_) => return Err(ApiError::invalid_field("name", "must be a string")),
        };
        let provider = match body.remove("provider") {
            None => None,
            Some(Value::String(s)) => Some(s.parse::<ProviderKind>().map_err(|_| {
                ApiError::invalid_field("provider", "must be `openai` or `anthropic`")
            })?),
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "provider",
                    "must be `openai` or `anthropic`",
                ));
            }
        };
        let base_url = match body.remove("baseUrl") {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) if s.trim().is_empty() => Some(None),
            Some(Value::String(s)) => {
                let url = s.trim();
                let valid = url.len() <= MAX_URL_BYTES
                    && reqwest::Url::parse(url)
                        .is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
                if !valid {
                    return Err(ApiError::invalid_field(
                        "baseUrl",
                        "must be an absolute http(s) URL or null",
                    ));
                }
                Some(Some(url.to_owned()))
            }
            Some(_) => {
                return Err(ApiError::invalid_field(
                    "baseUrl",
                    "must be an absolute http(s) URL or null",
                ));
            }
        };
        let provider_key = key_change("providerApiKey", body.remove("providerApiKey"))?;
        let openai_key = key_change("openaiApiKey", body.remove("openaiApiKey"))?;
        let key = match (provider_key, openai_key) {
            (KeyChange::Keep, k) | (k, KeyChange::Keep) => k,
            (a, b) if a == b => a,
            _ => {
                return Err(ApiError::invalid_field(
                    "openaiApiKey",
                    "conflicts with providerApiKey; send only one of them",
                ));
            }
        };
        Ok(Self {
            name,
            provider,
            base_url,
            key,
            policy: body,
        })
    }
}

/// Reads a provider key field. Messages never quote the value.
fn key_change(field: &str, value: Option<Value>) -> Result<KeyChange, ApiError> {
    match value {
        None => Ok(KeyChange::Keep),
        Some(Value::Null) => Ok(KeyChange::Remove),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(KeyChange::Remove),
        Some(Value::String(s))
            if s.len() <= MAX_PROVIDER_KEY_BYTES && !s.trim().chars().any(char::is_control) =>
        {
            Ok(KeyChange::Set(s.trim().to_owned()))
        }
        Some(_) => Err(ApiError::invalid_field(
            field,
            format!("must be a string of at most {MAX_PROVIDER_KEY_BYTES} bytes, or null"),
        )),
    }
}

fn policy_error(e: ai_ratelimit_core::PolicyError) -> ApiError {
    let message = crate::json::redact_strings(&e.message);
    if e.field.is_empty() {
        ApiError::invalid(message)
    } else {
        ApiError::invalid_field(e.field, message)
    }
}

/// Who may see a project.
#[derive(Debug, Clone, Copy)]
pub enum Owner<'a> {
    /// Only projects of this organization.
    Organization(&'a str),
    /// Projects created through the admin API (no organization).
    Admin,
}

const PROJECT_COLUMNS: &str = "id, organization_id, name, project_key, provider, base_url, \
     provider_api_key_encrypted, provider_api_key_preview, policy, created_at, updated_at";

fn row_to_project(row: &sqlx::any::AnyRow) -> Result<ProjectRow, ApiError> {
    let provider: String = row.try_get("provider")?;
    let policy: String = row.try_get("policy")?;
    let policy_json: Value = serde_json::from_str(&policy).map_err(ApiError::internal)?;
    Ok(ProjectRow {
        id: row.try_get("id")?,
        organization_id: row.try_get("organization_id")?,
        name: row.try_get("name")?,
        project_key: row.try_get("project_key")?,
        provider: provider
            .parse::<ProviderKind>()
            .map_err(|_| ApiError::internal(format!("stored provider `{provider}`")))?,
        base_url: row.try_get("base_url")?,
        provider_api_key_encrypted: row.try_get("provider_api_key_encrypted")?,
        provider_api_key_preview: row.try_get("provider_api_key_preview")?,
        policy: Policy::from_json(&policy_json).map_err(ApiError::internal)?,
        created_at: from_millis(row.try_get("created_at")?),
        updated_at: from_millis(row.try_get("updated_at")?),
    })
}

fn policy_text(policy: &Policy) -> Result<String, ApiError> {
    serde_json::to_string(policy).map_err(ApiError::internal)
}

/// Projects in the database, and the cached lookup by key.
#[derive(Debug, Clone)]
pub struct ProjectDirectory {
    pool: AnyPool,
    cipher: KeyCipher,
    by_key: Cache<String, Arc<ProjectRecord>>,
    openai_default: String,
    anthropic_default: String,
}

impl ProjectDirectory {
    /// A directory over `pool`, with the servers' default upstreams.
    pub fn new(
        pool: AnyPool,
        cipher: KeyCipher,
        openai_default: String,
        anthropic_default: String,
    ) -> Self {
        Self {
            pool,
            cipher,
            by_key: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(PROJECT_CACHE_TTL)
                .build(),
            openai_default,
            anthropic_default,
        }
    }

    /// The project with this key, for the proxy: cached for [`PROJECT_CACHE_TTL`], dropped
    /// from the cache at once when the project changes, rotates its key or is deleted here.
    pub async fn project_by_key(&self, key: &str) -> Result<Option<Arc<ProjectRecord>>, ApiError> {
        if let Some(hit) = self.by_key.get(key).await {
            return Ok(Some(hit));
        }
        let row = sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE project_key = $1"
        ))
        .bind(key)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row.as_ref().map(row_to_project).transpose()? else {
            return Ok(None);
        };
        let record = Arc::new(self.record(&row)?);
        self.by_key.insert(key.to_owned(), record.clone()).await;
        Ok(Some(record))
    }

    fn record(&self, row: &ProjectRow) -> Result<ProjectRecord, ApiError> {
        let provider_api_key = row
            .provider_api_key_encrypted
            .as_deref()
            .map(|sealed| {
                self.cipher
                    .decrypt(sealed, &row.id)
                    .map(ProviderApiKey::new)
            })
            .transpose()
            .map_err(ApiError::internal)?;
        let upstream_url = row.base_url.clone().unwrap_or_else(|| match row.provider {
            ProviderKind::OpenAi => self.openai_default.clone(),
            ProviderKind::Anthropic => self.anthropic_default.clone(),
        });
        Ok(ProjectRecord {
            id: row.id.clone(),
            organization_id: row.organization_id.clone(),
            project_key: row.project_key.clone(),
            provider: row.provider,
            upstream_url,
            provider_api_key,
            policy: Arc::new(row.policy.clone()),
        })
    }

    async fn invalidate(&self, key: &str) {
        self.by_key.invalidate(key).await;
    }

    /// The projects of an organization, newest first.
    pub async fn list(&self, organization_id: &str) -> Result<Vec<ProjectRow>, ApiError> {
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
    pub async fn get(&self, id: &str, owner: Owner<'_>) -> Result<ProjectRow, ApiError> {
        let row = sqlx::query(&format!(
            "SELECT {PROJECT_COLUMNS} FROM projects WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .as_ref()
        .map(row_to_project)
        .transpose()?
        .ok_or(ApiError::NotFound)?;
        let visible = match owner {
            Owner::Organization(org) => row.organization_id.as_deref() == Some(org),
            Owner::Admin => true,
        };
        if visible {
            Ok(row)
        } else {
            Err(ApiError::NotFound)
        }
    }

    /// Creates a project from a request body.
    pub async fn create(
        &self,
        organization_id: Option<&str>,
        body: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<ProjectRow, ApiError> {
        let input = ProjectInput::parse(body)?;
        let name = input
            .name
            .ok_or_else(|| ApiError::invalid_field("name", "is required"))?;
        let policy = Policy::from_json(&Value::Object(input.policy)).map_err(policy_error)?;
        let id = Uuid::new_v4().to_string();
        let (encrypted, preview) = match input.key {
            KeyChange::Set(key) => (
                Some(self.cipher.encrypt(&key, &id)),
                Some(crypto::key_preview(&key)),
            ),
            KeyChange::Keep | KeyChange::Remove => (None, None),
        };
        let row = ProjectRow {
            id,
            organization_id: organization_id.map(str::to_owned),
            name,
            project_key: crypto::project_key(),
            provider: input.provider.unwrap_or(ProviderKind::OpenAi),
            base_url: input.base_url.flatten(),
            provider_api_key_encrypted: encrypted,
            provider_api_key_preview: preview,
            policy,
            created_at: now,
            updated_at: now,
        };
        sqlx::query(&format!(
            "INSERT INTO projects ({PROJECT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        ))
        .bind(&row.id)
        .bind(row.organization_id.as_deref())
        .bind(&row.name)
        .bind(&row.project_key)
        .bind(row.provider.as_str())
        .bind(row.base_url.as_deref())
        .bind(row.provider_api_key_encrypted.as_deref())
        .bind(row.provider_api_key_preview.as_deref())
        .bind(policy_text(&row.policy)?)
        .bind(to_millis(row.created_at))
        .bind(to_millis(row.updated_at))
        .execute(&self.pool)
        .await?;
        Ok(row)
    }

    /// Applies a partial update (any subset of the creation fields).
    pub async fn update(
        &self,
        id: &str,
        owner: Owner<'_>,
        body: Map<String, Value>,
        now: DateTime<Utc>,
    ) -> Result<ProjectRow, ApiError> {
        let mut row = self.get(id, owner).await?;
        let input = ProjectInput::parse(body)?;
        if !input.policy.is_empty() {
            // Overlay the changed policy fields on the stored ones and validate the whole.
            let mut merged = match serde_json::to_value(row.policy.to_config()) {
                Ok(Value::Object(m)) => m,
                _ => Map::new(),
            };
            merged.extend(input.policy);
            row.policy = Policy::from_json(&Value::Object(merged)).map_err(policy_error)?;
        }
        if let Some(name) = input.name {
            row.name = name;
        }
        if let Some(provider) = input.provider {
            row.provider = provider;
        }
        if let Some(base_url) = input.base_url {
            row.base_url = base_url;
        }
        match input.key {
            KeyChange::Keep => {}
            KeyChange::Remove => {
                row.provider_api_key_encrypted = None;
                row.provider_api_key_preview = None;
            }
            KeyChange::Set(key) => {
                row.provider_api_key_encrypted = Some(self.cipher.encrypt(&key, &row.id));
                row.provider_api_key_preview = Some(crypto::key_preview(&key));
            }
        }
        row.updated_at = now;
        sqlx::query(
            "UPDATE projects SET name = $1, provider = $2, base_url = $3, \
             provider_api_key_encrypted = $4, provider_api_key_preview = $5, policy = $6, \
             updated_at = $7 WHERE id = $8",
        )
        .bind(&row.name)
        .bind(row.provider.as_str())
        .bind(row.base_url.as_deref())
        .bind(row.provider_api_key_encrypted.as_deref())
        .bind(row.provider_api_key_preview.as_deref())
        .bind(policy_text(&row.policy)?)
        .bind(to_millis(row.updated_at))
        .bind(&row.id)
        .execute(&self.pool)
        .await?;
        self.invalidate(&row.project_key).await;
        Ok(row)
    }

    /// Gives the project a new key; the old one stops working at once (in this instance).
    pub async fn rotate_key(
        &self,
        id: &str,
        owner: Owner<'_>,
        now: DateTime<Utc>,
    ) -> Result<ProjectRow, ApiError> {
        let mut row = self.get(id, owner).await?;
        let old_key = std::mem::replace(&mut row.project_key, crypto::project_key());
        row.updated_at = now;
        sqlx::query("UPDATE projects SET project_key = $1, updated_at = $2 WHERE id = $3")
            .bind(&row.project_key)
            .bind(to_millis(now))
            .bind(&row.id)
            .execute(&self.pool)
            .await?;
        self.invalidate(&old_key).await;
        Ok(row)
    }

    /// Deletes a project and its request log.
    pub async fn delete(&self, id: &str, owner: Owner<'_>) -> Result<(), ApiError> {
        let row = self.get(id, owner).await?;
        let mut tx = crate::db::begin_write(&self.pool).await?;
        sqlx::query("DELETE FROM request_log WHERE project_id = $1")
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM projects WHERE id = $1")
            .bind(&row.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.invalidate(&row.project_key).await;
        Ok(())
    }
}

/// A JSON object body (the project routes read it field by field).
pub type ObjectBody = ApiJson<Map<String, Value>>;

/// The caller's projects, newest first.
#[utoipa::path(get, path = "/api/projects", tag = "projects", security(("bearer" = [])),
    responses(
        (status = 200, description = "Projects, newest first", body = [ProjectView]),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
    ))]
pub async fn list_projects(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Result<Json<Vec<ProjectView>>, ApiError> {
    let rows = state.projects.list(&auth.organization_id).await?;
    Ok(Json(rows.iter().map(ProjectView::from).collect()))
}

/// Creates a project in the caller's organization.
#[utoipa::path(post, path = "/api/projects", tag = "projects", security(("bearer" = [])),
    request_body = ProjectInputDoc,
    responses(
        (status = 201, description = "Created", body = ProjectView),
        (status = 400, description = "`invalid_request` with `field` (unknown fields included)", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
    ))]
pub async fn create_project(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ObjectBody,
) -> Result<(StatusCode, Json<ProjectView>), ApiError> {
    let row = state
        .projects
        .create(Some(&auth.organization_id), body, state.clock.now())
        .await?;
    tracing::info!(project_id = %row.id, organization_id = %auth.organization_id, "project created");
    Ok((StatusCode::CREATED, Json(ProjectView::from(&row))))
}

/// One of the caller's projects.
#[utoipa::path(get, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project", body = ProjectView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project in the caller's organization", body = ErrorBody),
    ))]
pub async fn get_project(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ProjectView>, ApiError> {
    let row = state
        .projects
        .get(&id, Owner::Organization(&auth.organization_id))
        .await?;
    Ok(Json(ProjectView::from(&row)))
}

/// Changes any subset of a project's fields.
#[utoipa::path(patch, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    request_body = ProjectInputDoc,
    responses(
        (status = 200, description = "The updated project", body = ProjectView),
        (status = 400, description = "`invalid_request` with `field`", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project in the caller's organization", body = ErrorBody),
    ))]
pub async fn update_project(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ObjectBody,
) -> Result<Json<ProjectView>, ApiError> {
    let row = state
        .projects
        .update(
            &id,
            Owner::Organization(&auth.organization_id),
            body,
            state.clock.now(),
        )
        .await?;
    Ok(Json(ProjectView::from(&row)))
}

/// Deletes a project.
#[utoipa::path(delete, path = "/api/projects/{id}", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project in the caller's organization", body = ErrorBody),
    ))]
pub async fn delete_project(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .projects
        .delete(&id, Owner::Organization(&auth.organization_id))
        .await?;
    tracing::info!(project_id = %id, "project deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Replaces the project key; the old key stops working at once.
#[utoipa::path(post, path = "/api/projects/{id}/rotate-key", tag = "projects", security(("bearer" = [])),
    params(("id" = String, Path, description = "Project id")),
    responses(
        (status = 200, description = "The project with its new `projectKey`", body = ProjectView),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "No such project in the caller's organization", body = ErrorBody),
    ))]
pub async fn rotate_project_key(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> Result<Json<ProjectView>, ApiError> {
    let row = state
        .projects
        .rotate_key(
            &id,
            Owner::Organization(&auth.organization_id),
            state.clock.now(),
        )
        .await?;
    tracing::info!(project_id = %id, "project key rotated");
    Ok(Json(ProjectView::from(&row)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn splits_project_and_policy_fields() {
        let input = ProjectInput::parse(object(json!({
            "name": " App ", "provider": "anthropic", "baseUrl": null,
            "openaiApiKey": "sk-x", "dailyRequestLimit": 2
        })))
        .expect("valid");
        assert_eq!(input.name.as_deref(), Some("App"));
        assert_eq!(input.provider, Some(ProviderKind::Anthropic));
        assert_eq!(input.base_url, Some(None));
        assert_eq!(input.key, KeyChange::Set("sk-x".into()));
        assert_eq!(input.policy.len(), 1);
    }

    #[test]
    fn key_errors_never_quote_the_key() {
        let err = ProjectInput::parse(object(json!({
            "providerApiKey": "sk-aaaaaaaa", "openaiApiKey": "sk-bbbbbbbb"
        })))
        .expect_err("conflict");
        assert!(!err.to_string().contains("sk-"));
        let err = ProjectInput::parse(object(json!({"provider": "sk-secret"}))).expect_err("bad");
        assert!(!err.to_string().contains("sk-secret"));
    }
}
