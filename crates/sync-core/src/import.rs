//! The reservation exchange format, and how its lines become this domain's records.
//!
//! Other hotel systems export bookings as JSON Lines, one reservation a line with
//! the guest and the room inline (`{"id", "confirmationCode", "guestName", "email",
//! "roomNumber", "roomType", "checkIn", ...}`); the sync benchmark's data is written
//! the same way. The server's admin import and a desk's offline import both read
//! such files through this module, so a file gives the same records with the same
//! ids whichever way it comes in.
//!
//! The choice that is not obvious: ids derive from the property and the file's own
//! ids (room numbers, guest emails, reservation ids), so importing a file twice, or
//! on the server and on a desk, names the same records and adds nothing the second
//! time. Overlapping stays are planned like any other: the store that applies the
//! plan stores them all and raises the overlaps as conflicts.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::domain::ReservationStatus;
use crate::hlc::Hlc;
use crate::schema::{EntityKind, Fields};
use crate::validate::check_record;

/// One line of the exchange format (the fields this domain keeps; the others,
/// such as `balance` or `nights`, are read past).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReservationLine {
    pub id: String,
    pub confirmation_code: String,
    pub guest_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The assigned room, if any.
    pub room_number: Option<String>,
    pub room_type: String,
    pub check_in: NaiveDate,
    pub check_out: NaiveDate,
    pub adults: u32,
    pub children: u32,
    pub status: String,
    pub rate_code: String,
    pub source: String,
    pub loyalty_id: Option<String>,
    #[serde(default)]
    pub special_requests: Vec<String>,
    #[serde(default)]
    pub notes: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// A line of a file that cannot be imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct LineError {
    /// Line number in the file, from 1.
    pub line: usize,
    pub message: String,
}

/// The stable id of a record an import (or another admin action) names `name`:
/// the same property and name give the same id on every run and every machine.
pub fn stable_id(property: Uuid, name: &str) -> Uuid {
    Uuid::new_v5(&property, name.as_bytes())
}

/// The id an import gives the reservation of line id `line_id`.
pub fn reservation_id(property: Uuid, line_id: &str) -> Uuid {
    // "bench/" is the namespace the first imports used: kept, so files imported
    // before still name the same records.
    stable_id(property, &format!("bench/{line_id}"))
}

/// The room type code a line's `roomType` stands for: "double" is `DOUBLE`.
pub fn room_type_code(name: &str) -> String {
    name.chars().filter(char::is_ascii_alphanumeric).take(16).collect::<String>().to_uppercase()
}

/// Reads the lines of a file's text (blank lines are skipped); the first line that
/// is not a reservation of the format is the error.
pub fn parse(text: &str) -> Result<Vec<(usize, ReservationLine)>, LineError> {
    let mut lines = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if let Some(parsed) = parse_line(index + 1, line)? {
            lines.push((index + 1, parsed));
        }
    }
    Ok(lines)
}

/// Reads line `number` of a file: none when it is blank.
pub fn parse_line(number: usize, text: &str) -> Result<Option<ReservationLine>, LineError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    serde_json::from_str(text)
        .map(Some)
        .map_err(|err| LineError { line: number, message: format!("not a reservation of the exchange format: {err}") })
}

/// Whether a JSON object reads as a line of the exchange format rather than as a
/// record of this domain's schema (its keys are camelCase: `checkIn`, `roomType`).
pub fn looks_like_exchange_line(object: &Fields) -> bool {
    object.contains_key("checkIn") && object.contains_key("guestName")
}

impl ReservationLine {
    /// "Ada Horvat" as first and last name (a one-word name has an empty last name).
    pub fn guest_name_parts(&self) -> (&str, &str) {
        let name = self.guest_name.trim();
        name.split_once(' ').map_or((name, ""), |(first, last)| (first, last.trim_start()))
    }

    /// What tells the line's guest apart: their email, or else their name on this booking.
    pub fn guest_key(&self) -> String {
        self.email.clone().unwrap_or_else(|| format!("{}|{}", self.guest_name, self.id))
    }

    /// The domain's status of the line's status (unknown ones, such as "booked",
    /// are confirmed bookings).
    pub fn reservation_status(&self) -> ReservationStatus {
        match self.status.as_str() {
            "checked_in" => ReservationStatus::CheckedIn,
            "checked_out" => ReservationStatus::CheckedOut,
            "cancelled" => ReservationStatus::Cancelled,
            "no_show" => ReservationStatus::NoShow,
            "tentative" => ReservationStatus::Tentative,
            _ => ReservationStatus::Confirmed,
        }
    }

    /// The fields of a new guest profile for the line's guest.
    pub fn guest_fields(&self) -> Fields {
        let (first, last) = self.guest_name_parts();
        object(json!({"first_name": first, "last_name": last, "email": self.email,
            "phone": self.phone, "loyalty_number": self.loyalty_id, "loyalty_tier": null,
            "preferences": [], "notes": [], "tags": [], "last_interaction_at": null}))
    }

    /// The fields of the line's reservation, linked to its guest, room type and room.
    /// The note of the line is written at `note_at` by "import"; `today` stands in
    /// for the year of a booking that says nothing of when it was made.
    pub fn reservation_fields(&self, id: Uuid, links: Links, note_at: Hlc, today: DateTime<Utc>) -> Fields {
        let digits: String = self.confirmation_code.chars().filter(char::is_ascii_digit).take(9).collect();
        let year = self.created_at.unwrap_or(today).format("%Y");
        let notes: Vec<Value> = self
            .notes
            .iter()
            .filter(|text| !text.trim().is_empty())
            .map(|text| {
                json!({"id": stable_id(id, "note"), "at": note_at.to_string(), "by": "import",
                       "text": text.chars().take(4000).collect::<String>()})
            })
            .collect();
        let status = serde_json::to_value(self.reservation_status()).unwrap_or(Value::Null);
        object(json!({"confirmation": format!("H-{year}-{}", if digits.is_empty() { "0" } else { &digits }),
            "guest_id": links.guest, "guest_name": self.guest_name, "room_type_id": links.room_type,
            "room_id": links.room, "arrival": self.check_in.to_string(), "departure": self.check_out.to_string(),
            "adults": self.adults.clamp(1, 20), "children": self.children.min(20), "rate_code": self.rate_code,
            "source": self.source, "special_requests": self.special_requests, "notes": notes, "status": status}))
    }
}

/// The records a reservation points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Links {
    pub guest: Uuid,
    pub room_type: Uuid,
    pub room: Option<Uuid>,
}

/// What the store already holds, as an import matches lines to it.
#[derive(Debug, Clone, Default)]
pub struct Known {
    /// Room types by code (see [`room_type_code`]).
    pub room_types: HashMap<String, Uuid>,
    /// Rooms by number: the room and its type.
    pub rooms: HashMap<String, (Uuid, Uuid)>,
    /// Guests by [`ReservationLine::guest_key`] (their email, mostly).
    pub guests: HashMap<String, Uuid>,
    /// Every guest stored: a guest an earlier import made under a key that is not
    /// an email is found again by its stable id.
    pub guest_ids: HashSet<Uuid>,
    /// Reservations already stored (imported before): left as they are.
    pub reservations: HashSet<Uuid>,
}

/// Whether an import may create the room types and rooms its lines name. The
/// server's admin import sets a hotel up from a file; a desk may not create rooms,
/// so on a desk they must exist already.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rooms {
    Create,
    MustExist,
}

/// A record an import creates (version 1).
#[derive(Debug, Clone, PartialEq)]
pub struct NewRecord {
    pub entity: EntityKind,
    pub id: Uuid,
    /// Complete, `id` and `property_id` included, and valid for its kind.
    pub fields: Fields,
}

/// A reservation an import creates, with what the overlap check reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Stay {
    /// The line of the file it comes from.
    pub line: usize,
    pub id: Uuid,
    pub room_type: Uuid,
    pub room: Option<Uuid>,
    pub arrival: NaiveDate,
    pub departure: NaiveDate,
    pub status: ReservationStatus,
    /// Complete, `id` and `property_id` included, and valid.
    pub fields: Fields,
}

/// What importing a file will write.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportPlan {
    /// Lines read.
    pub read: usize,
    /// New room types, rooms and guests, each before the records pointing at it.
    pub records: Vec<NewRecord>,
    /// New reservations, in the order of the file.
    pub stays: Vec<Stay>,
    /// Lines whose reservation is stored already.
    pub existing: usize,
    pub room_types: usize,
    pub rooms: usize,
    pub guests: usize,
}

/// Plans the import of `lines` into `property`: the room types, rooms and guests
/// they name that `known` lacks, and their reservations that it lacks. Every
/// record planned is checked against the schema; the first line that cannot be
/// imported is the error, naming its line number.
pub fn plan(
    property: Uuid,
    lines: &[(usize, ReservationLine)],
    known: &Known,
    rooms: Rooms,
    note_at: Hlc,
    today: DateTime<Utc>,
) -> Result<ImportPlan, LineError> {
    let mut plan = ImportPlan { read: lines.len(), ..ImportPlan::default() };
    let mut room_types = known.room_types.clone();
    let mut room_ids = known.rooms.clone();
    let mut guests = known.guests.clone();
    let mut seen: HashMap<Uuid, usize> = HashMap::new();
    let property_text = Value::String(property.to_string());
    let complete = |entity: EntityKind, id: Uuid, mut fields: Fields, line: usize| {
        fields.insert("id".into(), Value::String(id.to_string()));
        fields.insert("property_id".into(), property_text.clone());
        check_record(entity, &fields)
            .map_err(|err| LineError { line, message: format!("its {entity} would not be valid: {}", err.message) })?;
        Ok::<_, LineError>(fields)
    };

    for (line, reservation) in lines {
        let line = *line;
        let code = room_type_code(&reservation.room_type);
        let room_type = match (room_types.get(&code), rooms) {
            (Some(id), _) => *id,
            (None, Rooms::Create) => {
                let id = stable_id(property, &format!("room_type/{code}"));
                let fields = object(json!({"code": code, "name": reservation.room_type, "capacity": 4}));
                let fields = complete(EntityKind::RoomType, id, fields, line)?;
                plan.records.push(NewRecord { entity: EntityKind::RoomType, id, fields });
                plan.room_types += 1;
                room_types.insert(code, id);
                id
            }
            (None, Rooms::MustExist) => {
                return Err(LineError {
                    line,
                    message: format!(
                        "room type `{}` is not one of this hotel's (a manager sets room types up on the server; \
                         sync this desk first)",
                        reservation.room_type
                    ),
                });
            }
        };
        let room = match reservation.room_number.as_deref().filter(|number| !number.is_empty()) {
            None => None,
            Some(number) => Some(match (room_ids.get(number), rooms) {
                (Some((id, _)), _) => *id,
                (None, Rooms::Create) => {
                    let id = stable_id(property, &format!("room/{number}"));
                    let floor = number.parse::<i64>().map_or(1, |n| (n / 100).clamp(-10, 300));
                    let fields = object(json!({"number": number, "room_type_id": room_type, "floor": floor,
                        "cleaning": "clean", "occupancy": "vacant", "availability": "available",
                        "blocked_from": null, "blocked_until": null, "blocked_reason": null, "return_to": null}));
                    let fields = complete(EntityKind::Room, id, fields, line)?;
                    plan.records.push(NewRecord { entity: EntityKind::Room, id, fields });
                    plan.rooms += 1;
                    room_ids.insert(number.to_owned(), (id, room_type));
                    id
                }
                (None, Rooms::MustExist) => {
                    return Err(LineError {
                        line,
                        message: format!(
                            "room {number} is not one of this hotel's rooms (a manager sets rooms up on the server; \
                             sync this desk first)"
                        ),
                    });
                }
            }),
        };
        let guest_key = reservation.guest_key();
        let stable_guest = stable_id(property, &format!("guest/{guest_key}"));
        let guest = match guests.get(&guest_key) {
            Some(id) => *id,
            None if known.guest_ids.contains(&stable_guest) => stable_guest,
            None => {
                let id = stable_guest;
                let fields = complete(EntityKind::Guest, id, reservation.guest_fields(), line)?;
                plan.records.push(NewRecord { entity: EntityKind::Guest, id, fields });
                plan.guests += 1;
                guests.insert(guest_key, id);
                id
            }
        };
        let id = reservation_id(property, &reservation.id);
        if let Some(first) = seen.insert(id, line) {
            return Err(LineError {
                line,
                message: format!("reservation `{}` is already on line {first} of this file", reservation.id),
            });
        }
        if known.reservations.contains(&id) {
            plan.existing += 1;
            continue;
        }
        let fields = reservation.reservation_fields(id, Links { guest, room_type, room }, note_at, today);
        let fields = complete(EntityKind::Reservation, id, fields, line)?;
        plan.stays.push(Stay {
            line,
            id,
            room_type,
            room,
            arrival: reservation.check_in,
            departure: reservation.check_out,
            status: reservation.reservation_status(),
            fields,
        });
    }
    Ok(plan)
}

fn object(value: Value) -> Fields {
    match value {
        Value::Object(map) => map,
        _ => Fields::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROPERTY: Uuid = Uuid::from_u128(0x5eed);

    fn line(id: &str, room: Option<&str>, email: Option<&str>) -> String {
        json!({"id": id, "type": "reservation", "confirmationCode": "H388739303", "guestName": "Jonas Horvat",
               "email": email, "phone": "+1-555-5155179", "roomNumber": room, "roomType": "twin",
               "checkIn": "2025-10-10", "checkOut": "2025-10-15", "nights": 5, "adults": 2, "children": 1,
               "status": "booked", "rateCode": "GOV", "balance": 1147.47, "currency": "USD", "source": "phone",
               "loyaltyId": null, "specialRequests": ["high floor"], "notes": "arrives late",
               "createdAt": "2024-10-29T00:00:00.000Z", "updatedAt": "2024-10-29T00:00:00.000Z"})
        .to_string()
    }

    fn today() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").map(|t| t.to_utc()).unwrap_or_default()
    }

    #[test]
    fn a_line_becomes_a_valid_reservation_with_its_guest_room_and_room_type() {
        let text = format!("{}\n\n{}\n", line("w:1", Some("1113"), Some("j@example.com")), line("w:2", None, None));
        let lines = parse(&text).expect("two lines");
        assert_eq!(lines.iter().map(|(n, _)| *n).collect::<Vec<_>>(), [1, 3], "blank lines keep their numbers");
        let plan = plan(PROPERTY, &lines, &Known::default(), Rooms::Create, Hlc::ZERO, today()).expect("plan");
        assert_eq!((plan.room_types, plan.rooms, plan.guests, plan.stays.len()), (1, 1, 2, 2));
        let stay = &plan.stays[0].fields;
        assert_eq!(stay["confirmation"], "H-2024-388739303", "year of creation and the code's digits");
        assert_eq!(stay["status"], "confirmed", "`booked` is a confirmed booking");
        assert_eq!(stay["room_id"], json!(stable_id(PROPERTY, "room/1113")));
        assert_eq!(stay["notes"][0]["text"], "arrives late");
        assert_eq!(plan.stays[1].fields["room_id"], Value::Null, "a line without a room books none");
        assert_eq!(plan.stays[0].id, reservation_id(PROPERTY, "w:1"));
    }

    #[test]
    fn a_desk_import_names_the_rooms_it_lacks_by_line() {
        let lines = parse(&line("w:1", Some("1113"), None)).expect("a line");
        let mut known = Known::default();
        let err = plan(PROPERTY, &lines, &known, Rooms::MustExist, Hlc::ZERO, today()).expect_err("no room type");
        assert!(err.to_string().starts_with("line 1: room type `twin`"), "{err}");
        known.room_types.insert("TWIN".into(), Uuid::from_u128(1));
        let err = plan(PROPERTY, &lines, &known, Rooms::MustExist, Hlc::ZERO, today()).expect_err("no room");
        assert!(err.message.contains("room 1113"), "{err}");
        known.rooms.insert("1113".into(), (Uuid::from_u128(2), Uuid::from_u128(1)));
        let plan = plan(PROPERTY, &lines, &known, Rooms::MustExist, Hlc::ZERO, today()).expect("plan");
        assert_eq!((plan.records.len(), plan.stays.len()), (1, 1), "only the guest and the stay are new");
    }

    #[test]
    fn bad_lines_and_repeated_ids_are_refused_with_their_line_number() {
        let err = parse(&format!("{}\n{{\"id\": 1}}", line("w:1", None, None))).expect_err("bad second line");
        assert_eq!(err.line, 2);
        let mut wrong_dates = line("w:1", None, None).replace("2025-10-15", "2025-10-01");
        wrong_dates.push('\n');
        let lines = parse(&wrong_dates).expect("reads");
        let err = plan(PROPERTY, &lines, &Known::default(), Rooms::Create, Hlc::ZERO, today()).expect_err("dates");
        assert!(err.message.contains("departure"), "{err}");
        let twice = parse(&format!("{}\n{}", line("w:1", None, None), line("w:1", None, None))).expect("reads");
        let err = plan(PROPERTY, &twice, &Known::default(), Rooms::Create, Hlc::ZERO, today()).expect_err("twice");
        assert_eq!((err.line, err.message.contains("line 1")), (2, true), "{err}");
    }

    #[test]
    fn known_reservations_are_counted_and_not_planned_again() {
        let lines = parse(&line("w:1", None, Some("j@example.com"))).expect("a line");
        let mut known = Known::default();
        known.reservations.insert(reservation_id(PROPERTY, "w:1"));
        known.guests.insert("j@example.com".into(), Uuid::from_u128(3));
        let plan = plan(PROPERTY, &lines, &known, Rooms::Create, Hlc::ZERO, today()).expect("plan");
        assert_eq!((plan.existing, plan.stays.len(), plan.guests), (1, 0, 0));

        let without_email = parse(&line("w:2", None, None)).expect("a line");
        let first = super::plan(PROPERTY, &without_email, &known, Rooms::Create, Hlc::ZERO, today()).expect("plan");
        assert_eq!(first.guests, 1, "a guest without email is keyed by name and booking");
        let guest = first.records.iter().find(|r| r.entity == EntityKind::Guest).expect("a new guest");
        known.guest_ids.insert(guest.id);
        let again = super::plan(PROPERTY, &without_email, &known, Rooms::Create, Hlc::ZERO, today()).expect("plan");
        assert_eq!(again.guests, 0, "and found again by its stable id, not made twice");
    }
}
