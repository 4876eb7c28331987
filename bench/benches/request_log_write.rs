//! Cost of the request log's writes (one multi-row insert per gathered batch, as
//! `ai_ratelimit_server::request_log` writes them) on a log that already holds many rows:
//! the log as it is now (time-ordered v7 ids, the indexes of the current migrations) next to
//! the log before (random v4 ids, plus the `(project_id, day)` index the reports no longer
//! read), batches interleaved so both see the same machine load. A random primary key sends
//! each row to a random page of its index; once the index outgrows SQLite's page cache that is
//! a read and a write of a cold page per row.
//!
//! Run: `cargo bench -p ai-ratelimit-bench --bench request_log_write` (`AIRL_BENCH_LOG_ROWS`:
//! rows in each log before timing, default 1,000,000; `AIRL_BENCH_ROUNDS`: timed batches of
//! 256 rows per side, default 200).

use std::time::{Duration, Instant};

use ai_ratelimit_bench::env_u64;
use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use uuid::Uuid;

const BATCH: usize = 256;
const COLUMNS: usize = 11;
const IDENTITIES: u64 = 1000;

/// How a log's row ids are made.
#[derive(Clone, Copy)]
enum Ids {
    Random,
    TimeOrdered,
}

impl Ids {
    fn next(self) -> String {
        match self {
            Ids::Random => Uuid::new_v4().to_string(),
            Ids::TimeOrdered => Uuid::now_v7().to_string(),
        }
    }
}

/// A migrated SQLite database in `dir` with the server's settings (WAL, `synchronous =
/// NORMAL`); `extra` runs after the migrations.
async fn database(dir: &std::path::Path, name: &str, extra: &[&str]) -> AnyPool {
    let url = format!("sqlite://{}?mode=rwc", dir.join(name).display());
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("database");
    for pragma in ["PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL"] {
        sqlx::query(pragma).execute(&pool).await.expect("pragma");
    }
    ai_ratelimit_server::db::migrator()
        .run(&pool)
        .await
        .expect("migrations");
    for statement in extra {
        sqlx::query(statement)
            .execute(&pool)
            .await
            .expect("extra statement");
    }
    pool
}

/// One batch of `BATCH` rows in one statement, as the server's request log writes it.
async fn write_batch(pool: &AnyPool, ids: Ids, first: u64) {
    let mut sql = String::from(
        "INSERT INTO request_log (id, project_id, identity, tier, model, status, tokens, tokens_estimated, latency_ms, day, created_at) VALUES ",
    );
    for row in 0..BATCH {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        sql.push_str(&["?"; COLUMNS].join(", "));
        sql.push(')');
    }
    let mut insert = sqlx::query(&sql);
    let now = chrono::Utc::now();
    for i in first..first + BATCH as u64 {
        insert = insert
            .bind(ids.next())
            .bind("bench-project")
            .bind(format!("user-{}", i % IDENTITIES))
            .bind(None::<String>)
            .bind("gpt-4o-mini")
            .bind("allowed")
            .bind(120_i64)
            .bind(0_i64)
            .bind(5_i64)
            .bind(now.date_naive().format("%Y-%m-%d").to_string())
            .bind(now.timestamp_millis());
    }
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await.expect("begin");
    insert.execute(&mut *tx).await.expect("insert");
    tx.commit().await.expect("commit");
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

#[tokio::main]
async fn main() {
    let rows = env_u64("AIRL_BENCH_LOG_ROWS", 1_000_000);
    let rounds = env_u64("AIRL_BENCH_ROUNDS", 200).max(1);
    let dir = std::env::temp_dir().join(format!("airl-bench-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("benchmark directory");
    sqlx::any::install_default_drivers();
    let before = database(
        &dir,
        "before.db",
        &["CREATE INDEX request_log_project_day ON request_log (project_id, day)"],
    )
    .await;
    let now = database(&dir, "now.db", &[]).await;
    let logs = [(&before, Ids::Random), (&now, Ids::TimeOrdered)];

    // Both logs grow to `rows` through the same writes, alternating.
    let started = Instant::now();
    let mut written = 0;
    while written < rows {
        for (pool, ids) in logs {
            write_batch(pool, ids, written).await;
        }
        written += BATCH as u64;
    }
    println!(
        "request_log_write: SQLite (WAL, synchronous = NORMAL), {written} rows in each log \
         (grown in {:.0} s), median of {rounds} interleaved batches of {BATCH} rows",
        started.elapsed().as_secs_f64()
    );
    let (mut times_before, mut times_now) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let first = written + round * BATCH as u64;
        let t = Instant::now();
        write_batch(&before, Ids::Random, first).await;
        times_before.push(t.elapsed());
        let t = Instant::now();
        write_batch(&now, Ids::TimeOrdered, first).await;
        times_now.push(t.elapsed());
    }
    let (b, n) = (median(times_before), median(times_now));
    let per_row = |d: Duration| d.as_secs_f64() * 1e6 / BATCH as f64;
    println!("| log | µs per row | × before |");
    println!("|---|---:|---:|");
    println!(
        "| before: v4 ids, + (project_id, day) index | {:.1} | 1.00 |",
        per_row(b)
    );
    println!(
        "| now: v7 ids | {:.1} | {:.2} |",
        per_row(n),
        n.as_secs_f64() / b.as_secs_f64()
    );
    before.close().await;
    now.close().await;
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("could not remove {}: {e}", dir.display());
    }
}
