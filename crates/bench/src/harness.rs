//! The real parts a workload runs against: the `frontdesk-server` binary on a free
//! loopback port over a fresh database, and device processes (this binary
//! re-executed with the hidden `device` subcommand).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::{AnyConnection, Connection, Row};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};
use uuid::Uuid;

/// The staff user every device signs in as.
pub const USER: &str = "bench";
pub const PASSWORD: &str = "bench-password-1";

/// Where the server binary is: next to this one in the target directory.
pub fn server_binary() -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe.with_file_name("frontdesk-server");
    if path.exists() {
        Ok(path)
    } else {
        Err(format!("{} not found: cargo build --release -p frontdesk-server", path.display()))
    }
}

fn free_port() -> Result<u16, String> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}

/// A running server with its own fresh database and one property.
#[derive(Debug)]
pub struct Server {
    pub database: String,
    pub url: String,
    pub property: Uuid,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Starts a server over a fresh database (`database` is the URL to use).
    pub async fn start(database: String) -> Result<Server, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let property = admin(
            &database,
            &["create-property", "--code", "BENCH", "--name", "Bench Hotel", "--timezone", "UTC", "--currency", "USD"],
        )
        .await?;
        let property = Uuid::parse_str(property.trim()).map_err(|e| format!("property id {property:?}: {e}"))?;
        admin(
            &database,
            &[
                "create-user",
                "--property",
                "BENCH",
                "--username",
                USER,
                "--display-name",
                "Bench Manager",
                "--role",
                "manager",
                "--password",
                PASSWORD,
            ],
        )
        .await?;
        let port = free_port()?;
        let child = Command::new(server_binary()?)
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("FRONTDESK_DATABASE", &database)
            // One device sends far more than a desk would: lift the per-device limit.
            .env("FRONTDESK_RATE_LIMIT", "100000")
            .env("FRONTDESK_RATE_BURST", "1000000")
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| e.to_string())?;
        let deadline = Instant::now() + Duration::from_secs(30);
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            if Instant::now() > deadline {
                return Err("the server did not listen within 30 s".into());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(Server { database, url: format!("http://127.0.0.1:{port}"), property, child, _dir: dir })
    }

    /// Runs an admin command of the server binary on this server's database.
    pub async fn admin(&self, args: &[&str]) -> Result<String, String> {
        admin(&self.database, args).await
    }

    /// A one-time enrollment code.
    pub async fn enrollment_code(&self) -> Result<String, String> {
        Ok(self.admin(&["enrollment-code", "--property", "BENCH"]).await?.trim().to_owned())
    }

    /// Imports a JSON Lines file (setup, not timed).
    pub async fn import(&self, file: &Path) -> Result<String, String> {
        self.admin(&["import-reservations", "--property", "BENCH", "--file", &file.to_string_lossy()]).await
    }

    /// Peak and current resident memory of the server process, in kB.
    pub fn memory(&self) -> Value {
        let status = self
            .child
            .id()
            .and_then(|pid| std::fs::read_to_string(format!("/proc/{pid}/status")).ok())
            .unwrap_or_default();
        let kb = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
                .unwrap_or(0)
        };
        serde_json::json!({"vm_hwm_kb": kb("VmHWM:"), "vm_rss_kb": kb("VmRSS:")})
    }

    /// A connection to the server's database, to verify what it holds.
    pub async fn db(&self) -> Result<AnyConnection, String> {
        sqlx::any::install_default_drivers();
        AnyConnection::connect(&self.database).await.map_err(|e| e.to_string())
    }

    /// Number of live reservations on the server, optionally leaving out an arrival date.
    pub async fn count_reservations(&self, except_arrival: &str) -> Result<i64, String> {
        let mut db = self.db().await?;
        let row =
            sqlx::query("SELECT COUNT(*) FROM records WHERE entity = 'reservation' AND deleted = 0 AND arrival <> $1")
                .bind(except_arrival)
                .fetch_one(&mut db)
                .await
                .map_err(|e| e.to_string())?;
        row.try_get::<i64, _>(0).map_err(|e| e.to_string())
    }

    /// Stops the server.
    pub async fn stop(mut self) {
        let _ = self.child.kill().await;
    }
}

async fn admin(database: &str, args: &[&str]) -> Result<String, String> {
    let output = Command::new(server_binary()?)
        .args(args)
        .env("FRONTDESK_DATABASE", database)
        .env("RUST_LOG", "warn")
        .output()
        .await
        .map_err(|e| e.to_string())?;
    if !output.status.success() {
        return Err(format!("frontdesk-server {}: {}", args.join(" "), String::from_utf8_lossy(&output.stderr)));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// A device process.
#[derive(Debug)]
pub struct Device {
    child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    _dir: tempfile::TempDir,
}

impl Device {
    /// Starts a device process over a fresh store, enrolled and signed in.
    pub async fn start(server: &Server, name: &str, live: bool) -> Result<Device, String> {
        let code = server.enrollment_code().await?;
        Self::start_with_code(server, name, &code, live).await
    }

    /// Starts a device process enrolled with `code` (of any property of the server).
    pub async fn start_with_code(server: &Server, name: &str, code: &str, live: bool) -> Result<Device, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let store = dir.path().join("device.sqlite3");
        let mut command = Command::new(std::env::current_exe().map_err(|e| e.to_string())?);
        command.arg("device").arg("--store").arg(&store);
        if live {
            command.arg("--live");
        }
        let mut child = command
            .env("RUST_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
        let mut device = Device { child, stdin, stdout, _dir: dir };
        device
            .call(serde_json::json!({"cmd": "setup", "url": server.url, "code": code, "name": name,
                                     "username": USER, "password": PASSWORD}))
            .await?;
        Ok(device)
    }

    /// Sends a command without waiting for its answer.
    pub async fn send(&mut self, request: &Value) -> Result<(), String> {
        let mut text = request.to_string();
        text.push('\n');
        self.stdin.write_all(text.as_bytes()).await.map_err(|e| e.to_string())?;
        self.stdin.flush().await.map_err(|e| e.to_string())
    }

    /// Waits for the answer to the command sent last.
    pub async fn recv(&mut self) -> Result<Value, String> {
        let line = self.stdout.next_line().await.map_err(|e| e.to_string())?.ok_or("the device process ended")?;
        let value: Value = serde_json::from_str(&line).map_err(|e| format!("{e}: {line}"))?;
        if value["ok"] == Value::Bool(true) { Ok(value) } else { Err(format!("device: {}", value["error"])) }
    }

    /// Sends a command and waits for its answer.
    pub async fn call(&mut self, request: Value) -> Result<Value, String> {
        self.send(&request).await?;
        self.recv().await
    }

    /// Ends the process.
    pub async fn quit(mut self) {
        let _ = self.call(serde_json::json!({"cmd": "quit"})).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

/// A fresh database for one workload.
#[derive(Debug)]
pub enum Backend {
    Sqlite,
    /// The server URL of a PostgreSQL cluster (a database is created per workload).
    Postgres(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// A new, empty database URL; `keep` holds the SQLite file's directory.
    pub async fn fresh(&self, keep: &mut Vec<tempfile::TempDir>) -> Result<String, String> {
        match self {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
                let url = format!("sqlite://{}", dir.path().join("server.sqlite3").display());
                keep.push(dir);
                Ok(url)
            }
            Backend::Postgres(base) => {
                sqlx::any::install_default_drivers();
                let name = format!("bench_{}", Uuid::now_v7().simple());
                let mut conn = AnyConnection::connect(base).await.map_err(|e| e.to_string())?;
                // The name is a UUID made here, not input.
                sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                    .execute(&mut conn)
                    .await
                    .map_err(|e| e.to_string())?;
                let (prefix, _) = base.rsplit_once('/').ok_or("bad DATABASE_URL")?;
                let query = base.split_once('?').map(|(_, q)| format!("?{q}")).unwrap_or_default();
                Ok(format!("{prefix}/{name}{query}"))
            }
        }
    }
}

/// A throwaway PostgreSQL cluster (when no DATABASE_URL is given), removed on drop.
#[derive(Debug)]
pub struct Cluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    pub url: String,
}

fn as_postgres(bin: &Path, tool: &str) -> std::process::Command {
    let root = std::fs::metadata("/proc/self").map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0).unwrap_or(false);
    if root {
        let mut c = std::process::Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(tool));
        c
    } else {
        std::process::Command::new(bin.join(tool))
    }
}

impl Cluster {
    /// Starts a cluster with `fsync=off` like the project's test script.
    pub fn start() -> Result<Cluster, String> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| d.filter_map(Result::ok).map(|e| e.path().join("bin")).max())
            .filter(|p| p.join("initdb").exists())
            .or_else(|| Some(PathBuf::from("/usr/local/bin")).filter(|p| p.join("initdb").exists()))
            .ok_or("PostgreSQL is not installed and no DATABASE_URL was given")?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let _ = std::process::Command::new("chown").arg("postgres").arg(dir.path()).status();
        let data = dir.path().join("data");
        let ok = as_postgres(&bin, "initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "-A", "trust"])
            .stdout(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if !ok.success() {
            return Err("initdb failed".into());
        }
        let port = free_port()?;
        let options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300 -c fsync=off",
            dir.path().display()
        );
        let ok = as_postgres(&bin, "pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(dir.path().join("log"))
            .args(["-w", "-o", &options, "start"])
            .stdout(Stdio::null())
            .status()
            .map_err(|e| e.to_string())?;
        if !ok.success() {
            return Err("pg_ctl start failed".into());
        }
        Ok(Cluster { bin, dir, url: format!("postgres://postgres@127.0.0.1:{port}/postgres") })
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = as_postgres(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(Stdio::null())
            .status();
    }
}
