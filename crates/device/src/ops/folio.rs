//! Folio postings (charges, payments, reversing corrections) and POS orders.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sync_core::domain::{FolioPosting, PaymentMethod, PosLine, PosOrder, PosStatus, PostingKind, Reservation};
use sync_core::ids::new_id;
use sync_core::protocol::Operation;
use sync_core::schema::EntityKind;
use uuid::Uuid;

use super::{json, require_open_stay, required_text, set};
use crate::error::{Error, Result};
use crate::session::Session;
use crate::store::{Action, Store, fields_of};

/// A charge to post on a stay's folio.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCharge {
    pub reservation_id: Uuid,
    /// Amount of the posting in minor units (cents), above zero.
    pub amount_minor: i64,
    pub currency: String,
    /// Charge code, e.g. `ROOM`, `MINIBAR`.
    pub code: String,
    pub description: String,
    pub quantity: u32,
    /// Folio window; 1 when absent.
    pub window: Option<u32>,
}

impl Default for NewCharge {
    /// One unit, on the stay's first folio window.
    fn default() -> Self {
        NewCharge {
            reservation_id: Uuid::nil(),
            amount_minor: 0,
            currency: String::new(),
            code: String::new(),
            description: String::new(),
            quantity: 1,
            window: None,
        }
    }
}

/// A payment taken at the desk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPayment {
    pub reservation_id: Uuid,
    pub amount_minor: i64,
    pub currency: String,
    pub method: PaymentMethod,
    pub description: Option<String>,
    pub window: Option<u32>,
}

impl Default for NewPayment {
    /// A cash payment: what the desk takes when the card terminal is offline too.
    fn default() -> Self {
        NewPayment {
            reservation_id: Uuid::nil(),
            amount_minor: 0,
            currency: String::new(),
            method: PaymentMethod::Cash,
            description: None,
            window: None,
        }
    }
}

/// A new POS order at an outlet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPosOrder {
    pub outlet: String,
    pub currency: String,
    pub reservation_id: Option<Uuid>,
}

/// A line to add to an open POS order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPosLine {
    pub item: String,
    pub quantity: u32,
    pub unit_price_minor: i64,
}

fn currency(code: &str) -> Result<String> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_uppercase()) {
        Ok(code)
    } else {
        Err(Error::invalid("currency", format!("`{code}` is not a currency code like EUR")))
    }
}

fn positive(amount_minor: i64) -> Result<i64> {
    if amount_minor > 0 {
        Ok(amount_minor)
    } else {
        Err(Error::invalid("amount_minor", "The amount must be above zero; use a correction to take money back"))
    }
}

/// The stay a posting goes on: it must exist and its folio must be open.
async fn open_folio(action: &mut Action<'_>, reservation_id: Uuid) -> Result<Reservation> {
    let reservation: Reservation =
        action.get(EntityKind::Reservation, reservation_id, "The reservation").await?.typed()?;
    require_open_stay(&reservation).map_err(|_| {
        Error::ReadOnly(format!(
            "The stay {} is {}: its folio is closed",
            reservation.confirmation,
            sync_core::invariants::status_name(reservation.status)
        ))
    })?;
    Ok(reservation)
}

struct Posting {
    reservation_id: Uuid,
    window: u32,
    kind: PostingKind,
    amount_minor: i64,
    currency: String,
    code: String,
    description: String,
    quantity: u32,
    method: Option<PaymentMethod>,
    reverses: Option<Uuid>,
    reason: Option<String>,
}

/// Writes a posting with a fresh idempotency key: one key is one posting, whatever
/// the number of pushes.
async fn post(action: &mut Action<'_>, p: Posting) -> Result<FolioPosting> {
    let posting = FolioPosting {
        id: new_id(),
        property_id: action.session.property_id,
        reservation_id: p.reservation_id,
        window: p.window,
        kind: p.kind,
        idempotency_key: new_id().to_string(),
        amount_minor: p.amount_minor,
        currency: p.currency,
        code: p.code,
        description: p.description,
        quantity: p.quantity,
        method: p.method,
        reverses: p.reverses,
        reason: p.reason,
        posted_by: action.session.user_id,
        posted_at: action.hlc(),
    };
    action.insert(EntityKind::FolioPosting, fields_of(&posting)?).await?;
    Ok(posting)
}

impl Store {
    /// Posts a charge on a stay's folio.
    pub async fn post_charge(&self, session: &Session, input: NewCharge) -> Result<FolioPosting> {
        session.require(EntityKind::FolioPosting, "post charges")?;
        let p = Posting {
            reservation_id: input.reservation_id,
            window: input.window.unwrap_or(1),
            kind: PostingKind::Charge,
            amount_minor: positive(input.amount_minor)?,
            currency: currency(&input.currency)?,
            code: required_text(&input.code, "code", "The charge code")?,
            description: required_text(&input.description, "description", "The description")?,
            quantity: input.quantity,
            method: None,
            reverses: None,
            reason: None,
        };
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        open_folio(&mut action, input.reservation_id).await?;
        let posting = post(&mut action, p).await?;
        action.commit().await?;
        Ok(posting)
    }

    /// Posts a payment taken at the desk (cash, card or transfer).
    pub async fn post_payment(&self, session: &Session, input: NewPayment) -> Result<FolioPosting> {
        session.require(EntityKind::FolioPosting, "take payments")?;
        let method_name = match input.method {
            PaymentMethod::Cash => "Cash",
            PaymentMethod::Card => "Card",
            PaymentMethod::Transfer => "Transfer",
        };
        let p = Posting {
            reservation_id: input.reservation_id,
            window: input.window.unwrap_or(1),
            kind: PostingKind::Payment,
            amount_minor: positive(input.amount_minor)?,
            currency: currency(&input.currency)?,
            code: method_name.to_ascii_uppercase(),
            description: input
                .description
                .map(|d| d.trim().to_owned())
                .filter(|d| !d.is_empty())
                .unwrap_or_else(|| format!("{method_name} payment")),
            quantity: 1,
            method: Some(input.method),
            reverses: None,
            reason: None,
        };
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        open_folio(&mut action, input.reservation_id).await?;
        let posting = post(&mut action, p).await?;
        action.commit().await?;
        Ok(posting)
    }

    /// Corrects a posting by a new one with the opposite amount that references it,
    /// with a reason. Postings themselves never change.
    pub async fn correct_posting(&self, session: &Session, posting_id: Uuid, reason: &str) -> Result<FolioPosting> {
        session.require(EntityKind::FolioPosting, "correct folio postings")?;
        let reason = required_text(reason, "reason", "The reason of a correction")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let original: FolioPosting = action.get(EntityKind::FolioPosting, posting_id, "The posting").await?.typed()?;
        if original.reverses.is_some() {
            return Err(Error::rule("A correction cannot itself be corrected; post a new charge or payment instead"));
        }
        let already: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM records INDEXED BY posting_reservation WHERE entity = 'folio_posting' AND reservation_id = ?
                                                   AND json_extract(fields, '$.reverses') = ?)",
        )
        .bind(original.reservation_id.to_string())
        .bind(original.id.to_string())
        .fetch_one(&mut *action.tx)
        .await?;
        if already {
            return Err(Error::rule("This posting was already corrected"));
        }
        open_folio(&mut action, original.reservation_id).await?;
        let posting = post(
            &mut action,
            Posting {
                reservation_id: original.reservation_id,
                window: original.window,
                kind: original.kind,
                amount_minor: -original.amount_minor,
                currency: original.currency.clone(),
                code: original.code.clone(),
                description: format!("Correction: {}", original.description).chars().take(200).collect(),
                quantity: original.quantity,
                method: original.method,
                reverses: Some(original.id),
                reason: Some(reason),
            },
        )
        .await?;
        action.commit().await?;
        Ok(posting)
    }

    /// Opens a POS order at an outlet.
    pub async fn open_pos_order(&self, session: &Session, input: NewPosOrder) -> Result<PosOrder> {
        session.require(EntityKind::PosOrder, "take POS orders")?;
        let order = PosOrder {
            id: new_id(),
            property_id: session.property_id,
            outlet: required_text(&input.outlet, "outlet", "The outlet")?,
            lines: Vec::new(),
            currency: currency(&input.currency)?,
            status: PosStatus::Open,
            reservation_id: input.reservation_id,
        };
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        if let Some(reservation_id) = input.reservation_id {
            open_folio(&mut action, reservation_id).await?;
        }
        action.insert(EntityKind::PosOrder, fields_of(&order)?).await?;
        action.commit().await?;
        Ok(order)
    }

    /// Adds a line to an open POS order.
    pub async fn add_pos_line(&self, session: &Session, order_id: Uuid, line: NewPosLine) -> Result<PosOrder> {
        session.require(EntityKind::PosOrder, "take POS orders")?;
        let item = required_text(&line.item, "lines", "The item")?;
        if line.quantity == 0 || line.quantity > 10_000 {
            return Err(Error::invalid("lines", "The quantity must be from 1 to 10000"));
        }
        if !(0..=sync_core::schema::MAX_AMOUNT_MINOR).contains(&line.unit_price_minor) {
            return Err(Error::invalid("lines", "The price must be zero or more"));
        }
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::PosOrder, order_id, "The order").await?;
        let mut order: PosOrder = stored.typed()?;
        require_open_order(&order)?;
        order.lines.push(PosLine {
            id: new_id(),
            item,
            quantity: line.quantity,
            unit_price_minor: line.unit_price_minor,
        });
        action.update(&stored, set([("lines", json(&order.lines)?)]), Operation::Update).await?;
        action.commit().await?;
        Ok(order)
    }

    /// Posts an open order to a stay's folio as one charge; the order becomes `posted`.
    pub async fn post_pos_order(
        &self,
        session: &Session,
        order_id: Uuid,
        reservation_id: Uuid,
    ) -> Result<(PosOrder, FolioPosting)> {
        session.require(EntityKind::FolioPosting, "post POS orders to folios")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::PosOrder, order_id, "The order").await?;
        let mut order: PosOrder = stored.typed()?;
        require_open_order(&order)?;
        let total = positive(order.total_minor())
            .map_err(|_| Error::invalid("lines", "An order without a charge cannot be posted to a folio"))?;
        open_folio(&mut action, reservation_id).await?;
        let posting = post(
            &mut action,
            Posting {
                reservation_id,
                window: 1,
                kind: PostingKind::Charge,
                amount_minor: total,
                currency: order.currency.clone(),
                code: "POS".into(),
                description: format!("{} order", order.outlet).chars().take(200).collect(),
                quantity: 1,
                method: None,
                reverses: None,
                reason: None,
            },
        )
        .await?;
        order.status = PosStatus::Posted;
        order.reservation_id = Some(reservation_id);
        let after = set([("status", json(PosStatus::Posted)?), ("reservation_id", json(reservation_id)?)]);
        action.update(&stored, after, Operation::Update).await?;
        action.commit().await?;
        Ok((order, posting))
    }

    /// Marks an open order as paid directly at the outlet (the outlet's till takes
    /// the money; no folio is involved).
    pub async fn pay_pos_order(&self, session: &Session, order_id: Uuid) -> Result<PosOrder> {
        session.require(EntityKind::PosOrder, "take POS payments")?;
        let mut writer = self.writer.lock().await;
        let mut action = self.action(&mut writer, session).await?;
        let stored = action.get(EntityKind::PosOrder, order_id, "The order").await?;
        let mut order: PosOrder = stored.typed()?;
        require_open_order(&order)?;
        if order.lines.is_empty() {
            return Err(Error::invalid("lines", "An empty order cannot be paid"));
        }
        order.status = PosStatus::Paid;
        action.update(&stored, set([("status", json(PosStatus::Paid)?)]), Operation::Update).await?;
        action.commit().await?;
        Ok(order)
    }
}

fn require_open_order(order: &PosOrder) -> Result<()> {
    if order.status == PosStatus::Open {
        return Ok(());
    }
    let status = match serde_json::to_value(order.status) {
        Ok(Value::String(s)) => s,
        _ => "closed".into(),
    };
    Err(Error::ReadOnly(format!("The order is {status} and can no longer be changed")))
}
