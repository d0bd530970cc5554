#!/usr/bin/env bash
# The GPU check of FARE-20B's architecture, prepared to run in one go on a lent GPU machine:
# a CUDA build of fare-lens, then `bench engine` on random weights of gpt-oss-20b's shape
# (`--shape fare-20b`: 24 layers, 32 experts, top-4; written once with MXFP4 experts as the
# checkpoints ship them), timed with the experts re-quantised to Q4_0 and dequantised to bf16.
# It prints prefill and decode tokens/s (the bench's own table, with the roofline of the GPU's
# memory bandwidth) and the most GPU memory nvidia-smi saw while each ran.
#
#   bash tests/bench/gpu_gpt_oss.sh [OUT_DIR]     (OUT_DIR default: bench-gpu)
#
# Needs the CUDA toolkit (nvcc) and about 45 GB of GPU memory for bf16 (Q4_0 alone: about 14).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-bench-gpu}
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/gpu.txt"
cargo build --release --locked -p fare-cli --features cuda 2>&1 | tail -3
bin=target/release/fare-lens
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/release/fare-lens"

# The most memory used on the GPU while a command runs, sampled every 200 ms.
peak() {
    local log=$1
    shift
    nvidia-smi --query-gpu=memory.used --format=csv,noheader,nounits -lms 200 >"$log" &
    local watcher=$!
    "$@"
    kill "$watcher" 2>/dev/null || true
    sort -n "$log" | tail -1
}

for dtype in q4_0 bf16; do
    echo "== fare-20b, experts $dtype"
    used=$(peak "$out/memory-$dtype.log" "$bin" bench engine --shape fare-20b --device cuda \
        --dtype "$dtype" --prompt-tokens 2048 --decode-tokens 128 --model-dir "$out/fare-20b-random" \
        | tee "$out/bench-$dtype.txt" >&2)
    echo "peak GPU memory with experts $dtype: ${used} MiB" | tee -a "$out/summary.txt"
done
