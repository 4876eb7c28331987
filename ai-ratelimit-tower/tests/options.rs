//! The layer's options a surface uses to put the layer in front of its own handler: an error
//! handler, a policy source attaching extensions (and a bearer key), a settlement tracker,
//! and recorded extensions.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use ai_ratelimit_core::{
    AdmitOutcome, AdmitRequest, AsUsageKey, DenialReason, Limiter, MemoryStore, PageRequest,
    Period, PeriodTotals, Policy, Reservation, StoreError, Usage, UsagePage, UsageStore,
};
use ai_ratelimit_tower::{
    Outcome, PolicySource, ProjectKeyPolicy, RateLimitLayer, Refusal, Rejection, RequestRecord,
    ScopedPolicy, json_response,
};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use http::request::Parts;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde_json::{Value, json};
use tokio::sync::mpsc::unbounded_channel;
use tokio_util::task::TaskTracker;
use tower::{Layer, Service, ServiceExt, service_fn};

fn policy(value: Value) -> Arc<Policy> {
    Arc::new(Policy::from_json(&value).expect("valid policy"))
}

fn request(identity: Option<&str>) -> Request<Full<Bytes>> {
    let mut builder = Request::post("/chat");
    if let Some(identity) = identity {
        builder = builder.header("x-identity", identity);
    }
    builder.body(Full::new(Bytes::new())).expect("request")
}

async fn send<S, B>(
    service: &mut S,
    request: Request<Full<Bytes>>,
) -> (StatusCode, http::HeaderMap, Bytes)
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
        .expect("response");
    let (parts, body) = response.into_parts();
    (
        parts.status,
        parts.headers,
        body.collect().await.expect("body").to_bytes(),
    )
}

fn ok_service() -> impl Service<
    Request<Full<Bytes>>,
    Response = Response<Full<Bytes>>,
    Error = Infallible,
    Future = impl Send,
> + Clone {
    service_fn(|_req: Request<Full<Bytes>>| async {
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from("ok"))))
    })
}

/// OpenAI's error shape, carrying every field of the layer's own body.
fn openai_shape(refusal: Refusal<'_>) -> Response<Bytes> {
    let mut error = json!({"message": refusal.body()["message"], "type": "rate_limit_error",
        "code": refusal.body()["error"], "param": null});
    if let (Some(error), Some(fields)) = (error.as_object_mut(), refusal.body().as_object()) {
        for (name, value) in fields {
            if name != "error" && name != "message" {
                error.insert(name.clone(), value.clone());
            }
        }
    }
    json_response(refusal.status(), &json!({ "error": error }))
}

#[tokio::test]
async fn an_error_handler_shapes_denials_and_rejections_and_keeps_the_headers() {
    let p = policy(json!({"dailyRequestLimit": 1,
        "limitExceededResponse": {"error": "limit_exceeded", "message": "{{used}}/{{limit}}", "deepLink": "app://up"}}));
    let kinds = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = kinds.clone();
    let mut service = RateLimitLayer::fixed("app", p)
        .error_handler(move |refusal: Refusal<'_>| {
            let kind = match refusal {
                Refusal::Rejected(_) => "rejected",
                Refusal::Denied(denial) => match denial.reason {
                    DenialReason::LimitExceeded { .. } => "limit",
                    _ => "other",
                },
            };
            seen.lock().expect("lock").push(kind);
            openai_shape(refusal)
        })
        .layer(ok_service());
    let (status, _, _) = send(&mut service, request(Some("u"))).await;
    assert_eq!(status, StatusCode::OK);

    let (status, headers, body) = send(&mut service, request(Some("u"))).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["error"]["type"], "rate_limit_error");
    assert_eq!(body["error"]["code"], "limit_exceeded");
    assert_eq!(body["error"]["message"], "1/1");
    assert_eq!(body["error"]["deepLink"], "app://up");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(headers["x-ratelimit-remaining-requests"], "0");
    assert!(
        headers.contains_key("retry-after"),
        "the layer adds Retry-After"
    );

    let (status, headers, body) = send(&mut service, request(None)).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(body["error"]["code"], "invalid_request");
    assert_eq!(body["error"]["field"], "identity");
    assert!(!headers.contains_key("retry-after"));
    assert_eq!(*kinds.lock().expect("lock"), ["limit", "rejected"]);
}

/// The project a policy source found, for the handler.
#[derive(Debug, Clone, PartialEq)]
struct Project {
    name: &'static str,
}

/// Looks projects up by bearer token (or `x-project-key`) and attaches the whole project.
struct Projects;

impl PolicySource for Projects {
    fn resolve<'a>(
        &'a self,
        head: &'a mut Parts,
    ) -> BoxFuture<'a, Result<ScopedPolicy, Rejection>> {
        Box::pin(async move {
            let key = ai_ratelimit_tower::project_key(
                &head.headers,
                &ai_ratelimit_tower::PROJECT_KEY_HEADER,
                true,
            )?;
            if key != "pk_a" {
                return Err(Rejection::invalid_project_key("Unknown project key"));
            }
            head.extensions.insert(Project { name: "a" });
            Ok(ScopedPolicy::new(
                "a",
                policy(json!({"dailyRequestLimit": 5})),
            ))
        })
    }
}

#[tokio::test]
async fn a_policy_source_attaches_extensions_for_the_handler() {
    let handler = service_fn(|req: Request<Full<Bytes>>| async move {
        let project = req.extensions().get::<Project>().cloned();
        Ok::<_, Infallible>(Response::new(Full::new(Bytes::from(
            project.map_or("none", |p| p.name),
        ))))
    });
    let mut service = RateLimitLayer::from_source(Projects).layer(handler);
    let mut bearer = request(Some("u"));
    bearer
        .headers_mut()
        .insert("authorization", "Bearer pk_a".parse().expect("header"));
    let (status, _, body) = send(&mut service, bearer).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"a"[..]));

    let mut header = request(Some("u"));
    header
        .headers_mut()
        .insert("x-project-key", "pk_a".parse().expect("header"));
    let (status, _, body) = send(&mut service, header).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"a"[..]));

    let (status, _, _) = send(&mut service, request(Some("u"))).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn project_key_policy_reads_a_bearer_token_when_asked() {
    let lookup = std::collections::HashMap::from([(
        "pk_b".to_owned(),
        ScopedPolicy::new("b", policy(json!({"dailyRequestLimit": 1}))),
    )]);
    let mut service =
        RateLimitLayer::from_source(ProjectKeyPolicy::new(lookup).bearer()).layer(ok_service());
    let mut bearer = request(Some("u"));
    bearer
        .headers_mut()
        .insert("authorization", "Bearer pk_b".parse().expect("header"));
    assert_eq!(send(&mut service, bearer).await.0, StatusCode::OK);
    let mut wrong = request(Some("u"));
    wrong
        .headers_mut()
        .insert("authorization", "Bearer pk_x".parse().expect("header"));
    assert_eq!(send(&mut service, wrong).await.0, StatusCode::UNAUTHORIZED);
}

/// A store whose settlements wait until the test lets them through.
#[derive(Debug)]
struct GatedStore {
    inner: MemoryStore,
    gate: tokio::sync::Semaphore,
    settles: AtomicUsize,
}

impl UsageStore for GatedStore {
    async fn admit<K: AsUsageKey>(
        &self,
        request: &AdmitRequest<K>,
    ) -> Result<AdmitOutcome, StoreError> {
        self.inner.admit(request).await
    }
    async fn settle(&self, reservation: &Reservation, tokens: u64) -> Result<(), StoreError> {
        let _permit = self.gate.acquire().await;
        self.settles.fetch_add(1, Ordering::SeqCst);
        self.inner.settle(reservation, tokens).await
    }
    async fn release(&self, reservation: &Reservation) -> Result<(), StoreError> {
        self.inner.release(reservation).await
    }
    async fn usage<K: AsUsageKey>(&self, key: &K, now: DateTime<Utc>) -> Result<Usage, StoreError> {
        self.inner.usage(key, now).await
    }
    async fn list_usage(
        &self,
        scope: &str,
        period: &Period,
        page: &PageRequest,
    ) -> Result<UsagePage, StoreError> {
        self.inner.list_usage(scope, period, page).await
    }
    async fn totals(&self, scope: &str, period: &Period) -> Result<PeriodTotals, StoreError> {
        self.inner.totals(scope, period).await
    }
}

#[tokio::test]
async fn a_graceful_shutdown_waits_for_settlements_on_the_tracker() {
    let store = Arc::new(GatedStore {
        inner: MemoryStore::new(),
        gate: tokio::sync::Semaphore::new(0),
        settles: AtomicUsize::new(0),
    });
    let limiter = Limiter::new(store.clone());
    let tracker = TaskTracker::new();
    let p = policy(json!({"limitType": "tokens", "dailyTokenLimit": 1000}));
    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .settlement_tracker(tracker.clone())
        .layer(ok_service());
    let response = service
        .ready()
        .await
        .expect("ready")
        .call(request(Some("s")))
        .await
        .expect("response");
    assert_eq!(tracker.len(), 1, "the admission in flight is tracked");
    // The client goes away before the body ends: the settlement runs on a spawned task,
    // still tracked.
    drop(response);
    assert_eq!(tracker.len(), 1, "the abandoned settlement is tracked");
    tracker.close();
    let waiting = tokio::spawn({
        let tracker = tracker.clone();
        async move { tracker.wait().await }
    });
    tokio::task::yield_now().await;
    assert!(!waiting.is_finished(), "shutdown waits for the settlement");
    store.gate.add_permits(1);
    waiting.await.expect("wait");
    assert_eq!(store.settles.load(Ordering::SeqCst), 1);
}

/// The model a request asked for, as an extractor or a policy source would attach it.
#[derive(Debug, Clone, PartialEq)]
struct Model(&'static str);

/// Something a handler needs but no record should hold.
#[derive(Debug, Clone)]
struct Prompt(#[allow(dead_code)] &'static str);

#[tokio::test]
async fn the_observer_sees_the_recorded_extensions_and_the_limits() {
    let (tx, mut records) = unbounded_channel::<RequestRecord>();
    let layer = RateLimitLayer::fixed("app", policy(json!({"dailyRequestLimit": 1})))
        .observer(move |r: &RequestRecord| drop(tx.send(r.clone())))
        .record_extension::<Model>();
    let mut service = tower::ServiceBuilder::new()
        .map_request(|mut req: Request<Full<Bytes>>| {
            req.extensions_mut().insert(Model("gpt-x"));
            req.extensions_mut().insert(Prompt("secret"));
            req
        })
        .layer(layer)
        .service(ok_service());
    for expected in [Outcome::Allowed, Outcome::Limited] {
        let (_, _, _) = send(&mut service, request(Some("o"))).await;
        let record = records.recv().await.expect("record");
        assert_eq!(record.outcome, expected);
        assert_eq!(record.extensions.get::<Model>(), Some(&Model("gpt-x")));
        assert!(
            record.extensions.get::<Prompt>().is_none(),
            "only what was asked for"
        );
        let limits = record.limits.expect("the decision's limits");
        assert_eq!(limits.limits.requests, Some(1));
        assert_eq!(limits.usage.requests, 1);
        if expected == Outcome::Limited {
            assert!(matches!(
                record.denial,
                Some(DenialReason::LimitExceeded { .. })
            ));
        } else {
            assert!(record.denial.is_none());
        }
    }
}

#[tokio::test]
async fn a_response_does_not_wait_for_its_settlement() {
    let store = Arc::new(GatedStore {
        inner: MemoryStore::new(),
        gate: tokio::sync::Semaphore::new(0),
        settles: AtomicUsize::new(0),
    });
    let limiter = Limiter::new(store.clone());
    let p = policy(json!({"limitType": "tokens", "dailyTokenLimit": 1000}));
    let inner = service_fn(|_req: Request<Full<Bytes>>| async {
        let mut response = Response::new(Full::new(Bytes::from("done")));
        response
            .extensions_mut()
            .insert(ai_ratelimit_tower::TokensUsed(42));
        Ok::<_, Infallible>(response)
    });
    let mut service = RateLimitLayer::fixed("app", p.clone())
        .limiter(limiter.clone())
        .extractor(ai_ratelimit_tower::HeaderExtractor::new().estimated_tokens(10))
        .layer(inner);
    // The store holds the settlement back, yet the answer comes.
    let (status, _, body) = send(&mut service, request(Some("w"))).await;
    assert_eq!((status, &body[..]), (StatusCode::OK, &b"done"[..]));
    let (_, usage) = limiter.usage(&p, "app", "w").await.expect("usage");
    assert_eq!(
        (usage.tokens, usage.reserved_tokens),
        (0, 10),
        "until the settlement lands, the reservation counts the estimate"
    );
    store.gate.add_permits(1);
    while store.settles.load(Ordering::SeqCst) == 0 {
        tokio::task::yield_now().await;
    }
    let (_, usage) = limiter.usage(&p, "app", "w").await.expect("usage");
    assert_eq!((usage.tokens, usage.reserved_tokens), (42, 0));
}
