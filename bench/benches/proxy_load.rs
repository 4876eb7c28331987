//! The proxy under load, from outside, next to a bare relay (issue "Proxy overhead").
//!
//! Starts three kinds of processes — a fast mock OpenAI upstream, a bare relay (the same HTTP
//! stack with no auth, parsing or limiting) and the real server (its own entry point, built
//! in the bench profile) with counters in an SQLite file (the default), in memory
//! (`sqlite::memory:`), in Redis, in a Redis Cluster and in PostgreSQL — and drives each from this process over
//! keep-alive HTTP/1 connections at concurrency 1, 16 and 64: whole answers, and streamed
//! answers timed to their first byte and to their end (`data: [DONE]`). Limits are never hit,
//! except in the denial runs (a project allowing nothing). Prints requests/s, p50/p99, the CPU
//! time per request of the measured process, and the ratios to the bare relay.
//!
//! ```sh
//! cargo bench -p ai-ratelimit-bench --bench proxy_load   # AIRL_BENCH_SECS=3 per case
//! ```
//!
//! PostgreSQL and Redis come from `AIRL_TEST_POSTGRES_URL` / `AIRL_TEST_REDIS_URL` (the tests'
//! defaults); an unreachable one is reported and skipped. `AIRL_BENCH_SERVERS=memory,redis`
//! measures only the server configurations whose names contain one of those words (the
//! baselines always run), e.g. to profile one of them. `AIRL_BENCH_SERVER_BIN` runs another
//! build of the server binary instead of this one's (e.g. an earlier commit's, for a
//! before/after in one run).

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ai_ratelimit_bench::proxy_load::{Load, Timings, cpu_time, run};
use bytes::Bytes;
use http::StatusCode;
use serde_json::{Value, json};

const CONCURRENCY: [usize; 3] = [1, 16, 64];
const IDENTITIES: usize = 1000;
const ADMIN_KEY: &str = "bench-admin-key-0123456789";

/// A process of the benchmark, killed (and its directory removed) when dropped.
struct Process {
    child: Child,
    address: SocketAddr,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts a helper binary that prints `listening <addr>` first.
fn helper(binary: &str, args: &[&str]) -> Process {
    use std::io::BufRead;
    let mut child = Command::new(binary)
        .args(args)
        .stdout(Stdio::piped())
        .spawn()
        .expect("helper starts");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("helper prints its address");
    let address = line
        .trim()
        .strip_prefix("listening ")
        .and_then(|a| a.parse().ok())
        .expect("listening <addr>");
    Process {
        child,
        address,
        _dir: None,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The real server with `env`, once it answers `/healthz`.
async fn server(env: &[(&str, String)]) -> Process {
    let port = free_port();
    let dir = tempfile::tempdir().expect("server dir");
    let binary = std::env::var("AIRL_BENCH_SERVER_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_airl-bench-server").to_owned());
    let child = Command::new(binary)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("APP_ENV", "development")
        .env("GLOBAL_ADMIN_KEY", ADMIN_KEY)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("server starts");
    let address: SocketAddr = ([127, 0, 0, 1], port).into();
    let process = Process {
        child,
        address,
        _dir: Some(dir),
    };
    let client = reqwest::Client::new();
    for _ in 0..600 {
        if client
            .get(format!("http://{address}/healthz"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            return process;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start with {env:?}");
}

/// A project of the server forwarding to `upstream`; returns its key.
async fn project(server: SocketAddr, upstream: SocketAddr, request_limit: Option<u64>) -> String {
    let created: Value = reqwest::Client::new()
        .post(format!("http://{server}/api/admin/projects"))
        .header("x-admin-key", ADMIN_KEY)
        .json(&json!({"name": "bench", "providerApiKey": "sk-bench",
            "baseUrl": format!("http://{upstream}/v1/chat/completions"),
            "limitType": "both", "dailyRequestLimit": request_limit, "dailyTokenLimit": null}))
        .send()
        .await
        .expect("project created")
        .json()
        .await
        .expect("project");
    created["projectKey"]
        .as_str()
        .expect("project key")
        .to_owned()
}

fn plain_body(_i: usize) -> Bytes {
    Bytes::from_static(
        br#"{"model":"gpt-bench","messages":[{"role":"user","content":"Say hello"}]}"#,
    )
}

fn plain_stream_body(_i: usize) -> Bytes {
    Bytes::from_static(
        br#"{"model":"gpt-bench","stream":true,"messages":[{"role":"user","content":"Say hello"}]}"#,
    )
}

fn proxy_body(i: usize) -> Bytes {
    Bytes::from(format!(
        r#"{{"identity":"user-{}","model":"gpt-bench","messages":[{{"role":"user","content":"Say hello"}}]}}"#,
        i % IDENTITIES
    ))
}

/// How to ask for one kind of answer.
#[derive(Clone)]
struct Ask {
    path: String,
    headers: Vec<(String, String)>,
    body: fn(usize) -> Bytes,
}

impl Ask {
    fn new(path: &str, headers: Vec<(String, String)>, body: fn(usize) -> Bytes) -> Self {
        Self {
            path: path.to_owned(),
            headers,
            body,
        }
    }
}

/// What is measured: a process and how to ask it for whole and for streamed answers.
struct Target {
    name: &'static str,
    address: SocketAddr,
    pid: Option<u32>,
    whole: Ask,
    stream: Ask,
}

/// One measured case.
struct Case {
    rate: f64,
    p50: f64,
    p99: f64,
    first_p50: f64,
    cpu_us: Option<f64>,
    failed: u64,
}

fn secs() -> Duration {
    Duration::from_secs_f64(
        std::env::var("AIRL_BENCH_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(3.0),
    )
}

async fn measure(load: &Load, pid: Option<u32>, concurrency: usize) -> Case {
    // Warm-up: connections, caches, the identities' counters.
    run(
        load,
        concurrency,
        Duration::ZERO,
        Duration::from_millis(500),
    )
    .await;
    let cpu_before = pid.map(cpu_time);
    let mut timings: Timings = run(load, concurrency, Duration::ZERO, secs()).await;
    let cpu = pid
        .zip(cpu_before)
        .map(|(pid, before)| cpu_time(pid).saturating_sub(before));
    Case {
        rate: timings.rate(),
        p50: Timings::quantile_ms(&mut timings.total_us, 0.5),
        p99: Timings::quantile_ms(&mut timings.total_us, 0.99),
        first_p50: Timings::quantile_ms(&mut timings.first_us, 0.5),
        cpu_us: cpu.map(|c| c.as_secs_f64() * 1e6 / timings.ok.max(1) as f64),
        failed: timings.failed,
    }
}

fn print_case(name: &str, mode: &str, c: usize, case: &Case, relay: Option<&Case>) {
    let cpu = case
        .cpu_us
        .map_or_else(|| "      -".to_owned(), |us| format!("{us:7.1}"));
    let vs = relay.map_or_else(String::new, |r| {
        format!(
            "  ×relay rps {:4.2}  +p50 {:6.3} ms  p99 {:4.2}×{}",
            case.rate / r.rate,
            case.p50 - r.p50,
            case.p99 / r.p99,
            match (case.cpu_us, r.cpu_us) {
                (Some(a), Some(b)) => format!("  cpu {:4.1}×", a / b),
                _ => String::new(),
            }
        )
    });
    let failed = if case.failed > 0 {
        format!("  FAILED {}", case.failed)
    } else {
        String::new()
    };
    println!(
        "{name:<22} {mode:<7} c={c:<3} {:9.0} req/s  p50 {:7.3} ms  p99 {:7.3} ms  first byte p50 {:7.3} ms  cpu {cpu} µs/req{vs}{failed}",
        case.rate, case.p50, case.p99, case.first_p50
    );
}

async fn reachable_redis(url: &str) -> bool {
    let Ok(client) = redis::Client::open(url) else {
        return false;
    };
    client.get_multiplexed_async_connection().await.is_ok()
}

/// A fresh PostgreSQL database for the server, or `None` if PostgreSQL is unreachable.
async fn fresh_postgres(url: &str) -> Option<String> {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(url).await.ok()?;
    let name = "airl_bench_proxy_load";
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .ok()?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .ok()?;
    let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
    Some(format!("{base}/{name}"))
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(bench());
}

async fn bench() {
    let mock = helper(env!("CARGO_BIN_EXE_mock-upstream"), &["0"]);
    let upstream_url = format!("http://{}/v1/chat/completions", mock.address);
    let relay = helper(env!("CARGO_BIN_EXE_bare-relay"), &["0", &upstream_url]);
    println!(
        "proxy_load: {} s per case after a 0.5 s warm-up; {IDENTITIES} identities; mock streams {} frames",
        secs().as_secs_f64(),
        ai_ratelimit_bench::proxy_load::STREAM_FRAMES.len()
    );
    let plain = |address, pid| Target {
        name: "",
        address,
        pid,
        whole: Ask::new("/v1/chat/completions", vec![], plain_body),
        stream: Ask::new("/v1/chat/completions", vec![], plain_stream_body),
    };
    let mut baselines = Vec::new();
    for (name, process) in [("mock (direct)", &mock), ("bare relay", &relay)] {
        let target = Target {
            name,
            ..plain(process.address, Some(process.child.id()))
        };
        baselines.push((name, run_target(&target, None).await));
    }
    let relay_cases = &baselines[1].1;

    let redis_url = std::env::var("AIRL_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    let postgres_url = std::env::var("AIRL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let key = "ENCRYPTION_KEY";
    let encryption = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned();
    let mut configs: Vec<(&str, Vec<(&str, String)>)> = vec![
        ("server, SQLite", vec![]),
        (
            "server, memory",
            vec![("DATABASE_URL", "sqlite::memory:".to_owned())],
        ),
    ];
    if reachable_redis(&redis_url).await {
        configs.push(("server, Redis", vec![("REDIS_URL", redis_url.clone())]));
    } else {
        println!("server, Redis: SKIPPED (Redis unreachable at {redis_url})");
    }
    // The same server with its counters in a Redis Cluster (`scripts/services.sh`'s local one).
    let cluster_url = std::env::var("AIRL_TEST_REDIS_CLUSTER_URL").unwrap_or_else(|_| {
        "redis+cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003".to_owned()
    });
    if ai_ratelimit_store_redis::RedisStore::connect(&cluster_url)
        .await
        .is_ok()
    {
        configs.push(("server, Redis Cluster", vec![("REDIS_URL", cluster_url)]));
    } else {
        println!("server, Redis Cluster: SKIPPED (unreachable at {cluster_url})");
    }
    match fresh_postgres(&postgres_url).await {
        Some(url) => configs.push((
            "server, PostgreSQL",
            vec![("DATABASE_URL", url), (key, encryption.clone())],
        )),
        None => println!("server, PostgreSQL: SKIPPED (unreachable at {postgres_url})"),
    }
    let only = std::env::var("AIRL_BENCH_SERVERS").ok();
    let chosen = |name: &str| {
        only.as_deref().is_none_or(|only| {
            only.split(',')
                .any(|word| name.to_lowercase().contains(&word.trim().to_lowercase()))
        })
    };
    for (name, env) in configs.into_iter().filter(|(name, _)| chosen(name)) {
        let server = server(&env).await;
        let open = project(server.address, mock.address, None).await;
        let closed = project(server.address, mock.address, Some(0)).await;
        let headers = vec![("x-project-key".to_owned(), open)];
        let target = Target {
            name,
            address: server.address,
            pid: Some(server.child.id()),
            whole: Ask::new("/api/v1/proxy/chat", headers.clone(), proxy_body),
            stream: Ask::new("/api/v1/proxy/chat/stream", headers, proxy_body),
        };
        let admitted = run_target(&target, Some(relay_cases)).await;
        let denials = Load {
            address: server.address,
            path: "/api/v1/proxy/chat".into(),
            headers: vec![("x-project-key".to_owned(), closed)],
            body: proxy_body,
            expect: StatusCode::TOO_MANY_REQUESTS,
        };
        let denied = measure(&denials, target.pid, 64).await;
        print_case(name, "denied", 64, &denied, None);
        let admitted_64 = admitted
            .iter()
            .find(|(mode, c, _)| *mode == "whole" && *c == 64)
            .map_or(f64::NAN, |(_, _, case)| case.rate);
        println!(
            "{name:<22} denials at c=64: {:.2}× the admitted rate",
            denied.rate / admitted_64
        );
    }
}

/// Every mode and concurrency of `target`, compared with the relay's case when given.
async fn run_target(
    target: &Target,
    relay: Option<&Vec<(&'static str, usize, Case)>>,
) -> Vec<(&'static str, usize, Case)> {
    let mut cases = Vec::new();
    for (mode, ask) in [("whole", &target.whole), ("stream", &target.stream)] {
        for c in CONCURRENCY {
            let load = Load {
                address: target.address,
                path: ask.path.clone(),
                headers: ask.headers.clone(),
                body: ask.body,
                expect: StatusCode::OK,
            };
            let case = measure(&load, target.pid, c).await;
            let base = relay.and_then(|r| {
                r.iter()
                    .find(|(m, rc, _)| *m == mode && *rc == c)
                    .map(|(_, _, case)| case)
            });
            print_case(target.name, mode, c, &case, base);
            cases.push((mode, c, case));
        }
    }
    cases
}
