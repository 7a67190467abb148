//! New versions of the desktop app, offered to the desks from a folder the property's
//! IT fills (`updates.dir`): the installers built by a release, each with the `.sig`
//! file the release signing made, and a `release.toml` naming them:
//!
//! ```toml
//! version = "0.2.0"
//! notes = "Folio windows; faster first sync."
//! pub_date = "2026-11-20T09:00:00Z"   # optional
//! rollout_percent = 25                # optional, 100 by default
//!
//! [platforms]
//! linux-x86_64-deb = "Frontdesk_0.2.0_amd64.deb"
//! windows-x86_64-nsis = "Frontdesk_0.2.0_x64-setup.exe"
//! ```
//!
//! The file is read at every check, so raising `rollout_percent` (or pulling a release
//! by deleting the file) takes effect at the desks' next check without a restart. A desk
//! is in a staged rollout when its bucket (a hash of its device id and the version, 0 to
//! 99) is below the percentage: the same desks stay in as the percentage grows, and each
//! release draws its own first desks.
//!
//! The desks ask with their device credential (the `frontdesk-device` header), not a staff
//! session, so a desk checks at start even before anyone signs in; a revoked desk is
//! refused.
//!
//! The answer is the Tauri updater's format (`version`, `notes`, `pub_date`, `url`,
//! `signature`); the desk's updater verifies the download against the public key built
//! into the app, so a file swapped in this folder is refused by every desk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tower_http::services::ServeFile;
use uuid::Uuid;

use crate::AppState;
use crate::error::AppError;

/// The file of the folder that names the release.
pub const RELEASE_FILE: &str = "release.toml";

/// The release described by `release.toml`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    pub version: semver::Version,
    pub notes: String,
    pub pub_date: Option<DateTime<Utc>>,
    pub rollout_percent: u8,
    /// Installer file (in the folder) by updater platform key, e.g. `linux-x86_64-deb`.
    pub platforms: BTreeMap<String, String>,
}

/// What `release.toml` holds, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseFile {
    version: String,
    #[serde(default)]
    notes: String,
    pub_date: Option<String>,
    rollout_percent: Option<i64>,
    platforms: BTreeMap<String, String>,
}

/// Why the folder cannot be served: a message for the operator naming the file and key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ReleaseError(pub String);

/// The update offered to one desk, in the Tauri updater's format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    pub version: String,
    pub notes: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pub_date: Option<String>,
    /// Where the desk downloads the installer (`/v1/updates/files/<file>` of this server).
    pub url: String,
    /// The installer's `.sig` file, as the release signing wrote it.
    pub signature: String,
}

/// Operating systems and architectures the updater names in its requests.
const TARGETS: &[&str] = &["linux", "windows", "darwin"];
const ARCHES: &[&str] = &["x86_64", "aarch64", "i686", "armv7"];

impl Release {
    /// Reads the release of `dir`; `None` when the folder holds no `release.toml` (no
    /// release published: every desk is told there is nothing to install).
    pub fn read(dir: &Path) -> Result<Option<Release>, ReleaseError> {
        let path = dir.join(RELEASE_FILE);
        let text = match std::fs::read_to_string(&path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(err) => return Err(ReleaseError(format!("{}: cannot read: {err}", path.display()))),
        };
        Release::parse(&text, &path.display().to_string()).map(Some)
    }

    /// Checks the text of a `release.toml`; `source` names it in errors.
    pub fn parse(text: &str, source: &str) -> Result<Release, ReleaseError> {
        let refuse = |message: String| ReleaseError(format!("{source}: {message}"));
        let file: ReleaseFile =
            toml::from_str(text).map_err(|err| refuse(format!("is not a release file: {}", err.message())))?;
        let version = semver::Version::parse(file.version.trim())
            .map_err(|err| refuse(format!("version \"{}\" is not a version like 1.4.2: {err}", file.version)))?;
        let pub_date = file
            .pub_date
            .map(|date| {
                DateTime::parse_from_rfc3339(date.trim()).map(|d| d.with_timezone(&Utc)).map_err(|_| {
                    refuse(format!("pub_date \"{date}\" is not a date and time like 2026-11-20T09:00:00Z"))
                })
            })
            .transpose()?;
        let rollout_percent = match file.rollout_percent {
            None => 100,
            Some(n) => u8::try_from(n)
                .ok()
                .filter(|n| *n <= 100)
                .ok_or_else(|| refuse(format!("rollout_percent must be a whole number from 0 to 100, got {n}")))?,
        };
        if file.platforms.is_empty() {
            return Err(refuse("[platforms] names no installer: add e.g. linux-x86_64-deb = \"FILE\"".into()));
        }
        for (platform, installer) in &file.platforms {
            let mut parts = platform.splitn(3, '-');
            let (target, arch) = (parts.next().unwrap_or_default(), parts.next().unwrap_or_default());
            if !TARGETS.contains(&target) || !ARCHES.contains(&arch) {
                return Err(refuse(format!(
                    "platform \"{platform}\" is not one the updater asks for: OS-ARCH or OS-ARCH-BUNDLE, OS one of {}, ARCH one of {}",
                    TARGETS.join(", "),
                    ARCHES.join(", ")
                )));
            }
            if !is_plain_file_name(installer) {
                return Err(refuse(format!(
                    "platforms.{platform} must name a file in the folder (no directories), got \"{installer}\""
                )));
            }
        }
        Ok(Release { version, notes: file.notes, pub_date, rollout_percent, platforms: file.platforms })
    }

    /// The installer for a desk's platform: the bundle's own entry (`linux-x86_64-deb`) or
    /// the platform's (`linux-x86_64`).
    pub fn installer(&self, target: &str, arch: &str, bundle: &str) -> Option<&str> {
        self.platforms
            .get(&format!("{target}-{arch}-{bundle}"))
            .or_else(|| self.platforms.get(&format!("{target}-{arch}")))
            .map(String::as_str)
    }

    /// Whether the release is offered to the file `name` (so only its installers are served).
    pub fn names_file(&self, name: &str) -> bool {
        self.platforms.values().any(|file| file == name)
    }

    /// Checks that every installer and its signature are in `dir`; answers, per platform,
    /// the installer's size in bytes.
    pub fn check_files(&self, dir: &Path) -> Result<Vec<(String, u64)>, ReleaseError> {
        self.platforms
            .iter()
            .map(|(platform, file)| {
                let size = std::fs::metadata(dir.join(file))
                    .map_err(|err| ReleaseError(format!("{platform}: installer {}: {err}", dir.join(file).display())))?
                    .len();
                signature(dir, file).map_err(|err| ReleaseError(format!("{platform}: {err}")))?;
                Ok((platform.clone(), size))
            })
            .collect()
    }
}

/// A file name with no directory part, so a request cannot reach outside the folder.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 255
        && name != "."
        && name != ".."
        && !name.contains(['/', '\\', '\0'])
        && name != RELEASE_FILE
}

/// The signature of installer `file`: the text of `file.sig` beside it.
pub fn signature(dir: &Path, file: &str) -> Result<String, ReleaseError> {
    let path = dir.join(format!("{file}.sig"));
    let text = std::fs::read_to_string(&path).map_err(|err| {
        ReleaseError(format!(
            "signature {}: {err} (sign the installer with `tauri signer sign` and put the .sig beside it)",
            path.display()
        ))
    })?;
    let text = text.trim().to_owned();
    if text.is_empty() {
        return Err(ReleaseError(format!("signature {} is empty", path.display())));
    }
    Ok(text)
}

/// The desk's bucket for `version`, 0 to 99.
pub fn bucket(device_id: Uuid, version: &semver::Version) -> u8 {
    let digest = Sha256::new().chain_update(device_id.as_bytes()).chain_update(version.to_string()).finalize();
    let n = u16::from_be_bytes([digest[0], digest[1]]);
    u8::try_from(n % 100).unwrap_or(0)
}

/// Whether the desk is among the first `percent` of the rollout of `version`.
pub fn in_rollout(device_id: Uuid, version: &semver::Version, percent: u8) -> bool {
    bucket(device_id, version) < percent
}

/// A desk's request: what it runs and where.
#[derive(Debug, Clone)]
pub struct Asking<'a> {
    pub device_id: Uuid,
    pub target: &'a str,
    pub arch: &'a str,
    pub bundle: &'a str,
    pub current: &'a semver::Version,
}

/// The offer for a desk, or `None` when it has nothing to install: it runs this version or
/// a newer one, its platform has no installer, or the rollout has not reached it yet.
/// `files_url` is where this server serves `/v1/updates/files`.
pub fn offer(
    dir: &Path,
    release: &Release,
    asking: &Asking<'_>,
    files_url: &str,
) -> Result<Option<Offer>, ReleaseError> {
    if release.version <= *asking.current || !in_rollout(asking.device_id, &release.version, release.rollout_percent) {
        return Ok(None);
    }
    let Some(file) = release.installer(asking.target, asking.arch, asking.bundle) else {
        return Ok(None);
    };
    Ok(Some(Offer {
        version: release.version.to_string(),
        notes: release.notes.clone(),
        pub_date: release.pub_date.map(|date| date.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        url: format!("{}/{}", files_url.trim_end_matches('/'), percent_encode(file)),
        signature: signature(dir, file)?,
    }))
}

/// The path of an installer the release names, for download; `None` for any other name.
pub fn installer_path(dir: &Path, release: &Release, name: &str) -> Option<PathBuf> {
    (is_plain_file_name(name) && release.names_file(name)).then(|| dir.join(name))
}

/// A file name as one URL path segment.
fn percent_encode(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => char::from(b).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

// ---- serving (`/v1/updates`) -----------------------------------------------------------

/// The path of an update check, as the desk's updater fills it in:
/// `/v1/updates/{target}/{arch}/{bundle}/{current_version}`.
#[derive(Debug, Clone, Deserialize)]
pub struct Platform {
    pub target: String,
    pub arch: String,
    pub bundle: String,
    pub current_version: String,
}

/// `GET /v1/updates/...`: the offer for the calling desk (200), or 204 when it has nothing
/// to install (or the server offers no updates). A folder whose `release.toml` is wrong
/// answers 503 and logs why, so the desks carry on and IT sees it in the log.
pub async fn check(state: &AppState, device_id: Uuid, platform: &Platform) -> Result<Response, AppError> {
    if !TARGETS.contains(&platform.target.as_str()) || !ARCHES.contains(&platform.arch.as_str()) {
        return Err(AppError::unprocessable(
            "invalid_platform",
            format!(
                "unknown platform {}-{}: the OS is one of {} and the architecture one of {}",
                platform.target,
                platform.arch,
                TARGETS.join(", "),
                ARCHES.join(", ")
            ),
        ));
    }
    if platform.bundle.is_empty()
        || platform.bundle.len() > 16
        || !platform.bundle.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return Err(AppError::unprocessable(
            "invalid_platform",
            format!("unknown bundle type `{}`: a short lowercase name like deb, rpm, msi or nsis", platform.bundle),
        ));
    }
    let current = semver::Version::parse(&platform.current_version).map_err(|err| {
        AppError::unprocessable(
            "invalid_version",
            format!("current version `{}` is not a version like 1.4.2: {err}", platform.current_version),
        )
    })?;
    let Some(dir) = state.config.updates_dir.clone() else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let release = read_release(dir.clone()).await?;
    let Some(release) = release else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let asking = Asking {
        device_id,
        target: &platform.target,
        arch: &platform.arch,
        bundle: &platform.bundle,
        current: &current,
    };
    let files_url = format!("{}/v1/updates/files", public_base(state)?);
    match offer(&dir, &release, &asking, &files_url).map_err(unavailable)? {
        Some(offer) => Ok(Json(offer).into_response()),
        None => Ok(StatusCode::NO_CONTENT.into_response()),
    }
}

/// `GET /v1/updates/files/{file}`: an installer the release names (404 for any other
/// file), served with ranges so a broken download can resume.
pub async fn download(state: &AppState, file: &str, request: Request) -> Result<Response, AppError> {
    let not_found = || AppError::not_found(format!("no installer `{file}` in the release offered by this server"));
    let Some(dir) = state.config.updates_dir.clone() else {
        return Err(not_found());
    };
    let release = read_release(dir.clone()).await?.ok_or_else(not_found)?;
    let path = installer_path(&dir, &release, file).ok_or_else(not_found)?;
    if !tokio::fs::try_exists(&path).await.unwrap_or(false) {
        tracing::error!(path = %path.display(), "release.toml names an installer that is not in the folder");
        return Err(not_found());
    }
    let response = ServeFile::new(path).try_call(request).await.map_err(AppError::internal)?;
    Ok(response.map(Body::new))
}

/// The folder's release, read off the async threads.
async fn read_release(dir: PathBuf) -> Result<Option<Release>, AppError> {
    tokio::task::spawn_blocking(move || Release::read(&dir)).await.map_err(AppError::internal)?.map_err(unavailable)
}

fn unavailable(err: ReleaseError) -> AppError {
    tracing::error!("update folder: {err}");
    AppError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "updates_unavailable",
        "the update folder of this server is not set up right; its log says why",
    )
}

/// The server's address as the desks reach it: `server.public_url`, else the listen
/// address ([`crate::serve`] fills it in). Never the request's `Host` or
/// `X-Forwarded-*` headers: any client writes those, and a desk must not be sent to
/// download an installer from wherever a forged request named.
fn public_base(state: &AppState) -> Result<&str, AppError> {
    state.config.public_url.as_deref().ok_or_else(|| AppError::internal("the server has no public URL"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(text: &str) -> semver::Version {
        semver::Version::parse(text).expect("a version")
    }

    const RELEASE: &str = r#"
        version = "0.2.0"
        notes = "Folio windows"
        pub_date = "2026-11-20T09:00:00Z"
        rollout_percent = 25
        [platforms]
        linux-x86_64-deb = "Frontdesk_0.2.0_amd64.deb"
        linux-x86_64 = "Frontdesk_0.2.0_amd64.AppImage"
        windows-x86_64-nsis = "Frontdesk 0.2.0 setup.exe"
    "#;

    #[test]
    fn a_release_file_is_read_with_its_platforms() {
        let release = Release::parse(RELEASE, "release.toml").expect("valid");
        assert_eq!(release.version, version("0.2.0"));
        assert_eq!(release.rollout_percent, 25);
        assert_eq!(release.installer("linux", "x86_64", "deb"), Some("Frontdesk_0.2.0_amd64.deb"));
        assert_eq!(release.installer("linux", "x86_64", "rpm"), Some("Frontdesk_0.2.0_amd64.AppImage"));
        assert_eq!(release.installer("darwin", "aarch64", "app"), None);
        assert!(release.names_file("Frontdesk 0.2.0 setup.exe"));
        assert!(!release.names_file("release.toml"));
    }

    #[test]
    fn a_wrong_release_file_is_refused_naming_the_key() {
        let cases = [
            ("version = \"two\"\n[platforms]\nlinux-x86_64 = \"a\"", "is not a version"),
            ("version = \"1.0.0\"\nrollout_percent = 150\n[platforms]\nlinux-x86_64 = \"a\"", "from 0 to 100"),
            ("version = \"1.0.0\"\n[platforms]\nbeos-x86_64 = \"a\"", "platform \"beos-x86_64\""),
            ("version = \"1.0.0\"\n[platforms]\nlinux-x86_64 = \"../../etc/passwd\"", "no directories"),
            ("version = \"1.0.0\"\n[platforms]\nlinux-x86_64 = \"release.toml\"", "must name a file"),
            ("version = \"1.0.0\"\n[platforms]", "names no installer"),
            ("version = \"1.0.0\"\nrollout = 5\n[platforms]\nlinux-x86_64 = \"a\"", "unknown field"),
            ("version = \"1.0.0\"\npub_date = \"monday\"\n[platforms]\nlinux-x86_64 = \"a\"", "pub_date"),
        ];
        for (text, expected) in cases {
            let err = Release::parse(text, "release.toml").expect_err(text);
            assert!(err.0.contains(expected), "{text}: {err}");
            assert!(err.0.starts_with("release.toml: "), "{err}");
        }
    }

    #[test]
    fn a_staged_rollout_reaches_about_its_share_and_keeps_the_desks_it_reached() {
        let release = version("0.2.0");
        let desks: Vec<Uuid> = (0..2_000u128).map(|n| Uuid::from_u128(n * 7_919 + 13)).collect();
        let reached = |percent: u8| -> Vec<Uuid> {
            desks.iter().copied().filter(|desk| in_rollout(*desk, &release, percent)).collect()
        };
        assert!(reached(0).is_empty());
        assert_eq!(reached(100).len(), desks.len());
        let quarter = reached(25);
        assert!((400..600).contains(&quarter.len()), "25% of 2,000 desks reached {}", quarter.len());
        let half = reached(50);
        assert!((900..1_100).contains(&half.len()), "50% of 2,000 desks reached {}", half.len());
        assert!(quarter.iter().all(|desk| half.contains(desk)), "raising the share keeps the desks already reached");
        // Each release draws its own first desks.
        let next: Vec<Uuid> = desks.iter().copied().filter(|desk| in_rollout(*desk, &version("0.3.0"), 25)).collect();
        assert_ne!(next, quarter);
    }

    #[test]
    fn an_offer_goes_only_to_older_desks_of_a_platform_with_an_installer() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut release = Release::parse(RELEASE, "release.toml").expect("valid");
        release.rollout_percent = 100;
        std::fs::write(dir.path().join("Frontdesk 0.2.0 setup.exe.sig"), "c2lnbmF0dXJl\n").expect("write");
        let desk = Uuid::from_u128(42);
        let asking = |current: &semver::Version| -> Option<Offer> {
            let asking = Asking { device_id: desk, target: "windows", arch: "x86_64", bundle: "nsis", current };
            offer(dir.path(), &release, &asking, "https://hotel.example/v1/updates/files").expect("readable")
        };
        let offered = asking(&version("0.1.9")).expect("an update for 0.1.9");
        assert_eq!(offered.version, "0.2.0");
        assert_eq!(offered.url, "https://hotel.example/v1/updates/files/Frontdesk%200.2.0%20setup.exe");
        assert_eq!(offered.signature, "c2lnbmF0dXJl");
        assert_eq!(offered.pub_date.as_deref(), Some("2026-11-20T09:00:00Z"));
        for current in ["0.2.0", "0.3.0"] {
            assert_eq!(asking(&version(current)), None, "{current}");
        }
        let old = version("0.1.0");
        let mac = Asking { device_id: desk, target: "darwin", arch: "aarch64", bundle: "app", current: &old };
        assert_eq!(offer(dir.path(), &release, &mac, "x").expect("ok"), None);
        release.rollout_percent = 0;
        let windows = Asking { target: "windows", arch: "x86_64", bundle: "nsis", ..mac };
        assert_eq!(offer(dir.path(), &release, &windows, "x").expect("ok"), None);
    }

    #[test]
    fn only_the_releases_installers_can_be_downloaded() {
        let release = Release::parse(RELEASE, "release.toml").expect("valid");
        let dir = Path::new("/srv/updates");
        assert_eq!(
            installer_path(dir, &release, "Frontdesk_0.2.0_amd64.deb"),
            Some(dir.join("Frontdesk_0.2.0_amd64.deb"))
        );
        for name in ["release.toml", "../server.toml", "Frontdesk_0.2.0_amd64.deb.sig", "other.deb", ""] {
            assert_eq!(installer_path(dir, &release, name), None, "{name}");
        }
    }
}
