//! Requests per second of `PostgresStore` at concurrency 1 and 32, next to PostgreSQL's own
//! ceiling for the same round trips measured the same way through the same pool: one trivial
//! `UPDATE … SET n = n + 1 … RETURNING n` per store call (two per request when each request is
//! admitted then settled, one when it is only admitted). Prints the ratios.
//!
//! Both sides write one row per call, to the same distribution of rows: one hot row (the
//! store: one hot identity, so its calls serialize on its row lock like the ceiling's updates
//! do), then 1000 rows in turn (1000 identities). See `Lifecycle` and `Identities` for the
//! cases; the two sides alternate in slices of each case (see `compare`).
//!
//! Run: `cargo bench -p ai-ratelimit-bench --bench store_postgres` (`AIRL_BENCH_SECS` sets the
//! seconds per case, default 3; `AIRL_TEST_POSTGRES_URL` the server).

use std::sync::Arc;

use ai_ratelimit_bench::store_load::{Identities, Lifecycle, SPREAD, run_cases};
use ai_ratelimit_store_postgres::PostgresStore;

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

    print!("store_postgres: PostgreSQL at {url}, ");
    let update = |identities: Identities, lifecycle: Lifecycle| {
        let (pool, sql) = (pool.clone(), ceiling_sql.clone());
        move |seq: u64| {
            let (pool, sql) = (pool.clone(), sql.clone());
            let row = i32::try_from(identities.row(seq)).unwrap_or(1);
            async move {
                for _ in 0..lifecycle.round_trips() {
                    let _: (i64,) = sqlx::query_as(&sql)
                        .bind(row)
                        .fetch_one(&pool)
                        .await
                        .expect("ceiling update");
                }
            }
        }
    };
    run_cases(store, "PostgresStore", "UPDATE … RETURNING", update).await;
    let drop = format!("DROP SCHEMA \"{schema}\" CASCADE");
    if let Err(e) = sqlx::query(&drop).execute(&pool).await {
        eprintln!("could not drop benchmark schema {schema}: {e}");
    }
}
