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

#[macro_use]
mod command_list;
mod commands;
pub mod error;
mod events;
mod provision;
mod state;
pub mod updates;

use clap::Parser;
use tauri::Manager;

use crate::state::{AppState, Args, AutoSignIn};

/// The invoke handler of the commands named in `command_list.rs`.
macro_rules! handler {
    ($($command:ident),* $(,)?) => {
        tauri::generate_handler![$(commands::$command),*]
    };
}

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
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(updates::Updates::default())
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
            updates::start(app.handle().clone());
            provision::start(app.handle().clone(), args.clone(), demo.clone(), file_error.clone());
            Ok(())
        })
        .invoke_handler(with_commands!(handler))
        .run(tauri::generate_context!())
        .expect("the Frontdesk window could not be started");
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The command names of `with_commands!` as strings.
    macro_rules! names {
        ($($command:ident),* $(,)?) => {
            [$(stringify!($command)),*]
        };
    }

    /// The main window may call every command the app registers and nothing else of the app:
    /// a command left out of the capability would be refused in the field, one granted but
    /// not registered would be a stale grant.
    #[test]
    fn the_main_window_is_granted_exactly_the_apps_commands() {
        let capability: serde_json::Value =
            serde_json::from_str(include_str!("../capabilities/main.json")).expect("the capability is JSON");
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        let granted: BTreeSet<String> = capability["permissions"]
            .as_array()
            .expect("a list of permissions")
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-").map(|c| c.replace('-', "_")))
            .collect();
        let registered: BTreeSet<String> = with_commands!(names).iter().map(|c| (*c).to_owned()).collect();
        assert_eq!(granted, registered);
        let others: Vec<&str> = capability["permissions"]
            .as_array()
            .expect("a list of permissions")
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| !p.starts_with("allow-"))
            .collect();
        assert_eq!(others, ["core:event:default"], "no plugin or core access beyond events");
    }
}
