#!/usr/bin/env bash
# The backup benchmark (not a test): the guide's recipes run by hand, the same
# pipeline as Quiesce's default by hand, and Quiesce, on a ScalarDB-shaped
# dataset in throwaway PostgreSQL/MariaDB servers and a SQLite file.
#   scripts/bench.sh                       ~1 GB per engine, 5 runs (needs ~9 GB free, 20+ min on 2 cores)
#   scripts/bench.sh --size-mb 300 --runs 5 --only pg
# QUIESCE_BENCH_DIR chooses where the data and outputs go (default: $TMPDIR).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --test
export PATH="$HOME/.cargo/bin:$PATH"
cargo build --release -p quiesce-cli -p quiesce-bench
QUIESCE_BIN=target/release/quiesce exec target/release/quiesce-bench "$@"
