//! Builds the dashboard (`../dashboard`, a Vite app) when its output is missing or older than
//! its sources, and stages the built files in `$OUT_DIR/dashboard`, which `src/dashboard.rs`
//! embeds into the binary. Without npm, or when the npm build fails, the server is built
//! without the dashboard (a `cargo:warning` says why, and `/` explains how to build it).
//!
//! `AIRL_SKIP_DASHBOARD_BUILD=1` never runs npm: an existing `dashboard/dist` is embedded as it is.
//! `AIRL_NPM` names another npm executable. `tests/build_script.rs` tests this file's paths.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::SystemTime;

/// What the dashboard's build reads, relative to `dashboard/`: a change reruns this script.
const INPUTS: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
];

#[allow(dead_code)] // Unused where tests/build_script.rs includes this file.
fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let dashboard = manifest_dir.join("..").join("dashboard");
    let staged = PathBuf::from(env("OUT_DIR")).join("dashboard");
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=AIRL_SKIP_DASHBOARD_BUILD");
    println!("cargo::rerun-if-env-changed=AIRL_NPM");
    let skip = std::env::var("AIRL_SKIP_DASHBOARD_BUILD").is_ok_and(|v| !v.is_empty() && v != "0");
    let default_npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    let npm = std::env::var("AIRL_NPM").unwrap_or_else(|_| default_npm.to_owned());

    // Always (re)create the staging folder so the embed sees exactly this run's files.
    if staged.exists() {
        fs::remove_dir_all(&staged)
            .unwrap_or_else(|e| panic!("clearing {}: {e}", staged.display()));
    }
    fs::create_dir_all(&staged).unwrap_or_else(|e| panic!("creating {}: {e}", staged.display()));

    let note = match prepare(&dashboard, &npm, skip) {
        Ok(dist) => {
            copy_dir(&dist, &staged).unwrap_or_else(|e| {
                panic!("copying {} to {}: {e}", dist.display(), staged.display())
            });
            String::new()
        }
        Err(reason) => {
            println!("cargo::warning=building the server without the dashboard: {reason}");
            reason
        }
    };
    // Shown by the server at `/` when it has no dashboard.
    println!(
        "cargo::rustc-env=AIRL_DASHBOARD_BUILD_NOTE={}",
        note.replace(['\n', '\r'], " ")
    );
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name}"))
}

/// Makes sure `dashboard/dist` is built and current (running `npm` unless `skip`); answers
/// its path, or why there is none.
pub(crate) fn prepare(dashboard: &Path, npm: &str, skip: bool) -> Result<PathBuf, String> {
    if !dashboard.join("package.json").is_file() {
        // Missing, this path reruns the script on every build until the sources are back.
        println!(
            "cargo::rerun-if-changed={}",
            dashboard.join("package.json").display()
        );
        return Err(format!("no dashboard sources at {}", dashboard.display()));
    }
    for input in INPUTS {
        let path = dashboard.join(input);
        // A missing path would rerun this script on every build.
        if path.exists() {
            println!("cargo::rerun-if-changed={}", path.display());
        }
    }
    let dist = dashboard.join("dist");
    let index = dist.join("index.html");
    let built_at = modified(&index);
    let current = built_at.is_some_and(|at| newest_input(dashboard).is_none_or(|src| src <= at));
    if skip || current {
        if built_at.is_none() {
            return Err(
                "AIRL_SKIP_DASHBOARD_BUILD is set and dashboard/dist is missing \
                 (build it with `npm ci && npm run build` in dashboard/)"
                    .to_owned(),
            );
        }
        if !current {
            println!(
                "cargo::warning=embedding dashboard/dist, which is older than its sources (AIRL_SKIP_DASHBOARD_BUILD is set)"
            );
        }
        // A hand-made `npm run build` changes this file: embed the new build then.
        println!("cargo::rerun-if-changed={}", index.display());
        return Ok(dist);
    }
    npm_build(dashboard, npm)?;
    if !index.is_file() {
        return Err("`npm run build` did not write dashboard/dist/index.html".to_owned());
    }
    Ok(dist)
}

/// `npm ci` when the installed packages are missing or older than the lock file, then
/// `npm run build`.
fn npm_build(dashboard: &Path, npm: &str) -> Result<(), String> {
    let fix = "install Node.js 20.19+ with npm, then `touch dashboard/package.json` and build again, \
               or set AIRL_SKIP_DASHBOARD_BUILD=1 to silence this";
    Command::new(npm)
        .arg("--version")
        .current_dir(dashboard)
        .output()
        .map_err(|_| format!("npm was not found ({fix})"))?;
    let installed = modified(&dashboard.join("node_modules").join(".package-lock.json"));
    let locked = modified(&dashboard.join("package-lock.json"));
    if installed.is_none() || installed < locked {
        run(dashboard, npm, &["ci", "--no-audit", "--no-fund"], fix)?;
    }
    run(dashboard, npm, &["run", "build"], fix)
}

fn run(dir: &Path, program: &str, args: &[&str], fix: &str) -> Result<(), String> {
    let command = format!("{program} {}", args.join(" "));
    let output: Output = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .map_err(|e| format!("`{command}` could not start: {e} ({fix})"))?;
    if output.status.success() {
        return Ok(());
    }
    // The tail of npm's output, so the warning says what went wrong.
    let text = String::from_utf8_lossy(&output.stderr).into_owned()
        + &String::from_utf8_lossy(&output.stdout);
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .rev()
        .take(15)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
    {
        println!("cargo::warning=  {line}");
    }
    Err(format!(
        "`{command}` failed in dashboard/ ({})",
        output.status
    ))
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// The latest modification among the build's inputs (files in input folders included).
fn newest_input(dashboard: &Path) -> Option<SystemTime> {
    fn walk(path: &Path, newest: &mut Option<SystemTime>) {
        let Ok(meta) = fs::metadata(path) else { return };
        if meta.is_dir() {
            for entry in fs::read_dir(path).into_iter().flatten().flatten() {
                walk(&entry.path(), newest);
            }
        }
        if let Ok(at) = meta.modified() {
            *newest = (*newest).max(Some(at));
        }
    }
    let mut newest = None;
    for input in INPUTS {
        walk(&dashboard.join(input), &mut newest);
    }
    newest
}

fn copy_dir(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}
