//! Time of the usage history query (`usage/history`, 30 days) as the raw request log grows
//! from 10k rows to 10M: the reads the handler makes over the per-day rollups
//! (`reports::query::days` and `unique_per_day`), next to the query it replaced (a scan of the
//! log's rows of those days), each printed as a ratio to the same query on a second database
//! whose log stays at 10k rows, measured interleaved with it. The rollups must stay flat (issue 19: within 1.5×); the log scan grows with
//! the log.
//!
//! The data: one project, 100 identities, 30 days, 10% limited and 10% failed requests. The
//! rollups are rebuilt from the log after each growth step (what the server's aggregator
//! writes as requests come), so both sides read the same facts. SQLite file in a temporary
//! directory, WAL mode.
//!
//! Run: `cargo bench -p ai-ratelimit-bench --bench report_history` (`AIRL_BENCH_MAX_ROWS` caps
//! the largest log, default 10,000,000; `AIRL_BENCH_ROUNDS` sets the timed rounds, default 30).

use std::time::{Duration, Instant};

use ai_ratelimit_bench::env_u64;
use chrono::NaiveDate;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

const PROJECT: &str = "bench-project";
const IDENTITIES: u64 = 100;
const DAYS: u64 = 30;
const FIRST_DAY: &str = "2026-02-09";
/// Rows of the baseline log.
const BASE_ROWS: u64 = 10_000;

/// Adds log rows `from + 1 ..= to` in one statement.
async fn grow_log(pool: &AnyPool, from: u64, to: u64) {
    sqlx::query(&format!(
        "WITH RECURSIVE n(i) AS (SELECT {first} UNION ALL SELECT i + 1 FROM n WHERE i < {to}) \
         INSERT INTO request_log (id, project_id, identity, tier, model, status, tokens, tokens_estimated, latency_ms, day, created_at) \
         SELECT 'r' || i, '{PROJECT}', 'user-' || (i % {IDENTITIES}), NULL, 'gpt-4o-mini', \
           CASE i % 10 WHEN 0 THEN 'limited' WHEN 1 THEN 'error' ELSE 'allowed' END, \
           CASE WHEN i % 10 > 1 THEN i % 500 ELSE 0 END, 0, 5, \
           date('{FIRST_DAY}', '+' || (i % {DAYS}) || ' days'), \
           (unixepoch('{FIRST_DAY}') + (i % {DAYS}) * 86400 + i % 86400) * 1000 \
         FROM n",
        first = from + 1,
    ))
    .execute(pool)
    .await
    .expect("log rows");
}

/// Rebuilds the rollups from the log (the same sums the server's aggregator writes).
async fn rebuild_rollups(pool: &AnyPool) {
    for statement in [
        "DELETE FROM usage_daily",
        "DELETE FROM usage_identity_daily",
        "INSERT INTO usage_daily (project_id, day, requests, tokens, limited, errors) \
         SELECT project_id, day, SUM(status = 'allowed'), SUM(CASE WHEN status = 'allowed' THEN tokens ELSE 0 END), \
         SUM(status = 'limited'), SUM(status = 'error') FROM request_log GROUP BY project_id, day",
        "INSERT INTO usage_identity_daily (project_id, identity, day, tier, requests, tokens, limited, errors) \
         SELECT project_id, identity, day, NULL, SUM(status = 'allowed'), SUM(CASE WHEN status = 'allowed' THEN tokens ELSE 0 END), \
         SUM(status = 'limited'), SUM(status = 'error') FROM request_log GROUP BY project_id, identity, day",
        "ANALYZE",
    ] {
        sqlx::query(statement).execute(pool).await.expect("rollups");
    }
}

fn range() -> (NaiveDate, NaiveDate) {
    let from = NaiveDate::parse_from_str(FIRST_DAY, "%Y-%m-%d").expect("date");
    (from, from + chrono::Days::new(DAYS - 1))
}

/// The handler's reads for a 30-day history.
async fn rollup_history(pool: &AnyPool) -> u64 {
    let (from, to) = range();
    let days = ai_ratelimit_server::reports::query::days(pool, PROJECT, from, to)
        .await
        .expect("days");
    let uniques = ai_ratelimit_server::reports::query::unique_per_day(pool, PROJECT, from, to)
        .await
        .expect("uniques");
    days.values().map(|c| c.requests).sum::<u64>() + uniques.values().sum::<u64>()
}

/// The query `usage/history` ran before issue 19: a scan of the log.
async fn log_scan_history(pool: &AnyPool) -> u64 {
    let (from, to) = range();
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "SELECT day, \
         CAST(SUM(CASE WHEN status = 'allowed' THEN 1 ELSE 0 END) AS BIGINT), \
         COUNT(DISTINCT CASE WHEN status = 'allowed' THEN identity END) \
         FROM request_log WHERE project_id = $1 AND day >= $2 AND day <= $3 GROUP BY day",
    )
    .bind(PROJECT)
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(pool)
    .await
    .expect("log scan");
    rows.iter()
        .map(|(_, r, u)| u64::try_from(r + u).unwrap_or(0))
        .sum()
}

/// Median times of `rounds` interleaved runs of `a` and `b` (after one warm-up each), and
/// their answers (the same every run). Interleaving makes both see the same machine load.
async fn interleaved<A, AFut, B, BFut>(
    rounds: u64,
    a: A,
    b: B,
) -> ((Duration, u64), (Duration, u64))
where
    A: Fn() -> AFut,
    AFut: Future<Output = u64>,
    B: Fn() -> BFut,
    BFut: Future<Output = u64>,
{
    let (answer_a, answer_b) = (a().await, b().await);
    let (mut times_a, mut times_b) = (Vec::new(), Vec::new());
    for _ in 0..rounds {
        let started = Instant::now();
        assert_eq!(a().await, answer_a);
        times_a.push(started.elapsed());
        let started = Instant::now();
        assert_eq!(b().await, answer_b);
        times_b.push(started.elapsed());
    }
    times_a.sort_unstable();
    times_b.sort_unstable();
    (
        (times_a[times_a.len() / 2], answer_a),
        (times_b[times_b.len() / 2], answer_b),
    )
}

/// A migrated SQLite database in `dir`, WAL mode.
async fn database(dir: &std::path::Path, name: &str) -> AnyPool {
    let url = format!("sqlite://{}?mode=rwc", dir.join(name).display());
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("database");
    sqlx::query("PRAGMA journal_mode = WAL")
        .execute(&pool)
        .await
        .expect("WAL");
    ai_ratelimit_server::db::migrator()
        .run(&pool)
        .await
        .expect("migrations");
    // The index the replaced log scan read (dropped from the server's schema since).
    sqlx::query("CREATE INDEX request_log_project_day ON request_log (project_id, day)")
        .execute(&pool)
        .await
        .expect("the log scan's index");
    pool
}

/// Moves the WAL into the database file, so that reads do not walk a large WAL.
async fn checkpoint(pool: &AnyPool) {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(pool)
        .await
        .expect("checkpoint");
}

#[tokio::main]
async fn main() {
    let max_rows = env_u64("AIRL_BENCH_MAX_ROWS", 10_000_000);
    let rounds = env_u64("AIRL_BENCH_ROUNDS", 30).max(1);
    let dir = std::env::temp_dir().join(format!("airl-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("benchmark directory");
    sqlx::any::install_default_drivers();
    // The baseline: a log of 10k rows, measured next to the growing one at every size.
    let small = database(&dir, "small.db").await;
    grow_log(&small, 0, BASE_ROWS).await;
    rebuild_rollups(&small).await;
    checkpoint(&small).await;
    let big = database(&dir, "big.db").await;

    println!(
        "report_history: SQLite, 30-day history, {IDENTITIES} identities, median of {rounds} interleaved rounds; \
         ratios to the same query on a {BASE_ROWS}-row log measured alongside"
    );
    println!("| log rows | rollups | × 10k log | log scan (before) | × 10k log | build s |");
    println!("|---:|---:|---:|---:|---:|---:|");
    let mut rows = 0;
    let mut size = BASE_ROWS;
    while size <= max_rows {
        let started = Instant::now();
        grow_log(&big, rows, size).await;
        rows = size;
        rebuild_rollups(&big).await;
        checkpoint(&big).await;
        let built = started.elapsed();
        let ((rollup, a), (rollup0, _)) =
            interleaved(rounds, || rollup_history(&big), || rollup_history(&small)).await;
        // The scan is slow at the large sizes: fewer rounds.
        let ((scan, b), (scan0, _)) = interleaved(
            rounds.min(5),
            || log_scan_history(&big),
            || log_scan_history(&small),
        )
        .await;
        assert_eq!(a, b, "both read the same facts");
        println!(
            "| {rows} | {:.3} ms | {:.2} | {:.1} ms | {:.1} | {:.0} |",
            rollup.as_secs_f64() * 1e3,
            rollup.as_secs_f64() / rollup0.as_secs_f64(),
            scan.as_secs_f64() * 1e3,
            scan.as_secs_f64() / scan0.as_secs_f64(),
            built.as_secs_f64(),
        );
        size *= 10;
    }
    small.close().await;
    big.close().await;
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("could not remove {}: {e}", dir.display());
    }
}
