//! The proxy load benchmark's parts: the mock upstream's answers, a load generator over
//! keep-alive HTTP/1 connections that times every request to its first body byte and to its
//! end, and the CPU time of a process.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

/// The mock's whole answer.
pub const WHOLE_ANSWER: &str = r#"{"id":"c1","object":"chat.completion","created":1,"model":"gpt-bench","choices":[{"index":0,"message":{"role":"assistant","content":"Hello world"},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":2,"total_tokens":12}}"#;

/// The mock's streamed answer, one SSE frame per write.
pub const STREAM_FRAMES: [&str; 6] = [
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" wor\"},\"finish_reason\":null}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-bench\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ld\"},\"finish_reason\":\"stop\"}]}\n\n",
    "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"model\":\"gpt-bench\",\"choices\":[],\"usage\":{\"prompt_tokens\":10,\"completion_tokens\":2,\"total_tokens\":12}}\n\n",
    "data: [DONE]\n\n",
];

/// Serves `app` on `address` with `TCP_NODELAY` on every accepted socket, printing
/// `listening <addr>` first (the benchmark reads it).
pub async fn serve_nodelay(address: &str, app: axum::Router) {
    use axum::serve::ListenerExt;
    let listener = tokio::net::TcpListener::bind(address).await.expect("bind");
    println!("listening {}", listener.local_addr().expect("address"));
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await.expect("serve");
}

/// What one case sends: a path, headers, and a body per request index.
#[derive(Clone)]
pub struct Load {
    /// The server.
    pub address: SocketAddr,
    /// The request path.
    pub path: String,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// The body of request `i` (e.g. one identity out of many).
    pub body: fn(usize) -> Bytes,
    /// The status every answer must have.
    pub expect: StatusCode,
}

/// The timings of one case.
#[derive(Debug, Default)]
pub struct Timings {
    /// Answers with the expected status.
    pub ok: u64,
    /// Other answers and failed requests.
    pub failed: u64,
    /// Time to the end of each answer, µs.
    pub total_us: Vec<u32>,
    /// Time to the first body byte of each answer, µs.
    pub first_us: Vec<u32>,
    /// Length of the measured interval.
    pub elapsed: Duration,
}

impl Timings {
    /// Answers per second.
    pub fn rate(&self) -> f64 {
        self.ok as f64 / self.elapsed.as_secs_f64()
    }

    /// The `q` quantile (0..=1) of `values`, in milliseconds.
    pub fn quantile_ms(values: &mut [u32], q: f64) -> f64 {
        if values.is_empty() {
            return f64::NAN;
        }
        values.sort_unstable();
        let index = ((values.len() - 1) as f64 * q).round() as usize;
        f64::from(values[index]) / 1000.0
    }
}

/// Runs `load` from `concurrency` connections for `warmup` (not counted) then `length`.
pub async fn run(load: &Load, concurrency: usize, warmup: Duration, length: Duration) -> Timings {
    let start = Instant::now() + warmup;
    let end = start + length;
    let workers: Vec<_> = (0..concurrency)
        .map(|worker| {
            let load = load.clone();
            tokio::spawn(async move { connection(&load, worker, concurrency, start, end).await })
        })
        .collect();
    let mut timings = Timings {
        elapsed: length,
        ..Timings::default()
    };
    for worker in workers {
        let part = worker.await.expect("worker");
        timings.ok += part.ok;
        timings.failed += part.failed;
        timings.total_us.extend(part.total_us);
        timings.first_us.extend(part.first_us);
    }
    timings
}

/// One keep-alive connection sending requests back to back until `end`; counts those
/// started after `start`.
async fn connection(
    load: &Load,
    worker: usize,
    stride: usize,
    start: Instant,
    end: Instant,
) -> Timings {
    let mut timings = Timings::default();
    let mut sender = None;
    let mut i = worker;
    loop {
        let began = Instant::now();
        if began >= end {
            return timings;
        }
        let counted = began >= start;
        if sender.is_none() {
            sender = open(load.address).await;
        }
        let Some(send) = sender.as_mut() else {
            timings.failed += u64::from(counted);
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let mut request = Request::post(load.path.as_str())
            .header("host", "bench")
            .header("content-type", "application/json");
        for (name, value) in &load.headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request.body(Full::new((load.body)(i))).expect("request");
        i += stride;
        let outcome = async {
            let response = send.send_request(request).await.ok()?;
            let status = response.status();
            let mut body = response.into_body();
            let mut first = None;
            while let Some(frame) = body.frame().await {
                let frame = frame.ok()?;
                if first.is_none() && frame.data_ref().is_some_and(|d| !d.is_empty()) {
                    first = Some(began.elapsed());
                }
            }
            Some((status, first))
        }
        .await;
        let total = began.elapsed();
        match outcome {
            Some((status, first)) if status == load.expect => {
                if counted {
                    timings.ok += 1;
                    timings.total_us.push(micros(total));
                    timings.first_us.push(micros(first.unwrap_or(total)));
                }
            }
            other => {
                timings.failed += u64::from(counted);
                if other.is_none() {
                    sender = None;
                }
            }
        }
    }
}

fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

async fn open(address: SocketAddr) -> Option<Sender> {
    let tcp = tokio::net::TcpStream::connect(address).await.ok()?;
    tcp.set_nodelay(true).ok()?;
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(tcp))
        .await
        .ok()?;
    tokio::spawn(connection);
    Some(sender)
}

/// CPU time (user + system) a process has used so far, from `/proc/<pid>/stat`.
pub fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // The fields after the command name (which may hold spaces) in parentheses.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime: fields 14 and 15 of the line, the 12th and 13th after the name.
    let per_second = rustix::param::clock_ticks_per_second().max(1);
    Duration::from_secs_f64((ticks(11) + ticks(12)) as f64 / per_second as f64)
}
