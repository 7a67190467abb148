//! The push-side hooks: batches in the order of the desk's work and the outcomes of each mutation.

use chrono::Utc;
use frontdesk_device::{NewCharge, NewInventoryItem, ReservationEdit};
use serde_json::json;
use sync_core::conflict::{Author, Conflict, ConflictKind, ConflictStatus, Severity};
use sync_core::schema::EntityKind;

use crate::support::Desk;

#[tokio::test]
async fn pending_batches_come_in_the_order_of_work_and_skip_failed_and_held() {
    let desk = Desk::new().await;
    let reservation = desk.book(None, 23, 25).await; // guest, then reservation
    let charge = NewCharge {
        reservation_id: reservation.id,
        amount_minor: 500,
        currency: "EUR".into(),
        code: "BAR".into(),
        description: "Drinks".into(),
        quantity: 1,
        window: None,
    };
    desk.store.post_charge(&desk.session, charge).await.expect("charge");
    let late_guest = desk.guest("Late", "Guest").await; // a guest made after the charge
    let item = NewInventoryItem { sku: "S".into(), name: "Soap".into(), location: "Store".into(), quantity: 5 };
    desk.store.create_inventory_item(&desk.session, item).await.expect("item");

    let batch = desk.store.pending_batch(100).await.expect("batch");
    let kinds: Vec<EntityKind> = batch.iter().map(|(_, m)| m.entity).collect();
    assert_eq!(
        kinds,
        [
            EntityKind::Guest,
            EntityKind::Reservation,
            EntityKind::FolioPosting,
            EntityKind::Guest,
            EntityKind::InventoryItem
        ],
        "the order the desk worked in, which puts every parent before what points at it"
    );
    assert!(batch.windows(2).all(|w| w[0].0 < w[1].0), "in the order of the actions");
    assert_eq!(batch[3].1.record_id, late_guest);
    assert_eq!(desk.store.pending_batch(2).await.expect("batch").len(), 2, "the limit is honoured");

    desk.store.mark_failed(batch[0].0, "guest.email must be text").await.expect("fail");
    desk.store.mark_held(batch[1].0, "waiting for the guest").await.expect("hold");
    let next: Vec<i64> = desk.store.pending_batch(100).await.expect("batch").iter().map(|(seq, _)| *seq).collect();
    assert_eq!(next, vec![batch[2].0, batch[3].0, batch[4].0], "failed and held mutations never block the rest");
    let counts = desk.store.outbox_counts().await.expect("counts");
    assert_eq!((counts.pending, counts.failed, counts.held), (3, 1, 1));
    let listing = desk.store.outbox(100).await.expect("outbox");
    let failed = listing.iter().find(|e| e.seq == batch[0].0).expect("still listed");
    assert_eq!(
        (failed.state.as_str(), failed.last_error.as_deref(), failed.attempts),
        ("failed", Some("guest.email must be text"), 1)
    );

    assert_eq!(desk.store.requeue(false).await.expect("requeue held"), 1);
    assert_eq!(desk.store.pending_batch(100).await.expect("batch").len(), 4);
    assert_eq!(desk.store.requeue(true).await.expect("requeue all"), 1, "only the failed one was left");
    assert_eq!(desk.store.mark_failed(9_999, "x").await.expect_err("unknown").code(), "not_found");
}

#[tokio::test]
async fn an_applied_mutation_leaves_the_outbox_and_becomes_the_synced_base() {
    let desk = Desk::new().await;
    let reservation = desk.book(None, 23, 25).await;
    let batch = desk.store.pending_batch(100).await.expect("batch");
    for (seq, _) in &batch {
        desk.store.ack_applied(*seq, 1).await.expect("ack");
    }
    desk.store.ack_applied(batch[0].0, 1).await.expect("a replayed ack is harmless");
    assert_eq!(desk.stats().await.outbox, 0);
    let (fields, version) =
        desk.store.record_fields(EntityKind::Reservation, reservation.id).await.expect("read").expect("there");
    assert_eq!(version, Some(1));
    let edit = ReservationEdit { adults: Some(1), ..Default::default() };
    desk.store.edit_reservation(&desk.session, reservation.id, edit).await.expect("edit");
    let (_, update) = desk.store.pending_batch(10).await.expect("batch").pop().expect("the edit");
    assert_eq!(update.base_version, Some(1), "edits after a sync name the synced version");
    assert_eq!(update.changes["adults"].base, fields["adults"]);
}

#[tokio::test]
async fn a_merged_answer_rebases_later_edits_and_a_conflict_is_kept_for_the_dialog() {
    let desk = Desk::new().await;
    let reservation = desk.book(None, 23, 25).await;
    for (seq, _) in desk.store.pending_batch(100).await.expect("batch") {
        desk.store.ack_applied(seq, 1).await.expect("ack");
    }
    let first = ReservationEdit { adults: Some(3), ..Default::default() };
    desk.store.edit_reservation(&desk.session, reservation.id, first).await.expect("edit");
    let second = ReservationEdit { rate_code: Some("PROMO".into()), ..Default::default() };
    desk.store.edit_reservation(&desk.session, reservation.id, second).await.expect("edit");
    let batch = desk.store.pending_batch(10).await.expect("batch");

    // The server merged the first edit with someone else's change of the source.
    let mut merged = desk.fields(EntityKind::Reservation, reservation.id).await;
    merged.insert("rate_code".into(), json!("BAR"));
    merged.insert("source".into(), json!("email"));
    desk.store.apply_merged(batch[0].0, 2, &merged).await.expect("merged");
    let now = desk.fields(EntityKind::Reservation, reservation.id).await;
    assert_eq!(now["source"], "email", "the server's merged value is taken");
    assert_eq!(now["adults"], 3);
    assert_eq!(now["rate_code"], "PROMO", "the later pending edit stays on top");

    let mutation = &batch[1].1;
    let conflict = Conflict {
        id: uuid::Uuid::from_u128(77),
        entity: EntityKind::Reservation,
        record_id: reservation.id,
        kind: ConflictKind::Data,
        severity: Severity::Medium,
        auto_resolvable: false,
        fields: Vec::new(),
        device: Author::of(mutation),
        server: Some(Author {
            device_id: uuid::Uuid::from_u128(9),
            user_id: uuid::Uuid::from_u128(9),
            hlc: mutation.hlc,
            at: Utc::now(),
        }),
        mutation_id: mutation.id,
        device_changes: mutation.changes.clone(),
        base_version: mutation.base_version,
        server_version: Some(3),
        rule: None,
        summary: "Both changed the rate code".into(),
        status: ConflictStatus::Open,
    };
    desk.store.store_conflict(batch[1].0, &conflict, None).await.expect("conflict");
    desk.store.store_conflict(batch[1].0, &conflict, None).await.expect("a replayed conflict is stored once");
    let open = desk.store.open_conflicts().await.expect("conflicts");
    assert_eq!(open, vec![conflict]);
    assert_eq!(desk.stats().await.outbox, 0);
    let now = desk.fields(EntityKind::Reservation, reservation.id).await;
    assert_eq!(now["rate_code"], "BAR", "without a merged record the server's value shows until someone resolves");
}

#[tokio::test]
async fn a_whole_push_answer_is_recorded_in_one_go() {
    use sync_core::protocol::{Outcome, RejectCategory};
    let desk = Desk::new().await;
    desk.book(None, 23, 25).await;
    desk.book(None, 24, 25).await;
    let batch = desk.store.pending_batch(100).await.expect("batch");
    assert_eq!(batch.len(), 4, "two guests, two reservations");
    let dependency = Conflict {
        id: uuid::Uuid::from_u128(1),
        entity: batch[3].1.entity,
        record_id: batch[3].1.record_id,
        kind: ConflictKind::Dependency,
        severity: Severity::Low,
        auto_resolvable: true,
        fields: Vec::new(),
        device: Author::of(&batch[3].1),
        server: None,
        mutation_id: batch[3].1.id,
        device_changes: batch[3].1.changes.clone(),
        base_version: None,
        server_version: None,
        rule: None,
        summary: "Waiting for a record this one points at".into(),
        status: ConflictStatus::Open,
    };
    let outcomes = vec![
        (batch[0].0, Outcome::Applied { version: 1 }),
        (batch[1].0, Outcome::Rejected { category: RejectCategory::Validation, message: "bad email".into() }),
        (batch[2].0, Outcome::Applied { version: 1 }),
        (batch[3].0, Outcome::Conflict { version: None, record: None, conflict: Box::new(dependency) }),
    ];
    desk.store.apply_outcomes(&outcomes).await.expect("answers");
    let listing = desk.store.outbox(10).await.expect("outbox");
    let states: Vec<(&str, Option<&str>)> =
        listing.iter().map(|e| (e.state.as_str(), e.last_error.as_deref())).collect();
    assert_eq!(
        states,
        [("failed", Some("bad email")), ("held", Some("Waiting for a record this one points at"))],
        "applied ones left; the rejected one stays visible; the dependent one waits for its parent"
    );
    assert!(desk.store.open_conflicts().await.expect("conflicts").is_empty(), "a dependency is a hold, not a dialog");
}
