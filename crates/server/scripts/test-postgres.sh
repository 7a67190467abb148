#!/usr/bin/env bash
# Runs the server's API tests against PostgreSQL (a throwaway cluster, or the
# server of DATABASE_URL). Extra arguments go to `cargo test`. Plain
# `cargo test -p frontdesk-server` runs the same tests on SQLite.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
exec "$root/scripts/with-postgres.sh" cargo test -p frontdesk-server --test api "$@"
