//! Redis-specific behaviour beyond the conformance suite: key lifetimes and slots, faults
//! (killed connections, unreachable server, flushed script cache), exactness across
//! independent connections, and agreement with the reference `MemoryStore`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, Decision, FailureMode, LimitRequest, Limiter, MemoryStore,
    PageRequest, Policy, Reservation, StoreError, UsageKey, UsageStore, Window,
};
use ai_ratelimit_store_redis::{RedisStore, RedisStoreError, RedisStoreOptions};
use chrono::{DateTime, Duration, Utc};
use serde_json::json;

fn start() -> DateTime<Utc> {
    "2030-01-15T10:20:00Z".parse().expect("timestamp")
}

fn scope() -> String {
    format!("redis-{}", uuid::Uuid::new_v4().simple())
}

fn key(scope: &str, identity: &str) -> UsageKey {
    UsageKey {
        scope: scope.into(),
        identity: identity.into(),
        period: Window::Day.period_at(start()),
    }
}

fn request(key: &UsageKey, request_limit: Option<u64>, reserve: u64) -> AdmitRequest {
    AdmitRequest {
        key: key.clone(),
        tier: None,
        request_limit,
        token_limit: None,
        reserve_tokens: reserve,
        reservation_expires_at: start() + Duration::minutes(10),
        now: start(),
        scope_cap: None,
    }
}

/// A scope whose name holds hash-tag braces: still one slot, every key with a bounded TTL.
#[tokio::test]
async fn every_key_expires_after_its_period_and_shares_the_scope_slot() {
    let Some(store) = common::store_or_skip("keys_expire").await else {
        return;
    };
    let unique = scope();
    let s = format!("{{{unique}}}:odd}}");
    for identity in ["{tag}:x", "用户🙂", "plain"] {
        let k = key(&s, identity);
        let r = match store.admit(&request(&k, Some(5), 10)).await.expect("admit") {
            AdmitOutcome::Admitted { reservation, .. } => reservation,
            other => panic!("denied: {other:?}"),
        };
        store.settle(&r, 3).await.expect("settle");
        let r = match store.admit(&request(&k, Some(5), 10)).await.expect("admit") {
            AdmitOutcome::Admitted { reservation, .. } => reservation,
            other => panic!("denied: {other:?}"),
        };
        store.release(&r).await.expect("release");
        // An unsettled reservation stays in the counter.
        store.admit(&request(&k, Some(5), 10)).await.expect("admit");
    }
    // A denied first request of an identity (limit 0).
    store
        .admit(&request(&key(&s, "never"), Some(0), 10))
        .await
        .expect("admit");

    let mut inspector = common::inspector().await;
    let pattern = format!("{}:*", common::prefix());
    let mut keys: Vec<String> = Vec::new();
    let mut cursor = 0u64;
    loop {
        let (next, batch): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(&pattern)
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut inspector)
            .await
            .expect("scan");
        keys.extend(batch.into_iter().filter(|k| k.contains(&unique)));
        if next == 0 {
            break;
        }
        cursor = next;
    }
    // 3 counters (holding their reservations) + "never"'s counter + index + totals + the
    // changed set (no listing read has taken the marked identities out yet).
    assert_eq!(keys.len(), 7, "{keys:?}");
    let day = Window::Day.period_at(start());
    let bound = (day.end() - start()).num_milliseconds() + 2 * 24 * 3600 * 1000;
    let mut tags = std::collections::HashSet::new();
    for k in &keys {
        let ttl: i64 = redis::cmd("PTTL")
            .arg(k)
            .query_async(&mut inspector)
            .await
            .expect("pttl");
        assert!(ttl > 0 && ttl <= bound, "{k}: ttl {ttl} (bound {bound})");
        let open = k.find('{').expect("hash tag");
        let close = k[open..].find('}').expect("closing brace") + open;
        tags.insert(k[open + 1..close].to_owned());
    }
    assert_eq!(tags.len(), 1, "{tags:?}");
}

/// The server drops the store's connection mid-run: the store reconnects by itself, and
/// every admission it reported is counted (a call cut in flight may have counted too).
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn reconnects_after_the_server_drops_the_connection_without_losing_counts() {
    let Some(store) = common::store_or_skip("reconnects").await else {
        return;
    };
    let store = Arc::new(store);
    let k = key(&scope(), "hammer");
    let admitted = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let after_kill = Arc::new(AtomicU64::new(0));
    let killed = Arc::new(AtomicBool::new(false));

    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (store, k) = (store.clone(), k.clone());
            let (admitted, failed, after_kill, killed) = (
                admitted.clone(),
                failed.clone(),
                after_kill.clone(),
                killed.clone(),
            );
            tokio::spawn(async move {
                for _ in 0..50_000 {
                    if killed.load(Ordering::SeqCst) && after_kill.load(Ordering::SeqCst) >= 200 {
                        break;
                    }
                    let was_killed = killed.load(Ordering::SeqCst);
                    match store.admit(&request(&k, None, 1)).await {
                        Ok(AdmitOutcome::Admitted { .. }) => {
                            admitted.fetch_add(1, Ordering::SeqCst);
                            if was_killed {
                                after_kill.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        Ok(other) => panic!("denied without limit: {other:?}"),
                        Err(_) => {
                            failed.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                }
            })
        })
        .collect();

    while admitted.load(Ordering::SeqCst) < 300 {
        tokio::task::yield_now().await;
    }
    let mut conn = store.connection();
    let old_id: i64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut conn)
        .await
        .expect("client id");
    let mut inspector = common::inspector().await;
    let killed_count: i64 = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("ID")
        .arg(old_id)
        .query_async(&mut inspector)
        .await
        .expect("client kill");
    assert_eq!(killed_count, 1);
    killed.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.expect("worker");
    }

    assert!(
        after_kill.load(Ordering::SeqCst) >= 200,
        "admissions resumed after the kill"
    );
    let mut conn = store.connection();
    let new_id: i64 = redis::cmd("CLIENT")
        .arg("ID")
        .query_async(&mut conn)
        .await
        .expect("client id");
    assert_ne!(new_id, old_id, "a new connection was made");
    let counted = store.usage(&k, start()).await.expect("usage").requests;
    let (ok, errors) = (
        admitted.load(Ordering::SeqCst),
        failed.load(Ordering::SeqCst),
    );
    eprintln!("admitted {ok}, failed around the kill {errors}, counted {counted}");
    assert!(
        ok <= counted && counted <= ok + errors,
        "admitted {ok}, failed {errors}, counted {counted}"
    );
}

#[tokio::test]
async fn unreachable_redis_fails_with_a_typed_error() {
    let err = RedisStore::connect("redis://127.0.0.1:1")
        .await
        .expect_err("nothing listens on port 1");
    assert!(
        matches!(
            err,
            RedisStoreError::Connect(_) | RedisStoreError::Timeout(_)
        ),
        "{err:?}"
    );
    assert!(matches!(
        RedisStore::connect("not a url").await,
        Err(RedisStoreError::InvalidUrl(_))
    ));

    let lazy = RedisStore::connect_lazy("redis://127.0.0.1:1", RedisStoreOptions::default())
        .expect("lazy store");
    let err = lazy
        .admit(&request(&key("s", "u"), Some(1), 0))
        .await
        .expect_err("unreachable");
    assert!(
        matches!(err, StoreError::Unavailable(_) | StoreError::Timeout(_)),
        "{err:?}"
    );
    // Admissions of one scope queued behind a failing call get a typed error too.
    let lazy = Arc::new(lazy);
    let answers = futures::future::join_all((0..16).map(|i| {
        let lazy = lazy.clone();
        async move {
            lazy.admit(&request(&key("s", &format!("u{i}")), Some(1), 0))
                .await
        }
    }))
    .await;
    for answer in answers {
        assert!(
            matches!(
                answer,
                Err(StoreError::Unavailable(_) | StoreError::Timeout(_))
            ),
            "{answer:?}"
        );
    }
}

/// A counter holding a foreign value fails its own admissions with a data error; the
/// admissions sharing its batches (same scope) are answered and counted as usual.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_foreign_counter_value_fails_only_its_own_admissions() {
    let Some(store) = common::store_or_skip("foreign_counter").await else {
        return;
    };
    let store = Arc::new(store);
    let s = scope();
    let counter = format!(
        "{}:{{{s}}}:3:{}:c:bad",
        common::prefix(),
        Window::Day.period_at(start()).id()
    );
    let _: () = redis::cmd("HSET")
        .arg(&counter)
        .arg("s")
        .arg("not a state")
        .query_async(&mut common::inspector().await)
        .await
        .expect("hset");
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (store, s) = (store.clone(), s.clone());
            tokio::spawn(async move {
                let identity = if i % 4 == 0 {
                    "bad".to_owned()
                } else {
                    format!("good-{}", i % 4)
                };
                let answer = store
                    .admit(&request(&key(&s, &identity), Some(100), 1))
                    .await;
                (identity, answer)
            })
        })
        .collect();
    for task in tasks {
        let (identity, answer) = task.await.expect("task");
        if identity == "bad" {
            assert!(matches!(answer, Err(StoreError::Data(_))), "{answer:?}");
        } else {
            assert!(
                matches!(answer, Ok(AdmitOutcome::Admitted { .. })),
                "{identity}: {answer:?}"
            );
        }
    }
    for good in 1..4 {
        let usage = store
            .usage(&key(&s, &format!("good-{good}")), start())
            .await
            .expect("usage");
        assert_eq!((usage.requests, usage.reserved_tokens), (16, 16));
    }
}

#[tokio::test]
async fn limiter_fails_closed_or_open_against_an_unreachable_redis() {
    let policy = Policy::from_json(&json!({"limitType": "requests", "dailyRequestLimit": 5}))
        .expect("policy");
    let request = LimitRequest {
        scope: "project",
        identity: "user",
        tier: None,
        estimated_tokens: 10,
    };
    for mode in [FailureMode::Closed, FailureMode::Open] {
        let store = RedisStore::connect_lazy("redis://127.0.0.1:1", RedisStoreOptions::default())
            .expect("lazy store");
        let limiter = Limiter::builder(Arc::new(store))
            .failure_mode(mode)
            .build()
            .expect("limiter");
        let decision = limiter.check(&policy, &request).await.expect("decision");
        match (mode, decision) {
            (FailureMode::Closed, Decision::Denied(d)) => {
                assert_eq!(d.status, 503);
                assert_eq!(d.body["error"], "store_unavailable");
            }
            (FailureMode::Open, Decision::Admitted(a)) => assert!(a.reservation.is_none()),
            (mode, other) => panic!("{mode:?}: {other:?}"),
        }
    }
}

/// Two stores with their own connections (as two server instances) share one limit exactly.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn independent_stores_admit_exactly_the_limit_together() {
    let Some(first) = common::store_or_skip("independent_stores").await else {
        return;
    };
    let second = common::store_or_fail().await;
    let k = key(&scope(), "shared");
    let admitted = Arc::new(AtomicU64::new(0));
    let stores = [
        ai_ratelimit_core::SharedStore::new(first),
        ai_ratelimit_core::SharedStore::new(second),
    ];
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (store, k, admitted) = (stores[i % 2].clone(), k.clone(), admitted.clone());
            tokio::spawn(async move {
                if let AdmitOutcome::Admitted { .. } =
                    store.admit(&request(&k, Some(37), 2)).await.expect("admit")
                {
                    admitted.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("task");
    }
    assert_eq!(admitted.load(Ordering::SeqCst), 37);
    let usage = stores[1].usage(&k, start()).await.expect("usage");
    assert_eq!((usage.requests, usage.reserved_tokens), (37, 74));
}

/// After `SCRIPT FLUSH` the scripts are loaded again on `NOSCRIPT`.
#[tokio::test]
async fn survives_a_flushed_script_cache() {
    let Some(store) = common::store_or_skip("script_flush").await else {
        return;
    };
    let k = key(&scope(), "flush");
    store.admit(&request(&k, None, 0)).await.expect("admit");
    let mut inspector = common::inspector().await;
    let () = redis::cmd("SCRIPT")
        .arg("FLUSH")
        .query_async(&mut inspector)
        .await
        .expect("flush");
    store.admit(&request(&k, None, 0)).await.expect("admit");
    assert_eq!(store.usage(&k, start()).await.expect("usage").requests, 2);
}

#[tokio::test]
async fn rejects_malformed_cursors() {
    let Some(store) = common::store_or_skip("malformed_cursor").await else {
        return;
    };
    assert!(matches!(
        store
            .list_usage(
                "s",
                &Window::Day.period_at(start()),
                &PageRequest {
                    limit: 10,
                    cursor: Some("not a cursor".to_owned())
                }
            )
            .await,
        Err(StoreError::Data(_))
    ));
}

/// A tiny deterministic generator (xorshift), so a failure replays identically.
struct Steps(u64);

impl Steps {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

/// A random mix of admissions (with limits, tiers, expiring reservations and time moving
/// on), settles and releases gives the same outcomes, usages, listings and totals on Redis
/// as on the reference `MemoryStore`.
#[tokio::test]
async fn agrees_with_the_memory_store_on_random_operations() {
    let Some(redis) = common::store_or_skip("agrees_with_memory").await else {
        return;
    };
    let memory = MemoryStore::new();
    let s = scope();
    let identities = ["a", "b", "用户", "{t}", "z z"];
    let tiers = [None, Some("free"), Some("pro")];
    let mut steps = Steps(0x9E37_79B9_7F4A_7C15);
    let mut now = start();
    let mut outstanding: Vec<(Reservation, Reservation)> = Vec::new();
    let (mut admitted, mut denied) = (0, 0);
    for step in 0..600 {
        now += Duration::seconds(i64::try_from(steps.below(20)).expect("small"));
        let k = UsageKey {
            period: Window::Day.period_at(start()),
            ..key(
                &s,
                identities[usize::try_from(steps.below(5)).expect("small")],
            )
        };
        match steps.below(10) {
            0..=5 => {
                let req = AdmitRequest {
                    key: k.clone(),
                    tier: tiers[usize::try_from(steps.below(3)).expect("small")].map(str::to_owned),
                    request_limit: [None, Some(0), Some(10), Some(40)]
                        [usize::try_from(steps.below(4)).expect("small")],
                    token_limit: [None, Some(0), Some(300), Some(2000)]
                        [usize::try_from(steps.below(4)).expect("small")],
                    reserve_tokens: steps.below(120),
                    reservation_expires_at: now
                        + Duration::seconds(i64::try_from(steps.below(120)).expect("small")),
                    now,
                    scope_cap: None,
                };
                let (m, r) = (
                    memory.admit(&req).await.expect("memory"),
                    redis.admit(&req).await.expect("redis"),
                );
                match (m, r) {
                    (
                        AdmitOutcome::Admitted {
                            reservation: mr,
                            usage: mu,
                            ..
                        },
                        AdmitOutcome::Admitted {
                            reservation: rr,
                            usage: ru,
                            ..
                        },
                    ) => {
                        assert_eq!(mu, ru, "step {step}: admitted usage");
                        assert_eq!((mr.tokens, &mr.key), (rr.tokens, &rr.key));
                        outstanding.push((mr, rr));
                        admitted += 1;
                    }
                    (AdmitOutcome::Denied { usage: mu }, AdmitOutcome::Denied { usage: ru }) => {
                        assert_eq!(mu, ru, "step {step}: denied usage");
                        denied += 1;
                    }
                    (m, r) => panic!("step {step}: memory {m:?}, redis {r:?}"),
                }
            }
            6..=8 if !outstanding.is_empty() => {
                let at = usize::try_from(steps.below(outstanding.len() as u64)).expect("small");
                let (mr, rr) = outstanding.swap_remove(at);
                if steps.below(3) == 0 {
                    memory.release(&mr).await.expect("memory");
                    redis.release(&rr).await.expect("redis");
                } else {
                    let tokens = steps.below(200);
                    memory.settle(&mr, tokens).await.expect("memory");
                    redis.settle(&rr, tokens).await.expect("redis");
                }
            }
            _ => {}
        }
        assert_eq!(
            memory.usage(&k, now).await.expect("memory"),
            redis.usage(&k, now).await.expect("redis"),
            "step {step}: usage of {}",
            k.identity
        );
    }
    assert!(
        admitted > 50 && denied > 50,
        "admitted {admitted}, denied {denied}"
    );
    let day = Window::Day.period_at(start());
    assert_eq!(
        memory.totals(&s, &day).await.expect("memory"),
        redis.totals(&s, &day).await.expect("redis")
    );
    for limit in [1, 2, 100] {
        let (mut m_page, mut r_page) = (PageRequest::first(limit), PageRequest::first(limit));
        loop {
            let m = memory.list_usage(&s, &day, &m_page).await.expect("memory");
            let r = redis.list_usage(&s, &day, &r_page).await.expect("redis");
            assert_eq!(m, r, "page of {limit}");
            match (m.next_cursor, r.next_cursor) {
                (Some(mc), Some(rc)) => {
                    m_page.cursor = Some(mc);
                    r_page.cursor = Some(rc);
                }
                _ => break,
            }
        }
    }
}

/// A page read after the cursor's own identity moved (more requests, or released) goes on
/// exactly where the reference store goes on.
#[tokio::test]
async fn listing_resumes_after_a_cursor_whose_identity_changed() {
    let Some(redis) = common::store_or_skip("listing_cursor_moved").await else {
        return;
    };
    let memory = ai_ratelimit_core::SharedStore::new(MemoryStore::new());
    let redis = ai_ratelimit_core::SharedStore::new(redis);
    let stores = [&memory, &redis];
    let s = scope();
    let day = Window::Day.period_at(start());
    let mut b_reservations = Vec::new();
    for store in stores {
        for (identity, n) in [("a", 3), ("b", 2), ("c", 2), ("c2", 2), ("d", 1)] {
            for _ in 0..n {
                let outcome = store
                    .admit(&request(&key(&s, identity), None, 0))
                    .await
                    .expect("admit");
                if let AdmitOutcome::Admitted { reservation, .. } = outcome
                    && identity == "b"
                {
                    b_reservations.push(reservation);
                }
            }
        }
    }
    let first_page = PageRequest::first(2);
    let first: Vec<_> =
        futures::future::join_all(stores.map(|store| store.list_usage(&s, &day, &first_page)))
            .await;
    let cursors: Vec<String> = first
        .into_iter()
        .map(|p| p.expect("page").next_cursor.expect("more pages"))
        .collect();
    assert_eq!(cursors[0], "2:b");
    assert_eq!(cursors[0], cursors[1]);
    let page = |cursor: &str| PageRequest {
        limit: 10,
        cursor: Some(cursor.to_owned()),
    };
    let identities = |p: ai_ratelimit_core::UsagePage| -> Vec<String> {
        p.items.into_iter().map(|i| i.identity).collect()
    };

    // "b" gains a request: the next page still starts after (2, "b").
    for store in stores {
        store
            .admit(&request(&key(&s, "b"), None, 0))
            .await
            .expect("admit");
    }
    let m = identities(
        memory
            .list_usage(&s, &day, &page(&cursors[0]))
            .await
            .expect("memory"),
    );
    let r = identities(
        redis
            .list_usage(&s, &day, &page(&cursors[1]))
            .await
            .expect("redis"),
    );
    assert_eq!(m, ["c", "c2", "d"]);
    assert_eq!(m, r);

    // "b" loses all its requests: now it sorts after the cursor, among the zero counts.
    for (i, reservation) in b_reservations.iter().enumerate() {
        let store = stores[i / 2];
        store.release(reservation).await.expect("release");
    }
    for store in stores {
        let usage = store.usage(&key(&s, "b"), start()).await.expect("usage");
        assert_eq!(usage.requests, 1);
    }
    let m = identities(
        memory
            .list_usage(&s, &day, &page(&cursors[0]))
            .await
            .expect("memory"),
    );
    let r = identities(
        redis
            .list_usage(&s, &day, &page(&cursors[1]))
            .await
            .expect("redis"),
    );
    assert_eq!(m, ["c", "c2", "b", "d"]);
    assert_eq!(m, r);
}

/// Admissions and releases leave the listing index to the next read: every read (listing or
/// totals) brings it up to date, round after round, and takes the identities out of the
/// changed set; the results match the reference `MemoryStore` each time.
#[tokio::test]
async fn every_read_brings_listing_and_totals_up_to_date() {
    let Some(redis) = common::store_or_skip("reads_bring_listing_up_to_date").await else {
        return;
    };
    let memory = ai_ratelimit_core::SharedStore::new(MemoryStore::new());
    let redis = ai_ratelimit_core::SharedStore::new(redis);
    let stores = [&memory, &redis];
    let s = scope();
    let day = Window::Day.period_at(start());
    let mut steps = Steps(0x2545_F491_4F6C_DD1D);
    let mut outstanding: Vec<Vec<Reservation>> = Vec::new();
    for round in 0..6 {
        for _ in 0..40 {
            let identity =
                ["a", "b", "c", "d", "用户"][usize::try_from(steps.below(5)).expect("small")];
            let mut pair = Vec::new();
            for store in stores {
                match store
                    .admit(&request(&key(&s, identity), Some(12), 3))
                    .await
                    .expect("admit")
                {
                    AdmitOutcome::Admitted { reservation, .. } => pair.push(reservation),
                    AdmitOutcome::Denied { .. } | AdmitOutcome::ScopeDenied { .. } => {}
                }
            }
            assert!(
                pair.len() != 1,
                "round {round}: the stores disagree on {identity}"
            );
            if pair.len() == 2 {
                outstanding.push(pair);
            }
            if steps.below(4) == 0 && !outstanding.is_empty() {
                let at = usize::try_from(steps.below(outstanding.len() as u64)).expect("small");
                for (store, reservation) in stores.iter().zip(outstanding.swap_remove(at)) {
                    store.release(&reservation).await.expect("release");
                }
            }
        }
        // Totals first on odd rounds, the listing first on even ones: either read syncs.
        let (m_totals, r_totals, m_page, r_page) = if round % 2 == 1 {
            (
                memory.totals(&s, &day).await.expect("memory"),
                redis.totals(&s, &day).await.expect("redis"),
                memory
                    .list_usage(&s, &day, &PageRequest::first(100))
                    .await
                    .expect("memory"),
                redis
                    .list_usage(&s, &day, &PageRequest::first(100))
                    .await
                    .expect("redis"),
            )
        } else {
            let (m_page, r_page) = (
                memory
                    .list_usage(&s, &day, &PageRequest::first(100))
                    .await
                    .expect("memory"),
                redis
                    .list_usage(&s, &day, &PageRequest::first(100))
                    .await
                    .expect("redis"),
            );
            (
                memory.totals(&s, &day).await.expect("memory"),
                redis.totals(&s, &day).await.expect("redis"),
                m_page,
                r_page,
            )
        };
        assert_eq!(m_totals, r_totals, "round {round}: totals");
        assert_eq!(m_page, r_page, "round {round}: listing");
        let changed = format!("{}:{{{s}}}:3:{}:ch", common::prefix(), day.id());
        let marked: u64 = redis::cmd("SCARD")
            .arg(&changed)
            .query_async(&mut common::inspector().await)
            .await
            .expect("scard");
        assert_eq!(
            marked, 0,
            "round {round}: identities left marked after a read"
        );
    }
}
