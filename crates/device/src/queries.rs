//! What the screens read, always from the local store: arrivals, departures,
//! in-house, search, room board, tasks, folios, history, outbox and conflicts.
//! Each query is served by an index of the migration (see the plan test).

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sqlx::sqlite::SqliteRow;
use sqlx::{Connection, Row};
use sync_core::conflict::Conflict;
use sync_core::domain::{FolioPosting, HousekeepingTask, Reservation, Room};
use sync_core::hlc::Hlc;
use sync_core::invariants::{PostingAmount, RoomState, balance, occupancy_breach};
use sync_core::schema::{EntityKind, Fields};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::{Store, load, parse_fields, typed};

/// A stay's folio: its postings in order and the balance derived from them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Folio {
    pub reservation_id: Uuid,
    pub postings: Vec<FolioPosting>,
    /// Charges minus payments per currency; empty when settled.
    pub balance: BTreeMap<String, i64>,
}

/// One room on the room board, with the stay in it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomBoardEntry {
    pub room: Room,
    /// The checked-in stay holding the room, if any.
    pub in_house: Option<Reservation>,
    /// The desk and housekeeping disagree (occupied without a stay, or the reverse).
    pub mismatch: bool,
}

/// One line of a record's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryEntry {
    pub op: String,
    /// The changed fields before the change (none for a creation).
    pub before: Option<Fields>,
    /// The changed fields after the change.
    pub after: Option<Fields>,
    pub user_id: Uuid,
    pub device_id: Uuid,
    pub hlc: Hlc,
    pub at_ms: i64,
    /// `local` for this device's actions, `server` for pulled changes.
    pub origin: String,
}

/// One mutation waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxEntry {
    pub seq: i64,
    pub mutation_id: Uuid,
    pub entity: EntityKind,
    pub record_id: Uuid,
    /// `pending`, `failed` or `held`.
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
}

/// Counts of the outbox by state, for the sync indicator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxCounts {
    pub pending: i64,
    pub failed: i64,
    pub held: i64,
}

/// How to look for reservations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "text", rename_all = "snake_case")]
pub enum ReservationSearch {
    /// Guest name starting with the text, any case of ASCII letters (indexed). SQLite's
    /// `lower()` folds ASCII only, so the text is folded the same way: `müller` finds
    /// `Müller`, while `MÜLLER` does not.
    NamePrefix(String),
    /// Guest name containing the text anywhere, folded like [`Self::NamePrefix`]
    /// (scans the reservations: no index serves a substring).
    NameContains(String),
    /// Exact confirmation number, provisional or official.
    Confirmation(String),
    /// Stays assigned to the room with this number, latest arrival first.
    RoomNumber(String),
}

// The screens' queries name their index. A fresh device has no statistics, and
// without them SQLite takes the primary key's `entity = ?` prefix, which reads every
// reservation; naming the index keeps each plan an index search whatever ANALYZE has
// or has not seen, and a dropped index fails loudly instead of turning into a scan.
const ARRIVALS: &str = "SELECT fields FROM records INDEXED BY reservation_arrival
     WHERE entity = 'reservation' AND deleted = 0 AND arrival = ?
       AND status IN ('tentative', 'confirmed', 'checked_in')
     ORDER BY guest_name_lc";
const DEPARTURES: &str = "SELECT fields FROM records INDEXED BY reservation_departure
     WHERE entity = 'reservation' AND deleted = 0 AND departure = ?
       AND status IN ('checked_in', 'checked_out')
     ORDER BY guest_name_lc";
const IN_HOUSE: &str = "SELECT fields FROM records INDEXED BY reservation_status
     WHERE entity = 'reservation' AND deleted = 0 AND status = 'checked_in'
     ORDER BY guest_name_lc";
const BY_NAME_PREFIX: &str = "SELECT fields FROM records INDEXED BY reservation_guest_name
     WHERE entity = 'reservation' AND deleted = 0 AND guest_name_lc >= ? AND guest_name_lc < ?
     ORDER BY guest_name_lc, arrival LIMIT ?";
const BY_NAME_CONTAINS: &str = "SELECT fields FROM records
     WHERE entity = 'reservation' AND deleted = 0 AND instr(guest_name_lc, ?) > 0
     ORDER BY arrival DESC LIMIT ?";
const BY_CONFIRMATION: &str = "SELECT fields FROM records INDEXED BY reservation_confirmation
     WHERE entity = 'reservation' AND deleted = 0 AND confirmation = ? LIMIT ?";
const BY_ROOM_NUMBER: &str = "SELECT fields FROM records INDEXED BY reservation_room
     WHERE entity = 'reservation' AND deleted = 0
       AND room_id IN (SELECT id FROM records INDEXED BY room_number
         WHERE entity = 'room' AND deleted = 0 AND number = ?)
     ORDER BY arrival DESC LIMIT ?";
const TASKS_FOR: &str = "SELECT fields FROM records INDEXED BY task_assignee
     WHERE entity = 'housekeeping_task' AND deleted = 0 AND assignee_id = ?
       AND status IN ('pending', 'in_progress', 'done')
     ORDER BY json_extract(fields, '$.priority'), id";
const UNASSIGNED_TASKS: &str = "SELECT fields FROM records
     WHERE entity = 'housekeeping_task' AND deleted = 0 AND json_extract(fields, '$.assignee_id') IS NULL
       AND status IN ('pending', 'in_progress')
     ORDER BY json_extract(fields, '$.priority'), id";
const FOLIO: &str = "SELECT fields FROM records INDEXED BY posting_reservation
     WHERE entity = 'folio_posting' AND deleted = 0 AND reservation_id = ?
     ORDER BY json_extract(fields, '$.posted_at'), id";
const HISTORY: &str = "SELECT op, before, after, user_id, device_id, hlc, at, origin FROM history
     WHERE entity = ? AND record_id = ? ORDER BY id";

/// The screens' main queries by name, for checking their plans (see [`Store::query_plans`]).
/// The name search by substring is left out on purpose: it reads every reservation.
pub const MAIN_QUERIES: &[(&str, &str)] = &[
    ("arrivals", ARRIVALS),
    ("departures", DEPARTURES),
    ("in_house", IN_HOUSE),
    ("search by name prefix", BY_NAME_PREFIX),
    ("search by confirmation", BY_CONFIRMATION),
    ("search by room number", BY_ROOM_NUMBER),
    ("tasks by assignee", TASKS_FOR),
    ("folio", FOLIO),
    ("history", HISTORY),
    ("stays in a room", crate::ops::STAYS_IN_ROOM),
];

fn rows_typed<T: DeserializeOwned>(kind: EntityKind, rows: &[SqliteRow]) -> Result<Vec<T>> {
    rows.iter().map(|row| typed(kind, &parse_fields(row.try_get::<&str, _>("fields")?)?)).collect()
}

/// The balance of a stay's folio, on any connection (a check-out reads it in its transaction).
pub(crate) async fn folio_balance(
    conn: &mut sqlx::SqliteConnection,
    reservation_id: Uuid,
) -> Result<BTreeMap<String, i64>> {
    let postings = folio_postings(conn, reservation_id).await?;
    Ok(balance_of(&postings))
}

async fn folio_postings<'e>(
    conn: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    reservation_id: Uuid,
) -> Result<Vec<FolioPosting>> {
    let rows = sqlx::query(FOLIO).bind(reservation_id.to_string()).fetch_all(conn).await?;
    rows_typed(EntityKind::FolioPosting, &rows)
}

fn balance_of(postings: &[FolioPosting]) -> BTreeMap<String, i64> {
    balance(postings.iter().map(|p| PostingAmount {
        kind: p.kind,
        amount_minor: p.amount_minor,
        currency: &p.currency,
    }))
}

/// A room reported out of order whose stays the front desk must move first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoomToClear {
    pub room_id: Uuid,
    pub room_number: String,
    pub report: sync_core::domain::MaintenanceReport,
    /// The live stays that still hold the room from today on.
    pub stays: Vec<Reservation>,
}

/// An edit made on this desk that lost a merge to another desk's edit of the same
/// field (its policy decided: server wins, last writer wins, priority).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupersededEdit {
    pub id: i64,
    pub entity: EntityKind,
    pub record_id: Uuid,
    pub field: String,
    /// This desk's value that lost.
    pub value: serde_json::Value,
    /// The value the record kept.
    pub kept: serde_json::Value,
    /// The policy that decided (`last_writer_wins`, `server_wins`, `priority`).
    pub policy: String,
    /// When the edit was made, in milliseconds since the epoch.
    pub made_at_ms: i64,
    /// Whether its user has seen the notice.
    pub seen: bool,
}

impl Store {
    /// Every live record of a small kind (room types, rooms, staff: lists the
    /// screens show whole), ordered by id.
    pub async fn all<T: DeserializeOwned>(&self, kind: EntityKind) -> Result<Vec<T>> {
        let rows = sqlx::query("SELECT fields FROM records WHERE entity = ? AND deleted = 0 ORDER BY id")
            .bind(kind.as_str())
            .fetch_all(&self.reader)
            .await?;
        rows_typed(kind, &rows)
    }

    /// One record's typed local value, if the device has it (deleted ones included).
    pub async fn record<T: DeserializeOwned>(&self, kind: EntityKind, id: Uuid) -> Result<Option<T>> {
        load(&self.reader, kind, id).await?.map(|stored| stored.typed()).transpose()
    }

    /// One record's local value as fields, with its last synced version.
    pub async fn record_fields(&self, kind: EntityKind, id: Uuid) -> Result<Option<(Fields, Option<u64>)>> {
        Ok(load(&self.reader, kind, id).await?.map(|stored| (stored.fields, stored.version)))
    }

    /// The property's time zone, once its record synced to this desk.
    pub async fn property_timezone(&self, property_id: Uuid) -> Result<Option<String>> {
        Ok(load(&self.reader, EntityKind::Property, property_id)
            .await?
            .and_then(|stored| stored.fields.get("timezone")?.as_str().map(str::to_owned)))
    }

    /// A reservation by id.
    pub async fn reservation(&self, id: Uuid) -> Result<Reservation> {
        self.record(EntityKind::Reservation, id)
            .await?
            .ok_or_else(|| Error::NotFound("The reservation was not found on this device".into()))
    }

    /// Stays arriving on `day` (tentative, confirmed or already checked in), by guest name.
    pub async fn arrivals(&self, day: NaiveDate) -> Result<Vec<Reservation>> {
        let rows = sqlx::query(ARRIVALS).bind(day.to_string()).fetch_all(&self.reader).await?;
        rows_typed(EntityKind::Reservation, &rows)
    }

    /// Stays leaving on `day` (in house or already checked out), by guest name.
    pub async fn departures(&self, day: NaiveDate) -> Result<Vec<Reservation>> {
        let rows = sqlx::query(DEPARTURES).bind(day.to_string()).fetch_all(&self.reader).await?;
        rows_typed(EntityKind::Reservation, &rows)
    }

    /// Stays checked in now, by guest name.
    pub async fn in_house(&self) -> Result<Vec<Reservation>> {
        let rows = sqlx::query(IN_HOUSE).fetch_all(&self.reader).await?;
        rows_typed(EntityKind::Reservation, &rows)
    }

    /// Reservations found by name, confirmation number or room number (at most `limit`).
    pub async fn search_reservations(&self, search: &ReservationSearch, limit: u32) -> Result<Vec<Reservation>> {
        let rows = match search {
            ReservationSearch::NamePrefix(text) => {
                let prefix = text.trim().to_ascii_lowercase();
                sqlx::query(BY_NAME_PREFIX)
                    .bind(prefix.clone())
                    .bind(format!("{prefix}\u{10FFFF}"))
                    .bind(limit)
                    .fetch_all(&self.reader)
                    .await?
            }
            ReservationSearch::NameContains(text) => {
                sqlx::query(BY_NAME_CONTAINS)
                    .bind(text.trim().to_ascii_lowercase())
                    .bind(limit)
                    .fetch_all(&self.reader)
                    .await?
            }
            ReservationSearch::Confirmation(text) => {
                sqlx::query(BY_CONFIRMATION)
                    .bind(text.trim().to_uppercase())
                    .bind(limit)
                    .fetch_all(&self.reader)
                    .await?
            }
            ReservationSearch::RoomNumber(text) => {
                sqlx::query(BY_ROOM_NUMBER).bind(text.trim().to_owned()).bind(limit).fetch_all(&self.reader).await?
            }
        };
        rows_typed(EntityKind::Reservation, &rows)
    }

    /// Every room by number, with the stay in it and whether desk and housekeeping disagree.
    pub async fn room_board(&self) -> Result<Vec<RoomBoardEntry>> {
        let rows = sqlx::query(
            "SELECT fields FROM records INDEXED BY room_number WHERE entity = 'room' AND deleted = 0 ORDER BY number",
        )
        .fetch_all(&self.reader)
        .await?;
        let rooms: Vec<Room> = rows_typed(EntityKind::Room, &rows)?;
        let mut in_house: HashMap<Uuid, Vec<Reservation>> = HashMap::new();
        for stay in self.in_house().await? {
            if let Some(room_id) = stay.room_id {
                in_house.entry(room_id).or_default().push(stay);
            }
        }
        Ok(rooms
            .into_iter()
            .map(|room| {
                let stays = in_house.remove(&room.id).unwrap_or_default();
                let ids: Vec<Uuid> = stays.iter().map(|s| s.id).collect();
                let mismatch = occupancy_breach(&RoomState::from(&room), &ids).is_some();
                RoomBoardEntry { room, in_house: stays.into_iter().next(), mismatch }
            })
            .collect())
    }

    /// Open housekeeping tasks of a member of staff (pending, in progress, done), most urgent first.
    pub async fn tasks_for(&self, assignee_id: Uuid) -> Result<Vec<HousekeepingTask>> {
        let rows = sqlx::query(TASKS_FOR).bind(assignee_id.to_string()).fetch_all(&self.reader).await?;
        rows_typed(EntityKind::HousekeepingTask, &rows)
    }

    /// Rooms reported out of order that are still available because stays hold them:
    /// the front desk's list of stays to move, oldest report first.
    pub async fn rooms_to_clear(&self, today: NaiveDate) -> Result<Vec<RoomToClear>> {
        let reports: Vec<sync_core::domain::MaintenanceReport> = self.all(EntityKind::MaintenanceReport).await?;
        let mut out = Vec::new();
        for report in reports
            .into_iter()
            .filter(|r| r.puts_out_of_order && r.status != sync_core::domain::MaintenanceStatus::Resolved)
        {
            let Some(room) = self.record::<Room>(EntityKind::Room, report.room_id).await? else { continue };
            if room.availability != sync_core::domain::Availability::Available {
                continue;
            }
            let far = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(today);
            let stays: Vec<Reservation> = crate::ops::stays_in_room(&self.reader, room.id, today, far)
                .await?
                .into_iter()
                .filter(|stay| stay.status.is_live() && !stay.status.is_final())
                .collect();
            if !stays.is_empty() {
                out.push(RoomToClear { room_id: room.id, room_number: room.number, report, stays });
            }
        }
        Ok(out)
    }

    /// Open tasks nobody has taken yet, most urgent first.
    pub async fn unassigned_tasks(&self) -> Result<Vec<HousekeepingTask>> {
        let rows = sqlx::query(UNASSIGNED_TASKS).fetch_all(&self.reader).await?;
        rows_typed(EntityKind::HousekeepingTask, &rows)
    }

    /// A stay's folio with its derived balance.
    pub async fn folio(&self, reservation_id: Uuid) -> Result<Folio> {
        let postings = folio_postings(&self.reader, reservation_id).await?;
        let balance = balance_of(&postings);
        Ok(Folio { reservation_id, postings, balance })
    }

    /// A record's history, oldest first.
    pub async fn history(&self, kind: EntityKind, record_id: Uuid) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query(HISTORY).bind(kind.as_str()).bind(record_id.to_string()).fetch_all(&self.reader).await?;
        rows.iter()
            .map(|row| {
                let uuid = |name: &str| -> Result<Uuid> {
                    Uuid::parse_str(row.try_get::<&str, _>(name)?).map_err(|e| Error::storage("reading history", e))
                };
                Ok(HistoryEntry {
                    op: row.try_get("op")?,
                    before: row.try_get::<Option<&str>, _>("before")?.map(parse_fields).transpose()?,
                    after: row.try_get::<Option<&str>, _>("after")?.map(parse_fields).transpose()?,
                    user_id: uuid("user_id")?,
                    device_id: uuid("device_id")?,
                    hlc: row.try_get::<&str, _>("hlc")?.parse().map_err(|e| Error::storage("reading history", e))?,
                    at_ms: row.try_get("at")?,
                    origin: row.try_get("origin")?,
                })
            })
            .collect()
    }

    /// The outbox in push order (pending, held and failed alike), at most `limit` entries.
    pub async fn outbox(&self, limit: u32) -> Result<Vec<OutboxEntry>> {
        let rows = sqlx::query(
            "SELECT seq, mutation_id, entity, record_id, state, attempts, last_error, created_at FROM outbox
             ORDER BY seq LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let uuid = |name: &str| -> Result<Uuid> {
                    Uuid::parse_str(row.try_get::<&str, _>(name)?).map_err(|e| Error::storage("reading the outbox", e))
                };
                Ok(OutboxEntry {
                    seq: row.try_get("seq")?,
                    mutation_id: uuid("mutation_id")?,
                    entity: row
                        .try_get::<&str, _>("entity")?
                        .parse()
                        .map_err(|e| Error::storage("reading the outbox", e))?,
                    record_id: uuid("record_id")?,
                    state: row.try_get("state")?,
                    attempts: row.try_get("attempts")?,
                    last_error: row.try_get("last_error")?,
                    created_at_ms: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    /// How many mutations wait, by state.
    pub async fn outbox_counts(&self) -> Result<OutboxCounts> {
        let rows =
            sqlx::query("SELECT state, count(*) AS n FROM outbox GROUP BY state").fetch_all(&self.reader).await?;
        let mut counts = OutboxCounts::default();
        for row in rows {
            let n: i64 = row.try_get("n")?;
            match row.try_get::<&str, _>("state")? {
                "pending" => counts.pending = n,
                "failed" => counts.failed = n,
                "held" => counts.held = n,
                _ => {}
            }
        }
        Ok(counts)
    }

    /// Marks local copies of conflicts resolved: `ids` were resolved (here or on
    /// another desk). Returns how many were still open.
    pub async fn close_conflicts(&self, ids: &[Uuid]) -> Result<u64> {
        let mut writer = self.writer.lock().await;
        let mut closed = 0;
        for id in ids {
            closed += sqlx::query("UPDATE conflicts SET status = 'resolved' WHERE id = ? AND status = 'open'")
                .bind(id.to_string())
                .execute(&mut writer.conn)
                .await?
                .rows_affected();
        }
        Ok(closed)
    }

    /// The edits `user_id` made on this desk that lost a merge to another desk's,
    /// newest first (a shared desk shows each person only their own).
    pub async fn superseded_edits(&self, user_id: Uuid, limit: u32) -> Result<Vec<SupersededEdit>> {
        let rows = sqlx::query(
            "SELECT id, entity, record_id, field, value, kept, policy, made_at, seen FROM superseded \
             WHERE user_id = ? ORDER BY id DESC LIMIT ?",
        )
        .bind(user_id.to_string())
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let json = |column: &str| -> Result<serde_json::Value> {
                    serde_json::from_str(row.try_get::<&str, _>(column)?)
                        .map_err(|e| Error::storage("reading a superseded edit", e))
                };
                Ok(SupersededEdit {
                    id: row.try_get("id")?,
                    entity: row
                        .try_get::<&str, _>("entity")?
                        .parse()
                        .map_err(|e| Error::storage("reading a superseded edit", e))?,
                    record_id: Uuid::parse_str(row.try_get::<&str, _>("record_id")?)
                        .map_err(|e| Error::storage("reading a superseded edit", e))?,
                    field: row.try_get("field")?,
                    value: json("value")?,
                    kept: json("kept")?,
                    policy: row.try_get("policy")?,
                    made_at_ms: row.try_get("made_at")?,
                    seen: row.try_get::<i64, _>("seen")? != 0,
                })
            })
            .collect()
    }

    /// Marks `user_id`'s superseded edits as seen (the notice was opened).
    pub async fn mark_superseded_seen(&self, user_id: Uuid) -> Result<u64> {
        let mut writer = self.writer.lock().await;
        Ok(sqlx::query("UPDATE superseded SET seen = 1 WHERE user_id = ? AND seen = 0")
            .bind(user_id.to_string())
            .execute(&mut writer.conn)
            .await?
            .rows_affected())
    }

    /// Keeps the server's open conflicts this desk does not hold yet; answers how many
    /// were new. One it holds already keeps its local state.
    pub async fn keep_conflicts(&self, conflicts: &[Conflict]) -> Result<u64> {
        if conflicts.is_empty() {
            return Ok(0);
        }
        let mut writer = self.writer.lock().await;
        let mut tx = writer.conn.begin_with("BEGIN IMMEDIATE").await?;
        let mut kept = 0;
        for conflict in conflicts {
            let created = conflict.device.at.timestamp_millis();
            kept += sqlx::query(
                "INSERT INTO conflicts (id, entity, record_id, body, status, created_at) VALUES (?, ?, ?, ?, 'open', ?)
                 ON CONFLICT (id) DO NOTHING",
            )
            .bind(conflict.id.to_string())
            .bind(conflict.entity.as_str())
            .bind(conflict.record_id.to_string())
            .bind(crate::store::to_json(conflict)?)
            .bind(created)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        tx.commit().await?;
        Ok(kept)
    }

    /// Conflicts still waiting for a decision, oldest first.
    pub async fn open_conflicts(&self) -> Result<Vec<Conflict>> {
        let bodies: Vec<String> =
            sqlx::query_scalar("SELECT body FROM conflicts WHERE status = 'open' ORDER BY created_at, id")
                .fetch_all(&self.reader)
                .await?;
        bodies
            .iter()
            .map(|body| serde_json::from_str(body).map_err(|e| Error::storage("reading a conflict", e)))
            .collect()
    }
}
