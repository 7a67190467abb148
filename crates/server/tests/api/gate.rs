//! The write gate on every path: what a hand-made request may not do through a side
//! path (a plain status update, a conflict resolution, a restore, a replayed key)
//! that the app's buttons refuse. Each test is one finding of the attack that
//! showed the paths disagreeing.

use chrono::Utc;
use serde_json::{Value, json};
use sync_core::EntityKind;
use sync_core::conflict::Conflict;
use sync_core::invariants::RuleBreach;
use sync_core::protocol::{DomainAction, Operation, Outcome, RejectCategory};
use uuid::Uuid;

use crate::support::{Device, Hotel, Scene, Server, reservation_fields, seed_hotel, version_of};

fn day(offset: i64) -> String {
    let today = frontdesk_server::push::property_today("Europe/Lisbon", Utc::now());
    (today + chrono::Duration::days(offset)).to_string()
}

async fn stay(desk: &mut Device, hotel: &Hotel, room: Uuid, arrival: i64) -> Uuid {
    let id = Uuid::now_v7();
    let fields = reservation_fields(hotel, room, &day(arrival), &day(arrival + 2), "T-AAA-0001");
    let insert = desk.insert(EntityKind::Reservation, id, fields);
    version_of(&desk.push_one(insert).await, "the stay is booked");
    id
}

fn status(desk: &mut Device, id: Uuid, base: u64, from: &str, to: &str) -> sync_core::Mutation {
    desk.update(EntityKind::Reservation, id, base, &[("status", json!(from), json!(to))])
}

fn posting(by: Uuid, stay: Uuid, key: &str, kind: &str, amount: i64) -> Value {
    json!({"reservation_id": stay, "window": 1, "kind": kind, "idempotency_key": key, "amount_minor": amount,
           "currency": "EUR", "code": "ROOM", "description": "Room night", "quantity": 1,
           "method": if kind == "payment" { json!("cash") } else { Value::Null },
           "reverses": null, "reason": null, "posted_by": by,
           "posted_at": "000001763900000000-00000-00000000-0000-0000-0000-000000000000"})
}

fn rule_of(outcome: &Outcome) -> &RuleBreach {
    match outcome {
        Outcome::Conflict { conflict, .. } => conflict.rule.as_ref().expect("a business-rule conflict names its rule"),
        other => panic!("expected a business-rule conflict, got {other:?}"),
    }
}

fn refused(outcome: &Outcome) -> (RejectCategory, String) {
    match outcome {
        Outcome::Rejected { category, message } => (*category, message.clone()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn resolve(device: &Device, conflict: Uuid, choice: Value) -> (u16, Value) {
    let response = device.post(&format!("/v1/conflicts/{conflict}/resolve"), &choice).await;
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_plain_status_update_gets_the_checks_of_its_action() {
    let Scene { server: _server, manager: _manager, mut desk, hotel } = Scene::new().await;
    let early = stay(&mut desk, &hotel, hotel.rooms[0], 3).await;
    let mutation = status(&mut desk, early, 1, "confirmed", "checked_in");
    let result = desk.push_one(mutation).await;
    let RuleBreach::CheckInPrecondition { problems } = rule_of(&result.outcome) else {
        panic!("a check-in three days early is flagged like the check-in action: {:?}", result.outcome);
    };
    assert!(problems.iter().any(|p| p.contains("after today")), "{problems:?}");

    let owing = stay(&mut desk, &hotel, hotel.rooms[1], 0).await;
    let mutation = status(&mut desk, owing, 1, "confirmed", "checked_in");
    version_of(&desk.push_one(mutation).await, "a check-in today by a plain update is a check-in");
    let charge = desk.insert(
        EntityKind::FolioPosting,
        Uuid::now_v7(),
        posting(desk.session.user.id, owing, "gate-charge", "charge", 9_000),
    );
    version_of(&desk.push_one(charge).await, "a night is charged");
    let mutation = status(&mut desk, owing, 2, "checked_in", "checked_out");
    let result = desk.push_one(mutation).await;
    assert!(
        matches!(rule_of(&result.outcome), RuleBreach::CheckOutWithBalance { .. }),
        "a check-out by a plain update with 90.00 owed is flagged like the check-out action"
    );

    let jump = stay(&mut desk, &hotel, hotel.rooms[2], 0).await;
    let mutation = status(&mut desk, jump, 1, "confirmed", "checked_out");
    let (category, message) = refused(&desk.push_one(mutation).await.outcome);
    assert_eq!(category, RejectCategory::Validation);
    assert!(message.contains("cannot move from confirmed to checked_out"), "no action makes that move: {message}");

    let delete = desk.mutation(EntityKind::Reservation, jump, Operation::Delete, Some(1), &[]);
    let (_, message) = refused(&desk.push_one(delete).await.outcome);
    assert!(message.contains("cancel it instead"), "a stay is never deleted: {message}");
}

#[tokio::test]
async fn a_change_is_credited_to_its_real_author() {
    let Scene { server, manager, mut desk, hotel } = Scene::new().await;
    let mut house = server.device("P1", "house").await;
    let mut forged = house.update(EntityKind::Room, hotel.rooms[0], 1, &[("cleaning", json!("clean"), json!("dirty"))]);
    forged.user_id = manager.session.user.id;
    let (category, message) = refused(&house.push_one(forged).await.outcome);
    assert_eq!(category, RejectCategory::Permission, "the manager never signed in on this tablet: {message}");

    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    for by in [manager.session.user.id, Uuid::now_v7()] {
        let charge =
            desk.insert(EntityKind::FolioPosting, Uuid::now_v7(), posting(by, id, &by.to_string(), "charge", 100));
        let (category, message) = refused(&desk.push_one(charge).await.outcome);
        assert_eq!(category, RejectCategory::Permission);
        assert!(message.contains("posted_by"), "a charge credited to someone else is refused: {message}");
    }

    // A shared desk: the manager signs in on the front desk's PC after the
    // receptionist; the receptionist's queued change still counts as theirs, with
    // their role.
    let signed_in = desk.sign_in("manager", crate::support::PASSWORD).await;
    assert_eq!(signed_in.status(), 200);
    let manager_on_desk: sync_core::protocol::SignedIn = signed_in.json().await.expect("session");
    let mut receptionist_change =
        desk.update(EntityKind::Guest, hotel.guest, 1, &[("phone", json!("+351 210 000 000"), json!("+351 1"))]);
    receptionist_change.user_id = desk.session.user.id;
    desk.session = manager_on_desk;
    let result = desk.push_one(receptionist_change).await;
    version_of(&result, "a receptionist's queued change pushed in the manager's session is taken as theirs");
    let history = manager.get(&format!("/v1/records/guest/{}/history", hotel.guest)).await;
    let history: Value = history.json().await.expect("history");
    let last = history["versions"].as_array().and_then(|v| v.last()).cloned().unwrap_or_default();
    assert_eq!(last["user_name"], json!("desk"), "the history names the receptionist who made it");
}

#[tokio::test]
async fn a_resolution_passes_the_same_gate_as_a_push() {
    let Scene { server: _server, mut manager, mut desk, hotel } = Scene::new().await;
    let mut desk2 = _server.device("P1", "desk2").await;
    // A data conflict on a guest's email, which the front desk may resolve.
    let first =
        desk.update(EntityKind::Guest, hotel.guest, 1, &[("email", json!("sarah@example.org"), json!("a@x.org"))]);
    version_of(&desk.push_one(first).await, "the first email change applies");
    let second =
        desk2.update(EntityKind::Guest, hotel.guest, 1, &[("email", json!("sarah@example.org"), json!("b@x.org"))]);
    let Outcome::Conflict { conflict, .. } = desk2.push_one(second).await.outcome else {
        panic!("two emails make a conflict");
    };
    let (code, body) =
        resolve(&desk2, conflict.id, json!({"choice": "custom", "values": {"last_name": "Forged"}})).await;
    assert_eq!(code, 200, "a receptionist edits a guest: {body}");

    // A room conflict the front desk resolves with custom values: renaming the room
    // is a manager's call, whatever path it takes.
    let a = manager.update(EntityKind::Room, hotel.rooms[1], 1, &[("cleaning", json!("clean"), json!("dirty"))]);
    version_of(&manager.push_one(a).await, "room 306 dirtied");
    let unknown_room = Uuid::now_v7();
    let orphan = desk.update(EntityKind::Room, unknown_room, 1, &[("cleaning", json!("dirty"), json!("clean"))]);
    let Outcome::Conflict { conflict: missing, .. } = desk.push_one(orphan).await.outcome else {
        panic!("an edit of an unknown room is a missing-entity conflict");
    };
    let (code, body) = resolve(&desk, missing.id, json!({"choice": "custom", "values": {"number": "999"}})).await;
    assert!(code == 403 || code == 409, "the front desk renames no room through a resolution: {code} {body}");

    // A manager moving a confirmed stay straight to checked out through a resolution.
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let clash = |device: &mut Device, phone: &str| {
        device.update(EntityKind::Reservation, id, 1, &[("rate_code", json!("BAR"), json!(phone))])
    };
    let one = clash(&mut desk, "CORP");
    version_of(&desk.push_one(one).await, "the rate code changes");
    let other = clash(&mut desk2, "GOV");
    let result = desk2.push_one(other).await;
    if let Outcome::Conflict { conflict, .. } = result.outcome {
        let (code, body) =
            resolve(&manager, conflict.id, json!({"choice": "custom", "values": {"status": "checked_out"}})).await;
        assert_eq!(code, 422, "confirmed cannot jump to checked out, however it is sent: {body}");
        assert!(body["message"].as_str().unwrap_or_default().contains("cannot move"), "{body}");
    }
    let pulled = manager.pull_all().await;
    let last = pulled.iter().rev().find(|c| c.record_id == id).expect("the stay");
    assert_eq!(last.record.as_ref().and_then(|r| r.get("status")), Some(&json!("confirmed")), "nothing was written");
}

#[tokio::test]
async fn a_double_booking_closes_only_once_the_room_holds_one_stay() {
    let Scene { server: _server, manager, mut desk, hotel } = Scene::new().await;
    let mut desk2 = _server.device("P1", "desk2").await;
    // Two desks book room 305 for the same nights, each unaware of the other.
    let first = Uuid::now_v7();
    let second = Uuid::now_v7();
    let a = desk.insert(
        EntityKind::Reservation,
        first,
        reservation_fields(&hotel, hotel.rooms[0], &day(0), &day(2), "T-AAA-0001"),
    );
    let b = desk2.insert(
        EntityKind::Reservation,
        second,
        reservation_fields(&hotel, hotel.rooms[0], &day(0), &day(2), "T-BBB-0001"),
    );
    version_of(&desk.push_one(a).await, "the first booking applies");
    let result = desk2.push_one(b).await;
    let Outcome::Conflict { conflict, .. } = &result.outcome else {
        panic!("the second booking of room 305 is a double booking: {result:?}");
    };
    assert!(matches!(conflict.rule, Some(RuleBreach::DoubleBooking { .. })), "{conflict:?}");

    let (code, body) = resolve(&manager, conflict.id, json!({"choice": "keep_server"})).await;
    assert_eq!(code, 422, "keeping things as they are leaves two stays in room 305: {body}");
    assert_eq!(body["code"], json!("rule_still_broken"), "{body}");
    assert!(body["message"].as_str().unwrap_or_default().contains("move this stay"), "it says what to do: {body}");
    let open: Vec<Conflict> = serde_json::from_value(
        manager.get("/v1/conflicts?status=open").await.json::<Value>().await.expect("list")["conflicts"].clone(),
    )
    .expect("conflicts");
    assert!(open.iter().any(|c| c.id == conflict.id), "the refused resolution leaves the conflict open");

    let (code, body) = resolve(&manager, conflict.id, json!({"choice": "move_stay", "room_id": hotel.rooms[2]})).await;
    assert_eq!(code, 200, "moving the second stay to free room 307 settles it: {body}");
    assert_eq!(body["record"]["room_id"], json!(hotel.rooms[2].to_string()));
}

#[tokio::test]
async fn a_restore_does_not_move_a_status_backwards() {
    let Scene { server: _server, manager, mut desk, hotel } = Scene::new().await;
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let check_in = desk.mutation(
        EntityKind::Reservation,
        id,
        Operation::Action(DomainAction::CheckIn),
        Some(1),
        &[("status", json!("confirmed"), json!("checked_in"))],
    );
    version_of(&desk.push_one(check_in).await, "checked in");
    let charge = desk.insert(
        EntityKind::FolioPosting,
        Uuid::now_v7(),
        posting(desk.session.user.id, id, "r-1", "charge", 5_000),
    );
    version_of(&desk.push_one(charge).await, "a charge on the folio");

    let response = manager.post(&format!("/v1/records/reservation/{id}/restore"), &json!({"version": 1})).await;
    assert_eq!(response.status(), 200);
    let restored: Value = response.json().await.expect("json");
    assert_eq!(restored["record"]["status"], json!("checked_in"), "the guest stays in house: a status is not restored");
    let pulled = manager.pull_all().await;
    let last = pulled.iter().rev().find(|c| c.record_id == id).expect("the stay");
    assert_eq!(last.record.as_ref().and_then(|r| r.get("status")), Some(&json!("checked_in")));
}

#[tokio::test]
async fn conflicts_are_scoped_by_property() {
    let server = Server::start().await;
    let mut p1 = server.device("P1", "manager").await;
    let mut p2 = server.device("P2", "boss").await;
    let hotel1 = seed_hotel(&mut p1).await;
    seed_hotel(&mut p2).await;
    // The same mutation id from a desk of each hotel, each raising a conflict.
    let shared = Uuid::now_v7();
    for device in [&mut p1, &mut p2] {
        let mut orphan =
            device.update(EntityKind::Guest, Uuid::now_v7(), 1, &[("phone", json!(null), json!("+351 1"))]);
        orphan.id = shared;
        let result = device.push_one(orphan).await;
        assert!(matches!(result.outcome, Outcome::Conflict { .. }), "a missing guest: {result:?}");
    }
    for device in [&p1, &p2] {
        let list: Value = device.get("/v1/conflicts").await.json().await.expect("list");
        assert_eq!(list["conflicts"].as_array().map(Vec::len), Some(1), "each hotel keeps its own conflict: {list}");
    }
    let _ = hotel1;
}

#[tokio::test]
async fn a_posting_key_another_desk_used_is_never_answered_as_stored() {
    let Scene { server, manager: _manager, mut desk, hotel } = Scene::new().await;
    let mut desk2 = server.device("P1", "desk2").await;
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let first =
        desk.insert(EntityKind::FolioPosting, Uuid::now_v7(), posting(desk.session.user.id, id, "k-7", "charge", 900));
    version_of(&desk.push_one(first).await, "the first posting");
    let other = desk2.insert(
        EntityKind::FolioPosting,
        Uuid::now_v7(),
        posting(desk2.session.user.id, id, "k-7", "charge", 5_000),
    );
    let (category, message) = refused(&desk2.push_one(other).await.outcome);
    assert_eq!(category, RejectCategory::Duplicate, "the desk learns its posting is not stored");
    assert!(message.contains("9.00 EUR"), "it is told what was stored under the key: {message}");
    let postings = desk2.pull_all().await.into_iter().filter(|c| c.entity == EntityKind::FolioPosting).count();
    assert_eq!(postings, 1, "one posting per key");
}

#[tokio::test]
async fn a_stored_answer_goes_only_to_the_desk_that_sent_the_change() {
    let Scene { server, manager: _manager, mut desk, hotel } = Scene::new().await;
    let mut desk2 = server.device("P1", "desk2").await;
    let house = server.device("P1", "house").await;
    let first =
        desk.update(EntityKind::Guest, hotel.guest, 1, &[("email", json!("sarah@example.org"), json!("a@x.org"))]);
    version_of(&desk.push_one(first).await, "applied");
    let clash =
        desk2.update(EntityKind::Guest, hotel.guest, 1, &[("email", json!("sarah@example.org"), json!("b@x.org"))]);
    let key = clash.idempotency_key.clone();
    let answered = desk2.push_one(clash).await;
    assert!(matches!(answered.outcome, Outcome::Conflict { .. }), "a conflict holding both emails");

    let mut house = house;
    let mut replay = house.update(EntityKind::Guest, hotel.guest, 1, &[("notes", json!([]), json!([]))]);
    replay.idempotency_key = key;
    let response = house.push_raw(&json!({"protocol": 1, "mutations": [replay]})).await;
    let text = response.text().await.expect("body");
    assert!(!text.contains("a@x.org") && !text.contains("b@x.org"), "no email reaches the housekeeping tablet: {text}");
    assert!(text.contains("another desk"), "the tablet is told the key is another desk's: {text}");
}

#[tokio::test]
async fn keys_and_notes_have_limits() {
    let Scene { server, manager: _manager, mut desk, hotel } = Scene::new().await;
    let stored_before = server.count("applied_mutations").await;
    let mut long_key =
        desk.update(EntityKind::Guest, hotel.guest, 1, &[("phone", json!("+351 210 000 000"), json!("1"))]);
    long_key.idempotency_key = "k".repeat(1 << 20);
    let response = desk.push_raw(&json!({"protocol": 1, "mutations": [long_key]})).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.expect("json");
    assert_eq!(body["results"][0]["result"], json!("rejected"), "a 1 MiB key is refused: {body}");
    assert_eq!(server.count("applied_mutations").await, stored_before, "and not stored for replays");

    let note = json!([{"id": Uuid::now_v7(), "at": "000001763900000000-00000-00000000-0000-0000-0000-000000000000",
                       "by": "x".repeat(1 << 20), "text": "hello"}]);
    let huge = desk.update(EntityKind::Guest, hotel.guest, 1, &[("notes", json!([]), note)]);
    let (category, _) = refused(&desk.push_one(huge).await.outcome);
    assert_eq!(category, RejectCategory::Validation, "a note signed with 1 MiB is refused");
}

#[tokio::test]
async fn a_resolution_body_with_an_unknown_field_is_refused() {
    let Scene { server: _server, mut manager, hotel, .. } = Scene::new().await;
    let orphan = manager.update(EntityKind::Guest, Uuid::now_v7(), 1, &[("phone", json!(null), json!("1"))]);
    let Outcome::Conflict { conflict, .. } = manager.push_one(orphan).await.outcome else {
        panic!("a missing guest");
    };
    let (code, body) = resolve(&manager, conflict.id, json!({"choice": "keep_server", "note": "x"})).await;
    assert!((400..500).contains(&code), "an unknown field is refused: {code} {body}");
    assert!(body["code"].is_string() && body["message"].is_string(), "as JSON {{code, message}}: {body}");
    let _ = hotel;
}
