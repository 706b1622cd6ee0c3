#!/usr/bin/env bash
# The backup benchmark (not a test): the guide's recipes run by hand, the same
# pipeline as Quiesce's default by hand, and Quiesce, on a ScalarDB-shaped
# dataset in throwaway PostgreSQL/MariaDB servers and a SQLite file.
#   scripts/bench.sh                       ~1 GB per engine, 5 runs (needs ~9 GB free, 20+ min on 2 cores)
#   scripts/bench.sh --size-mb 300 --runs 5 --only pg
#   scripts/bench.sh --timeline            the Restore points view with 10 000 windows (release app, real webview)
# QUIESCE_BENCH_DIR chooses where the data and outputs go (default: $TMPDIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
if [ "${1:-}" = "--timeline" ]; then
  (cd ui && npm run --silent build)
  cargo build --release -p quiesce-app --features custom-protocol
  QUIESCE_APP_BIN="$PWD/target/release/quiesce-app" xvfb-run -a -s "-screen 0 1440x900x24" dbus-run-session -- \
    cargo test -p quiesce-e2e --test points bench_timeline -- --ignored --nocapture 2>&1 | grep -E '^timeline|test result|panicked'
  exit "${PIPESTATUS[0]}"
fi
cargo build --release -p quiesce-cli -p quiesce-bench
# The start-up case's floor (a blank Tauri page), when the release app is built.
if [ -x target/release/quiesce-app ]; then
  cargo build --release -p quiesce-startup-floor --features quiesce-startup-floor/custom-protocol
fi
QUIESCE_BIN=target/release/quiesce exec target/release/quiesce-bench "$@"
