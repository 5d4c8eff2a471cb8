#!/usr/bin/env bash
# The asset register at scale, on SQLite and on PostgreSQL: imports 100,000 generated assets from
# an .xlsx file through `POST /api/v1/assets/import` into a `serve --demo` instance, fills the
# audit trail to a million records, then loads the list, a filtered list, text searches, one
# asset's page and the summary with wrk on loopback. Prints Markdown for BENCHMARKS.md.
#
#   bench/assets.sh                       # needs wrk, curl, python3, psql; builds in release
#   BACKENDS=sqlite bench/assets.sh       # one database only (sqlite or postgres)
#   KEEP=1 bench/assets.sh                # keep the data folders and the PostgreSQL database
#   SKIP_BUILD=1 bench/assets.sh          # use the release binaries as they are
#
# PG_URL is an administrative URL: the script creates (and unless KEEP=1 drops) a database
# `mamori_bench_assets`. ROWS, AUDIT, DURATION, CONNECTIONS and THREADS change the run.
#
# The audit records are real: `audit_fill` (an example of mamori-store) seals and chains them with
# the data folder's key through the store, and `mamori audit verify` checks the whole trail.
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-100000}
AUDIT=${AUDIT:-1000000}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
BACKENDS=${BACKENDS:-sqlite postgres}
PG_URL=${PG_URL:-postgres://mamori:mamori@127.0.0.1:5432/postgres}
TARGET=${CARGO_TARGET_DIR:-target}
if [ "${SKIP_BUILD:-0}" != 1 ]; then
  cargo build --release --locked -q --bin mamori
  cargo build --release --locked -q -p mamori-store --example audit_fill
fi
work=$(mktemp -d)
# Copies, so that a build running beside the benchmark cannot swap the binaries under it.
cp "$TARGET/release/mamori" "$work/mamori"
cp "$TARGET/release/examples/audit_fill" "$work/audit_fill"
BIN="$work/mamori"
FILL="$work/audit_fill"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# The register as an .xlsx workbook (inline strings), 12 columns of Japanese text, addresses in
# their segments, a quarter of the LGWAN and マイナンバー rows at 機密性3.
python3 - "$ROWS" "$work/register.xlsx" <<'PY'
import sys, zipfile
from xml.sax.saxutils import escape
rows, path = int(sys.argv[1]), sys.argv[2]
units = ["総務課", "企画課", "情報政策課", "財政課", "人事課", "福利厚生課", "教育総務課", "学務課",
         "任用課", "試験研究室", "監査事務局", "議会事務局"]
kinds = ["情報システム", "機器", "記録媒体", "情報", "文書", "ネットワーク"]
segments = [("LGWAN", "10.20"), ("MYNUMBER", "10.10"), ("INTERNET", "172.16")]
header = ["名称", "種別", "所有課室", "設置場所", "セグメント", "ホスト名", "IPアドレス", "機密性", "完全性",
          "可用性", "状態", "備考"]
def col(i):
    return chr(ord("A") + i)
def row_xml(r, cells):
    out = [f'<row r="{r}">']
    for i, v in enumerate(cells):
        out.append(f'<c r="{col(i)}{r}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
    out.append("</row>")
    return "".join(out)
parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>',
         row_xml(1, header)]
for i in range(rows):
    seg, prefix = segments[i % 3]
    c = "3" if seg != "INTERNET" and i % 4 == 0 else str(1 + i % 2)
    parts.append(row_xml(i + 2, [
        f"資産{i:06d}", kinds[i % 6], units[i % 12], f"本庁舎{1 + i % 9}階", seg, f"host{i:06d}",
        f"{prefix}.{(i // 250) % 250}.{1 + i % 250}", c, str(1 + i % 2), str(1 + (i // 2) % 2),
        "運用中", f"生成データ {i}"]))
parts.append("</sheetData></worksheet>")
ct = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
      '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
      '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
      '<Default Extension="xml" ContentType="application/xml"/>'
      '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
      '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
      '</Types>')
rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        '</Relationships>')
workbook = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<sheets><sheet name="情報資産台帳" sheetId="1" r:id="rId1"/></sheets></workbook>')
workbook_rels = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                 '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                 '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
                 '</Relationships>')
with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("[Content_Types].xml", ct)
    z.writestr("_rels/.rels", rels)
    z.writestr("xl/workbook.xml", workbook)
    z.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
    z.writestr("xl/worksheets/sheet1.xml", "".join(parts))
PY
size=$(du -h "$work/register.xlsx" | cut -f1)

seconds() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }

# Runs wrk with the session cookie and prints "| label | req/s | p50 | p99 | non-2xx |".
measure() {
  local label=$1 path=$2 out
  out=$(wrk --latency -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --timeout 10s \
    -H "Cookie: mamori_session=$cookie" "$base$path")
  echo "| $label | $(awk '/Requests\/sec/ {print $2}' <<<"$out") | $(awk '$1 == "50%" {print $2}' <<<"$out") | $(awk '$1 == "99%" {print $2}' <<<"$out") | $(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out" | grep . || echo 0) |"
}

# run_backend NAME PORT [--database URL]
run_backend() {
  local name=$1 port=$2
  shift 2
  local data="$work/$name"
  "$BIN" serve --data "$data" --listen "127.0.0.1:$port" --demo "$@" >"$work/$name.log" 2>&1 &
  server=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 150); do curl -fs "$base/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
  local token
  token=$("$BIN" token create --data "$data" "$@" --username sato)

  echo
  echo "### $name"
  echo
  local start end
  start=$(date +%s.%N)
  curl -fs -o "$work/import.json" -H "Authorization: Bearer $token" \
    -H "Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" \
    --data-binary @"$work/register.xlsx" "$base/api/v1/assets/import"
  end=$(date +%s.%N)
  echo "- import of $ROWS rows ($size .xlsx) through the API: $(seconds "$start" "$end") s; $(cat "$work/import.json")"
  echo "- $("$FILL" --data "$data" "$@" --count "$AUDIT")"
  start=$(date +%s.%N)
  local verified
  verified=$("$BIN" audit verify --data "$data" "$@" 2>&1 | tail -1)
  end=$(date +%s.%N)
  echo "- \`mamori audit verify\`: $(seconds "$start" "$end") s: $verified"

  # A session for the page views, and a restricted (機密性3) asset whose page view is audited.
  local jar="$work/jar" csrf
  rm -f "$jar"
  csrf=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
  curl -fs -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&username=sato&password=mamori-demo-2026" "$base/login"
  cookie=$(awk '$6 == "mamori_session" {print $7}' "$jar")
  local restricted
  restricted=$(curl -fs -H "Authorization: Bearer $token" \
    "$base/api/v1/assets?q=%E8%B3%87%E7%94%A3050004&confidentiality=3" |
    python3 -c "import json, sys; print(json.load(sys.stdin)['assets'][0]['id'])")

  echo
  echo "| page (CISO, $name) | requests/s | p50 | p99 | non-2xx/3xx |"
  echo "|---|---:|---:|---:|---:|"
  measure "\`/healthz\` (no work: for the ratio)" "/healthz"
  measure "\`/assets\` (first page of 50, by name, with the total)" "/assets"
  measure "\`/assets?confidentiality=3&sort=class\` (level filter, class order)" "/assets?confidentiality=3&sort=class"
  measure "\`/assets?kind=equipment&confidentiality=2&sort=class\` (two filters)" "/assets?kind=equipment&confidentiality=2&sort=class"
  measure "\`/assets?lifecycle=in_use&sort=updated\` (a filter nearly every asset passes, newest first)" "/assets?lifecycle=in_use&sort=updated"
  measure "\`/assets?confidentiality=2&sort=updated\` (half the register, newest first)" "/assets?confidentiality=2&sort=updated"
  measure "\`/assets?q=host09\` (text search, 10,000 hits)" "/assets?q=host09"
  measure "\`/assets?q=資産09999\` (text search, Japanese, 10 hits)" "/assets?q=%E8%B3%87%E7%94%A309999"
  measure "\`/assets?q=09\` (two characters, 15,000 hits)" "/assets?q=09"
  measure "\`/assets?q=課長\` (two characters, no hit)" "/assets?q=%E8%AA%B2%E9%95%B7"
  measure "\`/assets?q=課\` (one character, 9 hits)" "/assets?q=%E8%AA%B2"
  measure "\`/assets/50000\` (one asset with its handling rules)" "/assets/50000"
  measure "\`/assets/$restricted\` (機密性3: the read is audited, a write per view)" "/assets/$restricted"
  measure "\`/assets/summary\`" "/assets/summary"
  kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores; load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
for backend in $BACKENDS; do
  case $backend in
    sqlite) run_backend SQLite 18183 ;;
    postgres)
      db_url="${PG_URL%/*}/mamori_bench_assets"
      psql "$PG_URL" -qc "DROP DATABASE IF EXISTS mamori_bench_assets WITH (FORCE)" >/dev/null
      psql "$PG_URL" -qc "CREATE DATABASE mamori_bench_assets" >/dev/null
      run_backend PostgreSQL 18184 --database "$db_url"
      [ "${KEEP:-0}" = 1 ] || psql "$PG_URL" -qc "DROP DATABASE IF EXISTS mamori_bench_assets WITH (FORCE)" >/dev/null
      ;;
    *) echo "unknown backend $backend" >&2; exit 1 ;;
  esac
done
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
