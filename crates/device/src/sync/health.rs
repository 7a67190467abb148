//! Retry delays and the alerts of a failing or recovering sync.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sync_core::EntityKind;

/// Exponential backoff with jitter, bounded: the delay before retry `attempt`
/// (0-based) is `base * 2^attempt`, capped at `max`, then spread over its upper
/// half so that the desks of a hotel do not all retry in the same instant when
/// the connection returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Backoff {
    /// The delay before retry `attempt`, with `jitter` in `[0, 1)` drawn by the caller.
    pub fn delay(&self, attempt: u32, jitter: f64) -> Duration {
        let exponential = self.base.saturating_mul(2u32.saturating_pow(attempt.min(30)));
        let capped = exponential.min(self.max);
        capped.mul_f64(0.5 + 0.5 * jitter.clamp(0.0, 1.0))
    }
}

/// How loud an alert is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertLevel {
    Info,
    Warning,
    Critical,
}

/// Something the app turns into a desktop notification and a banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "alert", rename_all = "snake_case")]
pub enum Alert {
    /// Sync attempts keep failing.
    SyncFailing { level: AlertLevel, failures: u32, reason: String },
    /// Sync works again after failing.
    Recovered { after_failures: u32 },
    /// Data the desk relies on is critically stale.
    DataCriticallyStale { entities: Vec<EntityKind> },
    /// New conflicts wait for a decision.
    NewConflicts { count: usize },
    /// Edits made on this desk lost a merge to another desk's (the field's policy
    /// decided); the record's history keeps them and the sync center lists them.
    EditsSuperseded { count: usize },
    /// The queue is close to its configured size (nothing is dropped).
    QueueNearlyFull { queued: usize, max: usize },
}

impl Alert {
    /// The alert's level.
    pub fn level(&self) -> AlertLevel {
        match self {
            Alert::SyncFailing { level, .. } => *level,
            Alert::Recovered { .. } => AlertLevel::Info,
            Alert::DataCriticallyStale { .. } | Alert::QueueNearlyFull { .. } => AlertLevel::Critical,
            Alert::NewConflicts { .. } | Alert::EditsSuperseded { .. } => AlertLevel::Warning,
        }
    }

    /// A sentence for the notification.
    pub fn message(&self) -> String {
        match self {
            Alert::SyncFailing { failures, reason, .. } => {
                format!("Sync has failed {failures} times in a row: {reason}. Your changes are kept on this desk.")
            }
            Alert::Recovered { after_failures } => format!("Sync works again after {after_failures} failed attempts."),
            Alert::DataCriticallyStale { entities } => {
                let names: Vec<&str> = entities.iter().map(|e| e.as_str()).collect();
                format!("Data has not synced for a long time: {}", names.join(", "))
            }
            Alert::NewConflicts { count: 1 } => "1 change needs your decision.".into(),
            Alert::NewConflicts { count } => format!("{count} changes need your decision."),
            Alert::EditsSuperseded { count: 1 } => {
                "An edit made on this desk was replaced by a later one from another desk: see the sync center.".into()
            }
            Alert::EditsSuperseded { count } => {
                format!("{count} edits made on this desk were replaced by other desks' edits: see the sync center.")
            }
            Alert::QueueNearlyFull { queued, max } => {
                format!("{queued} changes are waiting to sync (limit {max}); none will be dropped.")
            }
        }
    }
}

/// Consecutive failures: a warning at the third, a critical alert at the fifth,
/// and a recovery notice on the first success after a warning.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FailureStreak {
    consecutive: u32,
}

impl FailureStreak {
    /// Failures at which the streak alerts.
    pub const WARNING_AT: u32 = 3;
    pub const CRITICAL_AT: u32 = 5;

    /// Continues a streak persisted before a restart.
    pub fn resume(consecutive: u32) -> Self {
        FailureStreak { consecutive }
    }

    /// Consecutive failures so far.
    pub fn consecutive(&self) -> u32 {
        self.consecutive
    }

    /// Records a failure; returns the alert it triggers, if any.
    pub fn failure(&mut self, reason: &str) -> Option<Alert> {
        self.consecutive = self.consecutive.saturating_add(1);
        let level = match self.consecutive {
            Self::WARNING_AT => AlertLevel::Warning,
            Self::CRITICAL_AT => AlertLevel::Critical,
            _ => return None,
        };
        Some(Alert::SyncFailing { level, failures: self.consecutive, reason: reason.to_owned() })
    }

    /// Records a success; returns the recovery alert after an alerted streak.
    pub fn success(&mut self) -> Option<Alert> {
        let after = std::mem::take(&mut self.consecutive);
        (after >= Self::WARNING_AT).then_some(Alert::Recovered { after_failures: after })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_the_cap_with_jitter_in_the_upper_half() {
        let backoff = Backoff { base: Duration::from_millis(500), max: Duration::from_secs(60) };
        assert_eq!(backoff.delay(0, 1.0), Duration::from_millis(500));
        assert_eq!(backoff.delay(0, 0.0), Duration::from_millis(250));
        assert_eq!(backoff.delay(3, 1.0), Duration::from_secs(4));
        assert_eq!(backoff.delay(20, 1.0), Duration::from_secs(60), "capped");
        assert_eq!(backoff.delay(u32::MAX, 0.0), Duration::from_secs(30), "no overflow");
    }

    #[test]
    fn three_failures_warn_five_are_critical_and_success_recovers() {
        let mut streak = FailureStreak::default();
        assert_eq!(streak.failure("server unreachable"), None);
        assert_eq!(streak.failure("server unreachable"), None);
        let warning = streak.failure("server unreachable").expect("third failure warns");
        assert_eq!(warning.level(), AlertLevel::Warning);
        assert!(warning.message().contains("3 times"), "{}", warning.message());
        assert_eq!(streak.failure("x"), None);
        assert_eq!(streak.failure("x").map(|a| a.level()), Some(AlertLevel::Critical));
        assert_eq!(streak.failure("x"), None, "no repeat alert every failure");
        assert_eq!(streak.success(), Some(Alert::Recovered { after_failures: 6 }));
        assert_eq!(streak.success(), None);
        let mut short = FailureStreak::default();
        short.failure("x");
        assert_eq!(short.success(), None, "a single blip is not worth a notice");
    }
}
