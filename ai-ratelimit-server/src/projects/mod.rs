//! Projects, in layers: [`routes`] (HTTP handlers) read a typed body ([`input`]) and call the
//! [`ProjectDirectory`], which fronts the persistence layer ([`store`]) with the cached
//! lookup by project key that the proxy uses. The store returns [`ProjectError`]s, which
//! `crate::error` maps to HTTP in one place.

pub mod error;
pub mod input;
pub mod model;
pub mod routes;
pub mod store;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use moka::future::Cache;
use sqlx::AnyPool;

pub use error::ProjectError;
pub use input::{NewProject, ProjectFields, ProjectPatch};
pub use model::{IdentitySecretView, Owner, ProjectRecord, ProjectRow, ProjectView};
pub use store::ProjectStore;

use crate::crypto::KeyCipher;
use crate::error::ApiError;
use crate::provider::{ProviderKind, ProviderRouter};

/// How long a project looked up by key stays cached (changes made through this instance
/// invalidate it at once; other instances see them within this time).
pub const PROJECT_CACHE_TTL: Duration = Duration::from_secs(30);

/// Projects in the database, and the cached lookup by key.
#[derive(Debug, Clone)]
pub struct ProjectDirectory {
    store: ProjectStore,
    by_key: Cache<String, Arc<ProjectRecord>>,
    /// Resolves a project without `baseUrl` to its provider's default upstream: the provider
    /// options own the defaults, nothing here repeats them.
    providers: ProviderRouter,
}

impl ProjectDirectory {
    /// A directory over `pool`; `providers` supplies the default upstream of each provider.
    pub fn new(pool: AnyPool, cipher: KeyCipher, providers: ProviderRouter) -> Self {
        Self {
            store: ProjectStore::new(pool, cipher),
            by_key: Cache::builder()
                .max_capacity(10_000)
                .time_to_live(PROJECT_CACHE_TTL)
                .build(),
            providers,
        }
    }

    /// The persistence layer.
    pub fn store(&self) -> &ProjectStore {
        &self.store
    }

    /// The project with this key, for the proxy: cached for [`PROJECT_CACHE_TTL`], dropped
    /// from the cache at once when the project changes, rotates its key or is deleted here.
    pub async fn project_by_key(&self, key: &str) -> Result<Option<Arc<ProjectRecord>>, ApiError> {
        if let Some(hit) = self.by_key.get(key).await {
            return Ok(Some(hit));
        }
        let Some(row) = self.store.find_by_key(key).await? else {
            return Ok(None);
        };
        let record = Arc::new(self.record(&row)?);
        self.by_key.insert(key.to_owned(), record.clone()).await;
        Ok(Some(record))
    }

    fn record(&self, row: &ProjectRow) -> Result<ProjectRecord, ProjectError> {
        let upstream_url = match &row.base_url {
            Some(url) => url.clone(),
            // No default (an Azure project made while the server had AZURE_OPENAI_ENDPOINT, which
            // it no longer has): no upstream, so its calls answer 502 rather than its key failing.
            None => self
                .providers
                .upstream_url(row.provider, None)
                .map(String::from)
                .unwrap_or_default(),
        };
        Ok(ProjectRecord {
            id: row.id.clone(),
            organization_id: row.organization_id.clone(),
            project_key: row.project_key.clone(),
            provider: row.provider,
            upstream: self
                .providers
                .upstream_url(row.provider, Some(&upstream_url))
                .ok(),
            scope: Arc::from(row.id.as_str()),
            upstream_url,
            provider_api_key: self.store.provider_key(row)?,
            provider_settings: Arc::new(row.provider_settings.clone()),
            policy: Arc::new(row.policy.clone()),
            require_signed_identity: row.require_signed_identity,
            identity_keys: self.store.identity_keys(row)?,
        })
    }

    /// The projects of an organization, newest first.
    pub async fn list(&self, organization_id: &str) -> Result<Vec<ProjectRow>, ProjectError> {
        self.store.list(organization_id).await
    }

    /// One project, if `owner` may see it; another organization's project is `NotFound`.
    pub async fn get(&self, id: &str, owner: Owner<'_>) -> Result<ProjectRow, ProjectError> {
        self.store.get(id, owner).await
    }

    /// Creates a project.
    pub async fn create(
        &self,
        organization_id: Option<&str>,
        input: NewProject,
        now: DateTime<Utc>,
    ) -> Result<ProjectRow, ProjectError> {
        self.check_upstream(input.provider, input.base_url.is_some())?;
        self.store.create(organization_id, input, now).await
    }

    /// A project must have somewhere to send its calls: Azure has no public default endpoint,
    /// so an Azure project names its resource unless the server was given one.
    fn check_upstream(
        &self,
        provider: ProviderKind,
        has_base_url: bool,
    ) -> Result<(), ProjectError> {
        if has_base_url || self.providers.upstream_url(provider, None).is_ok() {
            return Ok(());
        }
        Err(ProjectError::invalid(
            "baseUrl",
            format!(
                "provider {provider} needs baseUrl, its resource endpoint (e.g. https://my-resource.openai.azure.com)"
            ),
        ))
    }

    /// Applies a partial update (any subset of the creation fields) atomically.
    pub async fn update(
        &self,
        id: &str,
        owner: Owner<'_>,
        patch: ProjectPatch,
        now: DateTime<Utc>,
    ) -> Result<ProjectRow, ProjectError> {
        let row = self
            .store
            .update(id, owner, patch, now, |row| {
                self.check_upstream(row.provider, row.base_url.is_some())
            })
            .await?;
        self.by_key.invalidate(&row.project_key).await;
        Ok(row)
    }

    /// Gives the project a new key; the old one stops working at once (in this instance).
    pub async fn rotate_key(
        &self,
        id: &str,
        owner: Owner<'_>,
        now: DateTime<Utc>,
    ) -> Result<ProjectRow, ProjectError> {
        let (row, old_key) = self.store.rotate_key(id, owner, now).await?;
        self.by_key.invalidate(&old_key).await;
        Ok(row)
    }

    /// Creates or rotates the project's identity secret (see
    /// [`ProjectStore::rotate_identity_secret`]); this instance uses it at once.
    pub async fn rotate_identity_secret(
        &self,
        id: &str,
        owner: Owner<'_>,
        now: DateTime<Utc>,
    ) -> Result<(String, Option<DateTime<Utc>>), ProjectError> {
        let (row, secret, previous_valid_until) =
            self.store.rotate_identity_secret(id, owner, now).await?;
        self.by_key.invalidate(&row.project_key).await;
        Ok((secret, previous_valid_until))
    }

    /// Deletes a project and its recorded data.
    pub async fn delete(&self, id: &str, owner: Owner<'_>) -> Result<(), ProjectError> {
        let row = self.store.delete(id, owner).await?;
        self.by_key.invalidate(&row.project_key).await;
        Ok(())
    }
}
