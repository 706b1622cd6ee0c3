#!/usr/bin/env bash
# Checks the built .deb without installing it: control fields and
# dependencies, every file with its owner and mode, the desktop entry, the
# icons, and the size goals (app binary <= 15 MB, package <= 8 MB).
#   scripts/check-deb.sh [target/release/bundle/deb/quiesce_*.deb]
set -euo pipefail
cd "$(dirname "$0")/.."
deb=${1:-$(ls target/release/bundle/deb/quiesce_*.deb)}
fail=0
bad() { echo "check-deb: $*" >&2; fail=1; }
field() { dpkg-deb -f "$deb" "$1"; }

[ "$(field Package)" = quiesce ] || bad "Package is '$(field Package)', expected quiesce"
[ "$(field Version)" = "$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" ] || bad "Version $(field Version) is not the workspace's"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] || bad "Architecture is $(field Architecture)"
[ "$(field Section)" = database ] || bad "Section is '$(field Section)'"
depends=$(field Depends)
for d in libwebkit2gtk-4.1-0 libgtk-3-0 libdbus-1-3; do
  grep -qw -- "$d" <<<"$depends" || bad "Depends lacks $d: $depends"
done
recommends=$(field Recommends)
for d in postgresql-client mariadb-client mydumper zstd sqlite3 gnome-keyring; do
  grep -qw -- "$d" <<<"$recommends" || bad "Recommends lacks $d: $recommends"
done
# The native tools are only recommended: the description says why.
field Description | grep -q "recommended packages are the native tools" || bad "the description does not explain the Recommends"

# Every shared library the binaries load comes from a package Depends names.
depend_names=$(tr ',' '\n' <<<"$depends" | sed 's/(.*//; s/ //g')
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
dpkg-deb -x "$deb" "$tmp"
for bin in usr/bin/quiesce-app usr/bin/quiesce; do
  for lib in $(objdump -p "$tmp/$bin" | awk '/NEEDED/{print $2}'); do
    owner=$(dpkg -S "*/$lib" 2>/dev/null | head -1 | cut -d: -f1)
    [ -n "$owner" ] || { bad "$bin needs $lib, which no installed package provides"; continue; }
    grep -qxF -- "$owner" <<<"$depend_names" || bad "$bin needs $lib ($owner), which Depends does not name: $depends"
  done
done

# Files: only under /usr, owned by root, no setuid/setgid, no world-writable
# file, and the modes a package should ship.
listing=$(dpkg-deb -c "$deb")
while read -r mode owner _ _ _ path _; do
  path=${path#.}
  [ -z "$path" ] || [ "$path" = / ] && continue
  case "$path" in /usr/*) ;; *) bad "$path is outside /usr" ;; esac
  [ "$owner" = root/root ] || bad "$path is owned by $owner"
  case "$mode" in
    d*) [ "$mode" = drwxr-xr-x ] || bad "directory $path has mode $mode" ;;
    -*) case "$path" in
          /usr/bin/*) [ "$mode" = -rwxr-xr-x ] || bad "$path has mode $mode, expected -rwxr-xr-x" ;;
          *) [ "$mode" = -rw-r--r-- ] || bad "$path has mode $mode, expected -rw-r--r--" ;;
        esac ;;
    *) bad "$path is neither a file nor a directory ($mode)" ;;
  esac
done <<<"$listing"
for f in /usr/bin/quiesce-app /usr/bin/quiesce /usr/share/applications/Quiesce.desktop; do
  grep -q " \.$f\$" <<<"$listing" || bad "the package lacks $f"
done
for s in 16x16 24x24 32x32 48x48 64x64 128x128 256x256 512x512; do
  grep -q " \./usr/share/icons/hicolor/$s/apps/quiesce-app\.png\$" <<<"$listing" || bad "no $s icon"
done

# The desktop entry starts the packaged app with its icon.
desktop="$tmp/usr/share/applications/Quiesce.desktop"
if [ -f "$desktop" ]; then
  for kv in "Type=Application" "Name=Quiesce" "Exec=quiesce-app" "Icon=quiesce-app" "Terminal=false"; do
    grep -qx "$kv" "$desktop" || bad "the desktop entry lacks $kv"
  done
  grep -q '^Categories=.*Development' "$desktop" || bad "the desktop entry's Categories: $(grep ^Categories "$desktop")"
  if command -v desktop-file-validate >/dev/null; then
    desktop-file-validate "$desktop" || bad "desktop-file-validate rejects the desktop entry"
  fi
fi

# The size goals (issue 18): measured here, stated in docs/benchmarks.md.
app=$(stat -c %s "$tmp/usr/bin/quiesce-app"); pkg=$(stat -c %s "$deb")
mb() { awk -v b="$1" 'BEGIN{printf "%.1f", b/1048576}'; }
[ "$app" -le $((15 * 1048576)) ] || bad "the app binary is $(mb "$app") MB, over the 15 MB goal"
[ "$pkg" -le $((8 * 1048576)) ] || bad "the package is $(mb "$pkg") MB, over the 8 MB goal"
echo "check-deb: $(basename "$deb"): app $(mb "$app") MB, package $(mb "$pkg") MB, $(grep -c . <<<"$listing") entries"
exit $fail
