//! The five scenario families of conflict handling, through [`plan`]: concurrent
//! updates, delete against update, missing parent, a changed field shape, and a
//! broken business rule; then resolutions.

use super::*;
use crate::protocol::DomainAction;
use serde_json::json;

const PROPERTY: Uuid = Uuid::from_u128(0xA);
const GUEST: Uuid = Uuid::from_u128(0x10);
const RESERVATION: Uuid = Uuid::from_u128(0x20);
const ROOM_TYPE: Uuid = Uuid::from_u128(0x30);
const DEVICE_A: Uuid = Uuid::from_u128(0xDA);
const DEVICE_B: Uuid = Uuid::from_u128(0xDB);

fn hlc(ms: u64, node: Uuid) -> Hlc {
    Hlc { physical_ms: ms, logical: 0, node }
}

fn fields(value: Value) -> Fields {
    value.as_object().cloned().expect("test records are objects")
}

fn guest() -> Fields {
    fields(json!({
        "id": GUEST, "property_id": PROPERTY, "first_name": "Sarah", "last_name": "Johnson",
        "email": "sarah@old.example", "phone": null, "loyalty_number": null, "loyalty_tier": null,
        "preferences": ["quiet"], "notes": [], "tags": [], "last_interaction_at": null,
    }))
}

fn reservation(status: &str) -> Fields {
    fields(json!({
        "id": RESERVATION, "property_id": PROPERTY, "confirmation": "H-2026-0042", "guest_id": GUEST,
        "guest_name": "Sarah Johnson", "room_type_id": ROOM_TYPE, "room_id": null,
        "arrival": "2026-11-23", "departure": "2026-11-25", "adults": 2, "children": 0,
        "rate_code": "BAR", "source": "phone", "special_requests": ["quiet"], "notes": [], "status": status,
    }))
}

fn stored(record: Fields, version: u64) -> ServerRecord {
    ServerRecord {
        version,
        fields: record,
        deleted: false,
        field_clocks: BTreeMap::new(),
        last: Author {
            device_id: DEVICE_B,
            user_id: Uuid::from_u128(0xB0),
            hlc: hlc(1_000, DEVICE_B),
            at: hlc(1_000, DEVICE_B).wall_time(),
        },
    }
}

fn mutation(
    entity: EntityKind,
    record_id: Uuid,
    op: Operation,
    base_version: Option<u64>,
    changes: &[(&str, Value, Value)],
) -> Mutation {
    Mutation {
        id: Uuid::from_u128(0x1000 + changes.len() as u128),
        idempotency_key: "key-1".into(),
        entity,
        record_id,
        op,
        base_version,
        changes: changes
            .iter()
            .map(|(field, base, value)| ((*field).to_owned(), FieldChange { base: base.clone(), value: value.clone() }))
            .collect(),
        hlc: hlc(2_000, DEVICE_A),
        device_id: DEVICE_A,
        user_id: Uuid::from_u128(0xA0),
    }
}

fn everything_exists(_: EntityKind, _: Uuid) -> bool {
    true
}

fn plan_it(m: &Mutation, current: Option<&ServerRecord>) -> Plan {
    plan(m, current, &PolicyTable::defaults(), everything_exists)
}

fn edited(mut record: Fields, field: &str, value: Value) -> Fields {
    record.insert(field.into(), value);
    record
}

// --- 1. Concurrent updates -------------------------------------------------------

#[test]
fn a_clean_update_applies_as_sent() {
    let current = stored(guest(), 3);
    let m =
        mutation(EntityKind::Guest, GUEST, Operation::Update, Some(3), &[("loyalty_tier", json!(null), json!("gold"))]);
    let Plan::Write { record, changed, merged, conflict, .. } = plan_it(&m, Some(&current)) else {
        panic!("a change on the current version applies");
    };
    assert_eq!(record["loyalty_tier"], json!("gold"));
    assert_eq!(changed, ["loyalty_tier"]);
    assert!(!merged, "nothing concurrent happened");
    assert!(conflict.is_none());
}

#[test]
fn edits_of_different_fields_are_all_kept() {
    // The server moved on (another device changed the phone); this device changed the tags.
    let current = stored(edited(guest(), "phone", json!("+351 900 000 000")), 4);
    let m = mutation(EntityKind::Guest, GUEST, Operation::Update, Some(3), &[("tags", json!([]), json!(["vip"]))]);
    let Plan::Write { record, merged, conflict, .. } = plan_it(&m, Some(&current)) else {
        panic!("non-overlapping edits merge");
    };
    assert_eq!(record["phone"], json!("+351 900 000 000"), "the other device's phone survives");
    assert_eq!(record["tags"], json!(["vip"]), "this device's tag survives");
    assert!(merged, "the device edited an older version");
    assert!(conflict.is_none());
}

#[test]
fn two_different_emails_raise_a_data_conflict_with_both_values_and_who() {
    let current = stored(edited(guest(), "email", json!("sarah@server.example")), 4);
    let m = mutation(
        EntityKind::Guest,
        GUEST,
        Operation::Update,
        Some(3),
        &[("email", json!("sarah@old.example"), json!("sarah@device.example"))],
    );
    let Plan::Conflict(c) = plan_it(&m, Some(&current)) else {
        panic!("a manual field changed on both sides needs a person");
    };
    assert_eq!(c.kind, ConflictKind::Data);
    assert_eq!(c.fields.len(), 1);
    let clash = &c.fields[0];
    assert_eq!(
        (&clash.base, &clash.device, &clash.server),
        (&json!("sarah@old.example"), &json!("sarah@device.example"), &json!("sarah@server.example"))
    );
    assert_eq!(c.device.device_id, DEVICE_A);
    assert_eq!(c.server.as_ref().map(|s| s.device_id), Some(DEVICE_B), "the dialog says who made the other change");
    assert_eq!(c.server_version, Some(4));
    assert_eq!(c.device_changes, m.changes, "the device's change is kept whole");
}

#[test]
fn a_clash_does_not_hold_back_the_fields_that_merge() {
    let current = stored(edited(guest(), "email", json!("sarah@server.example")), 4);
    let m = mutation(
        EntityKind::Guest,
        GUEST,
        Operation::Update,
        Some(3),
        &[
            ("email", json!("sarah@old.example"), json!("sarah@device.example")),
            ("preferences", json!(["quiet"]), json!(["quiet", "high floor"])),
        ],
    );
    let Plan::Write { record, conflict, .. } = plan_it(&m, Some(&current)) else {
        panic!("the clean field is written");
    };
    assert_eq!(record["preferences"], json!(["quiet", "high floor"]));
    assert_eq!(record["email"], json!("sarah@server.example"), "the server keeps its value until resolved");
    let c = conflict.expect("the email still needs a person");
    assert_eq!(c.fields.iter().map(|f| f.field.as_str()).collect::<Vec<_>>(), ["email"]);
}

#[test]
fn the_same_change_on_both_sides_is_no_conflict() {
    let current = stored(edited(guest(), "email", json!("sarah@new.example")), 4);
    let m = mutation(
        EntityKind::Guest,
        GUEST,
        Operation::Update,
        Some(3),
        &[("email", json!("sarah@old.example"), json!("sarah@new.example"))],
    );
    assert_eq!(plan_it(&m, Some(&current)), Plan::Unchanged);
}

#[test]
fn server_wins_fields_keep_the_server_value_without_a_conflict() {
    let current = stored(edited(reservation("confirmed"), "rate_code", json!("CORP")), 4);
    let m = mutation(
        EntityKind::Reservation,
        RESERVATION,
        Operation::Update,
        Some(3),
        &[("rate_code", json!("BAR"), json!("PROMO")), ("adults", json!(2), json!(3))],
    );
    let Plan::Write { record, merged, conflict, .. } = plan_it(&m, Some(&current)) else {
        panic!("server wins settles the rate");
    };
    assert_eq!(record["rate_code"], json!("CORP"));
    assert_eq!(record["adults"], json!(3));
    assert!(merged);
    assert!(conflict.is_none());
}

// --- 2. Delete against update ----------------------------------------------------

#[test]
fn an_update_of_a_deleted_record_is_a_delete_update_conflict() {
    let mut current = stored(guest(), 5);
    current.deleted = true;
    let m = mutation(EntityKind::Guest, GUEST, Operation::Update, Some(4), &[("tags", json!([]), json!(["vip"]))]);
    let Plan::Conflict(c) = plan_it(&m, Some(&current)) else {
        panic!("the update is not lost");
    };
    assert_eq!(c.kind, ConflictKind::DeleteUpdate);
    assert_eq!(c.device_changes["tags"].value, json!(["vip"]));
}

#[test]
fn a_delete_of_a_record_changed_since_is_a_delete_update_conflict() {
    let current = stored(guest(), 5);
    let stale = mutation(EntityKind::Guest, GUEST, Operation::Delete, Some(4), &[]);
    assert!(matches!(plan_it(&stale, Some(&current)), Plan::Conflict(c) if c.kind == ConflictKind::DeleteUpdate));
    let fresh = mutation(EntityKind::Guest, GUEST, Operation::Delete, Some(5), &[]);
    assert_eq!(plan_it(&fresh, Some(&current)), Plan::Delete);
    let mut gone = current.clone();
    gone.deleted = true;
    assert_eq!(plan_it(&fresh, Some(&gone)), Plan::Unchanged, "deleting twice is harmless");
}

// --- 3. Missing entity and missing parent ----------------------------------------

#[test]
fn an_update_of_an_unknown_record_is_a_missing_entity_conflict() {
    let m = mutation(EntityKind::Guest, GUEST, Operation::Update, Some(1), &[("tags", json!([]), json!(["vip"]))]);
    let Plan::Conflict(c) = plan_it(&m, None) else {
        panic!("the change waits");
    };
    assert_eq!(c.kind, ConflictKind::MissingEntity);
}

#[test]
fn a_reservation_for_an_unknown_guest_is_held_as_a_dependency() {
    let record = reservation("confirmed");
    let changes: Vec<(&str, Value, Value)> = record.iter().map(|(k, v)| (k.as_str(), Value::Null, v.clone())).collect();
    let m = mutation(EntityKind::Reservation, RESERVATION, Operation::Insert, None, &changes);
    let no_guest = |kind: EntityKind, _: Uuid| kind != EntityKind::Guest;
    let Plan::Conflict(c) = plan(&m, None, &PolicyTable::defaults(), no_guest) else {
        panic!("the parent is missing");
    };
    assert_eq!(c.kind, ConflictKind::Dependency);
    assert!(c.auto_resolvable, "it resolves itself once the guest arrives");
    assert!(c.summary.contains("guest_id"), "{}", c.summary);
    let Plan::Write { record: written, .. } = plan_it(&m, None) else {
        panic!("with its guest present the reservation is inserted");
    };
    assert_eq!(written, record);
}

// --- 4. A changed type or shape of a field ---------------------------------------

#[test]
fn a_value_of_the_wrong_type_is_refused_and_names_the_field() {
    let current = stored(reservation("confirmed"), 3);
    let m = mutation(
        EntityKind::Reservation,
        RESERVATION,
        Operation::Update,
        Some(3),
        &[("special_requests", json!(["quiet"]), json!("quiet, crib"))],
    );
    let Plan::Reject { category, message } = plan_it(&m, Some(&current)) else {
        panic!("a text is not a list");
    };
    assert_eq!(category, RejectCategory::Validation);
    assert!(message.contains("special_requests must be a list of texts"), "{message}");
}

#[test]
fn a_server_value_of_an_old_shape_becomes_a_conflict_not_a_guess() {
    // An older server stored the requests as one text; the device sends a list.
    let current = stored(edited(reservation("confirmed"), "special_requests", json!("quiet, crib")), 4);
    let m = mutation(
        EntityKind::Reservation,
        RESERVATION,
        Operation::Update,
        Some(3),
        &[("special_requests", json!(["quiet"]), json!(["quiet", "late checkout"]))],
    );
    let Plan::Conflict(c) = plan_it(&m, Some(&current)) else {
        panic!("set merge cannot read a text");
    };
    assert_eq!(c.kind, ConflictKind::Data);
    assert!(matches!(&c.fields[0].clash, Clash::Shape { detail } if detail.contains("not a list")));
}

#[test]
fn fixed_fields_and_append_only_records_cannot_be_edited() {
    let current = stored(reservation("confirmed"), 3);
    let m = mutation(
        EntityKind::Reservation,
        RESERVATION,
        Operation::Update,
        Some(3),
        &[("property_id", json!(PROPERTY), json!(Uuid::from_u128(0xB)))],
    );
    assert!(matches!(plan_it(&m, Some(&current)), Plan::Reject { message, .. } if message.contains("cannot change")));
    let posting = mutation(EntityKind::FolioPosting, Uuid::from_u128(9), Operation::Delete, Some(1), &[]);
    assert!(matches!(plan_it(&posting, None), Plan::Reject { message, .. } if message.contains("append-only")));
}

// --- 5. Business rules -----------------------------------------------------------

#[test]
fn check_in_on_one_device_and_cancel_on_another_is_a_business_rule_conflict() {
    let current = stored(reservation("checked_in"), 4);
    let m = mutation(
        EntityKind::Reservation,
        RESERVATION,
        Operation::Action(DomainAction::Cancel),
        Some(3),
        &[("status", json!("confirmed"), json!("cancelled"))],
    );
    let Plan::Conflict(c) = plan_it(&m, Some(&current)) else {
        panic!("a checked-in stay cannot be cancelled");
    };
    assert_eq!(c.kind, ConflictKind::BusinessRule);
    assert_eq!(c.severity, Severity::High);
    assert!(!c.auto_resolvable);
    assert_eq!(c.rule, Some(RuleBreach::StatusRegression { from: "checked_in".into(), to: "cancelled".into() }));
    assert_eq!((&c.fields[0].device, &c.fields[0].server), (&json!("cancelled"), &json!("checked_in")));
}

#[test]
fn a_status_move_still_allowed_from_the_server_state_is_honoured() {
    // The server confirmed the stay; the device, from tentative, cancelled it.
    let current = stored(reservation("confirmed"), 4);
    let m = mutation(
        EntityKind::Reservation,
        RESERVATION,
        Operation::Action(DomainAction::Cancel),
        Some(3),
        &[("status", json!("tentative"), json!("cancelled"))],
    );
    let Plan::Write { record, .. } = plan_it(&m, Some(&current)) else {
        panic!("cancelling a confirmed stay is allowed");
    };
    assert_eq!(record["status"], json!("cancelled"), "a cancellation is never silently dropped");
}

#[test]
fn an_illegal_move_from_the_devices_own_base_is_refused() {
    let current = stored(reservation("cancelled"), 3);
    let m = mutation(
        EntityKind::Reservation,
        RESERVATION,
        Operation::Update,
        Some(3),
        &[("status", json!("cancelled"), json!("checked_in"))],
    );
    assert!(
        matches!(plan_it(&m, Some(&current)), Plan::Reject { message, .. } if message.contains("cannot move from cancelled to checked_in"))
    );
}

#[test]
fn editing_a_stay_cancelled_meanwhile_is_a_read_only_conflict() {
    let current = stored(reservation("cancelled"), 4);
    let m =
        mutation(EntityKind::Reservation, RESERVATION, Operation::Update, Some(3), &[("adults", json!(2), json!(3))]);
    let Plan::Conflict(c) = plan_it(&m, Some(&current)) else {
        panic!("the edit is kept in a conflict");
    };
    assert!(matches!(c.rule, Some(RuleBreach::ReadOnlyRecord { ref status }) if status == "cancelled"));
    let known =
        mutation(EntityKind::Reservation, RESERVATION, Operation::Update, Some(4), &[("adults", json!(2), json!(3))]);
    assert!(
        matches!(plan_it(&known, Some(&current)), Plan::Reject { .. }),
        "editing a stay known to be cancelled is refused"
    );
}

#[test]
fn an_action_must_set_the_status_it_names() {
    let current = stored(reservation("confirmed"), 3);
    let m = mutation(
        EntityKind::Reservation,
        RESERVATION,
        Operation::Action(DomainAction::CheckIn),
        Some(3),
        &[("status", json!("confirmed"), json!("cancelled"))],
    );
    assert!(
        matches!(plan_it(&m, Some(&current)), Plan::Reject { message, .. } if message.contains("must set status to checked_in"))
    );
}

#[test]
fn business_rule_conflicts_carry_the_data_to_resolve_them() {
    let m = mutation(EntityKind::Reservation, RESERVATION, Operation::Update, Some(3), &[]);
    let breach = RuleBreach::DoubleBooking {
        room_id: Uuid::from_u128(0x305),
        room_number: "305".into(),
        with: vec![Uuid::from_u128(0x21)],
        first_night: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
        last_night: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).expect("date"),
        free_rooms: vec![crate::invariants::FreeRoom { room_id: Uuid::from_u128(0x307), number: "307".into() }],
    };
    let c = Conflict::business_rule(&m, breach, None, Some(3));
    assert_eq!(c.kind, ConflictKind::BusinessRule);
    assert!(c.summary.contains("Room 305"));
    let moved =
        resolution_values(&c, &ResolutionChoice::MoveStay { room_id: Uuid::from_u128(0x307) }).expect("307 is free");
    assert_eq!(moved["room_id"], json!(Uuid::from_u128(0x307)));
    let err = resolution_values(&c, &ResolutionChoice::MoveStay { room_id: Uuid::from_u128(0x305) })
        .expect_err("305 is the clash");
    assert!(err.0.contains("not among the free rooms"));
}

// --- Resolutions and replays -----------------------------------------------------

#[test]
fn resolutions_write_the_chosen_values() {
    let current = stored(edited(guest(), "email", json!("s@server")), 4);
    let m = mutation(
        EntityKind::Guest,
        GUEST,
        Operation::Update,
        Some(3),
        &[("email", json!("sarah@old.example"), json!("s@device"))],
    );
    let Plan::Conflict(c) = plan_it(&m, Some(&current)) else {
        panic!("conflict expected");
    };
    assert_eq!(resolution_values(&c, &ResolutionChoice::KeepDevice {}).expect("ok")["email"], json!("s@device"));
    assert!(resolution_values(&c, &ResolutionChoice::KeepServer {}).expect("ok").is_empty());
    let pick = ResolutionChoice::PerField { pick: BTreeMap::from([("email".to_owned(), Side::Server)]) };
    assert_eq!(resolution_values(&c, &pick).expect("ok")["email"], json!("s@server"));
    let custom = ResolutionChoice::Custom { values: fields(json!({"email": "sarah@typed.example"})) };
    assert_eq!(resolution_values(&c, &custom).expect("ok")["email"], json!("sarah@typed.example"));
    let bad = ResolutionChoice::Custom { values: fields(json!({"email": 42})) };
    assert!(resolution_values(&c, &bad).is_err(), "a typed value is validated like any change");
    let missing = ResolutionChoice::PerField { pick: BTreeMap::new() };
    assert!(resolution_values(&c, &missing).expect_err("needs a pick").0.contains("email"));
}

#[test]
fn a_replayed_mutation_names_the_same_conflict() {
    let current = stored(edited(guest(), "email", json!("s@server")), 4);
    let m = mutation(
        EntityKind::Guest,
        GUEST,
        Operation::Update,
        Some(3),
        &[("email", json!("sarah@old.example"), json!("s@device"))],
    );
    let (Plan::Conflict(a), Plan::Conflict(b)) = (plan_it(&m, Some(&current)), plan_it(&m, Some(&current))) else {
        panic!("conflicts expected");
    };
    assert_eq!(a.id, b.id);
}

#[test]
fn a_resolution_with_an_unknown_field_is_refused_on_decode() {
    for body in [
        r#"{"choice": "keep_server", "note": "x"}"#,
        r#"{"choice": "keep_device", "values": {}}"#,
        r#"{"choice": "move_stay", "room_id": "01a24bbb-5d77-772e-8232-b7a553abbac8", "why": 1}"#,
    ] {
        assert!(serde_json::from_str::<ResolutionChoice>(body).is_err(), "{body} is refused");
    }
    let plain: ResolutionChoice = serde_json::from_str(r#"{"choice": "keep_server"}"#).expect("the plain choice");
    assert_eq!(plain, ResolutionChoice::KeepServer {});
    assert_eq!(serde_json::to_string(&plain).expect("json"), r#"{"choice":"keep_server"}"#, "the wire form stays");
}

/// For every policy: a device's value that loses a clash is reported as superseded
/// (for the record's history and the desk's notice) exactly when the policy picked
/// the other side; combined values and won clashes supersede nothing.
#[test]
fn an_edit_that_loses_a_merge_is_reported_for_every_policy() {
    use crate::merge::Superseded;
    use crate::policy::MergePolicy;
    let cases: [(MergePolicy, &str, Value, Value, Value, bool); 7] = [
        (MergePolicy::ServerWins, "adults", json!(2), json!(3), json!(1), true),
        (MergePolicy::LastWriterWins, "adults", json!(2), json!(3), json!(1), true),
        (MergePolicy::DeviceWins, "adults", json!(2), json!(3), json!(1), false),
        (MergePolicy::Priority, "cleaning", json!("clean"), json!("inspected"), json!("dirty"), true),
        (MergePolicy::SetMerge, "special_requests", json!([]), json!(["crib"]), json!(["quiet"]), false),
        (MergePolicy::LastWriterWins, "children", json!(0), json!(1), json!(1), false),
        (MergePolicy::ServerWins, "adults", json!(2), json!(2), json!(1), false),
    ];
    for (policy, field, base, device, server, lost) in cases {
        let kind = if field == "cleaning" { EntityKind::Room } else { EntityKind::Reservation };
        let policies =
            PolicyTable::from_toml(&format!("[{kind}]\n{field} = \"{}\"\n", policy.as_str())).expect("policy table");
        let merged = merge_record(
            kind,
            &policies,
            &BTreeMap::from([(field.to_owned(), FieldChange { base: base.clone(), value: device.clone() })]),
            &json!({ field: server.clone() }).as_object().cloned().unwrap_or_default(),
            &BTreeMap::new(),
            Hlc { physical_ms: 20, logical: 0, node: Uuid::nil() },
            Hlc { physical_ms: 10, logical: 0, node: Uuid::nil() },
        );
        let expected = if lost {
            vec![Superseded { field: field.to_owned(), value: device.clone(), kept: server.clone(), policy }]
        } else {
            vec![]
        };
        assert_eq!(merged.superseded, expected, "{policy:?} on {field}: {device} against {server}");
    }
}
