//! The wire protocol between a device and the sync server, version
//! [`crate::PROTOCOL_VERSION`].
//!
//! A device pushes mutations (one user action on one record each) and pulls
//! changes (the server's log of applied results). Every request carries the
//! protocol version, so a server can refuse a client it does not understand with a
//! clear message instead of misreading it. Unknown fields are refused on decode:
//! a typo in a client must not silently drop data.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;
use uuid::Uuid;

use crate::conflict::Conflict;
use crate::hlc::Hlc;
use crate::schema::{EntityKind, Fields};

/// A field's new value with the value the device based its edit on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldChange {
    /// The value before the edit, as last synced (null for a new record).
    pub base: Value,
    pub value: Value,
}

/// Domain actions: changes with preconditions and side effects that the server
/// checks and applies itself (a check-in also marks the room occupied).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DomainAction {
    Confirm,
    CheckIn,
    CheckOut,
    Cancel,
    NoShow,
    /// Guarded reversal: undo a check-in the same day with a zero balance.
    UndoCheckIn,
    /// Guarded reversal: reinstate a check-out before the day is closed.
    ReinstateCheckOut,
}

impl DomainAction {
    /// Every domain action.
    pub const ALL: [DomainAction; 7] = [
        DomainAction::Confirm,
        DomainAction::CheckIn,
        DomainAction::CheckOut,
        DomainAction::Cancel,
        DomainAction::NoShow,
        DomainAction::UndoCheckIn,
        DomainAction::ReinstateCheckOut,
    ];
}

/// What a mutation does to its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "type", content = "action", rename_all = "snake_case")]
pub enum Operation {
    Insert,
    Update,
    Delete,
    Action(DomainAction),
}

/// One user action on one record, queued on the device until the server
/// acknowledges it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mutation {
    pub id: Uuid,
    /// Made with the mutation on the device: a replay with the same key is answered
    /// with the first result and changes nothing.
    pub idempotency_key: String,
    pub entity: EntityKind,
    pub record_id: Uuid,
    pub op: Operation,
    /// The record version the device edited (none for an insert).
    pub base_version: Option<u64>,
    /// Changed fields with their base values (every field for an insert).
    pub changes: BTreeMap<String, FieldChange>,
    pub hlc: Hlc,
    pub device_id: Uuid,
    pub user_id: Uuid,
}

/// A batch of mutations, applied in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushRequest {
    pub protocol: u16,
    pub mutations: Vec<Mutation>,
}

/// Why the server refused a mutation outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectCategory {
    /// The mutation itself is wrong (bad value, unknown field, read-only record).
    Validation,
    /// The user's role may not do this.
    Permission,
    /// The record exists already under another id: a posting whose idempotency key
    /// another desk posted first. The desk drops its copy; the stored one reaches
    /// it by the next pull.
    Duplicate,
}

/// The outcome of one mutation, sent only after the batch committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum Outcome {
    /// Applied as sent; the record is now at `version`.
    Applied { version: u64 },
    /// Merged with concurrent changes; `record` is the merged record.
    Merged { version: u64, record: Fields },
    /// Raised a conflict (stored on the server). Fields that merged cleanly were
    /// applied (`version`, `record`); the conflicting ones wait for a person.
    Conflict { version: Option<u64>, record: Option<Fields>, conflict: Box<Conflict> },
    /// Refused; nothing was written.
    Rejected { category: RejectCategory, message: String },
}

/// The result of one mutation of a push.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MutationResult {
    pub mutation_id: Uuid,
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The answer to a push: one result per mutation, in order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<MutationResult>,
    /// The server's clock after the push, for the device to observe.
    pub server_hlc: Hlc,
}

/// A position in a property's change log. Opaque to devices: they store it and send
/// it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Cursor(u64);

impl Cursor {
    /// The start of the log: a fresh device pulls from here.
    pub const START: Cursor = Cursor(0);

    /// The cursor just after change `sequence` (server side).
    pub fn after(sequence: u64) -> Self {
        Cursor(sequence)
    }

    /// The last change sequence the holder has seen (server side).
    pub fn sequence(self) -> u64 {
        self.0
    }
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "c1.{:x}", self.0)
    }
}

/// Why a text is not a cursor.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a sync cursor: send back the cursor of the last pull, or none to start over")]
pub struct BadCursor(pub String);

impl FromStr for Cursor {
    type Err = BadCursor;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.strip_prefix("c1.")
            .filter(|hex| !hex.is_empty() && hex.len() <= 16)
            .and_then(|hex| u64::from_str_radix(hex, 16).ok())
            .map(Cursor)
            .ok_or_else(|| BadCursor(s.chars().take(40).collect()))
    }
}

impl Serialize for Cursor {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Ask for the changes after a cursor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PullRequest {
    pub protocol: u16,
    /// None: from the start.
    pub cursor: Option<Cursor>,
    /// Largest page wanted; the server may send fewer.
    pub limit: Option<u32>,
}

/// Whether a change leaves a record in place or removes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    Upsert,
    Delete,
}

/// One entry of a property's change log, as devices receive it.
///
/// `R` is how the record is held: its fields, or (on a device that stores a pulled
/// record as the text it came in, `serde_json::value::RawValue`) its JSON text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change<R = Fields> {
    pub entity: EntityKind,
    pub record_id: Uuid,
    pub kind: ChangeKind,
    pub version: u64,
    /// The whole record after the change (none for a delete), redacted for the
    /// reader's role.
    pub record: Option<R>,
    pub hlc: Hlc,
    pub device_id: Uuid,
    pub user_id: Uuid,
    pub at: DateTime<Utc>,
    /// The mutation that made it, so the device recognises its own changes.
    pub mutation_id: Option<Uuid>,
}

/// A page of changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PullResponse<R = Fields> {
    pub changes: Vec<Change<R>>,
    /// Where the next pull starts.
    pub cursor: Cursor,
    pub has_more: bool,
}

/// An error body of the API: a code programs act on and a message people read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

/// The header carrying an enrolled device's credential when staff sign in:
/// `<device id>:<device secret>`.
pub const DEVICE_HEADER: &str = "frontdesk-device";

/// `POST /v1/enroll`: a device joins a property with a one-time code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrollRequest {
    pub code: String,
    pub device_name: String,
}

/// What an enrolled device keeps (the secret is shown once).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrollment {
    pub device_id: Uuid,
    pub device_secret: String,
    pub property_id: Uuid,
    /// The property's name, for the sign-in screen before the first sync.
    #[serde(default)]
    pub property_name: String,
    /// Prefix of this device's provisional confirmation numbers.
    pub prefix: String,
}

/// `POST /v1/sessions`: a member of staff signs in on an enrolled device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    pub username: String,
    pub password: String,
}

/// The signed-in user, as the device shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
}

/// A new session: the bearer token for every other request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedIn {
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub user: UserInfo,
    pub role: crate::domain::Role,
}

/// One version of a record, as the server's change log holds it
/// (`GET /v1/records/{entity}/{id}/history`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordVersion {
    pub version: u64,
    /// Position in the property's change log.
    pub seq: u64,
    /// `upsert` or `delete`.
    pub op: ChangeKind,
    pub user_id: Uuid,
    /// The author's display name (none for changes the admin CLI made).
    pub user_name: Option<String>,
    pub device_id: Uuid,
    pub device_name: Option<String>,
    pub hlc: Hlc,
    pub at: DateTime<Utc>,
    /// The device mutation that made it (none for the server's own changes).
    pub mutation_id: Option<Uuid>,
    pub before: Option<Fields>,
    pub after: Option<Fields>,
    /// The author's values this version's merge settled against (server wins, last
    /// writer wins, priority): kept here, so an edit that lost is never lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub superseded: Vec<crate::merge::Superseded>,
}

/// `GET /v1/records/{entity}/{id}/history` answer: every version, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RecordHistory {
    pub entity: EntityKind,
    pub record_id: Uuid,
    pub versions: Vec<RecordVersion>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cursors_are_opaque_round_trips_and_refuse_garbage() {
        let cursor = Cursor::after(0x2a);
        assert_eq!(cursor.to_string(), "c1.2a");
        assert_eq!("c1.2a".parse::<Cursor>(), Ok(cursor));
        for bad in ["", "2a", "c1.", "c1.zz", "c2.2a", "c1.11112222333344445"] {
            assert!(bad.parse::<Cursor>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_mutation_round_trips_and_refuses_unknown_fields() {
        let mutation = Mutation {
            id: Uuid::from_u128(1),
            idempotency_key: "k1".into(),
            entity: EntityKind::Reservation,
            record_id: Uuid::from_u128(2),
            op: Operation::Action(DomainAction::CheckIn),
            base_version: Some(3),
            changes: BTreeMap::from([(
                "status".to_owned(),
                FieldChange { base: json!("confirmed"), value: json!("checked_in") },
            )]),
            hlc: Hlc::ZERO,
            device_id: Uuid::from_u128(4),
            user_id: Uuid::from_u128(5),
        };
        let mut value = serde_json::to_value(&mutation).expect("serialise");
        assert_eq!(value["op"], json!({"type": "action", "action": "check_in"}));
        assert_eq!(serde_json::from_value::<Mutation>(value.clone()).expect("decode"), mutation);
        value["colour"] = json!("red");
        let err = serde_json::from_value::<Mutation>(value).expect_err("unknown field");
        assert!(err.to_string().contains("unknown field `colour`"), "{err}");
    }

    #[test]
    fn outcomes_are_tagged_by_result() {
        let result = MutationResult {
            mutation_id: Uuid::nil(),
            outcome: Outcome::Rejected {
                category: RejectCategory::Validation,
                message: "adults must be a whole number from 1 to 20".into(),
            },
        };
        let value = serde_json::to_value(&result).expect("serialise");
        assert_eq!(value["result"], "rejected");
        assert_eq!(value["category"], "validation");
        assert_eq!(serde_json::from_value::<MutationResult>(value).expect("decode"), result);
    }
}
