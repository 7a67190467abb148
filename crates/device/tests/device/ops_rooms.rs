//! Room status, housekeeping, maintenance, service requests and inventory.

use frontdesk_device::{NewInventoryItem, NewMaintenanceReport, NewServiceRequest, NewTask, OutOfOrder, RoomBlock};
use serde_json::json;
use sync_core::domain::{
    Availability, Cleaning, IssueSeverity, MaintenanceStatus, RequestStatus, Role, TaskKind, TaskStatus,
};
use sync_core::schema::EntityKind;
use uuid::Uuid;

use crate::support::{Desk, assert_nothing_written, day};

#[tokio::test]
async fn room_cleaning_and_availability_change_with_their_checks() {
    let desk = Desk::new().await;
    let room = desk.store.set_room_cleaning(&desk.session, desk.room("302").id, Cleaning::Dirty).await.expect("dirty");
    assert_eq!(room.cleaning, Cleaning::Dirty);

    desk.book(Some("301"), 25, 27).await;
    let fields = desk.fields(EntityKind::Room, desk.room("301").id).await;
    let before = desk.stats().await;
    let block = RoomBlock {
        availability: Availability::OutOfOrder,
        from: None,
        until: Some(day(30)),
        reason: Some("leak".into()),
    };
    let err = desk.store.set_room_availability(&desk.session, desk.room("301").id, block).await.expect_err("booked");
    assert_eq!(err.code(), "rule_broken");
    assert!(err.to_string().starts_with("Room 301 is booked on those nights (T-K7Q-0001)"), "{err}");
    let no_reason = RoomBlock { availability: Availability::OutOfOrder, from: None, until: None, reason: None };
    let err =
        desk.store.set_room_availability(&desk.session, desk.room("303").id, no_reason).await.expect_err("reason");
    assert_eq!(err.code(), "invalid_input");
    let mut maintenance = desk.session.clone();
    maintenance.role = Role::Maintenance;
    let err = desk.store.set_room_cleaning(&maintenance, desk.room("301").id, Cleaning::Clean).await.expect_err("role");
    assert_eq!(err.code(), "not_allowed");
    assert_nothing_written(&desk, before, Some((EntityKind::Room, desk.room("301").id, &fields))).await;

    let block = RoomBlock {
        availability: Availability::OutOfService,
        from: Some(day(23)),
        until: Some(day(24)),
        reason: Some("lamp".into()),
    };
    let blocked = desk.store.set_room_availability(&desk.session, desk.room("302").id, block).await.expect("block");
    assert_eq!((blocked.availability, blocked.return_to), (Availability::OutOfService, Some(Cleaning::Dirty)));
    let open = RoomBlock { availability: Availability::Available, from: None, until: None, reason: None };
    let back = desk.store.set_room_availability(&desk.session, desk.room("302").id, open).await.expect("unblock");
    assert_eq!((back.availability, back.blocked_from, back.return_to), (Availability::Available, None, None));
    assert_eq!(back.cleaning, Cleaning::Dirty, "it returns to the status it had");
}

#[tokio::test]
async fn housekeeping_tasks_progress_and_clean_their_room() {
    let desk = Desk::new().await;
    let maid = Uuid::from_u128(0x3A1D);
    desk.store.set_room_cleaning(&desk.session, desk.room("301").id, Cleaning::Dirty).await.expect("dirty");
    let input = NewTask {
        room_id: desk.room("301").id,
        kind: TaskKind::CheckoutClean,
        assignee_id: None,
        priority: 2,
        note: Some("linen change".into()),
    };
    let task = desk.store.create_task(&desk.session, input).await.expect("create");
    assert_eq!(task.status, TaskStatus::Pending);
    desk.store.assign_task(&desk.session, task.id, Some(maid)).await.expect("assign");
    assert_eq!(desk.store.tasks_for(maid).await.expect("tasks").len(), 1);

    let fields = desk.fields(EntityKind::HousekeepingTask, task.id).await;
    let before = desk.stats().await;
    let err = desk.store.progress_task(&desk.session, task.id, TaskStatus::Inspected).await.expect_err("skip");
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        ("rule_broken", "The task is pending; it cannot move to inspected")
    );
    let bad =
        NewTask { room_id: Uuid::from_u128(3), kind: TaskKind::Turndown, assignee_id: None, priority: 1, note: None };
    assert_eq!(desk.store.create_task(&desk.session, bad).await.expect_err("no room").code(), "not_found");
    let urgent =
        NewTask { room_id: desk.room("301").id, kind: TaskKind::Turndown, assignee_id: None, priority: 9, note: None };
    assert_eq!(desk.store.create_task(&desk.session, urgent).await.expect_err("priority").code(), "invalid_input");
    assert_nothing_written(&desk, before, Some((EntityKind::HousekeepingTask, task.id, &fields))).await;

    let mut housekeeping = desk.session.clone();
    housekeeping.role = Role::Housekeeping;
    desk.store.progress_task(&housekeeping, task.id, TaskStatus::InProgress).await.expect("start");
    desk.store.progress_task(&housekeeping, task.id, TaskStatus::Done).await.expect("done");
    assert_eq!(desk.room_now("301").await.cleaning, Cleaning::Clean, "a finished clean makes the room clean");
    let own = desk.store.progress_task(&housekeeping, task.id, TaskStatus::Inspected).await.expect_err("own work");
    assert_eq!(own.code(), "not_allowed", "a housekeeper does not pass their own clean: {own}");
    let mut manager = desk.session.clone();
    manager.role = Role::Manager;
    desk.store.progress_task(&manager, task.id, TaskStatus::Inspected).await.expect("inspected by a manager");
    assert_eq!(desk.room_now("301").await.cleaning, Cleaning::Inspected);
    assert!(desk.store.tasks_for(maid).await.expect("tasks").is_empty(), "inspected tasks are no longer open");
}

#[tokio::test]
async fn a_maintenance_report_can_take_the_room_out_of_order_until_resolved() {
    let desk = Desk::new().await;
    let mut maintenance = desk.session.clone();
    maintenance.role = Role::Maintenance;
    let input = NewMaintenanceReport {
        room_id: desk.room("303").id,
        description: "Shower leaks".into(),
        severity: IssueSeverity::High,
        out_of_order: Some(OutOfOrder { until: None }),
    };
    let report = desk.store.report_maintenance(&maintenance, input).await.expect("report");
    assert!(report.puts_out_of_order);
    let room = desk.room_now("303").await;
    assert_eq!((room.availability, room.blocked_from), (Availability::OutOfOrder, Some(day(23))));
    assert_eq!(room.blocked_reason.as_deref(), Some("Shower leaks"));

    let before = desk.stats().await;
    let err = desk
        .store
        .progress_maintenance(&maintenance, report.id, MaintenanceStatus::Open, None)
        .await
        .expect("staying put is allowed");
    assert_eq!(err.status, MaintenanceStatus::Open);
    assert_eq!(desk.stats().await.outbox, before.outbox, "no change, no mutation");

    // A booked room: the report is recorded at once, the room stays sellable until the
    // front desk has moved its stays, and the front desk sees it on its list.
    let stay = desk.book(Some("302"), 23, 24).await;
    let booked = NewMaintenanceReport {
        room_id: desk.room("302").id,
        description: "Broken window".into(),
        severity: IssueSeverity::Urgent,
        out_of_order: Some(OutOfOrder { until: Some(day(28)) }),
    };
    let window = desk.store.report_maintenance(&maintenance, booked).await.expect("recorded on a booked room");
    assert!(window.puts_out_of_order);
    assert_eq!(desk.room_now("302").await.availability, Availability::Available, "guests still hold it");
    let to_clear = desk.store.rooms_to_clear(day(23)).await.expect("list");
    assert_eq!(to_clear.len(), 1, "{to_clear:?}");
    assert_eq!((to_clear[0].room_number.as_str(), to_clear[0].stays[0].id), ("302", stay.id));
    desk.store.assign_room(&desk.session, stay.id, Some(desk.room("301").id)).await.expect("moved");
    assert!(desk.store.rooms_to_clear(day(23)).await.expect("list").is_empty(), "nothing left to move");

    desk.store.progress_maintenance(&maintenance, report.id, MaintenanceStatus::InProgress, None).await.expect("start");
    let resolved = desk
        .store
        .progress_maintenance(&maintenance, report.id, MaintenanceStatus::Resolved, Some("seal replaced"))
        .await
        .expect("resolve");
    assert_eq!(resolved.status, MaintenanceStatus::Resolved);
    let room = desk.room_now("303").await;
    assert_eq!((room.availability, room.cleaning), (Availability::Available, Cleaning::Clean));
    let err = desk.store.progress_maintenance(&maintenance, report.id, MaintenanceStatus::Open, None).await;
    assert_eq!(err.expect_err("resolved is final").code(), "rule_broken");
}

#[tokio::test]
async fn service_requests_move_forward_only() {
    let desk = Desk::new().await;
    let input = NewServiceRequest { room_id: desk.room("401").id, kind: "towels".into(), text: "Two more".into() };
    let request = desk.store.create_service_request(&desk.session, input).await.expect("create");
    desk.store.progress_service_request(&desk.session, request.id, RequestStatus::Acknowledged).await.expect("ack");
    desk.store.progress_service_request(&desk.session, request.id, RequestStatus::Done).await.expect("done");
    let before = desk.stats().await;
    let err = desk.store.progress_service_request(&desk.session, request.id, RequestStatus::New).await;
    assert_eq!(err.expect_err("backwards").code(), "rule_broken");
    let blank = NewServiceRequest { room_id: desk.room("401").id, kind: " ".into(), text: String::new() };
    assert_eq!(
        desk.store.create_service_request(&desk.session, blank).await.expect_err("kind").code(),
        "invalid_input"
    );
    assert_nothing_written(&desk, before, None).await;
}

#[tokio::test]
async fn inventory_moves_by_deltas_that_the_server_can_add_up() {
    let desk = Desk::new().await;
    let input = NewInventoryItem {
        sku: "TOWEL-L".into(),
        name: "Large towel".into(),
        location: "Floor 3".into(),
        quantity: 10,
    };
    let item = desk.store.create_inventory_item(&desk.session, input).await.expect("create");
    desk.store.adjust_inventory(&desk.session, item.id, -3).await.expect("take three");
    let after = desk.store.adjust_inventory(&desk.session, item.id, 5).await.expect("add five");
    assert_eq!(after.quantity, 12);
    let adjustments: Vec<_> = desk
        .store
        .pending_batch(100)
        .await
        .expect("batch")
        .into_iter()
        .filter(|(_, m)| m.record_id == item.id && m.op == sync_core::protocol::Operation::Update)
        .map(|(_, m)| (m.changes["quantity"].base.clone(), m.changes["quantity"].value.clone()))
        .collect();
    assert_eq!(
        adjustments,
        vec![(json!(10), json!(7)), (json!(7), json!(12))],
        "each mutation carries base and base + delta, so the server applies -3 and +5 on its own count"
    );

    let fields = desk.fields(EntityKind::InventoryItem, item.id).await;
    let before = desk.stats().await;
    let err = desk.store.adjust_inventory(&desk.session, item.id, -13).await.expect_err("not enough");
    assert_eq!(err.to_string(), "Only 12 of Large towel are in stock at Floor 3: cannot take out 13");
    assert_eq!(desk.store.adjust_inventory(&desk.session, item.id, 0).await.expect_err("zero").code(), "invalid_input");
    assert_nothing_written(&desk, before, Some((EntityKind::InventoryItem, item.id, &fields))).await;
}

#[tokio::test]
async fn only_a_manager_changes_the_desks_own_settings() {
    let mut desk = Desk::new().await;
    for role in [Role::FrontDesk, Role::Housekeeping, Role::Maintenance] {
        desk.session.role = role;
        let err = desk.session.require_manager("change this desk's sync settings").expect_err("refused");
        assert_eq!(err.code(), "not_allowed", "{role:?}");
        assert_eq!(err.to_string(), "Only a manager may change this desk's sync settings");
    }
    desk.session.role = Role::Manager;
    assert!(desk.session.require_manager("change this desk's sync settings").is_ok());
}
