//! `frontdesk-cli`: a front desk without a window, for scripts, support staff,
//! benchmarks and tests. Every subcommand is one method of [`Desk`], the same the
//! app's commands call, so the command line obeys the app's rules (roles, hotel rules,
//! stale-data policies) and answers with the app's types.
//!
//! ```text
//! frontdesk-cli --store desk.sqlite3 enroll --server http://127.0.0.1:8787 --code ABCD-EFGH-JKLM --name "Desk 1"
//! FRONTDESK_PASSWORD=… frontdesk-cli --store desk.sqlite3 --user ana sync
//! frontdesk-cli --store desk.sqlite3 --user ana post-charge <reservation> --amount 1250 --description Minibar
//! ```
//!
//! Output is JSON on standard output, one document per command; errors go to
//! standard error as `{code, message}` (with `field` or `breach` when the desk names
//! one) and a non-zero exit status. Rooms are named by number or id.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use chrono::{NaiveDate, Utc};
use clap::{Args, Parser, Subcommand};
use frontdesk_device::desk::{Desk, DeskError};
use frontdesk_device::screens::ReservationQuery;
use frontdesk_device::sync::SyncSettings;
use frontdesk_device::{
    GuestEdit, ImportFormat, NewCharge, NewGuest, NewInventoryItem, NewMaintenanceReport, NewPayment, NewPosLine,
    NewPosOrder, NewReservation, NewServiceRequest, NewTask, OutOfOrder, ReservationEdit, RoomBlock,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sync_core::conflict::{ResolutionChoice, Side};
use sync_core::domain::{
    Availability, Cleaning, IssueSeverity, MaintenanceStatus, PaymentMethod, RequestStatus, ReservationStatus,
    TaskKind, TaskStatus,
};
use sync_core::schema::EntityKind;
use uuid::Uuid;

#[derive(Debug, Parser)]
#[command(name = "frontdesk-cli", version, about = "A Frontdesk desk on the command line")]
struct Cli {
    /// The desk's local store (a SQLite file; created when missing).
    #[arg(long, env = "FRONTDESK_STORE")]
    store: PathBuf,
    /// Member of staff to act as (every command but enroll and status).
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
    /// Queue, conflicts and enrollment of this desk (no sign-in needed).
    Status,
    #[command(flatten)]
    SignedIn(SignedIn),
}

/// What a signed-in member of staff does: one method of [`Desk`] each.
#[derive(Debug, Subcommand)]
enum SignedIn {
    // ---- This desk and sync -------------------------------------------------------
    /// Signs in and runs one sync round (push everything, pull everything).
    Sync {
        #[arg(long, default_value_t = 1_000)]
        batch_size: usize,
    },
    /// The sync indicator: state, queue, freshness of each kind of record.
    SyncStatus,
    /// How sync has gone on this desk: rounds, failures, durations.
    SyncMetrics,
    /// The outbox: pending, held and failed changes.
    Queue {
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Puts a failed change back in the queue.
    Retry { mutation: Uuid },
    /// The signed-in user's edits that lost a merge to another desk's, newest first.
    SupersededEdits {
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Marks the signed-in user's superseded edits as seen.
    MarkSupersededSeen,
    /// Conflicts waiting for a decision, with both sides' values.
    Conflicts,
    /// Settles a conflict on the server (needs the server: the decision is a change every desk receives).
    Resolve(Resolve),
    /// This desk's server, name and sync settings.
    Settings,
    /// Saves sync settings given as the JSON the settings screen sends.
    SaveSettings {
        /// The settings as JSON (see `settings` for the current ones).
        json: String,
    },
    /// A record's history, oldest first (the server's when it answers).
    History {
        /// The kind of record, e.g. `reservation`, `folio_posting`.
        #[arg(value_parser = wire::<EntityKind>)]
        entity: EntityKind,
        id: Uuid,
    },
    /// Imports reservations from a JSON Lines file as this desk's own changes (works offline).
    ///
    /// The file is `.jsonl`, or gzipped `.jsonl.gz`; its stays sync on the next round. Two formats: the exchange format other hotel systems export (`checkIn`,
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

    // ---- Reservations and guests ------------------------------------------------------
    /// The property, room types, rooms, staff and the business date.
    Catalog,
    /// Today's arrivals, departures and in-house stays.
    Today,
    /// Searches reservations by guest, confirmation or room, status and dates.
    Reservations {
        #[arg(long, default_value = "")]
        text: String,
        /// Only this status (repeatable): tentative, confirmed, checked_in, checked_out, cancelled, no_show.
        #[arg(long = "status", value_parser = wire::<ReservationStatus>)]
        statuses: Vec<ReservationStatus>,
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long)]
        to: Option<NaiveDate>,
        #[arg(long, default_value_t = 0)]
        offset: u32,
        #[arg(long, default_value_t = 200)]
        limit: u32,
    },
    /// One reservation.
    Reservation { id: Uuid },
    /// Books a stay.
    CreateReservation(NewStay),
    /// Books a stay arriving today and checks its guest in, in one step (or writes nothing).
    WalkIn(NewStay),
    /// Changes a stay's dates, party, rate, requests or notes.
    UpdateReservation {
        id: Uuid,
        #[arg(long)]
        room_type: Option<Uuid>,
        #[arg(long)]
        arrival: Option<NaiveDate>,
        #[arg(long)]
        departure: Option<NaiveDate>,
        #[arg(long)]
        adults: Option<u32>,
        #[arg(long)]
        children: Option<u32>,
        #[arg(long)]
        rate_code: Option<String>,
        #[arg(long)]
        source: Option<String>,
        /// A special request to add (repeatable).
        #[arg(long = "add-request")]
        add_requests: Vec<String>,
        /// A special request to remove (repeatable).
        #[arg(long = "remove-request")]
        remove_requests: Vec<String>,
        #[arg(long)]
        add_note: Option<String>,
    },
    /// Rooms of a type free for some nights.
    FreeRooms {
        #[arg(long)]
        room_type: Uuid,
        #[arg(long)]
        arrival: NaiveDate,
        #[arg(long)]
        departure: NaiveDate,
        /// The stay being moved (its own nights do not count against it).
        #[arg(long)]
        moving: Option<Uuid>,
    },
    /// Assigns a room to a stay (or moves it); without `--room` takes its room away.
    AssignRoom {
        reservation: Uuid,
        /// Room number or id.
        #[arg(long)]
        room: Option<String>,
    },
    /// Confirms a tentative stay.
    Confirm { reservation: Uuid },
    /// Checks a stay in.
    CheckIn { reservation: Uuid },
    /// Checks a stay out (its room becomes dirty, with a cleaning task).
    CheckOut { reservation: Uuid },
    /// Undoes a check-in made by mistake (arrival day, nothing owed).
    UndoCheckIn { reservation: Uuid },
    /// Reinstates a check-out made by mistake while the stay runs.
    ReinstateCheckOut { reservation: Uuid },
    /// Cancels a stay that has not arrived.
    Cancel {
        reservation: Uuid,
        #[arg(long)]
        reason: Option<String>,
    },
    /// Marks a stay whose guest never came.
    NoShow { reservation: Uuid },
    /// Rooms by stay over some days.
    TapeChart {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long, default_value_t = 14)]
        days: u32,
    },
    /// Searches guest profiles by name, email, phone or loyalty number.
    Guests {
        #[arg(default_value = "")]
        text: String,
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
        #[arg(long)]
        loyalty_number: Option<String>,
        /// A preference (repeatable).
        #[arg(long = "preference")]
        preferences: Vec<String>,
        /// A tag (repeatable).
        #[arg(long = "tag")]
        tags: Vec<String>,
        #[arg(long)]
        note: Option<String>,
    },
    /// Changes a guest profile; lists are added to or removed from, never replaced.
    UpdateGuest {
        id: Uuid,
        #[arg(long)]
        first_name: Option<String>,
        #[arg(long)]
        last_name: Option<String>,
        /// New email; an empty one clears it.
        #[arg(long)]
        email: Option<String>,
        /// New phone; an empty one clears it.
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        loyalty_number: Option<String>,
        #[arg(long)]
        loyalty_tier: Option<String>,
        #[arg(long = "add-preference")]
        add_preferences: Vec<String>,
        #[arg(long = "remove-preference")]
        remove_preferences: Vec<String>,
        #[arg(long = "add-tag")]
        add_tags: Vec<String>,
        #[arg(long = "remove-tag")]
        remove_tags: Vec<String>,
        #[arg(long)]
        add_note: Option<String>,
    },

    // ---- Rooms and housekeeping ---------------------------------------------------------
    /// Every room with its cleaning, occupancy, availability and stay.
    RoomBoard,
    /// Sets a room's cleaning status: dirty, pickup, clean or inspected.
    SetRoomStatus {
        /// Room number or id.
        room: String,
        #[arg(value_parser = wire::<Cleaning>)]
        cleaning: Cleaning,
    },
    /// Takes a room out of order or out of service for some nights, or makes it available.
    SetRoomAvailability {
        /// Room number or id.
        room: String,
        /// available, out_of_service or out_of_order.
        #[arg(value_parser = wire::<Availability>)]
        availability: Availability,
        #[arg(long)]
        from: Option<NaiveDate>,
        #[arg(long)]
        until: Option<NaiveDate>,
        #[arg(long)]
        reason: Option<String>,
    },
    /// The housekeeping tasks assigned to the signed-in user.
    MyTasks,
    /// Open housekeeping tasks nobody has taken yet, most urgent first.
    UnassignedTasks,
    /// Makes the business date's housekeeping tasks (departures, stay-overs, arrivals).
    MakeHousekeepingDay,
    /// The signed-in housekeeper takes a task nobody has taken.
    TakeTask { task: Uuid },
    /// Creates a housekeeping task for a room.
    CreateTask {
        /// Room number or id.
        room: String,
        /// checkout_clean, stayover, inspection or turndown.
        #[arg(long, value_parser = wire::<TaskKind>)]
        kind: TaskKind,
        /// Member of staff to give it to (their id).
        #[arg(long)]
        assignee: Option<Uuid>,
        /// 0 (normal) and up.
        #[arg(long, default_value_t = 0)]
        priority: u8,
        #[arg(long)]
        note: Option<String>,
    },
    /// Gives a housekeeping task to a member of staff; without `--assignee` to nobody.
    AssignTask {
        task: Uuid,
        #[arg(long)]
        assignee: Option<Uuid>,
    },
    /// Moves a housekeeping task on: pending, in_progress, done or inspected.
    ProgressTask {
        task: Uuid,
        #[arg(value_parser = wire::<TaskStatus>)]
        to: TaskStatus,
    },
    /// Rooms reported out of order whose stays the front desk must move first.
    RoomsToClear,
    /// Every maintenance report.
    MaintenanceReports,
    /// Reports a maintenance issue in a room.
    ReportMaintenance {
        /// Room number or id.
        room: String,
        #[arg(long)]
        description: String,
        /// low, medium, high or urgent.
        #[arg(long, value_parser = wire::<IssueSeverity>, default_value = "medium")]
        severity: IssueSeverity,
        /// Also takes the room out of order (until `--until`, or open-ended).
        #[arg(long)]
        out_of_order: bool,
        #[arg(long, requires = "out_of_order")]
        until: Option<NaiveDate>,
    },
    /// Moves a maintenance report on: open, in_progress or resolved.
    ProgressMaintenance {
        report: Uuid,
        #[arg(value_parser = wire::<MaintenanceStatus>)]
        to: MaintenanceStatus,
        /// What was done, on the report's notes.
        #[arg(long)]
        note: Option<String>,
    },
    /// Every guest service request.
    ServiceRequests,
    /// Records a guest's request for a room.
    CreateServiceRequest {
        /// Room number or id.
        room: String,
        #[arg(long)]
        kind: String,
        #[arg(long)]
        text: String,
    },
    /// Moves a guest service request on: new, acknowledged or done.
    ProgressServiceRequest {
        request: Uuid,
        #[arg(value_parser = wire::<RequestStatus>)]
        to: RequestStatus,
    },
    /// Every inventory item with its count.
    Inventory,
    /// Starts counting a stock item (linen, minibar).
    CreateInventoryItem {
        #[arg(long)]
        sku: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        location: String,
        #[arg(long, default_value_t = 0)]
        quantity: i64,
    },
    /// Changes an inventory count by a delta (negative to take stock out).
    AdjustInventory {
        item: Uuid,
        #[arg(allow_negative_numbers = true)]
        delta: i64,
    },

    // ---- Folio and POS ------------------------------------------------------------------
    /// A stay's postings and balance.
    Folio { reservation: Uuid },
    /// Posts a charge on a stay's folio (amount in minor units, e.g. cents).
    PostCharge {
        reservation: Uuid,
        #[arg(long)]
        amount: i64,
        /// Default: the property's currency.
        #[arg(long)]
        currency: Option<String>,
        #[arg(long, default_value = "MISC")]
        code: String,
        #[arg(long)]
        description: String,
        #[arg(long, default_value_t = 1)]
        quantity: u32,
        /// Folio window (1 unless the bill is split).
        #[arg(long)]
        window: Option<u32>,
    },
    /// Takes a payment on a stay's folio (amount in minor units).
    PostPayment {
        reservation: Uuid,
        #[arg(long)]
        amount: i64,
        /// Default: the property's currency.
        #[arg(long)]
        currency: Option<String>,
        /// cash, card or transfer.
        #[arg(long, value_parser = wire::<PaymentMethod>, default_value = "cash")]
        method: PaymentMethod,
        /// Shown on the folio, e.g. the card terminal's reference.
        #[arg(long)]
        description: Option<String>,
        #[arg(long)]
        window: Option<u32>,
    },
    /// Corrects a posting with a reversing posting.
    ReversePosting {
        posting: Uuid,
        #[arg(long)]
        reason: String,
    },
    /// Every POS order.
    PosOrders,
    /// Opens an order at an outlet.
    OpenPosOrder {
        #[arg(long)]
        outlet: String,
        /// Default: the property's currency.
        #[arg(long)]
        currency: Option<String>,
        /// The stay it will be posted to, if known.
        #[arg(long)]
        reservation: Option<Uuid>,
    },
    /// Adds a line to an open order (price in minor units).
    AddPosLine {
        order: Uuid,
        #[arg(long)]
        item: String,
        #[arg(long, default_value_t = 1)]
        quantity: u32,
        #[arg(long)]
        unit_price: i64,
    },
    /// Posts an order to a stay's folio as a charge.
    PostPosOrder { order: Uuid, reservation: Uuid },
    /// Pays an order at the outlet's till.
    PayPosOrder {
        order: Uuid,
        #[arg(long, value_parser = wire::<PaymentMethod>, default_value = "cash")]
        method: PaymentMethod,
    },
}

/// A stay to book, as the reservation form fills it.
#[derive(Debug, Args)]
struct NewStay {
    #[arg(long)]
    guest: Uuid,
    #[arg(long)]
    room_type: Uuid,
    /// Room number or id.
    #[arg(long)]
    room: Option<String>,
    #[arg(long)]
    arrival: NaiveDate,
    #[arg(long)]
    departure: NaiveDate,
    #[arg(long, default_value_t = 1)]
    adults: u32,
    #[arg(long, default_value_t = 0)]
    children: u32,
    #[arg(long, default_value = "BAR")]
    rate_code: String,
    #[arg(long, default_value = "command line")]
    source: String,
    /// A special request (repeatable).
    #[arg(long = "request")]
    requests: Vec<String>,
    #[arg(long)]
    note: Option<String>,
    /// Book it tentative instead of confirmed.
    #[arg(long)]
    tentative: bool,
}

/// How to settle a conflict: one of `--keep`, `--pick`, `--value`, `--move-to-room`.
#[derive(Debug, Args)]
struct Resolve {
    conflict: Uuid,
    /// Keep one side whole: `device` (this desk's values) or `server`.
    #[arg(long, value_enum, conflicts_with_all = ["pick", "value", "move_to_room"])]
    keep: Option<Keep>,
    /// Field by field: `field=device` or `field=server` (repeatable).
    #[arg(long, value_parser = pick, conflicts_with_all = ["value", "move_to_room"])]
    pick: Vec<(String, Side)>,
    /// Typed values: `field=JSON`, e.g. `email="a@b.example"` (repeatable).
    #[arg(long, value_parser = custom_value, conflicts_with = "move_to_room")]
    value: Vec<(String, Value)>,
    /// For a double booking or a blocked room: move the stay to this room (number or id).
    #[arg(long)]
    move_to_room: Option<String>,
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

/// A value by its wire name (`in_progress`; `in-progress` too, as flags are written).
fn wire<T: DeserializeOwned>(text: &str) -> Result<T, String> {
    serde_json::from_value(Value::String(text.trim().replace('-', "_"))).map_err(|err| err.to_string())
}

fn pick(text: &str) -> Result<(String, Side), String> {
    let (field, side) = text.split_once('=').ok_or("expected field=device or field=server")?;
    Ok((field.trim().to_owned(), wire::<Side>(side)?))
}

fn custom_value(text: &str) -> Result<(String, Value), String> {
    let (field, value) = text.split_once('=').ok_or("expected field=JSON")?;
    let value = serde_json::from_str(value).map_err(|err| format!("the value of {field} is not JSON: {err}"))?;
    Ok((field.trim().to_owned(), value))
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version are answers, not failures.
        Err(err) if !err.use_stderr() => err.exit(),
        Err(err) => {
            let message = err.render().to_string();
            eprintln!("{}", json!({"code": "invalid_input", "message": message.trim()}));
            return ExitCode::from(2);
        }
    };
    match run(cli).await {
        Ok(output) => {
            #[allow(clippy::print_stdout, reason = "the command's answer is its standard output")]
            {
                println!("{output}");
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("{}", error_json(&err));
            ExitCode::FAILURE
        }
    }
}

/// `{code, message}`, plus the input `field` or the rule's `breach` when the desk names one.
fn error_json(err: &DeskError) -> Value {
    match err {
        DeskError::Store(inner) => {
            serde_json::to_value(inner).unwrap_or_else(|_| json!({"code": err.code(), "message": err.to_string()}))
        }
        _ => json!({"code": err.code(), "message": err.to_string()}),
    }
}

fn to_json(value: impl Serialize) -> Result<String, DeskError> {
    serde_json::to_string_pretty(&value).map_err(|err| frontdesk_device::Error::Storage(err.to_string()).into())
}

fn invalid(field: &str, message: impl Into<String>) -> DeskError {
    frontdesk_device::Error::InvalidInput { field: Some(field.to_owned()), message: message.into() }.into()
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

/// A room named by its number or its id.
async fn room_id(desk: &Desk, room: &str) -> Result<Uuid, DeskError> {
    if let Ok(id) = room.trim().parse::<Uuid>() {
        return Ok(id);
    }
    let catalog = desk.catalog().await?;
    catalog.rooms.iter().find(|r| r.number.eq_ignore_ascii_case(room.trim())).map(|r| r.id).ok_or_else(|| {
        frontdesk_device::Error::NotFound(format!("There is no room {} on this desk", room.trim())).into()
    })
}

/// `currency`, or the property's when none is given.
async fn currency(desk: &Desk, currency: &Option<String>) -> Result<String, DeskError> {
    match currency {
        Some(code) => Ok(code.clone()),
        None => Ok(desk.property().await?.currency),
    }
}

async fn command(desk: &Desk, cli: &Cli) -> Result<String, DeskError> {
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
        Command::Status => {
            let store = desk.store();
            let identity = desk.identity().await;
            to_json(json!({
                "enrolled": identity.is_some(),
                "server": identity.as_ref().map(|i| i.server_url.clone()),
                "device_id": identity.as_ref().map(|i| i.device_id),
                "queue": store.outbox_counts().await?,
                "open_conflicts": store.open_conflicts().await?.len(),
                "cursor": store.cursor().await?.map(|c| c.to_string()),
            }))
        }
        Command::SignedIn(command) => {
            sign_in(desk, cli).await?;
            signed_in(desk, command).await
        }
    }
}

async fn signed_in(desk: &Desk, command: &SignedIn) -> Result<String, DeskError> {
    match command {
        SignedIn::Sync { batch_size } => to_json(desk.sync_once(*batch_size).await?),
        SignedIn::SyncStatus => to_json(desk.sync_status().await?),
        SignedIn::SyncMetrics => to_json(desk.sync_metrics().await?),
        SignedIn::Queue { limit } => to_json(desk.outbox(*limit).await?),
        SignedIn::Retry { mutation } => to_json(desk.retry_mutation(*mutation).await?),
        SignedIn::SupersededEdits { limit } => to_json(desk.superseded_edits(*limit).await?),
        SignedIn::MarkSupersededSeen => to_json(desk.mark_superseded_seen().await?),
        SignedIn::Conflicts => to_json(desk.conflicts().await?),
        SignedIn::Resolve(resolve) => {
            let choice = resolution(desk, resolve).await?;
            to_json(desk.resolve_conflict(resolve.conflict, &choice).await?)
        }
        SignedIn::Settings => to_json(desk.settings().await?),
        SignedIn::SaveSettings { json } => {
            let settings: SyncSettings =
                serde_json::from_str(json).map_err(|err| invalid("sync", format!("not sync settings: {err}")))?;
            to_json(desk.save_settings(settings).await?)
        }
        SignedIn::History { entity, id } => to_json(desk.record_history(*entity, *id).await?),
        SignedIn::Import { file, format } => import(desk, file, *format).await,

        SignedIn::Catalog => to_json(desk.catalog().await?),
        SignedIn::Today => to_json(desk.today().await?),
        SignedIn::Reservations { text, statuses, from, to, offset, limit } => {
            let query = ReservationQuery {
                text: text.clone(),
                statuses: statuses.clone(),
                from: *from,
                to: *to,
                offset: *offset,
                limit: *limit,
            };
            to_json(desk.search_reservations(&query).await?)
        }
        SignedIn::Reservation { id } => to_json(desk.reservation(*id).await?),
        SignedIn::CreateReservation(stay) => to_json(desk.create_reservation(new_stay(desk, stay).await?).await?),
        SignedIn::WalkIn(stay) => to_json(desk.walk_in(new_stay(desk, stay).await?).await?),
        SignedIn::UpdateReservation {
            id,
            room_type,
            arrival,
            departure,
            adults,
            children,
            rate_code,
            source,
            add_requests,
            remove_requests,
            add_note,
        } => {
            let edit = ReservationEdit {
                guest_name: None,
                room_type_id: *room_type,
                arrival: *arrival,
                departure: *departure,
                adults: *adults,
                children: *children,
                rate_code: rate_code.clone(),
                source: source.clone(),
                add_requests: add_requests.clone(),
                remove_requests: remove_requests.clone(),
                add_note: add_note.clone(),
            };
            to_json(desk.update_reservation(*id, edit).await?)
        }
        SignedIn::FreeRooms { room_type, arrival, departure, moving } => {
            to_json(desk.free_rooms(*room_type, *arrival, *departure, *moving).await?)
        }
        SignedIn::AssignRoom { reservation, room } => {
            let room_id = match room {
                Some(room) => Some(room_id(desk, room).await?),
                None => None,
            };
            to_json(desk.assign_room(*reservation, room_id).await?)
        }
        SignedIn::Confirm { reservation } => to_json(desk.confirm_reservation(*reservation).await?),
        SignedIn::CheckIn { reservation } => to_json(desk.check_in(*reservation).await?),
        SignedIn::CheckOut { reservation } => to_json(desk.check_out(*reservation).await?),
        SignedIn::UndoCheckIn { reservation } => to_json(desk.undo_check_in(*reservation).await?),
        SignedIn::ReinstateCheckOut { reservation } => to_json(desk.reinstate_check_out(*reservation).await?),
        SignedIn::Cancel { reservation, reason } => {
            to_json(desk.cancel_reservation(*reservation, reason.as_deref()).await?)
        }
        SignedIn::NoShow { reservation } => to_json(desk.mark_no_show(*reservation).await?),
        SignedIn::TapeChart { from, days } => to_json(desk.tape_chart(*from, *days).await?),
        SignedIn::Guests { text } => to_json(desk.search_guests(text).await?),
        SignedIn::CreateGuest { first_name, last_name, email, phone, loyalty_number, preferences, tags, note } => {
            let guest = NewGuest {
                first_name: first_name.clone(),
                last_name: last_name.clone(),
                email: email.clone(),
                phone: phone.clone(),
                loyalty_number: loyalty_number.clone(),
                loyalty_tier: None,
                preferences: preferences.clone(),
                tags: tags.clone(),
                note: note.clone(),
            };
            to_json(desk.create_guest(guest).await?)
        }
        SignedIn::UpdateGuest {
            id,
            first_name,
            last_name,
            email,
            phone,
            loyalty_number,
            loyalty_tier,
            add_preferences,
            remove_preferences,
            add_tags,
            remove_tags,
            add_note,
        } => {
            // An empty value clears an optional field, as the profile form does.
            let clearable =
                |value: &Option<String>| value.as_ref().map(|v| Some(v.trim().to_owned()).filter(|v| !v.is_empty()));
            let edit = GuestEdit {
                first_name: first_name.clone(),
                last_name: last_name.clone(),
                email: clearable(email),
                phone: clearable(phone),
                loyalty_number: clearable(loyalty_number),
                loyalty_tier: clearable(loyalty_tier),
                add_preferences: add_preferences.clone(),
                remove_preferences: remove_preferences.clone(),
                add_tags: add_tags.clone(),
                remove_tags: remove_tags.clone(),
                add_note: add_note.clone(),
            };
            to_json(desk.update_guest(*id, edit).await?)
        }

        SignedIn::RoomBoard => to_json(desk.room_board().await?),
        SignedIn::SetRoomStatus { room, cleaning } => {
            to_json(desk.set_room_status(room_id(desk, room).await?, *cleaning).await?)
        }
        SignedIn::SetRoomAvailability { room, availability, from, until, reason } => {
            let block = RoomBlock { availability: *availability, from: *from, until: *until, reason: reason.clone() };
            to_json(desk.set_room_availability(room_id(desk, room).await?, block).await?)
        }
        SignedIn::MyTasks => to_json(desk.my_tasks().await?),
        SignedIn::UnassignedTasks => to_json(desk.unassigned_tasks().await?),
        SignedIn::MakeHousekeepingDay => to_json(desk.make_housekeeping_day().await?),
        SignedIn::TakeTask { task } => to_json(desk.take_task(*task).await?),
        SignedIn::CreateTask { room, kind, assignee, priority, note } => {
            let input = NewTask {
                room_id: room_id(desk, room).await?,
                kind: *kind,
                assignee_id: *assignee,
                priority: *priority,
                note: note.clone(),
            };
            to_json(desk.create_task(input).await?)
        }
        SignedIn::AssignTask { task, assignee } => to_json(desk.assign_task(*task, *assignee).await?),
        SignedIn::ProgressTask { task, to } => to_json(desk.progress_task(*task, *to).await?),
        SignedIn::RoomsToClear => to_json(desk.rooms_to_clear().await?),
        SignedIn::MaintenanceReports => to_json(desk.maintenance_reports().await?),
        SignedIn::ReportMaintenance { room, description, severity, out_of_order, until } => {
            let input = NewMaintenanceReport {
                room_id: room_id(desk, room).await?,
                description: description.clone(),
                severity: *severity,
                out_of_order: out_of_order.then_some(OutOfOrder { until: *until }),
            };
            to_json(desk.report_maintenance(input).await?)
        }
        SignedIn::ProgressMaintenance { report, to, note } => {
            to_json(desk.progress_maintenance(*report, *to, note.as_deref()).await?)
        }
        SignedIn::ServiceRequests => to_json(desk.service_requests().await?),
        SignedIn::CreateServiceRequest { room, kind, text } => {
            let input =
                NewServiceRequest { room_id: room_id(desk, room).await?, kind: kind.clone(), text: text.clone() };
            to_json(desk.create_service_request(input).await?)
        }
        SignedIn::ProgressServiceRequest { request, to } => {
            to_json(desk.progress_service_request(*request, *to).await?)
        }
        SignedIn::Inventory => to_json(desk.inventory_items().await?),
        SignedIn::CreateInventoryItem { sku, name, location, quantity } => {
            let input = NewInventoryItem {
                sku: sku.clone(),
                name: name.clone(),
                location: location.clone(),
                quantity: *quantity,
            };
            to_json(desk.create_inventory_item(input).await?)
        }
        SignedIn::AdjustInventory { item, delta } => to_json(desk.adjust_inventory(*item, *delta).await?),

        SignedIn::Folio { reservation } => to_json(desk.folio(*reservation).await?),
        SignedIn::PostCharge {
            reservation,
            amount,
            currency: code,
            code: charge_code,
            description,
            quantity,
            window,
        } => {
            let charge = NewCharge {
                reservation_id: *reservation,
                amount_minor: *amount,
                currency: currency(desk, code).await?,
                code: charge_code.clone(),
                description: description.clone(),
                quantity: *quantity,
                window: *window,
            };
            to_json(desk.post_charge(charge).await?)
        }
        SignedIn::PostPayment { reservation, amount, currency: code, method, description, window } => {
            let payment = NewPayment {
                reservation_id: *reservation,
                amount_minor: *amount,
                currency: currency(desk, code).await?,
                method: *method,
                description: description.clone(),
                window: *window,
            };
            to_json(desk.post_payment(payment).await?)
        }
        SignedIn::ReversePosting { posting, reason } => to_json(desk.reverse_posting(*posting, reason).await?),
        SignedIn::PosOrders => to_json(desk.pos_orders().await?),
        SignedIn::OpenPosOrder { outlet, currency: code, reservation } => {
            let order = NewPosOrder {
                outlet: outlet.clone(),
                currency: currency(desk, code).await?,
                reservation_id: *reservation,
            };
            to_json(desk.open_pos_order(order).await?)
        }
        SignedIn::AddPosLine { order, item, quantity, unit_price } => {
            let line = NewPosLine { item: item.clone(), quantity: *quantity, unit_price_minor: *unit_price };
            to_json(desk.add_pos_line(*order, line).await?)
        }
        SignedIn::PostPosOrder { order, reservation } => to_json(desk.post_pos_order(*order, *reservation).await?),
        SignedIn::PayPosOrder { order, method } => to_json(desk.pay_pos_order(*order, *method).await?),
    }
}

/// The reservation the flags describe.
async fn new_stay(desk: &Desk, stay: &NewStay) -> Result<NewReservation, DeskError> {
    let room_id = match &stay.room {
        Some(room) => Some(room_id(desk, room).await?),
        None => None,
    };
    Ok(NewReservation {
        guest_id: stay.guest,
        guest_name: None,
        room_type_id: stay.room_type,
        room_id,
        arrival: stay.arrival,
        departure: stay.departure,
        adults: stay.adults,
        children: stay.children,
        rate_code: stay.rate_code.clone(),
        source: stay.source.clone(),
        special_requests: stay.requests.clone(),
        note: stay.note.clone(),
        confirmed: !stay.tentative,
    })
}

/// The resolution the flags describe.
async fn resolution(desk: &Desk, resolve: &Resolve) -> Result<ResolutionChoice, DeskError> {
    Ok(match (resolve.keep, resolve.pick.is_empty(), resolve.value.is_empty(), &resolve.move_to_room) {
        (Some(Keep::Device), ..) => ResolutionChoice::KeepDevice {},
        (Some(Keep::Server), ..) => ResolutionChoice::KeepServer {},
        (None, false, _, _) => ResolutionChoice::PerField { pick: resolve.pick.iter().cloned().collect() },
        (None, true, false, _) => ResolutionChoice::Custom { values: resolve.value.iter().cloned().collect() },
        (None, true, true, Some(room)) => ResolutionChoice::MoveStay { room_id: room_id(desk, room).await? },
        (None, true, true, None) => {
            return Err(invalid(
                "resolution",
                "Say how to settle it: --keep device|server, --pick field=device|server, --value field=JSON or --move-to-room",
            ));
        }
    })
}

async fn import(desk: &Desk, file: &std::path::Path, format: FormatChoice) -> Result<String, DeskError> {
    let session = desk.session().await?;
    let store = desk.store();
    let text = frontdesk_device::import::read_text(file)?;
    let format = match format {
        FormatChoice::Auto => ImportFormat::detect(&text),
        FormatChoice::Exchange => ImportFormat::Exchange,
        FormatChoice::Records => ImportFormat::Records,
    };
    let report = match format {
        ImportFormat::Exchange => {
            let imported = store.import_exchange(&session, &text).await.map_err(|err| match err {
                frontdesk_device::Error::InvalidInput { field, message } => frontdesk_device::Error::InvalidInput {
                    field,
                    message: format!("{}, {message}; nothing was imported", file.display()),
                },
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
