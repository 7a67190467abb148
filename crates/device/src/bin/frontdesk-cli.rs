//! `frontdesk-cli`: a front desk without a window, for scripts, support staff,
//! benchmarks and tests. It drives the same store and sync code as the app.
//!
//! ```text
//! frontdesk-cli --store desk.sqlite3 enroll --server http://127.0.0.1:8787 --code ABCD-EFGH-JKLM --name "Desk 1"
//! FRONTDESK_PASSWORD=… frontdesk-cli --store desk.sqlite3 --user ana sync
//! frontdesk-cli --store desk.sqlite3 status
//! ```
//!
//! Output is JSON on standard output, one document per command; errors go to
//! standard error as `{code, message}` with a non-zero exit status.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use frontdesk_device::desk::{Desk, DeskError};
use frontdesk_device::{ImportFormat, NewCharge, NewGuest, NewPayment, NewReservation};
use serde::Serialize;
use serde_json::json;
use sync_core::conflict::ResolutionChoice;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(name = "frontdesk-cli", version, about = "A Frontdesk desk on the command line")]
struct Cli {
    /// The desk's local store (a SQLite file; created when missing).
    #[arg(long, env = "FRONTDESK_STORE")]
    store: PathBuf,
    /// Member of staff to act as (commands that change data or sync).
    #[arg(long, env = "FRONTDESK_USER")]
    user: Option<String>,
    /// Their password.
    #[arg(long, env = "FRONTDESK_PASSWORD", hide_env_values = true)]
    password: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Enrolls this store's device with a server, using a one-time code.
    Enroll {
        #[arg(long)]
        server: String,
        #[arg(long)]
        code: String,
        #[arg(long, default_value = "Command line")]
        name: String,
    },
    /// Signs in and runs one sync round (push everything, pull everything).
    Sync {
        #[arg(long, default_value_t = 1_000)]
        batch_size: usize,
    },
    /// Queue, conflicts and enrollment of this desk.
    Status,
    /// The outbox: pending, held and failed changes.
    Queue {
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Conflicts waiting for a decision.
    Conflicts,
    /// Resolves a conflict on the server (needs the server; the decision is a change
    /// every desk receives).
    Resolve {
        conflict: Uuid,
        /// `keep-device` (this desk's values) or `keep-server`.
        #[arg(long, value_enum)]
        keep: Keep,
    },
    /// Imports reservations from a JSON Lines file (`.jsonl`, or gzipped `.jsonl.gz`)
    /// as this desk's own changes, synced on the next round. Works offline.
    ///
    /// Two formats: the exchange format other hotel systems export (`checkIn`,
    /// `roomNumber`, `guestName`... as in the benchmark data), where a bad line stops
    /// the import with its line number and nothing is written, and a file imported
    /// again adds nothing; or one reservation record of this app's schema a line,
    /// where bad lines are reported and the others imported. The format is told from
    /// the first line unless given.
    Import {
        file: PathBuf,
        #[arg(long, value_enum, default_value_t = FormatChoice::Auto)]
        format: FormatChoice,
    },
    /// Creates a guest profile.
    CreateGuest {
        #[arg(long)]
        first_name: String,
        #[arg(long)]
        last_name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
    },
    /// Creates a reservation.
    CreateReservation {
        #[arg(long)]
        guest: Uuid,
        #[arg(long)]
        room_type: Uuid,
        #[arg(long)]
        room: Option<Uuid>,
        #[arg(long)]
        arrival: NaiveDate,
        #[arg(long)]
        departure: NaiveDate,
        #[arg(long, default_value_t = 1)]
        adults: u32,
        #[arg(long, default_value = "BAR")]
        rate_code: String,
    },
    /// Checks a reservation in.
    CheckIn { reservation: Uuid },
    /// Checks a reservation out.
    CheckOut { reservation: Uuid },
    /// Posts a charge to a stay's folio (amount in minor units, e.g. cents).
    PostCharge {
        reservation: Uuid,
        #[arg(long)]
        amount: i64,
        #[arg(long, default_value = "MISC")]
        code: String,
        #[arg(long)]
        description: String,
    },
    /// Takes a cash payment on a stay's folio (amount in minor units).
    PostPayment {
        reservation: Uuid,
        #[arg(long)]
        amount: i64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum FormatChoice {
    /// Told from the file's first line.
    Auto,
    Exchange,
    Records,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum Keep {
    Device,
    Server,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(output) => {
            #[allow(clippy::print_stdout, reason = "the command's answer is its standard output")]
            {
                println!("{output}");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{}", json!({"code": err.code(), "message": err.to_string()}));
            ExitCode::FAILURE
        }
    }
}

fn to_json(value: impl Serialize) -> Result<String, DeskError> {
    serde_json::to_string_pretty(&value).map_err(|err| frontdesk_device::Error::Storage(err.to_string()).into())
}

async fn run(cli: Cli) -> Result<String, DeskError> {
    let desk = Desk::open_manual(&cli.store, Arc::new(Utc::now)).await?;
    let result = command(&desk, &cli).await;
    desk.close(Duration::from_secs(5)).await;
    result
}

async fn sign_in(desk: &Desk, cli: &Cli) -> Result<(), DeskError> {
    let (Some(user), Some(password)) = (&cli.user, &cli.password) else {
        return Err(DeskError::NotSignedIn);
    };
    desk.sign_in(user, password).await.map(drop)
}

async fn command(desk: &Desk, cli: &Cli) -> Result<String, DeskError> {
    let store = desk.store();
    match &cli.command {
        Command::Enroll { server, code, name } => {
            let identity = desk.enroll(server, code, name).await?;
            to_json(json!({
                "device_id": identity.device_id,
                "property_id": identity.property_id,
                "prefix": identity.prefix,
                "server": identity.server_url,
            }))
        }
        Command::Sync { batch_size } => {
            sign_in(desk, cli).await?;
            to_json(desk.sync_once(*batch_size).await?)
        }
        Command::Status => {
            let counts = store.outbox_counts().await?;
            let conflicts = store.open_conflicts().await?.len();
            let identity = desk.identity().await;
            to_json(json!({
                "enrolled": identity.is_some(),
                "server": identity.as_ref().map(|i| i.server_url.clone()),
                "device_id": identity.as_ref().map(|i| i.device_id),
                "queue": counts,
                "open_conflicts": conflicts,
                "cursor": store.cursor().await?.map(|c| c.to_string()),
            }))
        }
        Command::Queue { limit } => to_json(store.outbox(*limit).await?),
        Command::Conflicts => to_json(store.open_conflicts().await?),
        Command::Resolve { conflict, keep } => {
            sign_in(desk, cli).await?;
            let choice = match keep {
                Keep::Device => ResolutionChoice::KeepDevice {},
                Keep::Server => ResolutionChoice::KeepServer {},
            };
            to_json(desk.resolve_conflict(*conflict, &choice).await?)
        }
        Command::Import { file, format } => {
            sign_in(desk, cli).await?;
            let session = desk.session().await?;
            let text = frontdesk_device::import::read_text(file)?;
            let format = match format {
                FormatChoice::Auto => ImportFormat::detect(&text),
                FormatChoice::Exchange => ImportFormat::Exchange,
                FormatChoice::Records => ImportFormat::Records,
            };
            let report = match format {
                ImportFormat::Exchange => {
                    let imported = store.import_exchange(&session, &text).await.map_err(|err| match err {
                        frontdesk_device::Error::InvalidInput { field, message } => {
                            frontdesk_device::Error::InvalidInput {
                                field,
                                message: format!("{}, {message}; nothing was imported", file.display()),
                            }
                        }
                        other => other,
                    })?;
                    serde_json::to_value(imported)
                }
                ImportFormat::Records => serde_json::to_value(store.import_reservations(&session, &text).await?),
            };
            let mut report = report.map_err(|err| frontdesk_device::Error::Storage(err.to_string()))?;
            report["format"] = json!(format);
            to_json(report)
        }
        Command::CreateGuest { first_name, last_name, email, phone } => {
            sign_in(desk, cli).await?;
            let session = desk.session().await?;
            let guest = NewGuest {
                first_name: first_name.clone(),
                last_name: last_name.clone(),
                email: email.clone(),
                phone: phone.clone(),
                ..NewGuest::default()
            };
            to_json(store.create_guest(&session, guest).await?)
        }
        Command::CreateReservation { guest, room_type, room, arrival, departure, adults, rate_code } => {
            sign_in(desk, cli).await?;
            let session = desk.session().await?;
            let input = NewReservation {
                guest_id: *guest,
                guest_name: None,
                room_type_id: *room_type,
                room_id: *room,
                arrival: *arrival,
                departure: *departure,
                adults: *adults,
                children: 0,
                rate_code: rate_code.clone(),
                source: "command line".into(),
                special_requests: Vec::new(),
                note: None,
                confirmed: true,
            };
            to_json(store.create_reservation(&session, input).await?)
        }
        Command::CheckIn { reservation } => {
            sign_in(desk, cli).await?;
            let session = desk.session().await?;
            to_json(store.check_in(&session, *reservation).await?)
        }
        Command::CheckOut { reservation } => {
            sign_in(desk, cli).await?;
            let session = desk.session().await?;
            to_json(store.check_out(&session, *reservation).await?)
        }
        Command::PostCharge { reservation, amount, code, description } => {
            sign_in(desk, cli).await?;
            let session = desk.session().await?;
            let charge = NewCharge {
                reservation_id: *reservation,
                amount_minor: *amount,
                code: code.clone(),
                description: description.clone(),
                ..NewCharge::default()
            };
            to_json(store.post_charge(&session, charge).await?)
        }
        Command::PostPayment { reservation, amount } => {
            sign_in(desk, cli).await?;
            let session = desk.session().await?;
            let payment = NewPayment { reservation_id: *reservation, amount_minor: *amount, ..NewPayment::default() };
            to_json(store.post_payment(&session, payment).await?)
        }
    }
}
