//! Conflicts: list the open ones, read one, resolve one. A resolution writes the
//! chosen values as a new version of the record, logged like any change so every
//! device receives it, and closes the conflict.

use serde::{Deserialize, Serialize};
use sync_core::Fields;
use sync_core::conflict::{Author, Conflict, ConflictStatus, ResolutionChoice, resolution_values};
use sync_core::validate::check_record;
use uuid::Uuid;

use crate::AppState;
use crate::auth::Session;
use crate::error::AppError;
use crate::permissions;
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
pub async fn resolve(
    state: &AppState,
    session: &Session,
    id: Uuid,
    choice: ResolutionChoice,
) -> Result<Resolved, AppError> {
    let now = (state.now)();
    let now_ms = store::millis(now);
    let mut write = state.store.begin_write().await?;
    let first_seq = store::lock_property(&mut write.tx, session.property_id).await?;
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

    let mut written = None;
    if !values.is_empty() {
        // A deleted record keeps its last fields: keeping the device's edit of it
        // brings it back with the edit on top. A record the server never had cannot
        // be rebuilt from one edit.
        let current = store::load_record(&mut write.tx, session.property_id, conflict.entity, conflict.record_id)
            .await?
            .ok_or_else(|| {
                AppError::conflict(
                    "record_missing",
                    "the server never had this record, so an edit of it cannot be kept: keep the server's side, \
                     and make the record again on a desk that has it",
                )
            })?;
        let mut fields = current.fields.clone();
        let changed: Vec<String> = values.keys().cloned().collect();
        fields.extend(values);
        check_record(conflict.entity, &fields).map_err(|err| AppError::unprocessable("bad_resolution", err.message))?;
        let hlc = match state.clock.lock() {
            Ok(mut clock) => clock.tick(u64::try_from(now_ms).unwrap_or_default()),
            Err(_) => return Err(AppError::internal("the server clock's lock is poisoned")),
        };
        let author = Author { device_id: session.device_id, user_id: session.user_id, hlc, at: now };
        let version = store::write_next_version(
            &mut write.tx,
            session.property_id,
            (conflict.entity, conflict.record_id),
            &current,
            &fields,
            &changed,
            &author,
        )
        .await?;
        written = Some((version, fields));
    }
    conflict.status = ConflictStatus::Resolved;
    let resolution = serde_json::to_value(&choice).map_err(AppError::internal)?;
    store::resolve_conflict(&mut write.tx, session.property_id, &conflict, &resolution, session.user_id, now_ms)
        .await?;
    let last_seq = store::last_seq(&mut write.tx, session.property_id).await?;
    if last_seq > first_seq {
        let backend = state.store.backend();
        state.live.announce(&mut write.tx, backend, &state.config.live_channel, session.property_id, last_seq).await?;
    }
    write.commit().await?;
    if last_seq > first_seq {
        state.changed(session.property_id, last_seq);
    }
    let (version, record) = match written {
        Some((version, mut record)) => {
            permissions::redact(session.role, conflict.entity, &mut record);
            (Some(version), Some(record))
        }
        None => (None, None),
    };
    Ok(Resolved { conflict, version, record })
}
