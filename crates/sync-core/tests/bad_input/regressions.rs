//! Inputs that once broke a promise of the sync core, found by the fuzz targets.
//! Each file under `regressions/<target>/` is replayed through its target; the
//! tests below spell the same cases out with what was wrong.

use std::path::Path;

use crate::targets;

/// Replays every saved input of `target` through `run`.
fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad_input/regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&dir) else { return };
    for entry in entries {
        let path = entry.expect("a readable directory entry").path();
        let data = std::fs::read(&path).expect("a readable saved input");
        run(&data);
    }
}

#[test]
fn saved_inputs_still_pass() {
    replay("protocol_json", targets::protocol_json);
    replay("merge", targets::merge);
    replay("plan", targets::plan_mutation);
    replay("policy_toml", targets::policy_toml);
}

/// Found by `protocol_json`: a clock that observed the last timestamp the text
/// form can carry (`999999999999999999-99999-…`, which any device may push) issued
/// `…-100000-…`, six logical digits that no device could read back, so every later
/// answer of the server would have failed to decode. It now borrows the next
/// millisecond at 99,999 and stops at the last representable time.
#[test]
fn a_clock_never_issues_a_timestamp_the_other_side_cannot_read() {
    use sync_core::hlc::{Clock, Hlc};
    let edge: Hlc = "999999999999999999-99999-00000000-0000-0000-0000-000000000001".parse().expect("the edge reads");
    let mut server = Clock::new(uuid::Uuid::from_u128(7));
    for stamp in [server.observe(edge, 1_763_895_925_000), server.tick(1_763_895_925_000)] {
        assert_eq!(stamp.to_string().parse::<Hlc>(), Ok(stamp), "a device must read the server's {stamp}");
    }
}

/// Found while writing `policy_toml`: an unknown policy name was refused without
/// saying which field it was written for.
#[test]
fn an_unknown_policy_names_its_field() {
    let err = sync_core::PolicyTable::from_toml("[reservation]\nadults = \"biggest\"\n").expect_err("no such policy");
    assert!(err.to_string().starts_with("reservation.adults: `biggest` is not a merge policy"), "{err}");
}
