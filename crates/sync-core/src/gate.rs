//! The write gate: what every write must pass before it is planned, whoever makes
//! it and by whichever path (a device's push, a conflict resolution, a restore of
//! an old version, an admin command, the desk itself before it saves).
//!
//! It holds the rules that do not depend on other records: who writes (the author
//! and device come from the caller's session, never from the request), what their
//! role may change, the record's property, the fields that name the author, the
//! limits of keys, and the status lifecycle (a status moves only through its
//! actions: a plain update of a stay's status is read as the action it amounts to,
//! so it gets exactly that action's checks). [`crate::plan`] and the invariants of
//! [`crate::invariants`] come after it, over the records the caller loads.

use chrono::NaiveDate;
use serde_json::Value;
use uuid::Uuid;

use crate::access;
use crate::domain::Role;
use crate::invariants::Lifecycle;
use crate::protocol::{FieldChange, Mutation, Operation, RejectCategory};
use crate::schema::{EntityKind, Fields};

/// Longest idempotency key a device may send (a UUID is 36 characters).
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 128;

/// Who writes, as the caller's session says: never taken from a request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub property_id: Uuid,
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
}

/// Why the gate refused a write.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Refusal {
    pub category: RejectCategory,
    pub message: String,
}

impl Refusal {
    fn permission(message: impl Into<String>) -> Self {
        Refusal { category: RejectCategory::Permission, message: message.into() }
    }

    fn invalid(message: impl Into<String>) -> Self {
        Refusal { category: RejectCategory::Validation, message: message.into() }
    }
}

/// Fields that name the person who made a record: they must name the author.
const AUTHOR_FIELDS: &[(EntityKind, &str)] =
    &[(EntityKind::FolioPosting, "posted_by"), (EntityKind::MaintenanceReport, "reported_by")];

/// Statuses a stay is in once its guest has arrived.
const ARRIVED: &[&str] = &["checked_in", "checked_out"];

/// Checks `mutation` by `actor` and brings it to its canonical form: the record's
/// property set to the actor's, and a plain update of a stay's status turned into
/// the action it amounts to. `current` is the record as stored (none: new);
/// `today` is the property's business date.
pub fn admit(
    actor: &Actor,
    mutation: &mut Mutation,
    current: Option<&Fields>,
    today: NaiveDate,
) -> Result<(), Refusal> {
    check_key(&mutation.idempotency_key)?;
    if mutation.device_id != actor.device_id {
        return Err(Refusal::permission("a change is sent by the desk that made it; this one names another desk"));
    }
    if mutation.user_id != actor.user_id {
        return Err(Refusal::permission("a change is credited to the person who made it; this one names someone else"));
    }
    bind_property(actor, mutation)?;
    read_status_move_as_action(mutation)?;
    access::check_write(actor.role, mutation).map_err(Refusal::permission)?;
    for (entity, field) in AUTHOR_FIELDS {
        if mutation.entity == *entity
            && let Some(change) = mutation.changes.get(*field)
            && change.value != Value::String(actor.user_id.to_string())
            && (mutation.op == Operation::Insert || change.value != change.base)
        {
            return Err(Refusal::permission(format!(
                "{entity}.{field} names the person who made the record, and must be the author of the change"
            )));
        }
    }
    if mutation.entity == EntityKind::Reservation {
        check_stay(mutation, current, today)?;
    }
    Ok(())
}

/// An idempotency key: present, short, printable.
pub fn check_key(key: &str) -> Result<(), Refusal> {
    if key.is_empty() || key.chars().count() > MAX_IDEMPOTENCY_KEY_CHARS || key.chars().any(char::is_control) {
        return Err(Refusal::invalid(format!(
            "an idempotency key is 1 to {MAX_IDEMPOTENCY_KEY_CHARS} printable characters"
        )));
    }
    Ok(())
}

/// Every record belongs to the actor's property: a record naming another is
/// refused, a new record naming none gets the actor's.
fn bind_property(actor: &Actor, mutation: &mut Mutation) -> Result<(), Refusal> {
    let property = Value::String(actor.property_id.to_string());
    if mutation.entity == EntityKind::Property {
        return if mutation.record_id == actor.property_id {
            Ok(())
        } else {
            Err(Refusal::permission("a desk may change only its own property"))
        };
    }
    match mutation.changes.get("property_id") {
        Some(change) if change.value != property => Err(Refusal::permission(
            "the record names another property than the desk's; every record belongs to the desk's property",
        )),
        Some(_) => Ok(()),
        None => {
            if mutation.op == Operation::Insert {
                mutation.changes.insert("property_id".into(), FieldChange { base: Value::Null, value: property });
            }
            Ok(())
        }
    }
}

/// A plain update that moves a stay's status is the action of that move (a check-in
/// is a check-in however it is sent); a move no action makes is refused.
fn read_status_move_as_action(mutation: &mut Mutation) -> Result<(), Refusal> {
    if mutation.op != Operation::Update || Lifecycle::of(mutation.entity) != Some(Lifecycle::Reservation) {
        return Ok(());
    }
    let Some(change) = mutation.changes.get("status") else {
        return Ok(());
    };
    let (Some(from), Some(to)) = (change.base.as_str(), change.value.as_str()) else {
        return Ok(()); // a malformed status is refused by the plan's value checks
    };
    if from == to {
        return Ok(());
    }
    match Lifecycle::action_for(from, to) {
        Some(action) => {
            mutation.op = Operation::Action(action);
            Ok(())
        }
        None => Err(Refusal::invalid(format!("a stay's status cannot move from {from} to {to}"))),
    }
}

/// Stays are cancelled, never deleted (their folio and history stay), and a stay
/// is not created in house or gone before it arrives. (A check-in before the
/// arrival is the check-in action's business: kept and flagged as a conflict, as the
/// guest may be in the room already.)
fn check_stay(mutation: &Mutation, current: Option<&Fields>, today: NaiveDate) -> Result<(), Refusal> {
    if mutation.op == Operation::Delete {
        return Err(Refusal::invalid("a stay is never deleted: cancel it instead, so its folio and history stay"));
    }
    let value = |field: &str| {
        mutation
            .changes
            .get(field)
            .map(|c| &c.value)
            .or_else(|| current.and_then(|record| record.get(field)))
            .and_then(Value::as_str)
    };
    let arrived = mutation.op == Operation::Insert && value("status").is_some_and(|s| ARRIVED.contains(&s));
    if arrived
        && let Some(arrival) = value("arrival").and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        && arrival > today
    {
        return Err(Refusal::invalid(format!(
            "a stay arriving on {arrival} cannot be created as checked in or out on {today}, before it arrives"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Hlc;
    use crate::protocol::DomainAction;
    use serde_json::json;
    use std::collections::BTreeMap;

    const PROPERTY: Uuid = Uuid::from_u128(1);
    const DEVICE: Uuid = Uuid::from_u128(2);
    const USER: Uuid = Uuid::from_u128(3);

    fn actor(role: Role) -> Actor {
        Actor { property_id: PROPERTY, device_id: DEVICE, user_id: USER, role }
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 6).expect("date")
    }

    fn mutation(entity: EntityKind, op: Operation, changes: &[(&str, Value, Value)]) -> Mutation {
        Mutation {
            id: Uuid::from_u128(10),
            idempotency_key: "key-1".into(),
            entity,
            record_id: Uuid::from_u128(11),
            op,
            base_version: (op != Operation::Insert).then_some(1),
            changes: changes
                .iter()
                .map(|(f, base, value)| ((*f).to_owned(), FieldChange { base: base.clone(), value: value.clone() }))
                .collect::<BTreeMap<_, _>>(),
            hlc: Hlc::ZERO,
            device_id: DEVICE,
            user_id: USER,
        }
    }

    fn stay(status: &str, arrival: &str) -> Fields {
        json!({"status": status, "arrival": arrival, "departure": "2026-12-20"})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn a_plain_status_update_of_a_stay_is_its_action() {
        let cases = [
            ("tentative", "confirmed", DomainAction::Confirm),
            ("confirmed", "checked_in", DomainAction::CheckIn),
            ("checked_in", "checked_out", DomainAction::CheckOut),
            ("confirmed", "cancelled", DomainAction::Cancel),
            ("confirmed", "no_show", DomainAction::NoShow),
            ("checked_in", "confirmed", DomainAction::UndoCheckIn),
            ("checked_out", "checked_in", DomainAction::ReinstateCheckOut),
        ];
        for (from, to, action) in cases {
            let mut m = mutation(EntityKind::Reservation, Operation::Update, &[("status", json!(from), json!(to))]);
            admit(&actor(Role::FrontDesk), &mut m, Some(&stay(from, "2026-12-06")), today())
                .unwrap_or_else(|err| panic!("{from} -> {to}: {err}"));
            assert_eq!(m.op, Operation::Action(action), "{from} -> {to} gets the checks of {action:?}");
        }
    }

    #[test]
    fn a_status_move_no_action_makes_is_refused() {
        let mut m = mutation(
            EntityKind::Reservation,
            Operation::Update,
            &[("status", json!("confirmed"), json!("checked_out"))],
        );
        let err = admit(&actor(Role::Manager), &mut m, Some(&stay("confirmed", "2026-12-06")), today())
            .expect_err("confirmed cannot jump to checked out");
        assert_eq!(err.category, RejectCategory::Validation);
        assert!(err.message.contains("cannot move from confirmed to checked_out"), "{err}");
    }

    #[test]
    fn a_stay_is_not_created_in_house_before_it_arrives() {
        let mut inserted = mutation(
            EntityKind::Reservation,
            Operation::Insert,
            &[("status", Value::Null, json!("checked_out")), ("arrival", Value::Null, json!("2026-12-09"))],
        );
        assert!(
            admit(&actor(Role::FrontDesk), &mut inserted, None, today()).is_err(),
            "a stay cannot be created as checked out before it arrives"
        );
        let mut imported = mutation(
            EntityKind::Reservation,
            Operation::Insert,
            &[("status", Value::Null, json!("checked_in")), ("arrival", Value::Null, json!("2026-12-04"))],
        );
        assert_eq!(admit(&actor(Role::FrontDesk), &mut imported, None, today()), Ok(()), "an in-house import");
    }

    #[test]
    fn stays_are_cancelled_not_deleted() {
        let mut m = mutation(EntityKind::Reservation, Operation::Delete, &[]);
        let err = admit(&actor(Role::Manager), &mut m, Some(&stay("checked_out", "2026-12-01")), today())
            .expect_err("not even a manager deletes a stay");
        assert!(err.message.contains("cancel it instead"), "{err}");
    }

    #[test]
    fn the_author_and_the_desk_come_from_the_session() {
        let mut other_user = mutation(EntityKind::Guest, Operation::Update, &[("phone", json!(null), json!("1"))]);
        other_user.user_id = Uuid::from_u128(99);
        let err = admit(&actor(Role::FrontDesk), &mut other_user, None, today()).expect_err("another author");
        assert_eq!(err.category, RejectCategory::Permission);
        let mut other_desk = mutation(EntityKind::Guest, Operation::Update, &[("phone", json!(null), json!("1"))]);
        other_desk.device_id = Uuid::from_u128(98);
        assert!(admit(&actor(Role::FrontDesk), &mut other_desk, None, today()).is_err(), "another desk");
    }

    #[test]
    fn a_posting_names_its_author() {
        let posting = |by: Uuid| {
            mutation(
                EntityKind::FolioPosting,
                Operation::Insert,
                &[("posted_by", Value::Null, json!(by)), ("amount_minor", Value::Null, json!(100))],
            )
        };
        assert_eq!(admit(&actor(Role::FrontDesk), &mut posting(USER), None, today()), Ok(()));
        let err = admit(&actor(Role::FrontDesk), &mut posting(Uuid::from_u128(77)), None, today())
            .expect_err("a charge credited to someone else");
        assert!(err.message.contains("posted_by"), "{err}");
    }

    #[test]
    fn records_belong_to_the_session_property() {
        let mut foreign = mutation(
            EntityKind::Guest,
            Operation::Insert,
            &[("property_id", Value::Null, json!(Uuid::from_u128(5))), ("first_name", Value::Null, json!("A"))],
        );
        assert!(admit(&actor(Role::Manager), &mut foreign, None, today()).is_err(), "another hotel's record");
        let mut bare = mutation(EntityKind::Guest, Operation::Insert, &[("first_name", Value::Null, json!("A"))]);
        admit(&actor(Role::FrontDesk), &mut bare, None, today()).expect("admitted");
        assert_eq!(bare.changes["property_id"].value, json!(PROPERTY), "a new record gets the session's property");
    }

    #[test]
    fn keys_are_short_and_printable() {
        for key in [String::new(), "k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1), "a\u{0}b".into()] {
            let mut m = mutation(EntityKind::Guest, Operation::Update, &[("phone", json!(null), json!("1"))]);
            m.idempotency_key = key.clone();
            let err = admit(&actor(Role::FrontDesk), &mut m, None, today()).expect_err("bad key");
            assert_eq!(err.category, RejectCategory::Validation, "{key:?}");
        }
    }

    #[test]
    fn roles_are_checked_after_the_status_move_is_read() {
        let mut m = mutation(
            EntityKind::Reservation,
            Operation::Update,
            &[("status", json!("confirmed"), json!("checked_in"))],
        );
        let err = admit(&actor(Role::Housekeeping), &mut m, Some(&stay("confirmed", "2026-12-06")), today())
            .expect_err("housekeeping checks no one in");
        assert_eq!(err.category, RejectCategory::Permission);
    }
}
