//! The conformance suite every [`UsageStore`] runs against itself.
//!
//! A store crate instantiates every case with one macro call in a test file:
//!
//! ```text
//! async fn make_store() -> ai_ratelimit_core::SharedStore {
//!     std::sync::Arc::new(MyStore::connect("…").await.expect("store"))
//! }
//! ai_ratelimit_core::usage_store_conformance!(make_store);
//! ```
//!
//! A factory returning `Option<SharedStore>` (`None`: the service is down) goes with
//! `usage_store_conformance!(optional make_store)`: cases then skip outside CI.
//!
//! Each case gets a fresh store from the factory and works in its own random scope, so
//! stores backed by a shared database can run the cases in parallel. Cases take time only
//! from their arguments (a fixed date in 2030), as stores must.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;

use crate::clock::{Clock, FakeClock};
use crate::decision::{Decision, LimitRequest};
use crate::erased::SharedStore;
use crate::limiter::Limiter;
use crate::policy::{LimitType, Policy, TierLimits};
use crate::store::{
    AdmitOutcome, AdmitRequest, PageRequest, Reservation, SCOPE_IDENTITY, ScopeCap, UsageKey,
    UsageStore,
};
use crate::window::{Period, Window};

/// Instantiates every conformance case as a `#[tokio::test]` in a module
/// `usage_store_conformance`, calling `$factory().await` (an `async fn() -> SharedStore`
/// in scope) once per case. The calling crate needs `tokio` (macros, multi-thread runtime).
///
/// For a store behind a service that may be down, `usage_store_conformance!(optional f)`
/// takes an `async fn() -> Option<SharedStore>` instead: `None` means unreachable,
/// and the case prints `SKIPPED: …` and passes, or fails under `CI=true`
/// (see [`store_unreachable`]).
#[macro_export]
macro_rules! usage_store_conformance {
    (optional $factory:path) => {
        $crate::usage_store_conformance!(@list optional $factory);
    };
    ($factory:path) => {
        $crate::usage_store_conformance!(@list required $factory);
    };
    (@list $mode:ident $factory:path) => {
        $crate::usage_store_conformance!(@cases $mode $factory;
            admits_exactly_the_request_limit,
            denied_requests_are_not_counted,
            no_limit_means_unlimited,
            zero_limit_admits_nothing,
            token_limit_counts_live_reservations,
            settle_replaces_the_reservation,
            release_uncounts_the_request,
            reservations_expire_after_their_ttl,
            settling_an_expired_reservation_still_counts,
            a_reservation_expired_on_arrival_counts_nowhere,
            keys_are_isolated,
            unicode_and_long_identities,
            listing_pages_by_most_requests,
            totals_add_up,
            tiers_and_rules_through_the_engine,
            hour_window_rolls_over,
            day_window_rolls_over,
            week_window_rolls_over,
            month_window_rolls_over,
            concurrent_admissions_are_exact,
            concurrent_settles_and_releases_add_up,
            concurrent_settles_of_many_identities_add_up_everywhere,
            reservations_expire_in_any_order,
            concurrent_answers_reach_their_own_callers,
            dropped_callers_block_no_one,
            project_cap_admits_exactly_c_across_identities,
            identity_and_project_limits_interact,
            reservations_count_against_the_identity_and_the_project,
            project_caps_through_the_engine,
        );
    };
    (@cases required $factory:path; $($case:ident),* $(,)?) => {
        mod usage_store_conformance {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let store = $factory().await;
                    $crate::conformance::$case(store).await;
                }
            )*
        }
    };
    (@cases optional $factory:path; $($case:ident),* $(,)?) => {
        mod usage_store_conformance {
            #[allow(unused_imports)]
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let Some(store) = $factory().await else {
                        $crate::conformance::store_unreachable(stringify!($case));
                        return;
                    };
                    $crate::conformance::$case(store).await;
                }
            )*
        }
    };
}

/// What a conformance case does when its factory found the store unreachable: fails under
/// `CI=true` (CI must not pass on a skipped suite), prints `SKIPPED: <case> …` otherwise.
pub fn store_unreachable(case: &str) {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "conformance case {case}: the store is unreachable under CI=true"
    );
    eprintln!("SKIPPED: conformance case {case}: the store is unreachable");
}

fn start() -> DateTime<Utc> {
    // A Tuesday, 10:20 UTC: inside an hour, a day, an ISO week and a month.
    "2030-01-15T10:20:00Z".parse().unwrap_or_default()
}

fn scope() -> String {
    format!("conformance-{}", uuid::Uuid::new_v4().simple())
}

fn key(scope: &str, identity: &str, period: Period) -> UsageKey {
    UsageKey {
        scope: scope.into(),
        identity: identity.into(),
        period,
    }
}

fn request(
    key: &UsageKey,
    request_limit: Option<u64>,
    token_limit: Option<u64>,
    reserve: u64,
    now: DateTime<Utc>,
) -> AdmitRequest {
    AdmitRequest {
        key: key.clone(),
        tier: None,
        request_limit,
        token_limit,
        reserve_tokens: reserve,
        reservation_expires_at: now + Duration::minutes(10),
        now,
        scope_cap: None,
    }
}

async fn admit<S: UsageStore + ?Sized>(store: &S, req: &AdmitRequest) -> Option<Reservation> {
    match store.admit(req).await.expect("admit") {
        AdmitOutcome::Admitted {
            reservation, usage, ..
        } => {
            assert!(usage.requests >= 1, "admitted usage counts the request");
            Some(reservation)
        }
        AdmitOutcome::Denied { .. } | AdmitOutcome::ScopeDenied { .. } => None,
    }
}

/// With request limit L, exactly L admissions succeed, and the usage says L.
pub async fn admits_exactly_the_request_limit(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "alice", Window::Day.period_at(now));
    for i in 1..=3u64 {
        match store
            .admit(&request(&k, Some(3), None, 5, now))
            .await
            .expect("admit")
        {
            AdmitOutcome::Admitted {
                usage, reservation, ..
            } => {
                assert_eq!(usage.requests, i);
                assert_eq!(usage.reserved_tokens, 5 * i);
                assert_eq!(reservation.tokens, 5);
                assert_eq!(reservation.key, k);
            }
            other => panic!("request {i} denied: {other:?}"),
        }
    }
    match store
        .admit(&request(&k, Some(3), None, 5, now))
        .await
        .expect("admit")
    {
        AdmitOutcome::Denied { usage } => assert_eq!(usage.requests, 3),
        other => panic!("fourth request not denied by its limit of 3: {other:?}"),
    }
}

/// Denied admissions are not counted (a store may still keep an empty counter).
pub async fn denied_requests_are_not_counted(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "bob", Window::Day.period_at(now));
    assert!(
        admit(&store, &request(&k, Some(1), None, 10, now))
            .await
            .is_some()
    );
    for _ in 0..5 {
        assert!(
            admit(&store, &request(&k, Some(1), None, 10, now))
                .await
                .is_none()
        );
    }
    let usage = store.usage(&k, now).await.expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (1, 0, 10)
    );
}

/// `None` limits admit everything.
pub async fn no_limit_means_unlimited(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "carol", Window::Day.period_at(now));
    for _ in 0..25 {
        assert!(
            admit(&store, &request(&k, None, None, 1_000_000, now))
                .await
                .is_some()
        );
    }
    assert_eq!(store.usage(&k, now).await.expect("usage").requests, 25);
}

/// A zero limit admits nothing, on either metric.
pub async fn zero_limit_admits_nothing(store: SharedStore) {
    let now = start();
    let s = scope();
    let k = key(&s, "dave", Window::Day.period_at(now));
    assert!(
        admit(&store, &request(&k, Some(0), None, 0, now))
            .await
            .is_none()
    );
    assert!(
        admit(&store, &request(&k, None, Some(0), 0, now))
            .await
            .is_none()
    );
    assert_eq!(store.usage(&k, now).await.expect("usage").requests, 0);
}

/// In-flight reservations count against the token limit: `tokens + reserved < limit`.
pub async fn token_limit_counts_live_reservations(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "erin", Window::Day.period_at(now));
    let first = admit(&store, &request(&k, None, Some(100), 60, now))
        .await
        .expect("0 + 0 < 100");
    assert!(
        admit(&store, &request(&k, None, Some(100), 60, now))
            .await
            .is_some(),
        "0 + 60 < 100"
    );
    assert!(
        admit(&store, &request(&k, None, Some(100), 60, now))
            .await
            .is_none(),
        "0 + 120 >= 100"
    );
    store.settle(&first, 10).await.expect("settle");
    // tokens 10 + reserved 60 = 70 < 100
    assert!(
        admit(&store, &request(&k, None, Some(100), 60, now))
            .await
            .is_some()
    );
    let usage = store.usage(&k, now).await.expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (3, 10, 120)
    );
}

/// Settling adds the real tokens and drops the reservation.
pub async fn settle_replaces_the_reservation(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "frank", Window::Day.period_at(now));
    let r1 = admit(&store, &request(&k, None, None, 500, now))
        .await
        .expect("admitted");
    let r2 = admit(&store, &request(&k, None, None, 300, now))
        .await
        .expect("admitted");
    store.settle(&r1, 42).await.expect("settle");
    let usage = store.usage(&k, now).await.expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (2, 42, 300)
    );
    store.settle(&r2, 0).await.expect("settle");
    let usage = store.usage(&k, now).await.expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (2, 42, 0)
    );
}

/// Releasing un-counts the request and frees its reservation, making room again.
pub async fn release_uncounts_the_request(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "grace", Window::Day.period_at(now));
    let r = admit(&store, &request(&k, Some(1), Some(50), 40, now))
        .await
        .expect("admitted");
    assert!(
        admit(&store, &request(&k, Some(1), Some(50), 40, now))
            .await
            .is_none()
    );
    store.release(&r).await.expect("release");
    let usage = store.usage(&k, now).await.expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (0, 0, 0)
    );
    assert!(
        admit(&store, &request(&k, Some(1), Some(50), 40, now))
            .await
            .is_some()
    );
}

/// A reservation never settled stops counting once it expires.
pub async fn reservations_expire_after_their_ttl(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "heidi", Window::Day.period_at(now));
    assert!(
        admit(&store, &request(&k, None, Some(100), 150, now))
            .await
            .is_some()
    );
    assert!(
        admit(&store, &request(&k, None, Some(100), 1, now))
            .await
            .is_none()
    );
    assert_eq!(
        store.usage(&k, now).await.expect("usage").reserved_tokens,
        150
    );
    let later = now + Duration::minutes(10);
    assert_eq!(
        store.usage(&k, later).await.expect("usage").reserved_tokens,
        0,
        "expired at its instant"
    );
    assert!(
        admit(&store, &request(&k, None, Some(100), 1, later))
            .await
            .is_some()
    );
    assert_eq!(store.usage(&k, later).await.expect("usage").requests, 2);
}

/// Reservations made in any order of expiry stop counting each at its own instant, several
/// at once too, and settling one in the middle leaves the others counted.
pub async fn reservations_expire_in_any_order(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "judy", Window::Day.period_at(now));
    // Distinct token counts, so that every sum tells which reservations it holds.
    let mut held = Vec::new();
    for (minutes, tokens) in [(5, 100), (1, 10), (3, 1000), (2, 10_000)] {
        let req = AdmitRequest {
            reservation_expires_at: now + Duration::minutes(minutes),
            ..request(&k, None, Some(1_000_000), tokens, now)
        };
        held.push(admit(&store, &req).await.expect("admitted"));
    }
    let reserved_at =
        |minutes: i64, seconds: i64| now + Duration::minutes(minutes) + Duration::seconds(seconds);
    let reserved = |at| {
        let store = store.clone();
        let k = k.clone();
        async move { store.usage(&k, at).await.expect("usage").reserved_tokens }
    };
    assert_eq!(reserved(reserved_at(0, 0)).await, 11_110);
    assert_eq!(
        reserved(reserved_at(1, 0)).await,
        11_100,
        "expired at its instant"
    );
    store.settle(&held[2], 7).await.expect("settle");
    assert_eq!(reserved(reserved_at(1, 0)).await, 10_100);
    // Two expired (1 and 2 minutes) and one settled: only the 5-minute one is left.
    let later = reserved_at(2, 30);
    match store
        .admit(&request(&k, None, Some(1_000_000), 5, later))
        .await
        .expect("admit")
    {
        AdmitOutcome::Admitted { usage, .. } => {
            assert_eq!(
                (usage.requests, usage.tokens, usage.reserved_tokens),
                (5, 7, 105)
            );
        }
        other => panic!("denied: {other:?}"),
    }
    assert_eq!(reserved(reserved_at(5, 0)).await, 5);
    assert_eq!(reserved(later + Duration::minutes(10)).await, 0);
    store
        .settle(&held[0], 1)
        .await
        .expect("settle an expired one");
    let usage = store
        .usage(&k, later + Duration::minutes(10))
        .await
        .expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (5, 8, 0)
    );
}

/// Tokens of a request that settles after its reservation expired still count.
pub async fn settling_an_expired_reservation_still_counts(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "ivan", Window::Day.period_at(now));
    let r = admit(&store, &request(&k, None, None, 100, now))
        .await
        .expect("admitted");
    let later = now + Duration::minutes(30);
    // An admission at `later` may purge the expired reservation first.
    assert!(
        admit(&store, &request(&k, None, None, 0, later))
            .await
            .is_some()
    );
    store.settle(&r, 77).await.expect("settle");
    let usage = store.usage(&k, later).await.expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (2, 77, 0)
    );
}

/// A reservation that has already expired when its request is admitted (a clock-skewed or
/// zero lifetime) counts the request, but its tokens count nowhere: not in the usage the
/// admission returns, not in a read, not against the token limit of the next admission.
pub async fn a_reservation_expired_on_arrival_counts_nowhere(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "jade", Window::Day.period_at(now));
    let mut expired = request(&k, None, Some(100), 100, now);
    expired.reservation_expires_at = now;
    let first = match store.admit(&expired).await.expect("admit") {
        AdmitOutcome::Admitted {
            reservation, usage, ..
        } => {
            assert_eq!(
                (usage.requests, usage.tokens, usage.reserved_tokens),
                (1, 0, 0)
            );
            reservation
        }
        other => panic!("denied: {other:?}"),
    };
    let usage = store.usage(&k, now).await.expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (1, 0, 0)
    );
    // 100 reserved tokens would deny the next request under a limit of 100.
    let second = admit(&store, &request(&k, None, Some(100), 100, now))
        .await
        .expect("the expired reservation holds no room");
    let usage = store.usage(&k, now).await.expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (2, 0, 100)
    );
    // Settling the one never held adds its tokens and leaves the live one reserved.
    store.settle(&first, 5).await.expect("settle");
    store.settle(&second, 10).await.expect("settle");
    let usage = store.usage(&k, now).await.expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (2, 15, 0)
    );
}

/// Scopes, identities and periods never share counters.
pub async fn keys_are_isolated(store: SharedStore) {
    let now = start();
    let (s1, s2) = (scope(), scope());
    let day = Window::Day.period_at(now);
    let keys = [
        key(&s1, "judy", day),
        key(&s2, "judy", day),
        key(&s1, "judy2", day),
        key(&s1, "judy", day.next()),
        key(&s1, "judy", Window::Hour.period_at(now)),
    ];
    for k in &keys {
        assert!(
            admit(&store, &request(k, Some(1), None, 0, now))
                .await
                .is_some(),
            "{k:?}"
        );
    }
    for k in &keys {
        assert_eq!(
            store.usage(k, now).await.expect("usage").requests,
            1,
            "{k:?}"
        );
    }
    assert_eq!(store.totals(&s1, &day).await.expect("totals").requests, 2);
}

/// Unicode, key-like punctuation and 256-character identities are ordinary identities.
pub async fn unicode_and_long_identities(store: SharedStore) {
    let now = start();
    let s = scope();
    let day = Window::Day.period_at(now);
    let long: String = "é".repeat(crate::store::MAX_IDENTITY_LEN);
    let names = [
        "用户🙂",
        "{tag}:x",
        "a'b\"c;--",
        "with space",
        "a%_*?[]",
        long.as_str(),
    ];
    for (i, name) in names.iter().enumerate() {
        let k = key(&s, name, day);
        for _ in 0..=i {
            assert!(
                admit(&store, &request(&k, None, None, 0, now))
                    .await
                    .is_some()
            );
        }
    }
    for (i, name) in names.iter().enumerate() {
        let usage = store.usage(&key(&s, name, day), now).await.expect("usage");
        assert_eq!(usage.requests, i as u64 + 1, "{name}");
    }
    let page = store
        .list_usage(&s, &day, &PageRequest::first(100))
        .await
        .expect("list");
    let listed: Vec<&str> = page.items.iter().map(|i| i.identity.as_str()).collect();
    let expected: Vec<&str> = names.iter().rev().copied().collect();
    assert_eq!(listed, expected);
}

/// Listing: most requests first, ties by identity, every identity exactly once across pages.
pub async fn listing_pages_by_most_requests(store: SharedStore) {
    let now = start();
    let s = scope();
    let day = Window::Day.period_at(now);
    // 23 identities; request counts 1..=5 with ties.
    let mut expected = Vec::new();
    for i in 0..23u64 {
        let identity = format!("user-{i:02}");
        let count = i % 5 + 1;
        let k = key(&s, &identity, day);
        for _ in 0..count {
            let mut req = request(&k, None, None, 0, now);
            req.tier = Some(if i.is_multiple_of(2) { "free" } else { "pro" }.to_owned());
            assert!(admit(&store, &req).await.is_some());
        }
        expected.push((count, identity));
    }
    expected.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));

    let mut seen = Vec::new();
    let mut page = PageRequest::first(10);
    let mut pages = 0;
    loop {
        let got = store.list_usage(&s, &day, &page).await.expect("list");
        pages += 1;
        assert!(got.items.len() <= 10);
        for item in &got.items {
            let n: u64 = item.identity[5..].parse().expect("index");
            assert_eq!(
                item.tier.as_deref(),
                Some(if n.is_multiple_of(2) { "free" } else { "pro" })
            );
            assert_eq!(item.tokens, 0);
            seen.push((item.requests, item.identity.clone()));
        }
        match got.next_cursor {
            Some(c) => page.cursor = Some(c),
            None => break,
        }
        assert!(pages < 10, "pagination does not end");
    }
    assert_eq!(seen, expected);
    let empty = store
        .list_usage(&scope(), &day, &PageRequest::first(10))
        .await
        .expect("list");
    assert!(empty.items.is_empty() && empty.next_cursor.is_none());
}

/// Totals sum admitted requests and settled tokens over a scope's identities in a period.
pub async fn totals_add_up(store: SharedStore) {
    let now = start();
    let s = scope();
    let day = Window::Day.period_at(now);
    for (identity, n, tokens) in [("a", 3u64, 10u64), ("b", 2, 5), ("c", 1, 0)] {
        let k = key(&s, identity, day);
        for _ in 0..n {
            let r = admit(&store, &request(&k, None, None, 9, now))
                .await
                .expect("admitted");
            store.settle(&r, tokens).await.expect("settle");
        }
    }
    // A released request is not counted.
    let r = admit(&store, &request(&key(&s, "a", day), None, None, 9, now))
        .await
        .expect("admitted");
    store.release(&r).await.expect("release");
    let totals = store.totals(&s, &day).await.expect("totals");
    assert_eq!(
        (totals.requests, totals.tokens, totals.identities),
        (6, 40, 3)
    );
    let other_day = store.totals(&s, &day.next()).await.expect("totals");
    assert_eq!((other_day.requests, other_day.identities), (0, 0));
}

fn limiter(store: SharedStore) -> (Limiter, FakeClock) {
    let clock = FakeClock::new(start());
    let limiter = Limiter::builder(store)
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("limiter");
    (limiter, clock)
}

fn admitted(d: &Decision) -> bool {
    matches!(d, Decision::Admitted(_))
}

/// Tier limits, rules on prior usage, and the non-counting of blocked requests, end to end.
pub async fn tiers_and_rules_through_the_engine(store: SharedStore) {
    let (limiter, _clock) = limiter(store.clone());
    let s = scope();
    let policy = Policy::from_json(&json!({
        "limitType": "both",
        "dailyRequestLimit": 2,
        "dailyTokenLimit": 1000,
        "tiers": {"pro": {"requestLimit": 4, "tokenLimit": null}},
        "rules": [
            {"id": "banned", "condition": {"type": "tier_match", "value": "banned"}, "action": {"type": "block"}},
            {"id": "warn", "condition": {"type": "usage_percent", "metric": "requests", "operator": "gte", "threshold": 50},
             "action": {"type": "custom_response", "block": false, "response": {"message": "{{used}} of {{limit}} used"}}}
        ]
    }))
    .expect("policy");
    let req = |identity, tier| LimitRequest {
        scope: &s,
        identity,
        tier,
        estimated_tokens: 10,
    };
    let mut admitted_pro = 0;
    for _ in 0..6 {
        if admitted(
            &limiter
                .check(&policy, &req("p", Some("pro")))
                .await
                .expect("check"),
        ) {
            admitted_pro += 1;
        }
    }
    assert_eq!(admitted_pro, 4, "pro tier allows 4");
    // Default limits: the second request carries the 50% warning (1 of 2 used before it).
    let first = limiter
        .check(&policy, &req("f", None))
        .await
        .expect("check");
    let Decision::Admitted(a) = first else {
        panic!("first admitted")
    };
    assert!(a.warning.is_none());
    let second = limiter
        .check(&policy, &req("f", None))
        .await
        .expect("check");
    let Decision::Admitted(a) = second else {
        panic!("second admitted")
    };
    assert_eq!(a.warning, Some(json!({"message": "1 of 2 used"})));
    assert!(!admitted(
        &limiter
            .check(&policy, &req("f", None))
            .await
            .expect("check")
    ));
    // Blocked requests are not counted.
    for _ in 0..3 {
        let Decision::Denied(d) = limiter
            .check(&policy, &req("x", Some("banned")))
            .await
            .expect("check")
        else {
            panic!("banned tier is blocked")
        };
        assert_eq!(d.body["error"], "blocked");
    }
    let (_, usage) = limiter.usage(&policy, &s, "x").await.expect("usage");
    assert_eq!(usage.requests, 0);
}

async fn window_rolls_over(store: SharedStore, window: Window, step: Duration) {
    let (limiter, clock) = limiter(store);
    let s = scope();
    let policy = Policy::builder()
        .limit_type(LimitType::Requests)
        .request_limit(Some(2))
        .tier(
            "one",
            TierLimits {
                request_limit: Some(1),
                token_limit: None,
            },
        )
        .window(window)
        .build()
        .expect("policy");
    let req = LimitRequest {
        scope: &s,
        identity: "roller",
        tier: None,
        estimated_tokens: 0,
    };
    let period = window.period_at(clock.now());
    for _ in 0..2 {
        assert!(admitted(
            &limiter.check(&policy, &req).await.expect("check")
        ));
    }
    let Decision::Denied(d) = limiter.check(&policy, &req).await.expect("check") else {
        panic!("third in {window} denied")
    };
    assert_eq!(d.state.reset_at, period.end());
    // Just before the end: still denied. At the end: a new period with fresh counts.
    clock.set(period.end() - Duration::seconds(1));
    assert!(!admitted(
        &limiter.check(&policy, &req).await.expect("check")
    ));
    clock.set(period.end());
    assert!(admitted(
        &limiter.check(&policy, &req).await.expect("check")
    ));
    let (p2, usage) = limiter.usage(&policy, &s, "roller").await.expect("usage");
    assert_eq!((p2, usage.requests), (period.next(), 1));
    clock.advance(step);
    assert_eq!(window.period_at(clock.now()), period.next().next());
    assert!(admitted(
        &limiter.check(&policy, &req).await.expect("check")
    ));
}

/// Hourly windows reset at the top of the hour.
pub async fn hour_window_rolls_over(store: SharedStore) {
    window_rolls_over(store, Window::Hour, Duration::hours(1)).await;
}

/// Daily windows reset at UTC midnight.
pub async fn day_window_rolls_over(store: SharedStore) {
    window_rolls_over(store, Window::Day, Duration::days(1)).await;
}

/// Weekly windows reset on Monday 00:00 UTC.
pub async fn week_window_rolls_over(store: SharedStore) {
    window_rolls_over(store, Window::Week, Duration::weeks(1)).await;
}

/// Monthly windows reset on the first of the month.
pub async fn month_window_rolls_over(store: SharedStore) {
    // From 2030-02-01, one step of 28 days lands on 2030-03-01.
    window_rolls_over(store, Window::Month, Duration::days(28)).await;
}

/// Many concurrent admissions against limit L admit exactly L.
pub async fn concurrent_admissions_are_exact(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "burst", Window::Day.period_at(now));
    let admitted = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let (store, admitted, req) = (
                store.clone(),
                admitted.clone(),
                request(&k, Some(20), Some(1_000_000), 3, now),
            );
            tokio::spawn(async move {
                if admit(&store, &req).await.is_some() {
                    admitted.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for t in futures::future::join_all(tasks).await {
        t.expect("task");
    }
    assert_eq!(admitted.load(Ordering::SeqCst), 20);
    let usage = store.usage(&k, now).await.expect("usage");
    assert_eq!((usage.requests, usage.reserved_tokens), (20, 60));
}

/// Concurrent settles and releases lose nothing.
pub async fn concurrent_settles_and_releases_add_up(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "many", Window::Day.period_at(now));
    let admissions = futures::future::join_all((0..60).map(|_| {
        let (store, req) = (store.clone(), request(&k, None, None, 11, now));
        tokio::spawn(async move { admit(&store, &req).await })
    }))
    .await;
    let reservations: Vec<Reservation> = admissions
        .into_iter()
        .map(|r| r.expect("task").expect("admitted"))
        .collect();
    let ids: HashSet<u64> = reservations.iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), 60, "reservation ids are unique");
    let done = futures::future::join_all(reservations.into_iter().enumerate().map(|(i, r)| {
        let store = store.clone();
        tokio::spawn(async move {
            if i.is_multiple_of(3) {
                store.release(&r).await
            } else {
                store.settle(&r, 7).await
            }
        })
    }))
    .await;
    for d in done {
        d.expect("task").expect("settle or release");
    }
    let usage = store.usage(&k, now).await.expect("usage");
    assert_eq!(
        (usage.requests, usage.tokens, usage.reserved_tokens),
        (40, 280, 0)
    );
}

/// Concurrent settlements and releases across many identities of one scope (stores that
/// batch them send several identities' in one call): each identity's counter, the listing
/// and the period's totals all add up.
pub async fn concurrent_settles_of_many_identities_add_up_everywhere(store: SharedStore) {
    let now = start();
    let s = scope();
    let day = Window::Day.period_at(now);
    let identities = 12u64;
    let k = |n: u64| key(&s, &format!("user-{n}"), day);
    // Four admissions per identity, and one more per even identity, to be released.
    let admissions = futures::future::join_all(
        (0..identities * 4)
            .map(|i| i % identities)
            .chain((0..identities).filter(|n| n.is_multiple_of(2)))
            .map(|n| {
                let (store, req) = (store.clone(), request(&k(n), None, None, 5, now));
                tokio::spawn(async move { (n, admit(&store, &req).await) })
            }),
    )
    .await;
    let mut to_release: HashSet<u64> = (0..identities).filter(|n| n.is_multiple_of(2)).collect();
    // All at once: identity n settles with n + 1 tokens each, the extra ones are released.
    let done = futures::future::join_all(admissions.into_iter().map(|a| {
        let (n, reservation) = a.expect("task");
        let reservation = reservation.expect("admitted");
        let release = to_release.remove(&n);
        let store = store.clone();
        tokio::spawn(async move {
            if release {
                store.release(&reservation).await
            } else {
                store.settle(&reservation, n + 1).await
            }
        })
    }))
    .await;
    for d in done {
        d.expect("task").expect("settle or release");
    }
    let mut tokens = 0;
    for n in 0..identities {
        let usage = store.usage(&k(n), now).await.expect("usage");
        assert_eq!(
            (usage.requests, usage.tokens, usage.reserved_tokens),
            (4, 4 * (n + 1), 0),
            "user-{n}"
        );
        tokens += 4 * (n + 1);
    }
    let listed = store
        .list_usage(&s, &day, &PageRequest::first(100))
        .await
        .expect("list");
    assert_eq!(listed.items.len(), 12);
    assert!(
        listed.items.iter().all(|item| (item.requests, item.tokens)
            == (
                4,
                4 * (item.identity[5..].parse::<u64>().expect("index") + 1)
            )),
        "{:?}",
        listed.items
    );
    let totals = store.totals(&s, &day).await.expect("totals");
    assert_eq!(
        (totals.requests, totals.tokens, totals.identities),
        (4 * identities, tokens, identities)
    );
}

/// Concurrent admissions of one counter with limits of their own: each caller gets the
/// answer to its own request (stores that batch concurrent calls must route the answers
/// back), and the counts seen are one per admission.
pub async fn concurrent_answers_reach_their_own_callers(store: SharedStore) {
    let now = start();
    let k = key(&scope(), "crowded", Window::Day.period_at(now));
    let tasks: Vec<_> = (0..60u64)
        .map(|n| {
            let limit = if n % 3 == 0 { 10 } else { 1000 };
            let (store, req) = (store.clone(), request(&k, Some(limit), None, 1, now));
            tokio::spawn(async move { (limit, store.admit(&req).await.expect("admit")) })
        })
        .collect();
    let mut seen = Vec::new();
    for t in futures::future::join_all(tasks).await {
        match t.expect("task") {
            (limit, AdmitOutcome::Admitted { usage, .. }) => {
                assert!(
                    usage.requests <= limit,
                    "admitted at {usage:?} past {limit}"
                );
                seen.push(usage.requests);
            }
            (limit, AdmitOutcome::Denied { usage }) => {
                assert!(usage.requests >= limit, "denied at {usage:?} under {limit}");
            }
            (_, other) => panic!("no cap was set: {other:?}"),
        }
    }
    seen.sort_unstable();
    assert!(seen.len() >= 40, "every request with room was admitted");
    assert_eq!(seen, (1..=seen.len() as u64).collect::<Vec<_>>());
    let counted = store.usage(&k, now).await.expect("usage").requests;
    assert_eq!(counted, seen.len() as u64);
}

/// Callers that go away (their futures dropped after one poll, mid-call or queued behind
/// others) neither block the other callers nor break the limit.
pub async fn dropped_callers_block_no_one(store: SharedStore) {
    let now = start();
    let scope = scope();
    let k = key(&scope, "impatient", Window::Day.period_at(now));
    let limit = 40;
    let run = async {
        let tasks: Vec<_> = (0..120)
            .map(|n| {
                let (store, req) = (store.clone(), request(&k, Some(limit), None, 1, now));
                tokio::spawn(async move {
                    let admission = store.admit(&req);
                    if n % 3 == 0 {
                        tokio::select! {
                            biased;
                            _ = admission => {}
                            () = std::future::ready(()) => {}
                        }
                        false
                    } else {
                        matches!(
                            admission.await.expect("admit"),
                            AdmitOutcome::Admitted { .. }
                        )
                    }
                })
            })
            .collect();
        let mut acknowledged = 0;
        for t in futures::future::join_all(tasks).await {
            acknowledged += u64::from(t.expect("task"));
        }
        // The store is free again: one more admission goes through.
        let after = key(&scope, "after", Window::Day.period_at(now));
        store
            .admit(&request(&after, None, None, 1, now))
            .await
            .expect("admit after");
        acknowledged
    };
    // Only a guard against hanging forever, far above any real run.
    let acknowledged = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("no caller is blocked");
    let counted = store.usage(&k, now).await.expect("usage").requests;
    assert!(
        acknowledged <= counted && counted <= limit,
        "{acknowledged} acknowledged, {counted} counted"
    );
}

/// `request` also capped project-wide at `cap` (requests, tokens).
fn capped(request: AdmitRequest, cap: (Option<u64>, Option<u64>)) -> AdmitRequest {
    AdmitRequest {
        scope_cap: Some(ScopeCap {
            request_limit: cap.0,
            token_limit: cap.1,
        }),
        ..request
    }
}

/// The scope's own counter of `k`'s scope and period.
fn scope_counter(k: &UsageKey) -> UsageKey {
    key(&k.scope, SCOPE_IDENTITY, k.period)
}

/// With cap C, exactly C admissions succeed project-wide under concurrency across many
/// identities, each well under its own limit; the scope's counter says C, and neither the
/// listing nor the totals show it as an identity.
pub async fn project_cap_admits_exactly_c_across_identities(store: SharedStore) {
    let now = start();
    let scope = scope();
    let period = Window::Day.period_at(now);
    let admitted = Arc::new(AtomicU64::new(0));
    let scope_denied = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..120)
        .map(|i| {
            let k = key(&scope, &format!("user-{}", i % 40), period);
            let req = capped(
                request(&k, Some(5), Some(1_000_000), 3, now),
                (Some(25), None),
            );
            let (store, admitted, scope_denied) =
                (store.clone(), admitted.clone(), scope_denied.clone());
            tokio::spawn(async move {
                match store.admit(&req).await.expect("admit") {
                    AdmitOutcome::Admitted { scope_usage, .. } => {
                        let scope_usage =
                            scope_usage.expect("a capped admission reports the scope");
                        assert!(scope_usage.requests <= 25, "{scope_usage:?}");
                        admitted.fetch_add(1, Ordering::SeqCst);
                    }
                    AdmitOutcome::ScopeDenied { scope_usage, .. } => {
                        assert_eq!(scope_usage.requests, 25);
                        scope_denied.fetch_add(1, Ordering::SeqCst);
                    }
                    AdmitOutcome::Denied { usage } => panic!("identity denied at {usage:?}"),
                }
            })
        })
        .collect();
    for t in futures::future::join_all(tasks).await {
        t.expect("task");
    }
    assert_eq!(admitted.load(Ordering::SeqCst), 25);
    assert_eq!(scope_denied.load(Ordering::SeqCst), 95);
    let whole = store
        .usage(&scope_counter(&key(&scope, "x", period)), now)
        .await
        .expect("scope usage");
    assert_eq!((whole.requests, whole.reserved_tokens), (25, 75));
    let totals = store.totals(&scope, &period).await.expect("totals");
    assert_eq!(totals.requests, 25, "the scope's counter is no identity");
    let page = store
        .list_usage(&scope, &period, &PageRequest::first(1000))
        .await
        .expect("listing");
    assert!(page.items.iter().all(|item| !item.identity.is_empty()));
    assert_eq!(page.items.iter().map(|i| i.requests).sum::<u64>(), 25);
    assert_eq!(totals.identities, page.items.len() as u64);
}

/// Either limit can deny, and a denied request counts in neither; a release frees room in
/// both.
pub async fn identity_and_project_limits_interact(store: SharedStore) {
    let now = start();
    let scope = scope();
    let period = Window::Day.period_at(now);
    let (a, b) = (key(&scope, "ann", period), key(&scope, "ben", period));
    let cap = (Some(3), None);
    let ask = |k: &UsageKey| capped(request(k, Some(2), None, 0, now), cap);
    let first = admit(&store, &ask(&a)).await.expect("ann 1");
    admit(&store, &ask(&a)).await.expect("ann 2");
    // Ann's own limit denies, though the project has room.
    match store.admit(&ask(&a)).await.expect("admit") {
        AdmitOutcome::Denied { usage } => assert_eq!(usage.requests, 2),
        other => panic!("ann's third: {other:?}"),
    }
    admit(&store, &ask(&b)).await.expect("ben 1");
    // The project's cap denies, though Ben has room.
    match store.admit(&ask(&b)).await.expect("admit") {
        AdmitOutcome::ScopeDenied { usage, scope_usage } => {
            assert_eq!((usage.requests, scope_usage.requests), (1, 3));
        }
        other => panic!("ben's second: {other:?}"),
    }
    let counts = |k: UsageKey| {
        let store = store.clone();
        async move { store.usage(&k, now).await.expect("usage").requests }
    };
    assert_eq!(counts(a.clone()).await, 2);
    assert_eq!(counts(b.clone()).await, 1);
    assert_eq!(counts(scope_counter(&a)).await, 3, "denials count nowhere");
    store.release(&first).await.expect("release");
    assert_eq!(counts(scope_counter(&a)).await, 2);
    admit(&store, &ask(&b))
        .await
        .expect("ben 2, in the room the release made");
    assert_eq!(
        (
            counts(a.clone()).await,
            counts(b).await,
            counts(scope_counter(&a)).await
        ),
        (1, 2, 3)
    );
}

/// A reservation counts against the identity's token limit and the project's; settling
/// replaces it in both, and an unsettled one expires from both.
pub async fn reservations_count_against_the_identity_and_the_project(store: SharedStore) {
    let now = start();
    let scope = scope();
    let period = Window::Day.period_at(now);
    let cap = (None, Some(100));
    let ask = |name: &str, reserve: u64| {
        capped(
            request(&key(&scope, name, period), None, Some(1000), reserve, now),
            cap,
        )
    };
    let carl = admit(&store, &ask("carl", 60)).await.expect("carl");
    admit(&store, &ask("dina", 60))
        .await
        .expect("dina: 60 live < 100");
    // 120 live now: the project is full, though Eve has used nothing.
    match store.admit(&ask("eve", 1)).await.expect("admit") {
        AdmitOutcome::ScopeDenied { scope_usage, .. } => {
            assert_eq!((scope_usage.tokens, scope_usage.reserved_tokens), (0, 120));
        }
        other => panic!("eve: {other:?}"),
    }
    store.settle(&carl, 10).await.expect("settle");
    let whole = store
        .usage(&scope_counter(&carl.key), now)
        .await
        .expect("scope usage");
    assert_eq!(
        (whole.requests, whole.tokens, whole.reserved_tokens),
        (2, 10, 60)
    );
    let own = store.usage(&carl.key, now).await.expect("carl's usage");
    assert_eq!((own.tokens, own.reserved_tokens), (10, 0));
    admit(&store, &ask("eve", 1)).await.expect("eve: 70 < 100");
    // An identity's own token limit still binds under a roomy cap.
    let tight = capped(
        request(&key(&scope, "fay", period), None, Some(5), 10, now),
        (None, Some(1_000_000)),
    );
    admit(&store, &tight).await.expect("fay: 0 < 5");
    assert!(admit(&store, &tight).await.is_none(), "fay: 10 live ≥ 5");
    // After the reservations' TTL only the settled tokens count project-wide.
    let later = now + Duration::minutes(11);
    let whole = store
        .usage(&scope_counter(&carl.key), later)
        .await
        .expect("scope usage");
    assert_eq!((whole.tokens, whole.reserved_tokens), (10, 0));
}

/// The engine applies a policy's `projectLimits`: the cap's denial is
/// `429 project_limit_exceeded` with the project's numbers, and the headers carry the cap.
pub async fn project_caps_through_the_engine(store: SharedStore) {
    let clock = FakeClock::new(start());
    let limiter = Limiter::builder(store)
        .clock(Arc::new(clock))
        .build()
        .expect("limiter");
    let policy = Policy::from_json(&json!({
        "dailyRequestLimit": 5,
        "projectLimits": {"requestLimit": 2, "tokenLimit": null}
    }))
    .expect("policy");
    let scope = scope();
    let ask = |identity: &'static str| LimitRequest {
        scope: &scope,
        identity,
        tier: None,
        estimated_tokens: 0,
    };
    for identity in ["p1", "p2"] {
        match limiter.check(&policy, &ask(identity)).await.expect("valid") {
            Decision::Admitted(a) => {
                let project = a.state.project.expect("the cap's state");
                assert_eq!(project.limits.requests, Some(2));
            }
            Decision::Denied(d) => panic!("{identity} denied: {}", d.body),
        }
    }
    match limiter.check(&policy, &ask("p3")).await.expect("valid") {
        Decision::Denied(d) => {
            assert_eq!(d.status, 429);
            assert_eq!(d.body["error"], "project_limit_exceeded");
            assert_eq!(d.body["usage"]["requestsUsed"], 2);
            assert_eq!(d.body["limits"]["requestLimit"], 2);
            let mut headers = http::HeaderMap::new();
            d.state.insert_headers(&mut headers);
            let policy_header = headers["ratelimit-policy"].to_str().expect("ascii");
            assert!(
                policy_header.contains("\"project-requests\";q=2;w=86400"),
                "{policy_header}"
            );
            let state = headers["ratelimit"].to_str().expect("ascii");
            assert!(state.contains("\"project-requests\";r=0;"), "{state}");
        }
        Decision::Admitted(_) => panic!("p3 admitted over the cap"),
    }
    let (_, whole) = limiter
        .project_usage(&policy, &scope)
        .await
        .expect("store")
        .expect("capped");
    assert_eq!(whole.requests, 2);
}
