//! The hotel domain of DOMAIN.md as typed records.
//!
//! Records cross the wire and sit in the stores as field maps (see
//! [`crate::schema`]); these structs are the typed view the device, the server and
//! the tests build and read. Field names here are the names in the schema table, so
//! `serde_json::to_value(&reservation)` is a valid record of its kind.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::ids::ConfirmationNumber;

/// A hotel: the tenant every other record belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property {
    pub id: Uuid,
    pub code: String,
    pub name: String,
    /// IANA time zone, e.g. `Europe/Lisbon`: the property's "today".
    pub timezone: String,
    /// ISO 4217 code of the folio currency.
    pub currency: String,
    /// The property's merge policy overrides (the TOML of [`crate::PolicyTable::from_toml`]),
    /// synced so desks rebase their pending edits as the server will merge them.
    #[serde(default)]
    pub policies: Option<String>,
}

/// A kind of room that is sold: the inventory a reservation books.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoomType {
    pub id: Uuid,
    pub property_id: Uuid,
    pub code: String,
    pub name: String,
    pub capacity: u32,
}

/// Cleaning facet of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cleaning {
    Dirty,
    /// A light touch-up of a room that is otherwise clean.
    Pickup,
    Clean,
    Inspected,
}

/// Occupancy facet of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occupancy {
    Vacant,
    Occupied,
}

/// Availability overlay of a room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    Available,
    /// Sellable but not assignable (a broken lamp).
    OutOfService,
    /// Removed from inventory for the dates of [`Room::blocked_from`]..[`Room::blocked_until`].
    OutOfOrder,
}

/// A room and its three independent status facets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Room {
    pub id: Uuid,
    pub property_id: Uuid,
    pub number: String,
    pub room_type_id: Uuid,
    pub floor: i32,
    pub cleaning: Cleaning,
    pub occupancy: Occupancy,
    pub availability: Availability,
    /// First blocked night when out of order or out of service.
    pub blocked_from: Option<NaiveDate>,
    /// Night after the last blocked one (`[from, until)`, like stays); open-ended when empty.
    pub blocked_until: Option<NaiveDate>,
    pub blocked_reason: Option<String>,
    /// Cleaning status the room returns to when the block ends.
    pub return_to: Option<Cleaning>,
}

/// One entry of an append-only note list: notes of two devices are both kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub id: Uuid,
    /// When it was written, by the writer's clock: orders merged notes.
    pub at: Hlc,
    /// Display name of the author.
    pub by: String,
    pub text: String,
}

/// A guest's profile, shared by their stays.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Guest {
    pub id: Uuid,
    pub property_id: Uuid,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub loyalty_number: Option<String>,
    pub loyalty_tier: Option<String>,
    pub preferences: Vec<String>,
    pub notes: Vec<Note>,
    pub tags: Vec<String>,
    /// Device-owned: when the desk last dealt with the guest.
    pub last_interaction_at: Option<Hlc>,
}

/// Where a reservation is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReservationStatus {
    Tentative,
    Confirmed,
    CheckedIn,
    CheckedOut,
    Cancelled,
    NoShow,
}

impl ReservationStatus {
    /// Whether the stay holds its room (invariant 1 counts only live stays).
    pub fn is_live(self) -> bool {
        !matches!(self, ReservationStatus::Cancelled | ReservationStatus::NoShow)
    }

    /// Checked-out, cancelled and no-show stays are read-only.
    pub fn is_final(self) -> bool {
        matches!(self, ReservationStatus::CheckedOut | ReservationStatus::Cancelled | ReservationStatus::NoShow)
    }
}

/// A booking of a room type for the nights `[arrival, departure)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reservation {
    pub id: Uuid,
    pub property_id: Uuid,
    pub confirmation: ConfirmationNumber,
    /// The provisional number a device gave offline (`T-…`), once the server has
    /// replaced it with the property's own (`H-…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provisional_confirmation: Option<ConfirmationNumber>,
    pub guest_id: Uuid,
    /// The guest's name as booked, for lists and for housekeeping (who may not read profiles).
    pub guest_name: String,
    pub room_type_id: Uuid,
    pub room_id: Option<Uuid>,
    pub arrival: NaiveDate,
    pub departure: NaiveDate,
    pub adults: u32,
    pub children: u32,
    pub rate_code: String,
    pub source: String,
    pub special_requests: Vec<String>,
    pub notes: Vec<Note>,
    pub status: ReservationStatus,
}

impl Reservation {
    /// Number of nights booked.
    pub fn nights(&self) -> i64 {
        (self.departure - self.arrival).num_days()
    }
}

/// Whether a posting adds to the guest's debt or pays it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostingKind {
    Charge,
    Payment,
}

/// How a payment was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Cash,
    Card,
    Transfer,
}

/// A charge or payment on a stay's folio. Append-only: corrections are new postings
/// that reverse an earlier one, with a reason. Amounts are in minor units (cents).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolioPosting {
    pub id: Uuid,
    pub property_id: Uuid,
    pub reservation_id: Uuid,
    /// Folio window of the stay (1 unless the stay's bill is split).
    pub window: u32,
    pub kind: PostingKind,
    /// Made on the device that created the posting: one key is one posting, whatever
    /// the retries or devices.
    pub idempotency_key: String,
    pub amount_minor: i64,
    pub currency: String,
    pub code: String,
    pub description: String,
    pub quantity: u32,
    pub method: Option<PaymentMethod>,
    /// The posting this one reverses, for corrections.
    pub reverses: Option<Uuid>,
    pub reason: Option<String>,
    pub posted_by: Uuid,
    pub posted_at: Hlc,
}

/// Kinds of housekeeping work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskKind {
    CheckoutClean,
    Stayover,
    Inspection,
    Turndown,
}

/// Housekeeping task progress; a failed inspection sends a task back to pending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatus {
    Pending,
    InProgress,
    Done,
    Inspected,
}

/// A piece of housekeeping work on a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HousekeepingTask {
    pub id: Uuid,
    pub property_id: Uuid,
    pub room_id: Uuid,
    pub kind: TaskKind,
    pub assignee_id: Option<Uuid>,
    /// 1 (most urgent) to 5.
    pub priority: u8,
    pub status: TaskStatus,
    pub notes: Vec<Note>,
    /// The business date of the housekeeping day the task belongs to (none: a task
    /// made by hand, for whenever it is done).
    #[serde(default)]
    pub day: Option<NaiveDate>,
}

/// How bad a maintenance issue is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueSeverity {
    Low,
    Medium,
    High,
    Urgent,
}

/// Maintenance report progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceStatus {
    Open,
    InProgress,
    Resolved,
}

/// Something broken in a room.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaintenanceReport {
    pub id: Uuid,
    pub property_id: Uuid,
    pub room_id: Uuid,
    pub description: String,
    pub severity: IssueSeverity,
    pub status: MaintenanceStatus,
    /// Whether the report took the room out of order.
    pub puts_out_of_order: bool,
    pub reported_by: Uuid,
    pub notes: Vec<Note>,
}

/// Guest service request progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    New,
    Acknowledged,
    Done,
}

/// A guest's request from the QR code in the room (towels, a late check-out...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceRequest {
    pub id: Uuid,
    pub property_id: Uuid,
    pub room_id: Uuid,
    pub kind: String,
    pub text: String,
    pub status: RequestStatus,
}

/// POS order progress: posted to a folio as a charge, or paid directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PosStatus {
    Open,
    Posted,
    Paid,
    Void,
}

/// One line of a POS order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosLine {
    /// Lines merge by id: two devices adding lines to one open order keep both.
    pub id: Uuid,
    pub item: String,
    pub quantity: u32,
    pub unit_price_minor: i64,
}

/// An order at a bar, restaurant or minibar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosOrder {
    pub id: Uuid,
    pub property_id: Uuid,
    pub outlet: String,
    pub lines: Vec<PosLine>,
    pub currency: String,
    pub status: PosStatus,
    /// The stay it is charged to, when posted to a folio.
    pub reservation_id: Option<Uuid>,
}

impl PosOrder {
    /// Total of the lines in minor units.
    pub fn total_minor(&self) -> i64 {
        self.lines
            .iter()
            .map(|line| line.unit_price_minor.saturating_mul(i64::from(line.quantity)))
            .fold(0, i64::saturating_add)
    }
}

/// A counted stock (linen, minibar items): changed by deltas so counts from two
/// devices add up instead of overwriting each other.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryItem {
    pub id: Uuid,
    pub property_id: Uuid,
    pub sku: String,
    pub name: String,
    pub location: String,
    pub quantity: i64,
}

/// What a member of staff may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Manager,
    FrontDesk,
    Housekeeping,
    Maintenance,
}

/// A member of staff who signs in on the property's devices.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffUser {
    pub id: Uuid,
    pub property_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub active: bool,
}

/// A PC or tablet enrolled to one property.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    pub id: Uuid,
    pub property_id: Uuid,
    pub name: String,
    /// Prefix of the provisional confirmation numbers this device makes offline.
    pub prefix: String,
    pub revoked: bool,
}
