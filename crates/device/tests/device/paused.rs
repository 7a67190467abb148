//! The sync worker's timing under tokio's paused clock: retry backoff, the failure
//! alerts, the periodic round at the pull interval, and the stale-data alerts, on
//! the real store (a SQLite file) with the server unreachable.
//!
//! Tokio auto-advances a paused clock whenever the runtime idles, and the store's
//! SQLite work runs on sqlx's own threads, so the runtime idles while it waits for
//! them and sqlx's pool timers would fire early. [`VirtualTime`] therefore keeps
//! the runtime busy (no auto-advance) and moves the clock only when the test says,
//! letting the store catch up after each step.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use frontdesk_device::Store;
use frontdesk_device::sync::{Alert, AlertLevel, ServerClient, SyncEvent, SyncHandle};
use sync_core::schema::EntityKind;
use tokio::sync::broadcast::Receiver;
use tokio::time::Instant;

/// Tokio's clock, paused and moved by the test alone.
struct VirtualTime {
    spinner: tokio::task::JoinHandle<()>,
    start: Instant,
}

impl VirtualTime {
    fn start() -> VirtualTime {
        tokio::time::pause();
        // A task always ready keeps the runtime from idling, so the clock never
        // auto-advances; a yield parks with a zero timeout, which moves it by zero.
        let spinner = tokio::spawn(async {
            loop {
                tokio::task::yield_now().await;
            }
        });
        VirtualTime { spinner, start: Instant::now() }
    }

    fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Moves the clock by one `step`, then gives the worker and the store's threads
    /// a moment of real time to finish what became due.
    async fn step(&self, step: Duration) {
        tokio::time::advance(step).await;
        for _ in 0..4 {
            let _ = tokio::task::spawn_blocking(|| std::thread::sleep(Duration::from_millis(2))).await;
        }
    }
}

impl Drop for VirtualTime {
    fn drop(&mut self) {
        self.spinner.abort();
    }
}

/// A client of a port nothing listens on: every round fails at once, as offline.
fn unreachable_server() -> ServerClient {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr");
    ServerClient::new(&format!("http://{closed}")).expect("client").with_token("t")
}

/// The alerts received so far, each with the virtual time it was seen at.
fn drain(events: &mut Receiver<SyncEvent>, at: Duration, into: &mut Vec<(Alert, Duration)>) {
    while let Ok(event) = events.try_recv() {
        if let SyncEvent::Alert(alert) = event {
            into.push((alert, at));
        }
    }
}

fn within(at: Duration, from_ms: u64, to_ms: u64) -> bool {
    at >= Duration::from_millis(from_ms) && at <= Duration::from_millis(to_ms)
}

/// Default settings: retries after 0.5 s doubling with jitter (each wait between
/// half and all of it), five retries, then one round per 30-second pull interval.
#[tokio::test]
async fn retries_back_off_alert_at_three_and_five_failures_then_follow_the_pull_interval() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("desk.sqlite3")).await.expect("store"));
    let time = VirtualTime::start();
    let handle = SyncHandle::spawn(store.clone(), None, Arc::new(Utc::now), false).await.expect("spawn");
    let mut events = handle.subscribe();
    handle.set_session(Some(unreachable_server())).await;

    let step = Duration::from_millis(50);
    let mut alerts = Vec::new();
    while time.elapsed() < Duration::from_secs(20) {
        time.step(step).await;
        drain(&mut events, time.elapsed(), &mut alerts);
    }
    let failing: Vec<(AlertLevel, u32, Duration)> = alerts
        .iter()
        .filter_map(|(alert, at)| match alert {
            Alert::SyncFailing { level, failures, .. } => Some((*level, *failures, *at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        failing.iter().map(|(level, failures, _)| (*level, *failures)).collect::<Vec<_>>(),
        [(AlertLevel::Warning, 3), (AlertLevel::Critical, 5)],
        "a warning at the third failure, critical at the fifth, nothing more: {alerts:?}"
    );
    // Third failure after two waits of 0.25-0.5 s and 0.5-1 s; fifth after two more
    // of 1-2 s and 2-4 s. The clock also moves while a round's writes are under way
    // (a step or two per round), hence the margin above.
    assert!(within(failing[0].2, 750, 2_000), "the warning came at {:?}", failing[0].2);
    assert!(within(failing[1].2, 3_750, 8_500), "the critical alert came at {:?}", failing[1].2);
    let after_retries = store.consecutive_failures().await.expect("failures");
    assert_eq!(after_retries, 6, "the first round and its five retries, then it waits for the interval");

    // Retries used up: one round per pull interval, never a spin.
    let from = time.elapsed();
    while time.elapsed() - from < Duration::from_secs(300) {
        time.step(Duration::from_millis(500)).await;
    }
    let later = store.consecutive_failures().await.expect("failures") - after_retries;
    assert!((9..=11).contains(&later), "{later} rounds in 5 minutes at a 30-second interval");
    handle.stop(Duration::from_secs(1)).await;
}

/// The stale-data alerts come when each kind's last sync is older than its
/// critical age (rooms 30 min, reservations 60 min, folios 120 min by default),
/// on the desk's wall clock, while the server stays unreachable.
#[tokio::test]
async fn data_becomes_critically_stale_at_each_kinds_age() {
    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("desk.sqlite3")).await.expect("store"));
    let time = VirtualTime::start();
    let base = Utc::now();
    let t0 = Instant::now();
    let clock = Arc::new(move || -> DateTime<Utc> { base + (Instant::now() - t0) });
    let synced_ms = u64::try_from(base.timestamp_millis()).expect("after 1970");
    store.set_last_sync(&EntityKind::ALL, synced_ms).await.expect("last sync");
    let handle = SyncHandle::spawn(store.clone(), None, clock, false).await.expect("spawn");
    let mut events = handle.subscribe();
    handle.set_session(Some(unreachable_server())).await;

    let mut alerts = Vec::new();
    while time.elapsed() < Duration::from_secs(2 * 3_600 + 120) {
        time.step(Duration::from_secs(5)).await;
        drain(&mut events, time.elapsed(), &mut alerts);
    }
    let stale: Vec<(Vec<EntityKind>, Duration)> = alerts
        .into_iter()
        .filter_map(|(alert, at)| match alert {
            Alert::DataCriticallyStale { entities } => Some((entities, at)),
            _ => None,
        })
        .collect();
    let first = |kind: EntityKind| stale.iter().find(|(kinds, _)| kinds.contains(&kind)).map(|(_, at)| *at);
    let minutes = |m: u64| m * 60_000;
    // Evaluated after every round: one per 30-second interval once retries are used.
    for (kind, critical) in [(EntityKind::Room, 30), (EntityKind::Reservation, 60), (EntityKind::FolioPosting, 120)] {
        let at = first(kind).unwrap_or_else(|| panic!("no stale alert for {kind}: {stale:?}"));
        assert!(
            within(at, minutes(critical), minutes(critical) + 36_000),
            "{kind} critically stale at {at:?}, expected just after {critical} minutes"
        );
    }
    handle.stop(Duration::from_secs(1)).await;
}

/// With "pause on metered connections" set, a metered connection holds every
/// round (the indicator says why) until the network changes, asked again each
/// minute; a person's "Sync now" still goes through.
#[tokio::test]
async fn a_metered_connection_holds_sync_until_the_network_changes() {
    use frontdesk_device::sync::{Metered, SyncSettings, SyncState};
    use std::sync::atomic::{AtomicBool, Ordering};

    let dir = tempfile::tempdir().expect("dir");
    let store = Arc::new(Store::open(dir.path().join("desk.sqlite3")).await.expect("store"));
    store.set_settings(&SyncSettings { pause_on_metered: true, ..SyncSettings::default() }).await.expect("settings");
    let time = VirtualTime::start();
    let metered = Arc::new(AtomicBool::new(true));
    let answer = metered.clone();
    let probe: frontdesk_device::sync::MeteredProbe = Arc::new(move || {
        let yes = answer.load(Ordering::SeqCst);
        Box::pin(async move { if yes { Metered::Yes } else { Metered::No } })
    });
    let handle =
        SyncHandle::spawn_with_probe(store.clone(), None, Arc::new(Utc::now), false, probe).await.expect("spawn");
    handle.set_session(Some(unreachable_server())).await;
    for _ in 0..600 {
        time.step(Duration::from_millis(500)).await;
    }
    assert_eq!(store.consecutive_failures().await.expect("failures"), 0, "five minutes metered: no round ran");
    let status = handle.status();
    assert_eq!(status.state, SyncState::Paused);
    assert!(status.reason.as_deref().is_some_and(|r| r.contains("metered")), "the indicator says why: {status:?}");

    handle.sync_now().await;
    // The round fails at once against the unreachable server; on a busy machine the
    // failure may land a few steps later (each step is 100 ms of the paused clock).
    let mut failures = 0;
    for _ in 0..20 {
        time.step(Duration::from_millis(100)).await;
        failures = store.consecutive_failures().await.expect("failures");
        if failures > 0 {
            break;
        }
    }
    assert_eq!(failures, 1, "Sync now is a person's choice: it runs, once");

    metered.store(false, Ordering::SeqCst);
    for _ in 0..130 {
        time.step(Duration::from_millis(500)).await;
    }
    assert!(
        store.consecutive_failures().await.expect("failures") > 1,
        "within a minute of the network changing, sync runs again"
    );
    assert_ne!(handle.status().state, SyncState::Paused);
    handle.stop(Duration::from_secs(1)).await;
}
