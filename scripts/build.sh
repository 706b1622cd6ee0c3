#!/usr/bin/env bash
# Builds the front end and every Rust crate once, with the front end embedded
# in the app binary (the GUI tests run that very binary).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
(cd ui && npm run --silent build)
cargo build --workspace --all-targets --features quiesce-app/custom-protocol "$@"
