//! Integration tests of the device crate on real SQLite files; modules mirror `src/`.

mod import;
mod ops_folio;
mod ops_reservations;
mod ops_rooms;
mod outbox;
mod paused;
mod pull;
mod queries;
mod screens;
mod store;
mod support;
mod sync;
