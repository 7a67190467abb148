//! What each staff role may do on the server. Writes and reads follow the table
//! the devices use too ([`sync_core::access`]); conflicts are the server's own.

use sync_core::domain::Role;

pub use sync_core::access::{check_write, reads_every_field, redact};

/// Whether `role` may read and settle conflicts (they carry both sides' values).
pub fn may_see_conflicts(role: Role) -> bool {
    matches!(role, Role::Manager | Role::FrontDesk)
}

/// Whether `role` may settle `conflict`: a receptionist settles a clash of two
/// emails at the desk; a broken hotel rule (a double booking, a status
/// regression) or anything of high severity waits for a manager.
pub fn may_resolve(role: Role, conflict: &sync_core::Conflict) -> bool {
    match role {
        Role::Manager => true,
        Role::FrontDesk => {
            conflict.kind != sync_core::ConflictKind::BusinessRule && conflict.severity <= sync_core::Severity::Medium
        }
        Role::Housekeeping | Role::Maintenance => false,
    }
}
