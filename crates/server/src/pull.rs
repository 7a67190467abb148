//! `POST /v1/pull`: the caller's property's changes after a cursor, a page at a
//! time, with the fields the caller's role may not read taken out.

use serde_json::Value;
use sqlx::Row;
use sync_core::PROTOCOL_VERSION;
use sync_core::protocol::{Cursor, PullRequest, PullResponse};

use crate::AppState;
use crate::auth::Session;
use crate::error::AppError;
use crate::permissions;
use crate::store;

/// Page size when the device asks for none.
pub const DEFAULT_PAGE: u32 = 500;
/// Largest page the server sends.
pub const MAX_PAGE: u32 = 2000;

/// Answers a pull. The body is taken as JSON first so that a bad cursor gets its
/// own error code rather than a generic "invalid body".
pub async fn pull(state: &AppState, session: &Session, body: Value) -> Result<PullResponse, AppError> {
    if let Some(cursor) = body.get("cursor").filter(|c| !c.is_null()) {
        let parsed = cursor
            .as_str()
            .ok_or_else(|| "the cursor is a string from the last pull".to_owned())
            .and_then(|text| text.parse::<Cursor>().map_err(|err| err.to_string()));
        if let Err(message) = parsed {
            return Err(AppError::bad_request("bad_cursor", message));
        }
    }
    let request: PullRequest = serde_json::from_value(body).map_err(|err| {
        AppError::unprocessable("invalid_body", format!("the body does not match a pull request: {err}"))
    })?;
    if request.protocol != PROTOCOL_VERSION {
        return Err(AppError::bad_request(
            "unsupported_protocol",
            format!("this server speaks sync protocol {PROTOCOL_VERSION}, not {}", request.protocol),
        ));
    }
    let limit = request.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
    let after = request.cursor.unwrap_or(Cursor::START).sequence();

    let last: i64 = sqlx::query("SELECT last_seq FROM properties WHERE id = $1")
        .bind(session.property_id.to_string())
        .fetch_one(state.store.pool())
        .await?
        .try_get("last_seq")?;
    if after > u64::try_from(last).unwrap_or_default() {
        return Err(AppError::bad_request(
            "bad_cursor",
            "the cursor is ahead of this property's log (from another server or property?): pull again without one",
        ));
    }

    let mut page = store::changes_after(state.store.pool(), session.property_id, after, limit + 1).await?;
    let has_more = page.len() > limit as usize;
    page.truncate(limit as usize);
    let cursor = page.last().map_or(Cursor::after(after), |(seq, _)| Cursor::after(*seq));
    let changes = page
        .into_iter()
        .map(|(_, mut change)| {
            if let Some(record) = change.record.as_mut() {
                permissions::redact(session.role, change.entity, record);
            }
            change
        })
        .collect();
    Ok(PullResponse { changes, cursor, has_more })
}
