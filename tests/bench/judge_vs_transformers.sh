#!/usr/bin/env bash
# Judging throughput of the engine's continuous batching against transformers' batched
# `generate`, on the CPU, on the same random Qwen3-0.6B-shaped weights and the same prompts:
#   (a) builds the fare-lens release binary;
#   (b) writes the random model once (`fare-lens bench engine --write-model DIR`, f32
#       safetensors) and its Q8_0 GGUF (`fare-lens convert`);
#   (c) writes the prompts (`fare-lens bench judge --write-prompts`: the first SAMPLES
#       ProcessBench samples as step-level FARE prompts, Qwen3-tokenised, NEW tokens each);
#   (d) runs tests/bench/judge_reference.py (transformers, f32, left padding) at BATCHES, then
#       `fare-lens bench judge` in f32 and Q8_0 at BATCHES, all on THREADS threads;
#   (e) prints samples per hour and the ratios against the goals (batch 8 >= 3x batch 1, best
#       fare-lens >= 1.5x transformers' best). No timing is asserted.
#
# Usage: tests/bench/judge_vs_transformers.sh            (from anywhere)
# Environment: PYTHON (default ../bench-venv/bin/python beside the checkout, see
#   engine_reference.py), THREADS (default 2), SAMPLES (default 16), NEW (default 256),
#   BATCHES (default 1,4,8,16), FORMATS (default f32,q8_0), MODEL_DIR (default a temporary
#   folder; give one to keep the weights), DATA (default ../shared/data/processbench).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-$ROOT/../bench-venv/bin/python}"
THREADS="${THREADS:-2}"
SAMPLES="${SAMPLES:-16}"
NEW="${NEW:-256}"
BATCHES="${BATCHES:-1,4,8,16}"
FORMATS="${FORMATS:-f32,q8_0}"
DATA="${DATA:-$ROOT/../shared/data/processbench}"

if ! "$PYTHON" -c 'import torch, transformers, safetensors' 2>/dev/null; then
    echo "judge_vs_transformers: $PYTHON cannot import torch, transformers and safetensors" >&2
    exit 2
fi

cd "$ROOT"
bash tests/fetch-test-assets.sh >/dev/null
echo "building fare-lens (release)..." >&2
cargo build --release --quiet --locked -p fare-cli
TARGET="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
BIN="$TARGET/release/fare-lens"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
MODEL="${MODEL_DIR:-$TMP/qwen3-0.6b}"
if [ ! -f "$MODEL/model.safetensors" ]; then
    "$BIN" bench engine --shape qwen3-0.6b --write-model "$MODEL" >&2
fi
GGUF="$MODEL/model-q8_0.gguf"
if [[ ",$FORMATS," == *",q8_0,"* ]] && [ ! -f "$GGUF" ]; then
    "$BIN" convert "$MODEL" --output "$GGUF" --quant q8_0 >&2
fi
PROMPTS="$TMP/prompts.json"
"$BIN" bench judge --write-prompts "$PROMPTS" --data "$DATA" --samples "$SAMPLES" --new-tokens "$NEW" >&2

export CANDLE_NUM_THREADS="$THREADS" RAYON_NUM_THREADS="$THREADS"
echo "transformers..." >&2
env -u OPENBLAS_NUM_THREADS -u OPENBLAS_MAIN_FREE "$PYTHON" tests/bench/judge_reference.py \
    --model "$MODEL" --prompts "$PROMPTS" --batch "$BATCHES" --threads "$THREADS" > "$TMP/reference.json"
RUNS=()
for format in ${FORMATS//,/ }; do
    case "$format" in
        f32) path="$MODEL" ;;
        q8_0) path="$GGUF" ;;
        *) echo "unknown format $format (f32, q8_0)" >&2; exit 2 ;;
    esac
    echo "fare-lens $format..." >&2
    "$BIN" bench judge --model "$path" --prompts "$PROMPTS" --batch "$BATCHES" --json > "$TMP/$format.json"
    RUNS+=("$format=$TMP/$format.json")
done

python3 - "$TMP/reference.json" "${RUNS[@]}" <<'PY'
import json, sys
reference = json.load(open(sys.argv[1]))
best_ref = max(r["samples_per_hour"] for r in reference["results"])
print(f"{reference['samples']} ProcessBench prompts ({reference['prompt_tokens']} tokens), "
      f"{reference['new_tokens']} new tokens each, {reference['threads']} threads")
print(f"{'engine':<22} {'batch':>5} {'samples/h':>10} {'tok/s':>8} {'vs batch 1':>10} {'vs transformers best':>21}")
for r in reference["results"]:
    print(f"{'transformers f32':<22} {r['batch']:>5} {r['samples_per_hour']:>10.1f} {r['tokens_per_second']:>8.2f} {'':>10} {r['samples_per_hour'] / best_ref:>20.2f}x")
for spec in sys.argv[2:]:
    name, path = spec.split("=", 1)
    runs = json.load(open(path))["runs"]
    for r in runs:
        vs1 = f"{r['vs_batch_1']:.2f}x" if r.get("vs_batch_1") else ""
        print(f"{'fare-lens ' + name:<22} {r['batch']:>5} {r['samples_per_hour']:>10.1f} {r['tokens_per_second']:>8.2f} {vs1:>10} {r['samples_per_hour'] / best_ref:>20.2f}x")
    eight = next((r for r in runs if r["batch"] == 8), None)
    best = max(r["samples_per_hour"] for r in runs)
    if eight and eight.get("vs_batch_1"):
        print(f"  goal batch 8 >= 3x batch 1 ({name}): {eight['vs_batch_1']:.2f}x")
    print(f"  goal best >= 1.5x transformers' best ({name}): {best / best_ref:.2f}x")
if reference.get("padding_changes_tokens"):
    print(f"note: left padding changed transformers' greedy tokens in {reference['padding_changed_samples']} samples")
PY
