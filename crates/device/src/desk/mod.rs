//! One front desk: the store, the device's enrollment, the signed-in member of
//! staff and the sync worker, as the desktop app and the command line hold them.
//!
//! Staff must be able to sign in during an outage: after a successful online
//! sign-in the desk keeps an argon2 hash of the password, so the same person can
//! sign in again offline and keep working. Their changes queue; as soon as the
//! server answers again the desk signs in online with the password held in memory
//! (never on disk) and the queue syncs.
//!
//! The desk is the one API of a front desk: the app's commands, the command line, the
//! simulation and the tests call the same method for every operation and read,
//! grouped by screen family (`reservations.rs`, `rooms.rs`, `folio.rs`, `sync.rs`
//! beside this file). Each method takes the signed-in session itself, applies the
//! stale-data policy of its operation, and announces the kinds of records it changed
//! on the sync worker's event channel (the app's windows refresh from it) while
//! nudging the worker to push: a caller cannot skip a rule the app obeys.

use std::sync::Arc;
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use sync_core::conflict::ResolutionChoice;
use sync_core::domain::Role;
use sync_core::protocol::{ChangeKind, UserInfo};
use sync_core::schema::EntityKind;
use tokio::sync::RwLock;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::meta::DeviceIdentity;
use crate::queries::HistoryEntry;
use crate::screens::NamedHistoryEntry;
use crate::session::Session;
use crate::store::Store;
use crate::sync::{
    RemoteError, RoundError, RoundReport, SIGN_IN_LOCKED, ServerClient, StaleVerdict, SyncCommands, SyncEvent,
    SyncHandle, WallClock, sync_round,
};

/// The member of staff signed in on this desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedInUser {
    pub user: UserInfo,
    pub role: Role,
    /// Signed in against the cached password while the server was unreachable.
    pub offline: bool,
}

/// A cached credential for offline sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct OfflineLogin {
    user: UserInfo,
    role: Role,
    /// argon2id PHC string of the password.
    phc: String,
}

/// Why a desk action failed.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    #[error("This desk is not enrolled yet: enter the server address and an enrollment code")]
    NotEnrolled,
    #[error("This desk is already enrolled with {0}")]
    AlreadyEnrolled(String),
    #[error("Sign in first")]
    NotSignedIn,
    #[error("The user name or password is wrong")]
    BadCredentials,
    /// Too many wrong passwords: the server's message says for how long ("Too many
    /// wrong passwords for this account: try again in 15 minutes").
    #[error("{0}")]
    SignInLocked(String),
    #[error(
        "The server cannot be reached and this user has never signed in on this desk, so they cannot sign in offline"
    )]
    NoOfflineLogin,
    #[error(
        "This desk was removed from the property by its administrator and its data was erased: enroll it again with a new code"
    )]
    Wiped,
    /// The stale-data policy blocks this operation until the desk syncs again; the
    /// message is the policy's.
    #[error("{0}")]
    StaleBlocked(String),
    /// Syncing (or resolving) needs the server and it does not answer.
    #[error(
        "The server cannot be reached ({0}): this desk keeps working and its changes stay queued until the server answers again"
    )]
    ServerUnreachable(String),
    #[error(transparent)]
    Setting(#[from] crate::sync::settings::InvalidSetting),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Store(#[from] crate::Error),
}

impl DeskError {
    /// The code programs act on.
    pub fn code(&self) -> &str {
        match self {
            DeskError::NotEnrolled => "not_enrolled",
            DeskError::AlreadyEnrolled(_) => "already_enrolled",
            DeskError::NotSignedIn => "not_signed_in",
            DeskError::BadCredentials => "bad_credentials",
            DeskError::SignInLocked(_) => SIGN_IN_LOCKED,
            DeskError::NoOfflineLogin => "server_unreachable",
            DeskError::Wiped => WIPED,
            DeskError::StaleBlocked(_) => "stale_blocked",
            DeskError::ServerUnreachable(_) => "server_unreachable",
            DeskError::Setting(_) => "invalid_input",
            DeskError::Remote(RemoteError::Network(_) | RemoteError::Server(_)) => "server_unreachable",
            DeskError::Remote(RemoteError::Auth { code, .. } | RemoteError::Refused { code, .. }) => code,
            DeskError::Remote(RemoteError::Protocol(_)) => "protocol",
            DeskError::Store(err) => err.code(),
        }
    }
}

mod folio;
mod reservations;
mod rooms;
mod sync;

mod keys {
    pub const OFFLINE_LOGIN: &str = "desk.offline_login.";
}

/// The server's answer to a device an administrator revoked with `--wipe`.
pub const WIPED: &str = "device_wiped";

/// Whether `err` is the server telling this device to erase its data.
fn is_wipe(err: &RemoteError) -> bool {
    matches!(err, RemoteError::Auth { code, .. } if code == WIPED)
}

#[derive(Debug, Default)]
struct State {
    identity: Option<DeviceIdentity>,
    user: Option<SignedInUser>,
    /// Held in memory only, to sign in online again once the server answers.
    password: Option<String>,
    /// The online session's client (none while signed in offline).
    client: Option<ServerClient>,
}

/// One front desk.
pub struct Desk {
    store: Arc<Store>,
    sync: SyncHandle,
    state: Arc<RwLock<State>>,
    clock: WallClock,
    reconnect: std::sync::Mutex<Option<JoinHandle<()>>>,
    /// Erases the desk when the worker hears it was wiped.
    wipe_watch: JoinHandle<()>,
}

/// What erasing a wiped desk needs, for the tasks that outlive a borrow of the desk.
#[derive(Clone)]
struct Eraser {
    store: Arc<Store>,
    state: Arc<RwLock<State>>,
    sync: SyncCommands,
}

impl Eraser {
    /// Stops syncing, forgets the enrollment and who is signed in, and empties the store.
    async fn erase(&self) -> Result<(), DeskError> {
        tracing::warn!("the administrator revoked this device with --wipe: erasing its local data");
        self.sync.set_session(None).await;
        *self.state.write().await = State::default();
        self.store.erase().await?;
        Ok(())
    }
}

impl std::fmt::Debug for Desk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Desk").field("store", &self.store.path()).finish_non_exhaustive()
    }
}

impl Desk {
    /// Opens the desk whose store is at `path`, and starts its sync worker (idle
    /// until someone signs in).
    pub async fn open(path: impl AsRef<std::path::Path>, clock: WallClock) -> Result<Desk, DeskError> {
        Self::open_with(path, clock, false).await
    }

    /// Opens the desk with its worker paused: nothing syncs but what the caller
    /// runs with [`Desk::sync_once`] (the command line, tests, benchmarks).
    pub async fn open_manual(path: impl AsRef<std::path::Path>, clock: WallClock) -> Result<Desk, DeskError> {
        Self::open_with(path, clock, true).await
    }

    async fn open_with(path: impl AsRef<std::path::Path>, clock: WallClock, paused: bool) -> Result<Desk, DeskError> {
        let store = Arc::new(Store::open(path).await?);
        let identity = store.device_identity().await?;
        let sync = SyncHandle::spawn(store.clone(), None, clock.clone(), paused).await?;
        let state = Arc::new(RwLock::new(State { identity, ..State::default() }));
        let eraser = Eraser { store: store.clone(), state: state.clone(), sync: sync.clone_commands() };
        let mut events = sync.subscribe();
        let wipe_watch = tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(SyncEvent::DeviceWiped) => {
                        if let Err(err) = eraser.erase().await {
                            tracing::error!("erasing the wiped desk failed: {err}");
                        }
                    }
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
                }
            }
        });
        Ok(Desk { store, sync, state, clock, reconnect: std::sync::Mutex::new(None), wipe_watch })
    }

    fn eraser(&self) -> Eraser {
        Eraser { store: self.store.clone(), state: self.state.clone(), sync: self.sync.clone_commands() }
    }

    /// The local store.
    pub fn store(&self) -> &Arc<Store> {
        &self.store
    }

    /// The sync worker.
    pub fn sync(&self) -> &SyncHandle {
        &self.sync
    }

    /// This device's enrollment, if any.
    pub async fn identity(&self) -> Option<DeviceIdentity> {
        self.state.read().await.identity.clone()
    }

    /// Who is signed in, if anyone.
    pub async fn user(&self) -> Option<SignedInUser> {
        self.state.read().await.user.clone()
    }

    /// Enrolls this device with the property's server.
    pub async fn enroll(&self, server_url: &str, code: &str, device_name: &str) -> Result<DeviceIdentity, DeskError> {
        if let Some(identity) = self.identity().await {
            return Err(DeskError::AlreadyEnrolled(identity.server_url));
        }
        let client = ServerClient::new(server_url)?;
        let enrollment = client.enroll(code, device_name).await?;
        let identity = DeviceIdentity {
            server_url: client.base_url().to_owned(),
            device_id: enrollment.device_id,
            device_secret: enrollment.device_secret,
            property_id: enrollment.property_id,
            prefix: enrollment.prefix,
            name: device_name.trim().to_owned(),
            property_name: enrollment.property_name,
        };
        self.store.set_device_identity(&identity).await?;
        self.state.write().await.identity = Some(identity.clone());
        Ok(identity)
    }

    /// Signs a member of staff in: online when the server answers, otherwise
    /// against the password cached at their last online sign-in on this desk.
    pub async fn sign_in(&self, username: &str, password: &str) -> Result<SignedInUser, DeskError> {
        let identity = self.identity().await.ok_or(DeskError::NotEnrolled)?;
        let username = username.trim();
        match online_sign_in(&identity, username, password).await {
            Ok((user, client)) => {
                self.cache_login(username, password, &user).await?;
                self.start(user.clone(), password, Some(client)).await;
                Ok(user)
            }
            Err(err) if is_wipe(&err) => {
                self.eraser().erase().await?;
                Err(DeskError::Wiped)
            }
            Err(RemoteError::Auth { .. }) => Err(DeskError::BadCredentials),
            Err(RemoteError::Refused { code, message }) if code == SIGN_IN_LOCKED => {
                Err(DeskError::SignInLocked(message))
            }
            Err(err) if err.is_transient() => {
                let key = format!("{}{}", keys::OFFLINE_LOGIN, username.to_lowercase());
                let cached: OfflineLogin = self.store.meta_json(&key).await?.ok_or(DeskError::NoOfflineLogin)?;
                if !verify(password, &cached.phc) {
                    return Err(DeskError::BadCredentials);
                }
                let user = SignedInUser { user: cached.user, role: cached.role, offline: true };
                self.start(user.clone(), password, None).await;
                self.spawn_reconnect(identity, username.to_owned());
                Ok(user)
            }
            Err(err) => Err(err.into()),
        }
    }

    async fn cache_login(&self, username: &str, password: &str, user: &SignedInUser) -> Result<(), DeskError> {
        let phc = hash(password)?;
        let login = OfflineLogin { user: user.user.clone(), role: user.role, phc };
        self.store.set_meta_json(&format!("{}{}", keys::OFFLINE_LOGIN, username.to_lowercase()), &login).await?;
        Ok(())
    }

    async fn start(&self, user: SignedInUser, password: &str, client: Option<ServerClient>) {
        {
            let mut state = self.state.write().await;
            state.user = Some(user);
            state.password = Some(password.to_owned());
            state.client.clone_from(&client);
        }
        self.sync.set_session(client).await;
    }

    /// While signed in offline, tries an online sign-in every few seconds and hands
    /// the session to the sync worker once the server answers.
    fn spawn_reconnect(&self, identity: DeviceIdentity, username: String) {
        let state = self.state.clone();
        let sync_commands = self.sync.clone_commands();
        let eraser = self.eraser();
        let task = tokio::spawn(async move {
            let mut wait = Duration::from_secs(2);
            loop {
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(Duration::from_secs(30));
                let password = {
                    let state = state.read().await;
                    match (&state.user, &state.password) {
                        (Some(user), Some(password)) if user.offline => password.clone(),
                        _ => return,
                    }
                };
                match online_sign_in(&identity, &username, &password).await {
                    Ok((user, client)) => {
                        {
                            let mut state = state.write().await;
                            state.user = Some(user);
                            state.client = Some(client.clone());
                        }
                        sync_commands.set_session(Some(client)).await;
                        return;
                    }
                    Err(err) if err.is_transient() => continue,
                    Err(err) if is_wipe(&err) => {
                        if let Err(err) = eraser.erase().await {
                            tracing::error!("erasing the wiped desk failed: {err}");
                        }
                        return;
                    }
                    // The password changed on the server or the device was revoked:
                    // stay signed in locally; sync shows that it needs a sign-in.
                    Err(_) => return,
                }
            }
        });
        if let Ok(mut slot) = self.reconnect.lock()
            && let Some(previous) = slot.replace(task)
        {
            previous.abort();
        }
    }

    /// Signs the current user out (and ends their server session when reachable).
    pub async fn sign_out(&self) {
        let had = {
            let mut state = self.state.write().await;
            state.password = None;
            state.client = None;
            state.user.take()
        };
        if let Ok(mut slot) = self.reconnect.lock()
            && let Some(task) = slot.take()
        {
            task.abort();
        }
        self.sync.set_session(None).await;
        drop(had);
    }

    /// The online session's client, when signed in online.
    pub async fn client(&self) -> Option<ServerClient> {
        self.state.read().await.client.clone()
    }

    /// The online session's client. Signed in offline, the desk tries an online
    /// sign-in now with the password it holds: a person asking to sync (or to resolve)
    /// hears that the server cannot be reached, not that they must sign in again.
    pub(crate) async fn online_client(&self) -> Result<ServerClient, DeskError> {
        let (identity, username, password) = {
            let state = self.state.read().await;
            match (&state.identity, &state.user, &state.password, &state.client) {
                (_, _, _, Some(client)) => return Ok(client.clone()),
                (Some(identity), Some(user), Some(password), None) if user.offline => {
                    (identity.clone(), user.user.username.clone(), password.clone())
                }
                (None, _, _, _) => return Err(DeskError::NotEnrolled),
                _ => return Err(DeskError::NotSignedIn),
            }
        };
        match online_sign_in(&identity, &username, &password).await {
            Ok((user, client)) => {
                {
                    let mut state = self.state.write().await;
                    state.user = Some(user);
                    state.client = Some(client.clone());
                }
                self.sync.set_session(Some(client.clone())).await;
                Ok(client)
            }
            Err(err) if err.is_transient() => Err(DeskError::ServerUnreachable(err.to_string())),
            Err(err) if is_wipe(&err) => {
                self.eraser().erase().await?;
                Err(DeskError::Wiped)
            }
            Err(RemoteError::Auth { .. }) => Err(DeskError::BadCredentials),
            Err(err) => Err(err.into()),
        }
    }

    /// Runs one sync round now, in this task (the command line and tests use it;
    /// the app asks the worker with [`SyncHandle::sync_now`]).
    pub async fn sync_once(&self, batch_size: usize) -> Result<RoundReport, DeskError> {
        let client = self.online_client().await?;
        match sync_round(&self.store, &client, batch_size, |_| {}).await {
            Ok(report) => Ok(report),
            Err(RoundError::Remote(err)) if is_wipe(&err) => {
                self.eraser().erase().await?;
                Err(DeskError::Wiped)
            }
            Err(RoundError::Remote(err)) if err.is_transient() => Err(DeskError::ServerUnreachable(err.to_string())),
            Err(RoundError::Remote(err)) => Err(DeskError::Remote(err)),
            Err(RoundError::Store(err)) => Err(DeskError::Store(err)),
        }
    }

    /// A record's history, oldest first. While signed in online it is every version the
    /// server's change log holds (a desk's first pull copies records without their past),
    /// followed by this desk's own changes newer than the last of them (not synced yet);
    /// otherwise, or when the server does not answer, what this desk has seen.
    pub async fn record_history(&self, kind: EntityKind, id: Uuid) -> Result<Vec<NamedHistoryEntry>, DeskError> {
        self.session().await?;
        let local = self.store.named_history(kind, id).await?;
        let Some(client) = self.client().await else {
            return Ok(local);
        };
        let server = match client.record_history(kind, id).await {
            Ok(server) if !server.versions.is_empty() => server,
            // Offline, a record the server does not have yet, a refusal: this desk's view.
            Ok(_) | Err(_) => return Ok(local),
        };
        let newest = server.versions.iter().map(|version| version.hlc).max();
        let mut entries: Vec<NamedHistoryEntry> = server
            .versions
            .into_iter()
            .map(|version| NamedHistoryEntry {
                entry: HistoryEntry {
                    op: match (version.op, &version.before) {
                        (ChangeKind::Delete, _) => "delete",
                        (ChangeKind::Upsert, None) => "insert",
                        (ChangeKind::Upsert, Some(_)) => "update",
                    }
                    .to_owned(),
                    before: version.before,
                    after: version.after,
                    user_id: version.user_id,
                    device_id: version.device_id,
                    hlc: version.hlc,
                    at_ms: version.at.timestamp_millis(),
                    origin: "server".to_owned(),
                },
                user_name: version.user_name,
                device_name: version.device_name,
                superseded: version.superseded,
            })
            .collect();
        entries.extend(
            local.into_iter().filter(|line| line.entry.origin == "local" && newest.is_none_or(|h| line.entry.hlc > h)),
        );
        Ok(entries)
    }

    /// Resolves a conflict. The server writes the chosen values as a new change
    /// (so every desk receives it) and this desk pulls it at once. Resolving needs
    /// the server: a decision taken against stale data would be a new conflict.
    pub async fn resolve_conflict(&self, id: Uuid, choice: &ResolutionChoice) -> Result<RoundReport, DeskError> {
        let client = self.online_client().await?;
        client.resolve_conflict(id, choice).await.map_err(|err| match err {
            err if err.is_transient() => DeskError::ServerUnreachable(err.to_string()),
            err => DeskError::Remote(err),
        })?;
        self.store.close_conflicts(&[id]).await?;
        let report = self.sync_once(1_000).await?;
        self.sync.conflicts_changed(self.store.open_conflicts().await?.len() as u64);
        self.changed(&report.changed.iter().copied().collect::<Vec<_>>()).await;
        Ok(report)
    }

    /// The signed-in session for `operation`, refused with [`DeskError::StaleBlocked`]
    /// when its stale-data policy blocks it now (a warning lets it go ahead: the app's
    /// banner shows it).
    pub(crate) async fn session_for(&self, operation: &str) -> Result<Session, DeskError> {
        let session = self.session().await?;
        match self.store.stale_verdict(operation, (self.clock)()).await? {
            StaleVerdict::Block { message } => Err(DeskError::StaleBlocked(message)),
            StaleVerdict::Go | StaleVerdict::Warn { .. } => Ok(session),
        }
    }

    /// After a change committed: every listener refreshes `entities` and the worker
    /// pushes it.
    pub(crate) async fn changed(&self, entities: &[EntityKind]) {
        self.sync.local_change(entities).await;
    }

    /// The context of a user action now.
    pub async fn session(&self) -> Result<Session, DeskError> {
        let state = self.state.read().await;
        let identity = state.identity.as_ref().ok_or(DeskError::NotEnrolled)?;
        let user = state.user.as_ref().ok_or(DeskError::NotSignedIn)?;
        let now: DateTime<Utc> = (self.clock)();
        let timezone = self.store.property_timezone(identity.property_id).await?;
        Ok(Session {
            property_id: identity.property_id,
            device_id: identity.device_id,
            user_id: user.user.id,
            user_name: user.user.display_name.clone(),
            role: user.role,
            device_prefix: identity.prefix.clone(),
            today: business_date(timezone.as_deref(), now),
            now_ms: u64::try_from(now.timestamp_millis()).unwrap_or(0),
        })
    }

    /// Stops the sync worker, letting a round in flight finish for up to `timeout`.
    pub async fn close(self, timeout: Duration) {
        if let Ok(mut slot) = self.reconnect.lock()
            && let Some(task) = slot.take()
        {
            task.abort();
        }
        self.wipe_watch.abort();
        self.sync.stop(timeout).await;
    }
}

/// The property's business date. Devices run in the property's time zone, so the
/// local calendar date is the business date.
/// The property's business date in its time zone, as the server reckons it; before
/// the first pull brings the property's record, this machine's date.
fn business_date(timezone: Option<&str>, now: DateTime<Utc>) -> NaiveDate {
    match timezone {
        Some(timezone) => sync_core::business_date(timezone, now),
        None => now.with_timezone(&chrono::Local).date_naive(),
    }
}

async fn online_sign_in(
    identity: &DeviceIdentity,
    username: &str,
    password: &str,
) -> Result<(SignedInUser, ServerClient), RemoteError> {
    let client = ServerClient::new(&identity.server_url)?;
    let signed = client.sign_in(identity.device_id, &identity.device_secret, username, password).await?;
    let user = SignedInUser { user: signed.user, role: signed.role, offline: false };
    Ok((user, client.with_token(signed.token)))
}

fn hash(password: &str) -> Result<String, DeskError> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|err| crate::Error::Storage(format!("password salt: {err}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|phc| phc.to_string())
        .map_err(|err| crate::Error::Storage(format!("password hashing: {err}")).into())
}

fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}
