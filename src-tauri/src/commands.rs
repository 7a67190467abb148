//! The commands the UI can invoke, mirrored one for one by the wrappers in `ui/src/api.ts`
//! and listed in `docs/ui-commands.md`.
//!
//! Each is an adapter of a few lines: take the state, call one method of the desk
//! (`frontdesk_device::desk::Desk`), map the error. The desk applies the stale-data
//! policies and announces what changed; `events.rs` forwards that to every window as
//! `data-changed`.

use chrono::NaiveDate;
use frontdesk_device::queries::RoomToClear;
use frontdesk_device::screens::{
    Catalog, ConflictView, NamedHistoryEntry, OutboxView, ReservationPage, ReservationQuery, SessionState,
    SettingsView, SupersededView, SyncMetricsView, SyncView, TapeChart, Today,
};
use frontdesk_device::sync::SyncSettings;
use frontdesk_device::{
    Folio, GuestEdit, NewCharge, NewGuest, NewInventoryItem, NewMaintenanceReport, NewPayment, NewPosLine, NewPosOrder,
    NewReservation, NewServiceRequest, ReservationEdit, RoomBlock, RoomBoardEntry,
};
use serde::Serialize;
use sync_core::conflict::ResolutionChoice;
use sync_core::domain::{
    Cleaning, FolioPosting, Guest, HousekeepingTask, InventoryItem, MaintenanceReport, MaintenanceStatus,
    PaymentMethod, PosOrder, RequestStatus, Reservation, Room, ServiceRequest, TaskStatus,
};
use sync_core::invariants::FreeRoom;
use sync_core::schema::EntityKind;
use tauri::{AppHandle, State};
use uuid::Uuid;

use crate::error::AppError;
use crate::events;
use crate::state::AppState;
use crate::updates::{self, UpdateStatus, Updates};

type Reply<T> = Result<T, AppError>;

/// What this build is, as the UI shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    /// Product name shown to the receptionist.
    pub name: &'static str,
    /// Version of the desktop app, from Cargo.toml.
    pub version: &'static str,
    /// Version of the sync wire protocol this build speaks.
    pub protocol_version: u16,
}

impl AppInfo {
    /// The information of the running build.
    pub fn current() -> Self {
        Self { name: "Frontdesk", version: env!("CARGO_PKG_VERSION"), protocol_version: sync_core::PROTOCOL_VERSION }
    }
}

/// `SessionState` plus the failure of startup provisioning, if any (extra key; the UI's
/// enroll screen is where a person then enrolls by hand).
#[derive(Debug, Clone, Serialize)]
pub struct SessionReply {
    #[serde(flatten)]
    pub state: SessionState,
    pub provisioning_error: Option<AppError>,
}

/// Returns the product name, the app version and the sync protocol version.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo::current()
}

// ---- App and session ------------------------------------------------------------------

#[tauri::command]
pub async fn session_state(state: State<'_, AppState>) -> Reply<SessionReply> {
    let provisioning_error = state.provisioning_error().await;
    Ok(SessionReply { state: state.desk.session_state().await?, provisioning_error })
}

#[tauri::command]
pub async fn enroll(
    state: State<'_, AppState>,
    server_url: String,
    code: String,
    device_name: String,
) -> Reply<SessionReply> {
    crate::provision::enroll(&state.desk, &server_url, &code, &device_name).await?;
    session_state(state).await
}

#[tauri::command]
pub async fn sign_in(
    app: AppHandle,
    state: State<'_, AppState>,
    username: String,
    password: String,
) -> Reply<SessionReply> {
    state.desk.sign_in(&username, &password).await?;
    events::emit_status(&app).await;
    session_state(state).await
}

#[tauri::command]
pub async fn sign_out(app: AppHandle, state: State<'_, AppState>) -> Reply<SessionReply> {
    state.desk.sign_out().await;
    events::emit_status(&app).await;
    session_state(state).await
}

#[tauri::command]
pub async fn catalog(state: State<'_, AppState>) -> Reply<Catalog> {
    Ok(state.desk.catalog().await?)
}

// ---- Reservations ---------------------------------------------------------------------

/// The in-house stays `today` sends at most: the whole house of most hotels. A larger
/// house, or a store holding more (the 50,000-stay benchmark has 9,985 stays never checked
/// out), gets the first ones by name and the count; the reservations list, filtered to
/// checked-in stays, pages through them all. Sending and listing all 9,985 made the web
/// view hold 1.5 to 3 GB (`scripts/measure-app-memory.sh`).
pub const IN_HOUSE_SHOWN: usize = 200;

/// `Today` with `in_house` cut to its first [`IN_HOUSE_SHOWN`] stays by name, plus how
/// many stays are in house in all (extra key).
#[derive(Debug, Clone, Serialize)]
pub struct TodayReply {
    #[serde(flatten)]
    pub today: Today,
    pub in_house_total: usize,
}

impl TodayReply {
    pub fn of(mut today: Today) -> Self {
        let in_house_total = today.in_house.len();
        today.in_house.truncate(IN_HOUSE_SHOWN);
        today.in_house.shrink_to_fit();
        TodayReply { today, in_house_total }
    }
}

#[tauri::command]
pub async fn today(state: State<'_, AppState>) -> Reply<TodayReply> {
    Ok(TodayReply::of(state.desk.today().await?))
}

#[tauri::command]
pub async fn search_reservations(state: State<'_, AppState>, query: ReservationQuery) -> Reply<ReservationPage> {
    Ok(state.desk.search_reservations(&query).await?)
}

#[tauri::command]
pub async fn get_reservation(state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    Ok(state.desk.reservation(id).await?)
}

#[tauri::command]
pub async fn create_reservation(state: State<'_, AppState>, input: NewReservation) -> Reply<Reservation> {
    Ok(state.desk.create_reservation(input).await?)
}

#[tauri::command]
pub async fn update_reservation(state: State<'_, AppState>, id: Uuid, edit: ReservationEdit) -> Reply<Reservation> {
    Ok(state.desk.update_reservation(id, edit).await?)
}

#[tauri::command]
pub async fn free_rooms(
    state: State<'_, AppState>,
    room_type_id: Uuid,
    arrival: NaiveDate,
    departure: NaiveDate,
    moving: Option<Uuid>,
) -> Reply<Vec<FreeRoom>> {
    Ok(state.desk.free_rooms(room_type_id, arrival, departure, moving).await?)
}

#[tauri::command]
pub async fn assign_room(state: State<'_, AppState>, id: Uuid, room_id: Option<Uuid>) -> Reply<Reservation> {
    Ok(state.desk.assign_room(id, room_id).await?)
}

#[tauri::command]
pub async fn check_in(state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    Ok(state.desk.check_in(id).await?)
}

/// A walk-in in one step: created and checked in, or nothing written.
#[tauri::command]
pub async fn walk_in(state: State<'_, AppState>, input: NewReservation) -> Reply<Reservation> {
    Ok(state.desk.walk_in(input).await?)
}

#[tauri::command]
pub async fn check_out(state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    Ok(state.desk.check_out(id).await?)
}

/// Undoes a check-in made by mistake (arrival day, nothing owed): confirmed again,
/// the room vacant.
#[tauri::command]
pub async fn undo_check_in(state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    Ok(state.desk.undo_check_in(id).await?)
}

/// Reinstates a check-out made by mistake while the stay runs and its room is free.
#[tauri::command]
pub async fn reinstate_check_out(state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    Ok(state.desk.reinstate_check_out(id).await?)
}

#[tauri::command]
pub async fn cancel_reservation(state: State<'_, AppState>, id: Uuid, reason: Option<String>) -> Reply<Reservation> {
    Ok(state.desk.cancel_reservation(id, reason.as_deref()).await?)
}

#[tauri::command]
pub async fn mark_no_show(state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    Ok(state.desk.mark_no_show(id).await?)
}

#[tauri::command]
pub async fn tape_chart(state: State<'_, AppState>, from: NaiveDate, days: u32) -> Reply<TapeChart> {
    Ok(state.desk.tape_chart(from, days).await?)
}

// ---- Rooms and housekeeping -------------------------------------------------------------

#[tauri::command]
pub async fn room_board(state: State<'_, AppState>) -> Reply<Vec<RoomBoardEntry>> {
    Ok(state.desk.room_board().await?)
}

#[tauri::command]
pub async fn set_room_status(state: State<'_, AppState>, room_id: Uuid, cleaning: Cleaning) -> Reply<Room> {
    Ok(state.desk.set_room_status(room_id, cleaning).await?)
}

/// Takes a room out of order or out of service for some nights (refused when a stay
/// holds it then), or makes it available again.
#[tauri::command]
pub async fn set_room_availability(state: State<'_, AppState>, room_id: Uuid, block: RoomBlock) -> Reply<Room> {
    Ok(state.desk.set_room_availability(room_id, block).await?)
}

#[tauri::command]
pub async fn my_tasks(state: State<'_, AppState>) -> Reply<Vec<HousekeepingTask>> {
    Ok(state.desk.my_tasks().await?)
}

/// Rooms reported out of order whose stays the front desk must move first.
#[tauri::command]
pub async fn rooms_to_clear(state: State<'_, AppState>) -> Reply<Vec<RoomToClear>> {
    Ok(state.desk.rooms_to_clear().await?)
}

/// Open tasks nobody has taken yet, most urgent first.
#[tauri::command]
pub async fn unassigned_tasks(state: State<'_, AppState>) -> Reply<Vec<HousekeepingTask>> {
    Ok(state.desk.unassigned_tasks().await?)
}

/// Makes the housekeeping day's tasks (departures, stay-overs, arrivals); answers those made now.
#[tauri::command]
pub async fn make_housekeeping_day(state: State<'_, AppState>) -> Reply<Vec<HousekeepingTask>> {
    Ok(state.desk.make_housekeeping_day().await?)
}

/// The signed-in housekeeper takes a task nobody has taken.
#[tauri::command]
pub async fn take_task(state: State<'_, AppState>, task_id: Uuid) -> Reply<HousekeepingTask> {
    Ok(state.desk.take_task(task_id).await?)
}

#[tauri::command]
pub async fn progress_task(state: State<'_, AppState>, task_id: Uuid, to: TaskStatus) -> Reply<HousekeepingTask> {
    Ok(state.desk.progress_task(task_id, to).await?)
}

// ---- Folio ------------------------------------------------------------------------------

#[tauri::command]
pub async fn folio(state: State<'_, AppState>, reservation_id: Uuid) -> Reply<Folio> {
    Ok(state.desk.folio(reservation_id).await?)
}

#[tauri::command]
pub async fn post_charge(state: State<'_, AppState>, input: NewCharge) -> Reply<FolioPosting> {
    Ok(state.desk.post_charge(input).await?)
}

#[tauri::command]
pub async fn post_payment(state: State<'_, AppState>, input: NewPayment) -> Reply<FolioPosting> {
    Ok(state.desk.post_payment(input).await?)
}

#[tauri::command]
pub async fn reverse_posting(state: State<'_, AppState>, posting_id: Uuid, reason: String) -> Reply<FolioPosting> {
    Ok(state.desk.reverse_posting(posting_id, &reason).await?)
}

// ---- Guests -----------------------------------------------------------------------------

#[tauri::command]
pub async fn search_guests(state: State<'_, AppState>, text: String) -> Reply<Vec<Guest>> {
    Ok(state.desk.search_guests(&text).await?)
}

#[tauri::command]
pub async fn create_guest(state: State<'_, AppState>, input: NewGuest) -> Reply<Guest> {
    Ok(state.desk.create_guest(input).await?)
}

#[tauri::command]
pub async fn update_guest(state: State<'_, AppState>, id: Uuid, edit: GuestEdit) -> Reply<Guest> {
    Ok(state.desk.update_guest(id, edit).await?)
}

// ---- Maintenance, service requests, POS, inventory --------------------------------------

#[tauri::command]
pub async fn maintenance_reports(state: State<'_, AppState>) -> Reply<Vec<MaintenanceReport>> {
    Ok(state.desk.maintenance_reports().await?)
}

#[tauri::command]
pub async fn report_maintenance(state: State<'_, AppState>, input: NewMaintenanceReport) -> Reply<MaintenanceReport> {
    Ok(state.desk.report_maintenance(input).await?)
}

#[tauri::command]
pub async fn progress_maintenance(
    state: State<'_, AppState>,
    id: Uuid,
    to: MaintenanceStatus,
) -> Reply<MaintenanceReport> {
    Ok(state.desk.progress_maintenance(id, to, None).await?)
}

#[tauri::command]
pub async fn service_requests(state: State<'_, AppState>) -> Reply<Vec<ServiceRequest>> {
    Ok(state.desk.service_requests().await?)
}

#[tauri::command]
pub async fn create_service_request(state: State<'_, AppState>, input: NewServiceRequest) -> Reply<ServiceRequest> {
    Ok(state.desk.create_service_request(input).await?)
}

#[tauri::command]
pub async fn progress_service_request(
    state: State<'_, AppState>,
    id: Uuid,
    to: RequestStatus,
) -> Reply<ServiceRequest> {
    Ok(state.desk.progress_service_request(id, to).await?)
}

#[tauri::command]
pub async fn pos_orders(state: State<'_, AppState>) -> Reply<Vec<PosOrder>> {
    Ok(state.desk.pos_orders().await?)
}

#[tauri::command]
pub async fn open_pos_order(state: State<'_, AppState>, input: NewPosOrder) -> Reply<PosOrder> {
    Ok(state.desk.open_pos_order(input).await?)
}

#[tauri::command]
pub async fn add_pos_line(state: State<'_, AppState>, order_id: Uuid, line: NewPosLine) -> Reply<PosOrder> {
    Ok(state.desk.add_pos_line(order_id, line).await?)
}

#[tauri::command]
pub async fn post_pos_order(state: State<'_, AppState>, order_id: Uuid, reservation_id: Uuid) -> Reply<PosOrder> {
    Ok(state.desk.post_pos_order(order_id, reservation_id).await?)
}

/// Pays an order at the outlet (the outlet's till takes the money).
#[tauri::command]
pub async fn pay_pos_order(state: State<'_, AppState>, order_id: Uuid, method: PaymentMethod) -> Reply<PosOrder> {
    Ok(state.desk.pay_pos_order(order_id, method).await?)
}

#[tauri::command]
pub async fn inventory_items(state: State<'_, AppState>) -> Reply<Vec<InventoryItem>> {
    Ok(state.desk.inventory_items().await?)
}

/// Adds an item to the stock list (linen, minibar stock...), with its first count.
#[tauri::command]
pub async fn create_inventory_item(state: State<'_, AppState>, input: NewInventoryItem) -> Reply<InventoryItem> {
    Ok(state.desk.create_inventory_item(input).await?)
}

#[tauri::command]
pub async fn adjust_inventory(state: State<'_, AppState>, item_id: Uuid, delta: i64) -> Reply<InventoryItem> {
    Ok(state.desk.adjust_inventory(item_id, delta).await?)
}

// ---- History and settings ---------------------------------------------------------------

#[tauri::command]
pub async fn record_history(
    state: State<'_, AppState>,
    entity: EntityKind,
    record_id: Uuid,
) -> Reply<Vec<NamedHistoryEntry>> {
    Ok(state.desk.record_history(entity, record_id).await?)
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Reply<SettingsView> {
    Ok(state.desk.settings().await?)
}

#[tauri::command]
pub async fn save_settings(app: AppHandle, state: State<'_, AppState>, sync: SyncSettings) -> Reply<SettingsView> {
    let settings = state.desk.save_settings(sync).await?;
    events::emit_status(&app).await;
    Ok(settings)
}

// ---- Sync -------------------------------------------------------------------------------

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Reply<SyncView> {
    Ok(state.desk.sync_status().await?)
}

#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Reply<()> {
    Ok(state.desk.sync_now().await?)
}

#[tauri::command]
pub async fn outbox(state: State<'_, AppState>, limit: u32) -> Reply<OutboxView> {
    Ok(state.desk.outbox(limit).await?)
}

#[tauri::command]
pub async fn retry_mutation(app: AppHandle, state: State<'_, AppState>, mutation_id: Uuid) -> Reply<()> {
    state.desk.retry_mutation(mutation_id).await?;
    events::emit_status(&app).await;
    Ok(())
}

/// The signed-in user's edits that lost a merge to another desk's, newest first.
#[tauri::command]
pub async fn superseded_edits(state: State<'_, AppState>, limit: u32) -> Reply<Vec<SupersededView>> {
    Ok(state.desk.superseded_edits(limit).await?)
}

/// The signed-in user has seen their superseded edits: the notice goes away.
#[tauri::command]
pub async fn mark_superseded_seen(state: State<'_, AppState>) -> Reply<u64> {
    Ok(state.desk.mark_superseded_seen().await?)
}

#[tauri::command]
pub async fn conflicts(state: State<'_, AppState>) -> Reply<Vec<ConflictView>> {
    Ok(state.desk.conflicts().await?)
}

#[tauri::command]
pub async fn resolve_conflict(
    state: State<'_, AppState>,
    conflict_id: Uuid,
    resolution: ResolutionChoice,
) -> Reply<()> {
    state.desk.resolve_conflict(conflict_id, &resolution).await?;
    Ok(())
}

#[tauri::command]
pub async fn sync_metrics(state: State<'_, AppState>) -> Reply<SyncMetricsView> {
    Ok(state.desk.sync_metrics().await?)
}

// ---- Updates of the app ---------------------------------------------------------------------

#[tauri::command]
pub async fn update_status(app: AppHandle, updates: State<'_, Updates>) -> Reply<UpdateStatus> {
    Ok(updates.status(&app).await)
}

#[tauri::command]
pub async fn check_for_update(app: AppHandle) -> Reply<UpdateStatus> {
    updates::check_now(&app).await.map_err(AppError::internal)
}

/// Installs the offered version and restarts into it; answers only when that failed.
/// Someone signed in chooses it: the desk restarts under them.
#[tauri::command]
pub async fn install_update(app: AppHandle, state: State<'_, AppState>) -> Reply<()> {
    state.session().await?;
    updates::install(&app).await.map_err(AppError::internal)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn app_info_serialises_in_camel_case_with_the_protocol_of_sync_core() {
        let json = serde_json::to_value(app_info()).expect("AppInfo has only plain fields");
        assert_eq!(
            json,
            json!({
                "name": "Frontdesk",
                "version": env!("CARGO_PKG_VERSION"),
                "protocolVersion": sync_core::PROTOCOL_VERSION,
            }),
            "ui/src/api.ts reads exactly these camelCase fields"
        );
    }

    /// Decodes one argument the way Tauri does: the value under the camelCase key.
    fn arg<T: DeserializeOwned>(args: &Value, key: &str) -> T {
        serde_json::from_value(args[key].clone()).unwrap_or_else(|err| panic!("argument {key}: {err}"))
    }

    #[test]
    fn create_reservation_decodes_the_ui_input_in_snake_case() {
        // As ui/src/api.test.ts sends it.
        let args = json!({"input": {
            "guest_id": "0190f0a0-0000-7000-8000-000000000001", "guest_name": null,
            "room_type_id": "0190f0a0-0000-7000-8000-000000000002", "room_id": null,
            "arrival": "2026-11-23", "departure": "2026-11-25", "adults": 2, "children": 0,
            "rate_code": "BAR", "source": "walk_in", "special_requests": ["quiet"], "note": null, "confirmed": true,
        }});
        let input: NewReservation = arg(&args, "input");
        assert_eq!(input.departure, NaiveDate::from_ymd_opt(2026, 11, 25).expect("a day"));
        assert_eq!(input.special_requests, vec!["quiet".to_owned()]);
    }

    #[test]
    fn a_reservation_query_decodes_statuses_dates_and_window() {
        let args = json!({"query": {
            "text": "john", "statuses": ["confirmed", "checked_in"], "from": "2026-11-01", "to": null,
            "offset": 200, "limit": 200,
        }});
        let query: ReservationQuery = arg(&args, "query");
        assert_eq!(query.statuses.len(), 2);
        assert_eq!((query.offset, query.limit, query.to), (200, 200, None));
    }

    #[test]
    fn a_partial_edit_leaves_absent_keys_unset() {
        let edit: ReservationEdit = arg(&json!({"edit": {"adults": 3}}), "edit");
        assert_eq!(edit, ReservationEdit { adults: Some(3), ..ReservationEdit::default() });
        let guest: GuestEdit = arg(&json!({"edit": {"email": null}}), "edit");
        assert_ne!(guest, GuestEdit::default(), "email: null clears the email, unlike an absent key");
    }

    #[test]
    fn resolution_choices_and_settings_decode_as_the_ui_sends_them() {
        let choice: ResolutionChoice =
            arg(&json!({"resolution": {"choice": "per_field", "pick": {"email": "server"}}}), "resolution");
        assert!(matches!(choice, ResolutionChoice::PerField { .. }));
        let mut settings = serde_json::to_value(SyncSettings::default()).expect("serialise");
        settings["pull_interval"] = json!(15);
        let sync: SyncSettings = arg(&json!({"sync": settings}), "sync");
        assert_eq!(sync.pull_interval.as_secs(), 15, "pull_interval crosses in seconds");
    }

    #[test]
    fn small_arguments_decode_from_their_wire_forms() {
        #[derive(Deserialize)]
        struct Args {
            cleaning: Cleaning,
            to: TaskStatus,
            entity: EntityKind,
            method: PaymentMethod,
        }
        let args: Args = serde_json::from_value(json!({
            "cleaning": "inspected", "to": "in_progress", "entity": "folio_posting", "method": "cash",
        }))
        .expect("snake_case wire names");
        assert_eq!(args.cleaning, Cleaning::Inspected);
        assert_eq!(args.to, TaskStatus::InProgress);
        assert_eq!(args.entity, EntityKind::FolioPosting);
        assert_eq!(args.method, PaymentMethod::Cash);
        let block: RoomBlock = arg(
            &json!({"block": {"availability": "out_of_order", "from": "2026-03-14", "until": null, "reason": "Leak"}}),
            "block",
        );
        assert_eq!(block.availability, sync_core::domain::Availability::OutOfOrder);
        assert_eq!(block.until, None, "open-ended");
    }

    #[test]
    fn session_reply_flattens_the_session_state() {
        let reply = SessionReply { state: SessionState { device: None, user: None }, provisioning_error: None };
        let json = serde_json::to_value(reply).expect("serialise");
        assert_eq!(json, json!({"device": null, "user": null, "provisioning_error": null}));
    }

    #[test]
    fn today_sends_at_most_the_first_in_house_stays_and_their_count() {
        let stay = |n: usize| -> Reservation {
            serde_json::from_value(json!({
                "id": format!("0190f0a0-0000-7000-8000-{n:012}"), "property_id": "0190f0a0-0000-7000-8000-000000000001",
                "guest_id": "0190f0a0-0000-7000-8000-000000000002", "guest_name": format!("Guest {n:05}"),
                "room_type_id": "0190f0a0-0000-7000-8000-000000000003", "room_id": null,
                "confirmation": format!("H-2026-{n:04}"), "arrival": "2026-11-20", "departure": "2026-11-25",
                "adults": 1, "children": 0, "rate_code": "BAR", "source": "direct",
                "special_requests": [], "notes": [], "status": "checked_in",
            }))
            .expect("a reservation")
        };
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a day");
        let many: Vec<Reservation> = (0..IN_HOUSE_SHOWN + 20).map(stay).collect();
        let today = Today { business_date: day, arrivals: vec![], departures: vec![many[3].clone()], in_house: many };
        let reply = TodayReply::of(today);
        assert_eq!(reply.in_house_total, IN_HOUSE_SHOWN + 20);
        assert_eq!(reply.today.in_house.len(), IN_HOUSE_SHOWN);
        assert_eq!(reply.today.in_house[0].guest_name, "Guest 00000", "the first ones, in the order given (by name)");
        assert_eq!(reply.today.departures.len(), 1, "arrivals and departures are not cut");

        let json = serde_json::to_value(TodayReply::of(Today {
            business_date: day,
            arrivals: vec![],
            departures: vec![],
            in_house: vec![stay(1)],
        }))
        .expect("serialise");
        assert_eq!(json["in_house_total"], 1, "ui/src/api.ts Today reads in_house_total beside the lists");
        assert_eq!(json["business_date"], "2026-11-23");
        assert_eq!(json["in_house"].as_array().map(Vec::len), Some(1));
    }
}
