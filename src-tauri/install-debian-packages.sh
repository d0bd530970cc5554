#!/usr/bin/env bash
# Installs what the desktop app needs from Debian/Ubuntu, only what is missing.
#   bash src-tauri/install-debian-packages.sh          # build dependencies
#   bash src-tauri/install-debian-packages.sh --tests  # and what its smoke test needs
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
want=()
section=build
while read -r line; do
  case "$line" in
    "# tests"*) section=tests; continue ;;
    "#"*|"") continue ;;
  esac
  if [ "$section" = build ] || [ "${1:-}" = "--tests" ]; then want+=("$line"); fi
done < "$here/debian-packages.txt"
missing=()
for p in "${want[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1; then
  echo "FARE Lens desktop needs: ${missing[*]} (or your system's equivalents of these Debian packages)" >&2
  exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
