#!/usr/bin/env bash
# Runs every test of the repository: formatting, lints, all Rust tests (PostgreSQL and Redis
# included), then the JavaScript packages' tests once they exist. Idempotent: starts the local
# services it needs when they are not running.
set -euo pipefail
cd "$(dirname "$0")/.."

export AIRL_TEST_POSTGRES_URL="${AIRL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
export AIRL_TEST_REDIS_URL="${AIRL_TEST_REDIS_URL:-redis://127.0.0.1:6379}"

bash scripts/services.sh

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked

for pkg in sdk/js dashboard; do
  if [ -f "$pkg/package.json" ]; then
    (cd "$pkg" && { [ -d node_modules ] || npm ci --no-audit --no-fund; } && npm test)
  fi
done
