#!/usr/bin/env bash
# The segment monitor's speed on Suricata EVE flow lines, beside serde_json's parse-only time of
# the same lines (the floor) and jq, in the same run; then its memory over a long run.
#
#   bench/monitor.sh                              # N=2000000 MEMORY_N=10000000 SEED=2026
#   N=500000 MEMORY_N=0 bench/monitor.sh          # quicker, no memory run
#
# Events: `eve_gen N SEED` (crates/mamori-monitor/examples/eve_gen.rs) writes realistic flow
# lines over the demo's ranges to a temporary file. Then, one core each, one after another:
#   mamori-monitor   examples/monitor_bench.rs: every line read, parsed, both ends placed
#                    (segment, asset), checked against the MIC β matrix, the rules applied and
#                    the alerts and tallies taken every 100,000 lines;
#   serde_json       the same lines parsed to IgnoredAny and to Value, nothing else;
#   jq               `jq -c 'select(.event_type=="flow")'` on the same file, output discarded.
# Memory: MEMORY_N lines piped from the generator into the monitor alone, under
# /usr/bin/time -v (maximum resident set size), with the RSS printed every 1,000,000 lines.
# Prints a Markdown table for BENCHMARKS.md. Timing depends on the load: see `uptime` first.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000000}
MEMORY_N=${MEMORY_N:-10000000}
SEED=${SEED:-2026}
TARGET=${CARGO_TARGET_DIR:-target}
cargo build --release --locked -q -p mamori-monitor --example eve_gen --example monitor_bench
GEN="$TARGET/release/examples/eve_gen"
BENCH="$TARGET/release/examples/monitor_bench"
work=$(mktemp -d /tmp/mamori-monitor-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "load before: $(uptime)" >&2
"$GEN" "$N" "$SEED" >"$work/eve.json"
bytes=$(wc -c <"$work/eve.json")
echo "events: $N flow lines, $((bytes / 1000000)) MB" >&2
cat "$work/eve.json" >/dev/null # into the page cache for every contender alike

out=$("$BENCH" "$work/eve.json" both 2>/dev/null)
echo "$out" >&2
start=$(date +%s.%N)
jq -c 'select(.event_type=="flow")' "$work/eve.json" >/dev/null
end=$(date +%s.%N)
jq_secs=$(echo "$end - $start" | bc -l)

# "NAME: … = WALL events/s, … MB/s; on the CPU … = CPU events/s, CPU_MB MB/s"
rate() {
  echo "$out" | sed -n "s/^$1: .* = \([0-9]*\) events\/s, [0-9.]* MB\/s; on the CPU .* = \([0-9]*\) events\/s, \([0-9.]*\) MB\/s/\1 \2 \3/p"
}
read -r mon_wall mon_cpu mon_mbs <<<"$(rate mamori-monitor)"
read -r ign_wall ign_cpu ign_mbs <<<"$(rate 'serde_json IgnoredAny')"
read -r val_wall val_cpu val_mbs <<<"$(rate 'serde_json Value')"
jq_eps=$(echo "$N / $jq_secs" | bc -l | cut -d. -f1)
jq_mbs=$(echo "$bytes / $jq_secs / 1000000" | bc -l | xargs printf '%.1f')
echo "load after: $(uptime)" >&2
echo
echo "| reader | events/s (wall) | events per CPU second | MB per CPU second |"
echo "|---|---:|---:|---:|"
echo "| mamori-monitor (read, place, check, rules) | $mon_wall | $mon_cpu | $mon_mbs |"
echo "| serde_json parse only, IgnoredAny | $ign_wall | $ign_cpu | $ign_mbs |"
echo "| serde_json parse only, Value | $val_wall | $val_cpu | $val_mbs |"
echo "| jq -c 'select(.event_type==\"flow\")' | $jq_eps | | $jq_mbs (wall) |"

if [ "$MEMORY_N" -gt 0 ]; then
  echo
  echo "memory: $MEMORY_N lines from the generator through the monitor" >&2
  "$GEN" "$MEMORY_N" "$SEED" | /usr/bin/time -v "$BENCH" /dev/stdin monitor 2>"$work/time.txt" >"$work/mem.txt"
  grep -E "rss" "$work/time.txt" | sed -n '1p;$p' >&2 || true
  cat "$work/mem.txt" >&2
  max=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time.txt")
  first=$(grep -m1 'lines: rss' "$work/time.txt" | sed 's/.*rss \([0-9]*\) kB/\1/')
  last=$(grep 'lines: rss' "$work/time.txt" | tail -1 | sed 's/.*rss \([0-9]*\) kB/\1/')
  echo "| $MEMORY_N events | RSS after 1M: $((first / 1024)) MB | RSS at the end: $((last / 1024)) MB | max RSS: $((max / 1024)) MB |"
fi
