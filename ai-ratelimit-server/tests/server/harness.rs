//! Starts the real server in-process on an ephemeral port, on SQLite (a temporary directory) or
//! on the local PostgreSQL (a schema of its own), with a fake clock and the log captured.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use ai_ratelimit_core::FakeClock;
use ai_ratelimit_server::config::RawConfig;
use ai_ratelimit_server::{AppOptions, AppState, Config, build_app_with};
use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use sqlx::Connection as _;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tracing_subscriber::EnvFilter;

/// Where accounts, projects and usage counters live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    /// Accounts and projects on SQLite, usage counters in the test Redis (`REDIS_URL`). Each
    /// project's counters are keyed by its fresh uuid, so tests never share a counter.
    Redis,
}

/// Runs each named `async fn name(backend: Backend)` on SQLite and on PostgreSQL.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test]
                async fn sqlite() {
                    super::$name($crate::harness::Backend::Sqlite).await
                }
                #[tokio::test]
                async fn postgres() {
                    super::$name($crate::harness::Backend::Postgres).await
                }
            }
        )*
    };
}

#[derive(Clone, Default)]
struct SharedBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for SharedBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn log_buffer() -> &'static SharedBuffer {
    static BUFFER: OnceLock<SharedBuffer> = OnceLock::new();
    BUFFER.get_or_init(|| {
        let buffer = SharedBuffer::default();
        let writer = buffer.clone();
        // Everything of this crate at every level, so "never logged" is checked at trace too.
        tracing_subscriber::fmt()
            .with_env_filter(EnvFilter::new(
                "info,ai_ratelimit_server=trace,tower_http=trace,sqlx=debug",
            ))
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .ok();
        buffer
    })
}

/// Everything logged so far by every server of this test process.
pub fn logs() -> String {
    String::from_utf8_lossy(
        &log_buffer()
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    )
    .into_owned()
}

/// The start time of every fake clock.
pub fn start_time() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().expect("valid time")
}

pub fn redis_url() -> String {
    std::env::var("AIRL_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Whether the test Redis answers; `false` (with a note) when it does not, outside CI.
pub async fn redis_reachable() -> bool {
    let url = redis_url();
    let address = reqwest::Url::parse(&url)
        .ok()
        .and_then(|u| Some(format!("{}:{}", u.host_str()?, u.port().unwrap_or(6379))))
        .expect("redis URL");
    match tokio::net::TcpStream::connect(&address).await {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "Redis at {url} unreachable under CI=true: {e}"
            );
            eprintln!("SKIPPED: Redis at {url} is unreachable ({e})");
            false
        }
    }
}

/// `AIRL_TEST_REDIS_CLUSTER_URL`, default the local cluster of `scripts/services.sh`.
pub fn redis_cluster_url() -> String {
    std::env::var("AIRL_TEST_REDIS_CLUSTER_URL").unwrap_or_else(|_| {
        "redis+cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003".to_owned()
    })
}

/// Whether the test cluster's first seed answers; `false` (with a note) when it does not,
/// outside CI.
pub async fn redis_cluster_reachable() -> bool {
    let url = redis_cluster_url();
    let seed = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.rsplit('@').next())
        .and_then(|hosts| hosts.split(',').next())
        .map(|host| host.trim_end_matches('/').to_owned())
        .expect("cluster URL");
    match tokio::net::TcpStream::connect(&seed).await {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "the Redis Cluster at {url} is unreachable under CI=true: {e}"
            );
            eprintln!("SKIPPED: the Redis Cluster at {url} is unreachable ({e})");
            false
        }
    }
}

pub fn postgres_url() -> String {
    std::env::var("AIRL_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A fresh schema on the test PostgreSQL, or `None` (with a note) when it is unreachable
/// outside CI.
pub async fn postgres_schema() -> Option<(String, String)> {
    let base = postgres_url();
    let mut conn = match sqlx::PgConnection::connect(&base).await {
        Ok(c) => c,
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("PostgreSQL at {base} is unreachable under CI=true: {e}");
            }
            eprintln!("SKIPPED: PostgreSQL at {base} is unreachable ({e})");
            return None;
        }
    };
    let schema = format!("airl_server_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut conn)
        .await
        .expect("create schema");
    let separator = if base.contains('?') { '&' } else { '?' };
    Some((
        format!("{base}{separator}options=-c%20search_path%3D{schema}"),
        schema,
    ))
}

/// A running server.
pub struct TestServer {
    pub base: String,
    pub client: reqwest::Client,
    pub clock: FakeClock,
    pub state: AppState,
    pub dir: tempfile::TempDir,
    schema: Option<String>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<Result<(), ai_ratelimit_server::ServerError>>>,
}

/// A response: status, headers and JSON body (`Null` when empty or not JSON).
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub body: Value,
}

impl TestServer {
    /// A development server with default settings, or `None` when the backend is unavailable.
    pub async fn start(backend: Backend) -> Option<Self> {
        Self::start_with(backend, |_| {}).await
    }

    /// A server whose raw configuration `tweak` may change first.
    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut RawConfig)) -> Option<Self> {
        log_buffer();
        let dir = tempfile::tempdir().expect("temp dir");
        let mut raw = RawConfig::defaults();
        raw.port = 0;
        let mut schema = None;
        raw.database_url = match backend {
            Backend::Sqlite => format!("sqlite://{}/server.db", dir.path().display()),
            Backend::Redis => {
                if !redis_reachable().await {
                    return None;
                }
                raw.redis_url = Some(redis_url());
                format!("sqlite://{}/server.db", dir.path().display())
            }
            Backend::Postgres => {
                let (url, name) = postgres_schema().await?;
                schema = Some(name);
                url
            }
        };
        if backend == Backend::Postgres {
            // Postgres has no file to keep a development key beside.
            raw.encryption_key = Some(base64_key(9));
            raw.usage_store_schema = format!("{}_usage", schema.as_deref().unwrap_or("x"));
        }
        raw.public_url = Some("http://localhost:3000".to_owned());
        tweak(&mut raw);
        let config = Config::try_from(raw).expect("valid config");
        Some(Self::start_config(config, dir, schema).await)
    }

    pub async fn start_config(
        config: Config,
        dir: tempfile::TempDir,
        schema: Option<String>,
    ) -> Self {
        let clock = FakeClock::new(start_time());
        let app = build_app_with(
            config,
            AppOptions {
                clock: Arc::new(clock.clone()),
            },
        )
        .await
        .expect("server builds");
        let state = app.state().clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (shutdown, signal) = oneshot::channel::<()>();
        let handle = tokio::spawn(app.serve(listener, async move {
            let _ = signal.await;
        }));
        Self {
            base,
            client: reqwest::Client::new(),
            clock,
            state,
            dir,
            schema,
            shutdown: Some(shutdown),
            handle: Some(handle),
        }
    }

    /// Stops the server (graceful shutdown), drops its PostgreSQL schema, and hands back its
    /// directory (the SQLite file) for a restart.
    pub async fn stop(mut self) -> tempfile::TempDir {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
        if let Some(h) = self.handle.take() {
            h.await
                .expect("server task")
                .expect("server stopped cleanly");
        }
        if let Some(schema) = self.schema.take()
            && let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_url()).await
        {
            for name in [schema.clone(), format!("{schema}_usage")] {
                let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                    .execute(&mut conn)
                    .await;
            }
        }
        let placeholder = tempfile::tempdir().expect("temp dir");
        std::mem::replace(&mut self.dir, placeholder)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        bearer: Option<&str>,
        body: Option<&Value>,
    ) -> Reply {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        Self::reply(request.send().await.expect("request sent")).await
    }

    pub async fn reply(response: reqwest::Response) -> Reply {
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Reply {
            status,
            headers,
            text,
            body,
        }
    }

    pub async fn get(&self, path: &str, bearer: Option<&str>) -> Reply {
        self.call(Method::GET, path, bearer, None).await
    }

    pub async fn post(&self, path: &str, bearer: Option<&str>, body: &Value) -> Reply {
        self.call(Method::POST, path, bearer, Some(body)).await
    }

    pub async fn patch(&self, path: &str, bearer: Option<&str>, body: &Value) -> Reply {
        self.call(Method::PATCH, path, bearer, Some(body)).await
    }

    pub async fn delete(&self, path: &str, bearer: Option<&str>) -> Reply {
        self.call(Method::DELETE, path, bearer, None).await
    }

    /// Signs up (organization + user), takes the magic link from the log, verifies it and
    /// returns the session token.
    pub async fn sign_in_new(&self, email: &str, organization: &str) -> String {
        let r = self
            .post(
                "/api/auth/signup",
                None,
                &serde_json::json!({"email": email, "organizationName": organization}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
        let token = magic_link_token(email).expect("magic link logged");
        let r = self
            .post(
                "/api/auth/magic-link/verify",
                None,
                &serde_json::json!({"token": token}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        r.body["token"].as_str().expect("jwt").to_owned()
    }
}

/// The token of the latest magic link logged for `email`.
pub fn magic_link_token(email: &str) -> Option<String> {
    let marker = format!("magic link for {email}: ");
    logs()
        .lines()
        .filter_map(|line| line.split_once(&marker).map(|(_, url)| url.to_owned()))
        .next_back()
        .and_then(|url| {
            url.split_once("/auth/verify?token=")
                .map(|(_, t)| t.trim().to_owned())
        })
}

/// How many magic links were logged for `email`.
pub fn magic_links_logged(email: &str) -> usize {
    let marker = format!("magic link for {email}: ");
    logs().lines().filter(|l| l.contains(&marker)).count()
}

/// A unique e-mail address.
pub fn unique_email(prefix: &str) -> String {
    format!("{prefix}-{}@example.com", uuid::Uuid::new_v4().simple())
}

/// A unique organization name.
pub fn unique_org(prefix: &str) -> String {
    format!("{prefix} {}", uuid::Uuid::new_v4().simple())
}

/// A base64 32-byte key filled with `byte`.
pub fn base64_key(byte: u8) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}
