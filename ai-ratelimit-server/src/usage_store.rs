//! Choice of the usage store (where the limiter keeps its counters), and a decorator that
//! measures every store call for `/metrics`.

use std::time::Instant;

use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, AsUsageKey, MemoryStore, PageRequest, Period, PeriodTotals,
    Reservation, SharedStore, StoreError, Usage, UsagePage, UsageStore,
};
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
pub async fn usage_store(config: &Config) -> Result<SharedStore, ServerError> {
    let failed = |e: &dyn std::fmt::Display| ServerError::UsageStore(e.to_string());
    Ok(if let Some(redis) = &config.redis_url {
        metered(
            RedisStore::connect(redis.expose())
                .await
                .map_err(|e| failed(&e))?,
        )
    } else {
        match &config.database_kind {
            DatabaseKind::Sqlite { path: Some(_) } => metered(
                SqliteStore::connect(&config.database_url)
                    .await
                    .map_err(|e| failed(&e))?,
            ),
            DatabaseKind::Sqlite { path: None } => metered(MemoryStore::new()),
            DatabaseKind::Postgres => metered(
                PostgresStore::options()
                    .schema(&config.usage_store_schema)
                    .application_name("ai-ratelimit-server")
                    .connect(&config.database_url)
                    .await
                    .map_err(|e| failed(&e))?,
            ),
        }
    })
}

/// `store`, measured, erased once.
fn metered(store: impl UsageStore + 'static) -> SharedStore {
    SharedStore::new(MeteredStore::new(store))
}

/// Records the latency (`usage_store_duration_seconds`) and failures
/// (`usage_store_errors_total`) of each call, by operation.
#[derive(Debug)]
pub struct MeteredStore<S> {
    inner: S,
}

impl<S> MeteredStore<S> {
    /// Wraps a store.
    pub fn new(inner: S) -> Self {
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

impl<S: UsageStore> UsageStore for MeteredStore<S> {
    async fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        measured("admit", self.inner.admit(request)).await
    }

    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        measured("settle", self.inner.settle(reservation, tokens)).await
    }

    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        measured("release", self.inner.release(reservation)).await
    }

    async fn usage<K: AsUsageKey>(&self, key: &K, now: DateTime<Utc>) -> Result<Usage, StoreError> {
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

    async fn forget<K: AsUsageKey>(&self, key: &K) -> Result<(), StoreError> {
        measured("forget", self.inner.forget(key)).await
    }
}
