#!/usr/bin/env bash
# Schemathesis against the served OpenAPI document, on SQLite and (when
# QUORATE_TEST_POSTGRES_URL is set) PostgreSQL: a server with the demo data,
# a system administrator's API token, every operation with a bounded number
# of generated examples and every check (no server error, responses as the
# document says). Exits non-zero on any failure.
#
#   tests/schemathesis/run.sh QUORATE_BINARY [EXAMPLES]
#
# Schemathesis comes from PyPI into a virtual environment kept in
# ${QUORATE_ST_VENV:-~/.cache/quorate-st}.
set -euo pipefail
bin="$(realpath "$1")"
examples="${2:-25}"
venv="${QUORATE_ST_VENV:-$HOME/.cache/quorate-st}"
if [ ! -x "$venv/bin/st" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis>=4,<5"
fi

password="schemathesis-$(date +%s)-password"
failed=0

run_backend() {
  local name="$1" database_url="$2" dir="$3"
  local port
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  export QUORATE_DATABASE_URL="$database_url" QUORATE_DATA_DIR="$dir/data" QUORATE_BIND="127.0.0.1:$port"
  export QUORATE_MAIL_WORKER=false QUORATE_MAIL_DIR="$dir/mail" QUORATE_LOG=warn
  "$bin" demo >/dev/null
  printf '%s\n' "$password" | "$bin" admin create-user --email st@schemathesis.invalid \
    --name "Schemathesis" --role system_admin --password-stdin >/dev/null
  "$bin" serve >"$dir/server.log" 2>&1 &
  local server=$!
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

  # An API token from the command line (signing in on the web would need
  # the system administrator's second factor).
  local base="http://127.0.0.1:$port"
  local token
  token="$("$bin" admin token --email st@schemathesis.invalid --name schemathesis)" || true
  if [ -z "$token" ]; then
    echo "schemathesis ($name): could not make an API token" >&2
    kill "$server"; return 1
  fi

  echo "== schemathesis on $name ($examples examples per operation)"
  local status=0
  # One worker: with two, Hypothesis parses lambdas' source from two threads
  # at once, which CPython 3.11 can fail with "AST constructor recursion
  # depth mismatch" (a crash of the tool, not a finding about the API).
  "$venv/bin/st" run "$base/api/v1/openapi.json" --url "$base/api/v1" \
    -H "Authorization: Bearer $token" --checks all --exclude-checks positive_data_acceptance \
    --max-examples "$examples" \
    --workers 1 --request-timeout 30 --max-time "${QUORATE_ST_SECONDS:-300}" --warnings off --no-color || status=$?
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "schemathesis ($name) failed; the server's log:" >&2
    tail -n 40 "$dir/server.log" >&2
  fi
  return "$status"
}

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sqlite"
run_backend SQLite "sqlite://$work/sqlite/quorate.db" "$work/sqlite" || failed=1

if [ -n "${QUORATE_TEST_POSTGRES_URL:-}" ]; then
  db="quorate_st_$$"
  admin="${QUORATE_TEST_POSTGRES_URL}"
  psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
  mkdir -p "$work/postgres"
  run_backend PostgreSQL "${admin%/*}/$db" "$work/postgres" || failed=1
  psql "$admin" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null || true
fi
exit "$failed"
