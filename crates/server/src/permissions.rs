//! What each staff role may write and read.
//!
//! Writes are allowed per entity (and, for rooms, per field: the desk and
//! housekeeping change a room's status, only a manager its number or type). Reads
//! are limited per field from the schema's [`Visibility`]: housekeeping and
//! maintenance see rooms, tasks and guest names, not contact details or money.

use sync_core::domain::Role;
use sync_core::protocol::{Mutation, Operation};
use sync_core::schema::Visibility;
use sync_core::{EntityKind, Fields};

/// Room fields that describe its state rather than what it is.
const ROOM_STATUS_FIELDS: &[&str] =
    &["cleaning", "occupancy", "availability", "blocked_from", "blocked_until", "blocked_reason", "return_to"];

/// Whether `role` may make `mutation`; the refusal says why.
pub fn check_write(role: Role, mutation: &Mutation) -> Result<(), String> {
    use EntityKind as E;
    let entity = mutation.entity;
    let allowed = match role {
        Role::Manager => true,
        Role::FrontDesk => {
            matches!(entity, E::Reservation | E::Guest | E::FolioPosting | E::PosOrder | E::ServiceRequest | E::Room)
        }
        Role::Housekeeping => {
            matches!(entity, E::Room | E::HousekeepingTask | E::MaintenanceReport | E::ServiceRequest)
        }
        Role::Maintenance => matches!(entity, E::Room | E::MaintenanceReport),
    };
    let role_name = crate::auth::role_name(role);
    if !allowed {
        return Err(format!("the {role_name} role may not change {entity} records"));
    }
    if entity == E::Room && role != Role::Manager {
        if mutation.op != Operation::Update {
            return Err(format!("the {role_name} role may change a room's status, not create or delete rooms"));
        }
        if let Some(field) = mutation.changes.keys().find(|f| !ROOM_STATUS_FIELDS.contains(&f.as_str())) {
            return Err(format!("the {role_name} role may change a room's status, not its {field}"));
        }
    }
    Ok(())
}

/// Whether `role` may read fields of `visibility`.
pub fn may_read(role: Role, visibility: Visibility) -> bool {
    match visibility {
        Visibility::All => true,
        Visibility::Contact | Visibility::Financial => matches!(role, Role::Manager | Role::FrontDesk),
    }
}

/// Removes the fields of `record` that `role` may not read.
pub fn redact(role: Role, entity: EntityKind, record: &mut Fields) {
    record.retain(|name, _| entity.field(name).is_none_or(|spec| may_read(role, spec.visibility)));
}

/// Whether `role` may read and settle conflicts (they carry both sides' values).
pub fn may_see_conflicts(role: Role) -> bool {
    matches!(role, Role::Manager | Role::FrontDesk)
}

/// Whether `role` may settle `conflict`: a receptionist settles a clash of two
/// emails at the desk; a broken hotel rule (a double booking, a status
/// regression) or anything of high severity waits for a manager.
pub fn may_resolve(role: Role, conflict: &sync_core::Conflict) -> bool {
    match role {
        Role::Manager => true,
        Role::FrontDesk => {
            conflict.kind != sync_core::ConflictKind::BusinessRule && conflict.severity <= sync_core::Severity::Medium
        }
        Role::Housekeeping | Role::Maintenance => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::BTreeMap;
    use sync_core::Hlc;
    use sync_core::protocol::FieldChange;
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
    }

    #[test]
    fn staff_change_a_rooms_status_but_not_what_the_room_is() {
        let clean = mutation(EntityKind::Room, Operation::Update, &["cleaning"]);
        assert!(check_write(Role::Housekeeping, &clean).is_ok(), "housekeeping cleans rooms");
        let renumber = mutation(EntityKind::Room, Operation::Update, &["number"]);
        assert!(check_write(Role::Housekeeping, &renumber).is_err(), "a room number is a manager's call");
        let create = mutation(EntityKind::Room, Operation::Insert, &["cleaning"]);
        assert!(check_write(Role::FrontDesk, &create).is_err(), "rooms are created by managers");
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
