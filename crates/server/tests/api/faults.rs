//! Faults: a push whose answer is lost is retried with exactly one effect, and a
//! server killed right after acknowledging loses nothing it acknowledged.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use frontdesk_server::Config;
use serde_json::json;
use sync_core::EntityKind;
use uuid::Uuid;

use crate::support::{Server, guest_fields, version_of};

#[tokio::test]
async fn a_push_whose_answer_is_cut_off_is_retried_with_one_effect() {
    // The server answers 600 ms after committing; the device gives up after 200 ms,
    // as if the connection dropped after the commit.
    let config = Config { answer_delay: Duration::from_millis(600), ..Config::default() };
    let server = Server::start_with(config).await;
    let mut desk = server.device("P1", "desk").await;
    let guest = Uuid::now_v7();
    let batch = vec![
        desk.insert(EntityKind::Guest, guest, guest_fields("Ada", "Lovelace", "ada@example.org")),
        desk.update(EntityKind::Guest, guest, 1, &[("tags", json!([]), json!(["vip"]))]),
    ];
    let impatient = reqwest::Client::builder().timeout(Duration::from_millis(200)).build().expect("client");
    let cut = impatient
        .post(desk.url("/v1/push"))
        .bearer_auth(desk.token())
        .json(&json!({"protocol": 1, "mutations": batch}))
        .send()
        .await;
    assert!(cut.is_err(), "the device never got the answer");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(server.count("records").await, 1, "the push did commit");

    let retry = desk.push(&batch).await;
    assert_eq!(version_of(&retry.results[0], "the retried insert is answered as applied"), 1);
    assert_eq!(version_of(&retry.results[1], "the retried update too"), 2, "with the first push's versions");
    assert_eq!(server.count("records").await, 1, "one guest");
    assert_eq!(server.count("change_log").await, 2, "two changes, not four");
}

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The real server binary on `database`, listening on a free port.
async fn spawn_binary(database: &str) -> (Process, String) {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        probe.local_addr().expect("addr").port()
    };
    let process = Process(
        Command::new(env!("CARGO_BIN_EXE_frontdesk-server"))
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .env("FRONTDESK_DATABASE", database)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the server binary starts"),
    );
    let base = format!("http://127.0.0.1:{port}");
    for _ in 0..200 {
        if reqwest::get(format!("{base}/v1/health")).await.is_ok_and(|r| r.status() == 200) {
            return (process, base);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the server binary did not come up on {base}");
}

#[tokio::test]
async fn a_server_killed_right_after_acknowledging_loses_nothing_it_acknowledged() {
    let server = Server::start().await;
    let mut desk = server.device("P1", "desk").await;
    let (mut process, base) = spawn_binary(&server.database_url).await;
    desk.base = base;
    let mut acknowledged = Vec::new();
    for round in 0..5 {
        let batch: Vec<_> = (0..20)
            .map(|i| {
                let name = format!("R{round}N{i}");
                desk.insert(EntityKind::Guest, Uuid::now_v7(), guest_fields("Guest", &name, "g@example.org"))
            })
            .collect();
        let response = desk.push(&batch).await;
        for (mutation, result) in batch.iter().zip(&response.results) {
            version_of(result, "every insert applies");
            acknowledged.push(mutation.record_id);
        }
    }
    // SIGKILL right after the last acknowledgement: no shutdown, no checkpoint.
    process.0.kill().expect("kill -9");
    let _ = process.0.wait();

    let (_restarted, base) = spawn_binary(&server.database_url).await;
    desk.base = base;
    let pulled: Vec<Uuid> = desk.pull_all().await.iter().map(|c| c.record_id).collect();
    assert_eq!(pulled, acknowledged, "every acknowledged insert is there after the restart, in order");
}
