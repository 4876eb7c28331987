//! The baseline of the proxy benchmark: a minimal pass-through on the server's own HTTP stack
//! (axum/hyper server, reqwest client) with no auth, parsing or limiting. Listens on
//! `127.0.0.1:<arg 1>` and forwards every `POST` body to the upstream URL `<arg 2>`,
//! streaming the answer back with its status and content type.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use ai_ratelimit_bench::proxy_load::serve_nodelay;

#[derive(Clone)]
struct Upstream {
    client: reqwest::Client,
    url: String,
}

async fn relay(State(upstream): State<Upstream>, headers: HeaderMap, body: Bytes) -> Response {
    let mut request = upstream.client.post(&upstream.url).body(body);
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        request = request.header(header::CONTENT_TYPE, content_type);
    }
    match request.send().await {
        Ok(answer) => {
            let status = answer.status();
            let content_type = answer.headers().get(header::CONTENT_TYPE).cloned();
            let mut response = Response::new(Body::from_stream(answer.bytes_stream()));
            *response.status_mut() = status;
            if let Some(content_type) = content_type {
                response
                    .headers_mut()
                    .insert(header::CONTENT_TYPE, content_type);
            }
            response
        }
        Err(_) => StatusCode::BAD_GATEWAY.into_response(),
    }
}

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let port = args.next().unwrap_or_else(|| "0".into());
    let url = args
        .next()
        .expect("usage: bare-relay <port> <upstream url>");
    let upstream = Upstream {
        client: reqwest::Client::new(),
        url,
    };
    let app = Router::new().fallback(post(relay)).with_state(upstream);
    serve_nodelay(&format!("127.0.0.1:{port}"), app).await;
}
