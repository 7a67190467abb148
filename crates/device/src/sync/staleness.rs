//! How old each kind of data is, and what that means for the desk's operations.
//!
//! Evaluated from the last successful sync of each kind of record (the time is
//! passed in), against the stale-data policies of the settings.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sync_core::EntityKind;

use super::settings::{StaleAction, StalePolicy};

/// How fresh one kind of data is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Freshness {
    Fresh,
    Stale,
    Critical,
}

/// The freshness of one kind of data, for the banner.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindFreshness {
    pub entity: EntityKind,
    pub freshness: Freshness,
    /// Since the last successful sync; none when it never synced.
    pub age_secs: Option<u64>,
}

/// Whether an operation may go ahead given the age of the data it relies on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum StaleVerdict {
    Go,
    /// Go ahead, showing this.
    Warn {
        message: String,
    },
    /// Refused, for this reason.
    Block {
        message: String,
    },
}

fn age(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<Duration> {
    last.map(|last| (now - last).to_std().unwrap_or(Duration::ZERO))
}

fn freshness(policy: &StalePolicy, age: Option<Duration>) -> Freshness {
    match age {
        None => Freshness::Critical,
        Some(age) if age >= policy.critical_after => Freshness::Critical,
        Some(age) if age >= policy.warn_after => Freshness::Stale,
        Some(_) => Freshness::Fresh,
    }
}

/// The freshness of every kind a policy covers.
pub fn evaluate(
    policies: &[StalePolicy],
    last_success: &BTreeMap<EntityKind, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Vec<KindFreshness> {
    policies
        .iter()
        .map(|policy| {
            let age = age(last_success.get(&policy.entity).copied(), now);
            KindFreshness {
                entity: policy.entity,
                freshness: freshness(policy, age),
                age_secs: age.map(|a| a.as_secs()),
            }
        })
        .collect()
}

fn describe_age(age: Option<Duration>) -> String {
    match age {
        None => "never synced".into(),
        Some(age) if age.as_secs() < 120 => format!("last synced {} seconds ago", age.as_secs()),
        Some(age) if age.as_secs() < 7_200 => format!("last synced {} minutes ago", age.as_secs() / 60),
        Some(age) => format!("last synced {} hours ago", age.as_secs() / 3_600),
    }
}

fn label(entity: EntityKind) -> &'static str {
    match entity {
        EntityKind::Room => "Room status",
        EntityKind::Reservation => "Reservations",
        EntityKind::FolioPosting => "Folios",
        EntityKind::HousekeepingTask => "Housekeeping tasks",
        _ => "Data",
    }
}

/// The verdict for `operation`: the strictest of the policies that name it.
pub fn check_operation(
    operation: &str,
    policies: &[StalePolicy],
    last_success: &BTreeMap<EntityKind, DateTime<Utc>>,
    now: DateTime<Utc>,
) -> StaleVerdict {
    let mut verdict = StaleVerdict::Go;
    for policy in policies.iter().filter(|p| p.operations.iter().any(|op| op == operation)) {
        let age = age(last_success.get(&policy.entity).copied(), now);
        let what = format!("{} may be out of date ({})", label(policy.entity), describe_age(age));
        match (freshness(policy, age), policy.when_critical) {
            (Freshness::Fresh, _) => {}
            (Freshness::Critical, StaleAction::Block) => {
                return StaleVerdict::Block {
                    message: format!("{what}: the property's policy blocks this until the desk syncs again"),
                };
            }
            (Freshness::Critical, StaleAction::Warn) => {
                verdict =
                    StaleVerdict::Warn { message: format!("{what}: check with the other desks before going ahead") };
            }
            (Freshness::Stale, _) => {
                if verdict == StaleVerdict::Go {
                    verdict = StaleVerdict::Warn { message: what };
                }
            }
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sync::settings::SyncSettings;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).expect("valid time")
    }

    #[test]
    fn room_status_warns_after_a_minute_and_is_critical_after_thirty() {
        let policies = SyncSettings::default().stale_policies;
        let synced = BTreeMap::from([(EntityKind::Room, at(0)), (EntityKind::Reservation, at(0))]);
        let fresh = evaluate(&policies, &synced, at(59));
        assert_eq!(
            fresh[0],
            KindFreshness { entity: EntityKind::Room, freshness: Freshness::Fresh, age_secs: Some(59) }
        );
        assert_eq!(evaluate(&policies, &synced, at(60))[0].freshness, Freshness::Stale);
        assert_eq!(evaluate(&policies, &synced, at(1_800))[0].freshness, Freshness::Critical);
        let never = evaluate(&policies, &BTreeMap::new(), at(0));
        assert!(never.iter().all(|k| k.freshness == Freshness::Critical && k.age_secs.is_none()));
    }

    #[test]
    fn operations_warn_by_default_and_block_only_when_the_policy_says_so() {
        let mut policies = SyncSettings::default().stale_policies;
        let synced = BTreeMap::from([(EntityKind::Room, at(0)), (EntityKind::Reservation, at(0))]);
        assert_eq!(check_operation("check_in", &policies, &synced, at(10)), StaleVerdict::Go);
        let StaleVerdict::Warn { message } = check_operation("check_in", &policies, &synced, at(120)) else {
            panic!("two minutes old room status warns");
        };
        assert!(message.contains("Room status may be out of date (last synced 2 minutes ago)"), "{message}");
        assert!(matches!(check_operation("check_in", &policies, &synced, at(4_000)), StaleVerdict::Warn { .. }));
        policies[0].when_critical = StaleAction::Block;
        let StaleVerdict::Block { message } = check_operation("check_in", &policies, &synced, at(4_000)) else {
            panic!("critical room status blocks under a blocking policy");
        };
        assert!(message.contains("blocks"), "{message}");
        assert_eq!(
            check_operation("post_charge", &policies, &synced, at(99_999)),
            StaleVerdict::Go,
            "no policy names it"
        );
    }
}
