//! Bad input: the fuzz targets of `targets.rs` on random bytes (a short run of
//! what `scripts/fuzz.sh` runs for longer under libFuzzer), and every input a
//! fuzzer ever broke the sync core with, kept as regression tests.

mod draw;
mod regressions;
mod targets;

use proptest::collection::vec;
use proptest::prelude::*;

/// Random bytes, and random bytes that start like JSON so the decoders get past
/// the first character more often.
fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..512),
        (prop::sample::select(vec![&b"{"[..], b"[", b"\"", b"{\"protocol\":1,"]), vec(any::<u8>(), 0..256))
            .prop_map(|(start, rest)| [start, &rest[..]].concat()),
    ]
}

/// Cases per target: a few hundred in the normal test run (well under a second
/// each); `scripts/fuzz.sh` asks for more when libFuzzer cannot run.
fn cases() -> u32 {
    std::env::var("FRONTDESK_FUZZ_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(400)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// Any bytes, and any edit of a well-formed message: decoding never panics, and
    /// what decodes re-encodes to itself.
    #[test]
    fn protocol_messages_decode_or_refuse(data in bytes()) {
        targets::protocol_json(&data);
    }

    /// Any values under any policy: no panic, deterministic, nothing invented.
    #[test]
    fn merges_of_any_values(data in vec(any::<u8>(), 0..1024)) {
        targets::merge(&data);
    }

    /// Any mutation against any server record under any policy table: no panic,
    /// deterministic, nothing invented, nothing the device sent dropped.
    #[test]
    fn plans_of_any_mutation(data in vec(any::<u8>(), 0..1024)) {
        targets::plan_mutation(&data);
    }

    /// Any policy file: taken whole or refused naming the place.
    #[test]
    fn policy_files_are_taken_or_refused_with_the_place(data in bytes()) {
        targets::policy_toml(&data);
    }
}
