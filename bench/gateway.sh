#!/usr/bin/env bash
# The 無害化 gateway against Postfix's plain relay, same load, same sink, same run, on loopback.
#
#   bench/gateway.sh            # needs Postfix (postfix, smtp-source, smtp-sink), python3, root
#   N=5000 SESSIONS=20 CONCURRENT=500 bench/gateway.sh
#   SIZES="64k" bench/gateway.sh    # one size only; N_1M messages for the 1m size
#   BENCH_DIR=/mnt/benchfs bench/gateway.sh   # queues on another file system (default /tmp)
#   BIN=/tmp/mamori-before bench/gateway.sh    # a binary built earlier, not this tree
#   SIZES= MEM_SIZE=1m CONCURRENT=40 bench/gateway.sh   # only the memory run, with 1 MiB messages
#
# Load: smtp-source, SESSIONS parallel sessions sending N copies of one realistic Japanese
# message (multipart/alternative ISO-2022-JP text + UTF-8 HTML, a PDF and an xlsx attachment),
# in each of SIZES: 4k (a short mail with small attachments), 64k and 1m (about 1 MiB, N_1M
# copies). Next hop: smtp-sink. "End to end" is from the first connection until the relay's
# log shows N deliveries accepted by the sink (polled every 0.1 s).
# Gateway: `mamori gateway` in release, delivering with DELIVERY parallel workers, JSON logs;
# accept→delivery latency is the `latency_ms` of each `message delivered` log line.
# Postfix: a private instance (own config and queue directory under a temp dir, high ports,
# `postfix -c DIR start`) relaying to the same sink; its latency is the `delay=` of each
# `status=sent` line (arrival → delivery, 10 ms resolution).
# Then the gateway's peak RSS (VmHWM) with CONCURRENT sessions held open against a slow sink.
# Prints a Markdown table for BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-5000}
N_1M=${N_1M:-1000}
SIZES=${SIZES:-4k 64k 1m}
SESSIONS=${SESSIONS:-20}
CONCURRENT=${CONCURRENT:-500}
DELIVERY=${DELIVERY:-20}
TARGET=${CARGO_TARGET_DIR:-target}
BASE_PORT=${BASE_PORT:-22500}
SINK_PORT=$BASE_PORT
GW_PORT=$((BASE_PORT + 1))
PF_PORT=$((BASE_PORT + 2))
DOMAIN=city.example.lg.jp
# Where both relays keep their queues. An ext4 without a journal skips inodes deleted in the
# last minute when it allocates new ones, so there file creation slows with the deletions of the
# run (and of the run before); on a journaled ext4 or XFS, as a server has, it does not.
BENCH_DIR=${BENCH_DIR:-/tmp}
# BIN=path/to/mamori runs a binary built before (to compare two builds in turn).
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -q --bin mamori
  BIN="$TARGET/release/mamori"
fi
work=$(mktemp -d "$BENCH_DIR/mamori-bench.XXXXXX")
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$work/postfix/conf/main.cf" ] && postfix -c "$work/postfix/conf" stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# message SIZE: text lines, HTML table rows, PDF and xlsx bytes of each size.
message() {
  local text html pdf xlsx
  case $1 in
    4k) text=5 html=8 pdf=600 xlsx=300 ;;
    64k) text=20 html=60 pdf=24000 xlsx=16000 ;;
    1m) text=20 html=60 pdf=600000 xlsx=150000 ;;
    10m) text=20 html=60 pdf=6000000 xlsx=1500000 ;;
    *) echo "unknown size $1 (4k, 64k, 1m or 10m)" >&2; exit 1 ;;
  esac
  python3 - "$work/message-$1.eml" "$text" "$html" "$pdf" "$xlsx" <<'PY'
import base64, random, sys
from email.header import Header
random.seed(5)
text_lines, html_rows, pdf_len, xlsx_len = (int(a) for a in sys.argv[2:6])
text = ("いつもお世話になっております。\n令和7年度の予算要求資料をお送りします。\n"
        "ご確認のほど、よろしくお願いいたします。\n") * text_lines
html = ("<html><body><p>いつもお世話になっております。</p><table>"
        + "".join(f"<tr><td>項目{i}</td><td>{i * 1234}円</td>"
                  f"<td><a href=\"https://example.jp/doc/{i}\">資料{i}</a></td></tr>" for i in range(html_rows))
        + "</table><p style=\"color:#333\">総務課</p></body></html>")
pdf = b"%PDF-1.4\n" + random.randbytes(pdf_len) + b"\n%%EOF\n"
xlsx = b"PK\x03\x04" + random.randbytes(xlsx_len)
def b64(data):
    s = base64.b64encode(data).decode()
    return "\n".join(s[i:i + 76] for i in range(0, len(s), 76))
subject = Header("令和7年度 予算要求資料の送付について", "utf-8").encode()
msg = f"""From: soumu@example.jp
To: kacho@city.example.lg.jp
Subject: {subject}
Date: Wed, 26 Nov 2025 10:00:00 +0900
Message-ID: <bench@example.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mix"

--mix
Content-Type: multipart/alternative; boundary="alt"

--alt
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

{text.encode('iso-2022-jp').decode('ascii')}
--alt
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: base64

{b64(html.encode())}
--alt--

--mix
Content-Type: application/pdf; name="yosan.pdf"
Content-Disposition: attachment; filename="yosan.pdf"
Content-Transfer-Encoding: base64

{b64(pdf)}
--mix
Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="meisai.xlsx"
Content-Disposition: attachment; filename="meisai.xlsx"
Content-Transfer-Encoding: base64

{b64(xlsx)}
--mix--
"""
open(sys.argv[1], "w").write(msg)
PY
}

sink_pid=""
# smtp-sink as the next hop; arguments go to smtp-sink.
start_sink() {
  smtp-sink -u nobody "$@" "127.0.0.1:$SINK_PORT" 4096 &
  sink_pid=$!
  pids+=("$sink_pid")
  sleep 0.3
}
stop_sink() { kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; }

wait_port() {
  for _ in $(seq 1 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return
    sleep 0.1
  done
  echo "nothing listens on $1" >&2; exit 1
}

now() { date +%s.%N; }

# smtp-source COUNT copies of MESSAGE to PORT; prints the seconds until file LOG has COUNT lines
# matching PATTERN.
load() {
  local port=$1 log=$2 pattern=$3 count=$4 message=$5 t0 t1
  t0=$(now)
  smtp-source -s "$SESSIONS" -m "$count" -F "$message" -f sender@example.jp \
    -t "kacho@$DOMAIN" -M bench.example.jp "127.0.0.1:$port"
  until [ "$(grep -c -- "$pattern" "$log" 2>/dev/null)" -ge "$count" ]; do sleep 0.1; done
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}

# p50 and p99 of the numbers on stdin, in ms.
percentiles() {
  sort -n | awk '{v[NR]=$1} END {
    p50=v[int(NR*0.50+0.5)]; p99=v[int(NR*0.99+0.5)];
    if (p50=="") p50=v[NR]; if (p99=="") p99=v[NR];
    printf "%d %d %d\n", p50, p99, NR }'
}

# --- Postfix's configuration -----------------------------------------------------------------
pf="$work/postfix"
mkdir -p "$pf/conf" "$pf/queue" "$pf/data"
chown postfix "$pf/data"
cat >"$pf/conf/main.cf" <<MAINCF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix-bench.example.jp
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mydestination =
mynetworks = 127.0.0.0/8
relay_domains = $DOMAIN
relayhost = [127.0.0.1]:$SINK_PORT
smtpd_recipient_restrictions = permit_mynetworks, reject_unauth_destination
smtp_tls_security_level = none
smtpd_tls_security_level = none
maillog_file = $pf/maillog
maillog_file_prefixes = $work
alias_maps =
alias_database =
local_recipient_maps =
default_process_limit = 200
default_destination_concurrency_limit = $DELIVERY
message_size_limit = 20000000
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
syslog_name = postfix-bench
MAINCF
# Debian's master.cf with the SMTP listener on a high port and no chroot (the queue is elsewhere).
awk -v port="127.0.0.1:$PF_PORT" '
  /^#/ || /^[ \t]/ || NF < 8 { print; next }
  { if ($1 == "smtp" && $2 == "inet") $1 = port; $5 = "n"; print }
' /etc/postfix/master.cf >"$pf/conf/master.cf"
grep -q '^postlog' "$pf/conf/master.cf" ||
  echo "postlog   unix-dgram n  -       n       -       1       postlogd" >>"$pf/conf/master.cf"
postfix -c "$pf/conf" check >/dev/null 2>&1 || true

rate() { echo "scale=0; $1 / $2" | bc -l; }
rows=()
for SIZE in $SIZES; do
  message "$SIZE"
  msg="$work/message-$SIZE.eml"
  bytes=$(wc -c <"$msg")
  count=$N
  [ "$SIZE" = 1m ] && count=$N_1M

  # --- the gateway ---------------------------------------------------------------------------
  start_sink
  MAMORI_LOG_FORMAT=json RUST_LOG=info "$BIN" gateway --listen "127.0.0.1:$GW_PORT" \
    --next-hop "127.0.0.1:$SINK_PORT" --accept-domain "$DOMAIN" --data "$work/gw-$SIZE" \
    --min-free-mb 0 --delivery-concurrency "$DELIVERY" --max-connections-per-address 1000 \
    --max-connections 1000 2>"$work/gw-$SIZE.log" &
  gw_pid=$!
  pids+=("$gw_pid")
  wait_port "$GW_PORT"
  gw_secs=$(load "$GW_PORT" "$work/gw-$SIZE.log" '"message delivered"' "$count" "$msg")
  read -r gw_p50 gw_p99 gw_n < <(grep '"message delivered"' "$work/gw-$SIZE.log" \
    | sed -n 's/.*"latency_ms":\([0-9]*\).*/\1/p' | percentiles)
  gw_rss=$(awk '/VmHWM/ {print $2}' "/proc/$gw_pid/status")
  kill "$gw_pid"; wait "$gw_pid" 2>/dev/null || true
  stop_sink

  # --- Postfix alone -------------------------------------------------------------------------
  start_sink
  : >"$pf/maillog"
  postfix -c "$pf/conf" start >/dev/null 2>&1
  wait_port "$PF_PORT"
  pf_secs=$(load "$PF_PORT" "$pf/maillog" 'status=sent' "$count" "$msg")
  read -r pf_p50 pf_p99 pf_n < <(grep 'status=sent' "$pf/maillog" \
    | sed -n 's/.* delay=\([0-9.]*\),.*/\1/p' | awk '{printf "%d\n", $1 * 1000}' | percentiles)
  postfix -c "$pf/conf" stop >/dev/null 2>&1 || true
  stop_sink

  rows+=("$(printf '| %s (%d bytes) | mamori gateway (sanitizing) | %d | %.1f | %s | %d ms | %d ms | %d | %d MB |' \
    "$SIZE" "$bytes" "$count" "$gw_secs" "$(rate "$count" "$gw_secs")" "$gw_p50" "$gw_p99" \
    "$gw_n" $((gw_rss / 1024)))")
  rows+=("$(printf '| %s | Postfix relay | %d | %.1f | %s | %d ms | %d ms | %d | |' \
    "$SIZE" "$count" "$pf_secs" "$(rate "$count" "$pf_secs")" "$pf_p50" "$pf_p99" "$pf_n")")
  rows+=("| $SIZE | gateway / Postfix throughput **$(echo "scale=2; $pf_secs / $gw_secs" | bc -l)** | | | | | | | |")
done

# --- the gateway's memory with many sessions open -------------------------------------------
# Each session sends 3 messages of MEM_SIZE (64k unless told) on one connection, 2 s apart; the
# sink waits 1 s before each DATA reply, so deliveries queue up too.
MEM_SIZE=${MEM_SIZE:-64k}
message "$MEM_SIZE"
start_sink -w 1
"$BIN" gateway --listen "127.0.0.1:$GW_PORT" --next-hop "127.0.0.1:$SINK_PORT" \
  --accept-domain "$DOMAIN" --data "$work/gw-mem" --min-free-mb 0 \
  --delivery-concurrency "$DELIVERY" --max-connections-per-address 1000 \
  --max-connections 1000 2>"$work/gw-mem.log" &
gw_pid=$!
pids+=("$gw_pid")
wait_port "$GW_PORT"
smtp-source -s "$CONCURRENT" -m $((CONCURRENT * 3)) -d -w 2 -F "$work/message-$MEM_SIZE.eml" \
  -f sender@example.jp -t "kacho@$DOMAIN" -M bench.example.jp "127.0.0.1:$GW_PORT" &
src_pid=$!
peak_conns=0
while kill -0 "$src_pid" 2>/dev/null; do
  c=$(ss -Htn state established "( sport = :$GW_PORT )" | wc -l)
  [ "$c" -gt "$peak_conns" ] && peak_conns=$c
  sleep 0.5
done
mem_rss=$(awk '/VmHWM/ {print $2}' "/proc/$gw_pid/status")
kill "$sink_pid" "$gw_pid" 2>/dev/null || true

printf '\n%d sessions; gateway and Postfix delivery concurrency %d\n\n' "$SESSIONS" "$DELIVERY"
echo "| message | relay | messages | seconds | messages/s | p50 accept→delivery | p99 | delivered logged | peak RSS |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${rows[@]}"
echo
echo "gateway peak RSS with $CONCURRENT sessions of $MEM_SIZE messages (peak $peak_conns established): $((mem_rss / 1024)) MB"
