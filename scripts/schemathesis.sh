#!/usr/bin/env bash
# Contract test of the server's OpenAPI document: starts the server binary on a temporary
# SQLite database, signs up to get a session, and runs `schemathesis run` with every check
# against it (bounded by --max-examples, so the run takes a few minutes). Installs schemathesis
# once into a virtualenv outside the repository.
#
# Usage: scripts/schemathesis.sh [extra schemathesis options]
# Environment: AIRL_SERVER_BIN (default target/debug/ai-ratelimit-server),
#              AIRL_SCHEMATHESIS_VENV, AIRL_SCHEMATHESIS_EXAMPLES (default 20).
set -euo pipefail
cd "$(dirname "$0")/.."

bin="${AIRL_SERVER_BIN:-${CARGO_TARGET_DIR:-target}/debug/ai-ratelimit-server}"
venv="${AIRL_SCHEMATHESIS_VENV:-$HOME/.cache/ai-ratelimit/schemathesis-venv}"
if ! "$venv/bin/schemathesis" --version >/dev/null 2>&1; then
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check schemathesis
fi

dir="$(mktemp -d)"
port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
admin_key="schemathesis-admin-key-0123456789abcdef"
# AZURE_OPENAI_ENDPOINT: a default Azure endpoint, so that a project of provider `azure`
# needs no `baseUrl` (the document cannot make one field depend on the server's settings).
APP_ENV=development PORT="$port" AZURE_OPENAI_ENDPOINT=https://example.openai.azure.com DATABASE_URL="sqlite://$dir/server.db" GLOBAL_ADMIN_KEY="$admin_key" \
  REDIS_URL='' RUST_LOG=info "$bin" >"$dir/server.log" 2>&1 &
server=$!
cleanup() {
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

base="http://127.0.0.1:$port"
for _ in $(seq 1 100); do
  curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done

# A session: sign up, then the development magic link from the server's log.
curl -fsS -X POST "$base/api/auth/signup" -H 'content-type: application/json' \
  -d '{"email": "schemathesis@example.com", "organizationName": "Schemathesis"}' >/dev/null
token=""
for _ in $(seq 1 50); do
  token="$(grep -o 'token=[A-Za-z0-9_-]*' "$dir/server.log" | tail -n 1 | cut -d= -f2 || true)"
  [ -n "$token" ] && break
  sleep 0.1
done
jwt="$(curl -fsS -X POST "$base/api/auth/magic-link/verify" -H 'content-type: application/json' \
  -d "{\"token\": \"$token\"}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])')"

# Projects and webhooks for the routes under /api/projects/{id} (schemathesis.toml names
# them): one of each to keep, one of each for the deletions. Webhooks point at a closed port.
post() {
  curl -fsS -X POST "$base$1" -H 'content-type: application/json' -H "authorization: Bearer $jwt" -d "$2" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])'
}
AIRL_SCHEMATHESIS_PROJECT_ID="$(post /api/projects '{"name": "Schemathesis", "dailyRequestLimit": 100}')"
AIRL_SCHEMATHESIS_DOOMED_PROJECT_ID="$(post /api/projects '{"name": "Doomed"}')"
hook='{"url": "http://127.0.0.1:9/hook", "events": ["limit.exceeded"]}'
AIRL_SCHEMATHESIS_WEBHOOK_ID="$(post "/api/projects/$AIRL_SCHEMATHESIS_PROJECT_ID/webhooks" "$hook")"
AIRL_SCHEMATHESIS_DOOMED_WEBHOOK_ID="$(post "/api/projects/$AIRL_SCHEMATHESIS_PROJECT_ID/webhooks" "$hook")"
export AIRL_SCHEMATHESIS_PROJECT_ID AIRL_SCHEMATHESIS_DOOMED_PROJECT_ID AIRL_SCHEMATHESIS_WEBHOOK_ID \
  AIRL_SCHEMATHESIS_DOOMED_WEBHOOK_ID

"$venv/bin/schemathesis" run "$base/api/openapi.json" \
  --header "Authorization: Bearer $jwt" \
  --header "x-admin-key: $admin_key" \
  --checks all \
  --max-examples "${AIRL_SCHEMATHESIS_EXAMPLES:-20}" \
  --phases examples,coverage,fuzzing \
  --workers 1 \
  "$@"
