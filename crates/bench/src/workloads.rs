//! The five workloads of `shared/bench/WORKLOADS.md`, each over a fresh server
//! database, and the push-throughput run. Each returns its figures as JSON.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Row;
use sync_core::import::ReservationLine;
use uuid::Uuid;

use crate::data;
use crate::harness::{Backend, Device, Server};
use crate::stats::{percentile_ms, r3};

/// Where a workload's inputs are.
#[derive(Debug)]
pub struct Context {
    pub data: PathBuf,
    pub backend: Backend,
    pub work: tempfile::TempDir,
    pub keep: Vec<tempfile::TempDir>,
}

impl Context {
    fn file(&self, name: &str) -> PathBuf {
        self.data.join(name)
    }

    async fn server(&mut self) -> Result<Server, String> {
        let url = self.backend.fresh(&mut self.keep).await?;
        Server::start(url).await
    }

    /// A copy of a data file with every status set to `confirmed` (W3, W4 setup).
    fn confirmed_copy(&self, name: &str) -> Result<PathBuf, String> {
        let values: Vec<Value> = data::text(&self.file(name))?
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).map_err(|e| e.to_string())?;
                v["status"] = json!("confirmed");
                Ok(v)
            })
            .collect::<Result<_, String>>()?;
        let path = self.work.path().join(format!("confirmed-{name}"));
        data::write_gz(&path, &values)?;
        Ok(path)
    }
}

fn f(value: &Value) -> f64 {
    value.as_f64().unwrap_or(0.0)
}

/// Setup: the rooms and room types the data names exist on the server (a device
/// cannot create rooms). One past stay per room creates them through the server's
/// import; those stays are told apart by their arrival date 2000-01-01.
fn rooms_setup(ctx: &Context, lines: &[ReservationLine]) -> Result<PathBuf, String> {
    let mut rooms: BTreeMap<String, String> = BTreeMap::new();
    for line in lines {
        if let Some(number) = &line.room_number {
            rooms.entry(number.clone()).or_insert_with(|| line.room_type.clone());
        }
    }
    let setup: Vec<Value> = rooms
        .iter()
        .enumerate()
        .map(|(i, (number, kind))| {
            json!({"id": format!("w1room:{i}"), "type": "reservation", "confirmationCode": "H000000000",
                   "guestName": "Room Setup", "email": "rooms@bench.invalid", "phone": null, "roomNumber": number,
                   "roomType": kind, "checkIn": "2000-01-01", "checkOut": "2000-01-02", "nights": 1, "adults": 1,
                   "children": 0, "status": "checked_out", "rateCode": "SETUP", "balance": 0, "currency": "USD",
                   "source": "setup", "loyaltyId": null, "specialRequests": [], "notes": "",
                   "createdAt": "2000-01-01T00:00:00.000Z", "updatedAt": "2000-01-01T00:00:00.000Z"})
        })
        .collect();
    let setup_file = ctx.work.path().join("rooms.jsonl.gz");
    data::write_gz(&setup_file, &setup)?;
    Ok(setup_file)
}

/// W1: 10,000 reservations written offline, then one timed push.
pub async fn w1(ctx: &mut Context) -> Result<Value, String> {
    let file = ctx.file("w1.jsonl.gz");
    let lines = data::read(&file)?;
    let setup_file = rooms_setup(ctx, &lines)?;
    let server = ctx.server().await?;
    server.import(&setup_file).await?;
    let mut device = Device::start(&server, "W1 desk", false).await?;
    device.call(json!({"cmd": "pull"})).await?;

    let written = device.call(json!({"cmd": "write", "file": file})).await?;
    let push = device.call(json!({"cmd": "push", "batch": 1000})).await?;
    let on_server = server.count_reservations("2000-01-01").await?;
    let rss = device.call(json!({"cmd": "rss"})).await?;
    let report = &push["report"];
    let actions = report["pushed"].as_u64().unwrap_or(0);
    let ms = f(&push["ms"]);
    let result = json!({
        "workload": "W1", "records": lines.len(),
        "local_write_ms": r3(f(&written["local_write_ms"])),
        "local_write_p50_ms": r3(f(&written["write_p50_ms"])), "local_write_p99_ms": r3(f(&written["write_p99_ms"])),
        "guest_profiles_written": written["guests"], "guest_write_ms": r3(f(&written["guest_write_ms"])),
        "booked_without_room_local_overlap": written["booked_without_room_overlap"],
        "push_ms": r3(ms), "actions_pushed": actions,
        "actions_per_s": (actions as f64 / (ms / 1e3)).round(),
        "reservations_per_s": (lines.len() as f64 / (ms / 1e3)).round(),
        "push_requests": report["push_requests"], "applied": report["applied"], "merged": report["merged"],
        "conflicts": report["conflicts"], "rejected": report["rejected"], "held": report["held"],
        "outbox_after": push["outbox"],
        "server_reservations": on_server, "verified": on_server == lines.len() as i64,
        "device_peak_rss_kb": rss["vm_hwm_kb"], "server_memory": server.memory(),
        "target": "push <= 300 ms; local write p99 <= 1 ms",
    });
    device.quit().await;
    server.stop().await;
    Ok(result)
}

/// W2 (cold pull of 50,000) followed by W5 (incremental pulls) on the same device.
pub async fn w2_w5(ctx: &mut Context) -> Result<(Value, Value), String> {
    let file = ctx.file("w2.jsonl.gz");
    let lines = data::read(&file)?;
    let server = ctx.server().await?;
    let import = server.import(&file).await?;
    let on_server = server.count_reservations("").await?;
    let mut device = Device::start(&server, "W2 desk", false).await?;
    let pull = device.call(json!({"cmd": "pull"})).await?;
    // Memory first: the count below reads every record and would raise the peak.
    let rss = device.call(json!({"cmd": "rss"})).await?;
    let count = device.call(json!({"cmd": "count"})).await?;
    let ms = f(&pull["ms"]);
    let held = count["reservations"].as_u64().unwrap_or(0);
    let w2 = json!({
        "workload": "W2", "records": lines.len(), "server_reservations": on_server,
        "pull_ms": r3(ms), "records_per_s": (held as f64 / (ms / 1e3)).round(),
        "pulled_changes": pull["report"]["pulled"], "pull_requests": pull["report"]["pull_requests"],
        "device_reservations": held, "verified": held == lines.len() as u64,
        "device_peak_rss_kb": rss["vm_hwm_kb"], "device_rss_after_kb": rss["vm_rss_kb"],
        "server_memory": server.memory(), "server_import": import.trim(),
        "target": "pull <= 1000 ms; device peak RSS <= 100 MB",
    });
    crate::emit(&w2);

    // W5: another device changes 10 open stays; the W2 device pulls once.
    let mut other = Device::start(&server, "W5 editor", false).await?;
    other.call(json!({"cmd": "pull"})).await?;
    let open: Vec<Uuid> = lines
        .iter()
        .filter(|l| l.status == "confirmed" || l.status == "tentative")
        .map(|l| data::server_id(server.property, &l.id))
        .collect();
    let mut before: BTreeMap<String, Value> = device.call(json!({"cmd": "rates"})).await?["rates"]
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    let mut pulls = Vec::new();
    let mut verified = true;
    let mut notes = Vec::new();
    for rep in 0..5 {
        let ids: Vec<String> = (0..10).map(|k| open[(rep * 10 + k) * (open.len() / 60)].to_string()).collect();
        let value = format!("W5-{rep}");
        other.call(json!({"cmd": "edit_rate", "ids": ids, "value": value})).await?;
        other.call(json!({"cmd": "push"})).await?;
        let pull = device.call(json!({"cmd": "pull"})).await?;
        pulls.push(f(&pull["ms"]));
        let after: BTreeMap<String, Value> = device.call(json!({"cmd": "rates"})).await?["rates"]
            .as_object()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .collect();
        let changed: HashSet<&String> =
            after.iter().filter(|(k, v)| before.get(*k) != Some(v)).map(|(k, _)| k).collect();
        let expected: HashSet<&String> = ids.iter().collect();
        let ok = changed == expected && ids.iter().all(|id| after[id] == json!(value));
        if !ok {
            notes.push(format!("repeat {rep}: {} changed locally, expected the 10", changed.len()));
        }
        verified &= ok;
        notes.push(format!("repeat {rep}: pulled {} changes", pull["report"]["pulled"]));
        before = after;
    }
    let mut noop = Vec::new();
    for _ in 0..5 {
        noop.push(f(&device.call(json!({"cmd": "pull"})).await?["ms"]));
    }
    let mut sorted = pulls.clone();
    let w5 = json!({
        "workload": "W5", "pull_ms": pulls.iter().map(|v| r3(*v)).collect::<Vec<_>>(),
        "pull_median_ms": r3(percentile_ms(&mut sorted, 50.0)),
        "pull_min_ms": r3(sorted.first().copied().unwrap_or(0.0)), "pull_max_ms": r3(sorted.last().copied().unwrap_or(0.0)),
        "noop_pull_median_ms": r3(percentile_ms(&mut noop, 50.0)), "noop_pull_ms": noop.iter().map(|v| r3(*v)).collect::<Vec<_>>(),
        "verified_exactly_10_changed": verified, "notes": notes,
        "target": "pull of 10 changes <= 3 ms; no-op pull <= 2 ms",
    });
    other.quit().await;
    device.quit().await;
    server.stop().await;
    Ok((w2, w5))
}

/// W3: concurrent offline edits of 1,000 stays on two devices.
pub async fn w3(ctx: &mut Context) -> Result<Value, String> {
    let file = ctx.confirmed_copy("w3.jsonl.gz")?;
    let lines = data::read(&file)?;
    let server = ctx.server().await?;
    let import = server.import(&file).await?;
    let ids: Vec<String> = lines.iter().map(|l| data::server_id(server.property, &l.id).to_string()).collect();
    let mut a = Device::start(&server, "W3 desk A", false).await?;
    let mut b = Device::start(&server, "W3 desk B", false).await?;
    a.call(json!({"cmd": "pull"})).await?;
    b.call(json!({"cmd": "pull"})).await?;
    let conflicts_before = open_conflicts(&server).await?;
    let edits_a = a.call(json!({"cmd": "w3_edit", "role": "A", "ids": ids})).await?;
    let edits_b = b.call(json!({"cmd": "w3_edit", "role": "B", "ids": ids})).await?;
    let b_state = b.call(json!({"cmd": "state", "ids": ids})).await?["state"].clone();

    // Timed: both come online at once; rounds until a round where neither moves anything.
    let started = Instant::now();
    let mut rounds = 0;
    let mut converged_at = Duration::ZERO;
    loop {
        rounds += 1;
        a.send(&json!({"cmd": "sync", "batch": 1000})).await?;
        b.send(&json!({"cmd": "sync", "batch": 1000})).await?;
        let ra = a.recv().await?;
        let rb = b.recv().await?;
        let moved =
            |r: &Value| r["report"]["pushed"].as_u64().unwrap_or(0) + r["report"]["pulled"].as_u64().unwrap_or(0);
        if moved(&ra) + moved(&rb) == 0 || rounds >= 10 {
            break;
        }
        converged_at = started.elapsed();
    }
    let total = started.elapsed();
    let sa = a.call(json!({"cmd": "state", "ids": ids})).await?["state"].clone();
    let sb = b.call(json!({"cmd": "state", "ids": ids})).await?["state"].clone();
    let mut db = server.db().await?;
    let mut server_agrees = 0;
    let mut survived = 0;
    let mut status_values: BTreeMap<String, u64> = BTreeMap::new();
    for (index, id) in ids.iter().enumerate() {
        let row = sqlx::query("SELECT fields FROM records WHERE entity = 'reservation' AND id = $1")
            .bind(id)
            .fetch_one(&mut db)
            .await
            .map_err(|e| e.to_string())?;
        let fields: Value = serde_json::from_str(&row.try_get::<String, _>(0).map_err(|e| e.to_string())?)
            .map_err(|e| e.to_string())?;
        if fields == sa[id]["reservation"] {
            server_agrees += 1;
        }
        let email_ok = sa[id]["guest"]["email"] == json!(format!("a.{index}@changed.example.com"));
        let room_ok = sa[id]["reservation"]["room_id"] == b_state[id]["reservation"]["room_id"];
        if email_ok && room_ok {
            survived += 1;
        }
        if index < 200 {
            *status_values.entry(fields["status"].as_str().unwrap_or("?").to_owned()).or_default() += 1;
        }
    }
    // Only the conflicts this workload's sync raised (the import raised the others).
    let conflicts: Vec<_> =
        open_conflicts(&server).await?.into_iter().filter(|c| !conflicts_before.contains(c)).collect();
    let first200: HashSet<&String> = ids.iter().take(200).collect();
    let on_first200 = conflicts.iter().filter(|(_, record, _)| first200.contains(record)).count();
    let mut by_kind: BTreeMap<String, u64> = BTreeMap::new();
    for (kind, _, _) in &conflicts {
        *by_kind.entry(kind.clone()).or_default() += 1;
    }
    let counts_a = a.call(json!({"cmd": "count"})).await?;
    let result = json!({
        "workload": "W3", "records": lines.len(), "server_import": import.trim(),
        "a_edits": edits_a, "b_edits": {"edits": edits_b["edits"], "status_changes": edits_b["status_changes"],
                                         "refused_sample": edits_b["refused_sample"]},
        "sync_ms": r3(total.as_secs_f64() * 1e3), "rounds": rounds,
        "last_moving_round_done_ms": r3(converged_at.as_secs_f64() * 1e3),
        "both_edits_survived": survived, "replicas_agree": sa == sb && server_agrees == ids.len(),
        "a_equals_b": sa == sb, "server_equals_a": server_agrees,
        "status_of_first_200_on_server": status_values,
        "open_conflicts_from_import": conflicts_before.len(), "new_open_conflicts": conflicts.len(),
        "conflicts_by_kind": by_kind, "conflicts_on_first_200": on_first200,
        "conflict_sample": conflicts.iter().filter(|(_, record, _)| first200.contains(record)).take(2)
            .map(|(_, _, body)| body.chars().take(1500).collect::<String>()).collect::<Vec<_>>(),
        "device_a_open_conflicts": counts_a["open_conflicts"],
        "target": "1,000 keep both edits; exactly 200 conflicts; converged <= 300 ms",
    });
    a.quit().await;
    b.quit().await;
    server.stop().await;
    Ok(result)
}

async fn open_conflicts(server: &Server) -> Result<Vec<(String, String, String)>, String> {
    let mut db = server.db().await?;
    let rows = sqlx::query("SELECT kind, record_id, body FROM conflicts WHERE status = 'open'")
        .fetch_all(&mut db)
        .await
        .map_err(|e| e.to_string())?;
    rows.iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>(0).map_err(|e| e.to_string())?,
                r.try_get::<String, _>(1).map_err(|e| e.to_string())?,
                r.try_get::<String, _>(2).map_err(|e| e.to_string())?,
            ))
        })
        .collect()
}

/// W4: propagation latency between two live devices.
pub async fn w4(ctx: &mut Context) -> Result<Value, String> {
    let file = ctx.confirmed_copy("w4.jsonl.gz")?;
    let lines = data::read(&file)?;
    let server = ctx.server().await?;
    server.import(&file).await?;
    let ids: Vec<String> = lines.iter().map(|l| data::server_id(server.property, &l.id).to_string()).collect();
    let mut a = Device::start(&server, "W4 desk A", true).await?;
    let mut b = Device::start(&server, "W4 desk B", true).await?;
    // The live workers pull on sign-in; wait until both hold the 200.
    for device in [&mut a, &mut b] {
        let last = ids.last().cloned().unwrap_or_default();
        let rate = lines.last().map(|l| l.rate_code.clone()).unwrap_or_default();
        let seen = device.call(json!({"cmd": "wait_rate", "ids": [last], "value": rate, "timeout_ms": 60_000})).await?;
        if seen["seen"] != json!(true) {
            return Err("W4: the devices did not pull the 200 stays within 60 s".into());
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut latencies = Vec::new();
    let mut not_seen = 0;
    for (i, id) in ids.iter().enumerate().take(200) {
        let value = format!("W4-{i}");
        b.send(&json!({"cmd": "wait_rate", "ids": [id], "value": value, "timeout_ms": 10_000})).await?;
        let started = Instant::now();
        a.call(json!({"cmd": "edit_rate", "ids": [id], "value": value, "sync_now": true})).await?;
        let seen = b.recv().await?;
        if seen["seen"] == json!(true) {
            latencies.push(started.elapsed().as_secs_f64() * 1e3);
        } else {
            not_seen += 1;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut l = latencies.clone();
    let result = json!({
        "workload": "W4", "updates": ids.len().min(200),
        "p50_ms": r3(percentile_ms(&mut l, 50.0)), "p95_ms": r3(percentile_ms(&mut l, 95.0)),
        "p99_ms": r3(percentile_ms(&mut l, 99.0)), "max_ms": r3(l.last().copied().unwrap_or(0.0)),
        "not_seen_in_10s": not_seen, "server_memory": server.memory(),
        "target": "p99 <= 15 ms",
    });
    a.quit().await;
    b.quit().await;
    server.stop().await;
    Ok(result)
}

/// Server push throughput: `devices` devices over `properties` properties, each
/// with `per_device` reservations queued, all pushing at once.
pub async fn push_load(ctx: &mut Context, devices: usize, per_device: usize) -> Result<Value, String> {
    let server = ctx.server().await?;
    let properties = 5;
    for p in 1..properties {
        server
            .admin(&[
                "create-property",
                "--code",
                &format!("P{p}"),
                "--name",
                "Load",
                "--timezone",
                "UTC",
                "--currency",
                "USD",
            ])
            .await?;
        server
            .admin(&[
                "create-user",
                "--property",
                &format!("P{p}"),
                "--username",
                crate::harness::USER,
                "--display-name",
                "Load",
                "--role",
                "manager",
                "--password",
                crate::harness::PASSWORD,
            ])
            .await?;
    }
    let file = ctx.file("w1.jsonl.gz");
    let all = data::text(&file)?;
    let lines = data::read(&file)?;
    let setup_file = rooms_setup(ctx, &lines)?;
    server.import(&setup_file).await?;
    for p in 1..properties {
        server
            .admin(&["import-reservations", "--property", &format!("P{p}"), "--file", &setup_file.to_string_lossy()])
            .await?;
    }
    // Each device writes its own slice of w1 offline through the desk's operation.
    let mut procs = Vec::new();
    for d in 0..devices {
        let property = if d % properties == 0 { "BENCH".to_owned() } else { format!("P{}", d % properties) };
        let code = server.admin(&["enrollment-code", "--property", &property]).await?.trim().to_owned();
        let slice: Vec<Value> = all
            .lines()
            .skip(d * per_device)
            .take(per_device)
            .map(|l| serde_json::from_str(l).unwrap_or_default())
            .collect();
        let path = ctx.work.path().join(format!("load-{d}.jsonl.gz"));
        data::write_gz(&path, &slice)?;
        let mut device = Device::start_with_code(&server, &format!("load {d}"), &code, false).await?;
        device.call(json!({"cmd": "pull"})).await?;
        device.call(json!({"cmd": "write", "file": path})).await?;
        procs.push(device);
    }
    let started = Instant::now();
    for device in &mut procs {
        device.send(&json!({"cmd": "push", "batch": 100})).await?;
    }
    let mut request_ms = Vec::new();
    let mut actions = 0;
    let mut errors = 0;
    for device in &mut procs {
        match device.recv().await {
            Ok(push) => {
                actions += push["report"]["pushed"].as_u64().unwrap_or(0);
                errors += push["report"]["rejected"].as_u64().unwrap_or(0);
                request_ms.extend(push["request_ms"].as_array().into_iter().flatten().filter_map(Value::as_f64));
            }
            Err(_) => errors += 1,
        }
    }
    let wall = started.elapsed().as_secs_f64();
    let result = json!({
        "workload": "push_load", "devices": devices, "properties": properties, "actions": actions,
        "wall_ms": r3(wall * 1e3), "actions_per_s": (actions as f64 / wall).round(),
        "request_p50_ms": r3(percentile_ms(&mut request_ms.clone(), 50.0)),
        "request_p99_ms": r3(percentile_ms(&mut request_ms, 99.0)), "errors": errors,
        "server_memory": server.memory(),
    });
    for device in procs {
        device.quit().await;
    }
    server.stop().await;
    Ok(result)
}

/// The directory of the benchmark data.
pub fn default_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/bench/data")
}
