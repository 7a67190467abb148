//! The commands the UI can invoke, mirrored one for one by the wrappers in `ui/src/api.ts`.

use serde::Serialize;

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

/// Returns the product name, the app version and the sync protocol version.
#[tauri::command]
pub fn app_info() -> AppInfo {
    AppInfo::current()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_info_serialises_in_camel_case_with_the_protocol_of_sync_core() {
        let json = serde_json::to_value(app_info()).expect("AppInfo has only plain fields");
        assert_eq!(
            json,
            serde_json::json!({
                "name": "Frontdesk",
                "version": env!("CARGO_PKG_VERSION"),
                "protocolVersion": sync_core::PROTOCOL_VERSION,
            }),
            "ui/src/api.ts reads exactly these camelCase fields"
        );
    }
}
