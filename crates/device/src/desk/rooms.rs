//! The desk's rooms, housekeeping, maintenance, guest service requests and inventory.

use sync_core::domain::{
    Cleaning, HousekeepingTask, InventoryItem, MaintenanceReport, MaintenanceStatus, RequestStatus, Room,
    ServiceRequest, TaskStatus,
};
use sync_core::schema::EntityKind as K;
use uuid::Uuid;

use super::{Desk, DeskError};
use crate::queries::RoomToClear;
use crate::{NewInventoryItem, NewMaintenanceReport, NewServiceRequest, NewTask, RoomBlock, RoomBoardEntry};

impl Desk {
    /// Every room with its cleaning, occupancy, availability and stay.
    pub async fn room_board(&self) -> Result<Vec<RoomBoardEntry>, DeskError> {
        self.session().await?;
        Ok(self.store.room_board().await?)
    }

    /// Sets a room's cleaning status (dirty, clean, inspected, pickup).
    pub async fn set_room_status(&self, room_id: Uuid, cleaning: Cleaning) -> Result<Room, DeskError> {
        let session = self.session_for("change_room_status").await?;
        let room = self.store.set_room_cleaning(&session, room_id, cleaning).await?;
        self.changed(&[K::Room]).await;
        Ok(room)
    }

    /// Takes a room out of order or out of service for some nights (refused when a stay
    /// holds it then), or makes it available again.
    pub async fn set_room_availability(&self, room_id: Uuid, block: RoomBlock) -> Result<Room, DeskError> {
        let session = self.session_for("change_room_status").await?;
        let room = self.store.set_room_availability(&session, room_id, block).await?;
        self.changed(&[K::Room]).await;
        Ok(room)
    }

    /// The housekeeping tasks assigned to the signed-in user.
    pub async fn my_tasks(&self) -> Result<Vec<HousekeepingTask>, DeskError> {
        let session = self.session().await?;
        Ok(self.store.tasks_for(session.user_id).await?)
    }

    /// Open tasks nobody has taken yet, most urgent first.
    pub async fn unassigned_tasks(&self) -> Result<Vec<HousekeepingTask>, DeskError> {
        self.session().await?;
        Ok(self.store.unassigned_tasks().await?)
    }

    /// Makes the housekeeping day's tasks (departures, stay-overs, arrivals); answers
    /// those made now.
    pub async fn make_housekeeping_day(&self) -> Result<Vec<HousekeepingTask>, DeskError> {
        let session = self.session().await?;
        let made = self.store.make_housekeeping_day(&session).await?;
        self.changed(&[K::HousekeepingTask]).await;
        Ok(made)
    }

    /// The signed-in housekeeper takes a task nobody has taken. Under the policy of
    /// moving tasks on: taking one is the first step of doing it.
    pub async fn take_task(&self, task_id: Uuid) -> Result<HousekeepingTask, DeskError> {
        let session = self.session_for("progress_task").await?;
        let task = self.store.assign_task(&session, task_id, Some(session.user_id)).await?;
        self.changed(&[K::HousekeepingTask]).await;
        Ok(task)
    }

    /// Creates a housekeeping task for a room (the command line's; the app's tasks come
    /// from check-outs and the housekeeping lead's tools).
    pub async fn create_task(&self, input: NewTask) -> Result<HousekeepingTask, DeskError> {
        let session = self.session().await?;
        let task = self.store.create_task(&session, input).await?;
        self.changed(&[K::HousekeepingTask]).await;
        Ok(task)
    }

    /// Gives a housekeeping task to a member of staff (or to nobody).
    pub async fn assign_task(&self, task_id: Uuid, assignee_id: Option<Uuid>) -> Result<HousekeepingTask, DeskError> {
        let session = self.session().await?;
        let task = self.store.assign_task(&session, task_id, assignee_id).await?;
        self.changed(&[K::HousekeepingTask]).await;
        Ok(task)
    }

    /// Moves a housekeeping task on (started, done, inspected, or back to pending).
    pub async fn progress_task(&self, task_id: Uuid, to: TaskStatus) -> Result<HousekeepingTask, DeskError> {
        let session = self.session_for("progress_task").await?;
        let task = self.store.progress_task(&session, task_id, to).await?;
        self.changed(&[K::HousekeepingTask, K::Room]).await;
        Ok(task)
    }

    /// Rooms reported out of order whose stays the front desk must move first.
    pub async fn rooms_to_clear(&self) -> Result<Vec<RoomToClear>, DeskError> {
        let session = self.session().await?;
        Ok(self.store.rooms_to_clear(session.today).await?)
    }

    /// Every maintenance report.
    pub async fn maintenance_reports(&self) -> Result<Vec<MaintenanceReport>, DeskError> {
        self.session().await?;
        Ok(self.store.maintenance_reports().await?)
    }

    /// Reports a maintenance issue (which may take the room out of order).
    pub async fn report_maintenance(&self, input: NewMaintenanceReport) -> Result<MaintenanceReport, DeskError> {
        let session = self.session().await?;
        let report = self.store.report_maintenance(&session, input).await?;
        self.changed(&[K::MaintenanceReport, K::Room]).await;
        Ok(report)
    }

    /// Moves a maintenance report on (in progress, resolved), with a note if given.
    pub async fn progress_maintenance(
        &self,
        id: Uuid,
        to: MaintenanceStatus,
        note: Option<&str>,
    ) -> Result<MaintenanceReport, DeskError> {
        let session = self.session().await?;
        let report = self.store.progress_maintenance(&session, id, to, note).await?;
        self.changed(&[K::MaintenanceReport, K::Room]).await;
        Ok(report)
    }

    /// Every guest service request.
    pub async fn service_requests(&self) -> Result<Vec<ServiceRequest>, DeskError> {
        self.session().await?;
        Ok(self.store.service_requests().await?)
    }

    /// Records a guest's request for a room.
    pub async fn create_service_request(&self, input: NewServiceRequest) -> Result<ServiceRequest, DeskError> {
        let session = self.session().await?;
        let request = self.store.create_service_request(&session, input).await?;
        self.changed(&[K::ServiceRequest]).await;
        Ok(request)
    }

    /// Moves a guest service request on (acknowledged, done).
    pub async fn progress_service_request(&self, id: Uuid, to: RequestStatus) -> Result<ServiceRequest, DeskError> {
        let session = self.session().await?;
        let request = self.store.progress_service_request(&session, id, to).await?;
        self.changed(&[K::ServiceRequest]).await;
        Ok(request)
    }

    /// Every inventory item with its count.
    pub async fn inventory_items(&self) -> Result<Vec<InventoryItem>, DeskError> {
        self.session().await?;
        Ok(self.store.inventory_items().await?)
    }

    /// Starts counting a stock item (linen, minibar).
    pub async fn create_inventory_item(&self, input: NewInventoryItem) -> Result<InventoryItem, DeskError> {
        let session = self.session().await?;
        let item = self.store.create_inventory_item(&session, input).await?;
        self.changed(&[K::InventoryItem]).await;
        Ok(item)
    }

    /// Changes an inventory count by `delta` (deltas from two desks add up).
    pub async fn adjust_inventory(&self, item_id: Uuid, delta: i64) -> Result<InventoryItem, DeskError> {
        let session = self.session().await?;
        let item = self.store.adjust_inventory(&session, item_id, delta).await?;
        self.changed(&[K::InventoryItem]).await;
        Ok(item)
    }
}
