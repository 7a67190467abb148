//! What the app holds for its lifetime: one desk (store and sync worker), opened at
//! startup, and the outcome of provisioning.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use clap::Parser;
use frontdesk_device::Session;
use frontdesk_device::desk::Desk;
use frontdesk_device::sync::WallClock;
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
    /// A provisioning file (default: `provisioning.toml` next to the app, else in
    /// the system's configuration folder; see [`Provisioning`]).
    #[arg(long, env = "FRONTDESK_PROVISIONING")]
    pub provisioning: Option<PathBuf>,
}

/// What property IT puts in a provisioning file so every desk of an image enrolls
/// itself at first start, with no typing: the server, a rollout enrollment code
/// (`frontdesk-server enrollment-code --rollout`) and, optionally, a name.
///
/// ```toml
/// server = "https://frontdesk.hotel.example"
/// enrollment_code = "ABCD-EFGH-JKLM"
/// device_name = "Reception 1"   # default: the host name
/// ```
///
/// Flags and environment variables win over the file.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provisioning {
    pub server: Option<String>,
    pub enrollment_code: Option<String>,
    pub device_name: Option<String>,
}

impl Provisioning {
    /// Where a provisioning file is looked for when none is named: next to the
    /// app's executable, then the system's configuration folder.
    pub fn default_places() -> Vec<PathBuf> {
        let mut places = Vec::new();
        if let Ok(exe) = std::env::current_exe()
            && let Some(dir) = exe.parent()
        {
            places.push(dir.join("provisioning.toml"));
        }
        if cfg!(windows) {
            let data = std::env::var_os("ProgramData").map_or_else(|| PathBuf::from(r"C:\ProgramData"), PathBuf::from);
            places.push(data.join("Frontdesk").join("provisioning.toml"));
        } else if cfg!(target_os = "macos") {
            places.push(PathBuf::from("/Library/Application Support/Frontdesk/provisioning.toml"));
        } else {
            places.push(PathBuf::from("/etc/frontdesk/provisioning.toml"));
        }
        places
    }

    /// Reads a provisioning file; the error names the file and what is wrong.
    pub fn read(path: &std::path::Path) -> Result<Provisioning, String> {
        let text = std::fs::read_to_string(path).map_err(|err| format!("{}: {err}", path.display()))?;
        toml::from_str(&text).map_err(|err| format!("{}: {}", path.display(), err.message()))
    }
}

impl Args {
    /// These flags with what they leave unset taken from the provisioning file:
    /// the one named, else the first that exists of [`Provisioning::default_places`].
    pub fn provisioned(mut self, places: &[PathBuf]) -> Result<Args, String> {
        let file = match &self.provisioning {
            Some(path) => Some(Provisioning::read(path)?),
            None => places.iter().find(|place| place.is_file()).map(|place| Provisioning::read(place)).transpose()?,
        };
        if let Some(file) = file {
            self.server = self.server.or(file.server);
            self.enroll_code = self.enroll_code.or(file.enrollment_code);
            self.device_name = self.device_name.or(file.device_name);
        }
        Ok(self)
    }
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

    /// Wall time now.
    pub fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    /// The signed-in session.
    pub async fn session(&self) -> Result<Session, AppError> {
        Ok(self.desk.session().await?)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &std::path::Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write");
        path
    }

    #[test]
    fn a_provisioning_file_fills_what_the_flags_leave_unset() {
        let dir = tempfile::tempdir().expect("dir");
        let file = write(
            dir.path(),
            "provisioning.toml",
            "server = \"https://fd.example\"\nenrollment_code = \"ABCD-EFGH-JKLM\"\ndevice_name = \"Reception 1\"\n",
        );
        let args = Args { device_name: Some("Back office".into()), ..Args::default() };
        let args = args.provisioned(&[dir.path().join("absent.toml"), file]).expect("provisioned");
        assert_eq!(args.server.as_deref(), Some("https://fd.example"));
        assert_eq!(args.enroll_code.as_deref(), Some("ABCD-EFGH-JKLM"));
        assert_eq!(args.device_name.as_deref(), Some("Back office"), "a flag wins over the file");
    }

    #[test]
    fn a_named_file_is_read_and_no_file_changes_nothing() {
        let dir = tempfile::tempdir().expect("dir");
        let named = write(dir.path(), "desk.toml", "server = \"https://named.example\"\n");
        let args = Args { provisioning: Some(named), ..Args::default() }.provisioned(&[]).expect("provisioned");
        assert_eq!(args.server.as_deref(), Some("https://named.example"));
        let none = Args::default().provisioned(&[dir.path().join("absent.toml")]).expect("nothing to read");
        assert_eq!(none.server, None);
    }

    #[test]
    fn a_wrong_provisioning_file_is_refused_naming_the_file_and_the_key() {
        let dir = tempfile::tempdir().expect("dir");
        let file = write(dir.path(), "provisioning.toml", "server = \"https://fd.example\"\nenroll = \"X\"\n");
        let err = Args::default().provisioned(&[file]).expect_err("unknown key");
        assert!(err.contains("provisioning.toml") && err.contains("enroll"), "{err}");
        let missing = Args { provisioning: Some(dir.path().join("nope.toml")), ..Args::default() };
        assert!(missing.provisioned(&[]).expect_err("a named file must exist").contains("nope.toml"));
    }
}
