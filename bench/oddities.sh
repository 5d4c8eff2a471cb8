#!/usr/bin/env bash
# False quarantines on real mail: the share of public parser-test fixture mail that the 無害化
# engine quarantines whole, and the engine's throughput, before (BASE) and after (this tree), in
# one run.
#
#   bench/oddities.sh                  # BASE defaults to the main commit before oddities
#   BASE=<commit> ROUNDS=3 bench/oddities.sh
#
# Fixture sets (used for the measurement only, never copied into the repository):
#   - mail-parser 0.11.9 (the Rust crate the engine cross-checks with; it is in Cargo.lock, so
#     `cargo fetch` unpacks it): resources/eml/{rfc,legacy,thirdparty,malformed}
#   - mail-parser 4.8.0 (Python, its source distribution from PyPI via `pip download`):
#     tests/mails
# Each set is run through `cargo run --release -p mamori-sanitize --example quarantine_share`
# (the default policy; "after, strict" with on_oddity = "strict"). The BASE engine is built in a
# temporary git worktree with that example copied in. Throughput: the first table of `cargo bench
# --bench throughput` (MAMORI_BENCH_ONLY= empty: every row, no disarm table, which this change
# does not touch) of both trees, run alternately ROUNDS times.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BASE=${BASE:-733ec56}
ROUNDS=${ROUNDS:-2}
WORK=$(mktemp -d)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# The BASE tree builds in a target directory of its own: the two trees' crates have the same
# names and paths, and cargo would take one tree's artifacts for the other's.
BASE_TARGET=${BASE_TARGET:-$CARGO_TARGET_DIR/oddities-base}

cargo fetch --locked -q
MP=$(cargo metadata --format-version 1 --locked |
    python3 -c 'import json,sys; print([p["manifest_path"] for p in json.load(sys.stdin)["packages"] if p["name"] == "mail-parser" and p["version"] == "0.11.9"][0])')
MP=$(dirname "$MP")/resources/eml
(cd "$WORK" && pip download -q --no-deps --no-binary :all: mail-parser==4.8.0 && tar xzf mail_parser-4.8.0.tar.gz)
SETS=("$MP/rfc" "$MP/legacy" "$MP/thirdparty" "$MP/malformed" "$WORK/mail_parser-4.8.0/tests/mails")

git worktree add -q --detach "$WORK/base" "$BASE"
trap 'git -C "$ROOT" worktree remove --force "$WORK/base"; rm -rf "$WORK"' EXIT
mkdir -p "$WORK/base/crates/mamori-sanitize/examples"
cp crates/mamori-sanitize/examples/quarantine_share.rs "$WORK/base/crates/mamori-sanitize/examples/"

share() {
    local tree=$1 target=$2
    shift 2
    (cd "$tree" && CARGO_TARGET_DIR=$target cargo run --release --locked -q -p mamori-sanitize \
        --example quarantine_share -- "$@")
}
echo "## before ($BASE)"
share "$WORK/base" "$BASE_TARGET" -v "${SETS[@]}"
echo
echo "## after"
share "$ROOT" "$CARGO_TARGET_DIR" -v "${SETS[@]}"
echo
echo "## after, on_oddity = strict"
share "$ROOT" "$CARGO_TARGET_DIR" --policy 'on_oddity = "strict"' "${SETS[@]}"

bench_bin() {
    (cd "$1" && CARGO_TARGET_DIR=$2 cargo bench --locked -p mamori-sanitize --bench throughput \
        --no-run 2>&1 | sed -n 's/.*(\(.*throughput-[0-9a-f]*\))$/\1/p' | tail -1)
}
cp "$(bench_bin "$WORK/base" "$BASE_TARGET")" "$WORK/throughput-before"
cp "$(bench_bin "$ROOT" "$CARGO_TARGET_DIR")" "$WORK/throughput-after"
for i in $(seq "$ROUNDS"); do
    for which in before after; do
        echo
        echo "## throughput, $which, round $i"
        (cd crates/mamori-sanitize && MAMORI_BENCH_ONLY= "$WORK/throughput-$which" --bench)
    done
done
