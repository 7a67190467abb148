//! Frontdesk's desktop app: the Tauri shell around the front desk UI.
//!
//! It owns the window, the commands the UI calls and the one error type that crosses to the
//! UI. It owns no domain logic: commands are adapters of a few lines over the core crates
//! (the sync protocol and merge rules live in `sync_core`), so they stay testable without a
//! webview.

mod commands;
pub mod error;

/// Starts the desktop app and blocks until it exits.
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app_info])
        .run(tauri::generate_context!())
        .expect("the Frontdesk window could not be started");
}
