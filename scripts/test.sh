#!/usr/bin/env bash
# Runs every test of the repository: formatting, lints, all Rust tests (PostgreSQL and Redis
# included), then the JavaScript packages' tests once they exist. Idempotent: starts the local
# services it needs when they are not running.
set -euo pipefail
cd "$(dirname "$0")/.."

export AIRL_TEST_POSTGRES_URL="${AIRL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export AIRL_TEST_REDIS_URL="${AIRL_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
export AIRL_TEST_REDIS_CLUSTER_URL="${AIRL_TEST_REDIS_CLUSTER_URL:-redis+cluster://127.0.0.1:7001,127.0.0.1:7002,127.0.0.1:7003}"

bash scripts/services.sh

# The official Python `openai` package drives the server's OpenAI drop-in in one Rust test, and
# `standardwebhooks` (the Standard Webhooks reference) verifies webhook signatures in another
# (AIRL_TEST_PYTHON). Installed once into a virtualenv outside the repository; skipped when
# that interpreter already imports it.
if [ -z "${AIRL_TEST_PYTHON:-}" ]; then
  venv="${AIRL_PYTHON_VENV:-$HOME/.cache/ai-ratelimit/venv}"
  if ! "$venv/bin/python" -c 'import openai, standardwebhooks' 2>/dev/null; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check openai standardwebhooks
  fi
  export AIRL_TEST_PYTHON="$venv/bin/python"
fi

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

# The JavaScript packages' tests drive the real server binary (AIRL_SERVER_BIN) and Debian's Chromium.
cargo build -p ai-ratelimit-server --locked
export AIRL_SERVER_BIN="$PWD/target/debug/ai-ratelimit-server"
[ -x /usr/bin/chromium ] || { apt-get update -qq && apt-get install -y -qq chromium; }

# The OpenAPI document's contract test: schemathesis (every check) against the built server
# with a signed-in session (scripts/schemathesis.sh; a few minutes, bounded by --max-examples).
bash scripts/schemathesis.sh

for pkg in sdk/js dashboard; do
  if [ -f "$pkg/package.json" ]; then
    (cd "$pkg" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm test)
  fi
done
