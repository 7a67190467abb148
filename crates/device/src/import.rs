//! Bulk import of reservations from JSON Lines, in one transaction: records of the
//! schema, or lines of the exchange format other hotel systems export (and the
//! benchmark data is written in), read by [`sync_core::import`] exactly as the
//! server's admin import reads them.
//!
//! Imported records are local creations like a receptionist's: each gets its
//! outbox insert and history line, so the file reaches the server on the next
//! sync. Room rules are left to the server: overlapping stays become conflicts
//! there, so no imported booking is dropped.

use std::io::Read;
use std::path::Path;

use chrono::DateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{Connection, QueryBuilder, Row, Sqlite, SqliteConnection, Transaction};
use sync_core::hlc::Clock;
use sync_core::ids::new_id;
use sync_core::import::{self, Known, Rooms};
use sync_core::protocol::{FieldChange, Mutation, Operation};
use sync_core::schema::{EntityKind, Fields};
use sync_core::validate::check_record;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::session::Session;
use crate::store::{Store, keys, parse_fields, to_json, write_meta};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub imported: usize,
    /// Lines refused, with their line number (from 1) and why.
    pub refused: Vec<(usize, String)>,
}

/// What an import of the exchange format did. On any error it did nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExchangeImport {
    /// Reservation lines read.
    pub read: usize,
    /// Reservations created.
    pub imported: usize,
    /// Lines whose reservation this desk holds already (imported before): left as they are.
    pub existing: usize,
    /// Guest profiles created (one per email not on this desk yet).
    pub guests: usize,
}

/// The two kinds of JSON Lines files an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportFormat {
    /// One reservation record of this app's schema a line (`arrival`, `room_type_id`...).
    Records,
    /// The exchange format of other hotel systems (`checkIn`, `roomNumber`, `guestName`...).
    Exchange,
}

impl ImportFormat {
    /// The format of a file, told by its first line that is not blank: exchange
    /// lines have camelCase keys such as `checkIn` and `guestName`.
    pub fn detect(text: &str) -> ImportFormat {
        let first = text.lines().find(|line| !line.trim().is_empty());
        match first.and_then(|line| serde_json::from_str::<Fields>(line).ok()) {
            Some(object) if import::looks_like_exchange_line(&object) => ImportFormat::Exchange,
            _ => ImportFormat::Records,
        }
    }
}

/// The text of a JSON Lines file, gunzipped when it is gzipped (told by its first
/// bytes, whatever its name).
pub fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)
        .map_err(|err| Error::invalid("file", format!("{} cannot be read: {err}", path.display())))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(|err| Error::invalid("file", format!("{} is not valid gzip: {err}", path.display())))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|_| Error::invalid("file", format!("{} is not UTF-8 text", path.display())))
    }
}

/// Records per multi-row statement (history has 10 columns; well below the bind limit).
const CHUNK: usize = 300;

struct Prepared {
    entity: EntityKind,
    id: Uuid,
    fields: String,
    mutation: Mutation,
    mutation_json: String,
}

impl Store {
    /// Imports reservations, one record of the schema per line (`id` and
    /// `property_id` filled in when absent), as local creations: each gets its outbox
    /// insert and history line, all in one transaction so a large file costs one
    /// commit. Lines that are not valid reservations are refused and reported; the
    /// room invariants are left to the server (overlaps become conflicts there, so
    /// no imported booking is dropped).
    pub async fn import_reservations(&self, session: &Session, jsonl: &str) -> Result<ImportReport> {
        session.require(EntityKind::Reservation, "import reservations")?;
        let kind = EntityKind::Reservation;
        let mut writer = self.writer.lock().await;
        let mut clock = Clock::resume(session.device_id, writer.cached.last_hlc);
        let now = i64::try_from(session.now_ms).unwrap_or(i64::MAX);
        let mut report = ImportReport::default();
        let mut prepared = Vec::new();
        for (index, line) in jsonl.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut fields: Fields = match serde_json::from_str(line) {
                Ok(fields) => fields,
                Err(e) => {
                    report.refused.push((index + 1, format!("not a JSON object: {e}")));
                    continue;
                }
            };
            if fields.get("id").is_none_or(Value::is_null) {
                fields.insert("id".into(), Value::String(new_id().to_string()));
            }
            if fields.get("property_id").is_none_or(Value::is_null) {
                fields.insert("property_id".into(), Value::String(session.property_id.to_string()));
            }
            if let Err(invalid) = check_record(kind, &fields) {
                report.refused.push((index + 1, invalid.message));
                continue;
            }
            let id = fields.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default();
            let changes =
                fields.iter().map(|(k, v)| (k.clone(), FieldChange { base: Value::Null, value: v.clone() })).collect();
            let mutation = Mutation {
                id: new_id(),
                idempotency_key: new_id().to_string(),
                entity: kind,
                record_id: id,
                op: Operation::Insert,
                base_version: None,
                changes,
                hlc: clock.tick(session.now_ms),
                device_id: session.device_id,
                user_id: session.user_id,
            };
            prepared.push(Prepared {
                entity: kind,
                id,
                fields: to_json(&fields)?,
                mutation_json: to_json(&mutation)?,
                mutation,
            });
        }

        let tx = writer.conn.begin_with("BEGIN IMMEDIATE").await?;
        commit_local_creations(tx, session, now, &prepared, &clock).await?;
        writer.cached.last_hlc = clock.last();
        drop(writer);
        self.wrote(u32::try_from(prepared.len() / 10 + 1).unwrap_or(u32::MAX));
        report.imported = prepared.len();
        Ok(report)
    }

    /// Imports a file of the exchange format (one reservation a line, guest and room
    /// inline): a guest profile for every email this desk does not know, and every
    /// reservation it does not hold yet, in one transaction. The rooms and room types
    /// the lines name must be on this desk (a manager sets them up on the server).
    /// The first line that cannot be imported is the error, with its line number,
    /// and nothing is written; a file imported before adds nothing again.
    pub async fn import_exchange(&self, session: &Session, text: &str) -> Result<ExchangeImport> {
        session.require(EntityKind::Reservation, "import reservations")?;
        session.require(EntityKind::Guest, "import guest profiles")?;
        let lines = import::parse(text).map_err(|err| Error::invalid("file", err.to_string()))?;
        let mut writer = self.writer.lock().await;
        let mut clock = Clock::resume(session.device_id, writer.cached.last_hlc);
        let now = i64::try_from(session.now_ms).unwrap_or(i64::MAX);
        let today = DateTime::from_timestamp_millis(now).unwrap_or_default();
        let mut tx = writer.conn.begin_with("BEGIN IMMEDIATE").await?;
        let known = known_records(&mut tx).await?;
        let note_at = clock.tick(session.now_ms);
        let plan = import::plan(session.property_id, &lines, &known, Rooms::MustExist, note_at, today)
            .map_err(|err| Error::invalid("file", err.to_string()))?;
        let report = ExchangeImport {
            read: plan.read,
            imported: plan.stays.len(),
            existing: plan.existing,
            guests: plan.guests,
        };
        // Guests first: the outbox pushes in order, and a stay points at its guest.
        let records = plan.records.into_iter().map(|r| (r.entity, r.id, r.fields));
        let records = records.chain(plan.stays.into_iter().map(|s| (EntityKind::Reservation, s.id, s.fields)));
        let mut prepared = Vec::with_capacity(report.imported + report.guests);
        for (entity, id, fields) in records {
            let mutation = Mutation {
                id: new_id(),
                idempotency_key: new_id().to_string(),
                entity,
                record_id: id,
                op: Operation::Insert,
                base_version: None,
                changes: fields
                    .iter()
                    .map(|(k, v)| (k.clone(), FieldChange { base: Value::Null, value: v.clone() }))
                    .collect(),
                hlc: clock.tick(session.now_ms),
                device_id: session.device_id,
                user_id: session.user_id,
            };
            prepared.push(Prepared {
                entity,
                id,
                fields: to_json(&fields)?,
                mutation_json: to_json(&mutation)?,
                mutation,
            });
        }
        if prepared.is_empty() {
            // Nothing new: the clock ticks of the plan are not worth a commit.
            tx.rollback().await?;
            return Ok(report);
        }
        commit_local_creations(tx, session, now, &prepared, &clock).await?;
        writer.cached.last_hlc = clock.last();
        drop(writer);
        self.wrote(u32::try_from(prepared.len() / 10 + 1).unwrap_or(u32::MAX));
        Ok(report)
    }
}

/// The room types, rooms, guests and reservations on this desk, as an import of
/// the exchange format matches lines to them. Room types are known by code and by
/// name ("Double" is `DOUBLE`), so a file's `roomType` finds a type its hotel
/// coded differently.
async fn known_records(conn: &mut SqliteConnection) -> Result<Known> {
    let mut known = Known::default();
    let rows = sqlx::query(
        "SELECT entity, id, deleted, CASE WHEN entity = 'reservation' THEN NULL ELSE fields END AS fields \
         FROM records WHERE entity IN ('room_type', 'room', 'guest', 'reservation')",
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut codes = Vec::new();
    for row in rows {
        let Ok(id) = Uuid::parse_str(row.try_get::<&str, _>("id")?) else { continue };
        let entity: &str = row.try_get("entity")?;
        let deleted: bool = row.try_get("deleted")?;
        // A deleted reservation or guest keeps its id: an import must not make it again.
        match entity {
            "reservation" => {
                known.reservations.insert(id);
                continue;
            }
            "guest" => {
                known.guest_ids.insert(id);
            }
            _ => {}
        }
        let (Some(text), false) = (row.try_get::<Option<&str>, _>("fields")?, deleted) else { continue };
        let fields = parse_fields(text)?;
        let get = |name: &str| fields.get(name).and_then(Value::as_str);
        match entity {
            "room_type" => {
                if let Some(name) = get("name") {
                    known.room_types.entry(import::room_type_code(name)).or_insert(id);
                }
                if let Some(code) = get("code") {
                    codes.push((import::room_type_code(code), id));
                }
            }
            "room" => {
                if let (Some(number), Some(room_type)) =
                    (get("number"), get("room_type_id").and_then(|t| Uuid::parse_str(t).ok()))
                {
                    known.rooms.insert(number.to_owned(), (id, room_type));
                }
            }
            _ => {
                if let Some(email) = get("email") {
                    known.guests.insert(email.to_owned(), id);
                }
            }
        }
    }
    // A code wins over a name that reads the same.
    known.room_types.extend(codes);
    Ok(known)
}

/// Writes records made on this desk (never synced), each with its outbox insert and
/// a history line, and the clock that stamped them, then commits `tx`.
async fn commit_local_creations(
    mut tx: Transaction<'_, Sqlite>,
    session: &Session,
    now: i64,
    prepared: &[Prepared],
    clock: &Clock,
) -> Result<()> {
    insert_local_creations(&mut tx, session, now, prepared).await?;
    write_meta(&mut tx, keys::LAST_HLC, &clock.last().to_string()).await?;
    tx.commit().await?;
    Ok(())
}

/// Writes records made on this desk (never synced), each with its outbox insert
/// and a history line, with multi-row statements.
async fn insert_local_creations(
    tx: &mut SqliteConnection,
    session: &Session,
    now: i64,
    prepared: &[Prepared],
) -> Result<()> {
    for chunk in prepared.chunks(CHUNK) {
        let mut records = QueryBuilder::<Sqlite>::new(
            "INSERT INTO records (entity, id, fields, synced, version, deleted, updated_at) ",
        );
        records.push_values(chunk, |mut row, p| {
            row.push_bind(p.entity.as_str())
                .push_bind(p.id.to_string())
                .push_bind(p.fields.clone())
                .push_bind(None::<String>)
                .push_bind(None::<i64>)
                .push_bind(false)
                .push_bind(now);
        });
        records.build().execute(&mut *tx).await?;
        let mut outbox = QueryBuilder::<Sqlite>::new(
            "INSERT INTO outbox (mutation_id, entity, record_id, causal_rank, mutation, state, attempts, created_at) ",
        );
        outbox.push_values(chunk, |mut row, p| {
            row.push_bind(p.mutation.id.to_string())
                .push_bind(p.entity.as_str())
                .push_bind(p.id.to_string())
                .push_bind(i64::try_from(p.entity.causal_rank()).unwrap_or(i64::MAX))
                .push_bind(p.mutation_json.clone())
                .push_bind("pending")
                .push_bind(0_i64)
                .push_bind(now);
        });
        outbox.build().execute(&mut *tx).await?;
        let mut history = QueryBuilder::<Sqlite>::new(
            "INSERT INTO history (entity, record_id, op, before, after, user_id, device_id, hlc, at, origin) ",
        );
        history.push_values(chunk, |mut row, p| {
            row.push_bind(p.entity.as_str())
                .push_bind(p.id.to_string())
                .push_bind("import")
                .push_bind(None::<String>)
                .push_bind(p.fields.clone())
                .push_bind(session.user_id.to_string())
                .push_bind(session.device_id.to_string())
                .push_bind(p.mutation.hlc.to_string())
                .push_bind(now)
                .push_bind("local");
        });
        history.build().execute(&mut *tx).await?;
    }
    Ok(())
}
