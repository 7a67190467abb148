//! Bulk import of reservations from JSON Lines, in one transaction.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::{Connection, QueryBuilder, Sqlite};
use sync_core::hlc::Clock;
use sync_core::ids::new_id;
use sync_core::protocol::{FieldChange, Mutation, Operation};
use sync_core::schema::{EntityKind, Fields};
use sync_core::validate::check_record;
use uuid::Uuid;

use crate::error::Result;
use crate::session::Session;
use crate::store::{Store, keys, to_json, write_meta};

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    pub imported: usize,
    /// Lines refused, with their line number (from 1) and why.
    pub refused: Vec<(usize, String)>,
}

/// Records per multi-row statement (history has 10 columns; well below the bind limit).
const CHUNK: usize = 300;

struct Prepared {
    id: Uuid,
    fields: String,
    mutation: Mutation,
    mutation_json: String,
}

impl Store {
    /// Imports reservations, one record of the schema per line (`id` and
    /// `property_id` filled in when absent), as local creations: each gets its outbox
    /// insert and history line, all in one transaction so a large file costs one
    /// commit. Lines that are not valid reservations are refused and reported; the
    /// room invariants are left to the server (overlaps become conflicts there, so
    /// no imported booking is dropped).
    pub async fn import_reservations(&self, session: &Session, jsonl: &str) -> Result<ImportReport> {
        session.require(EntityKind::Reservation, "import reservations")?;
        let kind = EntityKind::Reservation;
        let mut writer = self.writer.lock().await;
        let mut clock = Clock::resume(session.device_id, writer.cached.last_hlc);
        let now = i64::try_from(session.now_ms).unwrap_or(i64::MAX);
        let mut report = ImportReport::default();
        let mut prepared = Vec::new();
        for (index, line) in jsonl.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut fields: Fields = match serde_json::from_str(line) {
                Ok(fields) => fields,
                Err(e) => {
                    report.refused.push((index + 1, format!("not a JSON object: {e}")));
                    continue;
                }
            };
            if fields.get("id").is_none_or(Value::is_null) {
                fields.insert("id".into(), Value::String(new_id().to_string()));
            }
            if fields.get("property_id").is_none_or(Value::is_null) {
                fields.insert("property_id".into(), Value::String(session.property_id.to_string()));
            }
            if let Err(invalid) = check_record(kind, &fields) {
                report.refused.push((index + 1, invalid.message));
                continue;
            }
            let id = fields.get("id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok()).unwrap_or_default();
            let changes =
                fields.iter().map(|(k, v)| (k.clone(), FieldChange { base: Value::Null, value: v.clone() })).collect();
            let mutation = Mutation {
                id: new_id(),
                idempotency_key: new_id().to_string(),
                entity: kind,
                record_id: id,
                op: Operation::Insert,
                base_version: None,
                changes,
                hlc: clock.tick(session.now_ms),
                device_id: session.device_id,
                user_id: session.user_id,
            };
            prepared.push(Prepared { id, fields: to_json(&fields)?, mutation_json: to_json(&mutation)?, mutation });
        }

        let mut tx = writer.conn.begin_with("BEGIN IMMEDIATE").await?;
        let rank = i64::try_from(kind.causal_rank()).unwrap_or(i64::MAX);
        for chunk in prepared.chunks(CHUNK) {
            let mut records = QueryBuilder::<Sqlite>::new(
                "INSERT INTO records (entity, id, fields, synced, version, deleted, updated_at) ",
            );
            records.push_values(chunk, |mut row, p| {
                row.push_bind(kind.as_str())
                    .push_bind(p.id.to_string())
                    .push_bind(p.fields.clone())
                    .push_bind(None::<String>)
                    .push_bind(None::<i64>)
                    .push_bind(false)
                    .push_bind(now);
            });
            records.build().execute(&mut *tx).await?;
            let mut outbox = QueryBuilder::<Sqlite>::new(
                "INSERT INTO outbox (mutation_id, entity, record_id, causal_rank, mutation, state, attempts, created_at) ",
            );
            outbox.push_values(chunk, |mut row, p| {
                row.push_bind(p.mutation.id.to_string())
                    .push_bind(kind.as_str())
                    .push_bind(p.id.to_string())
                    .push_bind(rank)
                    .push_bind(p.mutation_json.clone())
                    .push_bind("pending")
                    .push_bind(0_i64)
                    .push_bind(now);
            });
            outbox.build().execute(&mut *tx).await?;
            let mut history = QueryBuilder::<Sqlite>::new(
                "INSERT INTO history (entity, record_id, op, before, after, user_id, device_id, hlc, at, origin) ",
            );
            history.push_values(chunk, |mut row, p| {
                row.push_bind(kind.as_str())
                    .push_bind(p.id.to_string())
                    .push_bind("import")
                    .push_bind(None::<String>)
                    .push_bind(p.fields.clone())
                    .push_bind(session.user_id.to_string())
                    .push_bind(session.device_id.to_string())
                    .push_bind(p.mutation.hlc.to_string())
                    .push_bind(now)
                    .push_bind("local");
            });
            history.build().execute(&mut *tx).await?;
        }
        write_meta(&mut tx, keys::LAST_HLC, &clock.last().to_string()).await?;
        tx.commit().await?;
        writer.cached.last_hlc = clock.last();
        drop(writer);
        self.wrote(u32::try_from(prepared.len() / 10 + 1).unwrap_or(u32::MAX));
        report.imported = prepared.len();
        Ok(report)
    }
}
