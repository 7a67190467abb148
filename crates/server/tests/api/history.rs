//! A record's history (who, which device, when, before and after) and restoring an
//! old version as a new change every device receives.

use serde_json::{Value, json};
use sync_core::EntityKind;
use sync_core::protocol::Outcome;
use uuid::Uuid;

use crate::support::{Scene, Server, seed_hotel, version_of};

#[tokio::test]
async fn every_version_is_listed_with_its_author_and_an_old_one_can_be_restored() {
    let server = Server::start().await;
    let mut manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let house = server.device("P1", "house").await;
    let hotel = seed_hotel(&mut manager).await;
    let path = format!("/v1/records/guest/{}/history", hotel.guest);

    let edit = desk.update(
        EntityKind::Guest,
        hotel.guest,
        1,
        &[("email", json!("sarah@example.org"), json!("sarah@work.example"))],
    );
    version_of(&desk.push_one(edit).await, "the desk changes the email");

    let response = desk.get(&path).await;
    assert_eq!(response.status(), 200, "the desk reads a guest's history");
    let history: Value = response.json().await.expect("history body");
    let versions = history["versions"].as_array().expect("a list of versions");
    assert_eq!(versions.len(), 2, "created, then edited");
    assert_eq!(versions[0]["version"], json!(1));
    assert_eq!(versions[0]["user_name"], json!("manager"), "the creator's display name");
    assert_eq!(versions[0]["before"], Value::Null, "nothing before the creation");
    assert_eq!(versions[1]["user_id"], json!(desk.session.user.id), "the editor");
    assert_eq!(versions[1]["device_id"], json!(desk.enrollment.device_id), "on the desk's device");
    assert_eq!(versions[1]["device_name"], json!("desk's PC"));
    assert_eq!(versions[1]["op"], json!("upsert"));
    assert_eq!(versions[1]["before"]["email"], json!("sarah@example.org"), "the value before");
    assert_eq!(versions[1]["after"]["email"], json!("sarah@work.example"), "and after");
    assert!(versions[1]["hlc"].is_string() && versions[1]["at"].is_string(), "with the clock and the time");

    let redacted: Value = house.get(&path).await.json().await.expect("history body");
    assert!(redacted["versions"][1]["after"].get("email").is_none(), "housekeeping reads no contact details");
    assert_eq!(redacted["versions"][1]["after"]["first_name"], json!("Sarah"), "but reads names");

    let restore = format!("/v1/records/guest/{}/restore", hotel.guest);
    let response = house.post(&restore, &json!({"version": 1})).await;
    assert_eq!(response.status(), 403, "housekeeping restores nothing");
    let response = desk.post(&restore, &json!({"version": 1})).await;
    assert_eq!(response.status(), 200, "the desk restores the first version");
    let restored: Value = response.json().await.expect("restore body");
    assert_eq!(restored["version"], json!(3), "the restore is a new version");
    assert_eq!(restored["record"]["email"], json!("sarah@example.org"), "with the old email");

    let changes = manager.pull_all().await;
    let last = changes.iter().rev().find(|c| c.record_id == hotel.guest).expect("the guest's changes");
    assert_eq!(last.version, 3, "every device receives the restore");
    assert_eq!(last.record.as_ref().and_then(|r| r.get("email")), Some(&json!("sarah@example.org")));
    let history: Value = desk.get(&path).await.json().await.expect("history body");
    assert_eq!(history["versions"].as_array().map(Vec::len), Some(3), "the restore is in the history too");

    let response = desk.post(&restore, &json!({"version": 9})).await;
    assert_eq!(response.status(), 404, "no version 9");
}

#[tokio::test]
async fn postings_cannot_be_restored_and_unknown_records_have_no_history() {
    let server = Server::start().await;
    let manager = server.device("P1", "manager").await;
    let response =
        manager.post(&format!("/v1/records/folio_posting/{}/restore", Uuid::now_v7()), &json!({"version": 1})).await;
    assert_eq!(response.status(), 409, "postings are append-only");
    let body: Value = response.json().await.expect("error body");
    assert_eq!(body["code"], json!("append_only"));
    assert!(body["message"].as_str().unwrap_or_default().contains("reversing"), "the message says what to do instead");

    let response = manager.get(&format!("/v1/records/guest/{}/history", Uuid::now_v7())).await;
    assert_eq!(response.status(), 404, "a record that never existed has no history");
    let response = manager.get(&format!("/v1/records/spaceship/{}/history", Uuid::now_v7())).await;
    assert_eq!(response.status(), 400, "an unknown entity is a bad request");
    let response = manager.get("/v1/records/guest/not-a-uuid/history").await;
    assert_eq!(response.status(), 400, "so is a bad id");
}

#[tokio::test]
async fn an_edit_that_loses_a_merge_is_kept_in_the_history_with_who_and_why() {
    let Scene { server: _server, mut manager, mut desk, hotel } = Scene::new().await;
    let stay = Uuid::now_v7();
    let fields = crate::support::reservation_fields(&hotel, hotel.rooms[0], "2027-01-10", "2027-01-12", "T-AAA-0009");
    let insert = desk.insert(EntityKind::Reservation, stay, fields);
    version_of(&desk.push_one(insert).await, "booked");
    // The desk, offline, sets three adults; the manager, later, sets one and syncs
    // first. Adults is last-writer-wins: the desk's three lose.
    let offline = desk.update(EntityKind::Reservation, stay, 1, &[("adults", json!(2), json!(3))]);
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let later = manager.update(EntityKind::Reservation, stay, 1, &[("adults", json!(2), json!(1))]);
    version_of(&manager.push_one(later).await, "the later edit applies");
    let result = desk.push_one(offline).await;
    let Outcome::Merged { record, version } = &result.outcome else {
        panic!("the losing edit is answered merged, so its desk learns of it: {:?}", result.outcome);
    };
    assert_eq!(
        (record["adults"].clone(), *version),
        (json!(1), 3),
        "the record keeps one adult, in a version of its own"
    );

    let history: Value =
        manager.get(&format!("/v1/records/reservation/{stay}/history")).await.json().await.expect("json");
    let last = history["versions"].as_array().and_then(|v| v.last()).cloned().expect("versions");
    assert_eq!(last["user_name"], json!("desk"), "the version names the desk's user whose edit lost");
    assert_eq!(
        last["superseded"],
        json!([{"field": "adults", "value": 3, "kept": 1, "policy": "last_writer_wins"}]),
        "the history keeps the losing value and why it lost"
    );
}
