//! The device process: one `Desk` over its own SQLite file, driven by the parent
//! over stdin/stdout, one JSON object a line each way. Running each simulated
//! device in its own OS process keeps its memory (VmHWM) and CPU its own.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use frontdesk_device::desk::Desk;
use frontdesk_device::sync::round::{pull_all, push_all};
use frontdesk_device::sync::{RoundReport, WallClock};
use frontdesk_device::{GuestEdit, NewGuest, NewReservation, ReservationEdit};
use serde_json::{Value, json};
use sync_core::domain::{Guest, Reservation, Room, RoomType};
use sync_core::schema::EntityKind;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use uuid::Uuid;

use crate::data;
use crate::stats::percentile_ms;

type Reply = Result<Value, String>;

fn err(e: impl std::fmt::Display) -> String {
    e.to_string()
}

/// Runs the device loop until stdin closes.
pub async fn run(store: std::path::PathBuf, live: bool) -> Result<(), String> {
    let clock: WallClock = Arc::new(chrono::Utc::now);
    let desk =
        if live { Desk::open(&store, clock).await } else { Desk::open_manual(&store, clock).await }.map_err(err)?;
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut out = tokio::io::stdout();
    while let Some(line) = lines.next_line().await.map_err(err)? {
        let request: Value = serde_json::from_str(&line).map_err(err)?;
        let reply = match handle(&desk, &request).await {
            Ok(mut value) => {
                value["ok"] = Value::Bool(true);
                value
            }
            Err(message) => json!({"ok": false, "error": message}),
        };
        let mut text = reply.to_string();
        text.push('\n');
        out.write_all(text.as_bytes()).await.map_err(err)?;
        out.flush().await.map_err(err)?;
        if request["cmd"] == "quit" {
            break;
        }
    }
    desk.close(Duration::from_secs(5)).await;
    Ok(())
}

fn str_arg<'a>(request: &'a Value, key: &str) -> Result<&'a str, String> {
    request[key].as_str().ok_or_else(|| format!("missing {key}"))
}

fn ids_arg(request: &Value) -> Result<Vec<Uuid>, String> {
    request["ids"]
        .as_array()
        .ok_or("missing ids")?
        .iter()
        .map(|v| v.as_str().and_then(|s| Uuid::parse_str(s).ok()).ok_or_else(|| "bad id".to_owned()))
        .collect()
}

fn report_json(report: &RoundReport) -> Value {
    json!({"pushed": report.pushed, "applied": report.applied, "merged": report.merged,
           "conflicts": report.conflicts, "rejected": report.rejected, "held": report.held,
           "pulled": report.pulled, "push_requests": report.push_requests, "pull_requests": report.pull_requests})
}

async fn handle(desk: &Desk, request: &Value) -> Reply {
    match request["cmd"].as_str().unwrap_or_default() {
        "setup" => {
            desk.enroll(str_arg(request, "url")?, str_arg(request, "code")?, str_arg(request, "name")?)
                .await
                .map_err(err)?;
            desk.sign_in(str_arg(request, "username")?, str_arg(request, "password")?).await.map_err(err)?;
            Ok(json!({}))
        }
        "push" => {
            let client = desk.client().await.ok_or("not signed in")?;
            let batch = request["batch"].as_u64().unwrap_or(1000) as usize;
            let mut report = RoundReport::default();
            let mut stamps = Vec::new();
            let started = Instant::now();
            push_all(desk.store(), &client, batch, &mut report, &mut |_| stamps.push(started.elapsed()))
                .await
                .map_err(err)?;
            let ms = started.elapsed().as_secs_f64() * 1e3;
            let mut previous = Duration::ZERO;
            let requests: Vec<f64> = stamps
                .iter()
                .map(|t| {
                    let d = *t - previous;
                    previous = *t;
                    d.as_secs_f64() * 1e3
                })
                .collect();
            let counts = desk.store().outbox_counts().await.map_err(err)?;
            Ok(json!({"ms": ms, "report": report_json(&report), "request_ms": requests,
                      "outbox": format!("{counts:?}")}))
        }
        "pull" => {
            let client = desk.client().await.ok_or("not signed in")?;
            let mut report = RoundReport::default();
            let started = Instant::now();
            pull_all(desk.store(), &client, &mut report, &mut |_| {}).await.map_err(err)?;
            Ok(json!({"ms": started.elapsed().as_secs_f64() * 1e3, "report": report_json(&report)}))
        }
        "sync" => {
            let batch = request["batch"].as_u64().unwrap_or(1000) as usize;
            let started = Instant::now();
            let report = desk.sync_once(batch).await.map_err(err)?;
            Ok(json!({"ms": started.elapsed().as_secs_f64() * 1e3, "report": report_json(&report)}))
        }
        "count" => {
            let reservations: Vec<Value> = desk.store().all(EntityKind::Reservation).await.map_err(err)?;
            let stats = desk.store().stats().await.map_err(err)?;
            let conflicts = desk.store().open_conflicts().await.map_err(err)?.len();
            let outbox = desk.store().outbox_counts().await.map_err(err)?;
            Ok(json!({"reservations": reservations.len(), "records": stats.records, "open_conflicts": conflicts,
                      "outbox": format!("{outbox:?}")}))
        }
        "rss" => Ok(memory()),
        "write" => write_file(desk, std::path::Path::new(str_arg(request, "file")?)).await,
        "w3_edit" => w3_edit(desk, str_arg(request, "role")?, &ids_arg(request)?).await,
        "state" => {
            // The fields of the given reservations and their guests, to compare replicas.
            let mut state = serde_json::Map::new();
            for id in ids_arg(request)? {
                let Some((fields, _)) = desk.store().record_fields(EntityKind::Reservation, id).await.map_err(err)?
                else {
                    continue;
                };
                let guest = fields.get("guest_id").and_then(Value::as_str).and_then(|s| Uuid::parse_str(s).ok());
                let guest = match guest {
                    Some(g) => desk.store().record_fields(EntityKind::Guest, g).await.map_err(err)?.map(|f| f.0),
                    None => None,
                };
                state.insert(id.to_string(), json!({"reservation": fields, "guest": guest}));
            }
            Ok(json!({"state": state}))
        }
        "edit_rate" => {
            // One single-record update (W4, W5): the reservation's rate code.
            let session = desk.session().await.map_err(err)?;
            let started = Instant::now();
            for id in ids_arg(request)? {
                let edit =
                    ReservationEdit { rate_code: Some(str_arg(request, "value")?.to_owned()), ..Default::default() };
                desk.store().edit_reservation(&session, id, edit).await.map_err(err)?;
            }
            if request["sync_now"].as_bool().unwrap_or(false) {
                desk.sync().sync_now().await;
            }
            Ok(json!({"ms": started.elapsed().as_secs_f64() * 1e3}))
        }
        "wait_rate" => {
            // Polls the local store until every given reservation has the rate code.
            let value = str_arg(request, "value")?;
            let timeout = Duration::from_millis(request["timeout_ms"].as_u64().unwrap_or(10_000));
            let started = Instant::now();
            let ids = ids_arg(request)?;
            loop {
                let mut all = true;
                for id in &ids {
                    let r: Option<Reservation> =
                        desk.store().record(EntityKind::Reservation, *id).await.map_err(err)?;
                    if r.is_none_or(|r| r.rate_code != value) {
                        all = false;
                        break;
                    }
                }
                if all {
                    return Ok(json!({"seen": true, "ms": started.elapsed().as_secs_f64() * 1e3}));
                }
                if started.elapsed() > timeout {
                    return Ok(json!({"seen": false}));
                }
                tokio::time::sleep(Duration::from_micros(500)).await;
            }
        }
        "rates" => {
            let all: Vec<Reservation> = desk.store().all(EntityKind::Reservation).await.map_err(err)?;
            let rates: HashMap<String, String> = all.into_iter().map(|r| (r.id.to_string(), r.rate_code)).collect();
            Ok(json!({"rates": rates}))
        }
        "quit" => Ok(json!({})),
        other => Err(format!("unknown command {other}")),
    }
}

/// Peak and current resident memory of this process.
pub fn memory() -> Value {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = |key: &str| {
        status
            .lines()
            .find(|l| l.starts_with(key))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    json!({"vm_hwm_kb": kb("VmHWM:"), "vm_rss_kb": kb("VmRSS:")})
}

/// W1's local writes: the file's reservations created one by one through the
/// desk's own operation (a guest profile per distinct email first), as a
/// receptionist's edits are. A stay whose room is taken on its nights is refused
/// by the desk; it is then booked without a room (counted), never dropped.
async fn write_file(desk: &Desk, file: &std::path::Path) -> Reply {
    let session = desk.session().await.map_err(err)?;
    let store = desk.store();
    let lines = data::read(file)?;
    let rooms: Vec<Room> = store.all(EntityKind::Room).await.map_err(err)?;
    let types: Vec<RoomType> = store.all(EntityKind::RoomType).await.map_err(err)?;
    let room_by_number: HashMap<&str, &Room> = rooms.iter().map(|r| (r.number.as_str(), r)).collect();
    let type_by_name: HashMap<&str, Uuid> = types.iter().map(|t| (t.name.as_str(), t.id)).collect();

    let mut guests: HashMap<String, Uuid> = HashMap::new();
    let mut guest_ms = Vec::new();
    let started = Instant::now();
    for line in &lines {
        let key = line.email.clone().unwrap_or_else(|| line.guest_name.clone());
        if guests.contains_key(&key) {
            continue;
        }
        // The desk asks for a last name; the import leaves a one-word name's empty.
        let (first, last) = line.guest_name_parts();
        let (first, last) = (first.to_owned(), if last.is_empty() { "-".to_owned() } else { last.to_owned() });
        let t = Instant::now();
        let guest: Guest = store
            .create_guest(
                &session,
                NewGuest {
                    first_name: first,
                    last_name: last,
                    email: line.email.clone(),
                    phone: line.phone.clone(),
                    loyalty_number: line.loyalty_id.clone(),
                    ..NewGuest::default()
                },
            )
            .await
            .map_err(err)?;
        guest_ms.push(t.elapsed().as_secs_f64() * 1e3);
        guests.insert(key, guest.id);
    }
    let guests_total = started.elapsed().as_secs_f64() * 1e3;

    let mut write_ms = Vec::with_capacity(lines.len());
    let mut unassigned = 0_u64;
    let started = Instant::now();
    for line in &lines {
        let key = line.email.clone().unwrap_or_else(|| line.guest_name.clone());
        let room = line.room_number.as_deref().and_then(|n| room_by_number.get(n));
        let room_type_id = match room {
            Some(room) => room.room_type_id,
            None => *type_by_name.get(line.room_type.as_str()).ok_or("unknown room type")?,
        };
        let mut input = NewReservation {
            guest_id: guests[&key],
            guest_name: Some(line.guest_name.clone()),
            room_type_id,
            room_id: room.map(|r| r.id),
            arrival: line.check_in,
            departure: line.check_out,
            adults: line.adults.clamp(1, 20),
            children: line.children.min(20),
            rate_code: line.rate_code.clone(),
            source: line.source.clone(),
            special_requests: line.special_requests.clone(),
            note: line.notes.clone().filter(|n| !n.trim().is_empty()),
            confirmed: line.status != "tentative",
        };
        let t = Instant::now();
        let result = store.create_reservation(&session, input.clone()).await;
        if let Err(first) = result {
            if input.room_id.is_none() || first.code() != "rule_broken" {
                return Err(format!("{}: {first}", line.id));
            }
            input.room_id = None;
            unassigned += 1;
            store.create_reservation(&session, input).await.map_err(|e| format!("{}: {e}", line.id))?;
        }
        write_ms.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let total = started.elapsed().as_secs_f64() * 1e3;
    let counts = store.outbox_counts().await.map_err(err)?;
    Ok(json!({
        "reservations": lines.len(), "local_write_ms": total,
        "write_p50_ms": percentile_ms(&mut write_ms.clone(), 50.0), "write_p99_ms": percentile_ms(&mut write_ms, 99.0),
        "guests": guests.len(), "guest_write_ms": guests_total,
        "guest_write_p99_ms": percentile_ms(&mut guest_ms, 99.0),
        "booked_without_room_overlap": unassigned, "outbox": format!("{counts:?}"),
    }))
}

/// W3's offline edits. A: the guest's email on every stay, then check-in on the
/// first 200. B: another free room of the same type on every stay, then
/// cancellation of the first 200.
async fn w3_edit(desk: &Desk, role: &str, ids: &[Uuid]) -> Reply {
    let session = desk.session().await.map_err(err)?;
    let store = desk.store();
    let mut done = 0_u64;
    let mut refused: Vec<String> = Vec::new();
    for (index, id) in ids.iter().enumerate() {
        let r: Reservation = store.reservation(*id).await.map_err(err)?;
        if role == "A" {
            let edit =
                GuestEdit { email: Some(Some(format!("a.{index}@changed.example.com"))), ..GuestEdit::default() };
            store.edit_guest(&session, r.guest_id, edit).await.map_err(err)?;
            done += 1;
        } else {
            let free = store.free_rooms(r.room_type_id, r.arrival, r.departure, Some(r.id)).await.map_err(err)?;
            match free.iter().find(|f| Some(f.room_id) != r.room_id) {
                Some(room) => {
                    store.assign_room(&session, *id, Some(room.room_id)).await.map_err(err)?;
                    done += 1;
                }
                None => refused.push(format!("{id}: no other free room of its type")),
            }
        }
    }
    let mut status_done = 0_u64;
    for id in ids.iter().take(200) {
        let result = if role == "A" {
            store.check_in(&session, *id).await.map(|_| ())
        } else {
            store.cancel_reservation(&session, *id, Some("benchmark W3")).await.map(|_| ())
        };
        match result {
            Ok(()) => status_done += 1,
            Err(e) => refused.push(format!("{id}: {e}")),
        }
    }
    refused.truncate(20);
    Ok(json!({"edits": done, "status_changes": status_done, "refused_sample": refused}))
}
