//! Desks run from the terminal: the real `frontdesk-cli` binary, one process per
//! command, against the real server. What the command line does must be what the app
//! does: same rules, same answers, same codes.

use std::path::PathBuf;

use serde_json::Value;
use uuid::Uuid;

use super::*;

/// One desk driven by `frontdesk-cli`, signed in as `user` on every command.
pub(super) struct Cli {
    store: PathBuf,
    user: &'static str,
}

impl Cli {
    /// A desk enrolled with `hotel` under `name` that has pulled the hotel once.
    pub(super) async fn enrolled(hotel: &Hotel, name: &str, user: &'static str) -> Cli {
        let cli = Cli { store: hotel.dir.path().join(format!("{name}.sqlite3")), user };
        let code = hotel.code().await;
        cli.ok(&["enroll", "--server", &hotel.base, "--code", &code, "--name", name], "a fresh code enrolls a desk")
            .await;
        cli.ok(&["sync"], "the first sync pulls the hotel").await;
        cli
    }

    /// The command's JSON answer, or its JSON error.
    pub(super) async fn run(&self, args: &[&str]) -> Result<Value, Value> {
        let store = self.store.clone();
        let user = self.user;
        let args: Vec<String> = args.iter().map(|arg| (*arg).to_owned()).collect();
        let output = tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk-cli"))
                .arg("--store")
                .arg(&store)
                .args(["--user", user])
                .env("FRONTDESK_PASSWORD", PASSWORD)
                .args(&args)
                .output()
                .expect("the command line runs")
        })
        .await
        .expect("joined");
        let json = |bytes: &[u8]| -> Value {
            serde_json::from_slice(bytes).unwrap_or_else(|err| {
                panic!("the command line answers JSON ({err}): {}", String::from_utf8_lossy(bytes))
            })
        };
        if output.status.success() { Ok(json(&output.stdout)) } else { Err(json(&output.stderr)) }
    }

    /// The answer of a command that must succeed, for the reason given.
    pub(super) async fn ok(&self, args: &[&str], why: &str) -> Value {
        self.run(args).await.unwrap_or_else(|err| panic!("{} {args:?} failed although {why}: {err}", self.user))
    }

    /// The error of a command that must be refused, for the reason given.
    pub(super) async fn refused(&self, args: &[&str], why: &str) -> Value {
        match self.run(args).await {
            Ok(answer) => panic!("{} {args:?} succeeded although {why}: {answer}", self.user),
            Err(err) => err,
        }
    }
}

/// The id in a record's JSON.
pub(super) fn id(record: &Value) -> String {
    record["id"].as_str().unwrap_or_else(|| panic!("a record with an id: {record}")).to_owned()
}

/// A room that is vacant, available and clean, free from `arrival` for one night,
/// with its type: where a guest can check in today.
pub(super) async fn a_ready_room(desk: &Cli, arrival: &str, departure: &str, skip: &[String]) -> (String, String) {
    let board = desk.ok(&["room-board"], "every desk reads the room board").await;
    for entry in board.as_array().expect("a list of rooms") {
        let room = &entry["room"];
        let ready = room["occupancy"] == "vacant"
            && room["availability"] == "available"
            && matches!(room["cleaning"].as_str(), Some("clean" | "inspected"));
        let number = room["number"].as_str().expect("a room number").to_owned();
        if !ready || skip.contains(&number) {
            continue;
        }
        let room_type = room["room_type_id"].as_str().expect("a room type").to_owned();
        let free = desk
            .ok(
                &["free-rooms", "--room-type", &room_type, "--arrival", arrival, "--departure", departure],
                "free rooms can be read",
            )
            .await;
        if free.as_array().expect("a list").iter().any(|r| r["number"] == number.as_str()) {
            return (number, room_type);
        }
    }
    panic!("the demo hotel has a room ready for {arrival}");
}

/// A new guest and a stay in `room` of `room_type`, booked by `desk`.
pub(super) async fn a_stay(desk: &Cli, room: &str, room_type: &str, arrival: &str, departure: &str) -> Value {
    let guest =
        desk.ok(&["create-guest", "--first-name", "Ada", "--last-name", "Lovelace"], "a guest has a name").await;
    desk.ok(
        &[
            "create-reservation",
            "--guest",
            &id(&guest),
            "--room-type",
            room_type,
            "--room",
            room,
            "--arrival",
            arrival,
            "--departure",
            departure,
        ],
        "the room is free for those nights",
    )
    .await
}

/// The business date as the desks see it, and the day after.
pub(super) async fn business_days(desk: &Cli) -> (String, String) {
    let catalog = desk.ok(&["catalog"], "the catalog can be read").await;
    let today: chrono::NaiveDate = catalog["business_date"].as_str().and_then(|d| d.parse().ok()).expect("a date");
    (today.to_string(), (today + chrono::Days::new(1)).to_string())
}

#[tokio::test]
async fn charges_and_payments_take_the_property_currency_and_show_in_the_folio() {
    let hotel = Hotel::open().await;
    let desk = Cli::enrolled(&hotel, "reception-1", "frontdesk").await;
    let currency = desk.ok(&["catalog"], "the catalog can be read").await["property"]["currency"].clone();
    assert!(currency.as_str().is_some_and(|c| c.len() == 3), "the demo property has a currency: {currency}");
    let (today, tomorrow) = business_days(&desk).await;
    let (room, room_type) = a_ready_room(&desk, &today, &tomorrow, &[]).await;
    let stay = a_stay(&desk, &room, &room_type, &today, &tomorrow).await;

    let charge = desk
        .ok(
            &["post-charge", &id(&stay), "--amount", "1250", "--code", "MINIBAR", "--description", "Minibar"],
            "no --currency means the property's currency",
        )
        .await;
    assert_eq!(charge["currency"], currency, "the charge is in the property's currency");
    let payment = desk
        .ok(
            &["post-payment", &id(&stay), "--amount", "1000", "--method", "card", "--description", "Terminal 4411"],
            "a card payment needs no currency either",
        )
        .await;
    assert_eq!((&payment["currency"], &payment["method"]), (&currency, &Value::from("card")), "{payment}");

    let folio = desk.ok(&["folio", &id(&stay)], "the folio can be read").await;
    let postings = folio["postings"].as_array().expect("postings");
    assert_eq!(postings.len(), 2, "the charge and the payment are on the folio: {folio}");
    let code = currency.as_str().expect("a code");
    assert_eq!(folio["balance"][code], 250, "charges minus payments: {folio}");
}

#[tokio::test]
async fn a_housekeeping_desk_cleans_the_room_a_check_out_dirtied() {
    let hotel = Hotel::open().await;
    let reception = Cli::enrolled(&hotel, "reception-1", "frontdesk").await;
    let housekeeping = Cli::enrolled(&hotel, "floor-3", "housekeeping").await;
    let (today, tomorrow) = business_days(&reception).await;
    let (room, room_type) = a_ready_room(&reception, &today, &tomorrow, &[]).await;
    let stay = a_stay(&reception, &room, &room_type, &today, &tomorrow).await;
    reception.ok(&["check-in", &id(&stay)], "the guest arrives today in a clean room").await;
    let out = reception.ok(&["check-out", &id(&stay)], "nothing is owed").await;
    assert_eq!(out["status"], "checked_out");
    reception.ok(&["sync"], "the server answers").await;

    housekeeping.ok(&["sync"], "the server answers").await;
    let board = housekeeping.ok(&["room-board"], "housekeeping reads the room board").await;
    let dirty = board.as_array().expect("rooms").iter().find(|e| e["room"]["number"] == room.as_str()).cloned();
    assert_eq!(dirty.map(|e| e["room"]["cleaning"].clone()), Some("dirty".into()), "a check-out dirties the room");
    let cleaned = housekeeping.ok(&["set-room-status", &room, "clean"], "housekeeping cleans rooms").await;
    assert_eq!(cleaned["cleaning"], "clean");
    housekeeping.ok(&["sync"], "the server answers").await;

    reception.ok(&["sync"], "the server answers").await;
    let board = reception.ok(&["room-board"], "the front desk reads the room board").await;
    let seen = board.as_array().expect("rooms").iter().find(|e| e["room"]["number"] == room.as_str()).cloned();
    assert_eq!(seen.map(|e| e["room"]["cleaning"].clone()), Some("clean".into()), "the front desk sees it clean");
}

#[tokio::test]
async fn a_refusal_comes_back_with_the_desk_methods_code_and_message() {
    let hotel = Hotel::open().await;
    let reception = Cli::enrolled(&hotel, "reception-1", "frontdesk").await;
    let (today, tomorrow) = business_days(&reception).await;
    let (room, room_type) = a_ready_room(&reception, &today, &tomorrow, &[]).await;
    let stay = a_stay(&reception, &room, &room_type, &today, &tomorrow).await;
    reception.ok(&["sync"], "the server answers").await;

    let housekeeping = Cli::enrolled(&hotel, "floor-3", "housekeeping").await;
    let refused = housekeeping
        .refused(&["post-charge", &id(&stay), "--amount", "500", "--description", "Laundry"], "housekeeping may not")
        .await;
    let desk = hotel.desk("floor-4", "housekeeping").await;
    let stay_id: Uuid = id(&stay).parse().expect("an id");
    let currency = desk.property().await.expect("the property synced").currency;
    let charge = NewCharge {
        reservation_id: stay_id,
        amount_minor: 500,
        currency,
        code: "MISC".into(),
        description: "Laundry".into(),
        ..NewCharge::default()
    };
    let err = desk.post_charge(charge).await.expect_err("housekeeping may not post charges");
    assert_eq!(refused["code"], err.code(), "the command line answers the desk's code: {refused}");
    assert_eq!(refused["message"], err.to_string(), "and the same words the app shows");
    assert_eq!(refused["code"], "not_allowed");
}

#[tokio::test]
async fn sync_while_the_server_is_down_says_it_cannot_be_reached() {
    let mut hotel = Hotel::open().await;
    let desk = Cli::enrolled(&hotel, "reception-1", "frontdesk").await;
    hotel.stop_server().await;
    // The sign-in is offline (cached at the first sync): the change still goes in.
    desk.ok(&["create-guest", "--first-name", "Off", "--last-name", "Line"], "a desk works offline").await;
    let err = desk.refused(&["sync"], "the server is down").await;
    assert_eq!(err["code"], "server_unreachable", "an outage is not a sign-in problem: {err}");
    let message = err["message"].as_str().expect("a message");
    assert!(message.contains("cannot be reached") && message.contains("queued"), "a person understands it: {message}");
    let status = desk.ok(&["status"], "status needs no server").await;
    assert_eq!(status["queue"]["pending"], 1, "the guest waits in the queue: {status}");
}

#[tokio::test]
async fn resolving_with_move_to_room_settles_a_double_booking() {
    let hotel = Hotel::open().await;
    let first = Cli::enrolled(&hotel, "reception-1", "frontdesk").await;
    let second = Cli::enrolled(&hotel, "reception-2", "frontdesk").await;
    let manager = Cli::enrolled(&hotel, "back-office", "manager").await;
    let (today, _) = business_days(&first).await;
    let arrival: chrono::NaiveDate = today.parse().expect("a date");
    let (arrival, departure) =
        ((arrival + chrono::Days::new(3)).to_string(), (arrival + chrono::Days::new(5)).to_string());
    let (room, room_type) = a_ready_room(&first, &arrival, &departure, &[]).await;
    // Both desks book the same room for the same nights before either syncs.
    a_stay(&first, &room, &room_type, &arrival, &departure).await;
    let clash = a_stay(&second, &room, &room_type, &arrival, &departure).await;
    first.ok(&["sync"], "the server answers").await;
    second.ok(&["sync"], "the server keeps the second stay and opens a conflict").await;
    let conflicts = second.ok(&["conflicts"], "the desk lists its conflicts").await;
    let conflict = conflicts
        .as_array()
        .expect("a list")
        .iter()
        .find(|c| c["conflict"]["record_id"] == clash["id"])
        .unwrap_or_else(|| panic!("the second stay in room {room} is a double booking: {conflicts}"))
        .clone();
    let free = conflict["conflict"]["rule"]["free_rooms"].as_array().expect("the rule lists free rooms").clone();
    let target = free.first().and_then(|r| r["number"].as_str()).expect("another room is free").to_owned();

    let refused = second
        .refused(
            &["resolve", conflict["conflict"]["id"].as_str().expect("an id"), "--move-to-room", &target],
            "a manager decides",
        )
        .await;
    assert_eq!(refused["code"], "forbidden", "a broken hotel rule waits for a manager (the server's code): {refused}");
    manager
        .ok(
            &["resolve", conflict["conflict"]["id"].as_str().expect("an id"), "--move-to-room", &target],
            "the room is among the free ones",
        )
        .await;
    second.ok(&["sync"], "the server answers").await;
    let moved = second.ok(&["reservation", &id(&clash)], "the stay is on the desk").await;
    let board = second.ok(&["catalog"], "the catalog can be read").await;
    let target_id = board["rooms"].as_array().expect("rooms").iter().find(|r| r["number"] == target.as_str()).map(id);
    assert_eq!(moved["room_id"].as_str().map(str::to_owned), target_id, "the stay moved to room {target}");
    let left = second.ok(&["conflicts"], "the desk lists its conflicts").await;
    assert!(
        left.as_array().expect("a list").iter().all(|c| c["conflict"]["id"] != conflict["conflict"]["id"]),
        "the desk that booked the clash hears it was settled: {left}"
    );
}

#[tokio::test]
async fn resolve_settles_field_by_field_or_with_typed_values() {
    let hotel = Hotel::open().await;
    let first = Cli::enrolled(&hotel, "reception-1", "frontdesk").await;
    let second = Cli::enrolled(&hotel, "reception-2", "frontdesk").await;
    let guest = first.ok(&["create-guest", "--first-name", "Sarah", "--last-name", "Johnson"], "a guest").await;
    first.ok(&["sync"], "the server answers").await;
    second.ok(&["sync"], "the server answers").await;

    // Both desks change the same email and phone before either syncs.
    let clash = async |email_a: &str, email_b: &str| -> Value {
        first.ok(&["update-guest", &id(&guest), "--email", email_a, "--phone", "+351 1"], "profiles change").await;
        second.ok(&["update-guest", &id(&guest), "--email", email_b, "--phone", "+351 2"], "profiles change").await;
        first.ok(&["sync"], "the server answers").await;
        second.ok(&["sync"], "the server answers").await;
        let conflicts = second.ok(&["conflicts"], "the desk lists its conflicts").await;
        conflicts
            .as_array()
            .expect("a list")
            .iter()
            .find(|c| c["conflict"]["record_id"] == guest["id"])
            .unwrap_or_else(|| panic!("two emails for one guest are a conflict: {conflicts}"))["conflict"]["id"]
            .clone()
    };
    let email = async |desk: &Cli| -> Value {
        let found = desk.ok(&["guests", "Sarah"], "guests can be read").await;
        found.as_array().and_then(|g| g.iter().find(|g| g["id"] == guest["id"]).cloned()).expect("the guest")
    };

    let conflict = clash("a@one.example", "b@two.example").await;
    let conflict = conflict.as_str().expect("an id");
    let bad = second.refused(&["resolve", conflict, "--pick", "email=both"], "a side is device or server").await;
    assert_eq!(bad["code"], "invalid_input", "a mistyped flag is answered in JSON too: {bad}");
    second
        .ok(&["resolve", conflict, "--pick", "email=device", "--pick", "phone=server"], "both fields are contested")
        .await;
    first.ok(&["sync"], "the server answers").await;
    for desk in [&first, &second] {
        let seen = email(desk).await;
        assert_eq!((&seen["email"], &seen["phone"]), (&"b@two.example".into(), &"+351 1".into()), "{seen}");
    }

    let conflict = clash("c@one.example", "d@two.example").await;
    let conflict = conflict.as_str().expect("an id");
    second
        .ok(
            &["resolve", conflict, "--value", r#"email="e@agreed.example""#, "--value", r#"phone="+351 3""#],
            "typed values settle it",
        )
        .await;
    first.ok(&["sync"], "the server answers").await;
    for desk in [&first, &second] {
        let seen = email(desk).await;
        assert_eq!((&seen["email"], &seen["phone"]), (&"e@agreed.example".into(), &"+351 3".into()), "{seen}");
    }
}
