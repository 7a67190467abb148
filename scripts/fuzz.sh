#!/usr/bin/env bash
# Fuzzes the sync core: each target of crates/sync-core/tests/bad_input/targets.rs
# runs under libFuzzer (cargo-fuzz) for a bounded time, one after the other.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     # default: 60 s each, every target
#
# Targets: protocol_json (wire messages from any bytes and from edits of real ones),
# merge (field and record merges of any values under any policy table), plan
# (conflict planning of any mutation), policy_toml (policy files).
#
# The corpus grows across runs in ~/.cache/frontdesk/fuzz/corpus (FRONTDESK_FUZZ_CORPUS);
# inputs that break a target land in results/fuzz/<target>/ and the script fails.
# Fix the bug, then keep the input in crates/sync-core/tests/bad_input/regressions/<target>/:
# `cargo test -p frontdesk-sync-core` replays every file there.
#
# libFuzzer instruments code with flags only a nightly compiler accepts: the script
# uses the nightly toolchain when rustup has one, else the stable one with
# RUSTC_BOOTSTRAP=1. When neither builds, it runs the same targets on random bytes
# through proptest for the same time instead (no coverage guidance).
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ensure_rust
cd "$ROOT/crates/sync-core"

seconds="${1:-60}"
shift || true
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(protocol_json merge plan policy_toml)

corpus_root="${FRONTDESK_FUZZ_CORPUS:-$HOME/.cache/frontdesk/fuzz/corpus}"
results="$ROOT/results/fuzz"
regressions="$ROOT/crates/sync-core/tests/bad_input/regressions"
fuzz_target_dir="$CARGO_TARGET_DIR/fuzz"

if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  cargo_fuzz=(cargo +nightly fuzz)
  toolchain="nightly"
else
  export RUSTC_BOOTSTRAP=1
  cargo_fuzz=(cargo fuzz)
  toolchain="stable with RUSTC_BOOTSTRAP=1"
fi

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  say "installing cargo-fuzz"
  cargo install cargo-fuzz --locked --version '^0.13' --quiet
fi

# Release code with overflow and debug assertions on; no sanitizer: the sync core
# forbids unsafe code, and the checks are the targets' own assertions.
fuzz_flags=(--release --debug-assertions --sanitizer none --target-dir "$fuzz_target_dir")

mkdir -p "$results"
say "building the fuzz targets ($toolchain)"
if ! "${cargo_fuzz[@]}" build "${fuzz_flags[@]}" 2>"$results/build.log"; then
  say "cargo fuzz cannot build here (see results/fuzz/build.log): proptest on random bytes instead, ${seconds} s per target"
  declare -A tests=(
    [protocol_json]=protocol_messages_decode_or_refuse
    [merge]=merges_of_any_values
    [plan]=plans_of_any_mutation
    [policy_toml]=policy_files_are_taken_or_refused_with_the_place
  )
  for target in "${targets[@]}"; do
    end=$((SECONDS + seconds))
    rounds=0
    while [ "$SECONDS" -lt "$end" ]; do
      if ! FRONTDESK_FUZZ_CASES=5000 cargo test --release --locked -q -p frontdesk-sync-core --test bad_input \
        "${tests[$target]}" >"$results/$target.log" 2>&1; then
        cat "$results/$target.log"
        exit 1
      fi
      rounds=$((rounds + 1))
    done
    printf '%-14s %d x 5000 random inputs, no failure\n' "$target" "$rounds"
  done
  exit 0
fi

failed=0
summary=()
for target in "${targets[@]}"; do
  corpus="$corpus_root/$target"
  mkdir -p "$corpus" "$results/$target" "$regressions/$target"
  say "fuzzing $target for ${seconds} s"
  log="$results/$target.log"
  # New inputs go to the first corpus folder; the saved regressions seed it.
  "${cargo_fuzz[@]}" run "${fuzz_flags[@]}" "$target" "$corpus" "$regressions/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$results/$target/" >"$log" 2>&1 || true
  runs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)"
  cov="$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*')"
  crashes="$(find "$results/$target" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' \) | wc -l)"
  summary+=("$(printf '%-14s %6s s %12s runs  coverage %6s  corpus %6s  failures %s' \
    "$target" "$seconds" "${runs:-?}" "${cov:-?}" "$(find "$corpus" -type f | wc -l)" "$crashes")")
  if [ "$crashes" -gt 0 ]; then
    failed=1
    grep -m1 -A3 'panicked at' "$log" || tail -20 "$log"
  fi
done

say "fuzzing summary ($toolchain)"
printf '%s\n' "${summary[@]}"
if [ "$failed" -ne 0 ]; then
  echo "Inputs that broke a target are in results/fuzz/<target>/ (logs beside them)."
  echo "Replay one: cargo +nightly fuzz run --release --debug-assertions --sanitizer none <target> <file>"
  exit 1
fi
