//! The `frontdesk-server` binary: `serve` runs the sync server; the other
//! subcommands are the admin CLI over the same database.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use frontdesk_server::auth::{self, NewUser};
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
        Command::Serve { listen, db } => {
            let store = open(&db).await?;
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .map_err(|err| format!("cannot listen on {listen}: {err}"))?;
            tracing::info!(%listen, "frontdesk sync server listening");
            let state = AppState::new(store.clone(), Config::default());
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
