//! The server's storage: one SQL schema on SQLite and PostgreSQL, reached through
//! sqlx's `Any` driver with runtime queries.
//!
//! Design choice: one code path for both engines instead of one implementation per
//! engine. The SQL is kept portable (`$1` placeholders, which SQLite also accepts;
//! `INSERT ... ON CONFLICT`; `UPDATE ... RETURNING`; BIGINT times, 0/1 flags, JSON
//! as TEXT) and what must differ lives in [`Backend`]: the migrations folder, the
//! connection pragmas, and how a write transaction starts. `sqlx::Error` stops at
//! this module's functions and the API's [`crate::error::AppError`] conversion.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::value::RawValue;
use sqlx::AnyConnection;
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Row};
use sync_core::conflict::{Author, Conflict, ServerRecord};
use sync_core::domain::{Reservation, Room};
use sync_core::ids::ConfirmationNumber;
use sync_core::invariants::{RoomState, Stay};
use sync_core::merge::Superseded;
use sync_core::protocol::{Change, ChangeKind, MutationResult};
use sync_core::{EntityKind, Fields, Hlc};
use tokio::sync::{Mutex, MutexGuard};
use uuid::Uuid;

static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("migrations/postgres");

/// Which database engine a store runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Why a store could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("`{0}` is not a database URL: use sqlite://PATH or postgres://...")]
    BadUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
}

/// The server's database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// The URL of a PostgreSQL database, for the live stream's listener connection.
    postgres_url: Option<Arc<str>>,
    /// SQLite has one writer at a time: writers queue here instead of spinning on
    /// `SQLITE_BUSY`.
    writer: Arc<Mutex<()>>,
}

/// A write transaction; with SQLite it also holds the process's writer slot.
#[derive(Debug)]
pub struct WriteTx<'a> {
    pub tx: sqlx::Transaction<'static, sqlx::Any>,
    _writer: Option<MutexGuard<'a, ()>>,
}

impl WriteTx<'_> {
    /// Commits the transaction (the one fsync of a push).
    pub async fn commit(self) -> Result<(), sqlx::Error> {
        self.tx.commit().await
    }
}

/// Milliseconds since the Unix epoch of `time`.
pub fn millis(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_millis()
}

impl Store {
    /// Opens (creating if needed) the database at `url` and runs its migrations.
    /// A bare path is taken as a SQLite file.
    pub async fn open(url: &str) -> Result<Store, OpenError> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_owned())
        } else if let Some(rest) = url.strip_prefix("sqlite:") {
            let with_mode = if rest.contains('?') { url.to_owned() } else { format!("{url}?mode=rwc") };
            (Backend::Sqlite, with_mode)
        } else if url.contains("://") || url.is_empty() {
            return Err(OpenError::BadUrl(url.chars().take(80).collect()));
        } else {
            (Backend::Sqlite, format!("sqlite://{url}?mode=rwc"))
        };
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if backend == Backend::Postgres {
                        return Ok(());
                    }
                    // WAL lets pulls read while a push writes. synchronous=FULL syncs
                    // the WAL at every commit, so an acknowledged push survives a power
                    // cut, not only a killed process (NORMAL would survive the latter
                    // only); a push batch is one commit, so this is one fsync per batch.
                    // A 64 MiB page cache (the default is 2 MiB) holds a big batch's
                    // pages until its commit instead of spilling them to the WAL
                    // mid-transaction: a push of 10,000 reservations went from 10.7 s
                    // to 1.8 s with it (release build, 2 cores).
                    sqlx::raw_sql(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536;",
                    )
                    .execute(conn)
                    .await?;
                    Ok(())
                })
            })
            .connect(&url)
            .await
            .map_err(OpenError::Connect)?;
        let migrations = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrations.run(&pool).await.map_err(OpenError::Migrate)?;
        let postgres_url = (backend == Backend::Postgres).then(|| Arc::from(url.as_str()));
        Ok(Store { pool, backend, postgres_url, writer: Arc::new(Mutex::new(())) })
    }

    /// The connection pool, for reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// The engine this store runs on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The database URL when the store is on PostgreSQL.
    pub fn postgres_url(&self) -> Option<&str> {
        self.postgres_url.as_deref()
    }

    /// Starts a write transaction. On SQLite it is `BEGIN IMMEDIATE`, so the write
    /// lock is taken up front (a deferred transaction that reads first could fail to
    /// upgrade when another process, like the admin CLI, wrote meanwhile).
    pub async fn begin_write(&self) -> Result<WriteTx<'_>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => {
                let guard = self.writer.lock().await;
                let tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
                Ok(WriteTx { tx, _writer: Some(guard) })
            }
            Backend::Postgres => Ok(WriteTx { tx: self.pool.begin().await?, _writer: None }),
        }
    }

    /// Closes the pool, checkpointing SQLite's WAL.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

fn json_text<T: serde::Serialize>(value: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(value).map_err(|err| sqlx::Error::Encode(Box::new(err)))
}

fn from_json<T: serde::de::DeserializeOwned>(text: &str, column: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(text)
        .map_err(|err| sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(err) })
}

fn uuid_column(row: &AnyRow, column: &str) -> Result<Uuid, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text).map_err(|err| sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(err) })
}

fn u64_column(row: &AnyRow, column: &str) -> Result<u64, sqlx::Error> {
    let value: i64 = row.try_get(column)?;
    u64::try_from(value).map_err(|err| sqlx::Error::ColumnDecode { index: column.to_owned(), source: Box::new(err) })
}

fn to_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// `($n+1,$n+2,…,$n+width)`: one row of numbered placeholders after the first `n`
/// bound values (PostgreSQL's numbering, which sqlx's `Any` driver maps for SQLite).
pub(crate) fn placeholders(n: usize, width: usize) -> String {
    let numbers: Vec<String> = (n + 1..=n + width).map(|i| format!("${i}")).collect();
    format!("({})", numbers.join(","))
}

/// Values of one `IN (…)` list or multi-row insert: well below both engines' limits.
const LIST_CHUNK: usize = 500;

/// Takes the property's row lock for the rest of the transaction: the property's
/// writers go one at a time, so the idempotency check, the read of a record and its
/// write cannot interleave with another push of the same property (PostgreSQL runs
/// pushes concurrently; on SQLite the write transaction is already exclusive).
/// Returns the property's last change-log sequence.
pub async fn lock_property(conn: &mut AnyConnection, property: Uuid) -> Result<u64, sqlx::Error> {
    let row = sqlx::query("UPDATE properties SET last_seq = last_seq WHERE id = $1 RETURNING last_seq")
        .bind(property.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map_or(Ok(0), |row| u64_column(&row, "last_seq"))
}

/// Stores the property's last change-log sequence, counted by a push.
pub async fn set_last_seq(conn: &mut AnyConnection, property: Uuid, seq: u64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE properties SET last_seq = $2 WHERE id = $1")
        .bind(property.to_string())
        .bind(to_i64(seq))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The property's last change-log sequence.
pub async fn last_seq(conn: &mut AnyConnection, property: Uuid) -> Result<u64, sqlx::Error> {
    let row = sqlx::query("SELECT last_seq FROM properties WHERE id = $1")
        .bind(property.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map_or(Ok(0), |row| u64_column(&row, "last_seq"))
}

// ---- records -------------------------------------------------------------------

/// The current state of one record, tombstones included.
pub async fn load_record(
    conn: &mut AnyConnection,
    property: Uuid,
    entity: EntityKind,
    id: Uuid,
) -> Result<Option<ServerRecord>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT version, fields, field_clocks, deleted, last_author FROM records \
         WHERE property_id = $1 AND entity = $2 AND id = $3",
    )
    .bind(property.to_string())
    .bind(entity.as_str())
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| {
        let fields: String = row.try_get("fields")?;
        let clocks: String = row.try_get("field_clocks")?;
        let last: String = row.try_get("last_author")?;
        Ok(ServerRecord {
            version: u64_column(&row, "version")?,
            fields: from_json(&fields, "fields")?,
            deleted: row.try_get::<i64, _>("deleted")? != 0,
            field_clocks: from_json(&clocks, "field_clocks")?,
            last: from_json(&last, "last_author")?,
        })
    })
    .transpose()
}

/// A record as it was at `version`, from the change log (none when that version
/// was a delete or is not logged).
pub async fn fields_at_version(
    conn: &mut AnyConnection,
    property: Uuid,
    entity: EntityKind,
    id: Uuid,
    version: u64,
) -> Result<Option<Fields>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT after FROM change_log WHERE property_id = $1 AND entity = $2 AND record_id = $3 AND version = $4",
    )
    .bind(property.to_string())
    .bind(entity.as_str())
    .bind(id.to_string())
    .bind(i64::try_from(version).unwrap_or(i64::MAX))
    .fetch_optional(&mut *conn)
    .await?;
    match row.map(|row| row.try_get::<Option<String>, _>("after")).transpose()?.flatten() {
        Some(after) => Ok(Some(from_json(&after, "after")?)),
        None => Ok(None),
    }
}

/// The current state of each of `ids` of one kind that the property has (tombstones
/// included), in one query per few hundred ids.
pub async fn load_records(
    conn: &mut AnyConnection,
    property: Uuid,
    entity: EntityKind,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, ServerRecord>, sqlx::Error> {
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(LIST_CHUNK) {
        let list = placeholders(2, chunk.len());
        let sql = format!(
            "SELECT id, version, fields, field_clocks, deleted, last_author FROM records \
             WHERE property_id = $1 AND entity = $2 AND id IN {list}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(property.to_string()).bind(entity.as_str());
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(&mut *conn).await? {
            let fields: String = row.try_get("fields")?;
            let clocks: String = row.try_get("field_clocks")?;
            let last: String = row.try_get("last_author")?;
            found.insert(
                uuid_column(&row, "id")?,
                ServerRecord {
                    version: u64_column(&row, "version")?,
                    fields: from_json(&fields, "fields")?,
                    deleted: row.try_get::<i64, _>("deleted")? != 0,
                    field_clocks: from_json(&clocks, "field_clocks")?,
                    last: from_json(&last, "last_author")?,
                },
            );
        }
    }
    Ok(found)
}

/// Which of `ids` name a conflict of the property (stored, open or not).
pub async fn existing_conflicts(
    conn: &mut AnyConnection,
    property: Uuid,
    ids: &[Uuid],
) -> Result<HashSet<Uuid>, sqlx::Error> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(LIST_CHUNK) {
        let list = placeholders(1, chunk.len());
        let sql = format!("SELECT id FROM conflicts WHERE property_id = $1 AND id IN {list}");
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(property.to_string());
        for id in chunk {
            query = query.bind(id.to_string());
        }
        for row in query.fetch_all(&mut *conn).await? {
            found.insert(uuid_column(&row, "id")?);
        }
    }
    Ok(found)
}

/// Whether a live (not deleted) record exists.
pub async fn record_exists(
    conn: &mut AnyConnection,
    property: Uuid,
    entity: EntityKind,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT deleted FROM records WHERE property_id = $1 AND entity = $2 AND id = $3")
        .bind(property.to_string())
        .bind(entity.as_str())
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(row) => row.try_get::<i64, _>("deleted")? == 0,
        None => false,
    })
}

/// A new version of a record: what is stored, and what the change log says of it.
#[derive(Debug)]
pub struct NewVersion<'a> {
    pub property: Uuid,
    pub entity: EntityKind,
    pub id: Uuid,
    pub version: u64,
    /// The record's fields (a delete keeps the last ones, so a restore can bring
    /// them back).
    pub fields: &'a Fields,
    pub field_clocks: &'a BTreeMap<String, Hlc>,
    pub deleted: bool,
    /// The record before (none when it was new or deleted).
    pub before: Option<&'a Fields>,
    /// Who made the change (user, device, clock).
    pub author: &'a Author,
    /// When the server recorded it.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The mutation that made it; none for the server's own (a resolution, a restore).
    pub mutation_id: Option<Uuid>,
    /// The change's sequence number when the caller counts them itself (a push, which
    /// holds the property's lock and stores the last one with [`set_last_seq`]);
    /// none: the next of the property's.
    pub seq: Option<u64>,
    /// The author's values the merge settled against, kept in the history.
    pub superseded: &'a [Superseded],
}

/// Writes a new version of a record and its change-log entry, which every device
/// pulls; returns the entry's sequence number.
pub async fn write_version(conn: &mut AnyConnection, new: &NewVersion<'_>) -> Result<u64, sqlx::Error> {
    write_record(&mut *conn, new).await?;
    append_change(conn, new).await
}

fn text_field(fields: &Fields, name: &str) -> Option<String> {
    fields.get(name).and_then(|v| v.as_str()).map(str::to_owned)
}

/// Inserts or replaces a record's current state.
async fn write_record(conn: &mut AnyConnection, write: &NewVersion<'_>) -> Result<(), sqlx::Error> {
    let stay = write.entity == EntityKind::Reservation;
    let posting = write.entity == EntityKind::FolioPosting;
    let pick = |name: &str| if stay { text_field(write.fields, name) } else { None };
    let of_posting = |name: &str| if posting { text_field(write.fields, name) } else { None };
    sqlx::query(
        "INSERT INTO records (property_id, entity, id, version, fields, field_clocks, deleted, last_author, \
                              room_id, arrival, departure, reservation_id, posting_key) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
         ON CONFLICT (property_id, entity, id) DO UPDATE SET \
            version = excluded.version, fields = excluded.fields, field_clocks = excluded.field_clocks, \
            deleted = excluded.deleted, last_author = excluded.last_author, room_id = excluded.room_id, \
            arrival = excluded.arrival, departure = excluded.departure, \
            reservation_id = excluded.reservation_id, posting_key = excluded.posting_key",
    )
    .bind(write.property.to_string())
    .bind(write.entity.as_str())
    .bind(write.id.to_string())
    .bind(to_i64(write.version))
    .bind(json_text(write.fields)?)
    .bind(json_text(write.field_clocks)?)
    .bind(i64::from(write.deleted))
    .bind(json_text(write.author)?)
    .bind(pick("room_id"))
    .bind(pick("arrival"))
    .bind(pick("departure"))
    .bind(of_posting("reservation_id"))
    .bind(of_posting("idempotency_key"))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The posting stored under an idempotency key: its id and version.
pub async fn posting_by_key(
    conn: &mut AnyConnection,
    property: Uuid,
    key: &str,
) -> Result<Option<(Uuid, u64)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, version FROM records WHERE property_id = $1 AND posting_key = $2 AND entity = 'folio_posting'",
    )
    .bind(property.to_string())
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(|row| Ok((uuid_column(&row, "id")?, u64_column(&row, "version")?))).transpose()
}

/// The postings of a stay's folio.
pub async fn stay_postings(
    conn: &mut AnyConnection,
    property: Uuid,
    reservation: Uuid,
) -> Result<Vec<sync_core::domain::FolioPosting>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT fields FROM records WHERE property_id = $1 AND reservation_id = $2 AND entity = 'folio_posting' \
         AND deleted = 0",
    )
    .bind(property.to_string())
    .bind(reservation.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut postings = Vec::with_capacity(rows.len());
    for row in rows {
        let fields: String = row.try_get("fields")?;
        match serde_json::from_str(&fields) {
            Ok(posting) => postings.push(posting),
            Err(err) => tracing::warn!(%err, "a stored posting does not read as one; left out of the balance"),
        }
    }
    Ok(postings)
}

/// The live stays of one room that share a night with `[arrival, departure)`.
pub async fn room_stays(
    conn: &mut AnyConnection,
    property: Uuid,
    room: Uuid,
    arrival: &str,
    departure: &str,
) -> Result<Vec<Stay>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT fields FROM records WHERE property_id = $1 AND room_id = $2 AND arrival < $3 AND departure > $4 \
         AND entity = 'reservation' AND deleted = 0",
    )
    .bind(property.to_string())
    .bind(room.to_string())
    .bind(departure)
    .bind(arrival)
    .fetch_all(&mut *conn)
    .await?;
    stays_of_rows(&rows)
}

fn stays_of_rows(rows: &[AnyRow]) -> Result<Vec<Stay>, sqlx::Error> {
    let mut stays = Vec::with_capacity(rows.len());
    for row in rows {
        let fields: String = row.try_get("fields")?;
        match serde_json::from_str::<Reservation>(&fields) {
            Ok(reservation) => stays.push(Stay::from(&reservation)),
            Err(err) => {
                tracing::warn!(%err, "a stored reservation does not read as one; left out of the invariant check")
            }
        }
    }
    Ok(stays)
}

/// The stays checked in to a room.
pub async fn in_house_stays(conn: &mut AnyConnection, property: Uuid, room: Uuid) -> Result<Vec<Uuid>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, fields FROM records WHERE property_id = $1 AND room_id = $2 AND entity = 'reservation' \
         AND deleted = 0",
    )
    .bind(property.to_string())
    .bind(room.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut stays = Vec::new();
    for row in rows {
        let fields: String = row.try_get("fields")?;
        let fields: Fields = from_json(&fields, "fields")?;
        if fields.get("status").and_then(serde_json::Value::as_str) == Some("checked_in") {
            stays.push(uuid_column(&row, "id")?);
        }
    }
    Ok(stays)
}

// ---- confirmation numbers ------------------------------------------------------

/// The next of the property's own confirmation sequence for `year` (`H-<year>-<n>`).
/// The caller holds the property's lock. The first number of a year (or the first
/// after an import) starts above the highest official number stored for it.
pub async fn next_confirmation(conn: &mut AnyConnection, property: Uuid, year: u16) -> Result<u32, sqlx::Error> {
    let row = sqlx::query("SELECT last FROM confirmation_sequences WHERE property_id = $1 AND year = $2")
        .bind(property.to_string())
        .bind(i32::from(year))
        .fetch_optional(&mut *conn)
        .await?;
    let next = match row {
        Some(row) => u32::try_from(u64_column(&row, "last")?.saturating_add(1)).unwrap_or(u32::MAX),
        None => highest_confirmation(conn, property, year).await?.saturating_add(1),
    };
    sqlx::query(
        "INSERT INTO confirmation_sequences (property_id, year, last) VALUES ($1, $2, $3) \
         ON CONFLICT (property_id, year) DO UPDATE SET last = excluded.last",
    )
    .bind(property.to_string())
    .bind(i32::from(year))
    .bind(i64::from(next))
    .execute(&mut *conn)
    .await?;
    Ok(next)
}

/// The highest official number of `year` among the property's reservations.
async fn highest_confirmation(conn: &mut AnyConnection, property: Uuid, year: u16) -> Result<u32, sqlx::Error> {
    #[derive(serde::Deserialize)]
    struct Numbered {
        confirmation: String,
    }
    let rows = sqlx::query("SELECT fields FROM records WHERE property_id = $1 AND entity = 'reservation'")
        .bind(property.to_string())
        .fetch_all(&mut *conn)
        .await?;
    let mut highest = 0;
    for row in rows {
        let fields: String = row.try_get("fields")?;
        if let Ok(Numbered { confirmation }) = serde_json::from_str::<Numbered>(&fields)
            && let Ok(ConfirmationNumber::Official { year: of, sequence }) = confirmation.parse()
            && of == year
        {
            highest = highest.max(sequence);
        }
    }
    Ok(highest)
}

/// Makes the next number count again from the numbers stored (after an import or
/// a seed wrote official numbers of their own).
pub async fn forget_confirmation_sequences(conn: &mut AnyConnection, property: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM confirmation_sequences WHERE property_id = $1")
        .bind(property.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What a push needs to know of its property: its time zone and merge policies.
#[derive(Debug, Clone)]
pub struct PropertySettings {
    pub timezone: String,
    /// The TOML of the property's policy overrides, if any.
    pub policies: Option<String>,
}

/// The settings of a property.
pub async fn property_settings(conn: &mut AnyConnection, property: Uuid) -> Result<PropertySettings, sqlx::Error> {
    let row = sqlx::query("SELECT timezone, policies FROM properties WHERE id = $1")
        .bind(property.to_string())
        .fetch_one(&mut *conn)
        .await?;
    Ok(PropertySettings { timezone: row.try_get("timezone")?, policies: row.try_get("policies")? })
}

/// Remembers the server clock's last timestamp for `property` (inside the write
/// transaction that handed it out, which holds the property's row lock).
pub async fn save_clock(conn: &mut AnyConnection, property: Uuid, hlc: Hlc) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE properties SET last_hlc = $1 WHERE id = $2")
        .bind(hlc.to_string())
        .bind(property.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The latest server clock timestamp any property recorded, to resume the clock from.
pub async fn last_clock(pool: &AnyPool) -> Result<Option<Hlc>, sqlx::Error> {
    let rows = sqlx::query("SELECT last_hlc FROM properties WHERE last_hlc IS NOT NULL").fetch_all(pool).await?;
    let mut last = None;
    for row in rows {
        let text: String = row.try_get("last_hlc")?;
        if let Ok(hlc) = text.parse::<Hlc>() {
            last = last.max(Some(hlc));
        }
    }
    Ok(last)
}

/// The property's rooms, as the room invariants read them.
pub async fn load_rooms(conn: &mut AnyConnection, property: Uuid) -> Result<Vec<RoomState>, sqlx::Error> {
    let rows = sqlx::query("SELECT fields FROM records WHERE property_id = $1 AND entity = 'room' AND deleted = 0")
        .bind(property.to_string())
        .fetch_all(&mut *conn)
        .await?;
    let mut rooms = Vec::with_capacity(rows.len());
    for row in rows {
        let fields: String = row.try_get("fields")?;
        match serde_json::from_str::<Room>(&fields) {
            Ok(room) => rooms.push(RoomState::from(&room)),
            Err(err) => tracing::warn!(%err, "a stored room does not read as a room; left out of the invariant check"),
        }
    }
    Ok(rooms)
}

/// The property's live stays that share a night with `[arrival, departure)`.
pub async fn overlapping_stays(
    conn: &mut AnyConnection,
    property: Uuid,
    arrival: &str,
    departure: &str,
) -> Result<Vec<Stay>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT fields FROM records WHERE property_id = $1 AND entity = 'reservation' AND deleted = 0 \
         AND arrival < $2 AND departure > $3",
    )
    .bind(property.to_string())
    .bind(departure)
    .bind(arrival)
    .fetch_all(&mut *conn)
    .await?;
    stays_of_rows(&rows)
}

// ---- change log ----------------------------------------------------------------

/// Appends a change with the property's next sequence number, which it returns.
async fn append_change(conn: &mut AnyConnection, entry: &NewVersion<'_>) -> Result<u64, sqlx::Error> {
    let seq: i64 = match entry.seq {
        Some(seq) => to_i64(seq),
        None => sqlx::query("UPDATE properties SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq")
            .bind(entry.property.to_string())
            .fetch_one(&mut *conn)
            .await?
            .try_get("last_seq")?,
    };
    sqlx::query(
        "INSERT INTO change_log (property_id, seq, entity, record_id, op, version, before, after, \
                                 user_id, device_id, hlc, at, mutation_id, superseded) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(entry.property.to_string())
    .bind(seq)
    .bind(entry.entity.as_str())
    .bind(entry.id.to_string())
    .bind(if entry.deleted { "delete" } else { "upsert" })
    .bind(to_i64(entry.version))
    .bind(entry.before.map(json_text).transpose()?)
    .bind((!entry.deleted).then_some(entry.fields).map(json_text).transpose()?)
    .bind(entry.author.user_id.to_string())
    .bind(entry.author.device_id.to_string())
    .bind(entry.author.hlc.to_string())
    .bind(millis(entry.at))
    .bind(entry.mutation_id.map(|id| id.to_string()))
    .bind((!entry.superseded.is_empty()).then(|| json_text(&entry.superseded)).transpose()?)
    .execute(&mut *conn)
    .await?;
    Ok(u64::try_from(seq).unwrap_or_default())
}

/// Up to `limit` changes of the property after sequence `after`, in order.
pub async fn changes_after(
    pool: &AnyPool,
    property: Uuid,
    after: u64,
    limit: u32,
) -> Result<Vec<(u64, Change<Box<RawValue>>)>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT seq, entity, record_id, op, version, after, user_id, device_id, hlc, at, mutation_id \
         FROM change_log WHERE property_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
    )
    .bind(property.to_string())
    .bind(to_i64(after))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter().map(change_of_row).collect()
}

/// A change of the log, its record kept as the text stored (a pull sends it on
/// as it is, unless the reader's role may not read all of it).
fn change_of_row(row: &AnyRow) -> Result<(u64, Change<Box<RawValue>>), sqlx::Error> {
    let decode = |column: &str, err: String| sqlx::Error::ColumnDecode { index: column.to_owned(), source: err.into() };
    let entity: String = row.try_get("entity")?;
    let op: String = row.try_get("op")?;
    let after: Option<String> = row.try_get("after")?;
    let hlc: String = row.try_get("hlc")?;
    let at: i64 = row.try_get("at")?;
    let mutation_id: Option<String> = row.try_get("mutation_id")?;
    let change = Change {
        entity: entity.parse().map_err(|e: sync_core::schema::UnknownEntity| decode("entity", e.to_string()))?,
        record_id: uuid_column(row, "record_id")?,
        kind: if op == "delete" { ChangeKind::Delete } else { ChangeKind::Upsert },
        version: u64_column(row, "version")?,
        record: after
            .map(|text| RawValue::from_string(text).map_err(|err| decode("after", err.to_string())))
            .transpose()?,
        hlc: hlc.parse().map_err(|e: sync_core::hlc::ParseHlcError| decode("hlc", e.to_string()))?,
        device_id: uuid_column(row, "device_id")?,
        user_id: uuid_column(row, "user_id")?,
        at: chrono::DateTime::from_timestamp_millis(at).unwrap_or_default(),
        mutation_id: mutation_id
            .map(|id| Uuid::parse_str(&id).map_err(|e| decode("mutation_id", e.to_string())))
            .transpose()?,
    };
    Ok((u64_column(row, "seq")?, change))
}

// ---- idempotency -----------------------------------------------------------------

/// A result stored for a mutation's replays, with the desk that sent it.
#[derive(Debug, Clone)]
pub struct StoredResult {
    /// The desk that sent the mutation (none: stored before desks were recorded).
    pub device: Option<Uuid>,
    pub result: MutationResult,
}

/// The stored results of whichever of `keys` were applied before: a push's
/// idempotency check for all its mutations in one query per few hundred.
pub async fn applied_results(
    conn: &mut AnyConnection,
    property: Uuid,
    keys: &[&str],
) -> Result<HashMap<String, StoredResult>, sqlx::Error> {
    let mut found = HashMap::new();
    for chunk in keys.chunks(LIST_CHUNK) {
        let list = placeholders(1, chunk.len());
        let sql = format!(
            "SELECT idempotency_key, result, device_id FROM applied_mutations \
             WHERE property_id = $1 AND idempotency_key IN {list}"
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(property.to_string());
        for key in chunk {
            query = query.bind(*key);
        }
        for row in query.fetch_all(&mut *conn).await? {
            let key: String = row.try_get("idempotency_key")?;
            let text: String = row.try_get("result")?;
            let device: Option<String> = row.try_get("device_id")?;
            let device = device.and_then(|d| Uuid::parse_str(&d).ok());
            found.insert(key, StoredResult { device, result: from_json(&text, "result")? });
        }
    }
    Ok(found)
}

/// Remembers the results of many mutations sent by `device` for their replays, in
/// multi-row inserts.
pub async fn save_results(
    conn: &mut AnyConnection,
    property: Uuid,
    device: Uuid,
    results: &[(String, MutationResult)],
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    for chunk in results.chunks(LIST_CHUNK / 6) {
        let rows: Vec<String> = (0..chunk.len()).map(|i| placeholders(i * 6, 6)).collect();
        let sql = format!(
            "INSERT INTO applied_mutations (property_id, idempotency_key, mutation_id, result, applied_at, device_id) \
             VALUES {}",
            rows.join(",")
        );
        let mut insert = sqlx::query(sqlx::AssertSqlSafe(sql));
        for (key, result) in chunk {
            insert = insert
                .bind(property.to_string())
                .bind(key.clone())
                .bind(result.mutation_id.to_string())
                .bind(json_text(result)?)
                .bind(now_ms)
                .bind(device.to_string());
        }
        insert.execute(&mut *conn).await?;
    }
    Ok(())
}

// ---- conflicts -------------------------------------------------------------------

/// Stores a conflict; storing the same conflict again (a replay) changes nothing.
pub async fn save_conflict(
    conn: &mut AnyConnection,
    property: Uuid,
    conflict: &Conflict,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO conflicts (id, property_id, entity, record_id, kind, status, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) ON CONFLICT (property_id, id) DO NOTHING",
    )
    .bind(conflict.id.to_string())
    .bind(property.to_string())
    .bind(conflict.entity.as_str())
    .bind(conflict.record_id.to_string())
    .bind(conflict.kind.as_str())
    .bind(json_text(conflict)?)
    .bind(now_ms)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The property's conflicts, newest first, optionally only `open` or `resolved` ones.
pub async fn list_conflicts(
    pool: &AnyPool,
    property: Uuid,
    status: Option<&str>,
    limit: u32,
) -> Result<Vec<Conflict>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT body FROM conflicts WHERE property_id = $1 AND ($2 IS NULL OR status = $2) \
         ORDER BY created_at DESC, id LIMIT $3",
    )
    .bind(property.to_string())
    .bind(status)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            let body: String = row.try_get("body")?;
            from_json(&body, "body")
        })
        .collect()
}

/// One conflict of the property.
pub async fn load_conflict(
    conn: &mut AnyConnection,
    property: Uuid,
    id: Uuid,
) -> Result<Option<Conflict>, sqlx::Error> {
    let row = sqlx::query("SELECT body FROM conflicts WHERE property_id = $1 AND id = $2")
        .bind(property.to_string())
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.map(|row| {
        let body: String = row.try_get("body")?;
        from_json(&body, "body")
    })
    .transpose()
}

/// Marks a conflict resolved, keeping the resolution and who made it.
pub async fn resolve_conflict(
    conn: &mut AnyConnection,
    property: Uuid,
    conflict: &Conflict,
    resolution: &serde_json::Value,
    by: Uuid,
    now_ms: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE conflicts SET status = 'resolved', body = $1, resolution = $2, resolved_by = $3, resolved_at = $4 \
         WHERE property_id = $5 AND id = $6",
    )
    .bind(json_text(conflict)?)
    .bind(json_text(resolution)?)
    .bind(by.to_string())
    .bind(now_ms)
    .bind(property.to_string())
    .bind(conflict.id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}
