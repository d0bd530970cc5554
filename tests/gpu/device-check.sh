#!/usr/bin/env bash
# The one GPU check, run on the lent GPU machine in the repository root of a copy of the working
# tree with gpu-kit/ carried (tests/gpu/make-kit.sh makes it here): the CUDA fare-lens against
# transformers on the same card (tests/gpu/check.py says what each stage measures). Writes
# summary.md and summary.json to OUT (default gpu-check-out) as each stage ends; weights are
# generated there, never carried.
#
#   bash tests/gpu/device-check.sh                 # on the GPU machine
#   bash tests/gpu/device-check.sh --rehearse      # the same on this CPU, small shapes
# Environment: PYTHON (with torch, transformers, safetensors, numpy), OUT, BUDGET (seconds for
# all stages; default 500, inside a 10-minute call), ONLY (stages, comma-separated).
set -euo pipefail
cd "$(dirname "$0")/../.."
out="${OUT:-gpu-check-out}"
mkdir -p "$out"
kit="$(pwd)/gpu-kit"
python="${PYTHON:-python3}"
work="${WORK:-${TMPDIR:-/tmp}/fare-lens-gpu-check}"
mkdir -p "$work"
bin="$work/fare-lens"
if [ -f "$kit/fare-lens.xz" ]; then
  xz -dc "$kit/fare-lens.xz" >"$bin"
else
  cp "$kit/fare-lens" "$bin"
fi
chmod +x "$bin"
rehearse=()
if [ "${1:-}" = "--rehearse" ]; then
  rehearse=(--rehearse)
  export CANDLE_NUM_THREADS="${CANDLE_NUM_THREADS:-2}" RAYON_NUM_THREADS="${RAYON_NUM_THREADS:-2}"
else
  nvidia-smi --query-gpu=name,memory.total,driver_version,compute_cap --format=csv | tee "$out/gpu.txt"
  # The CUDA libraries the binary links (cuBLAS, cuRAND, NVRTC, the runtime) from torch's own
  # NVIDIA wheels; libcuda comes with the driver.
  libs="$("$python" - <<'PY'
import glob, os, site
dirs = set()
for root in site.getsitepackages():
    for lib in glob.glob(os.path.join(root, "nvidia", "**", "lib*.so*"), recursive=True):
        dirs.add(os.path.dirname(lib))
print(":".join(sorted(dirs)))
PY
)"
  export LD_LIBRARY_PATH="$libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  if ldd "$bin" | grep 'not found'; then
    echo "device-check: the binary's libraries are not all found" >&2
  fi
fi
"$bin" --version | tee "$out/version.txt"
exec "$python" tests/gpu/check.py --bin "$bin" --kit "$kit" --out "$out" --work "$work" \
  --budget "${BUDGET:-500}" ${ONLY:+--only "$ONLY"} "${rehearse[@]}"
