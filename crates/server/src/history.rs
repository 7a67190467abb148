//! A record's history and restoring an old version.
//!
//! The history is the change log of one record: every version with who made it
//! (user and display name), on which device, the clock, the time, and the record
//! before and after, redacted for the reader's role like a pull. A restore writes an
//! old version's fields as a new version, logged like any change so every device
//! receives it; the old versions stay in the log. Folio postings are append-only and
//! cannot be restored (a correction is a reversing posting).

use serde::{Deserialize, Serialize};
use sqlx::Row;
use sync_core::conflict::Conflict;
use sync_core::protocol::{ChangeKind, Outcome, RejectCategory};
use sync_core::validate::check_record;
use sync_core::{EntityKind, Fields};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Session;
use crate::error::AppError;
use crate::permissions;
use crate::push::OnBehalf;

/// Most versions one history answers (the oldest first).
const HISTORY_LIMIT: i64 = 1000;

pub use sync_core::protocol::{RecordHistory as History, RecordVersion as Version};

/// `POST /v1/records/{entity}/{id}/restore` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestoreRequest {
    /// The version whose fields to bring back.
    pub version: u64,
}

/// What a restore wrote.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Restored {
    /// The record's new version (the current one when nothing differed).
    pub version: u64,
    pub record: Fields,
    /// Business-rule conflicts the restored record raised (it is written anyway).
    pub conflicts: Vec<Conflict>,
}

/// The entity and record id of the path.
pub fn parse_path(entity: &str, id: &str) -> Result<(EntityKind, Uuid), AppError> {
    let entity =
        entity.parse::<EntityKind>().map_err(|err| AppError::bad_request("unknown_entity", err.to_string()))?;
    let id = Uuid::parse_str(id).map_err(|_| {
        AppError::bad_request(
            "bad_id",
            format!("`{}` is not a record id (a UUID)", id.chars().take(40).collect::<String>()),
        )
    })?;
    Ok((entity, id))
}

fn not_found(entity: EntityKind) -> AppError {
    AppError::not_found(format!("this property has no {entity} with that id"))
}

/// Every version of a record of the caller's property.
pub async fn history(state: &AppState, session: &Session, entity: EntityKind, id: Uuid) -> Result<History, AppError> {
    let rows = sqlx::query(
        "SELECT c.seq, c.op, c.version, c.before, c.after, c.user_id, u.display_name, c.device_id, \
                d.name AS device_name, c.hlc, c.at, c.mutation_id, c.superseded \
         FROM change_log c \
         LEFT JOIN staff_users u ON u.id = c.user_id \
         LEFT JOIN devices d ON d.id = c.device_id \
         WHERE c.property_id = $1 AND c.entity = $2 AND c.record_id = $3 ORDER BY c.seq LIMIT $4",
    )
    .bind(session.property_id.to_string())
    .bind(entity.as_str())
    .bind(id.to_string())
    .bind(HISTORY_LIMIT)
    .fetch_all(state.store.pool())
    .await?;
    if rows.is_empty() {
        return Err(not_found(entity));
    }
    let mut versions = Vec::with_capacity(rows.len());
    for row in rows {
        let json = |column: &str| -> Result<Option<Fields>, AppError> {
            let text: Option<String> = row.try_get(column)?;
            let mut fields: Option<Fields> =
                text.map(|t| serde_json::from_str(&t)).transpose().map_err(AppError::internal)?;
            if let Some(fields) = fields.as_mut() {
                permissions::redact(session.role, entity, fields);
            }
            Ok(fields)
        };
        let uuid = |column: &str| -> Result<Uuid, AppError> {
            let text: String = row.try_get(column)?;
            Uuid::parse_str(&text).map_err(AppError::internal)
        };
        let op: String = row.try_get("op")?;
        let hlc: String = row.try_get("hlc")?;
        let at: i64 = row.try_get("at")?;
        let mutation_id: Option<String> = row.try_get("mutation_id")?;
        versions.push(Version {
            version: u64::try_from(row.try_get::<i64, _>("version")?).unwrap_or_default(),
            seq: u64::try_from(row.try_get::<i64, _>("seq")?).unwrap_or_default(),
            op: if op == "delete" { ChangeKind::Delete } else { ChangeKind::Upsert },
            user_id: uuid("user_id")?,
            user_name: row.try_get("display_name")?,
            device_id: uuid("device_id")?,
            device_name: row.try_get("device_name")?,
            hlc: hlc.parse().map_err(AppError::internal)?,
            at: chrono::DateTime::from_timestamp_millis(at).unwrap_or_default(),
            mutation_id: mutation_id.and_then(|m| Uuid::parse_str(&m).ok()),
            before: json("before")?,
            after: json("after")?,
            superseded: superseded(&row, session.role, entity)?,
        });
    }
    Ok(History { entity, record_id: id, versions })
}

/// The values a version's merge settled against its author, readable by `role`.
fn superseded(
    row: &sqlx::any::AnyRow,
    role: sync_core::domain::Role,
    entity: EntityKind,
) -> Result<Vec<sync_core::merge::Superseded>, AppError> {
    let text: Option<String> = row.try_get("superseded")?;
    let mut list: Vec<sync_core::merge::Superseded> =
        text.map(|t| serde_json::from_str(&t)).transpose().map_err(AppError::internal)?.unwrap_or_default();
    list.retain(|s| entity.field(&s.field).is_none_or(|spec| sync_core::access::may_read(role, spec.visibility)));
    Ok(list)
}

/// Writes version `request.version` of a record back as its newest version, through
/// the write gate like a pushed change: the caller's role, the invariants (a room
/// rule the restored record breaks is kept as a conflict, as a push would be). A
/// status is not restored: it moves only by its actions (check-in, check-out...).
pub async fn restore(
    state: &AppState,
    session: &Session,
    entity: EntityKind,
    id: Uuid,
    request: &RestoreRequest,
) -> Result<Restored, AppError> {
    if entity.is_append_only() {
        return Err(AppError::conflict(
            "append_only",
            format!("{entity} records are append-only and cannot be restored: post a reversing correction instead"),
        ));
    }
    if !matches!(session.role, sync_core::domain::Role::Manager | sync_core::domain::Role::FrontDesk) {
        return Err(AppError::forbidden("only a manager or the front desk restores old versions"));
    }
    let property = session.property_id;
    let mut write = state.store.begin_write().await?;
    let on_behalf = OnBehalf::open(state, session, &mut write.tx).await?;
    let current = on_behalf.record(&mut write.tx, entity, id).await?.ok_or_else(|| not_found(entity))?;
    let row = sqlx::query(
        "SELECT after FROM change_log WHERE property_id = $1 AND entity = $2 AND record_id = $3 AND version = $4 \
         ORDER BY seq DESC LIMIT 1",
    )
    .bind(property.to_string())
    .bind(entity.as_str())
    .bind(id.to_string())
    .bind(i64::try_from(request.version).unwrap_or(i64::MAX))
    .fetch_optional(&mut *write.tx)
    .await?
    .ok_or_else(|| AppError::not_found(format!("the {entity} has no version {}", request.version)))?;
    let after: Option<String> = row.try_get("after")?;
    let Some(after) = after else {
        return Err(AppError::conflict(
            "deleted_version",
            format!("version {} is the deletion of the {entity}: restore the version before it", request.version),
        ));
    };
    let mut old: Fields = serde_json::from_str(&after).map_err(AppError::internal)?;
    if entity.lifecycle().is_some()
        && let Some(status) = current.fields.get("status")
    {
        old.insert("status".into(), status.clone());
    }
    check_record(entity, &old).map_err(|err| {
        AppError::unprocessable(
            "invalid_version",
            format!("that version is no longer a valid {entity}: {}", err.message),
        )
    })?;
    if current.deleted {
        on_behalf.revive(entity, id, &current);
    }
    let change = on_behalf.change(entity, id, &current, &old, format!("restore:{}", Uuid::now_v7()))?;
    if change.changes.is_empty() && !current.deleted {
        let mut record = current.fields;
        permissions::redact(session.role, entity, &mut record);
        return Ok(Restored { version: current.version, record, conflicts: Vec::new() });
    }
    let mut conflicts = Vec::new();
    match on_behalf.write(&mut write.tx, change).await? {
        Outcome::Applied { .. } | Outcome::Merged { .. } => {}
        Outcome::Conflict { conflict, .. } => conflicts.push(*conflict),
        Outcome::Rejected { category: RejectCategory::Permission, message } => {
            return Err(AppError::forbidden(message));
        }
        Outcome::Rejected { message, .. } => return Err(AppError::unprocessable("invalid_version", message)),
    }
    let written = on_behalf.record(&mut write.tx, entity, id).await?.ok_or_else(|| not_found(entity))?;
    let last_seq = on_behalf.finish(&mut write.tx).await?;
    write.commit().await?;
    if let Some(last_seq) = last_seq {
        state.changed(property, last_seq);
    }
    let mut record = written.fields;
    permissions::redact(session.role, entity, &mut record);
    Ok(Restored { version: written.version, record, conflicts })
}
