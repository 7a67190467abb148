#!/usr/bin/env bash
# Fuzzes the sync server's HTTP API with Schemathesis against the OpenAPI document
# the server itself serves: a real server on loopback over a throwaway SQLite file
# with the demo hotel, a real device enrolled and a manager signed in through the
# API. Checks every answer: no 5xx, status codes and bodies as the document says,
# schema-valid requests accepted and invalid ones refused, auth not ignored.
#
#   scripts/api-fuzz.sh [MAX_EXAMPLES]      # default 40 per operation, seed 1
#
#   FRONTDESK_API_FUZZ_SEED   Hypothesis seed (default 1; "random" for a new one each run)
#
# Schemathesis is installed from PyPI into ~/.cache/frontdesk/schemathesis-venv
# (once; the version is pinned below). Reports (JUnit, NDJSON, the server's log)
# land in results/api-fuzz/.
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_rust

SCHEMATHESIS_VERSION=4.32.5
examples="${1:-40}"
seed="${FRONTDESK_API_FUZZ_SEED:-1}"
venv="$HOME/.cache/frontdesk/schemathesis-venv"
results="$ROOT/results/api-fuzz"

if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version | grep -q "$SCHEMATHESIS_VERSION"; then
  say "installing Schemathesis $SCHEMATHESIS_VERSION (PyPI, into $venv)"
  command -v python3 >/dev/null 2>&1 || ensure_packages python3 python3-venv
  python3 -m venv "$venv" 2>/dev/null || { ensure_packages python3-venv; python3 -m venv "$venv"; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

say "building the sync server"
cargo build --locked -q -p frontdesk-server

work="$(mktemp -d)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# A copy: the shared target directory's binary may be rebuilt by another build meanwhile.
cp "$CARGO_TARGET_DIR/debug/frontdesk-server" "$work/frontdesk-server"
server="$work/frontdesk-server"
export FRONTDESK_DATABASE="sqlite://$work/server.sqlite3"
mkdir -p "$results"

say "seeding the demo hotel"
"$server" seed-demo --property DEMO >/dev/null

# A published release (the signed fixture of the updater tests), so the update check
# answers offers and the download serves a real installer.
export FRONTDESK_UPDATES_DIR="$work/updates"
export FRONTDESK_UPDATE_FILE="frontdesk-0.2.0-test.bin"
mkdir -p "$FRONTDESK_UPDATES_DIR"
cp "$ROOT/tests/fixtures/updates/$FRONTDESK_UPDATE_FILE" "$ROOT/tests/fixtures/updates/$FRONTDESK_UPDATE_FILE.sig" \
  "$FRONTDESK_UPDATES_DIR/"
printf 'version = "0.2.0"\nnotes = "Folio windows"\n[platforms]\nlinux-x86_64 = "%s"\n' "$FRONTDESK_UPDATE_FILE" \
  >"$FRONTDESK_UPDATES_DIR/release.toml"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
base="http://127.0.0.1:$port"
# No rate limit to speak of: Schemathesis sends thousands of requests from one device.
RUST_LOG=warn "$server" serve --listen "127.0.0.1:$port" --rate-limit 100000 --rate-burst 100000 \
  >"$results/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do
  curl -fsS "$base/v1/health" >/dev/null 2>&1 && break
  kill -0 "$server_pid" 2>/dev/null || { cat "$results/server.log" >&2; exit 1; }
  sleep 0.2
done

say "enrolling a device and signing the manager in"
code="$("$server" enrollment-code --property DEMO)"
enrollment="$(curl -fsS -X POST "$base/v1/enroll" -H 'content-type: application/json' \
  -d "{\"code\": \"$code\", \"device_name\": \"API fuzzing\"}")"
device="$(python3 -c 'import json, sys; e = json.load(sys.stdin); print(e["device_id"] + ":" + e["device_secret"])' \
  <<<"$enrollment")"
session="$(curl -fsS -X POST "$base/v1/sessions" -H 'content-type: application/json' \
  -H "frontdesk-device: $device" -d '{"username": "manager", "password": "demo-password"}')"
export FRONTDESK_TOKEN
FRONTDESK_TOKEN="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' <<<"$session")"
export FRONTDESK_DEVICE="$device"

# A reservation of the demo hotel (from a pull) for the history and restore
# operations, and a conflict (an update of a guest the server never had) for the
# conflict operations.
ids="$(python3 - "$base" "$FRONTDESK_TOKEN" "${device%%:*}" "$session" <<'PY'
import json, sys, time, urllib.request, uuid
base, token, device, session = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
def post(path, body):
    request = urllib.request.Request(base + path, json.dumps(body).encode(), method="POST", headers={
        "authorization": "Bearer " + token, "content-type": "application/json"})
    return json.load(urllib.request.urlopen(request))
page = post("/v1/pull", {"protocol": 1, "limit": 1000})
reservation = next(c["record_id"] for c in page["changes"] if c["entity"] == "reservation")
mutation = {
    "id": str(uuid.uuid4()), "idempotency_key": str(uuid.uuid4()), "entity": "guest",
    "record_id": str(uuid.uuid4()), "op": {"type": "update"}, "base_version": 1,
    "changes": {"last_name": {"base": "Old", "value": "New"}},
    "hlc": "%018d-00000-%s" % (int(time.time() * 1000), device),
    "device_id": device, "user_id": session["user"]["id"],
}
result = post("/v1/push", {"protocol": 1, "mutations": [mutation]})["results"][0]
print(reservation, result["conflict"]["id"])
PY
)"
read -r FRONTDESK_RECORD_ID FRONTDESK_CONFLICT_ID <<<"$ids"
export FRONTDESK_RECORD_ID FRONTDESK_CONFLICT_ID

# Sign-out would end the session the rest of the run uses, and the live stream
# never ends by design: both are covered by the API tests instead.
say "Schemathesis: $examples examples per operation, seed $seed"
seed_args=(--seed "$seed")
[ "$seed" = random ] && seed_args=()
status=0
"$venv/bin/schemathesis" --config-file "$ROOT/crates/server/tests/schemathesis.toml" run "$base/v1/openapi.json" \
  --exclude-operation-id signOut --exclude-operation-id live \
  --checks all --max-examples "$examples" "${seed_args[@]}" --workers 1 --request-timeout 10 \
  --report junit,ndjson --report-dir "$results" --no-color \
  | tee "$results/schemathesis.log" || status=$?

if grep -q 'panicked\|internal error' "$results/server.log"; then
  echo "the server logged internal errors during the run (see results/api-fuzz/server.log):"
  grep -m5 'panicked\|internal error' "$results/server.log"
  status=1
fi
exit "$status"
