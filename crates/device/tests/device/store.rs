//! Opening, reopening, and the one-transaction guarantee of a user action.

use sync_core::protocol::Operation;
use sync_core::schema::EntityKind;

use crate::support::Desk;

#[tokio::test]
async fn a_record_and_its_outbox_entry_survive_a_restart_together() {
    let desk = Desk::new().await;
    let reservation = desk.book(Some("301"), 23, 25).await;
    let path = desk.store.path().to_path_buf();
    let Desk { dir, store, session, .. } = desk;
    store.close().await.expect("close");

    let store = frontdesk_device::Store::open(&path).await.expect("reopen");
    let stored: sync_core::domain::Reservation =
        store.record(EntityKind::Reservation, reservation.id).await.expect("read").expect("the reservation is there");
    assert_eq!(stored, reservation, "the reservation as created is what the store holds after a restart");
    let batch = store.pending_batch(100).await.expect("batch");
    let insert = batch
        .iter()
        .find(|(_, m)| m.record_id == reservation.id)
        .expect("the reservation's insert waits in the outbox after the restart");
    assert_eq!(insert.1.op, Operation::Insert);
    assert_eq!(insert.1.changes["guest_name"].value, "Sarah Johnson");

    // The clock and the confirmation counter carry on where they were.
    let before = store.last_hlc().await;
    assert_eq!(before, insert.1.hlc.max(before), "the persisted clock is at least the last mutation's");
    let guest = store
        .create_guest(
            &session,
            frontdesk_device::NewGuest { first_name: "Li".into(), last_name: "Wei".into(), ..Default::default() },
        )
        .await
        .expect("guest");
    let next = store
        .create_reservation(
            &session,
            frontdesk_device::NewReservation {
                guest_id: guest.id,
                guest_name: None,
                room_type_id: crate::support::DOUBLE,
                room_id: None,
                arrival: crate::support::day(24),
                departure: crate::support::day(26),
                adults: 1,
                children: 0,
                rate_code: "BAR".into(),
                source: "walk-in".into(),
                special_requests: vec![],
                note: None,
                confirmed: false,
            },
        )
        .await
        .expect("second booking");
    assert_eq!(reservation.confirmation.to_string(), "T-K7Q-0001");
    assert_eq!(next.confirmation.to_string(), "T-K7Q-0002", "the counter was persisted, so numbers never repeat");
    assert!(store.last_hlc().await > before, "the clock never goes backwards across a restart");
    drop(dir);
}

#[tokio::test]
async fn every_action_writes_record_outbox_and_history_in_one_go() {
    let desk = Desk::new().await;
    let before = desk.stats().await;
    let reservation = desk.book(None, 24, 26).await;
    let after = desk.stats().await;
    assert_eq!(after.records, before.records + 2, "a guest and a reservation");
    assert_eq!(after.outbox, before.outbox + 2, "one mutation per record created");
    assert_eq!(after.history, before.history + 2, "one history line per mutation");
    let history = desk.store.history(EntityKind::Reservation, reservation.id).await.expect("history");
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].op, "insert");
    assert_eq!(history[0].origin, "local");
    assert_eq!(history[0].user_id, desk.session.user_id);
    assert_eq!(history[0].device_id, desk.session.device_id);
}

#[tokio::test]
async fn reopening_a_store_runs_no_migration_twice_and_keeps_meta() {
    let desk = Desk::new().await;
    desk.store.set_meta("settings", "{\"batch_size\":500}").await.expect("set");
    let path = desk.store.path().to_path_buf();
    let Desk { dir, store, .. } = desk;
    store.close().await.expect("close");
    let store = frontdesk_device::Store::open(&path).await.expect("reopen an existing store");
    assert_eq!(store.meta("settings").await.expect("meta").as_deref(), Some("{\"batch_size\":500}"));
    assert_eq!(store.cursor().await.expect("cursor"), Some(sync_core::protocol::Cursor::after(6)));
    drop(dir);
}

fn is_send<T: Send>(_: &T) {}

#[tokio::test]
async fn operations_and_hooks_are_send_so_apps_and_workers_can_spawn_them() {
    let desk = Desk::new().await;
    let guest = uuid::Uuid::from_u128(1);
    let create = desk.store.create_reservation(&desk.session, desk.booking(guest, None, 23, 24));
    is_send(&create);
    let pull = desk.store.apply_pulled(&[], sync_core::protocol::Cursor::START);
    is_send(&pull);
    let batch = desk.store.pending_batch(10);
    is_send(&batch);
    fn is_sync<T: Send + Sync>(_: &T) {}
    is_sync(&desk.store);
}

#[tokio::test]
async fn sync_metadata_is_typed_and_persisted() {
    use frontdesk_device::DeviceIdentity;
    use sync_core::schema::EntityKind;
    let desk = Desk::new().await;
    assert_eq!(desk.store.device_identity().await.expect("identity"), None);
    let identity = DeviceIdentity {
        server_url: "http://127.0.0.1:8787".into(),
        device_id: desk.session.device_id,
        device_secret: "secret".into(),
        property_id: desk.session.property_id,
        prefix: "K7Q".into(),
        name: "Desk PC 1".into(),
        property_name: "Hotel Lisboa".into(),
    };
    desk.store.set_device_identity(&identity).await.expect("set");
    desk.store.set_last_sync(&[EntityKind::Room, EntityKind::Reservation], 1_000).await.expect("set");
    desk.store.set_consecutive_failures(3).await.expect("set");
    desk.store.set_settings(&serde_json::json!({"pull_interval_s": 30})).await.expect("set");
    assert_eq!(desk.store.device_identity().await.expect("identity"), Some(identity));
    assert_eq!(desk.store.last_sync(EntityKind::Room).await.expect("last"), Some(1_000));
    assert_eq!(desk.store.last_sync(EntityKind::Guest).await.expect("last"), None);
    assert_eq!(desk.store.consecutive_failures().await.expect("failures"), 3);
    let settings: serde_json::Value = desk.store.settings().await.expect("settings").expect("set before");
    assert_eq!(settings["pull_interval_s"], 30);
}
