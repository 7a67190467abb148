//! Backups of the server's database and their restore, for the admin CLI's
//! `backup` and `restore`.
//!
//! SQLite: `VACUUM INTO` writes a consistent copy while the server keeps serving
//! (it reads in one transaction, so a push that commits meanwhile is wholly in the
//! copy or wholly out), compacted, in one file without a WAL. The copy is written
//! under a temporary name, synced, checked (`PRAGMA integrity_check`) and only then
//! renamed into place, so a backup that exists is whole. A restore checks the file,
//! migrates it when an older server wrote it, refuses while a server has the
//! database open, keeps the database it replaces beside it, and removes that one's
//! WAL so it cannot be replayed onto the restored file.
//!
//! PostgreSQL: `pg_dump --format=custom` and `pg_restore --clean --single-transaction`,
//! run by the command so both engines have one procedure.
//!
//! After a restore every property's change log continues [`LOG_ADVANCE`] sequence
//! numbers further on. A desk that synced after the backup was taken holds a pull
//! cursor past the restored log's end; were new changes numbered straight after
//! that end, the desk would be refused until the log caught up with its cursor,
//! then skip the changes in between without a word. Sequence numbers only need to
//! grow (pulls read `seq > cursor`), so a gap is harmless.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteLockingMode};
use sqlx::{ConnectOptions, Connection, Row, SqliteConnection};

use crate::store::{Backend, Store};

/// How far a restore moves each property's change log on: more changes than a
/// property makes between a backup and its restore, with room for billions of
/// restores in an `i64`.
pub const LOG_ADVANCE: i64 = 1_000_000_000;

/// What a backup holds (or a restored database holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    /// Size of the backup file in bytes.
    pub bytes: u64,
    pub properties: i64,
    /// Records of every property (the directory of staff and devices included).
    pub records: i64,
    /// Entries of the change logs.
    pub changes: i64,
}

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} properties, {} records, {} changes logged ({:.1} MiB)",
            self.properties,
            self.records,
            self.changes,
            self.bytes as f64 / (1024.0 * 1024.0)
        )
    }
}

/// Why a backup or restore did not happen; nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Refused(String),
    #[error("{path}: {source}")]
    File {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("{0}")]
    Tool(String),
}

fn file_error(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::File { path: path.display().to_string(), source }
}

/// Writes a backup of `store` (which may be serving) to `to`, a file that must not
/// exist yet; returns what it holds.
pub async fn backup(store: &Store, url: &str, to: &Path) -> Result<Contents, BackupError> {
    if to.exists() {
        return Err(BackupError::Refused(format!(
            "{} exists already: a backup never overwrites a file; give a new name (a date in it, say)",
            to.display()
        )));
    }
    let partial = with_suffix(to, ".partial");
    let _ = std::fs::remove_file(&partial);
    match store.backend() {
        Backend::Sqlite => {
            let target = partial.to_str().ok_or_else(|| BackupError::Refused("the backup path is not UTF-8".into()))?;
            sqlx::query("VACUUM INTO $1").bind(target).execute(store.pool()).await?;
            let contents = sqlite_contents(&partial).await;
            if let Err(err) = contents {
                let _ = std::fs::remove_file(&partial);
                return Err(err);
            }
        }
        Backend::Postgres => {
            run_tool(
                Command::new("pg_dump").arg("--format=custom").arg("--file").arg(&partial).arg("--dbname").arg(url),
                "pg_dump",
            )?;
        }
    }
    std::fs::File::open(&partial).and_then(|file| file.sync_all()).map_err(file_error(&partial))?;
    std::fs::rename(&partial, to).map_err(file_error(to))?;
    sync_parent(to);
    match store.backend() {
        Backend::Sqlite => sqlite_contents(to).await,
        Backend::Postgres => database_contents(store, to).await,
    }
}

/// Replaces the database at `url` with the backup `from`. No server may have the
/// database open. On SQLite the replaced database is kept as
/// `<file>.replaced-<time>`; its path is returned.
pub async fn restore(url: &str, from: &Path) -> Result<(Contents, Option<PathBuf>), BackupError> {
    if !from.is_file() {
        return Err(BackupError::Refused(format!("{} is not a backup file", from.display())));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        run_tool(
            Command::new("pg_restore")
                .args(["--clean", "--if-exists", "--no-owner", "--single-transaction", "--exit-on-error"])
                .arg("--dbname")
                .arg(url)
                .arg(from),
            "pg_restore",
        )?;
        // Opening migrates a backup an older server wrote.
        let store = Store::open(url).await.map_err(|err| BackupError::Refused(err.to_string()))?;
        let advanced = advance_logs(&store).await;
        let contents = match advanced {
            Ok(()) => database_contents(&store, from).await,
            Err(err) => Err(err),
        };
        store.close().await;
        return Ok((contents?, None));
    }
    let target = sqlite_path(url)?;
    sqlite_contents(from).await?;
    let restoring = with_suffix(&target, ".restoring");
    let _ = std::fs::remove_file(&restoring);
    std::fs::copy(from, &restoring).map_err(file_error(&restoring))?;
    // Opening migrates a backup an older server wrote, and refuses one a newer
    // server wrote (a migration this binary does not know).
    let checked = async {
        let store = Store::open(&format!("sqlite://{}", restoring.display()))
            .await
            .map_err(|err| BackupError::Refused(format!("the backup cannot be used: {err}")))?;
        let advanced = advance_logs(&store).await;
        store.close().await;
        advanced?;
        sqlite_contents(&restoring).await
    }
    .await;
    if let Err(err) = checked {
        remove_sqlite_files(&restoring);
        return Err(err);
    }
    let replaced = if target.exists() {
        if let Err(err) = ensure_unused(&target).await {
            remove_sqlite_files(&restoring);
            return Err(err);
        }
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ");
        let kept = with_suffix(&target, &format!(".replaced-{stamp}"));
        std::fs::rename(&target, &kept).map_err(file_error(&kept))?;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(&target, suffix));
        }
        keep_owner(&kept, &restoring);
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&restoring, &target).map_err(file_error(&target))?;
    sync_parent(&target);
    Ok((sqlite_contents(&target).await?, replaced))
}

/// Moves every property's change log [`LOG_ADVANCE`] sequence numbers on.
async fn advance_logs(store: &Store) -> Result<(), BackupError> {
    sqlx::query("UPDATE properties SET last_seq = last_seq + $1").bind(LOG_ADVANCE).execute(store.pool()).await?;
    Ok(())
}

/// The file of a SQLite URL as [`Store::open`] reads it.
pub fn sqlite_path(url: &str) -> Result<PathBuf, BackupError> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
    let path = rest.split_once('?').map_or(rest, |(path, _)| path);
    if path.is_empty() || path.contains(":memory:") || path.contains("://") {
        return Err(BackupError::Refused(format!("`{url}` is not a database file")));
    }
    Ok(PathBuf::from(path))
}

/// Refuses while another connection (a running server) has the database open: an
/// exclusive lock is only granted to the only user of a WAL database.
async fn ensure_unused(path: &Path) -> Result<(), BackupError> {
    let options = SqliteConnectOptions::new()
        .filename(path)
        .locking_mode(SqliteLockingMode::Exclusive)
        .busy_timeout(Duration::from_millis(500));
    let in_use = || {
        BackupError::Refused(format!(
            "{} is in use: stop the server first (systemctl stop frontdesk-server), then restore",
            path.display()
        ))
    };
    let mut conn = options.connect().await.map_err(|_| in_use())?;
    let locked = async {
        sqlx::raw_sql("BEGIN EXCLUSIVE; SELECT COUNT(*) FROM sqlite_master; COMMIT;").execute(&mut conn).await
    }
    .await;
    let _ = conn.close().await;
    locked.map(drop).map_err(|_| in_use())
}

/// Checks a SQLite file (integrity, a Frontdesk schema) and counts what it holds.
async fn sqlite_contents(path: &Path) -> Result<Contents, BackupError> {
    let options = SqliteConnectOptions::new().filename(path).read_only(true).immutable(true);
    let mut conn: SqliteConnection = options
        .connect()
        .await
        .map_err(|err| BackupError::Refused(format!("{} is not a SQLite database: {err}", path.display())))?;
    let outcome = async {
        let integrity: String = sqlx::query("PRAGMA integrity_check").fetch_one(&mut conn).await?.try_get(0)?;
        if integrity != "ok" {
            return Err(BackupError::Refused(format!("{} is damaged: {integrity}", path.display())));
        }
        let tables: i64 = sqlx::query(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name IN ('properties', 'records', 'change_log')",
        )
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
        if tables != 3 {
            return Err(BackupError::Refused(format!("{} is not a Frontdesk server database", path.display())));
        }
        let count = |table: &'static str| sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")));
        Ok(Contents {
            bytes: std::fs::metadata(path).map_err(file_error(path))?.len(),
            properties: count("properties").fetch_one(&mut conn).await?.try_get(0)?,
            records: count("records").fetch_one(&mut conn).await?.try_get(0)?,
            changes: count("change_log").fetch_one(&mut conn).await?.try_get(0)?,
        })
    }
    .await;
    let _ = conn.close().await;
    outcome.map_err(|err| match err {
        BackupError::Database(err) => {
            BackupError::Refused(format!("{} is not a SQLite database: {err}", path.display()))
        }
        other => other,
    })
}

/// What the database of `store` holds, with the size of the backup `file`.
async fn database_contents(store: &Store, file: &Path) -> Result<Contents, BackupError> {
    let count = |table: &'static str| sqlx::query(sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM {table}")));
    Ok(Contents {
        bytes: std::fs::metadata(file).map_err(file_error(file))?.len(),
        properties: count("properties").fetch_one(store.pool()).await?.try_get("n")?,
        records: count("records").fetch_one(store.pool()).await?.try_get("n")?,
        changes: count("change_log").fetch_one(store.pool()).await?.try_get("n")?,
    })
}

fn run_tool(command: &mut Command, name: &str) -> Result<(), BackupError> {
    let output = command.output().map_err(|err| {
        BackupError::Tool(format!("cannot run {name} (install postgresql-client of the server's version): {err}"))
    })?;
    if output.status.success() {
        Ok(())
    } else {
        Err(BackupError::Tool(format!("{name} failed: {}", String::from_utf8_lossy(&output.stderr).trim())))
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn remove_sqlite_files(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(path, suffix));
    }
}

/// Makes a rename durable: syncs the directory holding `path`.
fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
}

/// Gives `file` the owner of `like`: a restore run as root must leave the database
/// to the service's user.
fn keep_owner(like: &Path, file: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let Ok(meta) = std::fs::metadata(like) {
            let _ = std::os::unix::fs::chown(file, Some(meta.uid()), Some(meta.gid()));
        }
    }
    #[cfg(not(unix))]
    let _ = (like, file);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_of_a_sqlite_url_is_found_as_the_store_reads_it() {
        let path = |url: &str| sqlite_path(url).expect("a file");
        assert_eq!(path("sqlite:///var/lib/frontdesk/f.sqlite3"), Path::new("/var/lib/frontdesk/f.sqlite3"));
        assert_eq!(path("sqlite://rel.sqlite3?mode=rwc"), Path::new("rel.sqlite3"));
        assert_eq!(path("sqlite:f.sqlite3"), Path::new("f.sqlite3"));
        assert_eq!(path("/srv/f.sqlite3"), Path::new("/srv/f.sqlite3"), "a bare path is a SQLite file");
        assert!(sqlite_path("sqlite::memory:").is_err(), "an in-memory database has no file to restore");
    }
}
