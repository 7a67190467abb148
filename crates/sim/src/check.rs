//! The checker: after quiescence, reads the server's database and every device's
//! file and verifies what sync promises.
//!
//! 1. Replicas: every device holds exactly the server's records (same version,
//!    deleted flag and fields, less what its role may not read).
//! 2. History: each record's change-log versions are 1..=current without a gap,
//!    and its last entry is the record as stored.
//! 3. Nothing saved is lost: every mutation a device saved reached the server, and
//!    each field it changed landed as saved, or was settled by the field's merge
//!    policy in a way that keeps it (set additions, appended notes, later writer),
//!    or is part of a recorded conflict; a later change that overwrote it knew it,
//!    or won by policy.
//! 4. Folio postings: each idempotency key is one posting; each stay has exactly
//!    the postings the devices made for it.
//! 5. The invariants of DOMAIN.md hold on the final data, or an open business-rule
//!    conflict names the records concerned; statuses moved forward only in the log,
//!    bar a guarded reversal by its own action, whose guard held where the server
//!    applied it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde_json::Value;
use sqlx::{ConnectOptions, Connection, Row};
use sync_core::conflict::{Conflict, ConflictKind, ConflictStatus};
use sync_core::domain::{FolioPosting, Reservation, ReservationStatus, Room};
use sync_core::invariants::{
    Lifecycle, PostingAmount, RoomState, RuleBreach, Stay, balance, check_out_breach, check_stay_room, occupancy_breach,
};
use sync_core::protocol::{DomainAction, MutationResult, Operation, Outcome};
use sync_core::{EntityKind, Fields, Hlc, MergePolicy, PolicyTable};
use uuid::Uuid;

use crate::hotel::Hotel;
use crate::steps::{Saved, World};

/// One broken guarantee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub check: &'static str,
    pub detail: String,
}

impl Problem {
    /// A problem found by `check`.
    pub fn new(check: &'static str, detail: impl Into<String>) -> Self {
        Problem { check, detail: detail.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] {}", self.check, self.detail)
    }
}

type Key = (EntityKind, Uuid);

#[derive(Debug, Clone)]
struct Record {
    version: u64,
    fields: Fields,
    deleted: bool,
}

#[derive(Debug, Clone)]
struct Entry {
    seq: u64,
    key: Key,
    version: u64,
    op: String,
    after: Option<Fields>,
    hlc: Hlc,
    mutation_id: Option<Uuid>,
    /// The author's values the entry's merge settled against, kept in the history.
    superseded: Vec<sync_core::merge::Superseded>,
}

/// The server's state as the checker reads it.
#[derive(Debug, Default)]
struct ServerView {
    records: BTreeMap<Key, Record>,
    log: Vec<Entry>,
    conflicts: Vec<Conflict>,
    results: HashMap<String, MutationResult>,
}

fn parse_fields(text: &str) -> Result<Fields, String> {
    serde_json::from_str(text).map_err(|e| format!("unreadable fields: {e}"))
}

fn parse_key(entity: &str, id: &str) -> Result<Key, String> {
    let kind = entity.parse::<EntityKind>().map_err(|e| e.to_string())?;
    let id = Uuid::parse_str(id).map_err(|e| e.to_string())?;
    Ok((kind, id))
}

fn u64_of(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

async fn server_view(hotel: &Hotel) -> Result<ServerView, String> {
    let pool = hotel.admin.pool();
    let property = hotel.property.to_string();
    let mut view = ServerView::default();
    let rows = sqlx::query("SELECT entity, id, version, fields, deleted FROM records WHERE property_id = $1")
        .bind(&property)
        .fetch_all(pool)
        .await
        .map_err(|e| format!("reading records: {e}"))?;
    for row in rows {
        let read = || -> Result<(Key, Record), sqlx::Error> {
            let entity: String = row.try_get("entity")?;
            let id: String = row.try_get("id")?;
            let fields: String = row.try_get("fields")?;
            let key = parse_key(&entity, &id).map_err(sqlx::Error::Protocol)?;
            let fields = parse_fields(&fields).map_err(sqlx::Error::Protocol)?;
            let record = Record {
                version: u64_of(row.try_get("version")?),
                fields,
                deleted: row.try_get::<i64, _>("deleted")? != 0,
            };
            Ok((key, record))
        };
        let (key, record) = read().map_err(|e| format!("a server record: {e}"))?;
        view.records.insert(key, record);
    }
    let rows = sqlx::query(
        "SELECT seq, entity, record_id, version, op, after, hlc, mutation_id, superseded FROM change_log \
         WHERE property_id = $1 ORDER BY seq",
    )
    .bind(&property)
    .fetch_all(pool)
    .await
    .map_err(|e| format!("reading the change log: {e}"))?;
    for row in rows {
        let read = || -> Result<Entry, sqlx::Error> {
            let entity: String = row.try_get("entity")?;
            let id: String = row.try_get("record_id")?;
            let after: Option<String> = row.try_get("after")?;
            let hlc: String = row.try_get("hlc")?;
            let mutation_id: Option<String> = row.try_get("mutation_id")?;
            let superseded: Option<String> = row.try_get("superseded")?;
            Ok(Entry {
                superseded: superseded
                    .as_deref()
                    .map(serde_json::from_str)
                    .transpose()
                    .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
                    .unwrap_or_default(),
                seq: u64_of(row.try_get("seq")?),
                key: parse_key(&entity, &id).map_err(sqlx::Error::Protocol)?,
                version: u64_of(row.try_get("version")?),
                op: row.try_get("op")?,
                after: after.as_deref().map(parse_fields).transpose().map_err(sqlx::Error::Protocol)?,
                hlc: hlc.parse().map_err(|e: sync_core::hlc::ParseHlcError| sqlx::Error::Protocol(e.to_string()))?,
                mutation_id: mutation_id.as_deref().and_then(|id| Uuid::parse_str(id).ok()),
            })
        };
        view.log.push(read().map_err(|e| format!("a change-log entry: {e}"))?);
    }
    let rows = sqlx::query("SELECT body FROM conflicts WHERE property_id = $1")
        .bind(&property)
        .fetch_all(pool)
        .await
        .map_err(|e| format!("reading conflicts: {e}"))?;
    for row in rows {
        let body: String = row.try_get("body").map_err(|e| e.to_string())?;
        view.conflicts.push(serde_json::from_str(&body).map_err(|e| format!("a conflict: {e}"))?);
    }
    let rows = sqlx::query("SELECT idempotency_key, result FROM applied_mutations WHERE property_id = $1")
        .bind(&property)
        .fetch_all(pool)
        .await
        .map_err(|e| format!("reading results: {e}"))?;
    for row in rows {
        let key: String = row.try_get("idempotency_key").map_err(|e| e.to_string())?;
        let result: String = row.try_get("result").map_err(|e| e.to_string())?;
        view.results.insert(key, serde_json::from_str(&result).map_err(|e| format!("a stored result: {e}"))?);
    }
    Ok(view)
}

/// Damage done to the server's data on purpose, to prove the checker notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tamper {
    /// The last record a device wrote disappears from the server, log and all.
    DropLastRecord,
    /// A record's stored fields change behind the change log's back.
    RewriteRecord,
}

/// Applies `tamper` to the server's database.
pub async fn tamper(hotel: &Hotel, tamper: Tamper) -> Result<(), String> {
    let pool = hotel.admin.pool();
    let property = hotel.property.to_string();
    let row = sqlx::query(
        "SELECT entity, record_id FROM change_log WHERE property_id = $1 AND mutation_id IS NOT NULL \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(&property)
    .fetch_optional(pool)
    .await
    .map_err(|e| e.to_string())?
    .ok_or("nothing was written to tamper with")?;
    let entity: String = row.try_get("entity").map_err(|e| e.to_string())?;
    let id: String = row.try_get("record_id").map_err(|e| e.to_string())?;
    let statements: &[&'static str] = match tamper {
        Tamper::DropLastRecord => &[
            "DELETE FROM records WHERE property_id = $1 AND entity = $2 AND id = $3",
            "DELETE FROM change_log WHERE property_id = $1 AND entity = $2 AND record_id = $3",
        ],
        Tamper::RewriteRecord => &[
            "UPDATE records SET fields = json_set(fields, '$.tampered', 1) WHERE property_id = $1 AND entity = $2 AND id = $3",
        ],
    };
    for sql in statements {
        sqlx::query(*sql).bind(&property).bind(&entity).bind(&id).execute(pool).await.map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// How many conflicts the server holds (for the report).
pub async fn conflict_count(hotel: &Hotel) -> usize {
    let count = sqlx::query("SELECT count(*) AS n FROM conflicts WHERE property_id = $1")
        .bind(hotel.property.to_string())
        .fetch_one(hotel.admin.pool())
        .await
        .and_then(|row| row.try_get::<i64, _>("n"));
    usize::try_from(count.unwrap_or_default()).unwrap_or_default()
}

/// Runs every check. No problem means the run kept every promise.
pub async fn check(hotel: &Hotel, world: &World) -> Vec<Problem> {
    let view = match server_view(hotel).await {
        Ok(view) => view,
        Err(err) => return vec![Problem::new("server", err)],
    };
    let mut problems = Vec::new();
    saved_changes(&view, world, &mut problems);
    replicas(hotel, &view, &mut problems).await;
    history(&view, &mut problems);
    api_history(hotel, &view, world, &mut problems).await;
    postings(&view, &world.saved, &mut problems);
    invariants(&view, &world.saved, &mut problems);
    problems
}

// ---- 1. replicas ------------------------------------------------------------------

async fn replicas(hotel: &Hotel, view: &ServerView, problems: &mut Vec<Problem>) {
    for device in &hotel.devices {
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&device.path).read_only(true);
        let mut conn = match options.connect().await {
            Ok(conn) => conn,
            Err(err) => {
                problems.push(Problem::new("replica", format!("{}: cannot open its file: {err}", device.name)));
                continue;
            }
        };
        let rows =
            match sqlx::query("SELECT entity, id, fields, version, deleted FROM records").fetch_all(&mut conn).await {
                Ok(rows) => rows,
                Err(err) => {
                    problems.push(Problem::new("replica", format!("{}: cannot read records: {err}", device.name)));
                    continue;
                }
            };
        let mut local: BTreeMap<Key, Record> = BTreeMap::new();
        for row in rows {
            let read = || -> Result<(Key, Record), String> {
                let entity: String = row.try_get("entity").map_err(|e| e.to_string())?;
                let id: String = row.try_get("id").map_err(|e| e.to_string())?;
                let fields: String = row.try_get("fields").map_err(|e| e.to_string())?;
                let version: Option<i64> = row.try_get("version").map_err(|e| e.to_string())?;
                let deleted: bool = row.try_get("deleted").map_err(|e| e.to_string())?;
                Ok((
                    parse_key(&entity, &id)?,
                    Record { version: u64_of(version.unwrap_or(-1)), fields: parse_fields(&fields)?, deleted },
                ))
            };
            match read() {
                Ok((key, record)) => {
                    local.insert(key, record);
                }
                Err(err) => problems.push(Problem::new("replica", format!("{}: a record: {err}", device.name))),
            }
        }
        let _ = conn.close().await;
        for (key, server) in &view.records {
            let Some(mine) = local.get(key) else {
                problems.push(Problem::new("replica", format!("{} lacks {} {}", device.name, key.0, key.1)));
                continue;
            };
            if mine.version != server.version || mine.deleted != server.deleted {
                problems.push(Problem::new(
                    "replica",
                    format!(
                        "{} has {} {} at version {} (deleted {}), the server at {} (deleted {})",
                        device.name, key.0, key.1, mine.version, mine.deleted, server.version, server.deleted
                    ),
                ));
                continue;
            }
            if server.deleted {
                continue;
            }
            let mut expected = server.fields.clone();
            frontdesk_server::permissions::redact(device.role, key.0, &mut expected);
            if mine.fields != expected {
                let differ: Vec<String> = expected
                    .keys()
                    .chain(mine.fields.keys())
                    .filter(|f| expected.get(*f) != mine.fields.get(*f))
                    .map(|f| {
                        format!(
                            "{f}: device {} server {}",
                            mine.fields.get(f).unwrap_or(&Value::Null),
                            expected.get(f).unwrap_or(&Value::Null)
                        )
                    })
                    .collect();
                problems.push(Problem::new(
                    "replica",
                    format!("{} holds {} {} unlike the server: {}", device.name, key.0, key.1, differ.join("; ")),
                ));
            }
        }
        for key in local.keys().filter(|key| !view.records.contains_key(*key)) {
            problems.push(Problem::new(
                "replica",
                format!("{} has {} {} that the server does not", device.name, key.0, key.1),
            ));
        }
    }
}

// ---- 2. history -------------------------------------------------------------------

fn history(view: &ServerView, problems: &mut Vec<Problem>) {
    let mut by_record: BTreeMap<Key, Vec<&Entry>> = BTreeMap::new();
    for entry in &view.log {
        by_record.entry(entry.key).or_default().push(entry);
    }
    for (key, record) in &view.records {
        let entries = by_record.get(key).map(Vec::as_slice).unwrap_or_default();
        let versions: Vec<u64> = entries.iter().map(|e| e.version).collect();
        let expected: Vec<u64> = (1..=record.version).collect();
        if versions != expected {
            problems.push(Problem::new(
                "history",
                format!("{} {} is at version {} but its log has versions {versions:?}", key.0, key.1, record.version),
            ));
            continue;
        }
        if let Some(last) = entries.last() {
            let consistent = if record.deleted {
                last.op == "delete"
            } else {
                last.op == "upsert" && last.after.as_ref() == Some(&record.fields)
            };
            if !consistent {
                problems.push(Problem::new(
                    "history",
                    format!("{} {}: the last log entry is not the record as stored", key.0, key.1),
                ));
            }
        }
    }
    for key in by_record.keys().filter(|key| !view.records.contains_key(*key)) {
        problems.push(Problem::new("history", format!("the log has {} {} that no record holds", key.0, key.1)));
    }
}

/// Records whose history is also read through the API, per run.
const API_HISTORIES: usize = 12;

/// The same history through `GET /v1/records/{entity}/{id}/history`, as the
/// manager reads it, for the first records the devices changed.
async fn api_history(hotel: &Hotel, view: &ServerView, world: &World, problems: &mut Vec<Problem>) {
    let problem = |detail: String| Problem::new("history", detail);
    let Some(desk) = hotel.devices.get(1).and_then(|d| d.desk.as_ref()) else { return };
    let Some(identity) = desk.identity().await else { return };
    let base = hotel.base_url();
    let signed = match frontdesk_device::sync::ServerClient::new(&base) {
        Ok(client) => {
            client.sign_in(identity.device_id, &identity.device_secret, "manager", crate::hotel::PASSWORD).await
        }
        Err(err) => Err(err),
    };
    let token = match signed {
        Ok(signed) => signed.token,
        Err(err) => return problems.push(problem(format!("signing in to read histories: {err}"))),
    };
    let http = reqwest::Client::new();
    let mut seen = HashSet::new();
    let keys = world.saved.iter().map(|s| (s.mutation.entity, s.mutation.record_id)).filter(|k| seen.insert(*k));
    for key in keys.take(API_HISTORIES) {
        let Some(record) = view.records.get(&key) else { continue };
        let url = format!("{base}/v1/records/{}/{}/history", key.0, key.1);
        let answer = match http.get(&url).bearer_auth(&token).send().await {
            Ok(answer) => answer.json::<frontdesk_server::history::History>().await,
            Err(err) => Err(err),
        };
        match answer {
            Ok(history) => {
                let versions: Vec<u64> = history.versions.iter().map(|v| v.version).collect();
                if versions != (1..=record.version).collect::<Vec<_>>() {
                    problems.push(problem(format!(
                        "the API's history of {} {} has versions {versions:?}; the record is at {}",
                        key.0, key.1, record.version
                    )));
                }
            }
            Err(err) => problems.push(problem(format!("reading the history of {} {}: {err}", key.0, key.1))),
        }
    }
}

// ---- 3. nothing saved is lost ------------------------------------------------------

/// Additions of a set edit (`value` less `base`).
fn set_additions(base: &Value, value: &Value) -> Vec<Value> {
    let base = base.as_array().cloned().unwrap_or_default();
    value.as_array().cloned().unwrap_or_default().into_iter().filter(|v| !base.contains(v)).collect()
}

fn contains_all(container: &Value, items: &[Value]) -> bool {
    let container = container.as_array().cloned().unwrap_or_default();
    items.iter().all(|item| container.contains(item))
}

/// New notes (by id) of a note-list edit.
fn new_note_ids(base: &Value, value: &Value) -> Vec<Value> {
    let ids = |v: &Value| -> Vec<Value> {
        v.as_array().map(|notes| notes.iter().filter_map(|n| n.get("id").cloned()).collect()).unwrap_or_default()
    };
    let old = ids(base);
    ids(value).into_iter().filter(|id| !old.contains(id)).collect()
}

fn has_note_ids(container: &Value, wanted: &[Value]) -> bool {
    let have: Vec<Value> = container
        .as_array()
        .map(|notes| notes.iter().filter_map(|n| n.get("id").cloned()).collect())
        .unwrap_or_default();
    wanted.iter().all(|id| have.contains(id))
}

fn saved_changes(view: &ServerView, world: &World, problems: &mut Vec<Problem>) {
    let saved = &world.saved;
    let policies = PolicyTable::defaults();
    let by_mutation: HashMap<Uuid, &Saved> = saved.iter().map(|s| (s.mutation.id, s)).collect();
    let mut entry_of: HashMap<Uuid, usize> = HashMap::new();
    let mut by_record: HashMap<Key, Vec<usize>> = HashMap::new();
    for (index, entry) in view.log.iter().enumerate() {
        if let Some(id) = entry.mutation_id {
            entry_of.insert(id, index);
        }
        by_record.entry(entry.key).or_default().push(index);
    }
    let mut conflicts_of: HashMap<Uuid, Vec<&Conflict>> = HashMap::new();
    for conflict in &view.conflicts {
        conflicts_of.entry(conflict.mutation_id).or_default().push(conflict);
    }

    for s in saved {
        let m = &s.mutation;
        let key = (m.entity, m.record_id);
        let who = format!("step {} device {} `{}`: {} {} {:?}", s.step, s.device, s.what, m.entity, m.record_id, m.op);
        let Some(result) = view.results.get(&m.idempotency_key) else {
            problems.push(Problem::new("lost", format!("{who}: never reached the server (no result for its key)")));
            continue;
        };
        let recorded_conflict = conflicts_of.get(&m.id);
        match &result.outcome {
            Outcome::Rejected { category, message } => {
                problems.push(Problem::new(
                    "rejected",
                    format!("{who}: saved on the device but rejected by the server ({category:?}: {message})"),
                ));
                continue;
            }
            Outcome::Conflict { .. } => {
                let Some(conflicts) = recorded_conflict else {
                    problems
                        .push(Problem::new("lost", format!("{who}: answered with a conflict the server did not keep")));
                    continue;
                };
                let kept = m.changes.keys().all(|f| conflicts.iter().any(|c| c.device_changes.contains_key(f)));
                if !kept && m.op != Operation::Delete {
                    problems.push(Problem::new("lost", format!("{who}: its conflict does not carry all its changes")));
                }
                continue;
            }
            Outcome::Applied { .. } | Outcome::Merged { .. } => {}
        }
        if m.op == Operation::Delete {
            let deleted = view.records.get(&key).is_some_and(|r| r.deleted);
            if !deleted && recorded_conflict.is_none() {
                problems.push(Problem::new("lost", format!("{who}: applied, yet the record is not deleted")));
            }
            continue;
        }
        let Some(&at) = entry_of.get(&m.id) else {
            // Applied without a write: an identical replay, or a posting whose key the
            // server already holds under another id. The record must hold the values.
            let Some(record) = view.records.get(&key).or_else(|| posting_with_key(view, m)) else {
                problems.push(Problem::new("lost", format!("{who}: applied without a write, and no such record")));
                continue;
            };
            if m.entity != EntityKind::FolioPosting
                && let Some(field) =
                    m.changes.iter().find(|(f, c)| record.fields.get(*f) != Some(&c.value)).map(|(f, _)| f)
                && by_record.get(&key).is_none_or(|list| list.len() <= 1)
            {
                problems.push(Problem::new("lost", format!("{who}: applied without a write, but {field} differs")));
            }
            continue;
        };
        let entry = &view.log[at];
        let Some(after) = &entry.after else {
            problems.push(Problem::new("lost", format!("{who}: its log entry has no record")));
            continue;
        };
        let entries = by_record.get(&key).cloned().unwrap_or_default();
        for (field, change) in &m.changes {
            let policy = policies.policy(m.entity, field);
            let landed = after.get(field).cloned().unwrap_or(Value::Null);
            if landed != change.value {
                // An edit that lost to its field's policy is kept in the history.
                let superseded =
                    entry.superseded.iter().any(|s| s.field == *field && s.value == change.value && s.kept == landed);
                let explained = match policy {
                    _ if recorded_conflict.is_some() => true,
                    MergePolicy::ServerWins | MergePolicy::LastWriterWins | MergePolicy::Priority if superseded => true,
                    // The server gives a stay booked offline the property's own
                    // number and keeps the provisional one beside it.
                    _ if field == "confirmation" && m.op == Operation::Insert => {
                        after.get("provisional_confirmation") == Some(&change.value)
                            && landed.as_str().is_some_and(|n| n.starts_with("H-"))
                    }
                    MergePolicy::SetMerge => contains_all(&landed, &set_additions(&change.base, &change.value)),
                    MergePolicy::Append => has_note_ids(&landed, &new_note_ids(&change.base, &change.value)),
                    MergePolicy::Delta
                    | MergePolicy::Priority
                    | MergePolicy::AppendOnlyUnion
                    | MergePolicy::DeviceWins => true,
                    MergePolicy::LastWriterWins => entries
                        .iter()
                        .map(|i| &view.log[*i])
                        .filter(|e| e.seq < entry.seq)
                        .any(|e| e.hlc > m.hlc && e.after.as_ref().and_then(|a| a.get(field)) == Some(&landed)),
                    MergePolicy::ServerWins | MergePolicy::Manual => false,
                };
                if !explained {
                    problems.push(Problem::new(
                        "lost",
                        format!(
                            "{who}: {field} ({policy}) saved as {} landed as {landed} with no conflict recording the device's value",
                            change.value
                        ),
                    ));
                }
                continue;
            }
            // Landed as saved: the first later entry that changed it must have known
            // it, or won by the field's policy.
            let later = entries.iter().map(|i| &view.log[*i]).filter(|e| e.seq > entry.seq).find(|e| {
                e.op == "upsert"
                    && e.after.as_ref().map(|a| a.get(field).cloned().unwrap_or(Value::Null))
                        != Some(change.value.clone())
            });
            let Some(later) = later else { continue };
            let Some(other) = later.mutation_id.and_then(|id| by_mutation.get(&id)) else {
                // A change the server made itself (none in this simulation) or an unknown author.
                if later.mutation_id.is_some() {
                    problems.push(Problem::new("lost", format!("{who}: {field} overwritten by an unknown mutation")));
                }
                continue;
            };
            let theirs = other.mutation.changes.get(field);
            let knew = theirs.is_some_and(|c| c.base == change.value);
            let new_value = later.after.as_ref().and_then(|a| a.get(field)).cloned().unwrap_or(Value::Null);
            let fine = knew
                || match policy {
                    MergePolicy::SetMerge => contains_all(&new_value, &set_additions(&change.base, &change.value)),
                    MergePolicy::Append => has_note_ids(&new_value, &new_note_ids(&change.base, &change.value)),
                    MergePolicy::Delta
                    | MergePolicy::Priority
                    | MergePolicy::AppendOnlyUnion
                    | MergePolicy::DeviceWins => true,
                    MergePolicy::LastWriterWins => other.mutation.hlc > m.hlc,
                    // A status moved on by an allowed step from where it stood (a
                    // guarded reversal by its own action).
                    _ if field == "status" => Lifecycle::of(m.entity).is_some_and(|l| {
                        let action = match other.mutation.op {
                            Operation::Action(action) => Some(action),
                            _ => None,
                        };
                        l.allows(
                            change.value.as_str().unwrap_or_default(),
                            new_value.as_str().unwrap_or_default(),
                            action,
                        )
                    }),
                    MergePolicy::ServerWins | MergePolicy::Manual => false,
                };
            if !fine {
                problems.push(Problem::new(
                    "lost",
                    format!(
                        "{who}: {field} ({policy}) = {} was overwritten by step {} device {} `{}` with {new_value} without knowing it",
                        change.value, other.step, other.device, other.what
                    ),
                ));
            }
        }
    }
}

fn posting_with_key<'a>(view: &'a ServerView, m: &sync_core::Mutation) -> Option<&'a Record> {
    let key = m.changes.get("idempotency_key").map(|c| &c.value)?;
    view.records
        .iter()
        .find(|((kind, _), r)| *kind == EntityKind::FolioPosting && r.fields.get("idempotency_key") == Some(key))
        .map(|(_, r)| r)
}

// ---- 4. postings --------------------------------------------------------------------

fn postings(view: &ServerView, saved: &[Saved], problems: &mut Vec<Problem>) {
    let mut by_key: HashMap<String, Vec<Uuid>> = HashMap::new();
    let mut per_stay: HashMap<Uuid, usize> = HashMap::new();
    for ((kind, id), record) in &view.records {
        if *kind != EntityKind::FolioPosting || record.deleted {
            continue;
        }
        let key = record.fields.get("idempotency_key").and_then(Value::as_str).unwrap_or_default().to_owned();
        by_key.entry(key).or_default().push(*id);
        if let Some(stay) =
            record.fields.get("reservation_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
        {
            *per_stay.entry(stay).or_default() += 1;
        }
    }
    for (key, ids) in &by_key {
        if ids.len() > 1 {
            problems
                .push(Problem::new("postings", format!("idempotency key {key} is {} postings: {ids:?}", ids.len())));
        }
    }
    let mut made: HashMap<Uuid, HashSet<String>> = HashMap::new();
    for s in
        saved.iter().filter(|s| s.mutation.entity == EntityKind::FolioPosting && s.mutation.op == Operation::Insert)
    {
        let field = |name: &str| s.mutation.changes.get(name).map(|c| c.value.clone()).unwrap_or(Value::Null);
        let key = field("idempotency_key").as_str().unwrap_or_default().to_owned();
        let stay = field("reservation_id").as_str().and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default();
        let accepted = view.results.get(&s.mutation.idempotency_key).is_some_and(|r| {
            matches!(
                r.outcome,
                Outcome::Applied { .. } | Outcome::Merged { .. } | Outcome::Conflict { version: Some(_), .. }
            )
        });
        let count = by_key.get(&key).map_or(0, Vec::len);
        if accepted && count != 1 {
            problems.push(Problem::new(
                "postings",
                format!("the posting of step {} `{}` (key {key}) is on the server {count} times", s.step, s.what),
            ));
        }
        if accepted {
            made.entry(stay).or_default().insert(key);
        }
    }
    for (stay, keys) in &made {
        let count = per_stay.get(stay).copied().unwrap_or_default();
        if count != keys.len() {
            problems.push(Problem::new(
                "postings",
                format!("stay {stay} has {count} postings on the server; the devices posted {}", keys.len()),
            ));
        }
    }
    for (stay, count) in &per_stay {
        if !made.contains_key(stay) {
            problems.push(Problem::new("postings", format!("stay {stay} has {count} postings no device made")));
        }
    }
}

// ---- 5. invariants ------------------------------------------------------------------

fn typed<T: serde::de::DeserializeOwned>(fields: &Fields) -> Option<T> {
    serde_json::from_value(Value::Object(fields.clone())).ok()
}

fn invariants(view: &ServerView, saved: &[Saved], problems: &mut Vec<Problem>) {
    let open_rule: Vec<&Conflict> = view
        .conflicts
        .iter()
        .filter(|c| c.kind == ConflictKind::BusinessRule && c.status == ConflictStatus::Open)
        .collect();
    // A conflict covers the records it is about, and the stay whose closed folio
    // a late posting unbalanced.
    let covered = |ids: &[Uuid]| {
        open_rule.iter().any(|c| {
            ids.contains(&c.record_id)
                || matches!(&c.rule, Some(RuleBreach::PostingOnClosedFolio { reservation_id, .. })
                    if ids.contains(reservation_id))
        })
    };
    let live = |kind: EntityKind| {
        view.records.iter().filter(move |((k, _), r)| *k == kind && !r.deleted).map(|(_, r)| &r.fields)
    };
    let rooms: Vec<Room> = live(EntityKind::Room).filter_map(typed).collect();
    let room_states: Vec<RoomState> = rooms
        .iter()
        .map(|room| RoomState {
            id: room.id,
            number: room.number.clone(),
            room_type_id: room.room_type_id,
            cleaning: room.cleaning,
            occupancy: room.occupancy,
            availability: room.availability,
            blocked_from: room.blocked_from,
            blocked_until: room.blocked_until,
        })
        .collect();
    let stays: Vec<Reservation> = live(EntityKind::Reservation).filter_map(typed).collect();
    let stay_views: Vec<Stay> = stays
        .iter()
        .map(|r| Stay {
            id: r.id,
            room_type_id: r.room_type_id,
            room_id: r.room_id,
            arrival: r.arrival,
            departure: r.departure,
            status: r.status,
        })
        .collect();
    let postings: Vec<FolioPosting> = live(EntityKind::FolioPosting).filter_map(typed).collect();

    // Invariants 1 and 2: double bookings and blocked rooms.
    for stay in &stay_views {
        let others: Vec<Stay> = stay_views.iter().filter(|o| o.id != stay.id).cloned().collect();
        for breach in check_stay_room(stay, &room_states, &others) {
            let mut ids = vec![stay.id];
            if let RuleBreach::DoubleBooking { with, .. } = &breach {
                ids.extend(with.iter().copied());
            }
            ids.extend(stay.room_id);
            if !covered(&ids) {
                problems.push(Problem::new(
                    "invariant",
                    format!("stay {} breaks a room rule with no open conflict: {}", stay.id, breach.describe()),
                ));
            }
        }
    }
    // Invariant 6: checked-out stays owe nothing.
    for stay in stays.iter().filter(|s| s.status == ReservationStatus::CheckedOut) {
        let owed = balance(postings.iter().filter(|p| p.reservation_id == stay.id).map(|p| PostingAmount {
            kind: p.kind,
            amount_minor: p.amount_minor,
            currency: &p.currency,
        }));
        if let Some(breach) = check_out_breach(&owed)
            && !covered(&[stay.id])
        {
            problems.push(Problem::new(
                "invariant",
                format!("checked-out stay {} breaks a rule with no open conflict: {}", stay.id, breach.describe()),
            ));
        }
    }
    // Invariant 7: occupancy agrees with the in-house stays.
    for room in &room_states {
        let in_house: Vec<Uuid> = stays
            .iter()
            .filter(|s| s.room_id == Some(room.id) && s.status == ReservationStatus::CheckedIn)
            .map(|s| s.id)
            .collect();
        if let Some(breach) = occupancy_breach(room, &in_house) {
            let mut ids = in_house.clone();
            ids.push(room.id);
            if !covered(&ids) {
                problems.push(Problem::new(
                    "invariant",
                    format!(
                        "room {} ({}) breaks a rule with no open conflict: {} (in house: {in_house:?})",
                        room.number,
                        room.id,
                        breach.describe()
                    ),
                ));
            }
        }
    }
    // Invariant 4: statuses move forward only, except by the guarded reversal that
    // asks for it, read from the action of the mutation that wrote each entry.
    let actions: HashMap<Uuid, DomainAction> = saved
        .iter()
        .filter_map(|s| match s.mutation.op {
            Operation::Action(action) => Some((s.mutation.id, action)),
            _ => None,
        })
        .collect();
    let action_of = |entry: &Entry| entry.mutation_id.and_then(|id| actions.get(&id)).copied();
    let mut last_status: HashMap<Key, String> = HashMap::new();
    for entry in &view.log {
        let Some(lifecycle) = Lifecycle::of(entry.key.0) else { continue };
        let Some(status) = entry.after.as_ref().and_then(|a| a.get("status")).and_then(Value::as_str) else { continue };
        let action = action_of(entry);
        if let Some(before) = last_status.get(&entry.key)
            && before != status
            // A domain action moves its record to the action's own target, nowhere else.
            && !(lifecycle.allows(before, status, action)
                && action.is_none_or(|a| Lifecycle::action_target(a).0 == status))
            && !covered(&[entry.key.1])
        {
            problems.push(Problem::new(
                "invariant",
                format!(
                    "{} {} moved from {before} to {status} by {action:?} (log seq {}) with no open conflict",
                    entry.key.0, entry.key.1, entry.seq
                ),
            ));
        }
        last_status.insert(entry.key, status.to_owned());
    }
    reversal_guards(view, &action_of, &covered, problems);
}

/// The guards of the reversals, where the server applied them (read from the log in
/// order): an undone check-in left nothing owed or paid on the folio, a reinstated
/// check-out put the guest back in a room nobody else was in. Else an open conflict
/// must name the stay.
fn reversal_guards(
    view: &ServerView,
    action_of: &dyn Fn(&Entry) -> Option<DomainAction>,
    covered: &dyn Fn(&[Uuid]) -> bool,
    problems: &mut Vec<Problem>,
) {
    let mut stays: HashMap<Uuid, Reservation> = HashMap::new();
    let mut postings: HashMap<Uuid, FolioPosting> = HashMap::new();
    for entry in &view.log {
        let Some(after) = &entry.after else { continue };
        match entry.key.0 {
            EntityKind::FolioPosting => {
                if let Some(posting) = typed::<FolioPosting>(after) {
                    postings.insert(entry.key.1, posting);
                }
                continue;
            }
            EntityKind::Reservation => {}
            _ => continue,
        }
        let Some(stay) = typed::<Reservation>(after) else { continue };
        let before = stays.insert(stay.id, stay.clone()).map(|s| s.status);
        let moved = |from, to| before == Some(from) && stay.status == to;
        match action_of(entry) {
            Some(DomainAction::UndoCheckIn) if moved(ReservationStatus::CheckedIn, ReservationStatus::Confirmed) => {
                let owed = balance(postings.values().filter(|p| p.reservation_id == stay.id).map(|p| PostingAmount {
                    kind: p.kind,
                    amount_minor: p.amount_minor,
                    currency: &p.currency,
                }));
                if !owed.is_empty() && !covered(&[stay.id]) {
                    problems.push(Problem::new(
                        "invariant",
                        format!(
                            "stay {}'s check-in was undone (log seq {}) with its folio at {owed:?} and no open conflict",
                            stay.id, entry.seq
                        ),
                    ));
                }
            }
            Some(DomainAction::ReinstateCheckOut)
                if moved(ReservationStatus::CheckedOut, ReservationStatus::CheckedIn) =>
            {
                let Some(room) = stay.room_id else { continue };
                let others: Vec<Uuid> = stays
                    .values()
                    .filter(|o| o.id != stay.id && o.room_id == Some(room) && o.status == ReservationStatus::CheckedIn)
                    .map(|o| o.id)
                    .collect();
                let mut ids = others.clone();
                ids.extend([stay.id, room]);
                if !others.is_empty() && !covered(&ids) {
                    problems.push(Problem::new(
                        "invariant",
                        format!(
                            "stay {} was reinstated (log seq {}) into room {room} with {others:?} in house there and no open conflict",
                            stay.id, entry.seq
                        ),
                    ));
                }
            }
            _ => {}
        }
    }
}
