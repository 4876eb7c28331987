//! Admissions per second of `PostgresStore` at concurrency 1 and 32, next to PostgreSQL's own
//! ceiling for one write round trip measured the same way through the same pool: a trivial
//! `UPDATE … SET n = n + 1 … RETURNING n` on a one-row table. Prints the ratios.
//!
//! Both sides write one row per operation, to the same distribution of rows: one hot row
//! (the store: one hot identity, so admissions serialize on its row lock like the ceiling's
//! updates do), then 1000 rows in turn (1000 identities). See `Identities` for the
//! reservations' lifetimes in each case.
//!
//! Run: `cargo bench -p ai-ratelimit-bench --bench store_postgres` (`AIRL_BENCH_SECS` sets the
//! seconds per case, default 3; `AIRL_TEST_POSTGRES_URL` the server).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ai_ratelimit_core::{AdmitOutcome, AdmitRequest, UsageKey, UsageStore, Window};
use ai_ratelimit_store_postgres::PostgresStore;
use chrono::{DateTime, Utc};

const CONCURRENCY: [usize; 2] = [1, 32];

fn case_duration() -> Duration {
    let secs = std::env::var("AIRL_BENCH_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    Duration::from_secs_f64(secs)
}

/// Runs `op` in `concurrency` loops for `duration` (after a short warm-up); returns ops/s.
async fn measure<F, Fut>(concurrency: usize, duration: Duration, op: F) -> f64
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let seq = Arc::new(AtomicU64::new(0));
    for (phase, length) in [("warm-up", duration / 6), ("measure", duration)] {
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let tasks: Vec<_> = (0..concurrency)
            .map(|_| {
                let (op, seq, stop, done) = (op.clone(), seq.clone(), stop.clone(), done.clone());
                tokio::spawn(async move {
                    while !stop.load(Ordering::Relaxed) {
                        op(seq.fetch_add(1, Ordering::Relaxed)).await;
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                })
            })
            .collect();
        tokio::time::sleep(length).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await.expect("benchmark task");
        }
        if phase == "measure" {
            return done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
        }
    }
    0.0
}

/// Which identities the operations go to, on both sides (store and ceiling).
#[derive(Debug, Clone, Copy)]
enum Identities {
    /// One hot identity (one hot row): every operation waits for the previous one's row lock.
    /// Its reservations expire `concurrency` operations of simulated time later, so about as
    /// many are live as in a real run where each request settles when it ends, and nearly
    /// every admission drops an expired one (the store's purge path).
    Hot,
    /// `SPREAD` identities in turn (as many rows), reservations living ten minutes as with
    /// the engine's default: nothing expires during the run (the store's common path).
    Spread,
}

/// Identities (and ceiling rows) of [`Identities::Spread`].
const SPREAD: u64 = 1000;

impl Identities {
    fn label(self) -> &'static str {
        match self {
            Identities::Hot => "1 hot identity",
            Identities::Spread => "1000 identities",
        }
    }

    /// The identity (and ceiling row, 1-based) of operation `seq`.
    fn row(self, seq: u64) -> u64 {
        match self {
            Identities::Hot => 1,
            Identities::Spread => seq % SPREAD + 1,
        }
    }
}

fn admit_request(
    scope: &str,
    identities: Identities,
    base: DateTime<Utc>,
    seq: u64,
    concurrency: usize,
) -> AdmitRequest {
    // One millisecond of simulated time per operation.
    let now = base + chrono::Duration::milliseconds(i64::try_from(seq).unwrap_or(i64::MAX));
    let lifetime = match identities {
        Identities::Hot => chrono::Duration::milliseconds(i64::try_from(concurrency).unwrap_or(1)),
        Identities::Spread => chrono::Duration::minutes(10),
    };
    AdmitRequest {
        key: UsageKey {
            scope: scope.to_owned(),
            identity: format!("user-{}", identities.row(seq)),
            period: Window::Day.period_at(now),
        },
        tier: Some("free".to_owned()),
        request_limit: Some(u64::MAX / 2),
        token_limit: Some(u64::MAX / 2),
        reserve_tokens: 250,
        reservation_expires_at: now + lifetime,
        now,
    }
}

#[tokio::main]
async fn main() {
    let url = std::env::var("AIRL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = format!("airl_bench_{}", uuid::Uuid::new_v4().simple());
    let store = match PostgresStore::options()
        .schema(&schema)
        .max_connections(32)
        .connect(&url)
        .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("SKIPPED store_postgres benchmark: {e}");
            return;
        }
    };
    let pool = store.pool().clone();
    let table = format!("\"{schema}\".bench_ceiling");
    sqlx::query(&format!(
        "CREATE TABLE {table} (id INT PRIMARY KEY, n BIGINT NOT NULL)"
    ))
    .execute(&pool)
    .await
    .expect("ceiling table");
    sqlx::query(&format!(
        "INSERT INTO {table} SELECT id, 0 FROM generate_series(1, {SPREAD}) AS id"
    ))
    .execute(&pool)
    .await
    .expect("ceiling rows");
    let ceiling_sql: Arc<str> =
        format!("UPDATE {table} SET n = n + 1 WHERE id = $1 RETURNING n").into();

    let duration = case_duration();
    let base: DateTime<Utc> = "2030-06-01T12:00:00Z".parse().expect("timestamp");
    println!(
        "store_postgres: {:.1} s per case, PostgreSQL at {url}",
        duration.as_secs_f64()
    );
    for identities in [Identities::Hot, Identities::Spread] {
        for concurrency in CONCURRENCY {
            let (pool, sql) = (pool.clone(), ceiling_sql.clone());
            let ceiling = measure(concurrency, duration, move |seq| {
                let (pool, sql) = (pool.clone(), sql.clone());
                let row = i32::try_from(identities.row(seq)).unwrap_or(1);
                async move {
                    let _: (i64,) = sqlx::query_as(&sql)
                        .bind(row)
                        .fetch_one(&pool)
                        .await
                        .expect("ceiling update");
                }
            })
            .await;
            let scope = format!("bench-{identities:?}-c{concurrency}");
            // The ceiling's rows exist beforehand: so do the store's (one admission to each
            // identity; `row(SPREAD - 1)` is how many there are).
            for seq in 0..identities.row(SPREAD - 1) {
                let req = admit_request(&scope, identities, base, seq, concurrency);
                store.admit(&req).await.expect("admit");
            }
            let store_for_case = store.clone();
            let admissions = measure(concurrency, duration, move |seq| {
                let (store, req) = (
                    store_for_case.clone(),
                    admit_request(&scope, identities, base, seq, concurrency),
                );
                async move {
                    let outcome = store.admit(&req).await.expect("admit");
                    assert!(matches!(outcome, AdmitOutcome::Admitted { .. }));
                }
            })
            .await;
            println!(
                "{:<15} concurrency {concurrency:>2}: ceiling (UPDATE … RETURNING) {ceiling:>8.0}/s | \
                 PostgresStore::admit {admissions:>8.0}/s | ratio {:.2}",
                identities.label(),
                admissions / ceiling
            );
        }
    }
    let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
    if let Err(e) = sqlx::query(&drop).execute(&pool).await {
        eprintln!("could not drop benchmark schema {schema}: {e}");
    }
}
