//! Guests, reservations and the stay lifecycle: happy paths and refusals.

use frontdesk_device::{Error, GuestEdit, NewGuest, ReservationEdit};
use serde_json::json;
use sync_core::domain::{Availability, Cleaning, Occupancy, Reservation, ReservationStatus, Role};
use sync_core::invariants::RuleBreach;
use sync_core::protocol::{DomainAction, Operation};
use sync_core::schema::EntityKind;
use uuid::Uuid;

use crate::support::{Desk, assert_nothing_written, day};

fn code(result: Result<impl std::fmt::Debug, Error>) -> (&'static str, String) {
    let err = result.expect_err("the operation must be refused");
    (err.code(), err.to_string())
}

#[tokio::test]
async fn a_new_reservation_gets_a_provisional_number_and_an_insert_mutation() {
    let desk = Desk::new().await;
    let reservation = desk.book(Some("301"), 23, 25).await;
    assert_eq!(reservation.confirmation.to_string(), "T-K7Q-0001");
    assert_eq!(reservation.status, ReservationStatus::Confirmed);
    assert_eq!(reservation.guest_name, "Sarah Johnson", "the name as booked defaults to the profile's");
    let batch = desk.store.pending_batch(10).await.expect("batch");
    let (_, insert) = batch.iter().find(|(_, m)| m.record_id == reservation.id).expect("insert queued");
    assert_eq!(insert.op, Operation::Insert);
    assert_eq!(insert.base_version, None);
    assert!(insert.changes.values().all(|c| c.base.is_null()), "an insert's bases are all null");
    assert_eq!(insert.changes["room_id"].value, json!(desk.room("301").id));
    assert_eq!(insert.device_id, desk.session.device_id);
    assert!(!insert.idempotency_key.is_empty());
}

#[tokio::test]
async fn a_reservation_is_refused_with_nothing_written_when_its_input_is_wrong() {
    let desk = Desk::new().await;
    let guest = desk.guest("Sarah", "Johnson").await;
    let before = desk.stats().await;

    let mut unknown_guest = desk.booking(Uuid::from_u128(999), None, 23, 25);
    unknown_guest.guest_id = Uuid::from_u128(999);
    assert_eq!(code(desk.store.create_reservation(&desk.session, unknown_guest).await).0, "not_found");

    let mut unknown_type = desk.booking(guest, None, 23, 25);
    unknown_type.room_type_id = Uuid::from_u128(777);
    let (c, message) = code(desk.store.create_reservation(&desk.session, unknown_type).await);
    assert_eq!((c, message.as_str()), ("not_found", "This room type is not one of the property's room types"));

    let backwards = desk.booking(guest, None, 25, 23);
    let (c, message) = code(desk.store.create_reservation(&desk.session, backwards).await);
    assert_eq!(c, "invalid_input");
    assert!(message.contains("departure must be after the arrival"), "{message}");

    let mut no_rate = desk.booking(guest, None, 23, 25);
    no_rate.rate_code = "  ".into();
    assert_eq!(code(desk.store.create_reservation(&desk.session, no_rate).await).0, "invalid_input");

    let mut too_many = desk.booking(guest, None, 23, 25);
    too_many.adults = 0;
    let (c, message) = code(desk.store.create_reservation(&desk.session, too_many).await);
    assert_eq!(c, "invalid_input");
    assert!(message.contains("adults"), "{message}");

    let mut housekeeping = desk.session.clone();
    housekeeping.role = Role::Housekeeping;
    let (c, message) = code(desk.store.create_reservation(&housekeeping, desk.booking(guest, None, 23, 25)).await);
    assert_eq!((c, message.as_str()), ("not_allowed", "A housekeeping user may not create reservations"));

    assert_nothing_written(&desk, before, None).await;
}

#[tokio::test]
async fn a_double_booking_is_refused_listing_the_free_rooms_of_the_type() {
    let desk = Desk::new().await;
    desk.book(Some("301"), 23, 26).await;
    let guest = desk.guest("Li", "Wei").await;
    let before = desk.stats().await;
    let err = desk
        .store
        .create_reservation(&desk.session, desk.booking(guest, Some("301"), 25, 27))
        .await
        .expect_err("room 301 is taken on the 25th");
    assert_eq!(err.code(), "rule_broken");
    let Error::RuleBroken { breach: Some(breach), message } = &err else { panic!("a rule breach: {err:?}") };
    assert!(message.starts_with("Room 301 is held by 1 other stay(s)"), "{message}");
    let RuleBreach::DoubleBooking { free_rooms, .. } = breach.as_ref() else { panic!("a double booking: {breach:?}") };
    let numbers: Vec<&str> = free_rooms.iter().map(|r| r.number.as_str()).collect();
    assert_eq!(numbers, ["302", "303"], "the other doubles are free; the suite is another type");
    assert_nothing_written(&desk, before, None).await;

    // Back to back is fine: the 26th is the first stay's departure.
    desk.store.create_reservation(&desk.session, desk.booking(guest, Some("301"), 26, 28)).await.expect("back to back");
}

#[tokio::test]
async fn edits_send_only_changed_fields_each_based_on_the_value_before_it() {
    let desk = Desk::new().await;
    let reservation = desk.book(None, 24, 26).await;
    let edit = ReservationEdit { adults: Some(3), add_requests: vec!["crib".into()], ..Default::default() };
    let edited = desk.store.edit_reservation(&desk.session, reservation.id, edit).await.expect("edit");
    assert_eq!(edited.adults, 3);
    assert_eq!(edited.special_requests, ["quiet room", "crib"]);
    let edit = ReservationEdit { adults: Some(4), add_note: Some("late arrival".into()), ..Default::default() };
    desk.store.edit_reservation(&desk.session, reservation.id, edit).await.expect("second edit");

    let updates: Vec<_> = desk
        .store
        .pending_batch(100)
        .await
        .expect("batch")
        .into_iter()
        .map(|(_, m)| m)
        .filter(|m| m.record_id == reservation.id && m.op == Operation::Update)
        .collect();
    assert_eq!(updates.len(), 2);
    let keys: Vec<&str> = updates[0].changes.keys().map(String::as_str).collect();
    assert_eq!(keys, ["adults", "special_requests"], "only the changed fields travel");
    assert_eq!(
        (updates[0].changes["adults"].base.clone(), updates[0].changes["adults"].value.clone()),
        (json!(2), json!(3))
    );
    assert_eq!(
        updates[1].changes["adults"].base,
        json!(3),
        "the second edit is based on the first one's value, so the server does not see the device clash with itself"
    );
    assert_eq!(updates[0].base_version, Some(0), "never synced: based on the device's own insert");
    assert!(updates[1].hlc > updates[0].hlc);
    let notes = &desk.fields(EntityKind::Reservation, reservation.id).await["notes"];
    assert_eq!(notes[0]["text"], "late arrival");
    assert_eq!(notes[0]["by"], "Ana");

    let history = desk.store.history(EntityKind::Reservation, reservation.id).await.expect("history");
    assert_eq!(history.len(), 3);
    assert_eq!(history[2].before.as_ref().expect("before")["adults"], json!(3));
    assert_eq!(history[2].after.as_ref().expect("after")["adults"], json!(4));
}

#[tokio::test]
async fn moving_dates_onto_another_stay_or_editing_a_cancelled_one_is_refused() {
    let desk = Desk::new().await;
    desk.book(Some("302"), 27, 29).await;
    let mine = desk.book(Some("302"), 24, 26).await;
    let fields = desk.fields(EntityKind::Reservation, mine.id).await;
    let before = desk.stats().await;
    let longer = ReservationEdit { departure: Some(day(28)), ..Default::default() };
    let (c, _) = code(desk.store.edit_reservation(&desk.session, mine.id, longer).await);
    assert_eq!(c, "rule_broken");
    assert_nothing_written(&desk, before, Some((EntityKind::Reservation, mine.id, &fields))).await;

    desk.store.cancel_reservation(&desk.session, mine.id, Some("guest called")).await.expect("cancel");
    let fields = desk.fields(EntityKind::Reservation, mine.id).await;
    let before = desk.stats().await;
    let (c, message) = code(
        desk.store
            .edit_reservation(&desk.session, mine.id, ReservationEdit { adults: Some(1), ..Default::default() })
            .await,
    );
    assert_eq!((c, message.as_str()), ("read_only", "The stay is cancelled and can no longer be changed"));
    assert_eq!(code(desk.store.cancel_reservation(&desk.session, mine.id, None).await).0, "read_only");
    assert_eq!(code(desk.store.check_in(&desk.session, mine.id).await).0, "read_only");
    assert_nothing_written(&desk, before, Some((EntityKind::Reservation, mine.id, &fields))).await;
}

#[tokio::test]
async fn assigning_a_room_checks_bookings_and_blocks() {
    let desk = Desk::new().await;
    let other = desk.book(Some("301"), 23, 26).await;
    let mine = desk.book(None, 24, 25).await;
    let fields = desk.fields(EntityKind::Reservation, mine.id).await;
    let before = desk.stats().await;
    let err = desk.store.assign_room(&desk.session, mine.id, Some(desk.room("301").id)).await.expect_err("taken");
    assert_eq!(err.code(), "rule_broken");
    let Error::RuleBroken { breach: Some(breach), .. } = err else { panic!("a breach") };
    assert!(matches!(*breach, RuleBreach::DoubleBooking { ref with, .. } if with == &vec![other.id]));

    let block = frontdesk_device::RoomBlock {
        availability: Availability::OutOfOrder,
        from: Some(day(20)),
        until: Some(day(30)),
        reason: Some("water damage".into()),
    };
    desk.store.set_room_availability(&desk.session, desk.room("303").id, block).await.expect("block 303");
    let before_block = desk.stats().await;
    let (c, message) = code(desk.store.assign_room(&desk.session, mine.id, Some(desk.room("303").id)).await);
    assert_eq!(c, "rule_broken");
    assert_eq!(message, "Room 303 is out of order for those nights");
    assert!(before_block.outbox > before.outbox);
    assert_nothing_written(&desk, before_block, Some((EntityKind::Reservation, mine.id, &fields))).await;

    let assigned =
        desk.store.assign_room(&desk.session, mine.id, Some(desk.room("302").id)).await.expect("302 is free");
    assert_eq!(assigned.room_id, Some(desk.room("302").id));
    let free = desk.store.free_rooms(crate::support::DOUBLE, day(24), day(25), None).await.expect("free rooms");
    assert!(free.is_empty(), "301 and 302 are taken and 303 is out of order: {free:?}");
    let unassigned = desk.store.assign_room(&desk.session, mine.id, None).await.expect("unassign");
    assert_eq!(unassigned.room_id, None);
}

#[tokio::test]
async fn check_in_marks_the_room_occupied_in_the_same_transaction() {
    let desk = Desk::new().await;
    let reservation = desk.book(Some("301"), 23, 25).await;
    let outbox_before = desk.stats().await.outbox;
    let checked_in = desk.store.check_in(&desk.session, reservation.id).await.expect("check in");
    assert_eq!(checked_in.status, ReservationStatus::CheckedIn);
    assert_eq!(desk.room_now("301").await.occupancy, Occupancy::Occupied);
    let batch = desk.store.pending_batch(100).await.expect("batch");
    assert_eq!(batch.len() as i64, outbox_before + 2);
    let action = batch.iter().find(|(_, m)| m.op == Operation::Action(DomainAction::CheckIn)).expect("check-in action");
    assert_eq!(action.1.changes["status"].base, json!("confirmed"));
    assert_eq!(action.1.changes["status"].value, json!("checked_in"));
    let room_update = batch.iter().find(|(_, m)| m.entity == EntityKind::Room).expect("the room's own mutation");
    assert_eq!(room_update.1.changes["occupancy"].value, json!("occupied"));
    assert_eq!(room_update.1.base_version, Some(1), "the room was synced at version 1");
    let in_house = desk.store.in_house().await.expect("in house");
    assert_eq!(in_house.iter().map(|r| r.id).collect::<Vec<_>>(), vec![reservation.id]);
}

#[tokio::test]
async fn check_in_is_refused_for_a_dirty_room_a_future_arrival_or_no_room() {
    let desk = Desk::new().await;
    let dirty = desk.book(Some("301"), 23, 25).await;
    desk.store.set_room_cleaning(&desk.session, desk.room("301").id, Cleaning::Dirty).await.expect("dirty");
    let future = desk.book(Some("302"), 24, 25).await;
    let roomless = desk.book(None, 23, 25).await;
    let tentative = {
        let guest = desk.guest("Tom", "Tent").await;
        let mut booking = desk.booking(guest, Some("303"), 23, 24);
        booking.confirmed = false;
        desk.store.create_reservation(&desk.session, booking).await.expect("tentative")
    };
    let before = desk.stats().await;
    for (id, expected) in [
        (dirty.id, "room 301 is not clean"),
        (future.id, "the arrival is 2026-11-24, after today 2026-11-23"),
        (roomless.id, "no room is assigned"),
        (tentative.id, "the stay is tentative, not confirmed"),
    ] {
        let (c, message) = code(desk.store.check_in(&desk.session, id).await);
        assert_eq!(c, "rule_broken");
        assert!(message.starts_with("Check-in not allowed: ") && message.contains(expected), "{message}");
    }
    assert_nothing_written(&desk, before, None).await;
    assert_eq!(desk.room_now("301").await.occupancy, Occupancy::Vacant);
}

#[tokio::test]
async fn check_out_needs_a_settled_folio_and_leaves_the_room_dirty_and_vacant() {
    let desk = Desk::new().await;
    let reservation = desk.book(Some("301"), 23, 25).await;
    let (c, _) = code(desk.store.check_out(&desk.session, reservation.id).await);
    assert_eq!(c, "rule_broken", "a stay that is not in house cannot check out");
    desk.store.check_in(&desk.session, reservation.id).await.expect("check in");
    let charge = frontdesk_device::NewCharge {
        reservation_id: reservation.id,
        amount_minor: 12_000,
        currency: "EUR".into(),
        code: "ROOM".into(),
        description: "Room night".into(),
        quantity: 1,
        window: None,
    };
    desk.store.post_charge(&desk.session, charge).await.expect("charge");
    let fields = desk.fields(EntityKind::Reservation, reservation.id).await;
    let before = desk.stats().await;
    let (c, message) = code(desk.store.check_out(&desk.session, reservation.id).await);
    assert_eq!((c, message.as_str()), ("rule_broken", "Check-out needs a zero balance; the folio shows 120.00 EUR"));
    assert_nothing_written(&desk, before, Some((EntityKind::Reservation, reservation.id, &fields))).await;

    let payment = frontdesk_device::NewPayment {
        reservation_id: reservation.id,
        amount_minor: 12_000,
        currency: "EUR".into(),
        method: sync_core::domain::PaymentMethod::Cash,
        description: None,
        window: None,
    };
    desk.store.post_payment(&desk.session, payment).await.expect("pay");
    let out = desk.store.check_out(&desk.session, reservation.id).await.expect("check out");
    assert_eq!(out.status, ReservationStatus::CheckedOut);
    let room = desk.room_now("301").await;
    assert_eq!((room.cleaning, room.occupancy), (Cleaning::Dirty, Occupancy::Vacant));
    let departures = desk.store.departures(day(25)).await.expect("departures");
    assert_eq!(departures.len(), 1);
}

#[tokio::test]
async fn cancel_no_show_and_confirm_move_the_status_with_domain_actions() {
    let desk = Desk::new().await;
    let cancelled = desk.book(None, 24, 26).await;
    let out =
        desk.store.cancel_reservation(&desk.session, cancelled.id, Some("flight cancelled")).await.expect("cancel");
    assert_eq!(out.status, ReservationStatus::Cancelled);
    assert_eq!(out.notes[0].text, "flight cancelled");

    let future = desk.book(None, 24, 26).await;
    let before = desk.stats().await;
    let (c, message) = code(desk.store.mark_no_show(&desk.session, future.id).await);
    assert_eq!(
        (c, message.as_str()),
        ("rule_broken", "A no-show can only be recorded from the arrival day (2026-11-24) on")
    );
    assert_nothing_written(&desk, before, None).await;
    let today = desk.book(None, 23, 24).await;
    assert_eq!(
        desk.store.mark_no_show(&desk.session, today.id).await.expect("no-show").status,
        ReservationStatus::NoShow
    );

    let guest = desk.guest("Tom", "Tent").await;
    let mut booking = desk.booking(guest, None, 25, 26);
    booking.confirmed = false;
    let tentative = desk.store.create_reservation(&desk.session, booking).await.expect("tentative");
    assert_eq!(tentative.status, ReservationStatus::Tentative);
    let confirmed = desk.store.confirm_reservation(&desk.session, tentative.id).await.expect("confirm");
    assert_eq!(confirmed.status, ReservationStatus::Confirmed);
    let (c, message) = code(desk.store.confirm_reservation(&desk.session, tentative.id).await);
    assert_eq!((c, message.as_str()), ("rule_broken", "The stay is confirmed already"));

    let ops: Vec<Operation> =
        desk.store.pending_batch(100).await.expect("batch").into_iter().map(|(_, m)| m.op).collect();
    for action in [DomainAction::Cancel, DomainAction::NoShow, DomainAction::Confirm] {
        assert!(ops.contains(&Operation::Action(action)), "{action:?} travels as a domain action");
    }
}

#[tokio::test]
async fn guest_profiles_are_created_and_edited_with_set_and_note_changes() {
    let desk = Desk::new().await;
    let input = NewGuest {
        first_name: " Sarah ".into(),
        last_name: "Johnson".into(),
        email: Some("sarah@example.com".into()),
        tags: vec!["vip".into(), "vip".into()],
        ..NewGuest::default()
    };
    let guest = desk.store.create_guest(&desk.session, input).await.expect("create");
    assert_eq!(guest.first_name, "Sarah");
    assert_eq!(guest.tags, ["vip"], "sets hold each entry once");
    let edit = GuestEdit {
        email: Some(None),
        phone: Some(Some("+351 912 345 678".into())),
        add_tags: vec!["returning".into()],
        remove_tags: vec!["vip".into()],
        add_note: Some("prefers high floors".into()),
        ..GuestEdit::default()
    };
    let edited = desk.store.edit_guest(&desk.session, guest.id, edit).await.expect("edit");
    assert_eq!(edited.email, None);
    assert_eq!(edited.phone.as_deref(), Some("+351 912 345 678"));
    assert_eq!(edited.tags, ["returning"]);
    assert_eq!(edited.notes.len(), 1);

    let fields = desk.fields(EntityKind::Guest, guest.id).await;
    let before = desk.stats().await;
    let blank = GuestEdit { first_name: Some("  ".into()), ..GuestEdit::default() };
    let (c, message) = code(desk.store.edit_guest(&desk.session, guest.id, blank).await);
    assert_eq!((c, message.as_str()), ("invalid_input", "The guest's first name cannot be empty"));
    let (c, _) = code(desk.store.edit_guest(&desk.session, Uuid::from_u128(4242), GuestEdit::default()).await);
    assert_eq!(c, "not_found");
    let long = GuestEdit { last_name: Some("x".repeat(101)), ..GuestEdit::default() };
    assert_eq!(code(desk.store.edit_guest(&desk.session, guest.id, long).await).0, "invalid_input");
    assert_nothing_written(&desk, before, Some((EntityKind::Guest, guest.id, &fields))).await;
}

#[tokio::test]
async fn a_check_in_made_by_mistake_is_undone_on_the_arrival_day_with_nothing_owed() {
    let desk = Desk::new().await;
    let reservation = desk.book(Some("301"), 23, 25).await;
    desk.store.check_in(&desk.session, reservation.id).await.expect("check in");
    let charge = frontdesk_device::NewCharge {
        reservation_id: reservation.id,
        amount_minor: 900,
        currency: "EUR".into(),
        code: "BAR".into(),
        description: "Drinks".into(),
        ..frontdesk_device::NewCharge::default()
    };
    desk.store.post_charge(&desk.session, charge).await.expect("charge");
    let fields = desk.fields(EntityKind::Reservation, reservation.id).await;
    let before = desk.stats().await;
    let (c, message) = code(desk.store.undo_check_in(&desk.session, reservation.id).await);
    assert_eq!(c, "rule_broken", "{message}");
    assert!(message.contains("settle or correct"), "{message}");
    assert_nothing_written(&desk, before, Some((EntityKind::Reservation, reservation.id, &fields))).await;

    let settled = desk.book(Some("302"), 23, 24).await;
    desk.store.check_in(&desk.session, settled.id).await.expect("check in");
    let undone = desk.store.undo_check_in(&desk.session, settled.id).await.expect("undone");
    assert_eq!(undone.status, ReservationStatus::Confirmed);
    assert_eq!(desk.room_now("302").await.occupancy, Occupancy::Vacant, "the room is free again");
    let batch = desk.store.pending_batch(100).await.expect("batch");
    let action = batch.iter().rev().find(|(_, m)| m.record_id == settled.id).expect("the undo");
    assert_eq!(action.1.op, Operation::Action(DomainAction::UndoCheckIn));
    assert_eq!(action.1.changes["status"].value, json!("confirmed"));
    // Undone once is undone: a second undo says so.
    let (c, message) = code(desk.store.undo_check_in(&desk.session, settled.id).await);
    assert_eq!((c, message.as_str()), ("rule_broken", "The stay is confirmed already"));
}

#[tokio::test]
async fn a_check_out_made_by_mistake_is_reinstated_while_the_room_is_free() {
    let desk = Desk::new().await;
    let reservation = desk.book(Some("301"), 23, 25).await;
    desk.store.check_in(&desk.session, reservation.id).await.expect("check in");
    desk.store.check_out(&desk.session, reservation.id).await.expect("check out");
    let back = desk.store.reinstate_check_out(&desk.session, reservation.id).await.expect("reinstated");
    assert_eq!(back.status, ReservationStatus::CheckedIn);
    assert_eq!(desk.room_now("301").await.occupancy, Occupancy::Occupied);
    let (c, message) = code(desk.store.reinstate_check_out(&desk.session, reservation.id).await);
    assert_eq!((c, message.as_str()), ("rule_broken", "The stay is checked in already"));

    let ended = desk.book(Some("302"), 20, 22).await;
    desk.store.check_in(&desk.session, ended.id).await.expect("a late check-in");
    desk.store.check_out(&desk.session, ended.id).await.expect("check out");
    let (c, message) = code(desk.store.reinstate_check_out(&desk.session, ended.id).await);
    assert_eq!(c, "rule_broken");
    assert!(message.starts_with("The stay ended on"), "{message}");
}

#[tokio::test]
async fn a_check_out_is_not_reinstated_once_the_next_guest_is_in_the_room() {
    let desk = Desk::new().await;
    // Yesterday's arrival leaves this morning; the room is turned round for today's.
    let leaving = desk.book(Some("301"), 22, 23).await;
    desk.store.check_in(&desk.session, leaving.id).await.expect("check in");
    desk.store.check_out(&desk.session, leaving.id).await.expect("check out");
    desk.store.set_room_cleaning(&desk.session, desk.room("301").id, Cleaning::Clean).await.expect("cleaned");
    let next = desk.book(Some("301"), 23, 25).await;
    desk.store.check_in(&desk.session, next.id).await.expect("the next guest checks in");

    let fields = desk.fields(EntityKind::Reservation, leaving.id).await;
    let before = desk.stats().await;
    let (c, message) = code(desk.store.reinstate_check_out(&desk.session, leaving.id).await);
    assert_eq!((c, message.as_str()), ("rule_broken", "Room 301 has another guest in it now"));
    assert_nothing_written(&desk, before, Some((EntityKind::Reservation, leaving.id, &fields))).await;
    let next_now = desk.store.record::<Reservation>(EntityKind::Reservation, next.id).await.expect("read");
    assert_eq!(next_now.map(|r| r.status), Some(ReservationStatus::CheckedIn), "the guest in the room stays in house");
    assert_eq!(desk.room_now("301").await.occupancy, Occupancy::Occupied, "the room still holds the next guest");
}

#[tokio::test]
async fn a_walk_in_is_created_and_checked_in_in_one_step() {
    let desk = Desk::new().await;
    let guest = desk.guest("Walter", "Inn").await;
    let stay = desk.store.walk_in(&desk.session, desk.booking(guest, Some("301"), 23, 25)).await.expect("walk-in");
    assert_eq!(stay.status, ReservationStatus::CheckedIn, "the guest is in house at once");
    let room = desk.room_now("301").await;
    assert_eq!(room.occupancy, Occupancy::Occupied, "the room is occupied");
    let batch = desk.store.pending_batch(10).await.expect("outbox");
    let ops: Vec<_> = batch.iter().map(|(_, m)| (m.entity, m.op)).collect();
    assert_eq!(
        ops[ops.len() - 3..],
        [
            (EntityKind::Reservation, Operation::Insert),
            (EntityKind::Reservation, Operation::Action(DomainAction::CheckIn)),
            (EntityKind::Room, Operation::Update),
        ],
        "the server sees a booking, then a check-in with its checks, then the room"
    );
}

#[tokio::test]
async fn a_walk_in_that_cannot_check_in_leaves_nothing_behind() {
    let desk = Desk::new().await;
    let guest = desk.guest("Walter", "Inn").await;
    desk.store.set_room_cleaning(&desk.session, desk.room("301").id, Cleaning::Dirty).await.expect("dirty");
    let before = desk.stats().await;
    let (code_of, message) = code(desk.store.walk_in(&desk.session, desk.booking(guest, Some("301"), 23, 25)).await);
    assert_eq!(code_of, "rule_broken");
    assert!(message.contains("room 301 is not clean"), "the receptionist is told why: {message}");
    assert_nothing_written(&desk, before, None).await;

    let (code_of, message) = code(desk.store.walk_in(&desk.session, desk.booking(guest, Some("302"), 21, 25)).await);
    assert_eq!(code_of, "invalid_input");
    assert!(message.contains("A walk-in arrives today (2026-11-23)"), "{message}");
    let (_, message) = code(desk.store.walk_in(&desk.session, desk.booking(guest, None, 23, 25)).await);
    assert!(message.contains("Choose the room"), "{message}");
    assert_nothing_written(&desk, before, None).await;

    // With a clean room the same form goes through, and only that stay exists.
    let stay = desk.store.walk_in(&desk.session, desk.booking(guest, Some("302"), 23, 25)).await.expect("clean room");
    assert_eq!(stay.room_id, Some(desk.room("302").id));
    let stays = desk.store.all::<Reservation>(EntityKind::Reservation).await.expect("stays");
    assert_eq!(stays.len(), 1, "no stray booking from the refused tries: {stays:?}");
}
