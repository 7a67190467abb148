//! Frontdesk's sync server: the authoritative store of each property.
//!
//! It owns the HTTP API (`/v1`: enroll, sessions, push, pull, conflicts), the
//! database schema and its migrations, staff and device auth, and the admin
//! actions of the CLI. It does not own merge or conflict rules: every push is
//! planned by `sync_core::plan` and checked with `sync_core::invariants`, the very
//! code the devices run, so both sides decide alike.
//!
//! The design choice that is not obvious: a push is one database transaction with a
//! savepoint per mutation, so a bad mutation rolls back alone, a batch costs one
//! commit (one fsync), and results go out only after that commit. Every query is
//! scoped by the session's property: records are keyed by `(property_id, entity,
//! id)`, so another property's record cannot even be named.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use sync_core::{Clock, PolicyTable};
use uuid::Uuid;

pub mod api;
pub mod auth;
pub mod conflicts;
pub mod error;
pub mod permissions;
pub mod pull;
pub mod push;
pub mod store;

pub use api::router;
pub use error::AppError;
pub use store::Store;

/// Limits and lifetimes of the API.
#[derive(Debug, Clone)]
pub struct Config {
    /// How long a staff session lasts.
    pub session_ttl: chrono::Duration,
    /// Most mutations in one push.
    pub max_batch: usize,
    /// Largest request body, after decompression.
    pub max_body_bytes: usize,
    /// Longest a request may take before it is cut with 408 (and rolled back).
    pub request_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            session_ttl: chrono::Duration::hours(12),
            max_batch: 1000,
            max_body_bytes: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The clock node of the server in hybrid logical clock timestamps.
pub const SERVER_NODE: Uuid = Uuid::from_u128(0x5e4e_e400_0000_4000_8000_0000_0000_0001);

/// What every handler shares.
#[derive(Debug, Clone)]
pub struct AppState {
    pub store: Store,
    /// The server's hybrid logical clock; held only between awaits, never across.
    pub clock: Arc<Mutex<Clock>>,
    /// Merge policies (the defaults of DOMAIN.md; per-property overrides to come).
    pub policies: Arc<PolicyTable>,
    pub config: Arc<Config>,
    /// The wall clock, passed in so tests can move time.
    pub now: fn() -> DateTime<Utc>,
}

impl AppState {
    /// State over `store` with the real wall clock.
    pub fn new(store: Store, config: Config) -> Self {
        AppState {
            store,
            clock: Arc::new(Mutex::new(Clock::new(SERVER_NODE))),
            policies: Arc::new(PolicyTable::defaults()),
            config: Arc::new(config),
            now: Utc::now,
        }
    }
}

/// Serves the API on `listener` until `shutdown` completes.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown).await
}
