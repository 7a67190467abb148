//! The sync core of Frontdesk: what a device and the server must agree on.
//!
//! It owns the domain model of DOMAIN.md, the versioned wire protocol, the hybrid
//! logical clock, field-level three-way merge with per-field policies, conflict
//! classification, the domain invariants, and the reservation exchange format that
//! the server's and the desk's imports read ([`import`]). It does no I/O: no database, no
//! runtime, no network. The device store and the server load the records involved,
//! call these pure functions, and persist what they return, so both sides decide
//! every merge and conflict with the very same code.

/// Version of the wire protocol spoken by this build; carried by every request.
pub const PROTOCOL_VERSION: u16 = 1;

pub mod access;
pub mod calendar;
pub mod conflict;
pub mod domain;
pub mod gate;
pub mod hlc;
pub mod housekeeping;
pub mod ids;
pub mod import;
pub mod invariants;
pub mod merge;
pub mod policy;
pub mod protocol;
pub mod schema;
pub mod validate;

pub use calendar::business_date;
pub use conflict::{Conflict, ConflictKind, Plan, ServerRecord, Severity, plan};
pub use hlc::{Clock, Hlc};
pub use policy::{MergePolicy, PolicyTable};
pub use protocol::{Cursor, FieldChange, Mutation, Operation};
pub use schema::{EntityKind, Fields};
