#!/usr/bin/env bash
# End-to-end tests of the real app: installs what is missing (Xvfb, WebKitWebDriver,
# ImageMagick, tauri-driver, the suite's npm packages), builds the UI, the app (with the
# custom protocol, so it serves the built UI) and the sync server, then runs
# tests/e2e/run.mjs under a hard time limit. Arguments name scenarios to run (default: all).
#
# Screenshots and logs land in results/e2e/. The last line is "N passed, N failed".
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/lib.sh"
ensure_rust
ensure_node
ensure_packages "${SYSTEM_PACKAGES[@]}"
ensure_ui_deps
ensure_e2e_deps
cd "$ROOT"

# FRONTDESK_E2E_SKIP_UI_BUILD=1: ui/dist is fresh (scripts/test.sh built it just before).
# FRONTDESK_E2E_SKIP_BUILD=1: use the binaries as they are (FRONTDESK_E2E_APP/_SERVER or the target dir).
if [ -z "${FRONTDESK_E2E_SKIP_BUILD:-}" ]; then
  [ -n "${FRONTDESK_E2E_SKIP_UI_BUILD:-}" ] || build_ui
  say "building the desktop app and the sync server"
  cargo build --locked -p frontdesk -p frontdesk-server --features frontdesk/custom-protocol
fi

say "end-to-end tests (real app under Xvfb, tauri-driver, real sync server)"
node_pid=
cleanup() {
  # run.mjs stops what it started; this only makes sure it is itself gone.
  if [ -n "$node_pid" ] && kill -0 "$node_pid" 2>/dev/null; then
    kill -TERM "$node_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$node_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$node_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
# The suite bounds itself (FRONTDESK_E2E_TIMEOUT, 900 s); the outer limit is a backstop.
timeout --kill-after=30 "$(( ${FRONTDESK_E2E_TIMEOUT:-900} + 60 ))" node tests/e2e/run.mjs "$@" &
node_pid=$!
status=0
wait "$node_pid" || status=$?
node_pid=
exit "$status"
