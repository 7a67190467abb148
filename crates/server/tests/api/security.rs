//! Tenancy, roles and sessions: a property's data is unreachable from another,
//! roles write only what they may and read only what they may.

use std::time::Duration;

use serde_json::{Value, json};
use sync_core::EntityKind;
use sync_core::conflict::ConflictKind;
use sync_core::protocol::{Outcome, RejectCategory};
use uuid::Uuid;

use crate::support::{Server, guest_fields, reservation_fields, seed_hotel, version_of};

fn rejection(outcome: &Outcome) -> (RejectCategory, &str) {
    match outcome {
        Outcome::Rejected { category, message } => (*category, message.as_str()),
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test]
async fn another_propertys_session_can_neither_read_nor_write_its_records() {
    let server = Server::start().await;
    let mut desk = server.device("P1", "desk").await;
    let mut boss = server.device("P2", "boss").await;
    let guest = Uuid::now_v7();
    let insert = desk.insert(EntityKind::Guest, guest, guest_fields("Ada", "Lovelace", "ada@example.org"));
    version_of(&desk.push_one(insert).await, "P1's guest is created");

    assert!(boss.pull_all().await.is_empty(), "P2 pulls nothing of P1's log");
    let p2 = json!(boss.property().to_string());
    for change in boss.pull_everything().await {
        let record = change.record.expect("directory records are never deleted");
        let owner = if change.entity == EntityKind::Property { &record["id"] } else { &record["property_id"] };
        assert_eq!(owner, &p2, "P2's directory holds only P2's property, staff and devices: {record:?}");
    }

    let naming_p1 = boss.insert(
        EntityKind::Guest,
        Uuid::now_v7(),
        json!({"property_id": desk.property(), "first_name": "Eve", "last_name": "X",
               "preferences": [], "notes": [], "tags": []}),
    );
    let result = boss.push_one(naming_p1).await;
    let (category, _) = rejection(&result.outcome);
    assert_eq!(category, RejectCategory::Permission, "a record naming another property is refused");

    let overwrite = boss.update(EntityKind::Guest, guest, 1, &[("last_name", json!("Lovelace"), json!("Hacked"))]);
    let result = boss.push_one(overwrite).await;
    match &result.outcome {
        Outcome::Conflict { conflict, version, .. } => {
            assert_eq!(conflict.kind, ConflictKind::MissingEntity, "P2 cannot even see P1's guest");
            assert_eq!(*version, None, "nothing was written");
        }
        other => panic!("an update of another property's record must not apply, got {other:?}"),
    }

    let p1_guest = desk.pull_all().await.into_iter().filter(|c| c.record_id == guest).collect::<Vec<_>>();
    assert_eq!(p1_guest.len(), 1, "P1's guest has only its own change");
    assert_eq!(
        p1_guest[0].record.as_ref().map(|r| r["last_name"].clone()),
        Some(json!("Lovelace")),
        "P1's guest is untouched"
    );

    let conflict_id = match &result.outcome {
        Outcome::Conflict { conflict, .. } => conflict.id,
        _ => unreachable!("checked above"),
    };
    let response = desk
        .http
        .get(desk.url(&format!("/v1/conflicts/{conflict_id}")))
        .bearer_auth(desk.token())
        .send()
        .await
        .expect("conflict request");
    assert_eq!(response.status(), 404, "P1 cannot read P2's conflict either");
}

#[tokio::test]
async fn housekeeping_cannot_post_charges_and_reads_no_contact_details() {
    let server = Server::start().await;
    let mut manager = server.device("P1", "manager").await;
    let mut house = server.device("P1", "house").await;
    let hotel = seed_hotel(&mut manager).await;
    let stay = Uuid::now_v7();
    let booking = manager.insert(
        EntityKind::Reservation,
        stay,
        reservation_fields(&hotel, hotel.rooms[0], "2026-12-20", "2026-12-23", "T-MGR-0001"),
    );
    version_of(&manager.push_one(booking).await, "the stay is booked");

    let charge = house.insert(
        EntityKind::FolioPosting,
        Uuid::now_v7(),
        json!({"reservation_id": stay, "window": 1, "kind": "charge", "idempotency_key": "minibar-1",
               "amount_minor": 500, "currency": "EUR", "code": "MINIBAR", "description": "Water",
               "quantity": 1, "posted_by": house.session.user.id, "posted_at": "000001763895925123-00000-00000000-0000-0000-0000-000000000000"}),
    );
    let result = house.push_one(charge).await;
    let (category, message) = rejection(&result.outcome);
    assert_eq!(category, RejectCategory::Permission, "housekeeping posts no charges: {message}");

    let clean = house.update(EntityKind::Room, hotel.rooms[1], 1, &[("cleaning", json!("clean"), json!("dirty"))]);
    version_of(&house.push_one(clean).await, "housekeeping changes a room's cleaning status");

    let changes = house.pull_all().await;
    let reservation = changes.iter().find(|c| c.record_id == stay).expect("housekeeping sees the stay");
    let record = reservation.record.as_ref().expect("with its record");
    assert_eq!(record["guest_name"], json!("Sarah Johnson"), "housekeeping reads the guest's name");
    let guest = changes.iter().find(|c| c.record_id == hotel.guest).expect("housekeeping sees the guest");
    let record = guest.record.as_ref().expect("with its record");
    assert!(
        !record.contains_key("email") && !record.contains_key("phone"),
        "contact details are redacted for housekeeping: {record:?}"
    );
}

#[tokio::test]
async fn a_signed_out_session_and_a_used_enrollment_code_are_refused() {
    let server = Server::start().await;
    let desk = server.device("P1", "desk").await;
    let response = desk
        .http
        .delete(desk.url("/v1/sessions/current"))
        .bearer_auth(desk.token())
        .send()
        .await
        .expect("sign-out request");
    assert_eq!(response.status(), 204, "signing out succeeds");
    let response = desk.pull_raw(&json!({"protocol": 1})).await;
    assert_eq!(response.status(), 401, "a revoked token is refused");
    let body: Value = response.json().await.expect("error body");
    assert_eq!(body["code"], json!("revoked_token"), "the code says the session was revoked");

    let code = frontdesk_server::auth::create_enrollment_code(
        &server.store,
        "P1",
        chrono::Duration::hours(1),
        chrono::Utc::now(),
    )
    .await
    .expect("code");
    let enroll = |name: &'static str| {
        desk.http.post(desk.url("/v1/enroll")).json(&json!({"code": code.to_lowercase(), "device_name": name})).send()
    };
    assert_eq!(enroll("tablet 1").await.expect("enroll").status(), 200, "a code works once, in any case");
    assert_eq!(enroll("tablet 2").await.expect("enroll").status(), 401, "and never twice");

    let response = desk.sign_in("desk", "wrong password").await;
    assert_eq!(response.status(), 401, "a wrong password signs nobody in");
}

#[tokio::test]
async fn every_endpoint_denies_another_propertys_data() {
    let server = Server::start().await;
    let mut manager = server.device("P1", "manager").await;
    let mut desk = server.device("P1", "desk").await;
    let mut boss = server.device("P2", "boss").await;
    let hotel = seed_hotel(&mut manager).await;
    let base = json!("sarah@example.org");
    let first = manager.update(EntityKind::Guest, hotel.guest, 1, &[("email", base.clone(), json!("a@example.org"))]);
    version_of(&manager.push_one(first).await, "P1's first edit");
    let second = desk.update(EntityKind::Guest, hotel.guest, 1, &[("email", base, json!("b@example.org"))]);
    let Outcome::Conflict { conflict, .. } = desk.push_one(second).await.outcome else {
        panic!("P1 has a conflict to hide");
    };
    let p1_conflict = conflict.id;
    let mut p2_stream = boss.live_on(&boss.base.clone()).await;

    for (method, path) in frontdesk_server::api::routes() {
        let concrete = path
            .replace("{entity}", "guest")
            .replace("{id}", &if path.starts_with("/v1/conflicts") { p1_conflict } else { hotel.guest }.to_string());
        match (method, path) {
            // Not about any property's data.
            ("GET", "/v1/health" | "/v1/openapi.json" | "/metrics") => {}
            ("DELETE", "/v1/sessions/current") => {}
            ("GET", "/v1/live") => {
                // Checked below: P2's stream hears nothing of P1's pushes.
            }
            ("POST", "/v1/enroll") => {
                let response = boss.post(path, &json!({"code": "made-up", "device_name": "Eve's PC"})).await;
                assert_eq!(response.status(), 401, "no code of P1 is guessable into P2's hands");
            }
            ("POST", "/v1/sessions") => {
                let response = boss
                    .http
                    .post(boss.url(path))
                    .header(
                        sync_core::protocol::DEVICE_HEADER,
                        format!("{}:{}", boss.enrollment.device_id, boss.enrollment.device_secret),
                    )
                    .json(&json!({"username": "manager", "password": crate::support::PASSWORD}))
                    .send()
                    .await
                    .expect("sign-in");
                assert_eq!(response.status(), 401, "P1's manager cannot sign in on P2's device");
            }
            ("POST", "/v1/push") => {
                let overwrite =
                    boss.update(EntityKind::Guest, hotel.guest, 2, &[("last_name", json!("Johnson"), json!("Hacked"))]);
                let result = boss.push_one(overwrite).await;
                assert!(
                    !matches!(result.outcome, Outcome::Applied { .. } | Outcome::Merged { .. }),
                    "P2 cannot write P1's guest: {result:?}"
                );
            }
            ("POST", "/v1/pull") => {
                let changes = boss.pull_all().await;
                assert!(changes.iter().all(|c| c.record_id != hotel.guest), "P2 pulls nothing of P1");
            }
            ("GET", "/v1/conflicts") => {
                let list: Value = boss.get(path).await.json().await.expect("json");
                let ids: Vec<&Value> = list["conflicts"].as_array().expect("list").iter().map(|c| &c["id"]).collect();
                assert!(!ids.contains(&&json!(p1_conflict)), "P2 lists none of P1's conflicts (only its own)");
            }
            ("GET", "/v1/conflicts/{id}") | ("GET", "/v1/records/{entity}/{id}/history") => {
                assert_eq!(boss.get(&concrete).await.status(), 404, "{method} {path}: P1's data is not found from P2");
            }
            ("POST", "/v1/conflicts/{id}/resolve") => {
                let response = boss.post(&concrete, &json!({"choice": "keep_device"})).await;
                assert_eq!(response.status(), 404, "P2 cannot resolve P1's conflict");
            }
            ("POST", "/v1/records/{entity}/{id}/restore") => {
                let response = boss.post(&concrete, &json!({"version": 1})).await;
                assert_eq!(response.status(), 404, "P2 cannot restore P1's guest");
            }
            // App releases are the server's, not a property's: the same for every desk.
            ("GET", "/v1/updates/{target}/{arch}/{bundle}/{current_version}" | "/v1/updates/files/{file}") => {}
            (method, path) => panic!("{method} {path} is new: add what it must deny to another property here"),
        }
    }
    let read: Value = manager.get(&format!("/v1/conflicts/{p1_conflict}")).await.json().await.expect("json");
    assert_eq!(read["status"], json!("open"), "P1's conflict is untouched");
    let history: Value =
        manager.get(&format!("/v1/records/guest/{}/history", hotel.guest)).await.json().await.expect("json");
    assert_eq!(history["versions"].as_array().map(Vec::len), Some(2), "P1's guest is untouched");
    assert_eq!(
        p2_stream.next_change(Duration::from_millis(300)).await,
        None,
        "P2's live stream heard nothing of P1's pushes"
    );
}

/// A lost tablet is revoked from the admin command line: its session is refused at
/// its next request, it cannot sign in again, the other desks see it revoked, and
/// a name that is not one of the property's devices is refused, naming them.
#[tokio::test]
async fn a_revoked_device_loses_access_at_its_next_request() {
    let server = Server::start().await;
    let tablet = server.device("P1", "house").await;
    let desk = server.device("P1", "desk").await;
    let devices = frontdesk_server::auth::list_devices(&server.store, "P1").await.expect("devices");
    assert_eq!(devices.len(), 2, "two enrolled: {devices:?}");
    assert_eq!(tablet.pull_raw(&json!({"protocol": 1})).await.status(), 200, "the tablet syncs");

    let unknown =
        frontdesk_server::auth::revoke_device(&server.store, "P1", "lost phone", false, "x", chrono::Utc::now())
            .await
            .expect_err("no such device");
    assert!(unknown.to_string().contains("has no device `lost phone`"), "{unknown}");
    let revoked = frontdesk_server::auth::revoke_device(
        &server.store,
        "P1",
        &tablet.enrollment.device_id.to_string(),
        false,
        "x",
        chrono::Utc::now(),
    )
    .await
    .expect("revoked");
    assert!(revoked.revoked);

    let response = tablet.pull_raw(&json!({"protocol": 1})).await;
    assert_eq!(response.status(), 401, "its session is refused at the next request");
    let body: Value = response.json().await.expect("error body");
    assert_eq!(body["code"], json!("revoked_token"));
    let sign_in = tablet.sign_in("house", crate::support::PASSWORD).await;
    assert_eq!(sign_in.status(), 401, "the tablet cannot sign in again");
    let record = desk
        .pull_everything()
        .await
        .into_iter()
        .rev()
        .find(|c| c.record_id == tablet.enrollment.device_id)
        .expect("the desk hears of the revocation");
    assert_eq!(record.record.as_ref().and_then(|r| r.get("revoked")), Some(&json!(true)));
    assert_eq!(desk.pull_raw(&json!({"protocol": 1})).await.status(), 200, "the other desk goes on");
}

/// A lost tablet revoked with --wipe is told at its next request, whether it comes
/// with its session or with its device credential, to erase its data: a code the desk
/// acts on, unlike a plain revocation.
#[tokio::test]
async fn a_device_revoked_with_wipe_is_told_to_erase_its_data() {
    let server = Server::start().await;
    let tablet = server.device("P1", "house").await;
    let desk = server.device("P1", "desk").await;
    let revoked = frontdesk_server::auth::revoke_device(
        &server.store,
        "P1",
        &tablet.enrollment.device_id.to_string(),
        true,
        "x",
        chrono::Utc::now(),
    )
    .await
    .expect("revoked");
    assert!(revoked.revoked && revoked.wipe);
    let listed = frontdesk_server::auth::list_devices(&server.store, "P1").await.expect("devices");
    assert_eq!(listed.iter().filter(|d| d.wipe).map(|d| d.id).collect::<Vec<_>>(), [tablet.enrollment.device_id]);

    let response = tablet.pull_raw(&json!({"protocol": 1})).await;
    assert_eq!(response.status(), 401);
    let body: Value = response.json().await.expect("error body");
    assert_eq!(body["code"], json!("device_wiped"), "{body}");
    let sign_in = tablet.sign_in("house", crate::support::PASSWORD).await;
    assert_eq!(sign_in.status(), 401);
    let body: Value = sign_in.json().await.expect("error body");
    assert_eq!(body["code"], json!("device_wiped"));
    // A wrong secret for that device id learns nothing of it.
    let guess = tablet
        .http
        .post(tablet.url("/v1/sessions"))
        .header(sync_core::protocol::DEVICE_HEADER, format!("{}:guessed", tablet.enrollment.device_id))
        .json(&json!({"username": "house", "password": crate::support::PASSWORD}))
        .send()
        .await
        .expect("sign-in");
    let body: Value = guess.json().await.expect("error body");
    assert_eq!(body["code"], json!("bad_device"));
    assert_eq!(desk.pull_raw(&json!({"protocol": 1})).await.status(), 200, "the other desk goes on");
}

/// A rollout code (one provisioning file for every desk of an image) enrolls many
/// devices until an admin withdraws it; a one-time code enrolls one.
#[tokio::test]
async fn a_rollout_code_enrolls_many_desks_until_it_is_withdrawn() {
    let server = Server::start().await;
    let code = frontdesk_server::auth::create_rollout_code(
        &server.store,
        "P1",
        chrono::Duration::hours(24 * 7),
        chrono::Utc::now(),
    )
    .await
    .expect("a rollout code");
    let http = reqwest::Client::new();
    let enroll = |name: &'static str| {
        let http = http.clone();
        let url = server.url("/v1/enroll");
        let code = code.clone();
        async move { http.post(url).json(&json!({"code": code, "device_name": name})).send().await.expect("enroll") }
    };
    for name in ["Reception 1", "Reception 2", "Back office"] {
        assert_eq!(enroll(name).await.status(), 200, "{name} enrolls with the one code");
    }
    frontdesk_server::auth::revoke_enrollment_code(&server.store, "P1", &code).await.expect("withdrawn");
    let refused = enroll("Reception 3").await;
    assert_eq!(refused.status(), 401, "a withdrawn code enrolls nobody");
    let body: Value = refused.json().await.expect("error body");
    assert_eq!(body["code"], json!("bad_enrollment_code"));
    let devices = frontdesk_server::auth::list_devices(&server.store, "P1").await.expect("devices");
    assert_eq!(devices.len(), 3, "the desks it enrolled keep working: {devices:?}");
    let wrong = frontdesk_server::auth::revoke_enrollment_code(&server.store, "P2", &code).await;
    assert!(wrong.is_err(), "another property cannot withdraw it");
}
