//! Choice of the usage store (where the limiter keeps its counters), and a decorator that
//! measures every store call for `/metrics`.

use std::sync::Arc;
use std::time::Instant;

use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, MemoryStore, PageRequest, Period, PeriodTotals, Reservation,
    StoreError, Usage, UsageKey, UsagePage, UsageStore,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use ai_ratelimit_store_postgres::PostgresStore;
use ai_ratelimit_store_redis::RedisStore;
use ai_ratelimit_store_sqlite::SqliteStore;

use crate::config::{Config, DatabaseKind};
use crate::error::ServerError;

/// The usage store for this configuration, measured for `/metrics`.
///
/// The one place that maps configuration to a store: `REDIS_URL` → Redis (shared by every
/// instance); else the store of `DATABASE_URL`'s database: the SQLite file itself, or
/// PostgreSQL (schema `USAGE_STORE_SCHEMA`). An in-memory SQLite database cannot be shared
/// between two pools, so `sqlite::memory:` keeps its counters in memory.
pub async fn usage_store(config: &Config) -> Result<Arc<dyn UsageStore>, ServerError> {
    let failed = |e: &dyn std::fmt::Display| ServerError::UsageStore(e.to_string());
    let store: Arc<dyn UsageStore> = if let Some(redis) = &config.redis_url {
        Arc::new(
            RedisStore::connect(redis.expose())
                .await
                .map_err(|e| failed(&e))?,
        )
    } else {
        match &config.database_kind {
            DatabaseKind::Sqlite { path: Some(_) } => Arc::new(
                SqliteStore::connect(&config.database_url)
                    .await
                    .map_err(|e| failed(&e))?,
            ),
            DatabaseKind::Sqlite { path: None } => Arc::new(MemoryStore::new()),
            DatabaseKind::Postgres => Arc::new(
                PostgresStore::options()
                    .schema(&config.usage_store_schema)
                    .application_name("ai-ratelimit-server")
                    .connect(&config.database_url)
                    .await
                    .map_err(|e| failed(&e))?,
            ),
        }
    };
    Ok(Arc::new(MeteredStore::new(store)))
}

/// Records the latency (`usage_store_duration_seconds`) and failures
/// (`usage_store_errors_total`) of each call, by operation.
#[derive(Debug)]
pub struct MeteredStore {
    inner: Arc<dyn UsageStore>,
}

impl MeteredStore {
    /// Wraps a store.
    pub fn new(inner: Arc<dyn UsageStore>) -> Self {
        Self { inner }
    }
}

async fn measured<T>(
    operation: &'static str,
    call: impl Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let result = call.await;
    metrics::histogram!("usage_store_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    if result.is_err() {
        metrics::counter!("usage_store_errors_total", "operation" => operation).increment(1);
    }
    result
}

#[async_trait]
impl UsageStore for MeteredStore {
    async fn admit(&self, request: &AdmitRequest) -> Result<AdmitOutcome, StoreError> {
        measured("admit", self.inner.admit(request)).await
    }

    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        measured("settle", self.inner.settle(reservation, tokens)).await
    }

    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        measured("release", self.inner.release(reservation)).await
    }

    async fn usage(&self, key: &UsageKey, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        measured("usage", self.inner.usage(key, now)).await
    }

    async fn list_usage(
        &self,
        scope: &str,
        period: &Period,
        page: &PageRequest,
    ) -> Result<UsagePage, StoreError> {
        measured("list_usage", self.inner.list_usage(scope, period, page)).await
    }

    async fn totals(&self, scope: &str, period: &Period) -> Result<PeriodTotals, StoreError> {
        measured("totals", self.inner.totals(scope, period)).await
    }
}
