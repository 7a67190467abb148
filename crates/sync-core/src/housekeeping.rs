//! The housekeeping day: which rooms need which task on a business date, worked out
//! from the stays and rooms every desk holds. Each task's id derives from the
//! property, the day, the room and the kind, so two desks that make the day's tasks
//! offline make the same records, and the server keeps one of each.

use chrono::NaiveDate;
use uuid::Uuid;

use crate::domain::{Cleaning, Occupancy, ReservationStatus, TaskKind};
use crate::invariants::{RoomState, Stay};

/// One task of the day's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedTask {
    pub id: Uuid,
    pub room_id: Uuid,
    pub kind: TaskKind,
    /// 1 (most urgent) to 5: a room a guest arrives in today first.
    pub priority: u8,
}

/// The id of the day's task of `kind` for `room`: the same on every desk.
pub fn task_id(property: Uuid, day: NaiveDate, room: Uuid, kind: TaskKind) -> Uuid {
    let kind = match kind {
        TaskKind::CheckoutClean => "checkout_clean",
        TaskKind::Stayover => "stayover",
        TaskKind::Inspection => "inspection",
        TaskKind::Turndown => "turndown",
    };
    Uuid::new_v5(&property, format!("housekeeping/{day}/{room}/{kind}").as_bytes())
}

/// The tasks of `day`: a checkout clean for each room a guest leaves (or left) today,
/// a stay-over for each room whose guest stays on, and an inspection for each room a
/// guest arrives in today that is not inspected yet. A room turned over today (one
/// guest leaves, another arrives) gets its clean first.
pub fn day_plan(property: Uuid, day: NaiveDate, rooms: &[RoomState], stays: &[Stay]) -> Vec<PlannedTask> {
    let mut plan = Vec::new();
    for room in rooms {
        let here = |stay: &&Stay| stay.room_id == Some(room.id);
        let departs = stays.iter().filter(here).any(|stay| {
            stay.departure == day && matches!(stay.status, ReservationStatus::CheckedIn | ReservationStatus::CheckedOut)
        });
        let stays_on = stays
            .iter()
            .filter(here)
            .any(|stay| stay.status == ReservationStatus::CheckedIn && stay.arrival < day && day < stay.departure);
        let arrives = stays.iter().filter(here).any(|stay| {
            stay.arrival == day && matches!(stay.status, ReservationStatus::Confirmed | ReservationStatus::Tentative)
        });
        let mut add = |kind, priority| {
            plan.push(PlannedTask { id: task_id(property, day, room.id, kind), room_id: room.id, kind, priority });
        };
        if departs {
            add(TaskKind::CheckoutClean, if arrives { 1 } else { 2 });
        }
        if stays_on && room.occupancy == Occupancy::Occupied {
            add(TaskKind::Stayover, 3);
        }
        if arrives && (departs || room.cleaning != Cleaning::Inspected) {
            add(TaskKind::Inspection, 1);
        }
    }
    plan
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Availability;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).expect("date")
    }

    fn room(n: u128, cleaning: Cleaning, occupancy: Occupancy) -> RoomState {
        RoomState {
            id: Uuid::from_u128(n),
            number: format!("{n}"),
            room_type_id: Uuid::nil(),
            cleaning,
            occupancy,
            availability: Availability::Available,
            blocked_from: None,
            blocked_until: None,
        }
    }

    fn stay(n: u128, room: u128, arrival: u32, departure: u32, status: ReservationStatus) -> Stay {
        Stay {
            id: Uuid::from_u128(1000 + n),
            room_type_id: Uuid::nil(),
            room_id: Some(Uuid::from_u128(room)),
            arrival: day(arrival),
            departure: day(departure),
            status,
        }
    }

    #[test]
    fn departures_stay_overs_and_arrivals_make_the_days_tasks() {
        use ReservationStatus::*;
        let property = Uuid::from_u128(7);
        let rooms = [
            room(101, Cleaning::Clean, Occupancy::Occupied),   // guest leaves today
            room(102, Cleaning::Clean, Occupancy::Occupied),   // guest stays on
            room(103, Cleaning::Clean, Occupancy::Vacant),     // guest arrives, not inspected
            room(104, Cleaning::Inspected, Occupancy::Vacant), // guest arrives, inspected already
            room(105, Cleaning::Dirty, Occupancy::Occupied),   // turned over today
            room(106, Cleaning::Clean, Occupancy::Vacant),     // nobody
        ];
        let stays = [
            stay(1, 101, 4, 6, CheckedIn),
            stay(2, 102, 4, 8, CheckedIn),
            stay(3, 103, 6, 8, Confirmed),
            stay(4, 104, 6, 8, Confirmed),
            stay(5, 105, 3, 6, CheckedOut),
            stay(6, 105, 6, 9, Confirmed),
            stay(7, 106, 6, 8, Cancelled),
        ];
        let plan = day_plan(property, day(6), &rooms, &stays);
        let got: Vec<(u128, TaskKind, u8)> = plan.iter().map(|t| (t.room_id.as_u128(), t.kind, t.priority)).collect();
        assert_eq!(
            got,
            vec![
                (101, TaskKind::CheckoutClean, 2),
                (102, TaskKind::Stayover, 3),
                (103, TaskKind::Inspection, 1),
                (105, TaskKind::CheckoutClean, 1),
                (105, TaskKind::Inspection, 1),
            ],
            "an inspected room waiting for its guest needs nothing; a cancelled stay makes no task"
        );
    }

    #[test]
    fn two_desks_plan_the_same_tasks_with_the_same_ids() {
        let property = Uuid::from_u128(7);
        let rooms = [room(101, Cleaning::Clean, Occupancy::Occupied)];
        let stays = [stay(1, 101, 4, 6, ReservationStatus::CheckedIn)];
        assert_eq!(day_plan(property, day(6), &rooms, &stays), day_plan(property, day(6), &rooms, &stays));
        assert_ne!(
            task_id(property, day(6), rooms[0].id, TaskKind::CheckoutClean),
            task_id(property, day(7), rooms[0].id, TaskKind::CheckoutClean),
            "each day has its own tasks"
        );
    }
}
