//! Bulk import of reservations from JSON Lines.

use serde_json::json;
use sync_core::schema::EntityKind;

use crate::support::Desk;

#[tokio::test]
async fn an_import_stores_valid_lines_with_their_outbox_entries_and_reports_the_rest() {
    let desk = Desk::new().await;
    let guest = desk.guest("Sarah", "Johnson").await;
    let line = |confirmation: &str, arrival: &str| {
        json!({
            "confirmation": confirmation, "guest_id": guest, "guest_name": "Sarah Johnson",
            "room_type_id": crate::support::DOUBLE, "room_id": null, "arrival": arrival, "departure": "2026-12-03",
            "adults": 2, "children": 0, "rate_code": "BAR", "source": "import", "special_requests": [],
            "notes": [], "status": "confirmed",
        })
        .to_string()
    };
    let jsonl =
        [line("H-2026-0001", "2026-12-01"), "not json".into(), line("H-2026-0002", "2026-12-09"), String::new()]
            .join("\n");
    let before = desk.stats().await;
    let report = desk.store.import_reservations(&desk.session, &jsonl).await.expect("import");
    assert_eq!(report.imported, 1);
    assert_eq!(report.refused.len(), 2);
    assert_eq!(report.refused[0].0, 2);
    assert_eq!(report.refused[1].0, 3);
    assert!(report.refused[1].1.contains("departure must be after the arrival"), "{:?}", report.refused);
    let after = desk.stats().await;
    assert_eq!(
        (after.records, after.outbox, after.history),
        (before.records + 1, before.outbox + 1, before.history + 1)
    );
    let found = desk
        .store
        .search_reservations(&frontdesk_device::ReservationSearch::Confirmation("h-2026-0001".into()), 10)
        .await
        .expect("search");
    assert_eq!(found.len(), 1);
    let batch = desk.store.pending_batch(10).await.expect("batch");
    assert!(batch.iter().any(|(_, m)| m.entity == EntityKind::Reservation && m.record_id == found[0].id));
}
