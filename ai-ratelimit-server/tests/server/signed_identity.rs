//! Signed identities: the identity secret's creation and rotation (shown once, the old one
//! valid for 24 hours on the injected clock), `requireSignedIdentity` on the proxy routes and
//! the drop-in (identity and tier only from a valid HS256 token), and every way a token is
//! refused with `401 invalid_identity_token`.

use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::harness::{Backend, Reply, TestServer, logs, start_time, unique_email, unique_org};
use crate::on_every_backend;
use crate::proxy::{MockUpstream, chat, identity_usage, project};

fn mint(secret: &str, claims: &Value) -> String {
    mint_with(secret, Algorithm::HS256, claims)
}

fn mint_with(secret: &str, algorithm: Algorithm, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("minted")
}

/// Seconds since the epoch of the servers' fake clock, plus `offset`.
fn at(s: &TestServer, offset: i64) -> i64 {
    use ai_ratelimit_core::Clock as _;
    s.clock.now().timestamp() + offset
}

async fn new_secret(s: &TestServer, jwt: &str, id: &str) -> Reply {
    let r = s
        .post(
            &format!("/api/projects/{id}/identity-secret"),
            Some(jwt),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r
}

async fn signed_call(
    s: &TestServer,
    path: &str,
    key: &str,
    token: Option<&str>,
    body: &Value,
) -> Reply {
    let mut request = s
        .client
        .post(format!("{}{path}", s.base))
        .header("x-project-key", key)
        .json(body);
    if let Some(token) = token {
        request = request.header("x-identity-token", token);
    }
    TestServer::reply(request.send().await.expect("sent")).await
}

fn assert_refused(r: &Reply) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.text);
    assert_eq!(r.body["error"], "invalid_identity_token", "{}", r.text);
}

async fn the_secret_is_shown_once_and_rotates_with_a_grace(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let (jwt, id, _) = project(&s, json!({"name": "Signed"})).await;
    let first = new_secret(&s, &jwt, &id).await;
    let secret = first.body["identitySecret"].as_str().expect("secret");
    assert!(secret.len() >= 43, "≥ 32 bytes base64url: {secret}");
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    );
    assert_eq!(first.body["previousValidUntil"], Value::Null);
    let shown = s.get(&format!("/api/projects/{id}"), Some(&jwt)).await;
    assert_eq!(shown.body["hasIdentitySecret"], true);
    assert_eq!(shown.body["requireSignedIdentity"], false);
    assert!(!shown.text.contains(secret), "never in a Project object");
    let listed = s.get("/api/projects", Some(&jwt)).await;
    assert!(!listed.text.contains(secret));

    s.clock.advance(Duration::minutes(5));
    let second = new_secret(&s, &jwt, &id).await;
    let rotated = second.body["identitySecret"].as_str().expect("secret");
    assert_ne!(rotated, secret);
    let until = (start_time() + Duration::minutes(5) + Duration::hours(24))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    assert_eq!(second.body["previousValidUntil"], until);
    assert!(
        !logs().contains(secret) && !logs().contains(rotated),
        "never logged"
    );

    // Another organization's caller cannot rotate it.
    let stranger = s
        .sign_in_new(&unique_email("stranger"), &unique_org("Stranger"))
        .await;
    let r = s
        .post(
            &format!("/api/projects/{id}/identity-secret"),
            Some(&stranger),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = s
        .post(
            &format!("/api/projects/{id}/identity-secret"),
            None,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    s.stop().await;
}

async fn a_required_identity_comes_only_from_the_token(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "Signed", "baseUrl": upstream.url(), "providerApiKey": "sk-test",
            "dailyRequestLimit": 1, "tiers": {"pro": {"requestLimit": 2, "tokenLimit": null}},
            "requireSignedIdentity": true}),
    )
    .await;
    // Required before any secret exists: every call is refused.
    let r = signed_call(&s, "/api/v1/proxy/chat", &key, None, &chat("alice")).await;
    assert_refused(&r);
    let secret = new_secret(&s, &jwt, &id).await.body["identitySecret"]
        .as_str()
        .expect("secret")
        .to_owned();

    // The body's identity alone names nobody.
    let r = signed_call(&s, "/api/v1/proxy/chat", &key, None, &chat("alice")).await;
    assert_refused(&r);
    assert_eq!(upstream.hits.load(std::sync::atomic::Ordering::SeqCst), 0);

    // The token's `sub` and `tier` count; the body's `identity`/`tier` are ignored and never
    // forwarded (the mock refuses a body carrying them).
    let alice = mint(
        &secret,
        &json!({"sub": "alice", "tier": "pro", "exp": at(&s, 600)}),
    );
    let mut spoof = chat("mallory");
    spoof["tier"] = json!("enterprise");
    for expected in [
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let r = signed_call(&s, "/api/v1/proxy/chat", &key, Some(&alice), &spoof).await;
        assert_eq!(r.status, expected, "{}", r.text);
    }
    let row = identity_usage(&s, &jwt, &id, "alice")
        .await
        .expect("alice counted");
    assert_eq!(row["requestsUsed"], 2);
    assert_eq!(row["tier"], "pro");
    assert!(identity_usage(&s, &jwt, &id, "mallory").await.is_none());

    // The drop-in: headers and `user` are ignored, the token decides; errors in OpenAI's shape.
    let bob = mint(&secret, &json!({"sub": "bob", "exp": at(&s, 600)}));
    let openai = |token: Option<&str>| {
        let mut request = s
            .client
            .post(format!("{}/api/v1/openai/chat/completions", s.base))
            .bearer_auth(&key)
            .header("x-identity", "mallory")
            .header("x-tier", "pro")
            .json(&json!({"model": "gpt-test", "user": "mallory", "messages": [{"role": "user", "content": "Hi"}]}));
        if let Some(token) = token {
            request = request.header("x-identity-token", token);
        }
        request.send()
    };
    let refused = TestServer::reply(openai(None).await.expect("sent")).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.body["error"]["code"], "invalid_identity_token");
    assert_eq!(refused.body["error"]["type"], "authentication_error");
    let admitted = TestServer::reply(openai(Some(&bob)).await.expect("sent")).await;
    assert_eq!(admitted.status, StatusCode::OK, "{}", admitted.text);
    let denied = TestServer::reply(openai(Some(&bob)).await.expect("sent")).await;
    assert_eq!(
        denied.status,
        StatusCode::TOO_MANY_REQUESTS,
        "no tier from x-tier"
    );
    assert!(identity_usage(&s, &jwt, &id, "bob").await.is_some());
    assert!(identity_usage(&s, &jwt, &id, "mallory").await.is_none());
    s.stop().await;
}

on_every_backend!(
    the_secret_is_shown_once_and_rotates_with_a_grace,
    a_required_identity_comes_only_from_the_token,
);

#[tokio::test]
async fn every_invalid_token_is_refused() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "Signed", "baseUrl": upstream.url(), "providerApiKey": "sk-test",
            "requireSignedIdentity": true}),
    )
    .await;
    let secret = new_secret(&s, &jwt, &id).await.body["identitySecret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let unsigned = {
        use base64::Engine as _;
        let b64 = |v: &Value| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string().as_bytes())
        };
        format!(
            "{}.{}.",
            b64(&json!({"alg": "none", "typ": "JWT"})),
            b64(&json!({"sub": "eve", "exp": at(&s, 600)}))
        )
    };
    let cases = [
        (
            "expired",
            mint(&secret, &json!({"sub": "eve", "exp": at(&s, 0)})),
        ),
        (
            "nbf ahead",
            mint(
                &secret,
                &json!({"sub": "eve", "exp": at(&s, 600), "nbf": at(&s, 61)}),
            ),
        ),
        (
            "iat ahead",
            mint(
                &secret,
                &json!({"sub": "eve", "exp": at(&s, 600), "iat": at(&s, 120)}),
            ),
        ),
        ("no exp", mint(&secret, &json!({"sub": "eve"}))),
        ("no sub", mint(&secret, &json!({"exp": at(&s, 600)}))),
        (
            "HS512",
            mint_with(
                &secret,
                Algorithm::HS512,
                &json!({"sub": "eve", "exp": at(&s, 600)}),
            ),
        ),
        ("alg none", unsigned),
        (
            "wrong secret",
            mint(
                "another-secret-another-secret-another",
                &json!({"sub": "eve", "exp": at(&s, 600)}),
            ),
        ),
        ("garbage", "not.a.jwt".to_owned()),
    ];
    for (case, token) in &cases {
        let r = signed_call(&s, "/api/v1/proxy/chat", &key, Some(token), &chat("eve")).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{case}: {}", r.text);
        assert_eq!(r.body["error"], "invalid_identity_token", "{case}");
        assert!(!r.text.contains(&secret), "{case}: no secret in errors");
    }
    // Within the leeway is fine.
    let early = mint(
        &secret,
        &json!({"sub": "eve", "exp": at(&s, 600), "nbf": at(&s, 60), "iat": at(&s, 60)}),
    );
    let r = signed_call(&s, "/api/v1/proxy/chat", &key, Some(&early), &chat("x")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        upstream.hits.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "no refused call reached the provider"
    );
    s.stop().await;
}

#[tokio::test]
async fn a_rotated_secret_works_for_24_hours_on_the_clock() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "Signed", "baseUrl": upstream.url(), "providerApiKey": "sk-test",
            "requireSignedIdentity": true}),
    )
    .await;
    let old = new_secret(&s, &jwt, &id).await.body["identitySecret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let new = new_secret(&s, &jwt, &id).await.body["identitySecret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let claims = json!({"sub": "carol", "exp": at(&s, 3 * 86_400)});
    let by_old = mint(&old, &claims);
    let by_new = mint(&new, &claims);
    s.clock.advance(Duration::hours(24) - Duration::seconds(1));
    for token in [&by_old, &by_new] {
        let r = signed_call(&s, "/api/v1/proxy/chat", &key, Some(token), &chat("x")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    s.clock.advance(Duration::seconds(1));
    let r = signed_call(&s, "/api/v1/proxy/chat", &key, Some(&by_old), &chat("x")).await;
    assert_refused(&r);
    let r = signed_call(&s, "/api/v1/proxy/chat", &key, Some(&by_new), &chat("x")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    s.stop().await;
}

#[tokio::test]
async fn an_optional_token_is_honoured_and_still_checked() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let upstream = MockUpstream::start().await;
    let (jwt, id, key) = project(
        &s,
        json!({"name": "Open", "baseUrl": upstream.url(), "providerApiKey": "sk-test"}),
    )
    .await;
    // Unsigned calls work as before.
    let r = signed_call(&s, "/api/v1/proxy/chat", &key, None, &chat("dave")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let secret = new_secret(&s, &jwt, &id).await.body["identitySecret"]
        .as_str()
        .expect("secret")
        .to_owned();
    let token = mint(&secret, &json!({"sub": "erin", "exp": at(&s, 600)}));
    let r = signed_call(&s, "/api/v1/proxy/chat", &key, Some(&token), &chat("dave")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert!(identity_usage(&s, &jwt, &id, "erin").await.is_some());
    let forged = mint(
        "not-the-secret",
        &json!({"sub": "erin", "exp": at(&s, 600)}),
    );
    let r = signed_call(&s, "/api/v1/proxy/chat", &key, Some(&forged), &chat("dave")).await;
    assert_refused(&r);
    // Switching the requirement on applies at once to this instance.
    let r = s
        .patch(
            &format!("/api/projects/{id}"),
            Some(&jwt),
            &json!({"requireSignedIdentity": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.body["requireSignedIdentity"], true);
    let r = signed_call(&s, "/api/v1/proxy/chat", &key, None, &chat("dave")).await;
    assert_refused(&r);
    let r = s
        .patch(
            &format!("/api/projects/{id}"),
            Some(&jwt),
            &json!({"requireSignedIdentity": null}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.body["field"], "requireSignedIdentity");
    s.stop().await;
}
