//! The SQLite store in temporary directories: the core conformance suite plus what a shared
//! file has to show (several pools, a second OS process, a locked database, odd input).

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, AsUsageKey, Decision, FailureMode, LimitRequest, Limiter,
    PageRequest, Period, PeriodTotals, Policy, Reservation, StoreError, Usage, UsageKey, UsagePage,
    UsageStore, Window,
};
use ai_ratelimit_store_sqlite::{SqliteStore, SqliteStoreError};
use chrono::{DateTime, Utc};
use sqlx::Connection;
use sqlx::sqlite::SqliteConnection;

/// A store on a file in a temporary directory that lives as long as the store.
#[derive(Debug)]
struct TestStore {
    store: SqliteStore,
    dir: tempfile::TempDir,
}

impl TestStore {
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = SqliteStore::connect(&url(&dir)).await.expect("store opens");
        Self { store, dir }
    }
}

fn url(dir: &tempfile::TempDir) -> String {
    format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("usage.db").display()
    )
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

async fn make_store() -> ai_ratelimit_core::SharedStore {
    ai_ratelimit_core::SharedStore::new(TestStore::new().await)
}

ai_ratelimit_core::usage_store_conformance!(make_store);

fn now() -> DateTime<Utc> {
    "2031-03-04T05:06:07Z".parse().expect("timestamp")
}

fn key(scope: &str, identity: &str) -> UsageKey {
    UsageKey {
        scope: scope.into(),
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

/// Fires `attempts` concurrent admissions with `limit` at `key`; returns how many were admitted.
async fn hammer(store: &SqliteStore, key: &UsageKey, limit: u64, attempts: usize) -> u64 {
    let admitted = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..attempts)
        .map(|_| {
            let (store, admitted, req) = (
                store.clone(),
                admitted.clone(),
                admit_request(key, Some(limit)),
            );
            tokio::spawn(async move {
                if let AdmitOutcome::Admitted { .. } = store.admit(&req).await.expect("admit") {
                    admitted.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    admitted.load(Ordering::SeqCst)
}

/// Two stores (two sets of pools) on one file admit exactly the limit between them.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_stores_on_one_file_admit_exactly_the_limit() {
    let first = TestStore::new().await;
    let second = SqliteStore::connect(&url(&first.dir))
        .await
        .expect("second store");
    let k = key("shared", "burst");
    let (a, b) = tokio::join!(
        hammer(&first.store, &k, 57, 80),
        hammer(&second, &k, 57, 80)
    );
    assert_eq!(a + b, 57);
    assert_eq!(first.usage(&k, now()).await.expect("usage").requests, 57);
}

const CHILD_DB_ENV: &str = "AIRL_SQLITE_CHILD_DB";
const PROCESS_LIMIT: u64 = 300;
const PROCESS_ATTEMPTS: usize = 200;

/// A second OS process (this test binary, re-invoked) and this one admit exactly the limit
/// on a shared file.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_processes_admit_exactly_the_limit() {
    let k = key("processes", "burst");
    if let Ok(db) = std::env::var(CHILD_DB_ENV) {
        // The child: hammer and report.
        let store = SqliteStore::connect(&db).await.expect("child store");
        let n = hammer(&store, &k, PROCESS_LIMIT, PROCESS_ATTEMPTS).await;
        println!("CHILD_ADMITTED={n}");
        return;
    }
    let parent = TestStore::new().await;
    let child = Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "two_processes_admit_exactly_the_limit",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_DB_ENV, url(&parent.dir))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn the child process");
    let mine = hammer(&parent.store, &k, PROCESS_LIMIT, PROCESS_ATTEMPTS).await;
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("join")
        .expect("child output");
    assert!(output.status.success(), "child failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let theirs: u64 = stdout
        .lines()
        .find_map(|l| l.split_once("CHILD_ADMITTED=").map(|(_, n)| n))
        .and_then(|n| n.trim().parse().ok())
        .expect("child reports its count");
    eprintln!("parent admitted {mine}, child admitted {theirs}");
    assert_eq!(
        mine + theirs,
        PROCESS_LIMIT,
        "parent {mine}, child {theirs}"
    );
    assert_eq!(
        parent.usage(&k, now()).await.expect("usage").requests,
        PROCESS_LIMIT
    );
}

/// A store on a new file whose writes wait `busy_timeout` for a lock held elsewhere.
async fn store_with_busy_timeout(busy_timeout: Duration) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = SqliteStore::options()
        .busy_timeout(busy_timeout)
        .connect(&url(&dir))
        .await
        .expect("store");
    (dir, store)
}

/// A connection of its own to the store's file, holding its write lock until `ROLLBACK`.
async fn write_lock(dir: &tempfile::TempDir) -> SqliteConnection {
    let mut locker = SqliteConnection::connect(&url(dir))
        .await
        .expect("connection");
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut locker)
        .await
        .expect("take the write lock");
    locker
}

/// A write lock held elsewhere past the busy timeout is a typed timeout; the store works
/// once the lock is gone. Through the engine, fail-closed and fail-open apply.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_database_is_a_typed_timeout() {
    let (dir, store) = store_with_busy_timeout(Duration::from_millis(200)).await;
    let k = key("locked", "u");
    store.admit(&admit_request(&k, None)).await.expect("admit");
    let mut locker = write_lock(&dir).await;
    let err = store
        .admit(&admit_request(&k, None))
        .await
        .expect_err("locked");
    assert!(matches!(err, StoreError::Timeout(_)), "{err:?}");

    let store: ai_ratelimit_core::SharedStore = ai_ratelimit_core::SharedStore::new(store);
    let policy = Policy::builder()
        .request_limit(Some(10))
        .build()
        .expect("policy");
    let request = LimitRequest {
        scope: "locked",
        identity: "v",
        tier: None,
        estimated_tokens: 1,
    };
    match Limiter::new(store.clone())
        .check(&policy, &request)
        .await
        .expect("check")
    {
        Decision::Denied(d) => assert_eq!(d.status, 503),
        Decision::Admitted(_) => panic!("fail-closed admitted"),
    }
    let open = Limiter::builder(store.clone())
        .failure_mode(FailureMode::Open)
        .build()
        .expect("limiter");
    match open.check(&policy, &request).await.expect("check") {
        Decision::Admitted(a) => assert!(a.reservation.is_none()),
        Decision::Denied(d) => panic!("fail-open denied: {}", d.status),
    }

    sqlx::query("ROLLBACK")
        .execute(&mut locker)
        .await
        .expect("release the lock");
    store.admit(&admit_request(&k, None)).await.expect("admit");
    assert_eq!(store.usage(&k, now()).await.expect("usage").requests, 2);
}

/// A write that finds the file locked waits for the lock without holding up the runtime:
/// on a single-threaded runtime, the task holding the lock still runs, releases it, and the
/// waiting admission then succeeds (waiting on the runtime's thread, it would time out
/// first).
#[tokio::test(flavor = "current_thread")]
async fn a_write_waits_for_the_lock_off_the_runtime_thread() {
    let (dir, store) = store_with_busy_timeout(Duration::from_secs(30)).await;
    let k = key("locked", "u");
    let mut locker = write_lock(&dir).await;
    let admission = {
        let (store, request) = (store.clone(), admit_request(&k, Some(1)));
        tokio::spawn(async move { store.admit(&request).await })
    };
    // Let the admission start and find the lock taken.
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(!admission.is_finished(), "the admission waits for the lock");
    sqlx::query("ROLLBACK")
        .execute(&mut locker)
        .await
        .expect("release the lock");
    let outcome = admission
        .await
        .expect("task")
        .expect("admitted once the lock is free");
    assert!(
        matches!(outcome, AdmitOutcome::Admitted { .. }),
        "{outcome:?}"
    );
}

/// A file that cannot be opened is a typed error.
#[tokio::test]
async fn unopenable_file_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = format!(
        "sqlite://{}?mode=rw",
        dir.path().join("no/such/dir.db").display()
    );
    let err = SqliteStore::connect(&missing).await.expect_err("no file");
    assert!(matches!(err, SqliteStoreError::Connect(_)), "{err:?}");
    assert!(matches!(StoreError::from(err), StoreError::Unavailable(_)));
    assert!(matches!(
        SqliteStore::options()
            .busy_timeout(Duration::ZERO)
            .connect("sqlite::memory:")
            .await,
        Err(SqliteStoreError::InvalidOption { .. })
    ));
}

/// Ended periods are deleted by `purge_before`, current ones kept.
#[tokio::test]
async fn purge_before_deletes_ended_periods() {
    let store = TestStore::new().await;
    let old = key("purge", "old");
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

/// An in-memory database works (one connection for reads and writes).
#[tokio::test]
async fn in_memory_database_works() {
    let store = SqliteStore::connect("sqlite::memory:")
        .await
        .expect("store");
    let k = key("mem", "u");
    for _ in 0..3 {
        store
            .admit(&admit_request(&k, Some(2)))
            .await
            .expect("admit");
    }
    assert_eq!(store.usage(&k, now()).await.expect("usage").requests, 2);
}

/// The file can hold an application's own sqlx migrations too: each migrator ignores the
/// other's versions, and re-opening the store re-runs nothing.
#[tokio::test]
async fn shares_the_migrations_table_with_an_application() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut conn = SqliteConnection::connect(&url(&dir))
        .await
        .expect("connection");
    // An application's migration, applied before the store's.
    let app = sqlx::migrate::Migrator::new(std::path::Path::new("tests/app_migrations"))
        .await
        .expect("app migrations");
    let mut app = app;
    app.set_ignore_missing(true);
    app.run(&mut conn).await.expect("app migrates");
    let store = SqliteStore::connect(&url(&dir)).await.expect("store");
    drop(store);
    SqliteStore::connect(&url(&dir)).await.expect("store again");
    app.run(&mut conn).await.expect("app migrates again");
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(&mut conn)
        .await
        .expect("count");
    // The application's one migration and each of the store's, once.
    let store_migrations = SqliteStore::migrator().iter().count();
    assert_eq!(usize::try_from(n).expect("count"), 1 + store_migrations);
}

/// Odd cursors and reservation ids are errors, never panics; NUL bytes are fine.
#[tokio::test]
async fn odd_input_is_an_error_not_a_panic() {
    let store = TestStore::new().await;
    let k = key("odd", "nul\0byte");
    store.admit(&admit_request(&k, None)).await.expect("admit");
    assert_eq!(store.usage(&k, now()).await.expect("usage").requests, 1);
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

/// Settling and releasing cut reservations out of the array's text wherever they stand
/// (first, last, between, ids sharing digits such as 1, 11 and 12), and only the one asked
/// for: the live total and the array (read back through an expiry, which parses it) agree.
#[tokio::test]
async fn settle_and_release_find_reservations_anywhere_in_the_array() {
    let store = TestStore::new().await;
    let key = key("cut", "someone");
    let mut held = Vec::new();
    for n in 1..=12u32 {
        let req = AdmitRequest {
            // Distinct token counts, so that every sum tells which reservations it holds.
            reserve_tokens: 1u64 << n,
            reservation_expires_at: now() + chrono::Duration::minutes(i64::from(n)),
            ..admit_request(&key, None)
        };
        match store.admit(&req).await.expect("admit") {
            AdmitOutcome::Admitted { reservation, .. } => held.push(reservation),
            other => panic!("no limit, no denial: {other:?}"),
        }
    }
    let (mut live, mut tokens) = (held.iter().map(|r| r.tokens).sum::<u64>(), 0);
    let first_expiry = now() + chrono::Duration::minutes(1);
    // Positions in `held` (ids 1..=12): first, ones sharing digits, middle, last, the rest.
    for index in [0, 10, 11, 4, 1, 9, 2, 8, 3, 7, 5, 6] {
        let reservation = held.remove(index.min(held.len() - 1));
        live -= reservation.tokens;
        if reservation.id % 2 == 0 {
            store.settle(&reservation, 3).await.expect("settle");
            tokens += 3;
            // Settling twice adds the tokens again but drops nothing more.
            store.settle(&reservation, 0).await.expect("settle again");
        } else {
            store.release(&reservation).await.expect("release");
        }
        let usage = store.usage(&key, now()).await.expect("usage");
        assert_eq!((usage.reserved_tokens, usage.tokens), (live, tokens));
        // When the first one (id 1, gone first) expires: past the earliest-expiry bound, so
        // the array itself is read; every reservation left is still live.
        let parsed = store.usage(&key, first_expiry).await.expect("usage");
        assert_eq!(parsed.reserved_tokens, live);
    }
    let requests = store.usage(&key, now()).await.expect("usage").requests;
    assert_eq!(requests, 6, "six of twelve released");
    // The emptied array takes a reservation again, through the purge (JSON) path too.
    let again = AdmitRequest {
        now: first_expiry,
        reservation_expires_at: first_expiry + chrono::Duration::minutes(1),
        ..admit_request(&key, None)
    };
    let again = store.admit(&again).await.expect("admit");
    assert!(matches!(again, AdmitOutcome::Admitted { usage, .. } if usage.reserved_tokens == 1));
}

/// Admissions, settlements and releases of one identity with reservations expiring in every
/// order (first, last, between, at the same instant), as time passes by
/// steps that expire none, one or several at once: every answer and every usage is the
/// in-memory store's. The array is kept in order of expiry, cut from the front and inserted
/// into from the back, so a wrong cut or place shows as a wrong live total or a wrong answer.
#[tokio::test]
async fn expiries_in_any_order_match_the_memory_store() {
    let store = TestStore::new().await;
    let memory = ai_ratelimit_core::MemoryStore::new();
    let key = key("expiry-order", "someone");
    // A fixed pseudo-random sequence (a linear congruential generator), the same every run.
    let mut state: u64 = 0x5eed;
    let mut next = |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let mut at = now();
    // Reservations held in both stores, in the same order.
    let mut held: Vec<(Reservation, Reservation)> = Vec::new();
    for step in 0..400 {
        at += chrono::Duration::seconds([0, 1, 5, 40][usize::try_from(next(4)).unwrap_or(0)]);
        if next(10) < 7 || held.is_empty() {
            // Never expired already: the in-memory store's answer counts such a reservation.
            let lifetime = [1, 2, 3, 3, 20, 100][usize::try_from(next(6)).unwrap_or(0)];
            let req = AdmitRequest {
                key: key.clone(),
                tier: None,
                request_limit: None,
                // Some admissions are denied by the live reservations' tokens.
                token_limit: [None, Some(2_000)][usize::try_from(next(2)).unwrap_or(0)],
                reserve_tokens: [0, 1, 250, 400][usize::try_from(next(4)).unwrap_or(0)],
                reservation_expires_at: at
                    + chrono::Duration::seconds(lifetime + i64::try_from(next(3)).unwrap_or(0)),
                now: at,
                scope_cap: None,
            };
            let sqlite = store.admit(&req).await.expect("admit");
            let model = memory.admit(&req).await.expect("memory admit");
            match (sqlite, model) {
                (
                    AdmitOutcome::Admitted {
                        reservation, usage, ..
                    },
                    AdmitOutcome::Admitted {
                        reservation: theirs,
                        usage: expected,
                        ..
                    },
                ) => {
                    assert_eq!(usage, expected, "step {step}");
                    held.push((reservation, theirs));
                }
                (AdmitOutcome::Denied { usage }, AdmitOutcome::Denied { usage: expected }) => {
                    assert_eq!(usage, expected, "step {step}");
                }
                (ours, theirs) => panic!("step {step}: {ours:?} against {theirs:?}"),
            }
        } else {
            let (ours, theirs) = held.remove(usize::try_from(next(held.len() as u64)).unwrap_or(0));
            if next(2) == 0 {
                store.settle(&ours, 7).await.expect("settle");
                memory.settle(&theirs, 7).await.expect("memory settle");
            } else {
                store.release(&ours).await.expect("release");
                memory.release(&theirs).await.expect("memory release");
            }
        }
        assert_eq!(
            store.usage(&key, at).await.expect("usage"),
            memory.usage(&key, at).await.expect("memory usage"),
            "step {step}"
        );
    }
}

/// Rows written before reservations were kept in order of expiry (in order of id, without
/// `res_last`) are put in order by the migration, and then expire and take reservations as
/// new ones do.
#[tokio::test]
async fn the_migration_puts_older_rows_in_order_of_expiry() {
    let store = TestStore::new().await;
    let key = key("migrated", "someone");
    store
        .admit(&admit_request(&key, None))
        .await
        .expect("admit");
    let at = |seconds: i64| (now() + chrono::Duration::seconds(seconds)).timestamp_micros();
    // Back to the layout before the migration: ids 1, 2, 3 expiring at +300 s, +60 s, +180 s.
    let mut conn = SqliteConnection::connect(&url(&store.dir))
        .await
        .expect("connection");
    let old = format!("[[1,1,{}],[2,2,{}],[3,4,{}]]", at(300), at(60), at(180));
    sqlx::query(
        "UPDATE airl_usage_counters SET reservations = ?1, res_live = 7, res_next = ?2, \
         res_seq = 3",
    )
    .bind(&old)
    .bind(at(60))
    .execute(&mut conn)
    .await
    .expect("old row");
    sqlx::query("ALTER TABLE airl_usage_counters DROP COLUMN res_last")
        .execute(&mut conn)
        .await
        .expect("drop the new column");
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 20261130220001")
        .execute(&mut conn)
        .await
        .expect("forget the migration");
    conn.close().await.expect("close");
    let TestStore { store, dir } = store;
    drop(store);

    let store = SqliteStore::connect(&url(&dir))
        .await
        .expect("store reopens and migrates");
    let mut conn = SqliteConnection::connect(&url(&dir))
        .await
        .expect("connection");
    let (text, next, last): (String, i64, i64) =
        sqlx::query_as("SELECT reservations, res_next, res_last FROM airl_usage_counters")
            .fetch_one(&mut conn)
            .await
            .expect("row");
    let sorted = format!("[[2,2,{}],[3,4,{}],[1,1,{}]]", at(60), at(180), at(300));
    assert_eq!((text, next, last), (sorted, at(60), at(300)));
    // At +120 s only id 2 expired; a reservation of 8 tokens expiring at +200 s goes between.
    let later = AdmitRequest {
        reserve_tokens: 8,
        reservation_expires_at: now() + chrono::Duration::seconds(200),
        now: now() + chrono::Duration::seconds(120),
        ..admit_request(&key, None)
    };
    let outcome = store.admit(&later).await.expect("admit");
    assert!(matches!(outcome, AdmitOutcome::Admitted { usage, .. } if usage.reserved_tokens == 13));
    for (seconds, reserved) in [(179, 13), (180, 9), (200, 1), (299, 1), (300, 0)] {
        let usage = store
            .usage(&key, now() + chrono::Duration::seconds(seconds))
            .await
            .expect("usage");
        assert_eq!(usage.reserved_tokens, reserved, "at +{seconds} s");
    }
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
    ("nul\0byte", "free", Some(11), None, 1),
];
/// Admissions sent to each identity, all at once.
const ATTEMPTS: usize = 25;

fn mixed_request(scope: &str, identity: usize) -> AdmitRequest {
    let (name, tier, request_limit, token_limit, reserve_tokens) = MIXED[identity];
    AdmitRequest {
        key: key(scope, name),
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
/// all, denied outright) go out in batches; every caller gets its own answer and the counts
/// are the in-memory store's. Then the admitted requests settle or release concurrently,
/// batched with each other and with further admissions.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_mixed_writes_match_the_memory_store() {
    let test_store = TestStore::new().await;
    let store = test_store.store.clone();
    let scope = "mixed";
    let mut tasks = Vec::new();
    for _ in 0..ATTEMPTS {
        for identity in 0..MIXED.len() {
            let (store, req) = (store.clone(), mixed_request(scope, identity));
            tasks.push(tokio::spawn(async move {
                (identity, store.admit(&req).await.expect("admit"))
            }));
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
            let outcome = memory.admit(&mixed_request(scope, identity)).await;
            if let AdmitOutcome::Admitted { .. } = outcome.expect("memory admit") {
                *admitted += 1;
            }
        }
    }
    assert_eq!(expected, [7, 4, ATTEMPTS as u64, 0, 11]);
    let mut held = Vec::new();
    for (identity, &expected) in expected.iter().enumerate() {
        let mut seen = Vec::new();
        let mut ids = Vec::new();
        for (_, outcome) in outcomes.iter().filter(|(i, _)| *i == identity) {
            match outcome {
                AdmitOutcome::Admitted {
                    reservation, usage, ..
                } => {
                    assert_eq!(&*reservation.key.identity, MIXED[identity].0);
                    seen.push(usage.requests);
                    ids.push(reservation.id);
                    held.push(Reservation {
                        key: reservation.key.clone(),
                        id: reservation.id,
                        tokens: reservation.tokens,
                        scope_id: None,
                    });
                }
                AdmitOutcome::Denied { usage } => assert_eq!(usage.requests, expected),
                other => panic!("no cap was set: {other:?}"),
            }
        }
        seen.sort_unstable();
        ids.sort_unstable();
        // Each admission saw the count with itself in it, and got an id of its own.
        let one_each: Vec<u64> = (1..=expected).collect();
        assert_eq!(seen, one_each, "{}", MIXED[identity].0);
        assert_eq!(ids, one_each, "{}", MIXED[identity].0);
        let key = mixed_request(scope, identity).key;
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
        store.list_usage(scope, &period, &page).await.expect("list"),
        memory
            .list_usage(scope, &period, &page)
            .await
            .expect("list")
    );
    assert_eq!(
        store.totals(scope, &period).await.expect("totals"),
        memory.totals(scope, &period).await.expect("totals")
    );

    // Settle every other admitted request with 5 tokens, release the others, while more
    // admissions of a limited identity arrive, all at once.
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
    let late = key(scope, "late");
    let late_admissions: Vec<_> = (0..30)
        .map(|_| {
            let (store, req) = (store.clone(), admit_request(&late, Some(9)));
            tokio::spawn(async move {
                matches!(
                    store.admit(&req).await.expect("admit"),
                    AdmitOutcome::Admitted { .. }
                )
            })
        })
        .collect();
    let mut settled = std::collections::HashMap::<String, (u64, u64)>::new();
    let mut keys = std::collections::HashMap::new();
    for t in tasks {
        let (key, settles) = t.await.expect("task");
        let entry = settled.entry(key.identity.to_string()).or_default();
        if settles {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
        keys.insert(key.identity.to_string(), key);
    }
    let mut late_admitted = 0;
    for t in late_admissions {
        late_admitted += u64::from(t.await.expect("task"));
    }
    assert_eq!(late_admitted, 9);
    for (identity, (settles, releases)) in settled {
        let usage = store.usage(&keys[&identity], now()).await.expect("usage");
        assert_eq!(
            usage,
            Usage {
                requests: settles,
                tokens: 5 * settles,
                reserved_tokens: 0,
            },
            "{identity} after {releases} releases"
        );
    }
}

/// Writes that find the file locked by another connection wait for it off the runtime's
/// threads, then get the store's typed error; the store works once the lock is released.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn writes_waiting_for_a_locked_file_time_out_with_the_typed_error() {
    let (dir, store) = store_with_busy_timeout(Duration::from_millis(200)).await;
    let k = key("locked", "u");
    let AdmitOutcome::Admitted { reservation, .. } =
        store.admit(&admit_request(&k, None)).await.expect("admit")
    else {
        panic!("no limit, no denial");
    };
    let mut locker = write_lock(&dir).await;
    let admissions: Vec<_> = (0..20)
        .map(|_| {
            let (store, req) = (store.clone(), admit_request(&k, None));
            tokio::spawn(async move { store.admit(&req).await.map(|_| ()) })
        })
        .collect();
    let settle = {
        let store = store.clone();
        tokio::spawn(async move { store.settle(&reservation, 1).await })
    };
    for t in admissions.into_iter().chain([settle]) {
        let err = t.await.expect("task").expect_err("locked");
        assert!(matches!(err, StoreError::Timeout(_)), "{err:?}");
    }
    sqlx::query("ROLLBACK")
        .execute(&mut locker)
        .await
        .expect("release the lock");
    store.admit(&admit_request(&k, None)).await.expect("admit");
    let usage = store.usage(&k, now()).await.expect("usage");
    assert_eq!((usage.requests, usage.tokens), (2, 0));
}

/// The writer never checkpoints on its own commits (it runs on the caller's thread); the
/// store checkpoints in the background, so the WAL is reused instead of growing with every
/// commit. 3000 lone writes append a frame each: 12 MB of WAL without checkpoints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wal_is_checkpointed_in_the_background() {
    let store = TestStore::new().await;
    let k = key("wal", "u");
    let frames = 3000;
    // No reservation: the counter's row stays small, one page per commit.
    let request = AdmitRequest {
        reserve_tokens: 0,
        ..admit_request(&k, None)
    };
    for _ in 0..frames {
        store.admit(&request).await.expect("admit");
    }
    let wal = std::fs::metadata(store.dir.path().join("usage.db-wal"))
        .expect("WAL file")
        .len();
    assert!(
        wal < frames * 4096 / 2,
        "the WAL grew to {wal} bytes over {frames} commits"
    );
    assert_eq!(
        store.usage(&k, now()).await.expect("usage").requests,
        frames
    );
}
