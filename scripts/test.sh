#!/usr/bin/env bash
# README command 2: install what is missing and run every test: formatting,
# lint, binding freshness, front-end tests, engine/CLI tests against real
# PostgreSQL/MariaDB servers and a real Secret Service, and the GUI end-to-end
# suite (tauri-driver + WebKitWebDriver under Xvfb). Prints each phase's time.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never
# The tests run with a private HOME: pin the toolchain's homes to the real one first.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}"
export RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"

t_all=$(date +%s)
phase() { # phase NAME CMD... (its status is the command's, wherever it is called)
  local name=$1; shift
  local t0; t0=$(date +%s)
  echo "=== $name"
  local status=0
  "$@" || status=$?
  echo "=== $name: $(( $(date +%s) - t0 )) s"
  return "$status"
}

phase "setup" scripts/setup.sh --test
phase "rustfmt" cargo fmt --all --check
phase "front end (typecheck, unit tests, build)" bash -c 'cd ui && npm run --silent typecheck && npm test --silent && npm run --silent build'
# The release app and CLI, packaged, built from here on beside the debug build
# and the tests, at the lowest CPU and I/O priority: it takes what they leave
# idle (a link or one big crate compiling alone, servers the tests wait for, a
# GUI they drive), and cargo locks the release profile's directory apart from
# the debug one. It needs the front end built above (the app embeds it). The
# package is checked without being installed after both (CI also installs and
# purges it: .ci/deb-install). A run that fails stops it (the EXIT trap).
package_log=$(mktemp /tmp/quiesce-package.XXXXXX)
t_package=$(date +%s)
QUIESCE_UI_BUILT=1 setsid nice -n 19 ionice -c 2 -n 7 scripts/package.sh >"$package_log" 2>&1 &
package_pid=$!
# Stops the package build unless it was waited for; removes its log.
stop_package() {
  [ -n "$package_pid" ] && kill -- "-$package_pid" 2>/dev/null
  rm -f "$package_log"
  return 0
}
trap stop_package EXIT
# Clippy runs as the workspace crates' compiler during the one real build
# (what `cargo clippy` does, but with codegen), so lint and tests share a
# single compile instead of a second full check of every dependency. The
# tests below keep the same wrapper, so nothing is rebuilt for them.
export RUSTC_WORKSPACE_WRAPPER="$(rustc --print sysroot)/bin/clippy-driver"
export CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__"
phase "build + clippy -D warnings (one build for lint and every test)" \
  cargo build --workspace --all-targets --features quiesce-app/custom-protocol

# A private session: its own D-Bus, its own unlocked gnome-keyring, its own X
# display, its own HOME for the keyring's files. Nothing outlives the run.
sandbox=$(mktemp -d /tmp/quiesce-test.XXXXXX)
xvfb_pid=""
cleanup() {
  stop_package
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  # WebKitGTK activates xdg-document-portal in the private session; it unmounts
  # its FUSE dir ($XDG_RUNTIME_DIR/doc) while the session winds down.
  for _ in $(seq 50); do mountpoint -q "$sandbox/run/doc" 2>/dev/null || break; sleep 0.2; done
  mountpoint -q "$sandbox/run/doc" 2>/dev/null && { fusermount -u -z "$sandbox/run/doc" 2>/dev/null || umount -l "$sandbox/run/doc" 2>/dev/null || true; }
  rm -rf "$sandbox" 2>/dev/null || echo "warning: could not remove $sandbox" >&2
  return 0
}
trap cleanup EXIT
display=99
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1440x900x24 -nolisten tcp >"$sandbox/xvfb.log" 2>&1 &
xvfb_pid=$!
export DISPLAY=":$display"
mkdir -p "$sandbox/home" "$sandbox/run"
chmod 700 "$sandbox/run"

run_tests() {
  HOME="$sandbox/home" XDG_RUNTIME_DIR="$sandbox/run" RUSTC_WORKSPACE_WRAPPER="$RUSTC_WORKSPACE_WRAPPER" CLIPPY_ARGS="$CLIPPY_ARGS" \
    dbus-run-session -- bash -c '
      set -e
      echo -n quiesce-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      cd "$0"
      cargo test --workspace --all-targets --features quiesce-app/custom-protocol -- "$@"
    ' "$root" "$@"
}
tests_status=0
phase "tests (real servers, keyring, GUI)" run_tests || tests_status=$?
# A failed run does not wait for a package nobody will use (the trap stops it).
[ "$tests_status" -eq 0 ] || exit "$tests_status"
echo "=== package (release build + .deb, beside the build and the tests)"
package_status=0
wait "$package_pid" || package_status=$?
package_pid=""
cat "$package_log"
echo "=== package (release build + .deb, beside the build and the tests): $(( $(date +%s) - t_package )) s since it started"
[ "$package_status" -eq 0 ] || { echo "package failed (exit $package_status)" >&2; exit "$package_status"; }
phase "package check (dpkg-deb: fields, files, modes, desktop entry, sizes)" scripts/check-deb.sh
# The benchmark stays out of CI but for this smoke run: it must still work
# (its start-up case runs the release app built just above).
phase "benchmark smoke (5 MB, 1 run; scripts/bench.sh for the real one)" \
  env QUIESCE_BIN="$root/target/debug/quiesce" "$root/target/debug/quiesce-bench" --size-mb 5 --runs 1

echo "=== all phases: $(( $(date +%s) - t_all )) s"
