#!/usr/bin/env bash
# Builds FARE Lens for NVIDIA GPUs: `fare-lens` and the desktop app with the `cuda` feature, in
# release. When `nvcc` is not on PATH, the CUDA 13.0 compiler, headers and libraries are
# installed from NVIDIA's PyPI wheels into a cache folder first (about 700 MB once), so no CUDA
# toolkit is needed. The binaries look for the CUDA libraries in that folder (rpath) and use
# the GPU driver's own libcuda at run time.
#
#   bash src-tauri/build-cuda.sh              # build both, then start the desktop app
#   bash src-tauri/build-cuda.sh --no-run     # build both only
#   bash src-tauri/build-cuda.sh --cli        # build fare-lens only (release)
#   bash src-tauri/build-cuda.sh --check      # compile fare-lens in the dev profile (what CI does)
#   bash src-tauri/build-cuda.sh --env        # print the environment a CUDA build needs
#
# Settings (environment):
#   CUDA_COMPUTE_CAP    the GPU generation the kernels are compiled for (90 = Hopper, 89 = Ada,
#                       86/80 = Ampere); default: the first GPU nvidia-smi reports, else 90
#   FARE_LENS_CUDA_HOME where the CUDA wheels go (default ~/.cache/fare-lens/cuda-13.0); an
#                       existing toolkit is used instead when `nvcc` is on PATH
#   CARGO_TARGET_DIR    as for cargo
#
# How linking works without a toolkit (see docs/gpu.md): candle links the CUDA libraries
# dynamically. cuBLAS, cuRAND, NVRTC and the runtime come from the wheels; the driver's
# libcuda.so is not on PyPI, so the link uses a stub library generated here from the driver
# functions cudarc declares (soname libcuda.so.1, like the toolkit's own stubs/libcuda.so). The
# stub is only on the linker's search path, never the loader's: at run time the real driver
# library is loaded.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=run
case "${1:-}" in
  "") ;;
  --no-run) mode=build ;;
  --cli) mode=cli ;;
  --check) mode=check ;;
  --env) mode=env ;;
  *) echo "usage: bash src-tauri/build-cuda.sh [--no-run|--cli|--check|--env]" >&2; exit 2 ;;
esac

# The versions of NVIDIA's wheels: CUDA 13.0, which driver 580 and later run.
wheels=(
  nvidia-cuda-nvcc==13.0.88
  nvidia-nvvm==13.0.88
  nvidia-cuda-crt==13.0.88
  nvidia-cuda-runtime==13.0.96
  nvidia-cuda-cccl==13.0.85
  nvidia-cuda-nvrtc==13.0.88
  nvidia-cublas==13.0.2.14
  nvidia-curand==10.4.0.35
)

say() { echo "build-cuda: $*" >&2; }

wheels_install=yes
if command -v nvcc >/dev/null 2>&1 && [ -z "${FARE_LENS_CUDA_HOME:-}" ]; then
  cuda_home="$(cd "$(dirname "$(command -v nvcc)")/.." && pwd)"
  say "using the CUDA toolkit in $cuda_home"
  # A toolkit ships its own link-time stubs (lib64/stubs/libcuda.so).
  [ -e "$cuda_home/lib/stubs/libcuda.so" ] || wheels_install=no
else
  prefix="${FARE_LENS_CUDA_HOME:-$HOME/.cache/fare-lens/cuda-13.0}"
  cuda_home="$prefix/nvidia/cu13"
  if [ ! -x "$cuda_home/bin/nvcc" ] || [ ! -f "$prefix/.complete" ]; then
    say "installing the CUDA 13.0 compiler and libraries from PyPI into $prefix"
    python3 -m pip --version >/dev/null 2>&1 || {
      say "needs python3 with pip (Debian/Ubuntu: apt install python3-pip)"
      exit 1
    }
    rm -rf "$prefix"
    mkdir -p "$prefix"
    python3 -m pip install --quiet --disable-pip-version-check --no-deps --no-compile \
      --target "$prefix" "${wheels[@]}"
    touch "$prefix/.complete"
  fi
  # The wheels ship versioned libraries only (libcublas.so.13); the linker wants libcublas.so.
  for lib in "$cuda_home"/lib/lib{cudart,cublas,cublasLt,curand,nvrtc}.so.*; do
    case "$lib" in *alt*|*builtins*) continue ;; esac
    base="${lib%%.so.*}.so"
    [ -e "$base" ] || ln -s "$(basename "$lib")" "$base"
  done
fi

# The driver library for the linker only: a stub with every driver function cudarc declares.
stub_dir="$cuda_home/lib/stubs"
if [ "$wheels_install" = yes ] && [ ! -e "$stub_dir/libcuda.so" ]; then
  cudarc_dir="$(cargo metadata --format-version 1 --locked --all-features 2>/dev/null | python3 -c '
import json, sys, os
for p in json.load(sys.stdin)["packages"]:
    if p["name"] == "cudarc":
        print(os.path.dirname(p["manifest_path"]))
        break
')"
  [ -n "$cudarc_dir" ] || { say "cudarc not found in the dependency graph"; exit 1; }
  mkdir -p "$stub_dir"
  grep -ohE '^pub unsafe fn cu[A-Za-z0-9_]+' "$cudarc_dir/src/driver/sys/mod.rs" \
    | sed 's/^pub unsafe fn //' | sort -u \
    | awk '{ print "int " $1 "(void) { return 999; }" }' >"$stub_dir/libcuda-stub.c"
  cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$stub_dir/libcuda.so" "$stub_dir/libcuda-stub.c"
  say "generated the link-time stub $stub_dir/libcuda.so ($(wc -l <"$stub_dir/libcuda-stub.c") functions)"
fi

if [ -z "${CUDA_COMPUTE_CAP:-}" ]; then
  cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null | head -1 | tr -d '. ')" || cap=""
  export CUDA_COMPUTE_CAP="${cap:-90}"
  say "compiling the kernels for compute capability $CUDA_COMPUTE_CAP${cap:+, the GPU of this machine}"
fi
export CUDA_HOME="$cuda_home"
export PATH="$cuda_home/bin:$PATH"

if [ "$mode" = env ]; then
  echo "export CUDA_HOME=$CUDA_HOME"
  echo "export PATH=$cuda_home/bin:\$PATH"
  echo "export CUDA_COMPUTE_CAP=$CUDA_COMPUTE_CAP"
  echo "export LD_LIBRARY_PATH=$cuda_home/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}"
  exit 0
fi

# The runtime libraries are found through an rpath on the two binaries only (`cargo rustc`
# passes it to the final link), so the dependencies' build cache is shared with CPU builds.
rpath=(-C "link-arg=-Wl,-rpath,$cuda_home/lib")
if [ "$mode" = check ]; then
  # The dev profile shares the dependencies' build with the CPU test build.
  exec cargo rustc --locked -p fare-cli --bin fare-lens --features cuda -- "${rpath[@]}"
fi
cargo rustc --release --locked -p fare-cli --bin fare-lens --features cuda -- "${rpath[@]}"
[ "$mode" = cli ] && exit 0

bash src-tauri/install-debian-packages.sh
(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo rustc --release --locked -p fare-lens-desktop --bin fare-lens-desktop --features cuda \
  -- "${rpath[@]}"
target_dir="${CARGO_TARGET_DIR:-target}"
say "built $target_dir/release/fare-lens and $target_dir/release/fare-lens-desktop"
[ "$mode" = build ] && exit 0
exec "$target_dir/release/fare-lens-desktop" "$@"
