//! The outbox side of sync, for the sync worker: batches to push in causal order,
//! and what to do with each mutation once the server answered for it.

use std::collections::HashMap;

use serde_json::Value;
use sqlx::{Connection, QueryBuilder, Row, Sqlite, SqliteConnection};
use sync_core::conflict::{Conflict, ConflictKind, ConflictStatus};
use sync_core::hlc::Hlc;
use sync_core::merge::{FieldMerge, merge_field};
use sync_core::policy::{MergePolicy, PolicyTable};
use sync_core::protocol::{Mutation, Operation, Outcome, RejectCategory};
use sync_core::schema::{EntityKind, Fields};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::store::{Store, load, to_json};

/// A record's local value after a server version: the server's record with the
/// device's pending edits re-applied on top, in the order they were made.
///
/// Fields whose policy combines both sides (counters by delta, sets, notes,
/// postings) are combined as the server will; any other pending value simply stays
/// on top until the server decides. Edits already contained in the server's record
/// (`applied`, the mutation that produced it) are not applied twice.
pub fn rebase(
    policies: &PolicyTable,
    kind: EntityKind,
    server: &Fields,
    pending: &[Mutation],
    applied: Option<Uuid>,
) -> Fields {
    let mut fields = server.clone();
    for mutation in pending.iter().filter(|m| Some(m.id) != applied) {
        for (field, change) in &mutation.changes {
            if change.value == change.base && mutation.op != Operation::Insert {
                continue;
            }
            let current = fields.get(field).cloned().unwrap_or(Value::Null);
            let policy = policies.policy(kind, field);
            let value = match merge_field(policy, &change.base, &change.value, &current, mutation.hlc, Hlc::ZERO) {
                FieldMerge::Fast(value) => value,
                FieldMerge::Settled {
                    value,
                    policy:
                        MergePolicy::Delta | MergePolicy::SetMerge | MergePolicy::Append | MergePolicy::AppendOnlyUnion,
                    ..
                } => value,
                _ => change.value.clone(),
            };
            fields.insert(field.clone(), value);
        }
    }
    fields
}

/// The property's merge policies, as its synced record carries them (the defaults
/// before the first pull, or when the property sets none).
pub(crate) async fn property_policies(conn: &mut SqliteConnection) -> Result<PolicyTable> {
    let text: Option<String> = sqlx::query_scalar(
        "SELECT json_extract(fields, '$.policies') FROM records WHERE entity = 'property' AND deleted = 0 LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    Ok(match text {
        Some(text) => PolicyTable::from_toml(&text).unwrap_or_else(|err| {
            tracing::warn!(%err, "the property's merge policies do not parse; rebasing with the defaults");
            PolicyTable::defaults()
        }),
        None => PolicyTable::defaults(),
    })
}

/// The mutations still in the outbox for one record, oldest first.
pub(crate) async fn pending_for(
    conn: &mut SqliteConnection,
    kind: EntityKind,
    record_id: Uuid,
) -> Result<Vec<Mutation>> {
    let bodies: Vec<String> =
        sqlx::query_scalar("SELECT mutation FROM outbox WHERE entity = ? AND record_id = ? ORDER BY seq")
            .bind(kind.as_str())
            .bind(record_id.to_string())
            .fetch_all(&mut *conn)
            .await?;
    bodies.iter().map(|body| parse_mutation(body)).collect()
}

fn parse_mutation(body: &str) -> Result<Mutation> {
    serde_json::from_str(body).map_err(|e| Error::storage("reading the outbox", e))
}

async fn take_entry(conn: &mut SqliteConnection, seq: i64) -> Result<Option<Mutation>> {
    let body: Option<String> =
        sqlx::query_scalar("SELECT mutation FROM outbox WHERE seq = ?").bind(seq).fetch_optional(&mut *conn).await?;
    let Some(body) = body else {
        return Ok(None);
    };
    sqlx::query("DELETE FROM outbox WHERE seq = ?").bind(seq).execute(&mut *conn).await?;
    parse_mutation(&body).map(Some)
}

/// Stores a server version of a record: `synced` and `version` from the server,
/// `fields` rebased with the pending edits that remain.
pub(crate) async fn store_server_version(
    conn: &mut SqliteConnection,
    kind: EntityKind,
    record_id: Uuid,
    version: u64,
    record: &Fields,
    applied: Option<Uuid>,
) -> Result<()> {
    let pending = pending_for(conn, kind, record_id).await?;
    let policies = property_policies(conn).await?;
    let fields = rebase(&policies, kind, record, &pending, applied);
    sqlx::query(
        "INSERT INTO records (entity, id, fields, synced, version, deleted, updated_at)
         VALUES (?, ?, ?, ?, ?, 0, COALESCE((SELECT updated_at FROM records WHERE entity = ? AND id = ?), 0))
         ON CONFLICT (entity, id) DO UPDATE SET fields = excluded.fields, synced = excluded.synced,
                                                version = excluded.version, deleted = 0",
    )
    .bind(kind.as_str())
    .bind(record_id.to_string())
    .bind(to_json(&fields)?)
    .bind(to_json(record)?)
    .bind(i64::try_from(version).unwrap_or(i64::MAX))
    .bind(kind.as_str())
    .bind(record_id.to_string())
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Rows per multi-row statement of a bulk acknowledgement.
const ACK_CHUNK: usize = 500;

/// Acknowledges applied mutations in bulk, in order: each leaves the outbox and its
/// values are laid on its record's synced base, which moves to the given version.
/// Entries already gone (a replayed answer) are skipped.
async fn ack_many(conn: &mut SqliteConnection, acks: &[(i64, u64)]) -> Result<()> {
    for chunk in acks.chunks(ACK_CHUNK) {
        let mut delete = QueryBuilder::<Sqlite>::new("DELETE FROM outbox WHERE seq IN (");
        let mut list = delete.separated(", ");
        for (seq, _) in chunk {
            list.push_bind(*seq);
        }
        delete.push(") RETURNING seq, mutation");
        let mut taken: HashMap<i64, Mutation> = HashMap::new();
        for row in delete.build().fetch_all(&mut *conn).await? {
            taken.insert(row.try_get("seq")?, parse_mutation(row.try_get::<&str, _>("mutation")?)?);
        }
        let acked: Vec<(&Mutation, u64)> =
            chunk.iter().filter_map(|(seq, version)| taken.get(seq).map(|m| (m, *version))).collect();
        if acked.is_empty() {
            continue;
        }

        let mut bases: HashMap<(EntityKind, Uuid), (Fields, Option<u64>)> = HashMap::new();
        let mut by_kind: HashMap<EntityKind, Vec<Uuid>> = HashMap::new();
        for (mutation, _) in &acked {
            by_kind.entry(mutation.entity).or_default().push(mutation.record_id);
        }
        for (kind, ids) in by_kind {
            let mut select = QueryBuilder::<Sqlite>::new("SELECT id, synced, version FROM records WHERE entity = ");
            select.push_bind(kind.as_str()).push(" AND id IN (");
            let mut list = select.separated(", ");
            for id in ids {
                list.push_bind(id.to_string());
            }
            select.push(")");
            for row in select.build().fetch_all(&mut *conn).await? {
                let id =
                    Uuid::parse_str(row.try_get::<&str, _>("id")?).map_err(|e| Error::storage("acknowledging", e))?;
                let synced = row.try_get::<Option<&str>, _>("synced")?.map(crate::store::parse_fields).transpose()?;
                let version = row.try_get::<Option<i64>, _>("version")?.map(|v| u64::try_from(v).unwrap_or(0));
                bases.insert((kind, id), (synced.unwrap_or_default(), version));
            }
        }
        let mut order: Vec<(EntityKind, Uuid)> = Vec::new();
        for (mutation, version) in &acked {
            let key = (mutation.entity, mutation.record_id);
            let Some((synced, current)) = bases.get_mut(&key) else {
                continue; // the record itself is gone; nothing to lay the values on
            };
            for (field, change) in &mutation.changes {
                synced.insert(field.clone(), change.value.clone());
            }
            *current = Some(current.map_or(*version, |v| v.max(*version)));
            if !order.contains(&key) {
                order.push(key);
            }
        }
        if order.is_empty() {
            continue;
        }
        let mut update =
            QueryBuilder::<Sqlite>::new("UPDATE records SET synced = v.column3, version = v.column4 FROM (");
        let mut values = Vec::with_capacity(order.len());
        for key in &order {
            if let Some((synced, version)) = bases.get(key) {
                values.push((
                    key.0.as_str(),
                    key.1.to_string(),
                    to_json(synced)?,
                    version.map(|v| i64::try_from(v).unwrap_or(i64::MAX)),
                ));
            }
        }
        update.push_values(values, |mut row, (entity, id, synced, version)| {
            row.push_bind(entity).push_bind(id).push_bind(synced).push_bind(version);
        });
        update.push(") AS v WHERE records.entity = v.column1 AND records.id = v.column2");
        update.build().execute(&mut *conn).await?;
    }
    Ok(())
}

async fn conflict_in(
    conn: &mut SqliteConnection,
    seq: i64,
    conflict: &Conflict,
    merged: Option<(u64, &Fields)>,
    now: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO conflicts (id, entity, record_id, body, status, created_at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET body = excluded.body, status = excluded.status",
    )
    .bind(conflict.id.to_string())
    .bind(conflict.entity.as_str())
    .bind(conflict.record_id.to_string())
    .bind(to_json(conflict)?)
    .bind(match conflict.status {
        ConflictStatus::Open => "open",
        ConflictStatus::Resolved => "resolved",
    })
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if let Some(mutation) = take_entry(conn, seq).await? {
        match merged {
            Some((version, record)) => {
                store_server_version(conn, mutation.entity, mutation.record_id, version, record, None).await?;
            }
            None => {
                let stored = load(&mut *conn, mutation.entity, mutation.record_id).await?;
                if let Some((synced, version)) = stored.and_then(|s| s.synced.zip(s.version)) {
                    store_server_version(conn, mutation.entity, mutation.record_id, version, &synced, None).await?;
                }
            }
        }
    }
    Ok(())
}

/// Notes the edits of `mutation` that the server's merge settled against this desk
/// (`record` is what the server kept): a field whose policy picks a side and whose
/// value is not the desk's. Answers how many.
async fn note_superseded(conn: &mut SqliteConnection, mutation: &Mutation, record: &Fields) -> Result<u64> {
    let policies = property_policies(conn).await?;
    let mut noted = 0;
    for (field, change) in &mutation.changes {
        let policy = policies.policy(mutation.entity, field);
        let kept = record.get(field).cloned().unwrap_or(Value::Null);
        let edited = mutation.op == Operation::Insert || change.value != change.base;
        // A stay's status follows its lifecycle, and a provisional confirmation number
        // gives way to the official one by design: neither is an edit that lost.
        let by_design = matches!(field.as_str(), "status" | "confirmation");
        if !edited || kept == change.value || !sync_core::merge::picks_a_side(policy) || by_design {
            continue;
        }
        sqlx::query(
            "INSERT INTO superseded (entity, record_id, field, value, kept, policy, user_id, made_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(mutation.entity.as_str())
        .bind(mutation.record_id.to_string())
        .bind(field)
        .bind(change.value.to_string())
        .bind(kept.to_string())
        .bind(policy.as_str())
        .bind(mutation.user_id.to_string())
        .bind(i64::try_from(mutation.hlc.physical_ms).unwrap_or(i64::MAX))
        .execute(&mut *conn)
        .await?;
        noted += 1;
    }
    Ok(noted)
}

/// A record the server holds already under another id (a posting whose key another
/// desk posted first): this desk's copy, never synced, goes, so its folio shows
/// what the server has; the outbox entry stays, failed, saying why.
async fn drop_duplicate(conn: &mut SqliteConnection, seq: i64) -> Result<()> {
    let body: Option<String> =
        sqlx::query_scalar("SELECT mutation FROM outbox WHERE seq = ?").bind(seq).fetch_optional(&mut *conn).await?;
    let Some(mutation) = body.as_deref().map(parse_mutation).transpose()? else {
        return Ok(());
    };
    sqlx::query("DELETE FROM records WHERE entity = ? AND id = ? AND version IS NULL")
        .bind(mutation.entity.as_str())
        .bind(mutation.record_id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

async fn state_in(conn: &mut SqliteConnection, seq: i64, state: &str, message: &str) -> Result<()> {
    let done = sqlx::query("UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ? WHERE seq = ?")
        .bind(state)
        .bind(message)
        .bind(seq)
        .execute(&mut *conn)
        .await?;
    if done.rows_affected() == 0 {
        return Err(Error::NotFound(format!("outbox entry {seq} is not in the outbox")));
    }
    Ok(())
}

impl Store {
    /// Up to `limit` pending mutations in the order they were made, which is causal
    /// (a record points only at records the device had when it was written), and
    /// keeps an action's own mutations in order: a check-in before its room turns
    /// occupied. Held and failed ones are skipped.
    pub async fn pending_batch(&self, limit: u32) -> Result<Vec<(i64, Mutation)>> {
        let rows = sqlx::query("SELECT seq, mutation FROM outbox WHERE state = 'pending' ORDER BY seq LIMIT ?")
            .bind(limit)
            .fetch_all(&self.reader)
            .await?;
        rows.iter().map(|row| Ok((row.try_get("seq")?, parse_mutation(row.try_get::<&str, _>("mutation")?)?))).collect()
    }

    /// The server applied mutation `seq` as sent, making the record `version`: the
    /// mutation leaves the outbox and its values become the synced base.
    /// Acknowledging an entry that is already gone does nothing (a replayed answer).
    pub async fn ack_applied(&self, seq: i64, version: u64) -> Result<()> {
        self.apply_outcomes(&[(seq, Outcome::Applied { version })]).await.map(drop)
    }

    /// The server merged mutation `seq` with concurrent changes into `record` at
    /// `version`: the record takes the merged value, with any later pending edits on top.
    pub async fn apply_merged(&self, seq: i64, version: u64, record: &Fields) -> Result<()> {
        self.apply_outcomes(&[(seq, Outcome::Merged { version, record: record.clone() })]).await.map(drop)
    }

    /// The server raised a conflict for mutation `seq`: the conflict is kept for the
    /// conflict dialog and the mutation leaves the outbox (the server holds it now).
    /// `merged` is the record the server wrote with the fields that did merge, if any;
    /// without it the record goes back to its synced value plus the remaining edits.
    pub async fn store_conflict(&self, seq: i64, conflict: &Conflict, merged: Option<(u64, &Fields)>) -> Result<()> {
        let mut writer = self.writer.lock().await;
        let now = i64::try_from(writer.cached.last_hlc.physical_ms).unwrap_or(i64::MAX);
        let mut tx = writer.conn.begin_with("BEGIN IMMEDIATE").await?;
        conflict_in(&mut tx, seq, conflict, merged, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The answers of one push, all in one transaction (the fast path of a large
    /// push: one commit for the whole batch). `Applied` and `Merged` as in
    /// [`Store::ack_applied`] and [`Store::apply_merged`]; a `Conflict` is stored as in
    /// [`Store::store_conflict`], except a dependency conflict, which holds the
    /// mutation in the outbox until its parent syncs; `Rejected` marks it failed.
    ///
    /// Answers how many of this desk's edits the server's merge superseded (each is
    /// noted for its user, see [`Store::superseded_edits`]).
    pub async fn apply_outcomes(&self, outcomes: &[(i64, Outcome)]) -> Result<u64> {
        let mut superseded = 0;
        let mut writer = self.writer.lock().await;
        let now = i64::try_from(writer.cached.last_hlc.physical_ms).unwrap_or(i64::MAX);
        let mut tx = writer.conn.begin_with("BEGIN IMMEDIATE").await?;
        // Runs of plain acknowledgements (nearly all of a push) are recorded in bulk;
        // anything else is applied one by one, in order, after the run before it.
        let mut run: Vec<(i64, u64)> = Vec::new();
        for (seq, outcome) in outcomes {
            let seq = *seq;
            if let Outcome::Applied { version } = outcome {
                run.push((seq, *version));
                continue;
            }
            ack_many(&mut tx, &run).await?;
            run.clear();
            match outcome {
                Outcome::Applied { .. } => {}
                Outcome::Merged { version, record } => {
                    if let Some(mutation) = take_entry(&mut tx, seq).await? {
                        superseded += note_superseded(&mut tx, &mutation, record).await?;
                        store_server_version(&mut tx, mutation.entity, mutation.record_id, *version, record, None)
                            .await?;
                    }
                }
                Outcome::Conflict { conflict, .. } if conflict.kind == ConflictKind::Dependency => {
                    state_in(&mut tx, seq, "held", &conflict.summary).await?;
                }
                Outcome::Conflict { version, record, conflict } => {
                    let merged = version.zip(record.as_ref());
                    conflict_in(&mut tx, seq, conflict, merged, now).await?;
                }
                Outcome::Rejected { category: RejectCategory::Duplicate, message } => {
                    drop_duplicate(&mut tx, seq).await?;
                    state_in(&mut tx, seq, "failed", message).await?;
                }
                Outcome::Rejected { message, .. } => state_in(&mut tx, seq, "failed", message).await?,
            }
        }
        ack_many(&mut tx, &run).await?;
        tx.commit().await?;
        drop(writer);
        self.wrote(u32::try_from(outcomes.len() / 10 + 1).unwrap_or(u32::MAX));
        Ok(superseded)
    }

    /// The server refused mutation `seq` (validation, permission): it stays visible
    /// as failed with the server's message and no longer blocks the queue.
    pub async fn mark_failed(&self, seq: i64, message: &str) -> Result<()> {
        self.set_state(seq, "failed", message).await
    }

    /// Mutation `seq` waits for a parent record to reach the server first.
    pub async fn mark_held(&self, seq: i64, reason: &str) -> Result<()> {
        self.set_state(seq, "held", reason).await
    }

    async fn set_state(&self, seq: i64, state: &str, message: &str) -> Result<()> {
        let mut writer = self.writer.lock().await;
        state_in(&mut writer.conn, seq, state, message).await
    }

    /// Puts held mutations (and failed ones when `failed_too`) back in the queue,
    /// e.g. after their parent synced or after a person fixed the cause. Returns how many.
    pub async fn requeue(&self, failed_too: bool) -> Result<u64> {
        let mut writer = self.writer.lock().await;
        let sql = if failed_too {
            "UPDATE outbox SET state = 'pending' WHERE state IN ('held', 'failed')"
        } else {
            "UPDATE outbox SET state = 'pending' WHERE state = 'held'"
        };
        Ok(sqlx::query(sql).execute(&mut writer.conn).await?.rows_affected())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;
    use sync_core::protocol::FieldChange;

    use super::*;

    fn edit(id: u128, changes: &[(&str, Value, Value)]) -> Mutation {
        Mutation {
            id: Uuid::from_u128(id),
            idempotency_key: format!("k{id}"),
            entity: EntityKind::InventoryItem,
            record_id: Uuid::from_u128(1),
            op: Operation::Update,
            base_version: Some(1),
            changes: changes
                .iter()
                .map(|(field, base, value)| {
                    ((*field).to_owned(), FieldChange { base: base.clone(), value: value.clone() })
                })
                .collect::<BTreeMap<_, _>>(),
            hlc: Hlc { physical_ms: 10 + u64::try_from(id).unwrap_or(0), logical: 0, node: Uuid::from_u128(2) },
            device_id: Uuid::from_u128(2),
            user_id: Uuid::from_u128(3),
        }
    }

    fn server(quantity: i64, name: &str) -> Fields {
        json!({"quantity": quantity, "name": name}).as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn pending_edits_stay_on_top_and_counters_add_up() {
        let pending = [
            edit(1, &[("quantity", json!(10), json!(8)), ("name", json!("Towel"), json!("Bath towel"))]),
            edit(2, &[("quantity", json!(8), json!(9))]),
        ];
        let rebased =
            rebase(&PolicyTable::defaults(), EntityKind::InventoryItem, &server(20, "Large towel"), &pending, None);
        assert_eq!(rebased["quantity"], 19, "20 on the server, then -2 and +1 from the device");
        assert_eq!(rebased["name"], "Bath towel", "a pending value stays on top until the server decides");
    }

    #[test]
    fn pending_edits_are_rebased_with_the_propertys_policies() {
        let tags = |v: &[&str]| json!(v);
        let mut pending = edit(1, &[]);
        pending.entity = EntityKind::Guest;
        pending.changes.insert("tags".into(), FieldChange { base: tags(&["vip"]), value: tags(&["vip", "late"]) });
        let server: Fields = json!({"tags": ["vip", "quiet"]}).as_object().cloned().unwrap_or_default();
        let merged = rebase(&PolicyTable::defaults(), EntityKind::Guest, &server, std::slice::from_ref(&pending), None);
        assert_eq!(merged["tags"], tags(&["vip", "quiet", "late"]), "by default tags merge as sets");
        let policies = PolicyTable::from_toml("[guest]\ntags = \"last_writer_wins\"\n").expect("policies");
        let rebased = rebase(&policies, EntityKind::Guest, &server, &[pending], None);
        assert_eq!(
            rebased["tags"],
            tags(&["vip", "late"]),
            "a property that makes tags last-writer-wins: the pending edit stays on top"
        );
    }

    #[test]
    fn the_edit_that_made_the_server_record_is_not_applied_twice() {
        let pending = [edit(1, &[("quantity", json!(10), json!(8))])];
        let rebased = rebase(
            &PolicyTable::defaults(),
            EntityKind::InventoryItem,
            &server(8, "Towel"),
            &pending,
            Some(Uuid::from_u128(1)),
        );
        assert_eq!(rebased["quantity"], 8, "the server's record already holds the device's -2");
    }
}
