//! Admissions per second on `RedisStore` next to the ceiling of the same Redis measured the
//! same way: one `INCR` per request through the same connection, with the same
//! number of concurrent callers (1 and 32), in the same run. Prints the ratio store/ceiling.
//!
//! Each admission is the full store operation: it purges expired reservations, checks a
//! request limit and a token limit, counts the request, reserves 100 tokens and marks the
//! identity changed for the listing (once between two listing reads), inside an `EVALSHA`.
//! Admissions of the scope that arrive while its call is in flight go out together in the
//! next call (the store's group commit), so at concurrency 32 one call carries many.
//! Callers rotate over 1000 identities.
//!
//! Because one INCR is less work than an admission, it also measures the two commands a
//! common admission runs (HGET and HSET of the counter's state, the HSET adding the
//! reservation), sent as a plain (non-atomic) pipeline in one round trip per admission: the
//! service's cost of the admission's own work, without the decision.
//!
//! For reference it also prints the rate of the cheapest possible script call (`EVALSHA` of
//! `return 1`): the fixed cost of any Lua call; and of the same call with the keys and
//! arguments of one admission, which Redis turns into Lua strings before any script runs:
//! the ceiling of one script call per admission.
//!
//! Admissions leave the listing index to the next read, so after the runs it times the first
//! `list_usage` and `totals` reads, which bring the index and totals up to date.
//!
//! The cases take turns: 8 rounds of 250 ms per case (after 50 ms of warm-up each), so that
//! a burst of load from other processes falls on all of them alike.
//!
//! Then it runs the four cases of the SQL store benches (one hot identity or 1000, each
//! request admitted then settled or only admitted; see `store_load`) the way those benches
//! do, one `INCR` per store call on the ceiling's side: settled reservations do not pile up in
//! the counters there, as they do in the admit-only runs above.
//!
//! Run: `cargo bench -p ai-ratelimit-bench --bench store_redis` (about 25 s, then 8 cases of
//! `AIRL_BENCH_SECS` each, default 3, plus warm-up). Redis comes from
//! `AIRL_TEST_REDIS_URL` (default `redis://127.0.0.1:6379`); keys use a fresh prefix and are
//! deleted at the end.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ai_ratelimit_bench::store_load::{Identities, Lifecycle, run_cases};
use ai_ratelimit_core::{AdmitOutcome, AdmitRequest, PageRequest, UsageKey, UsageStore, Window};
use ai_ratelimit_store_redis::{RedisConnection, RedisStore, RedisStoreOptions};
use chrono::Utc;

const IDENTITIES: u64 = 1000;
const WARM_UP: Duration = Duration::from_millis(50);
const MEASURE: Duration = Duration::from_millis(250);
/// Each case is measured in this many slices of `MEASURE`, the cases taking turns, so that
/// load from other processes on a shared machine falls on every case alike.
const ROUNDS: u32 = 8;

/// Runs `op(worker, i)` from `concurrency` tasks for the warm-up and then the measured time;
/// returns operations per second over the measured time.
async fn rate<F, Fut>(concurrency: u64, op: F) -> f64
where
    F: Fn(u64, u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = ()> + Send,
{
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let measure_from = started + WARM_UP;
    let end = measure_from + MEASURE;
    let tasks: Vec<_> = (0..concurrency)
        .map(|worker| {
            let (op, done) = (op.clone(), done.clone());
            tokio::spawn(async move {
                let mut i = 0;
                loop {
                    let now = Instant::now();
                    if now >= end {
                        break;
                    }
                    op(worker, i).await;
                    if now >= measure_from {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                    i += 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("bench task");
    }
    done.load(Ordering::Relaxed) as f64 / MEASURE.as_secs_f64()
}

/// A reservation's value as the store writes it: its tokens and expiry, two packed doubles.
fn reservation_value() -> Vec<u8> {
    let expires = Utc::now().timestamp_micros() as f64 + 6e8;
    [100f64.to_le_bytes(), expires.to_le_bytes()].concat()
}

fn identity(worker: u64, i: u64) -> String {
    format!("user-{}", (i * 7 + worker * 131) % IDENTITIES)
}

async fn store_rate(store: Arc<RedisStore>, scope: Arc<String>, concurrency: u64) -> f64 {
    rate(concurrency, move |worker, i| {
        let (store, scope) = (store.clone(), scope.clone());
        async move {
            let now = Utc::now();
            let request = AdmitRequest {
                key: UsageKey {
                    scope: scope.as_str().into(),
                    identity: identity(worker, i).into(),
                    period: Window::Day.period_at(now),
                },
                tier: Some("free".to_owned()),
                request_limit: Some(u64::MAX / 2),
                token_limit: Some(u64::MAX / 2),
                reserve_tokens: 100,
                reservation_expires_at: now + chrono::Duration::minutes(10),
                now,
                scope_cap: None,
            };
            match store.admit(&request).await {
                Ok(AdmitOutcome::Admitted { .. }) => {}
                other => panic!("unexpected admission result {other:?}"),
            }
        }
    })
    .await
}

async fn incr_rate(conn: RedisConnection, prefix: Arc<String>, concurrency: u64) -> f64 {
    rate(concurrency, move |worker, i| {
        let (mut conn, prefix) = (conn.clone(), prefix.clone());
        async move {
            let key = format!("{prefix}:{{ceiling}}:{}", identity(worker, i));
            let _: u64 = redis::cmd("INCR")
                .arg(key)
                .query_async(&mut conn)
                .await
                .expect("INCR");
        }
    })
    .await
}

/// The same Redis work as a common admission, without its decision or atomicity: the two
/// commands the script runs (HGET and HSET of the counter's state, the HSET adding a
/// reservation) sent as one plain pipeline, so one round trip like an unbatched script call.
async fn same_commands_rate(conn: RedisConnection, prefix: Arc<String>, concurrency: u64) -> f64 {
    rate(concurrency, move |worker, i| {
        let (mut conn, prefix) = (conn.clone(), prefix.clone());
        async move {
            let who = identity(worker, i);
            let counter = format!("{prefix}:{{pipeline}}:c:{who}");
            // A state of the same size as the store's (six doubles and a tier).
            let state = [&[7u8; 48][..], b"=free"].concat();
            let _: () = redis::pipe()
                .cmd("HGET")
                .arg(&counter)
                .arg("s")
                .ignore()
                .cmd("HSET")
                .arg(&counter)
                .arg("s")
                .arg(state)
                // A field as long as a reservation id.
                .arg(format!("{worker}{i:06}"))
                .arg(reservation_value())
                .ignore()
                .query_async(&mut conn)
                .await
                .expect("pipeline");
        }
    })
    .await
}

async fn trivial_script_rate(conn: RedisConnection, concurrency: u64) -> f64 {
    let script = Arc::new(redis::Script::new("return 1"));
    rate(concurrency, move |_, _| {
        let (script, mut conn) = (script.clone(), conn.clone());
        async move {
            let _: i64 = script
                .prepare_invoke()
                .invoke_async(&mut conn)
                .await
                .expect("EVALSHA");
        }
    })
    .await
}

/// `EVALSHA` of `return 1` with the keys and arguments of one admission (4 keys, 2
/// arguments, of the same sizes): the floor of one script call per admission with this
/// interface, since Redis turns every argument into a Lua string before the script runs.
async fn trivial_script_with_admission_args_rate(
    conn: RedisConnection,
    prefix: Arc<String>,
    concurrency: u64,
) -> f64 {
    let script = Arc::new(redis::Script::new("return 1"));
    rate(concurrency, move |worker, i| {
        let (script, mut conn, prefix) = (script.clone(), conn.clone(), prefix.clone());
        async move {
            let who = identity(worker, i);
            let base = format!("{prefix}:{{args}}:day:2026-11-30");
            let _: i64 = script
                .key(format!("{base}:ix"))
                .key(format!("{base}:tot"))
                .key(format!("{base}:ch"))
                .key(format!("{base}:c:{who}"))
                .arg([&[7u8; 48][..], b"=free"].concat())
                .arg(&who)
                .invoke_async(&mut conn)
                .await
                .expect("EVALSHA");
        }
    })
    .await
}

/// Deletes every key under the bench's prefix (bench hygiene only; the store never scans).
async fn clean_up(conn: &mut RedisConnection, prefix: &str) {
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{prefix}:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(conn)
            .await
            .expect("SCAN");
        if !keys.is_empty() {
            let _: u64 = redis::cmd("UNLINK")
                .arg(&keys)
                .query_async(conn)
                .await
                .expect("UNLINK");
        }
        if next == 0 {
            break;
        }
        cursor = next;
    }
}

fn main() {
    let url =
        std::env::var("AIRL_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let prefix = format!("airl-bench-{}", uuid::Uuid::new_v4().simple());
        let options = RedisStoreOptions::default()
            .with_key_prefix(prefix.clone())
            .expect("prefix");
        let store = match RedisStore::connect_with(&url, options).await {
            Ok(store) => Arc::new(store),
            Err(e) => {
                eprintln!("SKIPPED store_redis bench: Redis at {url} is unreachable ({e})");
                return;
            }
        };
        let mut conn = store.connection();
        let (prefix, scope) = (Arc::new(prefix), Arc::new("bench".to_owned()));
        for concurrency in [1, 32] {
            let (mut ceiling, mut admitted, mut same_commands, mut script_floor, mut args_floor) =
                (0.0, 0.0, 0.0, 0.0, 0.0);
            for _ in 0..ROUNDS {
                ceiling += incr_rate(conn.clone(), prefix.clone(), concurrency).await;
                admitted += store_rate(store.clone(), scope.clone(), concurrency).await;
                same_commands +=
                    same_commands_rate(conn.clone(), prefix.clone(), concurrency).await;
                script_floor += trivial_script_rate(conn.clone(), concurrency).await;
                args_floor +=
                    trivial_script_with_admission_args_rate(conn.clone(), prefix.clone(), concurrency)
                        .await;
            }
            let rounds = f64::from(ROUNDS);
            let (ceiling, admitted, same_commands, script_floor, args_floor) = (
                ceiling / rounds,
                admitted / rounds,
                same_commands / rounds,
                script_floor / rounds,
                args_floor / rounds,
            );
            println!(
                "redis c={concurrency}: store {admitted:.0}/s, INCR ceiling {ceiling:.0}/s, ratio {:.2}; \
                 same two commands as a plain pipeline {same_commands:.0}/s, ratio {:.2} \
                 (reference: EVALSHA of `return 1` {script_floor:.0}/s, ratio {:.2} to INCR; \
                 with an admission's 4 keys and 2 arguments {args_floor:.0}/s, ratio {:.2} to INCR)",
                admitted / ceiling,
                admitted / same_commands,
                script_floor / ceiling,
                args_floor / ceiling
            );
        }
        // The cases of the SQL benches, measured the same way (see `store_load`): one INCR
        // per store call on the ceiling's side.
        print!("redis, the SQL benches' cases: ");
        let incr = |identities: Identities, lifecycle: Lifecycle| {
            let (conn, prefix) = (conn.clone(), prefix.clone());
            move |seq: u64| {
                let (mut conn, prefix) = (conn.clone(), prefix.clone());
                async move {
                    let key = format!("{prefix}:{{cases}}:{}", identities.row(seq));
                    for _ in 0..lifecycle.round_trips() {
                        let _: u64 = redis::cmd("INCR")
                            .arg(&key)
                            .query_async(&mut conn)
                            .await
                            .expect("INCR");
                    }
                }
            }
        };
        run_cases(RedisStore::clone(&store), "RedisStore", "INCR", incr).await;
        // The reads after the runs rewrite the index entries of every identity admitted.
        let day = Window::Day.period_at(Utc::now());
        let started = Instant::now();
        let page = store
            .list_usage(&scope, &day, &PageRequest::first(100))
            .await
            .expect("list_usage");
        let first_read = started.elapsed();
        let started = Instant::now();
        let totals = store.totals(&scope, &day).await.expect("totals");
        let second_read = started.elapsed();
        println!(
            "redis reads after the runs: first list_usage page {first_read:.1?} (brings {} \
             identities' index entries up to date, {} listed), then totals {second_read:.1?} \
             ({} requests)",
            totals.identities,
            page.items.len(),
            totals.requests
        );
        clean_up(&mut conn, &prefix).await;
    });
}
