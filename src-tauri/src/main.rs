//! Entry point of the Frontdesk desktop app; everything else lives in the library.

// Release builds on Windows get no console window behind the app.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    frontdesk_app::run();
}
