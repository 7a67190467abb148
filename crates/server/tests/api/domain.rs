//! Domain actions checked on the server: check-in and check-out preconditions,
//! occupancy, and folio postings (reversals, one posting per idempotency key).
//! A breach is a business-rule conflict while the record is still written: the
//! guest did check in, offline, and nothing is dropped.

use chrono::Utc;
use serde_json::{Value, json};
use sync_core::EntityKind;
use sync_core::invariants::RuleBreach;
use sync_core::protocol::{DomainAction, Operation, Outcome, RejectCategory};
use uuid::Uuid;

use crate::support::{Device, Hotel, Scene, Server, reservation_fields, seed_hotel, version_of};

fn today() -> chrono::NaiveDate {
    frontdesk_server::push::property_today("Europe/Lisbon", Utc::now())
}

fn day(offset: i64) -> String {
    (today() + chrono::Duration::days(offset)).to_string()
}

/// A confirmed stay in `room` from `arrival` (days from today) for two nights.
async fn stay(desk: &mut Device, hotel: &Hotel, room: Uuid, arrival: i64) -> Uuid {
    let id = Uuid::now_v7();
    let fields = reservation_fields(hotel, room, &day(arrival), &day(arrival + 2), &format!("T-AAA-{}", arrival + 10));
    let insert = desk.insert(EntityKind::Reservation, id, fields);
    version_of(&desk.push_one(insert).await, "the stay is booked");
    id
}

/// A stay's move by a domain action, from the version `base` the device saw.
fn status_move(
    desk: &mut Device,
    id: Uuid,
    action: DomainAction,
    base: u64,
    from: &str,
    to: &str,
) -> sync_core::Mutation {
    desk.mutation(
        EntityKind::Reservation,
        id,
        Operation::Action(action),
        Some(base),
        &[("status", json!(from), json!(to))],
    )
}

fn check_in(desk: &mut Device, id: Uuid, base: u64) -> sync_core::Mutation {
    status_move(desk, id, DomainAction::CheckIn, base, "confirmed", "checked_in")
}

fn breach_of(outcome: &Outcome) -> (&RuleBreach, Option<u64>) {
    match outcome {
        Outcome::Conflict { conflict, version, .. } => {
            assert_eq!(conflict.kind, sync_core::ConflictKind::BusinessRule, "a broken rule: {conflict:?}");
            (conflict.rule.as_ref().expect("the conflict names the rule"), *version)
        }
        other => panic!("expected a business-rule conflict, got {other:?}"),
    }
}

fn posting(desk: &Device, stay: Uuid, key: &str, kind: &str, amount: i64, reverses: Option<Uuid>) -> Value {
    json!({"reservation_id": stay, "window": 1, "kind": kind, "idempotency_key": key, "amount_minor": amount,
           "currency": "EUR", "code": "ROOM", "description": "Room night", "quantity": 1,
           "method": if kind == "payment" { json!("card") } else { Value::Null },
           "reverses": reverses, "reason": reverses.map(|_| "wrong rate"),
           "posted_by": desk.session.user.id, "posted_at": "000001763900000000-00000-00000000-0000-0000-0000-000000000000"})
}

#[tokio::test]
async fn a_check_in_to_a_dirty_room_before_the_arrival_is_kept_and_flagged() {
    let Scene { server: _server, mut manager, mut desk, hotel } = Scene::new().await;
    let dirty = manager.update(EntityKind::Room, hotel.rooms[0], 1, &[("cleaning", json!("clean"), json!("dirty"))]);
    version_of(&manager.push_one(dirty).await, "room 305 is dirty");
    let early = stay(&mut desk, &hotel, hotel.rooms[0], 2).await;

    let mutation = check_in(&mut desk, early, 1);
    let result = desk.push_one(mutation).await;
    let (breach, version) = breach_of(&result.outcome);
    assert_eq!(version, Some(2), "the check-in is written anyway: the guest is in the room");
    let RuleBreach::CheckInPrecondition { problems } = breach else {
        panic!("a check-in precondition, got {breach:?}");
    };
    assert!(problems.iter().any(|p| p.contains("after today")), "the arrival is in two days: {problems:?}");
    assert!(problems.iter().any(|p| p.contains("not clean")), "the room is dirty: {problems:?}");
    let pulled = manager.pull_all().await;
    let last = pulled.iter().rev().find(|c| c.record_id == early).expect("the stay's changes");
    assert_eq!(last.record.as_ref().and_then(|r| r.get("status")), Some(&json!("checked_in")), "every device sees it");

    let ready = stay(&mut desk, &hotel, hotel.rooms[1], 0).await;
    let mutation = check_in(&mut desk, ready, 1);
    let result = desk.push_one(mutation).await;
    assert_eq!(version_of(&result, "a check-in today to a clean vacant room applies"), 2);
    let occupied =
        desk.update(EntityKind::Room, hotel.rooms[1], 1, &[("occupancy", json!("vacant"), json!("occupied"))]);
    version_of(&desk.push_one(occupied).await, "the room with its one in-house stay is occupied: consistent");
    let wrong = desk.update(EntityKind::Room, hotel.rooms[2], 1, &[("occupancy", json!("vacant"), json!("occupied"))]);
    let result = desk.push_one(wrong).await;
    let (breach, version) = breach_of(&result.outcome);
    assert!(matches!(breach, RuleBreach::OccupancyMismatch { .. }), "307 has nobody in house: {breach:?}");
    assert_eq!(version, Some(2), "the room status is still written");
}

#[tokio::test]
async fn a_check_out_with_money_owed_is_kept_and_flagged_and_a_settled_one_applies() {
    let Scene { server: _server, manager: _manager, mut desk, hotel } = Scene::new().await;
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let mutation = check_in(&mut desk, id, 1);
    version_of(&desk.push_one(mutation).await, "checked in");
    let charge = posting(&desk, id, "charge-1", "charge", 12_000, None);
    let charge = desk.insert(EntityKind::FolioPosting, Uuid::now_v7(), charge);
    version_of(&desk.push_one(charge).await, "a room night is charged");

    let check_out = |desk: &mut Device| status_move(desk, id, DomainAction::CheckOut, 2, "checked_in", "checked_out");
    let mutation = check_out(&mut desk);
    let result = desk.push_one(mutation).await;
    let (breach, version) = breach_of(&result.outcome);
    let RuleBreach::CheckOutWithBalance { balance } = breach else {
        panic!("a balance breach, got {breach:?}");
    };
    assert_eq!(balance.get("EUR"), Some(&12_000), "120.00 EUR are owed");
    assert_eq!(version, Some(3), "the guest left: the check-out is written anyway");

    let other = stay(&mut desk, &hotel, hotel.rooms[1], 0).await;
    let mutation = check_in(&mut desk, other, 1);
    version_of(&desk.push_one(mutation).await, "checked in");
    let charge =
        desk.insert(EntityKind::FolioPosting, Uuid::now_v7(), posting(&desk, other, "c2", "charge", 5000, None));
    let pay = desk.insert(EntityKind::FolioPosting, Uuid::now_v7(), posting(&desk, other, "p2", "payment", 5000, None));
    for result in desk.push(&[charge, pay]).await.results {
        version_of(&result, "charge and payment post");
    }
    let settled = status_move(&mut desk, other, DomainAction::CheckOut, 2, "checked_in", "checked_out");
    assert_eq!(version_of(&desk.push_one(settled).await, "a settled folio checks out"), 3);
}

#[tokio::test]
async fn one_idempotency_key_is_one_posting_whatever_the_devices() {
    let server = Server::start().await;
    let mut manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let mut desk2 = server.device("P1", "desk2").await;
    let hotel = seed_hotel(&mut manager).await;
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let first =
        desk.insert(EntityKind::FolioPosting, Uuid::now_v7(), posting(&desk, id, "minibar-7", "charge", 900, None));
    let again =
        desk2.insert(EntityKind::FolioPosting, Uuid::now_v7(), posting(&desk2, id, "minibar-7", "charge", 900, None));
    version_of(&desk.push_one(first).await, "the first posting applies");
    let result = desk2.push_one(again).await;
    match &result.outcome {
        Outcome::Rejected { category: RejectCategory::Duplicate, message } => {
            assert!(message.contains("made already on another desk"), "the second desk is told why: {message}");
        }
        other => panic!("a posting not stored is never answered as stored: {other:?}"),
    }
    let postings: Vec<_> =
        manager.pull_all().await.into_iter().filter(|c| c.entity == EntityKind::FolioPosting).collect();
    assert_eq!(postings.len(), 1, "the charge is stored once");
}

#[tokio::test]
async fn a_correction_reverses_a_posting_of_the_same_stay_by_no_more_than_it() {
    let Scene { server: _server, manager, mut desk, hotel } = Scene::new().await;
    let first = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let second = stay(&mut desk, &hotel, hotel.rooms[1], 0).await;
    let charge = Uuid::now_v7();
    let insert = desk.insert(EntityKind::FolioPosting, charge, posting(&desk, first, "k1", "charge", 10_000, None));
    version_of(&desk.push_one(insert).await, "the charge posts");

    let cases = [
        (posting(&desk, second, "k2", "charge", -1000, Some(charge)), "another stay's posting"),
        (posting(&desk, first, "k3", "charge", -20_000, Some(charge)), "more than the posting"),
    ];
    for (fields, why) in cases {
        let insert = desk.insert(EntityKind::FolioPosting, Uuid::now_v7(), fields);
        let result = desk.push_one(insert).await;
        match &result.outcome {
            Outcome::Rejected { category, .. } => assert_eq!(*category, RejectCategory::Validation, "{why}"),
            other => panic!("a correction of {why} is refused, got {other:?}"),
        }
    }
    let fine = desk.insert(
        EntityKind::FolioPosting,
        Uuid::now_v7(),
        posting(&desk, first, "k4", "charge", -4000, Some(charge)),
    );
    version_of(&desk.push_one(fine).await, "a partial correction applies");
    // A second desk, which had not seen the first correction, takes back 70.00: the
    // money may really have moved twice, so it is kept and a manager settles it.
    let rest_id = Uuid::now_v7();
    let rest =
        desk.insert(EntityKind::FolioPosting, rest_id, posting(&desk, first, "k5", "charge", -7000, Some(charge)));
    let result = desk.push_one(rest).await;
    let (breach, version) = breach_of(&result.outcome);
    assert_eq!(version, Some(1), "the correction is stored, never dropped");
    let RuleBreach::PostingOverCorrected { reverses, left_minor, correction_minor, currency } = breach else {
        panic!("an over-correction, got {breach:?}");
    };
    assert_eq!((*reverses, *left_minor, *correction_minor, currency.as_str()), (charge, 6000, -7000, "EUR"));
    let stored: Vec<_> = manager
        .pull_all()
        .await
        .into_iter()
        .filter(|c| c.entity == EntityKind::FolioPosting && c.record_id == rest_id)
        .collect();
    assert_eq!(stored.len(), 1, "every device receives the second correction");
}

#[tokio::test]
async fn a_posting_after_check_out_is_kept_and_the_closed_folio_flagged() {
    let Scene { server: _server, manager: _manager, mut desk, hotel } = Scene::new().await;
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let mutation = check_in(&mut desk, id, 1);
    version_of(&desk.push_one(mutation).await, "checked in");
    let out = status_move(&mut desk, id, DomainAction::CheckOut, 2, "checked_in", "checked_out");
    version_of(&desk.push_one(out).await, "a zero folio checks out");
    // The office charged the minibar offline before the check-out reached it.
    let late = desk.insert(EntityKind::FolioPosting, Uuid::now_v7(), posting(&desk, id, "bar", "charge", 1450, None));
    let result = desk.push_one(late).await;
    let (breach, version) = breach_of(&result.outcome);
    assert_eq!(version, Some(1), "the charge is stored: charges are never lost");
    let RuleBreach::PostingOnClosedFolio { reservation_id, balance } = breach else {
        panic!("a closed-folio breach, got {breach:?}");
    };
    assert_eq!((*reservation_id, balance.get("EUR")), (id, Some(&1450)), "14.50 EUR now owed on the closed stay");
    let settle =
        desk.insert(EntityKind::FolioPosting, Uuid::now_v7(), posting(&desk, id, "pay", "payment", 1450, None));
    version_of(&desk.push_one(settle).await, "a payment that settles the closed folio raises nothing");
}

#[tokio::test]
async fn a_room_assigned_to_a_stay_checked_in_meanwhile_is_a_conflict_and_not_applied() {
    let Scene { server, manager, mut desk, hotel } = Scene::new().await;
    let mut office = server.device("P1", "desk2").await;
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let mutation = check_in(&mut desk, id, 1);
    version_of(&desk.push_one(mutation).await, "checked in to 305");
    // The office, still seeing a confirmed stay, gives it room 306.
    let reassign = office.update(
        EntityKind::Reservation,
        id,
        1,
        &[("room_id", json!(hotel.rooms[0].to_string()), json!(hotel.rooms[1].to_string()))],
    );
    let result = office.push_one(reassign).await;
    let (breach, version) = breach_of(&result.outcome);
    assert_eq!(version, None, "the guest stays where they are until a person decides");
    assert_eq!(
        breach,
        &RuleBreach::InHouseRoomChange { guest_room: Some("305".into()), stay_room: Some("306".into()) }
    );
    let last = manager.pull_all().await.into_iter().rev().find(|c| c.record_id == id).expect("the stay");
    assert_eq!(last.record.as_ref().and_then(|r| r.get("room_id")), Some(&json!(hotel.rooms[0].to_string())));
}

#[tokio::test]
async fn a_check_in_to_the_room_a_stay_had_before_it_was_reassigned_is_flagged() {
    let Scene { server, manager: _manager, mut desk, hotel } = Scene::new().await;
    let mut office = server.device("P1", "desk2").await;
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let reassign = office.update(
        EntityKind::Reservation,
        id,
        1,
        &[("room_id", json!(hotel.rooms[0].to_string()), json!(hotel.rooms[1].to_string()))],
    );
    version_of(&office.push_one(reassign).await, "the office moves the booking to 306");
    // The desk, not having seen it, checks the guest in to 305 (its copy at version 1).
    let mutation = check_in(&mut desk, id, 1);
    let result = desk.push_one(mutation).await;
    let (breach, version) = breach_of(&result.outcome);
    assert_eq!(version, Some(3), "the check-in is written: the guest is in");
    assert_eq!(
        breach,
        &RuleBreach::InHouseRoomChange { guest_room: Some("305".into()), stay_room: Some("306".into()) }
    );
}

#[tokio::test]
async fn a_room_blocked_under_a_booked_stay_is_written_and_flagged() {
    let server = Server::start().await;
    let mut manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let mut housekeeping = server.device("P1", "house").await;
    let hotel = seed_hotel(&mut manager).await;
    let booked = stay(&mut desk, &hotel, hotel.rooms[0], 3).await;
    let block = |device: &mut Device, room: Uuid, from: i64, until: i64| {
        device.update(
            EntityKind::Room,
            room,
            1,
            &[
                ("availability", json!("available"), json!("out_of_service")),
                ("blocked_from", json!(null), json!(day(from))),
                ("blocked_until", json!(null), json!(day(until))),
            ],
        )
    };
    let before = block(&mut housekeeping, hotel.rooms[0], 0, 2);
    version_of(&housekeeping.push_one(before).await, "a block that ends before the stay arrives is fine");
    let under = block(&mut housekeeping, hotel.rooms[1], 0, 9);
    version_of(&housekeeping.push_one(under).await, "306 has no stay");
    let clash =
        housekeeping.update(EntityKind::Room, hotel.rooms[0], 2, &[("blocked_until", json!(day(2)), json!(day(5)))]);
    let result = housekeeping.push_one(clash).await;
    let (breach, version) = breach_of(&result.outcome);
    assert_eq!(version, Some(3), "the block is written: the room really is out of service");
    let RuleBreach::RoomUnavailable { room_number, free_rooms, .. } = breach else {
        panic!("a blocked-room breach, got {breach:?}");
    };
    assert_eq!(room_number, "305");
    assert_eq!(
        free_rooms.iter().map(|r| r.number.as_str()).collect::<Vec<_>>(),
        ["307"],
        "306 is blocked too: 307 is the room to move the stay {booked} to"
    );
}

#[tokio::test]
async fn a_stay_booked_offline_gets_the_propertys_own_confirmation_number() {
    let Scene { server: _server, manager: _manager, mut desk, hotel } = Scene::new().await;
    let year = today().format("%Y").to_string();
    let mut numbers = Vec::new();
    for (n, room) in hotel.rooms.iter().enumerate() {
        let provisional = format!("T-AAA-{:04}", n + 1);
        let fields = reservation_fields(&hotel, *room, &day(0), &day(2), &provisional);
        let insert = desk.insert(EntityKind::Reservation, Uuid::now_v7(), fields);
        let replay = insert.clone();
        let result = desk.push_one(insert).await;
        let Outcome::Merged { record, .. } = &result.outcome else {
            panic!("the device must learn the new number, got {:?}", result.outcome);
        };
        assert_eq!(record.get("provisional_confirmation"), Some(&json!(provisional)), "the old number is kept");
        let number = record.get("confirmation").and_then(Value::as_str).expect("a number").to_owned();
        assert_eq!(desk.push_one(replay).await.outcome, result.outcome, "a replay gets the same number");
        numbers.push(number);
    }
    assert_eq!(numbers, [1, 2, 3].map(|n| format!("H-{year}-{n:04}")), "the property's sequence, in order");
    let official = reservation_fields(&hotel, hotel.rooms[0], &day(5), &day(6), &format!("H-{year}-0042"));
    let insert = desk.insert(EntityKind::Reservation, Uuid::now_v7(), official);
    assert!(matches!(desk.push_one(insert).await.outcome, Outcome::Applied { .. }), "an official number is kept");
}

#[tokio::test]
async fn a_check_in_undone_and_a_check_out_reinstated_are_taken_as_guarded_reversals() {
    let Scene { server: _server, manager, mut desk, hotel } = Scene::new().await;
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let mutation = check_in(&mut desk, id, 1);
    version_of(&desk.push_one(mutation).await, "checked in");
    let undo = status_move(&mut desk, id, DomainAction::UndoCheckIn, 2, "checked_in", "confirmed");
    assert_eq!(version_of(&desk.push_one(undo).await, "the undo applies"), 3);
    let again = check_in(&mut desk, id, 3);
    version_of(&desk.push_one(again).await, "checked in again");
    let out = status_move(&mut desk, id, DomainAction::CheckOut, 4, "checked_in", "checked_out");
    version_of(&desk.push_one(out).await, "checked out");
    let reinstate = status_move(&mut desk, id, DomainAction::ReinstateCheckOut, 5, "checked_out", "checked_in");
    assert_eq!(version_of(&desk.push_one(reinstate).await, "the reinstatement applies"), 6);
    let last = manager.pull_all().await.into_iter().rev().find(|c| c.record_id == id).expect("the stay");
    assert_eq!(last.record.as_ref().and_then(|r| r.get("status")), Some(&json!("checked_in")));
}

#[tokio::test]
async fn a_check_in_undone_after_another_desk_posted_to_the_folio_is_kept_and_flagged() {
    let Scene { server, manager: _manager, mut desk, hotel } = Scene::new().await;
    let mut office = server.device("P1", "desk2").await;
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let mutation = check_in(&mut desk, id, 1);
    version_of(&desk.push_one(mutation).await, "checked in");
    // The office charges the minibar; the desk, which has not seen the charge, undoes
    // the check-in with what it believes is an empty folio.
    let charge =
        office.insert(EntityKind::FolioPosting, Uuid::now_v7(), posting(&office, id, "bar", "charge", 1704, None));
    version_of(&office.push_one(charge).await, "the charge is posted");
    let undo = status_move(&mut desk, id, DomainAction::UndoCheckIn, 2, "checked_in", "confirmed");
    let result = desk.push_one(undo).await;
    let (breach, version) = breach_of(&result.outcome);
    assert_eq!(version, Some(3), "the undo is written: nothing the desk did is dropped");
    let RuleBreach::UndoneWithBalance { balance } = breach else {
        panic!("an undo over an unbalanced folio, got {breach:?}");
    };
    assert_eq!(balance.get("EUR"), Some(&1704), "17.04 EUR is on the folio of a stay no longer in house");
}

#[tokio::test]
async fn a_check_out_reinstated_after_the_next_guest_moved_in_is_kept_and_flagged() {
    let Scene { server, manager: _manager, mut desk, hotel } = Scene::new().await;
    let mut office = server.device("P1", "desk2").await;
    // A guest who arrived two days ago leaves today.
    let leaving = stay(&mut desk, &hotel, hotel.rooms[0], -2).await;
    let mutation = check_in(&mut desk, leaving, 1);
    version_of(&desk.push_one(mutation).await, "checked in");
    let out = status_move(&mut desk, leaving, DomainAction::CheckOut, 2, "checked_in", "checked_out");
    version_of(&desk.push_one(out).await, "checked out");
    // The office checks today's arrival into the room; the desk, which has not seen
    // it, reinstates the guest who left.
    let next = stay(&mut office, &hotel, hotel.rooms[0], 0).await;
    let mutation = check_in(&mut office, next, 1);
    version_of(&office.push_one(mutation).await, "the next guest checks in");
    let reinstate = status_move(&mut desk, leaving, DomainAction::ReinstateCheckOut, 3, "checked_out", "checked_in");
    let result = desk.push_one(reinstate).await;
    let (breach, version) = breach_of(&result.outcome);
    assert_eq!(version, Some(4), "the reinstatement is written: the guest may really be back in the room");
    let RuleBreach::OccupancyMismatch { room_id, in_house, .. } = breach else {
        panic!("two guests in one room, got {breach:?}");
    };
    assert_eq!(*room_id, hotel.rooms[0]);
    let mut in_house = in_house.clone();
    in_house.sort();
    let mut both = vec![leaving, next];
    both.sort();
    assert_eq!(in_house, both, "the conflict names both guests in the room");
}
