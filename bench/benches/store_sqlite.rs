//! Requests per second of `SqliteStore` at concurrency 1 and 32, next to SQLite's own ceiling
//! for the same writes measured the same way, run the way the store runs its writes (one
//! connection behind a mutex, statements on the calling thread, rusqlite) and in the same
//! transaction mode as a lone write (one autocommit statement): one trivial
//! `UPDATE … SET n = n + 1 … RETURNING n` in the same file per store call (two per request when
//! each request is admitted then settled, one when it is only admitted). Prints the ratios.
//!
//! Both sides write one row per call, to the same distribution of rows: one hot row (the
//! store: one hot identity), then 1000 rows in turn (1000 identities). See `Lifecycle` and
//! `Identities` for the cases; the two sides alternate in slices of each case (see
//! `compare`). The file is in a temporary directory, WAL mode, `synchronous = NORMAL`.
//!
//! Run: `cargo bench -p ai-ratelimit-bench --bench store_sqlite` (`AIRL_BENCH_SECS` sets the
//! seconds per case, default 3).

use ai_ratelimit_bench::store_load::{Identities, Lifecycle, SPREAD, run_cases};
use std::sync::{Arc, Mutex};

use ai_ratelimit_store_sqlite::SqliteStore;

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("airl-bench-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("benchmark directory");
    let url = format!("sqlite://{}?mode=rwc", dir.join("bench.db").display());
    let store = SqliteStore::connect(&url).await.expect("store");
    let ceiling = rusqlite::Connection::open(dir.join("bench.db")).expect("ceiling connection");
    ceiling
        .busy_timeout(std::time::Duration::from_secs(2))
        .expect("busy timeout");
    ceiling
        .pragma_update(None, "synchronous", "NORMAL")
        .expect("synchronous");
    ceiling
        .execute_batch(&format!(
            "CREATE TABLE bench_ceiling (id INTEGER PRIMARY KEY, n INTEGER NOT NULL); \
             WITH RECURSIVE ids(id) AS (SELECT 1 UNION ALL SELECT id + 1 FROM ids WHERE id < {SPREAD}) \
             INSERT INTO bench_ceiling SELECT id, 0 FROM ids"
        ))
        .expect("ceiling rows");
    let ceiling = Arc::new(Mutex::new(ceiling));

    print!("store_sqlite: file {}, ", dir.join("bench.db").display());
    let update = |identities: Identities, lifecycle: Lifecycle| {
        let ceiling = ceiling.clone();
        move |seq: u64| {
            let ceiling = ceiling.clone();
            let row = i64::try_from(identities.row(seq)).unwrap_or(1);
            async move {
                for _ in 0..lifecycle.round_trips() {
                    let connection = ceiling.lock().expect("ceiling lock");
                    let _: i64 = connection
                        .prepare_cached(
                            "UPDATE bench_ceiling SET n = n + 1 WHERE id = ?1 RETURNING n",
                        )
                        .and_then(|mut update| update.query_row([row], |r| r.get(0)))
                        .expect("ceiling update");
                }
            }
        }
    };
    run_cases(store.clone(), "SqliteStore", "UPDATE … RETURNING", update).await;
    drop(store);
    drop(ceiling);
    if let Err(e) = std::fs::remove_dir_all(&dir) {
        eprintln!("could not remove {}: {e}", dir.display());
    }
}
