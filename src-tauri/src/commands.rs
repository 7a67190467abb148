//! The commands the UI can invoke, mirrored one for one by the wrappers in `ui/src/api.ts`
//! and listed in `docs/ui-commands.md`.
//!
//! Each is an adapter of a few lines: take the state, call one function of the device
//! crate, map the error. Commands that change data tell every window afterwards
//! (`data-changed`), and the operations named by the stale-data policies ask
//! [`AppState::session_for`] first.

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
use crate::events::{self, ConflictsChanged, names};
use crate::state::AppState;
use crate::updates::{self, UpdateStatus, Updates};

type Reply<T> = Result<T, AppError>;

use EntityKind as K;

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
    let session = state.session().await?;
    Ok(state.store().catalog(session.property_id, session.today).await?)
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
    let session = state.session().await?;
    Ok(TodayReply::of(state.store().today(session.today).await?))
}

#[tauri::command]
pub async fn search_reservations(state: State<'_, AppState>, query: ReservationQuery) -> Reply<ReservationPage> {
    state.session().await?;
    Ok(state.store().reservation_page(&query).await?)
}

#[tauri::command]
pub async fn get_reservation(state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    state.session().await?;
    Ok(state.store().reservation(id).await?)
}

#[tauri::command]
pub async fn create_reservation(
    app: AppHandle,
    state: State<'_, AppState>,
    input: NewReservation,
) -> Reply<Reservation> {
    let session = state.session_for("create_reservation").await?;
    let stay = state.store().create_reservation(&session, input).await?;
    events::local_change(&app, &[K::Reservation, K::Guest]).await;
    Ok(stay)
}

#[tauri::command]
pub async fn update_reservation(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Uuid,
    edit: ReservationEdit,
) -> Reply<Reservation> {
    let session = state.session().await?;
    let stay = state.store().edit_reservation(&session, id, edit).await?;
    events::local_change(&app, &[K::Reservation]).await;
    Ok(stay)
}

#[tauri::command]
pub async fn free_rooms(
    state: State<'_, AppState>,
    room_type_id: Uuid,
    arrival: NaiveDate,
    departure: NaiveDate,
    moving: Option<Uuid>,
) -> Reply<Vec<FreeRoom>> {
    state.session().await?;
    Ok(state.store().free_rooms(room_type_id, arrival, departure, moving).await?)
}

#[tauri::command]
pub async fn assign_room(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Uuid,
    room_id: Option<Uuid>,
) -> Reply<Reservation> {
    let session = state.session_for("assign_room").await?;
    let stay = state.store().assign_room(&session, id, room_id).await?;
    events::local_change(&app, &[K::Reservation]).await;
    Ok(stay)
}

#[tauri::command]
pub async fn check_in(app: AppHandle, state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    let session = state.session_for("check_in").await?;
    let stay = state.store().check_in(&session, id).await?;
    events::local_change(&app, &[K::Reservation, K::Room]).await;
    Ok(stay)
}

/// A walk-in in one step: created and checked in, or nothing written.
#[tauri::command]
pub async fn walk_in(app: AppHandle, state: State<'_, AppState>, input: NewReservation) -> Reply<Reservation> {
    let session = state.session_for("check_in").await?;
    let stay = state.store().walk_in(&session, input).await?;
    events::local_change(&app, &[K::Reservation, K::Room]).await;
    Ok(stay)
}

#[tauri::command]
pub async fn check_out(app: AppHandle, state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    let session = state.session_for("check_out").await?;
    let stay = state.store().check_out(&session, id).await?;
    events::local_change(&app, &[K::Reservation, K::Room, K::HousekeepingTask]).await;
    Ok(stay)
}

/// Undoes a check-in made by mistake (arrival day, nothing owed): confirmed again,
/// the room vacant.
#[tauri::command]
pub async fn undo_check_in(app: AppHandle, state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    let session = state.session_for("check_in").await?;
    let stay = state.store().undo_check_in(&session, id).await?;
    events::local_change(&app, &[K::Reservation, K::Room]).await;
    Ok(stay)
}

/// Reinstates a check-out made by mistake while the stay runs and its room is free.
#[tauri::command]
pub async fn reinstate_check_out(app: AppHandle, state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    let session = state.session_for("check_out").await?;
    let stay = state.store().reinstate_check_out(&session, id).await?;
    events::local_change(&app, &[K::Reservation, K::Room]).await;
    Ok(stay)
}

#[tauri::command]
pub async fn cancel_reservation(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Uuid,
    reason: Option<String>,
) -> Reply<Reservation> {
    let session = state.session().await?;
    let stay = state.store().cancel_reservation(&session, id, reason.as_deref()).await?;
    events::local_change(&app, &[K::Reservation]).await;
    Ok(stay)
}

#[tauri::command]
pub async fn mark_no_show(app: AppHandle, state: State<'_, AppState>, id: Uuid) -> Reply<Reservation> {
    let session = state.session().await?;
    let stay = state.store().mark_no_show(&session, id).await?;
    events::local_change(&app, &[K::Reservation]).await;
    Ok(stay)
}

#[tauri::command]
pub async fn tape_chart(state: State<'_, AppState>, from: NaiveDate, days: u32) -> Reply<TapeChart> {
    state.session().await?;
    Ok(state.store().tape_chart(from, days).await?)
}

// ---- Rooms and housekeeping -------------------------------------------------------------

#[tauri::command]
pub async fn room_board(state: State<'_, AppState>) -> Reply<Vec<RoomBoardEntry>> {
    state.session().await?;
    Ok(state.store().room_board().await?)
}

#[tauri::command]
pub async fn set_room_status(
    app: AppHandle,
    state: State<'_, AppState>,
    room_id: Uuid,
    cleaning: Cleaning,
) -> Reply<Room> {
    let session = state.session_for("change_room_status").await?;
    let room = state.store().set_room_cleaning(&session, room_id, cleaning).await?;
    events::local_change(&app, &[K::Room]).await;
    Ok(room)
}

/// Takes a room out of order or out of service for some nights (refused when a stay
/// holds it then), or makes it available again.
#[tauri::command]
pub async fn set_room_availability(
    app: AppHandle,
    state: State<'_, AppState>,
    room_id: Uuid,
    block: RoomBlock,
) -> Reply<Room> {
    let session = state.session_for("change_room_status").await?;
    let room = state.store().set_room_availability(&session, room_id, block).await?;
    events::local_change(&app, &[K::Room]).await;
    Ok(room)
}

#[tauri::command]
pub async fn my_tasks(state: State<'_, AppState>) -> Reply<Vec<HousekeepingTask>> {
    let session = state.session().await?;
    Ok(state.store().tasks_for(session.user_id).await?)
}

/// Rooms reported out of order whose stays the front desk must move first.
#[tauri::command]
pub async fn rooms_to_clear(state: State<'_, AppState>) -> Reply<Vec<RoomToClear>> {
    let session = state.session().await?;
    Ok(state.store().rooms_to_clear(session.today).await?)
}

/// Open tasks nobody has taken yet, most urgent first.
#[tauri::command]
pub async fn unassigned_tasks(state: State<'_, AppState>) -> Reply<Vec<HousekeepingTask>> {
    state.session().await?;
    Ok(state.store().unassigned_tasks().await?)
}

/// Makes the housekeeping day's tasks (departures, stay-overs, arrivals); answers those made now.
#[tauri::command]
pub async fn make_housekeeping_day(app: AppHandle, state: State<'_, AppState>) -> Reply<Vec<HousekeepingTask>> {
    let session = state.session().await?;
    let made = state.store().make_housekeeping_day(&session).await?;
    events::local_change(&app, &[K::HousekeepingTask]).await;
    Ok(made)
}

/// The signed-in housekeeper takes a task nobody has taken.
#[tauri::command]
pub async fn take_task(app: AppHandle, state: State<'_, AppState>, task_id: Uuid) -> Reply<HousekeepingTask> {
    let session = state.session_for("progress_task").await?;
    let task = state.store().assign_task(&session, task_id, Some(session.user_id)).await?;
    events::local_change(&app, &[K::HousekeepingTask]).await;
    Ok(task)
}

#[tauri::command]
pub async fn progress_task(
    app: AppHandle,
    state: State<'_, AppState>,
    task_id: Uuid,
    to: TaskStatus,
) -> Reply<HousekeepingTask> {
    let session = state.session_for("progress_task").await?;
    let task = state.store().progress_task(&session, task_id, to).await?;
    events::local_change(&app, &[K::HousekeepingTask, K::Room]).await;
    Ok(task)
}

// ---- Folio ------------------------------------------------------------------------------

#[tauri::command]
pub async fn folio(state: State<'_, AppState>, reservation_id: Uuid) -> Reply<Folio> {
    state.session().await?;
    Ok(state.store().folio(reservation_id).await?)
}

#[tauri::command]
pub async fn post_charge(app: AppHandle, state: State<'_, AppState>, input: NewCharge) -> Reply<FolioPosting> {
    let session = state.session().await?;
    let posting = state.store().post_charge(&session, input).await?;
    events::local_change(&app, &[K::FolioPosting]).await;
    Ok(posting)
}

#[tauri::command]
pub async fn post_payment(app: AppHandle, state: State<'_, AppState>, input: NewPayment) -> Reply<FolioPosting> {
    let session = state.session().await?;
    let posting = state.store().post_payment(&session, input).await?;
    events::local_change(&app, &[K::FolioPosting]).await;
    Ok(posting)
}

#[tauri::command]
pub async fn reverse_posting(
    app: AppHandle,
    state: State<'_, AppState>,
    posting_id: Uuid,
    reason: String,
) -> Reply<FolioPosting> {
    let session = state.session().await?;
    let posting = state.store().correct_posting(&session, posting_id, &reason).await?;
    events::local_change(&app, &[K::FolioPosting]).await;
    Ok(posting)
}

// ---- Guests -----------------------------------------------------------------------------

#[tauri::command]
pub async fn search_guests(state: State<'_, AppState>, text: String) -> Reply<Vec<Guest>> {
    state.session().await?;
    Ok(state.store().search_guests(&text).await?)
}

#[tauri::command]
pub async fn create_guest(app: AppHandle, state: State<'_, AppState>, input: NewGuest) -> Reply<Guest> {
    let session = state.session().await?;
    let guest = state.store().create_guest(&session, input).await?;
    events::local_change(&app, &[K::Guest]).await;
    Ok(guest)
}

#[tauri::command]
pub async fn update_guest(app: AppHandle, state: State<'_, AppState>, id: Uuid, edit: GuestEdit) -> Reply<Guest> {
    let session = state.session().await?;
    let guest = state.store().edit_guest(&session, id, edit).await?;
    events::local_change(&app, &[K::Guest]).await;
    Ok(guest)
}

// ---- Maintenance, service requests, POS, inventory --------------------------------------

#[tauri::command]
pub async fn maintenance_reports(state: State<'_, AppState>) -> Reply<Vec<MaintenanceReport>> {
    state.session().await?;
    Ok(state.store().maintenance_reports().await?)
}

#[tauri::command]
pub async fn report_maintenance(
    app: AppHandle,
    state: State<'_, AppState>,
    input: NewMaintenanceReport,
) -> Reply<MaintenanceReport> {
    let session = state.session().await?;
    let report = state.store().report_maintenance(&session, input).await?;
    events::local_change(&app, &[K::MaintenanceReport, K::Room]).await;
    Ok(report)
}

#[tauri::command]
pub async fn progress_maintenance(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Uuid,
    to: MaintenanceStatus,
) -> Reply<MaintenanceReport> {
    let session = state.session().await?;
    let report = state.store().progress_maintenance(&session, id, to, None).await?;
    events::local_change(&app, &[K::MaintenanceReport, K::Room]).await;
    Ok(report)
}

#[tauri::command]
pub async fn service_requests(state: State<'_, AppState>) -> Reply<Vec<ServiceRequest>> {
    state.session().await?;
    Ok(state.store().service_requests().await?)
}

#[tauri::command]
pub async fn create_service_request(
    app: AppHandle,
    state: State<'_, AppState>,
    input: NewServiceRequest,
) -> Reply<ServiceRequest> {
    let session = state.session().await?;
    let request = state.store().create_service_request(&session, input).await?;
    events::local_change(&app, &[K::ServiceRequest]).await;
    Ok(request)
}

#[tauri::command]
pub async fn progress_service_request(
    app: AppHandle,
    state: State<'_, AppState>,
    id: Uuid,
    to: RequestStatus,
) -> Reply<ServiceRequest> {
    let session = state.session().await?;
    let request = state.store().progress_service_request(&session, id, to).await?;
    events::local_change(&app, &[K::ServiceRequest]).await;
    Ok(request)
}

#[tauri::command]
pub async fn pos_orders(state: State<'_, AppState>) -> Reply<Vec<PosOrder>> {
    state.session().await?;
    Ok(state.store().pos_orders().await?)
}

#[tauri::command]
pub async fn open_pos_order(app: AppHandle, state: State<'_, AppState>, input: NewPosOrder) -> Reply<PosOrder> {
    let session = state.session().await?;
    let order = state.store().open_pos_order(&session, input).await?;
    events::local_change(&app, &[K::PosOrder]).await;
    Ok(order)
}

#[tauri::command]
pub async fn add_pos_line(
    app: AppHandle,
    state: State<'_, AppState>,
    order_id: Uuid,
    line: NewPosLine,
) -> Reply<PosOrder> {
    let session = state.session().await?;
    let order = state.store().add_pos_line(&session, order_id, line).await?;
    events::local_change(&app, &[K::PosOrder]).await;
    Ok(order)
}

#[tauri::command]
pub async fn post_pos_order(
    app: AppHandle,
    state: State<'_, AppState>,
    order_id: Uuid,
    reservation_id: Uuid,
) -> Reply<PosOrder> {
    let session = state.session().await?;
    let (order, _posting) = state.store().post_pos_order(&session, order_id, reservation_id).await?;
    events::local_change(&app, &[K::PosOrder, K::FolioPosting]).await;
    Ok(order)
}

/// Pays an order at the outlet. The outlet's till takes the money, so the device
/// records the order as paid without the method (`Store::pay_pos_order`).
#[tauri::command]
pub async fn pay_pos_order(
    app: AppHandle,
    state: State<'_, AppState>,
    order_id: Uuid,
    method: PaymentMethod,
) -> Reply<PosOrder> {
    let session = state.session().await?;
    tracing::debug!("POS order {order_id} paid by {method:?} at the outlet");
    let order = state.store().pay_pos_order(&session, order_id).await?;
    events::local_change(&app, &[K::PosOrder]).await;
    Ok(order)
}

#[tauri::command]
pub async fn inventory_items(state: State<'_, AppState>) -> Reply<Vec<InventoryItem>> {
    state.session().await?;
    Ok(state.store().inventory_items().await?)
}

/// Adds an item to the stock list (linen, minibar stock...), with its first count.
#[tauri::command]
pub async fn create_inventory_item(
    app: AppHandle,
    state: State<'_, AppState>,
    input: NewInventoryItem,
) -> Reply<InventoryItem> {
    let session = state.session().await?;
    let item = state.store().create_inventory_item(&session, input).await?;
    events::local_change(&app, &[K::InventoryItem]).await;
    Ok(item)
}

#[tauri::command]
pub async fn adjust_inventory(
    app: AppHandle,
    state: State<'_, AppState>,
    item_id: Uuid,
    delta: i64,
) -> Reply<InventoryItem> {
    let session = state.session().await?;
    let item = state.store().adjust_inventory(&session, item_id, delta).await?;
    events::local_change(&app, &[K::InventoryItem]).await;
    Ok(item)
}

// ---- History and settings ---------------------------------------------------------------

#[tauri::command]
pub async fn record_history(
    state: State<'_, AppState>,
    entity: EntityKind,
    record_id: Uuid,
) -> Reply<Vec<NamedHistoryEntry>> {
    state.session().await?;
    Ok(state.desk.record_history(entity, record_id).await?)
}

#[tauri::command]
pub async fn get_settings(state: State<'_, AppState>) -> Reply<SettingsView> {
    state.desk.settings_view().await?.ok_or_else(|| frontdesk_device::desk::DeskError::NotEnrolled.into())
}

#[tauri::command]
pub async fn save_settings(app: AppHandle, state: State<'_, AppState>, sync: SyncSettings) -> Reply<SettingsView> {
    state.session().await?.require_manager("change this desk's sync settings")?;
    state.desk.sync().set_settings(sync).await?;
    events::emit_status(&app).await;
    get_settings(state).await
}

// ---- Sync -------------------------------------------------------------------------------

#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Reply<SyncView> {
    Ok(state.desk.sync_view(state.now()).await?)
}

#[tauri::command]
pub async fn sync_now(state: State<'_, AppState>) -> Reply<()> {
    state.desk.sync().sync_now().await;
    Ok(())
}

#[tauri::command]
pub async fn outbox(state: State<'_, AppState>, limit: u32) -> Reply<OutboxView> {
    Ok(state.store().outbox_view(limit).await?)
}

#[tauri::command]
pub async fn retry_mutation(app: AppHandle, state: State<'_, AppState>, mutation_id: Uuid) -> Reply<()> {
    state.session().await?;
    state.store().retry_mutation(mutation_id).await?;
    events::emit_status(&app).await;
    state.desk.sync().sync_now().await;
    Ok(())
}

/// The signed-in user's edits that lost a merge to another desk's, newest first.
#[tauri::command]
pub async fn superseded_edits(state: State<'_, AppState>, limit: u32) -> Reply<Vec<SupersededView>> {
    let session = state.session().await?;
    Ok(state.store().superseded_views(session.user_id, limit.min(500)).await?)
}

/// The signed-in user has seen their superseded edits: the notice goes away.
#[tauri::command]
pub async fn mark_superseded_seen(state: State<'_, AppState>) -> Reply<u64> {
    let session = state.session().await?;
    Ok(state.store().mark_superseded_seen(session.user_id).await?)
}

#[tauri::command]
pub async fn conflicts(state: State<'_, AppState>) -> Reply<Vec<ConflictView>> {
    state.session().await?;
    Ok(state.store().conflict_views().await?)
}

#[tauri::command]
pub async fn resolve_conflict(
    app: AppHandle,
    state: State<'_, AppState>,
    conflict_id: Uuid,
    resolution: ResolutionChoice,
) -> Reply<()> {
    state.session().await?;
    let report = state.desk.resolve_conflict(conflict_id, &resolution).await?;
    let open = state.store().open_conflicts().await?.len() as u64;
    tauri::Emitter::emit(&app, names::CONFLICTS_CHANGED, ConflictsChanged { open })
        .unwrap_or_else(|err| tracing::warn!("could not emit conflicts-changed: {err}"));
    events::local_change(&app, &report.changed.into_iter().collect::<Vec<_>>()).await;
    Ok(())
}

#[tauri::command]
pub async fn sync_metrics(state: State<'_, AppState>) -> Reply<SyncMetricsView> {
    Ok(state.store().sync_metrics_view(state.now()).await?)
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
