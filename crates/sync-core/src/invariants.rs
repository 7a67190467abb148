//! The invariants of DOMAIN.md as pure functions over the records involved.
//!
//! The device runs them before it writes (and refuses with a clear message); the
//! server runs them on every apply, over the merged result and the records it
//! loaded around it, and raises a business-rule conflict when concurrent offline
//! edits broke one. Each breach carries what a person needs to resolve it.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{Availability, Cleaning, Occupancy, PostingKind, Reservation, ReservationStatus, Room};
use crate::protocol::DomainAction;
use crate::schema::EntityKind;

/// A status lifecycle: which moves are forward, and which need a guarded action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lifecycle {
    Reservation,
    HousekeepingTask,
    MaintenanceReport,
    ServiceRequest,
    PosOrder,
}

impl Lifecycle {
    /// The lifecycle of a kind's `status` field.
    pub fn of(kind: EntityKind) -> Option<Self> {
        match kind {
            EntityKind::Reservation => Some(Lifecycle::Reservation),
            EntityKind::HousekeepingTask => Some(Lifecycle::HousekeepingTask),
            EntityKind::MaintenanceReport => Some(Lifecycle::MaintenanceReport),
            EntityKind::ServiceRequest => Some(Lifecycle::ServiceRequest),
            EntityKind::PosOrder => Some(Lifecycle::PosOrder),
            _ => None,
        }
    }

    /// Whether `from -> to` is allowed, `action` being the domain action that asks
    /// for it (guarded reversals need theirs). Staying put is always allowed.
    pub fn allows(self, from: &str, to: &str, action: Option<DomainAction>) -> bool {
        if from == to {
            return true;
        }
        match self {
            Lifecycle::Reservation => matches!(
                (from, to, action),
                ("tentative", "confirmed" | "cancelled", _)
                    | ("confirmed", "checked_in" | "cancelled" | "no_show", _)
                    | ("tentative", "no_show", _)
                    | ("checked_in", "checked_out", _)
                    | ("checked_in", "confirmed", Some(DomainAction::UndoCheckIn))
                    | ("checked_out", "checked_in", Some(DomainAction::ReinstateCheckOut))
            ),
            Lifecycle::HousekeepingTask => matches!(
                (from, to),
                ("pending", "in_progress" | "done")
                    | ("in_progress", "done" | "pending")
                    | ("done", "inspected" | "pending")
            ),
            Lifecycle::MaintenanceReport => {
                matches!((from, to), ("open", "in_progress" | "resolved") | ("in_progress", "resolved" | "open"))
            }
            Lifecycle::ServiceRequest => {
                matches!((from, to), ("new", "acknowledged" | "done") | ("acknowledged", "done"))
            }
            Lifecycle::PosOrder => matches!((from, to), ("open", "posted" | "paid" | "void")),
        }
    }

    /// The action that moves a stay from `from` to `to`, if one does.
    pub fn action_for(from: &str, to: &str) -> Option<DomainAction> {
        DomainAction::ALL.into_iter().find(|action| {
            let (target, starts) = Self::action_target(*action);
            target == to && starts.contains(&from)
        })
    }

    /// The status a domain action moves a record to, and the statuses it may start from.
    pub fn action_target(action: DomainAction) -> (&'static str, &'static [&'static str]) {
        match action {
            DomainAction::Confirm => ("confirmed", &["tentative"]),
            DomainAction::CheckIn => ("checked_in", &["confirmed"]),
            DomainAction::CheckOut => ("checked_out", &["checked_in"]),
            DomainAction::Cancel => ("cancelled", &["tentative", "confirmed"]),
            DomainAction::NoShow => ("no_show", &["tentative", "confirmed"]),
            DomainAction::UndoCheckIn => ("confirmed", &["checked_in"]),
            DomainAction::ReinstateCheckOut => ("checked_in", &["checked_out"]),
        }
    }
}

/// A stay as the room invariants see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stay {
    pub id: Uuid,
    pub room_type_id: Uuid,
    pub room_id: Option<Uuid>,
    pub arrival: NaiveDate,
    pub departure: NaiveDate,
    pub status: ReservationStatus,
}

impl Stay {
    /// Whether two stays share at least one night (`[arrival, departure)`), so
    /// back-to-back stays do not overlap.
    pub fn overlaps(&self, arrival: NaiveDate, departure: NaiveDate) -> bool {
        self.arrival < departure && arrival < self.departure
    }
}

impl From<&Reservation> for Stay {
    fn from(reservation: &Reservation) -> Self {
        Stay {
            id: reservation.id,
            room_type_id: reservation.room_type_id,
            room_id: reservation.room_id,
            arrival: reservation.arrival,
            departure: reservation.departure,
            status: reservation.status,
        }
    }
}

/// A room as the room invariants see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomState {
    pub id: Uuid,
    pub number: String,
    pub room_type_id: Uuid,
    pub cleaning: Cleaning,
    pub occupancy: Occupancy,
    pub availability: Availability,
    pub blocked_from: Option<NaiveDate>,
    pub blocked_until: Option<NaiveDate>,
}

impl RoomState {
    /// Whether an out-of-order or out-of-service block covers any of the nights.
    pub fn blocked_for(&self, arrival: NaiveDate, departure: NaiveDate) -> Option<Availability> {
        if self.availability == Availability::Available {
            return None;
        }
        let from = self.blocked_from.unwrap_or(NaiveDate::MIN);
        let until = self.blocked_until.unwrap_or(NaiveDate::MAX);
        (from < departure && arrival < until).then_some(self.availability)
    }
}

impl From<&Room> for RoomState {
    fn from(room: &Room) -> Self {
        RoomState {
            id: room.id,
            number: room.number.clone(),
            room_type_id: room.room_type_id,
            cleaning: room.cleaning,
            occupancy: room.occupancy,
            availability: room.availability,
            blocked_from: room.blocked_from,
            blocked_until: room.blocked_until,
        }
    }
}

/// A room offered to resolve a double booking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FreeRoom {
    pub room_id: Uuid,
    pub number: String,
}

/// An invariant broken by a record, with what is needed to resolve it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum RuleBreach {
    /// Invariant 1: two live stays hold one room on a night.
    DoubleBooking {
        room_id: Uuid,
        room_number: String,
        /// The other stays holding the room.
        with: Vec<Uuid>,
        first_night: NaiveDate,
        last_night: NaiveDate,
        /// Rooms of the same type free for all the stay's nights.
        free_rooms: Vec<FreeRoom>,
    },
    /// Invariant 2: the room is out of order or out of service for those nights.
    RoomUnavailable { room_id: Uuid, room_number: String, availability: Availability, free_rooms: Vec<FreeRoom> },
    /// Invariant 3: a check-in without its preconditions.
    CheckInPrecondition { problems: Vec<String> },
    /// Invariant 4: a status move the lifecycle does not allow, e.g. one device
    /// checked the guest in while another cancelled the stay.
    StatusRegression { from: String, to: String },
    /// Invariant 4: an edit of a checked-out, cancelled or no-show stay.
    ReadOnlyRecord { status: String },
    /// Invariant 6: a check-out with money still owed or owing.
    CheckOutWithBalance { balance: BTreeMap<String, i64> },
    /// Invariant 7: the room's occupancy disagrees with its in-house stays.
    OccupancyMismatch { room_id: Uuid, occupancy: Occupancy, in_house: Vec<Uuid> },
    /// Invariant 5: two desks corrected one posting, each unaware of the other, and
    /// together took back more than the posting: both corrections are kept (each
    /// may stand for money that really moved) and a manager settles the folio.
    PostingOverCorrected { reverses: Uuid, left_minor: i64, correction_minor: i64, currency: String },
    /// Invariant 6: a posting reached the folio of a checked-out stay, which now
    /// owes (or is owed) money.
    PostingOnClosedFolio { reservation_id: Uuid, balance: BTreeMap<String, i64> },
    /// Invariant 7: the guest is in house in one room while the stay names another:
    /// a desk that had not seen the check-in assigned another room, or checked the
    /// guest in to the room the stay had before it was reassigned.
    InHouseRoomChange { guest_room: Option<String>, stay_room: Option<String> },
    /// Invariant 4: a check-in undone while the folio does not balance (another desk
    /// posted to it before the undo arrived): the guarded reversal's guard broke.
    UndoneWithBalance { balance: BTreeMap<String, i64> },
}

impl RuleBreach {
    /// One sentence for a receptionist or a manager.
    pub fn describe(&self) -> String {
        match self {
            RuleBreach::DoubleBooking { room_number, with, first_night, last_night, free_rooms, .. } => format!(
                "Room {room_number} is held by {} other stay(s) for nights {first_night} to {last_night}; {} room(s) of the type are free",
                with.len(),
                free_rooms.len()
            ),
            RuleBreach::RoomUnavailable { room_number, availability, .. } => format!(
                "Room {room_number} is {} for those nights",
                match availability {
                    Availability::OutOfOrder => "out of order",
                    Availability::OutOfService => "out of service",
                    Availability::Available => "available",
                }
            ),
            RuleBreach::CheckInPrecondition { problems } => format!("Check-in not allowed: {}", problems.join("; ")),
            RuleBreach::StatusRegression { from, to } => {
                format!("The status cannot move from {from} to {to}")
            }
            RuleBreach::ReadOnlyRecord { status } => format!("The stay is {status} and can no longer be changed"),
            RuleBreach::CheckOutWithBalance { balance } => {
                let owed: Vec<String> =
                    balance.iter().map(|(cur, minor)| format!("{} {cur}", format_minor(*minor))).collect();
                format!("Check-out needs a zero balance; the folio shows {}", owed.join(", "))
            }
            RuleBreach::OccupancyMismatch { occupancy, in_house, .. } => format!(
                "The room is marked {} but has {} in-house stay(s)",
                match occupancy {
                    Occupancy::Vacant => "vacant",
                    Occupancy::Occupied => "occupied",
                },
                in_house.len()
            ),
            RuleBreach::PostingOverCorrected { left_minor, correction_minor, currency, .. } => format!(
                "Two corrections of one posting take back more than it was: {} {currency} was left, this correction takes {} {currency}; check whether the money moved twice",
                format_minor(*left_minor),
                format_minor(correction_minor.saturating_abs())
            ),
            RuleBreach::PostingOnClosedFolio { balance, .. } => {
                let owed: Vec<String> =
                    balance.iter().map(|(cur, minor)| format!("{} {cur}", format_minor(*minor))).collect();
                format!("A posting reached the folio after check-out; the closed folio shows {}", owed.join(", "))
            }
            RuleBreach::UndoneWithBalance { balance } => {
                let owed: Vec<String> =
                    balance.iter().map(|(cur, minor)| format!("{} {cur}", format_minor(*minor))).collect();
                format!(
                    "The check-in was undone while the folio shows {}: check the guest in again, or correct the postings",
                    owed.join(", ")
                )
            }
            RuleBreach::InHouseRoomChange { guest_room, stay_room } => format!(
                "The guest is checked in to room {} but the stay names room {}: move the guest or set the stay's room back",
                guest_room.as_deref().unwrap_or("(none)"),
                stay_room.as_deref().unwrap_or("(none)")
            ),
        }
    }
}

/// `12345` as `123.45`.
pub fn format_minor(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", (minor / 100).unsigned_abs(), (minor % 100).unsigned_abs())
}

/// The stays among `others` that hold `stay`'s room on one of its nights
/// (invariant 1). Cancelled and no-show stays hold nothing.
pub fn double_bookings<'a>(stay: &Stay, others: impl IntoIterator<Item = &'a Stay>) -> Vec<Uuid> {
    let Some(room) = stay.room_id else {
        return Vec::new();
    };
    if !stay.status.is_live() {
        return Vec::new();
    }
    others
        .into_iter()
        .filter(|other| {
            other.id != stay.id
                && other.room_id == Some(room)
                && other.status.is_live()
                && other.overlaps(stay.arrival, stay.departure)
        })
        .map(|other| other.id)
        .collect()
}

/// Rooms of `room_type_id` that no live stay holds and no block covers for the
/// nights `[arrival, departure)`, ignoring the stay `moving` (the one to move).
pub fn free_rooms(
    room_type_id: Uuid,
    arrival: NaiveDate,
    departure: NaiveDate,
    moving: Uuid,
    rooms: &[RoomState],
    stays: &[Stay],
) -> Vec<FreeRoom> {
    let mut free: Vec<FreeRoom> = rooms
        .iter()
        .filter(|room| room.room_type_id == room_type_id && room.blocked_for(arrival, departure).is_none())
        .filter(|room| {
            !stays.iter().any(|stay| {
                stay.id != moving
                    && stay.room_id == Some(room.id)
                    && stay.status.is_live()
                    && stay.overlaps(arrival, departure)
            })
        })
        .map(|room| FreeRoom { room_id: room.id, number: room.number.clone() })
        .collect();
    free.sort_by(|a, b| a.number.cmp(&b.number));
    free
}

/// Invariants 1 and 2 for one stay: its room is neither double booked nor blocked.
/// `stays` are the other stays of the property that may touch those nights.
pub fn check_stay_room(stay: &Stay, rooms: &[RoomState], stays: &[Stay]) -> Vec<RuleBreach> {
    let Some(room_id) = stay.room_id else {
        return Vec::new();
    };
    if !stay.status.is_live() || stay.status.is_final() {
        return Vec::new();
    }
    let Some(room) = rooms.iter().find(|room| room.id == room_id) else {
        return Vec::new();
    };
    let mut breaches = Vec::new();
    let free = || free_rooms(stay.room_type_id, stay.arrival, stay.departure, stay.id, rooms, stays);
    if let Some(availability) = room.blocked_for(stay.arrival, stay.departure) {
        breaches.push(RuleBreach::RoomUnavailable {
            room_id,
            room_number: room.number.clone(),
            availability,
            free_rooms: free(),
        });
    }
    let with = double_bookings(stay, stays);
    if !with.is_empty() {
        let clashing = stays.iter().filter(|other| with.contains(&other.id));
        let first = clashing.clone().map(|other| other.arrival.max(stay.arrival)).min();
        let last = clashing.map(|other| other.departure.min(stay.departure)).max();
        breaches.push(RuleBreach::DoubleBooking {
            room_id,
            room_number: room.number.clone(),
            with,
            first_night: first.unwrap_or(stay.arrival),
            last_night: last.and_then(|d| d.pred_opt()).unwrap_or(stay.departure),
            free_rooms: free(),
        });
    }
    breaches
}

/// Invariant 3: what stops a check-in of `stay` into `room` on `today`.
pub fn check_in_problems(stay: &Stay, room: Option<&RoomState>, today: NaiveDate) -> Vec<String> {
    let mut problems = Vec::new();
    if stay.status != ReservationStatus::Confirmed {
        problems.push(format!("the stay is {}, not confirmed", status_name(stay.status)));
    }
    if stay.arrival > today {
        problems.push(format!("the arrival is {}, after today {today}", stay.arrival));
    }
    match room {
        None => problems.push("no room is assigned".into()),
        Some(room) => {
            if room.occupancy == Occupancy::Occupied {
                problems.push(format!("room {} is occupied", room.number));
            }
            if !matches!(room.cleaning, Cleaning::Clean | Cleaning::Inspected) {
                problems.push(format!("room {} is not clean", room.number));
            }
            if let Some(block) = room.blocked_for(today, today.succ_opt().unwrap_or(today)) {
                problems.push(format!(
                    "room {} is {}",
                    room.number,
                    if block == Availability::OutOfOrder { "out of order" } else { "out of service" }
                ));
            }
        }
    }
    problems
}

/// The wire name of a reservation status.
pub fn status_name(status: ReservationStatus) -> &'static str {
    match status {
        ReservationStatus::Tentative => "tentative",
        ReservationStatus::Confirmed => "confirmed",
        ReservationStatus::CheckedIn => "checked_in",
        ReservationStatus::CheckedOut => "checked_out",
        ReservationStatus::Cancelled => "cancelled",
        ReservationStatus::NoShow => "no_show",
    }
}

/// A posting as the balance sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostingAmount<'a> {
    pub kind: PostingKind,
    pub amount_minor: i64,
    pub currency: &'a str,
}

/// Balance of a folio by currency: charges minus payments, always derived.
/// Currencies that net to zero are left out, so an empty map means "settled".
pub fn balance<'a>(postings: impl IntoIterator<Item = PostingAmount<'a>>) -> BTreeMap<String, i64> {
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for posting in postings {
        let signed = match posting.kind {
            PostingKind::Charge => posting.amount_minor,
            PostingKind::Payment => posting.amount_minor.saturating_neg(),
        };
        let total = totals.entry(posting.currency.to_owned()).or_default();
        *total = total.saturating_add(signed);
    }
    totals.retain(|_, total| *total != 0);
    totals
}

/// Invariant 4: a check-in is undone only while the folio balances to nothing.
pub fn undo_check_in_breach(balance: &BTreeMap<String, i64>) -> Option<RuleBreach> {
    (!balance.is_empty()).then(|| RuleBreach::UndoneWithBalance { balance: balance.clone() })
}

/// Invariant 6: a check-out needs a settled folio.
pub fn check_out_breach(balance: &BTreeMap<String, i64>) -> Option<RuleBreach> {
    (!balance.is_empty()).then(|| RuleBreach::CheckOutWithBalance { balance: balance.clone() })
}

/// Invariant 7: an occupied room has exactly one in-house stay, a vacant room none.
pub fn occupancy_breach(room: &RoomState, in_house: &[Uuid]) -> Option<RuleBreach> {
    let consistent = match room.occupancy {
        Occupancy::Occupied => in_house.len() == 1,
        Occupancy::Vacant => in_house.is_empty(),
    };
    (!consistent).then(|| RuleBreach::OccupancyMismatch {
        room_id: room.id,
        occupancy: room.occupancy,
        in_house: in_house.to_vec(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).expect("valid day")
    }

    const DOUBLE: Uuid = Uuid::from_u128(100);

    fn room(n: u128, number: &str) -> RoomState {
        RoomState {
            id: Uuid::from_u128(n),
            number: number.into(),
            room_type_id: DOUBLE,
            cleaning: Cleaning::Clean,
            occupancy: Occupancy::Vacant,
            availability: Availability::Available,
            blocked_from: None,
            blocked_until: None,
        }
    }

    fn stay(n: u128, room: u128, arrival: u32, departure: u32) -> Stay {
        Stay {
            id: Uuid::from_u128(n),
            room_type_id: DOUBLE,
            room_id: Some(Uuid::from_u128(room)),
            arrival: day(arrival),
            departure: day(departure),
            status: ReservationStatus::Confirmed,
        }
    }

    #[test]
    fn overlapping_stays_in_one_room_are_a_double_booking_listing_free_rooms() {
        let rooms = [room(1, "305"), room(2, "306"), room(3, "307")];
        let a = stay(10, 1, 20, 23);
        let b = stay(11, 1, 22, 25);
        let elsewhere = stay(12, 2, 21, 24);
        let breaches = check_stay_room(&b, &rooms, &[a.clone(), elsewhere]);
        assert_eq!(breaches.len(), 1);
        let RuleBreach::DoubleBooking { with, first_night, last_night, free_rooms, room_number, .. } = &breaches[0]
        else {
            panic!("expected a double booking, got {breaches:?}");
        };
        assert_eq!(with, &vec![a.id]);
        assert_eq!((*first_night, *last_night), (day(22), day(22)), "only the night of the 22nd is shared");
        assert_eq!(room_number, "305");
        let numbers: Vec<_> = free_rooms.iter().map(|r| r.number.as_str()).collect();
        assert_eq!(numbers, ["307"], "306 is taken on those nights, 305 is the clash");
        assert!(breaches[0].describe().contains("Room 305"));
    }

    #[test]
    fn back_to_back_and_cancelled_stays_are_fine() {
        let rooms = [room(1, "305")];
        let a = stay(10, 1, 20, 22);
        let b = stay(11, 1, 22, 25);
        assert!(check_stay_room(&b, &rooms, std::slice::from_ref(&a)).is_empty(), "departure day is free");
        let cancelled = Stay { status: ReservationStatus::Cancelled, ..stay(12, 1, 21, 24) };
        assert!(check_stay_room(&b, &rooms, &[cancelled]).is_empty());
    }

    #[test]
    fn blocked_rooms_cannot_hold_stays_for_the_blocked_nights() {
        let mut blocked = room(1, "305");
        blocked.availability = Availability::OutOfOrder;
        blocked.blocked_from = Some(day(21));
        blocked.blocked_until = Some(day(23));
        let rooms = [blocked, room(2, "306")];
        let breaches = check_stay_room(&stay(10, 1, 22, 24), &rooms, &[]);
        assert!(
            matches!(&breaches[..], [RuleBreach::RoomUnavailable { availability: Availability::OutOfOrder, free_rooms, .. }] if free_rooms.len() == 1)
        );
        assert!(check_stay_room(&stay(10, 1, 23, 24), &rooms, &[]).is_empty(), "the block ends before the 23rd night");
    }

    #[test]
    fn check_in_needs_confirmed_arrived_vacant_and_clean() {
        let ready = room(1, "305");
        let s = stay(10, 1, 23, 25);
        assert!(check_in_problems(&s, Some(&ready), day(23)).is_empty());
        let mut dirty = ready.clone();
        dirty.cleaning = Cleaning::Dirty;
        dirty.occupancy = Occupancy::Occupied;
        let early = check_in_problems(&s, Some(&dirty), day(22));
        assert_eq!(early.len(), 3, "{early:?}");
        assert!(early.iter().any(|p| p.contains("not clean")));
        let tentative = Stay { status: ReservationStatus::Tentative, ..s };
        assert!(check_in_problems(&tentative, None, day(23)).iter().any(|p| p.contains("no room")));
    }

    #[test]
    fn statuses_move_forward_only_except_guarded_reversals() {
        let l = Lifecycle::Reservation;
        assert!(l.allows("confirmed", "checked_in", None));
        assert!(!l.allows("checked_in", "cancelled", None));
        assert!(!l.allows("cancelled", "checked_in", None));
        assert!(!l.allows("checked_in", "confirmed", None));
        assert!(l.allows("checked_in", "confirmed", Some(DomainAction::UndoCheckIn)));
        assert!(l.allows("checked_out", "checked_in", Some(DomainAction::ReinstateCheckOut)));
        assert!(Lifecycle::HousekeepingTask.allows("done", "pending", None), "a failed inspection");
        assert!(!Lifecycle::HousekeepingTask.allows("inspected", "done", None));
        assert!(!Lifecycle::PosOrder.allows("paid", "open", None));
    }

    #[test]
    fn balance_is_charges_minus_payments_per_currency() {
        let p = |kind, amount_minor, currency| PostingAmount { kind, amount_minor, currency };
        let b = balance([
            p(PostingKind::Charge, 12_000, "EUR"),
            p(PostingKind::Charge, 500, "EUR"),
            p(PostingKind::Payment, 12_000, "EUR"),
            p(PostingKind::Charge, 100, "USD"),
            p(PostingKind::Payment, 100, "USD"),
        ]);
        assert_eq!(b, BTreeMap::from([("EUR".to_owned(), 500)]));
        let breach = check_out_breach(&b).expect("a balance blocks check-out");
        assert!(breach.describe().contains("5.00 EUR"), "{}", breach.describe());
        assert_eq!(check_out_breach(&BTreeMap::new()), None);
        assert_eq!(format_minor(-1205), "-12.05");
        let undone = undo_check_in_breach(&b).expect("a balance blocks undoing the check-in");
        assert!(undone.describe().contains("folio shows 5.00 EUR"), "{}", undone.describe());
        assert_eq!(undo_check_in_breach(&BTreeMap::new()), None, "a folio that nets to nothing allows it");
    }

    #[test]
    fn occupancy_must_match_in_house_stays() {
        let mut r = room(1, "305");
        assert_eq!(occupancy_breach(&r, &[]), None);
        assert!(occupancy_breach(&r, &[Uuid::from_u128(5)]).is_some());
        r.occupancy = Occupancy::Occupied;
        assert!(occupancy_breach(&r, &[]).is_some());
        assert_eq!(occupancy_breach(&r, &[Uuid::from_u128(5)]), None);
    }
}
