//! Transport and limits: gzip both ways, body and batch size limits, session
//! expiry.

use std::io::{Read, Write};
use std::time::Duration;

use frontdesk_server::Config;
use frontdesk_server::limits::RateLimit;
use serde_json::{Value, json};
use sync_core::EntityKind;
use sync_core::protocol::PullResponse;
use uuid::Uuid;

use crate::support::{Server, guest_fields, version_of};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip finish")
}

#[tokio::test]
async fn pushes_and_pulls_travel_gzipped_both_ways() {
    let server = Server::start().await;
    let mut desk = server.device("P1", "desk").await;
    let guest = Uuid::now_v7();
    let insert = desk.insert(EntityKind::Guest, guest, guest_fields("Ada", "Lovelace", "ada@example.org"));
    let body = json!({"protocol": 1, "mutations": [insert]}).to_string();
    let response = desk
        .http
        .post(desk.url("/v1/push"))
        .bearer_auth(desk.token())
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(gzip(body.as_bytes()))
        .send()
        .await
        .expect("gzipped push");
    assert_eq!(response.status(), 200, "the server inflates a gzipped push");
    let pushed: sync_core::protocol::PushResponse = response.json().await.expect("push response");
    version_of(&pushed.results[0], "the gzipped insert applies");

    let response = desk
        .http
        .post(desk.url("/v1/pull"))
        .bearer_auth(desk.token())
        .header("accept-encoding", "gzip")
        .json(&json!({"protocol": 1}))
        .send()
        .await
        .expect("pull asking for gzip");
    assert_eq!(response.status(), 200, "the pull succeeds");
    assert_eq!(
        response.headers().get("content-encoding").and_then(|v| v.to_str().ok()),
        Some("gzip"),
        "a client that accepts gzip gets a gzipped page"
    );
    let compressed = response.bytes().await.expect("pull body");
    let mut text = String::new();
    flate2::read::GzDecoder::new(&compressed[..]).read_to_string(&mut text).expect("valid gzip");
    let page: PullResponse = serde_json::from_str(&text).expect("a pull response inside");
    let guests = page.changes.iter().filter(|c| c.entity == EntityKind::Guest).count();
    assert_eq!(guests, 1, "the page holds the pushed guest");
}

#[tokio::test]
async fn oversized_bodies_and_batches_are_refused_whole() {
    let server = Server::start_with(Config { max_body_bytes: 4096, max_batch: 2, ..Config::default() }).await;
    let mut desk = server.device("P1", "desk").await;
    let mut big = guest_fields("Ada", "Lovelace", "ada@example.org");
    big["tags"] = json!((0..400).map(|i| format!("tag number {i}")).collect::<Vec<_>>());
    let insert = desk.insert(EntityKind::Guest, Uuid::now_v7(), big);
    let response = desk.push_raw(&json!({"protocol": 1, "mutations": [insert]})).await;
    assert_eq!(response.status(), 413, "a body over the limit is refused");
    let body: Value = response.json().await.expect("error body");
    assert_eq!(body["code"], json!("payload_too_large"), "the code says the body is too large");

    let batch: Vec<_> = (0..3)
        .map(|i| desk.insert(EntityKind::Guest, Uuid::now_v7(), guest_fields("G", &format!("{i}"), "g@example.org")))
        .collect();
    let response = desk.push_raw(&json!({"protocol": 1, "mutations": batch})).await;
    assert_eq!(response.status(), 413, "a batch over the limit is refused");
    let body: Value = response.json().await.expect("error body");
    assert_eq!(body["code"], json!("batch_too_large"), "the code says the batch is too large");
    assert_eq!(server.count("records").await, 0, "nothing of a refused push is written");
    assert_eq!(server.count("applied_mutations").await, 0, "nor remembered as applied");
}

#[tokio::test]
async fn an_expired_session_is_refused() {
    let server = Server::start_with(Config { session_ttl: chrono::Duration::zero(), ..Config::default() }).await;
    let desk = server.device("P1", "desk").await;
    let response = desk.pull_raw(&json!({"protocol": 1})).await;
    assert_eq!(response.status(), 401, "a session past its expiry is refused");
    let body: Value = response.json().await.expect("error body");
    assert_eq!(body["code"], json!("expired_token"), "the code tells the device to sign in again");
}

#[tokio::test]
async fn a_device_over_its_rate_limit_gets_429_and_other_devices_do_not() {
    let config = Config { rate_limit: RateLimit { per_second: 1, burst: 3 }, ..Config::default() };
    let server = Server::start_with(config).await;
    // Enrolling and signing in take one request of the device's bucket.
    let desk = server.device("P1", "desk").await;
    let desk2 = server.device("P1", "desk2").await;
    // A burst of three (the sign-in took one) refilled at one a second: ten quick
    // requests cannot all be served, whatever the machine's load.
    let mut served = 0;
    let mut refused = None;
    for _ in 0..10 {
        let response = desk.get("/v1/conflicts").await;
        if response.status() == 429 {
            refused = Some(response);
            break;
        }
        assert_eq!(response.status(), 200, "a request within the limit is served");
        served += 1;
    }
    assert!(served >= 1, "the rest of the burst is served");
    let refused = refused.expect("a request past the burst is refused with 429");
    let retry_after: u64 = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After header in seconds");
    assert!(retry_after >= 1, "it says when to retry");
    let body: Value = refused.json().await.expect("error body");
    assert_eq!(body["code"], json!("rate_limited"), "with its code");
    assert_eq!(desk2.get("/v1/conflicts").await.status(), 200, "another device has its own bucket");
}

#[tokio::test]
async fn a_request_past_the_timeout_gets_408_with_a_json_body() {
    let config = Config {
        request_timeout: Duration::from_millis(300),
        answer_delay: Duration::from_millis(1000),
        ..Config::default()
    };
    let server = Server::start_with(config).await;
    let mut desk = server.device("P1", "desk").await;
    let insert = desk.insert(EntityKind::Guest, Uuid::now_v7(), guest_fields("Ada", "Lovelace", "ada@example.org"));
    let response = desk.push_raw(&json!({"protocol": 1, "mutations": [insert]})).await;
    assert_eq!(response.status(), 408, "the slow push is cut");
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["code"], json!("timeout"), "the code says it timed out");
    assert!(body["message"].as_str().unwrap_or_default().contains("retry"), "and that a retry is safe");
}

fn long_ago() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() - chrono::Duration::days(365)
}

#[tokio::test]
async fn the_server_clock_never_goes_back_after_a_restart() {
    let mut server = Server::start().await;
    let mut desk = server.device("P1", "desk").await;
    let insert = desk.insert(EntityKind::Guest, Uuid::now_v7(), guest_fields("Ada", "Lovelace", "ada@example.org"));
    let before = desk.push(&[insert]).await.server_hlc;
    // The new process's wall clock is a year behind (a dead RTC battery).
    server.restart(Config::default(), long_ago).await;
    desk.base = server.base.clone();
    let after = desk.push(&[]).await.server_hlc;
    assert!(after > before, "the restarted server resumes after {before}, not at its wall clock: {after}");
}

/// A device whose clock is set years ahead cannot drag the server's clock (saved,
/// so for good) or outrank every later edit: its stamp is taken as at most a day
/// ahead, and a refused mutation's stamp is not taken at all.
#[tokio::test]
async fn a_device_clock_years_ahead_does_not_move_the_server_clock() {
    let server = Server::start().await;
    let mut desk = server.device("P1", "desk").await;
    let far =
        sync_core::Hlc { physical_ms: sync_core::Hlc::MAX_PHYSICAL_MS, logical: 0, node: desk.enrollment.device_id };
    let day_ahead = u64::try_from((chrono::Utc::now() + chrono::Duration::hours(25)).timestamp_millis()).expect("ms");

    let mut refused = desk.insert(EntityKind::Guest, Uuid::now_v7(), guest_fields("Eve", "Future", "eve@example.org"));
    refused.device_id = Uuid::now_v7();
    refused.hlc = far;
    let response = desk.push(&[refused]).await;
    assert!(matches!(response.results[0].outcome, sync_core::protocol::Outcome::Rejected { .. }));
    assert!(response.server_hlc.physical_ms < day_ahead, "a refused stamp is ignored: {}", response.server_hlc);

    let mut taken = desk.insert(EntityKind::Guest, Uuid::now_v7(), guest_fields("Eve", "Future", "eve@example.org"));
    taken.hlc = far;
    let response = desk.push(&[taken]).await;
    version_of(&response.results[0], "the guest is stored");
    assert!(response.server_hlc.physical_ms < day_ahead, "at most a day ahead: {}", response.server_hlc);
}
