//! The layer over toy `tower::service_fn` services.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, AsUsageKey, FakeClock, Limiter, MemoryStore, PageRequest, Period,
    PeriodTotals, Policy, Reservation, SharedStore, StoreError, Usage, UsagePage, UsageStore,
};
use ai_ratelimit_tower::{
    ClientIpSource, HeaderExtractor, Outcome, RateLimitError, RateLimitLayer, Rejection,
    RequestRecord, ScopedPolicy, Subject, SubjectExtractor, TokenReporter, TokensUsed,
};
use bytes::Bytes;
use chrono::{DateTime, Duration, TimeZone, Utc};
use futures::FutureExt;
use futures::channel::mpsc;
use futures::future::BoxFuture;
use http::{HeaderMap, Request, Response, StatusCode};
use http_body::Frame;
use http_body_util::{BodyExt, Full, StreamBody};
use serde_json::{Value, json};
use tokio::sync::mpsc::{UnboundedReceiver, unbounded_channel};
use tower::{Service, ServiceBuilder, ServiceExt, service_fn};

type ChunkSender = mpsc::UnboundedSender<Result<Frame<Bytes>, Infallible>>;
type ChunkReceiver = mpsc::UnboundedReceiver<Result<Frame<Bytes>, Infallible>>;

fn policy(value: Value) -> Arc<Policy> {
    Arc::new(Policy::from_json(&value).expect("valid policy"))
}

fn request(identity: Option<&str>, tier: Option<&str>) -> Request<Full<Bytes>> {
    let mut builder = Request::post("/chat");
    if let Some(identity) = identity {
        builder = builder.header("x-identity", identity);
    }
    if let Some(tier) = tier {
        builder = builder.header("x-tier", tier);
    }
    builder
        .body(Full::new(Bytes::from("{}")))
        .expect("valid request")
}

/// An inner service answering 200 "ok" and counting its calls.
fn counting_ok(
    calls: Arc<AtomicUsize>,
) -> impl Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    service_fn(move |_req: Request<Full<Bytes>>| {
        calls.fetch_add(1, Ordering::SeqCst);
        async { Ok(Response::new(Full::new(Bytes::from("ok")))) }
    })
}

async fn send<S, B>(
    service: &mut S,
    request: Request<Full<Bytes>>,
) -> (StatusCode, HeaderMap, Bytes)
where
    S: Service<Request<Full<Bytes>>, Response = Response<B>>,
    S::Error: std::fmt::Debug,
    B: http_body::Body,
    B::Error: std::fmt::Debug,
{
    let response = service
        .ready()
        .await
        .expect("ready")
        .call(request)
        .await
        .expect("a response");
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await.expect("body").to_bytes();
    (parts.status, parts.headers, bytes)
}

fn json_of(bytes: &Bytes) -> Value {
    serde_json::from_slice(bytes).expect("JSON body")
}

fn observer_channel() -> (
    impl Fn(&RequestRecord) + Send + Sync + 'static,
    UnboundedReceiver<RequestRecord>,
) {
    let (tx, rx) = unbounded_channel();
    (move |r: &RequestRecord| drop(tx.send(r.clone())), rx)
}

/// A fresh in-memory limiter as each kind of store drives the layer: in-process (every
/// call done on its first poll) and remote (every call waits once, so the layer's waiting
/// paths run: settlements polled later or spawned).
fn limiters() -> [Limiter; 2] {
    [
        Limiter::new(SharedStore::new(MemoryStore::new())),
        Limiter::new(SharedStore::new(RemoteMemory::default())),
    ]
}

async fn usage_of<S: UsageStore>(
    limiter: &Limiter<S>,
    policy: &Policy,
    scope: &str,
    identity: &str,
) -> Usage {
    limiter
        .usage(policy, scope, identity)
        .await
        .expect("usage")
        .1
}

#[tokio::test]
async fn admits_up_to_the_limit_then_denies_with_json_and_headers() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut service = ServiceBuilder::new()
        .layer(RateLimitLayer::fixed(
            "app",
            policy(json!({"dailyRequestLimit": 2})),
        ))
        .service(counting_ok(calls.clone()));

    let (status, headers, body) = send(&mut service, request(Some("u1"), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
    assert_eq!(headers["x-ratelimit-limit-requests"], "2");
    assert_eq!(headers["x-ratelimit-remaining-requests"], "1");
    assert_eq!(headers["ratelimit-policy"], "\"requests\";q=2;w=86400");
    assert!(
        headers["ratelimit"]
            .to_str()
            .expect("ascii")
            .starts_with("\"requests\";r=1;t=")
    );
    assert!(headers.contains_key("x-ratelimit-reset"));
    assert!(!headers.contains_key("retry-after"));

    let (_, headers, _) = send(&mut service, request(Some("u1"), None)).await;
    assert_eq!(headers["x-ratelimit-remaining-requests"], "0");

    let (status, headers, body) = send(&mut service, request(Some("u1"), None)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-ratelimit-remaining-requests"], "0");
    let retry_after: u64 = headers["retry-after"]
        .to_str()
        .expect("ascii")
        .parse()
        .expect("seconds");
    assert!((1..=86_400).contains(&retry_after));
    let body = json_of(&body);
    assert_eq!(body["error"], "limit_exceeded");
    assert_eq!(body["message"], "Daily limit reached");
    assert_eq!(body["limitType"], "requests");
    assert_eq!(body["usage"], json!({"requestsUsed": 2, "tokensUsed": 0}));
    assert_eq!(
        body["limits"],
        json!({"requestLimit": 2, "tokenLimit": null})
    );
    assert!(body["resetAt"].is_string());
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the denied request is not forwarded"
    );

    // Another identity has its own counter.
    let (status, _, _) = send(&mut service, request(Some("u2"), None)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn invalid_identities_and_tiers_get_400_with_their_field() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut service = RateLimitLayer::new(Policy::from_json(&json!({})).expect("policy"))
        .layer_over(counting_ok(calls.clone()));

    let (status, _, body) = send(&mut service, request(None, None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body = json_of(&body);
    assert_eq!(body["error"], "invalid_request");
    assert_eq!(body["field"], "identity");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("x-identity"))
    );

    let mut non_utf8 = request(None, None);
    non_utf8.headers_mut().insert(
        "x-identity",
        http::HeaderValue::from_bytes(b"caf\xc3\xa9").expect("opaque header"),
    );
    let (status, _, body) = send(&mut service, non_utf8).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&body)["field"], "identity");

    let mut bad_tier = request(Some("u"), None);
    bad_tier.headers_mut().insert(
        "x-tier",
        http::HeaderValue::from_bytes(b"\xff").expect("opaque header"),
    );
    let (status, _, body) = send(&mut service, bad_tier).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&body)["field"], "tier");

    let long = "x".repeat(257);
    let (status, _, body) = send(&mut service, request(Some(&long), None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&body)["field"], "identity");

    let (status, _, body) = send(&mut service, request(Some("u"), Some(&"t".repeat(65)))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&body)["field"], "tier");
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

/// `layer.layer(service)` reads badly in tests; this names it.
trait LayerOver<E, St> {
    fn layer_over<S>(self, service: S) -> ai_ratelimit_tower::RateLimit<S, E, St>;
}

impl<E, St> LayerOver<E, St> for RateLimitLayer<E, St> {
    fn layer_over<S>(self, service: S) -> ai_ratelimit_tower::RateLimit<S, E, St> {
        tower::Layer::layer(&self, service)
    }
}

#[tokio::test]
async fn tiers_have_their_own_limits() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut service = RateLimitLayer::fixed(
        "app",
        policy(json!({
            "dailyRequestLimit": 1,
            "tiers": {"pro": {"requestLimit": 3, "tokenLimit": null}}
        })),
    )
    .layer_over(counting_ok(calls.clone()));

    for expected in ["2", "1", "0"] {
        let (status, headers, _) = send(&mut service, request(Some("p"), Some("pro"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers["x-ratelimit-limit-requests"], "3");
        assert_eq!(headers["x-ratelimit-remaining-requests"], expected);
    }
    let (status, _, _) = send(&mut service, request(Some("p"), Some("pro"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // No tier (and an unknown tier) get the default limit; an empty tier header is no tier.
    let (status, headers, _) = send(&mut service, request(Some("f"), Some(""))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-ratelimit-limit-requests"], "1");
    let (status, _, _) = send(&mut service, request(Some("f"), Some("gold"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(calls.load(Ordering::SeqCst), 4);
}

fn rule(condition: Value, action: Value) -> Value {
    json!({"id": "r1", "name": "rule", "enabled": true, "condition": condition, "action": action})
}

#[tokio::test]
async fn a_block_rule_denies_without_forwarding() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut service = RateLimitLayer::fixed(
        "app",
        policy(json!({
            "dailyRequestLimit": 10,
            "rules": [rule(json!({"type": "tier_match", "value": "banned"}), json!({"type": "block"}))]
        })),
    )
    .layer_over(counting_ok(calls.clone()));

    let (status, headers, body) = send(&mut service, request(Some("u"), Some("banned"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(json_of(&body)["error"], "blocked");
    assert!(headers.contains_key("retry-after"));
    assert_eq!(headers["x-ratelimit-remaining-requests"], "10");
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    let (status, _, _) = send(&mut service, request(Some("u"), None)).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn a_blocking_custom_response_uses_its_status_and_template() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut service = RateLimitLayer::fixed(
        "app",
        policy(json!({
            "dailyRequestLimit": 10,
            "rules": [rule(
                json!({"type": "usage_absolute", "metric": "requests", "operator": "gte", "threshold": 1}),
                json!({"type": "custom_response", "status": 402, "response": {"error": "upgrade", "message": "{{used}} of {{limit}}"}})
            )]
        })),
    )
    .layer_over(counting_ok(calls.clone()));

    let (status, _, _) = send(&mut service, request(Some("u"), None)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, body) = send(&mut service, request(Some("u"), None)).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert_eq!(
        json_of(&body),
        json!({"error": "upgrade", "message": "1 of 10"})
    );
    assert_eq!(headers["x-ratelimit-remaining-requests"], "9");
    assert!(
        !headers.contains_key("retry-after"),
        "only 429 and 503 carry Retry-After"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_warning_rule_admits_with_the_warning_header() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut service = RateLimitLayer::fixed(
        "app",
        policy(json!({
            "dailyRequestLimit": 2,
            "rules": [rule(
                json!({"type": "usage_percent", "metric": "requests", "operator": "gte", "threshold": 50}),
                json!({"type": "custom_response", "block": false, "response": {"message": "{{percent}}% used — slow down"}})
            )]
        })),
    )
    .layer_over(counting_ok(calls.clone()));

    let (_, headers, _) = send(&mut service, request(Some("u"), None)).await;
    assert!(!headers.contains_key("x-ratelimit-warning"));
    let (status, headers, body) = send(&mut service, request(Some("u"), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
    assert_eq!(
        headers["x-ratelimit-warning"],
        "{\"message\":\"50% used \\u2014 slow down\"}"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn project_keys_select_the_policy_and_unknown_keys_get_401() {
    let calls = Arc::new(AtomicUsize::new(0));
    let projects = HashMap::from([
        (
            "pk_one".to_owned(),
            ScopedPolicy::new("project-1", policy(json!({"dailyRequestLimit": 1}))),
        ),
        (
            "pk_two".to_owned(),
            ScopedPolicy::new("project-2", policy(json!({"dailyRequestLimit": 5}))),
        ),
    ]);
    let mut service =
        RateLimitLayer::by_project_key(projects).layer_over(counting_ok(calls.clone()));
    let keyed = |key: Option<&str>| {
        let mut r = request(Some("u"), None);
        if let Some(key) = key {
            r.headers_mut()
                .insert("x-project-key", key.parse().expect("header value"));
        }
        r
    };

    for key in [None, Some("pk_nope"), Some("")] {
        let (status, headers, body) = send(&mut service, keyed(key)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "key {key:?}");
        assert_eq!(headers["content-type"], "application/json");
        let body = json_of(&body);
        assert_eq!(body["error"], "invalid_project_key");
        assert!(body["message"].is_string());
    }

    let (status, headers, _) = send(&mut service, keyed(Some("pk_one"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-ratelimit-limit-requests"], "1");
    let (status, _, _) = send(&mut service, keyed(Some("pk_one"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // The same identity in another project has its own counter.
    let (status, headers, _) = send(&mut service, keyed(Some("pk_two"))).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers["x-ratelimit-remaining-requests"], "4");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_failing_lookup_gets_503_and_a_closure_lookup_works() {
    let knows_nothing = |_key: String| async { None::<ScopedPolicy> };
    let mut service = RateLimitLayer::by_project_key(knows_nothing)
        .layer_over(counting_ok(Arc::new(AtomicUsize::new(0))));
    let mut r = request(Some("u"), None);
    r.headers_mut()
        .insert("x-project-key", "pk_x".parse().expect("header value"));
    let (status, _, _) = send(&mut service, r).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    struct Broken;
    impl ai_ratelimit_tower::ProjectKeyLookup for Broken {
        fn lookup<'a>(
            &'a self,
            _key: &'a str,
        ) -> BoxFuture<'a, Result<Option<ScopedPolicy>, RateLimitError>> {
            Box::pin(async {
                Err(RateLimitError::policy_lookup(std::io::Error::other(
                    "database down",
                )))
            })
        }
    }
    let mut service = RateLimitLayer::by_project_key(Broken)
        .layer_over(counting_ok(Arc::new(AtomicUsize::new(0))));
    let mut r = request(Some("u"), None);
    r.headers_mut()
        .insert("x-project-key", "pk_x".parse().expect("header value"));
    let (status, _, body) = send(&mut service, r).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_of(&body)["error"], "policy_unavailable");
}

/// An inner service that streams whatever the test sends on a channel and hands the test
/// the request's `TokenReporter`.
fn streaming(
    rx: ChunkReceiver,
    reporter_out: Arc<Mutex<Option<TokenReporter>>>,
) -> impl Service<
    Request<Full<Bytes>>,
    Response = Response<StreamBody<ChunkReceiver>>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    let rx = Arc::new(Mutex::new(Some(rx)));
    service_fn(move |req: Request<Full<Bytes>>| {
        let reporter = req.extensions().get::<TokenReporter>().cloned();
        *reporter_out.lock().expect("lock") = reporter;
        let body = rx
            .lock()
            .expect("lock")
            .take()
            .expect("one request per test");
        async move { Ok(Response::new(StreamBody::new(body))) }
    })
}

fn chunk(tx: &ChunkSender, text: &'static str) {
    tx.unbounded_send(Ok(Frame::data(Bytes::from(text))))
        .expect("body alive");
}

#[tokio::test(start_paused = true)]
async fn a_streaming_body_settles_the_reported_tokens_when_it_ends() {
    let limiter = Limiter::new(MemoryStore::new());
    let p = policy(json!({"limitType": "tokens", "dailyTokenLimit": 1000}));
    let (tx, rx) = mpsc::unbounded();
    let reporter = Arc::new(Mutex::new(None));
    let (observer, mut records) = observer_channel();
    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .extractor(HeaderExtractor::new().estimated_tokens(100))
        .observer(observer)
        .layer_over(streaming(rx, reporter.clone()));

    let response = service
        .ready()
        .await
        .expect("ready")
        .call(request(Some("s"), None))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-ratelimit-remaining-tokens"], "900");
    let in_flight = usage_of(&limiter, &p, "app", "s").await;
    assert_eq!((in_flight.requests, in_flight.reserved_tokens), (1, 100));

    let reporter = reporter.lock().expect("lock").take().expect("a reporter");
    let mut body = response.into_body();
    for text in ["a", "b", "c"] {
        chunk(&tx, text);
        reporter.add(10);
        let frame = body.frame().await.expect("a frame").expect("data");
        assert_eq!(frame.into_data().expect("data"), text);
    }
    assert!(!http_body::Body::is_end_stream(&body));
    drop(tx);
    assert!(body.frame().await.is_none(), "the stream ends");

    // Settled before the end was reported: nothing to wait for.
    let after = usage_of(&limiter, &p, "app", "s").await;
    assert_eq!(
        (after.requests, after.tokens, after.reserved_tokens),
        (1, 30, 0)
    );
    let record = records.recv().await.expect("a record");
    assert_eq!(record.outcome, Outcome::Allowed);
    assert_eq!(record.tokens, Some(30));
    assert_eq!(record.status, Some(200));
    assert_eq!(record.identity.as_deref(), Some("s"));
    assert_eq!(record.scope.as_deref(), Some("app"));
}

#[tokio::test(start_paused = true)]
async fn a_body_dropped_early_still_settles_reported_tokens_or_the_estimate() {
    for ((reported, expected), limiter) in [(Some(7), 7), (None, 100)]
        .into_iter()
        .flat_map(|case| limiters().map(|limiter| (case, limiter)))
    {
        let p =
            policy(json!({"limitType": "both", "dailyRequestLimit": 5, "dailyTokenLimit": 1000}));
        let (tx, rx) = mpsc::unbounded();
        let reporter = Arc::new(Mutex::new(None));
        let (observer, mut records) = observer_channel();
        let mut service = RateLimitLayer::fixed("app", p.clone())
            .limiter(limiter.clone())
            .extractor(HeaderExtractor::new().estimated_tokens(100))
            .observer(observer)
            .layer_over(streaming(rx, reporter.clone()));

        let response = service
            .ready()
            .await
            .expect("ready")
            .call(request(Some("d"), None))
            .await
            .expect("response");
        if let Some(tokens) = reported {
            let handle = reporter.lock().expect("lock").take().expect("a reporter");
            handle.set(tokens);
        }
        let mut body = response.into_body();
        chunk(&tx, "first");
        assert!(body.frame().await.is_some());
        drop(body); // the client went away mid-stream

        let record = records.recv().await.expect("settled on a spawned task");
        assert_eq!(record.tokens, Some(expected));
        let usage = usage_of(&limiter, &p, "app", "d").await;
        assert_eq!(
            (usage.requests, usage.tokens, usage.reserved_tokens),
            (1, expected, 0)
        );
    }
}

#[tokio::test]
async fn a_tokens_used_extension_settles_with_its_count() {
    for limiter in limiters() {
        tokens_used_settles_with_its_count(limiter).await;
    }
}

async fn tokens_used_settles_with_its_count(limiter: Limiter) {
    let p = policy(json!({"limitType": "tokens", "dailyTokenLimit": 100}));
    let inner = service_fn(|_req: Request<Full<Bytes>>| async {
        let mut response = Response::new(Full::new(Bytes::from("done")));
        response.extensions_mut().insert(TokensUsed(42));
        Ok::<_, Infallible>(response)
    });
    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .extractor(HeaderExtractor::new().estimated_tokens(10))
        .layer_over(inner);

    let response = service
        .ready()
        .await
        .expect("ready")
        .call(request(Some("t"), None))
        .await
        .expect("response");
    // In memory at once; a waiting store's settlement lands on its own task.
    let mut usage = usage_of(&limiter, &p, "app", "t").await;
    for _ in 0..10 {
        if usage.tokens == 42 {
            break;
        }
        tokio::task::yield_now().await;
        usage = usage_of(&limiter, &p, "app", "t").await;
    }
    assert_eq!((usage.tokens, usage.reserved_tokens), (42, 0));
    drop(response); // nothing left to settle: dropping changes nothing
    tokio::task::yield_now().await;
    assert_eq!(usage_of(&limiter, &p, "app", "t").await.tokens, 42);
}

#[tokio::test]
async fn an_inner_error_or_a_5xx_releases_the_admission_unless_told_otherwise() {
    for limiter in limiters() {
        inner_errors_and_5xx_release(limiter).await;
    }
}

async fn inner_errors_and_5xx_release(limiter: Limiter) {
    let p = policy(json!({"dailyRequestLimit": 3}));

    // Inner error: propagated as the error, not counted.
    let (observer, mut records) = observer_channel();
    let failing = service_fn(|_req: Request<Full<Bytes>>| async {
        Err::<Response<Full<Bytes>>, _>(std::io::Error::other("upstream down"))
    });
    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .observer(observer)
        .layer_over(failing);
    let result = service
        .ready()
        .await
        .expect("ready")
        .call(request(Some("e"), None))
        .await;
    assert!(result.is_err());
    assert_eq!(usage_of(&limiter, &p, "app", "e").await.requests, 0);
    let record = records.recv().await.expect("a record");
    assert_eq!(
        (record.outcome, record.status, record.tokens),
        (Outcome::Error, None, None)
    );

    // 5xx: passed through with the headers, not counted.
    let bad_gateway = service_fn(|_req: Request<Full<Bytes>>| async {
        let mut response = Response::new(Full::new(Bytes::from("upstream_error")));
        *response.status_mut() = StatusCode::BAD_GATEWAY;
        Ok::<_, Infallible>(response)
    });
    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .layer_over(bad_gateway);
    let (status, headers, body) = send(&mut service, request(Some("e"), None)).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(body, "upstream_error");
    assert!(headers.contains_key("x-ratelimit-remaining-requests"));
    assert_eq!(usage_of(&limiter, &p, "app", "e").await.requests, 0);

    // A 4xx counts by default.
    let refused = service_fn(|_req: Request<Full<Bytes>>| async {
        let mut response = Response::new(Full::new(Bytes::from("model_not_found")));
        *response.status_mut() = StatusCode::NOT_FOUND;
        Ok::<_, Infallible>(response)
    });
    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .layer_over(refused);
    let (status, _, _) = send(&mut service, request(Some("e"), None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(usage_of(&limiter, &p, "app", "e").await.requests, 1);

    // Opted out: a 5xx counts like any response.
    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .release_if(|_| false)
        .layer_over(bad_gateway);
    let (status, _, _) = send(&mut service, request(Some("e"), None)).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert_eq!(usage_of(&limiter, &p, "app", "e").await.requests, 2);
}

#[tokio::test]
async fn release_if_chooses_the_statuses_that_uncount() {
    for limiter in limiters() {
        let p = policy(json!({"dailyRequestLimit": 3}));
        let (observer, mut records) = observer_channel();
        let refused = service_fn(|req: Request<Full<Bytes>>| async move {
            let status = match req.headers()["x-answer"].to_str() {
                Ok("400") => StatusCode::BAD_REQUEST,
                Ok("502") => StatusCode::BAD_GATEWAY,
                _ => StatusCode::OK,
            };
            let mut response = Response::new(Full::new(Bytes::from("answer")));
            *response.status_mut() = status;
            Ok::<_, Infallible>(response)
        });
        let mut service = RateLimitLayer::fixed("app", p.clone())
            .limiter(limiter.clone())
            .release_if(|s: StatusCode| s.is_client_error() || s.is_server_error())
            .observer(observer)
            .layer_over(refused);
        for (answer, counted) in [("400", 0), ("502", 0), ("200", 1)] {
            let mut req = request(Some("r"), None);
            req.headers_mut()
                .insert("x-answer", answer.parse().expect("header"));
            let (status, headers, _) = send(&mut service, req).await;
            assert_eq!(status.as_str(), answer);
            assert!(headers.contains_key("x-ratelimit-remaining-requests"));
            assert_eq!(usage_of(&limiter, &p, "app", "r").await.requests, counted);
            let record = records.recv().await.expect("record");
            let expected = if counted == 1 {
                Outcome::Allowed
            } else {
                Outcome::Error
            };
            assert_eq!(record.outcome, expected, "{answer}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_the_limit_reaches_the_inner_service_under_concurrency() {
    for limiter in limiters() {
        exactly_the_limit_under_concurrency(limiter).await;
    }
}

async fn exactly_the_limit_under_concurrency(limiter: Limiter) {
    let calls = Arc::new(AtomicUsize::new(0));
    let service = ServiceBuilder::new()
        .layer(
            RateLimitLayer::fixed("app", policy(json!({"dailyRequestLimit": 20}))).limiter(limiter),
        )
        .service(counting_ok(calls.clone()));

    let tasks: Vec<_> = (0..200)
        .map(|_| {
            let service = service.clone();
            tokio::spawn(async move {
                service
                    .oneshot(request(Some("hot"), None))
                    .await
                    .expect("response")
                    .status()
            })
        })
        .collect();
    let mut admitted = 0;
    let mut limited = 0;
    for task in tasks {
        match task.await.expect("task") {
            StatusCode::OK => admitted += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!((admitted, limited), (20, 180));
    assert_eq!(calls.load(Ordering::SeqCst), 20);
}

#[tokio::test]
async fn readiness_is_the_inner_services_and_the_ready_instance_serves() {
    for limiter in limiters() {
        the_ready_instance_serves(limiter).await;
    }
}

async fn the_ready_instance_serves(limiter: Limiter) {
    // ConcurrencyLimit panics if called on an instance that was not polled ready, so this
    // also proves `call` uses the very instance `poll_ready` prepared.
    let inner = ServiceBuilder::new()
        .concurrency_limit(1)
        .service(counting_ok(Arc::new(AtomicUsize::new(0))));
    let mut first = RateLimitLayer::new(Policy::from_json(&json!({})).expect("policy"))
        .limiter(limiter)
        .layer_over(inner);
    let mut second = first.clone();

    first.ready().await.expect("first is ready");
    assert!(
        second.ready().now_or_never().is_none(),
        "the only permit is held by the first"
    );
    let response = first
        .call(request(Some("r"), None))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    drop(response);
    second.ready().await.expect("the permit came back");
    let response = second
        .call(request(Some("r"), None))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn limits_reset_with_the_window() {
    let clock = FakeClock::new(
        Utc.with_ymd_and_hms(2025, 3, 1, 23, 0, 0)
            .single()
            .expect("date"),
    );
    let limiter = Limiter::builder(MemoryStore::new())
        .clock(Arc::new(clock.clone()))
        .build()
        .expect("limiter");
    let mut service = RateLimitLayer::fixed("app", policy(json!({"dailyRequestLimit": 1})))
        .limiter(limiter)
        .layer_over(counting_ok(Arc::new(AtomicUsize::new(0))));

    let (status, _, _) = send(&mut service, request(Some("w"), None)).await;
    assert_eq!(status, StatusCode::OK);
    let (status, headers, _) = send(&mut service, request(Some("w"), None)).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(headers["retry-after"], "3600");
    assert_eq!(headers["x-ratelimit-reset"], "3600");
    clock.advance(Duration::hours(1));
    let (status, _, _) = send(&mut service, request(Some("w"), None)).await;
    assert_eq!(status, StatusCode::OK);
}

/// The in-memory store behaving as a remote one: every call waits once (a round trip)
/// before it answers.
#[derive(Debug, Default)]
struct RemoteMemory(MemoryStore);

impl UsageStore for RemoteMemory {
    async fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        tokio::task::yield_now().await;
        self.0.admit(request).await
    }
    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        self.0.settle(reservation, tokens).await
    }
    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        self.0.release(reservation).await
    }
    async fn usage<K: AsUsageKey>(&self, key: &K, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        tokio::task::yield_now().await;
        self.0.usage(key, now).await
    }
    async fn list_usage(
        &self,
        scope: &str,
        period: &Period,
        page: &PageRequest,
    ) -> Result<UsagePage, StoreError> {
        self.0.list_usage(scope, period, page).await
    }
    async fn totals(&self, scope: &str, period: &Period) -> Result<PeriodTotals, StoreError> {
        self.0.totals(scope, period).await
    }
}

#[tokio::test]
async fn the_limit_is_checked_inside_the_future_whatever_the_store() {
    let p = policy(json!({"dailyRequestLimit": 1}));
    for (limiter, decided_in_call) in limiters().into_iter().zip([false, false]) {
        let calls = Arc::new(AtomicUsize::new(0));
        let mut service = RateLimitLayer::fixed("app", p.clone())
            .limiter(limiter.clone())
            .layer_over(counting_ok(calls.clone()));
        let first = service
            .ready()
            .await
            .expect("ready")
            .call(request(Some("f"), None));
        let counted_before_poll = usage_of(&limiter, &p, "app", "f").await.requests;
        assert_eq!(counted_before_poll, u64::from(decided_in_call));
        assert_eq!(calls.load(Ordering::SeqCst), usize::from(decided_in_call));
        let response = first.await.expect("response");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let (status, _, _) = send(&mut service, request(Some("f"), None)).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    }
}

/// A store that is always down.
#[derive(Debug)]
struct DownStore;

impl UsageStore for DownStore {
    async fn admit<K: AsUsageKey>(&self, _: &AdmitRequest<K>) -> Result<AdmitOutcome, StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn settle(&self, _: &Reservation, _: u64) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn release(&self, _: &Reservation) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn usage<K: AsUsageKey>(&self, _: &K, _: DateTime<Utc>) -> Result<Usage, StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn list_usage(
        &self,
        _: &str,
        _: &Period,
        _: &PageRequest,
    ) -> Result<UsagePage, StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
    async fn totals(&self, _: &str, _: &Period) -> Result<PeriodTotals, StoreError> {
        Err(StoreError::Unavailable("down".into()))
    }
}

#[tokio::test]
async fn a_failed_store_follows_the_failure_mode() {
    let calls = Arc::new(AtomicUsize::new(0));
    let (observer, mut records) = observer_channel();
    let mut closed = RateLimitLayer::fixed("app", policy(json!({"dailyRequestLimit": 5})))
        .limiter(Limiter::new(Arc::new(DownStore)))
        .observer(observer)
        .layer_over(counting_ok(calls.clone()));
    let (status, headers, body) = send(&mut closed, request(Some("u"), None)).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(json_of(&body)["error"], "store_unavailable");
    assert_eq!(headers["retry-after"], "1");
    assert_eq!(
        records.recv().await.expect("record").outcome,
        Outcome::Unavailable
    );
    assert_eq!(calls.load(Ordering::SeqCst), 0);

    let open = Limiter::builder(Arc::new(DownStore))
        .failure_mode(ai_ratelimit_core::FailureMode::Open)
        .build()
        .expect("limiter");
    let mut open = RateLimitLayer::fixed("app", policy(json!({"dailyRequestLimit": 5})))
        .limiter(open)
        .layer_over(counting_ok(calls.clone()));
    let (status, _, _) = send(&mut open, request(Some("u"), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn the_client_ip_is_the_identity_of_anonymous_requests_when_enabled() {
    let limiter = Limiter::new(MemoryStore::new());
    let p = policy(json!({"dailyRequestLimit": 5}));
    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .extractor(HeaderExtractor::new().fallback_to_client_ip(ClientIpSource::ConnectInfo))
        .layer_over(counting_ok(Arc::new(AtomicUsize::new(0))));
    let mut anonymous = request(None, None);
    anonymous
        .extensions_mut()
        .insert(SocketAddr::from(([10, 0, 0, 7], 5555)));
    let (status, _, _) = send(&mut service, anonymous).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(usage_of(&limiter, &p, "app", "10.0.0.7").await.requests, 1);
    // Without an address there is nothing to fall back to.
    let (status, _, _) = send(&mut service, request(None, None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .extractor(HeaderExtractor::new().fallback_to_client_ip(ClientIpSource::ForwardedFor))
        .layer_over(counting_ok(Arc::new(AtomicUsize::new(0))));
    let mut proxied = request(None, None);
    proxied.headers_mut().insert(
        "x-forwarded-for",
        "1.1.1.1, 203.0.113.9".parse().expect("header value"),
    );
    proxied
        .extensions_mut()
        .insert(SocketAddr::from(([10, 0, 0, 1], 80)));
    let (status, _, _) = send(&mut service, proxied).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        usage_of(&limiter, &p, "app", "203.0.113.9").await.requests,
        1
    );
    // An identity header still wins.
    let (status, _, _) = send(&mut service, request(Some("named"), None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(usage_of(&limiter, &p, "app", "named").await.requests, 1);
}

#[tokio::test]
async fn a_closure_extractor_reads_anything_on_the_request() {
    #[derive(Clone)]
    struct User(&'static str);
    let limiter = Limiter::new(MemoryStore::new());
    let p = policy(json!({"dailyRequestLimit": 5}));
    let seen = Arc::new(Mutex::new(None));
    let seen_in = seen.clone();
    let inner = service_fn(move |req: Request<Full<Bytes>>| {
        *seen_in.lock().expect("lock") = req.extensions().get::<Subject>().cloned();
        async { Ok::<_, Infallible>(Response::new(Full::new(Bytes::new()))) }
    });
    let mut service = tower::Layer::layer(
        &RateLimitLayer::fixed("app", p.clone())
            .limiter(limiter.clone())
            .subject_fn(
                |req: &Request<Full<Bytes>>| match req.extensions().get::<User>() {
                    Some(User(id)) => Ok(Subject {
                        identity: (*id).to_owned(),
                        tier: Some("pro".to_owned()),
                        estimated_tokens: 3,
                    }),
                    None => Err(Rejection::new(
                        StatusCode::UNAUTHORIZED,
                        json!({"error": "unauthorized", "message": "Sign in first"}),
                    )),
                },
            ),
        inner,
    );
    let mut signed_in = request(None, None);
    signed_in.extensions_mut().insert(User("alice"));
    let (status, _, _) = send(&mut service, signed_in).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        seen.lock().expect("lock").clone(),
        Some(Subject {
            identity: "alice".into(),
            tier: Some("pro".into()),
            estimated_tokens: 3
        })
    );
    let (status, _, body) = send(&mut service, request(Some("ignored"), None)).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(json_of(&body)["error"], "unauthorized");
}

/// The proxy's extractor: buffer the JSON body, take `identity`/`tier` out of it, estimate
/// tokens with the policy's default output, and put the rewritten body back.
struct JsonBodyExtractor;

impl SubjectExtractor<Full<Bytes>> for JsonBodyExtractor {
    fn extract<'a>(
        &'a self,
        request: Request<Full<Bytes>>,
        policy: &'a ScopedPolicy,
    ) -> BoxFuture<'a, Result<(Request<Full<Bytes>>, Subject), Rejection>> {
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let bytes = body.collect().await.map_err(|e| match e {})?.to_bytes();
            let mut json: Value = serde_json::from_slice(&bytes)
                .map_err(|_| Rejection::invalid_request("", "Malformed JSON"))?;
            let object = json
                .as_object_mut()
                .ok_or_else(|| Rejection::invalid_request("", "Expected a JSON object"))?;
            let identity = match object.remove("identity") {
                Some(Value::String(s)) => s,
                _ => {
                    return Err(Rejection::invalid_request(
                        "identity",
                        "identity is required",
                    ));
                }
            };
            let tier = object
                .remove("tier")
                .and_then(|t| t.as_str().map(str::to_owned));
            let estimated_tokens = ai_ratelimit_core::estimate::request_tokens(
                &json,
                policy.policy.default_output_tokens(),
            );
            let body =
                Full::new(Bytes::from(serde_json::to_vec(&json).map_err(|_| {
                    Rejection::invalid_request("", "Unserializable body")
                })?));
            Ok((
                Request::from_parts(parts, body),
                Subject {
                    identity,
                    tier,
                    estimated_tokens,
                },
            ))
        })
    }
}

#[tokio::test]
async fn an_async_extractor_may_consume_and_rewrite_the_body() {
    let limiter = Limiter::new(MemoryStore::new());
    let p = policy(json!({"limitType": "tokens", "dailyTokenLimit": 1000}));
    let echo = service_fn(|req: Request<Full<Bytes>>| async move {
        let body = req
            .into_body()
            .collect()
            .await
            .map_err(|e| match e {})?
            .to_bytes();
        Ok::<_, Infallible>(Response::new(Full::new(body)))
    });
    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .extractor(JsonBodyExtractor)
        .layer_over(echo);
    let chat = json!({"identity": "j", "model": "m", "messages": [{"role": "user", "content": "12345678"}], "max_tokens": 10});
    let (status, headers, body) = send(
        &mut service,
        Request::post("/")
            .body(Full::new(Bytes::from(chat.to_string())))
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    // Estimate: 2 (text) + 4 (framing) + 10 (max_tokens) reserved at admission.
    assert_eq!(headers["x-ratelimit-remaining-tokens"], "984");
    assert_eq!(
        json_of(&body),
        json!({"model": "m", "messages": [{"role": "user", "content": "12345678"}], "max_tokens": 10})
    );
    // Nothing reported: the estimate is what counts.
    assert_eq!(usage_of(&limiter, &p, "app", "j").await.tokens, 16);

    let (status, _, body) = send(
        &mut service,
        Request::post("/")
            .body(Full::new(Bytes::from("{\"model\": \"m\"}")))
            .expect("request"),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json_of(&body)["field"], "identity");
}

#[tokio::test]
async fn the_observer_sees_denials_and_rejections_without_bodies() {
    let (observer, mut records) = observer_channel();
    let mut service = RateLimitLayer::fixed("app", policy(json!({"dailyRequestLimit": 0})))
        .observer(observer)
        .layer_over(counting_ok(Arc::new(AtomicUsize::new(0))));
    let (status, _, _) = send(&mut service, request(Some("o"), Some("free"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let record = records.recv().await.expect("record");
    assert_eq!(record.outcome, Outcome::Limited);
    assert_eq!(record.status, Some(429));
    assert_eq!(record.identity.as_deref(), Some("o"));
    assert_eq!(record.tier.as_deref(), Some("free"));
    assert_eq!(record.tokens, None);

    let (status, _, _) = send(&mut service, request(None, None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let record = records.recv().await.expect("record");
    assert_eq!(record.outcome, Outcome::Rejected);
    assert_eq!(record.identity, None);
    assert_eq!(record.scope.as_deref(), Some("app"));
}
