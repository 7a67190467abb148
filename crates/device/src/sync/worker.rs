//! The sync worker: a spawned loop and its handle.
//!
//! Commands come in over a channel (sync now, pause, resume, new settings, new
//! session, stop); the loop `select!`s over them, the pull interval, the retry
//! timer and the server's live notifications. Everything the app shows about sync
//! goes out as [`SyncEvent`]s on a broadcast channel, so every open window hears
//! the same thing. Dropping the handle stops the loop.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sync_core::EntityKind;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior, sleep_until};

use super::client::{RemoteError, ServerClient};
use super::health::{Alert, Backoff, FailureStreak};
use super::metered::{self, Metered, MeteredProbe};
use super::round::{Progress, RoundError, RoundReport, sync_round};
use super::settings::{InvalidSetting, SyncSettings};
use super::staleness::{Freshness, KindFreshness, evaluate};
use crate::Store;

/// Where sync stands, as the indicator in the header shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    Synced,
    Syncing,
    Offline,
    Conflicts,
    Error,
    Paused,
}

/// The indicator's data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub state: SyncState,
    /// Changes waiting to be pushed.
    pub queued: u64,
    /// Changes the server refused, waiting for someone to look.
    pub failed: u64,
    /// Conflicts waiting for a decision.
    pub conflicts: u64,
    pub last_sync_at: Option<DateTime<Utc>>,
    /// Why sync is in error or offline.
    pub reason: Option<String>,
    /// Whether the user must sign in again before sync can go on.
    pub needs_sign_in: bool,
}

/// Counters kept across restarts for the sync center.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncMetrics {
    pub rounds: u64,
    pub actions_synced: u64,
    pub conflicts_raised: u64,
    pub failures: u64,
    /// Since when the server has been unreachable (none when online).
    pub offline_since: Option<DateTime<Utc>>,
    /// Length of the last outage that ended.
    pub last_offline_secs: Option<u64>,
    pub last_round_ms: Option<u64>,
}

/// What the worker tells the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum SyncEvent {
    Status(SyncStatus),
    Progress(Progress),
    /// Records of these kinds changed locally: screens showing them refresh.
    DataChanged {
        entities: Vec<EntityKind>,
    },
    /// A person at this desk changed records of these kinds: screens showing them
    /// refresh and the indicator shows the longer queue (the worker pushes it too).
    LocalChange {
        entities: Vec<EntityKind>,
    },
    ConflictsChanged {
        open: u64,
    },
    Freshness {
        kinds: Vec<KindFreshness>,
    },
    Alert(Alert),
    /// The server said an administrator revoked this device with `--wipe`: the desk
    /// erases its data (see `Desk`) and syncs no more.
    DeviceWiped,
}

#[derive(Debug)]
enum Command {
    SyncNow,
    Pause,
    Resume,
    Settings(SyncSettings, oneshot::Sender<Result<(), InvalidSetting>>),
    Session(Option<ServerClient>),
    LiveNotice,
    LocalChange,
}

/// Wall time for "last synced at" and staleness; tests pass a clock they control.
pub type WallClock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// Where the worker keeps its counters in the store's metadata.
const METRICS: &str = "sync.metrics";

/// A cheap, clonable sender of commands to the worker (for tasks that outlive a
/// borrow of the handle).
#[derive(Debug, Clone)]
pub struct SyncCommands {
    commands: mpsc::Sender<Command>,
}

impl SyncCommands {
    /// A new session (after sign-in) or none (after sign-out).
    pub async fn set_session(&self, client: Option<ServerClient>) {
        let _ = self.commands.send(Command::Session(client)).await;
    }

    /// Runs a round now.
    pub async fn sync_now(&self) {
        let _ = self.commands.send(Command::SyncNow).await;
    }
}

/// The handle of a running worker.
#[derive(Debug)]
pub struct SyncHandle {
    commands: mpsc::Sender<Command>,
    events: broadcast::Sender<SyncEvent>,
    status: watch::Receiver<SyncStatus>,
    task: Option<JoinHandle<()>>,
}

impl SyncHandle {
    /// Starts the worker on `store`. `client` is the signed-in session's client
    /// (none: not signed in, nothing syncs until [`SyncHandle::set_session`]).
    /// A worker started paused runs no round until [`SyncHandle::resume`]: the
    /// command line and tests drive rounds themselves.
    pub async fn spawn(
        store: Arc<Store>,
        client: Option<ServerClient>,
        clock: WallClock,
        paused: bool,
    ) -> crate::Result<Self> {
        Self::spawn_with_probe(store, client, clock, paused, metered::system_probe()).await
    }

    /// [`SyncHandle::spawn`], asking `metered` whether the connection is metered
    /// instead of the operating system.
    pub async fn spawn_with_probe(
        store: Arc<Store>,
        client: Option<ServerClient>,
        clock: WallClock,
        paused: bool,
        metered: MeteredProbe,
    ) -> crate::Result<Self> {
        let settings: SyncSettings = store.settings().await?.unwrap_or_default();
        let mut last_success = BTreeMap::new();
        for kind in EntityKind::ALL {
            if let Some(at) = store.last_sync(kind).await?.and_then(|ms| DateTime::from_timestamp_millis(ms as i64)) {
                last_success.insert(kind, at);
            }
        }
        let metrics: SyncMetrics = store.meta_json(METRICS).await?.unwrap_or_default();
        let failures = store.consecutive_failures().await?;
        let (commands, rx) = mpsc::channel(64);
        let (events, _) = broadcast::channel(256);
        let (status_tx, status) = watch::channel(SyncStatus {
            state: SyncState::Offline,
            queued: 0,
            failed: 0,
            conflicts: 0,
            last_sync_at: None,
            reason: None,
            needs_sign_in: false,
        });
        let worker = Worker {
            notices: commands.downgrade(),
            live: None,
            status: status_tx,
            store,
            client,
            settings,
            last_success,
            metrics,
            streak: FailureStreak::resume(failures),
            paused,
            retry: None,
            attempts: 0,
            metered_probe: metered,
            metered: Metered::Unknown,
            metered_checked: None,
            needs_sign_in: false,
            last_error: None,
            critical: Vec::new(),
            events: events.clone(),
            clock,
        };
        let task = tokio::spawn(worker.run(rx));
        Ok(SyncHandle { commands, events, status, task: Some(task) })
    }

    /// A clonable sender of commands.
    pub fn clone_commands(&self) -> SyncCommands {
        SyncCommands { commands: self.commands.clone() }
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<SyncEvent> {
        self.events.subscribe()
    }

    /// Runs a round now (push, then pull).
    pub async fn sync_now(&self) {
        let _ = self.commands.send(Command::SyncNow).await;
    }

    /// Stops syncing until [`SyncHandle::resume`]; local work goes on.
    pub async fn pause(&self) {
        let _ = self.commands.send(Command::Pause).await;
    }

    /// Syncs again after a pause.
    pub async fn resume(&self) {
        let _ = self.commands.send(Command::Resume).await;
    }

    /// A local change to records of `entities` was committed: tells whoever listens
    /// (the app's windows) and pushes it now, unless the server is known to be
    /// unreachable (then the retry schedule stands: no storm of attempts offline).
    pub async fn local_change(&self, entities: &[EntityKind]) {
        // Nobody listening (the command line) is not a failure.
        let _ = self.events.send(SyncEvent::LocalChange { entities: entities.to_vec() });
        let _ = self.commands.try_send(Command::LocalChange);
    }

    /// Tells whoever listens how many conflicts wait for a decision now.
    pub fn conflicts_changed(&self, open: u64) {
        let _ = self.events.send(SyncEvent::ConflictsChanged { open });
    }

    /// The server said something changed: pull now.
    pub async fn live_notice(&self) {
        let _ = self.commands.try_send(Command::LiveNotice);
    }

    /// Validates, persists and applies new settings.
    pub async fn set_settings(&self, settings: SyncSettings) -> Result<(), InvalidSetting> {
        let (reply, answer) = oneshot::channel();
        if self.commands.send(Command::Settings(settings, reply)).await.is_err() {
            return Err(InvalidSetting { setting: "sync".into(), message: "the sync worker has stopped".into() });
        }
        answer.await.unwrap_or_else(|_| {
            Err(InvalidSetting { setting: "sync".into(), message: "the sync worker has stopped".into() })
        })
    }

    /// A new session (after sign-in) or none (after sign-out).
    pub async fn set_session(&self, client: Option<ServerClient>) {
        let _ = self.commands.send(Command::Session(client)).await;
    }

    /// Stops the worker, waiting up to `timeout` for a round in flight to finish
    /// (whatever it had acknowledged is already stored).
    pub async fn stop(mut self, timeout: Duration) {
        let Some(task) = self.task.take() else { return };
        let abort = task.abort_handle();
        let (closed, _) = mpsc::channel(1);
        drop(std::mem::replace(&mut self.commands, closed));
        if tokio::time::timeout(timeout, task).await.is_err() {
            // Cutting a round short loses nothing: every result is committed before
            // the next request goes out, and the rest is pushed again next time.
            abort.abort();
        }
    }

    /// The latest status.
    pub fn status(&self) -> SyncStatus {
        self.status.borrow().clone()
    }
}

impl Drop for SyncHandle {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// How often a worker held on a metered connection asks again.
const METERED_RECHECK: Duration = Duration::from_secs(60);

struct Worker {
    /// Commands to itself (the live stream's notices); weak, so dropping the
    /// handle still ends the loop.
    notices: mpsc::WeakSender<Command>,
    /// The task listening to the server's live stream, while a session is set.
    live: Option<JoinHandle<()>>,
    status: watch::Sender<SyncStatus>,
    store: Arc<Store>,
    client: Option<ServerClient>,
    settings: SyncSettings,
    last_success: BTreeMap<EntityKind, DateTime<Utc>>,
    metrics: SyncMetrics,
    streak: FailureStreak,
    paused: bool,
    /// When to retry after a transient failure.
    retry: Option<Instant>,
    /// Transient failures since the last success or request to sync: the first
    /// `max_retries` are retried with backoff, the rest wait for the pull interval.
    attempts: u32,
    /// Asks whether the connection is metered; its last answer, and when.
    metered_probe: MeteredProbe,
    metered: Metered,
    metered_checked: Option<Instant>,
    needs_sign_in: bool,
    last_error: Option<(SyncState, String)>,
    critical: Vec<EntityKind>,
    events: broadcast::Sender<SyncEvent>,
    clock: WallClock,
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(task) = self.live.take() {
            task.abort();
        }
    }
}

/// Listens to the server's live stream and turns each notice into a pull. A
/// (re)connection is itself a notice: changes may have been missed while away.
/// Reconnects with backoff; ends when the worker is gone or the session refused.
async fn listen(client: ServerClient, notices: mpsc::WeakSender<Command>) {
    let backoff = Backoff { base: Duration::from_millis(500), max: Duration::from_secs(30) };
    let mut attempt = 0;
    loop {
        match client.live().await {
            Ok(stream) => {
                attempt = 0;
                let mut stream = std::pin::pin!(stream);
                let mut notice = Some(Ok(0));
                while let Some(Ok(_)) = notice {
                    let Some(sender) = notices.upgrade() else { return };
                    // A full queue already holds a pull request: nothing is lost.
                    let _ = sender.try_send(Command::LiveNotice);
                    drop(sender);
                    notice = futures_util::StreamExt::next(&mut stream).await;
                }
            }
            Err(RemoteError::Auth { .. }) => return,
            Err(_) => {}
        }
        if notices.upgrade().is_none() {
            return;
        }
        tokio::time::sleep(backoff.delay(attempt, rand::random::<f64>())).await;
        attempt = attempt.saturating_add(1);
    }
}

impl Worker {
    async fn run(mut self, mut commands: mpsc::Receiver<Command>) {
        let mut interval = tokio::time::interval(self.settings.pull_interval);
        interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
        self.publish_status(None).await;
        loop {
            self.check_metered().await;
            let can_sync = self.can_sync();
            let retry_at = self.retry;
            let held_by_metered = self.held_by_metered();
            tokio::select! {
                command = commands.recv() => {
                    let Some(command) = command else { break };
                    match command {
                        // Asked for by a person: also on a metered connection.
                        Command::SyncNow if self.ready() => {
                            self.retry = None;
                            self.attempts = 0;
                            self.round().await;
                            interval.reset();
                        }
                        Command::SyncNow | Command::LiveNotice => {
                            if can_sync {
                                // Asked for (or the server just spoke): a fresh series of retries.
                                self.retry = None;
                                self.attempts = 0;
                                self.round().await;
                                interval.reset();
                            }
                        }
                        Command::LocalChange => {
                            // While offline the change waits in the queue for the next try.
                            if can_sync && self.retry.is_none() && self.attempts == 0 {
                                self.round().await;
                                interval.reset();
                            }
                        }
                        Command::Pause => {
                            self.paused = true;
                            self.publish_status(None).await;
                        }
                        Command::Resume => {
                            self.paused = false;
                            self.attempts = 0;
                            self.round().await;
                            interval.reset();
                        }
                        Command::Settings(settings, reply) => {
                            let result = self.apply_settings(settings).await;
                            if result.is_ok() {
                                interval = tokio::time::interval(self.settings.pull_interval);
                                interval.set_missed_tick_behavior(MissedTickBehavior::Skip);
                            }
                            let _ = reply.send(result);
                        }
                        Command::Session(client) => {
                            self.client = client;
                            self.listen_live();
                            self.needs_sign_in = false;
                            self.retry = None;
                            self.attempts = 0;
                            if self.can_sync() {
                                self.round().await;
                                interval.reset();
                            } else {
                                self.publish_status(None).await;
                            }
                        }
                    }
                }
                // The next periodic round is a whole interval after the last round.
                _ = interval.tick(), if can_sync && retry_at.is_none() => {
                    self.round().await;
                    interval.reset();
                }
                _ = sleep_until(retry_at.unwrap_or_else(Instant::now)), if can_sync && retry_at.is_some() => {
                    self.round().await;
                    interval.reset();
                }
                // Held on a metered connection: look again now and then.
                _ = sleep_until(self.metered_checked.unwrap_or_else(Instant::now) + METERED_RECHECK),
                    if held_by_metered => {
                    let was_held = held_by_metered;
                    self.check_metered().await;
                    if was_held && !self.held_by_metered() {
                        self.publish_status(None).await;
                        if self.can_sync() {
                            self.round().await;
                            interval.reset();
                        }
                    }
                }
            }
            self.check_freshness();
        }
    }

    /// (Re)starts the live listener for the current session, or stops it.
    fn listen_live(&mut self) {
        if let Some(task) = self.live.take() {
            task.abort();
        }
        if let Some(client) = self.client.clone() {
            self.live = Some(tokio::spawn(listen(client, self.notices.clone())));
        }
    }

    /// Signed in and not paused: a round can run.
    fn ready(&self) -> bool {
        self.settings.enabled && !self.paused && !self.needs_sign_in && self.client.is_some()
    }

    /// A round runs by itself: ready, and not held on a metered connection.
    fn can_sync(&self) -> bool {
        self.ready() && !self.held_by_metered()
    }

    fn held_by_metered(&self) -> bool {
        self.settings.pause_on_metered && self.metered == Metered::Yes
    }

    /// Asks whether the connection is metered, at most once per recheck period,
    /// and only when the settings hold sync on metered connections.
    async fn check_metered(&mut self) {
        if !self.settings.pause_on_metered {
            self.metered = Metered::Unknown;
            return;
        }
        if self.metered_checked.is_some_and(|at| at.elapsed() < METERED_RECHECK) {
            return;
        }
        let before = self.held_by_metered();
        self.metered = (self.metered_probe)().await;
        self.metered_checked = Some(Instant::now());
        if before != self.held_by_metered() {
            self.publish_status(None).await;
        }
    }

    fn emit(&self, event: SyncEvent) {
        // No receiver is fine: no window is open.
        let _ = self.events.send(event);
    }

    async fn apply_settings(&mut self, settings: SyncSettings) -> Result<(), InvalidSetting> {
        settings.validate()?;
        self.store.set_settings(&settings).await.map_err(|err| InvalidSetting {
            setting: "sync".into(),
            message: format!("the settings could not be saved: {err}"),
        })?;
        self.settings = settings;
        // Ask again at once: the metered setting may have changed.
        self.metered_checked = None;
        self.publish_status(None).await;
        Ok(())
    }

    async fn round(&mut self) {
        let Some(client) = self.client.clone() else { return };
        self.publish_status(Some(SyncState::Syncing)).await;
        let started = Instant::now();
        let events = self.events.clone();
        let result =
            sync_round(&self.store, &client, self.settings.batch_size, |p| drop(events.send(SyncEvent::Progress(p))))
                .await;
        let elapsed_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok(report) => self.succeeded(report, elapsed_ms).await,
            Err(err) => self.failed(err).await,
        }
        let _ = self.store.set_meta_json(METRICS, &self.metrics).await;
        let _ = self.store.set_consecutive_failures(self.streak.consecutive()).await;
        self.publish_status(None).await;
    }

    async fn succeeded(&mut self, report: RoundReport, elapsed_ms: u64) {
        let now = (self.clock)();
        for kind in EntityKind::ALL {
            self.last_success.insert(kind, now);
        }
        let at_ms = u64::try_from(now.timestamp_millis()).unwrap_or(0);
        let _ = self.store.set_last_sync(&EntityKind::ALL, at_ms).await;
        self.retry = None;
        self.attempts = 0;
        self.last_error = None;
        self.metrics.rounds += 1;
        self.metrics.actions_synced += report.pushed;
        self.metrics.conflicts_raised += report.conflicts;
        self.metrics.last_round_ms = Some(elapsed_ms);
        if let Some(since) = self.metrics.offline_since.take() {
            self.metrics.last_offline_secs = u64::try_from((now - since).num_seconds()).ok();
        }
        if let Some(alert) = self.streak.success() {
            self.emit(SyncEvent::Alert(alert));
        }
        if !report.changed.is_empty() {
            self.emit(SyncEvent::DataChanged { entities: report.changed.iter().copied().collect() });
        }
        let new = report.conflicts + report.conflicts_fetched;
        if new > 0 || report.conflicts_closed > 0 {
            let open = self.store.open_conflicts().await.map(|c| c.len() as u64).unwrap_or(new);
            self.emit(SyncEvent::ConflictsChanged { open });
        }
        if new > 0 {
            self.emit(SyncEvent::Alert(Alert::NewConflicts { count: usize::try_from(new).unwrap_or(usize::MAX) }));
        }
        if report.superseded > 0 {
            let count = usize::try_from(report.superseded).unwrap_or(usize::MAX);
            self.emit(SyncEvent::Alert(Alert::EditsSuperseded { count }));
        }
    }

    async fn failed(&mut self, err: RoundError) {
        let now = (self.clock)();
        let reason = err.to_string();
        self.metrics.failures += 1;
        if let Some(alert) = self.streak.failure(&reason) {
            self.emit(SyncEvent::Alert(alert));
        }
        match &err {
            RoundError::Remote(RemoteError::Auth { code, .. }) if code == crate::desk::WIPED => {
                self.needs_sign_in = true;
                self.retry = None;
                self.last_error = Some((SyncState::Error, reason));
                self.emit(SyncEvent::DeviceWiped);
            }
            RoundError::Remote(RemoteError::Auth { .. }) => {
                self.needs_sign_in = true;
                self.retry = None;
                self.last_error = Some((SyncState::Error, format!("Sign in again to sync: {reason}")));
            }
            err if err.is_transient() => {
                self.metrics.offline_since.get_or_insert(now);
                let attempt = self.attempts;
                self.attempts = self.attempts.saturating_add(1);
                self.retry = (attempt < self.settings.max_retries).then(|| {
                    let backoff = Backoff { base: self.settings.backoff_base, max: self.settings.backoff_max };
                    Instant::now() + backoff.delay(attempt, rand::random::<f64>())
                });
                self.last_error = Some((SyncState::Offline, reason));
            }
            _ => {
                self.retry = None;
                self.last_error = Some((SyncState::Error, reason));
            }
        }
    }

    fn check_freshness(&mut self) {
        let kinds = evaluate(&self.settings.stale_policies, &self.last_success, (self.clock)());
        let critical: Vec<EntityKind> =
            kinds.iter().filter(|k| k.freshness == Freshness::Critical).map(|k| k.entity).collect();
        if critical != self.critical {
            let newly: Vec<EntityKind> = critical.iter().filter(|k| !self.critical.contains(k)).copied().collect();
            if !newly.is_empty() && !self.last_success.is_empty() {
                self.emit(SyncEvent::Alert(Alert::DataCriticallyStale { entities: newly }));
            }
            self.critical = critical;
            self.emit(SyncEvent::Freshness { kinds });
        }
    }

    async fn publish_status(&mut self, forced: Option<SyncState>) {
        let counts = self.store.outbox_counts().await.unwrap_or_default();
        let conflicts = self.store.open_conflicts().await.map(|c| c.len() as u64).unwrap_or(0);
        let queued = u64::try_from(counts.pending + counts.held).unwrap_or(0);
        let (state, reason) = match (forced, &self.last_error) {
            (Some(state), _) => (state, None),
            _ if self.paused || !self.settings.enabled => (SyncState::Paused, None),
            _ if self.held_by_metered() => (
                SyncState::Paused,
                Some("The connection is metered: sync waits for another network, or for Sync now".to_owned()),
            ),
            _ if self.client.is_none() => (SyncState::Offline, Some("Not signed in to a server".to_owned())),
            (None, Some((state, reason))) => (*state, Some(reason.clone())),
            _ if conflicts > 0 => (SyncState::Conflicts, None),
            _ => (SyncState::Synced, None),
        };
        let near_full = queued as usize >= self.settings.max_queue.saturating_mul(9) / 10;
        if near_full {
            self.emit(SyncEvent::Alert(Alert::QueueNearlyFull {
                queued: queued as usize,
                max: self.settings.max_queue,
            }));
        }
        let status = SyncStatus {
            state,
            queued,
            failed: u64::try_from(counts.failed).unwrap_or(0),
            conflicts,
            last_sync_at: self.last_success.values().max().copied(),
            reason,
            needs_sign_in: self.needs_sign_in,
        };
        self.status.send_replace(status.clone());
        self.emit(SyncEvent::Status(status));
    }
}
