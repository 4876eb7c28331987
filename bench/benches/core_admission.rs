//! Admissions per second on `MemoryStore` through the full engine (`Limiter::check` then
//! `Limiter::settle`), next to the baseline of a plain `HashMap` behind a `Mutex` doing the
//! same two updates (count the request, then add its tokens), with 1 and 2 threads.
//!
//! Criterion reports each side; the closing lines print the ratio engine/baseline measured
//! in the same run (absolute numbers on shared machines mislead, ratios much less).

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ai_ratelimit_core::{Decision, LimitRequest, Limiter, MemoryStore, Policy};
use criterion::{Criterion, criterion_main};

const IDENTITIES: usize = 1000;

fn identities() -> Arc<Vec<String>> {
    Arc::new((0..IDENTITIES).map(|i| format!("user-{i}")).collect())
}

/// The engine side: `ops` admit-and-settle cycles on each of `threads` threads.
fn run_engine(threads: usize, ops: u64) -> Duration {
    let limiter = Limiter::new(MemoryStore::new());
    let policy = Arc::new(
        Policy::builder()
            .request_limit(Some(u64::MAX / 2))
            .build()
            .expect("policy"),
    );
    let ids = identities();
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (limiter, policy, ids) = (limiter.clone(), policy.clone(), ids.clone());
            s.spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .build()
                    .expect("runtime");
                rt.block_on(async {
                    for i in 0..ops {
                        let request = LimitRequest {
                            scope: "bench",
                            identity: &ids[(i as usize * 7 + t) % IDENTITIES],
                            tier: None,
                            estimated_tokens: 100,
                        };
                        match limiter.check(&policy, &request).await {
                            Ok(Decision::Admitted(a)) => {
                                if let Some(r) = a.reservation {
                                    limiter.settle(r, 42).await.expect("settle");
                                }
                            }
                            other => panic!("unexpected {other:?}"),
                        }
                    }
                });
            });
        }
    });
    start.elapsed()
}

/// The baseline: the same two updates on a `Mutex<HashMap>`.
fn run_baseline(threads: usize, ops: u64) -> Duration {
    let map: Arc<Mutex<HashMap<String, (u64, u64)>>> = Arc::default();
    let ids = identities();
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (map, ids) = (map.clone(), ids.clone());
            s.spawn(move || {
                for i in 0..ops {
                    let id = &ids[(i as usize * 7 + t) % IDENTITIES];
                    {
                        let mut m = map.lock().expect("lock");
                        match m.get_mut(id.as_str()) {
                            Some(c) => c.0 += 1,
                            None => {
                                m.insert(id.clone(), (1, 0));
                            }
                        }
                    }
                    let mut m = map.lock().expect("lock");
                    if let Some(c) = m.get_mut(id.as_str()) {
                        c.1 += black_box(42);
                    }
                }
            });
        }
    });
    start.elapsed()
}

fn admissions(c: &mut Criterion) {
    let mut group = c.benchmark_group("admission");
    for threads in [1usize, 2] {
        // iter_custom: criterion picks the op count; each thread does that many ops.
        group.bench_function(format!("memory_store/{threads}_threads"), |b| {
            b.iter_custom(|iters| run_engine(threads, iters))
        });
        group.bench_function(format!("mutex_hashmap/{threads}_threads"), |b| {
            b.iter_custom(|iters| run_baseline(threads, iters))
        });
    }
    group.finish();

    // Same-run ratio, alternating sides so drift on a noisy machine hits both alike.
    const OPS: u64 = 200_000;
    for threads in [1usize, 2] {
        let (mut engine, mut baseline) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..3 {
            engine += run_engine(threads, OPS);
            baseline += run_baseline(threads, OPS);
        }
        let total_ops = (OPS * 3 * threads as u64) as f64;
        let engine_rate = total_ops / engine.as_secs_f64();
        let baseline_rate = total_ops / baseline.as_secs_f64();
        println!(
            "core admission, {threads} thread(s): MemoryStore engine {:.0} admissions/s, Mutex<HashMap> {:.0} updates/s, ratio {:.3}",
            engine_rate,
            baseline_rate,
            engine_rate / baseline_rate
        );
    }
}

/// Short timings (a shared machine); criterion's CLI flags still apply.
fn benches() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();
    admissions(&mut c);
}

criterion_main!(benches);
