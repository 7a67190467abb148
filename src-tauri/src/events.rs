//! The sync worker's events, forwarded to every window under the contract's names, and
//! the desktop notifications that go with its alerts.
//!
//! One task owns the subscription, so every window hears the same events in the same
//! order and two open windows never disagree. Notifications run on a blocking thread and
//! their failures are only logged: a desk without a notification daemon works the same.

use std::time::{Duration, Instant};

use frontdesk_device::sync::{Alert, AlertLevel, SyncEvent};
use serde::Serialize;
use sync_core::schema::EntityKind;
use tauri::{AppHandle, Emitter, Manager, Runtime};
use tokio::sync::broadcast::error::RecvError;

use crate::state::AppState;

/// Event names of `docs/ui-commands.md`.
pub mod names {
    pub const SYNC_STATUS: &str = "sync-status";
    pub const SYNC_PROGRESS: &str = "sync-progress";
    pub const SYNC_ALERT: &str = "sync-alert";
    pub const DATA_CHANGED: &str = "data-changed";
    pub const CONFLICTS_CHANGED: &str = "conflicts-changed";
    pub const DEVICE_WIPED: &str = "device-wiped";
}

/// The `data-changed` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataChanged {
    pub entities: Vec<EntityKind>,
}

/// The `conflicts-changed` payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ConflictsChanged {
    pub open: u64,
}

/// The `sync-alert` payload: the alert with its level and sentence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SyncAlert {
    pub level: AlertLevel,
    pub message: String,
    pub alert: Alert,
}

impl SyncAlert {
    fn of(alert: Alert) -> Self {
        SyncAlert { level: alert.level(), message: alert.message(), alert }
    }
}

/// At most this often a progress event (about ten a second).
const PROGRESS_EVERY: Duration = Duration::from_millis(100);
/// Freshness ages even when nothing happens: the indicator hears about it this often.
const STATUS_EVERY: Duration = Duration::from_secs(30);

fn emit<R: Runtime, T: Serialize + Clone>(app: &AppHandle<R>, event: &str, payload: T) {
    if let Err(err) = app.emit(event, payload) {
        tracing::warn!("could not emit {event}: {err}");
    }
}

/// Emits the indicator's current state to every window.
pub async fn emit_status<R: Runtime>(app: &AppHandle<R>) {
    let state = app.state::<AppState>();
    match state.desk.sync_view(state.now()).await {
        Ok(view) => emit(app, names::SYNC_STATUS, view),
        Err(err) => tracing::warn!("sync status: {err}"),
    }
}

/// Starts the task forwarding the sync worker's events for the app's lifetime.
pub fn forward<R: Runtime>(app: AppHandle<R>) {
    let mut events = app.state::<AppState>().desk.sync().subscribe();
    tauri::async_runtime::spawn(async move {
        let mut last_progress: Option<Instant> = None;
        let mut tick = tokio::time::interval(STATUS_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                event = events.recv() => match event {
                    Ok(event) => on_event(&app, event, &mut last_progress).await,
                    Err(RecvError::Lagged(missed)) => {
                        // Some events were lost: tell the windows to reload everything.
                        tracing::warn!("missed {missed} sync events");
                        emit(&app, names::DATA_CHANGED, DataChanged { entities: EntityKind::ALL.to_vec() });
                        emit_status(&app).await;
                    }
                    Err(RecvError::Closed) => break,
                },
                _ = tick.tick() => emit_status(&app).await,
            }
        }
    });
}

async fn on_event<R: Runtime>(app: &AppHandle<R>, event: SyncEvent, last_progress: &mut Option<Instant>) {
    match event {
        // The worker's status and freshness both feed the one `sync-status` payload.
        SyncEvent::Status(_) | SyncEvent::Freshness { .. } => emit_status(app).await,
        SyncEvent::Progress(progress) => {
            let finished = progress.total.is_some_and(|total| progress.done >= total);
            if finished || last_progress.is_none_or(|at| at.elapsed() >= PROGRESS_EVERY) {
                *last_progress = Some(Instant::now());
                emit(app, names::SYNC_PROGRESS, progress);
            }
        }
        SyncEvent::DataChanged { entities } => emit(app, names::DATA_CHANGED, DataChanged { entities }),
        // A command changed records at this desk (the desk already asked the worker to
        // push them): every window reloads them and the indicator shows the new queue.
        SyncEvent::LocalChange { entities } => {
            emit(app, names::DATA_CHANGED, DataChanged { entities });
            emit_status(app).await;
        }
        SyncEvent::ConflictsChanged { open } => {
            emit(app, names::CONFLICTS_CHANGED, ConflictsChanged { open });
            emit_status(app).await;
        }
        SyncEvent::Alert(alert) => {
            if notifies(&alert) {
                notify(alert.message(), alert.level());
            }
            emit(app, names::SYNC_ALERT, SyncAlert::of(alert));
        }
        // The desk erases itself (frontdesk_device::desk); every window goes back to the
        // enrollment screen, which says why.
        SyncEvent::DeviceWiped => {
            notify(
                "This desk was removed from the property by its administrator and its data was erased.".to_owned(),
                AlertLevel::Critical,
            );
            emit(app, names::DEVICE_WIPED, ());
        }
    }
}

/// The alerts worth a desktop notification: a decision to take, sync failing, data
/// critically stale, and sync working again. A nearly full queue shows in the app only.
pub fn notifies(alert: &Alert) -> bool {
    match alert {
        Alert::NewConflicts { .. }
        | Alert::EditsSuperseded { .. }
        | Alert::DataCriticallyStale { .. }
        | Alert::Recovered { .. } => true,
        Alert::SyncFailing { level, .. } => *level >= AlertLevel::Warning,
        Alert::QueueNearlyFull { .. } => false,
    }
}

/// Shows a desktop notification on a blocking thread; failures (no notification daemon,
/// no session bus) are logged and otherwise ignored.
pub fn notify(message: String, level: AlertLevel) {
    tauri::async_runtime::spawn_blocking(move || {
        let summary = match level {
            AlertLevel::Info => "Frontdesk",
            AlertLevel::Warning => "Frontdesk: needs attention",
            AlertLevel::Critical => "Frontdesk: urgent",
        };
        let mut notification = notify_rust::Notification::new();
        notification.summary(summary).body(&message).appname("Frontdesk");
        if let Err(err) = notification.show() {
            tracing::info!("no desktop notification ({err}): {message}");
        }
    });
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn alerts_cross_with_level_message_and_the_tagged_alert() {
        let json = serde_json::to_value(SyncAlert::of(Alert::NewConflicts { count: 2 })).expect("serialise");
        assert_eq!(
            json,
            json!({
                "level": "warning",
                "message": "2 changes need your decision.",
                "alert": {"alert": "new_conflicts", "count": 2},
            }),
            "ui/src/api.ts SyncAlert reads level, message and alert.alert"
        );
    }

    #[test]
    fn the_four_alerts_of_the_issue_notify_and_a_full_queue_does_not() {
        assert!(notifies(&Alert::NewConflicts { count: 1 }));
        assert!(notifies(&Alert::Recovered { after_failures: 3 }));
        assert!(notifies(&Alert::DataCriticallyStale { entities: vec![EntityKind::Room] }));
        assert!(notifies(&Alert::SyncFailing { level: AlertLevel::Critical, failures: 5, reason: "down".into() }));
        assert!(!notifies(&Alert::QueueNearlyFull { queued: 95, max: 100 }));
    }

    #[test]
    fn data_changed_names_kinds_in_snake_case() {
        let json = serde_json::to_value(DataChanged { entities: vec![EntityKind::Reservation, EntityKind::RoomType] })
            .expect("serialise");
        assert_eq!(json, json!({"entities": ["reservation", "room_type"]}));
    }
}
