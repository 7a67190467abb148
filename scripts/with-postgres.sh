#!/usr/bin/env bash
# Runs a command with DATABASE_URL pointing at PostgreSQL: the server of
# DATABASE_URL when one is given, else a throwaway cluster started here from
# Debian's PostgreSQL binaries and removed afterwards. Tests create their own
# databases on it.
#
#   scripts/with-postgres.sh cargo test -p frontdesk-server --test api
set -euo pipefail

if [[ "${DATABASE_URL:-}" == postgres* ]]; then
    exec "$@"
fi

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z "$bin" ]]; then
    echo "PostgreSQL is not installed (apt-get install postgresql), and no DATABASE_URL was given" >&2
    exit 1
fi
dir=$(mktemp -d)
port=${FRONTDESK_TEST_PG_PORT:-54329}
as_postgres() {
    if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [[ $(id -u) == 0 ]]; then chown postgres "$dir"; fi
stop() {
    as_postgres "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap stop EXIT
as_postgres "$bin/initdb" -D "$dir/data" -U postgres -A trust >/dev/null
as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off" start >/dev/null
DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres" "$@"
