//! Sign-up, magic links, login, sessions.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::{
    Backend, TestServer, magic_link_token, magic_links_logged, unique_email, unique_org,
};
use crate::on_every_backend;

on_every_backend!(
    signup_then_magic_link_then_me,
    signup_errors,
    magic_link_expires_after_15_minutes,
    magic_link_request_does_not_enumerate,
    magic_link_requests_are_rate_limited,
    password_login,
    session_tokens,
);

async fn signup_then_magic_link_then_me(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let email = unique_email("Ada");
    let org = unique_org("Acme");
    let r = s
        .post(
            "/api/auth/signup",
            None,
            &json!({"email": email, "organizationName": org}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.body["email"], email.to_lowercase());
    assert!(r.body["message"].is_string());

    let token = magic_link_token(&email.to_lowercase()).expect("link in the log");
    assert!(token.len() >= 22, "at least 128 bits");
    let line = crate::harness::logs()
        .lines()
        .find(|l| l.contains(&token))
        .map(str::to_owned)
        .expect("line");
    assert!(
        line.contains("magic link") && line.contains("http://localhost:3000/auth/verify?token=")
    );

    let r = s
        .post(
            "/api/auth/magic-link/verify",
            None,
            &json!({"token": token}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let jwt = r.body["token"].as_str().expect("jwt").to_owned();
    let user = r.body["user"].clone();
    assert_eq!(user["email"], email.to_lowercase());
    assert_eq!(user["organizationName"], org);
    assert!(user["id"].is_string() && user["organizationId"].is_string());

    let me = s.get("/api/auth/me", Some(&jwt)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body, user);

    // Single use.
    let again = s
        .post(
            "/api/auth/magic-link/verify",
            None,
            &json!({"token": token}),
        )
        .await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    assert_eq!(again.body["error"], "invalid_token");
    let unknown = s
        .post(
            "/api/auth/magic-link/verify",
            None,
            &json!({"token": "nope"}),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body["error"], "invalid_token");
    s.stop().await;
}

async fn signup_errors(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let org = unique_org("Taken");
    let email = unique_email("first");
    let ok = s
        .post(
            "/api/auth/signup",
            None,
            &json!({"email": email, "organizationName": org}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::CREATED);

    let cases = [
        (
            json!({"email": "not-an-email", "organizationName": unique_org("x")}),
            400,
            "invalid_request",
            Some("email"),
        ),
        (
            json!({"email": unique_email("r"), "organizationName": "Admin"}),
            400,
            "organization_reserved",
            None,
        ),
        (
            json!({"email": unique_email("r"), "organizationName": " www "}),
            400,
            "organization_reserved",
            None,
        ),
        (
            json!({"email": unique_email("o"), "organizationName": org.to_uppercase()}),
            409,
            "organization_taken",
            None,
        ),
        (
            json!({"email": email.to_uppercase(), "organizationName": unique_org("y")}),
            409,
            "email_taken",
            None,
        ),
        (
            json!({"email": unique_email("m")}),
            400,
            "invalid_request",
            Some("organizationName"),
        ),
        (
            json!({"email": unique_email("e"), "organizationName": ""}),
            400,
            "invalid_request",
            Some("organizationName"),
        ),
        (
            json!({"email": unique_email("u"), "organizationName": unique_org("z"), "plan": "pro"}),
            400,
            "invalid_request",
            Some("plan"),
        ),
        (
            json!({"email": unique_email("p"), "organizationName": unique_org("p"), "password": "short"}),
            400,
            "invalid_request",
            Some("password"),
        ),
    ];
    for (body, status, code, field) in cases {
        let r = s.post("/api/auth/signup", None, &body).await;
        assert_eq!(r.status.as_u16(), status, "{body} → {}", r.text);
        assert_eq!(r.body["error"], code, "{body}");
        assert!(r.body["message"].is_string());
        match field {
            Some(f) => assert_eq!(r.body["field"], f, "{body}"),
            None => assert!(r.body.get("field").is_none(), "{body}"),
        }
    }
    s.stop().await;
}

async fn magic_link_expires_after_15_minutes(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let email = unique_email("exp");
    let r = s
        .post(
            "/api/auth/signup",
            None,
            &json!({"email": email, "organizationName": unique_org("Exp")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let expired = magic_link_token(&email).expect("link");
    s.clock.advance(Duration::minutes(15));
    let r = s
        .post(
            "/api/auth/magic-link/verify",
            None,
            &json!({"token": expired}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"], "invalid_token");

    let r = s
        .post(
            "/api/auth/magic-link/request",
            None,
            &json!({"email": email}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let fresh = magic_link_token(&email).expect("second link");
    assert_ne!(fresh, expired);
    s.clock
        .advance(Duration::minutes(14) + Duration::seconds(59));
    let r = s
        .post(
            "/api/auth/magic-link/verify",
            None,
            &json!({"token": fresh}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    s.stop().await;
}

async fn magic_link_request_does_not_enumerate(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let known = unique_email("known");
    s.sign_in_new(&known, &unique_org("Known")).await;
    let unknown = unique_email("unknown");
    let a = s
        .post(
            "/api/auth/magic-link/request",
            None,
            &json!({"email": known}),
        )
        .await;
    let b = s
        .post(
            "/api/auth/magic-link/request",
            None,
            &json!({"email": unknown}),
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    assert_eq!(b.status, StatusCode::OK);
    assert_eq!(
        a.body, b.body,
        "same answer whether or not the account exists"
    );
    assert_eq!(magic_links_logged(&known), 2);
    assert_eq!(magic_links_logged(&unknown), 0);
    let bad = s
        .post("/api/auth/magic-link/request", None, &json!({"email": "x"}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.body["field"], "email");
    s.stop().await;
}

async fn magic_link_requests_are_rate_limited(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let email = unique_email("spam");
    for _ in 0..ai_ratelimit_server::auth::MAGIC_LINKS_PER_EMAIL_PER_HOUR {
        let r = s
            .post(
                "/api/auth/magic-link/request",
                None,
                &json!({"email": email}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let r = s
        .post(
            "/api/auth/magic-link/request",
            None,
            &json!({"email": email}),
        )
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(r.body["error"], "rate_limited");
    assert!(r.headers.contains_key("retry-after"));

    // Per IP: other addresses from the same client run out too.
    let per_ip = ai_ratelimit_server::auth::MAGIC_LINKS_PER_IP_PER_HOUR;
    let mut limited = None;
    for i in 0..per_ip {
        let r = s
            .post(
                "/api/auth/magic-link/request",
                None,
                &json!({"email": unique_email("ip")}),
            )
            .await;
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(i);
            break;
        }
    }
    // The 6 requests above already counted toward this IP's hourly budget.
    assert_eq!(limited, Some(per_ip - 6));

    // The next hour, requests are accepted again.
    s.clock.advance(Duration::hours(1));
    let r = s
        .post(
            "/api/auth/magic-link/request",
            None,
            &json!({"email": email}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    s.stop().await;
}

async fn password_login(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let email = unique_email("pw");
    let r = s
        .post(
            "/api/auth/signup",
            None,
            &json!({"email": email, "organizationName": unique_org("Pw"), "password": "correct horse"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let ok = s
        .post(
            "/api/auth/login",
            None,
            &json!({"email": email, "password": "correct horse"}),
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text);
    assert_eq!(ok.body["user"]["email"], email);
    let jwt = ok.body["token"].as_str().expect("jwt");
    assert_eq!(
        s.get("/api/auth/me", Some(jwt)).await.status,
        StatusCode::OK
    );

    let passwordless = unique_email("nopw");
    s.sign_in_new(&passwordless, &unique_org("NoPw")).await;
    for body in [
        json!({"email": email, "password": "wrong horse"}),
        json!({"email": unique_email("ghost"), "password": "correct horse"}),
        json!({"email": passwordless, "password": ""}),
    ] {
        let r = s.post("/api/auth/login", None, &body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(r.body["error"], "invalid_credentials");
    }
    s.stop().await;
}

async fn session_tokens(backend: Backend) {
    let Some(s) = TestServer::start(backend).await else {
        return;
    };
    let jwt = s
        .sign_in_new(&unique_email("jwt"), &unique_org("Jwt"))
        .await;
    let forged = {
        use jsonwebtoken::{EncodingKey, Header, encode};
        let claims = json!({"sub": "x", "org": "y", "iat": 0, "exp": 4_000_000_000_i64});
        encode(
            &Header::default(),
            &claims,
            &EncodingKey::from_secret(b"another secret"),
        )
        .expect("encode")
    };
    for bearer in [None, Some("garbage"), Some(forged.as_str())] {
        let r = s.get("/api/auth/me", bearer).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.body["error"], "unauthorized");
        let r = s.get("/api/projects", bearer).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    // JWT_EXPIRES_IN defaults to 7 days.
    s.clock.advance(Duration::days(7) - Duration::seconds(1));
    assert_eq!(
        s.get("/api/auth/me", Some(&jwt)).await.status,
        StatusCode::OK
    );
    s.clock.advance(Duration::seconds(1));
    let r = s.get("/api/auth/me", Some(&jwt)).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.body["error"], "unauthorized");
    s.stop().await;
}
