#!/usr/bin/env bash
# The release command of the desktop app on Linux: builds the .deb and .rpm with
# `tauri build --bundles deb,rpm` (the UI first, through beforeBuildCommand), copies
# them to dist/, then checks each package as a machine would install it:
#
#   - unpacked into a scratch root (dpkg-deb -x; rpm2cpio | cpio -id),
#   - the binary, the .desktop file (desktop-file-validate) and the icons are there,
#   - the packaged binary answers --version, and starts for real on a virtual
#     display (Xvfb): it opens its store and is still running seconds later,
#   - and, given a provisioning file with a rollout code of a real sync server, the
#     packaged app enrolls itself at its first start with no typing (the server
#     lists the new device).
#
#   scripts/package.sh             build and check
#   FRONTDESK_PACKAGE_SKIP_BUILD=1 scripts/package.sh    check the bundles already built
#   TAURI_SIGNING_PRIVATE_KEY=... scripts/package.sh     also sign them for the desks'
#       updater (.deb.sig, .rpm.sig; docs/deployment.md, "Rolling out a new version")
#
# Windows (.msi, NSIS) and macOS (.dmg) packages are built by CI on those systems:
# .github/workflows/release.yml.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_all
ensure_packages rpm2cpio cpio desktop-file-utils xvfb curl
cd "$ROOT"

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version = "\(.*\)"/\1/p' Cargo.toml)
bundle="$CARGO_TARGET_DIR/release/bundle"
if [ -z "${FRONTDESK_PACKAGE_SKIP_BUILD:-}" ]; then
  say "building Frontdesk $version: tauri build --bundles deb,rpm (release; the first build takes ~10 minutes)"
  rm -f "$bundle"/deb/*.deb* "$bundle"/rpm/*.rpm*
  signing=()
  if [ -n "${TAURI_SIGNING_PRIVATE_KEY:-}" ]; then
    say "signing the packages for the updater with the key of TAURI_SIGNING_PRIVATE_KEY"
    signing=(--config '{"bundle":{"createUpdaterArtifacts":true}}')
  fi
  ui/node_modules/.bin/tauri build --ci --bundles deb,rpm "${signing[@]}"
fi
# The sync server the provisioning check enrolls the packaged app with.
cargo build --release --locked -q -p frontdesk-server
deb=$(ls "$bundle"/deb/*_"$version"_*.deb)
rpm=$(ls "$bundle"/rpm/*-"$version"-*.rpm)
mkdir -p dist
cp "$deb" "$rpm" dist/
if [ -n "${TAURI_SIGNING_PRIVATE_KEY:-}" ]; then
  for package in "$deb" "$rpm"; do
    [ -s "$package.sig" ] || { echo "package check failed: no updater signature $package.sig" >&2; exit 1; }
    cp "$package.sig" dist/
  done
  echo "  updater signatures: dist/$(basename "$deb").sig, dist/$(basename "$rpm").sig"
fi

work=$(mktemp -d)
app_pid=
xvfb_pid=
server_pid=
cleanup() {
  [ -n "$app_pid" ] && kill "$app_pid" 2>/dev/null || true
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# A virtual display of our own (the first free number from :90), so the app and
# the display are two processes this script started and stops by their ids.
display=90
while [ -e "/tmp/.X11-unix/X$display" ] || [ -e "/tmp/.X$display-lock" ]; do display=$((display + 1)); done
Xvfb ":$display" -screen 0 1280x800x24 -nolisten tcp >"$work/xvfb.log" 2>&1 &
xvfb_pid=$!
for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X$display" ] && break; sleep 0.1; done

fail() { echo "package check failed: $*" >&2; exit 1; }

# Checks an unpacked package root: files, desktop entry, icons, and a real start.
check_root() {
  local kind=$1 root=$2
  local bin="$root/usr/bin/frontdesk"
  [ -x "$bin" ] || fail "$kind: no executable usr/bin/frontdesk"
  local desktop
  desktop=$(ls "$root"/usr/share/applications/*.desktop 2>/dev/null | head -n 1)
  [ -n "$desktop" ] || fail "$kind: no .desktop file under usr/share/applications"
  desktop-file-validate "$desktop" || fail "$kind: $(basename "$desktop") is not a valid desktop entry"
  grep -q '^Exec=frontdesk' "$desktop" || fail "$kind: the desktop entry does not start frontdesk"
  local icon_name
  icon_name=$(sed -n 's/^Icon=//p' "$desktop")
  local icons
  icons=$(find "$root/usr/share/icons/hicolor" -name "$icon_name.png" | sort)
  [ -n "$icons" ] || fail "$kind: no icon $icon_name.png under usr/share/icons/hicolor"
  for size in 32x32 128x128 256x256@2; do
    grep -q "/$size/apps/" <<<"$icons" || fail "$kind: no $size icon"
  done
  echo "  $kind: $(du -h --apparent-size "$bin" | cut -f1) binary, $(basename "$desktop") ($(sed -n 's/^Categories=//p' "$desktop")), icons: $(sed 's#.*/hicolor/\([^/]*\)/.*#\1#' <<<"$icons" | tr '\n' ' ')"

  "$bin" --version | grep -q "frontdesk $version" || fail "$kind: --version does not say $version"

  # A real start on a virtual display, with a store of its own: the webview and
  # every library it links come up, the desk opens its store, and the app is
  # still running five seconds later (a missing library or a crash ends it).
  local store="$work/$kind-desk.sqlite3" log="$work/$kind-app.log"
  DISPLAY=":$display" FRONTDESK_STORE="$store" RUST_LOG=info WEBKIT_DISABLE_COMPOSITING_MODE=1 \
    "$bin" >"$log" 2>&1 &
  app_pid=$!
  local opened=
  for _ in $(seq 1 150); do
    if [ -f "$store" ] && grep -q "opening the desk at" "$log"; then opened=1; break; fi
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.2
  done
  [ -n "$opened" ] || { cat "$log" >&2; fail "$kind: the app did not open its store"; }
  sleep 5
  kill -0 "$app_pid" 2>/dev/null || { cat "$log" >&2; fail "$kind: the app ended by itself"; }
  kill -TERM "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  app_pid=
  echo "  $kind: the packaged app started on a virtual display and opened its store"
}

# The rollout of docs/deployment.md: a provisioning file with the server's address and a
# rollout code, and the packaged app's first start enrolls the desk by itself.
check_provisioning() {
  local kind=$1 root=$2
  local bin="$root/usr/bin/frontdesk" server="$CARGO_TARGET_DIR/release/frontdesk-server"
  local db="sqlite://$work/$kind-server.sqlite3" port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  FRONTDESK_DATABASE="$db" "$server" seed-demo --property DEMO --rooms 4 --days 2 >/dev/null
  FRONTDESK_DATABASE="$db" RUST_LOG=warn "$server" serve --listen "127.0.0.1:$port" >"$work/$kind-server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break; sleep 0.1; done
  local code
  code=$(FRONTDESK_DATABASE="$db" "$server" enrollment-code --property DEMO --rollout | tail -n 1)
  cat >"$work/$kind-provisioning.toml" <<TOML
server = "http://127.0.0.1:$port"
enrollment_code = "$code"
device_name = "Packaged $kind desk"
TOML
  local log="$work/$kind-provisioned.log"
  DISPLAY=":$display" FRONTDESK_STORE="$work/$kind-provisioned.sqlite3" RUST_LOG=info WEBKIT_DISABLE_COMPOSITING_MODE=1 \
    "$bin" --provisioning "$work/$kind-provisioning.toml" >"$log" 2>&1 &
  app_pid=$!
  local enrolled=
  for _ in $(seq 1 150); do
    if grep -q "enrolled with http://127.0.0.1:$port as Packaged $kind desk" "$log"; then enrolled=1; break; fi
    kill -0 "$app_pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -TERM "$app_pid" 2>/dev/null || true
  wait "$app_pid" 2>/dev/null || true
  app_pid=
  [ -n "$enrolled" ] || { cat "$log" >&2; fail "$kind: the provisioned app did not enroll itself"; }
  FRONTDESK_DATABASE="$db" "$server" devices --property DEMO | grep -q "Packaged $kind desk" \
    || fail "$kind: the server does not list the provisioned desk"
  kill "$server_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  server_pid=
  echo "  $kind: a provisioning file enrolled the packaged app at its first start; the server lists \"Packaged $kind desk\""
}

say "checking $(basename "$deb") ($(du -h "$deb" | cut -f1))"
dpkg-deb --field "$deb" Package Version Architecture Depends Section | sed 's/^/  /'
dpkg-deb -x "$deb" "$work/deb"
check_root deb "$work/deb"
check_provisioning deb "$work/deb"

say "checking $(basename "$rpm") ($(du -h "$rpm" | cut -f1))"
mkdir -p "$work/rpm"
# Debian's rpm2cpio (rpm 4.18) writes the whole payload of tauri's .rpm but exits 1;
# cpio itself refuses an archive cut short (no trailer), so it is the check.
rpm2cpio "$rpm" >"$work/payload.cpio" || echo "  (rpm2cpio exited $?; the payload is checked by cpio)"
(cd "$work/rpm" && cpio -id --quiet <"$work/payload.cpio")
check_root rpm "$work/rpm"

say "packages ok: dist/$(basename "$deb"), dist/$(basename "$rpm")"
