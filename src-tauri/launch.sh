#!/usr/bin/env bash
# Builds and starts the FARE Lens desktop app: the Debian packages it needs (when missing), the
# web UI, then the app itself (release). On first launch it opens the bundled demo project.
set -euo pipefail
cd "$(dirname "$0")/.."
bash src-tauri/install-debian-packages.sh
(cd ui && npm ci --no-audit --no-fund && npm run build)
exec cargo run --release --locked -p fare-lens-desktop -- "$@"
