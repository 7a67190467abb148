//! Guessing is slowed: wrong passwords lock an account (and a device) for a while,
//! the right password included, and enrollment attempts are throttled per source
//! address and for the whole server.

use frontdesk_server::Config;
use frontdesk_server::throttle::{EnrollLimits, SignInLimits};
use serde_json::{Value, json};

use crate::metrics::metric;
use crate::support::{Device, PASSWORD, Server};

/// The code and message of a refused sign-in, and its Retry-After.
async fn refusal(response: reqwest::Response) -> (u16, String, String, Option<u64>) {
    let status = response.status().as_u16();
    let retry_after = response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let text = |key: &str| body[key].as_str().unwrap_or_default().to_owned();
    (status, text("code"), text("message"), retry_after)
}

async fn wrong_passwords(desk: &Device, username: &str, times: usize) -> Vec<u16> {
    let mut statuses = Vec::new();
    for n in 0..times {
        statuses.push(desk.sign_in(username, &format!("guess number {n}")).await.status().as_u16());
    }
    statuses
}

#[tokio::test]
async fn wrong_passwords_lock_the_account_even_for_the_right_password() {
    let server = Server::start().await;
    let desk = server.device("P1", "desk").await;

    let statuses = wrong_passwords(&desk, "manager", 60).await;
    assert_eq!(&statuses[..5], [401; 5], "the first wrong passwords are answered as wrong: {statuses:?}");
    assert!(statuses[5..].iter().all(|s| *s == 429), "then the account is locked: {statuses:?}");

    let (status, code, message, retry_after) = refusal(desk.sign_in("manager", PASSWORD).await).await;
    assert_eq!(status, 429, "the right password is refused too while locked, or a guesser would learn it");
    assert_eq!(code, "sign_in_locked");
    assert_eq!(
        message, "Too many wrong passwords for this account: try again in 15 minutes",
        "a receptionist reads what to do"
    );
    assert!(retry_after.is_some_and(|s| s > 14 * 60), "Retry-After says when: {retry_after:?}");
    assert!(
        metric(&desk, "frontdesk_sign_in_locked_total{scope=\"account\"}").await >= 56.0,
        "every locked attempt is counted"
    );

    // The lock is the account's: another member of staff signs in on the same desk.
    assert_eq!(desk.sign_in("desk2", PASSWORD).await.status(), 200, "another account is not locked");
}

#[tokio::test]
async fn a_right_password_forgives_only_its_own_accounts_wrong_ones() {
    let server = Server::start().await;
    let desk = server.device("P1", "desk").await;
    assert_eq!(wrong_passwords(&desk, "manager", 4).await, [401; 4], "four typos lock nothing");
    assert_eq!(desk.sign_in("desk2", PASSWORD).await.status(), 200, "another account signs in");
    assert_eq!(wrong_passwords(&desk, "manager", 1).await, [401], "the fifth wrong password still counts");
    let (status, code, _, _) = refusal(desk.sign_in("manager", PASSWORD).await).await;
    assert_eq!((status, code.as_str()), (429, "sign_in_locked"), "another account's sign-in reset nothing");

    assert_eq!(wrong_passwords(&desk, "desk2", 4).await, [401; 4], "four typos for desk2");
    assert_eq!(desk.sign_in("desk2", PASSWORD).await.status(), 200, "its right password forgives them");
    assert_eq!(wrong_passwords(&desk, "desk2", 4).await, [401; 4], "so four more lock nothing yet");
}

#[tokio::test]
async fn wrong_passwords_across_accounts_lock_the_device() {
    let limits = SignInLimits { device_failures: 6, ..SignInLimits::default() };
    let server = Server::start_with(Config { sign_in: limits, ..Config::default() }).await;
    let desk = server.device("P1", "desk").await;
    let other = server.device("P1", "desk2").await;
    for username in ["manager", "house", "nobody"] {
        assert_eq!(wrong_passwords(&desk, username, 2).await, [401; 2], "{username}: two tries each");
    }
    let (status, code, message, _) = refusal(desk.sign_in("desk2", PASSWORD).await).await;
    assert_eq!((status, code.as_str()), (429, "sign_in_locked"), "the device is locked: {message}");
    assert!(message.starts_with("Too many wrong passwords on this device"), "{message}");
    assert!(metric(&desk, "frontdesk_sign_in_locked_total{scope=\"device\"}").await >= 1.0, "counted");
    assert_eq!(other.sign_in("desk2", PASSWORD).await.status(), 200, "another device signs in");
}

async fn enroll_attempts(server: &Server, times: usize) -> Vec<(u16, String)> {
    let http = reqwest::Client::new();
    let mut answers = Vec::new();
    for n in 0..times {
        let response = http
            .post(server.url("/v1/enroll"))
            .json(&json!({"code": format!("AAAA-BBBB-{n:04}"), "device_name": "Eve's PC"}))
            .send()
            .await
            .expect("enroll request");
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        answers.push((status, body["code"].as_str().unwrap_or_default().to_owned()));
    }
    answers
}

#[tokio::test]
async fn enrollment_attempts_are_throttled_per_address_and_in_all() {
    let limits = EnrollLimits { per_address_per_minute: 3, global_per_minute: 1000 };
    let server = Server::start_with(Config { enroll: limits, ..Config::default() }).await;
    let answers = enroll_attempts(&server, 5).await;
    assert!(answers[..3].iter().all(|(s, _)| *s == 401), "made-up codes are refused as such at first: {answers:?}");
    assert_eq!(answers[3], (429, "enroll_throttled".to_owned()), "then the address is throttled");
    let probe = server.url("/metrics");
    let text = reqwest::get(probe).await.expect("metrics").text().await.expect("text");
    assert!(text.contains("frontdesk_enroll_throttled_total{scope=\"address\"} 2"), "counted per scope: {text}");

    let limits = EnrollLimits { per_address_per_minute: 1000, global_per_minute: 2 };
    let server = Server::start_with(Config { enroll: limits, ..Config::default() }).await;
    let answers = enroll_attempts(&server, 3).await;
    assert_eq!(answers[2], (429, "enroll_throttled".to_owned()), "the server as a whole is throttled: {answers:?}");
    let text = reqwest::get(server.url("/metrics")).await.expect("metrics").text().await.expect("text");
    assert!(text.contains("frontdesk_enroll_throttled_total{scope=\"global\"} 1"), "counted per scope: {text}");
}
