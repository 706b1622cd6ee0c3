#!/usr/bin/env bash
# Builds the release app (front end embedded) and CLI, then the .deb with
# Tauri's bundler (its CLI comes from ui's npm packages; nothing else is
# downloaded). Prints the sizes and the build time; the package lands in
# target/release/bundle/deb/quiesce_VERSION_ARCH.deb.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
export PATH="$HOME/.cargo/bin:$PATH"
t0=$(date +%s)
# scripts/test.sh builds the front end once and runs this beside its debug
# build, which embeds the same files: rebuilding them here would race it.
[ "${QUIESCE_UI_BUILT:-}" = 1 ] || (cd ui && npm run --silent build)
# One cargo run for both binaries, so their shared crates compile once. Not
# through clippy: scripts/test.sh lints the same code in its debug build.
env -u RUSTC_WORKSPACE_WRAPPER -u CLIPPY_ARGS \
  cargo build --release --locked -p quiesce-app -p quiesce-cli --features quiesce-app/custom-protocol
t_build=$(( $(date +%s) - t0 ))
rm -rf target/release/bundle/deb
(cd src-tauri/app && ../../ui/node_modules/.bin/tauri bundle --bundles deb >/dev/null)
# The bundler names the file after productName; apt and scripts expect the
# package's own name.
src=$(ls target/release/bundle/deb/*.deb)
pkg=$(dpkg-deb -f "$src" Package)
deb="target/release/bundle/deb/${pkg}_$(dpkg-deb -f "$src" Version)_$(dpkg-deb -f "$src" Architecture).deb"
# Tauri's bundler gzips the data; the same tree packed again with xz is about
# a third smaller (dpkg has read xz since Debian 7).
tree=$(mktemp -d); trap 'rm -rf "$tree"' EXIT
dpkg-deb -R "$src" "$tree/pkg"
rm -f "$src"
# Depends: what the binaries load, as dpkg-shlibdeps (Debian's own tool)
# reads it from their ELF headers, with the minimum versions their symbols need.
mkdir -p "$tree/shlibs/debian"
printf 'Source: quiesce\n\nPackage: quiesce\nArchitecture: any\n' >"$tree/shlibs/debian/control"
depends=$(cd "$tree/shlibs" && dpkg-shlibdeps -O "$tree"/pkg/usr/bin/* 2>/dev/null | sed -n 's/^shlibs:Depends=//p')
[ -n "$depends" ] || { echo "package: dpkg-shlibdeps found no dependencies" >&2; exit 1; }
sed -i "s/^Depends: .*/Depends: $depends/" "$tree/pkg/DEBIAN/control"
dpkg-deb --root-owner-group -Zxz -z9 -b "$tree/pkg" "$deb" >/dev/null
size() { stat -c %s "$1" | awk '{printf "%.1f MB", $1 / 1048576}'; }
echo "package: $deb ($(size "$deb")); app $(size target/release/quiesce-app), CLI $(size target/release/quiesce); release build ${t_build} s, package $(( $(date +%s) - t0 - t_build )) s"
