//! The desk's folios and POS orders.

use sync_core::access;
use sync_core::domain::{FolioPosting, PaymentMethod, PosOrder, Property};
use sync_core::schema::EntityKind as K;
use uuid::Uuid;

use super::{Desk, DeskError};
use crate::{Folio, NewCharge, NewPayment, NewPosLine, NewPosOrder};

impl Desk {
    /// The property this desk is enrolled with, as the last sync brought it.
    pub async fn property(&self) -> Result<Property, DeskError> {
        let session = self.session().await?;
        self.store.record::<Property>(K::Property, session.property_id).await?.ok_or_else(|| {
            crate::Error::NotFound("The property's record has not reached this desk yet: sync first".into()).into()
        })
    }

    /// A stay's postings and balance. Roles the server sends postings without their
    /// money (housekeeping, maintenance) are told so instead of shown a broken folio.
    pub async fn folio(&self, reservation_id: Uuid) -> Result<Folio, DeskError> {
        self.may_read(K::FolioPosting, "read folios").await?;
        Ok(self.store.folio(reservation_id).await?)
    }

    /// Refuses a read of `entity` to a role that receives its records redacted.
    async fn may_read(&self, entity: K, what: &str) -> Result<(), DeskError> {
        let session = self.session().await?;
        if access::reads_every_field(session.role, entity) {
            Ok(())
        } else {
            Err(crate::Error::NotAllowed(format!("A {} user may not {what}", access::role_label(session.role))).into())
        }
    }

    /// Posts a charge on a stay's folio.
    pub async fn post_charge(&self, input: NewCharge) -> Result<FolioPosting, DeskError> {
        let session = self.session().await?;
        let posting = self.store.post_charge(&session, input).await?;
        self.changed(&[K::FolioPosting]).await;
        Ok(posting)
    }

    /// Takes a payment on a stay's folio.
    pub async fn post_payment(&self, input: NewPayment) -> Result<FolioPosting, DeskError> {
        let session = self.session().await?;
        let posting = self.store.post_payment(&session, input).await?;
        self.changed(&[K::FolioPosting]).await;
        Ok(posting)
    }

    /// Corrects a posting with a new reversing posting, for `reason`.
    pub async fn reverse_posting(&self, posting_id: Uuid, reason: &str) -> Result<FolioPosting, DeskError> {
        let session = self.session().await?;
        let posting = self.store.correct_posting(&session, posting_id, reason).await?;
        self.changed(&[K::FolioPosting]).await;
        Ok(posting)
    }

    /// Every POS order.
    pub async fn pos_orders(&self) -> Result<Vec<PosOrder>, DeskError> {
        self.may_read(K::PosOrder, "read POS orders").await?;
        Ok(self.store.pos_orders().await?)
    }

    /// Opens an order at an outlet.
    pub async fn open_pos_order(&self, input: NewPosOrder) -> Result<PosOrder, DeskError> {
        let session = self.session().await?;
        let order = self.store.open_pos_order(&session, input).await?;
        self.changed(&[K::PosOrder]).await;
        Ok(order)
    }

    /// Adds a line to an open order.
    pub async fn add_pos_line(&self, order_id: Uuid, line: NewPosLine) -> Result<PosOrder, DeskError> {
        let session = self.session().await?;
        let order = self.store.add_pos_line(&session, order_id, line).await?;
        self.changed(&[K::PosOrder]).await;
        Ok(order)
    }

    /// Posts an order to a stay's folio as a charge.
    pub async fn post_pos_order(&self, order_id: Uuid, reservation_id: Uuid) -> Result<PosOrder, DeskError> {
        let session = self.session().await?;
        let (order, _posting) = self.store.post_pos_order(&session, order_id, reservation_id).await?;
        self.changed(&[K::PosOrder, K::FolioPosting]).await;
        Ok(order)
    }

    /// Pays an order at the outlet. The outlet's till takes the money, so the device
    /// records the order as paid without the method.
    pub async fn pay_pos_order(&self, order_id: Uuid, method: PaymentMethod) -> Result<PosOrder, DeskError> {
        let session = self.session().await?;
        tracing::debug!("POS order {order_id} paid by {method:?} at the outlet");
        let order = self.store.pay_pos_order(&session, order_id).await?;
        self.changed(&[K::PosOrder]).await;
        Ok(order)
    }
}
