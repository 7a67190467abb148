//! The app's updater against the real sync server: an offered release is downloaded and
//! its signature checked against the release key the app trusts, and every way a
//! download can be wrong (a swapped file, another key, an old release announced as new)
//! is refused before anything is installed.
//!
//! The app runs on Tauri's mock runtime (no window is needed to check, download and
//! verify) with the real updater plugin, trusting the test key of
//! `tests/fixtures/updates` instead of the release key (see the README there).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Utc;
use frontdesk_device::desk::Desk;
use frontdesk_server::admin::{DemoOptions, seed_demo};
use frontdesk_server::{AppState, Config, Store};
use tauri::test::{MockRuntime, mock_builder, mock_context, noop_assets};
use tokio::sync::oneshot;

const PASSWORD: &str = "updates-test-password";
/// The installer of version 0.2.0 (a stand-in file) and its signature by the test key.
const INSTALLER: &str = "frontdesk-0.2.0-test.bin";

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/updates")
}

fn test_public_key() -> String {
    std::fs::read_to_string(fixtures().join("test-signing.key.pub")).expect("the test public key").trim().to_owned()
}

/// The app, trusting the test key and requiring the signed version to match (as
/// tauri.conf.json does for the release key); it runs version 0.1.0.
fn app() -> tauri::App<MockRuntime> {
    let mut context = mock_context(noop_assets());
    context
        .config_mut()
        .plugins
        .0
        .insert("updater".into(), serde_json::json!({ "pubkey": test_public_key(), "requireSignedVersion": true }));
    mock_builder().plugin(tauri_plugin_updater::Builder::new().build()).build(context).expect("the app builds")
}

/// The real server with an update folder, and a desk signed in to it.
struct Hotel {
    folder: tempfile::TempDir,
    base: String,
    credential: String,
    _desk: Desk,
    _dir: tempfile::TempDir,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Hotel {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Hotel {
    async fn open() -> Hotel {
        let dir = tempfile::tempdir().expect("a temp dir");
        let folder = tempfile::tempdir().expect("an update folder");
        let store = Store::open(&format!("sqlite://{}", dir.path().join("server.sqlite3").display()))
            .await
            .expect("the server store opens");
        let options = DemoOptions { property_code: "UPD", rooms: 4, days: 2, password: PASSWORD, channel: "updates" };
        seed_demo(&store, &options, Utc::now()).await.expect("a hotel");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let config = Config { updates_dir: Some(folder.path().to_owned()), ..Config::default() };
        let state = AppState::new(store.clone(), config);
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = frontdesk_server::serve(listener, state, async move { drop(stopped.await) }).await;
        });
        let code =
            frontdesk_server::auth::create_enrollment_code(&store, "UPD", chrono::Duration::hours(1), Utc::now())
                .await
                .expect("an enrollment code");
        let desk =
            Desk::open_manual(dir.path().join("desk.sqlite3"), Arc::new(Utc::now)).await.expect("the desk opens");
        desk.enroll(&base, &code, "Reception 1").await.expect("enrolled");
        // Nobody signs in: the desk checks with its own credential.
        let identity = desk.identity().await.expect("enrolled");
        let credential = format!("{}:{}", identity.device_id, identity.device_secret);
        Hotel { folder, base, credential, _desk: desk, _dir: dir, stop: Some(stop) }
    }

    /// IT publishes `version` with the fixture installer, the installer bytes `installer`
    /// and the signature file `signature` of the fixtures.
    fn publish(&self, version: &str, installer: &[u8], signature: &str) {
        let dir = self.folder.path();
        std::fs::write(dir.join(INSTALLER), installer).expect("copy the installer");
        std::fs::copy(fixtures().join(signature), dir.join(format!("{INSTALLER}.sig"))).expect("copy the signature");
        std::fs::write(
            dir.join("release.toml"),
            format!(
                "version = \"{version}\"\nnotes = \"Folio windows\"\n[platforms]\nlinux-x86_64 = \"{INSTALLER}\"\n"
            ),
        )
        .expect("write release.toml");
    }
}

fn installer() -> Vec<u8> {
    std::fs::read(fixtures().join(INSTALLER)).expect("the fixture installer")
}

async fn offered_download(hotel: &Hotel) -> Result<Vec<u8>, String> {
    let app = app();
    let update = frontdesk_app::updates::check(app.handle(), &hotel.base, &hotel.credential)
        .await
        .expect("the check answers")
        .expect("0.2.0 is offered to a desk on 0.1.0");
    frontdesk_app::updates::download(&update).await
}

#[tokio::test]
async fn a_signed_release_is_offered_and_downloads_verified() {
    let hotel = Hotel::open().await;
    let app = app();
    // Nothing published yet: nothing to install.
    let none = frontdesk_app::updates::check(app.handle(), &hotel.base, &hotel.credential).await.expect("answers");
    assert!(none.is_none());

    hotel.publish("0.2.0", &installer(), "frontdesk-0.2.0-test.bin.sig");
    let update = frontdesk_app::updates::check(app.handle(), &hotel.base, &hotel.credential)
        .await
        .expect("the check answers")
        .expect("0.2.0 is offered");
    assert_eq!(update.version, "0.2.0");
    assert_eq!(update.body.as_deref(), Some("Folio windows"));
    let bytes = frontdesk_app::updates::download(&update).await.expect("the signature holds");
    assert_eq!(bytes, installer());

    // A desk already on the release is offered nothing.
    hotel.publish("0.1.0", &installer(), "frontdesk-0.2.0-test.bin.sig");
    assert!(
        frontdesk_app::updates::check(app.handle(), &hotel.base, &hotel.credential).await.expect("answers").is_none()
    );
}

#[tokio::test]
async fn an_installer_swapped_in_the_folder_is_refused() {
    let hotel = Hotel::open().await;
    let mut swapped = installer();
    swapped[100] ^= 0x20;
    hotel.publish("0.2.0", &swapped, "frontdesk-0.2.0-test.bin.sig");
    let refused = offered_download(&hotel).await.expect_err("a changed file fails its signature");
    assert!(refused.contains("does not carry this app's release signature"), "{refused}");
}

#[tokio::test]
async fn an_installer_signed_with_another_key_is_refused() {
    let hotel = Hotel::open().await;
    hotel.publish("0.2.0", &installer(), "signed-by-another-key.sig");
    let refused = offered_download(&hotel).await.expect_err("only the trusted key's signatures hold");
    assert!(refused.contains("does not carry this app's release signature"), "{refused}");
}

#[tokio::test]
async fn an_old_release_announced_as_a_newer_version_is_refused() {
    let hotel = Hotel::open().await;
    // The 0.2.0 installer, genuinely signed, offered as 0.3.0.
    hotel.publish("0.3.0", &installer(), "frontdesk-0.2.0-test.bin.sig");
    let refused = offered_download(&hotel).await.expect_err("the signed version must match the announced one");
    assert!(refused.contains("announced as version 0.3.0 is signed as version 0.2.0"), "{refused}");
}

#[test]
fn the_endpoint_leaves_the_platform_and_version_to_the_updater() {
    let url = frontdesk_app::updates::endpoint("https://frontdesk.hotel.example/").expect("a URL");
    assert_eq!(
        url.as_str(),
        "https://frontdesk.hotel.example/v1/updates/%7B%7Btarget%7D%7D/%7B%7Barch%7D%7D/%7B%7Bbundle_type%7D%7D/%7B%7Bcurrent_version%7D%7D"
    );
    assert!(frontdesk_app::updates::endpoint("not a server").is_err());
}
