//! The cost of `RateLimitLayer` on a request: a trivial service alone ("bare") and behind the
//! layer with a `MemoryStore` ("layer"), measured in the same run. One "request" is
//! `ready` + `call` + reading the (empty) body to its end, which is when the layer settles.
//!
//! Criterion reports each side; the closing lines print the overhead per request in
//! nanoseconds and the ratio layer/bare from an interleaved self-timed loop (best of five
//! rounds each), which is what the target (< 1 µs added per request) is checked against. It
//! also prints what the HTTP contract alone costs (see `contract_floor`).
//!
//! Every time is the bench thread's CPU time (`CLOCK_THREAD_CPUTIME_ID`; the runtime is
//! single-threaded, so all the work runs on that thread): on a shared machine, the time the
//! thread spends preempted by other processes would otherwise land on whichever side was
//! running. On a quiet machine the CPU time and the wall-clock time agree.

use std::convert::Infallible;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use ai_ratelimit_core::{Decision, LimitRequest, Limiter, MemoryStore, Policy, UsageStore};
use ai_ratelimit_tower::{RateLimitBody, RateLimitLayer};
use criterion::{Criterion, criterion_main};
use http::{Request, Response};
use http_body_util::BodyExt;
use tower::{Layer, Service, ServiceExt, service_fn};

const IDENTITIES: usize = 1000;

fn identities() -> Vec<String> {
    (0..IDENTITIES).map(|i| format!("user-{i}")).collect()
}

fn bare() -> impl Service<
    Request<()>,
    Response = Response<String>,
    Error = Infallible,
    Future = impl Future<Output = Result<Response<String>, Infallible>>,
> + Clone {
    service_fn(|_request: Request<()>| async { Ok(Response::new(String::new())) })
}

fn layered()
-> impl Service<Request<()>, Response = Response<RateLimitBody<String>>, Error = Infallible> + Clone
{
    let policy = Policy::builder()
        .request_limit(Some(u64::MAX / 2))
        .build()
        .expect("policy");
    RateLimitLayer::new(policy).layer(bare())
}

/// What the HTTP contract alone makes any such layer do per request, with no store and no
/// decision: read the identity header, put the subject and a token reporter in the request
/// extensions, and add the five limit headers of a requests limit to the response. Written
/// the plain way with the http crate; the gap between it and "bare" is the part of the
/// layer's overhead that no change inside the layer can remove.
fn contract_floor()
-> impl Service<Request<()>, Response = Response<String>, Error = Infallible> + Clone {
    use http::HeaderValue;
    use http::header::HeaderName;
    static NAMES: [HeaderName; 5] = [
        HeaderName::from_static("x-ratelimit-limit-requests"),
        HeaderName::from_static("x-ratelimit-remaining-requests"),
        HeaderName::from_static("ratelimit-policy"),
        HeaderName::from_static("ratelimit"),
        HeaderName::from_static("x-ratelimit-reset"),
    ];
    service_fn(|mut request: Request<()>| async move {
        let identity = request
            .headers()
            .get("x-identity")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let tier = request
            .headers()
            .get("x-tier")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        request.extensions_mut().insert((identity, tier));
        request
            .extensions_mut()
            .insert(Arc::new(std::sync::atomic::AtomicU64::new(0)));
        black_box(&request);
        let mut response = Response::new(String::new());
        let headers = response.headers_mut();
        headers.insert(
            NAMES[0].clone(),
            HeaderValue::from_static("4611686018427387903"),
        );
        headers.insert(
            NAMES[1].clone(),
            HeaderValue::from(black_box(4_611_686_018_427_380_000u64)),
        );
        headers.insert(
            NAMES[2].clone(),
            HeaderValue::from_static("\"requests\";q=4611686018427387903;w=86400"),
        );
        headers.insert(
            NAMES[3].clone(),
            HeaderValue::from_str(&format!(
                "\"requests\";r={};t={}",
                black_box(4_611_686_018_427_380_000u64),
                black_box(3600u64)
            ))
            .expect("value"),
        );
        headers.insert(NAMES[4].clone(), HeaderValue::from(black_box(3600u64)));
        Ok(response)
    })
}

/// The CPU time this thread has used so far.
fn thread_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(t.tv_sec).unwrap_or(0),
        u32::try_from(t.tv_nsec).unwrap_or(0),
    )
}

/// `iters` requests through `service`, rotating identities; returns the CPU time taken.
async fn run<S, B>(service: &mut S, ids: &[String], iters: u64) -> Duration
where
    S: Service<Request<()>, Response = Response<B>, Error = Infallible>,
    B: BodyExt<Error = Infallible>,
{
    let start = thread_cpu_time();
    for i in 0..iters {
        let request = Request::get("/")
            .header("x-identity", &ids[i as usize % IDENTITIES])
            .body(())
            .expect("request");
        let Ok(response) = service.ready().await.expect("ready").call(request).await;
        let Ok(body) = response.into_body().collect().await;
        black_box(body);
    }
    thread_cpu_time().saturating_sub(start)
}

/// The core engine alone (check + settle), for attributing the layer's overhead.
async fn run_core<S: UsageStore>(
    limiter: &Limiter<S>,
    policy: &Policy,
    ids: &[String],
    iters: u64,
) -> Duration {
    let start = thread_cpu_time();
    for i in 0..iters {
        let request = LimitRequest {
            scope: "default",
            identity: &ids[i as usize % IDENTITIES],
            tier: None,
            estimated_tokens: 0,
        };
        if let Ok(Decision::Admitted(admission)) = limiter.check(policy, &request).await
            && let Some(reservation) = admission.reservation
        {
            let mut headers = http::HeaderMap::new();
            admission.state.insert_headers(&mut headers);
            black_box(headers);
            black_box(limiter.settle(reservation, 0).await.is_ok());
        }
    }
    thread_cpu_time().saturating_sub(start)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

fn bench(c: &mut Criterion) {
    let rt = runtime();
    let ids = identities();
    let mut group = c.benchmark_group("tower_layer");
    let mut plain = bare();
    group.bench_function("bare", |b| {
        b.iter_custom(|iters| rt.block_on(run(&mut plain, &ids, iters)))
    });
    let mut limited = layered();
    group.bench_function("layer", |b| {
        b.iter_custom(|iters| rt.block_on(run(&mut limited, &ids, iters)))
    });
    group.finish();

    // Interleaved rounds, best of each side: robust against a noisy shared machine.
    const N: u64 = 200_000;
    let core_limiter = Limiter::new(MemoryStore::new());
    let core_policy = Policy::builder()
        .request_limit(Some(u64::MAX / 2))
        .build()
        .expect("policy");
    let mut floor = contract_floor();
    let (mut best_bare, mut best_layer, mut best_core, mut best_floor) =
        (Duration::MAX, Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..5 {
        best_bare = best_bare.min(rt.block_on(run(&mut plain, &ids, N)));
        best_layer = best_layer.min(rt.block_on(run(&mut limited, &ids, N)));
        best_core = best_core.min(rt.block_on(run_core(&core_limiter, &core_policy, &ids, N)));
        best_floor = best_floor.min(rt.block_on(run(&mut floor, &ids, N)));
    }
    let per = |d: Duration| d.as_nanos() as f64 / N as f64;
    let (bare_ns, layer_ns) = (per(best_bare), per(best_layer));
    println!("bare:  {bare_ns:.0} ns/request");
    println!("layer: {layer_ns:.0} ns/request (MemoryStore, {IDENTITIES} identities)");
    println!("overhead per request: {:.0} ns", layer_ns - bare_ns);
    println!(
        "  of which the core engine (check + settle + LimitState::insert_headers): {:.0} ns",
        per(best_core)
    );
    println!(
        "  the contract's own work (identity, 2 request extensions, 5 limit headers; no store): {:.0} ns",
        per(best_floor) - bare_ns
    );
    println!("ratio: {:.2}", layer_ns / bare_ns);
}

/// The group with short timings (a shared machine); criterion's CLI flags still apply.
fn benches() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(20)
        .configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
