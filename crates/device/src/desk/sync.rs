//! The desk's sync screens: the indicator, the queue, conflicts, metrics and settings.

use crate::screens::{ConflictView, OutboxView, SettingsView, SupersededView, SyncMetricsView, SyncView};
use crate::sync::SyncSettings;
use uuid::Uuid;

use super::{Desk, DeskError};

impl Desk {
    /// The sync indicator's data now.
    pub async fn sync_status(&self) -> Result<SyncView, DeskError> {
        Ok(self.sync_view((self.clock)()).await?)
    }

    /// Asks the worker for a round now. A person pressing Sync hears at once when the
    /// server cannot be reached (signed in offline, the desk first tries to sign in
    /// online); the worker's retries go on either way.
    pub async fn sync_now(&self) -> Result<(), DeskError> {
        let client = self.online_client().await?;
        self.sync.sync_now().await;
        client.health().await.map_err(|err| match err {
            err if err.is_transient() => DeskError::ServerUnreachable(err.to_string()),
            err => DeskError::Remote(err),
        })
    }

    /// The queue of changes not synced yet, at most `limit` of them.
    pub async fn outbox(&self, limit: u32) -> Result<OutboxView, DeskError> {
        Ok(self.store.outbox_view(limit).await?)
    }

    /// Puts a failed change back in the queue and asks for a round.
    pub async fn retry_mutation(&self, mutation_id: Uuid) -> Result<(), DeskError> {
        self.session().await?;
        self.store.retry_mutation(mutation_id).await?;
        self.sync.sync_now().await;
        Ok(())
    }

    /// The signed-in user's edits that lost a merge to another desk's, newest first (at
    /// most `limit`, and never more than 500).
    pub async fn superseded_edits(&self, limit: u32) -> Result<Vec<SupersededView>, DeskError> {
        let session = self.session().await?;
        Ok(self.store.superseded_views(session.user_id, limit.min(500)).await?)
    }

    /// The signed-in user has seen their superseded edits: the notice goes away.
    pub async fn mark_superseded_seen(&self) -> Result<u64, DeskError> {
        let session = self.session().await?;
        Ok(self.store.mark_superseded_seen(session.user_id).await?)
    }

    /// Conflicts waiting for a decision, with both sides' values.
    pub async fn conflicts(&self) -> Result<Vec<ConflictView>, DeskError> {
        self.session().await?;
        Ok(self.store.conflict_views().await?)
    }

    /// How sync has gone on this desk.
    pub async fn sync_metrics(&self) -> Result<SyncMetricsView, DeskError> {
        Ok(self.store.sync_metrics_view((self.clock)()).await?)
    }

    /// The settings screen's data.
    pub async fn settings(&self) -> Result<SettingsView, DeskError> {
        self.settings_view().await?.ok_or(DeskError::NotEnrolled)
    }

    /// Validates, saves and applies new sync settings. Only a manager changes them:
    /// other people share the desk.
    pub async fn save_settings(&self, sync: SyncSettings) -> Result<SettingsView, DeskError> {
        self.session().await?.require_manager("change this desk's sync settings")?;
        self.sync.set_settings(sync).await?;
        self.settings().await
    }
}
