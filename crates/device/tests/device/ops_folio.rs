//! Charges, payments, corrections and POS orders.

use std::collections::BTreeMap;

use frontdesk_device::{NewCharge, NewPayment, NewPosLine, NewPosOrder};
use sync_core::domain::{PaymentMethod, PosStatus, PostingKind};
use sync_core::schema::EntityKind;
use uuid::Uuid;

use crate::support::{Desk, assert_nothing_written};

fn charge(reservation_id: Uuid, amount_minor: i64) -> NewCharge {
    NewCharge {
        reservation_id,
        amount_minor,
        currency: "eur".into(),
        code: "MINIBAR".into(),
        description: "Minibar".into(),
        quantity: 2,
        window: None,
    }
}

#[tokio::test]
async fn charges_payments_and_corrections_make_the_balance() {
    let desk = Desk::new().await;
    let stay = desk.book(None, 23, 25).await;
    let minibar = desk.store.post_charge(&desk.session, charge(stay.id, 800)).await.expect("charge");
    assert_eq!(minibar.currency, "EUR");
    assert_eq!(minibar.kind, PostingKind::Charge);
    let room = desk.store.post_charge(&desk.session, charge(stay.id, 12_000)).await.expect("charge");
    assert_ne!(minibar.idempotency_key, room.idempotency_key, "every posting has its own idempotency key");
    let payment = NewPayment {
        reservation_id: stay.id,
        amount_minor: 5_000,
        currency: "EUR".into(),
        method: PaymentMethod::Cash,
        description: None,
        window: None,
    };
    let cash = desk.store.post_payment(&desk.session, payment).await.expect("payment");
    assert_eq!((cash.description.as_str(), cash.method), ("Cash payment", Some(PaymentMethod::Cash)));
    let correction = desk.store.correct_posting(&desk.session, minibar.id, "not consumed").await.expect("correct");
    assert_eq!(correction.amount_minor, -800);
    assert_eq!(correction.reverses, Some(minibar.id));
    assert_eq!(correction.reason.as_deref(), Some("not consumed"));

    let folio = desk.store.folio(stay.id).await.expect("folio");
    assert_eq!(folio.postings.len(), 4);
    assert_eq!(folio.balance, BTreeMap::from([("EUR".to_owned(), 7_000)]), "12000 + 800 - 800 - 5000");

    let before = desk.stats().await;
    let err = desk.store.correct_posting(&desk.session, minibar.id, "again").await.expect_err("already corrected");
    assert_eq!((err.code(), err.to_string().as_str()), ("rule_broken", "This posting was already corrected"));
    let err = desk.store.correct_posting(&desk.session, correction.id, "undo").await.expect_err("a correction");
    assert_eq!(err.code(), "rule_broken");
    let err = desk.store.correct_posting(&desk.session, room.id, "  ").await.expect_err("no reason");
    assert_eq!((err.code(), err.to_string().as_str()), ("invalid_input", "The reason of a correction cannot be empty"));
    let err = desk.store.post_charge(&desk.session, charge(stay.id, 0)).await.expect_err("zero");
    assert_eq!(err.code(), "invalid_input");
    let err = desk.store.post_charge(&desk.session, charge(stay.id, -5)).await.expect_err("negative");
    assert_eq!(err.code(), "invalid_input");
    let mut bad_currency = charge(stay.id, 100);
    bad_currency.currency = "euro".into();
    assert_eq!(
        desk.store.post_charge(&desk.session, bad_currency).await.expect_err("currency").code(),
        "invalid_input"
    );
    let err = desk.store.post_charge(&desk.session, charge(Uuid::from_u128(5), 100)).await.expect_err("no stay");
    assert_eq!(err.code(), "not_found");
    assert_nothing_written(&desk, before, None).await;
}

#[tokio::test]
async fn a_closed_folio_takes_no_postings() {
    let desk = Desk::new().await;
    let stay = desk.book(None, 23, 25).await;
    let posted = desk.store.post_charge(&desk.session, charge(stay.id, 800)).await.expect("charge");
    desk.store.cancel_reservation(&desk.session, stay.id, None).await.expect("cancel");
    let before = desk.stats().await;
    let err = desk.store.post_charge(&desk.session, charge(stay.id, 100)).await.expect_err("closed");
    assert_eq!(err.code(), "read_only");
    assert!(err.to_string().ends_with("is cancelled: its folio is closed"), "{err}");
    let err = desk.store.correct_posting(&desk.session, posted.id, "wrong stay").await.expect_err("closed");
    assert_eq!(err.code(), "read_only");
    assert_nothing_written(&desk, before, None).await;
}

#[tokio::test]
async fn pos_orders_take_lines_and_post_to_a_folio_as_one_charge() {
    let desk = Desk::new().await;
    let stay = desk.book(Some("301"), 23, 25).await;
    let order = desk
        .store
        .open_pos_order(
            &desk.session,
            NewPosOrder { outlet: "Bar".into(), currency: "EUR".into(), reservation_id: None },
        )
        .await
        .expect("open");
    let line = |item: &str, quantity, unit_price_minor| NewPosLine { item: item.into(), quantity, unit_price_minor };
    desk.store.add_pos_line(&desk.session, order.id, line("Espresso", 2, 250)).await.expect("line");
    let order_now = desk.store.add_pos_line(&desk.session, order.id, line("Water", 1, 300)).await.expect("line");
    assert_eq!(order_now.total_minor(), 800);
    let (posted, posting) = desk.store.post_pos_order(&desk.session, order.id, stay.id).await.expect("post");
    assert_eq!(posted.status, PosStatus::Posted);
    assert_eq!((posting.amount_minor, posting.code.as_str(), posting.description.as_str()), (800, "POS", "Bar order"));
    assert_eq!(desk.store.folio(stay.id).await.expect("folio").balance["EUR"], 800);

    let fields = desk.fields(EntityKind::PosOrder, order.id).await;
    let before = desk.stats().await;
    let err = desk.store.add_pos_line(&desk.session, order.id, line("Tea", 1, 200)).await.expect_err("posted");
    assert_eq!(
        (err.code(), err.to_string().as_str()),
        ("read_only", "The order is posted and can no longer be changed")
    );
    let err = desk.store.pay_pos_order(&desk.session, order.id).await.expect_err("posted");
    assert_eq!(err.code(), "read_only");
    assert_nothing_written(&desk, before, Some((EntityKind::PosOrder, order.id, &fields))).await;

    let empty = desk
        .store
        .open_pos_order(
            &desk.session,
            NewPosOrder { outlet: "Pool".into(), currency: "EUR".into(), reservation_id: None },
        )
        .await
        .expect("open");
    let before = desk.stats().await;
    let err = desk.store.post_pos_order(&desk.session, empty.id, stay.id).await.expect_err("empty");
    assert_eq!(err.code(), "invalid_input");
    let err = desk.store.pay_pos_order(&desk.session, empty.id).await.expect_err("empty");
    assert_eq!(err.code(), "invalid_input");
    let err = desk.store.add_pos_line(&desk.session, empty.id, line("Ice", 0, 100)).await.expect_err("zero quantity");
    assert_eq!(err.code(), "invalid_input");
    assert_nothing_written(&desk, before, None).await;
    desk.store.add_pos_line(&desk.session, empty.id, line("Ice cream", 1, 450)).await.expect("line");
    let paid = desk.store.pay_pos_order(&desk.session, empty.id).await.expect("pay");
    assert_eq!(paid.status, PosStatus::Paid);
}
