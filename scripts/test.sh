#!/usr/bin/env bash
# Sets everything up and runs every test: formatting, lints, the UI's unit tests,
# the Rust workspace's tests (with cargo-nextest when installed, SQLite-backed),
# Schemathesis against the server's OpenAPI document, then the server's API tests
# again on a throwaway PostgreSQL cluster, and last the end-to-end tests of the
# real app under Xvfb against a real server (tests/e2e/run.sh).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_all
cd "$ROOT"

say "UI: type check and unit tests"
(cd ui && npm run --silent typecheck && npm test --silent)
build_ui

say "rustfmt"
cargo fmt --all --check

say "clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "Rust tests"
if cargo nextest --version >/dev/null 2>&1; then
  # nextest does not run doc tests: run them first, so the suite's summary closes the log.
  cargo test --workspace --doc --locked --quiet
  cargo nextest run --workspace --locked --no-fail-fast
else
  cargo test --workspace --locked --no-fail-fast
fi

# About 40 s: Schemathesis against the served OpenAPI document of a real server
# (seeded, so every run sends the same requests).
say "server API fuzzing (Schemathesis)"
scripts/api-fuzz.sh

say "server API tests and device sync tests on PostgreSQL"
ensure_packages postgresql
scripts/with-postgres.sh bash -c '
  cargo test -p frontdesk-device --locked --test device sync:: &&
  cargo test -p frontdesk-server --locked --test api'

# Slowest last: the real app under Xvfb, driven through tauri-driver, against a real server.
say "end-to-end tests of the real app"
FRONTDESK_E2E_SKIP_UI_BUILD=1 tests/e2e/run.sh
