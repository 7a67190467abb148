#!/usr/bin/env bash
# Sets everything up and starts the Frontdesk desktop app.
# Under a session without a display it starts a virtual one (Xvfb).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_all
build_ui
say "building the desktop app"
cargo build -p frontdesk --features custom-protocol
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  ensure_packages xvfb
  say "no display found: starting the app on a virtual display (xvfb-run)"
  exec xvfb-run -a -s "-screen 0 1280x800x24" "$CARGO_TARGET_DIR/debug/frontdesk" "$@"
fi
exec "$CARGO_TARGET_DIR/debug/frontdesk" "$@"
