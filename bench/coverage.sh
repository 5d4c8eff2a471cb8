#!/usr/bin/env bash
# The coverage of the basic policy at scale, on SQLite and on PostgreSQL: a `serve --demo`
# instance gets a generated catalogue of 200 measures (beside mamori's own, installed at the first
# start), a basic policy in force (the demo's, or the seed text imported, submitted and approved),
# 100 units in the organisation KANRI and 200 × 100 = 20,000 answers through the API; then wrk
# loads the coverage page, its API and its Excel export. Prints Markdown for BENCHMARKS.md.
#
#   bench/coverage.sh                     # needs wrk, curl, python3, psql; builds in release
#   BACKENDS=sqlite bench/coverage.sh     # one database only (sqlite or postgres)
#   KEEP=1 bench/coverage.sh              # keep the data folders and the PostgreSQL database
#   SKIP_BUILD=1 bench/coverage.sh        # use the release binary as it is
#   MAMORI=/tmp/mamori-old bench/coverage.sh   # that binary instead of a build
#   COMPARE=/tmp/mamori-old COMPARE_LABEL=before bench/coverage.sh
#                                         # also measure that binary on the same data, same run
#
# PG_URL is an administrative URL: the script creates (and unless KEEP=1 drops) a database
# `mamori_bench_coverage`. MEASURES, UNITS, FILL_CLIENTS, DURATION, CONNECTIONS and THREADS change
# the run; SEED names the basic policy's text when the demo has none in force.
set -euo pipefail
cd "$(dirname "$0")/.."
MEASURES=${MEASURES:-200}
UNITS=${UNITS:-100}
FILL_CLIENTS=${FILL_CLIENTS:-8}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
BACKENDS=${BACKENDS:-sqlite postgres}
PG_URL=${PG_URL:-postgres://mamori:mamori@127.0.0.1:5432/postgres}
SEED=${SEED:-../shared/seed/000_d561eb961f93c129.txt}
TARGET=${CARGO_TARGET_DIR:-target}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)" >&2; exit 1; }
if [ -z "${MAMORI:-}" ] && [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release --locked -q --bin mamori
fi
work=$(mktemp -d)
# A copy, so that a build running beside the benchmark cannot swap the binary under it.
cp "${MAMORI:-$TARGET/release/mamori}" "$work/mamori"
BIN="$work/mamori"
if [ -n "${COMPARE:-}" ]; then
  cp "$COMPARE" "$work/compare"
  COMPARE_LABEL=${COMPARE_LABEL:-other build}
fi
server=""
served=0
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The catalogue of MEASURES generated measures (bench/catalogue.py); the answers are filled by
# bench/fill_answers.py.
python3 bench/catalogue.py "$MEASURES" "$work/catalogue.yaml"

seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# Runs wrk and prints "| label | req/s | p50 | p99 | non-2xx | timeouts |" (a request unanswered
# after 10 s counts as a timeout and not in the latencies).
measure() {
  local label=$1 out
  shift
  out=$(wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s "$@")
  echo "| $label | $(awk '/Requests\/sec/ {print $2}' <<<"$out") | $(awk '$1 == "50%" {print $2}' <<<"$out") | $(awk '$1 == "99%" {print $2}' <<<"$out") | $(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out" | grep . || echo 0) | $(sed -n 's/.*timeout \([0-9]*\).*/\1/p' <<<"$out" | grep . || echo 0) |"
}

# Requests alone, one after another: "median of 5 ms, bytes".
once() {
  local times=() size
  for _ in 1 2 3 4 5; do
    read -r t size < <(curl -fs -o /dev/null -w '%{time_total} %{size_download}\n' "$@")
    times+=("$t")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v size="$size" 'NR == 3 {printf "%.0f ms, %s bytes", $1 * 1000, size}'
}

# start BINARY NAME PORT [--database URL]: serves the data folder NAME; sets $base and $server.
start() {
  local bin=$1 name=$2 port=$3
  shift 3
  "$bin" serve --data "$work/$name" --listen "127.0.0.1:$port" --demo "$@" >>"$work/$name.log" 2>&1 &
  server=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 150); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "$base/healthz" >/dev/null || { echo "server $name did not start" >&2; cat "$work/$name.log" >&2; exit 1; }
}

stop() { kill "$server"; wait "$server" 2>/dev/null || true; server=""; }

# measure_all LABEL: one request at a time, then each of the three under wrk.
measure_all() {
  local label=$1
  curl -fs "${auth[@]}" -o "$work/coverage-$((++served)).json" "$base/api/v1/coverage?policy=$policy"
  echo "- $label, one request at a time (median of 5):" \
    "page $(once "${cookie[@]}" "$base/coverage?policy=$policy")," \
    "API $(once "${auth[@]}" "$base/api/v1/coverage?policy=$policy")," \
    "xlsx $(once "${cookie[@]}" "$base/coverage/export?policy=$policy")"
  table+=("$(measure "$label: \`GET /coverage?policy=$policy\` (page)" "${cookie[@]}" "$base/coverage?policy=$policy")")
  table+=("$(measure "$label: \`GET /api/v1/coverage?policy=$policy\` (JSON)" "${auth[@]}" "$base/api/v1/coverage?policy=$policy")")
  table+=("$(measure "$label: \`GET /coverage/export?policy=$policy\` (xlsx)" "${cookie[@]}" "$base/coverage/export?policy=$policy")")
}

# run_backend NAME PORT [--database URL]
run_backend() {
  local name=$1 port=$2
  shift 2
  local data="$work/$name"
  start "$BIN" "$name" "$port" "$@"
  local ciso director
  ciso=$("$BIN" token create --data "$data" "$@" --username sato --name bench 2>/dev/null)
  director=$("$BIN" token create --data "$data" "$@" --username suzuki --name bench 2>/dev/null)
  auth=(-H "Authorization: Bearer $ciso")

  echo
  echo "### $name"
  echo
  local t0 t1
  t0=$(date +%s.%N)
  local catalogue
  catalogue=$(curl -fs "${auth[@]}" -H "Content-Type: application/yaml" \
    --data-binary @"$work/catalogue.yaml" "$base/api/v1/catalogues" | json 'd["id"]')
  t1=$(date +%s.%N)
  echo "- catalogue of $MEASURES measures imported through the API: $(seconds "$t0" "$t1") s (id $catalogue)"

  # The basic policy in force of KANRI: the demo's, or the seed imported, submitted by the 統括
  # and approved by the CISO.
  local org
  org=$(curl -fs "${auth[@]}" "$base/api/v1/organisations" |
    json 'next(o["id"] for o in d if o["code"] == "KANRI")')
  policy=$(curl -fs "${auth[@]}" "$base/api/v1/policies" |
    json "next((p['id'] for p in d if p['org_id'] == $org and p['tier'] == 'basic' and p['effective']), '')")
  if [ -n "$policy" ]; then
    echo "- basic policy in force: the demo's (id $policy)"
  else
    [ -f "$SEED" ] || { echo "no basic policy in force and no seed text at $SEED" >&2; exit 1; }
    policy=$("$BIN" policy import --data "$data" "$@" --tier basic --title ベンチ用基本方針 \
      --org KANRI --json "$SEED" | json 'd["policy_id"]')
    curl -fs -o /dev/null -X POST -H "Authorization: Bearer $director" \
      "$base/api/v1/policies/$policy/versions/1/submit"
    curl -fs -o /dev/null "${auth[@]}" -H "Content-Type: application/json" \
      -d '{"effective_from":"2020-04-01"}' "$base/api/v1/policies/$policy/versions/1/approve"
    echo "- basic policy in force: the seed text imported, submitted and approved (id $policy)"
  fi

  # UNITS units in KANRI: the demo's and new ones.
  local have
  have=$(curl -fs "${auth[@]}" "$base/api/v1/units?org=$org" | json 'len(d)')
  for i in $(seq $((have + 1)) "$UNITS"); do
    curl -fs -o /dev/null "${auth[@]}" -H "Content-Type: application/json" \
      -d "{\"org_id\": $org, \"name\": \"ベンチ課$(printf %03d "$i")\"}" "$base/api/v1/units"
  done
  local units
  units=$(curl -fs "${auth[@]}" "$base/api/v1/units?org=$org" | json '",".join(str(u["id"]) for u in d)')
  echo "- units in KANRI: $(tr ',' '\n' <<<"$units" | wc -l) ($have from the demo)"
  echo "- $(python3 bench/fill_answers.py "$base" "$ciso" "$catalogue" "$FILL_CLIENTS" "$units" "$MEASURES")"

  # A session of the CISO for the page and the workbook.
  local jar="$work/jar" csrf
  rm -f "$jar"
  csrf=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -fs -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&username=sato&password=mamori-demo-2026" "$base/login"
  cookie=(-H "Cookie: mamori_session=$(awk '$6 == "mamori_session" {print $7}' "$jar")")
  local measures
  measures=$(curl -fs "${auth[@]}" "$base/api/v1/catalogues" | json 'sum(c["measures"] for c in d)')
  echo "- measures in all catalogues: $measures"
  table=()
  measure_all "$name"
  stop
  # The same data served by another build, for a before/after in one run.
  if [ -n "${COMPARE:-}" ]; then
    start "$work/compare" "$name" "$port" "$@"
    measure_all "$name ($COMPARE_LABEL)"
    stop
    if cmp -s "$work/coverage-$((served - 1)).json" "$work/coverage-$served.json"; then
      echo "- both builds answer the same coverage"
    else
      echo "- the two builds answer different coverages!"
    fi
  fi
  echo
  echo "| CISO, $measures measures, $UNITS units answered | requests/s | p50 | p99 | non-2xx/3xx | timeouts |"
  echo "|---|---:|---:|---:|---:|---:|"
  printf '%s\n' "${table[@]}"
}

echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
for backend in $BACKENDS; do
  case $backend in
    sqlite) run_backend SQLite 18185 ;;
    postgres)
      db_url="${PG_URL%/*}/mamori_bench_coverage"
      psql "$PG_URL" -qc "DROP DATABASE IF EXISTS mamori_bench_coverage WITH (FORCE)" >/dev/null
      psql "$PG_URL" -qc "CREATE DATABASE mamori_bench_coverage" >/dev/null
      run_backend PostgreSQL 18186 --database "$db_url"
      [ "${KEEP:-0}" = 1 ] || psql "$PG_URL" -qc "DROP DATABASE IF EXISTS mamori_bench_coverage WITH (FORCE)" >/dev/null
      ;;
    *) echo "unknown backend $backend" >&2; exit 1 ;;
  esac
done
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
