//! Frontdesk's sync server: the authoritative store of each property.
//!
//! It owns the HTTP API (`/v1`: enroll, sessions, push, pull, the live stream,
//! conflicts, record history and restore; `/metrics`; the OpenAPI document), the
//! database schema and its migrations, staff and device auth, rate limits, and the
//! admin actions of the CLI (property, staff, policies, demo hotel, import), and the
//! app releases offered to the desks (`/v1/updates`, from a folder IT fills). It does not own merge or conflict rules: every push is
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
use sync_core::Clock;
use uuid::Uuid;

use crate::limits::{DeviceLimiter, RateLimit};
use crate::live::Live;
use crate::metrics::Metrics;
use crate::throttle::{EnrollLimits, EnrollThrottle, SignInGuard, SignInLimits};

pub mod admin;
pub mod api;
pub mod auth;
pub mod backup;
pub mod conflicts;
pub mod connections;
pub mod error;
pub mod history;
pub mod limits;
pub mod live;
pub mod metrics;
pub mod openapi;
pub mod permissions;
pub mod pull;
pub mod push;
pub mod settings;
pub mod store;
pub mod throttle;
pub mod tls;
pub mod updates;

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
    /// How often the live stream sends a keep-alive comment.
    pub live_keep_alive: Duration,
    /// The PostgreSQL `NOTIFY` channel of this deployment (processes sharing a
    /// database and this name tell each other of new changes).
    pub live_channel: String,
    /// Requests per second (and burst) of one device.
    pub rate_limit: RateLimit,
    /// When wrong passwords lock an account or a device.
    pub sign_in: SignInLimits,
    /// Enrollment attempts allowed per source address and in all.
    pub enroll: EnrollLimits,
    /// Test hook: how long a push waits after its commit before answering, so a
    /// test can cut the connection between the two. Zero in production.
    pub answer_delay: Duration,
    /// The folder of app releases offered to the desks (`updates.dir`; see
    /// [`updates`]); none: no updates are offered.
    pub updates_dir: Option<std::path::PathBuf>,
    /// Whether the server serves HTTPS itself (the scheme of the listen address when
    /// no public URL is set).
    pub https: bool,
    /// The address the desks reach the server at (`server.public_url`), for the URLs
    /// it hands out; none: the listen address. Never taken from a request's `Host`
    /// header, which any client writes.
    pub public_url: Option<String>,
    /// Longest a client may take to send a request's headers; an idle HTTP/1
    /// connection waiting for its next request is bounded by it too.
    pub header_read_timeout: Duration,
    /// Longest a connection may send and receive nothing before it is closed.
    pub idle_timeout: Duration,
    /// Most live streams one device may hold open at once (429 past it).
    pub live_streams_per_device: usize,
    /// How often a live stream checks that its session still holds (signed out,
    /// device revoked or wiped, possibly by another process); it also checks at every
    /// change it announces.
    pub live_session_check: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            session_ttl: chrono::Duration::hours(12),
            max_batch: 1000,
            max_body_bytes: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            live_keep_alive: Duration::from_secs(15),
            live_channel: live::DEFAULT_CHANNEL.to_owned(),
            // A live device pushes and pulls once per edit (a busy desk: a few a
            // second; the propagation benchmark: ~35 a second); the burst absorbs a
            // reconnect's pull pages.
            rate_limit: RateLimit { per_second: 100, burst: 300 },
            sign_in: SignInLimits::default(),
            enroll: EnrollLimits::default(),
            answer_delay: Duration::ZERO,
            updates_dir: None,
            https: false,
            public_url: None,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(120),
            live_streams_per_device: 4,
            live_session_check: Duration::from_secs(15),
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
    pub config: Arc<Config>,
    /// The wall clock, passed in so tests can move time.
    pub now: fn() -> DateTime<Utc>,
    /// Fan-out of new changes to the live streams.
    pub live: Live,
    pub metrics: Arc<Metrics>,
    pub limiter: DeviceLimiter,
    pub sign_in_guard: Arc<SignInGuard>,
    pub enroll_throttle: EnrollThrottle,
}

impl AppState {
    /// State over `store` with the real wall clock.
    pub fn new(store: Store, config: Config) -> Self {
        AppState {
            store,
            clock: Arc::new(Mutex::new(Clock::new(SERVER_NODE))),
            limiter: DeviceLimiter::new(config.rate_limit),
            sign_in_guard: Arc::new(SignInGuard::new(config.sign_in)),
            enroll_throttle: EnrollThrottle::new(config.enroll),
            config: Arc::new(config),
            now: Utc::now,
            live: Live::default(),
            metrics: Arc::new(Metrics::default()),
        }
    }

    /// Moves the server clock past the last timestamp it handed out before a restart
    /// (kept in the database), so it never goes back even if the wall clock did.
    pub async fn resume_clock(&self) -> Result<(), sqlx::Error> {
        if let Some(last) = store::last_clock(self.store.pool()).await?
            && let Ok(mut clock) = self.clock.lock()
            && clock.last() < last
        {
            *clock = Clock::resume(SERVER_NODE, last);
        }
        Ok(())
    }

    /// After a commit that grew `property`'s log to `seq`: wakes this process's live
    /// streams (other processes hear of it through [`Live::announce`]).
    pub fn changed(&self, property: Uuid, seq: u64) {
        self.live.publish(property, seq);
    }
}

/// Serves the API over plain HTTP on `listener` until `shutdown` completes (then
/// lets open requests finish for a few seconds), with the header-read and idle
/// timeouts of [`connections`]. On PostgreSQL it first listens for the other
/// processes' changes, so live streams hear of them all.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    prepare(&state).await?;
    let state = addressed(state, listener.local_addr()?, false);
    let idle = connections::IdleAcceptor { timeout: state.config.idle_timeout };
    let server = axum_server::from_tcp(listener.into_std()?)?.acceptor(idle);
    connections::prepared(server, &state, shutdown)
        .serve(router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .await
}

/// `state` for a server listening on `addr`: without a public URL set, the URLs it
/// hands out name the address it listens on (never a request's `Host` header).
pub(crate) fn addressed(mut state: AppState, addr: std::net::SocketAddr, https: bool) -> AppState {
    if state.config.public_url.is_none() {
        let scheme = if https || state.config.https { "https" } else { "http" };
        let mut config = (*state.config).clone();
        config.public_url = Some(format!("{scheme}://{addr}"));
        state.config = Arc::new(config);
    }
    state
}

/// What a server process does before it answers: resume the clock, and on
/// PostgreSQL listen for the other processes' changes.
pub(crate) async fn prepare(state: &AppState) -> std::io::Result<()> {
    state.resume_clock().await.map_err(std::io::Error::other)?;
    state.live.listen(&state.store, &state.config.live_channel).await.map_err(std::io::Error::other)
}
