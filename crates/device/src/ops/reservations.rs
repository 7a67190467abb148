//! Guests and reservations: create, edit, assign rooms, and the stay's lifecycle
//! (confirm, check-in, check-out, cancel, no-show).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sync_core::domain::{Cleaning, Guest, Occupancy, Reservation, ReservationStatus, Room};
use sync_core::ids::{ConfirmationNumber, is_device_prefix, new_id};
use sync_core::invariants::{
    Lifecycle, RoomState, RuleBreach, Stay, check_in_problems, check_out_breach, free_rooms, status_name,
};
use sync_core::protocol::{DomainAction, Operation};
use sync_core::schema::{EntityKind, Fields};
use uuid::Uuid;

use super::{check_room_for, edit_set, json, note, require_open_stay, required_text, set, with_note};
use crate::error::{Error, Result};
use crate::queries::folio_balance;
use crate::session::Session;
use crate::store::{Action, Store, Stored, fields_of};

/// A new guest profile.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewGuest {
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub loyalty_number: Option<String>,
    pub loyalty_tier: Option<String>,
    pub preferences: Vec<String>,
    pub tags: Vec<String>,
    pub note: Option<String>,
}

/// Changes to a guest profile; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct GuestEdit {
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    #[serde(deserialize_with = "present")]
    pub email: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    pub phone: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    pub loyalty_number: Option<Option<String>>,
    #[serde(deserialize_with = "present")]
    pub loyalty_tier: Option<Option<String>>,
    pub add_preferences: Vec<String>,
    pub remove_preferences: Vec<String>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    pub add_note: Option<String>,
}

/// A key that is present, `null` included: `"email": null` clears the email
/// (`Some(None)`), while an absent key leaves it (`None`, from `#[serde(default)]`).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A new reservation. Its confirmation number is a provisional `T-<prefix>-<n>`
/// until the server gives the official one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewReservation {
    pub guest_id: Uuid,
    /// The name as booked; the guest profile's name when absent.
    pub guest_name: Option<String>,
    pub room_type_id: Uuid,
    pub room_id: Option<Uuid>,
    pub arrival: NaiveDate,
    pub departure: NaiveDate,
    pub adults: u32,
    pub children: u32,
    pub rate_code: String,
    pub source: String,
    pub special_requests: Vec<String>,
    pub note: Option<String>,
    /// Confirmed at once (otherwise tentative).
    pub confirmed: bool,
}

/// Changes to a reservation; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReservationEdit {
    pub guest_name: Option<String>,
    pub room_type_id: Option<Uuid>,
    pub arrival: Option<NaiveDate>,
    pub departure: Option<NaiveDate>,
    pub adults: Option<u32>,
    pub children: Option<u32>,
    pub rate_code: Option<String>,
    pub source: Option<String>,
    pub add_requests: Vec<String>,
    pub remove_requests: Vec<String>,
    pub add_note: Option<String>,
}

fn optional_text(value: Option<String>) -> Option<String> {
    value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
}

impl Store {
    /// Creates a guest profile.
    pub async fn create_guest(&self, session: &Session, input: NewGuest) -> Result<Guest> {
        session.require(EntityKind::Guest, "create guest profiles")?;
        let first_name = required_text(&input.first_name, "first_name", "The guest's first name")?;
        let last_name = required_text(&input.last_name, "last_name", "The guest's last name")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let notes = match input.note.as_deref() {
            Some(text) => vec![note(&mut action, text)?],
            None => Vec::new(),
        };
        let guest = Guest {
            id: new_id(),
            property_id: session.property_id,
            first_name,
            last_name,
            email: optional_text(input.email),
            phone: optional_text(input.phone),
            loyalty_number: optional_text(input.loyalty_number),
            loyalty_tier: optional_text(input.loyalty_tier),
            preferences: as_set(edit_set(None, &input.preferences, &[], "preferences")?),
            notes,
            tags: as_set(edit_set(None, &input.tags, &[], "tags")?),
            last_interaction_at: None,
        };
        action.insert(EntityKind::Guest, fields_of(&guest)?).await?;
        action.commit().await?;
        Ok(guest)
    }

    /// Edits a guest profile.
    pub async fn edit_guest(&self, session: &Session, guest_id: Uuid, edit: GuestEdit) -> Result<Guest> {
        session.require(EntityKind::Guest, "edit guest profiles")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let guest = action.get(EntityKind::Guest, guest_id, "The guest profile").await?;
        let mut after = serde_json::Map::new();
        if let Some(name) = edit.first_name {
            after.insert("first_name".into(), required_text(&name, "first_name", "The guest's first name")?.into());
        }
        if let Some(name) = edit.last_name {
            after.insert("last_name".into(), required_text(&name, "last_name", "The guest's last name")?.into());
        }
        for (field, value) in [
            ("email", edit.email),
            ("phone", edit.phone),
            ("loyalty_number", edit.loyalty_number),
            ("loyalty_tier", edit.loyalty_tier),
        ] {
            if let Some(value) = value {
                after.insert(field.into(), optional_text(value).map_or(Value::Null, Value::from));
            }
        }
        if !edit.add_preferences.is_empty() || !edit.remove_preferences.is_empty() {
            let current = guest.fields.get("preferences");
            after.insert(
                "preferences".into(),
                edit_set(current, &edit.add_preferences, &edit.remove_preferences, "preferences")?,
            );
        }
        if !edit.add_tags.is_empty() || !edit.remove_tags.is_empty() {
            after.insert("tags".into(), edit_set(guest.fields.get("tags"), &edit.add_tags, &edit.remove_tags, "tags")?);
        }
        if let Some(text) = edit.add_note.as_deref() {
            let note = note(&mut action, text)?;
            after.insert("notes".into(), with_note(&guest, note)?);
        }
        let updated = action.update(&guest, after, Operation::Update).await?;
        action.commit().await?;
        match updated {
            Some((_, fields)) => crate::store::typed(EntityKind::Guest, &fields),
            None => guest.typed(),
        }
    }

    /// Creates a reservation with a provisional confirmation number.
    pub async fn create_reservation(&self, session: &Session, input: NewReservation) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "create reservations")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let (reservation, fields) = new_stay(&mut action, session, input).await?;
        action.insert(EntityKind::Reservation, fields).await?;
        action.commit().await?;
        Ok(reservation)
    }

    /// A walk-in in one step: the stay is created and its guest checked in, in one
    /// transaction, or nothing is written at all (a dirty or occupied room, a stay
    /// that does not start today). The room becomes occupied.
    pub async fn walk_in(&self, session: &Session, input: NewReservation) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "check guests in")?;
        if input.arrival != session.today {
            return Err(Error::invalid(
                "arrival",
                format!(
                    "A walk-in arrives today ({}); for another day, make a reservation and check the guest in when they arrive",
                    session.today
                ),
            ));
        }
        let Some(room_id) = input.room_id else {
            return Err(Error::invalid("room_id", "Choose the room the walk-in guest gets"));
        };
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let (reservation, fields) = new_stay(&mut action, session, NewReservation { confirmed: true, ..input }).await?;
        let room = action.get(EntityKind::Room, room_id, "The room").await?;
        let problems =
            check_in_problems(&Stay::from(&reservation), Some(&RoomState::from(&room.typed::<Room>()?)), session.today);
        if !problems.is_empty() {
            return Err(Error::breach(RuleBreach::CheckInPrecondition { problems }));
        }
        action.insert(EntityKind::Reservation, fields.clone()).await?;
        let created = Stored {
            kind: EntityKind::Reservation,
            id: reservation.id,
            fields,
            synced: None,
            version: None,
            deleted: false,
        };
        let target = require_move(&reservation, DomainAction::CheckIn)?;
        let after = set([("occupancy", json(Occupancy::Occupied)?)]);
        write_move(action, &created, reservation, DomainAction::CheckIn, target, Some((&room, after))).await
    }

    /// Edits a reservation that is not checked out, cancelled or a no-show.
    pub async fn edit_reservation(
        &self,
        session: &Session,
        reservation_id: Uuid,
        edit: ReservationEdit,
    ) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "edit reservations")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::Reservation, reservation_id, "The reservation").await?;
        let current: Reservation = stored.typed()?;
        require_open_stay(&current)?;
        if current.status == ReservationStatus::CheckedIn && edit.arrival.is_some_and(|a| a != current.arrival) {
            return Err(Error::rule("The guest is in house: the arrival date can no longer change"));
        }
        let mut after = serde_json::Map::new();
        if let Some(name) = edit.guest_name {
            after.insert("guest_name".into(), required_text(&name, "guest_name", "The guest's name")?.into());
        }
        if let Some(room_type_id) = edit.room_type_id {
            require_room_type(&mut action, room_type_id).await?;
            after.insert("room_type_id".into(), json(room_type_id)?);
        }
        if let Some(arrival) = edit.arrival {
            after.insert("arrival".into(), json(arrival)?);
        }
        if let Some(departure) = edit.departure {
            after.insert("departure".into(), json(departure)?);
        }
        if let Some(adults) = edit.adults {
            after.insert("adults".into(), adults.into());
        }
        if let Some(children) = edit.children {
            after.insert("children".into(), children.into());
        }
        if let Some(rate) = edit.rate_code {
            after.insert("rate_code".into(), required_text(&rate, "rate_code", "The rate code")?.into());
        }
        if let Some(source) = edit.source {
            after.insert("source".into(), required_text(&source, "source", "The booking source")?.into());
        }
        if !edit.add_requests.is_empty() || !edit.remove_requests.is_empty() {
            let current = stored.fields.get("special_requests");
            after.insert(
                "special_requests".into(),
                edit_set(current, &edit.add_requests, &edit.remove_requests, "special_requests")?,
            );
        }
        if let Some(text) = edit.add_note.as_deref() {
            let note = note(&mut action, text)?;
            after.insert("notes".into(), with_note(&stored, note)?);
        }
        let mut merged = stored.fields.clone();
        merged.extend(after.clone());
        sync_core::validate::check_record(EntityKind::Reservation, &merged)?;
        let edited: Reservation = crate::store::typed(EntityKind::Reservation, &merged)?;
        let stay_moved = edited.arrival != current.arrival || edited.departure != current.departure;
        if let (Some(room_id), true) = (edited.room_id, stay_moved) {
            let room: Room = action.get(EntityKind::Room, room_id, "The assigned room").await?.typed()?;
            check_room_for(&mut action, &edited, &room).await?;
        }
        action.update(&stored, after, Operation::Update).await?;
        action.commit().await?;
        Ok(edited)
    }

    /// Assigns a room to a reservation (or removes the assignment with `None`).
    /// Refuses a room that another stay holds or a block covers on those nights.
    pub async fn assign_room(
        &self,
        session: &Session,
        reservation_id: Uuid,
        room_id: Option<Uuid>,
    ) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "assign rooms")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::Reservation, reservation_id, "The reservation").await?;
        let mut reservation: Reservation = stored.typed()?;
        require_open_stay(&reservation)?;
        if reservation.status == ReservationStatus::CheckedIn {
            return Err(Error::rule("The guest is in house: a room change of an in-house stay is a room move"));
        }
        reservation.room_id = room_id;
        if let Some(room_id) = room_id {
            let room: Room = action.get(EntityKind::Room, room_id, "The room").await?.typed()?;
            check_room_for(&mut action, &reservation, &room).await?;
        }
        action.update(&stored, set([("room_id", json(room_id)?)]), Operation::Update).await?;
        action.commit().await?;
        Ok(reservation)
    }

    /// Confirms a tentative reservation.
    pub async fn confirm_reservation(&self, session: &Session, reservation_id: Uuid) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "confirm reservations")?;
        self.lifecycle(session, reservation_id, DomainAction::Confirm, None).await
    }

    /// Cancels a tentative or confirmed reservation, with an optional reason kept as a note.
    pub async fn cancel_reservation(
        &self,
        session: &Session,
        reservation_id: Uuid,
        reason: Option<&str>,
    ) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "cancel reservations")?;
        self.lifecycle(session, reservation_id, DomainAction::Cancel, reason).await
    }

    /// Records that the guest did not come (from the arrival day on).
    pub async fn mark_no_show(&self, session: &Session, reservation_id: Uuid) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "record no-shows")?;
        self.lifecycle(session, reservation_id, DomainAction::NoShow, None).await
    }

    async fn lifecycle(
        &self,
        session: &Session,
        reservation_id: Uuid,
        action_kind: DomainAction,
        reason: Option<&str>,
    ) -> Result<Reservation> {
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::Reservation, reservation_id, "The reservation").await?;
        let mut reservation: Reservation = stored.typed()?;
        let target = require_move(&reservation, action_kind)?;
        if action_kind == DomainAction::NoShow && reservation.arrival > session.today {
            return Err(Error::rule(format!(
                "A no-show can only be recorded from the arrival day ({}) on",
                reservation.arrival
            )));
        }
        let mut after = set([("status", Value::from(target))]);
        if let Some(text) = reason.map(str::trim).filter(|t| !t.is_empty()) {
            let note = note(&mut action, text)?;
            after.insert("notes".into(), with_note(&stored, note)?);
        }
        let updated = action.update(&stored, after, Operation::Action(action_kind)).await?;
        action.commit().await?;
        if let Some((_, fields)) = updated {
            reservation = crate::store::typed(EntityKind::Reservation, &fields)?;
        }
        Ok(reservation)
    }

    /// Checks a guest in: the stay must be confirmed and arrived, its room vacant,
    /// clean or inspected and not blocked. The room becomes occupied (a second
    /// mutation of the same transaction).
    pub async fn check_in(&self, session: &Session, reservation_id: Uuid) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "check guests in")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::Reservation, reservation_id, "The reservation").await?;
        let reservation: Reservation = stored.typed()?;
        require_open_stay(&reservation)?;
        let room = assigned_room(&mut action, &reservation).await?;
        let room_typed: Option<Room> = room.as_ref().map(Stored::typed).transpose()?;
        let problems = check_in_problems(
            &Stay::from(&reservation),
            room_typed.as_ref().map(RoomState::from).as_ref(),
            session.today,
        );
        if !problems.is_empty() {
            return Err(Error::breach(RuleBreach::CheckInPrecondition { problems }));
        }
        let target = require_move(&reservation, DomainAction::CheckIn)?;
        let after = set([("occupancy", json(Occupancy::Occupied)?)]);
        write_move(action, &stored, reservation, DomainAction::CheckIn, target, room.as_ref().map(|r| (r, after))).await
    }

    /// Checks a guest out: needs a settled folio. The room becomes vacant and dirty.
    pub async fn check_out(&self, session: &Session, reservation_id: Uuid) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "check guests out")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::Reservation, reservation_id, "The reservation").await?;
        let reservation: Reservation = stored.typed()?;
        let target = require_move(&reservation, DomainAction::CheckOut)?;
        let balance = folio_balance(&mut action.tx, reservation_id).await?;
        if let Some(breach) = check_out_breach(&balance) {
            return Err(Error::breach(breach));
        }
        let room = assigned_room(&mut action, &reservation).await?;
        let after = set([("occupancy", json(Occupancy::Vacant)?), ("cleaning", json(Cleaning::Dirty)?)]);
        write_move(action, &stored, reservation, DomainAction::CheckOut, target, room.as_ref().map(|r| (r, after)))
            .await
    }

    /// Undoes a check-in made by mistake (the wrong guest, the wrong stay): allowed on
    /// the arrival day while nothing is owed or paid, the stay back to confirmed and
    /// its room vacant again.
    pub async fn undo_check_in(&self, session: &Session, reservation_id: Uuid) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "undo check-ins")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::Reservation, reservation_id, "The reservation").await?;
        let reservation: Reservation = stored.typed()?;
        let target = require_move(&reservation, DomainAction::UndoCheckIn)?;
        if reservation.arrival != session.today {
            return Err(Error::rule(format!(
                "A check-in can be undone on the arrival day only ({}); this stay is in house since then",
                reservation.arrival
            )));
        }
        if !folio_balance(&mut action.tx, reservation_id).await?.is_empty() {
            return Err(Error::rule("The folio has postings that do not balance: settle or correct them first"));
        }
        let room = assigned_room(&mut action, &reservation).await?;
        let after = set([("occupancy", json(Occupancy::Vacant)?)]);
        write_move(action, &stored, reservation, DomainAction::UndoCheckIn, target, room.as_ref().map(|r| (r, after)))
            .await
    }

    /// Reinstates a check-out made by mistake while the stay still runs: the guest is
    /// in house again and the room occupied, unless another guest is in it already.
    pub async fn reinstate_check_out(&self, session: &Session, reservation_id: Uuid) -> Result<Reservation> {
        session.require(EntityKind::Reservation, "reinstate check-outs")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::Reservation, reservation_id, "The reservation").await?;
        let reservation: Reservation = stored.typed()?;
        let target = require_move(&reservation, DomainAction::ReinstateCheckOut)?;
        if reservation.departure < session.today {
            return Err(Error::rule(format!(
                "The stay ended on {}: a check-out is reinstated only until the departure day",
                reservation.departure
            )));
        }
        let room = assigned_room(&mut action, &reservation).await?;
        if let Some(room) = &room {
            let typed: Room = room.typed()?;
            if typed.occupancy == Occupancy::Occupied {
                return Err(Error::rule(format!("Room {} has another guest in it now", typed.number)));
            }
        }
        let after = set([("occupancy", json(Occupancy::Occupied)?)]);
        let room = room.as_ref().map(|r| (r, after));
        write_move(action, &stored, reservation, DomainAction::ReinstateCheckOut, target, room).await
    }
}

/// A new stay from `input`, checked against its guest, room type and room, not yet
/// written: the reservation and its fields.
async fn new_stay(action: &mut Action<'_>, session: &Session, input: NewReservation) -> Result<(Reservation, Fields)> {
    if !is_device_prefix(&session.device_prefix) {
        return Err(Error::invalid(
            "confirmation",
            "This device has no valid prefix for confirmation numbers: enroll it again",
        ));
    }
    let rate_code = required_text(&input.rate_code, "rate_code", "The rate code")?;
    let source = required_text(&input.source, "source", "The booking source")?;
    // One read for the guest and the room type: this is the desk's hottest write.
    let (guest, type_known, types_known): (Option<String>, bool, bool) = sqlx::query_as(
        "SELECT (SELECT fields FROM records WHERE entity = 'guest' AND id = ? AND deleted = 0),
                EXISTS (SELECT 1 FROM records WHERE entity = 'room_type' AND id = ? AND deleted = 0),
                EXISTS (SELECT 1 FROM records WHERE entity = 'room_type')",
    )
    .bind(input.guest_id.to_string())
    .bind(input.room_type_id.to_string())
    .fetch_one(&mut *action.tx)
    .await?;
    let guest: Guest = match guest {
        Some(fields) => crate::store::typed(EntityKind::Guest, &crate::store::parse_fields(&fields)?)?,
        None => return Err(Error::NotFound("The guest profile was not found on this device".into())),
    };
    if types_known && !type_known {
        return Err(unknown_room_type());
    }
    let guest_name = match input.guest_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) => name.to_owned(),
        None => format!("{} {}", guest.first_name, guest.last_name),
    };
    let notes = match input.note.as_deref() {
        Some(text) => vec![note(action, text)?],
        None => Vec::new(),
    };
    let counter = action.next_confirmation_counter();
    let reservation = Reservation {
        provisional_confirmation: None,
        id: new_id(),
        property_id: session.property_id,
        confirmation: ConfirmationNumber::Provisional { device_prefix: session.device_prefix.clone(), counter },
        guest_id: guest.id,
        guest_name,
        room_type_id: input.room_type_id,
        room_id: input.room_id,
        arrival: input.arrival,
        departure: input.departure,
        adults: input.adults,
        children: input.children,
        rate_code,
        source,
        special_requests: as_set(edit_set(None, &input.special_requests, &[], "special_requests")?),
        notes,
        status: if input.confirmed { ReservationStatus::Confirmed } else { ReservationStatus::Tentative },
    };
    let fields = fields_of(&reservation)?;
    sync_core::validate::check_record(EntityKind::Reservation, &fields)?;
    if let Some(room_id) = input.room_id {
        let room: Room = action.get(EntityKind::Room, room_id, "The room").await?.typed()?;
        check_room_for(action, &reservation, &room).await?;
    }
    Ok((reservation, fields))
}

/// The stay's assigned room as `action` reads it (none for a stay without one).
async fn assigned_room(action: &mut Action<'_>, reservation: &Reservation) -> Result<Option<Stored>> {
    match reservation.room_id {
        Some(room_id) => Ok(Some(action.get(EntityKind::Room, room_id, "The assigned room").await?)),
        None => Ok(None),
    }
}

/// Writes a stay's move to `target` by `domain_action` and, in the same transaction,
/// what the move does to its room; answers the stay with its new status.
async fn write_move(
    mut action: Action<'_>,
    stored: &Stored,
    mut reservation: Reservation,
    domain_action: DomainAction,
    target: &str,
    room: Option<(&Stored, Fields)>,
) -> Result<Reservation> {
    action.update(stored, set([("status", Value::from(target))]), Operation::Action(domain_action)).await?;
    if let Some((room, after)) = room {
        action.update(room, after, Operation::Update).await?;
    }
    action.commit().await?;
    reservation.status =
        serde_json::from_value(Value::from(target)).map_err(|e| Error::storage("reading a stay's status", e))?;
    Ok(reservation)
}

/// The status `action` moves the reservation to, or why it cannot.
fn require_move(reservation: &Reservation, action: DomainAction) -> Result<&'static str> {
    let (target, from) = Lifecycle::action_target(action);
    let status = status_name(reservation.status);
    if from.contains(&status) {
        return Ok(target);
    }
    require_open_stay(reservation)?;
    if status == target {
        return Err(Error::rule(format!("The stay is {} already", status.replace('_', " "))));
    }
    Err(Error::breach(RuleBreach::StatusRegression { from: status.to_owned(), to: target.to_owned() }))
}

/// Refuses a room type the device does not know, once it knows the property's
/// room types (a fresh device that never synced cannot check, and must not block
/// bookings taken offline).
async fn require_room_type(action: &mut Action<'_>, room_type_id: Uuid) -> Result<()> {
    let (known, any): (bool, bool) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM records WHERE entity = 'room_type' AND id = ? AND deleted = 0),
                EXISTS (SELECT 1 FROM records WHERE entity = 'room_type')",
    )
    .bind(room_type_id.to_string())
    .fetch_one(&mut *action.tx)
    .await?;
    if any && !known {
        return Err(unknown_room_type());
    }
    Ok(())
}

fn unknown_room_type() -> Error {
    Error::NotFound("This room type is not one of the property's room types".into())
}

fn as_set(value: Value) -> Vec<String> {
    match value {
        Value::Array(items) => items.into_iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
        _ => Vec::new(),
    }
}

impl Store {
    /// Rooms of a type free for every night of `[arrival, departure)`, ignoring the
    /// stay `moving` (the one looking for a room).
    pub async fn free_rooms(
        &self,
        room_type_id: Uuid,
        arrival: NaiveDate,
        departure: NaiveDate,
        moving: Option<Uuid>,
    ) -> Result<Vec<sync_core::invariants::FreeRoom>> {
        let mut conn = self.reader.acquire().await?;
        let (rooms, stays) = super::rooms_and_stays_of_type(&mut conn, room_type_id, arrival, departure).await?;
        Ok(free_rooms(room_type_id, arrival, departure, moving.unwrap_or_default(), &rooms, &stays))
    }
}
