//! Admin actions of the CLI that write records: the records of the property, its
//! staff and devices (so they reach devices like any other record, without secrets),
//! per-property merge policies, the demo hotel, and the bulk import of reservations.
//!
//! Records written here are logged like a device's changes (version, before and
//! after, a sequence in the property's log), authored by the nil user and device:
//! the history shows them as the server's own. Every action is one transaction.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::BufRead;

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{Value, json};
use sqlx::{AnyConnection, Row};
use sync_core::conflict::{Author, Conflict};
use sync_core::domain::Role;
use sync_core::gate::{self, Actor};
use sync_core::import::{self, Known, NewRecord, Rooms, Stay};
use sync_core::invariants::{FreeRoom, RuleBreach};
use sync_core::protocol::{FieldChange, Mutation, Operation};
use sync_core::validate::check_record;
use sync_core::{Clock, EntityKind, Fields, Hlc, PolicyTable};
use uuid::Uuid;

use crate::SERVER_NODE;
use crate::auth::{self, AdminError, NewUser};
use crate::live::Live;
use crate::store::{self, NewVersion, Store, WriteTx};

/// Stable ids of records the admin path makes, so running an action twice writes
/// the same records instead of new ones.
pub fn stable_id(property: Uuid, name: &str) -> Uuid {
    import::stable_id(property, name)
}

/// An open admin transaction on one property: records written through it are
/// versioned and logged, and the commit tells live streams (on PostgreSQL, those of
/// every server process).
#[derive(Debug)]
pub struct AdminTx<'a> {
    pub write: WriteTx<'a>,
    pub property: Uuid,
    backend: store::Backend,
    first_seq: u64,
    author: Author,
    now: DateTime<Utc>,
    /// The property's date now, in its time zone, for the write gate.
    today: NaiveDate,
}

impl<'a> AdminTx<'a> {
    /// Begins a write on `property`, with a server clock resumed past every
    /// timestamp given out so far.
    pub async fn begin(store: &'a Store, property: Uuid, now: DateTime<Utc>) -> Result<Self, sqlx::Error> {
        let write = store.begin_write().await?;
        Self::within(write, store, property, now).await
    }

    /// Continues a write transaction begun elsewhere (one that just created the
    /// property, say) as an admin transaction on `property`.
    pub async fn within(
        mut write: WriteTx<'a>,
        store: &Store,
        property: Uuid,
        now: DateTime<Utc>,
    ) -> Result<Self, sqlx::Error> {
        let first_seq = store::lock_property(&mut write.tx, property).await?;
        let mut clock = match store::last_clock(store.pool()).await? {
            Some(last) => Clock::resume(SERVER_NODE, last),
            None => Clock::new(SERVER_NODE),
        };
        let hlc = clock.tick(u64::try_from(store::millis(now)).unwrap_or_default());
        store::save_clock(&mut write.tx, property, hlc).await?;
        let author = Author { device_id: Uuid::nil(), user_id: Uuid::nil(), hlc, at: now };
        let settings = store::property_settings(&mut write.tx, property).await?;
        let today = crate::push::property_today(&settings.timezone, now);
        Ok(AdminTx { write, property, backend: store.backend(), first_seq, author, now, today })
    }

    /// The connection of the transaction.
    pub fn conn(&mut self) -> &mut AnyConnection {
        &mut self.write.tx
    }

    /// Writes `fields` as the record's new version unless it holds them already;
    /// returns whether it wrote.
    pub async fn upsert(&mut self, entity: EntityKind, id: Uuid, mut fields: Fields) -> Result<bool, AdminError> {
        fields.insert("id".into(), Value::String(id.to_string()));
        if entity != EntityKind::Property {
            fields.insert("property_id".into(), Value::String(self.property.to_string()));
        }
        check_record(entity, &fields)
            .map_err(|err| AdminError::Invalid(format!("{entity} {id} is not valid: {}", err.message)))?;
        let current = store::load_record(&mut self.write.tx, self.property, entity, id).await?;
        if current.as_ref().is_some_and(|c| !c.deleted && c.fields == fields) {
            return Ok(false);
        }
        self.admit(entity, id, &fields, current.as_ref().filter(|c| !c.deleted).map(|c| (c.version, &c.fields)))?;
        let version = current.as_ref().map_or(1, |c| c.version + 1);
        let clocks: BTreeMap<String, Hlc> = fields.keys().map(|k| (k.clone(), self.author.hlc)).collect();
        store::write_version(
            &mut self.write.tx,
            &NewVersion {
                property: self.property,
                entity,
                id,
                version,
                fields: &fields,
                field_clocks: &clocks,
                deleted: false,
                before: current.as_ref().filter(|c| !c.deleted).map(|c| &c.fields),
                author: &self.author,
                at: self.now,
                mutation_id: None,
                seq: None,
                superseded: &[],
            },
        )
        .await?;
        Ok(true)
    }

    /// The write gate for a record an admin command writes, as the property's
    /// administrator on no desk: the same lifecycle, property and limits as a push.
    fn admit(
        &self,
        entity: EntityKind,
        id: Uuid,
        fields: &Fields,
        current: Option<(u64, &Fields)>,
    ) -> Result<(), AdminError> {
        let actor =
            Actor { property_id: self.property, device_id: Uuid::nil(), user_id: Uuid::nil(), role: Role::Manager };
        let changes = fields
            .iter()
            .filter(|(name, value)| current.is_none_or(|(_, record)| record.get(*name) != Some(*value)))
            .map(|(name, value)| {
                let base = current.and_then(|(_, record)| record.get(name)).cloned().unwrap_or(Value::Null);
                (name.clone(), FieldChange { base, value: value.clone() })
            })
            .collect();
        let mut mutation = Mutation {
            id: Uuid::nil(),
            idempotency_key: format!("admin:{id}"),
            entity,
            record_id: id,
            op: if current.is_some() { Operation::Update } else { Operation::Insert },
            base_version: current.map(|(version, _)| version),
            changes,
            hlc: self.author.hlc,
            device_id: Uuid::nil(),
            user_id: Uuid::nil(),
        };
        gate::admit(&actor, &mut mutation, current.map(|(_, record)| record), self.today)
            .map_err(|refusal| AdminError::Invalid(format!("{entity} {id}: {}", refusal.message)))
    }

    /// Commits; on PostgreSQL the running servers hear of the new changes.
    pub async fn commit(mut self, channel: &str) -> Result<(), sqlx::Error> {
        let last = store::last_seq(&mut self.write.tx, self.property).await?;
        // Numbers written here are not counted by the sequences: the next push
        // counts again from the highest number stored.
        store::forget_confirmation_sequences(&mut self.write.tx, self.property).await?;
        if last > self.first_seq {
            Live::default().announce(&mut self.write.tx, self.backend, channel, self.property, last).await?;
        }
        self.write.commit().await
    }
}

/// The fields of a property's record.
pub fn property_fields(code: &str, name: &str, timezone: &str, currency: &str) -> Fields {
    fields(json!({"code": code, "name": name, "timezone": timezone, "currency": currency}))
}

/// The fields of a staff user's record (no password).
pub fn staff_fields(username: &str, display_name: &str, role: &str, active: bool) -> Fields {
    fields(json!({"username": username, "display_name": display_name, "role": role, "active": active}))
}

/// The fields of a device's record (no secret).
pub fn device_fields(name: &str, prefix: &str, revoked: bool) -> Fields {
    fields(json!({"name": name, "prefix": prefix, "revoked": revoked}))
}

fn fields(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

/// Validates a policy file and stores it as the property's merge policies, used by
/// every push from then on.
pub async fn set_policies(
    store: &Store,
    property_code: &str,
    text: &str,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<(), AdminError> {
    PolicyTable::from_toml(text).map_err(|err| AdminError::Invalid(format!("the policy file is refused: {err}")))?;
    let property = property_id(store, property_code)
        .await?
        .ok_or_else(|| AdminError::UnknownProperty(property_code.to_owned()))?;
    let mut tx = AdminTx::begin(store, property, now).await?;
    sqlx::query("UPDATE properties SET policies = $1 WHERE id = $2")
        .bind(text)
        .bind(property.to_string())
        .execute(tx.conn())
        .await?;
    // The property's record carries them too, so desks rebase their pending edits
    // as this server merges them.
    if let Some(current) = store::load_record(tx.conn(), property, EntityKind::Property, property).await? {
        let mut fields = current.fields;
        fields.insert("policies".into(), Value::String(text.to_owned()));
        tx.upsert(EntityKind::Property, property, fields).await?;
    }
    tx.commit(channel).await?;
    Ok(())
}

/// The id of the property with `code`.
pub async fn property_id(store: &Store, code: &str) -> Result<Option<Uuid>, AdminError> {
    let row = sqlx::query("SELECT id FROM properties WHERE code = $1").bind(code).fetch_optional(store.pool()).await?;
    row.map(|row| {
        let id: String = row.try_get("id")?;
        Uuid::parse_str(&id).map_err(|err| AdminError::Invalid(format!("stored property id: {err}")))
    })
    .transpose()
}

// ---- demo hotel --------------------------------------------------------------------

/// What `seed-demo` made.
#[derive(Debug, Clone)]
pub struct DemoHotel {
    pub property: Uuid,
    /// `(username, role, password)` of the demo staff (the password only for users
    /// created by this run).
    pub users: Vec<(String, String, Option<String>)>,
    pub room_types: usize,
    pub rooms: usize,
    pub reservations: usize,
    /// Records written (unchanged ones are not rewritten).
    pub written: usize,
    pub enrollment_code: String,
}

/// Options of `seed-demo`.
#[derive(Debug, Clone)]
pub struct DemoOptions<'a> {
    pub property_code: &'a str,
    pub rooms: u32,
    pub days: u32,
    pub password: &'a str,
    pub channel: &'a str,
}

/// A small deterministic generator, so a second run makes the same hotel.
struct Dice(u64);

impl Dice {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

const FIRST_NAMES: &[&str] =
    &["Ana", "Bruno", "Carla", "David", "Elena", "Filipe", "Grace", "Hugo", "Inês", "João", "Kai", "Lena", "Marta"];
const LAST_NAMES: &[&str] =
    &["Costa", "Silva", "Berg", "Sato", "Okafor", "Novak", "Moreau", "Rossi", "Santos", "Kim", "Meyer", "Lopes"];

/// Creates (or brings up to date) a demo hotel: room types, rooms on floors with
/// mixed cleaning states, staff of every desk role, guests and reservations over the
/// coming `days` (some arriving today, some in house), and a fresh enrollment code.
pub async fn seed_demo(store: &Store, options: &DemoOptions<'_>, now: DateTime<Utc>) -> Result<DemoHotel, AdminError> {
    let code = options.property_code;
    let property = match property_id(store, code).await? {
        Some(id) => id,
        None => auth::create_property(store, code, &format!("Demo Hotel {code}"), "Europe/Lisbon", "EUR", now).await?,
    };
    let timezone: String = sqlx::query("SELECT timezone FROM properties WHERE id = $1")
        .bind(property.to_string())
        .fetch_one(store.pool())
        .await?
        .try_get("timezone")?;
    let today = crate::push::property_today(&timezone, now);

    let mut users = Vec::new();
    for (username, display, role) in [
        ("manager", "Marta Manager", Role::Manager),
        ("frontdesk", "Filipe Front Desk", Role::FrontDesk),
        ("housekeeping", "Helena Housekeeping", Role::Housekeeping),
    ] {
        let user = NewUser { property_code: code, username, display_name: display, role, password: options.password };
        let created = match auth::create_user(store, &user, now).await {
            Ok(_) => Some(options.password.to_owned()),
            Err(AdminError::Invalid(message)) if message.contains("already has a user") => None,
            Err(err) => return Err(err),
        };
        users.push((username.to_owned(), auth::role_name(role).to_owned(), created));
    }

    let mut tx = AdminTx::begin(store, property, now).await?;
    let mut written = 0;
    let types = [("STD", "Standard", 2), ("DBL", "Double", 2), ("STE", "Suite", 4)];
    let mut type_ids = Vec::new();
    for (type_code, name, capacity) in types {
        let id = stable_id(property, &format!("room_type/{type_code}"));
        let record = fields(json!({"code": type_code, "name": name, "capacity": capacity}));
        written += usize::from(tx.upsert(EntityKind::RoomType, id, record).await?);
        type_ids.push(id);
    }
    let floors = 4_u32;
    let per_floor = options.rooms.div_ceil(floors).max(1);
    let mut rooms = Vec::new();
    for index in 0..options.rooms {
        let floor = index / per_floor + 1;
        let number = format!("{floor}{:02}", index % per_floor + 1);
        // Mostly standard and double rooms, a suite at the end of each floor.
        let kind = if index % per_floor == per_floor - 1 { 2 } else { usize::from(index % 3 == 0) };
        rooms.push((stable_id(property, &format!("room/{number}")), number, type_ids[kind], floor));
    }

    // Stays: a third arrive today or are in house, the rest over the coming days.
    let mut dice = Dice(u64::from(options.rooms) * 7919 + u64::from(options.days));
    let mut booked: HashMap<Uuid, Vec<(NaiveDate, NaiveDate)>> = HashMap::new();
    let mut in_house: HashSet<Uuid> = HashSet::new();
    let mut stays = Vec::new();
    let wanted = (options.rooms * 3 / 2).max(1);
    for n in 0..wanted {
        let (arrival, status) = match n % 6 {
            0 => (today - chrono::Duration::days(1 + i64::try_from(dice.next(2)).unwrap_or(0)), "checked_in"),
            1 => (today, "confirmed"),
            _ => (
                today + chrono::Duration::days(1 + i64::try_from(dice.next(u64::from(options.days))).unwrap_or(0)),
                "confirmed",
            ),
        };
        let nights = 1 + i64::try_from(dice.next(4)).unwrap_or(0);
        // A guest in house leaves tomorrow at the earliest: no overdue departures, and
        // no arrival today is given a room someone still sleeps in.
        let departure = match status {
            "checked_in" => (arrival + chrono::Duration::days(nights)).max(today + chrono::Duration::days(1)),
            _ => arrival + chrono::Duration::days(nights),
        };
        let start = usize::try_from(dice.next(rooms.len() as u64)).unwrap_or(0);
        let free = (0..rooms.len()).map(|i| &rooms[(start + i) % rooms.len()]).find(|(id, ..)| {
            booked.get(id).is_none_or(|dates| dates.iter().all(|(a, d)| departure <= *a || *d <= arrival))
                && !(status == "checked_in" && in_house.contains(id))
        });
        let Some((room_id, _, room_type, _)) = free else { continue };
        booked.entry(*room_id).or_default().push((arrival, departure));
        if status == "checked_in" {
            in_house.insert(*room_id);
        }
        stays.push((n, *room_id, *room_type, arrival, departure, status));
    }

    for (index, (id, number, room_type, floor)) in rooms.iter().enumerate() {
        let cleaning = if in_house.contains(id) {
            "clean"
        } else {
            ["clean", "inspected", "dirty", "clean", "pickup", "dirty"][index % 6]
        };
        let occupancy = if in_house.contains(id) { "occupied" } else { "vacant" };
        let record = fields(json!({"number": number, "room_type_id": room_type, "floor": floor,
            "cleaning": cleaning, "occupancy": occupancy, "availability": "available",
            "blocked_from": null, "blocked_until": null, "blocked_reason": null, "return_to": null}));
        written += usize::from(tx.upsert(EntityKind::Room, *id, record).await?);
    }
    let year = today.format("%Y").to_string();
    for (n, room, room_type, arrival, departure, status) in &stays {
        let first = FIRST_NAMES[*n as usize % FIRST_NAMES.len()];
        let last = LAST_NAMES[(*n as usize / FIRST_NAMES.len() + *n as usize) % LAST_NAMES.len()];
        let guest = stable_id(property, &format!("guest/{n}"));
        let email = format!("{}.{}.{n}@example.org", first.to_lowercase(), last.to_lowercase());
        let record = fields(json!({"first_name": first, "last_name": last, "email": email,
            "phone": format!("+351 21{:07}", n * 7919 % 10_000_000), "loyalty_number": null, "loyalty_tier": null,
            "preferences": [], "notes": [], "tags": [], "last_interaction_at": null}));
        written += usize::from(tx.upsert(EntityKind::Guest, guest, record).await?);
        let record = fields(json!({"confirmation": format!("H-{year}-{:04}", n + 1), "guest_id": guest,
            "guest_name": format!("{first} {last}"), "room_type_id": room_type, "room_id": room,
            "arrival": arrival.to_string(), "departure": departure.to_string(), "adults": 1 + n % 2,
            "children": u32::from(n % 5 == 0), "rate_code": "BAR", "source": "phone", "special_requests": [],
            "notes": [], "status": status}));
        written +=
            usize::from(tx.upsert(EntityKind::Reservation, stable_id(property, &format!("stay/{n}")), record).await?);
    }
    tx.commit(options.channel).await?;
    let enrollment_code = auth::create_enrollment_code(store, code, chrono::Duration::hours(24), now).await?;
    Ok(DemoHotel {
        property,
        users,
        room_types: types.len(),
        rooms: rooms.len(),
        reservations: stays.len(),
        written,
        enrollment_code,
    })
}

// ---- import of the benchmark's reservations ------------------------------------------

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub read: usize,
    pub reservations: usize,
    /// Already imported (same id): left as they are.
    pub existing: usize,
    pub guests: usize,
    pub rooms: usize,
    pub room_types: usize,
    /// Stays sharing a room on a night with an earlier one: stored, and raised as
    /// business-rule conflicts.
    pub conflicts: usize,
}

/// Rows per multi-row `INSERT`. Small on purpose: sqlx's SQLite driver looks each
/// `$n` parameter up by name with a linear scan, so a statement's binding costs
/// grow with the square of its parameters (400 rows of 13 took 70% of an import).
const BATCH_ROWS: usize = 32;

/// Reads the benchmark's reservations (JSON Lines, gzipped when the name ends in
/// `.gz`) and stores them in one transaction with multi-row inserts, creating the
/// room types, rooms and guests they name. Ids derive from the file's ids, so a
/// second import of the same file adds nothing.
pub async fn import_reservations(
    store: &Store,
    property_code: &str,
    path: &std::path::Path,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<ImportReport, AdminError> {
    let property = property_id(store, property_code)
        .await?
        .ok_or_else(|| AdminError::UnknownProperty(property_code.to_owned()))?;
    let file = std::fs::File::open(path).map_err(|err| AdminError::Invalid(format!("{}: {err}", path.display())))?;
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|ext| ext == "gz") {
        Box::new(std::io::BufReader::new(flate2::read::GzDecoder::new(file)))
    } else {
        Box::new(std::io::BufReader::new(file))
    };
    let mut lines = Vec::new();
    for (index, line) in reader.lines().enumerate() {
        let line = line.map_err(|err| AdminError::Invalid(format!("{}: {err}", path.display())))?;
        let parsed = import::parse_line(index + 1, &line)
            .map_err(|err| AdminError::Invalid(format!("{}:{}: {}", path.display(), err.line, err.message)))?;
        lines.extend(parsed.map(|parsed| (index + 1, parsed)));
    }

    let mut tx = AdminTx::begin(store, property, now).await?;
    let known = known_records(tx.conn(), property).await?;
    let author = tx.author.clone();
    let plan = import::plan(property, &lines, &known, Rooms::Create, author.hlc, now)
        .map_err(|err| AdminError::Invalid(format!("{}:{}: {}", path.display(), err.line, err.message)))?;
    let mut report = ImportReport {
        read: plan.read,
        existing: plan.existing,
        guests: plan.guests,
        rooms: plan.rooms,
        room_types: plan.room_types,
        ..ImportReport::default()
    };
    let stays = plan.stays;
    let mut rooms: HashMap<Uuid, (Uuid, String)> =
        known.rooms.iter().map(|(number, (id, room_type))| (*id, (*room_type, number.clone()))).collect();
    for record in plan.records.iter().filter(|r| r.entity == EntityKind::Room) {
        let room_type = record.fields.get("room_type_id").and_then(Value::as_str).and_then(|t| Uuid::parse_str(t).ok());
        let number = record.fields.get("number").and_then(Value::as_str).unwrap_or_default().to_owned();
        rooms.insert(record.id, (room_type.unwrap_or_default(), number));
    }

    // Double bookings: each stay against the earlier stays of its room.
    let mut by_room: HashMap<Uuid, Vec<usize>> = HashMap::new();
    for (index, stay) in stays.iter().enumerate() {
        if let Some(room) = stay.room {
            by_room.entry(room).or_default().push(index);
        }
    }
    let mut conflicts = Vec::new();
    for (index, stay) in stays.iter().enumerate() {
        let Stay { id, room_type, room, arrival, departure, status, fields, .. } = stay;
        let Some(room) = room else { continue };
        if !status.is_live() || status.is_final() {
            continue;
        }
        let overlaps = |other: &usize| {
            let other = &stays[*other];
            other.status.is_live() && other.arrival < *departure && *arrival < other.departure
        };
        let with: Vec<usize> = by_room[room].iter().copied().filter(|o| *o < index && overlaps(o)).collect();
        if with.is_empty() {
            continue;
        }
        let first_night = with.iter().map(|o| stays[*o].arrival.max(*arrival)).min().unwrap_or(*arrival);
        let last_night = with.iter().map(|o| stays[*o].departure.min(*departure)).max().and_then(|d| d.pred_opt());
        let mut free_rooms: Vec<FreeRoom> = rooms
            .iter()
            .filter(|(candidate, (candidate_type, _))| candidate_type == room_type && *candidate != room)
            .filter(|(candidate, _)| by_room.get(candidate).is_none_or(|list| !list.iter().any(&overlaps)))
            .map(|(candidate, (_, number))| FreeRoom { room_id: *candidate, number: number.clone() })
            .collect();
        free_rooms.sort_by(|a, b| a.number.cmp(&b.number));
        let breach = RuleBreach::DoubleBooking {
            room_id: *room,
            room_number: rooms.get(room).map(|(_, number)| number.clone()).unwrap_or_default(),
            with: with.iter().map(|o| stays[*o].id).collect(),
            first_night,
            last_night: last_night.unwrap_or(*departure),
            free_rooms,
        };
        let mutation = Mutation {
            id: stable_id(*id, "import"),
            idempotency_key: format!("import:{id}"),
            entity: EntityKind::Reservation,
            record_id: *id,
            op: Operation::Insert,
            base_version: None,
            // The line's values, as the conflict dialog shows them (not the ids).
            changes: fields
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), "id" | "property_id"))
                .map(|(k, v)| (k.clone(), FieldChange { base: Value::Null, value: v.clone() }))
                .collect(),
            hlc: author.hlc,
            device_id: Uuid::nil(),
            user_id: Uuid::nil(),
        };
        conflicts.push(Conflict::business_rule(&mutation, breach, None, None));
    }

    report.reservations = stays.len();
    report.conflicts = conflicts.len();
    let mut new = plan.records;
    new.extend(stays.into_iter().map(|stay| NewRecord {
        entity: EntityKind::Reservation,
        id: stay.id,
        fields: stay.fields,
    }));
    for record in &new {
        tx.admit(record.entity, record.id, &record.fields, None)?;
    }
    bulk_insert(&mut tx, &new).await?;
    let now_ms = store::millis(now);
    for conflict in &conflicts {
        store::save_conflict(tx.conn(), property, conflict, now_ms).await?;
    }
    tx.commit(channel).await?;
    Ok(report)
}

/// The room types, rooms, guests and reservations of the property, as an import
/// matches lines to them.
async fn known_records(conn: &mut AnyConnection, property: Uuid) -> Result<Known, AdminError> {
    let rows = sqlx::query(
        "SELECT entity, id, fields FROM records WHERE property_id = $1 AND deleted = 0 \
         AND entity IN ('room_type', 'room', 'guest', 'reservation')",
    )
    .bind(property.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut existing = Known::default();
    for row in rows {
        let entity: String = row.try_get("entity")?;
        let id: String = row.try_get("id")?;
        let Ok(id) = Uuid::parse_str(&id) else { continue };
        if entity == "reservation" {
            existing.reservations.insert(id);
            continue;
        }
        let text: String = row.try_get("fields")?;
        let Ok(record) = serde_json::from_str::<Fields>(&text) else { continue };
        let get = |name: &str| record.get(name).and_then(Value::as_str).map(str::to_owned);
        match entity.as_str() {
            "room_type" => {
                if let Some(code) = get("code") {
                    existing.room_types.insert(code, id);
                }
            }
            "room" => {
                if let (Some(number), Some(room_type)) =
                    (get("number"), get("room_type_id").and_then(|t| Uuid::parse_str(&t).ok()))
                {
                    existing.rooms.insert(number, (id, room_type));
                }
            }
            _ => {
                existing.guest_ids.insert(id);
                if let Some(email) = get("email") {
                    existing.guests.insert(email, id);
                }
            }
        }
    }
    Ok(existing)
}

/// Inserts new records (version 1) and their change-log entries with multi-row
/// statements, taking the property's sequences in one update.
async fn bulk_insert(tx: &mut AdminTx<'_>, records: &[NewRecord]) -> Result<(), AdminError> {
    if records.is_empty() {
        return Ok(());
    }
    let property = tx.property.to_string();
    let property_id = tx.property;
    let first = store::last_seq(tx.conn(), property_id).await?;
    let count = u64::try_from(records.len()).unwrap_or(u64::MAX);
    sqlx::query("UPDATE properties SET last_seq = $1 WHERE id = $2")
        .bind(i64::try_from(first + count).unwrap_or(i64::MAX))
        .bind(&property)
        .execute(tx.conn())
        .await?;
    let author_json = serde_json::to_string(&tx.author).map_err(|err| AdminError::Invalid(err.to_string()))?;
    let hlc = tx.author.hlc.to_string();
    let at = store::millis(tx.now);
    let nil = Uuid::nil().to_string();
    for (chunk_index, chunk) in records.chunks(BATCH_ROWS).enumerate() {
        let mut record_rows = Vec::with_capacity(chunk.len());
        let mut log_rows = Vec::with_capacity(chunk.len());
        for offset in 0..chunk.len() {
            // Both tables take 13 values a row, bound in the same order of offsets.
            let row = store::placeholders(offset * 13, 13);
            record_rows.push(row.clone());
            log_rows.push(row);
        }
        let sql = format!(
            "INSERT INTO records (property_id, entity, id, version, fields, field_clocks, deleted, last_author, \
             room_id, arrival, departure, reservation_id, posting_key) VALUES {}",
            record_rows.join(",")
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
        let mut texts = Vec::with_capacity(chunk.len());
        for record in chunk {
            let text = serde_json::to_string(&record.fields).map_err(|err| AdminError::Invalid(err.to_string()))?;
            let clocks: BTreeMap<&String, &str> = record.fields.keys().map(|k| (k, hlc.as_str())).collect();
            let clocks = serde_json::to_string(&clocks).map_err(|err| AdminError::Invalid(err.to_string()))?;
            let stay = record.entity == EntityKind::Reservation;
            let pick = |name: &str| {
                if stay { record.fields.get(name).and_then(Value::as_str).map(str::to_owned) } else { None }
            };
            insert = insert
                .bind(property.clone())
                .bind(record.entity.as_str())
                .bind(record.id.to_string())
                .bind(1_i64)
                .bind(text.clone())
                .bind(clocks)
                .bind(0_i64)
                .bind(author_json.clone())
                .bind(pick("room_id"))
                .bind(pick("arrival"))
                .bind(pick("departure"))
                .bind(None::<String>)
                .bind(None::<String>);
            texts.push(text);
        }
        insert.execute(tx.conn()).await?;
        let sql = format!(
            "INSERT INTO change_log (property_id, seq, entity, record_id, op, version, before, after, \
             user_id, device_id, hlc, at, mutation_id) VALUES {}",
            log_rows.join(",")
        );
        let mut log = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (offset, (record, text)) in chunk.iter().zip(texts).enumerate() {
            let seq = first + u64::try_from(chunk_index * BATCH_ROWS + offset + 1).unwrap_or(u64::MAX);
            log = log
                .bind(property.clone())
                .bind(i64::try_from(seq).unwrap_or(i64::MAX))
                .bind(record.entity.as_str())
                .bind(record.id.to_string())
                .bind("upsert")
                .bind(1_i64)
                .bind(None::<String>)
                .bind(Some(text))
                .bind(nil.clone())
                .bind(nil.clone())
                .bind(hlc.clone())
                .bind(at)
                .bind(None::<String>);
        }
        log.execute(tx.conn()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::store::placeholders;

    #[test]
    fn placeholder_rows_number_on_from_the_values_before_them() {
        assert_eq!(placeholders(0, 3), "($1,$2,$3)");
        assert_eq!(placeholders(13, 2), "($14,$15)", "the second row of a 13-wide insert starts at 14");
    }
}
