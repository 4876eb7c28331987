//! Two server PROCESSES (the real binary, twice) sharing one store: a concurrent burst split
//! across both admits exactly the limit — over PostgreSQL, over Redis, and over a Redis Cluster.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection as _;

use crate::harness::{
    base64_key, postgres_schema, postgres_url, redis_cluster_reachable, redis_cluster_url,
    redis_reachable, redis_url,
};
use crate::proxy::{MockUpstream, chat};

const ADMIN_KEY: &str = "admin-key-of-the-two-process-test";

/// One running `ai-ratelimit-server` child; killed (and reaped) on drop, so a failing test
/// leaves no process behind.
struct ServerProcess {
    child: Child,
    base: String,
    output: Arc<Mutex<Vec<String>>>,
}

impl ServerProcess {
    /// Starts the binary with `env` on an ephemeral port and waits for its "listening" line.
    async fn start(env: &[(&str, String)]) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ai-ratelimit-server"));
        // Only what is given here: nothing of the test's environment or a .env file leaks in.
        command
            .env_clear()
            .current_dir(std::env::temp_dir())
            .env("PORT", "0")
            .env("RUST_LOG", "info")
            .env("APP_ENV", "development")
            .env("GLOBAL_ADMIN_KEY", ADMIN_KEY)
            .env("ENCRYPTION_KEY", base64_key(7))
            .env("JWT_SECRET", "a-shared-secret-of-the-two-process-test")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("server binary starts");
        let output = Arc::new(Mutex::new(Vec::new()));
        let (address_tx, mut address_rx) = tokio::sync::mpsc::unbounded_channel();
        for stream in [
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = output.clone();
            let address_tx = address_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if line.contains("listening")
                        && let Some(address) = line
                            .split_whitespace()
                            .find_map(|word| word.strip_prefix("address="))
                    {
                        let _ = address_tx.send(address.to_owned());
                    }
                    output.lock().expect("lock").push(line);
                }
            });
        }
        drop(address_tx);
        let mut server = Self {
            child,
            base: String::new(),
            output,
        };
        match tokio::time::timeout(Duration::from_secs(60), address_rx.recv()).await {
            Ok(Some(address)) => server.base = format!("http://{address}"),
            _ => panic!(
                "the server did not report its address; output:\n{}",
                server.output()
            ),
        }
        server
    }

    fn output(&self) -> String {
        self.output.lock().expect("lock").join("\n")
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts two processes with the same `env`, creates a project (limit 20) through the first's
/// admin API, fires 100 concurrent requests alternating between them, and checks that
/// exactly 20 were admitted and forwarded.
async fn burst_across_two_processes(env: Vec<(&str, String)>) {
    let mock = MockUpstream::start().await;
    // One after the other: the first one migrates the shared database.
    let first = ServerProcess::start(&env).await;
    let second = ServerProcess::start(&env).await;
    let client = reqwest::Client::new();
    let created = client
        .post(format!("{}/api/admin/projects", first.base))
        .header("x-admin-key", ADMIN_KEY)
        .json(&json!({"name": "shared", "baseUrl": mock.url(),
            "limitType": "requests", "dailyRequestLimit": 20}))
        .send()
        .await
        .expect("sent");
    assert_eq!(created.status(), StatusCode::CREATED);
    let project: Value = created.json().await.expect("project JSON");
    let key = project["projectKey"].as_str().expect("key").to_owned();

    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let base = if i % 2 == 0 {
                &first.base
            } else {
                &second.base
            };
            let request = client
                .post(format!("{base}/api/v1/proxy/chat"))
                .header("x-project-key", &key)
                .json(&chat("burst"));
            tokio::spawn(async move { (i % 2, request.send().await.expect("sent").status()) })
        })
        .collect();
    let mut admitted = [0; 2];
    let mut limited = 0;
    for task in tasks {
        match task.await.expect("task") {
            (process, StatusCode::OK) => admitted[process] += 1,
            (_, StatusCode::TOO_MANY_REQUESTS) => limited += 1,
            (_, other) => panic!(
                "unexpected status {other}; output:\n{}\n{}",
                first.output(),
                second.output()
            ),
        }
    }
    assert_eq!(
        (admitted[0] + admitted[1], limited),
        (20, 80),
        "admitted per process: {admitted:?}"
    );
    assert_eq!(mock.hits.load(Ordering::SeqCst), 20);
    // Both processes see the one shared counter.
    for server in [&first, &second] {
        let usage: Value = client
            .get(format!(
                "{}/api/admin/projects/{key}/usage/burst",
                server.base
            ))
            .header("x-admin-key", ADMIN_KEY)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("usage JSON");
        assert_eq!(usage["requestsUsed"], 20, "{usage}");
    }
}

/// Drops the test's PostgreSQL schemas, also when the test fails.
struct SchemaCleanup(Vec<String>);

impl Drop for SchemaCleanup {
    fn drop(&mut self) {
        let schemas = std::mem::take(&mut self.0);
        // Drop runs inside the test's runtime; a fresh thread may block on its own runtime.
        let _ = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async {
                if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_url()).await {
                    for name in schemas {
                        let _ = sqlx::query(&format!("DROP SCHEMA IF EXISTS {name} CASCADE"))
                            .execute(&mut conn)
                            .await;
                    }
                }
            });
        })
        .join();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_postgres() {
    let Some((database_url, schema)) = postgres_schema().await else {
        return;
    };
    let usage_schema = format!("{schema}_usage");
    let _cleanup = SchemaCleanup(vec![schema, usage_schema.clone()]);
    burst_across_two_processes(vec![
        ("DATABASE_URL", database_url),
        ("USAGE_STORE_SCHEMA", usage_schema),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_redis() {
    if !redis_reachable().await {
        return;
    }
    // Accounts and projects in a shared PostgreSQL schema; the usage counters in Redis only.
    let Some((database_url, schema)) = postgres_schema().await else {
        return;
    };
    let _cleanup = SchemaCleanup(vec![schema]);
    burst_across_two_processes(vec![
        ("DATABASE_URL", database_url),
        ("REDIS_URL", redis_url()),
    ])
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_share_a_redis_cluster() {
    if !redis_cluster_reachable().await {
        return;
    }
    let Some((database_url, schema)) = postgres_schema().await else {
        return;
    };
    let _cleanup = SchemaCleanup(vec![schema]);
    burst_across_two_processes(vec![
        ("DATABASE_URL", database_url),
        ("REDIS_URL", redis_cluster_url()),
    ])
    .await;
}
