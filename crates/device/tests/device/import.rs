//! Bulk import of reservations from JSON Lines.

use chrono::NaiveDate;
use frontdesk_device::{ExchangeImport, ImportFormat, Session};
use serde_json::json;
use sync_core::domain::{Guest, Reservation, ReservationStatus, Role};
use sync_core::protocol::Operation;
use sync_core::schema::EntityKind;
use uuid::Uuid;

use crate::support::{DOUBLE, Desk, PROPERTY, assert_nothing_written};

#[tokio::test]
async fn an_import_stores_valid_lines_with_their_outbox_entries_and_reports_the_rest() {
    let desk = Desk::new().await;
    let guest = desk.guest("Sarah", "Johnson").await;
    let line = |confirmation: &str, arrival: &str| {
        json!({
            "confirmation": confirmation, "guest_id": guest, "guest_name": "Sarah Johnson",
            "room_type_id": DOUBLE, "room_id": null, "arrival": arrival, "departure": "2026-12-03",
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

/// A line of the exchange format (the benchmark data's), as another hotel system writes it.
fn exchange_line(id: &str, room: Option<&str>, room_type: &str, email: &str, arrival: &str, departure: &str) -> String {
    json!({"id": id, "type": "reservation", "confirmationCode": "H388739303", "guestName": "Jonas Horvat",
           "email": email, "phone": "+1-555-5155179", "roomNumber": room, "roomType": room_type,
           "checkIn": arrival, "checkOut": departure, "nights": 2, "adults": 2, "children": 1,
           "status": "checked_in", "rateCode": "GOV", "balance": 1147.47, "currency": "USD", "source": "phone",
           "loyaltyId": "L1760849", "specialRequests": ["high floor", "quiet room"], "notes": "arrives late",
           "createdAt": "2025-10-29T00:00:00.000Z", "updatedAt": "2025-10-29T00:00:00.000Z"})
    .to_string()
}

/// Writes `lines` as a gzipped JSON Lines file in the desk's directory.
fn gz_file(desk: &Desk, name: &str, lines: &[String]) -> std::path::PathBuf {
    use std::io::Write;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for line in lines {
        writeln!(gz, "{line}").expect("write");
    }
    let path = desk.dir.path().join(name);
    std::fs::write(&path, gz.finish().expect("gzip")).expect("the file");
    path
}

#[tokio::test]
async fn an_exchange_file_imports_its_stays_and_guests_as_local_changes() {
    let desk = Desk::new().await;
    let lines = [
        exchange_line("x:1", Some("301"), "double", "jonas@example.com", "2026-12-01", "2026-12-03"),
        String::new(),
        // The same guest again, and a stay in the same room on the same nights: both
        // kept (the server raises the overlap as a conflict).
        exchange_line("x:2", Some("301"), "Double", "jonas@example.com", "2026-12-02", "2026-12-04"),
        exchange_line("x:3", None, "suite", "ada@example.com", "2026-12-05", "2026-12-06"),
    ];
    let path = gz_file(&desk, "stays.jsonl.gz", &lines);
    let text = frontdesk_device::import::read_text(&path).expect("read the gzipped file");
    assert_eq!(ImportFormat::detect(&text), ImportFormat::Exchange, "told by its camelCase keys");
    let before = desk.stats().await;

    let report = desk.store.import_exchange(&desk.session, &text).await.expect("import");
    assert_eq!(report, ExchangeImport { read: 3, imported: 3, existing: 0, guests: 2 }, "two emails, three stays");
    let after = desk.stats().await;
    assert_eq!(
        (after.records, after.outbox, after.history),
        (before.records + 5, before.outbox + 5, before.history + 5),
        "every new record has its outbox insert and history line"
    );

    let first = sync_core::import::reservation_id(PROPERTY, "x:1");
    let stay: Reservation = desk.store.record(EntityKind::Reservation, first).await.expect("read").expect("stored");
    assert_eq!(stay.room_id, Some(desk.room("301").id), "the line's room number is the hotel's room");
    assert_eq!(stay.room_type_id, DOUBLE, "`double` is the Double room type");
    assert_eq!(stay.status, ReservationStatus::CheckedIn);
    let december = |d| NaiveDate::from_ymd_opt(2026, 12, d).expect("a December day");
    assert_eq!((stay.arrival, stay.departure), (december(1), december(3)));
    assert_eq!(stay.confirmation.to_string(), "H-2025-388739303", "the other system's number is kept");
    assert_eq!(stay.special_requests, ["high floor", "quiet room"]);
    assert_eq!(stay.notes.len(), 1, "the line's note");
    let guest: Guest = desk.store.record(EntityKind::Guest, stay.guest_id).await.expect("read").expect("a guest");
    assert_eq!((guest.first_name.as_str(), guest.last_name.as_str()), ("Jonas", "Horvat"));
    assert_eq!(guest.loyalty_number.as_deref(), Some("L1760849"));
    let second = sync_core::import::reservation_id(PROPERTY, "x:2");
    let second: Reservation = desk.store.record(EntityKind::Reservation, second).await.expect("read").expect("stored");
    assert_eq!(second.guest_id, stay.guest_id, "one profile per email");

    // Pushed in causal order: each guest before the stays pointing at it.
    let batch = desk.store.pending_batch(100).await.expect("batch");
    let position = |id: Uuid| batch.iter().position(|(_, m)| m.record_id == id).expect("queued");
    assert!(position(stay.guest_id) < position(first), "the guest is pushed before its stay");
    assert!(batch.iter().all(|(_, m)| m.op == Operation::Insert));
}

#[tokio::test]
async fn a_bad_exchange_line_is_named_by_number_and_nothing_is_imported() {
    let desk = Desk::new().await;
    let good = exchange_line("x:1", Some("301"), "double", "jonas@example.com", "2026-12-01", "2026-12-03");
    let before = desk.stats().await;
    for (lines, number, says) in [
        (vec![good.clone(), String::new(), "{\"id\": \"x:2\", \"checkIn\": 5}".to_owned()], 3, "exchange format"),
        (
            vec![good.clone(), exchange_line("x:2", None, "double", "a@example.com", "2026-12-05", "2026-12-01")],
            2,
            "departure",
        ),
        (
            vec![
                good.clone(),
                exchange_line("x:2", Some("999"), "double", "a@example.com", "2026-12-01", "2026-12-02"),
            ],
            2,
            "room 999",
        ),
        (vec![good.clone(), good.clone()], 2, "already on line 1"),
    ] {
        let err = desk.store.import_exchange(&desk.session, &lines.join("\n")).await.expect_err("a bad line");
        assert_eq!(err.code(), "invalid_input");
        let message = err.to_string();
        assert!(message.starts_with(&format!("line {number}: ")), "the line is named: {message}");
        assert!(message.contains(says), "and what is wrong with it: {message}");
        assert_nothing_written(&desk, before, None).await;
    }
}

#[tokio::test]
async fn importing_an_exchange_file_again_adds_nothing() {
    let desk = Desk::new().await;
    let lines = [
        exchange_line("x:1", Some("301"), "double", "jonas@example.com", "2026-12-01", "2026-12-03"),
        exchange_line("x:2", None, "suite", "ada@example.com", "2026-12-05", "2026-12-06"),
    ]
    .join("\n");
    let first = desk.store.import_exchange(&desk.session, &lines).await.expect("import");
    assert_eq!(first.imported, 2);
    let after_first = desk.stats().await;
    let again = desk.store.import_exchange(&desk.session, &lines).await.expect("import again");
    assert_eq!(again, ExchangeImport { read: 2, imported: 0, existing: 2, guests: 0 }, "both stays are known");
    assert_nothing_written(&desk, after_first, None).await;

    // A file that adds a stay to one imported before imports only the new one.
    let more = [lines, exchange_line("x:3", None, "suite", "ada@example.com", "2026-12-07", "2026-12-08")].join("\n");
    let third = desk.store.import_exchange(&desk.session, &more).await.expect("import a longer file");
    assert_eq!(third, ExchangeImport { read: 3, imported: 1, existing: 2, guests: 0 }, "Ada's profile is reused");
}

#[tokio::test]
async fn a_housekeeping_user_may_not_import() {
    let desk = Desk::new().await;
    let session = Session { role: Role::Housekeeping, ..desk.session.clone() };
    let line = exchange_line("x:1", None, "double", "jonas@example.com", "2026-12-01", "2026-12-03");
    let err = desk.store.import_exchange(&session, &line).await.expect_err("refused");
    assert_eq!(err.code(), "not_allowed");
}
