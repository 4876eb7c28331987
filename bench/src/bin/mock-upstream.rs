//! A fast mock of OpenAI's chat completions for the load benchmark, on `127.0.0.1:<arg 1>`
//! (0: any port; the address is printed as `listening <addr>`).
//!
//! Whole answers are one fixed JSON body; streamed ones are six SSE frames (four content
//! deltas, the usage chunk, `[DONE]`), each written on its own, as a real provider's arrive:
//! a relay that holds small writes back (Nagle's algorithm) shows it on every stream.

use std::convert::Infallible;

use ai_ratelimit_bench::proxy_load::{STREAM_FRAMES, WHOLE_ANSWER, serve_nodelay};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

async fn chat(body: Bytes) -> Response {
    // A substring test, not a JSON parse: the mock's own cost stays out of the comparison.
    let streamed = body.windows(13).any(|w| w == b"\"stream\":true");
    if !streamed {
        return ([(header::CONTENT_TYPE, "application/json")], WHOLE_ANSWER).into_response();
    }
    let frames = futures::stream::iter(STREAM_FRAMES).then(|frame| async move {
        // Yield between frames so each leaves in its own write.
        tokio::task::yield_now().await;
        Ok::<_, Infallible>(Bytes::from_static(frame.as_bytes()))
    });
    (
        [(header::CONTENT_TYPE, "text/event-stream")],
        Body::from_stream(frames),
    )
        .into_response()
}

use futures::StreamExt as _;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let port = std::env::args().nth(1).unwrap_or_else(|| "0".into());
    let app = Router::new().route("/v1/chat/completions", post(chat));
    serve_nodelay(&format!("127.0.0.1:{port}"), app).await;
}
