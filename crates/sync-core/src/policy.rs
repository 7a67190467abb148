//! Merge policies: which rule settles a field that both sides changed.
//!
//! The defaults sit in the schema table (DOMAIN.md's table); a property may
//! override them from a TOML file such as:
//!
//! ```toml
//! [reservation]
//! adults = "server_wins"
//!
//! [guest]
//! email = "last_writer_wins"
//! ```
//!
//! An override is checked against the field's type (a delta only fits a number, a
//! set merge only a list of texts...) and refused with an error naming the place.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::schema::{EntityKind, FieldSpec, FieldType};

/// How a field changed on both sides to different values is settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MergePolicy {
    /// The server's value stays; the device's is kept in history.
    ServerWins,
    /// The device's value is taken.
    DeviceWins,
    /// The later edit by hybrid logical clock.
    LastWriterWins,
    /// Base plus both sides' additions minus both sides' removals.
    SetMerge,
    /// Both sides' new entries are kept, in time order.
    Append,
    /// The server's value plus the device's change from the base.
    Delta,
    /// The value of higher priority (out of order > out of service > dirty > ...).
    Priority,
    /// The union of entries by key: nothing lost, nothing doubled.
    AppendOnlyUnion,
    /// A conflict for a person to settle; the server keeps its value meanwhile.
    Manual,
}

impl MergePolicy {
    /// Every policy, for listing in error messages.
    pub const ALL: [MergePolicy; 9] = [
        MergePolicy::ServerWins,
        MergePolicy::DeviceWins,
        MergePolicy::LastWriterWins,
        MergePolicy::SetMerge,
        MergePolicy::Append,
        MergePolicy::Delta,
        MergePolicy::Priority,
        MergePolicy::AppendOnlyUnion,
        MergePolicy::Manual,
    ];

    /// The name used in policy files and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            MergePolicy::ServerWins => "server_wins",
            MergePolicy::DeviceWins => "device_wins",
            MergePolicy::LastWriterWins => "last_writer_wins",
            MergePolicy::SetMerge => "set_merge",
            MergePolicy::Append => "append",
            MergePolicy::Delta => "delta",
            MergePolicy::Priority => "priority",
            MergePolicy::AppendOnlyUnion => "append_only_union",
            MergePolicy::Manual => "manual",
        }
    }

    /// Whether this policy can settle a field of type `ty`.
    pub fn fits(self, ty: FieldType) -> bool {
        match self {
            MergePolicy::ServerWins | MergePolicy::DeviceWins | MergePolicy::LastWriterWins | MergePolicy::Manual => {
                true
            }
            MergePolicy::SetMerge => ty == FieldType::TextSet,
            MergePolicy::Append => ty == FieldType::NoteList,
            MergePolicy::Delta => matches!(ty, FieldType::Int { .. }),
            MergePolicy::Priority => {
                matches!(ty, FieldType::Enum(values) if values.iter().all(|v| priority_rank(v).is_some()))
            }
            MergePolicy::AppendOnlyUnion => ty == FieldType::KeyedList,
        }
    }
}

impl fmt::Display for MergePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a text is not the name of a merge policy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a merge policy; known: {known}", known = known_policies())]
pub struct UnknownPolicy(pub String);

impl FromStr for MergePolicy {
    type Err = UnknownPolicy;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        MergePolicy::ALL
            .into_iter()
            .find(|policy| policy.as_str() == s)
            .ok_or_else(|| UnknownPolicy(s.chars().take(60).collect()))
    }
}

/// Room status values from the highest priority down: an inspection does not
/// overrule a newer "dirty", and nothing overrules "out of order".
pub const PRIORITY_ORDER: &[&str] =
    &["out_of_order", "out_of_service", "dirty", "pickup", "clean", "inspected", "available"];

/// Rank of a value under the priority policy: higher wins.
pub fn priority_rank(value: &str) -> Option<usize> {
    PRIORITY_ORDER.iter().position(|candidate| *candidate == value).map(|position| PRIORITY_ORDER.len() - position)
}

/// Why a policy file was refused. Each message names the place in the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the policy file is not valid TOML: {0}")]
    Syntax(String),
    #[error("`{0}` is not an entity; known: {known}", known = known_entities())]
    UnknownEntity(String),
    #[error("`{entity}` is not a table of fields: write [{entity}] followed by `field = \"policy\"` lines")]
    NotATable { entity: String },
    #[error("{entity} has no field `{field}`; its fields are: {known}")]
    UnknownField { entity: EntityKind, field: String, known: String },
    #[error("{entity}.{field}: the policy must be a text such as \"server_wins\"")]
    NotAText { entity: EntityKind, field: String },
    #[error("{entity}.{field}: `{policy}` is not a merge policy; known: {known}", known = known_policies())]
    UnknownPolicy { entity: EntityKind, field: String, policy: String },
    #[error("{entity}.{field} cannot use `{policy}`: the field is {ty}")]
    DoesNotFit { entity: EntityKind, field: String, policy: MergePolicy, ty: String },
    #[error("{entity}.{field} is fixed after creation and has no merge policy to override")]
    Fixed { entity: EntityKind, field: String },
}

fn known_entities() -> String {
    EntityKind::ALL.map(EntityKind::as_str).join(", ")
}

fn known_policies() -> String {
    MergePolicy::ALL.map(MergePolicy::as_str).join(", ")
}

/// The merge policy of every field for one property: the schema's defaults plus the
/// property's overrides.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyTable {
    overrides: BTreeMap<(EntityKind, &'static str), MergePolicy>,
}

impl PolicyTable {
    /// The defaults of DOMAIN.md, with no override.
    pub fn defaults() -> Self {
        PolicyTable::default()
    }

    /// The defaults with the overrides of a TOML policy file, all checked.
    pub fn from_toml(text: &str) -> Result<Self, PolicyError> {
        let document: toml::Table =
            text.parse().map_err(|err: toml::de::Error| PolicyError::Syntax(err.to_string()))?;
        let mut table = PolicyTable::defaults();
        for (entity_name, fields) in &document {
            let entity: EntityKind =
                entity_name.parse().map_err(|_| PolicyError::UnknownEntity(entity_name.clone()))?;
            let fields = fields.as_table().ok_or_else(|| PolicyError::NotATable { entity: entity_name.clone() })?;
            for (field_name, policy) in fields {
                let policy =
                    policy.as_str().ok_or_else(|| PolicyError::NotAText { entity, field: field_name.clone() })?;
                let policy: MergePolicy = policy.parse().map_err(|UnknownPolicy(policy)| {
                    PolicyError::UnknownPolicy { entity, field: field_name.clone(), policy }
                })?;
                table.set(entity, field_name, policy)?;
            }
        }
        Ok(table)
    }

    /// Overrides one field's policy, checked against its type.
    pub fn set(&mut self, entity: EntityKind, field: &str, policy: MergePolicy) -> Result<(), PolicyError> {
        let spec: &'static FieldSpec = entity.field(field).ok_or_else(|| PolicyError::UnknownField {
            entity,
            field: field.to_owned(),
            known: entity.fields().iter().map(|spec| spec.name).collect::<Vec<_>>().join(", "),
        })?;
        if !spec.mutable {
            return Err(PolicyError::Fixed { entity, field: field.to_owned() });
        }
        if !policy.fits(spec.ty) {
            return Err(PolicyError::DoesNotFit { entity, field: field.to_owned(), policy, ty: spec.ty.describe() });
        }
        self.overrides.insert((entity, spec.name), policy);
        Ok(())
    }

    /// The policy of one field: the override if any, else the default.
    /// Fields the schema does not know are settled by hand.
    pub fn policy(&self, entity: EntityKind, field: &str) -> MergePolicy {
        match entity.field(field) {
            Some(spec) => self.overrides.get(&(entity, spec.name)).copied().unwrap_or(spec.policy),
            None => MergePolicy::Manual,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_follow_the_domain_table() {
        let table = PolicyTable::defaults();
        let expect = [
            (EntityKind::Guest, "last_name", MergePolicy::ServerWins),
            (EntityKind::Reservation, "arrival", MergePolicy::ServerWins),
            (EntityKind::Reservation, "rate_code", MergePolicy::ServerWins),
            (EntityKind::Reservation, "status", MergePolicy::ServerWins),
            (EntityKind::Guest, "last_interaction_at", MergePolicy::DeviceWins),
            (EntityKind::Reservation, "adults", MergePolicy::LastWriterWins),
            (EntityKind::Reservation, "special_requests", MergePolicy::SetMerge),
            (EntityKind::Guest, "preferences", MergePolicy::SetMerge),
            (EntityKind::Guest, "tags", MergePolicy::SetMerge),
            (EntityKind::Reservation, "notes", MergePolicy::Append),
            (EntityKind::InventoryItem, "quantity", MergePolicy::Delta),
            (EntityKind::Room, "cleaning", MergePolicy::Priority),
            (EntityKind::Room, "availability", MergePolicy::Priority),
            (EntityKind::PosOrder, "lines", MergePolicy::AppendOnlyUnion),
            (EntityKind::FolioPosting, "amount_minor", MergePolicy::AppendOnlyUnion),
            (EntityKind::Guest, "email", MergePolicy::Manual),
            (EntityKind::Guest, "phone", MergePolicy::Manual),
            (EntityKind::Reservation, "room_id", MergePolicy::Manual),
        ];
        for (entity, field, policy) in expect {
            assert_eq!(table.policy(entity, field), policy, "{entity}.{field}");
        }
    }

    #[test]
    fn every_default_fits_its_field() {
        for entity in EntityKind::ALL {
            // Fixed fields are never merged: an append-only record is inserted once, by key.
            for spec in entity.fields().iter().filter(|spec| spec.mutable) {
                assert!(spec.policy.fits(spec.ty), "{entity}.{}: {} on {:?}", spec.name, spec.policy, spec.ty);
            }
        }
    }

    #[test]
    fn a_property_file_overrides_defaults() {
        let table = PolicyTable::from_toml(
            r#"
            [reservation]
            adults = "server_wins"
            [guest]
            email = "last_writer_wins"
            "#,
        )
        .expect("valid file");
        assert_eq!(table.policy(EntityKind::Reservation, "adults"), MergePolicy::ServerWins);
        assert_eq!(table.policy(EntityKind::Guest, "email"), MergePolicy::LastWriterWins);
        assert_eq!(table.policy(EntityKind::Guest, "phone"), MergePolicy::Manual, "untouched fields keep defaults");
    }

    #[test]
    fn bad_policy_files_are_refused_with_the_place_named() {
        let cases = [
            ("[reservation\n", "not valid TOML"),
            ("[booking]\nadults = \"server_wins\"", "`booking` is not an entity"),
            ("reservation = 3", "is not a table"),
            ("[reservation]\nkids = \"server_wins\"", "reservation has no field `kids`"),
            ("[reservation]\nadults = 1", "reservation.adults: the policy must be a text"),
            ("[reservation]\nadults = \"biggest\"", "reservation.adults: `biggest` is not a merge policy"),
            ("[guest]\nemail = \"delta\"", "guest.email cannot use `delta`"),
            ("[reservation]\nnotes = \"set_merge\"", "reservation.notes cannot use `set_merge`"),
            ("[folio_posting]\namount_minor = \"last_writer_wins\"", "folio_posting.amount_minor is fixed"),
            ("[reservation]\nid = \"device_wins\"", "reservation.id is fixed"),
        ];
        for (text, expected) in cases {
            let err = PolicyTable::from_toml(text).expect_err(text);
            assert!(err.to_string().contains(expected), "{text:?}: got `{err}`, want `{expected}`");
        }
    }

    #[test]
    fn priority_ranks_follow_the_domain_order() {
        let rank = |v| priority_rank(v).expect(v);
        assert!(rank("out_of_order") > rank("out_of_service"));
        assert!(rank("out_of_service") > rank("dirty"));
        assert!(rank("dirty") > rank("clean"));
        assert!(rank("clean") > rank("inspected"));
        assert_eq!(priority_rank("occupied"), None);
    }
}
