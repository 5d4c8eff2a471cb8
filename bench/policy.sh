#!/usr/bin/env bash
# Policy documents at 1 MB, on SQLite: `mamori policy import` of a generated 例規-style text
# (time with hyperfine, peak RSS with /usr/bin/time), then the pages that show it under wrk on
# loopback with the CISO's session: the version page of the 1 MB document, and /policy without
# login, first with the demo's basic policy alone, then with the 1 MB document in force beside it.
# Prints Markdown for BENCHMARKS.md.
#
#   bench/policy.sh                    # needs hyperfine, wrk, curl, python3; builds in release
#   SKIP_BUILD=1 bench/policy.sh       # use the release binary as it is
#   KEEP=1 bench/policy.sh             # keep the work folder (the text, the data folders)
#
# SIZE (bytes of text, default 1 MiB), RUNS, DURATION, CONNECTIONS and THREADS change the run.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${SIZE:-1048576}
RUNS=${RUNS:-20}
DURATION=${DURATION:-15s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
TARGET=${CARGO_TARGET_DIR:-target}
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release --locked -q --bin mamori
work=$(mktemp -d)
# A copy, so that a build running beside the benchmark cannot swap the binary under it.
cp "$TARGET/release/mamori" "$work/mamori"
BIN="$work/mamori"
server=""
cleanup() {
  [ -n "$server" ] && kill "$server" 2>/dev/null
  if [ "${KEEP:-0}" = 1 ]; then echo "kept: $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT

# A loopback port free at the moment (other benchmarks may be running on this machine).
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# Starts `mamori serve` on a free port with the given arguments; sets $server and $base.
start() {
  local log=$1 port
  shift
  port=$(free_port)
  "$BIN" serve --listen "127.0.0.1:$port" "$@" >"$log" 2>&1 &
  server=$!
  base="http://127.0.0.1:$port"
  for _ in $(seq 1 150); do curl -fs "$base/healthz" >/dev/null 2>&1 && return; sleep 0.2; done
  echo "mamori serve did not start:" >&2; cat "$log" >&2; exit 1
}

# The text: a 規程 of numbered sections, titled items (1), sub-items ア and
# sub-sub-items (ア), each with one to three sentences of policy Japanese, and dated 附則;
# deterministic (its own linear congruential generator), cut at a section boundary once SIZE
# bytes of UTF-8 are written.
python3 - "$SIZE" "$work/policy.txt" <<'PY'
import sys
size, path = int(sys.argv[1]), sys.argv[2]
state = 20261205
def pick(seq):
    global state
    state = (state * 1103515245 + 12345) % 2**31
    return seq[(state >> 8) % len(seq)]
topics = ["目的", "定義", "組織体制", "情報資産の分類", "情報資産の管理", "物理的セキュリティ",
          "人的セキュリティ", "技術的セキュリティ", "アクセス制御", "不正プログラム対策",
          "不正アクセス対策", "セキュリティ情報の収集", "運用", "緊急時対応", "業務委託",
          "外部サービスの利用", "評価・見直し", "自己点検", "監査", "教育及び訓練", "電子メール",
          "無害化", "記録媒体の管理", "端末の管理", "ネットワークの管理", "例外措置", "法令遵守",
          "懲戒処分等", "クラウドサービス", "ソーシャルメディアサービス"]
items = ["管理者の責務", "利用者の遵守事項", "手続", "記録", "報告", "点検", "許可", "廃棄",
         "持出し", "複製", "保管", "設定", "変更管理", "障害対応", "委託先の管理", "教育"]
subjects = ["職員", "情報セキュリティ管理者", "統括情報セキュリティ責任者", "情報システム管理者",
            "委託事業者", "CISO", "情報セキュリティ責任者", "CSIRT", "課室の長", "利用者"]
objects = ["情報資産", "端末", "電磁的記録媒体", "情報システム", "アクセス記録", "パスワード",
           "ネットワーク機器", "サーバ", "電子メール", "外部記録媒体", "機密性3の情報",
           "個人番号を含む情報", "業務用ファイル", "設定情報", "障害の記録", "入退室の記録"]
conditions = ["", "", "業務上必要がある場合には、", "障害が発生したときは、",
              "情報セキュリティインシデントを知ったときは、", "異動又は退職のときは、",
              "庁舎の外で業務を行うときは、", "委託契約を締結するときは、",
              "年度の初めに、", "CISOが必要と認めるときは、"]
verbs = ["を適切に管理しなければならない。", "について定期的に点検を行うものとする。",
         "を許可なく庁舎外に持ち出してはならない。", "の取扱いについて記録を作成し、1年以上保存する。",
         "を分類に応じて暗号化するものとする。", "に係る権限を必要最小限とする。",
         "の状況を速やかに報告しなければならない。", "について手順を定め、関係する職員に周知する。",
         "を施錠できる場所に保管するものとする。", "の変更について、あらかじめ承認を得る。",
         "を不要となった時点で復元できないよう消去する。", "の利用状況を監視し、異常を検知した場合は遮断する。"]
def sentence():
    return pick(conditions) + pick(subjects) + "は、" + pick(objects) + pick(verbs)
def paragraph(low=1, high=3):
    return "".join(sentence() for _ in range(low + (state >> 4) % (high - low + 1)))
kana = "アイウエオカキクケコ"
lines = ["性能試験用情報セキュリティ規程", "", "令和8年12月5日", "情報政策課", ""]
written = sum(len(l.encode()) + 1 for l in lines)
tail = ["附 則", "", "この規程は、令和元年5月1日から施行する。", ""]
for year, month in [(2, 4), (3, 3), (4, 4), (5, 10), (6, 4), (7, 1), (8, 4)]:
    tail += ["附 則", "", f"この規程は、令和{year}年{month}月1日から施行する。", ""]
budget = size - sum(len(l.encode()) + 1 for l in tail)
section = 0
while True:
    section += 1
    block = [f"{section} {topics[(section - 1) % len(topics)]}", "", paragraph(1, 2), ""]
    for i in range(1, 9 + section % 4):
        block += [f"({i}) {pick(items)}", paragraph(1, 2)]
        for k in range(section % 3 + i % 3 + 1):
            block.append(f"{kana[k]} {paragraph(1, 2)}")
            if (section + i + k) % 4 == 0:
                for m in range(2):
                    block.append(f"({kana[m]}) {paragraph(1, 1)}")
        block.append("")
    cost = sum(len(l.encode()) + 1 for l in block)
    if written + cost > budget and section > 1:
        break
    lines += block
    written += cost
text = "\n".join(lines + tail)
with open(path, "w", encoding="utf-8") as f:
    f.write(text)
PY
bytes=$(wc -c <"$work/policy.txt")
lines=$(wc -l <"$work/policy.txt")
# A small text of the same form, to tell the import's fixed cost (opening the store and its
# migrations, starting the process) from the work that grows with the text.
printf '小さな規程\n\n1 目的\n\nこの規程は、情報資産を守るために定める。\n\n附 則\n\nこの規程は、令和8年4月1日から施行する。\n' >"$work/small.txt"

# A data folder with the demo organisation, made once and copied before every import.
start "$work/base.log" --data "$work/base" --demo
kill "$server"; wait "$server" 2>/dev/null || true; server=""

echo "Measured $(date -u +%Y-%m-%d) on $(nproc) cores ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)); load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "Text: $bytes bytes, $lines lines."
echo
import_args=(policy import --org KYOIKU --tier basic --title 性能試験)
hyperfine --style none --runs "$RUNS" --export-json "$work/import.json" \
  --prepare "rm -rf $work/run && cp -a $work/base $work/run" \
  -n "small" "$BIN ${import_args[*]} --data $work/run $work/small.txt" \
  -n "1MB" "$BIN ${import_args[*]} --data $work/run $work/policy.txt" >/dev/null
rss() {
  rm -rf "$work/run" && cp -a "$work/base" "$work/run"
  /usr/bin/time -f "%M" -o "$work/rss" "$BIN" "${import_args[@]}" --data "$work/run" --json "$1" >"$work/summary.json"
  echo "$(( $(cat "$work/rss") / 1024 ))"
}
rss_small=$(rss "$work/small.txt")
rss_big=$(rss "$work/policy.txt")
summary=$(cat "$work/summary.json")
python3 - "$work/import.json" "$rss_small" "$rss_big" "$summary" <<'PY'
import json, statistics, sys
runs = {r["command"]: r for r in json.load(open(sys.argv[1]))["results"]}
summary = json.loads(sys.argv[4])
print(f"The 1 MB text reads into {summary['sections']} sections and {summary['clauses']} clauses.")
print()
print("| `mamori policy import` (SQLite, new document) | mean | σ | min | max | peak RSS |")
print("|---|---:|---:|---:|---:|---:|")
for name, rss in [("small", sys.argv[2]), ("1MB", sys.argv[3])]:
    r = runs[name]
    label = "a 3-line text (fixed cost)" if name == "small" else "the 1 MB text"
    print(f"| {label} | {r['mean']*1000:.0f} ms | {r['stddev']*1000:.0f} ms | {r['min']*1000:.0f} ms | {r['max']*1000:.0f} ms | {rss} MiB |")
print()
print(f"Parse and store of the 1 MB text, the difference of the means: {(runs['1MB']['mean'] - runs['small']['mean'])*1000:.0f} ms.")
PY

# The pages, on a server over the imported folder.
rm -rf "$work/run" && cp -a "$work/base" "$work/run"
"$BIN" "${import_args[@]}" --data "$work/run" --json "$work/policy.txt" >"$work/summary.json"
policy_id=$(python3 -c "import json, sys; print(json.load(open(sys.argv[1]))['policy_id'])" "$work/summary.json")
start "$work/serve.log" --data "$work/run"
jar="$work/jar"
csrf=$(curl -fs -c "$jar" "$base/login" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)
curl -fs -b "$jar" -c "$jar" -o /dev/null -d "_csrf=$csrf&username=sato&password=mamori-demo-2026" "$base/login"
cookie=$(awk '$6 == "mamori_session" {print $7}' "$jar")
# The session's CSRF token, from any form the CISO is shown.
csrf=$(curl -fs -b "$jar" "$base/policies" | sed -n 's/.*name="_csrf" value="\([^"]*\)".*/\1/p' | head -1)

hwm() { awk '/VmHWM/ {printf "%d MiB", $2 / 1024}' "/proc/$server/status"; }
measure() {
  local label=$1 path=$2 out size
  shift 2
  size=$(curl -fs "$@" -o /dev/null -w '%{size_download}' "$base$path")
  out=$(wrk --latency -t"${T:-$THREADS}" -c"${C:-$CONNECTIONS}" -d"$DURATION" --timeout 10s "$@" "$base$path")
  echo "| $label | $(( size / 1024 )) KiB | $(awk '/Requests\/sec/ {print $2}' <<<"$out") | $(awk '$1 == "50%" {print $2}' <<<"$out") | $(awk '$1 == "99%" {print $2}' <<<"$out") | $(awk '/Non-2xx or 3xx/ {print $5}' <<<"$out" | grep . || echo 0) | $(hwm) |"
}
echo
echo "| page ($CONNECTIONS connections unless said) | size | requests/s | p50 | p99 | non-2xx/3xx | server peak RSS so far |"
echo "|---|---:|---:|---:|---:|---:|---:|"
measure "\`/policy\` without login (the demo's basic policy, 12 sections)" /policy
measure "\`/policies/$policy_id/versions/1\` (CISO, the 1 MB draft)" "/policies/$policy_id/versions/1" -H "Cookie: mamori_session=$cookie"
# Submitted and approved from a day already come, so it is in force and published beside the demo's.
for form in "step=submit" "step=approve&effective_from=2026-04-01"; do
  curl -fs -b "$jar" -o /dev/null -d "_csrf=$csrf&$form" "$base/policies/$policy_id/versions/1/step"
done
curl -fs -o "$work/published.html" "$base/policy"
grep -q "性能試験" "$work/published.html" || { echo "the 1 MB document is not published" >&2; exit 1; }
measure "\`/policies/$policy_id/versions/1\` (CISO, the 1 MB version in force: no edit form)" "/policies/$policy_id/versions/1" -H "Cookie: mamori_session=$cookie"
measure "\`/policy\` without login (the demo's and the 1 MB document in force)" /policy
# One connection: the time one request takes, without waiting behind the others.
C=1 T=1 measure "\`/policy\`, as above, one connection at a time" /policy
C=1 T=1 measure "\`/policies/$policy_id/versions/1\`, as above, one connection at a time" "/policies/$policy_id/versions/1" -H "Cookie: mamori_session=$cookie"
kill "$server"; wait "$server" 2>/dev/null || true; server=""
echo
echo "Load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
