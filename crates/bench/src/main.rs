//! frontdesk-bench: the sync benchmark of `shared/bench/WORKLOADS.md`.
//!
//! It owns the harness and the workloads, nothing of the product: the server is
//! the real `frontdesk-server` binary (found next to this one in the target
//! directory) on a free loopback port over a fresh database per workload, and
//! every simulated device is its own OS process (this binary re-executed with the
//! hidden `device` subcommand) with its own SQLite store, driven over stdin/stdout
//! JSON lines. The choice that is not obvious: processes rather than tasks, so a
//! device's peak memory and CPU are its own, as on a real desk.

mod data;
mod device;
mod harness;
mod stats;
mod workloads;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

#[derive(Debug, Parser)]
#[command(name = "frontdesk-bench", about = "Runs the sync benchmark workloads W1-W5")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Server backends to run against.
    #[arg(long, value_enum, default_value = "sqlite")]
    backend: BackendChoice,
    /// Workloads to run (comma separated): w1,w2,w3,w4,w5,push.
    #[arg(long, default_value = "w1,w2,w3,w4,w5,push")]
    workloads: String,
    /// Directory of w1..w4.jsonl.gz.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Devices of the push-throughput run.
    #[arg(long, default_value_t = 50)]
    push_devices: usize,
    /// Reservations each of them pushes.
    #[arg(long, default_value_t = 100)]
    push_per_device: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum BackendChoice {
    Sqlite,
    Postgres,
    Both,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// One simulated device (started by the benchmark itself).
    #[command(hide = true)]
    Device {
        #[arg(long)]
        store: PathBuf,
        /// Run the sync worker with its live stream (otherwise sync only on command).
        #[arg(long)]
        live: bool,
    },
}

/// Prints one result line.
pub fn emit(value: &Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match cli.command {
        Some(Command::Device { ref store, live }) => runtime.block_on(device::run(store.clone(), live)),
        None => runtime.block_on(bench(&cli)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("frontdesk-bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn uptime() -> String {
    std::process::Command::new("uptime")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default()
}

async fn bench(cli: &Cli) -> Result<(), String> {
    let data = cli.data.clone().unwrap_or_else(workloads::default_data);
    let wanted: Vec<&str> = cli.workloads.split(',').map(str::trim).collect();
    let mut cluster = None;
    let mut backends = Vec::new();
    if matches!(cli.backend, BackendChoice::Sqlite | BackendChoice::Both) {
        backends.push(harness::Backend::Sqlite);
    }
    if matches!(cli.backend, BackendChoice::Postgres | BackendChoice::Both) {
        let url = match std::env::var("DATABASE_URL") {
            Ok(url) if url.starts_with("postgres") => url,
            _ => {
                let started = harness::Cluster::start()?;
                let url = started.url.clone();
                cluster = Some(started);
                url
            }
        };
        backends.push(harness::Backend::Postgres(url));
    }
    let started_at = chrono::Utc::now();
    let machine = json!({
        "cpus": std::thread::available_parallelism().map(usize::from).unwrap_or(0),
        "uptime_before": uptime(),
        "kernel": std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default().trim(),
        "cpu_model": std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default().lines()
            .find(|l| l.starts_with("model name")).and_then(|l| l.split(':').nth(1)).unwrap_or("").trim(),
    });
    let mut results = Vec::new();
    for backend in backends {
        let name = backend.name();
        let mut ctx = workloads::Context {
            data: data.clone(),
            backend,
            work: tempfile::tempdir().map_err(|e| e.to_string())?,
            keep: Vec::new(),
        };
        let record = |mut value: Value, results: &mut Vec<Value>| {
            value["backend"] = json!(name);
            value["load"] = json!(uptime());
            emit(&value);
            results.push(value);
        };
        let failed = |workload: &str, e: String| json!({"workload": workload, "error": e});
        if wanted.contains(&"w1") {
            let v = workloads::w1(&mut ctx).await.unwrap_or_else(|e| failed("W1", e));
            record(v, &mut results);
        }
        if wanted.contains(&"w2") || wanted.contains(&"w5") {
            match workloads::w2_w5(&mut ctx).await {
                Ok((w2, w5)) => {
                    let mut w2 = w2;
                    w2["backend"] = json!(name);
                    results.push(w2);
                    record(w5, &mut results);
                }
                Err(e) => record(failed("W2+W5", e), &mut results),
            }
        }
        if wanted.contains(&"w3") {
            let v = workloads::w3(&mut ctx).await.unwrap_or_else(|e| failed("W3", e));
            record(v, &mut results);
        }
        if wanted.contains(&"w4") {
            let v = workloads::w4(&mut ctx).await.unwrap_or_else(|e| failed("W4", e));
            record(v, &mut results);
        }
        if wanted.contains(&"push") {
            let v = workloads::push_load(&mut ctx, cli.push_devices, cli.push_per_device)
                .await
                .unwrap_or_else(|e| failed("push_load", e));
            record(v, &mut results);
        }
    }
    drop(cluster);
    let report = json!({"started_at": started_at.to_rfc3339(), "machine": machine, "results": results});
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../results/bench");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let path = dir.join(format!("results-{}.json", started_at.format("%Y%m%dT%H%M%SZ")));
    std::fs::write(&path, serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    eprintln!("results written to {}", path.display());
    Ok(())
}
