//! The front-desk operations: each one user action, validated against the schema and
//! the invariants the device can see, then written as one transaction (records,
//! outbox mutations, history) or refused with nothing written.

pub mod folio;
pub mod reservations;
pub mod rooms;

use chrono::NaiveDate;
use serde_json::Value;
use sqlx::Row;
use sync_core::domain::{Note, Reservation, Room};
use sync_core::invariants::{RoomState, RuleBreach, Stay, check_stay_room};
use sync_core::schema::{EntityKind, Fields};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::{Action, Stored, parse_fields, typed};

fn reservations_from_rows(rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<Reservation>> {
    rows.iter().map(|row| typed(EntityKind::Reservation, &parse_fields(row.try_get::<&str, _>("fields")?)?)).collect()
}

pub(crate) const STAYS_IN_ROOM: &str = "SELECT fields FROM records INDEXED BY reservation_room
     WHERE entity = 'reservation' AND deleted = 0 AND room_id = ? AND departure > ? AND arrival < ?";

/// Reservations holding `room_id` on any night of `[arrival, departure)` (any status).
pub(crate) async fn stays_in_room<'e>(
    conn: impl sqlx::Executor<'e, Database = sqlx::Sqlite>,
    room_id: Uuid,
    arrival: NaiveDate,
    departure: NaiveDate,
) -> Result<Vec<Reservation>> {
    let rows = sqlx::query(STAYS_IN_ROOM)
        .bind(room_id.to_string())
        .bind(arrival.to_string())
        .bind(departure.to_string())
        .fetch_all(conn)
        .await?;
    reservations_from_rows(&rows)
}

/// Rooms of a type, with the reservations holding any of them on the nights given.
pub(crate) async fn rooms_and_stays_of_type(
    conn: &mut sqlx::SqliteConnection,
    room_type_id: Uuid,
    arrival: NaiveDate,
    departure: NaiveDate,
) -> Result<(Vec<RoomState>, Vec<Stay>)> {
    let rows = sqlx::query(
        "SELECT fields FROM records INDEXED BY room_by_type WHERE entity = 'room' AND deleted = 0 AND room_type_id = ?",
    )
    .bind(room_type_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let rooms = rows
        .iter()
        .map(|row| typed::<Room>(EntityKind::Room, &parse_fields(row.try_get::<&str, _>("fields")?)?))
        .map(|room| room.map(|room| RoomState::from(&room)))
        .collect::<Result<Vec<_>>>()?;
    let rows = sqlx::query(
        "SELECT fields FROM records INDEXED BY reservation_room
         WHERE entity = 'reservation' AND deleted = 0 AND departure > ? AND arrival < ?
           AND room_id IN (SELECT id FROM records WHERE entity = 'room' AND deleted = 0 AND room_type_id = ?)",
    )
    .bind(arrival.to_string())
    .bind(departure.to_string())
    .bind(room_type_id.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let stays = reservations_from_rows(&rows)?.iter().map(Stay::from).collect();
    Ok((rooms, stays))
}

/// Invariants 1 and 2 for `reservation` in its (new) room: refuses a double booking
/// or a blocked room, listing the free rooms of the type for those nights.
pub(crate) async fn check_room_for(action: &mut Action<'_>, reservation: &Reservation, room: &Room) -> Result<()> {
    let candidate = Stay::from(reservation);
    let others: Vec<Stay> = stays_in_room(&mut *action.tx, room.id, reservation.arrival, reservation.departure)
        .await?
        .iter()
        .map(Stay::from)
        .collect();
    if check_stay_room(&candidate, &[RoomState::from(room)], &others).is_empty() {
        return Ok(());
    }
    // Refused: gather the type's rooms and stays so the message lists where the guest can go.
    let (mut rooms, mut stays) =
        rooms_and_stays_of_type(&mut action.tx, reservation.room_type_id, reservation.arrival, reservation.departure)
            .await?;
    if !rooms.iter().any(|r| r.id == room.id) {
        rooms.push(RoomState::from(room));
        stays.extend(others);
    }
    match check_stay_room(&candidate, &rooms, &stays).into_iter().next() {
        Some(breach) => Err(Error::breach(breach)),
        None => Ok(()),
    }
}

/// Refuses edits of checked-out, cancelled and no-show stays (invariant 4).
pub(crate) fn require_open_stay(reservation: &Reservation) -> Result<()> {
    if reservation.status.is_final() {
        let status = sync_core::invariants::status_name(reservation.status).to_owned();
        return Err(Error::ReadOnly(RuleBreach::ReadOnlyRecord { status }.describe()));
    }
    Ok(())
}

/// A note written now by the session's user.
pub(crate) fn note(action: &mut Action<'_>, text: &str) -> Result<Note> {
    let text = text.trim();
    if text.is_empty() {
        return Err(Error::invalid("notes", "A note needs some text"));
    }
    Ok(Note { id: sync_core::ids::new_id(), at: action.hlc(), by: action.session.user_name.clone(), text: text.into() })
}

/// Appends a note to a record's note list, as a new value for `after`.
pub(crate) fn with_note(stored: &Stored, note: Note) -> Result<Value> {
    let mut notes = stored.fields.get("notes").and_then(Value::as_array).cloned().unwrap_or_default();
    notes.push(serde_json::to_value(note).map_err(|e| Error::storage("writing a note", e))?);
    Ok(Value::Array(notes))
}

/// A set of texts with additions and removals applied, trimmed, without duplicates.
pub(crate) fn edit_set(current: Option<&Value>, add: &[String], remove: &[String], field: &str) -> Result<Value> {
    let mut items: Vec<String> = current
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    for item in add {
        let item = item.trim();
        if item.is_empty() {
            return Err(Error::invalid(field, "An entry of the list cannot be empty"));
        }
        if !items.iter().any(|i| i == item) {
            items.push(item.to_owned());
        }
    }
    items.retain(|i| !remove.iter().any(|r| r.trim() == i));
    Ok(Value::from(items))
}

/// A text that must not be blank, trimmed.
pub(crate) fn required_text(value: &str, field: &str, what: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() { Err(Error::invalid(field, format!("{what} cannot be empty"))) } else { Ok(value.to_owned()) }
}

/// Fields with one entry, for `Action::update`.
pub(crate) fn set(pairs: impl IntoIterator<Item = (&'static str, Value)>) -> Fields {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

pub(crate) fn json<T: serde::Serialize>(value: T) -> Result<Value> {
    serde_json::to_value(value).map_err(|e| Error::storage("serialising a value", e))
}
