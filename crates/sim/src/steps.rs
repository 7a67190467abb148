//! The random steps: one or two user operations on random devices, then faults
//! and sync activity, and at the end the reconnection to quiescence.
//!
//! Every mutation a device saves is recorded (from its outbox, right after the
//! operation) so the checker can follow it to the server. Operations pick their
//! records from lists in creation order, never from a store's id order, so a seed
//! makes the same choices when it is replayed.

use std::collections::HashSet;

use chrono::NaiveDate;
use frontdesk_device::desk::{Desk, DeskError};
use frontdesk_device::session::Session;
use frontdesk_device::{
    GuestEdit, NewCharge, NewGuest, NewMaintenanceReport, NewPayment, NewReservation, NewServiceRequest, NewTask,
    OutOfOrder, ReservationEdit, RoomBlock,
};
use sync_core::domain::{
    Availability, Cleaning, FolioPosting, HousekeepingTask, IssueSeverity, MaintenanceReport, MaintenanceStatus,
    Occupancy, PaymentMethod, RequestStatus, Reservation, ReservationStatus, Role, Room, ServiceRequest, TaskKind,
    TaskStatus,
};
use sync_core::protocol::{DomainAction, Mutation, Operation, PushRequest};
use sync_core::{EntityKind, Fields, Hlc};
use uuid::Uuid;

use crate::hotel::Hotel;
use crate::rng::Dice;

/// A mutation a device saved, with when and how.
#[derive(Debug, Clone)]
pub struct Saved {
    pub device: usize,
    pub step: usize,
    pub what: String,
    pub mutation: Mutation,
}

/// Faults injected during a run, by kind.
#[derive(Debug, Clone, Default)]
pub struct FaultCounts {
    pub offline_periods: usize,
    /// Rounds cut after part of the outbox was pushed (answer recorded, no pull).
    pub cut_rounds: usize,
    /// Pushes the server committed whose answer never reached the device.
    pub lost_answers: usize,
    /// Earlier push bodies delivered again, late (duplicated and reordered).
    pub replays: usize,
    pub device_kills: usize,
    pub server_kills: usize,
    /// Rounds that failed because the server was unreachable (expected).
    pub failed_rounds: usize,
    /// Deletes pushed by the manager's device.
    pub deletes: usize,
    /// Pairs of devices changing the same thing offline.
    pub clashes: usize,
}

impl FaultCounts {
    /// Adds another run's counts.
    pub fn add(&mut self, other: &FaultCounts) {
        self.offline_periods += other.offline_periods;
        self.cut_rounds += other.cut_rounds;
        self.lost_answers += other.lost_answers;
        self.replays += other.replays;
        self.device_kills += other.device_kills;
        self.server_kills += other.server_kills;
        self.failed_rounds += other.failed_rounds;
        self.deletes += other.deletes;
        self.clashes += other.clashes;
    }
}

/// Guarded reversals the desks attempted: saved, or refused by the device's guards.
#[derive(Debug, Clone, Default)]
pub struct ReversalCounts {
    pub undo_saved: usize,
    pub undo_refused: usize,
    pub reinstate_saved: usize,
    pub reinstate_refused: usize,
    /// Walk-ins checked into the room of a guest another desk was reinstating.
    pub walk_ins: usize,
}

impl ReversalCounts {
    /// Adds another run's counts.
    pub fn add(&mut self, other: &ReversalCounts) {
        self.undo_saved += other.undo_saved;
        self.undo_refused += other.undo_refused;
        self.reinstate_saved += other.reinstate_saved;
        self.reinstate_refused += other.reinstate_refused;
        self.walk_ins += other.walk_ins;
    }

    fn count<T>(&mut self, action: DomainAction, result: &Result<T, DeskError>) {
        let slot = match (action, result.is_ok()) {
            (DomainAction::UndoCheckIn, true) => &mut self.undo_saved,
            (DomainAction::UndoCheckIn, false) => &mut self.undo_refused,
            (_, true) => &mut self.reinstate_saved,
            (_, false) => &mut self.reinstate_refused,
        };
        *slot += 1;
    }
}

/// The simulation's state beside the hotel: chance, the log, and what was saved.
#[derive(Debug)]
pub struct World {
    dice: Dice,
    pub log: Vec<String>,
    pub saved: Vec<Saved>,
    seen: HashSet<Uuid>,
    pub saved_ops: usize,
    pub refused_ops: usize,
    pub faults: FaultCounts,
    pub reversals: ReversalCounts,
    /// Whether desks undo check-ins and reinstate check-outs (see `Options::reversals`).
    with_reversals: bool,
    server_down_until: Option<usize>,
    room_types: Vec<Uuid>,
    /// Rooms by number, with their type.
    rooms: Vec<(Uuid, Uuid)>,
    guests: Vec<Uuid>,
    stays: Vec<Uuid>,
    postings: Vec<Uuid>,
    tasks: Vec<Uuid>,
    reports: Vec<Uuid>,
    requests: Vec<Uuid>,
    staff: Vec<Uuid>,
}

const TAGS: &[&str] = &["vip", "late", "quiet", "family", "allergy"];
const REQUESTS: &[&str] = &["crib", "high floor", "late checkout", "extra towels"];
const RATES: &[&str] = &["BAR", "CORP", "PROMO", "GROUP"];
const CODES: &[&str] = &["ROOM", "MINIBAR", "SPA", "BAR"];

fn field_str(fields: &Fields, name: &str) -> String {
    fields.get(name).and_then(serde_json::Value::as_str).unwrap_or_default().to_owned()
}

fn id_of(fields: &Fields) -> Option<Uuid> {
    fields.get("id").and_then(serde_json::Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

/// Outcome of one user operation, for the log.
type OpResult = Result<String, DeskError>;

impl World {
    /// The lists of the seeded hotel, in a stable order (numbers, codes, names).
    pub async fn new(seed: u64, hotel: &Hotel, with_reversals: bool) -> World {
        let mut world = World {
            dice: Dice::new(seed),
            log: Vec::new(),
            saved: Vec::new(),
            seen: HashSet::new(),
            saved_ops: 0,
            refused_ops: 0,
            faults: FaultCounts::default(),
            reversals: ReversalCounts::default(),
            with_reversals,
            server_down_until: None,
            room_types: Vec::new(),
            rooms: Vec::new(),
            guests: Vec::new(),
            stays: Vec::new(),
            postings: Vec::new(),
            tasks: Vec::new(),
            reports: Vec::new(),
            requests: Vec::new(),
            staff: Vec::new(),
        };
        let Some(Some(desk)) = hotel.devices.get(1).map(|d| d.desk.as_ref()) else {
            return world;
        };
        let store = desk.store();
        let by = |kind: EntityKind, key: &'static [&'static str]| {
            let store = store.clone();
            async move {
                let mut rows: Vec<Fields> = store.all::<Fields>(kind).await.unwrap_or_default();
                rows.sort_by_key(|f| key.iter().map(|k| field_str(f, k)).collect::<Vec<_>>());
                rows
            }
        };
        world.room_types = by(EntityKind::RoomType, &["code"]).await.iter().filter_map(id_of).collect();
        world.rooms = by(EntityKind::Room, &["number"])
            .await
            .iter()
            .filter_map(|f| Some((id_of(f)?, Uuid::parse_str(&field_str(f, "room_type_id")).ok()?)))
            .collect();
        world.guests = by(EntityKind::Guest, &["email"]).await.iter().filter_map(id_of).collect();
        world.stays = by(EntityKind::Reservation, &["confirmation"]).await.iter().filter_map(id_of).collect();
        world.staff = by(EntityKind::StaffUser, &["username"]).await.iter().filter_map(id_of).collect();
        world
    }

    fn note(&mut self, line: String) {
        self.log.push(line);
    }

    /// One step: server and device faults, one user operation (or a clash of two),
    /// then some sync activity with faults.
    pub async fn step(&mut self, hotel: &mut Hotel, step: usize) -> Result<(), String> {
        // The server goes down for a few steps now and then.
        match self.server_down_until {
            Some(until) if step >= until => {
                hotel.start_server().await?;
                self.server_down_until = None;
                self.note(format!("{step}: server restarted on the same file and port"));
            }
            None if self.dice.chance(3) => {
                hotel.kill_server().await;
                let until = step + 1 + self.dice.below(3);
                self.server_down_until = Some(until);
                self.faults.server_kills += 1;
                self.note(format!("{step}: server killed until step {until}"));
            }
            _ => {}
        }
        for index in 0..hotel.devices.len() {
            // A restart signs in again (two password hashes): the dearest fault.
            if self.dice.chance(2) {
                let graceful = self.dice.chance(50);
                hotel.restart_device(index, graceful).await?;
                self.faults.device_kills += 1;
                let how = if graceful { "closed" } else { "killed" };
                self.note(format!("{step}: {} {how} and restarted", hotel.devices[index].name));
            }
            let device = &mut hotel.devices[index];
            if device.offline_until <= step && self.dice.chance(6) {
                device.offline_until = step + 1 + self.dice.below(8);
                self.faults.offline_periods += 1;
                let line = format!("{step}: {} offline until step {}", device.name, device.offline_until);
                self.note(line);
            }
        }

        if self.dice.chance(12) {
            self.clash(hotel, step).await?;
        } else {
            let index = self.dice.below(hotel.devices.len());
            self.operation(hotel, index, step).await?;
        }

        let mut order: Vec<usize> = (0..hotel.devices.len()).collect();
        for i in (1..order.len()).rev() {
            order.swap(i, self.dice.below(i + 1));
        }
        for index in order {
            if self.dice.chance(45) {
                self.sync_activity(hotel, index, step).await?;
            }
        }
        Ok(())
    }

    /// Records the mutations the last operation on device `index` saved.
    async fn record(&mut self, hotel: &Hotel, index: usize, step: usize, what: &str) -> Result<usize, String> {
        let desk = hotel.devices[index].desk()?;
        let batch = desk.store().pending_batch(1_000_000).await.map_err(|e| format!("reading the outbox: {e}"))?;
        let mut count = 0;
        for (_, mutation) in batch {
            if self.seen.insert(mutation.id) {
                count += 1;
                self.saved.push(Saved { device: index, step, what: what.to_owned(), mutation });
            }
        }
        Ok(count)
    }

    /// Runs `result` as a user operation: saved, or refused by the device.
    async fn conclude(
        &mut self,
        hotel: &Hotel,
        index: usize,
        step: usize,
        what: String,
        result: OpResult,
    ) -> Result<(), String> {
        let name = hotel.devices[index].name;
        match result {
            Ok(detail) => {
                let count = self.record(hotel, index, step, &what).await?;
                self.saved_ops += 1;
                self.note(format!("{step}: {name} {what}{detail}: saved ({count} mutations)"));
            }
            Err(err) if err.code() == "storage" => return Err(format!("{name} {what}: the store failed: {err}")),
            Err(err) => {
                self.refused_ops += 1;
                self.note(format!("{step}: {name} {what}: refused ({}: {err})", err.code()));
            }
        }
        Ok(())
    }

    async fn session(hotel: &Hotel, index: usize) -> Result<Session, String> {
        hotel.devices[index].desk()?.session().await.map_err(|e| format!("a session: {e}"))
    }

    fn pick(&mut self, items: &[Uuid]) -> Option<Uuid> {
        self.dice.pick(items).copied()
    }

    /// A record of the list the device has locally and that `keep` accepts, chosen
    /// among them; falls back to any of the list (the device then refuses).
    async fn pick_local<T: serde::de::DeserializeOwned>(
        &mut self,
        desk: &Desk,
        kind: EntityKind,
        items: &[Uuid],
        keep: impl Fn(&T) -> bool,
    ) -> Option<Uuid> {
        let mut fitting = Vec::new();
        for id in items {
            if let Ok(Some(record)) = desk.store().record::<T>(kind, *id).await
                && keep(&record)
            {
                fitting.push(*id);
            }
        }
        if fitting.is_empty() || self.dice.chance(5) { self.pick(items) } else { self.pick(&fitting) }
    }

    async fn operation(&mut self, hotel: &Hotel, index: usize, step: usize) -> Result<(), String> {
        let role = hotel.devices[index].role;
        let desk_work = matches!(role, Role::Manager | Role::FrontDesk);
        // Weights: desk work, room work, the manager's deletes, then the guarded
        // reversals (a check-in or check-out made by mistake, rarer than either).
        // Without reversals their weights are 0 and every roll falls where it did.
        let reversal = u32::from(desk_work && self.with_reversals);
        let weights: [u32; 22] = if desk_work {
            [
                6,
                9,
                9,
                6,
                6,
                2,
                7,
                5,
                2,
                2,
                9,
                6,
                3,
                3,
                2,
                2,
                2,
                1,
                1,
                u32::from(role == Role::Manager) * 5,
                reversal * 2,
                reversal * 2,
            ]
        } else {
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 8, 9, 4, 4, 3, 0, 0, 0]
        };
        let choice = self.dice.weighted(&weights);
        let session = Self::session(hotel, index).await?;
        let desk = hotel.devices[index].desk()?;
        let store = desk.store().clone();
        let today = session.today;
        let (what, result): (String, OpResult) = match choice {
            0 => {
                let n = self.dice.below(10_000);
                let input = NewGuest {
                    first_name: format!("Sim{n}"),
                    last_name: ["Costa", "Berg", "Sato", "Novak"][n % 4].into(),
                    email: Some(format!("g{n}@sim.example")),
                    tags: if self.dice.chance(30) { vec!["vip".into()] } else { Vec::new() },
                    ..NewGuest::default()
                };
                let result = desk.create_guest(input).await.map(|g| {
                    self.guests.push(g.id);
                    format!(" {}", g.id)
                });
                ("creates a guest".into(), result)
            }
            1 => {
                let guest = self.pick(&self.guests.clone()).unwrap_or_default();
                let edit = self.guest_edit();
                let what = format!("edits guest {guest} ({edit:?})");
                (what, desk.update_guest(guest, edit).await.map(|_| String::new()))
            }
            2 => {
                let input = self.new_stay(today, None);
                let what = format!("creates a stay in room {:?} {}..{}", input.room_id, input.arrival, input.departure);
                let result = desk.create_reservation(input).await.map(|r| {
                    self.stays.push(r.id);
                    format!(" {}", r.id)
                });
                (what, result)
            }
            3 => {
                let stay = self.pick(&self.stays.clone()).unwrap_or_default();
                let current = store.record::<Reservation>(EntityKind::Reservation, stay).await.ok().flatten();
                let edit = self.stay_edit(current.as_ref());
                let what = format!("edits stay {stay} ({edit:?})");
                (what, desk.update_reservation(stay, edit).await.map(|_| String::new()))
            }
            4 => {
                let stays = self.stays.clone();
                let stay = self
                    .pick_local::<Reservation>(desk, EntityKind::Reservation, &stays, |r| {
                        matches!(r.status, ReservationStatus::Tentative | ReservationStatus::Confirmed)
                    })
                    .await
                    .unwrap_or_default();
                let room = if self.dice.chance(10) { None } else { self.room_for(desk, stay).await };
                let what = format!("assigns room {room:?} to stay {stay}");
                (what, desk.assign_room(stay, room).await.map(|_| String::new()))
            }
            5 => {
                let stay = self.pick(&self.stays.clone()).unwrap_or_default();
                (format!("confirms stay {stay}"), desk.confirm_reservation(stay).await.map(|_| String::new()))
            }
            6 => {
                let stays = self.stays.clone();
                let stay = self
                    .pick_local::<Reservation>(desk, EntityKind::Reservation, &stays, |r| {
                        r.status == ReservationStatus::Confirmed && r.arrival <= today && r.room_id.is_some()
                    })
                    .await
                    .unwrap_or_default();
                // Often the room is made ready first, as the desk would.
                if self.dice.chance(60)
                    && let Ok(Some(r)) = store.record::<Reservation>(EntityKind::Reservation, stay).await
                    && let Some(room) = r.room_id
                {
                    let result = desk.set_room_status(room, Cleaning::Clean).await.map(|_| String::new());
                    self.conclude(hotel, index, step, format!("cleans room {room}"), result).await?;
                }
                (format!("checks in stay {stay}"), desk.check_in(stay).await.map(|_| String::new()))
            }
            7 => {
                let stays = self.stays.clone();
                let stay = self
                    .pick_local::<Reservation>(desk, EntityKind::Reservation, &stays, |r| {
                        r.status == ReservationStatus::CheckedIn
                    })
                    .await
                    .unwrap_or_default();
                if self.dice.chance(70) {
                    self.settle(hotel, index, step, stay).await?;
                }
                (format!("checks out stay {stay}"), desk.check_out(stay).await.map(|_| String::new()))
            }
            8 => {
                let stay = self.pick(&self.stays.clone()).unwrap_or_default();
                let result = desk.cancel_reservation(stay, Some("guest called")).await.map(|_| String::new());
                (format!("cancels stay {stay}"), result)
            }
            9 => {
                let stay = self.pick(&self.stays.clone()).unwrap_or_default();
                (format!("marks stay {stay} no-show"), desk.mark_no_show(stay).await.map(|_| String::new()))
            }
            10 | 11 => {
                let stays = self.stays.clone();
                let stay = self
                    .pick_local::<Reservation>(desk, EntityKind::Reservation, &stays, |r| !r.status.is_final())
                    .await
                    .unwrap_or_default();
                let amount = self.dice.between(100, 20_000);
                if choice == 10 {
                    let code = (*self.dice.pick(CODES).unwrap_or(&"ROOM")).to_owned();
                    let input = NewCharge {
                        reservation_id: stay,
                        amount_minor: amount,
                        currency: "EUR".into(),
                        description: format!("{code} charge"),
                        code,
                        ..NewCharge::default()
                    };
                    let result = desk.post_charge(input).await.map(|p| {
                        self.postings.push(p.id);
                        format!(" key {}", p.idempotency_key)
                    });
                    (format!("posts a charge of {amount} on stay {stay}"), result)
                } else {
                    let method =
                        *self.dice.pick(&[PaymentMethod::Cash, PaymentMethod::Card]).unwrap_or(&PaymentMethod::Cash);
                    let input = NewPayment {
                        reservation_id: stay,
                        amount_minor: amount,
                        currency: "EUR".into(),
                        method,
                        ..NewPayment::default()
                    };
                    let result = desk.post_payment(input).await.map(|p| {
                        self.postings.push(p.id);
                        format!(" key {}", p.idempotency_key)
                    });
                    (format!("takes a payment of {amount} on stay {stay}"), result)
                }
            }
            12 => {
                let postings = self.postings.clone();
                let posting = self
                    .pick_local::<FolioPosting>(desk, EntityKind::FolioPosting, &postings, |p| p.reverses.is_none())
                    .await
                    .unwrap_or_default();
                let result = desk.reverse_posting(posting, "posted by mistake").await.map(|p| {
                    self.postings.push(p.id);
                    format!(" key {}", p.idempotency_key)
                });
                (format!("corrects posting {posting}"), result)
            }
            13 => {
                let (room, _) = self.dice.pick(&self.rooms).copied().unwrap_or_default();
                let cleaning = *self
                    .dice
                    .pick(&[Cleaning::Dirty, Cleaning::Pickup, Cleaning::Clean, Cleaning::Inspected])
                    .unwrap_or(&Cleaning::Clean);
                let what = format!("sets room {room} {cleaning:?}");
                (what, desk.set_room_status(room, cleaning).await.map(|_| String::new()))
            }
            14 => {
                let (room, _) = self.dice.pick(&self.rooms).copied().unwrap_or_default();
                let kind = *self
                    .dice
                    .pick(&[TaskKind::CheckoutClean, TaskKind::Stayover, TaskKind::Inspection, TaskKind::Turndown])
                    .unwrap_or(&TaskKind::Stayover);
                let assignee = if self.dice.chance(50) { self.pick(&self.staff.clone()) } else { None };
                let priority = u8::try_from(self.dice.between(1, 5)).unwrap_or(3);
                let input = NewTask { room_id: room, kind, assignee_id: assignee, priority, note: None };
                let result = desk.create_task(input).await.map(|t| {
                    self.tasks.push(t.id);
                    format!(" {}", t.id)
                });
                (format!("creates a {kind:?} task in room {room}"), result)
            }
            15 => {
                let tasks = self.tasks.clone();
                let task = self
                    .pick_local::<HousekeepingTask>(desk, EntityKind::HousekeepingTask, &tasks, |_| true)
                    .await
                    .unwrap_or_default();
                if self.dice.chance(20) {
                    let assignee = self.pick(&self.staff.clone());
                    let result = desk.assign_task(task, assignee).await.map(|_| String::new());
                    (format!("assigns task {task} to {assignee:?}"), result)
                } else {
                    let current = store.record::<HousekeepingTask>(EntityKind::HousekeepingTask, task).await;
                    let to = match current.ok().flatten().map(|t| t.status) {
                        Some(TaskStatus::Pending) => TaskStatus::InProgress,
                        Some(TaskStatus::InProgress) => TaskStatus::Done,
                        Some(TaskStatus::Done) if self.dice.chance(70) => TaskStatus::Inspected,
                        Some(TaskStatus::Done) => TaskStatus::Pending,
                        _ => TaskStatus::Done,
                    };
                    let result = desk.progress_task(task, to).await.map(|_| String::new());
                    (format!("moves task {task} to {to:?}"), result)
                }
            }
            16 => {
                if self.dice.chance(50) || self.reports.is_empty() {
                    let (room, _) = self.dice.pick(&self.rooms).copied().unwrap_or_default();
                    let out_of_order = self
                        .dice
                        .chance(35)
                        .then(|| OutOfOrder { until: Some(today + chrono::Duration::days(self.dice.between(1, 3))) });
                    let input = NewMaintenanceReport {
                        room_id: room,
                        description: "leaking tap".into(),
                        severity: IssueSeverity::Medium,
                        out_of_order: out_of_order.clone(),
                    };
                    let result = desk.report_maintenance(input).await.map(|r| {
                        self.reports.push(r.id);
                        format!(" {}", r.id)
                    });
                    (format!("reports maintenance in room {room} (out of order: {out_of_order:?})"), result)
                } else {
                    let reports = self.reports.clone();
                    let report = self
                        .pick_local::<MaintenanceReport>(desk, EntityKind::MaintenanceReport, &reports, |_| true)
                        .await
                        .unwrap_or_default();
                    let to =
                        if self.dice.chance(60) { MaintenanceStatus::Resolved } else { MaintenanceStatus::InProgress };
                    let result =
                        desk.progress_maintenance(report, to, Some("looked at it")).await.map(|_| String::new());
                    (format!("moves report {report} to {to:?}"), result)
                }
            }
            17 => {
                if self.dice.chance(50) || self.requests.is_empty() {
                    let (room, _) = self.dice.pick(&self.rooms).copied().unwrap_or_default();
                    let input = NewServiceRequest { room_id: room, kind: "towels".into(), text: "two more".into() };
                    let result = desk.create_service_request(input).await.map(|r| {
                        self.requests.push(r.id);
                        format!(" {}", r.id)
                    });
                    (format!("records a service request in room {room}"), result)
                } else {
                    let requests = self.requests.clone();
                    let request = self
                        .pick_local::<ServiceRequest>(desk, EntityKind::ServiceRequest, &requests, |_| true)
                        .await
                        .unwrap_or_default();
                    let to = if self.dice.chance(50) { RequestStatus::Acknowledged } else { RequestStatus::Done };
                    let result = desk.progress_service_request(request, to).await.map(|_| String::new());
                    (format!("moves service request {request} to {to:?}"), result)
                }
            }
            18 => {
                let (room, _) = self.dice.pick(&self.rooms).copied().unwrap_or_default();
                let availability = *self
                    .dice
                    .pick(&[Availability::Available, Availability::OutOfService, Availability::Available])
                    .unwrap_or(&Availability::Available);
                let block = RoomBlock {
                    availability,
                    from: None,
                    until: Some(today + chrono::Duration::days(self.dice.between(1, 4))),
                    reason: Some("painting".into()),
                };
                let what = format!("sets room {room} {availability:?}");
                (what, desk.set_room_availability(room, block).await.map(|_| String::new()))
            }
            20 => {
                let stay = match self.undoable_stay(desk, today).await {
                    Some(stay) => stay,
                    // Nothing to undo: the mistake is made first (the wrong guest
                    // checked in), or the desk tries a stay it cannot undo.
                    None => match self.mistaken_check_in(hotel, index, step, today).await? {
                        Some(stay) => stay,
                        None if self.dice.chance(30) => self.pick(&self.stays.clone()).unwrap_or_default(),
                        None => {
                            self.note(format!("{step}: finds no check-in to undo"));
                            return Ok(());
                        }
                    },
                };
                // Postings made since are settled first, as the desk must before undoing.
                if self.dice.chance(70) {
                    self.settle(hotel, index, step, stay).await?;
                }
                let result = desk.undo_check_in(stay).await.map(|_| String::new());
                self.reversals.count(DomainAction::UndoCheckIn, &result);
                (format!("undoes the check-in of stay {stay}"), result)
            }
            21 => {
                let stay = match self.reinstatable_stay(desk, today).await {
                    Some(stay) => stay,
                    // Nothing to reinstate: the wrong guest is checked out first, or
                    // the desk tries a stay it cannot reinstate.
                    None => match self.mistaken_check_out(hotel, index, step, today).await? {
                        Some(stay) => stay,
                        None if self.dice.chance(30) => self.pick(&self.stays.clone()).unwrap_or_default(),
                        None => {
                            self.note(format!("{step}: finds no check-out to reinstate"));
                            return Ok(());
                        }
                    },
                };
                let result = desk.reinstate_check_out(stay).await.map(|_| String::new());
                self.reversals.count(DomainAction::ReinstateCheckOut, &result);
                (format!("reinstates the check-out of stay {stay}"), result)
            }
            _ => return self.delete(hotel, index, step).await,
        };
        self.conclude(hotel, index, step, what, result).await
    }

    /// Two devices change the same thing without seeing each other's change: the
    /// same guest field, the same room for overlapping nights, or the same stay's
    /// status or fields.
    async fn clash(&mut self, hotel: &Hotel, step: usize) -> Result<(), String> {
        self.faults.clashes += 1;
        let (a, b) = if self.dice.chance(50) { (0, 1) } else { (1, 0) };
        let kind = self.dice.below(if self.with_reversals { 5 } else { 4 });
        self.note(format!(
            "{step}: clash of kind {kind} between {} and {}",
            hotel.devices[a].name, hotel.devices[b].name
        ));
        match kind {
            0 => {
                let guest = self.pick(&self.guests.clone()).unwrap_or_default();
                let field = self.dice.below(5);
                for (n, index) in [a, b].into_iter().enumerate() {
                    let value = format!("v{}-{n}", self.dice.below(1000));
                    let edit = match field {
                        0 => GuestEdit { email: Some(Some(format!("{value}@clash.example"))), ..GuestEdit::default() },
                        1 => GuestEdit {
                            phone: Some(Some(format!("+351 9{}", self.dice.below(1_000_000)))),
                            ..GuestEdit::default()
                        },
                        2 => GuestEdit { last_name: Some(format!("Clash{value}")), ..GuestEdit::default() },
                        3 => GuestEdit { loyalty_tier: Some(Some(value.clone())), ..GuestEdit::default() },
                        _ => GuestEdit { add_tags: vec![value.clone()], ..GuestEdit::default() },
                    };
                    let what = format!("clashing edit of guest {guest} ({edit:?})");
                    let desk = hotel.devices[index].desk()?;
                    let result = desk.update_guest(guest, edit).await.map(|_| String::new());
                    self.conclude(hotel, index, step, what, result).await?;
                }
            }
            1 => {
                // Two new stays in one room for overlapping nights.
                let (room, room_type) = self.dice.pick(&self.rooms).copied().unwrap_or_default();
                let offset = self.dice.between(0, 5);
                for index in [a, b] {
                    let session = Self::session(hotel, index).await?;
                    let mut input = self.new_stay(session.today, Some(room_type));
                    input.room_id = Some(room);
                    input.arrival = session.today + chrono::Duration::days(offset + self.dice.between(0, 1));
                    input.departure = input.arrival + chrono::Duration::days(self.dice.between(1, 3));
                    let what = format!("clashing stay in room {room} {}..{}", input.arrival, input.departure);
                    let desk = hotel.devices[index].desk()?;
                    let result = desk.create_reservation(input).await.map(|r| {
                        self.stays.push(r.id);
                        format!(" {}", r.id)
                    });
                    self.conclude(hotel, index, step, what, result).await?;
                }
            }
            2 => {
                // The same stay: one device checks in or edits, the other cancels or edits.
                let stay = self.pick(&self.stays.clone()).unwrap_or_default();
                for index in [a, b] {
                    let desk = hotel.devices[index].desk()?;
                    let (what, result) = match self.dice.below(4) {
                        0 => (format!("clashing cancel of {stay}"), desk.cancel_reservation(stay, None).await),
                        1 => (format!("clashing check-in of {stay}"), desk.check_in(stay).await),
                        2 => {
                            let current =
                                desk.store().record::<Reservation>(EntityKind::Reservation, stay).await.ok().flatten();
                            let edit = self.stay_edit(current.as_ref());
                            (format!("clashing edit of {stay} ({edit:?})"), desk.update_reservation(stay, edit).await)
                        }
                        _ => {
                            let room = self.room_for(hotel.devices[index].desk()?, stay).await;
                            (
                                format!("clashing assignment of room {room:?} to {stay}"),
                                desk.assign_room(stay, room).await,
                            )
                        }
                    };
                    self.conclude(hotel, index, step, what, result.map(|_| String::new())).await?;
                }
            }
            4 => self.reversal_clash(hotel, step, a, b).await?,
            _ => {
                // The same room's status from the desk and from housekeeping.
                let (room, _) = self.dice.pick(&self.rooms).copied().unwrap_or_default();
                for index in [a, 2] {
                    let cleaning = *self
                        .dice
                        .pick(&[Cleaning::Dirty, Cleaning::Clean, Cleaning::Inspected])
                        .unwrap_or(&Cleaning::Clean);
                    let desk = hotel.devices[index].desk()?;
                    let result = desk.set_room_status(room, cleaning).await.map(|_| String::new());
                    self.conclude(hotel, index, step, format!("clashing status {cleaning:?} of room {room}"), result)
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// A guarded reversal on one desk while the other, unaware, works on the same
    /// stay or room: a check-out reinstated while the other desk puts a walk-in in
    /// the room, or a check-in undone while the other desk posts to the folio or
    /// checks the guest out. When the first desk has nothing to reverse, it makes the
    /// mistake first (a morning check-out, the wrong guest checked in) and both desks
    /// sync, as they would, before the clash.
    async fn reversal_clash(&mut self, hotel: &Hotel, step: usize, a: usize, b: usize) -> Result<(), String> {
        let session_a = Self::session(hotel, a).await?;
        let session_b = Self::session(hotel, b).await?;
        let today = session_a.today;
        let desk_a = hotel.devices[a].desk()?;
        let store_a = desk_a.store().clone();
        let desk_b = hotel.devices[b].desk()?;
        let store_b = desk_b.store().clone();
        let stays = self.stays.clone();
        if self.dice.chance(50) {
            // Best a guest who left this morning, whose room can take tonight's walk-in.
            let left_today = |r: &Reservation| {
                r.status == ReservationStatus::CheckedOut && r.departure == today && r.room_id.is_some()
            };
            let mut stay = self.pick_fitting::<Reservation>(desk_a, &stays, 0, left_today).await;
            if stay.is_none() {
                let leaving = self
                    .pick_fitting::<Reservation>(desk_a, &stays, 0, |r| {
                        r.status == ReservationStatus::CheckedIn && r.arrival < today && r.room_id.is_some()
                    })
                    .await;
                if let Some(leaving) = leaving {
                    // A guest due to leave later leaves this morning instead.
                    let due = store_a.record::<Reservation>(EntityKind::Reservation, leaving).await.ok().flatten();
                    if due.is_some_and(|r| r.departure > today) {
                        let edit = ReservationEdit { departure: Some(today), ..ReservationEdit::default() };
                        let result = desk_a.update_reservation(leaving, edit).await.map(|_| String::new());
                        self.conclude(hotel, a, step, format!("moves the departure of {leaving} to today"), result)
                            .await?;
                    }
                    self.settle(hotel, a, step, leaving).await?;
                    let result = desk_a.check_out(leaving).await.map(|_| String::new());
                    let done = result.is_ok();
                    self.conclude(hotel, a, step, format!("checks out stay {leaving} this morning"), result).await?;
                    if done {
                        self.sync_both(hotel, step, [a, b]).await?;
                        stay = Some(leaving);
                    }
                }
            }
            let stay = match stay {
                Some(stay) => stay,
                None => self.reinstatable_stay(desk_a, today).await.unwrap_or_default(),
            };
            let result = desk_a.reinstate_check_out(stay).await.map(|_| String::new());
            self.reversals.count(DomainAction::ReinstateCheckOut, &result);
            self.conclude(hotel, a, step, format!("clashing reinstatement of {stay}"), result).await?;
            // The other desk turns the room round for a walk-in tonight.
            let room = store_b.record::<Reservation>(EntityKind::Reservation, stay).await.ok().flatten();
            let Some((room, room_type)) = room.and_then(|r| Some((r.room_id?, r.room_type_id))) else {
                return Ok(());
            };
            let result = desk_b.set_room_status(room, Cleaning::Clean).await.map(|_| String::new());
            self.conclude(hotel, b, step, format!("cleans room {room} for a walk-in"), result).await?;
            let mut input = self.new_stay(session_b.today, Some(room_type));
            input.room_id = Some(room);
            input.arrival = session_b.today;
            input.departure = session_b.today + chrono::Duration::days(1);
            input.confirmed = true;
            let result = desk_b.create_reservation(input).await.map(|r| {
                self.stays.push(r.id);
                r.id
            });
            let walk_in = result.as_ref().ok().copied();
            let what = format!("books a walk-in in room {room} tonight");
            self.conclude(hotel, b, step, what, result.map(|id| format!(" {id}"))).await?;
            if let Some(walk_in) = walk_in {
                let result = desk_b.check_in(walk_in).await.map(|_| String::new());
                if result.is_ok() {
                    self.reversals.walk_ins += 1;
                }
                self.conclude(hotel, b, step, format!("clashing check-in of walk-in {walk_in}"), result).await?;
            }
        } else {
            let mut stay = self.undoable_stay(desk_a, today).await;
            if stay.is_none() {
                stay = self.mistaken_check_in(hotel, a, step, today).await?;
                if stay.is_some() {
                    self.sync_both(hotel, step, [a, b]).await?;
                }
            }
            let stay = stay.unwrap_or_default();
            let result = desk_a.undo_check_in(stay).await.map(|_| String::new());
            self.reversals.count(DomainAction::UndoCheckIn, &result);
            self.conclude(hotel, a, step, format!("clashing undo of the check-in of {stay}"), result).await?;
            if self.dice.chance(60) {
                let amount = self.dice.between(100, 5_000);
                let input = NewCharge {
                    reservation_id: stay,
                    amount_minor: amount,
                    currency: "EUR".into(),
                    code: "MINIBAR".into(),
                    description: "MINIBAR charge".into(),
                    ..NewCharge::default()
                };
                let result = desk_b.post_charge(input).await.map(|p| {
                    self.postings.push(p.id);
                    format!(" key {}", p.idempotency_key)
                });
                self.conclude(hotel, b, step, format!("clashing charge of {amount} on {stay}"), result).await?;
            } else {
                self.settle(hotel, b, step, stay).await?;
                let result = desk_b.check_out(stay).await.map(|_| String::new());
                self.conclude(hotel, b, step, format!("clashing check-out of {stay}"), result).await?;
            }
        }
        Ok(())
    }

    /// A full round on each of `devices` that is online, as a desk runs every few
    /// seconds (none while the server is down).
    async fn sync_both(&mut self, hotel: &Hotel, step: usize, devices: [usize; 2]) -> Result<(), String> {
        for index in devices {
            if !hotel.server_up() || hotel.devices[index].offline_until > step || !hotel.ensure_online(index).await? {
                continue;
            }
            let name = hotel.devices[index].name;
            match hotel.devices[index].desk()?.sync_once(50).await {
                Ok(report) => {
                    self.note(format!("{step}: {name} syncs: pushed {} pulled {}", report.pushed, report.pulled));
                }
                Err(err) => self.round_failed(name, step, err)?,
            }
        }
        Ok(())
    }

    /// A stay of `items` the device has locally and that `keep` accepts, or none when
    /// none does; `stray` times in a hundred any stay of the list instead (the desk
    /// picks the wrong one, and the device must refuse).
    async fn pick_fitting<T: serde::de::DeserializeOwned>(
        &mut self,
        desk: &Desk,
        items: &[Uuid],
        stray: u32,
        keep: impl Fn(&T) -> bool,
    ) -> Option<Uuid> {
        let mut fitting = Vec::new();
        for id in items {
            if let Ok(Some(record)) = desk.store().record::<T>(EntityKind::Reservation, *id).await
                && keep(&record)
            {
                fitting.push(*id);
            }
        }
        if fitting.is_empty() {
            return None;
        }
        if self.dice.chance(stray) { self.pick(items) } else { self.pick(&fitting) }
    }

    /// A stay the desk may undo the check-in of (in house since today), mostly.
    async fn undoable_stay(&mut self, desk: &Desk, today: NaiveDate) -> Option<Uuid> {
        let stays = self.stays.clone();
        self.pick_fitting::<Reservation>(desk, &stays, 15, |r| {
            r.status == ReservationStatus::CheckedIn && r.arrival == today
        })
        .await
    }

    /// A stay the desk may reinstate (checked out, not past its departure day, its
    /// room free), mostly; now and then one whose room holds another guest.
    async fn reinstatable_stay(&mut self, desk: &Desk, today: NaiveDate) -> Option<Uuid> {
        let rooms: Vec<Room> = desk.store().all(EntityKind::Room).await.unwrap_or_default();
        let occupied: HashSet<Uuid> =
            rooms.iter().filter(|r| r.occupancy == Occupancy::Occupied).map(|r| r.id).collect();
        let even_if_taken = self.dice.chance(25);
        let stays = self.stays.clone();
        self.pick_fitting::<Reservation>(desk, &stays, 15, |r| {
            r.status == ReservationStatus::CheckedOut
                && r.departure >= today
                && (even_if_taken || r.room_id.is_none_or(|room| !occupied.contains(&room)))
        })
        .await
    }

    /// The mistake an undo is for: the wrong guest of today's arrivals checked in
    /// (the room made ready first). Answers the stay, if it was checked in.
    async fn mistaken_check_in(
        &mut self,
        hotel: &Hotel,
        index: usize,
        step: usize,
        today: NaiveDate,
    ) -> Result<Option<Uuid>, String> {
        let desk = hotel.devices[index].desk()?;
        let stays = self.stays.clone();
        let Some(stay) = self
            .pick_fitting::<Reservation>(desk, &stays, 0, |r| {
                r.status == ReservationStatus::Confirmed && r.arrival == today && r.room_id.is_some()
            })
            .await
        else {
            return Ok(None);
        };
        let store = desk.store().clone();
        if let Ok(Some(r)) = store.record::<Reservation>(EntityKind::Reservation, stay).await
            && let Some(room) = r.room_id
        {
            let result = desk.set_room_status(room, Cleaning::Clean).await.map(|_| String::new());
            self.conclude(hotel, index, step, format!("cleans room {room}"), result).await?;
        }
        let result = desk.check_in(stay).await.map(|_| String::new());
        let checked_in = result.is_ok();
        self.conclude(hotel, index, step, format!("checks in stay {stay} (the wrong guest)"), result).await?;
        Ok(checked_in.then_some(stay))
    }

    /// The mistake a reinstatement is for: the wrong in-house guest checked out (the
    /// folio settled first). Answers the stay, if it was checked out.
    async fn mistaken_check_out(
        &mut self,
        hotel: &Hotel,
        index: usize,
        step: usize,
        today: NaiveDate,
    ) -> Result<Option<Uuid>, String> {
        let desk = hotel.devices[index].desk()?;
        let stays = self.stays.clone();
        let Some(stay) = self
            .pick_fitting::<Reservation>(desk, &stays, 0, |r| {
                r.status == ReservationStatus::CheckedIn && r.departure >= today
            })
            .await
        else {
            return Ok(None);
        };
        self.settle(hotel, index, step, stay).await?;
        let result = desk.check_out(stay).await.map(|_| String::new());
        let checked_out = result.is_ok();
        self.conclude(hotel, index, step, format!("checks out stay {stay} (the wrong guest)"), result).await?;
        Ok(checked_out.then_some(stay))
    }

    /// The manager's device deletes a task or a service request. No screen of the
    /// device deletes records, so the delete goes straight to the server (as an
    /// admin tool would), made like a device's mutation.
    async fn delete(&mut self, hotel: &Hotel, index: usize, step: usize) -> Result<(), String> {
        let device = &hotel.devices[index];
        let desk = device.desk()?;
        let (kind, items) = if self.dice.chance(50) {
            (EntityKind::HousekeepingTask, self.tasks.clone())
        } else {
            (EntityKind::ServiceRequest, self.requests.clone())
        };
        let Some(id) = self.pick(&items) else { return Ok(()) };
        let Some(client) = desk.client().await else { return Ok(()) };
        if !hotel.server_up() || device.offline_until > step {
            return Ok(());
        }
        // Only a record the server already has: the device's own unsynced insert
        // would otherwise arrive after the delete that jumped its outbox.
        let Ok(Some((_, Some(version)))) = desk.store().record_fields(kind, id).await else { return Ok(()) };
        let session = Self::session(hotel, index).await?;
        let last = desk.store().last_hlc().await;
        let hlc = Hlc {
            physical_ms: session.now_ms.max(last.physical_ms),
            logical: if session.now_ms > last.physical_ms { 0 } else { last.logical + 1 },
            node: session.device_id,
        };
        let mutation = Mutation {
            id: sync_core::ids::new_id(),
            idempotency_key: sync_core::ids::new_id().to_string(),
            entity: kind,
            record_id: id,
            op: Operation::Delete,
            base_version: Some(version),
            changes: Default::default(),
            hlc,
            device_id: session.device_id,
            user_id: session.user_id,
        };
        let request = PushRequest { protocol: sync_core::PROTOCOL_VERSION, mutations: vec![mutation.clone()] };
        match client.push(&request).await {
            Ok(response) => {
                self.faults.deletes += 1;
                let what = format!("deletes {kind} {id}");
                self.note(format!(
                    "{step}: {} {what}: {:?}",
                    device.name,
                    response.results.first().map(|r| &r.outcome)
                ));
                self.seen.insert(mutation.id);
                self.saved.push(Saved { device: index, step, what, mutation });
                self.saved_ops += 1;
            }
            Err(err) if err.is_transient() => self.note(format!("{step}: {} delete failed: {err}", device.name)),
            Err(err) => return Err(format!("{} delete refused: {err}", device.name)),
        }
        Ok(())
    }

    /// Settles a stay's folio so it can check out: a payment (or charge) of the balance.
    async fn settle(&mut self, hotel: &Hotel, index: usize, step: usize, stay: Uuid) -> Result<(), String> {
        let desk = hotel.devices[index].desk()?;
        let store = desk.store().clone();
        let Ok(folio) = store.folio(stay).await else { return Ok(()) };
        let owed = folio.balance.get("EUR").copied().unwrap_or_default();
        let (what, result) = if owed > 0 {
            let input = NewPayment {
                reservation_id: stay,
                amount_minor: owed,
                currency: "EUR".into(),
                ..NewPayment::default()
            };
            (format!("settles stay {stay} with a payment of {owed}"), desk.post_payment(input).await)
        } else if owed < 0 {
            let input = NewCharge {
                reservation_id: stay,
                amount_minor: -owed,
                currency: "EUR".into(),
                code: "ADJ".into(),
                description: "Balance adjustment".into(),
                ..NewCharge::default()
            };
            (format!("settles stay {stay} with a charge of {}", -owed), desk.post_charge(input).await)
        } else {
            return Ok(());
        };
        let result = result.map(|p| {
            self.postings.push(p.id);
            String::new()
        });
        self.conclude(hotel, index, step, what, result).await
    }

    fn guest_edit(&mut self) -> GuestEdit {
        let n = self.dice.below(1000);
        match self.dice.below(8) {
            0 => GuestEdit { first_name: Some(format!("Edited{n}")), ..GuestEdit::default() },
            1 => GuestEdit { email: Some(Some(format!("e{n}@sim.example"))), ..GuestEdit::default() },
            2 => GuestEdit { phone: Some(Some(format!("+351 91{n:04}"))), ..GuestEdit::default() },
            3 => GuestEdit {
                loyalty_tier: Some(self.dice.pick(&["gold", "silver"]).map(|t| (*t).to_owned())),
                ..GuestEdit::default()
            },
            4 => GuestEdit {
                add_tags: vec![(*self.dice.pick(TAGS).unwrap_or(&"vip")).to_owned()],
                ..GuestEdit::default()
            },
            5 => GuestEdit {
                remove_tags: vec![(*self.dice.pick(TAGS).unwrap_or(&"vip")).to_owned()],
                ..GuestEdit::default()
            },
            6 => GuestEdit { add_preferences: vec![format!("pref{}", n % 5)], ..GuestEdit::default() },
            _ => GuestEdit { add_note: Some(format!("note {n}")), ..GuestEdit::default() },
        }
    }

    fn stay_edit(&mut self, current: Option<&Reservation>) -> ReservationEdit {
        let n = self.dice.below(1000);
        match self.dice.below(7) {
            0 => {
                let arrival = current.map_or_else(|| chrono::Utc::now().date_naive(), |r| r.arrival);
                ReservationEdit {
                    departure: Some(arrival + chrono::Duration::days(self.dice.between(1, 4))),
                    ..ReservationEdit::default()
                }
            }
            1 => ReservationEdit {
                adults: Some(u32::try_from(self.dice.between(1, 4)).unwrap_or(1)),
                ..ReservationEdit::default()
            },
            2 => ReservationEdit {
                rate_code: Some((*self.dice.pick(RATES).unwrap_or(&"BAR")).to_owned()),
                ..ReservationEdit::default()
            },
            3 => ReservationEdit {
                add_requests: vec![(*self.dice.pick(REQUESTS).unwrap_or(&"crib")).to_owned()],
                ..ReservationEdit::default()
            },
            4 => ReservationEdit { add_note: Some(format!("stay note {n}")), ..ReservationEdit::default() },
            5 => ReservationEdit { guest_name: Some(format!("Renamed {n}")), ..ReservationEdit::default() },
            _ => ReservationEdit {
                children: Some(u32::try_from(self.dice.between(0, 2)).unwrap_or(0)),
                ..ReservationEdit::default()
            },
        }
    }

    fn new_stay(&mut self, today: NaiveDate, room_type: Option<Uuid>) -> NewReservation {
        let room_type = room_type.or_else(|| self.pick(&self.room_types.clone())).unwrap_or_default();
        let of_type: Vec<Uuid> = self.rooms.iter().filter(|(_, t)| *t == room_type).map(|(r, _)| *r).collect();
        let arrival = today + chrono::Duration::days(self.dice.between(-1, 6));
        let mut stay = NewReservation {
            guest_id: self.pick(&self.guests.clone()).unwrap_or_default(),
            guest_name: None,
            room_type_id: room_type,
            room_id: if self.dice.chance(60) { self.pick(&of_type) } else { None },
            arrival,
            departure: arrival + chrono::Duration::days(self.dice.between(1, 3)),
            adults: 2,
            children: 0,
            rate_code: (*self.dice.pick(RATES).unwrap_or(&"BAR")).to_owned(),
            source: "phone".into(),
            special_requests: Vec::new(),
            note: None,
            confirmed: self.dice.chance(80),
        };
        // With the reversals, yesterday's arrivals leave today: the morning check-outs
        // whose rooms are turned round for tonight, which a reinstatement runs into.
        if self.with_reversals && arrival < today {
            stay.departure = today;
        }
        stay
    }

    /// A room of the stay's type (any room when the device does not know the stay).
    async fn room_for(&mut self, desk: &Desk, stay: Uuid) -> Option<Uuid> {
        let room_type = desk
            .store()
            .record::<Reservation>(EntityKind::Reservation, stay)
            .await
            .ok()
            .flatten()
            .map(|r| r.room_type_id);
        let of_type: Vec<Uuid> =
            self.rooms.iter().filter(|(_, t)| room_type.is_none_or(|rt| rt == *t)).map(|(r, _)| *r).collect();
        self.pick(&of_type)
    }

    /// Some sync for device `index`, unless it is offline: a full round, a round cut
    /// after part of its push, a push whose answer is lost, or an old push again.
    async fn sync_activity(&mut self, hotel: &mut Hotel, index: usize, step: usize) -> Result<(), String> {
        if hotel.devices[index].offline_until > step {
            return Ok(());
        }
        if !hotel.server_up() {
            // The device tries anyway: its requests go nowhere.
            let name = hotel.devices[index].name;
            let desk = hotel.devices[index].desk()?;
            if desk.client().await.is_some() {
                match desk.sync_once(1 + self.dice.below(6)).await {
                    Ok(_) => return Err(format!("{name} synced with a server that is down")),
                    Err(err) => self.round_failed(name, step, err)?,
                }
            }
            return Ok(());
        }
        if !hotel.ensure_online(index).await? {
            return Ok(());
        }
        let name = hotel.devices[index].name;
        let desk = hotel.devices[index].desk()?;
        let Some(client) = desk.client().await else { return Ok(()) };
        let store = desk.store().clone();
        match self.dice.weighted(&[62, 13, 13, 12]) {
            0 => {
                let batch = 1 + self.dice.below(6);
                match desk.sync_once(batch).await {
                    Ok(report) => self.note(format!(
                        "{step}: {name} syncs (batch {batch}): pushed {} applied {} merged {} conflicts {} rejected {} held {} pulled {}",
                        report.pushed, report.applied, report.merged, report.conflicts, report.rejected, report.held, report.pulled
                    )),
                    Err(err) => self.round_failed(name, step, err)?,
                }
            }
            kind => {
                let sent = &hotel.devices[index].sent;
                let request = if kind == 3 {
                    let Some(request) = self.dice.pick(sent).cloned() else { return Ok(()) };
                    request
                } else {
                    store.requeue(false).await.map_err(|e| format!("requeue: {e}"))?;
                    let limit = u32::try_from(1 + self.dice.below(4)).unwrap_or(1);
                    let batch = store.pending_batch(limit).await.map_err(|e| format!("the outbox: {e}"))?;
                    if batch.is_empty() {
                        return Ok(());
                    }
                    let request = PushRequest {
                        protocol: sync_core::PROTOCOL_VERSION,
                        mutations: batch.iter().map(|(_, m)| m.clone()).collect(),
                    };
                    match client.push(&request).await {
                        Ok(response) if kind == 1 => {
                            // The round got this far and was cut: the answer is recorded, nothing is pulled.
                            if response.results.len() != batch.len() {
                                return Err("the server answered a different number of results".into());
                            }
                            let outcomes: Vec<_> =
                                batch.iter().zip(response.results).map(|((seq, _), r)| (*seq, r.outcome)).collect();
                            store.apply_outcomes(&outcomes).await.map_err(|e| format!("recording outcomes: {e}"))?;
                            self.faults.cut_rounds += 1;
                            self.note(format!("{step}: {name} round cut after pushing {} mutations", batch.len()));
                        }
                        Ok(_) => {
                            self.faults.lost_answers += 1;
                            self.note(format!("{step}: {name} pushed {} mutations, answer lost", batch.len()));
                        }
                        Err(err) if err.is_transient() => {
                            self.faults.failed_rounds += 1;
                            self.note(format!("{step}: {name} push failed: {err}"));
                        }
                        Err(err) => return Err(format!("{name} push refused: {err}")),
                    }
                    request
                };
                if kind == 3 {
                    match client.push(&request).await {
                        Ok(_) => {
                            self.faults.replays += 1;
                            self.note(format!(
                                "{step}: {name} delivered an old push of {} again",
                                request.mutations.len()
                            ));
                        }
                        Err(err) if err.is_transient() => self.faults.failed_rounds += 1,
                        Err(err) => return Err(format!("{name} replay refused: {err}")),
                    }
                } else {
                    let sent = &mut hotel.devices[index].sent;
                    sent.push(request);
                    if sent.len() > 16 {
                        sent.remove(0);
                    }
                }
            }
        }
        Ok(())
    }

    fn round_failed(&mut self, name: &str, step: usize, err: DeskError) -> Result<(), String> {
        match &err {
            DeskError::ServerUnreachable(_) => {
                self.faults.failed_rounds += 1;
                self.note(format!("{step}: {name} round failed: {err}"));
                Ok(())
            }
            _ => Err(format!("{name} round failed for good: {err}")),
        }
    }

    /// Brings the server and every device back, then runs rounds on every device
    /// until no device has anything to push and a whole pass changes nothing.
    pub async fn reconnect_and_settle(&mut self, hotel: &mut Hotel) -> Result<usize, Vec<crate::Problem>> {
        let problem = |detail: String| vec![crate::Problem::new("quiescence", detail)];
        hotel.start_server().await.map_err(problem)?;
        for index in 0..hotel.devices.len() {
            hotel.devices[index].offline_until = 0;
            if !hotel.ensure_online(index).await.map_err(problem)? {
                return Err(problem(format!("{} cannot sign in online", hotel.devices[index].name)));
            }
        }
        self.note("reconnect: everything online".into());
        for round in 1..=30 {
            let mut quiet = true;
            for index in 0..hotel.devices.len() {
                let device = &hotel.devices[index];
                let desk = device.desk().map_err(problem)?;
                let report =
                    desk.sync_once(50).await.map_err(|e| problem(format!("{} round {round}: {e}", device.name)))?;
                // Mutations pushed again only to be held again change nothing.
                if report.pushed > report.held || report.pulled > 0 || report.conflicts_closed > 0 {
                    quiet = false;
                }
                let line = format!(
                    "settle {round}: {} pushed {} applied {} merged {} conflicts {} rejected {} held {} pulled {}",
                    device.name,
                    report.pushed,
                    report.applied,
                    report.merged,
                    report.conflicts,
                    report.rejected,
                    report.held,
                    report.pulled
                );
                self.note(line);
            }
            let mut waiting = 0;
            for device in &hotel.devices {
                let store = device.desk().map_err(problem)?.store().clone();
                let counts = store.outbox_counts().await.map_err(|e| problem(e.to_string()))?;
                // A held mutation waits for a parent that never comes: after
                // everything synced, every parent a device made is on the server.
                waiting += counts.pending + counts.held;
            }
            if quiet && waiting == 0 {
                return Ok(round);
            }
        }
        let mut detail = String::from("no quiescence after 30 rounds:");
        for device in &hotel.devices {
            if let Ok(desk) = device.desk()
                && let Ok(counts) = desk.store().outbox_counts().await
            {
                detail.push_str(&format!(" {} {counts:?};", device.name));
                for entry in desk.store().outbox(1_000).await.unwrap_or_default() {
                    let what = self
                        .saved
                        .iter()
                        .find(|s| s.mutation.id == entry.mutation_id)
                        .map_or_else(String::new, |s| format!("step {} `{}`", s.step, s.what));
                    detail.push_str(&format!(
                        " [{} {} {} {}: {}]",
                        entry.state,
                        entry.entity,
                        entry.record_id,
                        what,
                        entry.last_error.unwrap_or_default()
                    ));
                }
            }
        }
        Err(problem(detail))
    }
}
