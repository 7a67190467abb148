//! Applying pulled pages: direct takes, rebases of pending edits, deletes, cursor.

use frontdesk_device::{NewInventoryItem, ReservationEdit};
use serde_json::json;
use sync_core::protocol::{ChangeKind, Cursor};
use sync_core::schema::EntityKind;

use crate::support::{Desk, change};

#[tokio::test]
async fn a_record_without_pending_edits_takes_the_server_record() {
    let desk = Desk::new().await;
    let mut room = crate::support::fields(desk.room("301"));
    room.insert("cleaning".into(), json!("dirty"));
    let applied =
        desk.store.apply_pulled(&[change(EntityKind::Room, room.clone(), 2)], Cursor::after(7)).await.expect("pull");
    assert_eq!((applied.records, applied.rebased), (1, 0));
    assert_eq!(desk.fields(EntityKind::Room, desk.room("301").id).await, room);
    assert_eq!(desk.store.cursor().await.expect("cursor"), Some(Cursor::after(7)));
    let history = desk.store.history(EntityKind::Room, desk.room("301").id).await.expect("history");
    let last = history.last().expect("a history line for the pulled change");
    assert_eq!(last.origin, "server");
    assert_eq!(last.before.as_ref().expect("before")["cleaning"], "clean");
    assert_eq!(last.after.as_ref().expect("after")["cleaning"], "dirty");
    assert!(
        desk.store.last_hlc().await
            >= sync_core::hlc::Hlc { physical_ms: 1_763_800_000_002, logical: 0, node: crate::support::SERVER }
    );
}

#[tokio::test]
async fn a_pull_rebases_a_pending_edit_on_top_of_the_server_record() {
    let desk = Desk::new().await;
    let reservation = desk.book(None, 23, 25).await;
    for (seq, _) in desk.store.pending_batch(100).await.expect("batch") {
        desk.store.ack_applied(seq, 1).await.expect("ack");
    }
    let edit = ReservationEdit { adults: Some(3), add_requests: vec!["crib".into()], ..Default::default() };
    desk.store.edit_reservation(&desk.session, reservation.id, edit).await.expect("pending edit");

    // Meanwhile another device changed the source and added a request of its own.
    let mut server = crate::support::fields(&reservation);
    server.insert("source".into(), json!("email"));
    server.insert("special_requests".into(), json!(["quiet room", "late checkout"]));
    let applied = desk
        .store
        .apply_pulled(&[change(EntityKind::Reservation, server.clone(), 2)], Cursor::after(9))
        .await
        .expect("pull");
    assert_eq!(applied.rebased, 1);
    let (now, version) =
        desk.store.record_fields(EntityKind::Reservation, reservation.id).await.expect("read").expect("there");
    assert_eq!(version, Some(2), "the synced version is the server's");
    assert_eq!(now["source"], "email", "the server's change is taken");
    assert_eq!(now["adults"], 3, "the pending edit stays on top");
    assert_eq!(
        now["special_requests"],
        json!(["quiet room", "late checkout", "crib"]),
        "set fields combine both sides' additions, as the server will"
    );
    assert_eq!(desk.stats().await.outbox, 1, "the pending edit still waits to be pushed");

    // The same page again (a retried pull) changes nothing more.
    desk.store.apply_pulled(&[change(EntityKind::Reservation, server, 2)], Cursor::after(9)).await.expect("pull again");
    assert_eq!(desk.fields(EntityKind::Reservation, reservation.id).await, now);
}

#[tokio::test]
async fn a_pending_count_adjustment_is_rebased_as_a_delta() {
    let desk = Desk::new().await;
    let item = NewInventoryItem { sku: "T".into(), name: "Towel".into(), location: "F3".into(), quantity: 10 };
    let item = desk.store.create_inventory_item(&desk.session, item).await.expect("item");
    for (seq, _) in desk.store.pending_batch(100).await.expect("batch") {
        desk.store.ack_applied(seq, 1).await.expect("ack");
    }
    desk.store.adjust_inventory(&desk.session, item.id, -2).await.expect("take two");
    let mut server = crate::support::fields(&item);
    server.insert("quantity".into(), json!(15)); // someone added five
    desk.store.apply_pulled(&[change(EntityKind::InventoryItem, server, 2)], Cursor::after(3)).await.expect("pull");
    assert_eq!(desk.fields(EntityKind::InventoryItem, item.id).await["quantity"], 13, "15 on the server, -2 pending");
}

#[tokio::test]
async fn a_server_delete_hides_a_record_unless_it_has_pending_edits() {
    let desk = Desk::new().await;
    let mut gone = change(EntityKind::Room, crate::support::fields(desk.room("303")), 2);
    gone.kind = ChangeKind::Delete;
    gone.record = None;
    desk.store.apply_pulled(&[gone], Cursor::after(8)).await.expect("pull");
    let board = desk.store.room_board().await.expect("board");
    let numbers: Vec<&str> = board.iter().map(|e| e.room.number.as_str()).collect();
    assert_eq!(numbers, ["301", "302", "401"], "a deleted room leaves the board");

    desk.store
        .set_room_cleaning(&desk.session, desk.room("302").id, sync_core::domain::Cleaning::Dirty)
        .await
        .expect("pending edit");
    let mut gone = change(EntityKind::Room, crate::support::fields(desk.room("302")), 2);
    gone.kind = ChangeKind::Delete;
    gone.record = None;
    desk.store.apply_pulled(&[gone], Cursor::after(9)).await.expect("pull");
    let board = desk.store.room_board().await.expect("board");
    assert!(board.iter().any(|e| e.room.number == "302"), "the pending edit keeps it until the server settles it");
}

#[tokio::test]
async fn a_large_page_is_applied_in_one_transaction() {
    let desk = Desk::new().await;
    let base = crate::support::room(0, "x", crate::support::DOUBLE);
    let changes: Vec<_> = (0..2_000u128)
        .map(|n| {
            let mut room = base.clone();
            room.id = uuid::Uuid::from_u128(0x9_0000 + n);
            room.number = format!("{}", 1000 + n);
            change(EntityKind::Room, crate::support::fields(&room), 1)
        })
        .collect();
    let applied = desk.store.apply_pulled(&changes, Cursor::after(2_010)).await.expect("pull");
    assert_eq!(applied.records, 2_000);
    assert_eq!(desk.store.room_board().await.expect("board").len(), 2_004);
}

/// A record another desk made arrives with a history line of its creation (the
/// first pull, a copy of the hotel, writes none: the desk seeded here made none).
#[tokio::test]
async fn a_record_made_on_another_desk_arrives_with_its_creation_in_history() {
    let desk = Desk::new().await;
    let seeded = desk.store.history(EntityKind::Room, desk.room("302").id).await.expect("history");
    assert!(seeded.is_empty(), "the first pull writes no history: {seeded:?}");
    let id = uuid::Uuid::now_v7();
    let guest = json!({"id": id, "first_name": "Grace", "last_name": "Hopper", "email": "grace@example.org",
        "phone": null, "loyalty_number": null, "loyalty_tier": null, "preferences": [], "notes": [], "tags": [],
        "last_interaction_at": null});
    let guest = guest.as_object().expect("an object").clone();
    desk.store.apply_pulled(&[change(EntityKind::Guest, guest, 1)], Cursor::after(8)).await.expect("pull");
    let history = desk.store.history(EntityKind::Guest, id).await.expect("history");
    assert_eq!(history.len(), 1, "one line: {history:?}");
    let line = &history[0];
    assert_eq!((line.op.as_str(), line.origin.as_str()), ("insert", "server"));
    assert!(line.before.is_none(), "nothing before a creation");
    assert_eq!(line.after.as_ref().expect("after")["last_name"], "Hopper");
}

/// The page as the sync round pulls it: each record the JSON text the server sent.
fn as_text(change: sync_core::protocol::Change) -> sync_core::protocol::Change<Box<serde_json::value::RawValue>> {
    let record = change.record.map(|r| serde_json::value::to_raw_value(&r).expect("JSON text"));
    sync_core::protocol::Change {
        entity: change.entity,
        record_id: change.record_id,
        kind: change.kind,
        version: change.version,
        record,
        hlc: change.hlc,
        device_id: change.device_id,
        user_id: change.user_id,
        at: change.at,
        mutation_id: change.mutation_id,
    }
}

/// Records pulled as text are stored as sent; a new one's history line holds it as
/// created (as a creation on this desk does), a change only what changed, and a
/// pending edit is still rebased on top of the server's version.
#[tokio::test]
async fn a_page_of_json_text_is_applied_like_a_page_of_fields() {
    let desk = Desk::new().await;
    let id = uuid::Uuid::now_v7();
    let guest = json!({"id": id, "property_id": crate::support::PROPERTY, "first_name": "Grace", "last_name": "Hopper",
        "email": "grace@example.org", "phone": null, "loyalty_number": null, "loyalty_tier": null,
        "preferences": [], "notes": [], "tags": [], "last_interaction_at": null});
    let guest = guest.as_object().expect("an object").clone();
    let applied = desk
        .store
        .apply_pulled_text(&[as_text(change(EntityKind::Guest, guest.clone(), 1))], Cursor::after(8))
        .await
        .expect("pull");
    assert_eq!(applied.records, 1);
    assert_eq!(desk.fields(EntityKind::Guest, id).await, guest, "stored as the server sent it");
    let history = desk.store.history(EntityKind::Guest, id).await.expect("history");
    assert_eq!(history.len(), 1, "one line of its creation: {history:?}");
    assert_eq!(history[0].op, "insert");
    assert_eq!(history[0].after.as_ref(), Some(&guest), "the whole record, as a creation on this desk holds it");

    // A pending edit on this desk, then the server's next version of the guest.
    let edit = frontdesk_device::GuestEdit { phone: Some(Some("+351 210 000 000".into())), ..Default::default() };
    desk.store.edit_guest(&desk.session, id, edit).await.expect("edit the phone");
    let mut renamed = guest.clone();
    renamed.insert("last_name".into(), json!("Murray Hopper"));
    let applied = desk
        .store
        .apply_pulled_text(&[as_text(change(EntityKind::Guest, renamed, 2))], Cursor::after(9))
        .await
        .expect("pull again");
    assert_eq!(applied.rebased, 1, "the pending edit is rebased");
    let now = desk.fields(EntityKind::Guest, id).await;
    assert_eq!((now["last_name"].as_str(), now["phone"].as_str()), (Some("Murray Hopper"), Some("+351 210 000 000")));
    let history = desk.store.history(EntityKind::Guest, id).await.expect("history");
    let pulled = history.iter().rfind(|line| line.origin == "server").expect("the pulled change");
    assert_eq!(pulled.after.as_ref().expect("after")["last_name"], "Murray Hopper");
    assert!(pulled.after.as_ref().expect("after").get("email").is_none(), "only what changed: {pulled:?}");
}

/// A first pull is a copy of the hotel on every one of its pages, even when it is cut
/// short and resumed: none of its records gets a history line; once the desk caught
/// up, a record new to it does.
#[tokio::test]
async fn every_page_of_the_first_pull_is_a_copy_without_history() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let store = frontdesk_device::Store::open(dir.path().join("fresh.sqlite")).await.expect("open");
    let room = |n: u128, number: &str| {
        change(EntityKind::Room, crate::support::fields(&crate::support::room(n, number, crate::support::DOUBLE)), 1)
    };
    let double = sync_core::domain::RoomType {
        id: crate::support::DOUBLE,
        property_id: crate::support::PROPERTY,
        code: "DBL".into(),
        name: "Double".into(),
        capacity: 2,
    };
    let first_page = [change(EntityKind::RoomType, crate::support::fields(&double), 1), room(1, "301")];
    store.apply_pulled(&first_page, Cursor::after(2)).await.expect("page 1");
    // The round was cut here; the next one goes on from the cursor.
    store.apply_pulled(&[room(2, "302")], Cursor::after(3)).await.expect("page 2");
    store.first_pull_done().await.expect("caught up");
    for n in [1, 2] {
        let lines = store.history(EntityKind::Room, uuid::Uuid::from_u128(0x1000 + n)).await.expect("history");
        assert!(lines.is_empty(), "room {n} was copied, not changed: {lines:?}");
    }
    store.apply_pulled(&[room(3, "303")], Cursor::after(4)).await.expect("a later pull");
    let lines = store.history(EntityKind::Room, uuid::Uuid::from_u128(0x1000 + 3)).await.expect("history");
    assert_eq!(lines.iter().map(|l| l.op.as_str()).collect::<Vec<_>>(), ["insert"], "made on another desk since");
}
