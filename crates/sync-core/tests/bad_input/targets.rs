//! The fuzz targets: each takes any byte string, turns it into inputs of the sync
//! core, and panics when a promise is broken. libFuzzer runs them through
//! `crates/sync-core/fuzz` (`scripts/fuzz.sh`); proptest runs them on random bytes
//! in `main.rs`, so a short run is part of every `cargo test`.
//!
//! What they promise beyond `merge_laws.rs` (which checks the merge laws on values
//! of the right shape): nothing panics on values of any shape, under any policy
//! table a property may write; decoding never panics and whatever decodes
//! re-encodes to the same value; a merge settles on values one of the sides
//! holds, except where the policy combines them (sets, keyed lists, counters);
//! a refused policy file says where it is wrong.

use std::any::type_name;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use sync_core::conflict::{Author, Conflict, Plan, ResolutionChoice, ServerRecord, plan};
use sync_core::hlc::{Clock, Hlc};
use sync_core::invariants::{FreeRoom, RuleBreach};
use sync_core::merge::{Clash, FieldMerge, merge_field, merge_record};
use sync_core::policy::{MergePolicy, PolicyError, PolicyTable};
use sync_core::protocol::{
    ApiError, Change, ChangeKind, Cursor, DomainAction, EnrollRequest, Enrollment, FieldChange, Mutation,
    MutationResult, Operation, Outcome, PullRequest, PullResponse, PushRequest, PushResponse, RejectCategory,
    SignInRequest, SignedIn, UserInfo,
};
use sync_core::schema::{EntityKind, Fields};
use uuid::Uuid;

use crate::draw::Draw;

// ---- Protocol decoding ----

/// Decodes `text` as a `T`; if it decodes, checks that it re-encodes to text that
/// decodes to the same value, and that encoding is stable.
fn round_trips<T: Serialize + DeserializeOwned + PartialEq + Debug>(text: &[u8]) -> Option<T> {
    let value: T = serde_json::from_slice(text).ok()?;
    let encoded = serde_json::to_string(&value).expect("a decoded value encodes");
    let again: T = match serde_json::from_str(&encoded) {
        Ok(again) => again,
        Err(err) => panic!("a {} re-encoded as {encoded} does not decode: {err}", type_name::<T>()),
    };
    assert_eq!(again, value, "a {} must decode to itself after a round trip through {encoded}", type_name::<T>());
    let twice = serde_json::to_string(&again).expect("a decoded value encodes");
    assert_eq!(twice, encoded, "encoding a {} must be stable", type_name::<T>());
    Some(value)
}

/// Every timestamp a clock issues after seeing `remote` must have a text form that
/// parses back: devices and the server read each other's clocks from that text.
fn clock_stays_readable(remote: Hlc, now_ms: u64) {
    let mut clock = Clock::new(Uuid::from_u128(7));
    let issued = [clock.observe(remote, now_ms), clock.tick(now_ms), clock.tick(now_ms)];
    for (i, stamp) in issued.into_iter().enumerate() {
        let text = stamp.to_string();
        assert_eq!(
            text.parse::<Hlc>().ok(),
            Some(stamp),
            "stamp {i} of a clock that observed {remote} at {now_ms} ms is written {text}, which does not read back"
        );
    }
}

/// Tries `text` as every message of the wire protocol.
fn decode_all(text: &[u8]) {
    round_trips::<Mutation>(text);
    round_trips::<FieldChange>(text);
    round_trips::<Operation>(text);
    if let Some(push) = round_trips::<PushRequest>(text) {
        for mutation in push.mutations {
            clock_stays_readable(mutation.hlc, 1_763_895_925_000);
        }
    }
    if let Some(answer) = round_trips::<PushResponse>(text) {
        clock_stays_readable(answer.server_hlc, 1_763_895_925_000);
    }
    round_trips::<MutationResult>(text);
    round_trips::<Outcome>(text);
    round_trips::<PullRequest>(text);
    round_trips::<PullResponse>(text);
    round_trips::<Change>(text);
    round_trips::<Conflict>(text);
    round_trips::<RuleBreach>(text);
    round_trips::<ResolutionChoice>(text);
    round_trips::<EnrollRequest>(text);
    round_trips::<Enrollment>(text);
    round_trips::<SignInRequest>(text);
    round_trips::<SignedIn>(text);
    round_trips::<ApiError>(text);
    if let Some(hlc) = round_trips::<Hlc>(text) {
        clock_stays_readable(hlc, 0);
        clock_stays_readable(hlc, hlc.physical_ms);
    }
    if let Some(cursor) = round_trips::<Cursor>(text) {
        assert_eq!(cursor.to_string().parse::<Cursor>().ok(), Some(cursor), "a cursor's text reads back");
    }
}

/// One well-formed message of each kind, for the structure-aware edits to start
/// from.
pub fn samples() -> Vec<Value> {
    let id = Uuid::from_u128;
    let at = Hlc { physical_ms: 1_763_895_925_000, logical: 3, node: id(9) };
    let mutation = Mutation {
        id: id(1),
        idempotency_key: "K7Q-0001".into(),
        entity: EntityKind::Reservation,
        record_id: id(2),
        op: Operation::Action(DomainAction::CheckIn),
        base_version: Some(4),
        changes: BTreeMap::from([(
            "status".to_owned(),
            FieldChange { base: json!("confirmed"), value: json!("checked_in") },
        )]),
        hlc: at,
        device_id: id(3),
        user_id: id(4),
    };
    let conflict = match plan(
        &Mutation { op: Operation::Update, ..mutation.clone() },
        None,
        &PolicyTable::defaults(),
        |_, _| true,
    ) {
        Plan::Conflict(conflict) => *conflict,
        other => panic!("an update of a record the server lacks is a conflict, got {other:?}"),
    };
    let breach = RuleBreach::DoubleBooking {
        room_id: id(5),
        room_number: "101".into(),
        with: vec![id(6)],
        first_night: chrono::NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date"),
        last_night: chrono::NaiveDate::from_ymd_opt(2026, 11, 24).expect("a date"),
        free_rooms: vec![FreeRoom { room_id: id(7), number: "102".into() }],
    };
    let business = Conflict::business_rule(&mutation, breach, Some(Author::of(&mutation)), Some(4));
    let record: Fields = json!({"id": id(2).to_string(), "status": "checked_in", "adults": 2, "notes": []})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let results = vec![
        MutationResult { mutation_id: id(1), outcome: Outcome::Applied { version: 5 } },
        MutationResult { mutation_id: id(1), outcome: Outcome::Merged { version: 6, record: record.clone() } },
        MutationResult {
            mutation_id: id(1),
            outcome: Outcome::Conflict { version: Some(6), record: Some(record.clone()), conflict: Box::new(business) },
        },
        MutationResult {
            mutation_id: id(1),
            outcome: Outcome::Rejected { category: RejectCategory::Validation, message: "adults".into() },
        },
    ];
    let change = Change {
        entity: EntityKind::Reservation,
        record_id: id(2),
        kind: ChangeKind::Upsert,
        version: 6,
        record: Some(record),
        hlc: at,
        device_id: id(3),
        user_id: id(4),
        at: at.wall_time(),
        mutation_id: Some(id(1)),
    };
    let encode = |value: &dyn erased::Encode| value.json();
    vec![
        encode(&mutation),
        encode(&PushRequest { protocol: 1, mutations: vec![mutation.clone()] }),
        encode(&PushResponse { results, server_hlc: at }),
        encode(&PullRequest { protocol: 1, cursor: Some(Cursor::after(42)), limit: Some(500) }),
        encode(&PullResponse { changes: vec![change], cursor: Cursor::after(43), has_more: true }),
        encode(&conflict),
        encode(&ResolutionChoice::PerField { pick: BTreeMap::new() }),
        encode(&ResolutionChoice::MoveStay { room_id: id(7) }),
        encode(&EnrollRequest { code: "ABCD-EFGH-JKLM".into(), device_name: "Desk".into() }),
        encode(&SignedIn {
            token: "t".into(),
            expires_at: at.wall_time(),
            user: UserInfo { id: id(4), username: "ana".into(), display_name: "Ana".into() },
            role: sync_core::domain::Role::FrontDesk,
        }),
    ]
}

mod erased {
    /// Anything that serialises, as JSON, so that samples of different types sit in one list.
    pub trait Encode {
        fn json(&self) -> serde_json::Value;
    }

    impl<T: serde::Serialize> Encode for T {
        fn json(&self) -> serde_json::Value {
            serde_json::to_value(self).expect("a sample encodes")
        }
    }
}

/// One place in a JSON tree, reached by a walk the draw decides.
fn some_place<'v>(draw: &mut Draw<'_>, value: &'v mut Value) -> &'v mut Value {
    let size = match &*value {
        Value::Object(map) => map.len(),
        Value::Array(items) => items.len(),
        _ => 0,
    };
    if size == 0 || draw.one_in(3) {
        return value;
    }
    let index = draw.below(size);
    let child = match value {
        Value::Object(map) => map.values_mut().nth(index),
        Value::Array(items) => items.get_mut(index),
        _ => None,
    };
    some_place(draw, child.expect("the index is below the size"))
}

/// A structure-aware edit of a well-formed message: a value replaced, a key
/// dropped or added, a list emptied or repeated.
fn edit(draw: &mut Draw<'_>, message: &mut Value) {
    let place = some_place(draw, message);
    match draw.below(6) {
        0 | 1 => *place = draw.value(1),
        2 => {
            if let Value::Object(map) = place
                && !map.is_empty()
            {
                let key = map.keys().nth(draw.below(map.len())).cloned().unwrap_or_default();
                map.remove(&key);
            }
        }
        3 => {
            if let Value::Object(map) = place {
                map.insert(draw.text(), draw.value(1));
            }
        }
        4 => {
            if let Value::Array(items) = place
                && let Some(first) = items.first().cloned()
            {
                items.push(first);
            }
        }
        _ => *place = Value::String(draw.text()),
    }
}

/// Target `protocol_json`: the bytes as a message of every type; then a sample
/// message edited by the draw, as text and with its bytes spliced.
pub fn protocol_json(data: &[u8]) {
    decode_all(data);
    let mut draw = Draw::new(data);
    let samples = samples();
    let mut message = draw.pick(&samples);
    for _ in 0..=draw.below(4) {
        edit(&mut draw, &mut message);
    }
    let mut text = message.to_string().into_bytes();
    decode_all(&text);
    if draw.one_in(4) && !text.is_empty() {
        // A splice: duplicate keys, cut strings, broken escapes.
        let at = draw.below(text.len());
        let tail: Vec<u8> = draw.rest().iter().take(16).copied().collect();
        text.splice(at..at, tail);
        decode_all(&text);
    }
}

// ---- Merges ----

/// The values a keyed merge may hold: entries of the device's or the server's list.
fn entries(value: &Value) -> Vec<&Value> {
    value.as_array().map(|items| items.iter().collect()).unwrap_or_default()
}

/// Checks that `value`, settled by `policy` from three sides, holds nothing that
/// none of the sides held (beyond what the policy computes).
fn invents_nothing(policy: MergePolicy, value: &Value, base: &Value, device: &Value, server: &Value) {
    let why = || format!("{policy} settled on {value} from base {base}, device {device}, server {server}");
    match policy {
        MergePolicy::SetMerge => {
            let texts = value.as_array().unwrap_or_else(|| panic!("a set merge gives a list: {}", why()));
            let mut seen = BTreeSet::new();
            for text in texts {
                assert!(
                    entries(device).contains(&text) || entries(server).contains(&text),
                    "{text} comes from neither side: {}",
                    why()
                );
                assert!(seen.insert(text.to_string()), "{text} is held twice: {}", why());
            }
        }
        MergePolicy::Append | MergePolicy::AppendOnlyUnion => {
            let items = value.as_array().unwrap_or_else(|| panic!("a keyed merge gives a list: {}", why()));
            let mut keys = BTreeSet::new();
            for item in items {
                assert!(
                    entries(device).contains(&item) || entries(server).contains(&item),
                    "{item} comes from neither side: {}",
                    why()
                );
                assert!(keys.insert(item.get("id").map(Value::to_string)), "a key is held twice: {}", why());
            }
        }
        MergePolicy::Delta => {
            let (b, d, s) = (base.as_i64(), device.as_i64(), server.as_i64());
            let expected = s.zip(d).zip(b).and_then(|((s, d), b)| s.checked_add(d.checked_sub(b)?));
            assert_eq!(value.as_i64(), expected, "a counter is the server's count plus the device's change: {}", why());
        }
        _ => assert!(value == device || value == server, "the value comes from neither side: {}", why()),
    }
}

/// One field merge of any values under any policy.
fn check_field_merge(policy: MergePolicy, base: &Value, device: &Value, server: &Value, clocks: (Hlc, Hlc)) {
    let merged = merge_field(policy, base, device, server, clocks.0, clocks.1);
    let again = merge_field(policy, &base.clone(), &device.clone(), &server.clone(), clocks.0, clocks.1);
    assert_eq!(merged, again, "{policy}: merging is deterministic");
    match merged {
        FieldMerge::Fast(value) => {
            assert_eq!(&value, device, "{policy}: the fast path takes the device's value");
            assert!(server == base || device == server, "{policy}: the fast path is taken only when nothing clashes");
        }
        FieldMerge::Settled { value, policy: settled_by, device_set_aside } => {
            assert_eq!(settled_by, policy, "the policy asked is the one that settles");
            let picks_a_side = matches!(
                policy,
                MergePolicy::ServerWins | MergePolicy::DeviceWins | MergePolicy::LastWriterWins | MergePolicy::Priority
            );
            if picks_a_side && device != base {
                assert_eq!(device_set_aside, &value != device, "{policy}: set aside means the device's value lost");
            } else {
                assert!(!device_set_aside || &value != device, "{policy}: a value kept is not set aside");
            }
            if device == base {
                assert_eq!(&value, server, "{policy}: an unchanged device keeps the server's value");
            } else {
                invents_nothing(policy, &value, base, device, server);
            }
        }
        FieldMerge::Clash(Clash::BothChanged) => {
            assert_eq!(policy, MergePolicy::Manual, "only a manual field clashes for having changed on both sides");
        }
        FieldMerge::Clash(Clash::Shape { detail }) => {
            assert!(
                matches!(
                    policy,
                    MergePolicy::SetMerge
                        | MergePolicy::Append
                        | MergePolicy::AppendOnlyUnion
                        | MergePolicy::Delta
                        | MergePolicy::Priority
                ),
                "{policy} reads any value, so no shape can clash: {detail}"
            );
            assert!(!detail.is_empty(), "a shape clash says what was wrong");
        }
    }
}

/// A policy table with up to four overrides the draw picks (refused ones are
/// dropped, as the parser would refuse the file).
fn policy_table(draw: &mut Draw<'_>, kind: EntityKind) -> PolicyTable {
    let mut table = PolicyTable::defaults();
    for _ in 0..draw.below(5) {
        let field = draw.pick(kind.fields()).name;
        let _ = table.set(kind, field, draw.pick(&MergePolicy::ALL));
    }
    table
}

/// A field name of `kind`, or now and then one it does not have.
fn field_name(draw: &mut Draw<'_>, kind: EntityKind) -> String {
    if draw.one_in(8) { draw.text() } else { draw.pick(kind.fields()).name.to_owned() }
}

/// A record of `kind`: schema-typed values in most fields, some odd ones.
fn record(draw: &mut Draw<'_>, kind: EntityKind) -> Fields {
    let mut fields = Fields::new();
    for spec in kind.fields() {
        if !draw.one_in(10) {
            fields.insert(spec.name.to_owned(), draw.field_value(spec));
        }
    }
    if draw.one_in(8) {
        fields.insert(draw.text(), draw.value(0));
    }
    fields
}

/// A changed value: the current one, a new one of the field's type, or any value.
fn changed_value(draw: &mut Draw<'_>, kind: EntityKind, field: &str, current: &Fields) -> Value {
    match (draw.below(4), kind.field(field)) {
        (0, _) => current.get(field).cloned().unwrap_or(Value::Null),
        (1, _) | (_, None) => draw.value(0),
        (_, Some(spec)) => draw.field_value(spec),
    }
}

fn changes(draw: &mut Draw<'_>, kind: EntityKind, current: &Fields) -> BTreeMap<String, FieldChange> {
    let mut changes = BTreeMap::new();
    for _ in 0..draw.below(6) {
        let field = field_name(draw, kind);
        let base = changed_value(draw, kind, &field, current);
        let value = changed_value(draw, kind, &field, current);
        changes.insert(field, FieldChange { base, value });
    }
    changes
}

/// Target `merge`: one field of any values under any policy, then a whole record
/// under a policy table the draw writes.
pub fn merge(data: &[u8]) {
    let mut draw = Draw::new(data);
    let policy = draw.pick(&MergePolicy::ALL);
    let base = draw.value(0);
    let device = if draw.one_in(4) { base.clone() } else { draw.value(0) };
    let server = match draw.below(4) {
        0 => base.clone(),
        1 => device.clone(),
        _ => draw.value(0),
    };
    let clocks = (draw.hlc(), draw.hlc());
    check_field_merge(policy, &base, &device, &server, clocks);

    let kind = draw.pick(&EntityKind::ALL);
    let table = policy_table(&mut draw, kind);
    let current = record(&mut draw, kind);
    let changes = changes(&mut draw, kind, &current);
    let mut field_clocks = BTreeMap::new();
    for field in current.keys() {
        if draw.one_in(2) {
            field_clocks.insert(field.clone(), draw.hlc());
        }
    }
    let (record_clock, device_clock) = (draw.hlc(), draw.hlc());
    let merged = merge_record(kind, &table, &changes, &current, &field_clocks, record_clock, device_clock);
    let again = merge_record(kind, &table, &changes, &current, &field_clocks, record_clock, device_clock);
    assert_eq!(merged, again, "a record merge is deterministic");
    let get = |fields: &Fields, field: &str| fields.get(field).cloned().unwrap_or(Value::Null);
    for (field, value) in &merged.record {
        assert!(
            current.contains_key(field) || changes.contains_key(field),
            "{kind}.{field} = {value} was neither on the server nor in the change"
        );
    }
    for field in current.keys().filter(|field| !changes.contains_key(*field)) {
        assert_eq!(merged.record.get(field), current.get(field), "{kind}.{field}: nobody changed it");
    }
    for clash in &merged.clashes {
        let field = &clash.field;
        assert_eq!(
            get(&merged.record, field),
            get(&current, field),
            "{kind}.{field}: a clash keeps the server's value"
        );
        assert_eq!(
            Some(&clash.device),
            changes.get(field).map(|c| &c.value),
            "{kind}.{field}: a clash carries the device's value"
        );
    }
    for (field, change) in &changes {
        let differs = get(&merged.record, field) != get(&current, field);
        assert_eq!(
            differs,
            merged.changed.contains(field),
            "{kind}.{field}: `changed` lists exactly the fields that differ"
        );
        if differs {
            let server_clock = field_clocks.get(field).copied().unwrap_or(record_clock);
            let single = merge_field(
                table.policy(kind, field),
                &change.base,
                &change.value,
                &get(&current, field),
                device_clock,
                server_clock,
            );
            let expected = match single {
                FieldMerge::Fast(value) | FieldMerge::Settled { value, .. } => Some(value),
                FieldMerge::Clash(_) => None,
            };
            assert_eq!(
                merged.record.get(field),
                expected.as_ref(),
                "{kind}.{field}: the record merge is the field merge"
            );
        }
    }
    for field in &merged.set_aside {
        assert!(merged.settled.contains(field), "{kind}.{field}: a value set aside was settled by a policy");
    }
}

// ---- Conflict plans ----

/// Target `plan`: a mutation of any shape against a server record (or none, or a
/// tombstone) under a policy table the draw writes.
pub fn plan_mutation(data: &[u8]) {
    let mut draw = Draw::new(data);
    let kind = draw.pick(&EntityKind::ALL);
    let table = policy_table(&mut draw, kind);
    let record_id = Uuid::from_u128(0x5EC0_0001);
    let mut current = record(&mut draw, kind);
    if !draw.one_in(8) {
        current.insert("id".into(), Value::String(record_id.to_string()));
    }
    let op = match draw.below(5) {
        0 => Operation::Insert,
        1 | 2 => Operation::Update,
        3 => Operation::Delete,
        _ => Operation::Action(draw.pick(&DomainAction::ALL)),
    };
    let mut changes = changes(&mut draw, kind, &current);
    if op == Operation::Insert && draw.one_in(2) {
        for (field, value) in record(&mut draw, kind) {
            changes.insert(field, FieldChange { base: Value::Null, value });
        }
    }
    let version = 1 + draw.below(4) as u64;
    let base_version = match draw.below(4) {
        0 => None,
        1 => Some(draw.u64()),
        _ => Some(version.saturating_sub(draw.below(2) as u64)),
    };
    let server_clock = draw.hlc();
    let server = ServerRecord {
        version,
        fields: current,
        deleted: draw.one_in(6),
        field_clocks: BTreeMap::new(),
        last: Author {
            device_id: Uuid::from_u128(20),
            user_id: Uuid::from_u128(21),
            hlc: server_clock,
            at: server_clock.wall_time(),
        },
    };
    let mutation = Mutation {
        id: Uuid::from_u128(0xAB),
        idempotency_key: draw.text(),
        entity: kind,
        record_id,
        op,
        base_version,
        changes,
        hlc: draw.hlc(),
        device_id: Uuid::from_u128(10),
        user_id: Uuid::from_u128(11),
    };
    let current = (!draw.one_in(5)).then_some(server);
    let parents = draw.below(3);
    let parent_exists = |_: EntityKind, id: Uuid| match parents {
        0 => true,
        1 => false,
        _ => id.as_u128() % 2 == 1,
    };
    let planned = plan(&mutation, current.as_ref(), &table, parent_exists);
    let again = plan(&mutation, current.as_ref(), &table, parent_exists);
    assert_eq!(planned, again, "planning is deterministic: the device and the server must agree");
    let server_value = |field: &str| current.as_ref().and_then(|c| c.fields.get(field));
    let check_conflict = |conflict: &Conflict| {
        assert_eq!(conflict.device_changes, mutation.changes, "a conflict keeps the device's whole change");
        assert_eq!(conflict.mutation_id, mutation.id);
        assert!(!conflict.summary.is_empty(), "a conflict says what happened");
        for clash in &conflict.fields {
            let sent = mutation.changes.get(&clash.field).map(|c| &c.value);
            assert_eq!(Some(&clash.device), sent, "{kind}.{}: a clash shows what the device sent", clash.field);
        }
        let encoded = serde_json::to_string(conflict).expect("a conflict encodes");
        let decoded: Conflict = serde_json::from_str(&encoded)
            .unwrap_or_else(|err| panic!("a planned conflict must cross the wire: {err}\n{encoded}"));
        assert_eq!(&decoded, conflict, "a planned conflict reads back as itself");
    };
    match &planned {
        Plan::Write { record, changed, conflict, .. } => {
            for (field, value) in record {
                let sent = mutation.changes.get(field).map(|c| &c.value);
                let policy = table.policy(kind, field);
                let combines = matches!(
                    policy,
                    MergePolicy::SetMerge | MergePolicy::Append | MergePolicy::AppendOnlyUnion | MergePolicy::Delta
                );
                assert!(
                    field == "id" || Some(value) == sent || Some(value) == server_value(field) || combines,
                    "{kind}.{field} = {value} is neither the device's {sent:?} nor the server's {:?}",
                    server_value(field)
                );
            }
            for field in changed {
                assert!(record.contains_key(field), "{kind}.{field} is listed as changed, so it is written");
            }
            if let Some(conflict) = conflict {
                check_conflict(conflict);
            }
        }
        Plan::Conflict(conflict) => check_conflict(conflict),
        Plan::Reject { message, .. } => assert!(!message.is_empty(), "a refusal says why"),
        Plan::Delete | Plan::Unchanged => {}
    }
}

// ---- Policy files ----

const ENTITY_NAMES: &[&str] = &["reservation", "guest", "room", "inventory_item", "folio_posting", "booking", ""];
const FIELD_NAMES: &[&str] =
    &["adults", "email", "notes", "tags", "cleaning", "quantity", "amount_minor", "id", "status", "kids"];

/// A policy file written from the draw: known and unknown entities, fields and
/// policies, values of other types, dotted keys, broken lines.
fn policy_file(draw: &mut Draw<'_>) -> String {
    let mut text = String::new();
    for _ in 0..draw.below(4) {
        let entity = if draw.one_in(6) { draw.text() } else { draw.pick(ENTITY_NAMES).to_owned() };
        match draw.below(6) {
            0 => text.push_str(&format!("{entity} = {}\n", draw.value(1))),
            1 => text.push_str(&format!("[{entity}\n")),
            _ => text.push_str(&format!("[{}]\n", toml_key(&entity))),
        }
        for _ in 0..draw.below(4) {
            let field = if draw.one_in(6) { draw.text() } else { draw.pick(FIELD_NAMES).to_owned() };
            let policy = match draw.below(6) {
                0 => format!("{}", draw.value(1)),
                1 => format!("\"{}\"", draw.text().replace(['"', '\\'], "")),
                _ => format!("\"{}\"", draw.pick(&MergePolicy::ALL).as_str()),
            };
            text.push_str(&format!("{} = {policy}\n", toml_key(&field)));
        }
    }
    text
}

/// A key as TOML needs it: bare when it can be, else quoted.
fn toml_key(key: &str) -> String {
    if !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        key.to_owned()
    } else {
        format!("{:?}", key)
    }
}

/// A policy file is either taken whole, with every override it names in force, or
/// refused with a message naming the place that is wrong.
fn check_policy_text(text: &str) {
    match PolicyTable::from_toml(text) {
        Ok(table) => {
            let document: toml::Table = text.parse().expect("a file the parser took is TOML");
            for (entity, fields) in &document {
                let kind: EntityKind = entity.parse().expect("a file the parser took names entities");
                for (field, policy) in fields.as_table().expect("a file the parser took has tables") {
                    let policy: MergePolicy = policy.as_str().and_then(|p| p.parse().ok()).expect("a known policy");
                    assert_eq!(table.policy(kind, field), policy, "{kind}.{field} is overridden as the file says");
                }
            }
        }
        Err(err) => {
            let message = err.to_string();
            let names = |place: &str| {
                assert!(message.contains(place), "the error `{message}` must name {place}");
            };
            match &err {
                PolicyError::Syntax(_) => names("line"),
                PolicyError::UnknownEntity(entity) | PolicyError::NotATable { entity } => {
                    names(&entity.chars().take(60).collect::<String>())
                }
                PolicyError::UnknownField { entity, field, .. } => {
                    names(entity.as_str());
                    names(&format!("`{field}`"));
                }
                PolicyError::NotAText { entity, field }
                | PolicyError::DoesNotFit { entity, field, .. }
                | PolicyError::Fixed { entity, field } => names(&format!("{entity}.{field}")),
                PolicyError::UnknownPolicy { entity, field, .. } => names(&format!("{entity}.{field}")),
            }
        }
    }
}

/// Target `policy_toml`: the bytes as a policy file, then a file the draw writes.
pub fn policy_toml(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        check_policy_text(text);
    }
    let mut draw = Draw::new(data);
    check_policy_text(&policy_file(&mut draw));
}
