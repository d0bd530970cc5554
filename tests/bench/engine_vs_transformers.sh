#!/usr/bin/env bash
# The engine against transformers on the CPU, on the same random weights of a named shape
# (SHAPE: qwen3-0.6b by default, or gpt-oss-small, whose experts are MXFP4 as gpt-oss ships them):
#   (a) builds the fare-lens release binary;
#   (b) writes the random model once (`fare-lens bench engine --write-model DIR`: config.json and
#       an f32 model.safetensors, about 2.4 GB);
#   (c) runs the transformers reference (tests/bench/engine_reference.py: PyTorch, f32,
#       inference_mode, use_cache, explicit forward calls) and `fare-lens bench engine` in f32 and
#       Q8_0 (Qwen3: the GGUF converted once beside the safetensors; gpt-oss: the experts
#       re-quantised at load, and Q4_0 too), all on THREADS threads;
#   (d) prints tok/s of prefill (a PROMPT-token prompt) and decode (DECODE tokens after it, median
#       of REPEATS blocks) and the ratios fare-lens / transformers against the goals
#       (decode >= 1.5x, prefill >= 1.0x). No timing is asserted.
#
# Usage: tests/bench/engine_vs_transformers.sh            (from anywhere)
# Environment: PYTHON (an interpreter with torch, transformers and safetensors; default
#   ../bench-venv/bin/python beside the checkout, see engine_reference.py for the install),
#   SHAPE (default qwen3-0.6b), THREADS (default 2),
#   PROMPT (default 2048), DECODE (default 128), REPEATS (default 3), MODEL_DIR (default a
#   temporary folder, removed at the end; give one to keep the weights between runs),
#   CARGO_TARGET_DIR (honoured by the release build).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/../bench-venv/bin/python}"
THREADS="${THREADS:-2}"
PROMPT="${PROMPT:-2048}"
DECODE="${DECODE:-128}"
REPEATS="${REPEATS:-3}"
SHAPE="${SHAPE:-qwen3-0.6b}"
case "$SHAPE" in
    gpt-oss-*|fare-20b) FORMATS=f32,q8_0,q4_0 ;;
    *) FORMATS=f32,q8_0 ;;
esac

if ! "$PYTHON" -c 'import torch, transformers, safetensors' 2>/dev/null; then
    echo "engine_vs_transformers: $PYTHON cannot import torch, transformers and safetensors" >&2
    echo "  set PYTHON to an interpreter that can (see tests/bench/engine_reference.py)" >&2
    exit 2
fi

cd "$ROOT"
echo "building fare-lens (release)..." >&2
cargo build --release --quiet --locked -p fare-cli
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET/release/fare-lens"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
MODEL="${MODEL_DIR:-$TMP/$SHAPE}"
if [ ! -f "$MODEL/model.safetensors" ]; then
    echo "writing the random $SHAPE-shaped model to $MODEL..." >&2
    "$BIN" bench engine --shape "$SHAPE" --write-model "$MODEL" >&2
fi

# candle reads CANDLE_NUM_THREADS (its kernels) and RAYON_NUM_THREADS (gemm); torch is told by
# set_num_threads. torch links MKL, not OpenBLAS, so the OPENBLAS_* variables this machine may set
# do not change it; they are removed from the reference's environment anyway, and only there.
export CANDLE_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
COMMON=(--prompt-tokens "$PROMPT" --decode-tokens "$DECODE" --decode-repeats "$REPEATS")

echo "transformers reference (f32, $THREADS threads)..." >&2
env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE OMP_NUM_THREADS="$THREADS" \
    "$PYTHON" tests/bench/engine_reference.py "$MODEL" --threads "$THREADS" "${COMMON[@]}" >"$TMP/reference.json"
echo "fare-lens ($FORMATS, $THREADS threads)..." >&2
"$BIN" bench engine --model-dir "$MODEL" --dtype "$FORMATS" --threads "$THREADS" "${COMMON[@]}" --json >"$TMP/fare.json"

python3 - "$TMP/reference.json" "$TMP/fare.json" <<'EOF'
import json, sys
ref = json.load(open(sys.argv[1]))
fare = json.load(open(sys.argv[2]))
print(f"engine vs transformers: {fare['shape']['name']} random weights, {fare['parameters'] / 1e9:.2f}B parameters, "
      f"CPU, {fare['threads']} threads; prompt {ref['prompt_tokens']} tokens, decode {ref['decode_tokens']} tokens "
      f"(median of {len(ref['decode_runs'])} blocks), warm-up excluded")
print(f"  reference: torch {ref['torch']} ({ref['blas']}, {ref['cpu_capability']}), transformers {ref['transformers']}, "
      f"attention {ref['attention']}, {ref['threads']} threads, f32")
print(f"  {'':<22} {'prefill tok/s':>13} {'decode tok/s':>13} {'prefill ratio':>14} {'decode ratio':>13}")
print(f"  {'transformers f32':<22} {ref['prefill_tokens_per_second']:>13.1f} {ref['decode_tokens_per_second']:>13.2f}")
for m in fare["measurements"]:
    p = m["prefill_tokens_per_second"] / ref["prefill_tokens_per_second"]
    d = m["decode_tokens_per_second"] / ref["decode_tokens_per_second"]
    print(f"  {'fare-lens ' + m['dtype']:<22} {m['prefill_tokens_per_second']:>13.1f} {m['decode_tokens_per_second']:>13.2f} "
          f"{p:>13.2f}x {d:>12.2f}x   prefill goal (>= 1.0x) {'met' if p >= 1.0 else 'NOT met'}, "
          f"decode goal (>= 1.5x) {'met' if d >= 1.5 else 'NOT met'}")
runs = lambda xs: ", ".join(f"{x:.2f}" for x in xs)
print(f"  decode blocks, tok/s: transformers {runs(ref['decode_runs'])}; "
      + "; ".join(f"fare-lens {m['dtype']} {runs(m['decode_runs'])}" for m in fare["measurements"]))
EOF
echo "  load: $(uptime | sed 's/.*load average/load average/')"
