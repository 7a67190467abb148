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

use crate::support::{Device, Hotel, Server, reservation_fields, seed_hotel, version_of};

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

fn check_in(desk: &mut Device, id: Uuid, base: u64) -> sync_core::Mutation {
    desk.mutation(
        EntityKind::Reservation,
        id,
        Operation::Action(DomainAction::CheckIn),
        Some(base),
        &[("status", json!("confirmed"), json!("checked_in"))],
    )
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
    let server = Server::start().await;
    let mut manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let hotel = seed_hotel(&mut manager).await;
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
    let server = Server::start().await;
    let mut manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let hotel = seed_hotel(&mut manager).await;
    let id = stay(&mut desk, &hotel, hotel.rooms[0], 0).await;
    let mutation = check_in(&mut desk, id, 1);
    version_of(&desk.push_one(mutation).await, "checked in");
    let charge = posting(&desk, id, "charge-1", "charge", 12_000, None);
    let charge = desk.insert(EntityKind::FolioPosting, Uuid::now_v7(), charge);
    version_of(&desk.push_one(charge).await, "a room night is charged");

    let check_out = |desk: &mut Device| {
        desk.mutation(
            EntityKind::Reservation,
            id,
            Operation::Action(DomainAction::CheckOut),
            Some(2),
            &[("status", json!("checked_in"), json!("checked_out"))],
        )
    };
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
    let settled = desk.mutation(
        EntityKind::Reservation,
        other,
        Operation::Action(DomainAction::CheckOut),
        Some(2),
        &[("status", json!("checked_in"), json!("checked_out"))],
    );
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
        desk2.insert(EntityKind::FolioPosting, Uuid::now_v7(), posting(&desk, id, "minibar-7", "charge", 900, None));
    let version = version_of(&desk.push_one(first).await, "the first posting applies");
    let result = desk2.push_one(again).await;
    assert_eq!(result.outcome, Outcome::Applied { version }, "the same key is answered as the posting already stored");
    let postings: Vec<_> =
        manager.pull_all().await.into_iter().filter(|c| c.entity == EntityKind::FolioPosting).collect();
    assert_eq!(postings.len(), 1, "the charge is stored once");
}

#[tokio::test]
async fn a_correction_reverses_a_posting_of_the_same_stay_by_no_more_than_it() {
    let server = Server::start().await;
    let mut manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let hotel = seed_hotel(&mut manager).await;
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
    let rest = desk.insert(
        EntityKind::FolioPosting,
        Uuid::now_v7(),
        posting(&desk, first, "k5", "charge", -7000, Some(charge)),
    );
    assert!(
        matches!(desk.push_one(rest).await.outcome, Outcome::Rejected { .. }),
        "only 60.00 are left to take back after a 40.00 correction"
    );
}
