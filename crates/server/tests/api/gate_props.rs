//! Random hand-made requests through every write path (push of inserts, plain
//! updates, actions and deletes; postings credited to anyone; resolutions with any
//! choice; restores of any version; a housekeeping tablet writing what it may not),
//! then the server's log checked against the rules of DOMAIN.md: whatever the
//! requests, a rule is kept or an open conflict says it is broken.

use std::collections::{BTreeMap, HashMap, HashSet};

use proptest::prelude::*;
use serde_json::{Value, json};
use sync_core::EntityKind;
use sync_core::conflict::Conflict;
use sync_core::domain::Role;
use sync_core::invariants::{Lifecycle, RuleBreach};
use sync_core::protocol::{Change, ChangeKind, DomainAction, Operation, Outcome};
use sync_core::schema::RESERVATION_STATUS;
use uuid::Uuid;

use crate::support::{Device, Hotel, Server, reservation_fields, seed_hotel};

#[derive(Debug, Clone)]
enum Step {
    /// A stay in room `room` (or none) arriving `arrival` days from today.
    Book {
        room: Option<usize>,
        arrival: i64,
    },
    /// A status change of a stay, as a plain update or as an action, from any base.
    Move {
        stay: usize,
        to: usize,
        action: Option<usize>,
        claimed_from: usize,
    },
    Delete {
        stay: usize,
    },
    /// A posting, credited to the author or someone else, under a key of a few.
    Post {
        stay: usize,
        amount: i64,
        payment: bool,
        forged: bool,
        key: u8,
        other_desk: bool,
    },
    Assign {
        stay: usize,
        room: usize,
    },
    Restore {
        stay: usize,
        version: u64,
    },
    Resolve {
        conflict: usize,
        choice: usize,
        room: usize,
        status: usize,
    },
    /// The housekeeping tablet writes a stay.
    Tablet {
        stay: usize,
        to: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => (proptest::option::of(0..3usize), -2..3i64).prop_map(|(room, arrival)| Step::Book { room, arrival }),
        4 => (0..8usize, 0..6usize, proptest::option::of(0..7usize), 0..6usize)
            .prop_map(|(stay, to, action, claimed_from)| Step::Move { stay, to, action, claimed_from }),
        1 => (0..8usize).prop_map(|stay| Step::Delete { stay }),
        3 => (0..8usize, -5_000..20_000i64, any::<bool>(), any::<bool>(), 0..4u8, any::<bool>()).prop_map(
            |(stay, amount, payment, forged, key, other_desk)| Step::Post { stay, amount, payment, forged, key, other_desk }
        ),
        2 => (0..8usize, 0..3usize).prop_map(|(stay, room)| Step::Assign { stay, room }),
        1 => (0..8usize, 1..5u64).prop_map(|(stay, version)| Step::Restore { stay, version }),
        3 => (0..6usize, 0..5usize, 0..3usize, 0..6usize)
            .prop_map(|(conflict, choice, room, status)| Step::Resolve { conflict, choice, room, status }),
        1 => (0..8usize, 0..6usize).prop_map(|(stay, to)| Step::Tablet { stay, to }),
    ]
}

struct World {
    server: Server,
    manager: Device,
    desk: Device,
    desk2: Device,
    house: Device,
    hotel: Hotel,
    stays: Vec<Uuid>,
}

fn day(offset: i64) -> String {
    let today = frontdesk_server::push::property_today("Europe/Lisbon", chrono::Utc::now());
    (today + chrono::Duration::days(offset)).to_string()
}

impl World {
    /// The server's current record of a stay: version and fields.
    async fn current(&self, id: Uuid) -> Option<(u64, serde_json::Map<String, Value>)> {
        let changes = self.manager.pull_all().await;
        changes.into_iter().rev().find(|c| c.record_id == id).and_then(|c| Some((c.version, c.record?)))
    }

    async fn open_conflicts(&self) -> Vec<Conflict> {
        let list: Value = self.manager.get("/v1/conflicts?status=open").await.json().await.unwrap_or_default();
        serde_json::from_value(list["conflicts"].clone()).unwrap_or_default()
    }

    async fn run(&mut self, step: Step) {
        let pick = |list: &[Uuid], i: usize| (!list.is_empty()).then(|| list[i % list.len()]);
        match step {
            Step::Book { room, arrival } => {
                let id = Uuid::now_v7();
                let mut fields = reservation_fields(
                    &self.hotel,
                    room.map_or(Uuid::nil(), |r| self.hotel.rooms[r]),
                    &day(arrival),
                    &day(arrival + 2),
                    "T-AAA-0001",
                );
                if room.is_none() {
                    fields["room_id"] = Value::Null;
                }
                let insert = self.desk.insert(EntityKind::Reservation, id, fields);
                self.desk.push_one(insert).await;
                self.stays.push(id);
            }
            Step::Move { stay, to, action, claimed_from } => {
                let Some(id) = pick(&self.stays, stay) else { return };
                let Some((version, record)) = self.current(id).await else { return };
                let from = record.get("status").cloned().unwrap_or(Value::Null);
                // The base the request claims: usually the real one, sometimes another.
                let base = if claimed_from % 3 == 0 { json!(RESERVATION_STATUS[claimed_from]) } else { from };
                let op = action.map_or(Operation::Update, |a| Operation::Action(DomainAction::ALL[a]));
                let mutation = self.desk.mutation(
                    EntityKind::Reservation,
                    id,
                    op,
                    Some(version),
                    &[("status", base, json!(RESERVATION_STATUS[to]))],
                );
                self.desk.push_one(mutation).await;
            }
            Step::Delete { stay } => {
                let Some(id) = pick(&self.stays, stay) else { return };
                let Some((version, _)) = self.current(id).await else { return };
                let delete = self.desk.mutation(EntityKind::Reservation, id, Operation::Delete, Some(version), &[]);
                self.desk.push_one(delete).await;
            }
            Step::Post { stay, amount, payment, forged, key, other_desk } => {
                let Some(id) = pick(&self.stays, stay) else { return };
                let device = if other_desk { &mut self.desk2 } else { &mut self.desk };
                let by = if forged { self.manager.session.user.id } else { device.session.user.id };
                let fields = json!({"reservation_id": id, "window": 1, "kind": if payment { "payment" } else { "charge" },
                    "idempotency_key": format!("key-{key}"), "amount_minor": amount, "currency": "EUR", "code": "ROOM",
                    "description": "Night", "quantity": 1, "method": if payment { json!("cash") } else { Value::Null },
                    "reverses": null, "reason": null, "posted_by": by,
                    "posted_at": "000001763900000000-00000-00000000-0000-0000-0000-000000000000"});
                let insert = device.insert(EntityKind::FolioPosting, Uuid::now_v7(), fields);
                device.push_one(insert).await;
            }
            Step::Assign { stay, room } => {
                let Some(id) = pick(&self.stays, stay) else { return };
                let Some((version, record)) = self.current(id).await else { return };
                let base = record.get("room_id").cloned().unwrap_or(Value::Null);
                let update = self.desk.update(
                    EntityKind::Reservation,
                    id,
                    version,
                    &[("room_id", base, json!(self.hotel.rooms[room]))],
                );
                self.desk.push_one(update).await;
            }
            Step::Restore { stay, version } => {
                let Some(id) = pick(&self.stays, stay) else { return };
                let path = format!("/v1/records/reservation/{id}/restore");
                self.manager.post(&path, &json!({"version": version})).await;
            }
            Step::Resolve { conflict, choice, room, status } => {
                let open = self.open_conflicts().await;
                let Some(c) = open.get(conflict % open.len().max(1)) else { return };
                let body = match choice {
                    0 => json!({"choice": "keep_server"}),
                    1 => json!({"choice": "keep_device"}),
                    2 => json!({"choice": "move_stay", "room_id": self.hotel.rooms[room]}),
                    3 => json!({"choice": "custom", "values": {"status": RESERVATION_STATUS[status]}}),
                    _ => json!({"choice": "custom", "values": {"room_id": self.hotel.rooms[room]}}),
                };
                let device = if conflict % 2 == 0 { &self.manager } else { &self.desk };
                device.post(&format!("/v1/conflicts/{}/resolve", c.id), &body).await;
            }
            Step::Tablet { stay, to } => {
                let Some(id) = pick(&self.stays, stay) else { return };
                let Some((version, record)) = self.current(id).await else { return };
                let from = record.get("status").cloned().unwrap_or(Value::Null);
                let update = self.house.update(
                    EntityKind::Reservation,
                    id,
                    version,
                    &[("status", from, json!(RESERVATION_STATUS[to]))],
                );
                let result = self.house.push_one(update).await;
                assert!(
                    matches!(result.outcome, Outcome::Rejected { .. }),
                    "housekeeping never writes a stay: {result:?}"
                );
            }
        }
    }

    /// The rules of DOMAIN.md over the server's whole log.
    async fn check(&self) {
        let changes = self.manager.pull_all().await;
        let open = self.open_conflicts().await;
        let roles: HashMap<Uuid, Role> = [
            (self.manager.session.user.id, Role::Manager),
            (self.desk.session.user.id, Role::FrontDesk),
            (self.desk2.session.user.id, Role::FrontDesk),
            (self.house.session.user.id, Role::Housekeeping),
        ]
        .into();
        let mut stays: BTreeMap<Uuid, Vec<&Change>> = BTreeMap::new();
        let mut keys = HashSet::new();
        let mut postings: Vec<&serde_json::Map<String, Value>> = Vec::new();
        for change in &changes {
            if let Some(role) = roles.get(&change.user_id) {
                assert!(
                    sync_core::access::may_write(*role, change.entity),
                    "invariant 8: every change by someone whose role may make it: {change:?}"
                );
            }
            match change.entity {
                EntityKind::Reservation => stays.entry(change.record_id).or_default().push(change),
                EntityKind::FolioPosting => {
                    let record = change.record.as_ref().expect("a posting has its record");
                    let key = record["idempotency_key"].as_str().unwrap_or_default().to_owned();
                    assert!(keys.insert(key.clone()), "invariant 5: one posting per key, {key} twice");
                    assert_eq!(
                        record.get("posted_by").and_then(Value::as_str),
                        Some(change.user_id.to_string()).as_deref(),
                        "invariant 8: a posting names who posted it"
                    );
                    postings.push(record);
                }
                _ => {}
            }
        }
        let flagged = |id: Uuid, rule: fn(&RuleBreach) -> bool| {
            open.iter().any(|c| {
                c.rule.as_ref().is_some_and(rule)
                    && (c.record_id == id
                        || matches!(&c.rule, Some(RuleBreach::DoubleBooking { with, .. }) if with.contains(&id)))
            })
        };
        let mut live: Vec<(Uuid, serde_json::Map<String, Value>)> = Vec::new();
        for (id, versions) in &stays {
            for pair in versions.windows(2) {
                assert_ne!(pair[1].kind, ChangeKind::Delete, "a stay is never deleted");
                let status = |c: &Change| c.record.as_ref().and_then(|r| r["status"].as_str().map(str::to_owned));
                let (from, to) = (status(pair[0]).unwrap_or_default(), status(pair[1]).unwrap_or_default());
                let moved_by_an_action = Lifecycle::action_for(&from, &to).is_some();
                assert!(
                    from == to || moved_by_an_action,
                    "invariant 4: stay {id} moved {from} -> {to}, which no action does"
                );
            }
            let last = versions.last().and_then(|c| c.record.clone()).expect("a stay's last version");
            let status = last["status"].as_str().unwrap_or_default().to_owned();
            if status == "checked_out" {
                let owed: i64 = postings
                    .iter()
                    .filter(|p| p["reservation_id"] == json!(id.to_string()))
                    .map(|p| {
                        let amount = p["amount_minor"].as_i64().unwrap_or_default();
                        if p["kind"] == json!("payment") { -amount } else { amount }
                    })
                    .sum();
                assert!(
                    owed == 0
                        || flagged(*id, |r| matches!(
                            r,
                            RuleBreach::CheckOutWithBalance { .. } | RuleBreach::PostingOnClosedFolio { .. }
                        ))
                        || open.iter().any(|c| matches!(&c.rule, Some(RuleBreach::PostingOnClosedFolio { reservation_id, .. }) if reservation_id == id)),
                    "invariant 6: stay {id} checked out owing {owed} with no open conflict saying so"
                );
            }
            if matches!(status.as_str(), "tentative" | "confirmed" | "checked_in") {
                live.push((*id, last));
            }
        }
        for (i, (a, first)) in live.iter().enumerate() {
            for (b, second) in &live[i + 1..] {
                let same_room = !first["room_id"].is_null() && first["room_id"] == second["room_id"];
                let overlap = first["arrival"].as_str() < second["departure"].as_str()
                    && second["arrival"].as_str() < first["departure"].as_str();
                if same_room && overlap {
                    let double = |r: &RuleBreach| matches!(r, RuleBreach::DoubleBooking { .. });
                    assert!(
                        flagged(*a, double) || flagged(*b, double),
                        "invariant 1: stays {a} and {b} share a room with no open double-booking conflict"
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn random_requests_on_every_write_path_break_no_rule_silently(steps in proptest::collection::vec(step(), 10..40)) {
        let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
        runtime.block_on(async move {
            let server = Server::start().await;
            let mut manager = server.device("P1", "manager").await;
            let desk = server.device("P1", "desk").await;
            let desk2 = server.device("P1", "desk2").await;
            let house = server.device("P1", "house").await;
            let hotel = seed_hotel(&mut manager).await;
            let mut world = World { server, manager, desk, desk2, house, hotel, stays: Vec::new() };
            for step in steps {
                world.run(step).await;
            }
            world.check().await;
            drop(world.server);
        });
    }
}
