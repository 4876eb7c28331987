//! Choice of the usage store (where the limiter keeps its counters), and a decorator that
//! measures every store call for `/metrics`.

use std::path::{Path, PathBuf};
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
/// instance); else the store of `DATABASE_URL`'s database: for an SQLite file, a file of its
/// own beside it ([`usage_file`]), or PostgreSQL (schema `USAGE_STORE_SCHEMA`). An in-memory
/// SQLite database cannot be shared between two pools, so `sqlite::memory:` keeps its
/// counters in memory.
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
            DatabaseKind::Sqlite { path: Some(path) } => {
                let usage = usage_file(path);
                let store = SqliteStore::connect(&sqlite_url(&usage))
                    .await
                    .map_err(|e| failed(&e))?;
                move_counters(path, &usage).await?;
                metered(store)
            }
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

/// The usage counters' SQLite file beside the main one: `data.db` → `data.usage.db`.
///
/// SQLite has one write lock per file. In the main file the counters' writes (two per
/// request, on the request's path) waited behind the request log's and the rollups' batches,
/// and their waits are the busy handler's sleeps (a millisecond and up); in a file of their
/// own they wait for nothing but each other (issue "Proxy overhead", `bench/RESULTS.md`).
pub fn usage_file(main: &Path) -> PathBuf {
    let stem = main.file_stem().unwrap_or_default().to_string_lossy();
    main.with_file_name(format!("{stem}.usage.db"))
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

/// Moves the counters a server before the usage file kept in the main file into the usage
/// file, once (later starts find none to move). Idempotent if interrupted: a counter copied
/// already is not copied twice, and the main file's rows go only after the copy.
async fn move_counters(main: &Path, usage: &Path) -> Result<(), ServerError> {
    use sqlx::{Connection, SqliteConnection};
    let failed = |e: sqlx::Error| ServerError::UsageStore(e.to_string());
    let mut connection = SqliteConnection::connect(&sqlite_url(usage))
        .await
        .map_err(failed)?;
    sqlx::query("ATTACH DATABASE ?1 AS main_file")
        .bind(main.to_string_lossy())
        .execute(&mut connection)
        .await
        .map_err(failed)?;
    let table: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM main_file.sqlite_master WHERE type = 'table' AND name = 'airl_usage_counters'",
    )
    .fetch_one(&mut connection)
    .await
    .map_err(failed)?;
    let waiting = table > 0
        && sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM main_file.airl_usage_counters)",
        )
        .fetch_one(&mut connection)
        .await
        .map_err(failed)?;
    if waiting {
        // The main file's table at the store's latest schema (a server before the usage
        // file may have left it at an older one), so that its columns are the usage file's.
        SqliteStore::options()
            .read_connections(0)
            .connect(&sqlite_url(main))
            .await
            .map_err(|e| ServerError::UsageStore(e.to_string()))?;
        let moved = sqlx::query(
            "INSERT OR IGNORE INTO main.airl_usage_counters SELECT * FROM main_file.airl_usage_counters",
        )
        .execute(&mut connection)
        .await
        .map_err(failed)?
        .rows_affected();
        sqlx::query("DELETE FROM main_file.airl_usage_counters")
            .execute(&mut connection)
            .await
            .map_err(failed)?;
        if moved > 0 {
            tracing::info!(counters = moved, file = %usage.display(), "moved the usage counters to their own file");
        }
    }
    connection.close().await.map_err(failed)
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
