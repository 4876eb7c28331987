//! Webhooks on limit events (issue 19) with a real receiver on loopback: signatures checked
//! from the Standard Webhooks specification, once per identity and period under concurrent
//! denials, retries until the receiver recovers, delivery across a restart, disabling.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use ai_ratelimit_server::Config;
use axum::Router;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use axum::routing::post;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::Duration;
use hmac::{Hmac, Mac as _};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::harness::{Backend, TestServer, unique_email, unique_org};
use crate::on_every_backend;

on_every_backend!(
    signed_once_per_identity_and_period,
    endpoints_and_their_errors,
    the_delivery_log_pages_with_a_cursor
);

/// One request the receiver got: its headers of interest and body.
#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A webhook receiver on loopback answering `status` (changeable).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    async fn start() -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let status = Arc::new(AtomicU16::new(200));
        let (g, st) = (got.clone(), status.clone());
        let app = Router::new().route(
            "/hook",
            post(move |headers: HeaderMap, body: String| {
                let (g, st) = (g.clone(), st.clone());
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_owned()
                    };
                    g.lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(Received {
                            id: header("webhook-id"),
                            timestamp: header("webhook-timestamp"),
                            signature: header("webhook-signature"),
                            body,
                        });
                    AxumStatus::from_u16(st.load(Ordering::SeqCst)).unwrap_or(AxumStatus::OK)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/hook", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { url, got, status }
    }

    fn received(&self) -> Vec<Received> {
        self.got
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Waits (without asserting any duration) until `check` holds, driving the deliverer.
async fn until(s: &TestServer, what: &str, check: impl Fn() -> bool) {
    for _ in 0..500 {
        if check() {
            return;
        }
        let _ = s.state.webhooks.deliverer.deliver_due().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("never happened: {what}");
}

/// The delivery log once `check` holds for it (an attempt is recorded just after the receiver
/// answers, so the log may lag the receiver).
async fn log_when(s: &TestServer, jwt: &str, path: &str, check: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..500 {
        let log = s.get(path, Some(jwt)).await.body;
        if check(&log) {
            return log;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!(
        "the delivery log never matched: {}",
        s.get(path, Some(jwt)).await.text
    );
}

/// The signature as the specification defines it, computed here independently.
fn expected_signature(secret: &str, r: &Received) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("prefix"))
        .expect("base64 key");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{}.{}.{}", r.id, r.timestamp, r.body).as_bytes());
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// A project whose every request is denied (limit 0), with a webhook to `receiver`:
/// (session, project id, project key, webhook id, secret).
async fn setup(s: &TestServer, receiver: &Receiver) -> (String, String, String, String, String) {
    let jwt = s
        .sign_in_new(&unique_email("hooks"), &unique_org("Hooks"))
        .await;
    let p = s
        .post(
            "/api/projects",
            Some(&jwt),
            &json!({"name": "h", "dailyRequestLimit": 0}),
        )
        .await;
    let id = p.body["id"].as_str().expect("id").to_owned();
    let key = p.body["projectKey"].as_str().expect("key").to_owned();
    let w = s
        .post(
            &format!("/api/projects/{id}/webhooks"),
            Some(&jwt),
            &json!({"url": receiver.url, "events": ["limit.exceeded"], "description": "alerts"}),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED, "{}", w.text);
    let wid = w.body["id"].as_str().expect("wid").to_owned();
    let secret = w.body["secret"].as_str().expect("secret").to_owned();
    (jwt, id, key, wid, secret)
}

async fn deny(s: &TestServer, key: &str, identity: &str) {
    let r = s
        .client
        .post(format!("{}/api/v1/proxy/chat", s.base))
        .header("x-project-key", key)
        .json(&json!({"identity": identity, "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "a secret prompt"}]}))
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
}

async fn signed_once_per_identity_and_period(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let (jwt, id, key, wid, secret) = setup(&s, &receiver).await;
    // Concurrent denials of one identity, and one of another.
    let mut denials: Vec<_> = (0..20).map(|_| deny(&s, &key, "alice")).collect();
    denials.push(deny(&s, &key, "bob"));
    futures::future::join_all(denials).await;
    until(&s, "two events delivered", || {
        receiver.received().len() >= 2
    })
    .await;
    // Nothing more is due: exactly one event per identity and period.
    s.state
        .webhooks
        .deliverer
        .deliver_due()
        .await
        .expect("deliver");
    let got = receiver.received();
    assert_eq!(got.len(), 2, "{got:?}");
    let mut identities = Vec::new();
    for r in &got {
        assert_eq!(r.signature, expected_signature(&secret, r), "signature");
        assert!(r.id.starts_with("msg_"));
        let body: Value = serde_json::from_str(&r.body).expect("json");
        assert_eq!(body["type"], "limit.exceeded");
        assert_eq!(body["data"]["projectId"], id.as_str());
        assert_eq!(body["data"]["metric"], "requests");
        assert_eq!(body["data"]["used"], 0);
        assert_eq!(body["data"]["limit"], 0);
        assert_eq!(body["data"]["periodStart"], "2026-03-10T00:00:00Z");
        assert_eq!(body["data"]["periodEnd"], "2026-03-11T00:00:00Z");
        assert!(!r.body.contains("secret prompt"), "metadata only");
        identities.push(
            body["data"]["identity"]
                .as_str()
                .expect("identity")
                .to_owned(),
        );
    }
    identities.sort();
    assert_eq!(identities, ["alice", "bob"]);
    verify_with_standardwebhooks(&secret, &got).await;
    let path = format!("/api/projects/{id}/webhooks/{wid}/deliveries");
    let log = log_when(&s, &jwt, &path, |log| {
        log["items"]
            .as_array()
            .is_some_and(|items| items.iter().all(|d| d["status"] == "delivered"))
    })
    .await;
    let items = log["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert!(
        items
            .iter()
            .all(|d| d["attempts"] == 1 && d["lastResponseStatus"] == 200)
    );

    // Erasing an identity erases its events.
    let gone = s
        .delete(&format!("/api/projects/{id}/identities/alice"), Some(&jwt))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    let log = s
        .get(
            &format!("/api/projects/{id}/webhooks/{wid}/deliveries"),
            Some(&jwt),
        )
        .await;
    assert_eq!(log.body["items"].as_array().map(Vec::len), Some(1));

    // The next period fires again.
    s.clock.advance(Duration::days(1));
    deny(&s, &key, "alice").await;
    until(&s, "the next day's event", || {
        receiver.received().len() == 3
    })
    .await;
    s.stop().await;
}

async fn endpoints_and_their_errors(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let (jwt, id, _, wid, _) = setup(&s, &receiver).await;
    let base = format!("/api/projects/{id}/webhooks");
    let list = s.get(&base, Some(&jwt)).await;
    assert_eq!(list.body.as_array().map(Vec::len), Some(1));
    assert!(
        list.body[0].get("secret").is_none(),
        "no secret in listings"
    );
    assert_eq!(list.body[0]["enabled"], true);
    assert_eq!(list.body[0]["description"], "alerts");
    for (body, field) in [
        (
            json!({"url": "ftp://example.com/x", "events": ["limit.exceeded"]}),
            "url",
        ),
        (
            json!({"url": "not a url", "events": ["limit.exceeded"]}),
            "url",
        ),
        (
            json!({"url": receiver.url, "events": ["limit.nope"]}),
            "events[0]",
        ),
        (json!({"url": receiver.url, "events": []}), "events"),
        (json!({"url": receiver.url}), "events"),
    ] {
        let r = s.post(&base, Some(&jwt), &body).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.body["error"], "invalid_request");
        assert_eq!(r.body["field"], field, "{body}");
    }
    let rotated = s
        .post(
            &format!("{base}/{wid}/rotate-secret"),
            Some(&jwt),
            &json!({}),
        )
        .await;
    assert_eq!(rotated.status, StatusCode::OK);
    let secret = rotated.body["secret"].as_str().expect("secret").to_owned();
    let test = s
        .post(&format!("{base}/{wid}/test"), Some(&jwt), &json!({}))
        .await;
    assert_eq!(test.status, StatusCode::ACCEPTED);
    until(&s, "the test event", || receiver.received().len() == 1).await;
    let got = &receiver.received()[0];
    assert_eq!(
        got.signature,
        expected_signature(&secret, got),
        "new secret signs"
    );
    assert!(got.body.contains("webhook.test"));
    let patched = s
        .patch(
            &format!("{base}/{wid}"),
            Some(&jwt),
            &json!({"enabled": false, "events": ["limit.warning", "limit.exceeded"]}),
        )
        .await;
    assert_eq!(patched.status, StatusCode::OK, "{}", patched.text);
    assert_eq!(patched.body["enabled"], false);
    assert_eq!(
        patched.body["events"],
        json!(["limit.warning", "limit.exceeded"])
    );
    let other = s
        .sign_in_new(&unique_email("other"), &unique_org("Other"))
        .await;
    assert_eq!(
        s.get(&format!("{base}/{wid}"), Some(&other)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        s.delete(&format!("{base}/{wid}"), Some(&jwt)).await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        s.get(&format!("{base}/{wid}"), Some(&jwt)).await.status,
        StatusCode::NOT_FOUND
    );
    s.stop().await;
}

/// Five test events listed two at a time: every delivery once, newest first, the last page
/// without a cursor; a made-up cursor or limit is a 400 naming its field.
async fn the_delivery_log_pages_with_a_cursor(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let (jwt, id, _, wid, _) = setup(&s, &receiver).await;
    let base = format!("/api/projects/{id}/webhooks/{wid}");
    for _ in 0..5 {
        let test = s
            .post(&format!("{base}/test"), Some(&jwt), &json!({}))
            .await;
        assert_eq!(test.status, StatusCode::ACCEPTED);
    }
    let whole = s.get(&format!("{base}/deliveries"), Some(&jwt)).await.body;
    let all: Vec<Value> = whole["items"].as_array().expect("items").clone();
    assert_eq!(all.len(), 5, "{whole}");
    assert_eq!(whole["nextCursor"], Value::Null);
    let mut paged = Vec::new();
    let mut cursor = String::new();
    for page in 0.. {
        let r = s
            .get(
                &format!("{base}/deliveries?limit=2&cursor={cursor}"),
                Some(&jwt),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let items = r.body["items"].as_array().expect("items").clone();
        assert!(items.len() <= 2);
        paged.extend(items);
        match r.body["nextCursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => {
                assert_eq!(page, 2, "pages of 2, 2 and 1");
                break;
            }
        }
    }
    let ids = |items: &[Value]| items.iter().map(|d| d["id"].clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&paged),
        ids(&all),
        "every delivery once, in the same order"
    );
    for (query, field) in [
        ("cursor=bm9wZQ", "cursor"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
    ] {
        let r = s
            .get(&format!("{base}/deliveries?{query}"), Some(&jwt))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}: {}", r.text);
        assert_eq!(r.body["field"], field, "{query}");
    }
    s.stop().await;
}

/// A receiver failing, then recovering: retried with backoff (the fake clock makes the retry
/// due), across a restart of the server, and the endpoint disabled after 24 hours of failures.
#[tokio::test]
async fn retries_survive_a_restart_and_endless_failures_disable() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let receiver = Receiver::start().await;
    receiver.status.store(500, Ordering::SeqCst);
    let (jwt, id, key, wid, _) = setup(&s, &receiver).await;
    deny(&s, &key, "carol").await;
    until(&s, "a failed attempt", || !receiver.received().is_empty()).await;
    let path = format!("/api/projects/{id}/webhooks/{wid}/deliveries");
    let log = log_when(&s, &jwt, &path, |log| log["items"][0]["attempts"] == 1).await;
    assert_eq!(log["items"][0]["status"], "pending");
    assert_eq!(log["items"][0]["lastResponseStatus"], 500);
    assert!(log["items"][0]["nextAttemptAt"].is_string());

    // Restart mid-retry: the outbox is in the database.
    let url = format!("sqlite://{}/server.db", s.dir.path().display());
    let dir = s.stop().await;
    let s = TestServer::start_config(Config::development(url).expect("config"), dir, None).await;
    receiver.status.store(200, Ordering::SeqCst);
    s.clock.advance(Duration::hours(1));
    until(&s, "delivered after the restart", || {
        receiver.received().iter().any(|r| r.body.contains("carol"))
            && receiver.received().len() >= 2
    })
    .await;
    let log = log_when(&s, &jwt, &path, |log| {
        log["items"][0]["status"] == "delivered"
    })
    .await;
    assert_eq!(log["items"][0]["attempts"], 2);
    let first = receiver.received()[0].id.clone();
    assert!(
        receiver.received().iter().all(|r| r.id == first),
        "the same webhook-id on every attempt"
    );

    // Failing for over 24 hours disables the endpoint.
    receiver.status.store(503, Ordering::SeqCst);
    // Counted before the denial: the background deliverer may attempt at once.
    let attempts = receiver.received().len();
    deny(&s, &key, "dave").await;
    until(&s, "a failing attempt", || {
        receiver.received().len() > attempts
    })
    .await;
    s.clock.advance(Duration::hours(25));
    let w = format!("/api/projects/{id}/webhooks/{wid}");
    for _ in 0..500 {
        if s.get(&w, Some(&jwt)).await.body["enabled"] == false {
            break;
        }
        let _ = s.state.webhooks.deliverer.deliver_due().await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(s.get(&w, Some(&jwt)).await.body["enabled"], false);
    // Re-enabled by the user.
    let on = s.patch(&w, Some(&jwt), &json!({"enabled": true})).await;
    assert_eq!(on.body["enabled"], true);
    s.stop().await;
}

/// Two server instances on one PostgreSQL database: each event is delivered once.
#[tokio::test]
async fn two_instances_on_postgres_deliver_each_event_once() {
    let Some(a) = TestServer::start(Backend::Postgres).await else {
        return;
    };
    let b = TestServer::start_config(
        a.state.config.clone(),
        tempfile::tempdir().expect("dir"),
        None,
    )
    .await;
    let receiver = Receiver::start().await;
    let (jwt, id, key, wid, _) = setup(&a, &receiver).await;
    // Denials through both instances, the same identities on each.
    let names: Vec<String> = (0..8).map(|i| format!("user-{i}")).collect();
    let mut denials = Vec::new();
    for name in &names {
        denials.push(deny(&a, &key, name));
        denials.push(deny(&b, &key, name));
    }
    futures::future::join_all(denials).await;
    // Both deliverers run (in the background and here), racing for the same rows.
    for _ in 0..500 {
        if receiver.received().len() >= 8 {
            break;
        }
        let _ = futures::future::join(
            a.state.webhooks.deliverer.deliver_due(),
            b.state.webhooks.deliverer.deliver_due(),
        )
        .await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let _ = futures::future::join(
        a.state.webhooks.deliverer.deliver_due(),
        b.state.webhooks.deliverer.deliver_due(),
    )
    .await;
    let got = receiver.received();
    let mut ids: Vec<&str> = got.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(got.len(), 8, "one delivery per identity");
    assert_eq!(ids.len(), 8, "no event twice");
    let log = a
        .get(
            &format!("/api/projects/{id}/webhooks/{wid}/deliveries"),
            Some(&jwt),
        )
        .await;
    assert_eq!(log.body["items"].as_array().map(Vec::len), Some(8));
    b.stop().await;
    a.stop().await;
}

/// A production server refuses webhook URLs on loopback, private or link-local addresses,
/// unless `WEBHOOK_ALLOW_PRIVATE_NETWORKS=true`.
#[tokio::test]
async fn production_refuses_private_addresses_unless_allowed() {
    for allow in [false, true] {
        let Some(s) = TestServer::start_with(Backend::Sqlite, |raw| {
            raw.app_env = Some("production".to_owned());
            raw.jwt_secret = Some("a-production-secret-of-more-than-32-bytes".to_owned());
            raw.encryption_key = Some(crate::harness::base64_key(3));
            raw.resend_api_key = Some("re_test_key".to_owned());
            raw.email_from = Some("AI Ratelimit <login@example.com>".to_owned());
            raw.public_url = Some("https://ratelimit.example.com".to_owned());
            raw.webhook_allow_private_networks = allow;
        })
        .await
        else {
            return;
        };
        // A session without the e-mail round trip.
        let now = s.state.clock.now();
        let user = ai_ratelimit_server::accounts::create_organization_with_user(
            s.state.db.pool(),
            &unique_org("Prod"),
            &unique_email("prod"),
            None,
            now,
        )
        .await
        .expect("user");
        let jwt = s.state.sessions.issue(&user, now).expect("session");
        let p = s
            .post("/api/projects", Some(&jwt), &json!({"name": "p"}))
            .await;
        let id = p.body["id"].as_str().expect("id").to_owned();
        for url in [
            "http://127.0.0.1:9/hook",
            "http://10.0.0.8/hook",
            "http://169.254.169.254/latest",
            "http://localhost/hook",
        ] {
            let r = s
                .post(
                    &format!("/api/projects/{id}/webhooks"),
                    Some(&jwt),
                    &json!({"url": url, "events": ["limit.exceeded"]}),
                )
                .await;
            if allow {
                assert_eq!(r.status, StatusCode::CREATED, "{url}: {}", r.text);
            } else {
                assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}");
                assert_eq!(r.body["field"], "url");
                assert!(
                    r.text.contains("WEBHOOK_ALLOW_PRIVATE_NETWORKS"),
                    "{}",
                    r.text
                );
            }
        }
        s.stop().await;
    }
}

/// Checks deliveries with the `standardwebhooks` Python package (tests/python/verify_webhook.py)
/// in `AIRL_TEST_PYTHON` (scripts/test.sh installs it). Without the package: skipped outside
/// CI, a failure under `CI=true`.
async fn verify_with_standardwebhooks(secret: &str, got: &[Received]) {
    use tokio::io::AsyncWriteExt as _;
    let python = std::env::var("AIRL_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned());
    let probe = tokio::process::Command::new(&python)
        .args(["-c", "import standardwebhooks"])
        .output()
        .await;
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "standardwebhooks is not importable by {python} under CI=true (run scripts/test.sh)"
        );
        eprintln!("SKIPPED: standardwebhooks is not importable by {python}");
        return;
    }
    let script = format!(
        "{}/tests/python/verify_webhook.py",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut child = tokio::process::Command::new(&python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    let mut input = String::new();
    for r in got {
        input.push_str(
            &json!({"secret": secret, "id": r.id, "timestamp": r.timestamp, "signature": r.signature, "body": r.body})
                .to_string(),
        );
        input.push('\n');
    }
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(input.as_bytes()).await.expect("written");
    drop(stdin);
    let output = child.wait_with_output().await.expect("finished");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(
        stdout
            .lines()
            .filter(|l| *l == "verified limit.exceeded")
            .count(),
        got.len(),
        "{stdout}"
    );
    assert!(stdout.contains("tampered rejected"), "{stdout}");
}

/// A non-blocking rule's warning fires `limit.warning` once per identity and period; an
/// endpoint subscribed only to it gets no `limit.exceeded`.
#[tokio::test]
async fn warnings_fire_limit_warning_once_per_period() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let upstream = crate::proxy::MockUpstream::start().await;
    let receiver = Receiver::start().await;
    let (jwt, id, key) = crate::proxy::project(
        &s,
        json!({"name": "w", "baseUrl": upstream.url(), "dailyRequestLimit": 3,
            "rules": [{"condition": {"type": "usage_absolute", "metric": "requests", "operator": "gte", "threshold": 1},
                "action": {"type": "custom_response", "response": {"message": "{{used}} of {{limit}}"}, "block": false}}]}),
    )
    .await;
    let w = s
        .post(
            &format!("/api/projects/{id}/webhooks"),
            Some(&jwt),
            &json!({"url": receiver.url, "events": ["limit.warning"]}),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED);
    let secret = w.body["secret"].as_str().expect("secret").to_owned();
    let chat = json!({"identity": "erin", "model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]});
    // The first request is not warned (no usage yet); the second and third are; the fourth is
    // denied (no subscriber for that).
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let r = s
            .client
            .post(format!("{}/api/v1/proxy/chat", s.base))
            .header("x-project-key", &key)
            .json(&chat)
            .send()
            .await
            .expect("sent");
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 200, 429]);
    until(&s, "the warning", || !receiver.received().is_empty()).await;
    s.state
        .webhooks
        .deliverer
        .deliver_due()
        .await
        .expect("deliver");
    let got = receiver.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].signature, expected_signature(&secret, &got[0]));
    let body: Value = serde_json::from_str(&got[0].body).expect("json");
    assert_eq!(body["type"], "limit.warning");
    assert_eq!(body["data"]["identity"], "erin");
    assert_eq!(body["data"]["limit"], 3);
    s.stop().await;
}

/// The project cap fires `project_limit.exceeded` once per project and period, whoever hits it.
#[tokio::test]
async fn project_cap_fires_once_per_project_and_period() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let receiver = Receiver::start().await;
    let jwt = s
        .sign_in_new(&unique_email("cap"), &unique_org("Cap"))
        .await;
    let p = s
        .post(
            "/api/projects",
            Some(&jwt),
            &json!({"name": "c", "dailyRequestLimit": 10, "projectLimits": {"requestLimit": 0, "tokenLimit": null}}),
        )
        .await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.text);
    let id = p.body["id"].as_str().expect("id").to_owned();
    let key = p.body["projectKey"].as_str().expect("key").to_owned();
    let w = s
        .post(
            &format!("/api/projects/{id}/webhooks"),
            Some(&jwt),
            &json!({"url": receiver.url, "events": ["project_limit.exceeded", "limit.exceeded"]}),
        )
        .await;
    assert_eq!(w.status, StatusCode::CREATED);
    for who in ["a", "b", "c"] {
        deny(&s, &key, who).await;
    }
    until(&s, "the cap's event", || !receiver.received().is_empty()).await;
    s.state
        .webhooks
        .deliverer
        .deliver_due()
        .await
        .expect("deliver");
    let got = receiver.received();
    assert_eq!(got.len(), 1, "{got:?}");
    let body: Value = serde_json::from_str(&got[0].body).expect("json");
    assert_eq!(body["type"], "project_limit.exceeded");
    assert_eq!(body["data"]["limit"], 0);
    s.stop().await;
}
