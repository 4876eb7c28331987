//! A master of the local Redis Cluster killed under load (`SHUTDOWN NOSAVE`, which lets its
//! replica catch up first, as a stopping server does): calls for its slots fail — the limiter
//! answers 503 or admits uncounted, as configured — while another master's scope keeps being
//! served; once the replica is promoted, counting resumes and every acknowledged
//! admission is counted exactly once. The killed node is started again afterwards
//! (`scripts/services.sh`), and rejoins as a replica. Its own test binary: it must not run
//! beside the other cluster tests.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration as StdDuration;

use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, Decision, FailureMode, FakeClock, LimitRequest, Limiter, Policy,
    UsageKey, UsageStore, Window,
};
use chrono::{DateTime, Utc};
use common::cluster::{Node, cluster_store, master_of, node, nodes, slot_of};
use serde_json::json;

fn start() -> DateTime<Utc> {
    "2030-01-15T10:20:00Z".parse().expect("timestamp")
}

fn request(key: &UsageKey) -> AdmitRequest {
    AdmitRequest {
        key: key.clone(),
        tier: None,
        request_limit: None,
        token_limit: None,
        reserve_tokens: 0,
        reservation_expires_at: start(),
        now: start(),
        scope_cap: None,
    }
}

/// Starts the stopped node again (also when the test fails), and waits for the cluster.
struct Restore;

impl Drop for Restore {
    fn drop(&mut self) {
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/services.sh");
        let status = std::process::Command::new("bash").arg(script).status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "services.sh restores the cluster"
        );
    }
}

/// Waits (yielding) until `done` holds; panics after `limit` rounds of 10 ms, so a cluster
/// that never recovers fails the test instead of hanging it.
async fn until(what: &str, limit: u32, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..limit {
        if done().await {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
    panic!("{what} never happened");
}

/// Counts of one scope's load.
#[derive(Default)]
struct Load {
    acknowledged: AtomicU64,
    failed: AtomicU64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_master_fails_only_its_slots_and_its_replica_counts_on() {
    let Some(store) = cluster_store().await else {
        return;
    };
    let period = Window::Day.period_at(start());
    let victim_scope = format!("failover-{}", uuid::Uuid::new_v4().simple());
    // Slots are fixed by the hash tag: computed while every node answers.
    let victim_slot = slot_of(&victim_scope).await;
    let victim: Node = master_of(victim_slot).await;
    let mut other_scope = String::new();
    for _ in 0..100 {
        other_scope = format!("bystander-{}", uuid::Uuid::new_v4().simple());
        if master_of(slot_of(&other_scope).await).await.id != victim.id {
            break;
        }
    }
    let keys = [
        UsageKey::new(victim_scope.as_str(), "user", period),
        UsageKey::new(other_scope.as_str(), "user", period),
    ];
    let loads = Arc::new([Load::default(), Load::default()]);
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..6)
        .map(|w| {
            let (store, loads, stop) = (store.clone(), loads.clone(), stop.clone());
            let (which, req) = (w % 2, request(&keys[w % 2]));
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    match store.admit(&req).await {
                        Ok(AdmitOutcome::Admitted { .. }) => {
                            loads[which].acknowledged.fetch_add(1, Ordering::SeqCst)
                        }
                        Ok(other) => panic!("no limit, yet {other:?}"),
                        Err(e) => {
                            if which == 1 {
                                // Rare (see the assertion below): say what it was.
                                eprintln!("another master's scope: {e}");
                            }
                            // Do not spin on a dead master.
                            tokio::time::sleep(StdDuration::from_millis(20)).await;
                            loads[which].failed.fetch_add(1, Ordering::SeqCst)
                        }
                    };
                }
            })
        })
        .collect();
    let acknowledged = |i: usize| loads[i].acknowledged.load(Ordering::SeqCst);
    until("the load starting", 3000, async || {
        acknowledged(0) >= 50 && acknowledged(1) >= 50
    })
    .await;

    let _restore = Restore;
    let bystander_before = acknowledged(1);
    let shutdown: redis::RedisResult<()> = redis::cmd("SHUTDOWN")
        .arg("NOSAVE")
        .query_async(&mut node(&victim.address).await)
        .await;
    // The connection closes under the command: its error is the expected answer.
    drop(shutdown);

    // While the slot has no master, the limiter fails closed (503) or open, as configured.
    let policy = Policy::from_json(&json!({"dailyRequestLimit": 1000})).expect("policy");
    let check = |mode: FailureMode| {
        let store = store.clone();
        let policy = policy.clone();
        let scope = victim_scope.clone();
        async move {
            let limiter = Limiter::builder(store)
                .clock(Arc::new(FakeClock::new(start())))
                .store_timeout(StdDuration::from_millis(300))
                .failure_mode(mode)
                .build()
                .expect("limiter");
            let request = LimitRequest {
                scope: &scope,
                identity: "limiter",
                tier: None,
                estimated_tokens: 0,
            };
            limiter.check(&policy, &request).await.expect("valid")
        }
    };
    match check(FailureMode::Closed).await {
        Decision::Denied(d) => assert_eq!(d.status, 503, "{}", d.body),
        Decision::Admitted(_) => panic!("admitted by a dead master, failing closed"),
    }
    match check(FailureMode::Open).await {
        Decision::Admitted(a) => assert!(a.reservation.is_none(), "admitted uncounted"),
        Decision::Denied(d) => panic!("denied failing open: {}", d.body),
    }
    let failed = |i: usize| loads[i].failed.load(Ordering::SeqCst);
    until("the victim's calls failing", 3000, async || failed(0) > 0).await;

    // The replica is promoted; counting resumes on it.
    until("the failover", 6000, async || {
        master_of(victim_slot).await.id != victim.id
    })
    .await;
    let bystander_during = acknowledged(1) - bystander_before;
    let resumed_from = acknowledged(0);
    until("counting resuming", 3000, async || {
        acknowledged(0) >= resumed_from + 50
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("every call answered");
    }
    let promoted = master_of(victim_slot).await;
    eprintln!(
        "killed {} ({}); promoted {}: victim {} acknowledged, {} failed; bystander {} acknowledged ({} during the outage), {} failed",
        victim.address,
        victim.id,
        promoted.address,
        acknowledged(0),
        failed(0),
        acknowledged(1),
        bystander_during,
        failed(1)
    );
    // Another master's scope keeps being served through the outage. The cluster client
    // refreshes its slot map while the dead master's calls fail, and a call in flight for
    // another slot at that moment can, rarely, fail with it (3 of ~16,000 in one CI run, none
    // in most): allowed here up to 1% of that scope's calls, and said in the README.
    assert!(
        bystander_during > 0,
        "another master's scope served during the outage"
    );
    assert!(
        failed(1) * 100 <= acknowledged(1),
        "another master's scope: {} failed calls beside {} acknowledged",
        failed(1),
        acknowledged(1)
    );
    // Every acknowledged admission is counted once. A failed call's outcome is unknown (it
    // may have run before its answer was lost), so it may count or not.
    for (i, key) in keys.iter().enumerate() {
        let counted = store.usage(key, start()).await.expect("usage").requests;
        assert!(
            (acknowledged(i)..=acknowledged(i) + failed(i)).contains(&counted),
            "{} counted for {} acknowledged and {} failed admissions of {}",
            counted,
            acknowledged(i),
            failed(i),
            key.scope
        );
    }
    assert!(
        nodes().await.iter().all(|n| n.id != victim.id || !n.master),
        "the killed node is no master"
    );
}
