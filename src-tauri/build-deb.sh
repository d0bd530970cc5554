#!/usr/bin/env bash
# Builds the Debian package of FARE Lens with Tauri's bundler (`tauri bundle`, from
# @tauri-apps/cli in ui/package.json): the desktop app at /usr/bin/fare-lens-desktop with its
# desktop entry and icons, and the command line beside it at /usr/bin/fare-lens. The package's
# dependencies (WebKitGTK, GTK, xdg-utils, ...) are declared in tauri.conf.json, so
# `apt install` pulls them in.
#
#   bash src-tauri/build-deb.sh          # release: the UI, both binaries (release), the package
#   bash src-tauri/build-deb.sh --debug  # packages the debug binaries already built (by
#                                        # `cargo test --workspace`, as in tests/run-all.sh);
#                                        # compiles nothing
#
# The package is written to target/deb/fare-lens_<version>_<arch>.deb in the checkout (whatever
# CARGO_TARGET_DIR says) and its path printed last. Install it with
#   sudo apt install ./target/deb/fare-lens_0.1.0_amd64.deb
#
# The bundler is never pointed at cargo's own outputs: it rewrites the executable it packages in
# place (the bundle type is patched in, then the original restored with a new mtime, which would
# make cargo relink whatever depends on it). It gets copies in target/deb/ instead, where
# tauri.conf.json's bundle.linux.deb.files also finds the command line (../target/deb/fare-lens).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
# Everything but the package's path goes to stderr, so `deb="$(bash src-tauri/build-deb.sh)"` works.
exec 3>&1 1>&2

profile=release
case "${1:-}" in
  "") ;;
  --debug) profile=debug ;;
  *) echo "usage: bash src-tauri/build-deb.sh [--debug]" >&2; exit 2 ;;
esac
say() { echo "build-deb: $*" >&2; }

target_dir="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
stage="$repo/target/deb"

if [ "$profile" = release ]; then
  bash src-tauri/install-debian-packages.sh
  (cd ui && npm ci --no-audit --no-fund && npm run build)
  # Two invocations, not one: each package's features stay as `launch.sh` and a plain
  # `cargo build --release -p fare-cli` resolve them, so their compiled dependencies are shared.
  cargo build --release --locked -p fare-lens-desktop
  cargo build --release --locked -p fare-cli
elif [ ! -x ui/node_modules/.bin/tauri ]; then
  (cd ui && npm ci --no-audit --no-fund)
fi

app="$target_dir/$profile/fare-lens-desktop"
cli="$target_dir/$profile/fare-lens"
for b in "$app" "$cli"; do
  if [ ! -x "$b" ]; then
    if [ "$profile" = debug ]; then
      say "$b is missing; build it first (cargo test --workspace --locked, as tests/run-all.sh does)"
    else
      say "$b is missing after cargo build"
    fi
    exit 1
  fi
done
# build-cuda.sh --check leaves a CUDA fare-lens in target/debug; the package declares no CUDA.
if objdump -p "$cli" 2>/dev/null | grep -q 'NEEDED *libcuda'; then
  say "$cli is the CUDA build (bash src-tauri/build-cuda.sh); cargo test --workspace puts the CPU one back"
  exit 1
fi

rm -rf "$stage"
mkdir -p "$stage/$profile"
cp "$app" "$stage/$profile/fare-lens-desktop"
cp "$cli" "$stage/fare-lens"
# The release profile keeps line tables for every crate (Cargo.toml), about 240 MB of the app's
# 280 MB; the packaged release copies keep their symbols (backtraces name functions) but not the
# debug sections. The debug package CI tests is left as cargo built it.
if [ "$profile" = release ]; then
  strip --strip-debug "$stage/$profile/fare-lens-desktop" "$stage/fare-lens"
fi

say "bundling the $profile binaries of $target_dir"
flags=(--bundles deb --ci)
[ "$profile" = debug ] && flags+=(--debug)
(cd src-tauri && CARGO_TARGET_DIR="$stage" ../ui/node_modules/.bin/tauri bundle "${flags[@]}")

made=("$stage/$profile/bundle/deb/"*.deb)
if [ ${#made[@]} -ne 1 ] || [ ! -f "${made[0]}" ]; then
  say "expected one .deb in $stage/$profile/bundle/deb, found: ${made[*]}"
  exit 1
fi
# Tauri names the file after the product ("FARE Lens_0.1.0_amd64.deb"); Debian's convention is
# package_version_arch.deb.
name="$(basename "${made[0]}")"
if command -v dpkg-deb >/dev/null 2>&1; then
  name="$(dpkg-deb -f "${made[0]}" Package)_$(dpkg-deb -f "${made[0]}" Version)_$(dpkg-deb -f "${made[0]}" Architecture).deb"
fi
mv "${made[0]}" "$stage/$name"
# The copies and the bundler's unpacked tree are only disk now.
rm -rf "${stage:?}/$profile" "$stage/fare-lens"
say "made $stage/$name"
echo "$stage/$name" >&3
