//! Typed sync metadata for the sync worker and the app: device identity, last
//! successful sync per kind of record, consecutive failures, settings. All live in
//! `sync_meta` as small key/value rows next to the cursor and the clock.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sync_core::schema::EntityKind;
use uuid::Uuid;

use crate::error::Result;
use crate::store::Store;

const DEVICE: &str = "device";
const FAILURES: &str = "consecutive_failures";
const SETTINGS: &str = "settings";

/// Who this device is, from enrollment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceIdentity {
    /// The property's sync server, e.g. `https://sync.hotel.example`.
    pub server_url: String,
    pub device_id: Uuid,
    /// The device's credential, shown once by the server at enrollment.
    pub device_secret: String,
    pub property_id: Uuid,
    /// Prefix of provisional confirmation numbers.
    pub prefix: String,
    pub name: String,
    /// The property's name as the server gave it at enrollment (the sign-in screen
    /// shows it before the first sync brings the property's record).
    #[serde(default)]
    pub property_name: String,
}

fn last_sync_key(kind: EntityKind) -> String {
    format!("last_sync.{kind}")
}

impl Store {
    /// The enrolled identity, if the device was enrolled.
    pub async fn device_identity(&self) -> Result<Option<DeviceIdentity>> {
        self.meta_json(DEVICE).await
    }

    /// Records the identity given at enrollment.
    pub async fn set_device_identity(&self, identity: &DeviceIdentity) -> Result<()> {
        self.set_meta_json(DEVICE, identity).await
    }

    /// When records of `kind` were last synced successfully (ms since the epoch).
    pub async fn last_sync(&self, kind: EntityKind) -> Result<Option<u64>> {
        Ok(self.meta(&last_sync_key(kind)).await?.and_then(|text| text.parse().ok()))
    }

    /// Records a successful sync of the kinds given at `at_ms`.
    pub async fn set_last_sync(&self, kinds: &[EntityKind], at_ms: u64) -> Result<()> {
        for kind in kinds {
            self.set_meta(&last_sync_key(*kind), &at_ms.to_string()).await?;
        }
        Ok(())
    }

    /// Sync attempts that failed in a row (0 after a success).
    pub async fn consecutive_failures(&self) -> Result<u32> {
        Ok(self.meta(FAILURES).await?.and_then(|text| text.parse().ok()).unwrap_or(0))
    }

    /// Sets the count of sync attempts that failed in a row.
    pub async fn set_consecutive_failures(&self, failures: u32) -> Result<()> {
        self.set_meta(FAILURES, &failures.to_string()).await
    }

    /// The persisted sync settings (their type belongs to the sync worker).
    pub async fn settings<T: DeserializeOwned>(&self) -> Result<Option<T>> {
        self.meta_json(SETTINGS).await
    }

    /// Persists the sync settings.
    pub async fn set_settings<T: Serialize>(&self, settings: &T) -> Result<()> {
        self.set_meta_json(SETTINGS, settings).await
    }
}
