//! The admin CLI's records: the property, staff and devices reach devices as
//! records (without secrets); per-property merge policies; the demo hotel; the
//! import of the benchmark's reservations.

use std::io::Write;

use chrono::Utc;
use frontdesk_server::admin::{self, DemoOptions};
use serde_json::{Value, json};
use sync_core::EntityKind;
use sync_core::protocol::{DEVICE_HEADER, Outcome};
use uuid::Uuid;

use crate::support::{Scene, Server, version_of};

#[tokio::test]
async fn the_property_its_staff_and_devices_reach_devices_as_records_without_secrets() {
    let server = Server::start().await;
    let desk = server.device("P1", "desk").await;
    let changes = desk.pull_everything().await;
    let of = |kind: EntityKind| changes.iter().filter(move |c| c.entity == kind).collect::<Vec<_>>();
    let property = of(EntityKind::Property);
    assert_eq!(property.len(), 1, "the property is a record");
    assert_eq!(property[0].record.as_ref().expect("record")["code"], json!("P1"));
    let staff = of(EntityKind::StaffUser);
    assert_eq!(staff.len(), 4, "every member of P1's staff is a record");
    for user in &staff {
        let record = user.record.as_ref().expect("record");
        assert!(record.get("password_hash").is_none() && record.get("password").is_none(), "no secrets: {record:?}");
    }
    let devices = of(EntityKind::Device);
    assert!(devices.iter().any(|d| d.record_id == desk.enrollment.device_id), "the enrolled device is a record");
    for device in &devices {
        let record = device.record.as_ref().expect("record");
        assert!(record.get("credential_hash").is_none(), "no device secret: {record:?}");
        assert_eq!(record["revoked"], json!(false));
    }
}

#[tokio::test]
async fn a_propertys_policy_file_changes_how_its_pushes_merge() {
    let Scene { server, mut manager, mut desk, hotel } = Scene::new().await;

    let err = admin::set_policies(&server.store, "P1", "[guest]\nemail = \"delta\"\n", "x", Utc::now())
        .await
        .expect_err("refused");
    assert!(err.to_string().contains("guest.email"), "the error names the place: {err}");
    let err = admin::set_policies(&server.store, "NOPE", "", "x", Utc::now()).await.expect_err("unknown property");
    assert!(err.to_string().contains("NOPE"), "{err}");
    let policies = "[guest]\nemail = \"last_writer_wins\"\n";
    admin::set_policies(&server.store, "P1", policies, "x", Utc::now()).await.expect("valid policies");
    let property = desk.pull_everything().await.into_iter().rev().find(|c| c.entity == EntityKind::Property);
    let property = property.and_then(|c| c.record).expect("the property's record reaches the desks");
    assert_eq!(property["policies"], json!(policies), "with the policies, so desks rebase as the server merges");

    let base = json!("sarah@example.org");
    let first = manager.update(EntityKind::Guest, hotel.guest, 1, &[("email", base.clone(), json!("a@example.org"))]);
    version_of(&manager.push_one(first).await, "the first edit applies");
    let second = desk.update(EntityKind::Guest, hotel.guest, 1, &[("email", base, json!("b@example.org"))]);
    let result = desk.push_one(second).await;
    let Outcome::Merged { record, .. } = &result.outcome else {
        panic!("with last-writer-wins the later edit wins without a conflict, got {:?}", result.outcome);
    };
    assert_eq!(record["email"], json!("b@example.org"), "the later edit wins");
}

#[tokio::test]
async fn the_demo_hotel_is_made_once_and_its_staff_can_sign_in() {
    let server = Server::start().await;
    let options = DemoOptions { property_code: "DEMO", rooms: 40, days: 21, password: "demo-password", channel: "x" };
    let now = Utc::now();
    let hotel = admin::seed_demo(&server.store, &options, now).await.expect("the demo hotel is made");
    assert_eq!((hotel.room_types, hotel.rooms), (3, 40), "three room types, forty rooms");
    assert!(hotel.reservations >= 40, "dozens of reservations: {}", hotel.reservations);
    assert!(hotel.users.iter().all(|(_, _, password)| password.is_some()), "three new users");
    let again = admin::seed_demo(&server.store, &options, now).await.expect("a second run works");
    assert_eq!(again.written, 0, "a second run on the same day writes nothing new");
    assert!(again.users.iter().all(|(_, _, password)| password.is_none()), "and keeps the users' passwords");

    let http = reqwest::Client::new();
    let enrollment: Value = http
        .post(server.url("/v1/enroll"))
        .json(&json!({"code": again.enrollment_code, "device_name": "Demo desk"}))
        .send()
        .await
        .expect("enroll")
        .json()
        .await
        .expect("json");
    let credential = format!(
        "{}:{}",
        enrollment["device_id"].as_str().expect("id"),
        enrollment["device_secret"].as_str().expect("s")
    );
    let response = http
        .post(server.url("/v1/sessions"))
        .header(DEVICE_HEADER, credential)
        .json(&json!({"username": "frontdesk", "password": "demo-password"}))
        .send()
        .await
        .expect("sign in");
    assert_eq!(response.status(), 200, "the demo's front desk signs in with the demo password");
    let session: Value = response.json().await.expect("json");
    let token = session["token"].as_str().expect("token");
    let mut changes = Vec::new();
    let mut cursor = Value::Null;
    loop {
        let page: Value = http
            .post(server.url("/v1/pull"))
            .bearer_auth(token)
            .json(&json!({"protocol": 1, "cursor": cursor}))
            .send()
            .await
            .expect("pull")
            .json()
            .await
            .expect("json");
        changes.extend(page["changes"].as_array().expect("changes").clone());
        cursor = page["cursor"].clone();
        if page["has_more"] != json!(true) {
            break;
        }
    }
    let today = frontdesk_server::push::property_today("Europe/Lisbon", now).to_string();
    let stays: Vec<&Value> =
        changes.iter().filter(|c| c["entity"] == json!("reservation")).map(|c| &c["record"]).collect();
    assert!(stays.iter().any(|s| s["arrival"] == json!(today) && s["status"] == json!("confirmed")), "arrivals today");
    assert!(stays.iter().any(|s| s["status"] == json!("checked_in")), "guests in house");
    let in_house: Vec<&&Value> = stays.iter().filter(|s| s["status"] == json!("checked_in")).collect();
    for stay in &in_house {
        assert!(stay["departure"].as_str() > Some(today.as_str()), "no overdue departure: {stay}");
    }
    for arrival in stays.iter().filter(|s| s["arrival"] == json!(today) && s["status"] == json!("confirmed")) {
        assert!(
            in_house.iter().all(|guest| guest["room_id"] != arrival["room_id"]),
            "an arrival today is given a room nobody is in: {arrival}"
        );
    }
    let conflicts: Value = http
        .get(server.url("/v1/conflicts?status=open"))
        .bearer_auth(token)
        .send()
        .await
        .expect("conflicts")
        .json()
        .await
        .expect("json");
    assert_eq!(conflicts["conflicts"], json!([]), "the demo hotel breaks no rule");
}

fn bench_line(id: &str, room: &str, arrival: &str, departure: &str, email: &str) -> String {
    json!({"id": id, "type": "reservation", "confirmationCode": "H485085140", "guestName": "Pavel Sato",
           "email": email, "phone": "+1-555-9070208", "roomNumber": room, "roomType": "double",
           "checkIn": arrival, "checkOut": departure, "nights": 2, "adults": 2, "children": 1,
           "status": "confirmed", "rateCode": "PKG", "balance": 10.5, "currency": "USD", "source": "walk_in",
           "loyaltyId": null, "specialRequests": ["quiet room"], "notes": "late arrival",
           "createdAt": "2024-10-16T00:00:00.000Z", "updatedAt": "2024-10-16T00:00:00.000Z"})
    .to_string()
}

#[tokio::test]
async fn imported_reservations_are_all_stored_and_overlaps_become_conflicts() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("stays.jsonl.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    for line in [
        bench_line("t:1", "101", "2026-12-01", "2026-12-04", "a@example.com"),
        bench_line("t:2", "101", "2026-12-03", "2026-12-05", "b@example.com"),
        bench_line("t:3", "102", "2026-12-01", "2026-12-04", "a@example.com"),
        bench_line("t:4", "101", "2026-12-04", "2026-12-06", "c@example.com"),
    ] {
        writeln!(gz, "{line}").expect("write");
    }
    std::fs::write(&path, gz.finish().expect("gzip")).expect("file");

    let report = admin::import_reservations(&server.store, "P1", &path, "x", Utc::now()).await.expect("import");
    assert_eq!(report.reservations, 4, "every line is stored, overlapping or not");
    assert_eq!((report.guests, report.rooms, report.room_types), (3, 2, 1), "guests by email, rooms, types");
    assert_eq!(report.conflicts, 2, "t:2 overlaps t:1, and t:4 overlaps t:2 in room 101");
    let again = admin::import_reservations(&server.store, "P1", &path, "x", Utc::now()).await.expect("again");
    assert_eq!((again.reservations, again.existing), (0, 4), "a second import adds nothing");

    let manager = server.device("P1", "manager").await;
    let stays: Vec<_> = manager.pull_all().await.into_iter().filter(|c| c.entity == EntityKind::Reservation).collect();
    assert_eq!(stays.len(), 4, "the imported stays sync to devices");
    let conflicts: Value = manager.get("/v1/conflicts?status=open").await.json().await.expect("json");
    let list = conflicts["conflicts"].as_array().expect("list");
    assert_eq!(list.len(), 2, "the overlaps are open business-rule conflicts");
    assert!(list.iter().all(|c| c["kind"] == json!("business_rule") && c["rule"]["rule"] == json!("double_booking")));
    let free = &list.iter().find(|c| c["rule"]["free_rooms"].as_array().is_some_and(|f| !f.is_empty()));
    assert!(free.is_some(), "room 102 is offered where it is free");
    let _ = Uuid::nil();
}

#[tokio::test]
async fn the_benchmark_data_imports_when_it_is_beside_the_repository() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/data/w4.jsonl.gz");
    assert!(path.exists(), "the benchmark data lives in shared/bench/data beside the repository: {}", path.display());
    let server = Server::start().await;
    let report = admin::import_reservations(&server.store, "P1", &path, "x", Utc::now()).await.expect("import");
    assert_eq!(report.reservations, 200, "all 200 W4 reservations are stored");
    assert_eq!(server.count("conflicts").await, i64::try_from(report.conflicts).expect("count"));
}

#[tokio::test]
async fn an_import_passes_the_write_gate_and_writes_nothing_when_a_line_breaks_it() {
    let server = Server::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("stays.jsonl");
    let arrives = (Utc::now() + chrono::Duration::days(5)).date_naive();
    let departs = arrives + chrono::Duration::days(2);
    let good = bench_line("g:1", "101", "2026-01-01", "2026-01-03", "a@example.com");
    let mut in_house_early: Value =
        serde_json::from_str(&bench_line("g:2", "102", &arrives.to_string(), &departs.to_string(), "b@example.com"))
            .expect("json");
    in_house_early["status"] = json!("checked_in");
    std::fs::write(&path, format!("{good}\n{in_house_early}\n")).expect("file");

    let err = admin::import_reservations(&server.store, "P1", &path, "x", Utc::now())
        .await
        .expect_err("a stay checked in five days before it arrives is refused");
    assert!(err.to_string().contains("before it arrives"), "the refusal says why: {err}");
    assert_eq!(server.count("records").await, 0, "nothing of the file was written");
}
