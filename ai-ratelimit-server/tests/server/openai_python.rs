//! The official Python `openai` package against the drop-in endpoint: a completion, a stream,
//! and the limit's 429 surfacing as `openai.RateLimitError` (tests/python/openai_dropin.py);
//! the Responses API, embeddings, images and the model list, each with its 429 and deep link
//! (tests/python/openai_surface.py).
//!
//! The interpreter is `AIRL_TEST_PYTHON` (scripts/test.sh points it at a virtualenv with
//! `openai` installed), else `python3`. Without the package the test is skipped outside CI and
//! fails under `CI=true`.

use serde_json::json;

use crate::harness::{Backend, TestServer};
use crate::ops_upstream::OpsUpstream;
use crate::proxy::{MockUpstream, project};

fn python() -> String {
    std::env::var("AIRL_TEST_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

/// Whether `openai` imports in the test interpreter; `false` (with a note) outside CI.
async fn openai_importable(python: &str) -> bool {
    let probe = tokio::process::Command::new(python)
        .args(["-c", "import openai"])
        .output()
        .await;
    let ok = probe.as_ref().is_ok_and(|o| o.status.success());
    if !ok {
        let why = match &probe {
            Ok(o) => String::from_utf8_lossy(&o.stderr).into_owned(),
            Err(e) => e.to_string(),
        };
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "the openai package is not importable by {python} under CI=true (run scripts/test.sh): {why}"
        );
        eprintln!("SKIPPED: the openai package is not importable by {python}: {why}");
    }
    ok
}

/// Runs tests/python/`script` against `s` with the project keys `keys`: the lines it printed
/// (it must exit 0) and its stderr.
async fn run_script(
    python: &str,
    script: &str,
    s: &TestServer,
    keys: &[&str],
) -> (Vec<String>, String) {
    let script = format!("{}/tests/python/{script}", env!("CARGO_MANIFEST_DIR"));
    let output = tokio::process::Command::new(python)
        .arg(script)
        .arg(format!("{}/api/v1/openai", s.base))
        .args(keys)
        // The SDK must not pick up a real key or endpoint of the developer's shell.
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .kill_on_drop(true)
        .output()
        .await
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status.code()
    );
    (stdout.lines().map(str::to_owned).collect(), stderr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_the_drop_in() {
    let python = python();
    if !openai_importable(&python).await {
        return;
    }
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (_jwt, _id, key) = project(
        &s,
        json!({"name": "py", "baseUrl": mock.url(), "limitType": "requests", "dailyRequestLimit": 2}),
    )
    .await;
    let (steps, stderr) = run_script(&python, "openai_dropin.py", &s, &[&key]).await;
    assert_eq!(
        steps,
        ["OK chat", "OK stream", "OK rate_limit limit_exceeded"],
        "{stderr}"
    );
    assert_eq!(
        mock.hits.load(std::sync::atomic::Ordering::SeqCst),
        2,
        "the 429 was not forwarded"
    );
    s.stop().await;
}

/// A denial on the drop-in keeps everything: the Python SDK's `err.body` (OpenAI's error
/// object) carries the project's deep link, web URL and custom fields, and the default
/// denial's `usage`, `limits`, `limitType` and `resetAt`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_reads_the_deep_link_of_a_denial() {
    let python = python();
    if !openai_importable(&python).await {
        return;
    }
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = MockUpstream::start().await;
    let (jwt, _id, key) = project(
        &s,
        json!({"name": "py", "baseUrl": mock.url(), "limitType": "requests", "dailyRequestLimit": 2}),
    )
    .await;
    let upgrade = s
        .post(
            "/api/projects",
            Some(&jwt),
            &json!({"name": "py-upgrade", "baseUrl": mock.url(), "limitType": "requests",
                "dailyRequestLimit": 0,
                "limitExceededResponse": {"error": "limit_exceeded", "message": "Upgrade to Pro!",
                    "deepLink": "myapp://upgrade", "webUrl": "https://example.com/upgrade",
                    "plan": {"name": "pro", "price": 9}}}),
        )
        .await;
    let upgrade_key = upgrade.body["projectKey"].as_str().expect("key").to_owned();
    let (steps, stderr) = run_script(&python, "openai_dropin.py", &s, &[&key, &upgrade_key]).await;
    assert_eq!(
        steps,
        [
            "OK chat",
            "OK stream",
            "OK rate_limit limit_exceeded",
            "OK deep_link limit_exceeded"
        ],
        "{stderr}"
    );
    s.stop().await;
}

/// `responses.create` (plain and `stream=True`), `embeddings.create`, `images.generate` and
/// `models.list` through the drop-in, and each call's 429 read as `openai.RateLimitError` with
/// the project's deep link in `err.body`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn official_python_sdk_drives_responses_embeddings_images_and_models() {
    let python = python();
    if !openai_importable(&python).await {
        return;
    }
    let Some(s) = TestServer::start(Backend::Sqlite).await else {
        return;
    };
    let mock = OpsUpstream::start().await;
    let (jwt, _id, key) = project(&s, json!({"name": "py-surface", "baseUrl": mock.url()})).await;
    let upgrade = s
        .post(
            "/api/projects",
            Some(&jwt),
            &json!({"name": "py-surface-upgrade", "baseUrl": mock.url(), "dailyRequestLimit": 0,
                "limitExceededResponse": {"error": "limit_exceeded", "message": "Upgrade to Pro!",
                    "deepLink": "myapp://upgrade"}}),
        )
        .await;
    let upgrade_key = upgrade.body["projectKey"].as_str().expect("key").to_owned();
    let (steps, stderr) = run_script(&python, "openai_surface.py", &s, &[&key, &upgrade_key]).await;
    assert_eq!(
        steps,
        [
            "OK responses",
            "OK responses_stream",
            "OK embeddings",
            "OK images",
            "OK models",
            "OK rate_limit responses limit_exceeded",
            "OK rate_limit responses_stream limit_exceeded",
            "OK rate_limit embeddings limit_exceeded",
            "OK rate_limit images limit_exceeded",
            "OK models_unlimited",
        ],
        "{stderr}"
    );
    // Four admitted calls and two model lists; the four denials never left the server.
    assert_eq!(mock.hit_count(), 6);
    s.stop().await;
}
