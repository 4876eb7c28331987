//! The dashboard at `/`: client routes get `index.html`, hashed assets are cached for good and
//! compressed, and the API's paths stay JSON. Checks of the built files need a server built
//! with the dashboard (npm present); under `CI=true` that is required.

use ai_ratelimit_server::dashboard::Source;
use reqwest::StatusCode;

use crate::harness::{Backend, TestServer};

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test]
async fn serves_the_dashboard_and_its_client_routes() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let embedded = Source::Embedded.is_available();
    assert!(
        embedded || std::env::var("CI").is_err(),
        "CI builds the server with the dashboard (npm must work)"
    );
    let mut pages = Vec::new();
    for path in [
        "/",
        "/login",
        "/auth/verify?token=abc",
        "/projects/some-id/rules",
    ] {
        let r = s
            .client
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .expect("sent");
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(
            header(&r, "content-type"),
            "text/html; charset=utf-8",
            "{path}"
        );
        assert_eq!(header(&r, "cache-control"), "no-cache", "{path}");
        pages.push(r.text().await.expect("text"));
    }
    assert!(
        pages.windows(2).all(|w| w[0] == w[1]),
        "one page for every client route"
    );
    if !embedded {
        assert!(pages[0].contains("npm run build"), "{}", pages[0]);
        s.stop().await;
        return;
    }
    let index = &pages[0];
    assert!(index.contains(r#"<div id="root">"#), "{index}");
    let script = index
        .split("src=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a script in index.html");
    assert!(script.starts_with("/assets/"), "{script}");

    let r = s
        .client
        .get(format!("{}{script}", s.base))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        header(&r, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(header(&r, "content-encoding"), "gzip");
    assert!(header(&r, "content-type").starts_with("text/javascript"));
    let etag = header(&r, "etag").to_owned();
    assert!(etag.starts_with('"'), "{etag}");
    let r = s
        .client
        .get(format!("{}{script}", s.base))
        .header("accept-encoding", "br")
        .header("if-none-match", &etag)
        .send()
        .await
        .expect("sent");
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);

    let r = s
        .client
        .get(format!("{}/", s.base))
        .send()
        .await
        .expect("sent");
    assert!(header(&r, "content-security-policy").contains("default-src 'self'"));
    assert_eq!(header(&r, "referrer-policy"), "no-referrer");
    s.stop().await;
}
