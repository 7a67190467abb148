//! The `frontdesk-server` binary: `serve` runs the sync server; the other
//! subcommands are the admin CLI over the same database.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use frontdesk_server::admin::{self, DemoOptions};
use frontdesk_server::auth::{self, NewUser};
use frontdesk_server::limits::RateLimit;
use frontdesk_server::{AppState, Config, Store};
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
    /// Database URL: sqlite://PATH (or a bare file path) or postgres://USER@HOST/DB.
    #[arg(long, env = "FRONTDESK_DATABASE")]
    database: String,
    /// PostgreSQL NOTIFY channel of the deployment: server processes sharing a
    /// database and this name wake each other's live streams.
    #[arg(long, env = "FRONTDESK_LIVE_CHANNEL", default_value = frontdesk_server::live::DEFAULT_CHANNEL)]
    live_channel: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the sync server.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        #[command(flatten)]
        db: Database,
        /// Longest a request may take before it is cut with 408.
        #[arg(long, env = "FRONTDESK_REQUEST_TIMEOUT_SECS", default_value_t = 30)]
        request_timeout_secs: u64,
        /// Requests per second one device may make (sustained).
        #[arg(long, env = "FRONTDESK_RATE_LIMIT", default_value_t = 100)]
        rate_limit: u32,
        /// Requests one device may make in a burst.
        #[arg(long, env = "FRONTDESK_RATE_BURST", default_value_t = 300)]
        rate_burst: u32,
        /// Most mutations in one push.
        #[arg(long, env = "FRONTDESK_MAX_BATCH", default_value_t = 1000)]
        max_batch: usize,
        /// Hours a staff session lasts.
        #[arg(long, env = "FRONTDESK_SESSION_HOURS", default_value_t = 12)]
        session_hours: u32,
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
        file: std::path::PathBuf,
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
        file: std::path::PathBuf,
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
    /// Make a one-time code that enrolls one device to the property.
    EnrollmentCode {
        #[command(flatten)]
        db: Database,
        /// Code of the property.
        #[arg(long)]
        property: String,
        /// How long the code stays valid.
        #[arg(long, default_value_t = 24)]
        ttl_hours: u32,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            tracing::error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn open(db: &Database) -> Result<Store, String> {
    Store::open(&db.database).await.map_err(|err| err.to_string())
}

#[allow(clippy::print_stdout, reason = "the admin CLI prints its results for the operator and for scripts")]
async fn run(cli: Cli) -> Result<(), String> {
    let now = chrono::Utc::now();
    match cli.command {
        Command::Serve { listen, db, request_timeout_secs, rate_limit, rate_burst, max_batch, session_hours } => {
            let store = open(&db).await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|err| format!("cannot listen on {listen}: {err}"))?;
            tracing::info!(%listen, "frontdesk sync server listening");
            let config = Config {
                request_timeout: std::time::Duration::from_secs(request_timeout_secs.max(1)),
                rate_limit: RateLimit { per_second: rate_limit, burst: rate_burst },
                max_batch: max_batch.max(1),
                session_ttl: chrono::Duration::hours(i64::from(session_hours.max(1))),
                live_channel: db.live_channel.clone(),
                ..Config::default()
            };
            let state = AppState::new(store.clone(), config);
            frontdesk_server::serve(listener, state, shutdown_signal()).await.map_err(|err| err.to_string())?;
            store.close().await;
        }
        Command::CreateProperty { db, code, name, timezone, currency } => {
            let store = open(&db).await?;
            let id = auth::create_property(&store, &code, &name, &timezone, &currency, now)
                .await
                .map_err(|err| err.to_string())?;
            println!("{id}");
            store.close().await;
        }
        Command::CreateUser { db, property, username, display_name, role, password } => {
            let store = open(&db).await?;
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
        Command::SetPolicies { db, property, file } => {
            let text = std::fs::read_to_string(&file).map_err(|err| format!("{}: {err}", file.display()))?;
            let store = open(&db).await?;
            admin::set_policies(&store, &property, &text).await.map_err(|err| err.to_string())?;
            println!("merge policies of {property} set from {}", file.display());
            store.close().await;
        }
        Command::SeedDemo { db, property, rooms, days, password } => {
            let store = open(&db).await?;
            let options =
                DemoOptions { property_code: &property, rooms, days, password: &password, channel: &db.live_channel };
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
        Command::ImportReservations { db, property, file } => {
            let store = open(&db).await?;
            let started = std::time::Instant::now();
            let report = admin::import_reservations(&store, &property, &file, &db.live_channel, now)
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
        Command::EnrollmentCode { db, property, ttl_hours } => {
            let store = open(&db).await?;
            let ttl = chrono::Duration::hours(i64::from(ttl_hours));
            let code =
                auth::create_enrollment_code(&store, &property, ttl, now).await.map_err(|err| err.to_string())?;
            println!("{code}");
            store.close().await;
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
