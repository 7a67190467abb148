//! `POST /v1/pull`: the caller's property's changes after a cursor, a page at a
//! time, with the fields the caller's role may not read taken out.

use serde_json::Value;
use serde_json::value::RawValue;
use sqlx::Row;
use sync_core::protocol::{Cursor, PullRequest, PullResponse};
use sync_core::{Fields, PROTOCOL_VERSION};

use crate::AppState;
use crate::auth::Session;
use crate::error::AppError;
use crate::permissions;
use crate::store;

/// Page size when the device asks for none.
pub const DEFAULT_PAGE: u32 = 500;
/// Largest page the server sends: a first pull of a large hotel takes a few
/// large pages (about 3.5 MB of JSON each), since a page is one transaction on the
/// device and fewer, larger ones write each index page fewer times.
pub const MAX_PAGE: u32 = 5000;

/// Answers a pull. The body is taken as JSON first so that a bad cursor gets its
/// own error code rather than a generic "invalid body".
pub async fn pull(state: &AppState, session: &Session, body: Value) -> Result<PullResponse<Box<RawValue>>, AppError> {
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
    // Most readers may read every field: their records go out as the text stored,
    // without being parsed and written out again.
    let mut changes = Vec::with_capacity(page.len());
    for (_, mut change) in page {
        if let Some(record) = change.record.as_mut()
            && !permissions::reads_every_field(session.role, change.entity)
        {
            let mut fields: Fields = serde_json::from_str(record.get()).map_err(decode)?;
            permissions::redact(session.role, change.entity, &mut fields);
            *record = serde_json::value::to_raw_value(&fields).map_err(decode)?;
        }
        changes.push(change);
    }
    Ok(PullResponse { changes, cursor, has_more })
}

fn decode(err: serde_json::Error) -> sqlx::Error {
    sqlx::Error::ColumnDecode { index: "after".into(), source: Box::new(err) }
}
