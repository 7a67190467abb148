//! Frontdesk's desktop app: the Tauri shell around the front desk UI.
//!
//! It owns the window, one desk for the app's lifetime (the device crate's store and sync
//! worker), the commands the UI calls, the events every window hears and the one error
//! type that crosses to the UI. It owns no domain logic: commands are adapters of a few
//! lines over `frontdesk_device` (operations, screen queries, sync) so they stay testable
//! without a webview.
//!
//! Startup: the store is `--store PATH` or `FRONTDESK_STORE`, else `desk.sqlite3` in the
//! app's data directory. A desk that is not enrolled enrolls itself when given `--server`
//! and `--enroll-code` (or `FRONTDESK_SERVER`, `FRONTDESK_ENROLL_CODE`, and optionally
//! `--device-name`/`FRONTDESK_DEVICE_NAME`) for mass rollout. For demos and kiosks only,
//! `FRONTDESK_USER` and `FRONTDESK_PASSWORD` sign that user in at startup.

mod commands;
pub mod error;
mod events;
mod provision;
mod state;

use clap::Parser;
use tauri::Manager;

use crate::state::{AppState, Args, AutoSignIn};

/// Starts the desktop app and blocks until it exits.
pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    // A provisioning file that cannot be read is reported on the enroll screen
    // (startup provisioning's error); the flags alone still apply.
    let parsed = Args::parse();
    let (args, file_error) = match parsed.clone().provisioned(&state::Provisioning::default_places()) {
        Ok(args) => (args, None),
        Err(err) => {
            tracing::error!("provisioning file: {err}");
            (parsed, Some(err))
        }
    };
    let demo = AutoSignIn::from_env();
    tauri::Builder::default()
        .setup(move |app| {
            let path = match &args.store {
                Some(path) => path.clone(),
                None => {
                    let dir = app.path().app_data_dir()?;
                    std::fs::create_dir_all(&dir)?;
                    dir.join("desk.sqlite3")
                }
            };
            tracing::info!("opening the desk at {}", path.display());
            let state = tauri::async_runtime::block_on(AppState::open(&path))?;
            app.manage(state);
            events::forward(app.handle().clone());
            provision::start(app.handle().clone(), args.clone(), demo.clone(), file_error.clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::session_state,
            commands::enroll,
            commands::sign_in,
            commands::sign_out,
            commands::catalog,
            commands::today,
            commands::search_reservations,
            commands::get_reservation,
            commands::create_reservation,
            commands::update_reservation,
            commands::free_rooms,
            commands::assign_room,
            commands::check_in,
            commands::check_out,
            commands::undo_check_in,
            commands::reinstate_check_out,
            commands::cancel_reservation,
            commands::mark_no_show,
            commands::tape_chart,
            commands::room_board,
            commands::set_room_status,
            commands::set_room_availability,
            commands::my_tasks,
            commands::progress_task,
            commands::folio,
            commands::post_charge,
            commands::post_payment,
            commands::reverse_posting,
            commands::search_guests,
            commands::create_guest,
            commands::update_guest,
            commands::maintenance_reports,
            commands::report_maintenance,
            commands::progress_maintenance,
            commands::service_requests,
            commands::create_service_request,
            commands::progress_service_request,
            commands::pos_orders,
            commands::open_pos_order,
            commands::add_pos_line,
            commands::post_pos_order,
            commands::pay_pos_order,
            commands::inventory_items,
            commands::adjust_inventory,
            commands::record_history,
            commands::get_settings,
            commands::save_settings,
            commands::sync_status,
            commands::sync_now,
            commands::outbox,
            commands::retry_mutation,
            commands::conflicts,
            commands::resolve_conflict,
            commands::sync_metrics,
        ])
        .run(tauri::generate_context!())
        .expect("the Frontdesk window could not be started");
}
