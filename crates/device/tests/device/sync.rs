//! Devices syncing with the real server over HTTP on loopback: each device a real
//! SQLite file, the server the real axum app on port 0 over its own SQLite file,
//! seeded with the demo hotel.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use frontdesk_device::desk::Desk;
use frontdesk_device::sync::{Alert, AlertLevel, SyncEvent, SyncSettings, SyncState};
use frontdesk_device::{GuestEdit, NewCharge, NewGuest, NewPayment, NewReservation};
use frontdesk_server::admin::{DemoOptions, seed_demo};
use frontdesk_server::{AppState, Config, Store as ServerStore};
use sync_core::domain::{Availability, Cleaning, Guest, Occupancy, Reservation, ReservationStatus, Room, RoomType};
use sync_core::schema::EntityKind;
use tempfile::TempDir;
use tokio::sync::oneshot;

mod cli;
mod hotel_day;

const PASSWORD: &str = "demo-password";

/// The real server over a temp SQLite file, seeded with a demo hotel.
struct Hotel {
    base: String,
    store: ServerStore,
    stop: Option<oneshot::Sender<()>>,
    dir: TempDir,
}

impl Drop for Hotel {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// A PostgreSQL server to run the server side on, from `DATABASE_URL` (the test
/// command sets it for a second run of these tests); SQLite otherwise.
fn postgres_admin_url() -> Option<String> {
    std::env::var("DATABASE_URL").ok().filter(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"))
}

/// A new empty database on the PostgreSQL server of `admin`, for one test.
async fn fresh_postgres_database(admin: &str) -> String {
    sqlx::any::install_default_drivers();
    let name = format!("fd_device_{}", uuid::Uuid::now_v7().simple());
    let pool = sqlx::AnyPool::connect(admin).await.expect("connect to DATABASE_URL");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&pool)
        .await
        .expect("create a test database");
    pool.close().await;
    let (scheme, rest) = admin.split_once("://").expect("a URL");
    let (authority, _) = rest.split_once('/').unwrap_or((rest, ""));
    format!("{scheme}://{authority}/{name}")
}

impl Hotel {
    async fn open() -> Hotel {
        let dir = tempfile::tempdir().expect("a temp dir");
        let url = match postgres_admin_url() {
            Some(admin) => fresh_postgres_database(&admin).await,
            None => format!("sqlite://{}", dir.path().join("server.sqlite3").display()),
        };
        let store = ServerStore::open(&url).await.expect("the server store opens");
        let options =
            DemoOptions { property_code: "DEMO", rooms: 12, days: 14, password: PASSWORD, channel: "frontdesk_test" };
        seed_demo(&store, &options, Utc::now()).await.expect("the demo hotel is seeded");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().expect("address"));
        let (stop, stopped) = oneshot::channel::<()>();
        let state = AppState::new(store.clone(), Config::default());
        tokio::spawn(async move {
            let _ = frontdesk_server::serve(listener, state, async move { drop(stopped.await) }).await;
        });
        Hotel { base, store, stop: Some(stop), dir }
    }

    /// Stops the server, as an outage does, once it no longer accepts connections.
    async fn stop_server(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let address = self.base.trim_start_matches("http://").to_owned();
        let started = tokio::time::Instant::now();
        while tokio::net::TcpStream::connect(&address).await.is_ok() {
            assert!(started.elapsed() < Duration::from_secs(10), "the server stops accepting connections");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Starts the server again on the same address and database, as after an outage.
    async fn restart_server(&mut self) {
        let address = self.base.trim_start_matches("http://").to_owned();
        let started = tokio::time::Instant::now();
        let listener = loop {
            match tokio::net::TcpListener::bind(&address).await {
                Ok(listener) => break listener,
                Err(err) => {
                    assert!(started.elapsed() < Duration::from_secs(10), "the server's port frees up: {err}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let state = AppState::new(self.store.clone(), Config::default());
        tokio::spawn(async move {
            let _ = frontdesk_server::serve(listener, state, async move { drop(stopped.await) }).await;
        });
        self.stop = Some(stop);
    }

    async fn code(&self) -> String {
        frontdesk_server::auth::create_enrollment_code(&self.store, "DEMO", chrono::Duration::hours(1), Utc::now())
            .await
            .expect("an enrollment code")
    }

    /// A new desk enrolled to the demo hotel, signed in as `user`, with the hotel pulled.
    async fn desk(&self, name: &str, user: &str) -> Desk {
        let path = self.dir.path().join(format!("{name}.sqlite3"));
        let desk = Desk::open_manual(&path, Arc::new(Utc::now)).await.expect("the desk opens");
        desk.enroll(&self.base, &self.code().await, name).await.expect("enrolled");
        desk.sign_in(user, PASSWORD).await.expect("signed in");
        desk.sync_once(1_000).await.expect("first sync pulls the hotel");
        desk
    }
}

async fn new_guest(desk: &Desk, first: &str, last: &str, email: &str) -> Guest {
    let session = desk.session().await.expect("session");
    let guest =
        NewGuest { first_name: first.into(), last_name: last.into(), email: Some(email.into()), ..NewGuest::default() };
    desk.store().create_guest(&session, guest).await.expect("guest created")
}

async fn a_room_type(desk: &Desk) -> RoomType {
    desk.store()
        .all::<RoomType>(EntityKind::RoomType)
        .await
        .expect("room types")
        .into_iter()
        .next()
        .expect("the demo hotel has room types")
}

async fn new_stay(desk: &Desk, guest: &Guest) -> Reservation {
    let session = desk.session().await.expect("session");
    let input = new_stay_input(desk, guest).await;
    desk.store().create_reservation(&session, input).await.expect("reservation created")
}

/// A confirmed stay of two nights a month ahead, with no room yet.
async fn new_stay_input(desk: &Desk, guest: &Guest) -> NewReservation {
    let session = desk.session().await.expect("session");
    let room_type = a_room_type(desk).await;
    NewReservation {
        guest_id: guest.id,
        guest_name: None,
        room_type_id: room_type.id,
        room_id: None,
        arrival: session.today + chrono::Duration::days(30),
        departure: session.today + chrono::Duration::days(32),
        adults: 2,
        children: 0,
        rate_code: "BAR".into(),
        source: "phone".into(),
        special_requests: vec![],
        note: None,
        confirmed: true,
    }
}

#[tokio::test]
async fn offline_edits_on_two_desks_converge_keeping_every_field() {
    let hotel = Hotel::open().await;
    let a = hotel.desk("desk-a", "frontdesk").await;
    let b = hotel.desk("desk-b", "manager").await;
    let guest = new_guest(&a, "Sarah", "Johnson", "sarah@old.example").await;
    a.sync_once(1_000).await.expect("A pushes the guest");
    b.sync_once(1_000).await.expect("B pulls the guest");

    // Both desks work offline: A changes the phone, B adds a tag.
    let session_a = a.session().await.expect("session");
    let session_b = b.session().await.expect("session");
    let phone = GuestEdit { phone: Some(Some("+351 900 000 001".into())), ..GuestEdit::default() };
    a.store().edit_guest(&session_a, guest.id, phone).await.expect("A edits");
    let tag = GuestEdit { add_tags: vec!["vip".into()], ..GuestEdit::default() };
    b.store().edit_guest(&session_b, guest.id, tag).await.expect("B edits");

    a.sync_once(1_000).await.expect("A syncs");
    let report = b.sync_once(1_000).await.expect("B syncs");
    assert_eq!(report.conflicts, 0, "different fields never conflict");
    a.sync_once(1_000).await.expect("A pulls B's edit");

    for desk in [&a, &b] {
        let seen: Guest = desk.store().record(EntityKind::Guest, guest.id).await.expect("read").expect("present");
        assert_eq!(seen.phone.as_deref(), Some("+351 900 000 001"), "A's phone survives on every desk");
        assert_eq!(seen.tags, vec!["vip".to_owned()], "B's tag survives on every desk");
    }
}

#[tokio::test]
async fn the_same_email_changed_on_two_desks_becomes_a_conflict_with_both_values() {
    let hotel = Hotel::open().await;
    let a = hotel.desk("desk-a", "frontdesk").await;
    let b = hotel.desk("desk-b", "frontdesk").await;
    let guest = new_guest(&a, "Sarah", "Johnson", "sarah@old.example").await;
    a.sync_once(1_000).await.expect("A pushes");
    b.sync_once(1_000).await.expect("B pulls");
    for (desk, email) in [(&a, "sarah@a.example"), (&b, "sarah@b.example")] {
        let session = desk.session().await.expect("session");
        let edit = GuestEdit { email: Some(Some(email.into())), ..GuestEdit::default() };
        desk.store().edit_guest(&session, guest.id, edit).await.expect("offline edit");
    }
    a.sync_once(1_000).await.expect("A syncs first");
    let report = b.sync_once(1_000).await.expect("B syncs second");
    assert_eq!(report.conflicts, 1, "the second email to arrive clashes");
    let conflicts = b.store().open_conflicts().await.expect("conflicts");
    assert_eq!(conflicts.len(), 1);
    let clash = &conflicts[0].fields[0];
    assert_eq!(clash.field, "email");
    assert_eq!(clash.device, serde_json::json!("sarah@b.example"), "B's value is kept in the conflict");
    assert_eq!(clash.server, serde_json::json!("sarah@a.example"), "A's value is the server's");
    let on_b: Guest = b.store().record(EntityKind::Guest, guest.id).await.expect("read").expect("present");
    assert_eq!(on_b.email.as_deref(), Some("sarah@a.example"), "until resolved, the server's value stands");

    // The receptionist on B keeps B's value (a data conflict is the desk's to settle);
    // the resolution is a change every desk receives.
    b.resolve_conflict(conflicts[0].id, &sync_core::conflict::ResolutionChoice::KeepDevice {})
        .await
        .expect("the front desk resolves a clash of two emails");
    assert!(b.store().open_conflicts().await.expect("conflicts").is_empty(), "nothing left to decide on B");
    a.sync_once(1_000).await.expect("A pulls the resolution");
    for desk in [&a, &b] {
        let seen: Guest = desk.store().record(EntityKind::Guest, guest.id).await.expect("read").expect("present");
        assert_eq!(seen.email.as_deref(), Some("sarah@b.example"), "both desks end with the chosen value");
    }
}

#[tokio::test]
async fn charges_posted_offline_on_two_desks_all_arrive_once() {
    let hotel = Hotel::open().await;
    let a = hotel.desk("desk-a", "frontdesk").await;
    let b = hotel.desk("desk-b", "manager").await;
    let guest = new_guest(&a, "Li", "Wei", "li@example.com").await;
    let stay = new_stay(&a, &guest).await;
    a.sync_once(1_000).await.expect("A pushes the stay");
    b.sync_once(1_000).await.expect("B pulls the stay");
    for (desk, amounts) in [(&a, [1_000, 2_500, 400]), (&b, [700, 1_200, 90])] {
        let session = desk.session().await.expect("session");
        for amount in amounts {
            let charge = NewCharge {
                reservation_id: stay.id,
                amount_minor: amount,
                code: "MINIBAR".into(),
                currency: "EUR".into(),
                description: "Minibar".into(),
                ..NewCharge::default()
            };
            desk.store().post_charge(&session, charge).await.expect("posted offline");
        }
    }
    let payment =
        NewPayment { reservation_id: stay.id, amount_minor: 500, currency: "EUR".into(), ..NewPayment::default() };
    let session_b = b.session().await.expect("session");
    b.store().post_payment(&session_b, payment).await.expect("cash taken offline");
    // Each desk syncs twice, out of step, as desks on a flaky network do.
    for desk in [&a, &b, &a, &b] {
        desk.sync_once(2).await.expect("sync");
    }
    for desk in [&a, &b] {
        let folio = desk.store().folio(stay.id).await.expect("folio");
        assert_eq!(folio.postings.len(), 7, "six charges and one payment, each once");
        let total: i64 = folio.balance.values().sum();
        assert_eq!(total, 1_000 + 2_500 + 400 + 700 + 1_200 + 90 - 500, "balance derived from every posting");
    }
}

#[tokio::test]
async fn a_push_whose_answer_was_lost_is_applied_once() {
    let hotel = Hotel::open().await;
    let a = hotel.desk("desk-a", "frontdesk").await;
    let guest = new_guest(&a, "Omar", "Haddad", "omar@example.com").await;
    let stay = new_stay(&a, &guest).await;
    let session = a.session().await.expect("session");
    let charge = NewCharge {
        reservation_id: stay.id,
        amount_minor: 4_200,
        code: "ROOM".into(),
        currency: "EUR".into(),
        description: "Room night".into(),
        ..NewCharge::default()
    };
    a.store().post_charge(&session, charge).await.expect("posted");
    // The server receives and commits the push, but its answer never reaches the desk.
    let client = a.client().await.expect("online");
    let batch = a.store().pending_batch(100).await.expect("batch");
    let request = sync_core::protocol::PushRequest {
        protocol: sync_core::PROTOCOL_VERSION,
        mutations: batch.iter().map(|(_, m)| m.clone()).collect(),
    };
    client.push(&request).await.expect("the server took it");
    assert_eq!(a.store().outbox_counts().await.expect("counts").pending, 3, "the desk still thinks all 3 are pending");
    let report = a.sync_once(1_000).await.expect("the retry");
    // The stay was booked with a provisional number: the server gave it the
    // property's own, so it is answered as merged, the guest and charge as applied.
    assert_eq!((report.applied, report.merged), (2, 1), "the replay is answered with the first results");
    let b = hotel.desk("desk-b", "manager").await;
    let folio = b.store().folio(stay.id).await.expect("folio");
    assert_eq!(folio.postings.len(), 1, "the charge exists once on the server");
}

#[tokio::test]
async fn a_desk_closed_between_a_write_and_its_push_loses_nothing() {
    let hotel = Hotel::open().await;
    let path = hotel.dir.path().join("desk-a.sqlite3");
    let a = hotel.desk("desk-a", "frontdesk").await;
    let guest = new_guest(&a, "Nia", "Okafor", "nia@example.com").await;
    // The desk dies before syncing: the process goes away with its memory.
    a.close(Duration::from_millis(10)).await;
    let reopened = Desk::open_manual(&path, Arc::new(Utc::now)).await.expect("reopens");
    assert_eq!(reopened.store().outbox_counts().await.expect("counts").pending, 1, "the queued change survived");
    reopened.sign_in("frontdesk", PASSWORD).await.expect("signed in");
    reopened.sync_once(1_000).await.expect("sync");
    let b = hotel.desk("desk-b", "manager").await;
    let seen: Option<Guest> = b.store().record(EntityKind::Guest, guest.id).await.expect("read");
    assert_eq!(seen.map(|g| g.last_name), Some("Okafor".to_owned()));
}

#[tokio::test]
async fn a_backlog_of_ten_thousand_changes_syncs_completely() {
    let hotel = Hotel::open().await;
    let a = hotel.desk("desk-a", "frontdesk").await;
    let session = a.session().await.expect("session");
    let mut ids = Vec::new();
    for n in 0..10_000 {
        let guest = NewGuest { first_name: format!("Guest{n}"), last_name: "Backlog".into(), ..NewGuest::default() };
        ids.push(a.store().create_guest(&session, guest).await.expect("created").id);
    }
    let report = a.sync_once(1_000).await.expect("the backlog syncs");
    assert_eq!(report.pushed, 10_000);
    assert_eq!(report.applied, 10_000, "every change applied");
    assert_eq!(a.store().outbox_counts().await.expect("counts").pending, 0, "nothing left queued");
    let b = hotel.desk("desk-b", "manager").await;
    let guests = b.store().all::<Guest>(EntityKind::Guest).await.expect("guests");
    let arrived = ids.iter().filter(|id| guests.iter().any(|g| g.id == **id)).count();
    assert_eq!(arrived, 10_000, "another desk pulls all of them");
}

#[tokio::test]
async fn sign_in_works_offline_for_a_user_who_signed_in_before() {
    let hotel = Hotel::open().await;
    let path = hotel.dir.path().join("desk-a.sqlite3");
    let a = hotel.desk("desk-a", "frontdesk").await;
    a.close(Duration::from_millis(10)).await;
    let mut hotel = hotel;
    // The server goes away (the internet is down).
    if let Some(stop) = hotel.stop.take() {
        let _ = stop.send(());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let desk = Desk::open_manual(&path, Arc::new(Utc::now)).await.expect("reopens");
    let err = desk.sign_in("frontdesk", "wrong password").await.expect_err("a wrong password is refused offline");
    assert_eq!(err.code(), "bad_credentials");
    let user = desk.sign_in("frontdesk", PASSWORD).await.expect("signs in offline");
    assert!(user.offline, "the desk says it is working offline");
    let guest = new_guest(&desk, "Offline", "Guest", "o@example.com").await;
    assert_eq!(desk.store().outbox_counts().await.expect("counts").pending, 1, "work goes on and queues");
    assert_eq!(guest.last_name, "Guest");
    let never = Desk::open_manual(hotel.dir.path().join("desk-b.sqlite3"), Arc::new(Utc::now)).await.expect("opens");
    assert_eq!(never.sign_in("frontdesk", PASSWORD).await.expect_err("not enrolled").code(), "not_enrolled");
}

/// The worker against a server that does not answer: retries back off, the third
/// failure warns, the fifth is critical, and nothing spins. Real time with short
/// delays: under tokio's paused time the store's pool timers would fire early.
#[tokio::test]
async fn the_worker_backs_off_and_alerts_while_the_server_is_down() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(frontdesk_device::Store::open(dir.path().join("desk.sqlite3")).await.expect("store"));
    // A port nothing listens on: connections are refused at once.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    let client =
        frontdesk_device::sync::ServerClient::new(&format!("http://{closed}")).expect("client").with_token("t");
    let handle =
        frontdesk_device::sync::SyncHandle::spawn(store.clone(), None, Arc::new(Utc::now), false).await.expect("spawn");
    let settings = SyncSettings {
        max_retries: 10,
        backoff_base: Duration::from_millis(20),
        backoff_max: Duration::from_secs(1),
        ..SyncSettings::default()
    };
    handle.set_settings(settings).await.expect("valid settings");
    let mut events = handle.subscribe();
    let started = tokio::time::Instant::now();
    handle.set_session(Some(client)).await;
    let mut alerts = Vec::new();
    let mut offline_seen = false;
    while alerts.len() < 2 {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Ok(SyncEvent::Alert(Alert::SyncFailing { level, failures, .. }))) => alerts.push((level, failures)),
            Ok(Ok(SyncEvent::Status(status))) if status.state == SyncState::Offline => offline_seen = true,
            Ok(Ok(_)) => {}
            other => panic!("the worker went quiet: {other:?}"),
        }
    }
    let elapsed = started.elapsed();
    assert!(offline_seen, "the indicator says offline");
    assert_eq!(alerts, vec![(AlertLevel::Warning, 3), (AlertLevel::Critical, 5)]);
    // Four retries before the fifth failure wait at least 10 + 20 + 40 + 80 ms
    // (half of 20 ms doubling, the lower bound of the jitter): backoff, not spinning.
    assert!(elapsed >= Duration::from_millis(150), "retries wait: {elapsed:?}");
    handle.stop(Duration::from_secs(1)).await;
    let failures = store.consecutive_failures().await.expect("persisted");
    assert!(failures >= 5, "the streak is kept across restarts: {failures}");
}

/// A change made on one desk reaches a connected desk through the live stream,
/// long before its 30-second pull interval.
#[tokio::test]
async fn a_change_reaches_a_connected_desk_through_the_live_stream() {
    let hotel = Hotel::open().await;
    let a = hotel.desk("desk-a", "frontdesk").await;
    let path = hotel.dir.path().join("desk-b.sqlite3");
    let b = Desk::open(&path, Arc::new(Utc::now)).await.expect("B opens with its worker running");
    b.enroll(&hotel.base, &hotel.code().await, "desk-b").await.expect("enrolled");
    let mut events = b.sync().subscribe();
    b.sign_in("manager", PASSWORD).await.expect("signed in");
    // B's first round pulls the hotel; wait for it to report synced.
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Ok(SyncEvent::Status(status))) if status.state == SyncState::Synced => break,
            Ok(Ok(_)) => {}
            other => panic!("B never synced: {other:?}"),
        }
    }
    let started = tokio::time::Instant::now();
    let guest = new_guest(&a, "Live", "Update", "live@example.com").await;
    a.sync_once(1_000).await.expect("A pushes");
    loop {
        let seen: Option<Guest> = b.store().record(EntityKind::Guest, guest.id).await.expect("read");
        if seen.is_some() {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(5), "the change did not reach B through the live stream");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(b.sync().status().last_sync_at.is_some(), "B's status records the sync that brought the change");
}

/// `frontdesk-cli` runs a desk from a terminal: enroll, create a guest offline,
/// sync, and read the status, each as its own process over the same store.
#[tokio::test]
async fn the_command_line_enrolls_writes_and_syncs() {
    let hotel = Hotel::open().await;
    let store = hotel.dir.path().join("cli.sqlite3");
    let code = hotel.code().await;
    let cli = |args: Vec<String>| {
        let store = store.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk-cli"))
                    .arg("--store")
                    .arg(&store)
                    .args(["--user", "frontdesk"])
                    .env("FRONTDESK_PASSWORD", PASSWORD)
                    .args(&args)
                    .output()
                    .expect("the command line runs")
            })
            .await
            .expect("joined")
        }
    };
    let words = |list: &[&str]| list.iter().map(|w| (*w).to_owned()).collect::<Vec<_>>();
    let enrolled = cli(words(&["enroll", "--server", &hotel.base, "--code", &code, "--name", "Back office"])).await;
    assert!(enrolled.status.success(), "enroll: {}", String::from_utf8_lossy(&enrolled.stderr));
    let created = cli(words(&["create-guest", "--first-name", "Ada", "--last-name", "Lovelace"])).await;
    assert!(created.status.success(), "create-guest: {}", String::from_utf8_lossy(&created.stderr));
    let guest: serde_json::Value = serde_json::from_slice(&created.stdout).expect("the guest as JSON");
    let status: serde_json::Value =
        serde_json::from_slice(&cli(words(&["status"])).await.stdout).expect("status as JSON");
    assert_eq!(status["queue"]["pending"], 1, "the new guest waits in the queue: {status}");
    let synced = cli(words(&["sync"])).await;
    assert!(synced.status.success(), "sync: {}", String::from_utf8_lossy(&synced.stderr));
    let report: serde_json::Value = serde_json::from_slice(&synced.stdout).expect("report as JSON");
    assert_eq!(report["applied"], 1, "the guest was applied on the server: {report}");
    let other = hotel.desk("desk-b", "manager").await;
    let id: uuid::Uuid = guest["id"].as_str().and_then(|s| s.parse().ok()).expect("an id");
    let seen: Option<Guest> = other.store().record(EntityKind::Guest, id).await.expect("read");
    assert_eq!(seen.map(|g| g.last_name), Some("Lovelace".to_owned()), "another desk pulls it");
    let refused = cli(words(&["resolve", &uuid::Uuid::nil().to_string(), "--keep", "device"])).await;
    assert!(!refused.status.success(), "resolving an unknown conflict fails");
    let error: serde_json::Value = serde_json::from_slice(&refused.stderr).expect("the error as JSON");
    assert_eq!(error["code"], "not_found", "with the server's code: {error}");
}

/// A desk whose worker runs pushes a local change as soon as it is told of it,
/// without waiting for its pull interval.
#[tokio::test]
async fn a_local_change_is_pushed_at_once_by_the_worker() {
    let hotel = Hotel::open().await;
    let path = hotel.dir.path().join("desk-a.sqlite3");
    let a = Desk::open(&path, Arc::new(Utc::now)).await.expect("A opens with its worker running");
    a.enroll(&hotel.base, &hotel.code().await, "desk-a").await.expect("enrolled");
    let mut events = a.sync().subscribe();
    a.sign_in("frontdesk", PASSWORD).await.expect("signed in");
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Ok(SyncEvent::Status(status))) if status.state == SyncState::Synced => break,
            Ok(Ok(_)) => {}
            other => panic!("A never synced: {other:?}"),
        }
    }
    let guest = new_guest(&a, "Pushed", "AtOnce", "now@example.com").await;
    a.sync().local_change(&[EntityKind::Guest]).await;
    let started = tokio::time::Instant::now();
    while a.store().outbox_counts().await.expect("counts").pending > 0 {
        assert!(started.elapsed() < Duration::from_secs(5), "the worker did not push the local change");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let b = hotel.desk("desk-b", "manager").await;
    let seen: Option<Guest> = b.store().record(EntityKind::Guest, guest.id).await.expect("read");
    assert!(seen.is_some(), "the server has the change");
}

/// Right after enrollment, before anyone signed in or synced, the sign-in screen
/// can already say which hotel this desk belongs to.
#[tokio::test]
async fn a_desk_knows_its_hotels_name_from_enrollment() {
    let hotel = Hotel::open().await;
    let path = hotel.dir.path().join("desk-new.sqlite3");
    let desk = Desk::open_manual(&path, Arc::new(Utc::now)).await.expect("the desk opens");
    desk.enroll(&hotel.base, &hotel.code().await, "Reception 3").await.expect("enrolled");
    let state = desk.session_state().await.expect("session state");
    let device = state.device.expect("enrolled");
    assert_eq!(device.property_name, "Demo Hotel DEMO");
    assert_eq!(device.name, "Reception 3");
    assert!(state.user.is_none(), "nobody signed in yet");
}

/// The bytes of a desk's store as they lie on disk (the database and its WAL).
fn store_bytes(path: &std::path::Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).expect("the store file");
    bytes.extend(std::fs::read(path.with_extension("sqlite3-wal")).unwrap_or_default());
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle.as_bytes())
}

/// A lost tablet revoked with --wipe: at its next sync it erases everything it holds (the
/// guests' details leave no trace in the file), forgets its enrollment, and can be
/// enrolled again with a new code, getting the hotel back from the server.
#[tokio::test]
async fn a_desk_revoked_with_wipe_erases_its_data_and_can_be_enrolled_again() {
    let hotel = Hotel::open().await;
    let path = hotel.dir.path().join("tablet.sqlite3");
    let desk = Desk::open_manual(&path, Arc::new(Utc::now)).await.expect("the desk opens");
    desk.enroll(&hotel.base, &hotel.code().await, "Tablet 7").await.expect("enrolled");
    desk.sign_in("manager", PASSWORD).await.expect("signed in");
    desk.sync_once(1_000).await.expect("the hotel pulled");
    let synced = new_guest(&desk, "Synced", "Before", "synced.before@example.com").await;
    desk.sync_once(1_000).await.expect("pushed");
    new_guest(&desk, "Queued", "Unsynced", "queued.unsynced@example.com").await;
    let device_id = desk.identity().await.expect("enrolled").device_id;
    assert!(contains(&store_bytes(&path), "synced.before@example.com"), "the guest is in the file before");

    frontdesk_server::auth::revoke_device(&hotel.store, "DEMO", &device_id.to_string(), true, "x", Utc::now())
        .await
        .expect("revoked with wipe");
    let err = desk.sync_once(1_000).await.expect_err("the server refuses the wiped device");
    assert!(matches!(err, frontdesk_device::desk::DeskError::Wiped), "{err:?}");
    assert_eq!(err.code(), "device_wiped");

    assert!(desk.identity().await.is_none(), "the enrollment is forgotten");
    assert!(desk.user().await.is_none(), "nobody is signed in");
    let stats = desk.store().stats().await.expect("stats");
    assert_eq!((stats.records, stats.outbox, stats.history, stats.conflicts), (0, 0, 0, 0));
    let bytes = store_bytes(&path);
    for trace in ["synced.before@example.com", "queued.unsynced@example.com", "Demo Hotel DEMO"] {
        assert!(!contains(&bytes, trace), "`{trace}` is gone from the file");
    }
    let offline = desk.sign_in("manager", PASSWORD).await.expect_err("no enrollment, no sign-in");
    assert!(matches!(offline, frontdesk_device::desk::DeskError::NotEnrolled), "{offline:?}");

    // IT enrolls the tablet again: a new device, the hotel back from the server.
    desk.enroll(&hotel.base, &hotel.code().await, "Tablet 7").await.expect("enrolled again");
    assert_ne!(desk.identity().await.expect("enrolled").device_id, device_id, "a new device");
    desk.sign_in("manager", PASSWORD).await.expect("signed in");
    desk.sync_once(1_000).await.expect("the hotel pulled again");
    let back: Option<Guest> = desk.store().record(EntityKind::Guest, synced.id).await.expect("read");
    assert!(back.is_some(), "what was synced before is back");
}

/// The sync worker hears the wipe on its own round and the desk erases itself.
#[tokio::test]
async fn the_worker_erases_a_desk_wiped_while_it_runs() {
    let hotel = Hotel::open().await;
    let path = hotel.dir.path().join("desk-w.sqlite3");
    let desk = Desk::open(&path, Arc::new(Utc::now)).await.expect("the desk opens with its worker");
    desk.enroll(&hotel.base, &hotel.code().await, "Reception 9").await.expect("enrolled");
    let mut events = desk.sync().subscribe();
    desk.sign_in("frontdesk", PASSWORD).await.expect("signed in");
    let device_id = desk.identity().await.expect("enrolled").device_id;
    frontdesk_server::auth::revoke_device(&hotel.store, "DEMO", &device_id.to_string(), true, "x", Utc::now())
        .await
        .expect("revoked with wipe");
    desk.sync().sync_now().await;
    loop {
        match tokio::time::timeout(Duration::from_secs(10), events.recv()).await {
            Ok(Ok(SyncEvent::DeviceWiped)) => break,
            Ok(Ok(_)) => {}
            other => panic!("the worker never heard of the wipe: {other:?}"),
        }
    }
    let started = tokio::time::Instant::now();
    while desk.identity().await.is_some() || desk.store().stats().await.expect("stats").records > 0 {
        assert!(started.elapsed() < Duration::from_secs(5), "the desk did not erase itself");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(desk.user().await.is_none());
}

/// A room of the demo hotel that is vacant, available, and held by no stay from
/// yesterday to the day after tomorrow, as `desk` knows it.
async fn a_quiet_room(desk: &Desk, today: chrono::NaiveDate) -> Room {
    let (from, until) = (today - chrono::Duration::days(1), today + chrono::Duration::days(2));
    let stays: Vec<Reservation> = desk.store().all(EntityKind::Reservation).await.expect("stays");
    let mut rooms: Vec<Room> = desk.store().all(EntityKind::Room).await.expect("rooms");
    rooms.sort_by(|a, b| a.number.cmp(&b.number));
    rooms
        .into_iter()
        .find(|room| {
            room.occupancy == Occupancy::Vacant
                && room.availability == Availability::Available
                && !stays.iter().any(|s| {
                    s.room_id == Some(room.id) && s.status.is_live() && s.arrival < until && from < s.departure
                })
        })
        .expect("the demo hotel has a room free around today")
}

/// A confirmed stay of `guest` in `room` for the nights `[arrival, departure)`.
async fn stay_in(
    desk: &Desk,
    guest: &Guest,
    room: &Room,
    arrival: chrono::NaiveDate,
    departure: chrono::NaiveDate,
) -> Reservation {
    let session = desk.session().await.expect("session");
    let input = NewReservation {
        guest_id: guest.id,
        guest_name: None,
        room_type_id: room.room_type_id,
        room_id: Some(room.id),
        arrival,
        departure,
        adults: 2,
        children: 0,
        rate_code: "BAR".into(),
        source: "walk_in".into(),
        special_requests: vec![],
        note: None,
        confirmed: true,
    };
    desk.store().create_reservation(&session, input).await.expect("reservation created")
}

async fn status_of(desk: &Desk, id: uuid::Uuid) -> Option<ReservationStatus> {
    let stay: Option<Reservation> = desk.store().record(EntityKind::Reservation, id).await.expect("read");
    stay.map(|s| s.status)
}

async fn occupancy_of(desk: &Desk, room: &Room) -> Occupancy {
    let now: Option<Room> = desk.store().record(EntityKind::Room, room.id).await.expect("read");
    now.expect("the room").occupancy
}

/// Desk A checks out yesterday's arrival, who leaves today; the room is made ready
/// from desk A too (so the test does not depend on the demo's cleaning statuses).
async fn checked_out_this_morning(a: &Desk, room: &Room) -> Reservation {
    let session = a.session().await.expect("session");
    let guest = new_guest(a, "Ines", "Moreira", "ines@example.com").await;
    let leaving = stay_in(a, &guest, room, session.today - chrono::Duration::days(1), session.today).await;
    a.store().set_room_cleaning(&session, room.id, Cleaning::Clean).await.expect("the room is ready");
    a.store().check_in(&session, leaving.id).await.expect("a late check-in");
    a.store().check_out(&session, leaving.id).await.expect("checked out with nothing owed");
    let report = a.sync_once(1_000).await.expect("A pushes");
    assert_eq!((report.rejected, report.conflicts), (0, 0), "a plain stay, check-in and check-out apply");
    assert_eq!(a.store().outbox_counts().await.expect("counts").pending, 0, "A's outbox is acked");
    leaving
}

/// Desks A and B of the hotel, after A checked a guest out of a quiet room this
/// morning and synced.
async fn two_desks_after_a_check_out(hotel: &Hotel) -> (Desk, Desk, Room, Reservation) {
    let a = hotel.desk("desk-a", "frontdesk").await;
    let b = hotel.desk("desk-b", "frontdesk").await;
    let today = a.session().await.expect("session").today;
    let room = a_quiet_room(&a, today).await;
    let leaving = checked_out_this_morning(&a, &room).await;
    (a, b, room, leaving)
}

#[tokio::test]
async fn a_check_out_is_not_reinstated_once_another_desk_put_the_next_guest_in_the_room() {
    let hotel = Hotel::open().await;
    let (a, b, room, leaving) = two_desks_after_a_check_out(&hotel).await;
    let today = a.session().await.expect("session").today;

    // Desk B sees the room free, has it cleaned and checks today's walk-in into it.
    b.sync_once(1_000).await.expect("B pulls the check-out");
    let session_b = b.session().await.expect("session");
    b.store().set_room_cleaning(&session_b, room.id, Cleaning::Clean).await.expect("cleaned");
    let walk_in = new_guest(&b, "Tomas", "Ferreira", "tomas@example.com").await;
    let next = stay_in(&b, &walk_in, &room, today, today + chrono::Duration::days(2)).await;
    b.store().check_in(&session_b, next.id).await.expect("the next guest checks in");
    let report = b.sync_once(1_000).await.expect("B pushes");
    assert_eq!((report.rejected, report.conflicts), (0, 0), "the room was free for the next guest");
    let report = a.sync_once(1_000).await.expect("A pulls B's work");
    assert!(report.pulled > 0, "A receives the cleaning, the walk-in and the check-in");
    assert_eq!(occupancy_of(&a, &room).await, Occupancy::Occupied, "A knows the room is taken");

    // The guest who left comes back to the desk: the room is someone else's now.
    let session_a = a.session().await.expect("session");
    let before = a.store().stats().await.expect("stats");
    let err = a.store().reinstate_check_out(&session_a, leaving.id).await.expect_err("the room is taken");
    assert_eq!(err.code(), "rule_broken");
    assert_eq!(err.to_string(), format!("Room {} has another guest in it now", room.number));
    assert_eq!(a.store().stats().await.expect("stats"), before, "a refused reinstatement writes nothing");
    assert_eq!(status_of(&a, leaving.id).await, Some(ReservationStatus::CheckedOut), "the guest stays checked out");
    assert_eq!(status_of(&a, next.id).await, Some(ReservationStatus::CheckedIn), "the next guest stays in house");
    assert_eq!(occupancy_of(&a, &room).await, Occupancy::Occupied, "the room stays with the next guest");
    assert_eq!(a.store().outbox_counts().await.expect("counts").pending, 0, "nothing was queued for the server");
    assert_eq!(a.sync_once(1_000).await.expect("A syncs").pushed, 0, "and nothing goes up");
}

#[tokio::test]
async fn a_check_out_is_reinstated_while_the_room_is_free_and_every_desk_sees_the_guest_back() {
    let hotel = Hotel::open().await;
    let (a, b, room, leaving) = two_desks_after_a_check_out(&hotel).await;

    // Desk B has the room cleaned, but nobody moves in yet.
    b.sync_once(1_000).await.expect("B pulls the check-out");
    let session_b = b.session().await.expect("session");
    b.store().set_room_cleaning(&session_b, room.id, Cleaning::Clean).await.expect("cleaned");
    b.sync_once(1_000).await.expect("B pushes");
    a.sync_once(1_000).await.expect("A pulls the cleaning");

    let session_a = a.session().await.expect("session");
    let back = a.store().reinstate_check_out(&session_a, leaving.id).await.expect("the room is free");
    assert_eq!(back.status, ReservationStatus::CheckedIn);
    assert_eq!(occupancy_of(&a, &room).await, Occupancy::Occupied, "the guest is in the room again");
    let report = a.sync_once(1_000).await.expect("A pushes the reinstatement");
    assert_eq!(report.pushed, 2, "the stay's move and the room's occupancy");
    assert_eq!((report.rejected, report.conflicts), (0, 0), "the server takes it as a guarded reversal");
    b.sync_once(1_000).await.expect("B pulls it");
    assert_eq!(status_of(&b, leaving.id).await, Some(ReservationStatus::CheckedIn), "B sees the guest in house");
    assert_eq!(occupancy_of(&b, &room).await, Occupancy::Occupied, "and the room occupied");
}

/// A desk enrolled after a guest was made and changed elsewhere shows every version of
/// that guest from the server (its first pull copied only the guest as it is), with
/// its own change not yet synced after them; offline it shows what it has seen.
#[tokio::test]
async fn a_new_desk_shows_every_version_of_a_record_from_the_server() {
    let hotel = Hotel::open().await;
    let a = hotel.desk("desk-a", "frontdesk").await;
    let guest = new_guest(&a, "Grace", "Hopper", "grace@old.example").await;
    let session_a = a.session().await.expect("session");
    let email = GuestEdit { email: Some(Some("grace@new.example".into())), ..GuestEdit::default() };
    a.store().edit_guest(&session_a, guest.id, email).await.expect("A changes the e-mail");
    a.sync_once(1_000).await.expect("A pushes both");

    let b = hotel.desk("desk-b", "manager").await;
    let copied = b.store().named_history(EntityKind::Guest, guest.id).await.expect("local");
    assert!(copied.is_empty(), "the first pull copied the guest without its past: {copied:?}");
    let session_b = b.session().await.expect("session");
    let phone = GuestEdit { phone: Some(Some("+351 900 000 002".into())), ..GuestEdit::default() };
    b.store().edit_guest(&session_b, guest.id, phone).await.expect("B changes the phone, not synced yet");

    let history = b.record_history(EntityKind::Guest, guest.id).await.expect("history");
    let ops: Vec<(&str, &str)> =
        history.iter().map(|line| (line.entry.op.as_str(), line.entry.origin.as_str())).collect();
    assert_eq!(ops, [("insert", "server"), ("update", "server"), ("update", "local")]);
    assert_eq!(history[0].device_name.as_deref(), Some("desk-a"), "who and where, from the server");
    assert!(history[0].user_name.is_some());
    let after = history[1].entry.after.as_ref().expect("after");
    assert_eq!(after["email"], "grace@new.example");
    assert_eq!(history[2].entry.after.as_ref().expect("after")["phone"], "+351 900 000 002");

    // Offline (signed in, the server gone), the desk shows what it has: its own change.
    drop(hotel);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let offline = b.record_history(EntityKind::Guest, guest.id).await.expect("history");
    assert_eq!(offline.iter().map(|line| line.entry.origin.as_str()).collect::<Vec<_>>(), ["local"]);
}

/// Wrong passwords lock the account on the server; the desk then says so, with when
/// to try again, and does not sign the user in offline past the lock with the
/// password it cached.
#[tokio::test]
async fn a_locked_account_is_told_when_to_try_again_and_not_signed_in_offline() {
    let hotel = Hotel::open().await;
    let desk = hotel.desk("desk-a", "frontdesk").await;
    desk.sign_out().await;
    for _ in 0..5 {
        let err = desk.sign_in("frontdesk", "wrong password").await.expect_err("a wrong password is refused");
        assert_eq!(err.code(), "bad_credentials", "the first wrong passwords are just wrong");
    }
    let err = desk.sign_in("frontdesk", PASSWORD).await.expect_err("the right password is refused while locked");
    assert_eq!(err.code(), "sign_in_locked", "its own code, for the app: {err}");
    assert_eq!(
        err.to_string(),
        "Too many wrong passwords for this account: try again in 15 minutes",
        "a message a receptionist understands"
    );
}

#[tokio::test]
async fn the_business_date_and_the_merge_policies_are_the_propertys() {
    let hotel = Hotel::open().await;
    // The hotel is in Kiritimati (UTC+14): at noon UTC its date is already tomorrow.
    let property = frontdesk_server::admin::property_id(&hotel.store, "DEMO").await.expect("read").expect("DEMO");
    let mut tx = frontdesk_server::admin::AdminTx::begin(&hotel.store, property, Utc::now()).await.expect("begin");
    let fields = frontdesk_server::admin::property_fields("DEMO", "Demo Hotel", "Pacific/Kiritimati", "EUR");
    tx.upsert(EntityKind::Property, property, fields).await.expect("the hotel's time zone");
    tx.commit("frontdesk_test").await.expect("commit");
    let policies = "[guest]\ntags = \"last_writer_wins\"\n";
    frontdesk_server::admin::set_policies(&hotel.store, "DEMO", policies, "frontdesk_test", Utc::now())
        .await
        .expect("policies");

    let noon_utc = chrono::DateTime::parse_from_rfc3339("2026-12-06T12:00:00Z").expect("time").to_utc();
    let path = hotel.dir.path().join("kiritimati.sqlite3");
    let desk = Desk::open_manual(&path, Arc::new(move || noon_utc)).await.expect("the desk opens");
    desk.enroll(&hotel.base, &hotel.code().await, "Reception").await.expect("enrolled");
    desk.sign_in("frontdesk", PASSWORD).await.expect("signed in");
    desk.sync_once(1_000).await.expect("first sync pulls the hotel");

    let session = desk.session().await.expect("session");
    assert_eq!(session.today.to_string(), "2026-12-07", "the desk's business date is the hotel's, not UTC's");
    let (record, _) = desk.store().record_fields(EntityKind::Property, property).await.expect("read").expect("synced");
    assert_eq!(record["policies"], serde_json::json!(policies), "the property's merge policies reach the desk");
}

#[tokio::test]
async fn every_open_conflict_reaches_the_desks_whose_role_may_settle_it() {
    let hotel = Hotel::open().await;
    let a = hotel.desk("front-a", "frontdesk").await;
    let b = hotel.desk("front-b", "frontdesk").await;
    let office = hotel.desk("office", "manager").await;
    let tablet = hotel.desk("tablet", "housekeeping").await;

    // Two receptionists book the same room for the same nights, each unaware.
    let guest = new_guest(&a, "Ines", "Moura", "ines@example.org").await;
    a.sync_once(1_000).await.expect("A pushes the guest");
    b.sync_once(1_000).await.expect("B pulls the guest");
    let session = a.session().await.expect("session");
    let room = a.store().all::<Room>(EntityKind::Room).await.expect("rooms").into_iter().next().expect("a room");
    let arrival = session.today + chrono::Duration::days(40);
    for desk in [&a, &b] {
        let session = desk.session().await.expect("session");
        let mut input = new_stay_input(desk, &guest).await;
        input.room_type_id = room.room_type_id;
        input.room_id = Some(room.id);
        input.arrival = arrival;
        input.departure = arrival + chrono::Duration::days(2);
        desk.store().create_reservation(&session, input).await.expect("booked offline");
    }
    a.sync_once(1_000).await.expect("A's booking applies");
    let report = b.sync_once(1_000).await.expect("B's booking is a double booking");
    assert_eq!(report.conflicts, 1, "B's push raised the conflict");

    let report = office.sync_once(1_000).await.expect("the manager's desk syncs");
    assert!(report.conflicts_fetched >= 1, "the manager's desk learns of it: {report:?}");
    let open = office.store().open_conflicts().await.expect("conflicts");
    assert!(
        open.iter().any(|c| c.kind == sync_core::ConflictKind::BusinessRule),
        "the double booking B raised, which only a manager may settle, is on the manager's list"
    );
    tablet.sync_once(1_000).await.expect("the tablet syncs");
    assert!(tablet.store().open_conflicts().await.expect("conflicts").is_empty(), "housekeeping reads no conflicts");

    // Readable offline, from the last sync.
    drop(hotel);
    assert_eq!(office.store().open_conflicts().await.expect("offline").len(), open.len(), "kept while offline");
}

#[tokio::test]
async fn an_edit_that_loses_to_a_later_one_is_told_to_its_desk_and_kept_in_the_history() {
    let hotel = Hotel::open().await;
    let a = hotel.desk("front-a", "frontdesk").await;
    let b = hotel.desk("front-b", "manager").await;
    let guest = new_guest(&a, "Lea", "Vogt", "lea@example.org").await;
    let stay = new_stay(&a, &guest).await;
    a.sync_once(1_000).await.expect("A pushes the stay");
    b.sync_once(1_000).await.expect("B pulls it");

    // A, offline, sets three adults; B, later, sets one and syncs first.
    let edit = |adults| frontdesk_device::ReservationEdit { adults: Some(adults), ..Default::default() };
    let session_a = a.session().await.expect("session");
    a.store().edit_reservation(&session_a, stay.id, edit(3)).await.expect("A edits offline");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let session_b = b.session().await.expect("session");
    b.store().edit_reservation(&session_b, stay.id, edit(1)).await.expect("B edits later");
    b.sync_once(1_000).await.expect("B syncs first");

    let report = a.sync_once(1_000).await.expect("A syncs");
    assert_eq!(report.conflicts, 0, "adults is last-writer-wins: no conflict");
    assert_eq!(report.superseded, 1, "but A's three adults lost, and A is told");
    let notices = a.store().superseded_edits(session_a.user_id, 10).await.expect("notices");
    assert_eq!(notices.len(), 1, "{notices:?}");
    assert_eq!(
        (notices[0].field.as_str(), &notices[0].value, &notices[0].kept),
        ("adults", &serde_json::json!(3), &serde_json::json!(1))
    );
    assert_eq!(notices[0].policy, "last_writer_wins");
    assert!(
        b.store().superseded_edits(session_b.user_id, 10).await.expect("notices").is_empty(),
        "B's edit won: nothing to tell B"
    );

    let history = a.record_history(EntityKind::Reservation, stay.id).await.expect("history");
    let lost: Vec<_> = history.iter().flat_map(|entry| entry.superseded.iter()).collect();
    assert_eq!(lost.len(), 1, "the record's history keeps A's three adults: {history:#?}");
    assert_eq!((lost[0].field.as_str(), &lost[0].value), ("adults", &serde_json::json!(3)));
}

#[tokio::test]
async fn two_desks_making_the_housekeeping_day_offline_make_one_set_of_tasks() {
    let hotel = Hotel::open().await;
    let desk = hotel.desk("front", "frontdesk").await;
    let tablet = hotel.desk("tablet", "housekeeping").await;
    let office = hotel.desk("office", "manager").await;

    // Both make the day's tasks before either has synced them.
    let made_here = desk.store().make_housekeeping_day(&desk.session().await.expect("session")).await.expect("made");
    let made_there =
        tablet.store().make_housekeeping_day(&tablet.session().await.expect("session")).await.expect("made");
    assert!(!made_here.is_empty(), "the demo hotel has departures, stay-overs or arrivals today");
    let ids = |tasks: &[sync_core::domain::HousekeepingTask]| {
        let mut ids: Vec<_> = tasks.iter().map(|t| t.id).collect();
        ids.sort();
        ids
    };
    assert_eq!(ids(&made_here), ids(&made_there), "the same tasks, with the same ids, on both desks");
    let again = desk.store().make_housekeeping_day(&desk.session().await.expect("session")).await.expect("again");
    assert!(again.is_empty(), "a second run makes nothing new");

    desk.sync_once(1_000).await.expect("the desk syncs");
    let report = tablet.sync_once(1_000).await.expect("the tablet syncs");
    assert_eq!(report.conflicts, 0, "the same task from two desks is one task, not a conflict");
    office.sync_once(1_000).await.expect("the office pulls");
    let today = office.session().await.expect("session").today;
    let tasks: Vec<sync_core::domain::HousekeepingTask> =
        office.store().all(EntityKind::HousekeepingTask).await.expect("tasks");
    let of_today = tasks.iter().filter(|t| t.day == Some(today)).count();
    assert_eq!(of_today, made_here.len(), "one set of the day's tasks on the server and every desk");
}

/// The desk itself applies the stale-data policy and announces what an operation
/// changed, so the app, the command line and tests cannot skip either.
#[tokio::test]
async fn a_desk_operation_obeys_the_stale_policy_and_announces_what_changed() {
    let hotel = Hotel::open().await;
    let desk =
        Desk::open_manual(hotel.dir.path().join("never-synced.sqlite3"), Arc::new(Utc::now)).await.expect("opens");
    desk.enroll(&hotel.base, &hotel.code().await, "never-synced").await.expect("enrolled");
    desk.sign_in("manager", PASSWORD).await.expect("signed in");
    let mut settings = desk.settings().await.expect("settings").sync;
    for policy in &mut settings.stale_policies {
        if policy.entity == EntityKind::Room {
            policy.when_critical = frontdesk_device::sync::StaleAction::Block;
        }
    }
    desk.save_settings(settings).await.expect("a stricter policy is valid");
    let err = desk
        .set_room_status(uuid::Uuid::now_v7(), Cleaning::Clean)
        .await
        .expect_err("rooms never synced are critically stale and the policy blocks room status changes");
    assert_eq!(err.code(), "stale_blocked", "the policy answers before the store looks for the room: {err}");

    let mut events = desk.sync().subscribe();
    let guest = NewGuest { first_name: "Told".into(), last_name: "Everyone".into(), ..NewGuest::default() };
    desk.create_guest(guest).await.expect("a guest needs no fresh data");
    let announced = loop {
        match tokio::time::timeout(Duration::from_secs(5), events.recv()).await {
            Ok(Ok(SyncEvent::LocalChange { entities })) => break entities,
            Ok(Ok(_)) => {}
            other => panic!("the desk announces its change: {other:?}"),
        }
    };
    assert_eq!(announced, vec![EntityKind::Guest], "the app's windows reload guests (data-changed)");
}

/// Sync now while the server is down says so, whether the person signed in before
/// the outage or during it: never that they must sign in.
#[tokio::test]
async fn sync_now_during_an_outage_says_the_server_cannot_be_reached() {
    let mut hotel = Hotel::open().await;
    let online = hotel.desk("desk-a", "frontdesk").await;
    let offline_path = hotel.dir.path().join("desk-b.sqlite3");
    hotel.desk("desk-b", "manager").await.close(Duration::from_secs(5)).await;
    hotel.stop_server().await;
    let err = online.sync_now().await.expect_err("the server is down");
    assert_eq!(err.code(), "server_unreachable", "signed in before the outage: {err}");
    let offline = Desk::open_manual(&offline_path, Arc::new(Utc::now)).await.expect("reopens");
    let user = offline.sign_in("manager", PASSWORD).await.expect("signs in offline with the cached password");
    assert!(user.offline, "the server is down, so the sign-in is offline");
    let err = offline.sync_now().await.expect_err("the server is still down");
    assert_eq!(err.code(), "server_unreachable", "signed in during the outage: {err}");
    hotel.restart_server().await;
    offline.sync_now().await.expect("the server answers again: the desk signs in online and syncs");
    assert!(!offline.user().await.expect("signed in").offline, "the desk is online again");
}

#[tokio::test]
async fn a_housekeeping_desk_finds_guests_by_name_only_and_sees_no_contact_details() {
    let hotel = Hotel::open().await;
    let desk = hotel.desk("front", "frontdesk").await;
    let tablet = hotel.desk("tablet", "housekeeping").await;
    let guest = new_guest(&desk, "Noor", "Haddad", "noor.haddad@example.org").await;
    desk.sync_once(1_000).await.expect("the desk pushes the guest");
    tablet.sync_once(1_000).await.expect("the tablet pulls it");

    let at_the_desk = desk.search_guests("noor.haddad@example.org").await.expect("search");
    assert_eq!(at_the_desk.iter().map(|g| g.id).collect::<Vec<_>>(), vec![guest.id], "the desk finds by e-mail");
    assert!(
        tablet.search_guests("noor.haddad@example.org").await.expect("search").is_empty(),
        "a tablet cannot find a guest by a contact detail it may not read"
    );
    let found = tablet.search_guests("Haddad").await.expect("search");
    assert_eq!(found.len(), 1, "by name it finds the guest");
    assert_eq!((found[0].email.as_deref(), found[0].phone.as_deref()), (None, None), "without e-mail or phone");

    // A shared desk: the front desk's PC holds the e-mail; the housekeeper who signs in
    // next on it is served what their role may read, not what the desk holds.
    desk.sign_out().await;
    desk.sign_in("housekeeping", PASSWORD).await.expect("the housekeeper signs in on the front desk's PC");
    assert!(desk.search_guests("noor.haddad@example.org").await.expect("search").is_empty());
    let found = desk.search_guests("Noor").await.expect("search");
    assert_eq!(found.len(), 1, "by first name it finds the guest");
    assert_eq!((found[0].email.as_deref(), found[0].phone.as_deref()), (None, None), "no contact details on screen");
}
