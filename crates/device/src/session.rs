//! Who acts, on which device, and when: handed to every operation.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sync_core::domain::Role;
use uuid::Uuid;

use crate::error::{Error, Result};

/// The context of one user action. Time is passed in (`today`, `now_ms`) so that
/// operations never read a clock themselves and tests can set any day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub property_id: Uuid,
    pub device_id: Uuid,
    pub user_id: Uuid,
    /// The user's display name, written on notes.
    pub user_name: String,
    pub role: Role,
    /// Prefix of provisional confirmation numbers (`T-<prefix>-0042`), from enrollment.
    pub device_prefix: String,
    /// The property's business date.
    pub today: NaiveDate,
    /// Wall time in milliseconds since the Unix epoch, for the hybrid logical clock.
    pub now_ms: u64,
}

/// Groups of roles allowed to do a kind of work.
pub(crate) mod roles {
    use sync_core::domain::Role;

    /// Reservations, guests, folios, POS: the desk and managers.
    pub const DESK: &[Role] = &[Role::Manager, Role::FrontDesk];
    /// Room status and housekeeping tasks.
    pub const ROOMS: &[Role] = &[Role::Manager, Role::FrontDesk, Role::Housekeeping];
    /// Maintenance reports and service requests: everyone.
    pub const ALL: &[Role] = &[Role::Manager, Role::FrontDesk, Role::Housekeeping, Role::Maintenance];
}

impl Session {
    /// Refuses unless the session's role is among `allowed`.
    pub(crate) fn require(&self, allowed: &[Role], what: &str) -> Result<()> {
        if allowed.contains(&self.role) {
            Ok(())
        } else {
            let role = match self.role {
                Role::Manager => "manager",
                Role::FrontDesk => "front desk",
                Role::Housekeeping => "housekeeping",
                Role::Maintenance => "maintenance",
            };
            Err(Error::NotAllowed(format!("A {role} user may not {what}")))
        }
    }
}
