//! What the app holds for its lifetime: one desk (store and sync worker), opened at
//! startup, and the outcome of provisioning.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Parser;
use frontdesk_device::desk::Desk;
use frontdesk_device::sync::{StaleVerdict, WallClock};
use frontdesk_device::{Session, Store};
use tokio::sync::{OwnedRwLockWriteGuard, RwLock};

use crate::error::AppError;

/// Command-line flags (each also read from its environment variable), for mass rollout:
/// a desk image starts with the server address and an enrollment code and enrolls itself.
#[derive(Debug, Clone, Default, Parser)]
#[command(name = "frontdesk", version, about = "Hotel front desk that keeps working when the internet goes down")]
pub struct Args {
    /// The desk's SQLite store (default: `desk.sqlite3` in the app's data directory).
    #[arg(long, env = "FRONTDESK_STORE")]
    pub store: Option<PathBuf>,
    /// The property's sync server, for enrolling at startup when the desk is not enrolled yet.
    #[arg(long, env = "FRONTDESK_SERVER")]
    pub server: Option<String>,
    /// A one-time enrollment code from the server's admin CLI.
    #[arg(long, env = "FRONTDESK_ENROLL_CODE")]
    pub enroll_code: Option<String>,
    /// This desk's name as the other desks see it (default: the host name).
    #[arg(long, env = "FRONTDESK_DEVICE_NAME")]
    pub device_name: Option<String>,
}

/// Demo and kiosk only: a user signed in at startup from `FRONTDESK_USER` and
/// `FRONTDESK_PASSWORD` (environment only, so the password never shows in a process list).
#[derive(Clone)]
pub struct AutoSignIn {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for AutoSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AutoSignIn").field("username", &self.username).finish_non_exhaustive()
    }
}

impl AutoSignIn {
    /// The demo sign-in of the environment, if both variables are set.
    pub fn from_env() -> Option<Self> {
        let username = std::env::var("FRONTDESK_USER").ok().filter(|u| !u.trim().is_empty())?;
        let password = std::env::var("FRONTDESK_PASSWORD").ok()?;
        Some(AutoSignIn { username, password })
    }
}

/// The app's state, managed by Tauri and handed to every command.
pub struct AppState {
    pub desk: Desk,
    clock: WallClock,
    /// Held for writing while startup provisioning runs; holds its failure afterwards,
    /// so the first `session_state` waits for it instead of showing the enroll screen early.
    provisioning: Arc<RwLock<Option<AppError>>>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").field("desk", &self.desk).finish_non_exhaustive()
    }
}

impl AppState {
    /// Opens the desk at `path` (starting its sync worker).
    pub async fn open(path: &std::path::Path) -> Result<Self, AppError> {
        let clock: WallClock = Arc::new(Utc::now);
        let desk = Desk::open(path, clock.clone()).await?;
        Ok(AppState { desk, clock, provisioning: Arc::new(RwLock::new(None)) })
    }

    /// The local store.
    pub fn store(&self) -> &Store {
        self.desk.store()
    }

    /// Wall time now.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The signed-in session, for an operation without a stale-data policy.
    pub async fn session(&self) -> Result<Session, AppError> {
        Ok(self.desk.session().await?)
    }

    /// The signed-in session for `operation`, refused with `stale_blocked` when the
    /// stale-data policy blocks it now (a warning lets it go ahead: the banner shows it).
    pub async fn session_for(&self, operation: &str) -> Result<Session, AppError> {
        let session = self.session().await?;
        match self.store().stale_verdict(operation, self.now()).await? {
            StaleVerdict::Block { message } => Err(AppError::stale_blocked(message)),
            StaleVerdict::Go | StaleVerdict::Warn { .. } => Ok(session),
        }
    }

    /// Takes the provisioning lock before startup provisioning is spawned.
    pub fn begin_provisioning(&self) -> OwnedRwLockWriteGuard<Option<AppError>> {
        self.provisioning.clone().try_write_owned().expect("nothing else holds the provisioning lock at startup")
    }

    /// Startup provisioning's failure, once it finished.
    pub async fn provisioning_error(&self) -> Option<AppError> {
        self.provisioning.read().await.clone()
    }
}

/// The default device name: the host name, else a generic one.
pub fn default_device_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "Front desk".to_owned())
}
