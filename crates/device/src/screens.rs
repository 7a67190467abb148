//! What the desktop app's screens ask for, shaped as the UI contract
//! (`docs/ui-commands.md`) names it: the catalog, the day at the desk, a page of
//! reservations with its total, the tape chart, guest and work lists, and the
//! sync center's views (indicator state, outbox with summaries, conflicts with
//! names, metrics).
//!
//! It adds reads and views over the store only; every change still goes through
//! the operations of [`crate::ops`]. The one write here, [`Store::retry_mutation`],
//! only puts a failed mutation back in the queue, like [`Store::requeue`] does for all.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Days, NaiveDate, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use sync_core::conflict::Conflict;
use sync_core::domain::{
    Device, Guest, InventoryItem, MaintenanceReport, MaintenanceStatus, PosOrder, PosStatus, Property, RequestStatus,
    Reservation, ReservationStatus, Role, Room, RoomType, ServiceRequest, StaffUser,
};
use sync_core::protocol::{DomainAction, Mutation, Operation};
use sync_core::schema::{EntityKind, Fields};
use uuid::Uuid;

use crate::desk::Desk;
use crate::error::{Error, Result};
use crate::meta::DeviceIdentity;
use crate::queries::{HistoryEntry, OutboxCounts};
use crate::store::{Store, parse_fields, typed};
use crate::sync::staleness::evaluate;
use crate::sync::{KindFreshness, StaleVerdict, SyncMetrics, SyncSettings, SyncState, SyncStatus, check_operation};

/// A member of staff as the screens name them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffSummary {
    pub id: Uuid,
    pub display_name: String,
    pub role: Role,
}

/// A device of the property as the screens name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceSummary {
    pub id: Uuid,
    pub name: String,
}

/// What every screen needs to show ids as words, loaded once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Catalog {
    pub property: Property,
    pub business_date: NaiveDate,
    pub room_types: Vec<RoomType>,
    /// By room number.
    pub rooms: Vec<Room>,
    /// By display name.
    pub staff: Vec<StaffSummary>,
    pub devices: Vec<DeviceSummary>,
}

/// The desk's day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Today {
    pub business_date: NaiveDate,
    /// Arriving today, not checked in yet (and not cancelled).
    pub arrivals: Vec<Reservation>,
    /// Checked in and leaving today.
    pub departures: Vec<Reservation>,
    /// Every checked-in stay.
    pub in_house: Vec<Reservation>,
}

/// The reservations list's search: text, statuses, nights and a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReservationQuery {
    /// Guest name (prefix or contains), confirmation number (official, or the
    /// provisional one given offline) or room number; empty for all.
    pub text: String,
    /// Only these statuses; empty for all.
    pub statuses: Vec<ReservationStatus>,
    /// Stays with a night on or after this date.
    pub from: Option<NaiveDate>,
    /// Stays arriving before this date.
    pub to: Option<NaiveDate>,
    pub offset: u32,
    pub limit: u32,
}

/// One window of the matches, by arrival then confirmation; `total` counts them all.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReservationPage {
    pub total: u64,
    pub offset: u32,
    pub rows: Vec<Reservation>,
}

/// Stays with a night in `[from, from + days)`, any status, for the tape chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TapeChart {
    pub from: NaiveDate,
    pub days: u32,
    pub stays: Vec<Reservation>,
}

/// An operation the stale-data policies warn about or block right now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperationVerdict {
    pub operation: String,
    /// `warn` or `block`.
    pub verdict: String,
    pub message: String,
}

/// The sync indicator's data as the UI reads it (the `sync-status` event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncView {
    /// `idle`, `syncing`, `offline`, `error` or `disabled`.
    pub state: String,
    pub pending: i64,
    pub failed: i64,
    pub held: i64,
    pub open_conflicts: u64,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub reason: Option<String>,
    pub freshness: Vec<KindFreshness>,
    /// Only the operations whose verdict is not "go".
    pub operations: Vec<OperationVerdict>,
}

/// One outbox entry with a sentence saying what it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxLine {
    pub seq: i64,
    pub mutation_id: Uuid,
    pub entity: EntityKind,
    pub record_id: Uuid,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    /// E.g. "Check-in of H-2026-0042, Sarah Johnson".
    pub summary: String,
}

/// The sync center's queue: counts, and entries failed first, then pending, then held.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxView {
    pub counts: OutboxCounts,
    pub entries: Vec<OutboxLine>,
}

/// A conflict as the dialog shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictView {
    pub conflict: Conflict,
    /// E.g. "Reservation H-2026-0042, Sarah Johnson".
    pub title: String,
    /// The record as this device holds it now.
    pub current: Option<Fields>,
    pub device_user: Option<String>,
    pub device_name: Option<String>,
    pub server_user: Option<String>,
    pub server_device: Option<String>,
}

/// An edit of this desk's user that lost a merge, as the sync center lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupersededView {
    #[serde(flatten)]
    pub edit: crate::queries::SupersededEdit,
    /// E.g. "Reservation H-2026-0042, Sarah Johnson".
    pub title: String,
}

/// One version of a record, with the names of who and which device.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedHistoryEntry {
    #[serde(flatten)]
    pub entry: HistoryEntry,
    pub user_name: Option<String>,
    pub device_name: Option<String>,
    /// The author's values this version's merge settled against (server wins, last
    /// writer wins, priority): edits that lost, kept in the history.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<sync_core::merge::Superseded>,
}

/// The sync center's counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncMetricsView {
    pub rounds: u64,
    pub failed_rounds: u64,
    pub pushed: u64,
    /// Changes of other desks to records this desk already held, applied here (the
    /// history lines of pulled changes; first copies of records are not counted).
    pub pulled: u64,
    pub conflicts_raised: u64,
    pub conflicts_resolved: u64,
    pub last_round_ms: Option<u64>,
    pub last_sync_at: Option<DateTime<Utc>>,
    pub oldest_pending_secs: Option<u64>,
}

/// The enrolled device as the session screens show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolledDevice {
    pub id: Uuid,
    pub name: String,
    pub property_id: Uuid,
    pub property_name: String,
    pub server_url: String,
}

/// The signed-in member of staff as the UI shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

/// Where the app is: enroll, sign in, or work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionState {
    pub device: Option<EnrolledDevice>,
    pub user: Option<SessionUser>,
}

/// The settings screen: who this device is and the sync worker's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsView {
    pub server_url: String,
    pub device_name: String,
    pub device_id: Uuid,
    pub sync: SyncSettings,
}

/// Where the worker keeps its counters (see `sync::worker`).
const METRICS: &str = "sync.metrics";
/// At most this many guests for an empty search.
const RECENT_GUESTS: u32 = 200;

fn rows_typed<T: DeserializeOwned>(kind: EntityKind, rows: &[SqliteRow]) -> Result<Vec<T>> {
    rows.iter().map(|row| typed(kind, &parse_fields(row.try_get::<&str, _>("fields")?)?)).collect()
}

fn text_of<'a>(fields: &'a Fields, key: &str) -> &'a str {
    fields.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A record named as a receptionist reads it: "Reservation H-2026-0042, Sarah Johnson".
pub fn record_title(kind: EntityKind, fields: Option<&Fields>) -> String {
    let Some(fields) = fields else { return format!("{} (no longer on this device)", kind_label(kind)) };
    let detail = match kind {
        EntityKind::Reservation => format!("{}, {}", text_of(fields, "confirmation"), text_of(fields, "guest_name")),
        EntityKind::Guest => format!("{} {}", text_of(fields, "first_name"), text_of(fields, "last_name")),
        EntityKind::Room => text_of(fields, "number").to_owned(),
        EntityKind::FolioPosting => text_of(fields, "description").to_owned(),
        EntityKind::StaffUser => text_of(fields, "display_name").to_owned(),
        EntityKind::InventoryItem | EntityKind::Property | EntityKind::RoomType | EntityKind::Device => {
            text_of(fields, "name").to_owned()
        }
        EntityKind::PosOrder => text_of(fields, "outlet").to_owned(),
        EntityKind::ServiceRequest => text_of(fields, "kind").to_owned(),
        EntityKind::MaintenanceReport => text_of(fields, "description").to_owned(),
        EntityKind::HousekeepingTask => text_of(fields, "kind").replace('_', " "),
    };
    let detail = detail.trim().trim_matches(',').trim();
    if detail.is_empty() { kind_label(kind).to_owned() } else { format!("{} {detail}", kind_label(kind)) }
}

fn kind_label(kind: EntityKind) -> &'static str {
    match kind {
        EntityKind::Property => "Property",
        EntityKind::RoomType => "Room type",
        EntityKind::Room => "Room",
        EntityKind::Guest => "Guest",
        EntityKind::Reservation => "Reservation",
        EntityKind::FolioPosting => "Posting",
        EntityKind::HousekeepingTask => "Housekeeping task",
        EntityKind::MaintenanceReport => "Maintenance report",
        EntityKind::ServiceRequest => "Service request",
        EntityKind::PosOrder => "POS order",
        EntityKind::InventoryItem => "Inventory item",
        EntityKind::StaffUser => "Staff member",
        EntityKind::Device => "Device",
    }
}

fn operation_label(op: Operation) -> &'static str {
    match op {
        Operation::Insert => "New",
        Operation::Update => "Change",
        Operation::Delete => "Removal",
        Operation::Action(DomainAction::Confirm) => "Confirmation",
        Operation::Action(DomainAction::CheckIn) => "Check-in",
        Operation::Action(DomainAction::CheckOut) => "Check-out",
        Operation::Action(DomainAction::Cancel) => "Cancellation",
        Operation::Action(DomainAction::NoShow) => "No-show",
        Operation::Action(DomainAction::UndoCheckIn) => "Undone check-in",
        Operation::Action(DomainAction::ReinstateCheckOut) => "Reinstated check-out",
    }
}

/// The last successful sync of each kind, as the staleness checks read it.
pub async fn last_success(store: &Store) -> Result<BTreeMap<EntityKind, DateTime<Utc>>> {
    let mut last = BTreeMap::new();
    for kind in EntityKind::ALL {
        let at = store.last_sync(kind).await?.and_then(|ms| i64::try_from(ms).ok());
        if let Some(at) = at.and_then(DateTime::from_timestamp_millis) {
            last.insert(kind, at);
        }
    }
    Ok(last)
}

impl Store {
    /// The persisted sync settings, or the defaults.
    pub async fn sync_settings(&self) -> Result<SyncSettings> {
        Ok(self.settings().await?.unwrap_or_default())
    }

    /// The stale-data verdict for `operation` (`check_in`, `assign_room`...) at `now`.
    pub async fn stale_verdict(&self, operation: &str, now: DateTime<Utc>) -> Result<StaleVerdict> {
        let settings = self.sync_settings().await?;
        Ok(check_operation(operation, &settings.stale_policies, &last_success(self).await?, now))
    }

    /// The property, its room types, rooms, staff and devices, and the business date.
    /// Before the first sync brought the property record, a placeholder with its id.
    pub async fn catalog(&self, property_id: Uuid, business_date: NaiveDate) -> Result<Catalog> {
        let property = self.record::<Property>(EntityKind::Property, property_id).await?.unwrap_or_else(|| Property {
            id: property_id,
            code: String::new(),
            name: String::new(),
            timezone: "UTC".into(),
            currency: "EUR".into(),
            policies: None,
        });
        let mut room_types: Vec<RoomType> = self.all(EntityKind::RoomType).await?;
        room_types.sort_by(|a, b| a.name.cmp(&b.name));
        let mut rooms: Vec<Room> = self.all(EntityKind::Room).await?;
        rooms.sort_by(|a, b| room_order(&a.number).cmp(&room_order(&b.number)));
        let mut staff: Vec<StaffSummary> = self
            .all::<StaffUser>(EntityKind::StaffUser)
            .await?
            .into_iter()
            .map(|s| StaffSummary { id: s.id, display_name: s.display_name, role: s.role })
            .collect();
        staff.sort_by(|a, b| a.display_name.cmp(&b.display_name));
        let devices = self
            .all::<Device>(EntityKind::Device)
            .await?
            .into_iter()
            .map(|d| DeviceSummary { id: d.id, name: d.name })
            .collect();
        Ok(Catalog { property, business_date, room_types, rooms, staff, devices })
    }

    /// Arrivals still to check in, departures still in house, and everyone in house.
    pub async fn today(&self, business_date: NaiveDate) -> Result<Today> {
        let mut arrivals = self.arrivals(business_date).await?;
        arrivals.retain(|r| matches!(r.status, ReservationStatus::Tentative | ReservationStatus::Confirmed));
        let mut departures = self.departures(business_date).await?;
        departures.retain(|r| r.status == ReservationStatus::CheckedIn);
        let in_house = self.in_house().await?;
        Ok(Today { business_date, arrivals, departures, in_house })
    }

    /// A page of the reservations matching `query`, with the count of all matches.
    pub async fn reservation_page(&self, query: &ReservationQuery) -> Result<ReservationPage> {
        let mut conditions = vec!["entity = 'reservation'".to_owned(), "deleted = 0".to_owned()];
        let mut binds: Vec<String> = Vec::new();
        if !query.statuses.is_empty() {
            let marks = vec!["?"; query.statuses.len()].join(", ");
            conditions.push(format!("status IN ({marks})"));
            for status in &query.statuses {
                binds.push(sync_core::invariants::status_name(*status).to_owned());
            }
        }
        if let Some(from) = query.from {
            conditions.push("departure > ?".into());
            binds.push(from.to_string());
        }
        if let Some(to) = query.to {
            conditions.push("arrival < ?".into());
            binds.push(to.to_string());
        }
        let text = query.text.trim();
        if !text.is_empty() {
            conditions.push(
                "(instr(guest_name_lc, ?) > 0 OR confirmation = ?
                  OR json_extract(fields, '$.provisional_confirmation') = ?
                  OR room_id IN (SELECT id FROM records WHERE entity = 'room' AND deleted = 0 AND number = ?))"
                    .into(),
            );
            binds.push(text.to_ascii_lowercase());
            binds.push(text.to_uppercase());
            binds.push(text.to_uppercase());
            binds.push(text.to_owned());
        }
        // Audited: the filter joins only the constant conditions above; every value is bound.
        let filter = conditions.join(" AND ");
        let count_sql = format!("SELECT count(*) FROM records WHERE {filter}");
        let mut count = sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(count_sql));
        for bind in &binds {
            count = count.bind(bind);
        }
        let total = count.fetch_one(&self.reader).await?;
        let page_sql =
            format!("SELECT fields FROM records WHERE {filter} ORDER BY arrival, confirmation, id LIMIT ? OFFSET ?");
        let mut page = sqlx::query(sqlx::AssertSqlSafe(page_sql));
        for bind in &binds {
            page = page.bind(bind);
        }
        let rows = page.bind(query.limit.min(1_000)).bind(query.offset).fetch_all(&self.reader).await?;
        Ok(ReservationPage {
            total: u64::try_from(total).unwrap_or(0),
            offset: query.offset,
            rows: rows_typed(EntityKind::Reservation, &rows)?,
        })
    }

    /// Every stay with a night in `[from, from + days)`, any status, by arrival.
    pub async fn tape_chart(&self, from: NaiveDate, days: u32) -> Result<TapeChart> {
        let days = days.clamp(1, 366);
        let until = from.checked_add_days(Days::new(u64::from(days))).ok_or_else(|| Error::InvalidInput {
            field: Some("days".into()),
            message: "The range is too far".into(),
        })?;
        let rows = sqlx::query(
            // Departures after `from` are the stays around and after the chart's days, a
            // small part of years of history; arrivals before `until` would be nearly all.
            "SELECT fields FROM records INDEXED BY reservation_departure
             WHERE entity = 'reservation' AND deleted = 0 AND arrival < ? AND departure > ?
             ORDER BY arrival, confirmation",
        )
        .bind(until.to_string())
        .bind(from.to_string())
        .fetch_all(&self.reader)
        .await?;
        Ok(TapeChart { from, days, stays: rows_typed(EntityKind::Reservation, &rows)? })
    }

    /// Guests whose name, email or loyalty number contains `text` (any ASCII case);
    /// for an empty text the most recently changed, at most 200.
    pub async fn search_guests(&self, text: &str) -> Result<Vec<Guest>> {
        let text = text.trim().to_lowercase();
        let rows = if text.is_empty() {
            sqlx::query(
                "SELECT fields FROM records WHERE entity = 'guest' AND deleted = 0
                 ORDER BY updated_at DESC, id LIMIT ?",
            )
            .bind(RECENT_GUESTS)
            .fetch_all(&self.reader)
            .await?
        } else {
            sqlx::query(
                "SELECT fields FROM records WHERE entity = 'guest' AND deleted = 0 AND (
                   instr(lower(json_extract(fields, '$.first_name') || ' ' || json_extract(fields, '$.last_name')), ?1) > 0
                   OR instr(lower(coalesce(json_extract(fields, '$.email'), '')), ?1) > 0
                   OR instr(lower(coalesce(json_extract(fields, '$.loyalty_number'), '')), ?1) > 0)
                 ORDER BY lower(json_extract(fields, '$.last_name')), lower(json_extract(fields, '$.first_name')), id
                 LIMIT ?2",
            )
            .bind(text)
            .bind(RECENT_GUESTS)
            .fetch_all(&self.reader)
            .await?
        };
        rows_typed(EntityKind::Guest, &rows)
    }

    /// Maintenance reports: open, then in progress, then resolved.
    pub async fn maintenance_reports(&self) -> Result<Vec<MaintenanceReport>> {
        let mut reports: Vec<MaintenanceReport> = self.all(EntityKind::MaintenanceReport).await?;
        let rank = |s: MaintenanceStatus| match s {
            MaintenanceStatus::Open => 0,
            MaintenanceStatus::InProgress => 1,
            MaintenanceStatus::Resolved => 2,
        };
        reports.sort_by_key(|r| (rank(r.status), std::cmp::Reverse(r.id)));
        Ok(reports)
    }

    /// Guest service requests: new, then acknowledged, then done.
    pub async fn service_requests(&self) -> Result<Vec<ServiceRequest>> {
        let mut requests: Vec<ServiceRequest> = self.all(EntityKind::ServiceRequest).await?;
        let rank = |s: RequestStatus| match s {
            RequestStatus::New => 0,
            RequestStatus::Acknowledged => 1,
            RequestStatus::Done => 2,
        };
        requests.sort_by_key(|r| (rank(r.status), std::cmp::Reverse(r.id)));
        Ok(requests)
    }

    /// POS orders: open first, then posted, paid and void; newest first within each.
    pub async fn pos_orders(&self) -> Result<Vec<PosOrder>> {
        let mut orders: Vec<PosOrder> = self.all(EntityKind::PosOrder).await?;
        let rank = |s: PosStatus| match s {
            PosStatus::Open => 0,
            PosStatus::Posted => 1,
            PosStatus::Paid => 2,
            PosStatus::Void => 3,
        };
        orders.sort_by_key(|o| (rank(o.status), std::cmp::Reverse(o.id)));
        Ok(orders)
    }

    /// Inventory items by location, then name.
    pub async fn inventory_items(&self) -> Result<Vec<InventoryItem>> {
        let mut items: Vec<InventoryItem> = self.all(EntityKind::InventoryItem).await?;
        items.sort_by(|a, b| (&a.location, &a.name).cmp(&(&b.location, &b.name)));
        Ok(items)
    }

    /// Names of staff and devices by id, for history and conflicts.
    async fn names(&self) -> Result<(HashMap<Uuid, String>, HashMap<Uuid, String>)> {
        let staff = self.all::<StaffUser>(EntityKind::StaffUser).await?.into_iter().map(|s| (s.id, s.display_name));
        let devices = self.all::<Device>(EntityKind::Device).await?.into_iter().map(|d| (d.id, d.name));
        Ok((staff.collect(), devices.collect()))
    }

    /// A record's history, oldest first, with the names of who changed it and where.
    pub async fn named_history(&self, kind: EntityKind, record_id: Uuid) -> Result<Vec<NamedHistoryEntry>> {
        let (staff, devices) = self.names().await?;
        Ok(self
            .history(kind, record_id)
            .await?
            .into_iter()
            .map(|entry| NamedHistoryEntry {
                user_name: staff.get(&entry.user_id).cloned(),
                device_name: devices.get(&entry.device_id).cloned(),
                entry,
                superseded: Vec::new(),
            })
            .collect())
    }

    /// The signed-in user's edits that lost a merge, newest first, with their records'
    /// titles (a shared desk shows each person only their own).
    pub async fn superseded_views(&self, user_id: Uuid, limit: u32) -> Result<Vec<SupersededView>> {
        let edits = self.superseded_edits(user_id, limit).await?;
        let mut views = Vec::with_capacity(edits.len());
        for edit in edits {
            let current = self.record_fields(edit.entity, edit.record_id).await?.map(|(fields, _)| fields);
            views.push(SupersededView { title: record_title(edit.entity, current.as_ref()), edit });
        }
        Ok(views)
    }

    /// Open conflicts, most severe first, named for the dialog.
    pub async fn conflict_views(&self) -> Result<Vec<ConflictView>> {
        let (staff, devices) = self.names().await?;
        let mut conflicts = self.open_conflicts().await?;
        conflicts.sort_by_key(|c| std::cmp::Reverse(c.severity));
        let mut views = Vec::with_capacity(conflicts.len());
        for conflict in conflicts {
            let current = self.record_fields(conflict.entity, conflict.record_id).await?.map(|(fields, _)| fields);
            views.push(ConflictView {
                title: record_title(conflict.entity, current.as_ref()),
                current,
                device_user: staff.get(&conflict.device.user_id).cloned(),
                device_name: devices.get(&conflict.device.device_id).cloned(),
                server_user: conflict.server.as_ref().and_then(|s| staff.get(&s.user_id).cloned()),
                server_device: conflict.server.as_ref().and_then(|s| devices.get(&s.device_id).cloned()),
                conflict,
            });
        }
        Ok(views)
    }

    /// The queue for the sync center: failed first, then pending, then held, at most `limit`.
    pub async fn outbox_view(&self, limit: u32) -> Result<OutboxView> {
        let rows = sqlx::query(
            "SELECT seq, mutation_id, entity, record_id, state, attempts, last_error, created_at, mutation FROM outbox
             ORDER BY CASE state WHEN 'failed' THEN 0 WHEN 'pending' THEN 1 ELSE 2 END, seq LIMIT ?",
        )
        .bind(limit)
        .fetch_all(&self.reader)
        .await?;
        let mut entries = Vec::with_capacity(rows.len());
        for row in &rows {
            let mutation: Mutation = serde_json::from_str(row.try_get::<&str, _>("mutation")?)
                .map_err(|e| Error::storage("reading the outbox", e))?;
            let current = self.record_fields(mutation.entity, mutation.record_id).await?.map(|(fields, _)| fields);
            let title = record_title(mutation.entity, current.as_ref()).to_lowercase_first();
            let summary = match mutation.op {
                Operation::Insert => format!("New {title}"),
                op => format!("{} of {title}", operation_label(op)),
            };
            entries.push(OutboxLine {
                seq: row.try_get("seq")?,
                mutation_id: mutation.id,
                entity: mutation.entity,
                record_id: mutation.record_id,
                state: row.try_get("state")?,
                attempts: row.try_get("attempts")?,
                last_error: row.try_get("last_error")?,
                created_at_ms: row.try_get("created_at")?,
                summary,
            });
        }
        Ok(OutboxView { counts: self.outbox_counts().await?, entries })
    }

    /// Puts one failed mutation back in the queue; not found unless it failed.
    pub async fn retry_mutation(&self, mutation_id: Uuid) -> Result<()> {
        let mut writer = self.writer.lock().await;
        let changed = sqlx::query("UPDATE outbox SET state = 'pending' WHERE mutation_id = ? AND state = 'failed'")
            .bind(mutation_id.to_string())
            .execute(&mut writer.conn)
            .await?
            .rows_affected();
        if changed == 0 {
            return Err(Error::NotFound("No failed change with this id waits in the queue".into()));
        }
        Ok(())
    }

    /// The indicator's data from the worker's latest status, at `now`.
    pub async fn sync_view(&self, status: &SyncStatus, now: DateTime<Utc>) -> Result<SyncView> {
        let settings = self.sync_settings().await?;
        let last = last_success(self).await?;
        let counts = self.outbox_counts().await?;
        let mut names: Vec<&str> =
            settings.stale_policies.iter().flat_map(|p| p.operations.iter().map(String::as_str)).collect();
        names.sort_unstable();
        names.dedup();
        let operations = names
            .into_iter()
            .filter_map(|operation| match check_operation(operation, &settings.stale_policies, &last, now) {
                StaleVerdict::Go => None,
                StaleVerdict::Warn { message } => {
                    Some(OperationVerdict { operation: operation.to_owned(), verdict: "warn".into(), message })
                }
                StaleVerdict::Block { message } => {
                    Some(OperationVerdict { operation: operation.to_owned(), verdict: "block".into(), message })
                }
            })
            .collect();
        let state = match status.state {
            SyncState::Synced | SyncState::Conflicts => "idle",
            SyncState::Syncing => "syncing",
            SyncState::Offline => "offline",
            SyncState::Error => "error",
            SyncState::Paused => "disabled",
        };
        Ok(SyncView {
            state: state.into(),
            pending: counts.pending,
            failed: counts.failed,
            held: counts.held,
            open_conflicts: status.conflicts,
            last_sync_at: last.values().max().copied().or(status.last_sync_at),
            reason: status.reason.clone(),
            freshness: evaluate(&settings.stale_policies, &last, now),
            operations,
        })
    }

    /// The sync center's counters at `now`.
    pub async fn sync_metrics_view(&self, now: DateTime<Utc>) -> Result<SyncMetricsView> {
        let metrics: SyncMetrics = self.meta_json(METRICS).await?.unwrap_or_default();
        let resolved: i64 = sqlx::query_scalar("SELECT count(*) FROM conflicts WHERE status = 'resolved'")
            .fetch_one(&self.reader)
            .await?;
        let pulled: i64 =
            sqlx::query_scalar("SELECT count(*) FROM history WHERE origin = 'server'").fetch_one(&self.reader).await?;
        let oldest: Option<i64> = sqlx::query_scalar("SELECT min(created_at) FROM outbox WHERE state = 'pending'")
            .fetch_one(&self.reader)
            .await?;
        let oldest_pending_secs =
            oldest.map(|ms| u64::try_from((now.timestamp_millis() - ms).max(0) / 1_000).unwrap_or(0));
        Ok(SyncMetricsView {
            rounds: metrics.rounds,
            failed_rounds: metrics.failures,
            pushed: metrics.actions_synced,
            pulled: u64::try_from(pulled).unwrap_or(0),
            conflicts_raised: metrics.conflicts_raised,
            conflicts_resolved: u64::try_from(resolved).unwrap_or(0),
            last_round_ms: metrics.last_round_ms,
            last_sync_at: last_success(self).await?.values().max().copied(),
            oldest_pending_secs,
        })
    }

    /// The enrolled device with its property's name.
    pub async fn enrolled_device(&self, identity: &DeviceIdentity) -> Result<EnrolledDevice> {
        let property = self.record::<Property>(EntityKind::Property, identity.property_id).await?;
        Ok(EnrolledDevice {
            id: identity.device_id,
            name: identity.name.clone(),
            property_id: identity.property_id,
            property_name: property.map_or_else(|| identity.property_name.clone(), |p| p.name),
            server_url: identity.server_url.clone(),
        })
    }
}

/// Sorts room numbers as numbers where they are ("99" before "101").
fn room_order(number: &str) -> (usize, &str) {
    (number.len(), number)
}

trait LowercaseFirst {
    fn to_lowercase_first(&self) -> String;
}

impl LowercaseFirst for String {
    /// "Reservation H-1, Ana" reads "reservation H-1, Ana" inside a sentence.
    fn to_lowercase_first(&self) -> String {
        let mut chars = self.chars();
        chars.next().map(|first| first.to_lowercase().chain(chars).collect()).unwrap_or_default()
    }
}

impl Desk {
    /// Enrollment and sign-in, as the app's first screens need them.
    pub async fn session_state(&self) -> Result<SessionState> {
        let device = match self.identity().await {
            Some(identity) => Some(self.store().enrolled_device(&identity).await?),
            None => None,
        };
        let user = self.user().await.map(|signed| SessionUser {
            id: signed.user.id,
            username: signed.user.username,
            display_name: signed.user.display_name,
            role: signed.role,
        });
        Ok(SessionState { device, user })
    }

    /// The settings screen's data; none before enrollment.
    pub async fn settings_view(&self) -> Result<Option<SettingsView>> {
        let Some(identity) = self.identity().await else { return Ok(None) };
        Ok(Some(SettingsView {
            server_url: identity.server_url,
            device_name: identity.name,
            device_id: identity.device_id,
            sync: self.store().sync_settings().await?,
        }))
    }

    /// The sync indicator's data now.
    pub async fn sync_view(&self, now: DateTime<Utc>) -> Result<SyncView> {
        self.store().sync_view(&self.sync().status(), now).await
    }
}
