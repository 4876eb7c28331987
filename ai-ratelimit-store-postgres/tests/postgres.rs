//! The PostgreSQL store against the real server at `AIRL_TEST_POSTGRES_URL`: the core
//! conformance suite plus what only a shared, remote store has to show (several pools,
//! dropped connections, unreachable server, timeouts).
//!
//! Every store runs in a schema of its own (`airl_test_<random>`), dropped when the store is.
//! Outside CI an unreachable server skips the tests (with a message); under `CI=true` it fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, AsUsageKey, Decision, FailureMode, LimitRequest, Limiter,
    PageRequest, Period, PeriodTotals, Policy, Reservation, StoreError, Usage, UsageKey, UsagePage,
    UsageStore, Window,
};
use ai_ratelimit_store_postgres::{PostgresStore, PostgresStoreError, PostgresStoreOptions};
use chrono::{DateTime, Utc};
use sqlx::Connection;
use sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};

fn url() -> String {
    std::env::var("AIRL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn random_name(prefix: &str) -> String {
    format!("{prefix}{}", uuid::Uuid::new_v4().simple())
}

/// Whether the test server answers; under `CI=true` an unreachable server is a failure.
async fn reachable(test: &str) -> bool {
    let ok = tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(&url()))
        .await
        .is_ok_and(|c| c.is_ok());
    if !ok {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "PostgreSQL at {} is unreachable under CI=true",
            url()
        );
        eprintln!("SKIPPED {test}: PostgreSQL at {} is unreachable", url());
    }
    ok
}

/// A store in a fresh schema, dropping the schema when the last handle goes away.
#[derive(Debug)]
struct TestStore {
    store: PostgresStore,
    schema: String,
}

impl TestStore {
    async fn new(options: PostgresStoreOptions) -> Self {
        let schema = random_name("airl_test_");
        let store = options
            .schema(&schema)
            .max_connections(5)
            .connect(&url())
            .await
            .expect("store connects");
        Self { store, schema }
    }

    /// A second, independent store (own pool) on the same schema.
    async fn twin(&self) -> PostgresStore {
        PostgresStore::options()
            .schema(&self.schema)
            .max_connections(5)
            .connect(&url())
            .await
            .expect("twin connects")
    }
}

impl Drop for TestStore {
    fn drop(&mut self) {
        let (schema, url) = (self.schema.clone(), url());
        // Drop runs inside a test runtime: clean up on a thread with a runtime of its own.
        let cleanup = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&url).await {
                    let drop = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
                    if let Err(e) = sqlx::query(&drop).execute(&mut conn).await {
                        eprintln!("could not drop test schema {schema}: {e}");
                    }
                }
            });
        });
        let _ = cleanup.join();
    }
}

impl UsageStore for TestStore {
    async fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        self.store.admit(request).await
    }
    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        self.store.settle(reservation, tokens).await
    }
    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        self.store.release(reservation).await
    }
    async fn usage<K: AsUsageKey>(&self, key: &K, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        self.store.usage(key, now).await
    }
    async fn list_usage(
        &self,
        scope: &str,
        period: &Period,
        page: &PageRequest,
    ) -> Result<UsagePage, StoreError> {
        self.store.list_usage(scope, period, page).await
    }
    async fn totals(&self, scope: &str, period: &Period) -> Result<PeriodTotals, StoreError> {
        self.store.totals(scope, period).await
    }
}

/// `None` (the case skips outside CI) when the test server is unreachable.
async fn make_store() -> Option<ai_ratelimit_core::SharedStore> {
    if !reachable("a conformance case").await {
        return None;
    }
    Some(ai_ratelimit_core::SharedStore::new(
        TestStore::new(PostgresStore::options()).await,
    ))
}

ai_ratelimit_core::usage_store_conformance!(optional make_store);

fn now() -> DateTime<Utc> {
    "2031-03-04T05:06:07Z".parse().expect("timestamp")
}

fn key(identity: &str) -> UsageKey {
    UsageKey {
        scope: random_name("scope-").into(),
        identity: identity.into(),
        period: Window::Day.period_at(now()),
    }
}

fn admit_request(key: &UsageKey, request_limit: Option<u64>) -> AdmitRequest {
    AdmitRequest {
        key: key.clone(),
        tier: None,
        request_limit,
        token_limit: None,
        reserve_tokens: 1,
        reservation_expires_at: now() + chrono::Duration::minutes(5),
        now: now(),
        scope_cap: None,
    }
}

/// Two pools hammering one identity admit exactly the limit between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_pools_admit_exactly_the_limit() {
    if !reachable("two_pools_admit_exactly_the_limit").await {
        return;
    }
    let first = TestStore::new(PostgresStore::options()).await;
    let second = first.twin().await;
    let stores = [first.store.clone(), second];
    let k = key("shared");
    let admitted = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for i in 0..120 {
        let (store, admitted, req) = (
            stores[i % 2].clone(),
            admitted.clone(),
            admit_request(&k, Some(37)),
        );
        tasks.push(tokio::spawn(async move {
            if let AdmitOutcome::Admitted { .. } = store.admit(&req).await.expect("admit") {
                admitted.fetch_add(1, Ordering::SeqCst);
            }
        }));
    }
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(admitted.load(Ordering::SeqCst), 37);
    let usage = first.usage(&k, now()).await.expect("usage");
    assert_eq!(usage.requests, 37);
}

/// Two pools hammering many identities of one scope at once: batches then hold admissions
/// of several identities (each batch locking its rows in key order), and two stores' batches
/// overlap on the same rows. No deadlock (it would be an error), and each identity admits
/// exactly its limit, each admission seeing its own count.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batches_of_many_identities_admit_exactly_each_limit() {
    if !reachable("batches_of_many_identities_admit_exactly_each_limit").await {
        return;
    }
    let first = TestStore::new(PostgresStore::options()).await;
    let second = first.twin().await;
    let stores = [first.store.clone(), second];
    let scope = random_name("many-");
    let identity_key = |n: usize| UsageKey {
        scope: scope.clone().into(),
        identity: format!("user-{n}").into(),
        period: Window::Day.period_at(now()),
    };
    const IDENTITIES: usize = 40;
    const LIMIT: u64 = 5;
    let mut tasks = Vec::new();
    for attempt in 0..8 {
        for n in 0..IDENTITIES {
            let (store, req) = (
                stores[(attempt + n) % 2].clone(),
                admit_request(&identity_key(n), Some(LIMIT)),
            );
            tasks.push(tokio::spawn(async move {
                (n, store.admit(&req).await.expect("admit"))
            }));
        }
    }
    let mut seen = vec![Vec::new(); IDENTITIES];
    for t in tasks {
        let (n, outcome) = t.await.expect("task");
        if let AdmitOutcome::Admitted {
            usage, reservation, ..
        } = outcome
        {
            assert_eq!(reservation.key, identity_key(n));
            seen[n].push(usage.requests);
        }
    }
    for (n, mut counts) in seen.into_iter().enumerate() {
        counts.sort_unstable();
        assert_eq!(counts, (1..=LIMIT).collect::<Vec<_>>(), "user-{n}");
        let usage = first.usage(&identity_key(n), now()).await.expect("usage");
        assert_eq!(usage.requests, LIMIT, "user-{n}");
    }
}

/// Connections killed from the server side mid-run: the pool reconnects, the limit holds
/// exactly, and every admission the store acknowledged is counted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn recovers_from_killed_connections_without_losing_counts() {
    if !reachable("recovers_from_killed_connections_without_losing_counts").await {
        return;
    }
    let app = random_name("airl_kill_");
    let store = TestStore::new(PostgresStore::options().application_name(&app)).await;
    let store = Arc::new(store);
    let mut admin = PgConnection::connect(&url())
        .await
        .expect("admin connection");
    let k = key("survivor");
    let limit = 150u64;
    let (admitted, failed) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    let mut killed = 0i64;
    for round in 0..5 {
        let mut tasks = Vec::new();
        for _ in 0..40 {
            let (store, admitted, failed, req) = (
                store.clone(),
                admitted.clone(),
                failed.clone(),
                admit_request(&k, Some(limit)),
            );
            tasks.push(tokio::spawn(async move {
                match store.admit(&req).await {
                    Ok(AdmitOutcome::Admitted { .. }) => {
                        admitted.fetch_add(1, Ordering::SeqCst);
                    }
                    Ok(AdmitOutcome::Denied { .. }) => {}
                    Ok(other @ AdmitOutcome::ScopeDenied { .. }) => {
                        panic!("no cap was set: {other:?}")
                    }
                    Err(e) => {
                        assert!(matches!(
                            e,
                            StoreError::Unavailable(_) | StoreError::Timeout(_)
                        ));
                        failed.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }));
        }
        // Kill this test's connections while the round is in flight.
        let (n,): (i64,) = sqlx::query_as(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1",
        )
        .bind(&app)
        .fetch_one(&mut admin)
        .await
        .expect("terminate backends");
        killed += n;
        for t in tasks {
            t.await.expect("task");
        }
        eprintln!("round {round}: killed {n} connections");
    }
    assert!(killed > 0, "the test killed no connection");
    // The store works again by itself: fill up to the limit with fresh admissions.
    let mut attempts = 0;
    while admitted.load(Ordering::SeqCst) < limit {
        attempts += 1;
        assert!(attempts < 1000, "the store did not recover");
        match store.admit(&admit_request(&k, Some(limit))).await {
            Ok(AdmitOutcome::Admitted { .. }) => {
                admitted.fetch_add(1, Ordering::SeqCst);
            }
            Ok(AdmitOutcome::Denied { usage }) => {
                panic!("denied at {usage:?} although only {admitted:?} were acknowledged")
            }
            Ok(other @ AdmitOutcome::ScopeDenied { .. }) => panic!("no cap was set: {other:?}"),
            Err(_) => {
                failed.fetch_add(1, Ordering::SeqCst);
            }
        }
    }
    let usage = store.usage(&k, now()).await.expect("usage after recovery");
    assert_eq!(
        usage.requests, limit,
        "acknowledged admissions are all counted, no more"
    );
    assert!(matches!(
        store.admit(&admit_request(&k, Some(limit))).await,
        Ok(AdmitOutcome::Denied { .. })
    ));
    eprintln!("killed {killed} connections; {failed:?} calls failed");
}

fn unreachable_options() -> PgConnectOptions {
    "postgres://postgres@127.0.0.1:1/test"
        .parse()
        .expect("connect options")
}

/// A server that cannot be reached answers with a typed error, at connect and per call.
#[tokio::test]
async fn unreachable_server_is_a_typed_error() {
    let err = PostgresStore::options()
        .acquire_timeout(Duration::from_millis(500))
        .connect_with(unreachable_options())
        .await
        .expect_err("port 1 does not answer");
    assert!(
        matches!(
            err,
            PostgresStoreError::Connect(_) | PostgresStoreError::Timeout(_)
        ),
        "{err:?}"
    );
    assert!(matches!(
        StoreError::from(err),
        StoreError::Unavailable(_) | StoreError::Timeout(_)
    ));

    let store = unreachable_store().await;
    let err = store
        .admit(&admit_request(&key("x"), Some(1)))
        .await
        .expect_err("no server");
    assert!(
        matches!(err, StoreError::Unavailable(_) | StoreError::Timeout(_)),
        "{err:?}"
    );
}

async fn unreachable_store() -> PostgresStore {
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_millis(300))
        .connect_lazy_with(unreachable_options());
    PostgresStore::options()
        .run_migrations(false)
        .with_pool(pool)
        .await
        .expect("a lazy pool without migrations needs no server")
}

/// Through the engine: fail-closed denies with 503, fail-open admits without a reservation.
#[tokio::test]
async fn limiter_fails_closed_or_open_on_an_unreachable_store() {
    let store: ai_ratelimit_core::SharedStore =
        ai_ratelimit_core::SharedStore::new(unreachable_store().await);
    let policy = Policy::builder()
        .request_limit(Some(10))
        .build()
        .expect("policy");
    let request = LimitRequest {
        scope: "s",
        identity: "u",
        tier: None,
        estimated_tokens: 1,
    };
    let closed = Limiter::new(store.clone());
    match closed.check(&policy, &request).await.expect("check") {
        Decision::Denied(d) => {
            assert_eq!(d.status, 503);
            assert_eq!(d.body["error"], "store_unavailable");
        }
        Decision::Admitted(_) => panic!("fail-closed admitted"),
    }
    let open = Limiter::builder(store)
        .failure_mode(FailureMode::Open)
        .build()
        .expect("limiter");
    match open.check(&policy, &request).await.expect("check") {
        Decision::Admitted(a) => assert!(a.reservation.is_none()),
        Decision::Denied(d) => panic!("fail-open denied: {}", d.status),
    }
}

/// A statement stuck behind a lock hits `statement_timeout` and comes back as a timeout;
/// the store works once the lock is gone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_is_a_typed_timeout() {
    if !reachable("statement_timeout_is_a_typed_timeout").await {
        return;
    }
    let store = TestStore::new(
        PostgresStore::options().statement_timeout(Some(Duration::from_millis(300))),
    )
    .await;
    let k = key("locked");
    store.admit(&admit_request(&k, None)).await.expect("admit");
    let mut locker = PgConnection::connect(&url()).await.expect("connection");
    let mut tx = locker.begin().await.expect("begin");
    sqlx::query(&format!(
        "SELECT 1 FROM \"{}\".airl_usage_counters WHERE scope = $1 FOR UPDATE",
        store.schema
    ))
    .bind(&*k.scope)
    .execute(&mut *tx)
    .await
    .expect("lock the row");
    let err = store
        .admit(&admit_request(&k, None))
        .await
        .expect_err("blocked by the lock");
    assert_eq!(
        err.to_string(),
        StoreError::Timeout(Duration::from_millis(300)).to_string()
    );
    tx.rollback().await.expect("rollback");
    store
        .admit(&admit_request(&k, None))
        .await
        .expect("admit after the lock");
    assert_eq!(store.usage(&k, now()).await.expect("usage").requests, 2);
}

/// Ended periods are deleted by `purge_before`, current ones kept.
#[tokio::test]
async fn purge_before_deletes_ended_periods() {
    if !reachable("purge_before_deletes_ended_periods").await {
        return;
    }
    let store = TestStore::new(PostgresStore::options()).await;
    let old = key("old");
    let mut current = old.clone();
    current.period = old.period.next();
    store
        .admit(&admit_request(&old, None))
        .await
        .expect("admit");
    store
        .admit(&admit_request(&current, None))
        .await
        .expect("admit");
    let deleted = store
        .store
        .purge_before(old.period.end())
        .await
        .expect("purge");
    assert_eq!(deleted, 1);
    assert_eq!(store.usage(&old, now()).await.expect("usage").requests, 0);
    assert_eq!(
        store.usage(&current, now()).await.expect("usage").requests,
        1
    );
}

/// A setting of a connection of `pool` (`SHOW name`).
async fn show(pool: &sqlx::PgPool, name: &str) -> String {
    let (value,): (String,) = sqlx::query_as(&format!("SHOW {name}"))
        .fetch_one(pool)
        .await
        .expect("show");
    value
}

/// A shared pool keeps its own `search_path`: migrations run on a connection that is closed.
#[tokio::test]
async fn from_a_shared_pool_leaves_its_search_path_alone() {
    if !reachable("from_a_shared_pool_leaves_its_search_path_alone").await {
        return;
    }
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect(&url())
        .await
        .expect("pool");
    let before = show(&pool, "search_path").await;
    let schema = random_name("airl_test_");
    let store = PostgresStore::options()
        .schema(&schema)
        .with_pool(pool.clone())
        .await
        .expect("store on the shared pool");
    let after = show(&pool, "search_path").await;
    assert_eq!(before, after);
    let k = key("shared-pool");
    store
        .admit(&admit_request(&k, Some(1)))
        .await
        .expect("admit");
    assert_eq!(store.usage(&k, now()).await.expect("usage").requests, 1);
    sqlx::query(&format!("DROP SCHEMA \"{schema}\" CASCADE"))
        .execute(&pool)
        .await
        .expect("drop schema");
}

/// The store's own pool commits asynchronously unless asked to wait for the flush, and then
/// keeps the server's setting (see the crate docs' "Durability").
#[tokio::test]
async fn commits_are_asynchronous_unless_asked() {
    if !reachable("commits_are_asynchronous_unless_asked").await {
        return;
    }
    let default = TestStore::new(PostgresStore::options()).await;
    assert_eq!(
        show(default.store.pool(), "synchronous_commit").await,
        "off"
    );
    let waiting = TestStore::new(PostgresStore::options().synchronous_commit(true)).await;
    let server_default = {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect(&url())
            .await
            .expect("pool");
        show(&pool, "synchronous_commit").await
    };
    assert_eq!(
        show(waiting.store.pool(), "synchronous_commit").await,
        server_default
    );
    let k = key("asynchronous");
    default
        .admit(&admit_request(&k, Some(1)))
        .await
        .expect("admit");
    assert_eq!(default.usage(&k, now()).await.expect("usage").requests, 1);
}

/// Bad options are typed errors before anything is contacted.
#[tokio::test]
async fn invalid_options_are_rejected() {
    let pool = PgPoolOptions::new().connect_lazy_with(unreachable_options());
    for schema in ["", "Public", "a;b", "1abc", &"x".repeat(64)] {
        let err = PostgresStore::options()
            .schema(schema)
            .with_pool(pool.clone())
            .await
            .expect_err("invalid schema");
        assert!(
            matches!(err, PostgresStoreError::InvalidSchema(_)),
            "{schema}"
        );
    }
    let err = PostgresStore::options()
        .max_connections(0)
        .connect("postgres://postgres@127.0.0.1:1/test")
        .await
        .expect_err("zero connections");
    assert!(matches!(err, PostgresStoreError::InvalidOption { .. }));
    assert!(matches!(
        PostgresStore::connect("not a url").await,
        Err(PostgresStoreError::InvalidUrl(_))
    ));
}

/// Input PostgreSQL cannot store (a NUL byte) is an error, never a panic; odd cursors too.
#[tokio::test]
async fn odd_input_is_an_error_not_a_panic() {
    if !reachable("odd_input_is_an_error_not_a_panic").await {
        return;
    }
    let store = TestStore::new(PostgresStore::options()).await;
    let err = store
        .admit(&admit_request(&key("nul\0byte"), None))
        .await
        .expect_err("NUL is not storable");
    assert!(matches!(err, StoreError::Data(_)), "{err:?}");
    let k = key("ok");
    let page = PageRequest {
        limit: 10,
        cursor: Some("not-a-cursor".into()),
    };
    assert!(matches!(
        store.list_usage(&k.scope, &k.period, &page).await,
        Err(StoreError::Data(_))
    ));
    let page = PageRequest {
        limit: 10,
        cursor: Some(format!("{}:zz", u64::MAX)),
    };
    assert!(store.list_usage(&k.scope, &k.period, &page).await.is_ok());
    let bogus = Reservation {
        key: k,
        // Beyond the ids the store issues (positive 64-bit SQL integers).
        id: u64::MAX,
        tokens: 1,
        scope_id: None,
    };
    assert!(matches!(
        store.settle(&bogus, 1).await,
        Err(StoreError::Data(_))
    ));
}

/// An identity of the mixed-load tests: name, tier, request limit, token limit, tokens
/// reserved per admission.
type MixedIdentity = (&'static str, &'static str, Option<u64>, Option<u64>, u64);

/// The identities of the mixed-load tests. Distinct limits, so that answers sent to the
/// wrong caller show.
const MIXED: [MixedIdentity; 5] = [
    ("limited", "free", Some(7), None, 1),
    // Admitted while live reservations < 10: 0, 3, 6, 9 → four.
    ("by-tokens", "pro", None, Some(10), 3),
    ("open", "team", None, None, 2),
    ("closed", "free", Some(0), None, 1),
    ("nul\0byte", "free", None, None, 1),
];
/// Admissions sent to each identity, all at once.
const ATTEMPTS: usize = 25;

fn mixed_request(scope: &str, identity: usize) -> AdmitRequest {
    let (name, tier, request_limit, token_limit, reserve_tokens) = MIXED[identity];
    AdmitRequest {
        key: UsageKey {
            scope: scope.into(),
            identity: name.into(),
            period: Window::Day.period_at(now()),
        },
        tier: Some(tier.to_owned()),
        request_limit,
        token_limit,
        reserve_tokens,
        reservation_expires_at: now() + chrono::Duration::minutes(5),
        now: now(),
        scope_cap: None,
    }
}

/// Many concurrent admissions to several identities (limited by requests, by tokens, not at
/// all, denied outright, and one PostgreSQL cannot store) go out in batches; every caller
/// gets its own answer and the counts are the in-memory store's. Then the admitted requests
/// settle or release concurrently.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_mixed_admissions_match_the_memory_store() {
    if !reachable("concurrent_mixed_admissions_match_the_memory_store").await {
        return;
    }
    let test_store = TestStore::new(PostgresStore::options()).await;
    let store = test_store.store.clone();
    let scope = random_name("mixed-");
    let mut tasks = Vec::new();
    for _ in 0..ATTEMPTS {
        for identity in 0..MIXED.len() {
            let (store, req) = (store.clone(), mixed_request(&scope, identity));
            tasks.push(tokio::spawn(
                async move { (identity, store.admit(&req).await) },
            ));
        }
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.expect("task"));
    }
    let memory = ai_ratelimit_core::MemoryStore::new();
    let mut expected = vec![0u64; MIXED.len()];
    for _ in 0..ATTEMPTS {
        for (identity, admitted) in expected.iter_mut().enumerate() {
            if identity == 4 {
                continue; // not storable in PostgreSQL
            }
            let outcome = memory.admit(&mixed_request(&scope, identity)).await;
            if let AdmitOutcome::Admitted { .. } = outcome.expect("memory admit") {
                *admitted += 1;
            }
        }
    }
    assert_eq!(expected, [7, 4, ATTEMPTS as u64, 0, 0]);
    let mut held = Vec::new();
    for (identity, &expected) in expected.iter().enumerate() {
        let mut seen = Vec::new();
        let mut ids = Vec::new();
        for (_, outcome) in outcomes.iter_mut().filter(|(i, _)| *i == identity) {
            match std::mem::replace(outcome, Err(StoreError::Data("taken".into()))) {
                Ok(AdmitOutcome::Admitted {
                    reservation, usage, ..
                }) => {
                    assert_eq!(&*reservation.key.identity, MIXED[identity].0);
                    seen.push(usage.requests);
                    ids.push(reservation.id);
                    held.push(reservation);
                }
                Ok(AdmitOutcome::Denied { usage }) => assert_eq!(usage.requests, expected),
                Ok(other @ AdmitOutcome::ScopeDenied { .. }) => panic!("no cap was set: {other:?}"),
                Err(e) => {
                    assert_eq!(identity, 4, "{e:?}");
                    assert!(matches!(e, StoreError::Data(_)), "{e:?}");
                }
            }
        }
        seen.sort_unstable();
        ids.sort_unstable();
        // Each admission saw the count with itself in it, and got an id of its own.
        let one_each: Vec<u64> = (1..=expected).collect();
        assert_eq!(seen, one_each, "{}", MIXED[identity].0);
        assert_eq!(ids, one_each, "{}", MIXED[identity].0);
        let key = mixed_request(&scope, identity).key;
        if identity == 4 {
            continue; // its usage cannot be asked for either
        }
        assert_eq!(
            store.usage(&key, now()).await.expect("usage"),
            memory.usage(&key, now()).await.expect("memory usage"),
            "{}",
            MIXED[identity].0
        );
    }
    let period = Window::Day.period_at(now());
    let page = PageRequest {
        limit: 10,
        cursor: None,
    };
    assert_eq!(
        store
            .list_usage(&scope, &period, &page)
            .await
            .expect("list"),
        memory
            .list_usage(&scope, &period, &page)
            .await
            .expect("list")
    );
    assert_eq!(
        store.totals(&scope, &period).await.expect("totals"),
        memory.totals(&scope, &period).await.expect("totals")
    );

    // Settle every other admitted request with 5 tokens, release the others, all at once.
    let mut tasks = Vec::new();
    for (n, reservation) in held.into_iter().enumerate() {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            if n % 2 == 0 {
                store.settle(&reservation, 5).await.expect("settle");
            } else {
                store.release(&reservation).await.expect("release");
            }
            (reservation.key, n % 2 == 0)
        }));
    }
    let mut settled = std::collections::HashMap::<UsageKey, (u64, u64)>::new();
    for t in tasks {
        let (key, settles) = t.await.expect("task");
        let entry = settled.entry(key).or_default();
        if settles {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    for (key, (settles, releases)) in settled {
        let usage = store.usage(&key, now()).await.expect("usage");
        assert_eq!(
            usage,
            Usage {
                requests: settles,
                tokens: 5 * settles,
                reserved_tokens: 0,
            },
            "{} after {releases} releases",
            key.identity
        );
    }
}

/// A batch that fails gives every caller in it the store's typed error: admissions queued
/// behind a row lock held elsewhere all time out, and the store works once it is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_batch_answers_every_caller_with_the_typed_error() {
    if !reachable("a_failed_batch_answers_every_caller_with_the_typed_error").await {
        return;
    }
    let store = TestStore::new(
        PostgresStore::options().statement_timeout(Some(Duration::from_millis(300))),
    )
    .await;
    let k = key("locked");
    store.admit(&admit_request(&k, None)).await.expect("admit");
    let mut locker = PgConnection::connect(&url()).await.expect("connection");
    let mut tx = locker.begin().await.expect("begin");
    sqlx::query(&format!(
        "SELECT 1 FROM \"{}\".airl_usage_counters WHERE scope = $1 FOR UPDATE",
        store.schema
    ))
    .bind(&*k.scope)
    .execute(&mut *tx)
    .await
    .expect("lock the row");
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let (store, req) = (store.store.clone(), admit_request(&k, None));
            tokio::spawn(async move { store.admit(&req).await })
        })
        .collect();
    for t in tasks {
        let err = t.await.expect("task").expect_err("blocked by the lock");
        assert!(matches!(err, StoreError::Timeout(_)), "{err:?}");
    }
    tx.rollback().await.expect("rollback");
    store
        .admit(&admit_request(&k, None))
        .await
        .expect("admit after the lock");
    assert_eq!(store.usage(&k, now()).await.expect("usage").requests, 2);
}
