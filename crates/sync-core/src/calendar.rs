//! The property's calendar: its business date is its own, in its time zone, on every
//! desk and on the server alike, never a desk's clock or zone.

use chrono::{DateTime, NaiveDate, Utc};

/// The property's date at `now` in its IANA time zone (`Europe/Lisbon`); UTC's date
/// when the zone is not one.
pub fn business_date(timezone: &str, now: DateTime<Utc>) -> NaiveDate {
    match timezone.parse::<chrono_tz::Tz>() {
        Ok(tz) => now.with_timezone(&tz).date_naive(),
        Err(_) => now.date_naive(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_date_is_the_propertys_not_utcs() {
        let late_evening_utc = DateTime::parse_from_rfc3339("2026-12-06T23:30:00Z").expect("time").to_utc();
        assert_eq!(business_date("Europe/Lisbon", late_evening_utc).to_string(), "2026-12-06");
        assert_eq!(business_date("Asia/Tokyo", late_evening_utc).to_string(), "2026-12-07", "Tokyo is past midnight");
        assert_eq!(business_date("America/New_York", late_evening_utc).to_string(), "2026-12-06");
        let early_utc = DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z").expect("time").to_utc();
        assert_eq!(business_date("America/Los_Angeles", early_utc).to_string(), "2026-12-06", "still the 6th there");
        assert_eq!(business_date("Not/AZone", early_utc).to_string(), "2026-12-07", "an unknown zone is UTC");
    }
}
