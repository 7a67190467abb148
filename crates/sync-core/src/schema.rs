//! The declarative table of entities and their fields.
//!
//! For every kind of record: each field's type, whether it may be empty, whether a
//! device may change it after creation, who may read it, and its default merge
//! policy. Validation, merging, redaction for roles and the causal order of a push
//! all read this one table, so adding a field is one line here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::policy::MergePolicy::{self, *};

/// A record as it crosses the wire and sits in the stores: field name to value.
pub type Fields = Map<String, Value>;

/// Every kind of record the stores hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntityKind {
    Property,
    RoomType,
    Room,
    Guest,
    Reservation,
    FolioPosting,
    HousekeepingTask,
    MaintenanceReport,
    ServiceRequest,
    PosOrder,
    InventoryItem,
    StaffUser,
    Device,
}

impl EntityKind {
    /// Every kind, in causal order: a parent kind comes before the kinds that point at it.
    pub const ALL: [EntityKind; 13] = [
        EntityKind::Property,
        EntityKind::RoomType,
        EntityKind::StaffUser,
        EntityKind::Device,
        EntityKind::Room,
        EntityKind::Guest,
        EntityKind::InventoryItem,
        EntityKind::Reservation,
        EntityKind::FolioPosting,
        EntityKind::HousekeepingTask,
        EntityKind::MaintenanceReport,
        EntityKind::ServiceRequest,
        EntityKind::PosOrder,
    ];

    /// The name used on the wire, in tables and in policy files.
    pub fn as_str(self) -> &'static str {
        match self {
            EntityKind::Property => "property",
            EntityKind::RoomType => "room_type",
            EntityKind::Room => "room",
            EntityKind::Guest => "guest",
            EntityKind::Reservation => "reservation",
            EntityKind::FolioPosting => "folio_posting",
            EntityKind::HousekeepingTask => "housekeeping_task",
            EntityKind::MaintenanceReport => "maintenance_report",
            EntityKind::ServiceRequest => "service_request",
            EntityKind::PosOrder => "pos_order",
            EntityKind::InventoryItem => "inventory_item",
            EntityKind::StaffUser => "staff_user",
            EntityKind::Device => "device",
        }
    }

    /// Position in causal order: push mutations sorted by it (stably, so a record's
    /// own edits stay in order) and a guest always reaches the server before its
    /// reservation, and a reservation before its charges.
    pub fn causal_rank(self) -> usize {
        EntityKind::ALL.iter().position(|kind| *kind == self).unwrap_or(usize::MAX)
    }

    /// The field table of this kind.
    pub fn fields(self) -> &'static [FieldSpec] {
        match self {
            EntityKind::Property => PROPERTY,
            EntityKind::RoomType => ROOM_TYPE,
            EntityKind::Room => ROOM,
            EntityKind::Guest => GUEST,
            EntityKind::Reservation => RESERVATION,
            EntityKind::FolioPosting => FOLIO_POSTING,
            EntityKind::HousekeepingTask => HOUSEKEEPING_TASK,
            EntityKind::MaintenanceReport => MAINTENANCE_REPORT,
            EntityKind::ServiceRequest => SERVICE_REQUEST,
            EntityKind::PosOrder => POS_ORDER,
            EntityKind::InventoryItem => INVENTORY_ITEM,
            EntityKind::StaffUser => STAFF_USER,
            EntityKind::Device => DEVICE,
        }
    }

    /// One field's spec, if the kind has it.
    pub fn field(self, name: &str) -> Option<&'static FieldSpec> {
        self.fields().iter().find(|spec| spec.name == name)
    }

    /// Whether records of this kind are append-only (never updated or deleted).
    pub fn is_append_only(self) -> bool {
        self == EntityKind::FolioPosting
    }

    /// The fields that point at a parent record: `(field, parent kind)`.
    pub fn parents(self) -> impl Iterator<Item = (&'static str, EntityKind)> {
        self.fields().iter().filter_map(|spec| match spec.ty {
            FieldType::Ref(parent) if spec.name != "property_id" => Some((spec.name, parent)),
            _ => None,
        })
    }

    /// The lifecycle of the kind's `status` field, if it has one.
    pub fn lifecycle(self) -> Option<crate::invariants::Lifecycle> {
        crate::invariants::Lifecycle::of(self)
    }
}

impl fmt::Display for EntityKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a text names no entity kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown entity `{0}` (known: property, room_type, room, guest, reservation, folio_posting, housekeeping_task, maintenance_report, service_request, pos_order, inventory_item, staff_user, device)"
)]
pub struct UnknownEntity(pub String);

impl FromStr for EntityKind {
    type Err = UnknownEntity;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        EntityKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownEntity(s.chars().take(60).collect()))
    }
}

/// The shape of a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldType {
    /// The record's own UUID.
    Id,
    /// A UUID pointing at a record of another kind.
    Ref(EntityKind),
    /// A UUID of a person or device outside the synced records' parent chain.
    Uuid,
    /// Free text of at most this many characters.
    Text(usize),
    /// An integer within bounds.
    Int {
        min: i64,
        max: i64,
    },
    Bool,
    /// A calendar date, `YYYY-MM-DD`.
    Date,
    /// A hybrid logical clock timestamp.
    Hlc,
    /// A confirmation number (`H-2026-0042` or `T-K7Q-0001`).
    Confirmation,
    /// One of a fixed set of names.
    Enum(&'static [&'static str]),
    /// A list of distinct texts (tags, preferences, special requests).
    TextSet,
    /// A list of notes, each `{id, at, by, text}`.
    NoteList,
    /// A list of objects each carrying a unique `id` (POS order lines).
    KeyedList,
}

impl FieldType {
    /// A short description for error messages: "must be <this>".
    pub fn describe(&self) -> String {
        match self {
            FieldType::Id | FieldType::Uuid => "a UUID".into(),
            FieldType::Ref(kind) => format!("the UUID of a {kind}"),
            FieldType::Text(max) => format!("text of at most {max} characters"),
            FieldType::Int { min, max } => format!("a whole number from {min} to {max}"),
            FieldType::Bool => "true or false".into(),
            FieldType::Date => "a date as YYYY-MM-DD".into(),
            FieldType::Hlc => "a clock timestamp".into(),
            FieldType::Confirmation => "a confirmation number like H-2026-0042".into(),
            FieldType::Enum(values) => format!("one of {}", values.join(", ")),
            FieldType::TextSet => "a list of texts".into(),
            FieldType::NoteList => {
                "a list of at most 500 notes {id, at, by, text} (text up to 4,000 characters, 200,000 bytes in all)"
                    .into()
            }
            FieldType::KeyedList => {
                "a list of at most 500 flat objects each with an id (texts up to 200 characters)".into()
            }
        }
    }
}

/// Who may read a field (write permissions are per entity and action, elsewhere).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Visibility {
    /// Every role.
    All,
    /// Contact details: not shown to housekeeping or maintenance.
    Contact,
    /// Money: not shown to housekeeping or maintenance.
    Financial,
}

/// One field of an entity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    pub name: &'static str,
    pub ty: FieldType,
    /// Whether `null` is a valid value.
    pub nullable: bool,
    /// Whether a device may change it after the record was created.
    pub mutable: bool,
    pub visibility: Visibility,
    /// The default merge policy of DOMAIN.md; a property may override it.
    pub policy: MergePolicy,
}

const fn field(name: &'static str, ty: FieldType, policy: MergePolicy) -> FieldSpec {
    FieldSpec { name, ty, nullable: false, mutable: true, visibility: Visibility::All, policy }
}

impl FieldSpec {
    const fn optional(self) -> Self {
        FieldSpec { nullable: true, ..self }
    }
    const fn fixed(self) -> Self {
        FieldSpec { mutable: false, ..self }
    }
    const fn contact(self) -> Self {
        FieldSpec { visibility: Visibility::Contact, ..self }
    }
    const fn financial(self) -> Self {
        FieldSpec { visibility: Visibility::Financial, ..self }
    }
}

const ID: FieldSpec = field("id", FieldType::Id, ServerWins).fixed();
const PROPERTY_ID: FieldSpec = field("property_id", FieldType::Ref(EntityKind::Property), ServerWins).fixed();
const NOTES: FieldSpec = field("notes", FieldType::NoteList, Append);

const fn text(max: usize) -> FieldType {
    FieldType::Text(max)
}
const fn int(min: i64, max: i64) -> FieldType {
    FieldType::Int { min, max }
}

/// Largest amount on one posting: ten million in major units.
pub const MAX_AMOUNT_MINOR: i64 = 1_000_000_000;

/// Cleaning facet values.
pub const CLEANING: &[&str] = &["dirty", "pickup", "clean", "inspected"];
/// Availability overlay values.
pub const AVAILABILITY: &[&str] = &["available", "out_of_service", "out_of_order"];
/// Reservation lifecycle values.
pub const RESERVATION_STATUS: &[&str] =
    &["tentative", "confirmed", "checked_in", "checked_out", "cancelled", "no_show"];
/// Housekeeping task lifecycle values.
pub const TASK_STATUS: &[&str] = &["pending", "in_progress", "done", "inspected"];
/// Maintenance report lifecycle values.
pub const MAINTENANCE_STATUS: &[&str] = &["open", "in_progress", "resolved"];
/// Service request lifecycle values.
pub const REQUEST_STATUS: &[&str] = &["new", "acknowledged", "done"];
/// POS order lifecycle values.
pub const POS_STATUS: &[&str] = &["open", "posted", "paid", "void"];
/// Staff roles.
pub const ROLES: &[&str] = &["manager", "front_desk", "housekeeping", "maintenance"];

const PROPERTY: &[FieldSpec] = &[
    ID,
    field("code", text(16), ServerWins),
    field("name", text(200), ServerWins),
    field("timezone", text(64), ServerWins),
    field("currency", text(3), ServerWins),
    field("policies", text(20_000), ServerWins).optional(),
];

const ROOM_TYPE: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("code", text(16), ServerWins),
    field("name", text(200), ServerWins),
    field("capacity", int(1, 50), ServerWins),
];

const ROOM: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("number", text(16), ServerWins),
    field("room_type_id", FieldType::Ref(EntityKind::RoomType), ServerWins),
    field("floor", int(-10, 300), ServerWins),
    field("cleaning", FieldType::Enum(CLEANING), Priority),
    field("occupancy", FieldType::Enum(&["vacant", "occupied"]), LastWriterWins),
    field("availability", FieldType::Enum(AVAILABILITY), Priority),
    field("blocked_from", FieldType::Date, LastWriterWins).optional(),
    field("blocked_until", FieldType::Date, LastWriterWins).optional(),
    field("blocked_reason", text(500), LastWriterWins).optional(),
    field("return_to", FieldType::Enum(CLEANING), LastWriterWins).optional(),
];

const GUEST: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("first_name", text(100), ServerWins),
    field("last_name", text(100), ServerWins),
    field("email", text(254), Manual).optional().contact(),
    field("phone", text(40), Manual).optional().contact(),
    field("loyalty_number", text(40), ServerWins).optional(),
    field("loyalty_tier", text(40), ServerWins).optional(),
    field("preferences", FieldType::TextSet, SetMerge),
    NOTES,
    field("tags", FieldType::TextSet, SetMerge),
    field("last_interaction_at", FieldType::Hlc, DeviceWins).optional(),
];

const RESERVATION: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("confirmation", FieldType::Confirmation, ServerWins),
    // The number a device gave offline, kept when the server gives the official one
    // so a guest who was told it is still found.
    field("provisional_confirmation", FieldType::Confirmation, ServerWins).optional(),
    field("guest_id", FieldType::Ref(EntityKind::Guest), ServerWins),
    field("guest_name", text(200), ServerWins),
    field("room_type_id", FieldType::Ref(EntityKind::RoomType), ServerWins),
    field("room_id", FieldType::Ref(EntityKind::Room), Manual).optional(),
    field("arrival", FieldType::Date, ServerWins),
    field("departure", FieldType::Date, ServerWins),
    field("adults", int(1, 20), LastWriterWins),
    field("children", int(0, 20), LastWriterWins),
    field("rate_code", text(32), ServerWins),
    field("source", text(64), LastWriterWins),
    field("special_requests", FieldType::TextSet, SetMerge),
    NOTES,
    field("status", FieldType::Enum(RESERVATION_STATUS), ServerWins),
];

const FOLIO_POSTING: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("reservation_id", FieldType::Ref(EntityKind::Reservation), AppendOnlyUnion).fixed(),
    field("window", int(1, 9), AppendOnlyUnion).fixed(),
    field("kind", FieldType::Enum(&["charge", "payment"]), AppendOnlyUnion).fixed(),
    field("idempotency_key", text(100), AppendOnlyUnion).fixed(),
    field("amount_minor", int(-MAX_AMOUNT_MINOR, MAX_AMOUNT_MINOR), AppendOnlyUnion).fixed().financial(),
    field("currency", text(3), AppendOnlyUnion).fixed().financial(),
    field("code", text(32), AppendOnlyUnion).fixed().financial(),
    field("description", text(200), AppendOnlyUnion).fixed().financial(),
    field("quantity", int(1, 10_000), AppendOnlyUnion).fixed().financial(),
    field("method", FieldType::Enum(&["cash", "card", "transfer"]), AppendOnlyUnion).optional().fixed().financial(),
    field("reverses", FieldType::Ref(EntityKind::FolioPosting), AppendOnlyUnion).optional().fixed(),
    field("reason", text(500), AppendOnlyUnion).optional().fixed(),
    field("posted_by", FieldType::Uuid, AppendOnlyUnion).fixed(),
    field("posted_at", FieldType::Hlc, AppendOnlyUnion).fixed(),
];

const HOUSEKEEPING_TASK: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("room_id", FieldType::Ref(EntityKind::Room), ServerWins),
    field("kind", FieldType::Enum(&["checkout_clean", "stayover", "inspection", "turndown"]), ServerWins),
    field("assignee_id", FieldType::Uuid, LastWriterWins).optional(),
    field("priority", int(1, 5), LastWriterWins),
    field("status", FieldType::Enum(TASK_STATUS), ServerWins),
    NOTES,
    field("day", FieldType::Date, ServerWins).optional().fixed(),
];

const MAINTENANCE_REPORT: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("room_id", FieldType::Ref(EntityKind::Room), ServerWins),
    field("description", text(2000), LastWriterWins),
    field("severity", FieldType::Enum(&["low", "medium", "high", "urgent"]), LastWriterWins),
    field("status", FieldType::Enum(MAINTENANCE_STATUS), ServerWins),
    field("puts_out_of_order", FieldType::Bool, LastWriterWins),
    field("reported_by", FieldType::Uuid, ServerWins).fixed(),
    NOTES,
];

const SERVICE_REQUEST: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("room_id", FieldType::Ref(EntityKind::Room), ServerWins),
    field("kind", text(64), ServerWins),
    field("text", text(2000), LastWriterWins),
    field("status", FieldType::Enum(REQUEST_STATUS), ServerWins),
];

const POS_ORDER: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("outlet", text(64), ServerWins),
    field("lines", FieldType::KeyedList, AppendOnlyUnion).financial(),
    field("currency", text(3), ServerWins).financial(),
    field("status", FieldType::Enum(POS_STATUS), ServerWins),
    field("reservation_id", FieldType::Ref(EntityKind::Reservation), Manual).optional(),
];

const INVENTORY_ITEM: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("sku", text(64), ServerWins),
    field("name", text(200), LastWriterWins),
    field("location", text(200), LastWriterWins),
    field("quantity", int(-1_000_000_000, 1_000_000_000), Delta),
];

const STAFF_USER: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("username", text(64), ServerWins),
    field("display_name", text(200), ServerWins),
    field("role", FieldType::Enum(ROLES), ServerWins),
    field("active", FieldType::Bool, ServerWins),
];

const DEVICE: &[FieldSpec] = &[
    ID,
    PROPERTY_ID,
    field("name", text(200), ServerWins),
    field("prefix", text(6), ServerWins),
    field("revoked", FieldType::Bool, ServerWins),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_by_name_and_has_id_first() {
        for kind in EntityKind::ALL {
            assert_eq!(kind.as_str().parse::<EntityKind>(), Ok(kind));
            assert_eq!(kind.fields()[0].name, "id", "{kind}: the id comes first");
            let mut names: Vec<_> = kind.fields().iter().map(|spec| spec.name).collect();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), kind.fields().len(), "{kind}: field names are unique");
        }
        let err = "booking".parse::<EntityKind>().expect_err("unknown");
        assert!(err.to_string().contains("unknown entity `booking`"));
    }

    #[test]
    fn parents_come_before_children_in_causal_order() {
        for kind in EntityKind::ALL {
            for (field, parent) in kind.parents() {
                if parent != kind {
                    assert!(
                        parent.causal_rank() < kind.causal_rank(),
                        "{kind}.{field} points at {parent}, which must sync first"
                    );
                }
            }
        }
        assert!(EntityKind::Guest.causal_rank() < EntityKind::Reservation.causal_rank());
        assert!(EntityKind::Reservation.causal_rank() < EntityKind::FolioPosting.causal_rank());
    }
}
