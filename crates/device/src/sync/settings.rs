//! The sync worker's settings, persisted in the store and changed from the app's
//! settings screen. Defaults follow DOMAIN.md; every value is checked before it is
//! saved, with a message that names the setting.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sync_core::EntityKind;

/// How conflicts a device may settle alone are settled for one kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AutoResolve {
    /// Leave every conflict to a person (the default).
    Ask,
    /// Keep the server's value.
    KeepServer,
    /// Keep this device's value.
    KeepDevice,
}

/// What an operation does when the data it relies on is stale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaleAction {
    /// Go ahead, with a warning the person sees.
    Warn,
    /// Refuse, saying why.
    Block,
}

/// When one kind of data counts as stale, and what that does to operations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StalePolicy {
    pub entity: EntityKind,
    /// Age of the last successful sync after which the app warns.
    #[serde(with = "secs")]
    pub warn_after: Duration,
    /// Age after which the data is critically stale.
    #[serde(with = "secs")]
    pub critical_after: Duration,
    /// Operations that rely on this data (e.g. `check_in`, `assign_room`).
    pub operations: Vec<String>,
    /// What those operations do once the data is critically stale (a warning is
    /// always shown from `warn_after`).
    pub when_critical: StaleAction,
}

/// Everything the worker can be told.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SyncSettings {
    pub enabled: bool,
    /// Pull this often when no live stream says there is news.
    #[serde(with = "secs")]
    pub pull_interval: Duration,
    /// Mutations per push request.
    pub batch_size: usize,
    /// Network retries of one round before it is given up until the next trigger.
    pub max_retries: u32,
    /// First retry delay; doubles each time up to `backoff_max`, with jitter.
    #[serde(with = "millis")]
    pub backoff_base: Duration,
    #[serde(with = "millis")]
    pub backoff_max: Duration,
    pub auto_resolve: BTreeMap<EntityKind, AutoResolve>,
    /// Queue length at which the app warns (nothing is ever dropped).
    pub max_queue: usize,
    pub stale_policies: Vec<StalePolicy>,
    /// Hold syncing on connections the operating system reports as metered.
    pub pause_on_metered: bool,
    /// Sign the user out after this long without a key press or a touch (a lobby desk
    /// is public); zero: never.
    #[serde(with = "secs", default = "default_idle_sign_out")]
    pub idle_sign_out: Duration,
}

fn default_idle_sign_out() -> Duration {
    Duration::from_secs(15 * 60)
}

impl Default for SyncSettings {
    fn default() -> Self {
        let minutes = |m: u64| Duration::from_secs(m * 60);
        let ops = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect();
        SyncSettings {
            enabled: true,
            pull_interval: Duration::from_secs(30),
            batch_size: 1_000,
            max_retries: 5,
            backoff_base: Duration::from_millis(500),
            backoff_max: Duration::from_secs(60),
            auto_resolve: BTreeMap::new(),
            max_queue: 100_000,
            // Offline work must go on, so by default stale data only warns; a
            // property that prefers to stop, say, room assignment on critically
            // stale room status switches that policy to `block`.
            stale_policies: vec![
                StalePolicy {
                    entity: EntityKind::Room,
                    warn_after: minutes(1),
                    critical_after: minutes(30),
                    operations: ops(&["check_in", "assign_room", "change_room_status"]),
                    when_critical: StaleAction::Warn,
                },
                StalePolicy {
                    entity: EntityKind::Reservation,
                    warn_after: minutes(5),
                    critical_after: minutes(60),
                    operations: ops(&["create_reservation", "assign_room", "check_in", "check_out"]),
                    when_critical: StaleAction::Warn,
                },
                StalePolicy {
                    entity: EntityKind::FolioPosting,
                    warn_after: minutes(5),
                    critical_after: minutes(120),
                    operations: ops(&["check_out"]),
                    when_critical: StaleAction::Warn,
                },
                StalePolicy {
                    entity: EntityKind::HousekeepingTask,
                    warn_after: minutes(5),
                    critical_after: minutes(60),
                    operations: ops(&["progress_task"]),
                    when_critical: StaleAction::Warn,
                },
            ],
            pause_on_metered: false,
            idle_sign_out: default_idle_sign_out(),
        }
    }
}

/// A setting that cannot be saved, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: {message}")]
pub struct InvalidSetting {
    pub setting: String,
    pub message: String,
}

impl SyncSettings {
    /// Checks every value; the first problem is returned, naming the setting.
    pub fn validate(&self) -> Result<(), InvalidSetting> {
        let fail = |setting: &str, message: &str| {
            Err(InvalidSetting { setting: setting.to_owned(), message: message.to_owned() })
        };
        if self.pull_interval < Duration::from_secs(1) || self.pull_interval > Duration::from_secs(3_600) {
            return fail("pull_interval", "must be between 1 second and 1 hour");
        }
        if !(1..=10_000).contains(&self.batch_size) {
            return fail("batch_size", "must be between 1 and 10,000 changes");
        }
        if self.max_retries > 100 {
            return fail("max_retries", "must be at most 100");
        }
        if self.backoff_base < Duration::from_millis(10) || self.backoff_base > self.backoff_max {
            return fail("backoff_base", "must be at least 10 ms and no more than backoff_max");
        }
        if self.backoff_max > Duration::from_secs(3_600) {
            return fail("backoff_max", "must be at most 1 hour");
        }
        if self.max_queue < 100 {
            return fail("max_queue", "must be at least 100 changes");
        }
        if !self.idle_sign_out.is_zero()
            && (self.idle_sign_out < Duration::from_secs(60) || self.idle_sign_out > Duration::from_secs(12 * 3_600))
        {
            return fail("idle_sign_out", "must be between 1 minute and 12 hours, or 0 for never");
        }
        for policy in &self.stale_policies {
            if policy.warn_after.is_zero() || policy.critical_after < policy.warn_after {
                return fail(
                    &format!("stale_policies.{}", policy.entity),
                    "the warning age must be above zero and the critical age no lower than it",
                );
            }
        }
        Ok(())
    }

    /// The strategy for auto-resolvable conflicts on one kind of record.
    pub fn auto_resolve_for(&self, entity: EntityKind) -> AutoResolve {
        self.auto_resolve.get(&entity).copied().unwrap_or(AutoResolve::Ask)
    }
}

mod secs {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_secs())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_secs)
    }
}

mod millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::Duration;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        u64::deserialize(d).map(Duration::from_millis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_follow_the_domain() {
        let settings = SyncSettings::default();
        assert_eq!(settings.validate(), Ok(()));
        assert_eq!(settings.pull_interval, Duration::from_secs(30));
        let room = settings.stale_policies.iter().find(|p| p.entity == EntityKind::Room).expect("room policy");
        assert_eq!(room.warn_after, Duration::from_secs(60), "room status warns after a minute");
        let reservations =
            settings.stale_policies.iter().find(|p| p.entity == EntityKind::Reservation).expect("reservation policy");
        assert_eq!(reservations.warn_after, Duration::from_secs(300), "reservations warn after five minutes");
        assert_eq!(settings.auto_resolve_for(EntityKind::Guest), AutoResolve::Ask);
        assert_eq!(settings.idle_sign_out, Duration::from_secs(900), "an idle desk signs out after 15 minutes");
        let older: SyncSettings = serde_json::from_value(serde_json::json!({
            "enabled": true, "pull_interval": 30, "batch_size": 1000, "max_retries": 5, "backoff_base": 500,
            "backoff_max": 60000, "auto_resolve": {}, "max_queue": 100000, "stale_policies": [],
            "pause_on_metered": false
        }))
        .expect("settings saved by an older version still read");
        assert_eq!(older.idle_sign_out, Duration::from_secs(900));
    }

    #[test]
    fn settings_round_trip_as_json() {
        let mut settings = SyncSettings::default();
        settings.auto_resolve.insert(EntityKind::Guest, AutoResolve::KeepServer);
        let json = serde_json::to_string(&settings).expect("serialise");
        assert!(json.contains("\"pull_interval\":30"), "{json}");
        assert_eq!(serde_json::from_str::<SyncSettings>(&json).expect("parse"), settings);
    }

    #[test]
    fn bad_values_name_the_setting() {
        type Change = Box<dyn Fn(&mut SyncSettings)>;
        let cases: Vec<(Change, &str)> = vec![
            (Box::new(|s| s.pull_interval = Duration::ZERO), "pull_interval"),
            (Box::new(|s| s.batch_size = 0), "batch_size"),
            (Box::new(|s| s.backoff_base = Duration::from_secs(120)), "backoff_base"),
            (Box::new(|s| s.max_queue = 1), "max_queue"),
            (Box::new(|s| s.idle_sign_out = Duration::from_secs(5)), "idle_sign_out"),
            (Box::new(|s| s.stale_policies[0].critical_after = Duration::from_secs(1)), "stale_policies.room"),
        ];
        for (change, setting) in cases {
            let mut settings = SyncSettings::default();
            change(&mut settings);
            let err = settings.validate().expect_err(setting);
            assert_eq!(err.setting, setting);
        }
    }
}
