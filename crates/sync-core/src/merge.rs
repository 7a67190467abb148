//! Field-level three-way merge against the version both sides started from.
//!
//! A field changed on one side only takes that change; a field changed on both sides
//! to the same value is no conflict; a field changed on both sides to different
//! values follows its policy. Values whose shape a policy cannot read (a text where
//! a list was expected, after a schema change or from a broken client) become a
//! conflict for a person instead of a guess.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::hlc::Hlc;
use crate::policy::{MergePolicy, PolicyTable, priority_rank};
use crate::protocol::FieldChange;
use crate::schema::{EntityKind, Fields};

/// Why a field could not be merged automatically.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Clash {
    /// Both sides changed the field to different values and its policy is manual.
    BothChanged,
    /// A value does not have the shape the policy needs.
    Shape { detail: String },
}

/// How one field came out of the merge.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldMerge {
    /// Only the device changed it, or both made the same change: the device's value.
    Fast(Value),
    /// Both changed it; the policy settled on this value.
    Settled {
        value: Value,
        policy: MergePolicy,
        /// The device's value, when the policy set it aside (kept in history).
        device_set_aside: bool,
    },
    /// Both changed it and no policy can settle it; the server keeps its value.
    Clash(Clash),
}

/// Merges one field. `device_hlc` is the time of the device's edit, `server_hlc` the
/// time of the server's last write of the field.
pub fn merge_field(
    policy: MergePolicy,
    base: &Value,
    device: &Value,
    server: &Value,
    device_hlc: Hlc,
    server_hlc: Hlc,
) -> FieldMerge {
    if policy == MergePolicy::Delta && server != base && device != base {
        // Two equal counts are two changes, not one: 10 towels, two housekeepers
        // each take one, and 8 are left.
        return match delta(base, device, server) {
            Ok(value) => FieldMerge::Settled { device_set_aside: false, value, policy },
            Err(detail) => FieldMerge::Clash(Clash::Shape { detail }),
        };
    }
    if server == base || device == server {
        return FieldMerge::Fast(device.clone());
    }
    if device == base {
        // The device did not change it after all: nothing to merge.
        return FieldMerge::Settled { value: server.clone(), policy, device_set_aside: false };
    }
    let settled = |value: Value| FieldMerge::Settled { device_set_aside: &value != device, value, policy };
    let result = match policy {
        MergePolicy::ServerWins => Ok(server.clone()),
        MergePolicy::DeviceWins => Ok(device.clone()),
        MergePolicy::LastWriterWins => Ok(if device_hlc > server_hlc { device.clone() } else { server.clone() }),
        MergePolicy::SetMerge => set_merge(base, device, server),
        MergePolicy::Append => union_by_key(base, device, server, "id", Some("at")),
        MergePolicy::AppendOnlyUnion => union_by_key(base, device, server, "id", None),
        MergePolicy::Delta => delta(base, device, server),
        MergePolicy::Priority => priority(device, server),
        MergePolicy::Manual => return FieldMerge::Clash(Clash::BothChanged),
    };
    match result {
        Ok(value) => settled(value),
        Err(detail) => FieldMerge::Clash(Clash::Shape { detail }),
    }
}

fn texts<'a>(value: &'a Value, side: &str) -> Result<Vec<&'a str>, String> {
    match value {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|item| item.as_str().ok_or_else(|| format!("the {side} list holds {item}, not a text")))
            .collect(),
        other => Err(format!("the {side} value {other} is not a list of texts")),
    }
}

/// Three-way set merge: base plus both sides' additions minus both sides' removals.
/// Order: the server's list, then the device's additions in the device's order.
pub fn set_merge(base: &Value, device: &Value, server: &Value) -> Result<Value, String> {
    let base = texts(base, "base")?;
    let device = texts(device, "device")?;
    let server = texts(server, "server")?;
    let removed_by_device: BTreeSet<&str> = base.iter().filter(|v| !device.contains(v)).copied().collect();
    let mut merged: Vec<&str> = Vec::new();
    for value in server.iter().chain(device.iter()) {
        let kept_by_server = server.contains(value) && !removed_by_device.contains(value);
        let added_by_device = device.contains(value) && !base.contains(value);
        let keep = kept_by_server || added_by_device;
        if keep && !merged.contains(value) {
            merged.push(value);
        }
    }
    Ok(Value::from(merged))
}

fn keyed<'a>(value: &'a Value, side: &str, key: &str) -> Result<Vec<(&'a str, &'a Value)>, String> {
    let items = match value {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        other => return Err(format!("the {side} value {other} is not a list")),
    };
    items
        .iter()
        .map(|item| match item.get(key).and_then(Value::as_str) {
            Some(k) => Ok((k, item)),
            None => Err(format!("an entry of the {side} list has no `{key}`")),
        })
        .collect()
}

/// Union of keyed entries (notes by id, POS lines by id): every entry of either side
/// once. An entry both sides hold keeps the server's copy. With `order_by`, the
/// result is sorted by that field (notes in time order), else server entries come
/// first, then the device's new ones. The base only checks the shape: entries are
/// never removed by a merge.
pub fn union_by_key(
    base: &Value,
    device: &Value,
    server: &Value,
    key: &str,
    order_by: Option<&str>,
) -> Result<Value, String> {
    keyed(base, "base", key)?;
    let device = keyed(device, "device", key)?;
    let server = keyed(server, "server", key)?;
    let mut seen = BTreeSet::new();
    let mut merged: Vec<&Value> = Vec::new();
    for (k, item) in server.into_iter().chain(device) {
        if seen.insert(k) {
            merged.push(item);
        }
    }
    if let Some(field) = order_by {
        merged.sort_by(|a, b| {
            let at = |v: &Value| v.get(field).and_then(Value::as_str).unwrap_or_default().to_owned();
            let id = |v: &Value| v.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
            (at(a), id(a)).cmp(&(at(b), id(b)))
        });
    }
    Ok(Value::Array(merged.into_iter().cloned().collect()))
}

/// Counter merge: the server's value plus the device's change from the base.
pub fn delta(base: &Value, device: &Value, server: &Value) -> Result<Value, String> {
    let number = |value: &Value, side: &str| {
        value.as_i64().ok_or_else(|| format!("the {side} value {value} is not a whole number"))
    };
    let (base, device, server) = (number(base, "base")?, number(device, "device")?, number(server, "server")?);
    device
        .checked_sub(base)
        .and_then(|change| server.checked_add(change))
        .map(Value::from)
        .ok_or_else(|| "the counter would overflow".to_owned())
}

/// Status merge by priority: the higher-priority value wins.
pub fn priority(device: &Value, server: &Value) -> Result<Value, String> {
    let rank = |value: &Value, side: &str| {
        value.as_str().and_then(priority_rank).ok_or_else(|| format!("the {side} value {value} has no priority"))
    };
    Ok(if rank(device, "device")? > rank(server, "server")? { device.clone() } else { server.clone() })
}

/// One field that could not be merged, with the three values involved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FieldClash {
    pub field: String,
    pub base: Value,
    pub device: Value,
    pub server: Value,
    #[serde(flatten)]
    pub clash: Clash,
}

/// The result of merging a device's changes into the server's current record.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordMerge {
    /// The record after the merge (clashing fields keep the server's value).
    pub record: Fields,
    /// Fields whose value differs from the server's current record.
    pub changed: Vec<String>,
    /// Fields both sides changed that a policy settled.
    pub settled: Vec<String>,
    /// Fields a policy settled against the device: its value lives on in history.
    pub set_aside: Vec<String>,
    /// Fields no policy could settle.
    pub clashes: Vec<FieldClash>,
    /// The device's values a policy settled against (server wins, last writer wins,
    /// priority): not lost, but kept in the record's history and told to the desk.
    pub superseded: Vec<Superseded>,
}

/// A device's edit that lost a merge to its field's policy. Nothing a user saved is
/// dropped silently: the server keeps it in the history of the record, with the
/// change that carried it (who and when), and the desk tells its user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Superseded {
    pub field: String,
    /// The device's value that lost.
    pub value: Value,
    /// The value the record kept.
    pub kept: Value,
    /// The policy that decided.
    pub policy: MergePolicy,
}

/// Whether `policy` settles a clash by picking one side, so the other side's value
/// is superseded (rather than combined with it).
pub fn picks_a_side(policy: MergePolicy) -> bool {
    matches!(policy, MergePolicy::ServerWins | MergePolicy::LastWriterWins | MergePolicy::Priority)
}

/// Merges a device's field changes into the server's current record of `kind`.
/// `field_clocks` holds the time of the server's last write of each field, with
/// `record_clock` for fields that have none.
pub fn merge_record(
    kind: EntityKind,
    policies: &PolicyTable,
    changes: &BTreeMap<String, FieldChange>,
    current: &Fields,
    field_clocks: &BTreeMap<String, Hlc>,
    record_clock: Hlc,
    device_hlc: Hlc,
) -> RecordMerge {
    let mut out = RecordMerge { record: current.clone(), ..RecordMerge::default() };
    for (field, change) in changes {
        let server = current.get(field).unwrap_or(&Value::Null);
        let server_hlc = field_clocks.get(field).copied().unwrap_or(record_clock);
        let policy = policies.policy(kind, field);
        let value = match merge_field(policy, &change.base, &change.value, server, device_hlc, server_hlc) {
            FieldMerge::Fast(value) => value,
            FieldMerge::Settled { value, device_set_aside, policy } => {
                if value != *server || device_set_aside {
                    out.settled.push(field.clone());
                }
                if device_set_aside {
                    out.set_aside.push(field.clone());
                    if picks_a_side(policy) {
                        out.superseded.push(Superseded {
                            field: field.clone(),
                            value: change.value.clone(),
                            kept: value.clone(),
                            policy,
                        });
                    }
                }
                value
            }
            FieldMerge::Clash(clash) => {
                out.clashes.push(FieldClash {
                    field: field.clone(),
                    base: change.base.clone(),
                    device: change.value.clone(),
                    server: server.clone(),
                    clash,
                });
                continue;
            }
        };
        if value != *server {
            out.changed.push(field.clone());
            out.record.insert(field.clone(), value);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use uuid::Uuid;

    fn at(ms: u64) -> Hlc {
        Hlc { physical_ms: ms, logical: 0, node: Uuid::nil() }
    }

    fn merged(policy: MergePolicy, base: Value, device: Value, server: Value) -> Value {
        match merge_field(policy, &base, &device, &server, at(2), at(1)) {
            FieldMerge::Fast(value) | FieldMerge::Settled { value, .. } => value,
            FieldMerge::Clash(clash) => panic!("unexpected clash {clash:?}"),
        }
    }

    /// A base value and a changed one, of the shape each policy reads.
    fn before_after(policy: MergePolicy) -> (Value, Value) {
        let entry = |id: &str| json!({"id": id, "at": id, "by": "x", "text": id});
        match policy {
            MergePolicy::Delta => (json!(10), json!(9)),
            MergePolicy::SetMerge => (json!(["quiet"]), json!(["quiet", "crib"])),
            MergePolicy::Append | MergePolicy::AppendOnlyUnion => {
                (json!([entry("1")]), json!([entry("1"), entry("2")]))
            }
            MergePolicy::Priority => (json!("clean"), json!("dirty")),
            _ => (json!("a"), json!("b")),
        }
    }

    #[test]
    fn a_change_on_one_side_is_taken_whatever_the_policy() {
        for policy in MergePolicy::ALL {
            let (before, after) = before_after(policy);
            let got = merge_field(policy, &before, &after, &before, at(1), at(2));
            assert_eq!(got, FieldMerge::Fast(after), "{policy}: only the device changed it");
        }
    }

    #[test]
    fn the_same_change_on_both_sides_is_no_conflict() {
        for policy in MergePolicy::ALL {
            let (before, after) = before_after(policy);
            let got = merge_field(policy, &before, &after, &after, at(1), at(2));
            if policy == MergePolicy::Delta {
                // Two housekeepers each took one towel: both takes count.
                assert_eq!(got, FieldMerge::Settled { value: json!(8), policy, device_set_aside: false });
            } else {
                assert_eq!(got, FieldMerge::Fast(after), "{policy}");
            }
        }
    }

    #[test]
    fn server_wins_keeps_the_server_value_and_says_so() {
        let got = merge_field(MergePolicy::ServerWins, &json!(1), &json!(2), &json!(3), at(9), at(1));
        assert_eq!(
            got,
            FieldMerge::Settled { value: json!(3), policy: MergePolicy::ServerWins, device_set_aside: true }
        );
    }

    #[test]
    fn device_wins_takes_the_device_value() {
        assert_eq!(merged(MergePolicy::DeviceWins, json!(1), json!(2), json!(3)), json!(2));
    }

    #[test]
    fn last_writer_wins_by_clock_not_by_arrival() {
        let later_device = merge_field(MergePolicy::LastWriterWins, &json!(1), &json!(2), &json!(3), at(5), at(4));
        let earlier_device = merge_field(MergePolicy::LastWriterWins, &json!(1), &json!(2), &json!(3), at(3), at(4));
        assert!(matches!(later_device, FieldMerge::Settled { value, .. } if value == json!(2)));
        assert!(matches!(earlier_device, FieldMerge::Settled { value, .. } if value == json!(3)));
    }

    #[test]
    fn set_merge_keeps_both_additions_and_both_removals() {
        let got = merged(
            MergePolicy::SetMerge,
            json!(["quiet", "high floor", "crib"]),
            json!(["quiet", "crib", "late checkout"]),
            json!(["high floor", "crib", "feather-free"]),
        );
        assert_eq!(got, json!(["crib", "feather-free", "late checkout"]));
    }

    #[test]
    fn append_keeps_both_notes_in_time_order() {
        let note = |id: &str, at: &str| json!({"id": id, "at": at, "by": "x", "text": id});
        let base = json!([note("a", "1")]);
        let got = merged(
            MergePolicy::Append,
            base,
            json!([note("a", "1"), note("c", "3")]),
            json!([note("a", "1"), note("b", "2")]),
        );
        assert_eq!(got, json!([note("a", "1"), note("b", "2"), note("c", "3")]));
    }

    #[test]
    fn delta_adds_the_device_change_to_the_server_count() {
        assert_eq!(merged(MergePolicy::Delta, json!(10), json!(7), json!(15)), json!(12));
    }

    #[test]
    fn priority_lets_dirty_beat_a_concurrent_inspection() {
        assert_eq!(merged(MergePolicy::Priority, json!("clean"), json!("inspected"), json!("dirty")), json!("dirty"));
        assert_eq!(
            merged(MergePolicy::Priority, json!("clean"), json!("out_of_order"), json!("dirty")),
            json!("out_of_order")
        );
    }

    #[test]
    fn append_only_union_keeps_every_line_once() {
        let line = |id: &str| json!({"id": id, "item": id, "quantity": 1, "unit_price_minor": 100});
        let got = merged(
            MergePolicy::AppendOnlyUnion,
            json!([line("a")]),
            json!([line("a"), line("c")]),
            json!([line("a"), line("b")]),
        );
        assert_eq!(got, json!([line("a"), line("b"), line("c")]));
    }

    #[test]
    fn manual_raises_a_clash() {
        let got = merge_field(MergePolicy::Manual, &json!("a@x"), &json!("b@x"), &json!("c@x"), at(1), at(2));
        assert_eq!(got, FieldMerge::Clash(Clash::BothChanged));
    }

    #[test]
    fn a_changed_shape_becomes_a_clash_not_a_guess() {
        let cases = [
            (MergePolicy::SetMerge, json!(["a"]), json!("a, b"), json!(["a", "c"])),
            (MergePolicy::Delta, json!(1), json!("2"), json!(3)),
            (MergePolicy::Priority, json!("clean"), json!(3), json!("dirty")),
            (MergePolicy::Append, json!([]), json!("note"), json!([{"id": "a", "at": "1"}])),
            (MergePolicy::AppendOnlyUnion, json!([]), json!([{"item": "x"}]), json!([{"id": "a"}])),
        ];
        for (policy, base, device, server) in cases {
            let got = merge_field(policy, &base, &device, &server, at(1), at(2));
            assert!(matches!(got, FieldMerge::Clash(Clash::Shape { .. })), "{policy}: {got:?}");
        }
    }

    #[test]
    fn record_merge_keeps_non_overlapping_edits_and_reports_clashes() {
        let current: Fields =
            json!({"email": "server@x", "loyalty_tier": "gold", "notes": []}).as_object().cloned().unwrap_or_default();
        let changes = BTreeMap::from([
            ("email".to_owned(), FieldChange { base: json!("old@x"), value: json!("device@x") }),
            ("loyalty_tier".to_owned(), FieldChange { base: json!("gold"), value: json!("platinum") }),
        ]);
        let got = merge_record(
            EntityKind::Guest,
            &PolicyTable::defaults(),
            &changes,
            &current,
            &BTreeMap::new(),
            at(1),
            at(2),
        );
        assert_eq!(got.changed, vec!["loyalty_tier".to_owned()]);
        assert_eq!(got.record.get("loyalty_tier"), Some(&json!("platinum")));
        assert_eq!(got.record.get("email"), Some(&json!("server@x")), "a clash keeps the server value");
        assert_eq!(got.clashes.len(), 1);
        assert_eq!(got.clashes[0].device, json!("device@x"));
        assert_eq!(got.clashes[0].base, json!("old@x"));
    }
}
