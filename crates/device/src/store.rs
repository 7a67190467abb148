//! The SQLite file, its connections, and the write transaction every user action runs in.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection, Transaction};
use sync_core::hlc::{Clock, Hlc};
use sync_core::protocol::{FieldChange, Mutation, Operation};
use sync_core::schema::{EntityKind, Fields};
use sync_core::validate::{check_record, check_value, known_field};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::session::Session;

/// Keys of `sync_meta` this crate owns.
pub(crate) mod keys {
    pub const LAST_HLC: &str = "last_hlc";
    pub const CONFIRMATION_COUNTER: &str = "confirmation_counter";
    pub const CURSOR: &str = "cursor";
    /// Set while the desk's first pull is under way (across rounds, if one is cut
    /// short), removed once it caught up with the server.
    pub const FIRST_PULL: &str = "first_pull";
}

/// The device's local store: one SQLite file holding records, outbox, sync metadata,
/// conflicts and history.
///
/// Writes go through one dedicated connection behind a mutex, so user actions are
/// serialised without `SQLITE_BUSY` retries and the cached clock and counters are
/// only touched by the writer; reads use a small pool of their own connections,
/// which WAL lets run while a write is in progress.
#[derive(Debug)]
pub struct Store {
    pub(crate) writer: Arc<Mutex<Writer>>,
    pub(crate) reader: SqlitePool,
    path: PathBuf,
    checkpoints: Arc<Checkpoints>,
}

/// Writes since the last WAL checkpoint, and whether one is running.
///
/// The write connection never checkpoints by itself (`wal_autocheckpoint = 0`): an
/// automatic checkpoint runs inside the commit that crosses the threshold, copying
/// and syncing the whole WAL, and made one user action in a hundred take several
/// milliseconds. Instead, every so many writes a passive checkpoint runs on a read
/// connection in a background task while the desk keeps writing. A passive
/// checkpoint cannot restart a WAL that is still being appended to, so during a
/// long burst (an import, a benchmark) the WAL would grow without end: once it
/// holds more than [`WAL_RESTART_FRAMES`], the task takes the writer for a moment to
/// finish the copy (most frames are already copied, so that moment is short) and the
/// next write starts the WAL over.
#[derive(Debug, Default)]
struct Checkpoints {
    writes: AtomicU32,
    running: AtomicBool,
}

/// WAL frames (pages) past which the background task briefly holds the writer to
/// let the WAL start over (~64 MiB of 4 KiB pages). During a long burst of single
/// writes (thousands a second, as in the W1 benchmark) the WAL still grows to a few
/// hundred MiB, since each passive pass lags behind; it starts over and is cut back
/// to `journal_size_limit` as soon as the burst eases.
const WAL_RESTART_FRAMES: i64 = 16_384;

/// Writes (actions, or tens of pulled records) between two background checkpoints.
/// Fewer, larger checkpoints copy each hot index page once instead of many times,
/// which is what disturbs concurrent writes least on two cores.
const CHECKPOINT_EVERY: u32 = 500;

/// The write connection and the state cached from `sync_meta`, updated only after commit.
#[derive(Debug)]
pub(crate) struct Writer {
    pub(crate) conn: SqliteConnection,
    pub(crate) cached: Cached,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Cached {
    /// The highest HLC issued or observed, persisted so restarts never go backwards.
    pub(crate) last_hlc: Hlc,
    /// The last provisional confirmation number counter used.
    pub(crate) confirmation_counter: u32,
}

fn options(path: &Path) -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // NORMAL in WAL mode fsyncs at checkpoints, not at every commit: a commit is
        // atomic and survives a crash of the app, but a power cut may lose the last
        // transactions (never corrupt the file). FULL would fsync every commit, costing
        // a disk flush per user action (milliseconds on desk PCs) and blowing the
        // 1 ms write budget; the outbox is replayed idempotently, so losing the last
        // instant of work to a power cut is the accepted trade-off.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
        .statement_cache_capacity(256)
        .disable_statement_logging()
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<Store> {
        let path = path.as_ref().to_path_buf();
        let mut conn = options(&path)
            .pragma("wal_autocheckpoint", "0")
            // After a burst, the WAL file shrinks back to this when it starts over.
            .pragma("journal_size_limit", "67108864")
            // The writer keeps the indexes of a large hotel in memory (up to 16 MiB,
            // taken only as the file grows): with SQLite's 2 MiB default, each pulled
            // page's inserts at random places in the indexes read most pages back from
            // the WAL. A first pull of 50,000 stays took 4.8 s with 2 MiB, 2.8 s with
            // 16 MiB, and no less with 32 MiB.
            .pragma("cache_size", "-16384")
            .connect()
            .await
            .map_err(|e| Error::storage("opening the file", e))?;
        sqlx::migrate!("./migrations").run(&mut conn).await?;
        let last_hlc =
            read_meta(&mut conn, keys::LAST_HLC).await?.and_then(|text| Hlc::from_str(&text).ok()).unwrap_or(Hlc::ZERO);
        let confirmation_counter =
            read_meta(&mut conn, keys::CONFIRMATION_COUNTER).await?.and_then(|text| text.parse().ok()).unwrap_or(0);
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            // A local file has no connection that can go stale: skip the ping, and
            // keep the connections for the store's lifetime (no reaper timers).
            .test_before_acquire(false)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(options(&path))
            .await
            .map_err(|e| Error::storage("opening the read connections", e))?;
        Ok(Store {
            writer: Arc::new(Mutex::new(Writer { conn, cached: Cached { last_hlc, confirmation_counter } })),
            reader,
            path,
            checkpoints: Arc::default(),
        })
    }

    /// Where the store's file is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes the connections, checkpointing the WAL.
    pub async fn close(self) -> Result<()> {
        self.reader.close().await;
        // A background checkpoint may still hold the writer; it then closes on drop.
        if let Ok(writer) = Arc::try_unwrap(self.writer) {
            writer.into_inner().conn.close().await?;
        }
        Ok(())
    }

    /// A value of `sync_meta`.
    pub async fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT value FROM sync_meta WHERE key = ?")
            .bind(key)
            .fetch_optional(&self.reader)
            .await?)
    }

    /// Sets a value of `sync_meta`.
    pub async fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        let mut writer = self.writer.lock().await;
        write_meta(&mut writer.conn, key, value).await
    }

    /// A JSON value of `sync_meta` (settings, per-kind sync times...).
    pub async fn meta_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        match self.meta(key).await? {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| Error::Storage(format!("the setting `{key}` is unreadable: {e}"))),
        }
    }

    /// Sets a JSON value of `sync_meta`.
    pub async fn set_meta_json<T: Serialize>(&self, key: &str, value: &T) -> Result<()> {
        let text = serde_json::to_string(value).map_err(|e| Error::storage("saving a setting", e))?;
        self.set_meta(key, &text).await
    }

    /// The highest hybrid logical clock timestamp issued or observed on this device.
    pub async fn last_hlc(&self) -> Hlc {
        self.writer.lock().await.cached.last_hlc
    }

    /// Starts the transaction of one user action.
    pub(crate) async fn action<'a>(&'a self, writer: &'a mut Writer, session: &'a Session) -> Result<Action<'a>> {
        let Writer { conn, cached } = writer;
        let next = *cached;
        let tx = conn.begin_with("BEGIN IMMEDIATE").await?;
        Ok(Action { store: self, tx, cached, next, session, mutations: Vec::new(), writes: Vec::new() })
    }

    /// Counts `weight` writes and, every [`CHECKPOINT_EVERY`], starts a passive WAL
    /// checkpoint in the background (at most one at a time).
    pub(crate) fn wrote(&self, weight: u32) {
        let checkpoints = &self.checkpoints;
        let total = checkpoints.writes.fetch_add(weight, Ordering::Relaxed).saturating_add(weight);
        if total < CHECKPOINT_EVERY || checkpoints.running.swap(true, Ordering::AcqRel) {
            return;
        }
        checkpoints.writes.store(0, Ordering::Relaxed);
        let pool = self.reader.clone();
        let writer = Arc::clone(&self.writer);
        let checkpoints = Arc::clone(checkpoints);
        tokio::spawn(async move {
            // A failed checkpoint only leaves the WAL longer until the next one.
            let passive: Result<(i64, i64, i64), _> =
                sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(&pool).await;
            if let Ok((_, frames, _)) = passive
                && frames > WAL_RESTART_FRAMES
            {
                // With the writer held no frame is added, so this pass catches up and
                // the next write starts the WAL over from its beginning.
                let mut writer = writer.lock().await;
                let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&mut writer.conn).await;
            }
            checkpoints.running.store(false, Ordering::Release);
        });
    }
}

pub(crate) async fn read_meta(conn: &mut SqliteConnection, key: &str) -> Result<Option<String>> {
    Ok(sqlx::query_scalar("SELECT value FROM sync_meta WHERE key = ?").bind(key).fetch_optional(conn).await?)
}

pub(crate) async fn write_meta(conn: &mut SqliteConnection, key: &str, value: &str) -> Result<()> {
    sqlx::query(
        "INSERT INTO sync_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    )
    .bind(key)
    .bind(value)
    .execute(conn)
    .await?;
    Ok(())
}

/// A record as stored: its local value and what the server last said about it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stored {
    pub(crate) kind: EntityKind,
    pub(crate) id: Uuid,
    pub(crate) fields: Fields,
    pub(crate) synced: Option<Fields>,
    pub(crate) version: Option<u64>,
    pub(crate) deleted: bool,
}

impl Stored {
    /// The typed view of the local value.
    pub(crate) fn typed<T: DeserializeOwned>(&self) -> Result<T> {
        typed(self.kind, &self.fields)
    }

    pub(crate) fn str(&self, field: &str) -> Option<&str> {
        self.fields.get(field).and_then(Value::as_str)
    }
}

pub(crate) fn typed<T: DeserializeOwned>(kind: EntityKind, fields: &Fields) -> Result<T> {
    T::deserialize(Value::Object(fields.clone()))
        .map_err(|e| Error::Storage(format!("a stored {kind} record does not fit the model: {e}")))
}

pub(crate) fn fields_of<T: Serialize>(record: &T) -> Result<Fields> {
    match serde_json::to_value(record) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::Storage("a record did not serialise to an object".into())),
        Err(e) => Err(Error::storage("serialising a record", e)),
    }
}

pub(crate) fn parse_fields(text: &str) -> Result<Fields> {
    serde_json::from_str(text).map_err(|e| Error::storage("reading a record", e))
}

pub(crate) fn to_json<T: Serialize + ?Sized>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| Error::storage("serialising", e))
}

/// Reads one record on any connection (the reader pool or a write transaction).
pub(crate) async fn load<'e>(
    conn: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    kind: EntityKind,
    id: Uuid,
) -> Result<Option<Stored>> {
    let row = sqlx::query("SELECT fields, synced, version, deleted FROM records WHERE entity = ? AND id = ?")
        .bind(kind.as_str())
        .bind(id.to_string())
        .fetch_optional(conn)
        .await?;
    row.map(|row| stored_from_row(kind, id, &row)).transpose()
}

pub(crate) fn stored_from_row(kind: EntityKind, id: Uuid, row: &sqlx::sqlite::SqliteRow) -> Result<Stored> {
    let fields = parse_fields(row.try_get::<&str, _>("fields")?)?;
    let synced = row.try_get::<Option<&str>, _>("synced")?.map(parse_fields).transpose()?;
    let version = row.try_get::<Option<i64>, _>("version")?.map(|v| u64::try_from(v).unwrap_or(0));
    Ok(Stored { kind, id, fields, synced, version, deleted: row.try_get::<bool, _>("deleted")? })
}

/// The transaction of one user action: reads what the checks need, then writes each
/// changed record together with its outbox mutation and history line. Dropping it
/// without [`Action::commit`] rolls everything back, so a refused or failed action
/// writes nothing.
///
/// Writes are buffered and sent at commit as ONE multi-statement execution followed
/// by `COMMIT`: every statement is a hop to SQLite's worker thread, and on a busy
/// 2-core desk PC each hop is a chance to wait for a time slice. An action therefore
/// reads every record it needs before it changes any of them (each operation changes
/// a record it read, never reads back one it changed).
pub(crate) struct Action<'a> {
    store: &'a Store,
    pub(crate) tx: Transaction<'a, sqlx::Sqlite>,
    cached: &'a mut Cached,
    next: Cached,
    pub(crate) session: &'a Session,
    mutations: Vec<Mutation>,
    writes: Vec<Write>,
}

/// One buffered statement and its values.
struct Write {
    sql: &'static str,
    args: Vec<Arg>,
}

enum Arg {
    Text(String),
    MaybeText(Option<String>),
    Int(i64),
}

const INSERT_RECORD: &str = "INSERT INTO records (entity, id, fields, synced, version, deleted, updated_at) \
                             VALUES (?, ?, ?, NULL, NULL, 0, ?)";
const UPDATE_RECORD: &str = "UPDATE records SET fields = ?, updated_at = ? WHERE entity = ? AND id = ?";
const INSERT_OUTBOX: &str = "INSERT INTO outbox \
                             (mutation_id, entity, record_id, causal_rank, mutation, state, attempts, created_at) \
                             VALUES (?, ?, ?, ?, ?, 'pending', 0, ?)";
const INSERT_HISTORY: &str = "INSERT INTO history \
                              (entity, record_id, op, before, after, user_id, device_id, hlc, at, origin) \
                              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'local')";
const UPSERT_META: &str = "INSERT INTO sync_meta (key, value) VALUES (?, ?) \
                           ON CONFLICT (key) DO UPDATE SET value = excluded.value";

impl Action<'_> {
    /// A record the action needs, refused with `what` when missing or deleted.
    pub(crate) async fn get(&mut self, kind: EntityKind, id: Uuid, what: &str) -> Result<Stored> {
        match load(&mut *self.tx, kind, id).await? {
            Some(stored) if !stored.deleted => Ok(stored),
            _ => Err(Error::NotFound(format!("{what} was not found on this device"))),
        }
    }

    /// The next provisional confirmation counter (persisted at commit).
    pub(crate) fn next_confirmation_counter(&mut self) -> u32 {
        self.next.confirmation_counter = self.next.confirmation_counter.wrapping_add(1).max(1);
        self.next.confirmation_counter
    }

    /// A fresh timestamp of the device's clock (for notes and postings).
    pub(crate) fn hlc(&mut self) -> Hlc {
        self.tick()
    }

    fn tick(&mut self) -> Hlc {
        let mut clock = Clock::resume(self.session.device_id, self.next.last_hlc);
        let hlc = clock.tick(self.session.now_ms);
        self.next.last_hlc = hlc;
        hlc
    }

    /// Creates a record: validates it whole, then writes it, its insert mutation and
    /// its history line.
    pub(crate) async fn insert(&mut self, kind: EntityKind, fields: Fields) -> Result<Mutation> {
        check_record(kind, &fields)?;
        let id = record_id(&fields)?;
        let changes =
            fields.iter().map(|(k, v)| (k.clone(), FieldChange { base: Value::Null, value: v.clone() })).collect();
        let mutation = self.mutation(kind, id, Operation::Insert, None, changes);
        let fields_json = to_json(&fields)?;
        self.writes.push(Write {
            sql: INSERT_RECORD,
            args: vec![
                Arg::Text(kind.as_str().into()),
                Arg::Text(id.to_string()),
                Arg::Text(fields_json.clone()),
                Arg::Int(self.now()),
            ],
        });
        self.append(&mutation, None, Some(fields_json))?;
        Ok(mutation)
    }

    /// Changes a record to `after`: only the fields that differ are sent, each with
    /// the value it had before this edit as its base. Returns `None` (writing
    /// nothing) when nothing changed.
    ///
    /// The base is the value as the device knew it before the edit: the synced value,
    /// or the value of an earlier edit still in the outbox. Taking the synced value
    /// there would make the server see the device's second edit of a field as a clash
    /// with the device's own first edit.
    pub(crate) async fn update(
        &mut self,
        before: &Stored,
        after: Fields,
        op: Operation,
    ) -> Result<Option<(Mutation, Fields)>> {
        let kind = before.kind;
        let mut changes = BTreeMap::new();
        for (field, value) in &after {
            let old = before.fields.get(field).unwrap_or(&Value::Null);
            if old != value {
                let spec = known_field(kind, field)?;
                if !spec.mutable {
                    return Err(Error::ReadOnly(format!("{kind}.{field} cannot change after the record is created")));
                }
                check_value(kind, spec, value)?;
                changes.insert(field.clone(), FieldChange { base: old.clone(), value: value.clone() });
            }
        }
        if changes.is_empty() && !matches!(op, Operation::Action(_)) {
            return Ok(None);
        }
        let mut merged = before.fields.clone();
        merged.extend(after);
        sync_core::validate::check_record_rules(kind, &merged)?;
        // A record whose insert has not reached the server yet has no version; 0 names
        // "the device's own unsynced insert", which the server orders before this edit.
        let base_version = Some(before.version.unwrap_or(0));
        let mutation = self.mutation(kind, before.id, op, base_version, changes);
        self.writes.push(Write {
            sql: UPDATE_RECORD,
            args: vec![
                Arg::Text(to_json(&merged)?),
                Arg::Int(self.now()),
                Arg::Text(kind.as_str().into()),
                Arg::Text(before.id.to_string()),
            ],
        });
        let old: Fields = mutation.changes.iter().map(|(k, c)| (k.clone(), c.base.clone())).collect();
        let new: Fields = mutation.changes.iter().map(|(k, c)| (k.clone(), c.value.clone())).collect();
        self.append(&mutation, Some(to_json(&old)?), Some(to_json(&new)?))?;
        Ok(Some((mutation, merged)))
    }

    fn now(&self) -> i64 {
        i64::try_from(self.session.now_ms).unwrap_or(i64::MAX)
    }

    fn mutation(
        &mut self,
        kind: EntityKind,
        record_id: Uuid,
        op: Operation,
        base_version: Option<u64>,
        changes: BTreeMap<String, FieldChange>,
    ) -> Mutation {
        let hlc = self.tick();
        Mutation {
            id: sync_core::ids::new_id(),
            idempotency_key: sync_core::ids::new_id().to_string(),
            entity: kind,
            record_id,
            op,
            base_version,
            changes,
            hlc,
            device_id: self.session.device_id,
            user_id: self.session.user_id,
        }
    }

    /// Buffers the outbox entry and the history line of a mutation.
    /// Every mutation passes the write gate the server applies to it
    /// ([`sync_core::gate::admit`]: author, role, property, lifecycle, limits), so
    /// nothing saved here is refused there.
    fn append(&mut self, mutation: &Mutation, before: Option<String>, after: Option<String>) -> Result<()> {
        let actor = sync_core::gate::Actor {
            property_id: self.session.property_id,
            device_id: self.session.device_id,
            user_id: self.session.user_id,
            role: self.session.role,
        };
        sync_core::gate::admit(&actor, &mut mutation.clone(), None, self.session.today).map_err(|refusal| {
            let mut why = refusal.message;
            if let Some(first) = why.get_mut(0..1) {
                first.make_ascii_uppercase();
            }
            match refusal.category {
                sync_core::protocol::RejectCategory::Permission => Error::NotAllowed(why),
                _ => Error::rule(why),
            }
        })?;
        let kind = mutation.entity;
        self.writes.push(Write {
            sql: INSERT_OUTBOX,
            args: vec![
                Arg::Text(mutation.id.to_string()),
                Arg::Text(kind.as_str().into()),
                Arg::Text(mutation.record_id.to_string()),
                Arg::Int(i64::try_from(kind.causal_rank()).unwrap_or(i64::MAX)),
                Arg::Text(to_json(mutation)?),
                Arg::Int(self.now()),
            ],
        });
        self.writes.push(Write {
            sql: INSERT_HISTORY,
            args: vec![
                Arg::Text(kind.as_str().into()),
                Arg::Text(mutation.record_id.to_string()),
                Arg::Text(op_name(mutation.op)),
                Arg::MaybeText(before),
                Arg::MaybeText(after),
                Arg::Text(mutation.user_id.to_string()),
                Arg::Text(mutation.device_id.to_string()),
                Arg::Text(mutation.hlc.to_string()),
                Arg::Int(self.now()),
            ],
        });
        self.mutations.push(mutation.clone());
        Ok(())
    }

    /// Writes everything buffered with the clock and counters in one execution and
    /// commits; only then are the cached values moved on, so a rolled-back action
    /// leaves no trace at all.
    pub(crate) async fn commit(mut self) -> Result<Vec<Mutation>> {
        if self.next.last_hlc != self.cached.last_hlc {
            let args = vec![Arg::Text(keys::LAST_HLC.into()), Arg::Text(self.next.last_hlc.to_string())];
            self.writes.push(Write { sql: UPSERT_META, args });
        }
        if self.next.confirmation_counter != self.cached.confirmation_counter {
            let args = vec![
                Arg::Text(keys::CONFIRMATION_COUNTER.into()),
                Arg::Text(self.next.confirmation_counter.to_string()),
            ];
            self.writes.push(Write { sql: UPSERT_META, args });
        }
        if !self.writes.is_empty() {
            let sql = self.writes.iter().map(|w| w.sql).collect::<Vec<_>>().join(";\n");
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for arg in self.writes.drain(..).flat_map(|w| w.args) {
                query = match arg {
                    Arg::Text(text) => query.bind(text),
                    Arg::MaybeText(text) => query.bind(text),
                    Arg::Int(n) => query.bind(n),
                };
            }
            query.execute(&mut *self.tx).await.map_err(|e| match e {
                sqlx::Error::Database(db) if db.is_unique_violation() => {
                    Error::invalid("id", "a record with this id already exists")
                }
                other => other.into(),
            })?;
        }
        self.tx.commit().await?;
        *self.cached = self.next;
        self.store.wrote(1);
        Ok(self.mutations)
    }
}

/// The wire name of an operation, for history lines.
pub(crate) fn op_name(op: Operation) -> String {
    match op {
        Operation::Insert => "insert".into(),
        Operation::Update => "update".into(),
        Operation::Delete => "delete".into(),
        Operation::Action(action) => match serde_json::to_value(action) {
            Ok(Value::String(name)) => name,
            _ => format!("{action:?}"),
        },
    }
}

fn record_id(fields: &Fields) -> Result<Uuid> {
    fields
        .get("id")
        .and_then(Value::as_str)
        .and_then(|s| Uuid::parse_str(s).ok())
        .ok_or_else(|| Error::invalid("id", "a record needs a UUID id"))
}

/// How many rows the store holds, for status screens and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StoreStats {
    pub records: i64,
    pub outbox: i64,
    pub history: i64,
    pub conflicts: i64,
}

impl Store {
    /// Erases everything this desk holds: records, queued changes, history, conflicts,
    /// settings, its enrollment and the sign-ins it cached, as an administrator's
    /// `revoke-device --wipe` asks. The file is compacted and its write-ahead log emptied
    /// afterwards, so the erased data is not left in free pages. The store is then as a
    /// new one: not enrolled.
    pub async fn erase(&self) -> Result<()> {
        let mut writer = self.writer.lock().await;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
        )
        .fetch_all(&mut writer.conn)
        .await?;
        let mut tx = writer.conn.begin().await?;
        // Every table goes, in whatever order: the references hold again at the commit.
        sqlx::query("PRAGMA defer_foreign_keys = ON").execute(&mut *tx).await?;
        for table in &tables {
            let statement = format!("DELETE FROM \"{}\"", table.replace('"', "\"\""));
            sqlx::query(sqlx::AssertSqlSafe(statement)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        writer.cached = Cached { last_hlc: Hlc::ZERO, confirmation_counter: 0 };
        for statement in ["PRAGMA wal_checkpoint(TRUNCATE)", "VACUUM", "PRAGMA wal_checkpoint(TRUNCATE)"] {
            sqlx::query(statement).execute(&mut writer.conn).await?;
        }
        Ok(())
    }

    /// Row counts of the main tables.
    pub async fn stats(&self) -> Result<StoreStats> {
        let (records, outbox, history, conflicts) = sqlx::query_as(
            "SELECT (SELECT count(*) FROM records), (SELECT count(*) FROM outbox),
                    (SELECT count(*) FROM history), (SELECT count(*) FROM conflicts)",
        )
        .fetch_one(&self.reader)
        .await?;
        Ok(StoreStats { records, outbox, history, conflicts })
    }

    /// The query plan SQLite picks for `sql` (one line per step), to check indexes are
    /// used. Placeholders are bound to a dummy text: plans do not depend on values.
    pub async fn explain(&self, sql: &str) -> Result<Vec<String>> {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
        for _ in sql.matches('?') {
            query = query.bind("x");
        }
        let rows = query.fetch_all(&self.reader).await?;
        rows.iter().map(|row| Ok(row.try_get::<String, _>("detail")?)).collect()
    }

    /// The plans of the screens' main queries ([`crate::queries::MAIN_QUERIES`]), by name.
    pub async fn query_plans(&self) -> Result<Vec<(&'static str, Vec<String>)>> {
        let mut plans = Vec::new();
        for (name, sql) in crate::queries::MAIN_QUERIES {
            plans.push((*name, self.explain(sql).await?));
        }
        Ok(plans)
    }
}
