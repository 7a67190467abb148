//! `GET /metrics`: Prometheus text whose counters move with the traffic.

use serde_json::json;
use sync_core::EntityKind;

use crate::support::{Device, Scene, version_of};

/// The value of the sample `name` (with its labels, e.g. `x_total{result="applied"}`).
pub async fn metric(device: &Device, name: &str) -> f64 {
    let response = device.http.get(device.url("/metrics")).send().await.expect("metrics request");
    assert_eq!(response.status(), 200, "metrics are served without a session");
    let text = response.text().await.expect("metrics body");
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (sample, value) = line.rsplit_once(' ')?;
            (sample == name).then(|| value.parse::<f64>().expect("a number"))
        })
        .unwrap_or(0.0)
}

#[tokio::test]
async fn counters_move_with_pushes_pulls_and_conflicts() {
    let Scene { server: _server, mut manager, mut desk, hotel } = Scene::new().await;
    assert_eq!(metric(&manager, "frontdesk_pushes_total").await, 1.0, "the seeding push");
    assert_eq!(metric(&manager, "frontdesk_mutations_total{result=\"applied\"}").await, 5.0, "five records seeded");

    let base = json!("sarah@example.org");
    let first = manager.update(EntityKind::Guest, hotel.guest, 1, &[("email", base.clone(), json!("a@example.org"))]);
    version_of(&manager.push_one(first).await, "the first edit applies");
    let second = desk.update(EntityKind::Guest, hotel.guest, 1, &[("email", base, json!("b@example.org"))]);
    desk.push_one(second).await;
    let bad = desk.insert(EntityKind::Guest, uuid::Uuid::now_v7(), json!({"first_name": 42}));
    desk.push_one(bad).await;
    desk.pull_all().await;

    assert_eq!(metric(&manager, "frontdesk_pushes_total").await, 4.0, "four pushes committed");
    assert_eq!(metric(&manager, "frontdesk_mutations_total{result=\"conflict\"}").await, 1.0, "one conflict");
    assert_eq!(metric(&manager, "frontdesk_mutations_total{result=\"rejected\"}").await, 1.0, "one rejection");
    assert_eq!(metric(&manager, "frontdesk_conflicts_total{kind=\"data\"}").await, 1.0, "a data conflict");
    assert!(metric(&manager, "frontdesk_pull_duration_seconds_count").await >= 1.0, "pulls are timed");
    let response = manager.http.get(manager.url("/metrics")).send().await.expect("metrics");
    let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
    assert!(content_type.starts_with("application/openmetrics-text"), "a Prometheus text format: {content_type}");
}
