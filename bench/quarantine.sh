#!/usr/bin/env bash
# The quarantine at a year's volume: fills a gateway's quarantine folder with COUNT generated
# entries (1,000,000 by default: each a folder with a small original and its record, and the
# index row, written by the `quarantine_fill` example of mamori-gateway), runs `mamori serve
# --demo` with a gateway on that data folder, and loads the quarantine list and one entry's page
# with wrk on loopback as the CISO; then stops the server and times `mamori quarantine purge
# --older-than` of about half the entries, with the folder's bytes before and after.
# Prints Markdown for BENCHMARKS.md.
#
#   bench/quarantine.sh                  # needs wrk, curl, python3; builds in release
#   COUNT=100000 bench/quarantine.sh     # a smaller quarantine
#   KEEP=1 bench/quarantine.sh           # keep the data folder (several GB at 1,000,000)
#   SKIP_BUILD=1 bench/quarantine.sh     # use the release binaries as they are
#   PURGE_DAYS=335 bench/quarantine.sh   # purge only the oldest month (default: half, 182)
#
# DURATION, CONNECTIONS and THREADS change the wrk runs. The data folder goes under WORK
# (default: a new folder in /tmp); at 1,000,000 entries it takes about 9 GB of disk.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-1000000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
TARGET=${CARGO_TARGET_DIR:-target}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release --locked -q --bin mamori
  cargo build --release --locked -q -p mamori-gateway --example quarantine_fill
fi
work=$(mktemp -d "${WORK:-/tmp}/mamori-bench-quarantine.XXXXXX")
cp "$TARGET/release/mamori" "$work/mamori"
cp "$TARGET/release/examples/quarantine_fill" "$work/quarantine_fill"
BIN="$work/mamori"
data="$work/data"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

measure() {
  local label=$1 path=$2 out
  out=$(wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s \
    -H "Cookie: mamori_session=$cookie" "$base$path")
  echo "| $label | $(awk '/Requests\/sec/ {print $2}' <<<"$out") | $(awk '$1 == "50%" {print $2}' <<<"$out") | $(awk '$1 == "99%" {print $2}' <<<"$out") | $(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out" | grep . || echo 0) |"
}

echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
mkdir -p "$data"
chmod 700 "$data"
start=$(date +%s.%N)
filled=$("$work/quarantine_fill" --data "$data" --count "$COUNT" --days 365)
end=$(date +%s.%N)
echo "- $filled (generator: $(seconds "$start" "$end") s); folder: $(du -sh "$data/quarantine" | cut -f1), index $(du -h "$data/quarantine/index.sqlite3" | cut -f1)"

# A gateway beside the web application; its next hop is never used. Retention is longer than the
# generated year, so that the purge at start removes nothing while the pages are measured.
port=18480
cat >"$work/gateway.toml" <<TOML
listen = "127.0.0.1:18425"
next_hop = "127.0.0.1:9"
accept_domains = ["city.example.lg.jp"]
quarantine_days = 400
TOML
"$BIN" serve --data "$data" --listen "127.0.0.1:$port" --demo \
  --gateway-config "$work/gateway.toml" >"$work/serve.log" 2>&1 &
server=$!
base="http://127.0.0.1:$port"
for _ in $(seq 1 300); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
# The gateway reconciles the index with the folder at start (a read of every name): wait for it.
start=$(date +%s.%N)
for _ in $(seq 1 600); do grep -q "reconciled" "$work/serve.log" && break; sleep 0.5; done
end=$(date +%s.%N)
echo "- start-up reconciliation of the index with the folder (every name read): about $(seconds "$start" "$end") s after the web answered"

jar="$work/jar"
csrf=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -fs -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&username=sato&password=mamori-demo-2026" "$base/login"
cookie=$(awk '$6 == "mamori_session" {print $7}' "$jar")
middle=$(printf 'q-bench%010d' $((COUNT / 2)))
deep=$(curl -fs -b "$jar" "$base/api/v1/quarantine?limit=200" >/dev/null && echo ok)
[ "$deep" = ok ] || { echo "the quarantine API did not answer" >&2; exit 1; }
# A cursor in the middle of the year: the page a reader reaches after paging far back.
cursor=$(python3 - "$data" "$middle" <<'PY'
import json, sys, glob
data, qid = sys.argv[1], sys.argv[2]
rec = json.load(open(glob.glob(f"{data}/quarantine/{qid}/*.json")[0]))
print(f"{rec['received_ms']}.{qid}")
PY
)
echo
echo "| page (CISO, $COUNT entries) | requests/s | p50 | p99 | non-2xx/3xx |"
echo "|---|---:|---:|---:|---:|"
measure "\`/healthz\` (for the ratio)" "/healthz"
measure "\`/quarantine\` (first page of 50, newest first)" "/quarantine"
measure "\`/quarantine?before=…\` (a page half a year back)" "/quarantine?before=$cursor"
measure "\`/quarantine?verdict=quarantined\`" "/quarantine?verdict=quarantined"
measure "\`/quarantine?reason=macro&from=…\` (reason and a month)" "/quarantine?reason=macro&from=$(date -u -d '-60 days' +%F)&to=$(date -u -d '-30 days' +%F)"
measure "\`/quarantine?sender=partner7.\` (substring: a scan until 50 hits)" "/quarantine?sender=partner7."
measure "\`/quarantine/$middle\` (one entry: its files, and the read audited)" "/quarantine/$middle"
kill "$server"; wait "$server" 2>/dev/null || true; server=""

before=$(du -sb "$data/quarantine" | cut -f1)
start=$(date +%s.%N)
purge_days=${PURGE_DAYS:-182}
purged=$("$BIN" quarantine purge --data "$data" --older-than "$purge_days" | tail -1)
end=$(date +%s.%N)
after=$(du -sb "$data/quarantine" | cut -f1)
left=$("$BIN" quarantine list --data "$data" --json --limit 1 | python3 -c "import json,sys; print(len(json.load(sys.stdin)))")
echo
echo "- \`mamori quarantine purge --older-than $purge_days\`: $(seconds "$start" "$end") s ($purged; the index reconciled with the folder first); quarantine folder $before bytes before, $after after ($(python3 -c "print(f'{$after/$before:.3f}')")×)"
[ "$left" = 1 ] || echo "- (the list after the purge is empty?)"
