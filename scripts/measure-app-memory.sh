#!/usr/bin/env bash
# Measures the desktop app's memory at rest with 50,000 reservations on the desk:
# a real sync server (SQLite) loaded with the benchmark's W2 file (50,000 stays),
# the real app (release-like custom-protocol build) enrolled to it and signed in
# under Xvfb; once its cold pull is done and its memory has settled, prints the
# resident memory (RSS and PSS) of the app process and of its WebKit children.
#
#   scripts/measure-app-memory.sh [SETTLE_SECONDS]     # default 60
#
#   FRONTDESK_BENCH_DATA   folder of the benchmark's data (default ../shared/bench/data
#                          beside the clone, then /work/shared/bench/data)
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
setup_all
ensure_packages xvfb
settle="${1:-60}"

data="${FRONTDESK_BENCH_DATA:-}"
for candidate in "$data" "$ROOT/../shared/bench/data" /work/shared/bench/data; do
  [ -n "$candidate" ] && [ -f "$candidate/w2.jsonl.gz" ] && data="$candidate" && break
done
[ -f "$data/w2.jsonl.gz" ] || { echo "no w2.jsonl.gz: set FRONTDESK_BENCH_DATA" >&2; exit 1; }

build_ui
say "building the sync server and the desktop app"
cargo build --locked -q -p frontdesk-server -p frontdesk --features frontdesk/custom-protocol

work="$(mktemp -d)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT
# Copies: the shared target directory's binaries may be rebuilt by another build meanwhile.
cp "$CARGO_TARGET_DIR/debug/frontdesk-server" "$CARGO_TARGET_DIR/debug/frontdesk" "$work/"
server="$work/frontdesk-server"
export FRONTDESK_DATABASE="sqlite://$work/server.sqlite3"

say "loading 50,000 reservations into a server"
"$server" create-property --code BENCH --name "Bench Hotel" --timezone UTC --currency USD >/dev/null
FRONTDESK_PASSWORD=bench-password "$server" create-user --property BENCH --username desk \
  --display-name "Desk" --role front_desk >/dev/null
"$server" import-reservations --property BENCH --file "$data/w2.jsonl.gz" | tail -1

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$server" serve --listen "127.0.0.1:$port" --rate-limit 100000 --rate-burst 100000 >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/v1/health" >/dev/null 2>&1 && break; sleep 0.2; done

say "starting the app under Xvfb, enrolled and signed in"
export FRONTDESK_STORE="$work/desk.sqlite3" FRONTDESK_SERVER="http://127.0.0.1:$port"
export FRONTDESK_ENROLL_CODE="$("$server" enrollment-code --property BENCH)"
export FRONTDESK_DEVICE_NAME="Memory probe" FRONTDESK_USER=desk FRONTDESK_PASSWORD=bench-password
Xvfb :97 -screen 0 1280x800x24 >/dev/null 2>&1 &
pids+=($!)
DISPLAY=:97 "$work/frontdesk" >"$work/app.log" 2>&1 &
app=$!
pids+=("$app")

# The process tree of the app: itself and every descendant (WebKit's web and
# network processes).
tree() {
  local pid=$1
  echo "$pid"
  for child in $(pgrep -P "$pid"); do tree "$child"; done
}
# kB of resident memory of the tree: RSS (shared pages counted in each process)
# and PSS (shared pages split between them), from /proc.
memory() {
  local rss=0 pss=0
  for pid in $(tree "$app"); do
    r="$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
    p="$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)"
    rss=$((rss + ${r:-0})); pss=$((pss + ${p:-0}))
  done
  echo "$rss $pss"
}

say "waiting for the cold pull of 50,000 and for memory to settle (${settle} s without growth)"
reservations() {
  python3 - "$FRONTDESK_STORE" <<'PY' 2>/dev/null || echo 0
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True, timeout=1)
print(db.execute("SELECT count(*) FROM records WHERE entity = 'reservation'").fetchone()[0])
PY
}
# The pull is done when the desk's count of stays has stopped moving for 10 s.
start=$SECONDS
count=0
steady=0
while [ "$count" -eq 0 ] || [ "$steady" -lt 5 ]; do
  kill -0 "$app" 2>/dev/null || { cat "$work/app.log" >&2; exit 1; }
  [ $((SECONDS - start)) -lt 900 ] || { echo "the pull did not finish in 900 s" >&2; exit 1; }
  sleep 2
  now="$(reservations)"
  if [ "$now" -eq "$count" ]; then steady=$((steady + 1)); else steady=0; count=$now; fi
done
pulled=$((SECONDS - start - 10))
peak=0
last_growth=$SECONDS
while [ $((SECONDS - last_growth)) -lt "$settle" ]; do
  read -r rss pss <<<"$(memory)"
  if [ "$rss" -gt $((peak + peak / 50)) ]; then peak=$rss; last_growth=$SECONDS; fi
  sleep 5
done
read -r rss pss <<<"$(memory)"

say "idle memory with $count reservations on the desk (pull done after ${pulled} s, then ${settle} s without growth)"
for pid in $(tree "$app"); do
  printf '  %-28s RSS %7d kB\n' "$(cat "/proc/$pid/comm" 2>/dev/null)" \
    "$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)"
done
printf 'app and WebKit processes: RSS %d MB, PSS %d MB\n' $((rss / 1024)) $((pss / 1024))
