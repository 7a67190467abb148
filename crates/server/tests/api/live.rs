//! The live stream: a push reaches the property's subscribers in milliseconds, on
//! this server and (PostgreSQL) on another server process of the same database;
//! other properties hear nothing.

use std::time::Duration;

use frontdesk_server::Config;
use serde_json::{Value, json};
use sync_core::EntityKind;
use uuid::Uuid;

use crate::metrics::metric;
use crate::support::{LiveStream, Server, guest_fields, on_postgres, version_of};

#[tokio::test]
async fn a_push_wakes_the_propertys_live_streams_and_no_other_propertys() {
    let config = Config { live_keep_alive: Duration::from_millis(200), ..Config::default() };
    let server = Server::start_with(config).await;
    let mut desk = server.device("P1", "desk").await;
    let desk2 = server.device("P1", "desk2").await;
    let boss = server.device("P2", "boss").await;
    let mut same_property = desk2.live_on(&server.base).await;
    let mut other_property = boss.live_on(&server.base).await;
    assert_eq!(metric(&desk, "frontdesk_live_devices").await, 2.0, "two devices are connected");

    let before = desk2.cursor_now().await;
    let insert = desk.insert(EntityKind::Guest, Uuid::now_v7(), guest_fields("Ada", "Lovelace", "ada@example.org"));
    let started = std::time::Instant::now();
    version_of(&desk.push_one(insert).await, "the insert applies");
    let seq = same_property.next_change(Duration::from_secs(1)).await.expect("the other desk hears of the change");
    assert!(started.elapsed() < Duration::from_millis(500), "it arrives in milliseconds: {:?}", started.elapsed());
    assert_eq!(seq, before.sequence() + 1, "the event carries the log's new sequence");
    let page = desk2.pull(Some(before), None).await;
    assert_eq!(page.changes.len(), 1, "a pull after the event finds the change");
    assert_eq!(page.cursor.sequence(), seq, "up to the announced sequence");

    let heard = other_property.next(Duration::from_millis(500)).await.expect("a keep-alive comes");
    assert_eq!(heard.event, "", "another property's stream gets only keep-alive comments: {heard:?}");
    assert_eq!(heard.data, "keep-alive");

    drop(same_property);
    drop(other_property);
    let mut gone = false;
    for _ in 0..50 {
        if metric(&desk, "frontdesk_live_devices").await == 0.0 {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(gone, "closed streams are no longer counted as connected devices");
}

#[tokio::test]
async fn a_live_stream_needs_a_session() {
    let server = Server::start().await;
    let response = reqwest::get(server.url("/v1/live")).await.expect("live request");
    assert_eq!(response.status(), 401, "no token, no stream");
}

#[tokio::test]
async fn on_postgresql_a_push_on_one_server_process_reaches_a_stream_on_another() {
    if !on_postgres() {
        eprintln!("skipped: cross-process notifications need PostgreSQL (scripts/test-postgres.sh)");
        return;
    }
    let server = Server::start().await;
    let second = server.second_instance(Config::default()).await;
    let mut desk = server.device("P1", "desk").await;
    let desk2 = server.device("P1", "desk2").await;
    let boss = server.device("P2", "boss").await;
    let mut on_second = desk2.live_on(&second.base).await;
    let mut other_property = boss.live_on(&second.base).await;

    let before = desk2.cursor_now().await;
    let insert = desk.insert(EntityKind::Guest, Uuid::now_v7(), guest_fields("Ada", "Lovelace", "ada@example.org"));
    version_of(&desk.push_one(insert).await, "the insert applies on the first process");
    let seq = on_second.next_change(Duration::from_secs(1)).await.expect("the second process relays the change");
    assert_eq!(seq, before.sequence() + 1, "with the property's new sequence");
    assert_eq!(other_property.next_change(Duration::from_millis(300)).await, None, "P2 hears nothing of P1");
}

#[tokio::test]
async fn a_live_stream_ends_when_its_session_expires() {
    let config = Config { session_ttl: chrono::Duration::milliseconds(1500), ..Config::default() };
    let server = Server::start_with(config).await;
    let desk = server.device("P1", "desk").await;
    let mut stream = desk.live_on(&server.base).await;
    let started = std::time::Instant::now();
    assert_eq!(stream.next(Duration::from_secs(5)).await, None, "the stream closes");
    assert!(started.elapsed() < Duration::from_secs(4), "at the session's expiry, not later");
}

/// Stopping the server (SIGTERM, a deploy) ends the live streams instead of
/// waiting for devices that stay connected for hours.
#[tokio::test]
async fn a_shutdown_ends_the_live_streams_and_the_server_stops() {
    let server = Server::start().await;
    let desk = server.device("P1", "desk").await;
    let store = frontdesk_server::Store::open(&server.database_url).await.expect("the store opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let state = frontdesk_server::AppState::new(store, Config::default());
    let running = tokio::spawn(frontdesk_server::serve(listener, state, async move { drop(stopped.await) }));
    let mut live = desk.live_on(&base).await;

    stop.send(()).expect("the server is running");
    let stopped = tokio::time::timeout(Duration::from_secs(5), running).await;
    assert!(matches!(stopped, Ok(Ok(Ok(())))), "the server stopped cleanly with a stream open: {stopped:?}");
    assert_eq!(live.next_change(Duration::from_secs(1)).await, None, "the stream ended");
}

/// Signing out ends the session's live streams at once: a desk whose receptionist
/// signed out hears nothing more of the property; another session's stream goes on.
#[tokio::test]
async fn a_live_stream_ends_when_its_session_is_signed_out() {
    // The periodic check is far off: the sign-out itself must end the stream.
    let config = Config {
        live_session_check: Duration::from_secs(600),
        live_keep_alive: Duration::from_millis(200),
        ..Config::default()
    };
    let server = Server::start_with(config).await;
    let desk = server.device("P1", "desk").await;
    let desk2 = server.device("P1", "desk2").await;
    let mut stream = desk.live_on(&server.base).await;
    let mut other = desk2.live_on(&server.base).await;

    let response = desk.http.delete(desk.url("/v1/sessions/current")).bearer_auth(desk.token()).send().await;
    assert_eq!(response.expect("sign-out").status(), 204, "the desk signs out");
    let started = std::time::Instant::now();
    assert_eq!(stream.next_change(Duration::from_secs(5)).await, None, "the signed-out session's stream ends");
    assert!(started.elapsed() < Duration::from_secs(2), "at once, not at a later check: {:?}", started.elapsed());
    assert_still_open(&mut other, "another session's stream goes on").await;
}

/// The stream is open: a keep-alive or an event comes, not its end.
async fn assert_still_open(stream: &mut LiveStream, why: &str) {
    assert!(stream.next(Duration::from_secs(2)).await.is_some(), "{why}");
}

/// A device revoked from the admin command line (possibly another process, which
/// cannot wake this one's streams) loses its live stream at the stream's next check
/// of its session, with `--wipe` as without.
#[tokio::test]
async fn a_live_stream_ends_when_its_device_is_revoked_or_wiped() {
    for wipe in [false, true] {
        let config = Config {
            live_session_check: Duration::from_millis(200),
            live_keep_alive: Duration::from_millis(200),
            ..Config::default()
        };
        let server = Server::start_with(config).await;
        let tablet = server.device("P1", "house").await;
        let desk = server.device("P1", "desk").await;
        let mut lost = tablet.live_on(&server.base).await;
        let mut kept = desk.live_on(&server.base).await;
        assert_still_open(&mut lost, "the tablet's stream is open before the revocation").await;

        let device = tablet.enrollment.device_id.to_string();
        frontdesk_server::auth::revoke_device(&server.store, "P1", &device, wipe, "x", chrono::Utc::now())
            .await
            .expect("revoked");
        let started = std::time::Instant::now();
        let mut ended = false;
        while started.elapsed() < Duration::from_secs(5) {
            if lost.next(Duration::from_secs(5)).await.is_none() {
                ended = true;
                break;
            }
        }
        assert!(ended, "wipe {wipe}: the revoked device's stream ends");
        assert!(started.elapsed() < Duration::from_secs(2), "wipe {wipe}: at its next check: {:?}", started.elapsed());
        assert_still_open(&mut kept, "the other desk's stream goes on").await;
    }
}

/// One device holds a few live streams at most (a window each); one more is refused
/// with a clear 429, and a closed stream frees its place. Other devices are not
/// counted against it.
#[tokio::test]
async fn a_device_holds_at_most_its_cap_of_live_streams() {
    let config = Config { live_streams_per_device: 2, ..Config::default() };
    let server = Server::start_with(config).await;
    let desk = server.device("P1", "desk").await;
    let desk2 = server.device("P1", "desk2").await;
    let first = desk.live_on(&server.base).await;
    let _second = desk.live_on(&server.base).await;

    let refused = desk.get("/v1/live").await;
    assert_eq!(refused.status(), 429, "a third stream of one device is refused");
    assert!(refused.headers().contains_key("retry-after"), "with when to retry");
    let body: Value = refused.json().await.expect("a JSON error");
    assert_eq!(body["code"], json!("too_many_streams"), "{body}");
    assert!(body["message"].as_str().is_some_and(|m| m.contains('2')), "the message says the cap: {body}");
    assert!(metric(&desk, "frontdesk_live_streams_refused_total").await >= 1.0, "refusals are counted");
    let _other_device = desk2.live_on(&server.base).await;

    drop(first);
    let mut reopened = false;
    for _ in 0..50 {
        if desk.get("/v1/live").await.status() == 200 {
            reopened = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(reopened, "a closed stream frees its place");
}
