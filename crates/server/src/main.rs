//! The `frontdesk-server` binary: `serve` runs the sync server; the other
//! subcommands are the admin CLI over the same database. Every command takes the
//! deployment's settings file (`--config`, see `deploy/server.example.toml`);
//! flags and their environment variables override it.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::builder::RangedI64ValueParser;
use clap::{Args, Parser, Subcommand};
use frontdesk_server::admin::{self, DemoOptions};
use frontdesk_server::auth::{self, NewUser};
use frontdesk_server::backup;
use frontdesk_server::settings::{self, Settings, defaults, ranges};
use frontdesk_server::updates::{self, Release};
use frontdesk_server::{AppState, Store};
use tracing_subscriber::EnvFilter;

/// Frontdesk's sync server and its admin commands.
#[derive(Debug, Parser)]
#[command(name = "frontdesk-server", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Database {
    /// The deployment's settings file (TOML, e.g. /etc/frontdesk/server.toml); flags
    /// and environment variables override what it sets.
    #[arg(long, env = "FRONTDESK_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH (or a bare file path) or postgres://USER@HOST/DB
    /// [file: database.url].
    #[arg(long, env = "FRONTDESK_DATABASE")]
    database: Option<String>,
    /// PostgreSQL NOTIFY channel of the deployment: server processes sharing a
    /// database and this name wake each other's live streams [file:
    /// database.live_channel; default: frontdesk_changes].
    #[arg(long, env = "FRONTDESK_LIVE_CHANNEL", value_parser = settings_check(settings::check_live_channel))]
    live_channel: Option<String>,
}

/// The settings of `serve` beyond the database; each overrides its key of the file.
#[derive(Debug, Args)]
struct ServeFlags {
    /// Address to listen on [file: server.listen; default: 127.0.0.1:8787].
    #[arg(long, env = "FRONTDESK_LISTEN")]
    listen: Option<SocketAddr>,
    /// PEM certificate chain: with --tls-key, serve HTTPS [file: tls.cert].
    #[arg(long, env = "FRONTDESK_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert [file: tls.key].
    #[arg(long, env = "FRONTDESK_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// The address the desks reach this server at, e.g. https://frontdesk.hotel.example,
    /// for the URLs it hands out (update downloads) [file: server.public_url; default:
    /// the listen address; never a request's Host header].
    #[arg(long, env = "FRONTDESK_PUBLIC_URL", value_parser = settings_check(settings::check_public_url))]
    public_url: Option<String>,
    /// Log filter, e.g. info or warn,frontdesk_server=debug; RUST_LOG wins over it
    /// [file: server.log_level; default: info].
    #[arg(long, env = "FRONTDESK_LOG_LEVEL", value_parser = settings_check(settings::check_log_level))]
    log_level: Option<String>,
    /// Longest a request may take before it is cut with 408 [file:
    /// limits.request_timeout_secs; default: 30].
    #[arg(long, env = "FRONTDESK_REQUEST_TIMEOUT_SECS", value_parser = within(ranges::REQUEST_TIMEOUT_SECS))]
    request_timeout_secs: Option<u32>,
    /// Largest request body after decompression, in MiB [file: limits.max_body_mib; default: 8].
    #[arg(long, env = "FRONTDESK_MAX_BODY_MIB", value_parser = within(ranges::MAX_BODY_MIB))]
    max_body_mib: Option<u32>,
    /// Requests per second one device may make (sustained) [file: limits.rate_limit; default: 100].
    #[arg(long, env = "FRONTDESK_RATE_LIMIT", value_parser = within(ranges::RATE_LIMIT))]
    rate_limit: Option<u32>,
    /// Requests one device may make in a burst [file: limits.rate_burst; default: 300].
    #[arg(long, env = "FRONTDESK_RATE_BURST", value_parser = within(ranges::RATE_BURST))]
    rate_burst: Option<u32>,
    /// Most mutations in one push [file: limits.max_batch; default: 1000].
    #[arg(long, env = "FRONTDESK_MAX_BATCH", value_parser = within(ranges::MAX_BATCH))]
    max_batch: Option<u32>,
    /// Seconds a client may take to send a request's headers, and an idle HTTP/1
    /// connection to start its next request [file: limits.header_read_timeout_secs; default: 10].
    #[arg(long, env = "FRONTDESK_HEADER_READ_TIMEOUT_SECS", value_parser = within(ranges::HEADER_READ_TIMEOUT_SECS))]
    header_read_timeout_secs: Option<u32>,
    /// Seconds a connection may send and receive nothing before it is closed [file:
    /// limits.idle_timeout_secs; default: 120].
    #[arg(long, env = "FRONTDESK_IDLE_TIMEOUT_SECS", value_parser = within(ranges::IDLE_TIMEOUT_SECS))]
    idle_timeout_secs: Option<u32>,
    /// Most live streams one device may hold open [file: limits.live_streams_per_device; default: 4].
    #[arg(long, env = "FRONTDESK_LIVE_STREAMS_PER_DEVICE", value_parser = within(ranges::LIVE_STREAMS_PER_DEVICE))]
    live_streams_per_device: Option<u32>,
    /// Hours a staff session lasts [file: sessions.session_hours; default: 12].
    #[arg(long, env = "FRONTDESK_SESSION_HOURS", value_parser = within(ranges::SESSION_HOURS))]
    session_hours: Option<u32>,
    /// Folder of app releases offered to the desks: installers, their .sig files and a
    /// release.toml naming them [file: updates.dir; default: none, no updates offered].
    #[arg(long, env = "FRONTDESK_UPDATES_DIR")]
    updates_dir: Option<PathBuf>,
}

/// A flag's parser accepting the same numbers as the settings file.
fn within(range: RangeInclusive<u32>) -> RangedI64ValueParser<u32> {
    clap::value_parser!(u32).range(i64::from(*range.start())..=i64::from(*range.end()))
}

/// A flag's parser running the settings file's check of the same key.
fn settings_check(check: fn(&str) -> Result<(), String>) -> impl Fn(&str) -> Result<String, String> + Clone {
    move |value: &str| check(value).map(|()| value.to_owned())
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the sync server (HTTPS when a certificate and key are given, else plain
    /// HTTP for a reverse proxy).
    Serve {
        #[command(flatten)]
        db: Database,
        #[command(flatten)]
        flags: ServeFlags,
    },
    /// Set a property's merge policies from a TOML file (see sync core's PolicyTable).
    SetPolicies {
        #[command(flatten)]
        db: Database,
        /// Code of the property.
        #[arg(long)]
        property: String,
        /// The policy file, e.g. `[guest]\nemail = "last_writer_wins"`.
        #[arg(long)]
        file: PathBuf,
    },
    /// Create (or bring up to date) a demo hotel: rooms, staff, guests, reservations.
    SeedDemo {
        #[command(flatten)]
        db: Database,
        /// Code of the property (created when missing).
        #[arg(long)]
        property: String,
        /// Number of rooms, on 4 floors.
        #[arg(long, default_value_t = 40)]
        rooms: u32,
        /// Days ahead over which reservations arrive.
        #[arg(long, default_value_t = 21)]
        days: u32,
        /// Password of the demo staff users created by this run.
        #[arg(long, env = "FRONTDESK_PASSWORD", hide_env_values = true, default_value = "demo-password")]
        password: String,
    },
    /// Import reservations in the benchmark's JSON Lines format (.jsonl or .jsonl.gz).
    ImportReservations {
        #[command(flatten)]
        db: Database,
        /// Code of the property.
        #[arg(long)]
        property: String,
        #[arg(long)]
        file: PathBuf,
    },
    /// Create a property (a hotel).
    CreateProperty {
        #[command(flatten)]
        db: Database,
        /// Short code staff and the CLI use, e.g. LIS1.
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
        /// IANA time zone, e.g. Europe/Lisbon.
        #[arg(long)]
        timezone: String,
        /// ISO 4217 currency of the folios, e.g. EUR.
        #[arg(long)]
        currency: String,
    },
    /// Create a member of staff.
    CreateUser {
        #[command(flatten)]
        db: Database,
        /// Code of the property.
        #[arg(long)]
        property: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        display_name: String,
        #[arg(long, value_parser = ["manager", "front_desk", "housekeeping", "maintenance"])]
        role: String,
        /// The password (better given through the environment than the command line).
        #[arg(long, env = "FRONTDESK_PASSWORD", hide_env_values = true)]
        password: String,
    },
    /// Write a backup of the database to a new file, while the server keeps serving
    /// (SQLite: VACUUM INTO; PostgreSQL: pg_dump --format=custom).
    Backup {
        #[command(flatten)]
        db: Database,
        /// The backup file to write; it must not exist yet.
        #[arg(long)]
        to: PathBuf,
    },
    /// Replace the database with a backup. Stop every server first; on SQLite the
    /// replaced file is kept beside it (PostgreSQL: pg_restore --clean).
    Restore {
        #[command(flatten)]
        db: Database,
        /// The backup file, as `backup` wrote it.
        #[arg(long)]
        from: PathBuf,
    },
    /// List the property's enrolled devices.
    Devices {
        #[command(flatten)]
        db: Database,
        /// Code of the property.
        #[arg(long)]
        property: String,
    },
    /// Revoke a device (lost, stolen or replaced): it and every session on it are
    /// refused from their next request. Enroll the machine again with a new code.
    RevokeDevice {
        #[command(flatten)]
        db: Database,
        /// Code of the property.
        #[arg(long)]
        property: String,
        /// The device's id or name, as `devices` lists them.
        #[arg(long)]
        device: String,
        /// Also make the device erase its local copy of the hotel's data at its next
        /// request (guests, folios, and changes it has not synced: for a device in the
        /// wrong hands); it then shows the enrollment screen.
        #[arg(long)]
        wipe: bool,
    },
    /// Check the update folder (updates.dir): the release it offers, to what share of
    /// the desks, and that every installer and its signature are there.
    Updates {
        #[command(flatten)]
        db: Database,
        /// The folder to check [file: updates.dir].
        #[arg(long, env = "FRONTDESK_UPDATES_DIR")]
        updates_dir: Option<PathBuf>,
    },
    /// Make a one-time code that enrolls one device to the property (or, with
    /// --rollout, a property-wide code for a provisioning file).
    EnrollmentCode {
        #[command(flatten)]
        db: Database,
        /// Code of the property.
        #[arg(long)]
        property: String,
        /// How long the code stays valid [file: sessions.enrollment_code_hours; default: 24].
        #[arg(long, value_parser = within(ranges::ENROLLMENT_CODE_HOURS))]
        ttl_hours: Option<u32>,
        /// A code that enrolls any number of devices until it expires or is revoked
        /// (revoke-enrollment-code): for a provisioning file on a desk image.
        #[arg(long)]
        rollout: bool,
    },
    /// Withdraw an enrollment code: no device enrolls with it any more.
    RevokeEnrollmentCode {
        #[command(flatten)]
        db: Database,
        /// Code of the property.
        #[arg(long)]
        property: String,
        /// The enrollment code, as printed.
        #[arg(long)]
        code: String,
    },
}

impl Database {
    /// The settings file's, under these flags.
    fn settings(&self) -> Result<Settings, String> {
        let file = match &self.config {
            Some(path) => Settings::from_file(path).map_err(|err| err.to_string())?,
            None => Settings::default(),
        };
        let flags = Settings {
            database: self.database.clone(),
            live_channel: self.live_channel.clone(),
            ..Settings::default()
        };
        Ok(flags.or(file))
    }
}

impl ServeFlags {
    fn settings(&self) -> Settings {
        Settings {
            listen: self.listen,
            log_level: self.log_level.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            session_hours: self.session_hours,
            request_timeout_secs: self.request_timeout_secs,
            max_body_mib: self.max_body_mib,
            max_batch: self.max_batch,
            rate_limit: self.rate_limit,
            rate_burst: self.rate_burst,
            updates_dir: self.updates_dir.clone(),
            public_url: self.public_url.clone(),
            header_read_timeout_secs: self.header_read_timeout_secs,
            idle_timeout_secs: self.idle_timeout_secs,
            live_streams_per_device: self.live_streams_per_device,
            ..Settings::default()
        }
    }
}

impl Command {
    /// Every source of settings of this command merged: flags, environment, file.
    fn settings(&self) -> Result<Settings, String> {
        let db = match self {
            Command::Serve { db, .. }
            | Command::SetPolicies { db, .. }
            | Command::SeedDemo { db, .. }
            | Command::ImportReservations { db, .. }
            | Command::CreateProperty { db, .. }
            | Command::CreateUser { db, .. }
            | Command::Backup { db, .. }
            | Command::Restore { db, .. }
            | Command::Devices { db, .. }
            | Command::RevokeDevice { db, .. }
            | Command::EnrollmentCode { db, .. }
            | Command::RevokeEnrollmentCode { db, .. }
            | Command::Updates { db, .. } => db,
        };
        let settings = db.settings()?;
        Ok(match self {
            Command::Serve { flags, .. } => flags.settings().or(settings),
            Command::Updates { updates_dir, .. } => {
                Settings { updates_dir: updates_dir.clone(), ..Settings::default() }.or(settings)
            }
            _ => settings,
        })
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = cli.command.settings();
    let filter = settings.as_ref().map_or_else(
        |_| defaults::LOG_LEVEL.to_owned(),
        |settings| settings.log_filter(std::env::var("RUST_LOG").ok()),
    );
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_new(&filter).unwrap_or_else(|_| EnvFilter::new(defaults::LOG_LEVEL)))
        .with_writer(std::io::stderr)
        // Colours only on a terminal: under systemd the journal would keep the escape codes.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match async { run(cli.command, settings?).await }.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn open(settings: &Settings) -> Result<Store, String> {
    let url = settings.database_url().map_err(|err| err.to_string())?;
    Store::open(&url).await.map_err(|err| err.to_string())
}

#[allow(clippy::print_stdout, reason = "the admin CLI prints its results for the operator and for scripts")]
async fn run(command: Command, settings: Settings) -> Result<(), String> {
    let now = chrono::Utc::now();
    let live_channel =
        settings.live_channel.clone().unwrap_or_else(|| frontdesk_server::live::DEFAULT_CHANNEL.to_owned());
    match command {
        Command::Serve { .. } => {
            let serve = settings.resolve().map_err(|err| err.to_string())?;
            // The certificate is read before the database opens: a wrong path fails
            // at once, naming the file.
            let tls = serve.tls.as_ref().map(frontdesk_server::tls::load).transpose().map_err(|err| err.to_string())?;
            let store = Store::open(&serve.database).await.map_err(|err| err.to_string())?;
            let listener = tokio::net::TcpListener::bind(serve.listen)
                .await
                .map_err(|err| format!("cannot listen on {}: {err}", serve.listen))?;
            let state = AppState::new(store.clone(), serve.api);
            let served = match tls {
                Some(tls) => {
                    tracing::info!(listen = %serve.listen, "frontdesk sync server listening (HTTPS)");
                    frontdesk_server::tls::serve_tls(listener, tls, state, shutdown_signal()).await
                }
                None => {
                    tracing::info!(listen = %serve.listen, "frontdesk sync server listening (HTTP)");
                    frontdesk_server::serve(listener, state, shutdown_signal()).await
                }
            };
            served.map_err(|err| err.to_string())?;
            store.close().await;
        }
        Command::CreateProperty { code, name, timezone, currency, .. } => {
            let store = open(&settings).await?;
            let id = auth::create_property(&store, &code, &name, &timezone, &currency, now)
                .await
                .map_err(|err| err.to_string())?;
            println!("{id}");
            store.close().await;
        }
        Command::CreateUser { property, username, display_name, role, password, .. } => {
            let store = open(&settings).await?;
            let role = auth::parse_role(&role).ok_or_else(|| format!("unknown role `{role}`"))?;
            let user = NewUser {
                property_code: &property,
                username: &username,
                display_name: &display_name,
                role,
                password: &password,
            };
            let id = auth::create_user(&store, &user, now).await.map_err(|err| err.to_string())?;
            println!("{id}");
            store.close().await;
        }
        Command::SetPolicies { property, file, .. } => {
            let text = std::fs::read_to_string(&file).map_err(|err| format!("{}: {err}", file.display()))?;
            let store = open(&settings).await?;
            admin::set_policies(&store, &property, &text, &live_channel, now).await.map_err(|err| err.to_string())?;
            println!("merge policies of {property} set from {}", file.display());
            store.close().await;
        }
        Command::SeedDemo { property, rooms, days, password, .. } => {
            let store = open(&settings).await?;
            let options =
                DemoOptions { property_code: &property, rooms, days, password: &password, channel: &live_channel };
            let hotel = admin::seed_demo(&store, &options, now).await.map_err(|err| err.to_string())?;
            println!(
                "demo hotel {property}: {} room types, {} rooms, {} reservations ({} records written)",
                hotel.room_types, hotel.rooms, hotel.reservations, hotel.written
            );
            for (username, role, password) in &hotel.users {
                match password {
                    Some(password) => println!("user {username} ({role}) password {password}"),
                    None => println!("user {username} ({role}) existed already: password unchanged"),
                }
            }
            println!("enrollment code (24 h, one device): {}", hotel.enrollment_code);
            store.close().await;
        }
        Command::ImportReservations { property, file, .. } => {
            let store = open(&settings).await?;
            let started = std::time::Instant::now();
            let report = admin::import_reservations(&store, &property, &file, &live_channel, now)
                .await
                .map_err(|err| err.to_string())?;
            println!(
                "imported {} reservations of {} read ({} already there) in {:.2} s: {} guests, {} rooms, {} room types created",
                report.reservations,
                report.read,
                report.existing,
                started.elapsed().as_secs_f64(),
                report.guests,
                report.rooms,
                report.room_types
            );
            println!("{} overlapping stays stored and raised as business-rule conflicts", report.conflicts);
            store.close().await;
        }
        Command::Backup { to, .. } => {
            let store = open(&settings).await?;
            let url = settings.database_url().map_err(|err| err.to_string())?;
            let contents = backup::backup(&store, &url, &to).await.map_err(|err| err.to_string())?;
            store.close().await;
            println!("backup written to {}: {contents}", to.display());
        }
        Command::Restore { from, .. } => {
            let url = settings.database_url().map_err(|err| err.to_string())?;
            let (contents, replaced) = backup::restore(&url, &from).await.map_err(|err| err.to_string())?;
            println!("restored from {}: {contents}", from.display());
            if let Some(replaced) = replaced {
                println!("the database it replaced is kept as {}", replaced.display());
            }
        }
        Command::EnrollmentCode { property, ttl_hours, rollout, .. } => {
            let store = open(&settings).await?;
            let hours = ttl_hours.or(settings.enrollment_code_hours).unwrap_or(defaults::ENROLLMENT_CODE_HOURS);
            let ttl = chrono::Duration::hours(i64::from(hours));
            let code = if rollout {
                auth::create_rollout_code(&store, &property, ttl, now).await
            } else {
                auth::create_enrollment_code(&store, &property, ttl, now).await
            }
            .map_err(|err| err.to_string())?;
            println!("{code}");
            store.close().await;
        }
        Command::RevokeEnrollmentCode { property, code, .. } => {
            let store = open(&settings).await?;
            auth::revoke_enrollment_code(&store, &property, &code).await.map_err(|err| err.to_string())?;
            println!("revoked");
            store.close().await;
        }
        Command::Devices { property, .. } => {
            let store = open(&settings).await?;
            let devices = auth::list_devices(&store, &property).await.map_err(|err| err.to_string())?;
            for device in devices {
                let state = match (device.revoked, device.wipe) {
                    (_, true) => "revoked, to be wiped",
                    (true, false) => "revoked",
                    (false, false) => "active",
                };
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    device.id,
                    device.name,
                    device.prefix,
                    device.enrolled_at.to_rfc3339()
                );
            }
            store.close().await;
        }
        Command::RevokeDevice { property, device, wipe, .. } => {
            let store = open(&settings).await?;
            let revoked = auth::revoke_device(&store, &property, &device, wipe, &live_channel, now)
                .await
                .map_err(|err| err.to_string())?;
            if revoked.wipe {
                println!("revoked {} ({}); it erases its local data at its next request", revoked.name, revoked.id);
            } else {
                println!("revoked {} ({})", revoked.name, revoked.id);
            }
            store.close().await;
        }
        Command::Updates { .. } => {
            let dir = settings
                .updates_dir
                .ok_or("updates.dir is not set: give --updates-dir or set it in the --config file")?;
            let Some(release) = Release::read(&dir).map_err(|err| err.to_string())? else {
                println!("{}: no {} — no update is offered", dir.display(), updates::RELEASE_FILE);
                return Ok(());
            };
            let sizes = release.check_files(&dir).map_err(|err| err.to_string())?;
            println!(
                "version {} offered to {}% of the desks{}",
                release.version,
                release.rollout_percent,
                release.pub_date.map(|d| format!(", published {d}")).unwrap_or_default()
            );
            for (platform, size) in sizes {
                let file = release.platforms.get(&platform).map(String::as_str).unwrap_or_default();
                println!("  {platform:<24} {file} ({:.1} MiB, signed)", size as f64 / 1_048_576.0);
            }
        }
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM, so a service manager's stop lets in-flight pushes
/// finish (a push cut short rolls back whole and the device retries it).
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down");
}
