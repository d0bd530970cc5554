#!/usr/bin/env bash
# Times importing the four ProcessBench files into a fresh project:
#   (a) FARE Lens's import path (fare_io::import::import_file, via `fare-bench import`);
#   (b) tests/bench/python_loader.py, a plain Python json + sqlite3 loader doing the same inserts.
# Best of $RUNS (default 3) wall times per loader, process start included, a fresh project file in
# a temporary folder each time. Prints the figures and the ratio against the goal (>= 5x); no
# timing is asserted. Then checks, with `fare-bench digest`, that both loaders wrote the same rows.
#
# Usage: tests/bench/import_vs_python.sh            (from anywhere)
# Environment: RUNS (default 3), PROCESSBENCH_DIR (default ../shared/data/processbench from the
# repository root), CARGO_TARGET_DIR (honoured by the release build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DATA="${PROCESSBENCH_DIR:-$ROOT/../shared/data/processbench}"
RUNS="${RUNS:-3}"

if [ ! -d "$DATA" ]; then
    echo "import_vs_python: no ProcessBench folder at $DATA" >&2
    echo "  expected ../shared/data/processbench/*.json relative to the repository root (or set PROCESSBENCH_DIR)" >&2
    exit 2
fi
shopt -s nullglob
FILES=("$DATA"/*.json)
if [ ${#FILES[@]} -eq 0 ]; then
    echo "import_vs_python: no *.json files in $DATA" >&2
    exit 2
fi
if ! command -v python3 >/dev/null; then
    echo "import_vs_python: python3 is not on PATH" >&2
    exit 2
fi

# The interpreter python3 on PATH runs (a version manager's shim would add its own start-up time
# to every timed run of the Python loader).
PYTHON="$(python3 -c 'import sys; print(sys.executable)')"

cd "$ROOT"
echo "building fare-bench (release)..." >&2
cargo build --release --quiet -p fare-bench
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET/release/fare-bench"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

now_ns() { date +%s%N; }

# run_timed NAME PROJECT COMMAND...: runs the command, appends "wall_ns internal_s" to $TMP/NAME.times.
run_timed() {
    local name="$1" project="$2"
    shift 2
    local start end
    start="$(now_ns)"
    "$@" --project "$project" "${FILES[@]}" >"$TMP/$name.out" 2>>"$TMP/$name.err"
    end="$(now_ns)"
    local internal
    internal="$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$TMP/$name.out" | tail -n 1)"
    echo "$((end - start)) $internal" >>"$TMP/$name.times"
}

for i in $(seq 1 "$RUNS"); do
    # Alternate which loader goes first, so neither always finds a warmer page cache.
    if [ $((i % 2)) -eq 1 ]; then
        run_timed rust "$TMP/rust-$i.sqlite" "$BIN" import
        run_timed python "$TMP/python-$i.sqlite" "$PYTHON" "$ROOT/tests/bench/python_loader.py"
    else
        run_timed python "$TMP/python-$i.sqlite" "$PYTHON" "$ROOT/tests/bench/python_loader.py"
        run_timed rust "$TMP/rust-$i.sqlite" "$BIN" import
    fi
done

samples="$(sed -n 's/.*samples=\([0-9]*\).*/\1/p' "$TMP/rust.out" | tail -n 1)"
py_samples="$(sed -n 's/.*samples=\([0-9]*\).*/\1/p' "$TMP/python.out" | tail -n 1)"
best() { sort -n "$1" | head -n 1; }
read -r rust_ns rust_internal <<<"$(best "$TMP/rust.times")"
read -r py_ns py_internal <<<"$(best "$TMP/python.times")"
best_internal() { awk '{print $2}' "$1" | sort -g | head -n 1; }
rust_internal="$(best_internal "$TMP/rust.times")"
py_internal="$(best_internal "$TMP/python.times")"

"$BIN" digest --project "$TMP/rust-1.sqlite" >"$TMP/rust.digest"
"$BIN" digest --project "$TMP/python-1.sqlite" >"$TMP/python.digest"
steps="$(sed -n 's/^steps: \([0-9]*\) rows.*/\1/p' "$TMP/rust.digest")"

echo "ProcessBench: ${#FILES[@]} files, $samples samples, $steps steps; best of $RUNS, fresh project each time"
echo "  $(grep -m1 '^SQLite' "$TMP/rust.out" | sed 's/^/fare-lens bundles /'); python $("$PYTHON" -c 'import sqlite3, sys; print(sys.version.split()[0], "with SQLite", sqlite3.sqlite_version)') ($PYTHON)"
if [ -s "$TMP/python.err" ]; then
    sort -u "$TMP/python.err" | sed 's/^/  note: /'
fi
awk -v r="$rust_ns" -v p="$py_ns" -v ri="$rust_internal" -v pi="$py_internal" -v n="$samples" -v s="$steps" 'BEGIN {
    rs = r / 1e9; ps = p / 1e9
    printf "  fare-lens  %7.3f s wall  %9.0f samples/s  %10.0f steps/s   (in-process %.3f s)\n", rs, n / rs, s / rs, ri
    printf "  python     %7.3f s wall  %9.0f samples/s  %10.0f steps/s   (in-process %.3f s)\n", ps, n / ps, s / ps, pi
    printf "processbench import: fare-lens %.3f s, python %.3f s, ratio %.1fx (goal >= 5x); in-process ratio %.1fx\n", rs, ps, ps / rs, pi / ri
}'

if [ "$samples" != "$py_samples" ]; then
    echo "WARNING: the loaders imported different sample counts (fare-lens $samples, python $py_samples)"
fi
if diff -u "$TMP/rust.digest" "$TMP/python.digest" >"$TMP/digest.diff"; then
    echo "same rows: both projects have identical datasets, samples, steps, failure tags and full-text index ($(wc -l <"$TMP/rust.digest") tables compared)"
else
    echo "WARNING: the two projects differ (fare-bench digest, fare-lens vs python):"
    sed 's/^/  /' "$TMP/digest.diff"
fi
