//! Conflicts end to end: raised by concurrent edits and broken room rules, listed,
//! and resolved by a manager as a logged change.

use serde_json::{Value, json};
use sync_core::EntityKind;
use sync_core::conflict::{Conflict, ConflictKind, ConflictStatus};
use sync_core::invariants::RuleBreach;
use sync_core::protocol::{ChangeKind, Outcome};
use uuid::Uuid;

use crate::support::{Device, Scene, Server, reservation_fields, seed_hotel, version_of};

async fn open_conflicts(device: &Device) -> Vec<Conflict> {
    let response = device
        .http
        .get(device.url("/v1/conflicts?status=open"))
        .bearer_auth(device.token())
        .send()
        .await
        .expect("conflict list request");
    assert_eq!(response.status(), 200, "managers and the desk list conflicts");
    let body: Value = response.json().await.expect("conflict list body");
    serde_json::from_value(body["conflicts"].clone()).expect("a list of conflicts")
}

#[tokio::test]
async fn two_devices_change_one_email_and_the_second_gets_a_conflict_with_both_values() {
    let server = Server::start().await;
    let mut manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let mut desk2 = server.device("P1", "desk2").await;
    let hotel = seed_hotel(&mut manager).await;
    let base = json!("sarah@example.org");

    let first = desk.update(EntityKind::Guest, hotel.guest, 1, &[("email", base.clone(), json!("sarah@work.example"))]);
    version_of(&desk.push_one(first).await, "the first edit of the email applies");
    let second = desk2.update(EntityKind::Guest, hotel.guest, 1, &[("email", base, json!("s.johnson@home.example"))]);
    let result = desk2.push_one(second).await;
    let Outcome::Conflict { conflict, .. } = &result.outcome else {
        panic!("email is a manual field: a second edit from the same base is a conflict, got {:?}", result.outcome);
    };
    assert_eq!(conflict.kind, ConflictKind::Data, "both sides changed one field");
    let clash = conflict.fields.iter().find(|f| f.field == "email").expect("the email is the contested field");
    assert_eq!(clash.device, json!("s.johnson@home.example"), "the conflict keeps the second device's value");
    assert_eq!(clash.server, json!("sarah@work.example"), "and the value the server holds");

    let open = open_conflicts(&manager).await;
    assert_eq!(open.iter().map(|c| c.id).collect::<Vec<_>>(), vec![conflict.id], "the conflict is listed as open");

    let response = manager
        .http
        .post(manager.url(&format!("/v1/conflicts/{}/resolve", conflict.id)))
        .bearer_auth(manager.token())
        .json(&json!({"choice": "keep_device"}))
        .send()
        .await
        .expect("resolve request");
    assert_eq!(response.status(), 200, "a manager resolves the conflict");
    let resolved: Value = response.json().await.expect("resolution body");
    assert_eq!(resolved["version"], json!(3), "the resolution is a new version of the guest");
    assert_eq!(resolved["record"]["email"], json!("s.johnson@home.example"), "keep_device writes the device's value");
    assert!(open_conflicts(&manager).await.is_empty(), "a resolved conflict is no longer open");

    let changes = desk.pull_all().await;
    let last = changes.iter().rev().find(|c| c.record_id == hotel.guest).expect("the guest's changes");
    assert_eq!(last.version, 3, "every device receives the resolution as a change");
    assert_ne!(last.mutation_id, Some(conflict.mutation_id), "the resolution is a change of its own, not the desk's");
    assert_eq!(last.user_id, manager.session.user.id, "the log names the manager who resolved it");

    let again = desk
        .http
        .post(desk.url(&format!("/v1/conflicts/{}/resolve", conflict.id)))
        .bearer_auth(desk.token())
        .json(&json!({"choice": "keep_server"}))
        .send()
        .await
        .expect("resolve request");
    assert_eq!(again.status(), 409, "a resolved conflict cannot be resolved again");
}

#[tokio::test]
async fn a_double_booking_by_two_devices_keeps_both_stays_and_lists_the_free_rooms() {
    let server = Server::start().await;
    let mut manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let mut desk2 = server.device("P1", "desk2").await;
    let hotel = seed_hotel(&mut manager).await;
    let room_305 = hotel.rooms[0];
    let (first, second) = (Uuid::now_v7(), Uuid::now_v7());

    let a = desk.insert(
        EntityKind::Reservation,
        first,
        reservation_fields(&hotel, room_305, "2026-12-20", "2026-12-23", "T-AAA-0001"),
    );
    version_of(&desk.push_one(a).await, "the first stay in 305 is fine");
    let b = desk2.insert(
        EntityKind::Reservation,
        second,
        reservation_fields(&hotel, room_305, "2026-12-22", "2026-12-25", "T-BBB-0001"),
    );
    let result = desk2.push_one(b).await;
    let Outcome::Conflict { conflict, version, .. } = &result.outcome else {
        panic!("the second stay in 305 on the 22nd is a double booking, got {:?}", result.outcome);
    };
    assert_eq!(conflict.kind, ConflictKind::BusinessRule, "a double booking breaks invariant 1");
    assert_eq!(*version, Some(1), "the stay is still written: nothing is dropped");
    let Some(RuleBreach::DoubleBooking { with, free_rooms, .. }) = &conflict.rule else {
        panic!("the rule names the double booking, got {:?}", conflict.rule);
    };
    assert_eq!(with, &vec![first], "it clashes with the first stay");
    let free: Vec<Uuid> = free_rooms.iter().map(|r| r.room_id).collect();
    assert_eq!(free, vec![hotel.rooms[1], hotel.rooms[2]], "306 and 307 are free for those nights");

    let stored: Vec<Uuid> =
        manager.pull_all().await.iter().filter(|c| c.entity == EntityKind::Reservation).map(|c| c.record_id).collect();
    assert_eq!(stored, vec![first, second], "both reservations are stored and synced");

    let response = manager
        .http
        .get(manager.url(&format!("/v1/conflicts/{}", conflict.id)))
        .bearer_auth(manager.token())
        .send()
        .await
        .expect("conflict request");
    assert_eq!(response.status(), 200, "the conflict can be read by id");
    let read: Conflict = response.json().await.expect("conflict body");
    assert_eq!(read.status, ConflictStatus::Open, "it waits for a decision");

    let refused = desk
        .http
        .post(desk.url(&format!("/v1/conflicts/{}/resolve", conflict.id)))
        .bearer_auth(desk.token())
        .json(&json!({"choice": "move_stay", "room_id": hotel.rooms[2]}))
        .send()
        .await
        .expect("resolve request");
    assert_eq!(refused.status(), 403, "a broken hotel rule waits for a manager, not the front desk");

    let response = manager
        .http
        .post(manager.url(&format!("/v1/conflicts/{}/resolve", conflict.id)))
        .bearer_auth(manager.token())
        .json(&json!({"choice": "move_stay", "room_id": hotel.rooms[2]}))
        .send()
        .await
        .expect("resolve request");
    assert_eq!(response.status(), 200, "moving the stay to a free room resolves the double booking");
    let resolved: Value = response.json().await.expect("resolution body");
    assert_eq!(resolved["record"]["room_id"], json!(hotel.rooms[2].to_string()), "the stay moved to 307");
}

async fn resolve(device: &Device, conflict: Uuid, choice: Value) -> reqwest::Response {
    device.post(&format!("/v1/conflicts/{conflict}/resolve"), &choice).await
}

fn conflict_of(outcome: &Outcome, kind: ConflictKind) -> Conflict {
    match outcome {
        Outcome::Conflict { conflict, .. } => {
            assert_eq!(conflict.kind, kind, "the conflict's kind");
            (**conflict).clone()
        }
        other => panic!("expected a {kind:?} conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn an_edit_of_a_deleted_record_is_a_delete_update_conflict_a_manager_settles() {
    let Scene { server, mut manager, mut desk, hotel } = Scene::new().await;
    let delete = manager.mutation(EntityKind::Guest, hotel.guest, sync_core::Operation::Delete, Some(1), &[]);
    version_of(&manager.push_one(delete).await, "the manager deletes the guest");
    let edit = desk.update(EntityKind::Guest, hotel.guest, 1, &[("last_name", json!("Johnson"), json!("Smith"))]);
    let conflict = conflict_of(&desk.push_one(edit).await.outcome, ConflictKind::DeleteUpdate);
    assert!(open_conflicts(&manager).await.iter().any(|c| c.id == conflict.id), "it is listed");
    let response = resolve(&manager, conflict.id, json!({"choice": "keep_server"})).await;
    assert_eq!(response.status(), 200, "keeping the deletion settles it");
    assert!(open_conflicts(&manager).await.is_empty(), "nothing left open");

    // Deleted by mistake: a second desk's edit is kept, and the guest comes back.
    let mut desk2 = server.device("P1", "desk2").await;
    let edit = desk2.update(
        EntityKind::Guest,
        hotel.guest,
        1,
        &[("phone", json!("+351 210 000 000"), json!("+351 21 000 0000"))],
    );
    let conflict = conflict_of(&desk2.push_one(edit).await.outcome, ConflictKind::DeleteUpdate);
    let response = resolve(&manager, conflict.id, json!({"choice": "keep_device"})).await;
    assert_eq!(response.status(), 200, "keeping the desk's edit brings the guest back");
    let resolved: Value = response.json().await.expect("json");
    assert_eq!(resolved["record"]["phone"], json!("+351 21 000 0000"), "with the edit");
    assert_eq!(resolved["record"]["last_name"], json!("Johnson"), "and the rest of the guest as it was");
    let last = manager.pull_all().await.into_iter().rev().find(|c| c.record_id == hotel.guest).expect("the guest");
    assert_eq!(last.kind, ChangeKind::Upsert, "every device gets the guest back");
}

#[tokio::test]
async fn an_edit_of_a_record_the_server_never_had_is_a_missing_entity_conflict() {
    let server = Server::start().await;
    let manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let ghost = Uuid::now_v7();
    let edit = desk.update(EntityKind::Guest, ghost, 3, &[("last_name", json!("A"), json!("B"))]);
    let conflict = conflict_of(&desk.push_one(edit).await.outcome, ConflictKind::MissingEntity);
    assert_eq!(server.count("records").await, 0, "nothing is invented");
    let response = resolve(&manager, conflict.id, json!({"choice": "keep_server"})).await;
    assert_eq!(response.status(), 200, "discarding the change settles it");
    let read: Conflict = manager.get(&format!("/v1/conflicts/{}", conflict.id)).await.json().await.expect("json");
    assert_eq!(read.status, ConflictStatus::Resolved);
}

#[tokio::test]
async fn a_record_whose_parent_is_missing_waits_and_is_released_when_the_parent_arrives() {
    let Scene { server, manager, mut desk, hotel } = Scene::new().await;
    let new_guest = Uuid::now_v7();
    let mut fields = reservation_fields(&hotel, hotel.rooms[0], "2026-12-20", "2026-12-22", "T-AAA-0007");
    fields["guest_id"] = json!(new_guest);
    let stay = desk.insert(EntityKind::Reservation, Uuid::now_v7(), fields);
    let conflict = conflict_of(&desk.push_one(stay.clone()).await.outcome, ConflictKind::Dependency);
    assert!(conflict.auto_resolvable, "a dependency settles itself");
    assert_eq!(server.count("records").await, 5, "the stay waits: only the seeded records are stored");
    assert!(open_conflicts(&manager).await.iter().any(|c| c.id == conflict.id), "the wait is visible");

    let guest =
        desk.insert(EntityKind::Guest, new_guest, crate::support::guest_fields("New", "Guest", "n@example.org"));
    version_of(&desk.push_one(guest).await, "the parent arrives");
    version_of(&desk.push_one(stay).await, "the device's retry of the stay now applies");
    assert!(
        !open_conflicts(&manager).await.iter().any(|c| c.id == conflict.id),
        "the dependency conflict was released with it"
    );
}

#[tokio::test]
async fn a_business_rule_conflict_can_be_settled_with_custom_values() {
    let Scene { server: _server, manager, mut desk, hotel } = Scene::new().await;
    let a = desk.insert(
        EntityKind::Reservation,
        Uuid::now_v7(),
        reservation_fields(&hotel, hotel.rooms[0], "2026-12-20", "2026-12-23", "T-AAA-0001"),
    );
    version_of(&desk.push_one(a).await, "first stay");
    let b_id = Uuid::now_v7();
    let b = desk.insert(
        EntityKind::Reservation,
        b_id,
        reservation_fields(&hotel, hotel.rooms[0], "2026-12-21", "2026-12-22", "T-AAA-0002"),
    );
    let conflict = conflict_of(&desk.push_one(b).await.outcome, ConflictKind::BusinessRule);
    let response =
        resolve(&manager, conflict.id, json!({"choice": "custom", "values": {"room_id": hotel.rooms[1]}})).await;
    assert_eq!(response.status(), 200, "a manager types the fix");
    let resolved: Value = response.json().await.expect("json");
    assert_eq!(resolved["record"]["room_id"], json!(hotel.rooms[1].to_string()));
}
