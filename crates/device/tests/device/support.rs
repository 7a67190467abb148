//! A store on a real SQLite file in a temp dir, a session, and a small hotel pulled
//! from a pretend server.

use chrono::{NaiveDate, TimeZone, Utc};
use frontdesk_device::{NewGuest, NewReservation, Session, Store, StoreStats};
use serde_json::Value;
use sync_core::domain::{Availability, Cleaning, Occupancy, Reservation, Role, Room, RoomType};
use sync_core::hlc::Hlc;
use sync_core::protocol::{Change, ChangeKind, Cursor};
use sync_core::schema::{EntityKind, Fields};
use tempfile::TempDir;
use uuid::Uuid;

pub const PROPERTY: Uuid = Uuid::from_u128(0xA1);
pub const SERVER: Uuid = Uuid::from_u128(0x5E);
pub const DOUBLE: Uuid = Uuid::from_u128(0xD0);
pub const SUITE: Uuid = Uuid::from_u128(0x50);

pub fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).expect("a November day")
}

pub fn session() -> Session {
    Session {
        property_id: PROPERTY,
        device_id: Uuid::from_u128(0xDE),
        user_id: Uuid::from_u128(0xB0B),
        user_name: "Ana".into(),
        role: Role::FrontDesk,
        device_prefix: "K7Q".into(),
        today: day(23),
        now_ms: 1_763_900_000_000,
    }
}

pub fn fields<T: serde::Serialize>(record: &T) -> Fields {
    match serde_json::to_value(record).expect("serialise") {
        Value::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// A change of the server's log for `record`.
pub fn change(entity: EntityKind, record: Fields, version: u64) -> Change {
    let record_id = record.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()).expect("an id");
    Change {
        entity,
        record_id,
        kind: ChangeKind::Upsert,
        version,
        record: Some(record),
        hlc: Hlc { physical_ms: 1_763_800_000_000 + version, logical: 0, node: SERVER },
        device_id: SERVER,
        user_id: SERVER,
        at: Utc.timestamp_millis_opt(1_763_800_000_000).single().expect("a time"),
        mutation_id: None,
    }
}

pub fn room(n: u128, number: &str, room_type_id: Uuid) -> Room {
    Room {
        id: Uuid::from_u128(0x1000 + n),
        property_id: PROPERTY,
        number: number.into(),
        room_type_id,
        floor: 3,
        cleaning: Cleaning::Clean,
        occupancy: Occupancy::Vacant,
        availability: Availability::Available,
        blocked_from: None,
        blocked_until: None,
        blocked_reason: None,
        return_to: None,
    }
}

/// A device with a hotel of room types and rooms pulled from the server.
#[derive(Debug)]
pub struct Desk {
    pub dir: TempDir,
    pub store: Store,
    pub session: Session,
    /// Rooms 301, 302, 303 (doubles) and 401 (suite).
    pub rooms: Vec<Room>,
}

impl Desk {
    pub async fn new() -> Desk {
        let dir = tempfile::tempdir().expect("a temp dir");
        let store = Store::open(dir.path().join("device.sqlite")).await.expect("open the store");
        let types = [
            RoomType { id: DOUBLE, property_id: PROPERTY, code: "DBL".into(), name: "Double".into(), capacity: 2 },
            RoomType { id: SUITE, property_id: PROPERTY, code: "STE".into(), name: "Suite".into(), capacity: 4 },
        ];
        let rooms = vec![room(1, "301", DOUBLE), room(2, "302", DOUBLE), room(3, "303", DOUBLE), room(4, "401", SUITE)];
        let mut changes: Vec<Change> = types.iter().map(|t| change(EntityKind::RoomType, fields(t), 1)).collect();
        changes.extend(rooms.iter().map(|r| change(EntityKind::Room, fields(r), 1)));
        store.apply_pulled(&changes, Cursor::after(6)).await.expect("seed the hotel");
        // As a sync round does once the server has no more.
        store.first_pull_done().await.expect("the first pull is done");
        Desk { dir, store, session: session(), rooms }
    }

    pub fn room(&self, number: &str) -> &Room {
        self.rooms.iter().find(|r| r.number == number).expect("a seeded room")
    }

    pub async fn guest(&self, first: &str, last: &str) -> Uuid {
        let input = NewGuest { first_name: first.into(), last_name: last.into(), ..NewGuest::default() };
        self.store.create_guest(&self.session, input).await.expect("create a guest").id
    }

    pub fn booking(&self, guest_id: Uuid, room: Option<&str>, arrival: u32, departure: u32) -> NewReservation {
        NewReservation {
            guest_id,
            guest_name: None,
            room_type_id: room.map_or(DOUBLE, |n| self.room(n).room_type_id),
            room_id: room.map(|n| self.room(n).id),
            arrival: day(arrival),
            departure: day(departure),
            adults: 2,
            children: 0,
            rate_code: "BAR".into(),
            source: "phone".into(),
            special_requests: vec!["quiet room".into()],
            note: None,
            confirmed: true,
        }
    }

    pub async fn book(&self, room: Option<&str>, arrival: u32, departure: u32) -> Reservation {
        let guest = self.guest("Sarah", "Johnson").await;
        self.store.create_reservation(&self.session, self.booking(guest, room, arrival, departure)).await.expect("book")
    }

    pub async fn stats(&self) -> StoreStats {
        self.store.stats().await.expect("stats")
    }

    pub async fn fields(&self, kind: EntityKind, id: Uuid) -> Fields {
        self.store.record_fields(kind, id).await.expect("read").expect("the record exists").0
    }

    pub async fn room_now(&self, number: &str) -> Room {
        self.store.record(EntityKind::Room, self.room(number).id).await.expect("read").expect("the room")
    }
}

/// Asserts that a refused operation wrote nothing: same counts, same record.
pub async fn assert_nothing_written(desk: &Desk, before: StoreStats, record: Option<(EntityKind, Uuid, &Fields)>) {
    assert_eq!(desk.stats().await, before, "a refused operation must write no record, outbox entry or history line");
    if let Some((kind, id, fields)) = record {
        assert_eq!(&desk.fields(kind, id).await, fields, "a refused operation must leave the record as it was");
    }
}
