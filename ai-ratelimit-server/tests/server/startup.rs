//! Start-up: production refusals, the command line, production e-mail, the development key
//! file, and the request log drained at shutdown.

use std::process::Command;
use std::sync::{Arc, Mutex};

use ai_ratelimit_server::Config;
use ai_ratelimit_server::config::{ConfigError, RawConfig};
use ai_ratelimit_server::request_log::{RequestLogEntry, RequestOutcome};
use axum::Json;
use axum::http::HeaderMap;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row as _;

use crate::harness::{Backend, TestServer, base64_key, logs, start_time, unique_email, unique_org};

fn production() -> RawConfig {
    let mut raw = RawConfig::defaults();
    raw.app_env = Some("production".to_owned());
    raw.database_url = "sqlite::memory:".to_owned();
    raw.jwt_secret = Some("a-production-secret-of-more-than-32-bytes".to_owned());
    raw.encryption_key = Some(base64_key(1));
    raw
}

fn refusal(raw: RawConfig) -> String {
    match Config::try_from(raw) {
        Err(e @ (ConfigError::ProductionRequirement(_) | ConfigError::Invalid { .. })) => {
            e.to_string()
        }
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn production_refuses_missing_or_weak_secrets() {
    assert!(Config::try_from(production()).is_ok());

    let mut raw = production();
    raw.jwt_secret = None;
    let message = refusal(raw);
    assert!(
        message.contains("JWT_SECRET") && message.contains("32"),
        "{message}"
    );

    let mut raw = production();
    raw.jwt_secret = Some("short-secret".to_owned());
    let message = refusal(raw);
    assert!(
        message.contains("JWT_SECRET") && message.contains("at least 32"),
        "{message}"
    );

    let mut raw = production();
    raw.encryption_key = None;
    let message = refusal(raw);
    assert!(
        message.contains("ENCRYPTION_KEY") && message.contains("base64"),
        "{message}"
    );

    let mut raw = production();
    raw.encryption_key = Some("dG9vIHNob3J0".to_owned());
    assert!(refusal(raw).contains("ENCRYPTION_KEY"));

    // NODE_ENV is the fallback of APP_ENV.
    let mut raw = production();
    raw.app_env = None;
    raw.node_env = Some("production".to_owned());
    raw.jwt_secret = None;
    assert!(refusal(raw).contains("JWT_SECRET"));

    let mut raw = RawConfig::defaults();
    raw.jwt_expires_in = "soon".to_owned();
    assert!(refusal(raw).contains("JWT_EXPIRES_IN"));
}

#[test]
fn provider_timeouts_come_from_the_environment_and_are_validated() {
    let mut raw = RawConfig::defaults();
    // In memory: a valid development config on a file would write its key file here.
    raw.database_url = "sqlite::memory:".to_owned();
    raw.provider_connect_timeout_ms = Some(1_500);
    raw.provider_first_byte_timeout_ms = Some(20_000);
    raw.provider_idle_timeout_ms = Some(2_500);
    let config = Config::try_from(raw).expect("valid");
    assert_eq!(config.providers.connect_timeout().as_millis(), 1_500);
    assert_eq!(config.providers.first_byte_timeout().as_millis(), 20_000);
    assert_eq!(config.providers.idle_timeout().as_millis(), 2_500);

    for (variable, tweak) in [
        (
            "PROVIDER_CONNECT_TIMEOUT_MS",
            (|r: &mut RawConfig| r.provider_connect_timeout_ms = Some(0)) as fn(&mut RawConfig),
        ),
        ("PROVIDER_FIRST_BYTE_TIMEOUT_MS", |r| {
            r.provider_first_byte_timeout_ms = Some(0)
        }),
        ("PROVIDER_IDLE_TIMEOUT_MS", |r| {
            r.provider_idle_timeout_ms = Some(10 * 3_600_000)
        }),
        ("OPENAI_BASE_URL", |r| {
            r.openai_base_url = "ftp://example.com/x".to_owned()
        }),
    ] {
        let mut raw = RawConfig::defaults();
        raw.database_url = "sqlite::memory:".to_owned();
        tweak(&mut raw);
        let message = refusal(raw);
        assert!(message.contains(variable), "{message}");
    }
}

#[test]
fn the_binary_names_a_bad_provider_timeout() {
    let output = server_command()
        .env("DATABASE_URL", "sqlite::memory:")
        .env("PROVIDER_IDLE_TIMEOUT_MS", "0")
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PROVIDER_IDLE_TIMEOUT_MS"), "{stderr}");

    let output = server_command()
        .env("DATABASE_URL", "sqlite::memory:")
        .env("PROVIDER_CONNECT_TIMEOUT_MS", "soon")
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("PROVIDER_CONNECT_TIMEOUT_MS"), "{stderr}");
}

fn server_command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ai-ratelimit-server"));
    for (name, _) in std::env::vars() {
        if [
            "APP_ENV",
            "NODE_ENV",
            "JWT_SECRET",
            "ENCRYPTION_KEY",
            "DATABASE_URL",
            "PORT",
        ]
        .contains(&name.as_str())
        {
            command.env_remove(name);
        }
    }
    // No .env of the developer's checkout may leak in.
    command.current_dir(std::env::temp_dir());
    command
}

#[test]
fn the_binary_refuses_to_start_in_production_without_secrets() {
    let output = server_command()
        .env("APP_ENV", "production")
        .env("DATABASE_URL", "sqlite::memory:")
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to start in production") && stderr.contains("JWT_SECRET"),
        "{stderr}"
    );

    let output = server_command()
        .env("APP_ENV", "production")
        .env("DATABASE_URL", "sqlite::memory:")
        .env("JWT_SECRET", "x".repeat(40))
        .output()
        .expect("binary runs");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("ENCRYPTION_KEY"));
}

#[test]
fn help_documents_every_variable() {
    let output = server_command()
        .arg("--help")
        .output()
        .expect("binary runs");
    assert!(output.status.success());
    let help = String::from_utf8_lossy(&output.stdout);
    for variable in [
        "PORT",
        "HOST",
        "DATABASE_URL",
        "REDIS_URL",
        "GLOBAL_ADMIN_KEY",
        "JWT_SECRET",
        "JWT_EXPIRES_IN",
        "ENCRYPTION_KEY",
        "CORS_ORIGIN",
        "OPENAI_BASE_URL",
        "ANTHROPIC_BASE_URL",
        "APP_ENV",
        "NODE_ENV",
        "PUBLIC_URL",
        "RESEND_API_KEY",
        "EMAIL_FROM",
        "MAX_BODY_BYTES",
        "PROVIDER_CONNECT_TIMEOUT_MS",
        "PROVIDER_FIRST_BYTE_TIMEOUT_MS",
        "PROVIDER_IDLE_TIMEOUT_MS",
    ] {
        assert!(help.contains(variable), "--help lacks {variable}:\n{help}");
    }
}

type Mails = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// A stand-in for Resend's API that keeps what it receives.
async fn mock_resend() -> (String, Mails, tokio::sync::mpsc::Receiver<()>) {
    let mails: Mails = Arc::default();
    let (notify, received) = tokio::sync::mpsc::channel(16);
    let kept = mails.clone();
    let app = axum::Router::new().route(
        "/emails",
        axum::routing::post(move |headers: HeaderMap, Json(body): Json<Value>| {
            let kept = kept.clone();
            let notify = notify.clone();
            async move {
                kept.lock().expect("lock").push((headers, body));
                let _ = notify.send(()).await;
                Json(json!({"id": "mock"}))
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/emails", listener.local_addr().expect("address"));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, mails, received)
}

#[tokio::test]
async fn production_emails_magic_links_and_never_logs_them() {
    let (url, mails, mut received) = mock_resend().await;
    let Some(s) = TestServer::start_with(Backend::Sqlite, |raw| {
        raw.app_env = Some("production".to_owned());
        raw.jwt_secret = Some("a-production-secret-of-more-than-32-bytes".to_owned());
        raw.encryption_key = Some(base64_key(2));
        raw.resend_api_key = Some("re_test_key".to_owned());
        raw.email_from = Some("AI Ratelimit <login@example.com>".to_owned());
        raw.resend_api_url = url;
        raw.public_url = Some("https://ratelimit.example.com".to_owned());
    })
    .await
    else {
        return;
    };
    let email = unique_email("prod");
    let r = s
        .post(
            "/api/auth/signup",
            None,
            &json!({"email": email, "organizationName": unique_org("Prod")}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    tokio::time::timeout(std::time::Duration::from_secs(30), received.recv())
        .await
        .expect("the e-mail is sent")
        .expect("mock running");
    let (headers, body) = mails.lock().expect("lock").pop().expect("one mail");
    assert_eq!(headers["authorization"], "Bearer re_test_key");
    assert_eq!(body["to"], json!([email]));
    assert_eq!(body["from"], "AI Ratelimit <login@example.com>");
    let text = body["text"].as_str().expect("text");
    let token = text
        .split("https://ratelimit.example.com/auth/verify?token=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("link in the e-mail")
        .to_owned();
    assert!(
        !logs().contains(&token),
        "a production magic link was logged"
    );
    assert!(crate::harness::magic_link_token(&email).is_none());
    let verified = s
        .post(
            "/api/auth/magic-link/verify",
            None,
            &json!({"token": token}),
        )
        .await;
    assert_eq!(verified.status, StatusCode::OK);
    s.stop().await;
}

#[tokio::test]
async fn development_key_is_kept_beside_the_database() {
    let Some(s) = TestServer::start_with(Backend::Sqlite, |raw| raw.encryption_key = None).await
    else {
        return;
    };
    let jwt = s
        .sign_in_new(&unique_email("dev"), &unique_org("Dev"))
        .await;
    let p = s
        .post(
            "/api/projects",
            Some(&jwt),
            &json!({"name": "d", "providerApiKey": "sk-dev-key-1234567890"}),
        )
        .await;
    let key = p.body["projectKey"].as_str().expect("key").to_owned();
    let url = format!("sqlite://{}/server.db", s.dir.path().display());
    let dir = s.stop().await;
    let key_file = dir.path().join("server.db.encryption-key");
    assert!(key_file.exists(), "key generated beside the database");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        assert_eq!(
            std::fs::metadata(&key_file)
                .expect("meta")
                .permissions()
                .mode()
                & 0o077,
            0
        );
    }

    let restarted =
        TestServer::start_config(Config::development(url).expect("config"), dir, None).await;
    let record = restarted
        .state
        .projects
        .project_by_key(&key)
        .await
        .expect("lookup")
        .expect("project");
    assert_eq!(
        record.provider_api_key.as_ref().map(|k| k.expose()),
        Some("sk-dev-key-1234567890")
    );
    restarted.stop().await;
}

#[tokio::test]
async fn shutdown_writes_the_queued_request_log() {
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    for i in 0..600u64 {
        s.state.request_log.record(RequestLogEntry {
            project_id: "p".to_owned(),
            identity: format!("user-{i}"),
            tier: None,
            model: None,
            outcome: RequestOutcome::Allowed,
            tokens: i,
            tokens_estimated: false,
            latency_ms: 1,
            at: start_time(),
        });
    }
    let url = format!("sqlite://{}/server.db", s.dir.path().display());
    let dir = s.stop().await;
    let reopened =
        TestServer::start_config(Config::development(url).expect("config"), dir, None).await;
    let row = sqlx::query("SELECT COUNT(*) AS n FROM request_log WHERE project_id = 'p'")
        .fetch_one(reopened.state.db.pool())
        .await
        .expect("count");
    assert_eq!(row.try_get::<i64, _>("n").expect("n"), 600);
    reopened.stop().await;
}

/// Usage counters live in a file of their own beside an SQLite main file (so that their
/// writes never wait behind the request log's); counters a server before that kept in the
/// main file move there at start-up, once, and nothing is counted twice on later starts.
#[tokio::test]
async fn usage_counters_move_from_the_main_file_to_their_own() {
    use ai_ratelimit_core::{AdmitRequest, UsageKey, UsageStore, Window};
    use ai_ratelimit_server::usage_store::{usage_file, usage_store};
    use ai_ratelimit_store_sqlite::SqliteStore;

    let dir = tempfile::tempdir().expect("temp dir");
    let main = dir.path().join("server.db");
    let url = format!("sqlite://{}?mode=rwc", main.display());
    let now = chrono::Utc::now();
    let key = UsageKey::new("project", "someone", Window::Day.period_at(now));
    let request = AdmitRequest {
        key: key.clone(),
        tier: None,
        request_limit: None,
        token_limit: None,
        reserve_tokens: 0,
        reservation_expires_at: now,
        now,
        scope_cap: None,
    };
    // Where servers before the usage file kept the counters: the main file.
    let old = SqliteStore::connect(&url).await.expect("old store");
    for _ in 0..3 {
        old.admit(&request).await.expect("admit");
    }
    drop(old);

    let config = Config::development(url.clone()).expect("config");
    for start in 0..2 {
        let store = usage_store(&config).await.expect("usage store");
        let usage = store.usage(&key, now).await.expect("usage");
        assert_eq!(usage.requests, 3 + start, "start {start}");
        store.admit(&request).await.expect("admit");
    }
    assert!(usage_file(&main).exists());
    assert_eq!(usage_file(&main), dir.path().join("server.usage.db"));
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM airl_usage_counters")
        .fetch_one(&sqlx::SqlitePool::connect(&url).await.expect("main file"))
        .await
        .expect("count");
    assert_eq!(left, 0, "the main file keeps no counters");
}
