//! The desk's reservations, guests and the front page: what the arrivals, reservation
//! and guest screens read and do.

use chrono::NaiveDate;
use sync_core::access;
use sync_core::domain::{Guest, Reservation};
use sync_core::invariants::FreeRoom;
use sync_core::schema::EntityKind as K;
use sync_core::schema::Visibility;
use uuid::Uuid;

use super::{Desk, DeskError};
use crate::screens::{Catalog, ReservationPage, ReservationQuery, TapeChart, Today};
use crate::{GuestEdit, NewGuest, NewReservation, ReservationEdit};

impl Desk {
    /// The property, its room types, rooms, staff and devices, and the business date.
    pub async fn catalog(&self) -> Result<Catalog, DeskError> {
        let session = self.session().await?;
        Ok(self.store.catalog(session.property_id, session.today).await?)
    }

    /// Today's arrivals, departures and in-house stays.
    pub async fn today(&self) -> Result<Today, DeskError> {
        let session = self.session().await?;
        Ok(self.store.today(session.today).await?)
    }

    /// One page of reservations matching `query`.
    pub async fn search_reservations(&self, query: &ReservationQuery) -> Result<ReservationPage, DeskError> {
        self.session().await?;
        Ok(self.store.reservation_page(query).await?)
    }

    /// One reservation.
    pub async fn reservation(&self, id: Uuid) -> Result<Reservation, DeskError> {
        self.session().await?;
        Ok(self.store.reservation(id).await?)
    }

    /// The rooms of a type free for `[arrival, departure)`, leaving out the stay `moving`.
    pub async fn free_rooms(
        &self,
        room_type_id: Uuid,
        arrival: NaiveDate,
        departure: NaiveDate,
        moving: Option<Uuid>,
    ) -> Result<Vec<FreeRoom>, DeskError> {
        self.session().await?;
        Ok(self.store.free_rooms(room_type_id, arrival, departure, moving).await?)
    }

    /// Rooms by stay over `days` days from `from`.
    pub async fn tape_chart(&self, from: NaiveDate, days: u32) -> Result<TapeChart, DeskError> {
        self.session().await?;
        Ok(self.store.tape_chart(from, days).await?)
    }

    /// Books a stay (and the guest's profile when it names a new guest).
    pub async fn create_reservation(&self, input: NewReservation) -> Result<Reservation, DeskError> {
        let session = self.session_for("create_reservation").await?;
        let stay = self.store.create_reservation(&session, input).await?;
        self.changed(&[K::Reservation, K::Guest]).await;
        Ok(stay)
    }

    /// Changes the dates, party, rate or notes of a stay.
    pub async fn update_reservation(&self, id: Uuid, edit: ReservationEdit) -> Result<Reservation, DeskError> {
        let session = self.session().await?;
        let stay = self.store.edit_reservation(&session, id, edit).await?;
        self.changed(&[K::Reservation]).await;
        Ok(stay)
    }

    /// Assigns a room to a stay, moves it to another, or takes its room away (`None`).
    pub async fn assign_room(&self, id: Uuid, room_id: Option<Uuid>) -> Result<Reservation, DeskError> {
        let session = self.session_for("assign_room").await?;
        let stay = self.store.assign_room(&session, id, room_id).await?;
        self.changed(&[K::Reservation]).await;
        Ok(stay)
    }

    /// Confirms a tentative stay.
    pub async fn confirm_reservation(&self, id: Uuid) -> Result<Reservation, DeskError> {
        let session = self.session().await?;
        let stay = self.store.confirm_reservation(&session, id).await?;
        self.changed(&[K::Reservation]).await;
        Ok(stay)
    }

    /// Checks a stay in: its room becomes occupied.
    pub async fn check_in(&self, id: Uuid) -> Result<Reservation, DeskError> {
        let session = self.session_for("check_in").await?;
        let stay = self.store.check_in(&session, id).await?;
        self.changed(&[K::Reservation, K::Room]).await;
        Ok(stay)
    }

    /// A walk-in in one step: the stay is created and checked in, or nothing is written.
    /// Under the check-in's stale-data policy: it puts a guest in a room.
    pub async fn walk_in(&self, input: NewReservation) -> Result<Reservation, DeskError> {
        let session = self.session_for("check_in").await?;
        let stay = self.store.walk_in(&session, input).await?;
        self.changed(&[K::Reservation, K::Room]).await;
        Ok(stay)
    }

    /// Checks a stay out: its room becomes vacant and dirty, with a cleaning task.
    pub async fn check_out(&self, id: Uuid) -> Result<Reservation, DeskError> {
        let session = self.session_for("check_out").await?;
        let stay = self.store.check_out(&session, id).await?;
        self.changed(&[K::Reservation, K::Room, K::HousekeepingTask]).await;
        Ok(stay)
    }

    /// Undoes a check-in made by mistake (arrival day, nothing owed): confirmed again,
    /// the room vacant. Under the check-in's stale-data policy: it changes the same room.
    pub async fn undo_check_in(&self, id: Uuid) -> Result<Reservation, DeskError> {
        let session = self.session_for("check_in").await?;
        let stay = self.store.undo_check_in(&session, id).await?;
        self.changed(&[K::Reservation, K::Room]).await;
        Ok(stay)
    }

    /// Reinstates a check-out made by mistake while the stay runs and its room is free.
    pub async fn reinstate_check_out(&self, id: Uuid) -> Result<Reservation, DeskError> {
        let session = self.session_for("check_out").await?;
        let stay = self.store.reinstate_check_out(&session, id).await?;
        self.changed(&[K::Reservation, K::Room]).await;
        Ok(stay)
    }

    /// Cancels a stay that has not arrived, with an optional reason.
    pub async fn cancel_reservation(&self, id: Uuid, reason: Option<&str>) -> Result<Reservation, DeskError> {
        let session = self.session().await?;
        let stay = self.store.cancel_reservation(&session, id, reason).await?;
        self.changed(&[K::Reservation]).await;
        Ok(stay)
    }

    /// Marks a stay whose guest never came.
    pub async fn mark_no_show(&self, id: Uuid) -> Result<Reservation, DeskError> {
        let session = self.session().await?;
        let stay = self.store.mark_no_show(&session, id).await?;
        self.changed(&[K::Reservation]).await;
        Ok(stay)
    }

    /// Guests whose name, email, phone or loyalty number matches `text`. A role that
    /// may not read contact details (housekeeping, maintenance) finds guests by name
    /// only and sees no email or phone: the same redaction the server applies to pulls.
    pub async fn search_guests(&self, text: &str) -> Result<Vec<Guest>, DeskError> {
        let session = self.session().await?;
        let mut guests = self.store.search_guests(text).await?;
        if !access::may_read(session.role, Visibility::Contact) {
            let needle = text.trim().to_lowercase();
            guests.retain(|guest| {
                let name = format!("{} {}", guest.first_name, guest.last_name).to_lowercase();
                let reversed = format!("{} {}", guest.last_name, guest.first_name).to_lowercase();
                name.contains(&needle) || reversed.contains(&needle)
            });
            for guest in &mut guests {
                guest.email = None;
                guest.phone = None;
            }
        }
        Ok(guests)
    }

    /// Creates a guest profile.
    pub async fn create_guest(&self, input: NewGuest) -> Result<Guest, DeskError> {
        let session = self.session().await?;
        let guest = self.store.create_guest(&session, input).await?;
        self.changed(&[K::Guest]).await;
        Ok(guest)
    }

    /// Changes a guest profile (lists are added to, never replaced).
    pub async fn update_guest(&self, id: Uuid, edit: GuestEdit) -> Result<Guest, DeskError> {
        let session = self.session().await?;
        let guest = self.store.edit_guest(&session, id, edit).await?;
        self.changed(&[K::Guest]).await;
        Ok(guest)
    }
}
