//! Benchmarks live in `benches/`; this library holds what several of them share.

pub mod proxy_load;

/// A count from the environment variable `name`, or `default` when unset or not a number.
pub fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The load of the store benches (`store_postgres`, `store_sqlite`, and the second part of
/// `store_redis`): the same loop and the same admissions on both sides of each comparison, so
/// that their ratios mean the same.
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

    /// Slices each side of a comparison is measured in, alternating with the other side's.
    const SLICES: u32 = 6;

    /// One side of a comparison: an operation and its count of operations so far, so that
    /// every slice goes on where the previous one stopped (the store's simulated time too).
    struct Side<F> {
        op: Arc<F>,
        seq: Arc<AtomicU64>,
        done: u64,
        secs: f64,
    }

    impl<F, Fut> Side<F>
    where
        F: Fn(u64) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send,
    {
        fn new(op: F) -> Self {
            Self {
                op: Arc::new(op),
                seq: Arc::new(AtomicU64::new(0)),
                done: 0,
                secs: 0.0,
            }
        }

        /// Runs the operation in `concurrency` loops for `length`; counts it if `counted`.
        async fn run(&mut self, concurrency: usize, length: Duration, counted: bool) {
            let stop = Arc::new(AtomicBool::new(false));
            let done = Arc::new(AtomicU64::new(0));
            let started = Instant::now();
            let tasks: Vec<_> = (0..concurrency)
                .map(|_| {
                    let (op, seq, stop, done) = (
                        self.op.clone(),
                        self.seq.clone(),
                        stop.clone(),
                        done.clone(),
                    );
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
            if counted {
                self.done += done.load(Ordering::Relaxed);
                self.secs += started.elapsed().as_secs_f64();
            }
        }

        fn rate(&self) -> f64 {
            self.done as f64 / self.secs
        }
    }

    /// Operations per second of `ceiling` and of `store`, each run in `concurrency` loops
    /// for `duration` in all (after a short warm-up each). The two sides alternate in
    /// slices, so that a change of the shared machine's load (other processes, the disk's
    /// flush latency) falls on both instead of on one side's whole measurement.
    pub async fn compare<C, CFut, S, SFut>(
        concurrency: usize,
        duration: Duration,
        ceiling: C,
        store: S,
    ) -> (f64, f64)
    where
        C: Fn(u64) -> CFut + Send + Sync + 'static,
        CFut: Future<Output = ()> + Send,
        S: Fn(u64) -> SFut + Send + Sync + 'static,
        SFut: Future<Output = ()> + Send,
    {
        let (mut ceiling, mut store) = (Side::new(ceiling), Side::new(store));
        ceiling.run(concurrency, duration / 6, false).await;
        store.run(concurrency, duration / 6, false).await;
        for _ in 0..SLICES {
            ceiling.run(concurrency, duration / SLICES, true).await;
            store.run(concurrency, duration / SLICES, true).await;
        }
        (ceiling.rate(), store.rate())
    }

    /// What one operation of a case is, on both sides.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Lifecycle {
        /// One request as a server runs it: its admission, then the settlement of its
        /// reservation with the real token count when it ends. Two store calls, so the
        /// ceiling does two updates of the row per operation (one per round trip). The
        /// reservation would live ten minutes (the engine's default) but is settled first:
        /// about `concurrency` are live on a hot identity, as in flight, and none expires.
        AdmitSettle,
        /// One admission whose reservation is never settled (a request that never ended);
        /// see [`Identities`] for when it expires. The ceiling does one update.
        Admit,
    }

    impl Lifecycle {
        /// How the case is named in the output.
        pub fn label(self) -> &'static str {
            match self {
                Lifecycle::AdmitSettle => "admit+settle",
                Lifecycle::Admit => "admit only",
            }
        }

        /// Store calls per operation, and so the ceiling's updates per operation.
        pub fn round_trips(self) -> usize {
            match self {
                Lifecycle::AdmitSettle => 2,
                Lifecycle::Admit => 1,
            }
        }
    }

    /// The cases of the store benches, in the order they are run and printed.
    pub const CASES: [(Identities, Lifecycle); 4] = [
        (Identities::Hot, Lifecycle::AdmitSettle),
        (Identities::Spread, Lifecycle::AdmitSettle),
        (Identities::Hot, Lifecycle::Admit),
        (Identities::Spread, Lifecycle::Admit),
    ];

    /// Tokens each settled request really used.
    const SETTLED_TOKENS: u64 = 100;

    /// Which identities the operations go to, on both sides (store and ceiling).
    #[derive(Debug, Clone, Copy)]
    pub enum Identities {
        /// One hot identity (one hot row): every operation waits for the previous one's row lock.
        /// With [`Lifecycle::Admit`], its reservations expire `concurrency` operations of
        /// simulated time later, so about as many are live as with [`Lifecycle::AdmitSettle`],
        /// but nearly every admission drops an expired one (the store's purge path, which real
        /// use takes only for requests that never settled).
        Hot,
        /// `SPREAD` identities in turn (as many rows), reservations living ten minutes as with
        /// the engine's default: nothing expires during the run (the store's common path; with
        /// [`Lifecycle::Admit`] every row's reservations pile up through the run).
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
        (identities, lifecycle): (Identities, Lifecycle),
        base: DateTime<Utc>,
        seq: u64,
        concurrency: usize,
    ) -> AdmitRequest {
        // One millisecond of simulated time per operation.
        let now = base + chrono::Duration::milliseconds(i64::try_from(seq).unwrap_or(i64::MAX));
        let lifetime = match (identities, lifecycle) {
            (Identities::Hot, Lifecycle::Admit) => {
                chrono::Duration::milliseconds(i64::try_from(concurrency).unwrap_or(1))
            }
            _ => chrono::Duration::minutes(10),
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
            scope_cap: None,
        }
    }

    /// Operations per second of the ceiling and of `store` in one case (see [`compare`]):
    /// first one admission to each of the case's identities (the ceiling's rows exist
    /// beforehand, so the store's counters do too), then operations (see [`Lifecycle`])
    /// whose admissions must all be admitted, against `ceiling`'s.
    pub async fn store_and_ceiling<S, C, CFut>(
        store: S,
        case: (Identities, Lifecycle),
        concurrency: usize,
        duration: Duration,
        base: DateTime<Utc>,
        ceiling: C,
    ) -> (f64, f64)
    where
        S: UsageStore + Clone + 'static,
        C: Fn(u64) -> CFut + Send + Sync + 'static,
        CFut: Future<Output = ()> + Send,
    {
        let (identities, lifecycle) = case;
        let scope = format!("bench-{identities:?}-{lifecycle:?}-c{concurrency}");
        // `row(SPREAD - 1)` is how many identities the case has.
        for seq in 0..identities.row(SPREAD - 1) {
            let req = admit_request(&scope, case, base, seq, concurrency);
            let outcome = store.admit(&req).await.expect("admit");
            if let (AdmitOutcome::Admitted { reservation, .. }, Lifecycle::AdmitSettle) =
                (outcome, lifecycle)
            {
                store
                    .settle(&reservation, SETTLED_TOKENS)
                    .await
                    .expect("settle");
            }
        }
        let store_op = move |seq| {
            let (store, req) = (
                store.clone(),
                admit_request(&scope, case, base, seq, concurrency),
            );
            async move {
                let outcome = store.admit(&req).await.expect("admit");
                let AdmitOutcome::Admitted { reservation, .. } = outcome else {
                    panic!("the benchmark's limits never deny");
                };
                if lifecycle == Lifecycle::AdmitSettle {
                    store
                        .settle(&reservation, SETTLED_TOKENS)
                        .await
                        .expect("settle");
                }
            }
        };
        compare(concurrency, duration, ceiling, store_op).await
    }

    /// Runs every case of [`CASES`] at each of [`CONCURRENCY`] (see [`store_and_ceiling`]),
    /// printing one line per run: the ceiling's rate (`ceiling_name`, once per store call),
    /// the store's and their ratio. `ceiling(identities, lifecycle)` makes the ceiling's
    /// operation of a case.
    pub async fn run_cases<S, M, C, CFut>(
        store: S,
        store_name: &str,
        ceiling_name: &str,
        ceiling: M,
    ) where
        S: UsageStore + Clone + 'static,
        M: Fn(Identities, Lifecycle) -> C,
        C: Fn(u64) -> CFut + Send + Sync + 'static,
        CFut: Future<Output = ()> + Send,
    {
        let duration = case_duration();
        // Simulated time: the same instants in every run, whatever the day it runs.
        let base: DateTime<Utc> = "2030-06-01T12:00:00Z".parse().unwrap_or_default();
        println!("{:.1} s per case", duration.as_secs_f64());
        for (identities, lifecycle) in CASES {
            for concurrency in CONCURRENCY {
                let (ceiling, admissions) = store_and_ceiling(
                    store.clone(),
                    (identities, lifecycle),
                    concurrency,
                    duration,
                    base,
                    ceiling(identities, lifecycle),
                )
                .await;
                println!(
                    "{:<15} {:<12} concurrency {concurrency:>2}: ceiling ({}× {ceiling_name}) \
                     {ceiling:>8.0}/s | {store_name} {admissions:>8.0}/s | ratio {:.2}",
                    identities.label(),
                    lifecycle.label(),
                    lifecycle.round_trips(),
                    admissions / ceiling
                );
            }
        }
    }
}
