//! Hybrid logical clock.
//!
//! Devices stay offline for days and their wall clocks drift, so "last writer wins"
//! cannot trust wall time alone. A hybrid logical clock keeps timestamps close to
//! wall time while guaranteeing that every timestamp a node issues is greater than
//! every timestamp it has issued or observed, whatever its own clock does. Ties are
//! broken by node id, so two different nodes never issue equal timestamps.
//!
//! Time is passed in as milliseconds since the Unix epoch: the clock never reads the
//! system time itself, so tests can skew it, stop it and run it backwards.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// One timestamp: physical milliseconds, a logical counter, and the issuing node.
///
/// Its text form (`000001763895925123-00007-<node uuid>`) sorts in the same order
/// as the timestamps, so stores can index and compare it as plain text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch, never behind the highest time seen.
    pub physical_ms: u64,
    /// Orders events that share one physical millisecond.
    pub logical: u32,
    /// The device (or server) that issued the timestamp.
    pub node: Uuid,
}

impl Hlc {
    /// The smallest timestamp: before anything a clock can issue.
    pub const ZERO: Hlc = Hlc { physical_ms: 0, logical: 0, node: Uuid::nil() };

    /// The largest physical time the text form carries (18 digits, the year
    /// 31,690,708): a clock never issues a later one.
    pub const MAX_PHYSICAL_MS: u64 = 999_999_999_999_999_999;

    /// The largest logical counter the text form carries (5 digits): past it a
    /// clock borrows the next millisecond.
    pub const MAX_LOGICAL: u32 = 99_999;

    /// Wall time of this timestamp, for showing "when" to a person.
    /// This timestamp, or `now_ms + ahead_ms` when it is further ahead: a device
    /// whose clock runs days fast must not stamp its edits (and, through them, the
    /// server's clock) with a time that outranks every later edit.
    pub fn at_most_ahead(self, now_ms: u64, ahead_ms: u64) -> Hlc {
        let limit = now_ms.saturating_add(ahead_ms).min(Hlc::MAX_PHYSICAL_MS);
        if self.physical_ms > limit { Hlc { physical_ms: limit, logical: 0, node: self.node } } else { self }
    }

    pub fn wall_time(&self) -> chrono::DateTime<chrono::Utc> {
        let ms = i64::try_from(self.physical_ms).unwrap_or(i64::MAX);
        chrono::DateTime::from_timestamp_millis(ms).unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC)
    }
}

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.physical_ms, self.logical, self.node).cmp(&(other.physical_ms, other.logical, other.node))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:018}-{:05}-{}", self.physical_ms, self.logical, self.node)
    }
}

/// Why a text is not a timestamp.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a hybrid logical clock timestamp (expected <18 digits>-<5 digits>-<uuid>)")]
pub struct ParseHlcError(String);

impl FromStr for Hlc {
    type Err = ParseHlcError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseHlcError(s.chars().take(80).collect());
        let (physical, rest) = s.split_once('-').ok_or_else(err)?;
        let (logical, node) = rest.split_once('-').ok_or_else(err)?;
        if physical.len() != 18 || logical.len() != 5 {
            return Err(err());
        }
        Ok(Hlc {
            physical_ms: physical.parse().map_err(|_| err())?,
            logical: logical.parse().map_err(|_| err())?,
            node: Uuid::parse_str(node).map_err(|_| err())?,
        })
    }
}

impl Serialize for Hlc {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The clock of one node. Issue a timestamp for each local event with [`Clock::tick`],
/// and fold in every timestamp received from elsewhere with [`Clock::observe`].
#[derive(Debug, Clone)]
pub struct Clock {
    node: Uuid,
    last: Hlc,
}

impl Clock {
    /// A clock for `node` that has issued nothing yet.
    pub fn new(node: Uuid) -> Self {
        Self::resume(node, Hlc::ZERO)
    }

    /// A clock that continues after `last`, the highest timestamp it issued or saw
    /// before a restart (persisted by the caller), so restarts never go backwards.
    pub fn resume(node: Uuid, last: Hlc) -> Self {
        Clock { node, last: Hlc { node, ..last } }
    }

    /// The node this clock issues timestamps for.
    pub fn node(&self) -> Uuid {
        self.node
    }

    /// The last timestamp issued or observed.
    pub fn last(&self) -> Hlc {
        self.last
    }

    /// A timestamp for a local event, given the node's wall time now.
    pub fn tick(&mut self, now_ms: u64) -> Hlc {
        let now_ms = now_ms.min(Hlc::MAX_PHYSICAL_MS);
        let next = if now_ms > self.last.physical_ms {
            Hlc { physical_ms: now_ms, logical: 0, node: self.node }
        } else {
            self.successor_of(self.last.physical_ms, self.last.logical)
        };
        self.last = next;
        next
    }

    /// Folds in a timestamp received from another node and returns a timestamp for
    /// the receipt, greater than both the remote one and anything issued before.
    ///
    /// A remote clock far ahead moves this clock forward instead of being refused:
    /// refusing would mean refusing a guest's check-in because a tablet's clock is
    /// wrong. Callers that want to report skew use [`skew_ms`].
    pub fn observe(&mut self, remote: Hlc, now_ms: u64) -> Hlc {
        let now_ms = now_ms.min(Hlc::MAX_PHYSICAL_MS);
        let remote = Hlc {
            physical_ms: remote.physical_ms.min(Hlc::MAX_PHYSICAL_MS),
            logical: remote.logical.min(Hlc::MAX_LOGICAL),
            ..remote
        };
        let physical = now_ms.max(self.last.physical_ms).max(remote.physical_ms);
        let next = if physical == now_ms && now_ms > self.last.physical_ms && now_ms > remote.physical_ms {
            Hlc { physical_ms: now_ms, logical: 0, node: self.node }
        } else {
            let logical = match (physical == self.last.physical_ms, physical == remote.physical_ms) {
                (true, true) => self.last.logical.max(remote.logical),
                (true, false) => self.last.logical,
                (false, true) => remote.logical,
                (false, false) => 0,
            };
            self.successor_of(physical, logical)
        };
        self.last = next;
        next
    }

    /// The next timestamp after `physical_ms`/`logical`, within what the text form
    /// carries: every timestamp issued must read back on the other side.
    fn successor_of(&self, physical_ms: u64, logical: u32) -> Hlc {
        if logical < Hlc::MAX_LOGICAL {
            Hlc { physical_ms, logical: logical + 1, node: self.node }
        } else if physical_ms < Hlc::MAX_PHYSICAL_MS {
            // A full logical counter borrows the next millisecond rather than wrap.
            Hlc { physical_ms: physical_ms + 1, logical: 0, node: self.node }
        } else {
            // The end of representable time, reachable only by following a clock
            // set absurdly far ahead: stay there rather than issue an unreadable stamp.
            Hlc { physical_ms, logical, node: self.node }
        }
    }
}

/// How far `remote` is ahead of the local wall time, in milliseconds (0 when behind).
pub fn skew_ms(remote: Hlc, now_ms: u64) -> u64 {
    remote.physical_ms.saturating_sub(now_ms)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn node(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn text_form_round_trips_and_sorts_like_the_timestamps() {
        let a = Hlc { physical_ms: 1_763_895_925_123, logical: 7, node: node(1) };
        let b = Hlc { physical_ms: 1_763_895_925_124, logical: 0, node: node(0) };
        assert_eq!(a.to_string().parse::<Hlc>(), Ok(a));
        assert!(a < b);
        assert!(a.to_string() < b.to_string(), "text order must follow timestamp order for SQL indexes");
        let json = serde_json::to_string(&a).expect("serialise");
        assert_eq!(serde_json::from_str::<Hlc>(&json).expect("parse"), a);
    }

    #[test]
    fn malformed_text_is_refused_with_the_expected_form() {
        for bad in ["", "12-3", "abc-00001-00000000-0000-0000-0000-000000000000", "1-1-not-a-uuid"] {
            let err = bad.parse::<Hlc>().expect_err(bad);
            assert!(err.to_string().contains("expected"), "{err}");
        }
    }

    #[test]
    fn a_stopped_clock_still_moves_forward() {
        let mut clock = Clock::new(node(1));
        let first = clock.tick(1_000);
        let second = clock.tick(1_000);
        assert_eq!(second.physical_ms, 1_000);
        assert_eq!(second.logical, first.logical + 1);
    }

    #[test]
    fn a_clock_set_back_an_hour_keeps_issuing_later_timestamps() {
        let mut clock = Clock::new(node(1));
        let before = clock.tick(10_000_000);
        let after = clock.tick(10_000_000 - 3_600_000);
        assert!(after > before);
        assert_eq!(after.physical_ms, before.physical_ms, "physical time never goes back");
    }

    #[test]
    fn observing_a_clock_ahead_moves_past_it() {
        let mut clock = Clock::new(node(1));
        let remote = Hlc { physical_ms: 5_000, logical: 3, node: node(2) };
        let got = clock.observe(remote, 1_000);
        assert!(got > remote);
        assert_eq!((got.physical_ms, got.logical), (5_000, 4));
        assert_eq!(skew_ms(remote, 1_000), 4_000);
    }

    #[test]
    fn a_full_logical_counter_borrows_the_next_millisecond() {
        for full in [Hlc::MAX_LOGICAL, u32::MAX] {
            let mut clock = Clock::resume(node(1), Hlc { physical_ms: 7, logical: full, node: node(1) });
            let next = clock.tick(0);
            assert_eq!((next.physical_ms, next.logical), (8, 0));
        }
    }

    #[test]
    fn every_timestamp_issued_reads_back_even_after_an_absurd_remote_clock() {
        let mut clock = Clock::new(node(1));
        let edge = Hlc { physical_ms: Hlc::MAX_PHYSICAL_MS, logical: Hlc::MAX_LOGICAL, node: node(2) };
        for stamp in [clock.observe(edge, 1_000), clock.tick(1_000), clock.tick(u64::MAX)] {
            assert_eq!(stamp.to_string().parse::<Hlc>(), Ok(stamp), "the other side must read {stamp}");
        }
    }

    #[test]
    fn a_resumed_clock_continues_after_its_last_timestamp() {
        let last = Hlc { physical_ms: 9_000, logical: 2, node: node(1) };
        let mut clock = Clock::resume(node(1), last);
        assert!(clock.tick(100) > last);
    }

    #[derive(Debug, Clone)]
    enum Event {
        Tick(u64),
        Observe { physical_ms: u64, logical: u32, node: u8 },
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![
            (0u64..1_000_000).prop_map(Event::Tick),
            (0u64..1_000_000, 0u32..5, 0u8..4).prop_map(|(physical_ms, logical, node)| Event::Observe {
                physical_ms,
                logical,
                node
            }),
        ]
    }

    proptest! {
        /// Whatever the wall clock does (skewed, stopped, backwards) and whatever is
        /// observed, every timestamp issued is strictly greater than the previous one
        /// and than every timestamp observed.
        #[test]
        fn timestamps_are_strictly_monotonic_under_any_wall_clock(events in proptest::collection::vec(event(), 1..200)) {
            let mut clock = Clock::new(node(99));
            let mut previous = Hlc::ZERO;
            for event in events {
                let issued = match event {
                    Event::Tick(now) => clock.tick(now),
                    Event::Observe { physical_ms, logical, node: n } => {
                        let remote = Hlc { physical_ms, logical, node: node(u128::from(n)) };
                        let issued = clock.observe(remote, physical_ms / 2);
                        prop_assert!(issued > remote, "receipt {issued} must follow the remote {remote}");
                        issued
                    }
                };
                prop_assert!(issued > previous, "{issued} must follow {previous}");
                prop_assert_eq!(issued.node, node(99));
                previous = issued;
            }
        }

        /// The clock never runs ahead of the highest time it was given or saw.
        #[test]
        fn physical_time_tracks_the_highest_time_seen(nows in proptest::collection::vec(0u64..1_000_000, 1..100)) {
            let mut clock = Clock::new(node(1));
            let mut highest = 0;
            for now in nows {
                highest = highest.max(now);
                let issued = clock.tick(now);
                prop_assert!(issued.physical_ms <= highest.max(1) , "{} ran ahead of {}", issued.physical_ms, highest);
            }
        }

        /// Two nodes exchanging messages with skewed clocks keep causality: a reply is
        /// always later than the message it answers.
        #[test]
        fn causality_holds_between_skewed_nodes(skew in 0u64..10_000_000, steps in proptest::collection::vec(0u64..1_000, 1..50)) {
            let mut a = Clock::new(node(1));
            let mut b = Clock::new(node(2));
            let mut wall = 1_000_000u64;
            for step in steps {
                wall += step;
                let sent = a.tick(wall + skew);
                let received = b.observe(sent, wall);
                prop_assert!(received > sent);
                let reply = b.tick(wall);
                let back = a.observe(reply, wall + skew);
                prop_assert!(back > reply);
            }
        }
    }

    #[test]
    fn a_stamp_far_ahead_is_brought_back_to_the_limit() {
        let far = Hlc { physical_ms: Hlc::MAX_PHYSICAL_MS, logical: 7, node: node(3) };
        let near = Hlc { physical_ms: 1_000 + 500, logical: 2, node: node(3) };
        assert_eq!(far.at_most_ahead(1_000, 1_000), Hlc { physical_ms: 2_000, logical: 0, node: node(3) });
        assert_eq!(near.at_most_ahead(1_000, 1_000), near, "within the limit it is kept as it is");
    }
}
