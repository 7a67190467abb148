//! Rooms and the work on them: cleaning and availability status, housekeeping
//! tasks, maintenance reports, guest service requests and inventory counts.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sync_core::domain::{
    Availability, Cleaning, HousekeepingTask, InventoryItem, IssueSeverity, MaintenanceReport, MaintenanceStatus,
    RequestStatus, Room, ServiceRequest, TaskKind, TaskStatus,
};
use sync_core::ids::new_id;
use sync_core::invariants::{Lifecycle, RoomState, Stay};
use sync_core::protocol::Operation;
use sync_core::schema::EntityKind;
use uuid::Uuid;

use super::{json, note, required_text, set, stays_in_room, with_note};
use crate::error::{Error, Result};
use crate::session::Session;
use crate::store::{Action, Store, Stored, fields_of, typed};

/// Taking a room out of inventory (out of order) or out of assignment (out of service).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomBlock {
    pub availability: Availability,
    /// First blocked night; today when absent.
    pub from: Option<NaiveDate>,
    /// Night after the last blocked one; open-ended when absent.
    pub until: Option<NaiveDate>,
    pub reason: Option<String>,
}

/// A new housekeeping task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewTask {
    pub room_id: Uuid,
    pub kind: TaskKind,
    pub assignee_id: Option<Uuid>,
    /// 1 (most urgent) to 5.
    pub priority: u8,
    pub note: Option<String>,
}

/// Putting the room out of order with a maintenance report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutOfOrder {
    pub until: Option<NaiveDate>,
}

/// A new maintenance report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMaintenanceReport {
    pub room_id: Uuid,
    pub description: String,
    pub severity: IssueSeverity,
    /// Also take the room out of order from today.
    pub out_of_order: Option<OutOfOrder>,
}

/// A guest's request from the room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewServiceRequest {
    pub room_id: Uuid,
    pub kind: String,
    pub text: String,
}

/// A new counted stock item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewInventoryItem {
    pub sku: String,
    pub name: String,
    pub location: String,
    pub quantity: i64,
}

fn name_of<T: Serialize>(value: T) -> String {
    match serde_json::to_value(value) {
        Ok(Value::String(name)) => name,
        _ => String::new(),
    }
}

/// Sets a room's availability facet within an action (shared with maintenance).
async fn block_room(action: &mut Action<'_>, stored: &Stored, block: RoomBlock) -> Result<Room> {
    let room: Room = stored.typed()?;
    let mut after = serde_json::Map::new();
    match block.availability {
        Availability::Available => {
            after.insert("availability".into(), json(Availability::Available)?);
            for field in ["blocked_from", "blocked_until", "blocked_reason", "return_to"] {
                after.insert(field.into(), Value::Null);
            }
            if let Some(back) = room.return_to {
                after.insert("cleaning".into(), json(back)?);
            }
        }
        availability => {
            let from = block.from.unwrap_or(action.session.today);
            let reason = block.reason.map(|r| r.trim().to_owned()).filter(|r| !r.is_empty());
            if availability == Availability::OutOfOrder && reason.is_none() {
                return Err(Error::invalid("blocked_reason", "Taking a room out of order needs a reason"));
            }
            // A far date rather than NaiveDate::MAX, whose text form does not sort as a date.
            let until = block.until.or_else(|| NaiveDate::from_ymd_opt(9999, 12, 31)).unwrap_or(from);
            let held: Vec<String> = stays_in_room(&mut *action.tx, room.id, from, until)
                .await?
                .into_iter()
                .filter(|stay| stay.status.is_live() && !stay.status.is_final())
                .map(|stay| stay.confirmation.to_string())
                .collect();
            if !held.is_empty() {
                return Err(Error::rule(format!(
                    "Room {} is booked on those nights ({}): move those stays to another room first",
                    room.number,
                    held.join(", ")
                )));
            }
            after.insert("availability".into(), json(availability)?);
            after.insert("blocked_from".into(), json(from)?);
            after.insert("blocked_until".into(), json(block.until)?);
            after.insert("blocked_reason".into(), json(reason)?);
            after.insert("return_to".into(), json(room.return_to.unwrap_or(room.cleaning))?);
        }
    }
    match action.update(stored, after, Operation::Update).await? {
        Some((_, fields)) => typed(EntityKind::Room, &fields),
        None => Ok(room),
    }
}

/// Refuses a status move the lifecycle of `kind` does not allow.
fn require_step(lifecycle: Lifecycle, from: &str, to: &str, what: &str) -> Result<()> {
    if lifecycle.allows(from, to, None) {
        Ok(())
    } else {
        Err(Error::rule(format!("The {what} is {from}; it cannot move to {to}")))
    }
}

impl Store {
    /// Sets a room's cleaning status (dirty, pickup, clean, inspected).
    pub async fn set_room_cleaning(&self, session: &Session, room_id: Uuid, cleaning: Cleaning) -> Result<Room> {
        session.require(EntityKind::Room, "change room status")?;
        session.require_room_field("cleaning", "change a room's cleaning status")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::Room, room_id, "The room").await?;
        let room = match action.update(&stored, set([("cleaning", json(cleaning)?)]), Operation::Update).await? {
            Some((_, fields)) => typed(EntityKind::Room, &fields)?,
            None => stored.typed()?,
        };
        action.commit().await?;
        Ok(room)
    }

    /// Takes a room out of order or service, or makes it available again.
    pub async fn set_room_availability(&self, session: &Session, room_id: Uuid, block: RoomBlock) -> Result<Room> {
        session.require(EntityKind::Room, "change room availability")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::Room, room_id, "The room").await?;
        let room = block_room(&mut action, &stored, block).await?;
        action.commit().await?;
        Ok(room)
    }

    /// Creates a housekeeping task on a room.
    pub async fn create_task(&self, session: &Session, input: NewTask) -> Result<HousekeepingTask> {
        session.require(EntityKind::HousekeepingTask, "create housekeeping tasks")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        action.get(EntityKind::Room, input.room_id, "The room").await?;
        let notes = match input.note.as_deref() {
            Some(text) => vec![note(&mut action, text)?],
            None => Vec::new(),
        };
        let task = HousekeepingTask {
            id: new_id(),
            property_id: session.property_id,
            room_id: input.room_id,
            kind: input.kind,
            assignee_id: input.assignee_id,
            priority: input.priority,
            status: TaskStatus::Pending,
            notes,
            day: None,
        };
        action.insert(EntityKind::HousekeepingTask, fields_of(&task)?).await?;
        action.commit().await?;
        Ok(task)
    }

    /// Makes the housekeeping day's tasks for the business date: a checkout clean per
    /// departure, a stay-over per guest staying on, an inspection per room a guest
    /// arrives in ([`sync_core::housekeeping::day_plan`]). Each task's id derives from
    /// the day, the room and the kind, so running it again, or on another desk offline,
    /// makes no second set. Answers the tasks it made now.
    pub async fn make_housekeeping_day(&self, session: &Session) -> Result<Vec<HousekeepingTask>> {
        session.require(EntityKind::HousekeepingTask, "make the housekeeping day's tasks")?;
        let day = session.today;
        let mut stays: Vec<Stay> = self.arrivals(day).await?.iter().map(Stay::from).collect();
        stays.extend(self.departures(day).await?.iter().map(Stay::from));
        stays.extend(self.in_house().await?.iter().map(Stay::from));
        let rooms: Vec<RoomState> = self.all::<Room>(EntityKind::Room).await?.iter().map(RoomState::from).collect();
        let plan = sync_core::housekeeping::day_plan(session.property_id, day, &rooms, &stays);
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let mut made = Vec::new();
        for planned in plan {
            if crate::store::load(&mut *action.tx, EntityKind::HousekeepingTask, planned.id).await?.is_some() {
                continue;
            }
            let task = HousekeepingTask {
                id: planned.id,
                property_id: session.property_id,
                room_id: planned.room_id,
                kind: planned.kind,
                assignee_id: None,
                priority: planned.priority,
                status: TaskStatus::Pending,
                notes: Vec::new(),
                day: Some(day),
            };
            action.insert(EntityKind::HousekeepingTask, fields_of(&task)?).await?;
            made.push(task);
        }
        action.commit().await?;
        Ok(made)
    }

    /// Gives a task to a member of staff (or to nobody).
    pub async fn assign_task(
        &self,
        session: &Session,
        task_id: Uuid,
        assignee_id: Option<Uuid>,
    ) -> Result<HousekeepingTask> {
        session.require(EntityKind::HousekeepingTask, "assign housekeeping tasks")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::HousekeepingTask, task_id, "The task").await?;
        let task = match action.update(&stored, set([("assignee_id", json(assignee_id)?)]), Operation::Update).await? {
            Some((_, fields)) => typed(EntityKind::HousekeepingTask, &fields)?,
            None => stored.typed()?,
        };
        action.commit().await?;
        Ok(task)
    }

    /// Moves a task along `pending -> in_progress -> done -> inspected` (or back to
    /// pending when an inspection fails). Done makes a dirty room clean; inspected
    /// makes it inspected, in the same transaction.
    pub async fn progress_task(&self, session: &Session, task_id: Uuid, to: TaskStatus) -> Result<HousekeepingTask> {
        session.require(EntityKind::HousekeepingTask, "progress housekeeping tasks")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::HousekeepingTask, task_id, "The task").await?;
        let mut task: HousekeepingTask = stored.typed()?;
        require_step(Lifecycle::HousekeepingTask, &name_of(task.status), &name_of(to), "task")?;
        action.update(&stored, set([("status", json(to)?)]), Operation::Update).await?;
        let room_cleaning = match (task.status, to, task.kind) {
            (_, TaskStatus::Done, TaskKind::CheckoutClean | TaskKind::Stayover) => Some(Cleaning::Clean),
            (_, TaskStatus::Inspected, _) => Some(Cleaning::Inspected),
            _ => None,
        };
        if let Some(cleaning) = room_cleaning {
            let room = action.get(EntityKind::Room, task.room_id, "The task's room").await?;
            action.update(&room, set([("cleaning", json(cleaning)?)]), Operation::Update).await?;
        }
        action.commit().await?;
        task.status = to;
        Ok(task)
    }

    /// Reports something broken in a room, optionally taking the room out of order
    /// from today (a second mutation of the same transaction).
    pub async fn report_maintenance(
        &self,
        session: &Session,
        input: NewMaintenanceReport,
    ) -> Result<MaintenanceReport> {
        session.require(EntityKind::MaintenanceReport, "report maintenance issues")?;
        let description = required_text(&input.description, "description", "The description")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let room = action.get(EntityKind::Room, input.room_id, "The room").await?;
        let report = MaintenanceReport {
            id: new_id(),
            property_id: session.property_id,
            room_id: input.room_id,
            description: description.clone(),
            severity: input.severity,
            status: MaintenanceStatus::Open,
            puts_out_of_order: input.out_of_order.is_some(),
            reported_by: session.user_id,
            notes: Vec::new(),
        };
        action.insert(EntityKind::MaintenanceReport, fields_of(&report)?).await?;
        if let Some(out) = input.out_of_order {
            let until = out.until.or_else(|| NaiveDate::from_ymd_opt(9999, 12, 31)).unwrap_or(session.today);
            let booked = stays_in_room(&mut *action.tx, room.id, session.today, until)
                .await?
                .into_iter()
                .any(|stay| stay.status.is_live() && !stay.status.is_final());
            // A housekeeper cannot move guests: a booked room's report is recorded at
            // once, and the front desk is asked to move the stays (`rooms_to_clear`)
            // before the room is taken out of order.
            if !booked {
                let block = RoomBlock {
                    availability: Availability::OutOfOrder,
                    from: None,
                    until: out.until,
                    reason: Some(description.chars().take(500).collect()),
                };
                block_room(&mut action, &room, block).await?;
            }
        }
        action.commit().await?;
        Ok(report)
    }

    /// Moves a maintenance report along `open -> in_progress -> resolved`. Resolving a
    /// report that took its room out of order makes the room available again.
    pub async fn progress_maintenance(
        &self,
        session: &Session,
        report_id: Uuid,
        to: MaintenanceStatus,
        note_text: Option<&str>,
    ) -> Result<MaintenanceReport> {
        session.require(EntityKind::MaintenanceReport, "progress maintenance reports")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::MaintenanceReport, report_id, "The maintenance report").await?;
        let mut report: MaintenanceReport = stored.typed()?;
        require_step(Lifecycle::MaintenanceReport, &name_of(report.status), &name_of(to), "report")?;
        let mut after = set([("status", json(to)?)]);
        if let Some(text) = note_text {
            let note = note(&mut action, text)?;
            after.insert("notes".into(), with_note(&stored, note)?);
        }
        action.update(&stored, after, Operation::Update).await?;
        if to == MaintenanceStatus::Resolved && report.puts_out_of_order {
            let room = action.get(EntityKind::Room, report.room_id, "The report's room").await?;
            if room.str("availability") == Some("out_of_order") {
                let block = RoomBlock { availability: Availability::Available, from: None, until: None, reason: None };
                block_room(&mut action, &room, block).await?;
            }
        }
        action.commit().await?;
        report.status = to;
        Ok(report)
    }

    /// Records a guest's service request for a room.
    pub async fn create_service_request(&self, session: &Session, input: NewServiceRequest) -> Result<ServiceRequest> {
        session.require(EntityKind::ServiceRequest, "record service requests")?;
        let request = ServiceRequest {
            id: new_id(),
            property_id: session.property_id,
            room_id: input.room_id,
            kind: required_text(&input.kind, "kind", "The kind of request")?,
            text: input.text.trim().to_owned(),
            status: RequestStatus::New,
        };
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        action.get(EntityKind::Room, input.room_id, "The room").await?;
        action.insert(EntityKind::ServiceRequest, fields_of(&request)?).await?;
        action.commit().await?;
        Ok(request)
    }

    /// Moves a service request along `new -> acknowledged -> done`.
    pub async fn progress_service_request(
        &self,
        session: &Session,
        request_id: Uuid,
        to: RequestStatus,
    ) -> Result<ServiceRequest> {
        session.require(EntityKind::ServiceRequest, "progress service requests")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::ServiceRequest, request_id, "The service request").await?;
        let mut request: ServiceRequest = stored.typed()?;
        require_step(Lifecycle::ServiceRequest, &name_of(request.status), &name_of(to), "request")?;
        action.update(&stored, set([("status", json(to)?)]), Operation::Update).await?;
        action.commit().await?;
        request.status = to;
        Ok(request)
    }

    /// Creates a counted stock item.
    pub async fn create_inventory_item(&self, session: &Session, input: NewInventoryItem) -> Result<InventoryItem> {
        session.require(EntityKind::InventoryItem, "create inventory items")?;
        if input.quantity < 0 {
            return Err(Error::invalid("quantity", "A stock count cannot start below zero"));
        }
        let item = InventoryItem {
            id: new_id(),
            property_id: session.property_id,
            sku: required_text(&input.sku, "sku", "The SKU")?,
            name: required_text(&input.name, "name", "The item name")?,
            location: required_text(&input.location, "location", "The location")?,
            quantity: input.quantity,
        };
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        action.insert(EntityKind::InventoryItem, fields_of(&item)?).await?;
        action.commit().await?;
        Ok(item)
    }

    /// Adds `delta` (negative to take out) to a stock count. The mutation carries the
    /// count before and after, so the server applies the difference on top of
    /// concurrent changes (delta merge) instead of overwriting them.
    pub async fn adjust_inventory(&self, session: &Session, item_id: Uuid, delta: i64) -> Result<InventoryItem> {
        session.require(EntityKind::InventoryItem, "adjust inventory")?;
        if delta == 0 {
            return Err(Error::invalid("quantity", "An adjustment needs a change other than zero"));
        }
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::InventoryItem, item_id, "The inventory item").await?;
        let mut item: InventoryItem = stored.typed()?;
        let quantity = item
            .quantity
            .checked_add(delta)
            .ok_or_else(|| Error::invalid("quantity", "The adjustment is too large"))?;
        if quantity < 0 {
            return Err(Error::rule(format!(
                "Only {} of {} are in stock at {}: cannot take out {}",
                item.quantity,
                item.name,
                item.location,
                delta.unsigned_abs()
            )));
        }
        action.update(&stored, set([("quantity", Value::from(quantity))]), Operation::Update).await?;
        action.commit().await?;
        item.quantity = quantity;
        Ok(item)
    }
}
