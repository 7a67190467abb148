#!/usr/bin/env bash
# Sets everything up and starts Frontdesk with a demo hotel: a local sync server
# (SQLite) seeded with rooms, staff and reservations for the coming weeks, and the
# desktop app enrolled to it and signed in as the front desk user.
#
#   FRONTDESK_DEMO_DIR   where the demo's server database and desk store live
#                        (default ~/.local/share/frontdesk-demo; delete it to start over)
#   FRONTDESK_DEMO_PORT  the demo server's port on 127.0.0.1 (default 8787)
#
# Without a display it starts the app on a virtual one (Xvfb).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_all
build_ui
say "building the sync server and the desktop app"
cargo build -p frontdesk-server -p frontdesk --features frontdesk/custom-protocol

demo_dir="${FRONTDESK_DEMO_DIR:-$HOME/.local/share/frontdesk-demo}"
port="${FRONTDESK_DEMO_PORT:-8787}"
mkdir -p "$demo_dir"
export FRONTDESK_DATABASE="sqlite://$demo_dir/server.sqlite3"
server="$CARGO_TARGET_DIR/debug/frontdesk-server"
app="$CARGO_TARGET_DIR/debug/frontdesk"

say "seeding the demo hotel (idempotent)"
"$server" seed-demo --property DEMO

say "starting the sync server on 127.0.0.1:$port"
"$server" serve --listen "127.0.0.1:$port" >"$demo_dir/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$demo_dir/server.log" >&2; exit 1; }
  sleep 0.2
done

# The provisioning hook of a mass rollout: server address and a one-time code.
# The app enrolls with it only when its store is not enrolled yet (first run);
# later runs keep their enrollment and the unused code expires.
export FRONTDESK_STORE="$demo_dir/desk.sqlite3"
export FRONTDESK_SERVER="http://127.0.0.1:$port"
FRONTDESK_ENROLL_CODE="$("$server" enrollment-code --property DEMO)"
export FRONTDESK_ENROLL_CODE
export FRONTDESK_DEVICE_NAME="Demo front desk"
# Demo only: signs this user in at start (never set these on a real desk).
export FRONTDESK_USER="${FRONTDESK_USER:-frontdesk}"
export FRONTDESK_PASSWORD="${FRONTDESK_PASSWORD:-demo-password}"

say "starting the desktop app (signed in as $FRONTDESK_USER; other demo users: manager, housekeeping)"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  ensure_packages xvfb
  say "no display found: starting the app on a virtual display (xvfb-run)"
  xvfb-run -a -s "-screen 0 1280x800x24" "$app" "$@"
else
  "$app" "$@"
fi
