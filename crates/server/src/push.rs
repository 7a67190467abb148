//! `POST /v1/push`: a device's batch of mutations, applied in order in one
//! transaction with a savepoint per mutation.
//!
//! Per mutation: the idempotency check first (a replay answers the stored result
//! and writes nothing), then tenancy and role checks, then sync core's [`plan`]
//! against the current record, then the room invariants for stays, then the record,
//! the change log, the conflicts and the stored result. A mutation that fails rolls
//! back to its savepoint alone; the batch costs one commit, and results are sent
//! only after it.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde_json::Value;
use sqlx::AnyConnection;
use sqlx::{Acquire, Row};
use sync_core::conflict::{Author, Conflict, ServerRecord};
use sync_core::domain::{Occupancy, ReservationStatus, Room};
use sync_core::domain::{Reservation, Role};
use sync_core::gate::{self, Actor, Refusal};
use sync_core::ids::ConfirmationNumber;
use sync_core::invariants::{
    PostingAmount, RoomState, RuleBreach, Stay, balance, check_in_problems, check_out_breach, check_stay_room,
    occupancy_breach, undo_check_in_breach,
};
use sync_core::protocol::DomainAction;
use sync_core::protocol::{FieldChange, Mutation, MutationResult, Outcome, PushRequest, PushResponse, RejectCategory};
use sync_core::{EntityKind, Fields, Hlc, Operation, PROTOCOL_VERSION, Plan, PolicyTable, plan};
use uuid::Uuid;

use crate::AppState;
use crate::auth::Session;
use crate::error::AppError;
use crate::permissions;
use crate::store::{self, NewVersion};

/// How far ahead of the server's clock a device's stamps are believed: a day
/// covers any time zone mistake; beyond it, the stamp is taken as this far ahead.
const MAX_CLOCK_AHEAD_MS: u64 = 24 * 3_600 * 1_000;

/// What every mutation of one push is checked against.
pub(crate) struct Batch<'a> {
    state: &'a AppState,
    session: &'a Session,
    /// Who may be credited with this desk's changes: the active staff who signed in
    /// on it (a shared desk pushes the queue of everyone who worked on it), with
    /// their roles. Each change is checked against its author's role.
    authors: HashMap<Uuid, Role>,
    now: DateTime<Utc>,
    /// The property's date now, in its time zone: "today" of the check-in rules.
    today: NaiveDate,
    /// The property's merge policies.
    policies: PolicyTable,
    /// What the push reads, loaded in a few queries at its start.
    cache: Mutex<Cache>,
    /// A person's decision on the server (a resolution, a restore) made against the
    /// current records, rather than a desk's change that may predate them.
    deliberate: bool,
}

/// What a push reads, read once in bulk and kept up to date as it writes (the
/// property's lock is held, so nobody else writes meanwhile): the statements a
/// mutation costs are its writes, not its lookups.
#[derive(Default)]
struct Cache {
    /// Results already given, by idempotency key: earlier pushes' and this one's.
    results: HashMap<String, store::StoredResult>,
    /// Records by kind and id; `None`: the property has no such record.
    records: HashMap<(EntityKind, Uuid), Option<ServerRecord>>,
    /// This push's mutations that once waited for a parent (a stored dependency conflict).
    waited: HashSet<Uuid>,
    /// Results to store for replays when the push commits.
    to_save: Vec<(String, MutationResult)>,
    /// The property's last change-log sequence so far (the push holds its lock).
    last_seq: u64,
}

impl<'a> Batch<'a> {
    /// What the writes of `mutations` by `session` are checked against, read in a few
    /// queries under the property's lock (`last_seq`: the change log's end).
    async fn open(
        state: &'a AppState,
        session: &'a Session,
        conn: &mut AnyConnection,
        mutations: &[Mutation],
        now: DateTime<Utc>,
        last_seq: u64,
    ) -> Result<Batch<'a>, sqlx::Error> {
        let authors = device_authors(conn, session.property_id, session.device_id).await?;
        let settings = store::property_settings(conn, session.property_id).await?;
        let today = property_today(&settings.timezone, now);
        let policies = match settings.policies.as_deref() {
            None => PolicyTable::defaults(),
            Some(text) => PolicyTable::from_toml(text).unwrap_or_else(|err| {
                tracing::error!(%err, "the property's stored policies do not parse; using the defaults");
                PolicyTable::defaults()
            }),
        };
        let mut cache = preload(conn, session.property_id, mutations).await?;
        cache.last_seq = last_seq;
        Ok(Batch { state, session, authors, now, today, policies, cache: Mutex::new(cache), deliberate: false })
    }

    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// A record, from the cache or else the database.
    async fn record(
        &self,
        conn: &mut AnyConnection,
        entity: EntityKind,
        id: Uuid,
    ) -> Result<Option<ServerRecord>, sqlx::Error> {
        if let Some(known) = self.cache().records.get(&(entity, id)) {
            return Ok(known.clone());
        }
        let loaded = store::load_record(conn, self.session.property_id, entity, id).await?;
        self.cache().records.insert((entity, id), loaded.clone());
        Ok(loaded)
    }

    async fn room(&self, conn: &mut AnyConnection, id: Uuid) -> Result<Option<RoomState>, sqlx::Error> {
        Ok(room_state(self.record(conn, EntityKind::Room, id).await?))
    }

    /// The next change-log sequence number: gaps (a rolled-back mutation) are fine,
    /// as pulls read what comes after a cursor.
    fn next_seq(&self) -> u64 {
        let mut cache = self.cache();
        cache.last_seq += 1;
        cache.last_seq
    }

    /// Remembers what the push just wrote of `mutation`'s record.
    fn remember(&self, mutation: &Mutation, record: ServerRecord) {
        self.cache().records.insert((mutation.entity, mutation.record_id), Some(record));
    }

    /// Remembers a result, stored for replays when the push commits.
    fn save_result(&self, key: &str, result: &MutationResult) {
        let mut cache = self.cache();
        let stored = store::StoredResult { device: Some(self.session.device_id), result: result.clone() };
        cache.results.insert(key.to_owned(), stored);
        cache.to_save.push((key.to_owned(), result.clone()));
    }
}

/// Loads in bulk what the push's mutations will read: their stored results, their
/// records, and the parents they and those records name.
async fn preload(conn: &mut AnyConnection, property: Uuid, mutations: &[Mutation]) -> Result<Cache, sqlx::Error> {
    let keys: Vec<&str> = mutations.iter().map(|m| m.idempotency_key.as_str()).collect();
    let mut cache = Cache { results: store::applied_results(conn, property, &keys).await?, ..Cache::default() };
    let mut wanted: HashMap<EntityKind, HashSet<Uuid>> = HashMap::new();
    for mutation in mutations {
        wanted.entry(mutation.entity).or_default().insert(mutation.record_id);
        for (field, kind) in mutation.entity.parents() {
            if let Some(id) = uuid_of(mutation.changes.get(field).map(|c| &c.value)) {
                wanted.entry(kind).or_default().insert(id);
            }
        }
    }
    // Twice: the records, then the parents the stored records name (a stay's room).
    for _ in 0..2 {
        let mut next: HashMap<EntityKind, HashSet<Uuid>> = HashMap::new();
        for (kind, ids) in wanted {
            let ids: Vec<Uuid> = ids.into_iter().filter(|id| !cache.records.contains_key(&(kind, *id))).collect();
            let mut found = store::load_records(conn, property, kind, &ids).await?;
            for id in ids {
                let record = found.remove(&id);
                if let Some(record) = &record {
                    for (field, parent) in kind.parents() {
                        if let Some(parent_id) = uuid_of(record.fields.get(field)) {
                            next.entry(parent).or_default().insert(parent_id);
                        }
                    }
                }
                cache.records.insert((kind, id), record);
            }
        }
        wanted = next;
    }
    let waits: Vec<Uuid> = mutations
        .iter()
        .map(|m| Uuid::new_v5(&m.id, sync_core::ConflictKind::Dependency.as_str().as_bytes()))
        .collect();
    let stored = store::existing_conflicts(conn, property, &waits).await?;
    cache.waited = mutations
        .iter()
        .zip(waits)
        .filter(|(_, conflict)| stored.contains(conflict))
        .map(|(mutation, _)| mutation.id)
        .collect();
    Ok(cache)
}

/// Applies a push; see the module doc.
pub async fn push(state: &AppState, session: &Session, request: PushRequest) -> Result<PushResponse, AppError> {
    if request.protocol != PROTOCOL_VERSION {
        return Err(AppError::bad_request(
            "unsupported_protocol",
            format!("this server speaks sync protocol {PROTOCOL_VERSION}, not {}", request.protocol),
        ));
    }
    if request.mutations.len() > state.config.max_batch {
        return Err(AppError::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "batch_too_large",
            format!(
                "a push carries at most {} mutations, this one has {}: send the rest in the next push",
                state.config.max_batch,
                request.mutations.len()
            ),
        ));
    }
    let now = (state.now)();
    let entities: Vec<EntityKind> = request.mutations.iter().map(|m| m.entity).collect();
    // First without a savepoint per mutation: planning happens in memory, so a write
    // fails only on a database fault. If one does, the push starts over with
    // savepoints, so that mutation is rejected alone.
    let (mut results, server_hlc) = match attempt(state, session, &request.mutations, now, false).await? {
        Some(done) => done,
        None => attempt(state, session, &request.mutations, now, true)
            .await?
            .ok_or_else(|| AppError::internal("a push failed with savepoints too"))?,
    };
    if !state.config.answer_delay.is_zero() {
        tokio::time::sleep(state.config.answer_delay).await;
    }
    state.metrics.pushes.inc();
    for result in &results {
        state.metrics.count_outcome(&result.outcome);
    }
    for (result, entity) in results.iter_mut().zip(entities) {
        redact_outcome(session.role, entity, &mut result.outcome);
    }
    Ok(PushResponse { results, server_hlc })
}

/// One try at a push in one transaction. Without `savepoints`, a database fault
/// in a mutation's writes rolls the whole try back and answers `None`.
async fn attempt(
    state: &AppState,
    session: &Session,
    mutations: &[Mutation],
    now: DateTime<Utc>,
    savepoints: bool,
) -> Result<Option<(Vec<MutationResult>, Hlc)>, AppError> {
    let now_ms = u64::try_from(store::millis(now)).unwrap_or_default();
    let mut write = state.store.begin_write().await?;
    let first_seq = store::lock_property(&mut write.tx, session.property_id).await?;
    let batch = Batch::open(state, session, &mut write.tx, mutations, now, first_seq).await?;
    let mut results = Vec::with_capacity(mutations.len());
    for mutation in mutations {
        let mut mutation = mutation.clone();
        mutation.hlc = mutation.hlc.at_most_ahead(now_ms, MAX_CLOCK_AHEAD_MS);
        let hlc = mutation.hlc;
        let result = match apply(&batch, &mut write.tx, mutation, savepoints).await {
            Err(sqlx::Error::Database(err)) if !savepoints => {
                tracing::info!(%err, "a write failed; the push starts over with a savepoint per mutation");
                return Ok(None);
            }
            other => other?,
        };
        // Only what the server took moves its clock.
        if !matches!(result.outcome, Outcome::Rejected { .. })
            && let Ok(mut clock) = state.clock.lock()
        {
            clock.observe(hlc, now_ms);
        }
        results.push(result);
    }
    let server_hlc = match state.clock.lock() {
        Ok(mut clock) => clock.tick(now_ms),
        Err(_) => return Err(AppError::internal("the server clock's lock is poisoned")),
    };
    store::save_clock(&mut write.tx, session.property_id, server_hlc).await?;
    let (to_save, last_seq) = {
        let mut cache = batch.cache();
        (std::mem::take(&mut cache.to_save), cache.last_seq)
    };
    store::save_results(&mut write.tx, session.property_id, session.device_id, &to_save, store::millis(now)).await?;
    if last_seq > first_seq {
        store::set_last_seq(&mut write.tx, session.property_id, last_seq).await?;
        state
            .live
            .announce(&mut write.tx, state.store.backend(), &state.config.live_channel, session.property_id, last_seq)
            .await?;
    }
    write.commit().await?;
    if last_seq > first_seq {
        state.changed(session.property_id, last_seq);
    }
    Ok(Some((results, server_hlc)))
}

/// A write made on the server on a person's behalf (a conflict resolution, a restore
/// of an old version): the same gate, plan and invariants as a pushed change, under
/// the property's lock, in the caller's transaction.
pub(crate) struct OnBehalf<'a> {
    batch: Batch<'a>,
    first_seq: u64,
}

impl<'a> OnBehalf<'a> {
    /// Takes the property's lock and reads what the writes are checked against.
    pub(crate) async fn open(
        state: &'a AppState,
        session: &'a Session,
        conn: &mut AnyConnection,
    ) -> Result<OnBehalf<'a>, sqlx::Error> {
        let now = (state.now)();
        let first_seq = store::lock_property(conn, session.property_id).await?;
        let mut batch = Batch::open(state, session, conn, &[], now, first_seq).await?;
        batch.deliberate = true;
        Ok(OnBehalf { batch, first_seq })
    }

    /// The change of `values` onto `current` by the session's user on its desk, now.
    pub(crate) fn change(
        &self,
        entity: EntityKind,
        id: Uuid,
        current: &ServerRecord,
        values: &Fields,
        idempotency_key: String,
    ) -> Result<Mutation, AppError> {
        let session = self.batch.session;
        let now_ms = u64::try_from(store::millis(self.batch.now)).unwrap_or_default();
        let hlc = match self.batch.state.clock.lock() {
            Ok(mut clock) => clock.tick(now_ms),
            Err(_) => return Err(AppError::internal("the server clock's lock is poisoned")),
        };
        let changes = values
            .iter()
            .filter(|(name, value)| current.deleted || current.fields.get(*name) != Some(*value))
            .map(|(name, value)| {
                let base = current.fields.get(name).cloned().unwrap_or(Value::Null);
                (name.clone(), FieldChange { base, value: value.clone() })
            })
            .collect();
        Ok(Mutation {
            id: sync_core::ids::new_id(),
            idempotency_key,
            entity,
            record_id: id,
            op: Operation::Update,
            base_version: Some(current.version),
            changes,
            hlc,
            device_id: session.device_id,
            user_id: session.user_id,
        })
    }

    /// A record as the writes so far left it.
    pub(crate) async fn record(
        &self,
        conn: &mut AnyConnection,
        entity: EntityKind,
        id: Uuid,
    ) -> Result<Option<ServerRecord>, sqlx::Error> {
        self.batch.record(conn, entity, id).await
    }

    /// Takes a deleted record as live for the writes that follow: keeping an edit of
    /// it brings it back with the edit on top.
    pub(crate) fn revive(&self, entity: EntityKind, id: Uuid, current: &ServerRecord) {
        let live = ServerRecord { deleted: false, ..current.clone() };
        self.batch.cache().records.insert((entity, id), Some(live));
    }

    /// Writes `mutation` through the push path; a refusal writes nothing.
    pub(crate) async fn write(&self, conn: &mut AnyConnection, mut mutation: Mutation) -> Result<Outcome, sqlx::Error> {
        decide_and_write(&self.batch, conn, &mut mutation).await
    }

    /// Whether the rule `breach` broke holds again for `conflict`'s record; if not,
    /// what is still wrong, for the person resolving it.
    pub(crate) async fn still_broken(
        &self,
        conn: &mut AnyConnection,
        conflict: &Conflict,
    ) -> Result<Option<String>, sqlx::Error> {
        still_broken(&self.batch, conn, conflict).await
    }

    /// Ends the writes: the change log's new end stored and announced to live
    /// streams when the transaction commits. Answers that end if it moved.
    pub(crate) async fn finish(self, conn: &mut AnyConnection) -> Result<Option<u64>, sqlx::Error> {
        let last_seq = self.batch.cache().last_seq;
        if last_seq <= self.first_seq {
            return Ok(None);
        }
        let state = self.batch.state;
        let property = self.batch.session.property_id;
        let now_ms = u64::try_from(store::millis(self.batch.now)).unwrap_or_default();
        let hlc = state.clock.lock().map(|mut clock| clock.tick(now_ms)).ok();
        if let Some(hlc) = hlc {
            store::save_clock(conn, property, hlc).await?;
        }
        store::set_last_seq(conn, property, last_seq).await?;
        state.live.announce(conn, state.store.backend(), &state.config.live_channel, property, last_seq).await?;
        Ok(Some(last_seq))
    }
}

/// See [`OnBehalf::still_broken`]. Rules about a state (a room held twice, a folio
/// that does not balance, a room's occupancy) must hold again; rules about an event
/// that happened (a check-in without its preconditions, a refused status move, an
/// edit of a closed stay) are settled by the person's decision itself.
async fn still_broken(
    batch: &Batch<'_>,
    conn: &mut AnyConnection,
    conflict: &Conflict,
) -> Result<Option<String>, sqlx::Error> {
    let property = batch.session.property_id;
    let live = |record: Option<ServerRecord>| record.filter(|r| !r.deleted);
    let owed = async |conn: &mut AnyConnection, stay: Uuid| -> Result<Option<String>, sqlx::Error> {
        let balance = folio_balance(conn, property, stay).await?;
        Ok(check_out_breach(&balance).map(|breach| {
            format!("{}: take the payment or post the correction first, then resolve", breach.describe())
        }))
    };
    Ok(match &conflict.rule {
        Some(RuleBreach::DoubleBooking { .. } | RuleBreach::RoomUnavailable { .. }) => {
            let Some(stay) = live(batch.record(conn, EntityKind::Reservation, conflict.record_id).await?) else {
                return Ok(None);
            };
            room_breaches(conn, property, &stay.fields, Some(batch)).await?.first().map(|breach| {
                format!("{}: move this stay to a free room, or cancel one of the stays", breach.describe())
            })
        }
        Some(RuleBreach::OccupancyMismatch { room_id, .. }) => {
            let Some(room) = live(batch.record(conn, EntityKind::Room, *room_id).await?) else {
                return Ok(None);
            };
            occupancy_breach_of(conn, property, &room.fields)
                .await?
                .map(|breach| format!("{}: set the room's occupancy to match the guests in it", breach.describe()))
        }
        Some(RuleBreach::CheckOutWithBalance { .. }) => owed(conn, conflict.record_id).await?,
        Some(RuleBreach::PostingOnClosedFolio { reservation_id, .. }) => owed(conn, *reservation_id).await?,
        Some(RuleBreach::UndoneWithBalance { .. }) => {
            let in_house = live(batch.record(conn, EntityKind::Reservation, conflict.record_id).await?)
                .is_some_and(|stay| stay.fields.get("status").and_then(Value::as_str) == Some("checked_in"));
            if in_house { None } else { owed(conn, conflict.record_id).await? }
        }
        _ => None,
    })
}

/// The active staff who have signed in on `device`, with their roles.
async fn device_authors(
    conn: &mut AnyConnection,
    property: Uuid,
    device: Uuid,
) -> Result<HashMap<Uuid, Role>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT DISTINCT u.id, u.role FROM sessions s JOIN staff_users u ON u.id = s.user_id \
         WHERE s.device_id = $1 AND s.property_id = $2 AND u.active = 1",
    )
    .bind(device.to_string())
    .bind(property.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let mut authors = HashMap::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("id")?;
        let role: String = row.try_get("role")?;
        if let (Ok(id), Some(role)) = (Uuid::parse_str(&id), crate::auth::parse_role(&role)) {
            authors.insert(id, role);
        }
    }
    Ok(authors)
}

fn rejected(category: RejectCategory, message: impl Into<String>) -> Outcome {
    Outcome::Rejected { category, message: message.into() }
}

/// The write gate for one mutation of the batch: its author must be someone who
/// signed in on the pushing desk, and the change is checked against the author's
/// role (see [`sync_core::gate`]).
fn admit(batch: &Batch<'_>, mutation: &mut Mutation, current: Option<&ServerRecord>) -> Result<(), Refusal> {
    let session = batch.session;
    let role = if mutation.user_id == session.user_id {
        Some(session.role)
    } else {
        batch.authors.get(&mutation.user_id).copied()
    };
    let Some(role) = role else {
        return Err(Refusal {
            category: RejectCategory::Permission,
            message: "the change is credited to someone who is not active staff signed in on this desk".into(),
        });
    };
    let actor =
        Actor { property_id: session.property_id, device_id: session.device_id, user_id: mutation.user_id, role };
    gate::admit(&actor, mutation, current.filter(|c| !c.deleted).map(|c| &c.fields), batch.today)
}

/// Applies one mutation inside the batch's transaction. `careful`: in a savepoint
/// of its own, so a database fault in its writes rejects it alone; otherwise such
/// a fault is returned, for [`attempt`] to start over carefully. A fault of the
/// connection aborts the whole push (nothing is committed, the device retries).
async fn apply(
    batch: &Batch<'_>,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    mut mutation: Mutation,
    careful: bool,
) -> Result<MutationResult, sqlx::Error> {
    let mutation_id = mutation.id;
    // A key that is not one is refused before it is looked up or stored.
    if let Err(refusal) = gate::check_key(&mutation.idempotency_key) {
        return Ok(MutationResult { mutation_id, outcome: rejected(refusal.category, refusal.message) });
    }
    if let Some(stored) = batch.cache().results.get(&mutation.idempotency_key).cloned() {
        // A result is answered only to the desk that sent the mutation: another desk
        // replaying the key learns nothing of it.
        if stored.device.is_some_and(|device| device != batch.session.device_id) {
            return Ok(MutationResult {
                mutation_id,
                outcome: rejected(
                    RejectCategory::Validation,
                    "another desk sent a change with this idempotency key; nothing of this one was written",
                ),
            });
        }
        return Ok(stored.result);
    }
    let outcome = if careful {
        let mut savepoint = (&mut *tx).begin().await?;
        match decide_and_write(batch, &mut savepoint, &mut mutation).await {
            Ok(outcome) => {
                savepoint.commit().await?;
                outcome
            }
            Err(sqlx::Error::Database(err)) => {
                savepoint.rollback().await?;
                // What the cache learnt from the rolled-back writes is forgotten.
                batch.cache().records.remove(&(mutation.entity, mutation.record_id));
                tracing::warn!(%err, mutation = %mutation_id, "a mutation could not be stored; rejected alone");
                return Ok(MutationResult {
                    mutation_id,
                    outcome: rejected(
                        RejectCategory::Validation,
                        "the server could not store this mutation; it was logged, and nothing of it was saved",
                    ),
                });
            }
            Err(err) => return Err(err),
        }
    } else {
        decide_and_write(batch, tx, &mut mutation).await?
    };
    let result = MutationResult { mutation_id, outcome };
    if !waits(&result) {
        batch.save_result(&mutation.idempotency_key, &result);
    }
    Ok(result)
}

/// A dependency conflict waits for its parent: a later retry must be planned
/// again, not answered from memory.
fn waits(result: &MutationResult) -> bool {
    matches!(&result.outcome, Outcome::Conflict { conflict, .. } if conflict.kind == sync_core::ConflictKind::Dependency)
}

fn uuid_of(value: Option<&Value>) -> Option<Uuid> {
    value.and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok())
}

/// Plans the mutation with sync core and writes what the plan says.
async fn decide_and_write(
    batch: &Batch<'_>,
    conn: &mut AnyConnection,
    mutation: &mut Mutation,
) -> Result<Outcome, sqlx::Error> {
    let property = batch.session.property_id;
    let current = batch.record(conn, mutation.entity, mutation.record_id).await?;
    if let Err(refusal) = admit(batch, mutation, current.as_ref()) {
        return Ok(rejected(refusal.category, refusal.message));
    }
    let mutation = &*mutation;
    // A stay booked offline reaches the server with a provisional number: it gets
    // the property's own, and the device learns it from the merged record.
    let renumbered = match current {
        None => official_number(batch, conn, mutation).await?,
        Some(_) => None,
    };
    let mutation = renumbered.as_ref().unwrap_or(mutation);

    // sync core asks about parents synchronously: look the candidates up first, the
    // device's value and the stored one (a merge may keep either).
    let mut parents = HashSet::new();
    for (field, kind) in mutation.entity.parents() {
        let candidates = [
            uuid_of(mutation.changes.get(field).map(|c| &c.value)),
            uuid_of(current.as_ref().and_then(|c| c.fields.get(field))),
        ];
        for id in candidates.into_iter().flatten() {
            if !parents.contains(&(kind, id)) && batch.record(conn, kind, id).await?.is_some_and(|p| !p.deleted) {
                parents.insert((kind, id));
            }
        }
    }
    // A posting whose idempotency key is stored already (another desk, another id)
    // is that posting: never stored twice, and never answered as stored when it is
    // not. The desk drops its copy and pulls the stored one.
    if mutation.entity == EntityKind::FolioPosting
        && mutation.op == Operation::Insert
        && current.is_none()
        && let Some(key) = mutation.changes.get("idempotency_key").and_then(|c| c.value.as_str())
        && let Some((existing, _)) = store::posting_by_key(&mut *conn, property, key).await?
        && existing != mutation.record_id
    {
        tracing::info!(%existing, duplicate = %mutation.record_id, "a posting's idempotency key is stored already");
        let stored = batch.record(conn, EntityKind::FolioPosting, existing).await?;
        return Ok(rejected(RejectCategory::Duplicate, duplicate_posting(mutation, stored.as_ref())));
    }
    // A room assigned to a stay that is in house by now (the device had not seen the
    // check-in) would move the guest on paper only: kept for a person to settle.
    if let Some(breach) = in_house_room_change(batch, conn, mutation, current.as_ref()).await? {
        let conflict = Box::new(Conflict::business_rule(
            mutation,
            breach,
            current.as_ref().map(|c| c.last.clone()),
            current.as_ref().map(|c| c.version),
        ));
        store::save_conflict(&mut *conn, property, &conflict, store::millis(batch.now)).await?;
        batch.state.metrics.count_conflict(conflict.kind);
        return Ok(Outcome::Conflict { version: None, record: None, conflict });
    }
    let planned = plan(mutation, current.as_ref(), &batch.policies, |kind, id| parents.contains(&(kind, id)));

    Ok(match planned {
        Plan::Reject { category, message } => rejected(category, message),
        Plan::Unchanged => Outcome::Applied { version: current.as_ref().map_or(0, |c| c.version) },
        Plan::Conflict(conflict) => {
            store::save_conflict(&mut *conn, property, &conflict, store::millis(batch.now)).await?;
            batch.state.metrics.count_conflict(conflict.kind);
            Outcome::Conflict { version: None, record: None, conflict }
        }
        Plan::Delete => {
            let Some(current) = current else {
                return Ok(Outcome::Applied { version: 0 });
            };
            let version = current.version + 1;
            let author = Author::of(mutation);
            store::write_version(
                &mut *conn,
                &NewVersion {
                    property,
                    entity: mutation.entity,
                    id: mutation.record_id,
                    version,
                    fields: &current.fields,
                    field_clocks: &current.field_clocks,
                    deleted: true,
                    before: Some(&current.fields),
                    author: &author,
                    at: batch.now,
                    mutation_id: Some(mutation.id),
                    seq: Some(batch.next_seq()),
                    superseded: &[],
                },
            )
            .await?;
            batch.remember(
                mutation,
                ServerRecord {
                    version,
                    fields: current.fields.clone(),
                    field_clocks: current.field_clocks.clone(),
                    deleted: true,
                    last: author,
                },
            );
            Outcome::Applied { version }
        }
        Plan::Write { record, changed, merged, conflict, superseded } => {
            let mut breaches = Vec::new();
            if mutation.entity == EntityKind::FolioPosting {
                match check_reversal(conn, property, &record).await? {
                    Reversal::NotOne | Reversal::Within => {}
                    Reversal::Invalid(message) => return Ok(rejected(RejectCategory::Validation, message)),
                    Reversal::Beyond(breach) => breaches.push(breach),
                }
            }
            let version = current.as_ref().map_or(1, |c| c.version + 1);
            let author = Author::of(mutation);
            let mut clocks = current.as_ref().map(|c| c.field_clocks.clone()).unwrap_or_default();
            for field in &changed {
                clocks.insert(field.clone(), mutation.hlc);
            }
            store::write_version(
                &mut *conn,
                &NewVersion {
                    property,
                    entity: mutation.entity,
                    id: mutation.record_id,
                    version,
                    fields: &record,
                    field_clocks: &clocks,
                    deleted: false,
                    before: current.as_ref().filter(|c| !c.deleted).map(|c| &c.fields),
                    author: &author,
                    at: batch.now,
                    mutation_id: Some(mutation.id),
                    seq: Some(batch.next_seq()),
                    superseded: &superseded,
                },
            )
            .await?;
            batch.remember(
                mutation,
                ServerRecord { version, fields: record.clone(), field_clocks: clocks, deleted: false, last: author },
            );
            if batch.cache().waited.contains(&mutation.id) {
                release_dependency(&mut *conn, property, mutation, batch.now).await?;
            }
            // Nothing is dropped: a record that breaks a room rule is still written,
            // and the breach becomes a conflict for a person to settle.
            let mut conflicts: Vec<Box<Conflict>> = Vec::new();
            match mutation.entity {
                EntityKind::Reservation => {
                    breaches.extend(room_breaches(conn, property, &record, Some(batch)).await?);
                    breaches.extend(action_breaches(batch, conn, mutation, &record).await?);
                }
                EntityKind::Room => {
                    if changed.iter().any(|f| f == "occupancy") {
                        breaches.extend(occupancy_breach_of(conn, property, &record).await?);
                    }
                    if changed.iter().any(|f| matches!(f.as_str(), "availability" | "blocked_from" | "blocked_until")) {
                        breaches.extend(block_breaches(conn, property, &record).await?);
                    }
                }
                EntityKind::FolioPosting if current.is_none() => {
                    breaches.extend(closed_folio_breach(batch, conn, &record).await?);
                }
                _ => {}
            }
            {
                for breach in breaches {
                    conflicts.push(Box::new(Conflict::business_rule(
                        mutation,
                        breach,
                        current.as_ref().map(|c: &ServerRecord| c.last.clone()),
                        current.as_ref().map(|c| c.version),
                    )));
                }
            }
            conflicts.extend(conflict);
            for conflict in &conflicts {
                store::save_conflict(&mut *conn, property, conflict, store::millis(batch.now)).await?;
                batch.state.metrics.count_conflict(conflict.kind);
            }
            match conflicts.into_iter().next() {
                Some(conflict) => Outcome::Conflict { version: Some(version), record: Some(record), conflict },
                None if merged || renumbered.is_some() => Outcome::Merged { version, record },
                None => Outcome::Applied { version },
            }
        }
    })
}

/// The mutation with the property's next official confirmation number in place of
/// a provisional one (kept as `provisional_confirmation`); none when it has none.
async fn official_number(
    batch: &Batch<'_>,
    conn: &mut AnyConnection,
    mutation: &Mutation,
) -> Result<Option<Mutation>, sqlx::Error> {
    if mutation.entity != EntityKind::Reservation || mutation.op != Operation::Insert {
        return Ok(None);
    }
    let Some(provisional) = mutation
        .changes
        .get("confirmation")
        .and_then(|c| c.value.as_str())
        .and_then(|text| text.parse::<ConfirmationNumber>().ok())
        .filter(ConfirmationNumber::is_provisional)
    else {
        return Ok(None);
    };
    let year = u16::try_from(batch.today.year()).unwrap_or(u16::MAX);
    let sequence = store::next_confirmation(conn, batch.session.property_id, year).await?;
    let official = ConfirmationNumber::Official { year, sequence };
    let mut renumbered = mutation.clone();
    renumbered
        .changes
        .insert("confirmation".into(), FieldChange { base: Value::Null, value: Value::from(official.to_string()) });
    renumbered.changes.insert(
        "provisional_confirmation".into(),
        FieldChange { base: Value::Null, value: Value::from(provisional.to_string()) },
    );
    Ok(Some(renumbered))
}

/// Invariants 1 and 2 for a stay just written: double booking and blocked rooms.
pub(crate) async fn room_breaches(
    conn: &mut AnyConnection,
    property: Uuid,
    record: &Fields,
    batch: Option<&Batch<'_>>,
) -> Result<Vec<RuleBreach>, sqlx::Error> {
    let Ok(reservation) = serde_json::from_value::<Reservation>(Value::Object(record.clone())) else {
        tracing::warn!("a planned reservation does not read as one; room rules not checked");
        return Ok(Vec::new());
    };
    if reservation.room_id.is_none() {
        return Ok(Vec::new());
    }
    let stay = Stay::from(&reservation);
    let Some(room_id) = reservation.room_id else {
        return Ok(Vec::new());
    };
    let arrival = reservation.arrival.to_string();
    let departure = reservation.departure.to_string();
    // The common case first, cheaply: the one room and its stays on those nights.
    // Only a breach needs every room and stay of the nights, for the free rooms.
    let room = match batch {
        Some(batch) => batch.room(conn, room_id).await?,
        None => load_room(&mut *conn, property, room_id).await?,
    };
    let Some(room) = room else {
        return Ok(Vec::new());
    };
    let same_room = store::room_stays(&mut *conn, property, room_id, &arrival, &departure).await?;
    if check_stay_room(&stay, std::slice::from_ref(&room), &same_room).is_empty() {
        return Ok(Vec::new());
    }
    let rooms = store::load_rooms(&mut *conn, property).await?;
    let stays = store::overlapping_stays(&mut *conn, property, &arrival, &departure).await?;
    Ok(check_stay_room(&stay, &rooms, &stays))
}

/// Why a posting under a key already stored was not stored: the same posting made
/// on two desks, or two different postings under one key.
fn duplicate_posting(mutation: &Mutation, stored: Option<&ServerRecord>) -> String {
    const CONTENT: [&str; 7] = ["reservation_id", "kind", "amount_minor", "currency", "quantity", "code", "reverses"];
    let stored = stored.map(|s| &s.fields);
    let same = stored.is_some_and(|stored| {
        CONTENT.iter().all(|field| {
            mutation.changes.get(*field).map(|c| &c.value).unwrap_or(&Value::Null)
                == stored.get(*field).unwrap_or(&Value::Null)
        })
    });
    if same {
        return "this posting was made already on another desk: the folio keeps that one, so it is not counted twice"
            .into();
    }
    let amount = stored
        .and_then(|s| Some((s.get("amount_minor")?.as_i64()?, s.get("currency")?.as_str()?.to_owned())))
        .map(|(minor, currency)| format!(" ({} {currency})", sync_core::invariants::format_minor(minor)))
        .unwrap_or_default();
    format!(
        "another desk posted a different amount{amount} under this posting's key first; this one was not stored \
         and the folio shows the first: post it again if it is still owed"
    )
}

/// Takes out of an outcome's record what the caller's role may not read.
fn redact_outcome(role: Role, entity: EntityKind, outcome: &mut Outcome) {
    if let Outcome::Merged { record, .. } | Outcome::Conflict { record: Some(record), .. } = outcome {
        permissions::redact(role, entity, record);
    }
    if let Outcome::Conflict { conflict, .. } = outcome {
        sync_core::access::redact_conflict(role, conflict);
    }
}

/// The date at `now` in the property's time zone (UTC when the zone is unknown).
pub fn property_today(timezone: &str, now: DateTime<Utc>) -> NaiveDate {
    if timezone.parse::<chrono_tz::Tz>().is_err() {
        tracing::warn!(timezone, "the property's time zone is unknown; its dates follow UTC");
    }
    sync_core::business_date(timezone, now)
}

async fn load_room(conn: &mut AnyConnection, property: Uuid, id: Uuid) -> Result<Option<RoomState>, sqlx::Error> {
    Ok(room_state(store::load_record(&mut *conn, property, EntityKind::Room, id).await?))
}

/// A live room record as the room rules read it.
fn room_state(record: Option<ServerRecord>) -> Option<RoomState> {
    record
        .filter(|room| !room.deleted)
        .and_then(|room| serde_json::from_value::<Room>(Value::Object(room.fields)).ok())
        .map(|room| RoomState::from(&room))
}

/// Invariants 3 and 6 for a check-in or check-out that landed: the room is ready
/// and the stay arrives by today; the folio is settled at departure. The stay is
/// written either way (the guest is in, or gone): a breach becomes a conflict.
async fn action_breaches(
    batch: &Batch<'_>,
    conn: &mut AnyConnection,
    mutation: &Mutation,
    record: &Fields,
) -> Result<Vec<RuleBreach>, sqlx::Error> {
    let Operation::Action(action) = mutation.op else {
        return Ok(Vec::new());
    };
    let Ok(reservation) = serde_json::from_value::<Reservation>(Value::Object(record.clone())) else {
        return Ok(Vec::new());
    };
    let property = batch.session.property_id;
    match action {
        DomainAction::CheckIn if reservation.status == ReservationStatus::CheckedIn => {
            let room = match reservation.room_id {
                Some(id) => batch.room(conn, id).await?,
                None => None,
            };
            // The device checked the guest in to the room its copy of the stay named:
            // if the stay was reassigned meanwhile, guest and stay disagree.
            if let Some(base) = mutation.base_version
                && let Some(seen) =
                    store::fields_at_version(conn, property, EntityKind::Reservation, reservation.id, base.max(1))
                        .await?
                && let seen_room = uuid_of(seen.get("room_id"))
                && seen_room.is_some()
                && seen_room != reservation.room_id
            {
                let guest_room = match seen_room {
                    Some(id) => batch.room(conn, id).await?.map(|r| r.number),
                    None => None,
                };
                return Ok(vec![RuleBreach::InHouseRoomChange {
                    guest_room,
                    stay_room: room.as_ref().map(|r| r.number.clone()),
                }]);
            }
            // The move was allowed by the lifecycle: the stay was confirmed.
            let stay = Stay { status: ReservationStatus::Confirmed, ..Stay::from(&reservation) };
            let mut problems = check_in_problems(&stay, room.as_ref(), batch.today);
            // Another stay already in the room (a room marked vacant by mistake).
            if let Some(room) = room.as_ref() {
                let others: Vec<Uuid> = store::in_house_stays(conn, property, room.id)
                    .await?
                    .into_iter()
                    .filter(|id| *id != reservation.id)
                    .collect();
                if !others.is_empty() && room.occupancy == Occupancy::Vacant {
                    problems.push(format!("room {} has another guest checked in", room.number));
                }
            }
            Ok(if problems.is_empty() { Vec::new() } else { vec![RuleBreach::CheckInPrecondition { problems }] })
        }
        DomainAction::CheckOut if reservation.status == ReservationStatus::CheckedOut => {
            let owed = folio_balance(conn, property, reservation.id).await?;
            Ok(check_out_breach(&owed).into_iter().collect())
        }
        // The desk undid the check-in with nothing on its copy of the folio; another
        // desk may have posted to it before the undo arrived.
        DomainAction::UndoCheckIn if reservation.status == ReservationStatus::Confirmed => {
            let owed = folio_balance(conn, property, reservation.id).await?;
            Ok(undo_check_in_breach(&owed).into_iter().collect())
        }
        // The desk reinstated the guest into a room it saw free; another desk may have
        // checked the next guest into it before the reinstatement arrived.
        DomainAction::ReinstateCheckOut if reservation.status == ReservationStatus::CheckedIn => {
            let Some(room) = reservation.room_id else { return Ok(Vec::new()) };
            let in_house = store::in_house_stays(conn, property, room).await?;
            if in_house.iter().all(|id| *id == reservation.id) {
                return Ok(Vec::new());
            }
            let occupancy = batch.room(conn, room).await?.map_or(Occupancy::Occupied, |r| r.occupancy);
            Ok(vec![RuleBreach::OccupancyMismatch { room_id: room, occupancy, in_house }])
        }
        _ => Ok(Vec::new()),
    }
}

/// The balance of a stay's folio, from every posting the server holds.
async fn folio_balance(
    conn: &mut AnyConnection,
    property: Uuid,
    stay: Uuid,
) -> Result<std::collections::BTreeMap<String, i64>, sqlx::Error> {
    let postings = store::stay_postings(conn, property, stay).await?;
    Ok(balance(postings.iter().map(|p| PostingAmount {
        kind: p.kind,
        amount_minor: p.amount_minor,
        currency: &p.currency,
    })))
}

/// Invariant 7 after a room's occupancy changed: occupied with exactly one in-house
/// stay, vacant with none.
async fn occupancy_breach_of(
    conn: &mut AnyConnection,
    property: Uuid,
    record: &Fields,
) -> Result<Option<RuleBreach>, sqlx::Error> {
    let Ok(room) = serde_json::from_value::<Room>(Value::Object(record.clone())) else {
        return Ok(None);
    };
    let in_house = store::in_house_stays(conn, property, room.id).await?;
    Ok(occupancy_breach(&RoomState::from(&room), &in_house))
}

/// What a posting is as a correction.
enum Reversal {
    /// Not a correction.
    NotOne,
    /// A correction within what is left of its posting.
    Within,
    /// Not a correction the rules allow (another stay's posting, a correction of a
    /// correction, the same sign): refused.
    Invalid(String),
    /// Together with corrections made elsewhere, it takes back more than the posting:
    /// kept, and a person settles the folio.
    Beyond(RuleBreach),
}

/// A correction must reverse a posting of the same stay, with the opposite sign, by
/// no more than what is left of it after earlier corrections.
async fn check_reversal(conn: &mut AnyConnection, property: Uuid, record: &Fields) -> Result<Reversal, sqlx::Error> {
    let Some(reversed) = uuid_of(record.get("reverses")) else {
        return Ok(Reversal::NotOne);
    };
    let Some(stay) = uuid_of(record.get("reservation_id")) else {
        return Ok(Reversal::NotOne);
    };
    let amount = record.get("amount_minor").and_then(Value::as_i64).unwrap_or_default();
    let postings = store::stay_postings(conn, property, stay).await?;
    let Some(original) = postings.iter().find(|p| p.id == reversed) else {
        return Ok(Reversal::Invalid(
            "a correction reverses a posting of the same stay's folio; this one names another stay's".into(),
        ));
    };
    if original.reverses.is_some() {
        return Ok(Reversal::Invalid(
            "a correction cannot itself be reversed: post a new charge or payment instead".into(),
        ));
    }
    if amount.signum() == original.amount_minor.signum()
        || amount.saturating_abs() > original.amount_minor.saturating_abs()
    {
        return Ok(Reversal::Invalid(format!(
            "a correction takes back at most the posting ({}), with the opposite sign; this one is {}",
            sync_core::invariants::format_minor(original.amount_minor),
            sync_core::invariants::format_minor(amount)
        )));
    }
    let record_id = uuid_of(record.get("id"));
    let already: i64 = postings
        .iter()
        .filter(|p| p.reverses == Some(reversed) && Some(p.id) != record_id)
        .map(|p| p.amount_minor)
        .sum();
    let left = original.amount_minor.saturating_add(already);
    if amount.saturating_abs() > left.saturating_abs() || left.signum() != original.amount_minor.signum() {
        return Ok(Reversal::Beyond(RuleBreach::PostingOverCorrected {
            reverses: reversed,
            left_minor: left,
            correction_minor: amount,
            currency: original.currency.clone(),
        }));
    }
    Ok(Reversal::Within)
}

/// A new posting on the folio of a stay already checked out: the closed folio must
/// still balance, or a person settles it (nothing posted is dropped).
async fn closed_folio_breach(
    batch: &Batch<'_>,
    conn: &mut AnyConnection,
    record: &Fields,
) -> Result<Option<RuleBreach>, sqlx::Error> {
    let property = batch.session.property_id;
    let Some(stay_id) = uuid_of(record.get("reservation_id")) else {
        return Ok(None);
    };
    let Some(stay) = batch.record(conn, EntityKind::Reservation, stay_id).await? else {
        return Ok(None);
    };
    if stay.deleted || stay.fields.get("status").and_then(Value::as_str) != Some("checked_out") {
        return Ok(None);
    }
    let owed = folio_balance(conn, property, stay_id).await?;
    Ok(check_out_breach(&owed).map(|_| RuleBreach::PostingOnClosedFolio { reservation_id: stay_id, balance: owed }))
}

/// Invariant 2 after a room was blocked: the live stays it holds on the blocked
/// nights (a block made by someone who had not seen the booking).
async fn block_breaches(
    conn: &mut AnyConnection,
    property: Uuid,
    record: &Fields,
) -> Result<Vec<RuleBreach>, sqlx::Error> {
    let Ok(room) = serde_json::from_value::<Room>(Value::Object(record.clone())) else {
        return Ok(Vec::new());
    };
    let state = RoomState::from(&room);
    if state.availability == sync_core::domain::Availability::Available {
        return Ok(Vec::new());
    }
    let from = room.blocked_from.map_or_else(|| "0000-01-01".to_owned(), |d| d.to_string());
    let until = room.blocked_until.map_or_else(|| "9999-12-31".to_owned(), |d| d.to_string());
    let stays = store::room_stays(&mut *conn, property, room.id, &from, &until).await?;
    let single = std::slice::from_ref(&state);
    let Some(stay) = stays.iter().find(|stay| {
        check_stay_room(stay, single, &[]).iter().any(|b| matches!(b, RuleBreach::RoomUnavailable { .. }))
    }) else {
        return Ok(Vec::new());
    };
    // The rooms free for the stay, for the dialog's "move the stay" choice.
    let rooms = store::load_rooms(&mut *conn, property).await?;
    let others =
        store::overlapping_stays(&mut *conn, property, &stay.arrival.to_string(), &stay.departure.to_string()).await?;
    Ok(check_stay_room(stay, &rooms, &others)
        .into_iter()
        .filter(|b| matches!(b, RuleBreach::RoomUnavailable { .. }))
        .collect())
}

/// A device's room assignment for a stay that is in house on the server.
async fn in_house_room_change(
    batch: &Batch<'_>,
    conn: &mut AnyConnection,
    mutation: &Mutation,
    current: Option<&ServerRecord>,
) -> Result<Option<RuleBreach>, sqlx::Error> {
    let Some(current) = current.filter(|c| !c.deleted) else {
        return Ok(None);
    };
    // A person moving an in-house stay on the server sees that it is in house.
    if batch.deliberate {
        return Ok(None);
    }
    if mutation.entity != EntityKind::Reservation
        || current.fields.get("status").and_then(Value::as_str) != Some("checked_in")
    {
        return Ok(None);
    }
    let Some(change) = mutation.changes.get("room_id") else {
        return Ok(None);
    };
    let guest_room = uuid_of(current.fields.get("room_id"));
    let wanted = uuid_of(Some(&change.value));
    // A device refuses to reassign an in-house stay (that is a room move), so the
    // change was made without knowing of the check-in.
    if wanted == guest_room {
        return Ok(None);
    }
    let number = async |conn: &mut AnyConnection, id: Option<Uuid>| -> Result<Option<String>, sqlx::Error> {
        Ok(match id {
            Some(id) => batch.room(conn, id).await?.map(|r| r.number),
            None => None,
        })
    };
    Ok(Some(RuleBreach::InHouseRoomChange {
        guest_room: number(conn, guest_room).await?,
        stay_room: number(conn, wanted).await?,
    }))
}

/// A mutation that once waited for its parent (a dependency conflict) and now
/// applied: its conflict is settled, with nobody to ask.
async fn release_dependency(
    conn: &mut AnyConnection,
    property: Uuid,
    mutation: &Mutation,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let id = Uuid::new_v5(&mutation.id, sync_core::ConflictKind::Dependency.as_str().as_bytes());
    let Some(mut conflict) = store::load_conflict(&mut *conn, property, id).await? else {
        return Ok(());
    };
    if conflict.status == sync_core::conflict::ConflictStatus::Resolved {
        return Ok(());
    }
    conflict.status = sync_core::conflict::ConflictStatus::Resolved;
    let resolution = serde_json::json!({"choice": "released", "reason": "the record it waited for arrived"});
    store::resolve_conflict(&mut *conn, property, &conflict, &resolution, mutation.user_id, store::millis(now)).await
}
