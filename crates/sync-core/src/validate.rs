//! Checks of values and records against the schema table, with messages a person
//! can act on ("adults must be a whole number from 1 to 20, got 0").

use chrono::NaiveDate;
use serde_json::Value;
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::ids::ConfirmationNumber;
use crate::schema::{EntityKind, FieldSpec, FieldType, Fields};

/// Why a value or a record does not fit the schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Invalid {
    /// The field at fault, when there is one.
    pub field: Option<String>,
    pub message: String,
}

impl Invalid {
    /// An error about one field.
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Invalid { field: Some(field.to_owned()), message: message.into() }
    }

    /// An error about the record as a whole.
    pub fn record(message: impl Into<String>) -> Self {
        Invalid { field: None, message: message.into() }
    }
}

fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 60 { format!("{}…", text.chars().take(60).collect::<String>()) } else { text }
}

/// Most notes one record keeps.
pub const MAX_NOTES: usize = 500;
/// Most text all of a record's notes hold together (about 60 pages).
pub const MAX_NOTES_TEXT_BYTES: usize = 200_000;

/// Checks one value against its field spec.
pub fn check_value(kind: EntityKind, spec: &FieldSpec, value: &Value) -> Result<(), Invalid> {
    let fail = || {
        Invalid::field(spec.name, format!("{kind}.{} must be {}, got {}", spec.name, spec.ty.describe(), short(value)))
    };
    if value.is_null() {
        return if spec.nullable {
            Ok(())
        } else {
            Err(Invalid::field(spec.name, format!("{kind}.{} is required", spec.name)))
        };
    }
    let uuid = |v: &Value| v.as_str().is_some_and(|s| Uuid::parse_str(s).is_ok());
    // Keyed lists hold each id once: a repeated line or note would be counted twice.
    let unique_ids = |items: &[Value]| {
        let mut ids: Vec<&str> = items.iter().filter_map(|item| item.get("id")?.as_str()).collect();
        ids.sort_unstable();
        ids.windows(2).all(|pair| pair[0] != pair[1])
    };
    let ok = match spec.ty {
        FieldType::Id | FieldType::Uuid | FieldType::Ref(_) => uuid(value),
        FieldType::Text(max) => {
            value.as_str().is_some_and(|s| s.chars().count() <= max && !s.chars().any(|c| c.is_control() && c != '\n'))
        }
        FieldType::Int { min, max } => value.as_i64().is_some_and(|n| (min..=max).contains(&n)),
        FieldType::Bool => value.is_boolean(),
        FieldType::Date => value.as_str().is_some_and(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()),
        FieldType::Hlc => value.as_str().is_some_and(|s| s.parse::<Hlc>().is_ok()),
        FieldType::Confirmation => value.as_str().is_some_and(|s| s.parse::<ConfirmationNumber>().is_ok()),
        FieldType::Enum(values) => value.as_str().is_some_and(|s| values.contains(&s)),
        FieldType::TextSet => value.as_array().is_some_and(|items| {
            items.len() <= 100
                && items.iter().all(|item| item.as_str().is_some_and(|s| !s.is_empty() && s.chars().count() <= 200))
        }),
        FieldType::NoteList => value.as_array().is_some_and(|items| {
            items.len() <= MAX_NOTES
                && unique_ids(items)
                && items.iter().map(|note| note.get("text").and_then(Value::as_str).map_or(0, str::len)).sum::<usize>()
                    <= MAX_NOTES_TEXT_BYTES
                && items.iter().all(|note| {
                    note.as_object().is_some_and(|note| {
                        note.len() == 4
                            && note.get("id").is_some_and(uuid)
                            && note.get("at").and_then(Value::as_str).is_some_and(|s| s.parse::<Hlc>().is_ok())
                            && note.get("by").and_then(Value::as_str).is_some_and(|s| s.chars().count() <= 200)
                            && note.get("text").and_then(Value::as_str).is_some_and(|s| s.chars().count() <= 4_000)
                    })
                })
        }),
        FieldType::KeyedList => value.as_array().is_some_and(|items| {
            items.len() <= 500
                && unique_ids(items)
                && items.iter().all(|item| {
                    item.get("id").is_some_and(uuid)
                        && item.as_object().is_some_and(|item| {
                            item.len() <= 16
                                && item.values().all(|v| match v {
                                    Value::String(s) => s.chars().count() <= 200,
                                    Value::Array(_) | Value::Object(_) => false,
                                    _ => true,
                                })
                        })
                })
        }),
    };
    if ok { Ok(()) } else { Err(fail()) }
}

/// Checks a whole record of `kind`: every field known, well typed, and every
/// required field present.
pub fn check_record(kind: EntityKind, record: &Fields) -> Result<(), Invalid> {
    for (name, value) in record {
        let spec = known_field(kind, name)?;
        check_value(kind, spec, value)?;
    }
    for spec in kind.fields() {
        if !spec.nullable && record.get(spec.name).is_none_or(Value::is_null) {
            return Err(Invalid::field(spec.name, format!("{kind}.{} is required", spec.name)));
        }
    }
    check_record_rules(kind, record)
}

/// The field spec of `name`, or an error listing the fields the kind has.
pub fn known_field(kind: EntityKind, name: &str) -> Result<&'static FieldSpec, Invalid> {
    kind.field(name).ok_or_else(|| {
        let known: Vec<_> = kind.fields().iter().map(|spec| spec.name).collect();
        Invalid::field(
            name,
            format!(
                "{kind} has no field `{}`; its fields are: {}",
                name.chars().take(60).collect::<String>(),
                known.join(", ")
            ),
        )
    })
}

/// Rules across fields of one record (dates in order, posting amounts...).
pub fn check_record_rules(kind: EntityKind, record: &Fields) -> Result<(), Invalid> {
    let date = |name: &str| {
        record.get(name).and_then(Value::as_str).and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    match kind {
        EntityKind::Reservation => {
            if let (Some(arrival), Some(departure)) = (date("arrival"), date("departure")) {
                if departure <= arrival {
                    return Err(Invalid::field("departure", "the departure must be after the arrival"));
                }
                if (departure - arrival).num_days() > 365 {
                    return Err(Invalid::field("departure", "a stay cannot be longer than 365 nights"));
                }
            }
        }
        EntityKind::Room => {
            if let (Some(from), Some(until)) = (date("blocked_from"), date("blocked_until"))
                && until <= from
            {
                return Err(Invalid::field("blocked_until", "a room block must end after it starts"));
            }
        }
        EntityKind::FolioPosting => {
            let amount = record.get("amount_minor").and_then(Value::as_i64).unwrap_or(0);
            let is_reversal = record.get("reverses").is_some_and(|v| !v.is_null());
            if amount == 0 {
                return Err(Invalid::field("amount_minor", "a posting needs an amount other than zero"));
            }
            if amount < 0 && !is_reversal {
                return Err(Invalid::field(
                    "amount_minor",
                    "a negative amount is only allowed on a correction that reverses an earlier posting",
                ));
            }
            if is_reversal && record.get("reason").and_then(Value::as_str).is_none_or(|s| s.trim().is_empty()) {
                return Err(Invalid::field("reason", "a correction needs a reason"));
            }
            let is_payment = record.get("kind").and_then(Value::as_str) == Some("payment");
            if is_payment && record.get("method").is_none_or(Value::is_null) {
                return Err(Invalid::field("method", "a payment needs a method (cash, card or transfer)"));
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::*;
    use crate::hlc::Hlc;
    use serde_json::json;

    pub(crate) fn fields_of<T: serde::Serialize>(record: &T) -> Fields {
        match serde_json::to_value(record) {
            Ok(Value::Object(map)) => map,
            other => panic!("a record serialises to an object, got {other:?}"),
        }
    }

    fn reservation() -> Reservation {
        Reservation {
            provisional_confirmation: Some("T-K7Q-0007".parse().expect("valid")),
            id: Uuid::from_u128(1),
            property_id: Uuid::from_u128(2),
            confirmation: "H-2026-0042".parse().expect("valid"),
            guest_id: Uuid::from_u128(3),
            guest_name: "Sarah Johnson".into(),
            room_type_id: Uuid::from_u128(4),
            room_id: None,
            arrival: NaiveDate::from_ymd_opt(2026, 11, 23).expect("date"),
            departure: NaiveDate::from_ymd_opt(2026, 11, 25).expect("date"),
            adults: 2,
            children: 0,
            rate_code: "BAR".into(),
            source: "phone".into(),
            special_requests: vec!["quiet room".into()],
            notes: vec![Note { id: Uuid::from_u128(5), at: Hlc::ZERO, by: "Ana".into(), text: "arrives late".into() }],
            status: ReservationStatus::Confirmed,
        }
    }

    /// The typed structs and the schema table must describe the same records.
    #[test]
    fn typed_records_are_valid_records_of_their_kind() {
        let property = Uuid::from_u128(2);
        let samples: Vec<(EntityKind, Fields)> = vec![
            (
                EntityKind::Property,
                fields_of(&Property {
                    id: property,
                    code: "LIS1".into(),
                    name: "Hotel Lisboa".into(),
                    timezone: "Europe/Lisbon".into(),
                    currency: "EUR".into(),
                    policies: None,
                }),
            ),
            (
                EntityKind::RoomType,
                fields_of(&RoomType {
                    id: Uuid::from_u128(4),
                    property_id: property,
                    code: "DBL".into(),
                    name: "Double".into(),
                    capacity: 2,
                }),
            ),
            (
                EntityKind::Room,
                fields_of(&Room {
                    id: Uuid::from_u128(6),
                    property_id: property,
                    number: "305".into(),
                    room_type_id: Uuid::from_u128(4),
                    floor: 3,
                    cleaning: Cleaning::Dirty,
                    occupancy: Occupancy::Vacant,
                    availability: Availability::Available,
                    blocked_from: None,
                    blocked_until: None,
                    blocked_reason: None,
                    return_to: None,
                }),
            ),
            (
                EntityKind::Guest,
                fields_of(&Guest {
                    id: Uuid::from_u128(3),
                    property_id: property,
                    first_name: "Sarah".into(),
                    last_name: "Johnson".into(),
                    email: Some("sarah@example.com".into()),
                    phone: None,
                    loyalty_number: None,
                    loyalty_tier: None,
                    preferences: vec!["feather-free".into()],
                    notes: vec![],
                    tags: vec!["vip".into()],
                    last_interaction_at: Some(Hlc::ZERO),
                }),
            ),
            (EntityKind::Reservation, fields_of(&reservation())),
            (
                EntityKind::FolioPosting,
                fields_of(&FolioPosting {
                    id: Uuid::from_u128(7),
                    property_id: property,
                    reservation_id: Uuid::from_u128(1),
                    window: 1,
                    kind: PostingKind::Payment,
                    idempotency_key: "dev1-7".into(),
                    amount_minor: 12_000,
                    currency: "EUR".into(),
                    code: "CASH".into(),
                    description: "Cash payment".into(),
                    quantity: 1,
                    method: Some(PaymentMethod::Cash),
                    reverses: None,
                    reason: None,
                    posted_by: Uuid::from_u128(8),
                    posted_at: Hlc::ZERO,
                }),
            ),
            (
                EntityKind::HousekeepingTask,
                fields_of(&HousekeepingTask {
                    id: Uuid::from_u128(9),
                    property_id: property,
                    room_id: Uuid::from_u128(6),
                    kind: TaskKind::CheckoutClean,
                    assignee_id: None,
                    priority: 2,
                    status: TaskStatus::Pending,
                    notes: vec![],
                    day: None,
                }),
            ),
            (
                EntityKind::MaintenanceReport,
                fields_of(&MaintenanceReport {
                    id: Uuid::from_u128(10),
                    property_id: property,
                    room_id: Uuid::from_u128(6),
                    description: "Shower leaks".into(),
                    severity: IssueSeverity::High,
                    status: MaintenanceStatus::Open,
                    puts_out_of_order: true,
                    reported_by: Uuid::from_u128(8),
                    notes: vec![],
                }),
            ),
            (
                EntityKind::ServiceRequest,
                fields_of(&ServiceRequest {
                    id: Uuid::from_u128(11),
                    property_id: property,
                    room_id: Uuid::from_u128(6),
                    kind: "towels".into(),
                    text: "Two more towels please".into(),
                    status: RequestStatus::New,
                }),
            ),
            (
                EntityKind::PosOrder,
                fields_of(&PosOrder {
                    id: Uuid::from_u128(12),
                    property_id: property,
                    outlet: "bar".into(),
                    lines: vec![PosLine {
                        id: Uuid::from_u128(13),
                        item: "Espresso".into(),
                        quantity: 2,
                        unit_price_minor: 250,
                    }],
                    currency: "EUR".into(),
                    status: PosStatus::Open,
                    reservation_id: None,
                }),
            ),
            (
                EntityKind::InventoryItem,
                fields_of(&InventoryItem {
                    id: Uuid::from_u128(14),
                    property_id: property,
                    sku: "TOWEL-L".into(),
                    name: "Large towel".into(),
                    location: "Floor 3 closet".into(),
                    quantity: 40,
                }),
            ),
            (
                EntityKind::StaffUser,
                fields_of(&StaffUser {
                    id: Uuid::from_u128(8),
                    property_id: property,
                    username: "ana".into(),
                    display_name: "Ana".into(),
                    role: Role::FrontDesk,
                    active: true,
                }),
            ),
            (
                EntityKind::Device,
                fields_of(&Device {
                    id: Uuid::from_u128(15),
                    property_id: property,
                    name: "Desk PC 1".into(),
                    prefix: "K7Q".into(),
                    revoked: false,
                }),
            ),
        ];
        let mut covered: Vec<_> = samples.iter().map(|(kind, _)| *kind).collect();
        covered.sort();
        covered.dedup();
        assert_eq!(covered.len(), EntityKind::ALL.len(), "every kind has a typed sample");
        for (kind, record) in samples {
            let mut names: Vec<_> = record.keys().cloned().collect();
            let mut schema: Vec<_> = kind.fields().iter().map(|spec| spec.name.to_owned()).collect();
            names.sort();
            schema.sort();
            assert_eq!(names, schema, "{kind}: struct fields and schema fields must match");
            check_record(kind, &record).unwrap_or_else(|err| panic!("{kind}: {err}"));
        }
    }

    #[test]
    fn bad_values_are_refused_with_the_field_and_the_expectation() {
        let mut record = fields_of(&reservation());
        let cases = [
            ("adults", json!(0), "reservation.adults must be a whole number from 1 to 20, got 0"),
            ("adults", json!("2"), "must be a whole number"),
            ("arrival", json!("23/11/2026"), "reservation.arrival must be a date as YYYY-MM-DD"),
            ("status", json!("arrived"), "must be one of tentative, confirmed"),
            ("special_requests", json!("quiet"), "must be a list of texts"),
            ("guest_id", json!("nope"), "must be the UUID of a guest"),
            ("guest_name", Value::Null, "reservation.guest_name is required"),
            ("confirmation", json!("42"), "must be a confirmation number"),
            ("departure", json!("2026-11-23"), "the departure must be after the arrival"),
            ("colour", json!("red"), "reservation has no field `colour`"),
        ];
        for (field, value, expected) in cases {
            let previous = record.insert(field.to_owned(), value.clone());
            let err = check_record(EntityKind::Reservation, &record).expect_err(field);
            assert!(err.message.contains(expected), "{field}={value}: got `{err}`");
            assert_eq!(err.field.as_deref(), Some(field));
            match previous {
                Some(previous) => record.insert(field.to_owned(), previous),
                None => record.remove(field),
            };
        }
        assert_eq!(check_record(EntityKind::Reservation, &record), Ok(()), "the cases restored the record");
    }

    #[test]
    fn posting_rules_hold() {
        let base = json!({
            "id": Uuid::from_u128(1), "property_id": Uuid::from_u128(2), "reservation_id": Uuid::from_u128(3),
            "window": 1, "kind": "charge", "idempotency_key": "k", "amount_minor": 1000, "currency": "EUR",
            "code": "ROOM", "description": "Room night", "quantity": 1, "method": null, "reverses": null,
            "reason": null, "posted_by": Uuid::from_u128(4), "posted_at": Hlc::ZERO,
        });
        let record = |patch: Value| {
            let mut value = base.clone();
            for (k, v) in patch.as_object().cloned().unwrap_or_default() {
                value[k] = v;
            }
            value.as_object().cloned().unwrap_or_default()
        };
        assert_eq!(check_record(EntityKind::FolioPosting, &record(json!({}))), Ok(()));
        let refused = [
            (json!({"amount_minor": 0}), "other than zero"),
            (json!({"amount_minor": -5}), "only allowed on a correction"),
            (json!({"amount_minor": -1000, "reverses": Uuid::from_u128(9)}), "needs a reason"),
            (json!({"kind": "payment"}), "needs a method"),
        ];
        for (patch, expected) in refused {
            let err = check_record(EntityKind::FolioPosting, &record(patch.clone())).expect_err("refused");
            assert!(err.message.contains(expected), "{patch}: {err}");
        }
        let correction = record(json!({"amount_minor": -1000, "reverses": Uuid::from_u128(9), "reason": "wrong room"}));
        assert_eq!(check_record(EntityKind::FolioPosting, &correction), Ok(()));
    }
}
