//! The screens' queries, and their plans at 50,000 reservations.

use std::fmt::Write as _;

use frontdesk_device::ReservationSearch;
use serde_json::json;
use sync_core::domain::TaskKind;
use uuid::Uuid;

use crate::support::{Desk, day};

#[tokio::test]
async fn arrivals_departures_in_house_and_search_find_the_right_stays() {
    let desk = Desk::new().await;
    let guest = desk.guest("Maria", "Garcia-Lopez").await;
    let mut booking = desk.booking(guest, Some("301"), 23, 25);
    booking.guest_name = Some("María García-López".into());
    let maria = desk.store.create_reservation(&desk.session, booking).await.expect("book");
    let sarah = desk.book(Some("302"), 21, 23).await;
    let later = desk.book(None, 24, 27).await;
    desk.store.check_in(&desk.session, maria.id).await.expect("check in");

    let ids = |list: Vec<sync_core::domain::Reservation>| list.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(desk.store.arrivals(day(23)).await.expect("arrivals")), vec![maria.id]);
    assert_eq!(ids(desk.store.arrivals(day(24)).await.expect("arrivals")), vec![later.id]);
    assert!(desk.store.departures(day(23)).await.expect("departures").is_empty(), "sarah is confirmed, not in house");
    assert_eq!(ids(desk.store.in_house().await.expect("in house")), vec![maria.id]);

    let d = &desk;
    let search = |s| async move { ids(d.store.search_reservations(&s, 10).await.expect("search")) };
    assert_eq!(search(ReservationSearch::NamePrefix("marí".into())).await, vec![maria.id]);
    assert_eq!(search(ReservationSearch::NamePrefix("SARAH J".into())).await.len(), 2);
    assert_eq!(search(ReservationSearch::NameContains("garcía".into())).await, vec![maria.id]);
    assert_eq!(
        search(ReservationSearch::Confirmation(sarah.confirmation.to_string().to_lowercase())).await,
        vec![sarah.id]
    );
    assert_eq!(search(ReservationSearch::RoomNumber("302".into())).await, vec![sarah.id]);
    assert!(search(ReservationSearch::RoomNumber("999".into())).await.is_empty());

    let board = desk.store.room_board().await.expect("board");
    assert_eq!(board.len(), 4);
    assert_eq!(board[0].room.number, "301");
    assert_eq!(board[0].in_house.as_ref().map(|r| r.id), Some(maria.id));
    assert!(board.iter().all(|e| !e.mismatch), "occupancy agrees with the in-house stays");

    let maid = Uuid::from_u128(0x3A1D);
    for (room, priority) in [("302", 3), ("303", 1)] {
        let task = frontdesk_device::NewTask {
            room_id: desk.room(room).id,
            kind: TaskKind::Stayover,
            assignee_id: Some(maid),
            priority,
            note: None,
        };
        desk.store.create_task(&desk.session, task).await.expect("task");
    }
    let tasks = desk.store.tasks_for(maid).await.expect("tasks");
    assert_eq!(tasks.iter().map(|t| t.priority).collect::<Vec<_>>(), vec![1, 3], "most urgent first");
}

/// 50,000 reservations through the bulk import (one transaction), then every main
/// query must be an index search, never a scan of the records table.
#[tokio::test]
async fn the_main_queries_use_indexes_at_fifty_thousand_reservations() {
    let desk = Desk::new().await;
    let guest = desk.guest("Bulk", "Guest").await;
    let names = ["Johnson", "García", "Müller", "Smith", "Tanaka", "Okafor", "Rossi", "Dubois", "Silva", "Kowalski"];
    let statuses = ["confirmed", "confirmed", "tentative", "checked_in", "checked_out", "cancelled"];
    let mut jsonl = String::with_capacity(50_000 * 500);
    for n in 0..50_000u32 {
        let arrival = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).expect("day") + chrono::Days::new(u64::from(n % 365));
        let departure = arrival + chrono::Days::new(u64::from(1 + n % 5));
        let room = Uuid::from_u128(0x7_0000 + u128::from(n % 300));
        let line = json!({
            "confirmation": format!("H-2026-{:05}", n + 1), "guest_id": guest,
            "guest_name": format!("{} {}", ["Ana", "Li", "Sam", "Kofi"][(n % 4) as usize], names[(n % 10) as usize]),
            "room_type_id": crate::support::DOUBLE, "room_id": room, "arrival": arrival, "departure": departure,
            "adults": 2, "children": 0, "rate_code": "BAR", "source": "import", "special_requests": [],
            "notes": [], "status": statuses[(n % 6) as usize],
        });
        writeln!(jsonl, "{line}").expect("write");
    }
    let report = desk.store.import_reservations(&desk.session, &jsonl).await.expect("import");
    assert_eq!((report.imported, report.refused.len()), (50_000, 0));

    for (name, plan) in desk.store.query_plans().await.expect("plans") {
        let steps: Vec<&String> =
            plan.iter().filter(|step| step.contains(" records") || step.contains(" history")).collect();
        assert!(!steps.is_empty(), "{name}: the plan reads a table: {plan:?}");
        for step in steps {
            assert!(
                step.starts_with("SEARCH") && step.contains("USING"),
                "{name}: every read of a table must be an index search, got `{step}` in {plan:?}"
            );
            assert!(
                !step.ends_with("(entity=?)"),
                "{name}: a search on the kind alone reads every record of the kind, got `{step}` in {plan:?}"
            );
        }
    }
    let arrivals = desk.store.arrivals(day(23)).await.expect("arrivals");
    assert!(!arrivals.is_empty() && arrivals.len() < 200, "about 137 stays arrive each day, {}", arrivals.len());
    let found =
        desk.store.search_reservations(&ReservationSearch::NamePrefix("kofi ok".into()), 20).await.expect("search");
    assert_eq!(found.len(), 20);
    assert!(found.iter().all(|r| r.guest_name.starts_with("Kofi Okafor")));
    let found = desk
        .store
        .search_reservations(&ReservationSearch::Confirmation("H-2026-04242".into()), 5)
        .await
        .expect("search");
    assert_eq!(found.len(), 1);
}
