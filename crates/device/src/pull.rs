//! The pull side of sync, for the sync worker: a page of the server's change log
//! applied in one transaction, and the cursor that says where the next page starts.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;
use sqlx::{Connection, QueryBuilder, Row, Sqlite};
use sync_core::hlc::Hlc;
use sync_core::protocol::{Change, ChangeKind, Cursor};
use sync_core::schema::{EntityKind, Fields};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::outbox::{pending_for, property_policies, rebase};
use crate::store::{Store, keys, parse_fields, read_meta, to_json, write_meta};

/// What a pulled page did to the store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullApplied {
    /// Records written (created, changed or deleted).
    pub records: usize,
    /// Of those, records with pending local edits, rebased on the server's version.
    pub rebased: usize,
}

/// Rows per multi-row statement: 7 values a row stays far below SQLite's bind limit.
const CHUNK: usize = 500;

/// A pulled record as a page holds it: its fields, or the JSON text it came in as
/// (the sync round's pages), which a record without local edits is stored from as
/// it is, without being parsed and written out again.
pub trait PulledRecord: Sync {
    /// The record's JSON text.
    fn text(&self) -> Result<Cow<'_, str>>;
    /// The record's fields.
    fn fields(&self) -> Result<Fields>;
}

impl PulledRecord for Fields {
    fn text(&self) -> Result<Cow<'_, str>> {
        to_json(self).map(Cow::Owned)
    }

    fn fields(&self) -> Result<Fields> {
        Ok(self.clone())
    }
}

impl PulledRecord for Box<RawValue> {
    fn text(&self) -> Result<Cow<'_, str>> {
        Ok(Cow::Borrowed(self.get()))
    }

    fn fields(&self) -> Result<Fields> {
        parse_fields(self.get())
    }
}

struct Current {
    fields: Option<Fields>,
    synced: Option<String>,
    /// `fields` equals `synced` (no pending edit): write the same text twice.
    fields_are_synced: bool,
    version: Option<i64>,
    deleted: bool,
    updated_at: i64,
    touched: bool,
}

struct HistoryLine {
    entity: EntityKind,
    record_id: Uuid,
    op: &'static str,
    before: Option<String>,
    after: Option<String>,
    user_id: Uuid,
    device_id: Uuid,
    hlc: Hlc,
    at: i64,
}

/// The changed fields of `before -> after`, as two maps.
fn diff(before: &Fields, after: &Fields) -> Option<(Fields, Fields)> {
    let mut old = Fields::new();
    let mut new = Fields::new();
    for (field, value) in after {
        let previous = before.get(field).unwrap_or(&Value::Null);
        if previous != value {
            old.insert(field.clone(), previous.clone());
            new.insert(field.clone(), value.clone());
        }
    }
    (!new.is_empty()).then_some((old, new))
}

impl Store {
    /// The cursor of the last page applied (none before the first pull).
    pub async fn cursor(&self) -> Result<Option<Cursor>> {
        self.meta(keys::CURSOR)
            .await?
            .map(|text| Cursor::from_str(&text).map_err(|e| Error::Storage(format!("the stored sync cursor: {e}"))))
            .transpose()
    }

    /// Marks the first pull done: the desk caught up with the server once, and the
    /// records it pulls from now on get a history line.
    pub async fn first_pull_done(&self) -> Result<()> {
        // Every round ends here: read first, so only the end of a first pull writes.
        if self.meta(keys::FIRST_PULL).await?.is_none() {
            return Ok(());
        }
        let mut writer = self.writer.lock().await;
        sqlx::query("DELETE FROM sync_meta WHERE key = ?").bind(keys::FIRST_PULL).execute(&mut writer.conn).await?;
        Ok(())
    }

    /// Sets the cursor (normally done by [`Store::apply_pulled`]).
    pub async fn set_cursor(&self, cursor: Cursor) -> Result<()> {
        self.set_meta(keys::CURSOR, &cursor.to_string()).await
    }

    /// Applies a page of pulled changes and moves the cursor, all in one transaction.
    ///
    /// A record with no pending local edit takes the server's record as it is. A record
    /// with pending edits is rebased: `synced` becomes the server's record and `fields`
    /// the server's record with the pending edits re-applied on top, so the screens
    /// keep showing the edit until the server has merged it. Changes already known
    /// locally are written again harmlessly; the log order makes the last one win.
    pub async fn apply_pulled(&self, changes: &[Change], cursor: Cursor) -> Result<PullApplied> {
        self.apply_page(changes, cursor).await
    }

    /// [`Store::apply_pulled`] for a page whose records are the JSON text the
    /// server sent.
    pub async fn apply_pulled_text(&self, changes: &[Change<Box<RawValue>>], cursor: Cursor) -> Result<PullApplied> {
        self.apply_page(changes, cursor).await
    }

    async fn apply_page<R: PulledRecord>(&self, changes: &[Change<R>], cursor: Cursor) -> Result<PullApplied> {
        let mut writer = self.writer.lock().await;
        let mut last_hlc = writer.cached.last_hlc;
        let mut tx = writer.conn.begin_with("BEGIN IMMEDIATE").await?;

        let pending: HashSet<(String, String)> = sqlx::query("SELECT DISTINCT entity, record_id FROM outbox")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .try_fold(HashSet::new(), |mut set, row| -> Result<_> {
                set.insert((row.try_get::<String, _>("entity")?, row.try_get::<String, _>("record_id")?));
                Ok(set)
            })?;

        // What the device holds now for every record of the page, read in chunks.
        let mut current: HashMap<(EntityKind, Uuid), Current> = HashMap::new();
        let mut by_kind: HashMap<EntityKind, Vec<Uuid>> = HashMap::new();
        for change in changes {
            by_kind.entry(change.entity).or_default().push(change.record_id);
        }
        for (kind, ids) in &by_kind {
            for chunk in ids.chunks(CHUNK) {
                let mut query = QueryBuilder::<Sqlite>::new(
                    "SELECT id, fields, synced, version, deleted, updated_at FROM records WHERE entity = ",
                );
                query.push_bind(kind.as_str()).push(" AND id IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(id.to_string());
                }
                query.push(")");
                for row in query.build().fetch_all(&mut *tx).await? {
                    let id =
                        Uuid::parse_str(row.try_get::<&str, _>("id")?).map_err(|e| Error::storage("pulling", e))?;
                    current.insert(
                        (*kind, id),
                        Current {
                            fields: Some(parse_fields(row.try_get::<&str, _>("fields")?)?),
                            synced: row.try_get("synced")?,
                            version: row.try_get("version")?,
                            deleted: row.try_get("deleted")?,
                            updated_at: row.try_get("updated_at")?,
                            touched: false,
                            fields_are_synced: false,
                        },
                    );
                }
            }
        }

        // The first pull copies the hotel as it is: it writes no history line, on any of
        // its pages, though it replays the log (a record's earlier versions come with
        // it); the server's change log has them, and the history screen reads it while
        // online. Afterwards a record new to this desk was made on another one, and its
        // creation is a line of its history like any change.
        let first_pull = match read_meta(&mut tx, keys::CURSOR).await? {
            None => {
                write_meta(&mut tx, keys::FIRST_PULL, "running").await?;
                true
            }
            Some(_) => read_meta(&mut tx, keys::FIRST_PULL).await?.is_some(),
        };
        let mut applied = PullApplied::default();
        let mut history = Vec::new();
        let mut order: Vec<(EntityKind, Uuid)> = Vec::new();
        for change in changes {
            last_hlc = last_hlc.max(change.hlc);
            let key = (change.entity, change.record_id);
            let state = current.entry(key).or_insert_with(|| Current {
                fields: None,
                synced: None,
                version: None,
                deleted: false,
                updated_at: 0,
                touched: false,
                fields_are_synced: false,
            });
            if !state.touched {
                state.touched = true;
                order.push(key);
            }
            let has_pending = pending.contains(&(change.entity.as_str().to_owned(), change.record_id.to_string()));
            // The local value before this change (for history): kept as fields, or only
            // as the synced text when an earlier change of this page took it as is.
            let before = match (&state.fields, state.fields_are_synced, &state.synced) {
                (Some(fields), _, _) => Some(fields.clone()),
                (None, true, Some(text)) => Some(parse_fields(text)?),
                _ => None,
            };
            state.version = Some(i64::try_from(change.version).unwrap_or(i64::MAX));
            state.updated_at = change.at.timestamp_millis();
            let op = match (change.kind, &change.record) {
                (ChangeKind::Upsert, Some(record)) => {
                    state.synced = Some(record.text()?.into_owned());
                    if has_pending {
                        applied.rebased += 1;
                        let mutations = pending_for(&mut tx, change.entity, change.record_id).await?;
                        let record = record.fields()?;
                        let policies = property_policies(&mut tx).await?;
                        state.fields = Some(rebase(&policies, change.entity, &record, &mutations, change.mutation_id));
                        state.fields_are_synced = false;
                    } else {
                        // Most of a pull: the server's record as it is, written from the
                        // same text without another copy of the fields.
                        state.fields = None;
                        state.fields_are_synced = true;
                    }
                    state.deleted = false;
                    "update"
                }
                (ChangeKind::Upsert, None) => continue,
                (ChangeKind::Delete, _) => {
                    // A pending local edit keeps the record visible: the push turns it
                    // into a delete-update conflict instead of losing it.
                    state.deleted = !has_pending;
                    state.fields = Some(before.clone().unwrap_or_default());
                    state.synced = None;
                    state.fields_are_synced = false;
                    "delete"
                }
            };
            applied.records += 1;
            let line = |op, before, after| HistoryLine {
                entity: change.entity,
                record_id: change.record_id,
                op,
                before,
                after: Some(after),
                user_id: change.user_id,
                device_id: change.device_id,
                hlc: change.hlc,
                at: state.updated_at,
            };
            match before {
                // A record new to this desk (after its first pull): its line holds the
                // record as created, as a creation on this desk does, taken from the
                // text just stored rather than written out again.
                None if !first_pull && op == "update" => {
                    let after = match (&state.fields, &state.synced) {
                        (Some(fields), _) => Some(to_json(fields)?),
                        (None, Some(text)) => Some(text.clone()),
                        (None, None) => None,
                    };
                    history.extend(after.map(|after| line("insert", None, after)));
                }
                None => {}
                Some(_) if first_pull => {}
                Some(before) => {
                    let after = match (&state.fields, &change.record) {
                        (Some(fields), _) => Some(Cow::Borrowed(fields)),
                        (None, Some(record)) => Some(Cow::Owned(record.fields()?)),
                        (None, None) => None,
                    };
                    if let Some(after) = after
                        && let Some((old, new)) =
                            diff(&before, &after).or_else(|| (op == "delete").then(|| (Fields::new(), Fields::new())))
                    {
                        history.push(line(op, Some(to_json(&old)?), to_json(&new)?));
                    }
                }
            }
        }

        for chunk in order.chunks(CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO records (entity, id, fields, synced, version, deleted, updated_at) ",
            );
            let mut rows = Vec::with_capacity(chunk.len());
            for key in chunk {
                if let Some(state) = current.get(key) {
                    let fields = match (&state.synced, state.fields_are_synced) {
                        (Some(synced), true) => synced.clone(),
                        _ => to_json(state.fields.as_ref().unwrap_or(&Fields::new()))?,
                    };
                    rows.push((key, fields, state));
                }
            }
            query.push_values(rows, |mut row, ((kind, id), fields, state)| {
                row.push_bind(kind.as_str())
                    .push_bind(id.to_string())
                    .push_bind(fields)
                    .push_bind(state.synced.clone())
                    .push_bind(state.version)
                    .push_bind(state.deleted)
                    .push_bind(state.updated_at);
            });
            query.push(
                " ON CONFLICT (entity, id) DO UPDATE SET fields = excluded.fields, synced = excluded.synced,
                  version = excluded.version, deleted = excluded.deleted, updated_at = excluded.updated_at",
            );
            query.build().execute(&mut *tx).await?;
        }

        for chunk in history.chunks(CHUNK) {
            let mut query = QueryBuilder::<Sqlite>::new(
                "INSERT INTO history (entity, record_id, op, before, after, user_id, device_id, hlc, at, origin) ",
            );
            query.push_values(chunk, |mut row, line| {
                row.push_bind(line.entity.as_str())
                    .push_bind(line.record_id.to_string())
                    .push_bind(line.op)
                    .push_bind(line.before.clone())
                    .push_bind(line.after.clone())
                    .push_bind(line.user_id.to_string())
                    .push_bind(line.device_id.to_string())
                    .push_bind(line.hlc.to_string())
                    .push_bind(line.at)
                    .push_bind("server");
            });
            query.build().execute(&mut *tx).await?;
        }

        write_meta(&mut tx, keys::CURSOR, &cursor.to_string()).await?;
        write_meta(&mut tx, keys::LAST_HLC, &last_hlc.to_string()).await?;
        tx.commit().await?;
        writer.cached.last_hlc = last_hlc;
        drop(writer);
        self.wrote(u32::try_from(changes.len() / 10 + 1).unwrap_or(u32::MAX));
        Ok(applied)
    }
}
