//! The server binary as a deployment runs it: `serve --config FILE`, HTTPS straight
//! from the server with the file's certificate, and a settings file that is wrong
//! stopping the start with the key at fault.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    probe.local_addr().expect("addr").port()
}

/// A self-signed certificate for 127.0.0.1, written as PEM files into `dir`;
/// returns the certificate's PEM for the client to trust.
fn self_signed(dir: &Path) -> String {
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("a self-signed certificate");
    let cert = certified.cert.pem();
    std::fs::write(dir.join("cert.pem"), &cert).expect("write the certificate");
    std::fs::write(dir.join("key.pem"), certified.signing_key.serialize_pem()).expect("write the key");
    cert
}

fn server_with_config(config: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_frontdesk-server"));
    command
        .args(["serve", "--config"])
        .arg(config)
        // Only the file speaks: no setting leaks in from the environment of the test run.
        .env_remove("FRONTDESK_DATABASE")
        .env_remove("DATABASE_URL")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null());
    command
}

#[tokio::test]
async fn the_server_serves_https_with_the_certificate_of_its_settings_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let cert = self_signed(dir.path());
    let port = free_port();
    let config = dir.path().join("server.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\nlog_level = \"warn\"\n\
             [database]\nurl = \"sqlite://{db}\"\n\
             [tls]\ncert = \"{cert}\"\nkey = \"{key}\"\n\
             [limits]\nrate_limit = 20\nrate_burst = 40\n",
            db = dir.path().join("frontdesk.sqlite3").display(),
            cert = dir.path().join("cert.pem").display(),
            key = dir.path().join("key.pem").display(),
        ),
    )
    .expect("write the settings file");
    let _server = Process(server_with_config(&config).stderr(Stdio::null()).spawn().expect("the binary starts"));

    let client = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert.as_bytes()).expect("the certificate parses")])
        .timeout(Duration::from_secs(5))
        .build()
        .expect("an HTTPS client trusting only the test certificate");
    let url = format!("https://127.0.0.1:{port}/v1/health");
    let mut answer = None;
    for _ in 0..200 {
        match client.get(&url).send().await {
            Ok(response) => {
                answer = Some(response);
                break;
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
        }
    }
    let response = answer.expect("the server answers over HTTPS");
    assert_eq!(response.status(), 200, "health over HTTPS");
    let body: Value = response.json().await.expect("a JSON body");
    assert_eq!(body["status"], "ok", "the health check reached the database: {body}");

    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/v1/health")).send().await;
    assert!(
        !plain.is_ok_and(|r| r.status().is_success()),
        "plain HTTP is not answered on the HTTPS port: the certificate's settings are what is served"
    );
    let untrusting = reqwest::Client::builder()
        .tls_certs_only([])
        .build()
        .expect("a client that trusts nothing")
        .get(&url)
        .send()
        .await;
    assert!(untrusting.is_err(), "a client that does not trust the certificate is refused by TLS");
}

#[tokio::test]
async fn a_wrong_settings_file_stops_the_start_and_names_the_key() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (text, names) in [
        ("[database]\nurl = \"sqlite:///tmp/x.sqlite3\"\n[limits]\nrate_limt = 5\n", "limits.rate_limt"),
        ("[database]\nurl = \"sqlite:///tmp/x.sqlite3\"\n[tls]\ncert = \"/nonexistent/cert.pem\"\n", "tls.key"),
        (
            "[database]\nurl = \"sqlite:///tmp/x.sqlite3\"\n[tls]\ncert = \"/nonexistent/c.pem\"\nkey = \"/nonexistent/k.pem\"\n",
            "tls.cert /nonexistent/c.pem",
        ),
        ("[server]\nlisten = \"127.0.0.1:1\"\n", "database.url"),
    ] {
        let config = dir.path().join("server.toml");
        std::fs::write(&config, text).expect("write the settings file");
        let output = server_with_config(&config).stderr(Stdio::piped()).output().expect("the binary runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{text:?} stops the start");
        assert!(stderr.contains(names), "the error names {names}: {stderr}");
    }
}
