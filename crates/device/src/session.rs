//! Who acts, on which device, and when: handed to every operation.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sync_core::access;
use sync_core::domain::Role;
use sync_core::schema::EntityKind;
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

impl Session {
    /// Refuses unless the session's role may change records of `entity`: the same
    /// table the server checks pushed work against ([`sync_core::access`]), so an
    /// action saved here is never refused there for the role.
    pub(crate) fn require(&self, entity: EntityKind, what: &str) -> Result<()> {
        if access::may_write(self.role, entity) {
            Ok(())
        } else {
            Err(Error::NotAllowed(format!("A {} user may not {what}", access::role_label(self.role))))
        }
    }

    /// Refuses unless a manager is signed in: what changes the desk itself (its sync
    /// settings) is a manager's, on a desk other people share.
    pub fn require_manager(&self, what: &str) -> Result<()> {
        if self.role == Role::Manager { Ok(()) } else { Err(Error::NotAllowed(format!("Only a manager may {what}"))) }
    }

    /// Refuses unless the session's role may change `field` of a room.
    pub(crate) fn require_room_field(&self, field: &str, what: &str) -> Result<()> {
        if access::may_change_room_field(self.role, field) {
            Ok(())
        } else {
            Err(Error::NotAllowed(format!("A {} user may not {what}", access::role_label(self.role))))
        }
    }
}
