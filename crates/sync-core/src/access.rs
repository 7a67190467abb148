//! What each staff role may write and read: one table for the device (which
//! refuses an action before saving it) and the server (which checks every pushed
//! mutation), so work a device accepted is never refused later for its role.
//!
//! Writes are allowed per entity, and for rooms per field: every role that works
//! on rooms changes their status, only a manager their number or type. Reads are
//! limited per field by the schema's [`Visibility`]: housekeeping and maintenance
//! see rooms, tasks and guest names, not contact details or money.

use crate::domain::Role;
use crate::protocol::{Mutation, Operation};
use crate::schema::{EntityKind, Fields, Visibility};

/// Room fields that describe its state rather than what the room is.
pub const ROOM_STATUS_FIELDS: &[&str] =
    &["cleaning", "occupancy", "availability", "blocked_from", "blocked_until", "blocked_reason", "return_to"];

/// The part of a room's state maintenance changes: taking it out of order and back.
pub const ROOM_BLOCK_FIELDS: &[&str] =
    &["availability", "blocked_from", "blocked_until", "blocked_reason", "return_to"];

/// Whether `role` may change `field` of a room.
pub fn may_change_room_field(role: Role, field: &str) -> bool {
    role == Role::Manager || (may_write(role, EntityKind::Room) && room_fields(role).contains(&field))
}

/// The room fields `role` may change (a manager: every one).
fn room_fields(role: Role) -> &'static [&'static str] {
    match role {
        Role::Maintenance => ROOM_BLOCK_FIELDS,
        _ => ROOM_STATUS_FIELDS,
    }
}

/// Whether `role` may change records of `entity` at all (rooms: their status).
///
/// The front desk books, checks in and out and takes money, and also logs what a
/// guest reports at the desk: a housekeeping request, a broken lamp. Housekeeping
/// works rooms, tasks, stock and requests; maintenance its reports and requests.
/// Staff, devices, room types and the property itself are a manager's.
pub fn may_write(role: Role, entity: EntityKind) -> bool {
    use EntityKind as E;
    match role {
        Role::Manager => true,
        Role::FrontDesk => matches!(
            entity,
            E::Reservation
                | E::Guest
                | E::FolioPosting
                | E::PosOrder
                | E::ServiceRequest
                | E::Room
                | E::HousekeepingTask
                | E::MaintenanceReport
                | E::InventoryItem
        ),
        Role::Housekeeping => matches!(
            entity,
            E::Room | E::HousekeepingTask | E::MaintenanceReport | E::ServiceRequest | E::InventoryItem
        ),
        Role::Maintenance => matches!(entity, E::Room | E::MaintenanceReport | E::ServiceRequest),
    }
}

/// The role's name as people read it: "front desk".
pub fn role_label(role: Role) -> &'static str {
    match role {
        Role::Manager => "manager",
        Role::FrontDesk => "front desk",
        Role::Housekeeping => "housekeeping",
        Role::Maintenance => "maintenance",
    }
}

/// Whether `role` may make `mutation`; the refusal says why.
pub fn check_write(role: Role, mutation: &Mutation) -> Result<(), String> {
    let entity = mutation.entity;
    let label = role_label(role);
    if !may_write(role, entity) {
        return Err(format!("the {label} role may not change {entity} records"));
    }
    // Inspecting is passing someone's work: a manager's (a supervisor's, once the role
    // table has one), never the housekeeper's own.
    if role != Role::Manager && marks_inspected(mutation) {
        return Err(format!("only a manager inspects rooms; the {label} role cleans them and marks them done"));
    }
    if entity == EntityKind::Room && role != Role::Manager {
        if mutation.op != Operation::Update {
            return Err(format!("the {label} role may change a room's status, not create or delete rooms"));
        }
        if let Some(field) = mutation.changes.keys().find(|f| !room_fields(role).contains(&f.as_str())) {
            return Err(format!("the {label} role may change a room's status, not its {field}"));
        }
    }
    Ok(())
}

/// Whether the change marks a room or a housekeeping task inspected.
fn marks_inspected(mutation: &Mutation) -> bool {
    let field = match mutation.entity {
        EntityKind::Room => "cleaning",
        EntityKind::HousekeepingTask => "status",
        _ => return false,
    };
    mutation.changes.get(field).is_some_and(|change| change.value == "inspected" && change.base != "inspected")
}

/// Whether `role` may read fields of `visibility`.
pub fn may_read(role: Role, visibility: Visibility) -> bool {
    match visibility {
        Visibility::All => true,
        Visibility::Contact | Visibility::Financial => matches!(role, Role::Manager | Role::FrontDesk),
    }
}

/// Whether `role` may read every field of `entity` ([`redact`] would keep all).
pub fn reads_every_field(role: Role, entity: EntityKind) -> bool {
    entity.fields().iter().all(|spec| may_read(role, spec.visibility))
}

/// Removes the fields of `record` that `role` may not read.
pub fn redact(role: Role, entity: EntityKind, record: &mut Fields) {
    record.retain(|name, _| entity.field(name).is_none_or(|spec| may_read(role, spec.visibility)));
}

/// Takes out of a conflict the values of fields `role` may not read: the contested
/// fields and the device's change keep only what the role may see.
pub fn redact_conflict(role: Role, conflict: &mut crate::Conflict) {
    let entity = conflict.entity;
    let readable = |name: &str| entity.field(name).is_none_or(|spec| may_read(role, spec.visibility));
    conflict.fields.retain(|clash| readable(&clash.field));
    conflict.device_changes.retain(|name, _| readable(name));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hlc;
    use crate::protocol::FieldChange;
    use serde_json::json;
    use std::collections::BTreeMap;
    use uuid::Uuid;

    fn mutation(entity: EntityKind, op: Operation, fields: &[&str]) -> Mutation {
        Mutation {
            id: Uuid::nil(),
            idempotency_key: "k".into(),
            entity,
            record_id: Uuid::nil(),
            op,
            base_version: Some(1),
            changes: fields
                .iter()
                .map(|f| ((*f).to_owned(), FieldChange { base: json!(null), value: json!("x") }))
                .collect::<BTreeMap<_, _>>(),
            hlc: Hlc::ZERO,
            device_id: Uuid::nil(),
            user_id: Uuid::nil(),
        }
    }

    #[test]
    fn roles_write_only_their_entities() {
        let posting = mutation(EntityKind::FolioPosting, Operation::Insert, &["amount_minor"]);
        assert!(check_write(Role::FrontDesk, &posting).is_ok(), "the desk posts charges");
        assert!(check_write(Role::Housekeeping, &posting).is_err(), "housekeeping handles no money");
        let staff = mutation(EntityKind::StaffUser, Operation::Insert, &["username"]);
        assert!(check_write(Role::FrontDesk, &staff).is_err(), "only managers manage staff");
        assert!(check_write(Role::Manager, &staff).is_ok());
        let report = mutation(EntityKind::MaintenanceReport, Operation::Insert, &["summary"]);
        assert!(check_write(Role::FrontDesk, &report).is_ok(), "the desk logs what a guest reports");
        let task = mutation(EntityKind::HousekeepingTask, Operation::Insert, &["kind"]);
        assert!(check_write(Role::Maintenance, &task).is_err(), "maintenance does not plan cleaning");
        assert_eq!(
            check_write(Role::Maintenance, &task).expect_err("refused"),
            "the maintenance role may not change housekeeping_task records"
        );
    }

    #[test]
    fn staff_change_a_rooms_status_but_not_what_the_room_is() {
        let clean = mutation(EntityKind::Room, Operation::Update, &["cleaning"]);
        assert!(check_write(Role::Housekeeping, &clean).is_ok(), "housekeeping cleans rooms");
        let renumber = mutation(EntityKind::Room, Operation::Update, &["number"]);
        assert!(check_write(Role::Housekeeping, &renumber).is_err(), "a room number is a manager's call");
        let create = mutation(EntityKind::Room, Operation::Insert, &["cleaning"]);
        assert!(check_write(Role::FrontDesk, &create).is_err(), "rooms are created by managers");
        assert!(check_write(Role::Maintenance, &clean).is_err(), "maintenance does not clean rooms");
        let block = mutation(EntityKind::Room, Operation::Update, &["availability", "blocked_reason"]);
        assert!(check_write(Role::Maintenance, &block).is_ok(), "maintenance takes a room out of order");
    }

    #[test]
    fn only_a_manager_passes_an_inspection() {
        let inspect = |entity, field: &str| {
            let mut m = mutation(entity, Operation::Update, &[field]);
            m.changes.insert(field.to_owned(), FieldChange { base: json!("done"), value: json!("inspected") });
            m
        };
        for (entity, field) in [(EntityKind::HousekeepingTask, "status"), (EntityKind::Room, "cleaning")] {
            let err = check_write(Role::Housekeeping, &inspect(entity, field)).expect_err("own work");
            assert!(err.contains("only a manager inspects rooms"), "{err}");
            assert!(check_write(Role::FrontDesk, &inspect(entity, field)).is_err(), "the desk does not inspect");
            assert!(check_write(Role::Manager, &inspect(entity, field)).is_ok(), "a manager inspects");
        }
        let mut done = mutation(EntityKind::HousekeepingTask, Operation::Update, &["status"]);
        done.changes.insert("status".into(), FieldChange { base: json!("in_progress"), value: json!("done") });
        assert!(check_write(Role::Housekeeping, &done).is_ok(), "a housekeeper marks their room done");
    }

    #[test]
    fn housekeeping_reads_no_contact_details_or_money() {
        let mut guest = json!({"id": "g", "first_name": "Ada", "email": "ada@example.org", "phone": "1"});
        let record = guest.as_object_mut().expect("object");
        redact(Role::Housekeeping, EntityKind::Guest, record);
        assert_eq!(record.get("first_name"), Some(&json!("Ada")), "names stay");
        assert!(!record.contains_key("email") && !record.contains_key("phone"), "contact details go");
        let mut posting = json!({"id": "p", "amount_minor": 100, "kind": "charge"});
        let record = posting.as_object_mut().expect("object");
        redact(Role::FrontDesk, EntityKind::FolioPosting, record);
        assert!(record.contains_key("amount_minor"), "the desk sees amounts");
        redact(Role::Maintenance, EntityKind::FolioPosting, record);
        assert!(!record.contains_key("amount_minor"), "maintenance does not");
    }
}
