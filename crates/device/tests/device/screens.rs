//! The screen-shaped queries of `screens.rs`, on a real SQLite file.

use chrono::{DateTime, Duration, Utc};
use frontdesk_device::screens::{ReservationQuery, record_title};
use frontdesk_device::sync::{StaleAction, StaleVerdict, SyncSettings, SyncState, SyncStatus};
use frontdesk_device::{NewMaintenanceReport, NewServiceRequest};
use sync_core::domain::{IssueSeverity, MaintenanceStatus, RequestStatus, ReservationStatus, Role, StaffUser};
use sync_core::protocol::Cursor;
use sync_core::schema::EntityKind;
use uuid::Uuid;

use crate::support::{Desk, PROPERTY, change, day, fields};

fn query(text: &str) -> ReservationQuery {
    ReservationQuery { text: text.into(), statuses: vec![], from: None, to: None, offset: 0, limit: 200 }
}

fn status() -> SyncStatus {
    SyncStatus {
        state: SyncState::Offline,
        queued: 0,
        failed: 0,
        conflicts: 0,
        last_sync_at: None,
        reason: Some("Not signed in to a server".into()),
        needs_sign_in: false,
    }
}

fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(1_763_900_000_000).expect("a time")
}

#[tokio::test]
async fn catalog_names_rooms_types_and_staff_before_and_after_the_property_syncs() {
    let desk = Desk::new().await;
    let staff = StaffUser {
        id: Uuid::from_u128(0xB0B),
        property_id: PROPERTY,
        username: "ana".into(),
        display_name: "Ana".into(),
        role: Role::FrontDesk,
        active: true,
    };
    desk.store.apply_pulled(&[change(EntityKind::StaffUser, fields(&staff), 7)], Cursor::after(7)).await.expect("pull");

    let catalog = desk.store.catalog(PROPERTY, day(23)).await.expect("catalog");
    assert_eq!(catalog.property.id, PROPERTY, "a placeholder stands in until the property record syncs");
    assert_eq!(catalog.business_date, day(23));
    assert_eq!(catalog.room_types.iter().map(|t| t.name.as_str()).collect::<Vec<_>>(), ["Double", "Suite"]);
    assert_eq!(catalog.rooms.iter().map(|r| r.number.as_str()).collect::<Vec<_>>(), ["301", "302", "303", "401"]);
    assert_eq!(catalog.staff.len(), 1);
    assert_eq!(catalog.staff[0].display_name, "Ana");
    let json = serde_json::to_value(&catalog).expect("serialise");
    for key in ["property", "business_date", "room_types", "rooms", "staff", "devices"] {
        assert!(json.get(key).is_some(), "ui/src/api.ts Catalog reads {key}");
    }
}

#[tokio::test]
async fn today_lists_arrivals_to_check_in_departures_in_house_and_everyone_in_house() {
    let desk = Desk::new().await;
    let arriving = desk.book(Some("301"), 23, 25).await;
    let checked_in_today = desk.book(Some("302"), 23, 24).await;
    let leaving = desk.book(Some("303"), 21, 23).await;
    desk.store.check_in(&desk.session, checked_in_today.id).await.expect("check in");
    // A stay that started earlier is checked in on the day it leaves in this test:
    // the desk's session date is the 23rd, so move it in as a late arrival first.
    let mut late = desk.session.clone();
    late.today = day(21);
    desk.store.check_in(&late, leaving.id).await.expect("check in on arrival day");

    let today = desk.store.today(day(23)).await.expect("today");
    let ids = |list: &[sync_core::domain::Reservation]| list.iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(ids(&today.arrivals), vec![arriving.id], "a checked-in arrival is no longer waiting");
    assert_eq!(ids(&today.departures), vec![leaving.id]);
    assert_eq!(today.in_house.len(), 2);
}

#[tokio::test]
async fn reservation_pages_count_every_match_and_filter_by_text_status_and_nights() {
    let desk = Desk::new().await;
    let mut stays = Vec::new();
    for (arrival, departure) in [(10, 12), (12, 14), (14, 16), (16, 18), (18, 20)] {
        stays.push(desk.book(None, arrival, departure).await);
    }
    let guest = desk.guest("Maria", "Garcia").await;
    let maria =
        desk.store.create_reservation(&desk.session, desk.booking(guest, Some("401"), 20, 22)).await.expect("book");
    desk.store.cancel_reservation(&desk.session, stays[0].id, Some("changed plans")).await.expect("cancel");

    let all = desk.store.reservation_page(&query("")).await.expect("page");
    assert_eq!(all.total, 6);
    assert_eq!(all.rows.first().map(|r| r.id), Some(stays[0].id), "ordered by arrival");

    let mut window = query("");
    window.offset = 2;
    window.limit = 2;
    let page = desk.store.reservation_page(&window).await.expect("page");
    assert_eq!((page.total, page.offset), (6, 2), "the total counts every match whatever the window");
    assert_eq!(page.rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![stays[2].id, stays[3].id]);

    assert_eq!(desk.store.reservation_page(&query("garc")).await.expect("name").total, 1);
    assert_eq!(desk.store.reservation_page(&query("SARAH")).await.expect("name").total, 5);
    let by_number = query(&maria.confirmation.to_string().to_lowercase());
    assert_eq!(desk.store.reservation_page(&by_number).await.expect("confirmation").rows[0].id, maria.id);
    assert_eq!(desk.store.reservation_page(&query("401")).await.expect("room").rows[0].id, maria.id);

    let mut cancelled = query("");
    cancelled.statuses = vec![ReservationStatus::Cancelled];
    assert_eq!(desk.store.reservation_page(&cancelled).await.expect("status").total, 1);

    let mut nights = query("");
    nights.from = Some(day(15));
    nights.to = Some(day(18));
    let found = desk.store.reservation_page(&nights).await.expect("nights");
    assert_eq!(
        found.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![stays[2].id, stays[3].id],
        "a night on or after the 15th and an arrival before the 18th"
    );
}

#[tokio::test]
async fn the_tape_chart_holds_every_stay_with_a_night_in_the_range() {
    let desk = Desk::new().await;
    let before = desk.book(None, 10, 15).await;
    let across = desk.book(Some("301"), 14, 17).await;
    let inside = desk.book(Some("302"), 16, 18).await;
    let after = desk.book(None, 22, 24).await;
    desk.store.cancel_reservation(&desk.session, inside.id, None).await.expect("cancel");

    let chart = desk.store.tape_chart(day(15), 7).await.expect("chart");
    let ids: Vec<Uuid> = chart.stays.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![across.id, inside.id], "any status, nights in [15, 22)");
    assert!(!ids.contains(&before.id), "the stay leaving on the 15th has no night in the range");
    assert!(!ids.contains(&after.id));
    assert_eq!((chart.from, chart.days), (day(15), 7));
}

#[tokio::test]
async fn guests_are_found_by_name_email_or_loyalty_number() {
    let desk = Desk::new().await;
    let maria = desk.guest("Maria", "Garcia").await;
    desk.guest("Sarah", "Johnson").await;
    let edit = frontdesk_device::GuestEdit {
        email: Some(Some("maria@example.com".into())),
        loyalty_number: Some(Some("GOLD-77".into())),
        ..Default::default()
    };
    desk.store.edit_guest(&desk.session, maria, edit).await.expect("edit");

    let found = |text: &'static str| {
        let store = &desk.store;
        async move { store.search_guests(text).await.expect("search").into_iter().map(|g| g.id).collect::<Vec<_>>() }
    };
    assert_eq!(found("maria garc").await, vec![maria]);
    assert_eq!(found("EXAMPLE.COM").await, vec![maria]);
    assert_eq!(found("gold-77").await, vec![maria]);
    assert_eq!(found("").await.len(), 2, "an empty search lists recent guests");
    assert_eq!(found("").await[0], maria, "the most recently changed first");
}

#[tokio::test]
async fn work_lists_put_open_items_first() {
    let desk = Desk::new().await;
    let room = desk.room("301").id;
    let report = |description: &str| NewMaintenanceReport {
        room_id: room,
        description: description.into(),
        severity: IssueSeverity::Low,
        out_of_order: None,
    };
    let leak = desk.store.report_maintenance(&desk.session, report("Leaking tap")).await.expect("report");
    let lamp = desk.store.report_maintenance(&desk.session, report("Broken lamp")).await.expect("report");
    desk.store
        .progress_maintenance(&desk.session, leak.id, MaintenanceStatus::InProgress, None)
        .await
        .expect("progress");
    let reports = desk.store.maintenance_reports().await.expect("reports");
    assert_eq!(reports.iter().map(|r| r.id).collect::<Vec<_>>(), vec![lamp.id, leak.id], "open first");

    let request = |kind: &str| NewServiceRequest { room_id: room, kind: kind.into(), text: "please".into() };
    let towels = desk.store.create_service_request(&desk.session, request("towels")).await.expect("request");
    let pillow = desk.store.create_service_request(&desk.session, request("pillow")).await.expect("request");
    desk.store
        .progress_service_request(&desk.session, towels.id, RequestStatus::Acknowledged)
        .await
        .expect("acknowledge");
    let requests = desk.store.service_requests().await.expect("requests");
    assert_eq!(requests.iter().map(|r| r.id).collect::<Vec<_>>(), vec![pillow.id, towels.id], "new first");
    assert!(desk.store.pos_orders().await.expect("orders").is_empty());
    assert!(desk.store.inventory_items().await.expect("items").is_empty());
}

#[tokio::test]
async fn the_outbox_view_says_what_each_change_is_and_retry_needs_a_failed_one() {
    let desk = Desk::new().await;
    let stay = desk.book(Some("301"), 23, 25).await;
    desk.store.check_in(&desk.session, stay.id).await.expect("check in");

    let view = desk.store.outbox_view(50).await.expect("outbox");
    assert_eq!(view.counts.pending, i64::try_from(view.entries.len()).expect("small"));
    let summaries: Vec<&str> = view.entries.iter().map(|e| e.summary.as_str()).collect();
    let expected = format!("Check-in of reservation {}, Sarah Johnson", stay.confirmation);
    assert!(summaries.contains(&expected.as_str()), "{summaries:?}");
    assert!(summaries.contains(&"New guest Sarah Johnson"), "{summaries:?}");

    let pending = view.entries[0].mutation_id;
    let err = desk.store.retry_mutation(pending).await.expect_err("only failed changes are retried");
    assert_eq!(err.code(), "not_found");
}

#[tokio::test]
async fn the_sync_view_reports_freshness_and_the_operations_stale_data_warns_about_or_blocks() {
    let desk = Desk::new().await;
    desk.book(None, 23, 25).await;
    let view = desk.store.sync_view(&status(), now()).await.expect("view");
    assert_eq!(view.state, "offline");
    assert!(view.pending > 0, "the booking waits in the queue");
    assert!(view.freshness.iter().all(|k| k.age_secs.is_none()), "never synced");
    assert!(view.operations.iter().any(|o| o.operation == "check_in" && o.verdict == "warn"));
    assert!(matches!(desk.store.stale_verdict("check_in", now()).await.expect("verdict"), StaleVerdict::Warn { .. }));

    let mut settings = SyncSettings::default();
    settings.stale_policies[0].when_critical = StaleAction::Block;
    desk.store.set_settings(&settings).await.expect("save settings");
    let StaleVerdict::Block { message } = desk.store.stale_verdict("check_in", now()).await.expect("verdict") else {
        panic!("never-synced room status is critical, and the policy blocks");
    };
    assert!(message.contains("blocks"), "{message}");

    let synced_ms = u64::try_from((now() - Duration::seconds(10)).timestamp_millis()).expect("positive");
    desk.store.set_last_sync(&EntityKind::ALL, synced_ms).await.expect("last sync");
    assert_eq!(desk.store.stale_verdict("check_in", now()).await.expect("verdict"), StaleVerdict::Go);
    let view = desk.store.sync_view(&SyncStatus { state: SyncState::Synced, ..status() }, now()).await.expect("view");
    assert_eq!(view.state, "idle");
    assert!(view.operations.is_empty(), "fresh data: nothing to warn about");
    assert_eq!(view.last_sync_at.map(|t| t.timestamp()), Some(now().timestamp() - 10));
    let json = serde_json::to_value(&view).expect("serialise");
    for key in
        ["state", "pending", "failed", "held", "open_conflicts", "last_sync_at", "reason", "freshness", "operations"]
    {
        assert!(json.get(key).is_some(), "ui/src/api.ts SyncState reads {key}");
    }
}

#[tokio::test]
async fn metrics_history_and_conflicts_read_from_the_store() {
    let desk = Desk::new().await;
    let stay = desk.book(None, 23, 25).await;
    let metrics = desk.store.sync_metrics_view(now() + Duration::days(1000)).await.expect("metrics");
    assert_eq!(metrics.rounds, 0);
    assert!(metrics.oldest_pending_secs.is_some(), "a change waits in the queue");
    assert_eq!(metrics.pulled, 0, "first copies of records are not changes");
    let mut room = desk.room("301").clone();
    room.floor = 4;
    desk.store.apply_pulled(&[change(EntityKind::Room, fields(&room), 2)], Cursor::after(8)).await.expect("pull");
    let metrics = desk.store.sync_metrics_view(now()).await.expect("metrics");
    assert_eq!(metrics.pulled, 1, "another desk changed room 301");

    let history = desk.store.named_history(EntityKind::Reservation, stay.id).await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].entry.origin, "local");
    assert_eq!(history[0].user_name, None, "the staff record has not synced in this test");
    let json = serde_json::to_value(&history[0]).expect("serialise");
    assert!(json.get("op").is_some() && json.get("user_name").is_some(), "flattened entry plus names");

    assert!(desk.store.conflict_views().await.expect("conflicts").is_empty());
    assert_eq!(record_title(EntityKind::Room, Some(&fields(desk.room("301")))), "Room 301");
    assert_eq!(record_title(EntityKind::Guest, None), "Guest (no longer on this device)");
}
