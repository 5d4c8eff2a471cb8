#!/usr/bin/env bash
# The asset register at scale: imports 100,000 generated assets through `POST /api/v1/assets/import`
# into a `serve --demo` instance on SQLite, then loads the list, a filtered list, one asset's
# page and the summary with wrk on loopback. Prints Markdown for BENCHMARKS.md.
#
#   bench/assets.sh        # needs wrk, curl, python3; builds the release binary if missing
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release --locked -q
BIN="$TARGET/release/mamori"
work=$(mktemp -d)
server=""
cleanup() { [ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

"$BIN" serve --data "$work/data" --listen 127.0.0.1:18183 --demo >"$work/serve.log" 2>&1 &
server=$!
base=http://127.0.0.1:18183
for _ in $(seq 1 100); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
token=$("$BIN" token create --data "$work/data" --username sato)

python3 - "$ROWS" >"$work/register.csv" <<'PY'
import sys
rows = int(sys.argv[1])
units = ["総務課", "企画課", "情報政策課", "財政課", "人事課", "福利厚生課", "教育総務課", "学務課",
         "任用課", "試験研究室", "監査事務局", "議会事務局"]
kinds = ["情報システム", "機器", "記録媒体", "情報", "文書", "ネットワーク"]
segments = [("LGWAN", "10.20"), ("MYNUMBER", "10.10"), ("INTERNET", "172.16")]
out = sys.stdout
out.write("\ufeff名称,種別,所有課室,設置場所,セグメント,ホスト名,IPアドレス,機密性,完全性,可用性,状態,備考\r\n")
for i in range(rows):
    seg, prefix = segments[i % 3]
    c = "3" if seg != "INTERNET" and i % 4 == 0 else str(1 + i % 2)
    out.write(f"資産{i:06d},{kinds[i % 6]},{units[i % 12]},本庁舎{1 + i % 9}階,{seg},host{i:06d},"
              f"{prefix}.{(i // 250) % 250}.{1 + i % 250},{c},{1 + i % 2},{1 + (i // 2) % 2},運用中,"
              f"\"生成データ {i}\"\r\n")
PY
size=$(du -h "$work/register.csv" | cut -f1)
start=$(date +%s.%N)
curl -fs -o "$work/import.json" -H "Authorization: Bearer $token" -H "Content-Type: text/csv" \
  --data-binary @"$work/register.csv" "$base/api/v1/assets/import"
end=$(date +%s.%N)
echo "import of $ROWS rows ($size CSV) through the API: $(python3 -c "print(f'{$end - $start:.1f}')") s; $(cat "$work/import.json")"

# A session for the page views.
jar="$work/jar"
csrf=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -fs -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&username=sato&password=mamori-demo-2026" "$base/login"
cookie=$(awk '$6 == "mamori_session" {print $7}' "$jar")

measure() {
  local label=$1 path=$2
  local out
  out=$(wrk --latency -t2 -c"$CONNECTIONS" -d"$DURATION" -H "Cookie: mamori_session=$cookie" "$base$path")
  echo "| $label | $(awk '/Requests\/sec/ {print $2}' <<<"$out") | $(awk '$1 == "50%" {print $2}' <<<"$out") | $(awk '$1 == "99%" {print $2}' <<<"$out") | $(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out" | grep . || echo 0) |"
}
echo
echo "| page (CISO, $((ROWS + 300)) assets) | requests/s | p50 | p99 | non-2xx/3xx |"
echo "|---|---:|---:|---:|---:|"
measure "/assets (first page)" "/assets"
measure "/assets?confidentiality=3&sort=class" "/assets?confidentiality=3&sort=class"
measure "/assets?q=host09 (text search)" "/assets?q=host09"
measure "/assets/50000 (one asset, 機密性 rules, audited when restricted)" "/assets/50000"
measure "/assets/summary" "/assets/summary"
audit=$(sqlite3 "$work/data/mamori.db" "SELECT COUNT(*) FROM audit_log" 2>/dev/null || echo "?")
echo
echo "audit records at the end: $audit"
