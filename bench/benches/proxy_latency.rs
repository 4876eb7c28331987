//! The latency the limiting proxy adds to a model call: a mock OpenAI upstream in-process,
//! called directly ("direct", the baseline) and through the real server's
//! `/api/v1/proxy/chat` ("proxy"), by the same HTTP client, in the same run, interleaved.
//!
//! The server runs twice: as `cargo run -p ai-ratelimit-server` would by default (an SQLite
//! file for accounts, usage counters and the request log, in a temporary directory), and on
//! `sqlite::memory:` (counters in a `MemoryStore`), which separates the proxy's own cost from
//! the store's durable writes. One identity per request out of 1000, no limit reached. Measured: the whole non-streaming exchange, and
//! a streamed answer both to its first byte and to its end (`data: [DONE]`): a stream's later
//! chunks are where a held-back small write (Nagle's algorithm) shows. Each side's figure is the median of
//! interleaved rounds; the closing lines print the added µs per request and the ratio.
//!
//! A hand loop rather than criterion: each sample is a real HTTP round trip of ~100 µs, and
//! interleaving direct and proxy rounds is what keeps the ratio honest on a noisy machine.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use ai_ratelimit_server::config::RawConfig;
use ai_ratelimit_server::{Config, build_app};
use axum::Json;
use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

const IDENTITIES: usize = 1000;
const ROUNDS: usize = 15;
const PER_ROUND: usize = 200;

async fn mock_chat(Json(body): Json<Value>) -> Response {
    if body.get("stream").and_then(Value::as_bool) == Some(true) {
        let chunk = json!({"id": "c1", "object": "chat.completion.chunk", "model": "gpt-bench",
            "choices": [{"index": 0, "delta": {"content": "Hello"}, "finish_reason": null}]});
        let usage = json!({"id": "c1", "object": "chat.completion.chunk", "model": "gpt-bench",
            "choices": [], "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}});
        let text = format!("data: {chunk}\n\ndata: {usage}\n\ndata: [DONE]\n\n");
        return ([(header::CONTENT_TYPE, "text/event-stream")], text).into_response();
    }
    Json(json!({
        "id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-bench",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 1, "total_tokens": 11}
    }))
    .into_response()
}

async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, router).await });
    address
}

/// The real server on `database_url`, with one project forwarding to `upstream`; returns its
/// address and the project key.
async fn proxy_server(database_url: String, upstream: &str) -> (SocketAddr, String) {
    let mut raw = RawConfig::defaults();
    raw.database_url = database_url;
    raw.global_admin_key = Some("bench-admin-key".to_owned());
    let app = build_app(Config::try_from(raw).expect("config"))
        .await
        .expect("server builds");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("address");
    // Served as the binary serves (App::serve sets the accepted sockets' options) until the
    // process ends.
    tokio::spawn(app.serve(listener, std::future::pending()));
    let created: Value = reqwest::Client::new()
        .post(format!("http://{address}/api/admin/projects"))
        .header("x-admin-key", "bench-admin-key")
        .json(
            &json!({"name": "bench", "baseUrl": upstream, "limitType": "both",
            "dailyRequestLimit": null, "dailyTokenLimit": null}),
        )
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("project");
    let key = created["projectKey"]
        .as_str()
        .expect("project key")
        .to_owned();
    (address, key)
}

/// What one request is timed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Until {
    /// The whole non-streaming body.
    Body,
    /// The first chunk of a streamed body.
    FirstByte,
    /// The end of a streamed body.
    StreamEnd,
}

/// One request (`i` picks the identity), timed as `until` says.
async fn one(
    client: &reqwest::Client,
    url: &str,
    key: Option<&str>,
    i: usize,
    until: Until,
) -> Duration {
    let stream = until != Until::Body;
    let mut body =
        json!({"model": "gpt-bench", "messages": [{"role": "user", "content": "Say hello"}]});
    if stream {
        body["stream"] = json!(true);
    }
    let mut request = client.post(url);
    if let Some(key) = key {
        body["identity"] = json!(format!("user-{}", i % IDENTITIES));
        request = request.header("x-project-key", key);
    }
    let started = Instant::now();
    let mut response = request.json(&body).send().await.expect("sent");
    assert!(response.status().is_success(), "{}", response.status());
    if stream {
        let first = response.chunk().await.expect("chunk");
        let to_first = started.elapsed();
        assert!(first.is_some());
        while response.chunk().await.expect("chunk").is_some() {}
        if until == Until::FirstByte {
            to_first
        } else {
            started.elapsed()
        }
    } else {
        let bytes = response.bytes().await.expect("body");
        assert!(!bytes.is_empty());
        started.elapsed()
    }
}

async fn round(
    client: &reqwest::Client,
    url: &str,
    key: Option<&str>,
    offset: usize,
    until: Until,
) -> Duration {
    let mut total = Duration::ZERO;
    for i in 0..PER_ROUND {
        total += one(client, url, key, offset + i, until).await;
    }
    total / PER_ROUND as u32
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

async fn compare(
    client: &reqwest::Client,
    direct: &str,
    proxy: &str,
    key: &str,
    until: Until,
    label: &str,
) {
    // Warm-up: pooled connections, caches, the SQLite pages of the identities.
    round(client, direct, None, 0, until).await;
    for offset in (0..IDENTITIES).step_by(PER_ROUND) {
        round(client, proxy, Some(key), offset, until).await;
    }
    let (mut direct_times, mut proxy_times) = (Vec::new(), Vec::new());
    for r in 0..ROUNDS {
        direct_times.push(round(client, direct, None, 0, until).await);
        proxy_times.push(round(client, proxy, Some(key), r * PER_ROUND, until).await);
    }
    let (direct_us, proxy_us) = (
        median(direct_times).as_secs_f64() * 1e6,
        median(proxy_times).as_secs_f64() * 1e6,
    );
    println!("{label}:");
    println!("  direct to the mock: {direct_us:8.1} µs/request");
    println!("  through the proxy:  {proxy_us:8.1} µs/request");
    println!(
        "  added by the proxy: {:8.1} µs/request",
        proxy_us - direct_us
    );
    println!("  ratio proxy/direct: {:8.2}", proxy_us / direct_us);
}

fn main() {
    // `cargo bench` passes `--bench`; this loop takes no options.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let upstream = serve(Router::new().route("/v1/chat/completions", post(mock_chat))).await;
        let direct = format!("http://{upstream}/v1/chat/completions");
        let dir = tempfile::tempdir().expect("temp dir");
        let client = reqwest::Client::new();
        println!(
            "proxy_latency: median of {ROUNDS} interleaved rounds of {PER_ROUND} sequential requests each"
        );
        for (name, database_url) in [
            (
                "SQLite file (the default server)",
                format!("sqlite://{}/bench.db", dir.path().display()),
            ),
            (
                "in memory (MemoryStore counters)",
                "sqlite::memory:".to_owned(),
            ),
        ] {
            let (proxy, key) = proxy_server(database_url, &direct).await;
            let chat = format!("http://{proxy}/api/v1/proxy/chat");
            let stream = format!("http://{proxy}/api/v1/proxy/chat/stream");
            compare(&client, &direct, &chat, &key, Until::Body, &format!("{name}, non-streaming, whole answer")).await;
            compare(&client, &direct, &stream, &key, Until::FirstByte, &format!("{name}, streaming, time to first byte")).await;
            compare(&client, &direct, &stream, &key, Until::StreamEnd, &format!("{name}, streaming, time to the end of the stream")).await;
        }
    });
}
