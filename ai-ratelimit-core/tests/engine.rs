//! The decision of the engine through its public API.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use ai_ratelimit_core::store::{PageRequest, PeriodTotals, UsagePage};
use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, AsUsageKey, Decision, DenialReason, FailureMode, FakeClock,
    InvalidRequest, LimitError, LimitRequest, LimitState, LimitType, Limiter, Limits, MemoryStore,
    Period, Policy, Reservation, StoreError, Usage, UsageStore, Window,
};
use chrono::{DateTime, Utc};
use futures::FutureExt;
use http::HeaderMap;
use serde_json::json;

fn noon() -> DateTime<Utc> {
    "2026-11-28T12:00:00Z".parse().expect("timestamp")
}

fn limiter_at(now: DateTime<Utc>) -> (Limiter<MemoryStore>, FakeClock) {
    let clock = FakeClock::new(now);
    let limiter = Limiter::builder(MemoryStore::new())
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("limiter");
    (limiter, clock)
}

fn req<'a>(identity: &'a str, tier: Option<&'a str>) -> LimitRequest<'a> {
    LimitRequest {
        scope: "project",
        identity,
        tier,
        estimated_tokens: 100,
    }
}

fn headers_of(state: &LimitState) -> HeaderMap {
    let mut headers = HeaderMap::new();
    state.insert_headers(&mut headers);
    headers
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).map(|v| v.to_str().expect("ASCII header"))
}

#[tokio::test]
async fn default_denial_body_and_headers() {
    let (limiter, _) = limiter_at(noon());
    let policy = Policy::from_json(&json!({"dailyRequestLimit": 1})).expect("policy");
    let Decision::Admitted(a) = limiter
        .check(&policy, &req("u", None))
        .await
        .expect("check")
    else {
        panic!("first admitted")
    };
    let h = headers_of(&a.state);
    assert_eq!(header(&h, "x-ratelimit-limit-requests"), Some("1"));
    assert_eq!(header(&h, "x-ratelimit-remaining-requests"), Some("0"));
    assert_eq!(header(&h, "x-ratelimit-reset"), Some("43200"));
    assert_eq!(
        header(&h, "ratelimit-policy"),
        Some("\"requests\";q=1;w=86400")
    );
    assert_eq!(header(&h, "ratelimit"), Some("\"requests\";r=0;t=43200"));
    assert_eq!(
        header(&h, "x-ratelimit-limit-tokens"),
        None,
        "tokens not enforced"
    );

    let Decision::Denied(d) = limiter
        .check(&policy, &req("u", None))
        .await
        .expect("check")
    else {
        panic!("second denied")
    };
    assert_eq!(d.status, 429);
    assert_eq!(d.retry_after_secs(), 43_200);
    assert_eq!(
        d.reason,
        DenialReason::LimitExceeded {
            metric: ai_ratelimit_core::Metric::Requests
        }
    );
    assert_eq!(
        d.body,
        json!({
            "error": "limit_exceeded", "message": "Daily limit reached", "limitType": "requests",
            "usage": {"requestsUsed": 1, "tokensUsed": 0},
            "limits": {"requestLimit": 1, "tokenLimit": null},
            "resetAt": "2026-11-29T00:00:00Z"
        })
    );
}

#[tokio::test]
async fn token_limits_deny_on_tokens_and_template_the_metric() {
    let (limiter, _) = limiter_at(noon());
    let policy = Policy::from_json(&json!({
        "limitType": "both", "dailyRequestLimit": 100, "dailyTokenLimit": 150,
        "limitExceededResponse": {"error": "limit_exceeded", "message": "{{metric}}: {{used}}/{{limit}}, {{remaining}} left", "deepLink": "app://upgrade"}
    }))
    .expect("policy");
    let Decision::Admitted(a) = limiter
        .check(&policy, &req("t", None))
        .await
        .expect("check")
    else {
        panic!("admitted")
    };
    let h = headers_of(&a.state);
    assert_eq!(
        header(&h, "x-ratelimit-remaining-tokens"),
        Some("50"),
        "reservation counts"
    );
    assert_eq!(
        header(&h, "ratelimit-policy"),
        Some("\"requests\";q=100;w=86400, \"tokens\";q=150;w=86400")
    );
    assert_eq!(
        header(&h, "ratelimit"),
        Some("\"requests\";r=99;t=43200, \"tokens\";r=50;t=43200")
    );
    assert_eq!(header(&h, "x-ratelimit-limit-tokens"), Some("150"));
    assert_eq!(header(&h, "x-ratelimit-remaining-requests"), Some("99"));
    assert_eq!(
        h.len(),
        7,
        "limit and remaining of both metrics, policy, state, reset"
    );
    limiter
        .settle(a.reservation.expect("reservation"), 160)
        .await
        .expect("settle");
    let Decision::Denied(d) = limiter
        .check(&policy, &req("t", None))
        .await
        .expect("check")
    else {
        panic!("over the token limit")
    };
    assert_eq!(
        d.body,
        json!({"error": "limit_exceeded", "message": "tokens: 160/150, 0 left", "deepLink": "app://upgrade"})
    );
}

#[tokio::test]
async fn rules_block_respond_and_warn() {
    let (limiter, _) = limiter_at(noon());
    let policy = Policy::from_json(&json!({
        "dailyRequestLimit": 10,
        "tiers": {"free": {"requestLimit": 2}},
        "rules": [
            {"id": "vip", "name": "VIPs pass", "condition": {"type": "tier_match", "value": "vip"}, "action": {"type": "allow"}},
            {"id": "bots", "name": "No bots", "condition": {"type": "tier_match", "value": "bot"}, "action": {"type": "block"}},
            {"id": "upsell", "condition": {"type": "composite", "operator": "and", "conditions": [
                {"type": "tier_match", "value": "free"},
                {"type": "usage_absolute", "metric": "requests", "operator": "gte", "threshold": 1}
            ]}, "action": {"type": "custom_response", "status": 402, "response": {"message": "Upgrade, {{tier}} user: {{percent}}% used", "resets": "{{resetAt}}"}}},
            {"id": "nudge", "condition": {"type": "usage_percent", "metric": "requests", "operator": "gt", "threshold": 0},
             "action": {"type": "custom_response", "block": false, "response": {"message": "Déjà {{used}}"}}}
        ]
    }))
    .expect("policy");

    let Decision::Denied(d) = limiter
        .check(&policy, &req("b", Some("bot")))
        .await
        .expect("check")
    else {
        panic!("bots blocked")
    };
    assert_eq!(
        (d.status, d.body.clone()),
        (
            429,
            json!({"error": "blocked", "message": "Request blocked by rule \"No bots\""})
        )
    );
    assert_eq!(
        d.reason,
        DenialReason::RuleBlocked {
            rule_id: "bots".into()
        }
    );

    assert!(matches!(
        limiter
            .check(&policy, &req("f", Some("free")))
            .await
            .expect("check"),
        Decision::Admitted(_)
    ));
    let Decision::Denied(d) = limiter
        .check(&policy, &req("f", Some("free")))
        .await
        .expect("check")
    else {
        panic!("upsell blocks the second free request")
    };
    assert_eq!(d.status, 402);
    assert_eq!(
        d.body,
        json!({"message": "Upgrade, free user: 50% used", "resets": "2026-11-29T00:00:00Z"})
    );

    assert!(
        matches!(limiter.check(&policy, &req("n", None)).await.expect("check"), Decision::Admitted(a) if a.warning.is_none())
    );
    let Decision::Admitted(a) = limiter
        .check(&policy, &req("n", None))
        .await
        .expect("check")
    else {
        panic!("nudge does not block")
    };
    assert_eq!(
        a.warning_header().as_deref(),
        Some(r#"{"message":"D\u00e9j\u00e0 1"}"#)
    );

    // `allow` stops rule evaluation: a VIP never sees the nudge.
    for _ in 0..3 {
        let Decision::Admitted(a) = limiter
            .check(&policy, &req("v", Some("vip")))
            .await
            .expect("check")
        else {
            panic!("vip admitted")
        };
        assert!(a.warning.is_none());
    }
}

#[tokio::test]
async fn identity_and_tier_are_validated() {
    let (limiter, _) = limiter_at(noon());
    let policy = Policy::builder().build().expect("policy");
    assert!(matches!(
        limiter.check(&policy, &req("", None)).await,
        Err(InvalidRequest::Identity)
    ));
    let long = "x".repeat(257);
    assert!(matches!(
        limiter.check(&policy, &req(&long, None)).await,
        Err(InvalidRequest::Identity)
    ));
    let ok = "é".repeat(256);
    assert!(limiter.check(&policy, &req(&ok, None)).await.is_ok());
    assert!(matches!(
        limiter.check(&policy, &req("u", Some(""))).await,
        Err(InvalidRequest::Tier)
    ));
}

/// A store that never answers, or always fails.
#[derive(Debug)]
struct BrokenStore {
    hang: bool,
}

impl BrokenStore {
    async fn fail<T>(&self) -> Result<T, StoreError> {
        if self.hang {
            std::future::pending::<()>().await;
        }
        Err(StoreError::Unavailable("connection refused".into()))
    }
}

impl UsageStore for BrokenStore {
    async fn admit<K: AsUsageKey>(&self, _: &AdmitRequest<K>) -> Result<AdmitOutcome, StoreError> {
        self.fail().await
    }
    async fn settle(&self, _: &Reservation, _: u64) -> Result<(), StoreError> {
        self.fail().await
    }
    async fn release(&self, _: &Reservation) -> Result<(), StoreError> {
        self.fail().await
    }
    async fn usage<K: AsUsageKey>(&self, _: &K, _: DateTime<Utc>) -> Result<Usage, StoreError> {
        self.fail().await
    }
    async fn list_usage(
        &self,
        _: &str,
        _: &Period,
        _: &PageRequest,
    ) -> Result<UsagePage, StoreError> {
        self.fail().await
    }
    async fn totals(&self, _: &str, _: &Period) -> Result<PeriodTotals, StoreError> {
        self.fail().await
    }
}

#[tokio::test(start_paused = true)]
async fn a_failing_store_fails_closed_by_default_and_open_on_request() {
    let policy = Policy::from_json(&json!({"dailyRequestLimit": 5})).expect("policy");
    for hang in [false, true] {
        let closed = Limiter::builder(BrokenStore { hang })
            .store_timeout(StdDuration::from_millis(50))
            .build()
            .expect("limiter");
        let Decision::Denied(d) = closed.check(&policy, &req("u", None)).await.expect("check")
        else {
            panic!("fail-closed denies")
        };
        assert_eq!(
            (d.status, d.reason.clone()),
            (503, DenialReason::StoreUnavailable)
        );
        assert_eq!(d.body["error"], "store_unavailable");
        assert_eq!(d.retry_after_secs(), 1);

        let open = Limiter::builder(BrokenStore { hang })
            .store_timeout(StdDuration::from_millis(50))
            .failure_mode(FailureMode::Open)
            .build()
            .expect("limiter");
        let Decision::Admitted(a) = open.check(&policy, &req("u", None)).await.expect("check")
        else {
            panic!("fail-open admits")
        };
        assert!(a.reservation.is_none());
    }
    let hanging = Limiter::builder(BrokenStore { hang: true })
        .store_timeout(StdDuration::from_millis(50))
        .build()
        .expect("limiter");
    assert!(matches!(
        hanging.usage(&policy, "s", "u").await,
        Err(LimitError::Store(StoreError::Timeout(_)))
    ));
}

#[test]
fn builder_rejects_zero_durations() {
    let store = Arc::new(MemoryStore::new());
    assert!(
        Limiter::builder(store.clone())
            .reservation_ttl(StdDuration::ZERO)
            .build()
            .is_err()
    );
    assert!(
        Limiter::builder(store)
            .store_timeout(StdDuration::ZERO)
            .build()
            .is_err()
    );
}

/// The one async path costs an in-process store no waiting: every call of a limiter over
/// `MemoryStore` is done on its first poll (no timer, no wake-up), rules and all.
#[tokio::test]
async fn a_memory_store_decides_on_the_first_poll() {
    let (limiter, _) = limiter_at(noon());
    let policy = Policy::from_json(&json!({"limitType": "both", "dailyRequestLimit": 5,
        "dailyTokenLimit": 1000,
        "rules": [{"id": "r", "name": "warn", "enabled": true,
            "condition": {"type": "usage_percent", "metric": "requests", "operator": "gte", "threshold": 0},
            "action": {"type": "custom_response", "response": {"m": "w"}, "block": false}}]}))
    .expect("policy");
    let decision = limiter
        .check(&policy, &req("u", None))
        .now_or_never()
        .expect("decided on the first poll")
        .expect("valid request");
    let Decision::Admitted(admission) = decision else {
        panic!("admitted")
    };
    assert!(admission.warning.is_some(), "the rule read the usage");
    let reservation = admission.reservation.expect("reservation");
    limiter
        .settle(reservation, 7)
        .now_or_never()
        .expect("settled on the first poll")
        .expect("settled");
    let (_, usage) = limiter
        .usage(&policy, "project", "u")
        .now_or_never()
        .expect("read on the first poll")
        .expect("usage");
    assert_eq!((usage.requests, usage.tokens), (1, 7));
}

#[test]
fn headers_follow_the_limits_and_window_of_each_state() {
    let now = noon();
    let state = |limit_type, requests, tokens, window: Window| LimitState {
        limit_type,
        limits: Limits { requests, tokens },
        usage: Usage {
            requests: 3,
            tokens: 10,
            reserved_tokens: 5,
        },
        period: window.period_at(now),
        reset_at: window.period_at(now).end(),
        reset_after_secs: 60,
        project: None,
    };
    // Alternating on one thread: the remembered policy headers of one state must never
    // leak into another's.
    let day = state(LimitType::Requests, Some(10), None, Window::Day);
    let hour = state(LimitType::Requests, Some(10), None, Window::Hour);
    let both = state(LimitType::Both, Some(20), Some(100), Window::Day);
    let unlimited = state(LimitType::Requests, None, None, Window::Day);
    for _ in 0..2 {
        let h = headers_of(&day);
        assert_eq!(
            header(&h, "ratelimit-policy"),
            Some("\"requests\";q=10;w=86400")
        );
        assert_eq!(header(&h, "x-ratelimit-limit-requests"), Some("10"));
        assert_eq!(header(&h, "x-ratelimit-remaining-requests"), Some("7"));
        assert_eq!(h.len(), 5);
        let h = headers_of(&hour);
        assert_eq!(
            header(&h, "ratelimit-policy"),
            Some("\"requests\";q=10;w=3600")
        );
        let h = headers_of(&both);
        assert_eq!(
            header(&h, "ratelimit-policy"),
            Some("\"requests\";q=20;w=86400, \"tokens\";q=100;w=86400")
        );
        assert_eq!(
            header(&h, "ratelimit"),
            Some("\"requests\";r=17;t=60, \"tokens\";r=85;t=60")
        );
        assert_eq!(header(&h, "x-ratelimit-limit-tokens"), Some("100"));
        assert_eq!(h.len(), 7);
        let h = headers_of(&unlimited);
        assert_eq!(header(&h, "x-ratelimit-reset"), Some("60"));
        assert_eq!(h.len(), 1, "no limit, no limit headers");
    }

    // Into a response's own headers: they stay (every value of each), and stale values of
    // these headers (e.g. set by an inner limiter) are replaced, not repeated.
    let mut h = HeaderMap::new();
    h.insert("content-type", "application/json".parse().expect("value"));
    h.append("set-cookie", "a=1".parse().expect("value"));
    h.append("set-cookie", "b=2".parse().expect("value"));
    h.insert(
        "x-ratelimit-remaining-requests",
        "999".parse().expect("value"),
    );
    h.append(
        "x-ratelimit-remaining-requests",
        "998".parse().expect("value"),
    );
    h.insert("x-ratelimit-limit-tokens", "5".parse().expect("value"));
    day.insert_headers(&mut h);
    assert_eq!(header(&h, "content-type"), Some("application/json"));
    let cookies: Vec<_> = h.get_all("set-cookie").iter().collect();
    assert_eq!(cookies, ["a=1", "b=2"]);
    let remaining: Vec<_> = h.get_all("x-ratelimit-remaining-requests").iter().collect();
    assert_eq!(remaining, ["7"]);
    assert_eq!(header(&h, "x-ratelimit-limit-requests"), Some("10"));
    assert_eq!(
        header(&h, "x-ratelimit-limit-tokens"),
        Some("5"),
        "a header this state does not set is left alone"
    );
    assert_eq!(h.len(), 5 + 2 + 2);

    // A response whose first header is one of these, with several values, then others.
    let mut h = HeaderMap::new();
    h.append("ratelimit", "stale-1".parse().expect("value"));
    h.append("ratelimit", "stale-2".parse().expect("value"));
    h.insert("content-type", "text/plain".parse().expect("value"));
    day.insert_headers(&mut h);
    assert_eq!(h.get_all("ratelimit").iter().count(), 1);
    assert_eq!(header(&h, "content-type"), Some("text/plain"));
    assert_eq!(h.len(), 5 + 1);
}

#[tokio::test(flavor = "current_thread")]
async fn each_check_gets_the_period_of_its_window_at_its_time() {
    let (limiter, clock) = limiter_at(noon());
    let day = Policy::from_json(&json!({"dailyRequestLimit": 100})).expect("policy");
    let hour =
        Policy::from_json(&json!({"dailyRequestLimit": 100, "window": "hour"})).expect("policy");
    let at = |s: &str| -> DateTime<Utc> { s.parse().expect("timestamp") };
    // Windows alternate and the clock moves forward and back across boundaries on one
    // thread: a remembered period must never answer for another window or time.
    for (policy, window, now, reset) in [
        (&day, Window::Day, "2026-11-28T12:00:00Z", 43_200),
        (&hour, Window::Hour, "2026-11-28T12:00:00Z", 3_600),
        (&day, Window::Day, "2026-11-29T00:00:00Z", 86_400),
        (&day, Window::Day, "2026-11-28T23:59:59Z", 1),
        (&hour, Window::Hour, "2026-11-28T12:30:00Z", 1_800),
        (&hour, Window::Hour, "2026-11-28T13:00:00Z", 3_600),
    ] {
        clock.set(at(now));
        let Decision::Admitted(a) = limiter.check(policy, &req("p", None)).await.expect("check")
        else {
            panic!("admitted")
        };
        assert_eq!(a.state.period, window.period_at(at(now)), "{now}");
        assert_eq!(a.state.reset_at, window.period_at(at(now)).end(), "{now}");
        assert_eq!(a.state.reset_after_secs, reset, "{now}");
    }
}
