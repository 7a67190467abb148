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

/// Found by `plan`: a device's value travels inside a conflict, and a float came
/// back from the wire one digit off (2.6498682417346647e+180 read back as
/// 2.649868241734665e+180): serde_json's fast float parser is not exact. The
/// workspace now turns on its `float_roundtrip` feature.
#[test]
fn a_float_sent_by_a_device_crosses_the_wire_unchanged() {
    let sent: serde_json::Value = serde_json::from_str("2.6498682417346647e+180").expect("a number");
    let again: serde_json::Value = serde_json::from_str(&sent.to_string()).expect("a number");
    assert_eq!(again, sent, "what a device saved must come back exactly");
}

/// Found by `plan`: when the device's status move clashed with a server record
/// that had no status (left so by an older version), the planned write set the
/// status to "", a value nobody sent. The server's value now stays as it is.
#[test]
fn a_status_clash_writes_no_status_of_its_own() {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};
    use sync_core::conflict::{Author, Plan, ServerRecord, plan};
    use sync_core::hlc::Hlc;
    use sync_core::protocol::{FieldChange, Mutation, Operation};
    use sync_core::{EntityKind, PolicyTable};
    use uuid::Uuid;

    let id = Uuid::from_u128(1);
    let fields = json!({"id": id.to_string(), "adults": 2}).as_object().cloned().unwrap_or_default();
    let last = Author {
        device_id: Uuid::from_u128(2),
        user_id: Uuid::from_u128(3),
        hlc: Hlc::ZERO,
        at: Hlc::ZERO.wall_time(),
    };
    let server = ServerRecord { version: 1, fields, deleted: false, field_clocks: BTreeMap::new(), last };
    let change = |base: Value, value: Value| FieldChange { base, value };
    let mutation = Mutation {
        id: Uuid::from_u128(4),
        idempotency_key: "K7Q-0001".into(),
        entity: EntityKind::Reservation,
        record_id: id,
        op: Operation::Update,
        base_version: Some(1),
        changes: BTreeMap::from([
            ("status".to_owned(), change(json!("confirmed"), json!("cancelled"))),
            ("adults".to_owned(), change(json!(2), json!(3))),
        ]),
        hlc: Hlc { physical_ms: 1, logical: 0, node: Uuid::from_u128(2) },
        device_id: Uuid::from_u128(2),
        user_id: Uuid::from_u128(3),
    };
    if let Plan::Write { record, .. } = plan(&mutation, Some(&server), &PolicyTable::defaults(), |_, _| true) {
        assert_eq!(record.get("status"), None, "the server had no status and nobody sent one that stands");
    }
}
