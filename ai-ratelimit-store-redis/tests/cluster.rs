//! The store on the local Redis Cluster (`scripts/services.sh`, or
//! `AIRL_TEST_REDIS_CLUSTER_URL`) beyond the conformance suite: 1,000 projects spread over the
//! masters, and the slot of a busy scope migrated to another master while its admissions run.
//! The tests of this file run one at a time (they read the masters' command counts).

mod common;

use common::cluster::{Node, cluster_store, master_of, node, nodes, slot_of};

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ai_ratelimit_core::{AdmitOutcome, AdmitRequest, UsageKey, UsageStore, Window};
use chrono::{DateTime, Utc};
use tokio::sync::Mutex;

/// One cluster test at a time.
static SERIAL: Mutex<()> = Mutex::const_new(());

fn start() -> DateTime<Utc> {
    "2030-01-15T10:20:00Z".parse().expect("timestamp")
}

fn key(scope: &str, identity: &str) -> UsageKey {
    UsageKey::new(scope, identity, Window::Day.period_at(start()))
}

fn request(key: &UsageKey, request_limit: Option<u64>) -> AdmitRequest {
    AdmitRequest {
        key: key.clone(),
        tier: None,
        request_limit,
        token_limit: None,
        reserve_tokens: 0,
        reservation_expires_at: start(),
        now: start(),
        scope_cap: None,
    }
}

/// `EVALSHA` calls a node has served.
async fn script_calls(address: &str) -> u64 {
    let info: String = redis::cmd("INFO")
        .arg("commandstats")
        .query_async(&mut node(address).await)
        .await
        .expect("INFO");
    info.lines()
        .find_map(|line| line.strip_prefix("cmdstat_evalsha:calls="))
        .and_then(|rest| rest.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// The keys of this test process on a node.
async fn keys_on(address: &str) -> u64 {
    let mut conn = node(address).await;
    let mut cursor = 0u64;
    let mut count = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{}:*", common::prefix()))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .expect("SCAN");
        count += keys.len() as u64;
        if next == 0 {
            return count;
        }
        cursor = next;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_projects_spread_over_the_masters() {
    let _serial = SERIAL.lock().await;
    let Some(store) = cluster_store().await else {
        return;
    };
    let masters: Vec<Node> = nodes().await.into_iter().filter(|n| n.master).collect();
    assert_eq!(masters.len(), 3, "{masters:?}");
    let mut before = Vec::new();
    for m in &masters {
        before.push(script_calls(&m.address).await);
    }
    let run = uuid::Uuid::new_v4().simple().to_string();
    let admissions = futures::future::join_all((0..1000).map(|i| {
        let store = store.clone();
        let k = key(&format!("spread-{run}-{i}"), "user");
        async move { store.admit(&request(&k, Some(10))).await }
    }))
    .await;
    for outcome in admissions {
        assert!(matches!(
            outcome.expect("admitted"),
            AdmitOutcome::Admitted { .. }
        ));
    }
    let even = 1000.0 / masters.len() as f64;
    let mut report = Vec::new();
    for (m, before) in masters.iter().zip(before) {
        let calls = script_calls(&m.address).await - before;
        // Each first admission of a project creates its counter, index and totals keys.
        let projects = keys_on(&m.address).await / 3;
        report.push((m.address.clone(), calls, projects));
    }
    eprintln!("spread of 1000 projects (master, admission scripts, projects): {report:?}");
    for (address, calls, projects) in &report {
        for (what, n) in [("script calls", *calls), ("projects", *projects)] {
            let ratio = n as f64 / even;
            assert!(
                (0.75..=1.25).contains(&ratio),
                "{address}: {n} {what}, {ratio:.2} of even ({report:?})"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_busy_scopes_slot_migrates_under_load_and_counts_exactly() {
    let _serial = SERIAL.lock().await;
    let Some(store) = cluster_store().await else {
        return;
    };
    let scope = format!("reshard-{}", uuid::Uuid::new_v4().simple());
    let all = nodes().await;
    let masters: Vec<&Node> = all.iter().filter(|n| n.master).collect();
    let slot = slot_of(&scope).await;
    let source = master_of(slot).await;
    let target = masters
        .iter()
        .find(|n| n.id != source.id)
        .copied()
        .expect("another master")
        .clone();

    // Load on the scope throughout the migration: workers admitting in a loop, for an
    // identity without a limit (every acknowledged admission must be counted once) and one
    // with limit L (exactly L admitted).
    const LIMIT: u64 = 60;
    let unlimited = key(&scope, "busy");
    let limited = key(&scope, "capped");
    let counts = Arc::new([
        AtomicU64::new(0), // 0: acknowledged admissions of `busy`
        AtomicU64::new(0), // 1: admissions of `capped`
        AtomicU64::new(0), // 2: attempts of `capped`
        AtomicU64::new(0), // 3: failed calls
    ]);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let (store, counts, stop) = (store.clone(), counts.clone(), stop.clone());
            let (unlimited, limited) = (request(&unlimited, None), request(&limited, Some(LIMIT)));
            tokio::spawn(async move {
                while !stop.load(Ordering::SeqCst) {
                    match store.admit(&unlimited).await {
                        Ok(AdmitOutcome::Admitted { .. }) => {
                            counts[0].fetch_add(1, Ordering::SeqCst)
                        }
                        Ok(other) => panic!("no limit, yet {other:?}"),
                        Err(_) => counts[3].fetch_add(1, Ordering::SeqCst),
                    };
                    counts[2].fetch_add(1, Ordering::SeqCst);
                    match store.admit(&limited).await {
                        Ok(AdmitOutcome::Admitted { .. }) => {
                            counts[1].fetch_add(1, Ordering::SeqCst)
                        }
                        Ok(_) => 0,
                        Err(_) => counts[3].fetch_add(1, Ordering::SeqCst),
                    };
                }
            })
        })
        .collect();
    // The scope is busy (its keys exist on the source) before the migration starts.
    while counts[2].load(Ordering::SeqCst) < 20 {
        tokio::task::yield_now().await;
    }
    let during = counts[2].load(Ordering::SeqCst);
    // Migrate the slot as `redis-cli --cluster reshard` does, while the admissions run.
    let mut src = node(&source.address).await;
    let mut dst = node(&target.address).await;
    let setslot = |state: &'static str, id: String| {
        let mut cmd = redis::cmd("CLUSTER");
        cmd.arg("SETSLOT").arg(slot).arg(state).arg(id);
        cmd
    };
    let _: () = setslot("IMPORTING", source.id.clone())
        .query_async(&mut dst)
        .await
        .expect("IMPORTING");
    let _: () = setslot("MIGRATING", target.id.clone())
        .query_async(&mut src)
        .await
        .expect("MIGRATING");
    let (host, port) = target.address.split_once(':').expect("host:port");
    loop {
        let keys: Vec<String> = redis::cmd("CLUSTER")
            .arg("GETKEYSINSLOT")
            .arg(slot)
            .arg(1)
            .query_async(&mut src)
            .await
            .expect("GETKEYSINSLOT");
        if keys.is_empty() {
            break;
        }
        let _: () = redis::cmd("MIGRATE")
            .arg(host)
            .arg(port)
            .arg("")
            .arg(0)
            .arg(5000)
            .arg("KEYS")
            .arg(&keys)
            .query_async(&mut src)
            .await
            .expect("MIGRATE");
    }
    for m in &masters {
        let _: () = setslot("NODE", target.id.clone())
            .query_async(&mut node(&m.address).await)
            .await
            .expect("SETSLOT NODE");
    }
    let migrated_at = counts[2].load(Ordering::SeqCst);
    // Go on past the migration until the limited identity was asked well beyond its limit.
    while counts[2].load(Ordering::SeqCst) < migrated_at + 20
        || counts[2].load(Ordering::SeqCst) < 3 * LIMIT
    {
        tokio::task::yield_now().await;
    }
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.expect("every request gets an answer");
    }
    let [acknowledged, admitted, attempts, failed] =
        [0, 1, 2, 3].map(|i| counts[i].load(Ordering::SeqCst));
    eprintln!(
        "slot {slot} moved from {} to {} between attempts {during} and {migrated_at}: \
         {acknowledged} unlimited admissions, {admitted} of {attempts} limited ones, {failed} failed",
        source.address, target.address
    );
    assert_eq!(failed, 0, "the client follows MOVED, ASK and TRYAGAIN");
    assert_eq!(admitted, LIMIT, "exactly the limit");
    let usage = |k: UsageKey| {
        let store = store.clone();
        async move { store.usage(&k, start()).await.expect("usage").requests }
    };
    assert_eq!(usage(limited.clone()).await, LIMIT);
    assert_eq!(
        usage(unlimited.clone()).await,
        acknowledged,
        "every acknowledged admission counted once, nothing twice"
    );
    let on_target: i64 = redis::cmd("CLUSTER")
        .arg("COUNTKEYSINSLOT")
        .arg(slot)
        .query_async(&mut node(&target.address).await)
        .await
        .expect("COUNTKEYSINSLOT");
    assert!(on_target >= 1, "the scope's keys moved");
}
