//! Conflicts: list the open ones, read one, resolve one. A resolution writes the
//! chosen values as a new version of the record, logged like any change so every
//! device receives it, and closes the conflict.

use serde::{Deserialize, Serialize};
use sync_core::Fields;
use sync_core::conflict::{Conflict, ConflictStatus, ResolutionChoice, resolution_values};
use sync_core::protocol::{Outcome, RejectCategory};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Session;
use crate::error::AppError;
use crate::permissions;
use crate::push::OnBehalf;
use crate::store;

/// Most conflicts one list answers.
const LIST_LIMIT: u32 = 500;

/// `GET /v1/conflicts` query.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConflictFilter {
    /// `open` or `resolved`; all when absent.
    pub status: Option<String>,
}

/// Conflicts of a list.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConflictList {
    pub conflicts: Vec<Conflict>,
}

/// What a resolution did.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resolved {
    pub conflict: Conflict,
    /// The record's new version, when the resolution changed it.
    pub version: Option<u64>,
    pub record: Option<Fields>,
}

fn require_reader(session: &Session) -> Result<(), AppError> {
    if permissions::may_see_conflicts(session.role) {
        Ok(())
    } else {
        Err(AppError::forbidden("conflicts are for managers and the front desk"))
    }
}

/// A conflict id from the path.
pub fn parse_id(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text).map_err(|_| {
        AppError::bad_request(
            "bad_id",
            format!("`{}` is not a conflict id (a UUID)", text.chars().take(40).collect::<String>()),
        )
    })
}

/// Lists the caller's property's conflicts.
pub async fn list(state: &AppState, session: &Session, filter: &ConflictFilter) -> Result<ConflictList, AppError> {
    require_reader(session)?;
    let status = match filter.status.as_deref() {
        None => None,
        Some(status @ ("open" | "resolved")) => Some(status),
        Some(other) => {
            return Err(AppError::bad_request(
                "bad_status",
                format!("status is `open` or `resolved`, not `{}`", other.chars().take(40).collect::<String>()),
            ));
        }
    };
    let conflicts = store::list_conflicts(state.store.pool(), session.property_id, status, LIST_LIMIT).await?;
    Ok(ConflictList { conflicts })
}

/// Reads one conflict of the caller's property.
pub async fn get(state: &AppState, session: &Session, id: Uuid) -> Result<Conflict, AppError> {
    require_reader(session)?;
    let mut conn = state.store.pool().acquire().await?;
    store::load_conflict(&mut conn, session.property_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("this property has no conflict with that id"))
}

/// Resolves a conflict: managers any, the front desk the data conflicts of low or
/// medium severity (two emails, two phone numbers), never a broken hotel rule.
///
/// The chosen values are written through the write gate like a pushed change (the
/// resolver's role, the lifecycle, the invariants): a choice that breaks a rule is
/// refused and writes nothing. A business-rule conflict closes only when its rule
/// holds afterwards (a double booking by moving or cancelling a stay).
pub async fn resolve(
    state: &AppState,
    session: &Session,
    id: Uuid,
    choice: ResolutionChoice,
) -> Result<Resolved, AppError> {
    let now_ms = store::millis((state.now)());
    let mut write = state.store.begin_write().await?;
    let on_behalf = OnBehalf::open(state, session, &mut write.tx).await?;
    let mut conflict = store::load_conflict(&mut write.tx, session.property_id, id)
        .await?
        .ok_or_else(|| AppError::not_found("this property has no conflict with that id"))?;
    if !permissions::may_resolve(session.role, &conflict) {
        return Err(AppError::forbidden(
            "only a manager resolves business-rule and high-severity conflicts; the front desk resolves the others",
        ));
    }
    if conflict.status == ConflictStatus::Resolved {
        return Err(AppError::conflict("already_resolved", "this conflict was resolved already"));
    }
    let values = resolution_values(&conflict, &choice)
        .map_err(|err| AppError::unprocessable("bad_resolution", err.to_string()))?;

    let (entity, record_id) = (conflict.entity, conflict.record_id);
    let mut written = None;
    if !values.is_empty() {
        // A record the server never had cannot be rebuilt from one edit.
        let current = on_behalf.record(&mut write.tx, entity, record_id).await?.ok_or_else(|| {
            AppError::conflict(
                "record_missing",
                "the server never had this record, so an edit of it cannot be kept: keep the server's side, \
                 and make the record again on a desk that has it",
            )
        })?;
        if current.deleted {
            on_behalf.revive(entity, record_id, &current);
        }
        let change = on_behalf.change(entity, record_id, &current, &values, format!("resolve:{id}"))?;
        if !change.changes.is_empty() {
            written = match on_behalf.write(&mut write.tx, change).await? {
                Outcome::Applied { version } | Outcome::Merged { version, .. } => Some(version),
                Outcome::Conflict { conflict: raised, .. } => {
                    return Err(AppError::unprocessable(
                        "rule_broken",
                        format!("this choice breaks a hotel rule, so nothing was changed: {}", raised.summary),
                    ));
                }
                Outcome::Rejected { category: RejectCategory::Permission, message } => {
                    return Err(AppError::forbidden(message));
                }
                Outcome::Rejected { message, .. } => return Err(AppError::unprocessable("bad_resolution", message)),
            };
        }
    }
    if let Some(why) = on_behalf.still_broken(&mut write.tx, &conflict).await? {
        return Err(AppError::unprocessable("rule_still_broken", why));
    }
    let record = match written {
        Some(_) => on_behalf.record(&mut write.tx, entity, record_id).await?.map(|r| r.fields),
        None => None,
    };
    conflict.status = ConflictStatus::Resolved;
    let resolution = serde_json::to_value(&choice).map_err(AppError::internal)?;
    store::resolve_conflict(&mut write.tx, session.property_id, &conflict, &resolution, session.user_id, now_ms)
        .await?;
    let last_seq = on_behalf.finish(&mut write.tx).await?;
    write.commit().await?;
    if let Some(last_seq) = last_seq {
        state.changed(session.property_id, last_seq);
    }
    let record = record.map(|mut record| {
        permissions::redact(session.role, entity, &mut record);
        record
    });
    Ok(Resolved { conflict, version: written, record })
}
