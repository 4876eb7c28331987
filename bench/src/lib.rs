//! Benchmarks live in `benches/`; this library holds what several of them share.

/// The load of the SQL store benches (`store_postgres`, `store_sqlite`): the same loop and
/// the same admissions on both sides of each comparison, so that their ratios mean the same.
pub mod store_load {
    use std::future::Future;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::time::{Duration, Instant};

    use ai_ratelimit_core::{AdmitOutcome, AdmitRequest, UsageKey, UsageStore, Window};
    use chrono::{DateTime, Utc};

    /// The concurrencies measured.
    pub const CONCURRENCY: [usize; 2] = [1, 32];

    /// Seconds per case, from `AIRL_BENCH_SECS` (default 3).
    pub fn case_duration() -> Duration {
        let secs = std::env::var("AIRL_BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3.0);
        Duration::from_secs_f64(secs)
    }

    /// Runs `op` in `concurrency` loops for `duration` (after a short warm-up); returns ops/s.
    pub async fn measure<F, Fut>(concurrency: usize, duration: Duration, op: F) -> f64
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
                    let (op, seq, stop, done) =
                        (op.clone(), seq.clone(), stop.clone(), done.clone());
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
    pub enum Identities {
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
    pub const SPREAD: u64 = 1000;

    impl Identities {
        /// How the case is named in the output.
        pub fn label(self) -> &'static str {
            match self {
                Identities::Hot => "1 hot identity",
                Identities::Spread => "1000 identities",
            }
        }

        /// The identity (and ceiling row, 1-based) of operation `seq`.
        pub fn row(self, seq: u64) -> u64 {
            match self {
                Identities::Hot => 1,
                Identities::Spread => seq % SPREAD + 1,
            }
        }
    }

    /// The admission of operation `seq` (one millisecond of simulated time after `base` per
    /// operation), with limits that never deny.
    pub fn admit_request(
        scope: &str,
        identities: Identities,
        base: DateTime<Utc>,
        seq: u64,
        concurrency: usize,
    ) -> AdmitRequest {
        // One millisecond of simulated time per operation.
        let now = base + chrono::Duration::milliseconds(i64::try_from(seq).unwrap_or(i64::MAX));
        let lifetime = match identities {
            Identities::Hot => {
                chrono::Duration::milliseconds(i64::try_from(concurrency).unwrap_or(1))
            }
            Identities::Spread => chrono::Duration::minutes(10),
        };
        AdmitRequest {
            key: UsageKey {
                scope: scope.into(),
                identity: format!("user-{}", identities.row(seq)).into(),
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

    /// Admissions per second of `store` in one case: first one admission to each of the
    /// case's identities (the ceiling's rows exist beforehand, so the store's counters do
    /// too), then `measure` of admissions that must all be admitted.
    pub async fn store_rate<S: UsageStore + Clone + 'static>(
        store: S,
        identities: Identities,
        concurrency: usize,
        duration: Duration,
        base: DateTime<Utc>,
    ) -> f64 {
        let scope = format!("bench-{identities:?}-c{concurrency}");
        // `row(SPREAD - 1)` is how many identities the case has.
        for seq in 0..identities.row(SPREAD - 1) {
            let req = admit_request(&scope, identities, base, seq, concurrency);
            store.admit(&req).await.expect("admit");
        }
        measure(concurrency, duration, move |seq| {
            let (store, req) = (
                store.clone(),
                admit_request(&scope, identities, base, seq, concurrency),
            );
            async move {
                let outcome = store.admit(&req).await.expect("admit");
                assert!(matches!(outcome, AdmitOutcome::Admitted { .. }));
            }
        })
        .await
    }
}
