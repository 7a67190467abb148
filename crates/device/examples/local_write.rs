//! Times local writes: 10,000 create-reservation actions through the same code path
//! as a receptionist's (validation, record, outbox mutation, history, one commit
//! each) on a real SQLite file, and prints p50/p99 per write; then the device-side
//! cost of a 10,000-mutation push answer and of a cold pull of 50,000 records.
//!
//! `cargo run --release -p frontdesk-device --example local_write [count]`

#![allow(clippy::print_stdout, reason = "an example that reports figures")]

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use chrono::NaiveDate;
use frontdesk_device::{NewGuest, NewReservation, Session, Store};
use sync_core::domain::Role;
use sync_core::hlc::Hlc;
use sync_core::protocol::{Change, ChangeKind, Cursor};
use sync_core::schema::EntityKind;
use uuid::Uuid;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let count: usize = std::env::args().nth(1).map(|n| n.parse()).transpose()?.unwrap_or(10_000);
    let dir = tempfile::tempdir()?;
    let store = Store::open(dir.path().join("device.sqlite")).await?;
    let now_ms = u64::try_from(SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis())?;
    let session = Session {
        property_id: Uuid::from_u128(1),
        device_id: Uuid::from_u128(2),
        user_id: Uuid::from_u128(3),
        user_name: "Bench".into(),
        role: Role::FrontDesk,
        device_prefix: "BEN".into(),
        today: NaiveDate::from_ymd_opt(2026, 11, 23).ok_or("date")?,
        now_ms,
    };
    let guest = store
        .create_guest(
            &session,
            NewGuest { first_name: "Sarah".into(), last_name: "Johnson".into(), ..Default::default() },
        )
        .await?;
    let first = NaiveDate::from_ymd_opt(2026, 1, 1).ok_or("date")?;
    let names = ["Sarah Johnson", "Li Wei", "María García", "Kofi Okafor", "Hans Müller"];

    let mut times = Vec::with_capacity(count);
    let started = Instant::now();
    for n in 0..count {
        let arrival = first + chrono::Days::new((n % 365) as u64);
        let input = NewReservation {
            guest_id: guest.id,
            guest_name: Some(names[n % names.len()].into()),
            room_type_id: Uuid::from_u128(10),
            room_id: None,
            arrival,
            departure: arrival + chrono::Days::new(1 + (n % 4) as u64),
            adults: 2,
            children: (n % 3) as u32,
            rate_code: "BAR".into(),
            source: "phone".into(),
            special_requests: vec!["quiet room".into()],
            note: None,
            confirmed: true,
        };
        let mut at = session.clone();
        at.now_ms = now_ms + n as u64;
        let t = Instant::now();
        store.create_reservation(&at, input).await?;
        times.push(t.elapsed());
    }
    let total = started.elapsed();
    times.sort();
    let batch_started = Instant::now();
    let batch = store.pending_batch(u32::try_from(count + 1)?).await?;
    let batch_time = batch_started.elapsed();
    println!("local writes: {count} create-reservation actions in {:.1} ms", total.as_secs_f64() * 1e3);
    println!(
        "per write: p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms",
        percentile(&times, 0.50).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        percentile(&times, 0.999).as_secs_f64() * 1e3,
        times.last().copied().unwrap_or_default().as_secs_f64() * 1e3
    );
    println!("pending_batch of {} mutations read in {:.1} ms", batch.len(), batch_time.as_secs_f64() * 1e3);
    let outcomes: Vec<_> =
        batch.iter().map(|(seq, _)| (*seq, sync_core::protocol::Outcome::Applied { version: 1 })).collect();
    let acks_started = Instant::now();
    store.apply_outcomes(&outcomes).await?;
    println!(
        "apply_outcomes of {} acknowledgements in {:.1} ms (one transaction)",
        outcomes.len(),
        acks_started.elapsed().as_secs_f64() * 1e3
    );
    let wal = std::fs::metadata(dir.path().join("device.sqlite-wal")).map(|m| m.len()).unwrap_or(0);
    println!("WAL file after the writes: {:.1} MiB (checkpointed in the background)", wal as f64 / 1048576.0);
    store.close().await?;

    // A cold pull of 50,000 reservations into a fresh store, in pages of 5,000.
    let store = Store::open(dir.path().join("pulled.sqlite")).await?;
    let template = serde_json::to_value(store_sample(&session, guest.id, first))?;
    let mut changes = Vec::with_capacity(50_000);
    for n in 0..50_000u64 {
        let mut record = template.as_object().cloned().ok_or("an object")?;
        record.insert("id".into(), serde_json::Value::String(Uuid::now_v7().to_string()));
        record.insert("confirmation".into(), format!("H-2026-{:05}", n + 1).into());
        record.insert("arrival".into(), (first + chrono::Days::new(n % 365)).to_string().into());
        record.insert("departure".into(), (first + chrono::Days::new(n % 365 + 2)).to_string().into());
        changes.push(Change {
            entity: EntityKind::Reservation,
            record_id: Uuid::parse_str(record["id"].as_str().ok_or("id")?)?,
            kind: ChangeKind::Upsert,
            version: 1,
            record: Some(record),
            hlc: Hlc { physical_ms: now_ms, logical: 0, node: Uuid::from_u128(9) },
            device_id: Uuid::from_u128(9),
            user_id: Uuid::from_u128(9),
            at: chrono::Utc::now(),
            mutation_id: None,
        });
    }
    let pull_started = Instant::now();
    for (page, chunk) in changes.chunks(5_000).enumerate() {
        store.apply_pulled(chunk, Cursor::after((page as u64 + 1) * 5_000)).await?;
    }
    println!(
        "apply_pulled of {} reservations (pages of 5,000) in {:.1} ms",
        changes.len(),
        pull_started.elapsed().as_secs_f64() * 1e3
    );
    store.close().await?;
    Ok(())
}

fn store_sample(session: &Session, guest_id: Uuid, arrival: NaiveDate) -> sync_core::domain::Reservation {
    sync_core::domain::Reservation {
        provisional_confirmation: None,
        id: Uuid::nil(),
        property_id: session.property_id,
        confirmation: sync_core::ids::ConfirmationNumber::Official { year: 2026, sequence: 1 },
        guest_id,
        guest_name: "Sarah Johnson".into(),
        room_type_id: Uuid::from_u128(10),
        room_id: Some(Uuid::from_u128(11)),
        arrival,
        departure: arrival + chrono::Days::new(2),
        adults: 2,
        children: 0,
        rate_code: "BAR".into(),
        source: "phone".into(),
        special_requests: vec!["quiet room".into(), "late arrival".into()],
        notes: Vec::new(),
        status: sync_core::domain::ReservationStatus::Confirmed,
    }
}
