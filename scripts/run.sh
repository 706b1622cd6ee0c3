#!/usr/bin/env bash
# README command 1: install what is missing, build, launch the app.
# On first start the app creates a small ScalarDB-shaped SQLite demo database
# and a profile for it ("demo-sqlite").
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
(cd ui && npm run --silent build)
cargo build -p quiesce-app -p quiesce-cli --features quiesce-app/custom-protocol
echo "Starting Quiesce (state in ${QUIESCE_HOME:-~/.config/quiesce and ~/.local/share/quiesce})"
exec target/debug/quiesce-app "$@"
