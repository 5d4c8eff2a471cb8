#!/usr/bin/env bash
# The risk register's heat map and the self-inspection dashboard at scale: a `serve --demo`
# instance gets a generated catalogue of 200 measures (bench/catalogue.py), 100 units in the
# organisation KANRI, RISKS risks spread over the units and the 5 × 5 matrix, and a
# self-inspection campaign over the generated catalogue for every unit (200 × 100 = 20,000
# items), half of each unit's items answered (bench/fill_answers.py); then wrk loads the risk
# register with its two heat maps, its API, the campaign's dashboard and its API, with
# `/healthz` in the same table for scale. Prints Markdown for BENCHMARKS.md.
#
#   bench/assurance.sh                    # needs wrk, curl, python3; builds in release
#   BACKENDS="sqlite postgres" bench/assurance.sh   # PostgreSQL too (psql, PG_URL)
#   SKIP_BUILD=1 bench/assurance.sh       # use the release binary as it is
#   MAMORI=/tmp/mamori-old bench/assurance.sh   # that binary instead of a build
#
# MEASURES, UNITS, RISKS, SHARE (percent of the items answered), FILL_CLIENTS, DURATION,
# CONNECTIONS and THREADS change the run; KEEP=1 keeps the data folders.
set -euo pipefail
cd "$(dirname "$0")/.."
MEASURES=${MEASURES:-200}
UNITS=${UNITS:-100}
RISKS=${RISKS:-1000}
SHARE=${SHARE:-50}
FILL_CLIENTS=${FILL_CLIENTS:-8}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
BACKENDS=${BACKENDS:-sqlite}
PG_URL=${PG_URL:-postgres://mamori:mamori@127.0.0.1:5432/postgres}
TARGET=${CARGO_TARGET_DIR:-target}
command -v wrk >/dev/null || { echo "wrk is needed (apt-get install -y wrk)" >&2; exit 1; }
if [ -z "${MAMORI:-}" ] && [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release --locked -q --bin mamori
fi
work=$(mktemp -d)
cp "${MAMORI:-$TARGET/release/mamori}" "$work/mamori"
BIN="$work/mamori"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

python3 bench/catalogue.py "$MEASURES" "$work/catalogue.yaml"
json() { python3 -c "import json, sys; d = json.load(sys.stdin); print(eval(sys.argv[1]))" "$1"; }

# Runs wrk and prints "| label | req/s | p50 | p99 | non-2xx | timeouts |".
measure() {
  local label=$1 out
  shift
  out=$(wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s "$@")
  echo "| $label | $(awk '/Requests\/sec/ {print $2}' <<<"$out") | $(awk '$1 == "50%" {print $2}' <<<"$out") | $(awk '$1 == "99%" {print $2}' <<<"$out") | $(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out" | grep . || echo 0) | $(sed -n 's/.*timeout \([0-9]*\).*/\1/p' <<<"$out" | grep . || echo 0) |"
}

# Requests alone, one after another: "median of 5 ms".
once() {
  local times=()
  for _ in 1 2 3 4 5; do
    times+=("$(curl -fs -o /dev/null -w '%{time_total}\n' "$@")")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk 'NR == 3 {printf "%.1f ms", $1 * 1000}'
}

run_backend() {
  local name=$1 port=$2
  shift 2
  local data="$work/$name"
  "$BIN" serve --data "$data" --listen "127.0.0.1:$port" --demo "$@" >>"$work/$name.log" 2>&1 &
  server=$!
  local base="http://127.0.0.1:$port"
  for _ in $(seq 1 150); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs "$base/healthz" >/dev/null || { echo "server did not start" >&2; cat "$work/$name.log" >&2; exit 1; }
  local token
  token=$("$BIN" token create --data "$data" "$@" --username sato --name bench 2>/dev/null)
  local auth=(-H "Authorization: Bearer $token")
  local post=(-fs "${auth[@]}" -H "Content-Type: application/json")
  echo
  echo "### $name"
  echo
  local catalogue org person
  catalogue=$(curl -fs "${auth[@]}" -H "Content-Type: application/yaml" \
    --data-binary @"$work/catalogue.yaml" "$base/api/v1/catalogues" | json 'd["id"]')
  org=$(curl -fs "${auth[@]}" "$base/api/v1/organisations" |
    json 'next(o["id"] for o in d if o["code"] == "KANRI")')
  person=$(curl -fs "${auth[@]}" "$base/api/v1/me" | json 'd["person"]["id"]')
  local have
  have=$(curl -fs "${auth[@]}" "$base/api/v1/units?org=$org" | json 'len(d)')
  for i in $(seq $((have + 1)) "$UNITS"); do
    curl "${post[@]}" -o /dev/null -d "{\"org_id\": $org, \"name\": \"ベンチ課$(printf %03d "$i")\"}" "$base/api/v1/units"
  done
  local units
  units=$(curl -fs "${auth[@]}" "$base/api/v1/units?org=$org" | json '",".join(str(u["id"]) for u in d)')
  # RISKS risks over the units, ratings spread over the matrix, every third with a residual.
  python3 - "$base" "$token" "$units" "$person" "$RISKS" <<'PY'
import http.client, json, sys
from urllib.parse import urlsplit
base, token, units, person, count = sys.argv[1], sys.argv[2], sys.argv[3].split(","), int(sys.argv[4]), int(sys.argv[5])
host = urlsplit(base)
conn = http.client.HTTPConnection(host.hostname, host.port, timeout=60)
for i in range(count):
    body = {"title": f"ベンチリスク {i + 1}", "unit_id": int(units[i % len(units)]),
            "owner_id": person, "likelihood": i % 5 + 1, "impact": (i * 7) // 5 % 5 + 1,
            "treatment": "reduce", "review_on": "2030-03-31", "threats": ["T-ACCESS"]}
    if i % 3 == 0:
        body["residual_likelihood"], body["residual_impact"] = 1, (i % 4) + 1
    conn.request("POST", "/api/v1/risks", body=json.dumps(body, ensure_ascii=False).encode(),
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    if response.status != 201:
        sys.exit(f"risk {i}: {response.status}")
PY
  local campaign unit_ids
  unit_ids=$(tr ',' '\n' <<<"$units" | paste -sd, -)
  campaign=$(curl "${post[@]}" -d "{\"year\": 2099, \"title\": \"ベンチ点検\", \"catalogue_id\": $catalogue, \"due_on\": \"2099-12-31\", \"unit_ids\": [$unit_ids]}" \
    "$base/api/v1/inspections" | json 'd["id"]')
  echo "- $(tr ',' '\n' <<<"$units" | wc -l) units, $RISKS risks besides the demo's, a campaign over $MEASURES measures (id $campaign)"
  echo "- $(python3 bench/fill_answers.py "$base" "$token" "$catalogue" "$FILL_CLIENTS" "$units" "$MEASURES" "$SHARE")"
  local jar="$work/jar" csrf
  rm -f "$jar"
  csrf=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -fs -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&username=sato&password=mamori-demo-2026" "$base/login"
  local cookie=(-H "Cookie: mamori_session=$(awk '$6 == "mamori_session" {print $7}' "$jar")")
  local items
  items=$(curl -fs "${auth[@]}" "$base/api/v1/inspections/$campaign" | json 'd["total"]["items"]')
  echo "- the dashboard counts $items items"
  echo "- one request at a time (median of 5): register $(once "${cookie[@]}" "$base/risks")," \
    "risks API $(once "${auth[@]}" "$base/api/v1/risks")," \
    "dashboard $(once "${cookie[@]}" "$base/inspections/$campaign")," \
    "dashboard API $(once "${auth[@]}" "$base/api/v1/inspections/$campaign")"
  echo
  echo "| CISO, $UNITS units × $MEASURES measures, $RISKS risks | requests/s | p50 | p99 | non-2xx/3xx | timeouts |"
  echo "|---|---:|---:|---:|---:|---:|"
  measure "$name: \`GET /healthz\` (for scale)" "$base/healthz"
  measure "$name: \`GET /risks\` (register and both heat maps)" "${cookie[@]}" "$base/risks"
  measure "$name: \`GET /api/v1/risks\`" "${auth[@]}" "$base/api/v1/risks"
  measure "$name: \`GET /inspections/$campaign\` (dashboard)" "${cookie[@]}" "$base/inspections/$campaign"
  measure "$name: \`GET /api/v1/inspections/$campaign\`" "${auth[@]}" "$base/api/v1/inspections/$campaign"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
for backend in $BACKENDS; do
  case $backend in
    sqlite) run_backend SQLite 18195 ;;
    postgres)
      db_url="${PG_URL%/*}/mamori_bench_assurance"
      psql "$PG_URL" -qc "DROP DATABASE IF EXISTS mamori_bench_assurance WITH (FORCE)" >/dev/null
      psql "$PG_URL" -qc "CREATE DATABASE mamori_bench_assurance" >/dev/null
      run_backend PostgreSQL 18196 --database "$db_url"
      [ "${KEEP:-0}" = 1 ] || psql "$PG_URL" -qc "DROP DATABASE IF EXISTS mamori_bench_assurance WITH (FORCE)" >/dev/null
      ;;
    *) echo "unknown backend $backend" >&2; exit 1 ;;
  esac
done
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
