//! Transport and limits: gzip both ways, body and batch size limits, session
//! expiry.

use std::io::{Read, Write};

use frontdesk_server::Config;
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
    assert_eq!(page.changes.len(), 1, "the page holds the pushed guest");
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
