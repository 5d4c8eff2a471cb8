#!/usr/bin/env bash
# One page of mamori under load, for comparing two builds side by side on the same data: serves a
# copy of a data folder (one kept by `KEEP=1 bench/assets.sh`, its `SQLite` folder) with the
# binary given, logs in as the demo CISO, and loads the page with wrk on loopback. Prints one
# line: requests/s, p50, p99 and the server's user and system CPU per request (from /proc).
#
#   bench/page.sh BINARY DATA PATH        # e.g. bench/page.sh target/release/mamori \
#                                         #        /tmp/tmp.XXXX/SQLite '/assets?q=host09'
#
# DURATION (default 8s), CONNECTIONS (32) and PORT (18183) change the run. The data folder is
# copied first, so that every build starts from the same bytes; the copy is removed at the end.
# DATABASE=postgres://… serves the PostgreSQL database kept with it (its `PostgreSQL` folder;
# `mamori_bench_assets` under the bench's PG_URL), which is used as it is, not copied.
set -euo pipefail
[ $# -eq 3 ] || { sed -n '2,10p' "$0"; exit 2; }
BIN=$1 DATA=$2 PAGE=$3
DURATION=${DURATION:-8s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${PORT:-18183}
work=$(mktemp -d)
cp -r "$DATA" "$work/data"
"$BIN" serve --data "$work/data" --listen "127.0.0.1:$PORT" --demo \
  ${DATABASE:+--database "$DATABASE"} >"$work/serve.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 150); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
jar="$work/jar"
csrf=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -fs -b "$jar" -c "$jar" -o /dev/null \
  -d "_csrf=$csrf&username=sato&password=mamori-demo-2026" "$base/login"
cookie="mamori_session=$(awk '$6 == "mamori_session" {print $7}' "$jar")"
# Warm up, then measure the server's CPU over the measured run only.
wrk -t2 -c"$CONNECTIONS" -d3s -H "Cookie: $cookie" "$base$PAGE" >/dev/null
read -r u0 s0 < <(awk '{print $14, $15}' "/proc/$pid/stat")
out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"$DURATION" -H "Cookie: $cookie" "$base$PAGE")
read -r u1 s1 < <(awk '{print $14, $15}' "/proc/$pid/stat")
n=$(awk '/requests in/ {print $1}' <<<"$out")
tick=$(getconf CLK_TCK)
echo "$(basename "$BIN") $PAGE" \
  "rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")" \
  "p50=$(awk '$1 == "50%" {print $2}' <<<"$out")" \
  "p99=$(awk '$1 == "99%" {print $2}' <<<"$out")" \
  "user_us/req=$(( (u1 - u0) * 1000000 / tick / n ))" \
  "sys_us/req=$(( (s1 - s0) * 1000000 / tick / n ))"
