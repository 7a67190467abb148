//! Record ids and confirmation numbers.
//!
//! Every record gets a UUIDv7 on the device that creates it, so a record never
//! changes id when it syncs: a charge posted offline can point at a reservation
//! made offline a minute before. Only the human-facing confirmation number changes:
//! a provisional one made offline is replaced by the property's sequence on first
//! sync.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use uuid::Uuid;

/// A new record id: UUIDv7, time-ordered so that inserts stay index-friendly.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}

/// A reservation's confirmation number as a guest reads it on the phone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConfirmationNumber {
    /// Made offline on a device: `T-<device prefix>-<counter>`, e.g. `T-K7Q-0042`.
    Provisional { device_prefix: String, counter: u32 },
    /// The property's own sequence, given by the server: `H-<year>-<sequence>`,
    /// e.g. `H-2026-0042`.
    Official { year: u16, sequence: u32 },
}

impl ConfirmationNumber {
    /// Whether the server still has to give this reservation its official number.
    pub fn is_provisional(&self) -> bool {
        matches!(self, ConfirmationNumber::Provisional { .. })
    }
}

impl fmt::Display for ConfirmationNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfirmationNumber::Provisional { device_prefix, counter } => write!(f, "T-{device_prefix}-{counter:04}"),
            ConfirmationNumber::Official { year, sequence } => write!(f, "H-{year}-{sequence:04}"),
        }
    }
}

/// Why a text is not a confirmation number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a confirmation number (expected H-<year>-<number> or T-<device>-<number>)")]
pub struct ParseConfirmationError(String);

impl FromStr for ConfirmationNumber {
    type Err = ParseConfirmationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseConfirmationError(s.chars().take(40).collect());
        let mut parts = s.split('-');
        let (Some(tag), Some(middle), Some(number), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(err());
        };
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let number: u32 = number.parse().map_err(|_| err())?;
        match tag {
            "H" if middle.len() == 4 => {
                Ok(ConfirmationNumber::Official { year: middle.parse().map_err(|_| err())?, sequence: number })
            }
            "T" if is_device_prefix(middle) => {
                Ok(ConfirmationNumber::Provisional { device_prefix: middle.to_owned(), counter: number })
            }
            _ => Err(err()),
        }
    }
}

/// A device prefix is 2 to 6 upper-case letters or digits, given at enrollment.
pub fn is_device_prefix(s: &str) -> bool {
    (2..=6).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl Serialize for ConfirmationNumber {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ConfirmationNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn confirmation_numbers_round_trip() {
        for text in ["H-2026-0042", "H-2026-123456", "T-K7Q-0001"] {
            let parsed: ConfirmationNumber = text.parse().expect(text);
            assert_eq!(parsed.to_string(), text);
        }
        assert!("T-K7Q-0001".parse::<ConfirmationNumber>().expect("valid").is_provisional());
        assert!(!"H-2026-0042".parse::<ConfirmationNumber>().expect("valid").is_provisional());
    }

    #[test]
    fn malformed_confirmation_numbers_are_refused() {
        for bad in ["", "H-26-1", "X-2026-1", "T-k7-1", "T-K7-", "H-2026-12-1", "T-TOOLONGPREFIX-1", "H-2026--1"] {
            assert!(bad.parse::<ConfirmationNumber>().is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn ids_are_time_ordered() {
        let a = new_id();
        let b = new_id();
        assert_eq!(a.get_version_num(), 7);
        assert!(a < b, "UUIDv7 made later sort later");
    }
}
