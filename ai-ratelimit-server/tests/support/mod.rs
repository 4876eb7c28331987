//! Shared by the provider tests: a recording mock upstream, the router under test with a fake
//! clock, and readers of what a stream yielded. (Each test crate uses its own subset.)
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use ai_ratelimit_core::FakeClock;
use ai_ratelimit_server::provider::{
    ChatStream, Operation, ProviderApiKey, ProviderOptions, ProviderOptionsConfig, ProviderRequest,
    ProviderRouter, ProviderSettings, StreamError,
};
use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use chrono::{TimeZone, Utc};
use futures::StreamExt;
use serde_json::{Map, Value};
use tokio::net::TcpListener;

/// The `created` of every translated answer (the fake clock's time).
pub const CREATED: i64 = 1_700_000_000;

/// One request as the mock received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: Method,
    /// Path and query.
    pub uri: String,
    pub headers: HeaderMap,
    /// The JSON body (`Null` for none).
    pub body: Value,
}

/// Every request the mock received, in order.
#[derive(Clone, Default)]
pub struct Seen(Arc<Mutex<Vec<Received>>>);

impl Seen {
    pub fn record(&self, method: Method, uri: &Uri, headers: HeaderMap, body: &Bytes) {
        let body = serde_json::from_slice(body).unwrap_or(Value::Null);
        let uri = uri
            .path_and_query()
            .map_or(String::new(), |p| p.to_string());
        self.0.lock().expect("lock").push(Received {
            method,
            uri,
            headers,
            body,
        });
    }

    pub fn last(&self) -> Received {
        self.0
            .lock()
            .expect("lock")
            .last()
            .cloned()
            .expect("a request reached the mock")
    }

    pub fn count(&self) -> usize {
        self.0.lock().expect("lock").len()
    }
}

/// Serves `app` on an ephemeral port.
pub async fn serve(app: Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind mock");
    let addr = listener.local_addr().expect("mock address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

/// The router under test, its clock fixed at [`CREATED`].
pub fn router(config: ProviderOptionsConfig) -> ProviderRouter {
    let options = ProviderOptions::try_from(config).expect("valid options");
    let clock = FakeClock::new(Utc.timestamp_opt(CREATED, 0).single().expect("valid time"));
    ProviderRouter::new(&options, Arc::new(clock)).expect("client builds")
}

/// A JSON object literal as a body map.
pub fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A request for `operation` at `url` with `body`, `settings` and the key `key`.
pub fn request(
    operation: Operation,
    url: String,
    body: Value,
    settings: ProviderSettings,
    key: &str,
) -> ProviderRequest {
    ProviderRequest::new(operation, url.parse().expect("valid URL"))
        .with_body(object(body))
        .with_settings(Arc::new(settings))
        .with_api_key(Some(ProviderApiKey::new(key)))
}

/// An SSE answer whose bytes arrive in odd-sized pieces, so frames straddle network chunks.
pub fn sse(text: String) -> Response {
    let chunks: Vec<Result<Bytes, std::io::Error>> = text
        .into_bytes()
        .chunks(31)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(futures::stream::iter(chunks)),
    )
        .into_response()
}

/// `event:`/`data:` frames of named events.
pub fn named_events(events: &[(&str, &str)]) -> String {
    events
        .iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

/// Reads a stream to its end: the bytes and the error it stopped on, if any.
pub async fn drain(mut stream: ChatStream) -> (Vec<u8>, Option<StreamError>) {
    let mut bytes = Vec::new();
    while let Some(item) = stream.next().await {
        match item {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(e) => return (bytes, Some(e)),
        }
    }
    (bytes, None)
}

/// The JSON payloads of chat `data:` frames before `[DONE]`, and whether `[DONE]` ended them.
pub fn chat_payloads(bytes: &[u8]) -> (Vec<Value>, bool) {
    let text = String::from_utf8_lossy(bytes);
    let mut values = Vec::new();
    let mut done = false;
    for frame in text.split_terminator("\n\n") {
        let data = frame
            .strip_prefix("data: ")
            .expect("every frame is a data line");
        if data == "[DONE]" {
            done = true;
        } else {
            values.push(serde_json::from_str(data).expect("frame is JSON"));
        }
    }
    (values, done)
}
