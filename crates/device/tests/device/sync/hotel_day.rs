//! A hotel day through the command line alone: two front desks, a manager and two
//! housekeeping tablets do every kind of operation, through two outages of the
//! server, and in the evening every desk shows the same hotel with nothing lost.

use serde_json::Value;

use super::Hotel;
use super::cli::{Cli, a_ready_room, a_stay, business_days, id};

/// Every desk syncs, twice over, so each has pulled what the others pushed.
async fn sync_all(desks: &[&Cli]) {
    for _ in 0..2 {
        for desk in desks {
            desk.ok(&["sync"], "the server answers").await;
        }
    }
}

/// Every desk's `sync` during an outage says the server cannot be reached.
async fn all_offline(desks: &[&Cli]) {
    for desk in desks {
        let err = desk.refused(&["sync"], "the server is down").await;
        assert_eq!(err["code"], "server_unreachable", "an outage is not a sign-in problem: {err}");
    }
}

/// A vacant room in service that is none of `skip`.
async fn a_vacant_room(desk: &Cli, skip: &[String]) -> String {
    let board = desk.ok(&["room-board"], "every desk reads the room board").await;
    board
        .as_array()
        .expect("rooms")
        .iter()
        .map(|entry| &entry["room"])
        .filter(|room| room["occupancy"] == "vacant" && room["availability"] == "available")
        .filter_map(|room| room["number"].as_str().map(str::to_owned))
        .find(|number| !skip.contains(number))
        .expect("the demo hotel has vacant rooms")
}

fn day_after(day: &str, days: u64) -> String {
    let day: chrono::NaiveDate = day.parse().expect("a date");
    (day + chrono::Days::new(days)).to_string()
}

#[tokio::test]
async fn a_hotel_day_on_five_desks_through_two_outages_converges_with_nothing_lost() {
    let mut hotel = Hotel::open().await;
    let fd1 = Cli::enrolled(&hotel, "reception-1", "frontdesk").await;
    let fd2 = Cli::enrolled(&hotel, "reception-2", "frontdesk").await;
    let mgr = Cli::enrolled(&hotel, "back-office", "manager").await;
    let hk1 = Cli::enrolled(&hotel, "floor-2", "housekeeping").await;
    let hk2 = Cli::enrolled(&hotel, "floor-3", "housekeeping").await;
    let desks = [&fd1, &fd2, &mgr, &hk1, &hk2];
    let (today, tomorrow) = business_days(&fd1).await;
    let catalog = mgr.ok(&["catalog"], "the catalog can be read").await;
    let housekeeper = catalog["staff"]
        .as_array()
        .expect("staff")
        .iter()
        .find(|s| s["role"] == "housekeeping")
        .map(id)
        .expect("the demo hotel has a housekeeper");

    // Morning, online: two arrivals booked, one checked in, a stock item counted.
    let (r1, t1) = a_ready_room(&fd1, &today, &tomorrow, &[]).await;
    let s1 = a_stay(&fd1, &r1, &t1, &today, &tomorrow).await;
    fd1.ok(&["check-in", &id(&s1)], "the guest arrives today in a clean room").await;
    fd1.ok(&["post-charge", &id(&s1), "--amount", "1250", "--code", "MINIBAR", "--description", "Minibar"], "in house")
        .await;
    let (r2, t2) = a_ready_room(&fd2, &today, &tomorrow, std::slice::from_ref(&r1)).await;
    let s2 = a_stay(&fd2, &r2, &t2, &today, &tomorrow).await;
    let r3 = a_vacant_room(&mgr, &[r1.clone(), r2.clone()]).await;
    let r4 = a_vacant_room(&mgr, &[r1.clone(), r2.clone(), r3.clone()]).await;
    let item = mgr
        .ok(
            &[
                "create-inventory-item",
                "--sku",
                "LIN-1",
                "--name",
                "Bath towels",
                "--location",
                "Floor 3",
                "--quantity",
                "40",
            ],
            "a manager counts stock",
        )
        .await;
    sync_all(&desks).await;
    let order = mgr
        .ok(&["open-pos-order", "--outlet", "Bar", "--reservation", &id(&s1)], "the bar serves in-house guests")
        .await;
    mgr.ok(&["add-pos-line", &id(&order), "--item", "Beer", "--quantity", "2", "--unit-price", "450"], "open order")
        .await;
    mgr.ok(&["post-pos-order", &id(&order), &id(&s1)], "the stay is in house").await;
    let paid = mgr.ok(&["open-pos-order", "--outlet", "Restaurant"], "a walk-in diner").await;
    mgr.ok(&["add-pos-line", &id(&paid), "--item", "Soup", "--unit-price", "800"], "open order").await;
    mgr.ok(&["pay-pos-order", &id(&paid), "--method", "card"], "paid at the till").await;
    sync_all(&desks).await;

    // First outage: every desk keeps working.
    hotel.stop_server().await;
    fd1.ok(
        &["post-payment", &id(&s1), "--amount", "2150", "--method", "card", "--description", "Terminal ref 4411"],
        "payments work offline",
    )
    .await;
    fd1.ok(&["check-out", &id(&s1)], "the folio is settled").await;
    fd1.ok(&["reinstate-check-out", &id(&s1)], "the guest was not leaving yet and the room is free").await;
    fd1.ok(&["check-out", &id(&s1)], "the folio is still settled").await;
    let guest = s1["guest_id"].as_str().expect("a guest").to_owned();
    fd1.ok(&["update-guest", &guest, "--email", "ada@example.com", "--add-tag", "vip"], "profiles change offline")
        .await;
    fd2.ok(&["check-in", &id(&s2)], "the guest arrives today in a clean room").await;
    let laundry = fd2
        .ok(&["post-charge", &id(&s2), "--amount", "800", "--code", "LAUNDRY", "--description", "Laundry"], "in house")
        .await;
    fd2.ok(&["reverse-posting", &id(&laundry), "--reason", "Posted to the wrong stay"], "a correction").await;
    fd2.ok(&["undo-check-in", &id(&s2)], "checked in by mistake, nothing owed").await;
    fd2.ok(&["check-in", &id(&s2)], "now the guest is here").await;
    fd2.ok(&["update-reservation", &id(&s2), "--add-request", "Late check-out"], "requests change offline").await;
    let walk_in = fd2.ok(&["create-guest", "--first-name", "Nobody", "--last-name", "Came"], "a guest").await;
    let s4 = fd2
        .ok(
            &[
                "create-reservation",
                "--guest",
                &id(&walk_in),
                "--room-type",
                &t2,
                "--arrival",
                &today,
                "--departure",
                &tomorrow,
            ],
            "an unassigned booking",
        )
        .await;
    fd2.ok(&["no-show", &id(&s4)], "the arrival day has come").await;
    let report = mgr
        .ok(&["report-maintenance", &r3, "--description", "Dripping tap", "--severity", "low"], "maintenance offline")
        .await;
    let request =
        mgr.ok(&["create-service-request", &r2, "--kind", "towels", "--text", "Two more towels"], "a guest asks").await;
    mgr.ok(&["adjust-inventory", &id(&item), "-5"], "towels go to rooms").await;
    let task = mgr
        .ok(
            &["create-task", &r1, "--kind", "checkout_clean", "--assignee", &housekeeper, "--priority", "1"],
            "a manager plans housekeeping",
        )
        .await;
    hk1.ok(&["adjust-inventory", &id(&item), "3"], "towels come back from the laundry").await;
    all_offline(&desks).await;
    hotel.restart_server().await;
    sync_all(&desks).await;

    // Afternoon, online: housekeeping works its list.
    let mine = hk1.ok(&["my-tasks"], "housekeeping reads its tasks").await;
    assert!(mine.as_array().expect("tasks").iter().any(|t| t["id"] == task["id"]), "the task reached hk: {mine}");
    hk1.ok(&["progress-task", &id(&task), "in_progress"], "a pending task starts").await;
    hk1.ok(&["progress-task", &id(&task), "done"], "the room is cleaned").await;
    sync_all(&desks).await;

    // Second outage.
    hotel.stop_server().await;
    let refused = hk2.refused(&["progress-task", &id(&task), "inspected"], "only a manager passes an inspection").await;
    assert_eq!(refused["code"], "not_allowed", "the tablet leaves the inspection to a manager: {refused}");
    hk2.ok(&["adjust-inventory", &id(&item), "-2"], "towels go to the room").await;
    mgr.ok(&["progress-task", &id(&task), "inspected"], "the manager inspects the cleaned room").await;
    hk1.ok(&["set-room-status", &r4, "dirty"], "a spill in a vacant room").await;
    mgr.ok(&["progress-maintenance", &id(&report), "in_progress"], "maintenance starts").await;
    mgr.ok(&["progress-maintenance", &id(&report), "resolved"], "the tap is fixed").await;
    mgr.ok(
        &[
            "set-room-availability",
            &r3,
            "out_of_service",
            "--from",
            &day_after(&today, 40),
            "--until",
            &day_after(&today, 42),
            "--reason",
            "Repainting",
        ],
        "no stay holds the room then",
    )
    .await;
    let s3 = fd1
        .ok(
            &[
                "create-reservation",
                "--guest",
                &guest,
                "--room-type",
                &t1,
                "--arrival",
                &day_after(&today, 10),
                "--departure",
                &day_after(&today, 12),
            ],
            "a future booking",
        )
        .await;
    fd1.ok(&["update-reservation", &id(&s3), "--adults", "2", "--add-note", "Anniversary"], "edits work offline").await;
    fd1.ok(&["assign-room", &id(&s3), "--room", &r1], "the room is free those nights").await;
    fd1.ok(&["cancel", &id(&s3), "--reason", "Guest changed plans"], "it has not arrived").await;
    fd2.ok(&["progress-service-request", &id(&request), "acknowledged"], "the desk saw it").await;
    fd2.ok(&["progress-service-request", &id(&request), "done"], "towels delivered").await;
    all_offline(&desks).await;
    hotel.restart_server().await;
    sync_all(&desks).await;

    // Evening: every desk shows the same hotel, with nothing queued, failed or contested.
    // Housekeeping is sent guests without contact details and postings without money
    // (sync_core::access), so the two tablets agree with each other, and with the
    // front desk on everything housekeeping may read; folios and orders are refused.
    let reads: [&[&str]; 9] = [
        &["room-board"],
        &["reservations", "--limit", "1000"],
        &["maintenance-reports"],
        &["service-requests"],
        &["inventory"],
        &["guests"],
        &["folio", &id(&s1)],
        &["folio", &id(&s2)],
        &["pos-orders"],
    ];
    for (n, read) in reads.into_iter().enumerate() {
        let everything = fd1.ok(read, "every desk reads everything").await;
        for desk in [&fd2, &mgr] {
            let other = desk.ok(read, "every desk reads everything").await;
            assert_eq!(other, everything, "{read:?} must read the same on every front office desk after the day");
        }
        if n > 5 {
            for tablet in [&hk1, &hk2] {
                let refused = tablet.refused(read, "housekeeping is not sent money").await;
                assert_eq!(refused["code"], "not_allowed", "{read:?}: {refused}");
            }
            continue;
        }
        let tablet = hk1.ok(read, "every desk reads everything").await;
        let other = hk2.ok(read, "every desk reads everything").await;
        assert_eq!(other, tablet, "{read:?} must read the same on both housekeeping tablets after the day");
        if n < 5 {
            assert_eq!(tablet, everything, "{read:?} holds nothing hidden from housekeeping, so it reads the same");
        }
    }
    let ids =
        |guests: &Value| -> Vec<Value> { guests.as_array().expect("guests").iter().map(|g| g["id"].clone()).collect() };
    let hidden = hk1.ok(&["guests"], "housekeeping reads guest names").await;
    assert_eq!(ids(&hidden), ids(&fd1.ok(&["guests"], "guests").await), "housekeeping has every guest, by name");
    assert!(hidden.as_array().expect("guests").iter().all(|g| g["email"].is_null()), "but not their contact details");
    for desk in desks {
        let status = desk.ok(&["status"], "status needs no server").await;
        assert_eq!(status["queue"]["pending"], 0, "nothing left to push: {status}");
        assert_eq!(status["queue"]["failed"], 0, "nothing refused: {status}");
        assert_eq!(status["open_conflicts"], 0, "nothing waits for a decision: {status}");
    }

    let count = |items: &Value| items.as_array().and_then(|i| i.iter().find(|x| x["id"] == item["id"]).cloned());
    let stock = count(&hk2.ok(&["inventory"], "stock can be read").await).expect("the item");
    assert_eq!(stock["quantity"], 36, "40 counted, then 5 out, 3 back and 2 out on three desks, all offline");
    let page = hk1.ok(&["reservations", "--limit", "1000"], "stays can be read").await;
    let status_of = |record: &Value| {
        let rows = page["rows"].as_array().expect("rows");
        rows.iter().find(|r| r["id"] == record["id"]).map(|s| s["status"].clone())
    };
    assert_eq!(status_of(&s1), Some("checked_out".into()), "checked out, reinstated, checked out");
    assert_eq!(status_of(&s2), Some("checked_in".into()), "undone and checked in again");
    assert_eq!(status_of(&s3), Some("cancelled".into()));
    assert_eq!(status_of(&s4), Some("no_show".into()));
    let folio = mgr.ok(&["folio", &id(&s1)], "folios can be read").await;
    assert_eq!(folio["postings"].as_array().map(Vec::len), Some(3), "minibar, bar order, card payment: {folio}");
    assert_eq!(folio["balance"], serde_json::json!({}), "settled");
    let board = fd2.ok(&["room-board"], "rooms can be read").await;
    let room = |number: &str| {
        board.as_array().and_then(|b| b.iter().find(|e| e["room"]["number"] == number).map(|e| e["room"].clone()))
    };
    assert_eq!(room(&r1).map(|r| r["cleaning"].clone()), Some("inspected".into()), "cleaned, then inspected");
    assert_eq!(room(&r4).map(|r| r["cleaning"].clone()), Some("dirty".into()));
}
