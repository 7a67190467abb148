//! App updates served from the folder IT fills: who is offered what, staged rollouts,
//! the installer download, and a wrong folder that must not break the desks.

use std::path::Path;
use std::process::Command;

use frontdesk_server::Config;
use frontdesk_server::updates::{self, Offer};
use serde_json::Value;
use sync_core::protocol::DEVICE_HEADER;

use crate::support::{Device, Server};

const INSTALLER: &str = "Frontdesk_0.2.0_amd64.deb";
const SIGNATURE: &str = "dW50cnVzdGVkIGNvbW1lbnQ6IHNpZ25hdHVyZSBmcm9tIHRhdXJpIHNlY3JldCBrZXkK";

/// A folder with release 0.2.0 for Linux .deb desks at `percent`.
fn release_folder(dir: &Path, percent: u8) {
    std::fs::write(
        dir.join("release.toml"),
        format!(
            "version = \"0.2.0\"\nnotes = \"Folio windows\"\npub_date = \"2026-11-20T09:00:00Z\"\n\
             rollout_percent = {percent}\n[platforms]\nlinux-x86_64-deb = \"{INSTALLER}\"\n"
        ),
    )
    .expect("write release.toml");
    let installer: Vec<u8> = (0..200_000u32).map(|n| (n % 251) as u8).collect();
    std::fs::write(dir.join(INSTALLER), installer).expect("write the installer");
    std::fs::write(dir.join(format!("{INSTALLER}.sig")), format!("{SIGNATURE}\n")).expect("write the signature");
}

async fn server_with_updates(dir: &Path) -> Server {
    Server::start_with(Config { updates_dir: Some(dir.to_owned()), ..Config::default() }).await
}

/// A GET as the desk's updater makes it: with the device credential, no session.
async fn as_desk(desk: &Device, url: &str) -> reqwest::RequestBuilder {
    let credential = format!("{}:{}", desk.enrollment.device_id, desk.enrollment.device_secret);
    desk.http.get(url).header(DEVICE_HEADER, credential)
}

async fn check(desk: &Device, path: &str) -> reqwest::Response {
    as_desk(desk, &desk.url(&format!("/v1/updates/{path}"))).await.send().await.expect("update check")
}

#[tokio::test]
async fn an_older_desk_is_offered_the_release_and_downloads_its_installer() {
    let folder = tempfile::tempdir().expect("a temp dir");
    release_folder(folder.path(), 100);
    let server = server_with_updates(folder.path()).await;
    let desk = server.device("P1", "house").await;

    let response = check(&desk, "linux/x86_64/deb/0.1.0").await;
    assert_eq!(response.status(), 200);
    let offer: Offer = response.json().await.expect("an offer");
    assert_eq!(offer.version, "0.2.0");
    assert_eq!(offer.notes, "Folio windows");
    assert_eq!(offer.pub_date.as_deref(), Some("2026-11-20T09:00:00Z"));
    assert_eq!(offer.signature, SIGNATURE, "the .sig file, as the signing wrote it");
    assert_eq!(offer.url, server.url(&format!("/v1/updates/files/{INSTALLER}")));

    let download = as_desk(&desk, &offer.url).await.send().await.expect("download");
    assert_eq!(download.status(), 200);
    let bytes = download.bytes().await.expect("the installer");
    assert_eq!(bytes.as_ref(), std::fs::read(folder.path().join(INSTALLER)).expect("read").as_slice());
    // A broken download resumes where it stopped.
    let rest = as_desk(&desk, &offer.url).await.header("Range", "bytes=150000-").send().await.expect("ranged download");
    assert_eq!(rest.status(), 206);
    assert_eq!(rest.bytes().await.expect("the rest").as_ref(), &bytes[150_000..]);

    // Up to date, newer, or a platform the release has no installer for: nothing to install.
    for path in ["linux/x86_64/deb/0.2.0", "linux/x86_64/deb/0.3.1", "windows/x86_64/nsis/0.1.0"] {
        assert_eq!(check(&desk, path).await.status(), 204, "{path}");
    }
}

/// An update check whose request names another host, by every header a client may forge.
async fn forged(desk: &Device, url: &str) -> Offer {
    let response = as_desk(desk, url)
        .await
        .header("Host", "evil.example")
        .header("X-Forwarded-Proto", "https")
        .header("X-Forwarded-Host", "evil.example")
        .send()
        .await
        .expect("check");
    assert_eq!(response.status(), 200, "the desk is offered the release");
    response.json::<Offer>().await.expect("an offer")
}

/// A request that names another host (a forged `Host`, a forwarded scheme) cannot
/// send the desk to download its installer from there: the URL is the server's own,
/// the configured public address or, without one, the address it listens on.
#[tokio::test]
async fn the_download_url_is_the_servers_own_whatever_host_the_request_names() {
    let folder = tempfile::tempdir().expect("a temp dir");
    release_folder(folder.path(), 100);
    let server = server_with_updates(folder.path()).await;
    let desk = server.device("P1", "house").await;
    let offer = forged(&desk, &server.url("/v1/updates/linux/x86_64/deb/0.1.0")).await;
    assert_eq!(
        offer.url,
        server.url(&format!("/v1/updates/files/{INSTALLER}")),
        "without a public URL set, the listen address, not the Host header"
    );
    drop(server);

    let config = Config {
        updates_dir: Some(folder.path().to_owned()),
        public_url: Some("https://frontdesk.hotel.example".into()),
        ..Config::default()
    };
    let server = Server::start_with(config).await;
    let desk = server.device("P1", "house").await;
    let offer = forged(&desk, &server.url("/v1/updates/linux/x86_64/deb/0.1.0")).await;
    assert_eq!(
        offer.url,
        format!("https://frontdesk.hotel.example/v1/updates/files/{INSTALLER}"),
        "the configured public address, whatever the request says"
    );
}

#[tokio::test]
async fn checks_and_downloads_need_a_device_credential_and_only_the_releases_installers_are_served() {
    let folder = tempfile::tempdir().expect("a temp dir");
    release_folder(folder.path(), 100);
    std::fs::write(folder.path().join("notes-for-it.txt"), "not for the desks").expect("write");
    let server = server_with_updates(folder.path()).await;
    let http = reqwest::Client::new();
    for path in ["/v1/updates/linux/x86_64/deb/0.1.0", &format!("/v1/updates/files/{INSTALLER}")] {
        let response = http.get(server.url(path)).send().await.expect("request");
        assert_eq!(response.status(), 401, "{path} without a credential");
    }
    let desk = server.device("P1", "desk").await;
    // A staff session alone is not the desk's credential.
    let with_session = desk.get("/v1/updates/linux/x86_64/deb/0.1.0").await;
    assert_eq!(with_session.status(), 401);
    for file in ["release.toml", "notes-for-it.txt", &format!("{INSTALLER}.sig"), "..%2Frelease.toml", "nothing.deb"] {
        let response = as_desk(&desk, &desk.url(&format!("/v1/updates/files/{file}"))).await.send().await.expect("get");
        assert_eq!(response.status(), 404, "{file}");
        let body: Value = response.json().await.expect("an error body");
        assert_eq!(body["code"], "not_found", "{file}");
    }
    // A revoked desk is refused like any other request of it.
    frontdesk_server::auth::revoke_device(
        &server.store,
        "P1",
        &desk.enrollment.device_id.to_string(),
        false,
        "x",
        chrono::Utc::now(),
    )
    .await
    .expect("revoked");
    assert_eq!(check(&desk, "linux/x86_64/deb/0.1.0").await.status(), 401);
}

#[tokio::test]
async fn a_staged_rollout_reaches_the_desks_of_its_share_and_more_as_it_grows() {
    let folder = tempfile::tempdir().expect("a temp dir");
    release_folder(folder.path(), 0);
    let server = server_with_updates(folder.path()).await;
    let mut desks = Vec::new();
    for user in ["manager", "desk", "desk2", "house", "desk", "desk2", "house", "manager"] {
        desks.push(server.device("P1", user).await);
    }
    let version = semver::Version::parse("0.2.0").expect("a version");
    for desk in &desks {
        assert_eq!(check(desk, "linux/x86_64/deb/0.1.0").await.status(), 204, "0%: no desk is offered it");
    }
    // IT raises the share in release.toml; the server reads it at the next check.
    release_folder(folder.path(), 50);
    for desk in &desks {
        let expected = updates::in_rollout(desk.enrollment.device_id, &version, 50);
        let status = check(desk, "linux/x86_64/deb/0.1.0").await.status();
        assert_eq!(status, if expected { 200 } else { 204 }, "the desk's bucket decides");
    }
    release_folder(folder.path(), 100);
    for desk in &desks {
        assert_eq!(check(desk, "linux/x86_64/deb/0.1.0").await.status(), 200, "100%: every desk");
    }
}

#[tokio::test]
async fn a_wrong_release_file_or_request_gets_a_clear_answer() {
    // No folder configured: nothing is offered.
    let server = Server::start().await;
    let desk = server.device("P1", "desk").await;
    assert_eq!(check(&desk, "linux/x86_64/deb/0.1.0").await.status(), 204);
    for (path, code) in [
        ("beos/x86_64/deb/0.1.0", "invalid_platform"),
        ("linux/sparc/deb/0.1.0", "invalid_platform"),
        ("linux/x86_64/DEB!/0.1.0", "invalid_platform"),
        ("linux/x86_64/deb/latest", "invalid_version"),
    ] {
        let response = check(&desk, path).await;
        assert_eq!(response.status(), 422, "{path}");
        let body: Value = response.json().await.expect("an error body");
        assert_eq!(body["code"], code, "{path}");
    }
    drop(server);

    // A release.toml with a mistake: 503 for the desks (which carry on), the reason in the log.
    let folder = tempfile::tempdir().expect("a temp dir");
    std::fs::write(folder.path().join("release.toml"), "version = \"0.2\"\n[platforms]\nlinux-x86_64 = \"a.deb\"\n")
        .expect("write");
    let server = server_with_updates(folder.path()).await;
    let desk = server.device("P1", "desk").await;
    let response = check(&desk, "linux/x86_64/deb/0.1.0").await;
    assert_eq!(response.status(), 503);
    let body: Value = response.json().await.expect("an error body");
    assert_eq!(body["code"], "updates_unavailable");
}

#[test]
fn the_admin_command_checks_the_folder_before_the_desks_see_it() {
    let folder = tempfile::tempdir().expect("a temp dir");
    release_folder(folder.path(), 25);
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_frontdesk-server"))
            .args(["updates", "--updates-dir"])
            .arg(folder.path())
            .env_remove("FRONTDESK_CONFIG")
            .output()
            .expect("the server binary runs")
    };
    let output = run();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}{}", String::from_utf8_lossy(&output.stderr));
    assert!(stdout.contains("version 0.2.0 offered to 25% of the desks"), "{stdout}");
    assert!(stdout.contains(&format!("linux-x86_64-deb         {INSTALLER} (0.2 MiB, signed)")), "{stdout}");

    std::fs::remove_file(folder.path().join(format!("{INSTALLER}.sig"))).expect("remove the signature");
    let output = run();
    assert!(!output.status.success(), "an unsigned installer is reported");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("linux-x86_64-deb: signature") && stderr.contains("tauri signer sign"), "{stderr}");
}
