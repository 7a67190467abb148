//! Property tests of the laws that the merge, the clock and the conflict planner
//! promise (DOMAIN.md, "How concurrent edits merge"), through the public API only.
//!
//! Each law is one proptest whose doc comment states it. Values come from small
//! pools on purpose: equal values on two sides, equal clocks and repeated keys are
//! where three-way merges go wrong (they found two bugs: equal deltas counted once,
//! and a key repeated in one list kept twice).

use std::collections::{BTreeMap, BTreeSet};

use proptest::collection::{btree_set, vec};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Value, json};
use sync_core::conflict::{Author, Plan, ServerRecord, plan};
use sync_core::hlc::{Clock, Hlc};
use sync_core::invariants::Lifecycle;
use sync_core::merge::{FieldMerge, merge_field, merge_record, priority, set_merge, union_by_key};
use sync_core::policy::{MergePolicy, PRIORITY_ORDER, PolicyTable, priority_rank};
use sync_core::protocol::{DomainAction, FieldChange, Mutation, Operation};
use sync_core::schema::{EntityKind, FieldSpec, FieldType, Fields};
use sync_core::validate::check_record;
use uuid::Uuid;

/// Wall time of the tests' timestamps (November 2025), in milliseconds.
const BASE_MS: u64 = 1_763_895_925_000;

const AUTHORS: &[&str] = &["ana", "ben", "chloe"];
const TEXTS: &[&str] = &["quiet", "high floor", "crib", "late checkout", "feather-free"];

fn node(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn stamp(offset_ms: u64, logical: u32, n: u128) -> Hlc {
    Hlc { physical_ms: BASE_MS + offset_ms, logical, node: node(n) }
}

/// Timestamps from a small pool, so that equal clocks and ties on node come up.
fn small_hlc() -> impl Strategy<Value = Hlc> {
    (0u64..4, 0u32..3, 1u128..4).prop_map(|(ms, logical, n)| stamp(ms, logical, n))
}

fn note(id: u128, at: Hlc, by: &str, text: &str) -> Value {
    json!({"id": Uuid::from_u128(id).to_string(), "at": at.to_string(), "by": by, "text": text})
}

fn note_value() -> impl Strategy<Value = Value> {
    (1u128..6, small_hlc(), select(AUTHORS), "[a-z]{0,6}").prop_map(|(id, at, by, text)| note(id, at, by, &text))
}

fn keyed_line() -> impl Strategy<Value = Value> {
    (1u128..6, "[a-z]{1,6}", 1i64..4).prop_map(
        |(id, item, quantity)| json!({"id": Uuid::from_u128(id).to_string(), "item": item, "quantity": quantity}),
    )
}

/// Values of the shape each policy settles (a list of texts for a set merge, notes
/// for append...), drawn from small pools so that sides often agree.
fn policy_value(policy: MergePolicy) -> BoxedStrategy<Value> {
    match policy {
        MergePolicy::ServerWins | MergePolicy::DeviceWins | MergePolicy::LastWriterWins | MergePolicy::Manual => {
            "[ab]{0,2}".prop_map(Value::from).boxed()
        }
        MergePolicy::SetMerge => vec(select(TEXTS), 0..4).prop_map(Value::from).boxed(),
        MergePolicy::Append => vec(note_value(), 0..4).prop_map(Value::from).boxed(),
        MergePolicy::Delta => (-5i64..=5).prop_map(Value::from).boxed(),
        MergePolicy::Priority => select(PRIORITY_ORDER).prop_map(Value::from).boxed(),
        MergePolicy::AppendOnlyUnion => vec(keyed_line(), 0..4).prop_map(Value::from).boxed(),
    }
}

/// A policy with its base, device and server values: unrelated, or with the server
/// unchanged, the device unchanged, or both sides equal.
fn three_way() -> impl Strategy<Value = (MergePolicy, Value, Value, Value)> {
    select(MergePolicy::ALL.to_vec())
        .prop_flat_map(|policy| {
            let value = policy_value(policy);
            (Just(policy), value.clone(), value.clone(), value, 0u8..4)
        })
        .prop_map(|(policy, base, device, server, shape)| match shape {
            0 => (policy, base.clone(), device, base),
            1 => (policy, base.clone(), base, server),
            2 => (policy, base, device.clone(), device),
            _ => (policy, base, device, server),
        })
}

/// The value a field merge settled on, or a test failure for a clash.
fn settled(merge: FieldMerge, why: &str) -> Result<Value, TestCaseError> {
    match merge {
        FieldMerge::Fast(value) | FieldMerge::Settled { value, .. } => Ok(value),
        FieldMerge::Clash(clash) => Err(TestCaseError::fail(format!("{why}, got the clash {clash:?}"))),
    }
}

fn text_of<'a>(value: &'a Value, field: &str) -> &'a str {
    value.get(field).and_then(Value::as_str).unwrap_or_default()
}

/// The entries of a keyed list by key, failing if a key appears twice.
fn each_key_once(list: &Value, key: &str) -> Result<BTreeMap<String, Value>, TestCaseError> {
    let entries =
        list.as_array().ok_or_else(|| TestCaseError::fail(format!("a keyed merge gives a list, got {list}")))?;
    let mut by_key = BTreeMap::new();
    for entry in entries {
        let k = text_of(entry, key).to_owned();
        if by_key.insert(k.clone(), entry.clone()).is_some() {
            return Err(TestCaseError::fail(format!("`{k}` appears twice in {list}: a delivery doubled it")));
        }
    }
    Ok(by_key)
}

fn keyed_by(entries: impl IntoIterator<Item = Value>, key: &str) -> BTreeMap<String, Value> {
    entries.into_iter().map(|entry| (text_of(&entry, key).to_owned(), entry)).collect()
}

/// Notes in the order the append policy keeps them: by time, then by id.
fn in_time_order(mut notes: Vec<Value>) -> Vec<Value> {
    notes.sort_by(|a, b| (text_of(a, "at"), text_of(a, "id")).cmp(&(text_of(b, "at"), text_of(b, "id"))));
    notes
}

// ---- Values of any field of the schema ----

/// A value of the field's type that the schema accepts.
fn valid_value(ty: FieldType) -> BoxedStrategy<Value> {
    let uuid = |n: u128| Value::from(Uuid::from_u128(n).to_string());
    match ty {
        FieldType::Id | FieldType::Uuid | FieldType::Ref(_) => (1u128..6).prop_map(uuid).boxed(),
        FieldType::Text(max) => {
            "[a-zA-Z0-9 ]{0,12}".prop_map(move |text| Value::from(text.chars().take(max).collect::<String>())).boxed()
        }
        FieldType::Int { min, max } => {
            let low = min.max(-20);
            let high = max.min(20).max(low);
            prop_oneof![Just(min), Just(max), min..=max, low..=high].prop_map(Value::from).boxed()
        }
        FieldType::Bool => any::<bool>().prop_map(Value::from).boxed(),
        FieldType::Date => {
            (1u32..=12, 1u32..=28).prop_map(|(month, day)| Value::from(format!("2026-{month:02}-{day:02}"))).boxed()
        }
        FieldType::Hlc => small_hlc().prop_map(|at| Value::from(at.to_string())).boxed(),
        FieldType::Confirmation => prop_oneof![
            (2020u16..2030, 0u32..10_000).prop_map(|(year, n)| format!("H-{year}-{n:04}")),
            (0u32..10_000).prop_map(|n| format!("T-K7Q-{n:04}")),
        ]
        .prop_map(Value::from)
        .boxed(),
        FieldType::Enum(values) => select(values).prop_map(Value::from).boxed(),
        FieldType::TextSet => {
            btree_set("[a-z]{1,6}", 0..4).prop_map(|texts| Value::from(texts.into_iter().collect::<Vec<_>>())).boxed()
        }
        FieldType::NoteList => vec(note_value(), 0..3).prop_map(Value::from).boxed(),
        FieldType::KeyedList => vec(keyed_line(), 0..3).prop_map(Value::from).boxed(),
    }
}

/// A value of the wrong shape for most fields: what a broken client might send.
fn wrong_value() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        Just(json!(1.5)),
        "[a-z0-9 -]{0,8}".prop_map(Value::from),
        Just(json!("")),
        Just(json!([1, "two"])),
        Just(json!([{"text": "no id"}])),
        Just(json!({"nested": true})),
    ]
    .boxed()
}

/// Mostly a valid value of the field, sometimes a wrong one.
fn any_value(spec: &FieldSpec) -> BoxedStrategy<Value> {
    let valid = if spec.nullable {
        prop_oneof![1 => Just(Value::Null), 4 => valid_value(spec.ty)].boxed()
    } else {
        valid_value(spec.ty)
    };
    prop_oneof![6 => valid, 1 => wrong_value()].boxed()
}

/// A record of `kind` with a schema-typed value in every field.
fn record_of(kind: EntityKind) -> BoxedStrategy<Fields> {
    let fields: Vec<BoxedStrategy<(String, Value)>> = kind
        .fields()
        .iter()
        .map(|spec| {
            let name = spec.name.to_owned();
            let value = if spec.nullable {
                prop_oneof![1 => Just(Value::Null), 3 => valid_value(spec.ty)].boxed()
            } else {
                valid_value(spec.ty)
            };
            value.prop_map(move |value| (name.clone(), value)).boxed()
        })
        .collect();
    fields.prop_map(|pairs| pairs.into_iter().collect::<Fields>()).boxed()
}

fn mutable_fields(kind: EntityKind) -> Vec<&'static FieldSpec> {
    kind.fields().iter().filter(|spec| spec.mutable).collect()
}

/// A kind, its record at base, a second record to draw new values from, and two
/// different mutable fields: `x` for the device to change, `y` for the server.
fn two_field_edit() -> impl Strategy<Value = (EntityKind, Fields, Fields, String, String)> {
    let kinds: Vec<EntityKind> = EntityKind::ALL.into_iter().filter(|kind| mutable_fields(*kind).len() >= 2).collect();
    select(kinds)
        .prop_flat_map(|kind| {
            let n = mutable_fields(kind).len();
            (Just(kind), record_of(kind), record_of(kind), 0..n, 1..n)
        })
        .prop_map(|(kind, base, other, i, j)| {
            let fields = mutable_fields(kind);
            let x = fields[i].name.to_owned();
            let y = fields[(i + j) % fields.len()].name.to_owned();
            (kind, base, other, x, y)
        })
        .prop_filter("both fields change", |(_, base, other, x, y)| {
            base.get(x) != other.get(x) && base.get(y) != other.get(y)
        })
}

// ---- Set merge model ----

/// What one text does in a three-way set edit: in the base or not; for a text in
/// the base, whether the device and the server remove it; for one not in it,
/// whether they add it. `order` places it in the base, device and server lists.
#[derive(Debug, Clone, Copy)]
struct TextFate {
    in_base: bool,
    device: bool,
    server: bool,
    order: (u16, u16, u16),
}

impl TextFate {
    fn on_device(&self) -> bool {
        self.in_base != self.device
    }

    fn on_server(&self) -> bool {
        self.in_base != self.server
    }
}

fn set_edit() -> impl Strategy<Value = Vec<(String, TextFate)>> {
    btree_set("[a-z][a-z ]{0,7}", 0..12)
        .prop_flat_map(|texts| {
            let fates = vec((any::<bool>(), any::<bool>(), any::<bool>(), any::<(u16, u16, u16)>()), texts.len());
            (Just(texts), fates)
        })
        .prop_map(|(texts, fates)| {
            texts
                .into_iter()
                .zip(fates)
                .map(|(text, (in_base, device, server, order))| (text, TextFate { in_base, device, server, order }))
                .collect()
        })
}

/// The texts `keep` selects, ordered by `key`.
fn set_list(texts: &[(String, TextFate)], keep: impl Fn(&TextFate) -> bool, key: impl Fn(&TextFate) -> u16) -> Value {
    let mut chosen: Vec<(u16, &str)> =
        texts.iter().filter(|(_, fate)| keep(fate)).map(|(text, fate)| (key(fate), text.as_str())).collect();
    chosen.sort();
    Value::from(chosen.into_iter().map(|(_, text)| text).collect::<Vec<_>>())
}

/// Checks a set merge against the model: no text twice, and exactly
/// (base ∪ device additions ∪ server additions) − device removals − server removals.
fn check_set_merge(got: &Value, expected: &BTreeSet<String>, how: &str) -> Result<(), TestCaseError> {
    let items =
        got.as_array().ok_or_else(|| TestCaseError::fail(format!("{how}: a set merge gives a list, got {got}")))?;
    let texts: Vec<String> = items.iter().map(|item| item.as_str().unwrap_or_default().to_owned()).collect();
    let as_set: BTreeSet<String> = texts.iter().cloned().collect();
    prop_assert_eq!(as_set.len(), texts.len(), "{}: a set merge never holds a text twice, got {}", how, got);
    prop_assert_eq!(
        &as_set,
        expected,
        "{}: every addition survives unless the other side removed it, and every removal is dropped",
        how
    );
    Ok(())
}

// ---- Delta ----

/// Applies one device's change of a counter (from `base` to `device`) to the
/// server's count, as the server does on push.
fn push_delta(server: i64, base: i64, device: i64) -> Result<i64, TestCaseError> {
    let at = stamp(0, 0, 1);
    let merged = settled(
        merge_field(MergePolicy::Delta, &base.into(), &device.into(), &server.into(), at, at),
        "two small counter changes always merge",
    )?;
    merged.as_i64().ok_or_else(|| TestCaseError::fail(format!("a counter merges to a whole number, got {merged}")))
}

// ---- Folio postings and notes delivered many times ----

fn posting(i: usize) -> Value {
    json!({
        "id": Uuid::from_u128(0xF0_0000 + i as u128).to_string(),
        "idempotency_key": format!("K7Q-{i:04}"),
        "kind": "charge",
        "amount_minor": 1_000 + 250 * i as i64,
        "code": "ROOM",
    })
}

/// Items `0..n`, each sent in one to three deliveries, shuffled within them; some
/// whole deliveries are sent again (a retry after a lost acknowledgement), and the
/// deliveries arrive in any order. Each delivery carries a flag for the caller.
fn deliveries(max_items: usize) -> impl Strategy<Value = (usize, Vec<(bool, Vec<usize>)>)> {
    (1..max_items, 1usize..5)
        .prop_flat_map(|(n, batches)| {
            (Just(n), vec(vec((0..batches, any::<u16>()), 1..4), n), vec(any::<bool>(), batches), vec(0..batches, 0..3))
        })
        .prop_map(|(n, copies, flags, retries)| {
            let mut slots: Vec<Vec<(u16, usize)>> = vec![Vec::new(); flags.len()];
            for (item, sends) in copies.iter().enumerate() {
                for &(batch, order) in sends {
                    slots[batch].push((order, item));
                }
            }
            let mut out: Vec<(bool, Vec<usize>)> = slots
                .into_iter()
                .zip(flags)
                .map(|(mut slot, flag)| {
                    slot.sort();
                    (flag, slot.into_iter().map(|(_, item)| item).collect())
                })
                .collect();
            for retry in retries {
                out.push(out[retry].clone());
            }
            (n, out)
        })
        .prop_flat_map(|(n, out)| (Just(n), Just(out).prop_shuffle()))
}

fn distinct(items: &[usize]) -> Vec<usize> {
    let mut seen = BTreeSet::new();
    items.iter().copied().filter(|item| seen.insert(*item)).collect()
}

// ---- Clocks of several nodes ----

const NODES: usize = 3;

#[derive(Debug, Clone)]
enum NetEvent {
    /// A local event on `node`.
    Tick { node: usize },
    /// `from` stamps a message for `to` and puts it on the network.
    Send { from: usize, to: usize },
    /// The message at `pick` (modulo the messages in flight) arrives; with `again`
    /// it stays in flight, to be delivered a second time.
    Deliver { pick: usize, again: bool },
    /// `node`'s wall clock is set forward or back by `by_ms`.
    Jump { node: usize, by_ms: i64 },
    /// Real time passes.
    Wait { ms: i64 },
}

fn net_event() -> impl Strategy<Value = NetEvent> {
    prop_oneof![
        2 => (0..NODES).prop_map(|node| NetEvent::Tick { node }),
        3 => (0..NODES, 0..NODES).prop_map(|(from, to)| NetEvent::Send { from, to }),
        3 => (any::<usize>(), any::<bool>()).prop_map(|(pick, again)| NetEvent::Deliver { pick, again }),
        1 => (0..NODES, -3_600_000i64..3_600_000).prop_map(|(node, by_ms)| NetEvent::Jump { node, by_ms }),
        1 => (0i64..5_000).prop_map(|ms| NetEvent::Wait { ms }),
    ]
}

/// A node's wall time: the true time plus its skew.
fn wall_of(true_ms: i64, skew_ms: i64) -> u64 {
    u64::try_from(true_ms.saturating_add(skew_ms).max(0)).unwrap_or_default()
}

// ---- Conflict plans ----

const RECORD_ID: u128 = 0x5EC0_0001;
const PLAN_KINDS: [EntityKind; 3] = [EntityKind::Reservation, EntityKind::Guest, EntityKind::InventoryItem];

/// A record the schema accepts, as the server would hold it.
fn valid_record(kind: EntityKind) -> BoxedStrategy<Fields> {
    record_of(kind)
        .prop_map(|mut record| {
            record.insert("id".into(), Value::from(Uuid::from_u128(RECORD_ID).to_string()));
            record
        })
        .prop_filter("the server only holds valid records", move |record| check_record(kind, record).is_ok())
        .boxed()
}

/// One field change: the field (or an unknown one), the new value, and the base
/// (`None`: the server's current value, so only the device changed it).
fn field_change(kind: EntityKind) -> BoxedStrategy<(String, Value, Option<Value>)> {
    let specs = kind.fields();
    let mutable: Vec<usize> = (0..specs.len()).filter(|&i| specs[i].mutable).collect();
    prop_oneof![12 => select(mutable), 3 => 0..specs.len(), 1 => Just(specs.len())]
        .prop_flat_map(move |i| match specs.get(i) {
            Some(spec) => (Just(spec.name.to_owned()), any_value(spec), prop::option::of(any_value(spec))).boxed(),
            None => (Just("colour".to_owned()), wrong_value(), prop::option::of(wrong_value())).boxed(),
        })
        .boxed()
}

fn operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        1 => Just(Operation::Insert),
        2 => Just(Operation::Update),
        1 => Just(Operation::Delete),
        1 => select(DomainAction::ALL.to_vec()).prop_map(Operation::Action),
    ]
}

/// How the server answers "does this parent record exist".
#[derive(Debug, Clone, Copy)]
enum Parents {
    All,
    None,
    OddIds,
}

impl Parents {
    fn exist(self, id: Uuid) -> bool {
        match self {
            Parents::All => true,
            Parents::None => false,
            Parents::OddIds => id.as_u128() % 2 == 1,
        }
    }
}

#[derive(Debug, Clone)]
struct PlanCase {
    mutation: Mutation,
    current: Option<ServerRecord>,
    parents: Parents,
}

fn plan_case() -> impl Strategy<Value = PlanCase> {
    select(PLAN_KINDS.to_vec())
        .prop_flat_map(|kind| {
            (
                (Just(kind), valid_record(kind), valid_record(kind), vec(field_change(kind), 0..5)),
                (operation(), any::<bool>(), any::<bool>(), prop::option::weighted(0.9, 0u64..4), 1u64..4),
                (0u8..6, small_hlc(), small_hlc(), select(vec![Parents::All, Parents::None, Parents::OddIds])),
            )
        })
        .prop_map(
            |(
                (kind, current, insert, edits),
                (op, whole_record, coherent_action, base_version, version),
                (server_state, device_hlc, server_hlc, parents),
            )| {
                let mut changes = BTreeMap::new();
                if op == Operation::Insert && whole_record {
                    // A real insert sends every field, based on nothing.
                    for (field, value) in insert {
                        changes.insert(field, FieldChange { base: Value::Null, value });
                    }
                }
                // A real delete sends no field; a broken client might.
                let edits = if op == Operation::Delete && whole_record { Vec::new() } else { edits };
                for (field, value, base) in edits {
                    let base = base.unwrap_or_else(|| current.get(&field).cloned().unwrap_or(Value::Null));
                    changes.insert(field, FieldChange { base, value });
                }
                if let (Operation::Action(action), true) = (op, coherent_action) {
                    // The action's own status move, so that actions get past the shape checks.
                    let (target, _) = Lifecycle::action_target(action);
                    let base = current.get("status").cloned().unwrap_or(Value::Null);
                    changes.insert("status".into(), FieldChange { base, value: target.into() });
                }
                let record = ServerRecord {
                    version,
                    fields: current,
                    deleted: server_state == 1,
                    field_clocks: BTreeMap::new(),
                    last: Author {
                        device_id: node(20),
                        user_id: node(21),
                        hlc: server_hlc,
                        at: server_hlc.wall_time(),
                    },
                };
                PlanCase {
                    mutation: Mutation {
                        id: node(0xAB),
                        idempotency_key: "K7Q-0001".into(),
                        entity: kind,
                        record_id: Uuid::from_u128(RECORD_ID),
                        op,
                        base_version,
                        changes,
                        hlc: device_hlc,
                        device_id: node(10),
                        user_id: node(11),
                    },
                    current: (server_state != 0).then_some(record),
                    parents,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Law 1: merging is deterministic. The same policy, base, device and server values
    /// and clocks give the same result, each time and from fresh copies of the values.
    #[test]
    fn merge_is_deterministic(
        (policy, base, device, server) in three_way(),
        device_hlc in small_hlc(),
        server_hlc in small_hlc(),
    ) {
        let first = merge_field(policy, &base, &device, &server, device_hlc, server_hlc);
        let again = merge_field(policy, &base, &device, &server, device_hlc, server_hlc);
        let reread = |value: &Value| -> Value {
            serde_json::from_str(&value.to_string()).expect("a JSON value reads back from its text")
        };
        let elsewhere = merge_field(policy, &reread(&base), &reread(&device), &reread(&server), device_hlc, server_hlc);
        prop_assert_eq!(&first, &again, "{}: the device and the server run this code and must agree", policy);
        prop_assert_eq!(&first, &elsewhere, "{}: the result depends on the values only, not on their copies", policy);
    }

    /// Law 2: a field changed on one side only is never lost. With the server still at
    /// the base, the device's value is taken as is; with the device still at the base,
    /// the server's value stays; whatever the policy.
    #[test]
    fn a_change_on_one_side_only_is_taken(
        (policy, base, changed, _) in three_way(),
        device_hlc in small_hlc(),
        server_hlc in small_hlc(),
    ) {
        let device_only = merge_field(policy, &base, &changed, &base, device_hlc, server_hlc);
        prop_assert_eq!(
            device_only,
            FieldMerge::Fast(changed.clone()),
            "{}: the server did not touch the field, so there is nothing to merge",
            policy
        );
        let server_only = settled(
            merge_field(policy, &base, &base, &changed, device_hlc, server_hlc),
            "the device did not touch the field",
        )?;
        prop_assert_eq!(server_only, changed, "{}: the device did not touch the field, so the server's value stays", policy);
    }

    /// Law 2, whole records: when the device changed field X while the server changed
    /// only field Y, the merge keeps both changes, raises nothing, and leaves every
    /// other field as the server has it.
    #[test]
    fn edits_to_different_fields_both_survive(
        (kind, base, other, x, y) in two_field_edit(),
        device_hlc in small_hlc(),
        server_hlc in small_hlc(),
    ) {
        let old_x = base.get(&x).cloned().unwrap_or(Value::Null);
        let new_x = other.get(&x).cloned().unwrap_or(Value::Null);
        let new_y = other.get(&y).cloned().unwrap_or(Value::Null);
        let mut current = base.clone();
        current.insert(y.clone(), new_y.clone());
        let changes = BTreeMap::from([(x.clone(), FieldChange { base: old_x, value: new_x.clone() })]);
        let merged = merge_record(
            kind,
            &PolicyTable::defaults(),
            &changes,
            &current,
            &BTreeMap::new(),
            server_hlc,
            device_hlc,
        );
        prop_assert!(merged.clashes.is_empty(), "{}: {} and {} were changed on different sides, got {:?}", kind, x, y, merged.clashes);
        prop_assert_eq!(merged.record.get(&x), Some(&new_x), "{}.{}: only the device changed it", kind, x);
        prop_assert_eq!(merged.record.get(&y), Some(&new_y), "{}.{}: only the server changed it", kind, y);
        for (field, value) in &base {
            if *field != x && *field != y {
                prop_assert_eq!(merged.record.get(field), Some(value), "{}.{}: nobody changed it", kind, field);
            }
        }
        prop_assert_eq!(merged.changed, vec![x.clone()], "{}: only {} differs from the server's record", kind, x);
    }

    /// Law 3: the same change on both sides is never a conflict: with device == server
    /// != base, every policy takes that value on the fast path.
    ///
    /// A counter under the delta policy is checked for "no conflict" only: two equal
    /// counts are two separate changes there, which the delta laws below cover.
    #[test]
    fn the_same_change_on_both_sides_is_no_conflict(
        (policy, base, value, _) in three_way().prop_filter("a change", |(_, base, value, _)| value != base),
        device_hlc in small_hlc(),
        server_hlc in small_hlc(),
    ) {
        let got = merge_field(policy, &base, &value, &value, device_hlc, server_hlc);
        prop_assert!(!matches!(got, FieldMerge::Clash(_)), "{}: both sides agree, there is nothing to settle, got {:?}", policy, got);
        if policy != MergePolicy::Delta {
            prop_assert_eq!(got, FieldMerge::Fast(value.clone()), "{}: both sides made the same change", policy);
        }
    }

    /// Law 4: a set merge keeps every addition the other side did not remove, drops
    /// every removal and never holds a text twice: as a set, the result is
    /// (base ∪ device additions ∪ server additions) − device removals − server removals.
    #[test]
    fn set_merge_follows_the_set_model(texts in set_edit(), device_hlc in small_hlc(), server_hlc in small_hlc()) {
        let base = set_list(&texts, |fate| fate.in_base, |fate| fate.order.0);
        let device = set_list(&texts, TextFate::on_device, |fate| fate.order.1);
        let server = set_list(&texts, TextFate::on_server, |fate| fate.order.2);
        let expected: BTreeSet<String> = texts
            .iter()
            .filter(|(_, fate)| if fate.in_base { !fate.device && !fate.server } else { fate.device || fate.server })
            .map(|(text, _)| text.clone())
            .collect();
        let direct = set_merge(&base, &device, &server).expect("lists of texts always set-merge");
        check_set_merge(&direct, &expected, "set_merge")?;
        let through_policy = settled(
            merge_field(MergePolicy::SetMerge, &base, &device, &server, device_hlc, server_hlc),
            "lists of texts always set-merge",
        )?;
        check_set_merge(&through_policy, &expected, "merge_field")?;
    }

    /// Law 5: counter merges commute. Two devices that changed the same count from the
    /// same base reach the same total whichever pushes first, and that total is
    /// base + both changes: no take-out of linen is lost.
    #[test]
    fn delta_merges_commute_and_add_up(base in -100i64..100, d_a in -3i64..=3, d_b in -3i64..=3) {
        let a_then_b = push_delta(push_delta(base, base, base + d_a)?, base, base + d_b)?;
        let b_then_a = push_delta(push_delta(base, base, base + d_b)?, base, base + d_a)?;
        prop_assert_eq!(a_then_b, b_then_a, "the order of pushes must not change a count");
        prop_assert_eq!(a_then_b, base + d_a + d_b, "both devices' changes count: {} + {} + {}", base, d_a, d_b);
    }

    /// Law 6: the append-only union never loses or doubles a folio posting, whatever the
    /// order and the repetition of deliveries: folding every delivery into the server's
    /// list, by `union_by_key` or by the policy, leaves each posting exactly once.
    #[test]
    fn postings_are_never_lost_or_doubled((n, deliveries) in deliveries(12), hlc in small_hlc()) {
        let base = json!([]);
        let mut by_union = json!([]);
        let mut by_policy = json!([]);
        for (_, delivery) in &deliveries {
            let sent = Value::from(delivery.iter().map(|&i| posting(i)).collect::<Vec<_>>());
            by_union = union_by_key(&base, &sent, &by_union, "id", None).expect("every posting carries an id");
            // A device's own list names each of its postings once.
            let device = Value::from(distinct(delivery).into_iter().map(posting).collect::<Vec<_>>());
            by_policy = settled(
                merge_field(MergePolicy::AppendOnlyUnion, &base, &device, &by_policy, hlc, hlc),
                "keyed lists always merge",
            )?;
        }
        let expected = keyed_by((0..n).map(posting), "id");
        prop_assert_eq!(each_key_once(&by_union, "id")?, expected.clone(), "union_by_key: every posting was delivered at least once");
        prop_assert_eq!(each_key_once(&by_policy, "id")?, expected, "append_only_union: every posting was delivered at least once");
    }

    /// Law 6, one device's list: a list that names one entry twice (a client that
    /// appended a retried line again) is refused before any merge, so nothing is
    /// doubled; the same list without the repeats is accepted.
    #[test]
    fn a_key_repeated_in_a_device_list_is_refused(n in 1usize..6, repeats in vec(0usize..6, 1..4)) {
        let spec = EntityKind::PosOrder.field("lines").expect("POS orders have lines");
        let items: Vec<usize> = (0..n).chain(repeats.into_iter().map(|i| i % n)).collect();
        let repeated = Value::from(items.iter().map(|&i| posting(i)).collect::<Vec<_>>());
        let distinct = Value::from((0..n).map(posting).collect::<Vec<_>>());
        prop_assert!(
            sync_core::validate::check_value(EntityKind::PosOrder, spec, &repeated).is_err(),
            "a line named twice would be charged twice"
        );
        prop_assert!(sync_core::validate::check_value(EntityKind::PosOrder, spec, &distinct).is_ok());
    }

    /// Law 6, notes: notes pushed by several devices, from stale or fresh bases, in any
    /// order and with retries, merge by the append policy into every note exactly once,
    /// in time order.
    #[test]
    fn notes_are_never_lost_or_doubled_and_stay_in_time_order(
        (n, deliveries) in deliveries(10),
        initial_times in vec((0u64..100_000, 0u32..3, 1u128..4), 0..4),
        new_times in vec((0u64..100_000, 0u32..3, 1u128..4), 10),
        device_hlc in small_hlc(),
        server_hlc in small_hlc(),
    ) {
        let make = |id: u128, (ms, logical, by): (u64, u32, u128)| {
            note(id, stamp(ms, logical, by), AUTHORS[by as usize % AUTHORS.len()], &format!("note {id}"))
        };
        let initial: Vec<Value> = initial_times.iter().enumerate().map(|(i, &t)| make(0x100 + i as u128, t)).collect();
        let new: Vec<Value> = new_times.iter().take(n).enumerate().map(|(i, &t)| make(0x200 + i as u128, t)).collect();
        let initial_list = Value::from(in_time_order(initial.clone()));
        let mut server = initial_list.clone();
        for (stale, delivery) in &deliveries {
            // A stale device still edits the first version; a fresh one pulled first.
            let base = if *stale { initial_list.clone() } else { server.clone() };
            let mut notes = base.as_array().cloned().unwrap_or_default();
            for &i in delivery {
                if !notes.iter().any(|note| note.get("id") == new[i].get("id")) {
                    notes.push(new[i].clone());
                }
            }
            let device = Value::from(in_time_order(notes));
            server = settled(
                merge_field(MergePolicy::Append, &base, &device, &server, device_hlc, server_hlc),
                "note lists always merge",
            )?;
        }
        let expected = keyed_by(initial.into_iter().chain(new), "id");
        prop_assert_eq!(each_key_once(&server, "id")?, expected, "every note was delivered at least once");
        let order: Vec<(&str, &str)> = server
            .as_array()
            .map(|notes| notes.iter().map(|note| (text_of(note, "at"), text_of(note, "id"))).collect())
            .unwrap_or_default();
        prop_assert!(order.windows(2).all(|pair| pair[0] < pair[1]), "notes are kept in time order, got {:?}", order);
    }

    /// Law 7: the hybrid logical clock is monotonic across nodes. Three nodes with
    /// skewed wall clocks that jump forward and back exchange messages that arrive late,
    /// out of order and more than once; every timestamp a node issues is greater than
    /// the one it issued before and than every message it observed, and no two
    /// timestamps are equal.
    #[test]
    fn hlc_is_monotonic_across_skewed_nodes(
        skews in prop::array::uniform3(-86_400_000i64..86_400_000),
        events in vec(net_event(), 1..200),
    ) {
        let mut clocks: Vec<Clock> = (1..=NODES).map(|n| Clock::new(node(n as u128))).collect();
        let mut skews = skews;
        let mut true_ms = BASE_MS as i64;
        let mut last_issued = [Hlc::ZERO; NODES];
        let mut highest_seen = [Hlc::ZERO; NODES];
        let mut in_flight: Vec<(usize, Hlc)> = Vec::new();
        let mut every_stamp = BTreeSet::new();
        for event in events {
            let (at, issued) = match event {
                NetEvent::Tick { node } => (node, clocks[node].tick(wall_of(true_ms, skews[node]))),
                NetEvent::Send { from, to } => {
                    let sent = clocks[from].tick(wall_of(true_ms, skews[from]));
                    in_flight.push((to, sent));
                    (from, sent)
                }
                NetEvent::Deliver { pick, again } => {
                    if in_flight.is_empty() {
                        continue;
                    }
                    let index = pick % in_flight.len();
                    let (to, message) = if again { in_flight[index] } else { in_flight.remove(index) };
                    let received = clocks[to].observe(message, wall_of(true_ms, skews[to]));
                    prop_assert!(received > message, "node {}'s receipt {} must follow the message {}", to, received, message);
                    highest_seen[to] = highest_seen[to].max(message);
                    (to, received)
                }
                NetEvent::Jump { node, by_ms } => {
                    skews[node] += by_ms;
                    continue;
                }
                NetEvent::Wait { ms } => {
                    true_ms += ms;
                    continue;
                }
            };
            prop_assert!(issued > last_issued[at], "node {}: {} must follow its previous {}", at, issued, last_issued[at]);
            prop_assert!(issued > highest_seen[at], "node {}: {} must follow everything it saw, up to {}", at, issued, highest_seen[at]);
            prop_assert_eq!(issued.node, clocks[at].node(), "a node stamps with its own id");
            prop_assert!(every_stamp.insert(issued), "{} was issued twice: node ids must break every tie", issued);
            last_issued[at] = issued;
            highest_seen[at] = highest_seen[at].max(issued);
        }
    }

    /// Law 8: the priority merge does not depend on which side holds which value:
    /// priority(a, b) == priority(b, a), the value of higher rank; and a three-way merge
    /// with the sides swapped settles on the same value.
    #[test]
    fn priority_merge_is_commutative_in_sides(
        a in select(PRIORITY_ORDER),
        b in select(PRIORITY_ORDER),
        base in select(PRIORITY_ORDER),
        device_hlc in small_hlc(),
        server_hlc in small_hlc(),
    ) {
        let (a, b, base) = (Value::from(a), Value::from(b), Value::from(base));
        let ab = priority(&a, &b).expect("room statuses all have a priority");
        let ba = priority(&b, &a).expect("room statuses all have a priority");
        prop_assert_eq!(&ab, &ba, "priority({}, {}): a room status does not depend on who sent it", a, b);
        let rank = |value: &Value| value.as_str().and_then(priority_rank);
        let higher = if rank(&a) >= rank(&b) { &a } else { &b };
        prop_assert_eq!(&ab, higher, "the higher-priority status wins");
        let device_first = settled(merge_field(MergePolicy::Priority, &base, &a, &b, device_hlc, server_hlc), "statuses merge")?;
        let server_first = settled(merge_field(MergePolicy::Priority, &base, &b, &a, server_hlc, device_hlc), "statuses merge")?;
        prop_assert_eq!(device_first, server_first, "from base {}, swapping {} and {} between the sides changes nothing", base, a, b);
    }

    /// Law 9: planning a pushed mutation never panics and never writes a record the
    /// schema refuses, whatever the mutation holds (unknown fields, values of the wrong
    /// type, stale bases, odd operations) against a valid server record, a tombstone or
    /// none; a written record keeps the mutation's record id.
    #[test]
    fn plan_never_writes_an_invalid_record(case in plan_case()) {
        let PlanCase { mutation, current, parents } = case;
        let planned = plan(&mutation, current.as_ref(), &PolicyTable::defaults(), |_, id| parents.exist(id));
        if let Plan::Write { record, .. } = &planned {
            let checked = check_record(mutation.entity, record);
            prop_assert!(checked.is_ok(), "{}: a written record must be valid, got {:?} for {:?}", mutation.entity, checked, record);
            prop_assert_eq!(
                record.get("id"),
                Some(&Value::from(mutation.record_id.to_string())),
                "a write lands on the record the mutation names"
            );
        }
    }
}
