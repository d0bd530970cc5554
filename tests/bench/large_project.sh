#!/usr/bin/env bash
# Writes a synthetic project with `fare-bench synth` and times the sample-list queries on it with
# `fare-bench queries` (medians after a warm-up, as ratios of the 100 ms goal; peak memory
# against 500 MB). Figures only: no timing is asserted.
#
# Usage: tests/bench/large_project.sh [SAMPLES]     (default 20000; the goal is stated for 1000000,
#        which takes about a minute to write and about 4 GB of disk while it is written)
# Environment: STEPS (default 10), RUNS (default 7), KEEP=1 keeps the project (its path is printed),
# CARGO_TARGET_DIR (honoured by the release build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SAMPLES="${1:-20000}"
STEPS="${STEPS:-10}"
RUNS="${RUNS:-7}"

cd "$ROOT"
echo "building fare-bench (release)..." >&2
cargo build --release --quiet -p fare-bench
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET/release/fare-bench"

TMP="$(mktemp -d)"
if [ "${KEEP:-0}" = 1 ]; then
    echo "the project is kept in $TMP" >&2
else
    trap 'rm -rf "$TMP"' EXIT
fi
PROJECT="$TMP/synthetic.sqlite"

echo "== synth: $SAMPLES samples, $STEPS steps each"
"$BIN" synth --samples "$SAMPLES" --steps-per-sample "$STEPS" --project "$PROJECT" 2>"$TMP/synth.progress"
echo "== queries"
"$BIN" queries --project "$PROJECT" --runs "$RUNS"
