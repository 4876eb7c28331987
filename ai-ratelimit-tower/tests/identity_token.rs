//! Property tests of the signed-identity checks: for any identity, tier, secret and time, a
//! token is accepted exactly when it is HS256, signed with a live secret, unexpired and not
//! from the future beyond the leeway. Times come from the caller (an injected clock), never
//! from sleeping.

use std::sync::Arc;

use ai_ratelimit_core::{FakeClock, Policy};
use ai_ratelimit_tower::{
    CLOCK_LEEWAY_SECONDS, IdentityKeys, IdentityTokenError, RateLimitLayer, ScopedPolicy,
    SignedIdentityExtractor, SubjectExtractor,
};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use proptest::prelude::*;
use serde_json::{Value, json};

const GRACE_HOURS: i64 = 24;

fn mint(secret: &[u8], algorithm: Algorithm, claims: &Value) -> String {
    jsonwebtoken::encode(
        &Header::new(algorithm),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .expect("minted")
}

/// An unsigned token (`alg: none`), as an attacker would forge it.
fn unsigned(claims: &Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    format!("{header}.{payload}.")
}

fn claims(identity: &str, tier: Option<&str>, exp: i64) -> Value {
    match tier {
        Some(tier) => json!({"sub": identity, "tier": tier, "exp": exp}),
        None => json!({"sub": identity, "exp": exp}),
    }
}

fn at(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).expect("in range")
}

fn secret() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 32..64)
}

fn identity() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9_.@-]{1,64}"
}

fn tier() -> impl Strategy<Value = Option<String>> {
    proptest::option::of("[a-z]{1,12}")
}

/// Seconds since the epoch around the test era.
fn now() -> impl Strategy<Value = i64> {
    1_700_000_000i64..1_900_000_000
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn a_live_token_yields_its_subject(secret in secret(), id in identity(), tier in tier(), now in now(), life in 1i64..86_400) {
        let token = mint(&secret, Algorithm::HS256, &claims(&id, tier.as_deref(), now + life));
        let found = IdentityKeys::new(&secret).verify(&token, at(now)).expect("valid");
        prop_assert_eq!(found.identity, id);
        prop_assert_eq!(found.tier, tier);
    }

    #[test]
    fn an_expired_token_is_refused(secret in secret(), id in identity(), now in now(), ago in 0i64..1_000_000) {
        let token = mint(&secret, Algorithm::HS256, &claims(&id, None, now - ago));
        prop_assert_eq!(IdentityKeys::new(&secret).verify(&token, at(now)), Err(IdentityTokenError::Expired));
    }

    #[test]
    fn nbf_and_iat_may_be_ahead_only_by_the_leeway(secret in secret(), id in identity(), now in now(), ahead in 0i64..600, use_iat in any::<bool>()) {
        let field = if use_iat { "iat" } else { "nbf" };
        let token = mint(&secret, Algorithm::HS256, &json!({"sub": id, "exp": now + 3600, field: now + ahead}));
        let result = IdentityKeys::new(&secret).verify(&token, at(now));
        if ahead <= CLOCK_LEEWAY_SECONDS {
            prop_assert!(result.is_ok(), "{field} {ahead}s ahead: {result:?}");
        } else {
            prop_assert_eq!(result, Err(IdentityTokenError::NotYetValid));
        }
    }

    #[test]
    fn any_algorithm_but_hs256_is_refused(secret in secret(), id in identity(), now in now(), pick in 0usize..3) {
        let good = claims(&id, None, now + 3600);
        let token = match pick {
            0 => unsigned(&good),
            1 => mint(&secret, Algorithm::HS384, &good),
            _ => mint(&secret, Algorithm::HS512, &good),
        };
        prop_assert_eq!(IdentityKeys::new(&secret).verify(&token, at(now)), Err(IdentityTokenError::Algorithm));
    }

    #[test]
    fn a_wrong_secret_is_refused(secret in secret(), other in secret(), id in identity(), now in now()) {
        prop_assume!(secret != other);
        let token = mint(&other, Algorithm::HS256, &claims(&id, None, now + 3600));
        prop_assert_eq!(IdentityKeys::new(&secret).verify(&token, at(now)), Err(IdentityTokenError::Signature));
    }

    #[test]
    fn a_tampered_payload_is_refused(secret in secret(), id in identity(), now in now()) {
        let token = mint(&secret, Algorithm::HS256, &claims(&id, Some("free"), now + 3600));
        let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
        parts[1] = URL_SAFE_NO_PAD.encode(claims(&id, Some("enterprise"), now + 3600).to_string());
        prop_assert_eq!(IdentityKeys::new(&secret).verify(&parts.join("."), at(now)), Err(IdentityTokenError::Signature));
    }

    #[test]
    fn a_rotated_secret_works_only_within_its_grace(old in secret(), new in secret(), id in identity(), rotated in now(), after in 0i64..(3 * GRACE_HOURS * 3600)) {
        prop_assume!(old != new);
        let valid_until = at(rotated) + Duration::hours(GRACE_HOURS);
        let keys = IdentityKeys::new(&new).with_previous(&old, valid_until);
        let now = rotated + after;
        let by_old = mint(&old, Algorithm::HS256, &claims(&id, None, now + 60));
        let by_new = mint(&new, Algorithm::HS256, &claims(&id, None, now + 60));
        prop_assert!(keys.verify(&by_new, at(now)).is_ok());
        let result = keys.verify(&by_old, at(now));
        if at(now) < valid_until {
            prop_assert_eq!(result.map(|c| c.identity), Ok(id));
        } else {
            prop_assert_eq!(result, Err(IdentityTokenError::Signature));
        }
    }

    #[test]
    fn garbage_never_panics_and_is_refused(secret in secret(), token in ".{0,200}", now in now()) {
        prop_assert!(IdentityKeys::new(&secret).verify(&token, at(now)).is_err());
    }
}

#[test]
fn sub_and_exp_are_required() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let keys = IdentityKeys::new(secret);
    let now = 1_800_000_000;
    let no_exp = mint(secret, Algorithm::HS256, &json!({"sub": "u1"}));
    assert_eq!(
        keys.verify(&no_exp, at(now)),
        Err(IdentityTokenError::MissingClaim("exp"))
    );
    let no_sub = mint(secret, Algorithm::HS256, &json!({"exp": now + 60}));
    assert_eq!(
        keys.verify(&no_sub, at(now)),
        Err(IdentityTokenError::MissingClaim("sub"))
    );
    let long = mint(
        secret,
        Algorithm::HS256,
        &json!({"sub": "x".repeat(257), "exp": now + 60}),
    );
    assert_eq!(
        keys.verify(&long, at(now)),
        Err(IdentityTokenError::IdentityTooLong)
    );
    let wrong_type = mint(
        secret,
        Algorithm::HS256,
        &json!({"sub": "u1", "tier": 3, "exp": now + 60}),
    );
    assert_eq!(
        keys.verify(&wrong_type, at(now)),
        Err(IdentityTokenError::Malformed)
    );
}

fn scoped() -> ScopedPolicy {
    ScopedPolicy::new(
        "app",
        Policy::from_json(&json!({"dailyRequestLimit": 5})).expect("policy"),
    )
}

#[test]
fn the_extractor_reads_only_the_token_when_required() {
    let secret = b"0123456789abcdef0123456789abcdef";
    let clock = FakeClock::new(at(1_800_000_000));
    let extractor =
        SignedIdentityExtractor::new(IdentityKeys::new(secret)).clock(Arc::new(clock.clone()));
    let token = mint(
        secret,
        Algorithm::HS256,
        &claims("alice", Some("pro"), 1_800_000_060),
    );
    let request = http::Request::post("/")
        .header("x-identity-token", &token)
        .header("x-identity", "mallory")
        .header("x-tier", "enterprise")
        .body(())
        .expect("request");
    let subject = SubjectExtractor::<()>::extract_now(&extractor, &request, &scoped())
        .expect("synchronous")
        .expect("valid");
    assert_eq!(
        (subject.identity.as_str(), subject.tier.as_deref()),
        ("alice", Some("pro"))
    );
    // The same token a minute later has expired (the injected clock moved, nothing slept).
    clock.advance(Duration::seconds(60));
    let refused = SubjectExtractor::<()>::extract_now(&extractor, &request, &scoped())
        .expect("synchronous")
        .expect_err("expired");
    assert_eq!(refused.status(), 401);
    assert_eq!(refused.body()["error"], "invalid_identity_token");
    // Headers alone do not name anyone.
    let bare = http::Request::post("/")
        .header("x-identity", "mallory")
        .body(())
        .expect("request");
    let refused = SubjectExtractor::<()>::extract_now(&extractor, &bare, &scoped())
        .expect("synchronous")
        .expect_err("missing");
    assert_eq!(refused.body()["error"], "invalid_identity_token");
}

#[test]
fn an_optional_extractor_falls_back_to_headers_but_checks_a_sent_token() {
    let extractor =
        SignedIdentityExtractor::new(IdentityKeys::new(b"s3cret-s3cret-s3cret-s3cret-s3cr"))
            .optional(ai_ratelimit_tower::HeaderExtractor::new());
    let bare = http::Request::post("/")
        .header("x-identity", "bob")
        .body(())
        .expect("request");
    let subject = SubjectExtractor::<()>::extract_now(&extractor, &bare, &scoped())
        .expect("synchronous")
        .expect("header identity");
    assert_eq!(subject.identity, "bob");
    let forged = http::Request::post("/")
        .header(
            "x-identity-token",
            unsigned(&claims("bob", None, i64::MAX / 2)),
        )
        .body(())
        .expect("request");
    let refused = SubjectExtractor::<()>::extract_now(&extractor, &forged, &scoped())
        .expect("synchronous")
        .expect_err("forged");
    assert_eq!(refused.status(), 401);
}

#[tokio::test]
async fn the_layer_admits_by_token_identity() {
    use tower::ServiceExt as _;
    tokio::time::pause();
    let secret = b"0123456789abcdef0123456789abcdef";
    let clock = FakeClock::new(at(1_800_000_000));
    let policy = Policy::from_json(&json!({"dailyRequestLimit": 1})).expect("policy");
    let app = axum::Router::new()
        .route("/chat", axum::routing::post(|| async { "ok" }))
        .layer(RateLimitLayer::new(policy).extractor(
            SignedIdentityExtractor::new(IdentityKeys::new(secret)).clock(Arc::new(clock.clone())),
        ));
    let send = |identity: &str, spoof: &str| {
        let token = mint(
            secret,
            Algorithm::HS256,
            &claims(identity, None, 1_800_000_600),
        );
        http::Request::post("/chat")
            .header("x-identity-token", token)
            .header("x-identity", spoof)
            .body(axum::body::Body::empty())
            .expect("request")
    };
    let first = app
        .clone()
        .oneshot(send("alice", "a"))
        .await
        .expect("served");
    assert_eq!(first.status(), 200);
    // A different spoofed header does not buy a fresh allowance: the token's `sub` counts.
    let second = app
        .clone()
        .oneshot(send("alice", "b"))
        .await
        .expect("served");
    assert_eq!(second.status(), 429);
    let other = app.oneshot(send("bob", "a")).await.expect("served");
    assert_eq!(other.status(), 200);
}
