//! Conflict classification and resolution.
//!
//! [`plan`] decides what a pushed mutation does to the server's current record:
//! apply it, merge it, raise a conflict, or refuse it. It needs only the record and
//! a way to ask whether parent records exist; the server loads those, calls it, and
//! persists the plan. Domain invariants that span records (double booking...) are
//! checked afterwards on the planned record with [`crate::invariants`], and turn
//! into a [`ConflictKind::BusinessRule`] conflict through [`Conflict::business_rule`].
//!
//! Nothing a user saved is dropped: a conflict carries the device's whole change,
//! and the server keeps its value of a contested field until a person resolves it.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::hlc::Hlc;
use crate::invariants::{Lifecycle, RuleBreach};
use crate::merge::{Clash, FieldClash, Superseded, merge_record};
use crate::policy::PolicyTable;
use crate::protocol::{FieldChange, Mutation, Operation, RejectCategory};
use crate::schema::{EntityKind, Fields};
use crate::validate::{check_record, check_record_rules, check_value, known_field};

/// What kind of disagreement a conflict is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictKind {
    /// Both sides changed a field to different values and no policy settles it.
    Data,
    /// One side deleted the record, the other changed it.
    DeleteUpdate,
    /// The device changed a record the server does not have.
    MissingEntity,
    /// The record points at a parent the server does not have (yet).
    Dependency,
    /// The merged result breaks an invariant of the domain.
    BusinessRule,
}

impl ConflictKind {
    /// The wire name, for metrics and tables.
    pub fn as_str(self) -> &'static str {
        match self {
            ConflictKind::Data => "data",
            ConflictKind::DeleteUpdate => "delete_update",
            ConflictKind::MissingEntity => "missing_entity",
            ConflictKind::Dependency => "dependency",
            ConflictKind::BusinessRule => "business_rule",
        }
    }
}

/// How urgently a person should look at a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// Who made one side of a conflict, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub hlc: Hlc,
    pub at: DateTime<Utc>,
}

impl Author {
    /// The author of a mutation.
    pub fn of(mutation: &Mutation) -> Self {
        Author {
            device_id: mutation.device_id,
            user_id: mutation.user_id,
            hlc: mutation.hlc,
            at: mutation.hlc.wall_time(),
        }
    }
}

/// Whether a conflict still waits for a decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictStatus {
    Open,
    Resolved,
}

/// A disagreement the server could not settle alone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Conflict {
    pub id: Uuid,
    pub entity: EntityKind,
    pub record_id: Uuid,
    pub kind: ConflictKind,
    pub severity: Severity,
    /// Whether a device may settle it by its configured strategy without asking.
    pub auto_resolvable: bool,
    /// The contested fields with base, device and server values.
    pub fields: Vec<FieldClash>,
    /// The device's side.
    pub device: Author,
    /// The server's side: who wrote the record's current version.
    pub server: Option<Author>,
    pub mutation_id: Uuid,
    /// The device's whole change, so nothing it saved is lost.
    pub device_changes: BTreeMap<String, FieldChange>,
    pub base_version: Option<u64>,
    pub server_version: Option<u64>,
    /// For business-rule conflicts: the broken rule and the data to resolve it.
    pub rule: Option<RuleBreach>,
    /// One sentence for the conflict list.
    pub summary: String,
    pub status: ConflictStatus,
}

/// The server's current state of one record, as [`plan`] needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerRecord {
    pub version: u64,
    pub fields: Fields,
    /// Deleted records stay as tombstones so a late update can be told apart from a
    /// record that never existed.
    pub deleted: bool,
    /// Time of the last write of each field, for last-writer-wins.
    pub field_clocks: BTreeMap<String, Hlc>,
    /// Who wrote the current version.
    pub last: Author,
}

/// What to do with one mutation.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Write `record` (insert or update). `merged` when concurrent server changes
    /// were merged in; `conflict` when some fields wait for a person while the rest
    /// are written; `superseded`: the device's values a policy settled against, for
    /// the record's history.
    Write {
        record: Fields,
        changed: Vec<String>,
        merged: bool,
        conflict: Option<Box<Conflict>>,
        superseded: Vec<Superseded>,
    },
    /// Tombstone the record.
    Delete,
    /// Nothing to change (a delete of a deleted record, an identical insert).
    Unchanged,
    /// Write nothing; store the conflict.
    Conflict(Box<Conflict>),
    /// Refuse the mutation; write nothing.
    Reject { category: RejectCategory, message: String },
}

fn reject(message: impl Into<String>) -> Plan {
    Plan::Reject { category: RejectCategory::Validation, message: message.into() }
}

/// A conflict about `mutation`, before the caller gives it the server's side.
fn conflict(mutation: &Mutation, kind: ConflictKind, severity: Severity, summary: String) -> Conflict {
    Conflict {
        id: conflict_id(mutation, kind),
        entity: mutation.entity,
        record_id: mutation.record_id,
        kind,
        severity,
        auto_resolvable: false,
        fields: Vec::new(),
        device: Author::of(mutation),
        server: None,
        mutation_id: mutation.id,
        device_changes: mutation.changes.clone(),
        base_version: mutation.base_version,
        server_version: None,
        rule: None,
        summary,
        status: ConflictStatus::Open,
    }
}

/// Conflict ids derive from the mutation, so a replayed push names the same conflict.
fn conflict_id(mutation: &Mutation, kind: ConflictKind) -> Uuid {
    Uuid::new_v5(&mutation.id, kind.as_str().as_bytes())
}

impl Conflict {
    /// A business-rule conflict raised by the record a mutation produced.
    pub fn business_rule(
        mutation: &Mutation,
        breach: RuleBreach,
        server: Option<Author>,
        server_version: Option<u64>,
    ) -> Self {
        let severity = match breach {
            RuleBreach::CheckOutWithBalance { .. }
            | RuleBreach::UndoneWithBalance { .. }
            | RuleBreach::PostingOverCorrected { .. }
            | RuleBreach::PostingOnClosedFolio { .. } => Severity::Critical,
            RuleBreach::OccupancyMismatch { .. } => Severity::Medium,
            _ => Severity::High,
        };
        let mut c = conflict(mutation, ConflictKind::BusinessRule, severity, breach.describe());
        c.id = Uuid::new_v5(&mutation.id, format!("business_rule/{}", breach.describe()).as_bytes());
        c.rule = Some(breach);
        c.server = server;
        c.server_version = server_version;
        c
    }
}

/// Decides what `mutation` does to `current` (none: the server never had the record).
/// `parent_exists(kind, id)` answers whether the server has a live parent record.
pub fn plan(
    mutation: &Mutation,
    current: Option<&ServerRecord>,
    policies: &PolicyTable,
    parent_exists: impl Fn(EntityKind, Uuid) -> bool,
) -> Plan {
    let kind = mutation.entity;
    if let Err(message) = check_changes(mutation) {
        return reject(message);
    }
    match mutation.op {
        Operation::Insert => plan_insert(mutation, current, policies, &parent_exists),
        Operation::Update | Operation::Action(_) => {
            if kind.is_append_only() {
                return reject(format!("{kind} records are append-only: post a reversing correction instead"));
            }
            plan_update(mutation, current, policies, &parent_exists)
        }
        Operation::Delete => {
            if kind.is_append_only() {
                return reject(format!("{kind} records are append-only: post a reversing correction instead"));
            }
            plan_delete(mutation, current)
        }
    }
}

/// Shape checks of the change set, before anything is compared.
fn check_changes(mutation: &Mutation) -> Result<(), String> {
    let kind = mutation.entity;
    for (field, change) in &mutation.changes {
        let spec = known_field(kind, field).map_err(|err| err.message)?;
        check_value(kind, spec, &change.value).map_err(|err| err.message)?;
        if field == "id" && change.value != Value::String(mutation.record_id.to_string()) {
            return Err(format!("{kind}.id must equal the mutation's record id"));
        }
        if !spec.mutable && mutation.op != Operation::Insert && change.value != change.base {
            return Err(format!("{kind}.{field} cannot change after the record is created"));
        }
    }
    match mutation.op {
        Operation::Delete if !mutation.changes.is_empty() => Err("a delete carries no field changes".into()),
        Operation::Update | Operation::Action(_) if mutation.base_version.is_none() => {
            Err("an update needs the base version the device edited".into())
        }
        Operation::Action(action) => {
            if Lifecycle::of(kind) != Some(Lifecycle::Reservation) {
                return Err(format!("{action:?} is an action on reservations, not on {kind}"));
            }
            let (target, _) = Lifecycle::action_target(action);
            match mutation.changes.get("status") {
                Some(change) if change.value == target => Ok(()),
                _ => Err(format!("the {action:?} action must set status to {target}")),
            }
        }
        _ => Ok(()),
    }
}

fn missing_parents(
    mutation: &Mutation,
    record: &Fields,
    parent_exists: &impl Fn(EntityKind, Uuid) -> bool,
) -> Vec<(String, EntityKind, Uuid)> {
    mutation
        .entity
        .parents()
        .filter_map(|(field, parent)| {
            let id = record.get(field)?.as_str().and_then(|s| Uuid::parse_str(s).ok())?;
            let touched = mutation.changes.contains_key(field);
            (touched && !parent_exists(parent, id)).then(|| (field.to_owned(), parent, id))
        })
        .collect()
}

fn dependency_conflict(mutation: &Mutation, missing: &[(String, EntityKind, Uuid)]) -> Plan {
    let names: Vec<String> = missing.iter().map(|(field, parent, id)| format!("{field} → {parent} {id}")).collect();
    let mut c = conflict(
        mutation,
        ConflictKind::Dependency,
        Severity::Low,
        format!("Waiting for a record this one points at: {}", names.join(", ")),
    );
    c.auto_resolvable = true;
    Plan::Conflict(Box::new(c))
}

fn plan_insert(
    mutation: &Mutation,
    current: Option<&ServerRecord>,
    policies: &PolicyTable,
    parent_exists: &impl Fn(EntityKind, Uuid) -> bool,
) -> Plan {
    let kind = mutation.entity;
    let mut record: Fields = mutation.changes.iter().map(|(k, c)| (k.clone(), c.value.clone())).collect();
    record.insert("id".into(), Value::String(mutation.record_id.to_string()));
    if let Err(err) = check_record(kind, &record) {
        return reject(err.message);
    }
    match current {
        Some(existing) if !existing.deleted => {
            if existing.fields == record {
                return Plan::Unchanged;
            }
            // The same id inserted twice with different content: merge it as an
            // update of everything, so contested fields follow their policies.
            plan_update(
                &Mutation { op: Operation::Update, base_version: Some(existing.version), ..mutation.clone() },
                current,
                policies,
                parent_exists,
            )
        }
        Some(_) => {
            let mut c = conflict(
                mutation,
                ConflictKind::DeleteUpdate,
                Severity::Medium,
                format!("This {kind} was deleted on the server; the device created it again"),
            );
            fill_server_side(&mut c, current);
            Plan::Conflict(Box::new(c))
        }
        None => {
            let missing = missing_parents(mutation, &record, parent_exists);
            if !missing.is_empty() {
                return dependency_conflict(mutation, &missing);
            }
            let changed = record.keys().cloned().collect();
            Plan::Write { record, changed, merged: false, conflict: None, superseded: Vec::new() }
        }
    }
}

fn fill_server_side(c: &mut Conflict, current: Option<&ServerRecord>) {
    if let Some(current) = current {
        c.server = Some(current.last.clone());
        c.server_version = Some(current.version);
    }
}

fn status_of(record: &Fields) -> Option<&str> {
    record.get("status").and_then(Value::as_str)
}

fn plan_update(
    mutation: &Mutation,
    current: Option<&ServerRecord>,
    policies: &PolicyTable,
    parent_exists: &impl Fn(EntityKind, Uuid) -> bool,
) -> Plan {
    let kind = mutation.entity;
    let Some(current) = current else {
        let mut c = conflict(
            mutation,
            ConflictKind::MissingEntity,
            Severity::Medium,
            format!("The server has no such {kind}: the change waits until it is re-created or discarded"),
        );
        c.auto_resolvable = true;
        return Plan::Conflict(Box::new(c));
    };
    if current.deleted {
        let mut c = conflict(
            mutation,
            ConflictKind::DeleteUpdate,
            Severity::Medium,
            format!("This {kind} was deleted on the server while the device changed it"),
        );
        fill_server_side(&mut c, Some(current));
        return Plan::Conflict(Box::new(c));
    }
    let action = match mutation.op {
        Operation::Action(action) => Some(action),
        _ => None,
    };
    let lifecycle = Lifecycle::of(kind);

    // The device's own move must be a legal one, whatever the server did meanwhile.
    if let (Some(lifecycle), Some(change)) = (lifecycle, mutation.changes.get("status")) {
        let (from, to) = (change.base.as_str().unwrap_or_default(), change.value.as_str().unwrap_or_default());
        if !change.base.is_null() && !lifecycle.allows(from, to, action) {
            return reject(format!("{kind} status cannot move from {from} to {to}"));
        }
    }

    let merge = merge_record(
        kind,
        policies,
        &mutation.changes,
        &current.fields,
        &current.field_clocks,
        current.last.hlc,
        mutation.hlc,
    );
    let mut record = merge.record;
    let mut changed = merge.changed;
    let mut clashes = merge.clashes;
    let mut breach = None;

    if let (Some(lifecycle), Some(change)) = (lifecycle, mutation.changes.get("status")) {
        let server_status = status_of(&current.fields).unwrap_or_default().to_owned();
        let wanted = change.value.as_str().unwrap_or_default();
        let landed = status_of(&record).unwrap_or_default();
        if landed != wanted {
            // Both moved the status. A move the lifecycle still allows from where the
            // server is now is honoured; any other is a business-rule conflict, never a
            // silent loss of, say, a cancellation.
            if lifecycle.allows(&server_status, wanted, action) {
                record.insert("status".into(), Value::String(wanted.to_owned()));
                if !changed.iter().any(|f| f == "status") {
                    changed.push("status".into());
                }
            } else {
                breach = Some(RuleBreach::StatusRegression { from: server_status.clone(), to: wanted.to_owned() });
                // The server's value stays as it is, even one an older version left
                // missing or malformed: a conflict writes nothing of its own.
                match current.fields.get("status") {
                    Some(status) => record.insert("status".into(), status.clone()),
                    None => record.remove("status"),
                };
                changed.retain(|f| f != "status");
                clashes.push(FieldClash {
                    field: "status".into(),
                    base: change.base.clone(),
                    device: change.value.clone(),
                    server: current.fields.get("status").cloned().unwrap_or(Value::Null),
                    clash: Clash::BothChanged,
                });
            }
        }
    }

    // Checked-out, cancelled and no-show stays are read-only (bar guarded reversals).
    if kind == EntityKind::Reservation && breach.is_none() {
        let server_status = status_of(&current.fields).unwrap_or_default();
        let final_status = matches!(server_status, "checked_out" | "cancelled" | "no_show");
        let reversal = action == Some(crate::protocol::DomainAction::ReinstateCheckOut);
        let edits_other_fields = mutation.changes.keys().any(|f| f != "status");
        if final_status && !reversal && edits_other_fields {
            let base_status = mutation.changes.get("status").map(|c| c.base.clone());
            let device_knew = base_status.is_none_or(|b| b == server_status);
            if device_knew && mutation.base_version == Some(current.version) {
                return reject(format!("the stay is {server_status} and can no longer be changed"));
            }
            let mut c = conflict(
                mutation,
                ConflictKind::BusinessRule,
                Severity::High,
                format!("The stay became {server_status} on another device while this one changed it"),
            );
            c.rule = Some(RuleBreach::ReadOnlyRecord { status: server_status.to_owned() });
            c.fields = mutation
                .changes
                .iter()
                .map(|(field, change)| FieldClash {
                    field: field.clone(),
                    base: change.base.clone(),
                    device: change.value.clone(),
                    server: current.fields.get(field).cloned().unwrap_or(Value::Null),
                    clash: Clash::BothChanged,
                })
                .collect();
            fill_server_side(&mut c, Some(current));
            return Plan::Conflict(Box::new(c));
        }
    }

    // Only what this mutation changed is checked: a contested field keeps the
    // server's value, whatever shape an older version left it in.
    let valid = changed
        .iter()
        .filter_map(|field| Some((kind.field(field)?, record.get(field)?)))
        .try_for_each(|(spec, value)| check_value(kind, spec, value))
        .and_then(|()| check_record_rules(kind, &record));
    if let Err(err) = valid {
        return reject(format!("the merged record is not valid: {}", err.message));
    }
    let missing = missing_parents(mutation, &record, parent_exists);
    if !missing.is_empty() {
        return dependency_conflict(mutation, &missing);
    }

    let conflict = (!clashes.is_empty()).then(|| {
        let (kind_of, severity, summary) = match &breach {
            Some(b) => (ConflictKind::BusinessRule, Severity::High, b.describe()),
            None => {
                let names: Vec<&str> = clashes.iter().map(|c| c.field.as_str()).collect();
                let severity = if names.iter().any(|n| n.ends_with("_id")) { Severity::Medium } else { Severity::Low };
                (ConflictKind::Data, severity, format!("Both sides changed {} of this {kind}", names.join(", ")))
            }
        };
        let mut c = conflict(mutation, kind_of, severity, summary);
        c.auto_resolvable = breach.is_none()
            && clashes.iter().all(|c| matches!(c.clash, Clash::BothChanged))
            && severity == Severity::Low;
        c.rule = breach.clone();
        c.fields = std::mem::take(&mut clashes);
        fill_server_side(&mut c, Some(current));
        Box::new(c)
    });
    let mut superseded = merge.superseded;
    // A status the lifecycle honoured or refused is not the policy's doing.
    superseded.retain(|s| s.field != "status" || lifecycle.is_none());
    // An edit that lost every field it changed still makes a version: its values
    // live on in the history, and its desk learns that it lost.
    if changed.is_empty() && superseded.is_empty() {
        return match conflict {
            Some(c) => Plan::Conflict(c),
            None => Plan::Unchanged,
        };
    }
    let merged = !merge.settled.is_empty() || mutation.base_version != Some(current.version);
    Plan::Write { record, changed, merged, conflict, superseded }
}

fn plan_delete(mutation: &Mutation, current: Option<&ServerRecord>) -> Plan {
    match current {
        None => Plan::Unchanged,
        Some(current) if current.deleted => Plan::Unchanged,
        Some(current) if mutation.base_version.is_some_and(|base| base < current.version) => {
            let kind = mutation.entity;
            let mut c = conflict(
                mutation,
                ConflictKind::DeleteUpdate,
                Severity::Medium,
                format!("This {kind} was changed on the server while the device deleted it"),
            );
            fill_server_side(&mut c, Some(current));
            Plan::Conflict(Box::new(c))
        }
        Some(_) => Plan::Delete,
    }
}

/// How a person settles a conflict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "choice", rename_all = "snake_case", deny_unknown_fields)]
pub enum ResolutionChoice {
    /// The device's values for the contested fields (or its whole change).
    KeepDevice {},
    /// The server's values: nothing changes.
    KeepServer {},
    /// Field by field: for each contested field, `device` or `server`.
    PerField { pick: BTreeMap<String, Side> },
    /// Values typed by the person.
    Custom { values: Fields },
    /// For a double booking: move the stay to a free room.
    MoveStay { room_id: Uuid },
}

/// One side of a conflict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Device,
    Server,
}

/// Why a resolution cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ResolveError(pub String);

/// The field values a resolution writes onto the record's current state (an empty
/// map writes nothing). The result is validated like any change.
pub fn resolution_values(conflict: &Conflict, choice: &ResolutionChoice) -> Result<Fields, ResolveError> {
    let device_values = || -> Fields {
        if conflict.fields.is_empty() {
            conflict.device_changes.iter().map(|(k, c)| (k.clone(), c.value.clone())).collect()
        } else {
            conflict.fields.iter().map(|c| (c.field.clone(), c.device.clone())).collect()
        }
    };
    let values = match choice {
        ResolutionChoice::KeepDevice {} => device_values(),
        ResolutionChoice::KeepServer {} => Fields::new(),
        ResolutionChoice::PerField { pick } => {
            let mut values = Fields::new();
            for clash in &conflict.fields {
                let side = pick.get(&clash.field).ok_or_else(|| {
                    ResolveError(format!("choose the device's or the server's value for {}", clash.field))
                })?;
                values.insert(
                    clash.field.clone(),
                    match side {
                        Side::Device => clash.device.clone(),
                        Side::Server => clash.server.clone(),
                    },
                );
            }
            if let Some(extra) = pick.keys().find(|f| !conflict.fields.iter().any(|c| &c.field == *f)) {
                return Err(ResolveError(format!("{extra} is not one of the fields in conflict")));
            }
            values
        }
        ResolutionChoice::Custom { values } => {
            for (field, value) in values {
                let spec = known_field(conflict.entity, field).map_err(|e| ResolveError(e.message))?;
                if !spec.mutable {
                    return Err(ResolveError(format!("{field} cannot be changed")));
                }
                check_value(conflict.entity, spec, value).map_err(|e| ResolveError(e.message))?;
            }
            values.clone()
        }
        ResolutionChoice::MoveStay { room_id } => {
            let free = match &conflict.rule {
                Some(RuleBreach::DoubleBooking { free_rooms, .. } | RuleBreach::RoomUnavailable { free_rooms, .. }) => {
                    free_rooms
                }
                _ => {
                    return Err(ResolveError(
                        "moving the stay only resolves a double booking or a blocked room".into(),
                    ));
                }
            };
            if !free.iter().any(|room| room.room_id == *room_id) {
                return Err(ResolveError("that room is not among the free rooms for those nights".into()));
            }
            Fields::from_iter([("room_id".to_owned(), Value::String(room_id.to_string()))])
        }
    };
    Ok(values)
}

#[cfg(test)]
mod tests;
