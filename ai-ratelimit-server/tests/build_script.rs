//! The build script's decisions (`build.rs`, included here): when it runs npm, and how a
//! missing npm, a failing build or a skipped build leave the server without the dashboard
//! instead of failing the cargo build. A fake `npm` stands in for the real one.
#![cfg(unix)]

#[path = "../build.rs"]
mod build_script;

use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use build_script::prepare;

/// A shell script answering like npm: `ci` installs, `run build` writes dist/ (or fails when
/// the dashboard folder holds a file named `fail`).
const FAKE_NPM: &str = r#"#!/bin/sh
echo "$@" >> calls.log
case "$1" in
  --version) echo 10.0.0 ;;
  ci) mkdir -p node_modules && : > node_modules/.package-lock.json ;;
  run) if [ -f fail ]; then echo "vite: boom" >&2; exit 1; fi
       mkdir -p dist && echo '<div id="root"></div>' > dist/index.html ;;
esac
"#;

/// One test at a time: a test writing its fake npm while another test's `npm` child is
/// between fork and exec (holding a copy of the write handle) makes that exec fail with
/// ETXTBSY, which the build script reports as npm not found.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

struct Sources {
    _serial: std::sync::MutexGuard<'static, ()>,
    _dir: tempfile::TempDir,
    dashboard: PathBuf,
    npm: String,
}

fn sources() -> Sources {
    let serial = ONE_AT_A_TIME
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let dir = tempfile::tempdir().expect("temp dir");
    let dashboard = dir.path().join("dashboard");
    fs::create_dir_all(dashboard.join("src")).expect("src");
    fs::write(dashboard.join("package.json"), "{}").expect("package.json");
    fs::write(dashboard.join("package-lock.json"), "{}").expect("lock");
    fs::write(dashboard.join("src/main.tsx"), "export {};").expect("source");
    let npm = dir.path().join("npm");
    fs::write(&npm, FAKE_NPM).expect("fake npm");
    fs::set_permissions(&npm, fs::Permissions::from_mode(0o755)).expect("executable");
    Sources {
        npm: npm.display().to_string(),
        dashboard,
        _dir: dir,
        _serial: serial,
    }
}

fn set_age(path: &Path, seconds_ago: u64) {
    let at = SystemTime::now() - Duration::from_secs(seconds_ago);
    File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(at))
        .expect("set mtime");
}

fn npm_calls(s: &Sources) -> String {
    fs::read_to_string(s.dashboard.join("calls.log")).unwrap_or_default()
}

#[test]
fn builds_with_npm_when_dist_is_missing_then_not_again() {
    let s = sources();
    let dist = prepare(&s.dashboard, &s.npm, false).expect("built");
    assert!(dist.join("index.html").is_file());
    assert_eq!(
        npm_calls(&s),
        "--version\nci --no-audit --no-fund\nrun build\n"
    );
    // Up to date: no npm at all (a missing npm would fail otherwise).
    prepare(&s.dashboard, "/nonexistent/npm", false).expect("current");
}

#[test]
fn rebuilds_when_a_source_is_newer_than_dist() {
    let s = sources();
    prepare(&s.dashboard, &s.npm, false).expect("built");
    set_age(&s.dashboard.join("dist/index.html"), 60);
    prepare(&s.dashboard, &s.npm, false).expect("rebuilt");
    // Installed packages are current: only the build runs again.
    assert!(
        npm_calls(&s).ends_with("--version\nrun build\n"),
        "{}",
        npm_calls(&s)
    );
}

#[test]
fn without_npm_the_server_builds_without_the_dashboard() {
    let s = sources();
    let err = prepare(&s.dashboard, "/nonexistent/npm", false).expect_err("no npm");
    assert!(err.contains("npm was not found"), "{err}");
    assert!(err.contains("AIRL_SKIP_DASHBOARD_BUILD"), "{err}");
}

#[test]
fn a_failing_build_leaves_the_server_without_the_dashboard() {
    let s = sources();
    fs::write(s.dashboard.join("fail"), "").expect("marker");
    let err = prepare(&s.dashboard, &s.npm, false).expect_err("build fails");
    assert!(err.contains("run build` failed"), "{err}");
    assert!(!s.dashboard.join("dist").exists());
}

#[test]
fn skipping_embeds_an_existing_build_as_it_is() {
    let s = sources();
    let err = prepare(&s.dashboard, &s.npm, true).expect_err("nothing to embed");
    assert!(err.contains("AIRL_SKIP_DASHBOARD_BUILD is set"), "{err}");
    assert_eq!(npm_calls(&s), "");
    prepare(&s.dashboard, &s.npm, false).expect("built");
    set_age(&s.dashboard.join("dist/index.html"), 60);
    fs::remove_file(s.dashboard.join("calls.log")).expect("reset log");
    prepare(&s.dashboard, &s.npm, true).expect("stale but embedded");
    assert_eq!(npm_calls(&s), "");
}

#[test]
fn no_sources_no_dashboard() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = prepare(dir.path(), "npm", false).expect_err("no sources");
    assert!(err.contains("no dashboard sources"), "{err}");
}
