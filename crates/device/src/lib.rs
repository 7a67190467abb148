//! The device side of Frontdesk below the UI: the local store and the front-desk
//! operations, usable headless (the desktop app, the command line and the tests all
//! drive this crate).
//!
//! It owns one SQLite file per device (records, durable outbox, sync metadata,
//! conflicts, history) and every user action: each is validated against the schema
//! and the invariants of `sync_core` that the device can see, then written as ONE
//! transaction holding the record change, its outbox mutation and its history line,
//! so a crash can never separate a change from the mutation that will sync it.
//! Reads come from the local store only, so the desk is as fast offline as online.
//!
//! It does not talk to the server: the sync worker (push, pull, live updates,
//! retries) sits on top of the hooks in [`outbox`] and [`pull`]
//! (`pending_batch`, `ack_applied`, `apply_merged`, `store_conflict`,
//! `mark_failed`, `apply_pulled`, cursor) and [`meta`].
//!
//! The design choice that is not obvious: all kinds of records share one `records`
//! table of JSON field maps, exactly the maps that cross the wire, with the last
//! synced server version beside the local value (the base of three-way merges).
//! The fields the screens filter on are virtual generated columns with partial
//! indexes per kind, so queries stay indexed at 50,000 reservations without a
//! table per kind to keep in step with sync-core's schema.

pub mod desk;
pub mod error;
pub mod import;
pub mod meta;
pub mod ops;
pub mod outbox;
pub mod pull;
pub mod queries;
pub mod screens;
pub mod session;
pub mod store;
pub mod sync;

pub use error::{Error, Result};
pub use import::{ExchangeImport, ImportFormat, ImportReport};
pub use meta::DeviceIdentity;
pub use ops::folio::{NewCharge, NewPayment, NewPosLine, NewPosOrder};
pub use ops::reservations::{GuestEdit, NewGuest, NewReservation, ReservationEdit};
pub use ops::rooms::{NewInventoryItem, NewMaintenanceReport, NewServiceRequest, NewTask, OutOfOrder, RoomBlock};
pub use pull::PullApplied;
pub use queries::{Folio, HistoryEntry, OutboxCounts, OutboxEntry, ReservationSearch, RoomBoardEntry, SupersededEdit};
pub use session::Session;
pub use store::{Store, StoreStats};
