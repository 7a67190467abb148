//! New versions of the app itself, offered by the property's sync server (`/v1/updates`,
//! from the folder IT fills) and installed through Tauri's updater.
//!
//! The desk asks at start (with its device credential, so before anyone signs in too)
//! and every six hours after; the server decides whether this desk is in the release's staged
//! rollout. An offered installer is downloaded and checked against the release public key
//! built into the app (`plugins.updater.pubkey` in tauri.conf.json, with the signed version
//! required to match the announced one) before anything is installed: a file swapped on
//! the server, a signature made with another key or an old release announced as new is
//! refused, and the desk keeps running the version it has. The UI shows what is available
//! and lets the person at the desk install it when it suits them: the queued changes are
//! in the local store and survive the restart.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager, Runtime, Url};
use tauri_plugin_updater::{Error as UpdaterError, Update, UpdaterExt};
use tokio::sync::Mutex;

use crate::state::AppState;

/// The event the UI hears when a check finds a new version (payload: [`UpdateStatus`]).
pub const UPDATE_AVAILABLE: &str = "update-available";
/// How often a desk asks for a new version.
const CHECK_EVERY: Duration = Duration::from_secs(6 * 60 * 60);
/// How soon a desk asks again after a failed check.
const RETRY_AFTER: Duration = Duration::from_secs(30 * 60);
/// How often the background task looks whether a check is due (the first look is this
/// long after start, when the desk has opened and enrolled).
const TICK: Duration = Duration::from_secs(15);
/// Longest an update request may take (an installer is tens of MiB on a hotel's line).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// What the UI shows about updates.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateStatus {
    /// The version this desk runs.
    pub current_version: String,
    /// The newer version the server offers this desk, if any.
    pub available: Option<AvailableUpdate>,
    /// When the last check answered.
    pub checked_at: Option<DateTime<Utc>>,
    /// Why the last check or installation failed, in words for the desk.
    pub error: Option<String>,
    /// An installation is under way (the app restarts when it is done).
    pub installing: bool,
}

/// A version the server offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AvailableUpdate {
    pub version: String,
    pub notes: String,
    pub date: Option<String>,
}

impl AvailableUpdate {
    fn of(update: &Update) -> Self {
        AvailableUpdate {
            version: update.version.clone(),
            notes: update.body.clone().unwrap_or_default(),
            date: update.raw_json.get("pub_date").and_then(|date| date.as_str()).map(str::to_owned),
        }
    }
}

/// The updater's state for the app's lifetime (managed by Tauri).
#[derive(Default)]
pub struct Updates {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    status: UpdateStatus,
    update: Option<Update>,
}

impl std::fmt::Debug for Updates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Updates").finish_non_exhaustive()
    }
}

impl Updates {
    /// The status to show, with this app's version.
    pub async fn status<R: Runtime>(&self, app: &AppHandle<R>) -> UpdateStatus {
        let mut status = self.inner.lock().await.status.clone();
        status.current_version = app.package_info().version.to_string();
        status
    }
}

/// Where `server` offers updates: the updater fills in the platform and the version.
pub fn endpoint(server: &str) -> Result<Url, String> {
    let url = format!(
        "{}/v1/updates/{{{{target}}}}/{{{{arch}}}}/{{{{bundle_type}}}}/{{{{current_version}}}}",
        server.trim().trim_end_matches('/')
    );
    Url::parse(&url).map_err(|err| format!("`{server}` is not a server address: {err}"))
}

/// Asks `server` whether it offers this desk a newer version; `credential` is the desk's
/// `<device id>:<device secret>`, sent with the check and the download.
pub async fn check<R: Runtime>(app: &AppHandle<R>, server: &str, credential: &str) -> Result<Option<Update>, String> {
    let endpoint = endpoint(server)?;
    let updater = app
        .updater_builder()
        .endpoints(vec![endpoint])
        .and_then(|builder| builder.header(sync_core::protocol::DEVICE_HEADER, credential))
        .map(|builder| builder.timeout(REQUEST_TIMEOUT))
        .and_then(|builder| builder.build())
        .map_err(|err| describe(&err))?;
    updater.check().await.map_err(|err| describe(&err))
}

/// Downloads the offered installer and answers its bytes only when its signature holds
/// for the release key built into the app and for the version announced.
pub async fn download(update: &Update) -> Result<Vec<u8>, String> {
    update.download(|_, _| {}, || {}).await.map_err(|err| describe(&err))
}

/// An updater failure, in words for the person at the desk.
pub fn describe(err: &UpdaterError) -> String {
    match err {
        UpdaterError::Minisign(_) | UpdaterError::Base64(_) | UpdaterError::SignatureUtf8(_) => {
            "The downloaded update does not carry this app's release signature, so it was not installed. \
             Tell your IT: the server's update folder holds a file that is not from the release."
                .to_owned()
        }
        UpdaterError::SignedVersionMismatch { signed, announced } => format!(
            "The update announced as version {announced} is signed as version {signed}, so it was not installed. \
             Tell your IT: the server's release.toml names the wrong file or version."
        ),
        UpdaterError::MissingSignedVersion => "The update's signature does not say which version it is for, \
             so it was not installed. Tell your IT: sign the installer with --app-version."
            .to_owned(),
        UpdaterError::InsecureTransportProtocol => "Updates are only fetched over HTTPS, and this desk's server \
             address starts with http://. Ask your IT to serve the sync server over HTTPS."
            .to_owned(),
        UpdaterError::Reqwest(_) | UpdaterError::Network(_) => {
            format!("The server could not be asked for updates: {err}. The desk will try again later.")
        }
        UpdaterError::DebInstallFailed
        | UpdaterError::PackageInstallFailed
        | UpdaterError::AuthenticationFailed
        | UpdaterError::InvalidUpdaterFormat => format!(
            "The update was verified but could not be installed ({err}). \
             Ask your IT to install it with the system's package manager."
        ),
        other => format!("Checking for updates failed: {other}"),
    }
}

/// Checks now with the desk's credential, records the outcome and tells every window
/// when a new version is there. Answers the status.
pub async fn check_now<R: Runtime>(app: &AppHandle<R>) -> Result<UpdateStatus, String> {
    let state = app.state::<AppState>();
    let updates = app.state::<Updates>();
    let Some(identity) = state.desk.identity().await else {
        return Err("This desk is not enrolled with a server yet.".to_owned());
    };
    let credential = format!("{}:{}", identity.device_id, identity.device_secret);
    let outcome = check(app, &identity.server_url, &credential).await;
    let mut inner = updates.inner.lock().await;
    let was = inner.status.available.clone();
    match outcome {
        Ok(update) => {
            inner.status.available = update.as_ref().map(AvailableUpdate::of);
            inner.status.checked_at = Some(Utc::now());
            inner.status.error = None;
            inner.update = update;
        }
        Err(message) => {
            inner.status.error = Some(message.clone());
            drop(inner);
            return Err(message);
        }
    }
    let status = UpdateStatus { current_version: app.package_info().version.to_string(), ..inner.status.clone() };
    drop(inner);
    if status.available.is_some() && status.available != was {
        tracing::info!(version = ?status.available.as_ref().map(|a| &a.version), "a new version is offered");
        if let Err(err) = app.emit(UPDATE_AVAILABLE, status.clone()) {
            tracing::warn!("could not tell the windows of the update: {err}");
        }
    }
    Ok(status)
}

/// Downloads, verifies and installs the offered version, then restarts the app into it.
/// Returns only when that failed, with why.
pub async fn install<R: Runtime>(app: &AppHandle<R>) -> Result<(), String> {
    let updates = app.state::<Updates>();
    let update = {
        let mut inner = updates.inner.lock().await;
        let Some(update) = inner.update.clone() else {
            return Err("No update is waiting: check for updates first.".to_owned());
        };
        if inner.status.installing {
            return Err("The update is being installed already.".to_owned());
        }
        inner.status.installing = true;
        update
    };
    tracing::info!(version = %update.version, "installing the offered version");
    let installed = match download(&update).await {
        Ok(bytes) => update.install(bytes).map_err(|err| describe(&err)),
        Err(message) => Err(message),
    };
    match installed {
        Ok(()) => {
            tracing::info!(version = %update.version, "installed; restarting");
            app.restart()
        }
        Err(message) => {
            tracing::error!("update {}: {message}", update.version);
            let mut inner = updates.inner.lock().await;
            inner.status.installing = false;
            inner.status.error = Some(message.clone());
            Err(message)
        }
    }
}

/// Starts the background checks: soon after start (once the desk is enrolled), then
/// every six hours (half an hour after a failure).
pub fn start<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut due = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(TICK).await;
            if tokio::time::Instant::now() < due || app.state::<AppState>().desk.identity().await.is_none() {
                continue;
            }
            due = tokio::time::Instant::now()
                + match check_now(&app).await {
                    Ok(_) => CHECK_EVERY,
                    Err(message) => {
                        tracing::warn!("update check: {message}");
                        RETRY_AFTER
                    }
                };
        }
    });
}
