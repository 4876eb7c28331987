//! Group commit of admissions: admissions that queue behind a call in flight go out together
//! in one script call, and each must come out exactly as if it had been sent alone.
//!
//! On a single-threaded runtime, polling the admissions once each, in order, makes the
//! batches deterministic: nothing is sent or answered before the test yields, so the first
//! admissions of a lane go out alone and every later one joins the queue in that order, to be
//! sent in one batch once a call ends. Redis then applies them in the order they were polled.

mod common;

use std::future::Future;
use std::pin::Pin;

use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, MemoryStore, PageRequest, StoreError, UsageKey, UsageStore, Window,
};
use ai_ratelimit_store_redis::RedisStore;
use chrono::{DateTime, Duration, Utc};
use futures::future::{MaybeDone, maybe_done};

type Admission<'a> = Pin<Box<dyn Future<Output = Result<AdmitOutcome, StoreError>> + Send + 'a>>;

fn start() -> DateTime<Utc> {
    "2030-01-15T10:20:00Z".parse().expect("timestamp")
}

fn scope() -> String {
    format!("batch-{}", uuid::Uuid::new_v4().simple())
}

fn key(scope: &str, identity: &str) -> UsageKey {
    UsageKey {
        scope: scope.into(),
        identity: identity.into(),
        period: Window::Day.period_at(start()),
    }
}

type Polled<'a> = Pin<Box<MaybeDone<Admission<'a>>>>;

/// Polls each admission once, in order, without yielding to the runtime: each joins its
/// lane (goes out alone or queues) in that order.
async fn poll_each_once(admissions: Vec<Admission<'_>>) -> Vec<Polled<'_>> {
    let mut polled: Vec<Polled<'_>> = admissions
        .into_iter()
        .map(|a| Box::pin(maybe_done(a)))
        .collect();
    for admission in &mut polled {
        let _ = futures::poll!(admission.as_mut());
    }
    polled
}

/// Awaits every admission; their outcomes in order.
async fn outcomes(mut polled: Vec<Polled<'_>>) -> Vec<Result<AdmitOutcome, StoreError>> {
    futures::future::join_all(polled.iter_mut().map(|a| a.as_mut())).await;
    polled
        .iter_mut()
        .map(|a| a.as_mut().take_output().expect("finished admission"))
        .collect()
}

/// Requests over several identities: request limits that deny part of them (one denies a
/// fresh counter), a token limit, tiers that change, reservations that expire within the
/// batch (time moves on from request to request) and one that is never stored.
fn mixed_requests(scope: &str) -> Vec<AdmitRequest> {
    let identities = ["a", "b", "用户", "{t}", "none"];
    (0..60u32)
        .map(|i| {
            let identity = identities[(i % 5) as usize];
            let now = start() + Duration::seconds(i64::from(i));
            AdmitRequest {
                key: key(scope, identity),
                tier: match i % 3 {
                    0 => None,
                    1 => Some("free".to_owned()),
                    _ => Some("pro".to_owned()),
                },
                request_limit: match identity {
                    "a" => Some(4),
                    "b" => Some(9),
                    "none" => Some(0),
                    _ => None,
                },
                token_limit: (identity == "用户").then_some(250),
                reserve_tokens: if identity == "{t}" { 0 } else { 40 },
                // Reservations of "a" expire 12 s after their request: later ones purge them.
                reservation_expires_at: now
                    + Duration::seconds(if identity == "a" { 12 } else { 600 }),
                now,
            }
        })
        .collect()
}

#[tokio::test]
async fn a_batch_of_mixed_admissions_matches_the_memory_store_one_by_one() {
    let Some(redis) = common::store_or_skip("batch_matches_memory").await else {
        return;
    };
    let memory = MemoryStore::new();
    let s = scope();
    let requests = mixed_requests(&s);
    let polled = poll_each_once(requests.iter().map(|r| redis.admit(r)).collect()).await;
    let outcomes = outcomes(polled).await;
    let (mut admitted, mut denied) = (0, 0);
    for (i, (request, outcome)) in requests.iter().zip(outcomes).enumerate() {
        let expected = memory.admit(request).await.expect("memory");
        let outcome = outcome.expect("redis");
        match (&expected, &outcome) {
            (
                AdmitOutcome::Admitted {
                    reservation: m,
                    usage: mu,
                },
                AdmitOutcome::Admitted {
                    reservation: r,
                    usage: ru,
                },
            ) => {
                assert_eq!(mu, ru, "admission {i}: usage");
                assert_eq!((&m.key, m.tokens), (&r.key, r.tokens), "admission {i}");
                admitted += 1;
            }
            (AdmitOutcome::Denied { usage: mu }, AdmitOutcome::Denied { usage: ru }) => {
                assert_eq!(mu, ru, "admission {i}: denied usage");
                denied += 1;
            }
            _ => panic!("admission {i}: memory {expected:?}, redis {outcome:?}"),
        }
    }
    assert!(
        admitted > 20 && denied > 20,
        "admitted {admitted}, denied {denied}"
    );
    let later = start() + Duration::seconds(60);
    for identity in ["a", "b", "用户", "{t}", "none"] {
        let k = key(&s, identity);
        assert_eq!(
            memory.usage(&k, later).await.expect("memory"),
            redis.usage(&k, later).await.expect("redis"),
            "usage of {identity}"
        );
    }
    let day = Window::Day.period_at(start());
    assert_eq!(
        memory.totals(&s, &day).await.expect("memory"),
        redis.totals(&s, &day).await.expect("redis")
    );
    assert_eq!(
        memory
            .list_usage(&s, &day, &PageRequest::first(10))
            .await
            .expect("memory"),
        redis
            .list_usage(&s, &day, &PageRequest::first(10))
            .await
            .expect("redis")
    );
}

/// Admissions of two scopes interleaved: each scope's queue is its own batch, and the
/// request limit holds exactly in each.
#[tokio::test]
async fn scopes_queue_apart_and_each_admits_exactly_its_limit() {
    let Some(redis) = common::store_or_skip("scopes_queue_apart").await else {
        return;
    };
    let (first, second) = (scope(), scope());
    let requests: Vec<AdmitRequest> = (0..100)
        .map(|i| AdmitRequest {
            key: key(if i % 2 == 0 { &first } else { &second }, "shared"),
            tier: None,
            request_limit: Some(if i % 2 == 0 { 17 } else { 31 }),
            token_limit: None,
            reserve_tokens: 3,
            reservation_expires_at: start() + Duration::minutes(10),
            now: start(),
        })
        .collect();
    let polled = poll_each_once(requests.iter().map(|r| redis.admit(r)).collect()).await;
    let outcomes = outcomes(polled).await;
    let mut admitted = [0u64; 2];
    for (i, outcome) in outcomes.into_iter().enumerate() {
        if let AdmitOutcome::Admitted { .. } = outcome.expect("admit") {
            admitted[i % 2] += 1;
        }
    }
    assert_eq!(admitted, [17, 31]);
    for (s, limit) in [(&first, 17), (&second, 31)] {
        let usage = redis
            .usage(&key(s, "shared"), start())
            .await
            .expect("usage");
        assert_eq!((usage.requests, usage.reserved_tokens), (limit, 3 * limit));
    }
}

/// Callers that give up do not block the others: a queued admission dropped before its batch
/// is sent is not counted, and dropping the admission in flight still hands the queue on.
#[tokio::test]
async fn dropped_callers_neither_count_when_unsent_nor_block_the_queue() {
    let Some(redis) = common::store_or_skip("dropped_callers").await else {
        return;
    };
    let k = key(&scope(), "dropped");
    let request = AdmitRequest {
        key: k.clone(),
        tier: None,
        request_limit: None,
        token_limit: None,
        reserve_tokens: 1,
        reservation_expires_at: start() + Duration::minutes(10),
        now: start(),
    };
    let mut polled = poll_each_once((0..40).map(|_| redis.admit(&request)).collect()).await;
    // The first one is in flight (sent alone); 10..20 wait in the queue.
    polled.drain(10..20);
    polled.remove(0);
    let outcomes = outcomes(polled).await;
    assert_eq!(outcomes.len(), 29);
    assert!(
        outcomes
            .iter()
            .all(|o| matches!(o, Ok(AdmitOutcome::Admitted { .. })))
    );
    let requests = redis.usage(&k, start()).await.expect("usage").requests;
    // The dropped call in flight may have been counted, like any call cut short.
    assert!((29..=30).contains(&requests), "{requests} counted");
}

/// A batch call that fails answers every admission it carried with the store's typed error.
#[tokio::test]
async fn a_failed_batch_fails_every_admission_in_it() {
    let options = common::options()
        .with_call_timeout(std::time::Duration::from_millis(300))
        .expect("timeout");
    let unreachable = RedisStore::connect_lazy("redis://127.0.0.1:1", options).expect("lazy store");
    let requests: Vec<AdmitRequest> = (0..20)
        .map(|i| AdmitRequest {
            key: key("s", &format!("u{i}")),
            tier: None,
            request_limit: Some(5),
            token_limit: None,
            reserve_tokens: 0,
            reservation_expires_at: start() + Duration::minutes(10),
            now: start(),
        })
        .collect();
    let polled = poll_each_once(requests.iter().map(|r| unreachable.admit(r)).collect()).await;
    for (i, outcome) in outcomes(polled).await.into_iter().enumerate() {
        assert!(
            matches!(
                outcome,
                Err(StoreError::Unavailable(_) | StoreError::Timeout(_))
            ),
            "admission {i}: {outcome:?}"
        );
    }
}
