#!/usr/bin/env bash
# Load test of the web application with wrk on loopback: logins and an authorised page view, on
# SQLite and on PostgreSQL in the same run. Prints a Markdown table for BENCHMARKS.md.
#
#   bench/web.sh                      # needs wrk, curl and a release build (built if missing)
#   PG_URL=postgres://mamori:mamori@127.0.0.1:5432/postgres bench/web.sh
#
# PG_URL is an administrative URL: the script creates and drops a database `mamori_bench`.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
PG_URL=${PG_URL:-postgres://mamori:mamori@127.0.0.1:5432/postgres}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release --locked -q
BIN="$TARGET/release/mamori"
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

# Starts mamori with demo data; sets $base and $server.
start() {
  local name=$1 port=$2
  shift 2
  "$BIN" serve --data "$work/$name" --listen "127.0.0.1:$port" --demo "$@" >"$work/$name.log" 2>&1 &
  server=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && return; sleep 0.2; done
  echo "server $name did not start" >&2; cat "$work/$name.log" >&2; exit 1
}

# Logs in as a demo user; prints "session_cookie".
login_cookie() {
  local jar="$work/jar"
  rm -f "$jar"
  local csrf
  csrf=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -fs -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&username=$1&password=mamori-demo-2026" "$base/login"
  awk '$6 == "mamori_session" {print $7}' "$jar"
}

# Runs wrk and prints "| label | req/s | p50 | p99 |".
measure() {
  local label=$1; shift
  local out
  out=$(wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" "$@")
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  local non2xx
  non2xx=$(awk '/Non-2xx or 3xx responses/ {print $5}' <<<"$out")
  echo "| $label | $rps | $p50 | $p99 | ${non2xx:-0} |"
}

run_backend() {
  local name=$1
  # Login: the pre-session cookie and token are fixed for the run; every request is a full
  # argon2id verification, a new session and an audit record.
  rm -f "$work/jar"
  local csrf pre
  csrf=$(curl -fs -c "$work/jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
  pre=$(awk '$6 == "mamori_pre" {print $7}' "$work/jar")
  cat >"$work/login.lua" <<LUA
wrk.method = "POST"
wrk.body = "_csrf=$csrf&username=yamamoto&password=mamori-demo-2026"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = "mamori_pre=$pre"
LUA
  measure "$name: POST /login" -s "$work/login.lua" "$base/login"
  local cookie
  cookie=$(login_cookie sato)
  measure "$name: GET /people (CISO, 50 rows)" -H "Cookie: mamori_session=$cookie" "$base/people"
  cookie=$(login_cookie yamamoto)
  measure "$name: GET /people/7 (staff, own unit; read audited)" -H "Cookie: mamori_session=$cookie" "$base/people/7"
}

echo "| scenario | requests/s | p50 | p99 | non-2xx/3xx |"
echo "|---|---:|---:|---:|---:|"
start sqlite 18181
run_backend SQLite
kill "$server"; wait "$server" 2>/dev/null || true; server=""

db_url="${PG_URL%/*}/mamori_bench"
psql "$PG_URL" -qc "DROP DATABASE IF EXISTS mamori_bench" >/dev/null
psql "$PG_URL" -qc "CREATE DATABASE mamori_bench" >/dev/null
start postgres 18182 --database "$db_url"
run_backend PostgreSQL
kill "$server"; wait "$server" 2>/dev/null || true; server=""
psql "$PG_URL" -qc "DROP DATABASE IF EXISTS mamori_bench" >/dev/null
