//! The dashboard: the single-page app built from `dashboard/` (see `build.rs`) and embedded in
//! the binary, served at `/` with its client routes falling back to `index.html`.
//!
//! Hashed files under `/assets/` are cached for a year (`immutable`); `index.html` and the
//! other files are revalidated (`no-cache` with an `ETag`). Responses are compressed (gzip or
//! brotli) when the browser accepts it. `/api/...` paths and non-GET requests that reach the
//! fallback stay the API's JSON 404, and a server built without the dashboard answers with a
//! short page saying how to build it.

use std::borrow::Cow;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use rust_embed::RustEmbed;
use tower_http::compression::CompressionLayer;

use crate::error::ApiError;

/// The files of `dashboard/dist`, staged by the build script.
#[derive(RustEmbed)]
#[folder = "$OUT_DIR/dashboard"]
struct Embedded;

/// Why the build script built no dashboard (empty when it did).
const BUILD_NOTE: &str = env!("AIRL_DASHBOARD_BUILD_NOTE");
const INDEX: &str = "index.html";
/// Vite's content-hashed output: a changed file gets a new name.
const HASHED_PREFIX: &str = "assets/";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
const REVALIDATE: &str = "no-cache";
/// The app loads only its own files; React and the chart library set inline styles.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; \
     frame-ancestors 'none'";

/// One file of the dashboard.
#[derive(Debug, Clone)]
pub struct Asset {
    /// The bytes.
    pub bytes: Cow<'static, [u8]>,
    /// `Content-Type`.
    pub content_type: String,
    /// A strong validator of the bytes (quoted, as sent in `ETag`).
    pub etag: String,
}

/// Where the dashboard's files come from.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// The files embedded at build time (none when the build script built no dashboard).
    Embedded,
    /// No dashboard, for this reason (tests of a server built without one).
    Missing(&'static str),
}

impl Source {
    fn get(self, path: &str) -> Option<Asset> {
        match self {
            Source::Embedded => Embedded::get(path).map(|file| Asset {
                content_type: file.metadata.mimetype().to_owned(),
                etag: format!("\"{}\"", hex(&file.metadata.sha256_hash()[..16])),
                bytes: file.data,
            }),
            Source::Missing(_) => None,
        }
    }

    fn missing_reason(self) -> &'static str {
        match self {
            Source::Embedded if BUILD_NOTE.is_empty() => "dashboard/dist had no index.html",
            Source::Embedded => BUILD_NOTE,
            Source::Missing(reason) => reason,
        }
    }

    /// Whether the dashboard is there to serve.
    pub fn is_available(self) -> bool {
        self.get(INDEX).is_some()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The fallback service of the router: the dashboard, compressed.
pub fn service(source: Source) -> Router {
    Router::new()
        .fallback(
            move |method: Method, uri: Uri, headers: HeaderMap| async move {
                serve(source, &method, &uri, &headers)
            },
        )
        .layer(CompressionLayer::new())
}

fn serve(source: Source, method: &Method, uri: &Uri, headers: &HeaderMap) -> Response {
    let path = uri.path();
    let is_api = path == "/api" || path.starts_with("/api/");
    if is_api || (method != Method::GET && method != Method::HEAD) {
        return ApiError::NotFound.into_response();
    }
    let relative = path.trim_start_matches('/');
    if !relative.is_empty()
        && let Some(asset) = source.get(relative)
    {
        let cache = if relative.starts_with(HASHED_PREFIX) {
            IMMUTABLE
        } else {
            REVALIDATE
        };
        return file_response(asset, cache, headers);
    }
    // A missing file (`/assets/old-hash.js`, `/favicon.ico`) is a 404, not the app: a script
    // tag must never receive HTML. Everything else is a client route.
    let last_segment = relative.rsplit('/').next().unwrap_or("");
    if relative.starts_with(HASHED_PREFIX) || last_segment.contains('.') {
        return ApiError::NotFound.into_response();
    }
    match source.get(INDEX) {
        Some(mut index) => {
            index.content_type = "text/html; charset=utf-8".to_owned();
            let mut response = file_response(index, REVALIDATE, headers);
            let h = response.headers_mut();
            h.insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            );
            // The sign-in link carries its token in the URL: never send it on as a referrer.
            h.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            response
        }
        None => build_hint(source.missing_reason()),
    }
}

fn file_response(asset: Asset, cache: &'static str, request: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&asset.etag).unwrap_or(HeaderValue::from_static("\"\""));
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == asset.etag || tag.trim() == "*")
        });
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let content_type = HeaderValue::from_str(&asset.content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream"));
        let mut r = Response::new(Body::from(asset.bytes));
        r.headers_mut().insert(header::CONTENT_TYPE, content_type);
        r
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

/// The page of a server built without the dashboard.
fn build_hint(reason: &str) -> Response {
    let reason = reason
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let page = format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI Ratelimit — dashboard not built</title>
<style>body{{font:16px/1.6 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1.5rem;color:#1e293b}}
code,pre{{font:14px ui-monospace,monospace;background:#f1f5f9;border-radius:6px}}code{{padding:.1rem .3rem}}pre{{padding:1rem;overflow:auto}}</style>
</head><body>
<h1>The dashboard is not built into this server</h1>
<p>The API works (its description: <a href="/api/openapi.json">/api/openapi.json</a>), but this
binary was built without the web dashboard: {reason}.</p>
<p>To build it in, install Node.js 20.19 or newer (with npm) and build the server again; its build
script runs <code>npm ci</code> and <code>npm run build</code> in <code>dashboard/</code>:</p>
<pre>touch dashboard/package.json
cargo run -p ai-ratelimit-server</pre>
</body></html>
"#
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, REVALIDATE),
        ],
        page,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::to_bytes;
    use axum::http::Request;
    use tower::ServiceExt as _;

    async fn get(source: Source, method: Method, path: &str) -> (StatusCode, HeaderMap, String) {
        let request = Request::builder()
            .method(method)
            .uri(path)
            .body(Body::empty())
            .expect("request");
        let response = service(source).oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let body = to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (status, headers, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn without_a_dashboard_client_routes_explain_how_to_build_it() {
        let source = Source::Missing("npm was not found");
        for path in ["/", "/login", "/auth/verify?token=abc", "/projects/1"] {
            let (status, headers, body) = get(source, Method::GET, path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
            assert!(body.contains("npm was not found"), "{body}");
            assert!(body.contains("npm run build"), "{body}");
        }
    }

    #[tokio::test]
    async fn api_paths_missing_files_and_other_methods_stay_json_404() {
        let source = Source::Missing("test");
        for (method, path) in [
            (Method::GET, "/api"),
            (Method::GET, "/api/nope"),
            (Method::POST, "/login"),
            (Method::DELETE, "/"),
            (Method::GET, "/assets/index-0000.js"),
            (Method::GET, "/favicon.ico"),
        ] {
            let (status, headers, body) = get(source, method.clone(), path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(headers[header::CONTENT_TYPE], "application/json");
            assert!(body.contains("\"error\":\"not_found\""), "{body}");
        }
    }

    #[tokio::test]
    async fn build_notes_are_html_escaped() {
        let (_, _, body) = get(Source::Missing("<script>"), Method::GET, "/").await;
        assert!(!body.contains("<script>"), "{body}");
        assert!(body.contains("&lt;script&gt;"), "{body}");
    }
}
