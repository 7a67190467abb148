//! A randomized simulation of Frontdesk's sync: from one seed, three devices (front
//! desk, manager, housekeeping), each a real [`Desk`](frontdesk_device::desk::Desk)
//! over its own SQLite file, and the real sync server over its own SQLite file, go
//! through random operations of the whole domain with faults in between: devices
//! offline for a while, rounds cut in the middle, answers lost after the server
//! committed, requests delivered twice or late, devices and the server killed and
//! restarted, device clocks skewed by up to two hours. Then everything reconnects,
//! syncs until nothing moves, and [`check`] verifies what sync promises.
//!
//! It owns no production code: it drives the device crate's operations and sync
//! round, and reads the server's database directly to check it.
//!
//! The design choice that is not obvious: faults are injected from the outside,
//! at the same seams a real failure would hit. A dropped or cut round is a push of
//! part of the outbox whose answer is recorded (or not) with the device's own
//! `apply_outcomes`; a lost answer is a push through the device's HTTP client whose
//! answer is thrown away; a duplicate is an earlier push body sent again; a killed
//! device is a `Desk` dropped and opened again on the same file; a killed server is
//! a runtime dropped with every task in it, then started on the same file and port.
//! Nothing in the device or server crates knows it is being tested.

pub mod check;
pub mod hotel;
pub mod rng;
pub mod server;
pub mod steps;

use std::fmt;
use std::time::Instant;

pub use check::Problem;
pub use hotel::Hotel;
pub use rng::Dice;

/// The environment variable that replays one seed.
pub const SEED_VAR: &str = "FRONTDESK_SIM_SEED";
/// The environment variable that sets how many seeds run (a soak).
pub const SEEDS_VAR: &str = "FRONTDESK_SIM_SEEDS";
/// The environment variable that sets the steps of each seed.
pub const STEPS_VAR: &str = "FRONTDESK_SIM_STEPS";

/// What one seed did.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub seed: u64,
    pub steps: usize,
    /// Operations the devices saved (each one or more mutations).
    pub saved_ops: usize,
    /// Operations a device refused by its own validation (expected; nothing saved).
    pub refused_ops: usize,
    pub mutations: usize,
    pub conflicts: usize,
    /// Faults injected, by kind.
    pub faults: steps::FaultCounts,
    /// Undone check-ins and reinstated check-outs, saved and refused.
    pub reversals: steps::ReversalCounts,
    /// Rounds it took to reach quiescence after everything reconnected.
    pub quiescence_rounds: usize,
    pub millis: u128,
}

/// A seed whose run broke a guarantee (or could not run).
#[derive(Debug, Clone)]
pub struct Failure {
    pub seed: u64,
    pub steps: usize,
    pub problems: Vec<Problem>,
    /// The last steps, to read what led there.
    pub log: Vec<String>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "seed {} ({} steps) broke {} check(s):", self.seed, self.steps, self.problems.len())?;
        for problem in self.problems.iter().take(20) {
            writeln!(f, "  - {problem}")?;
        }
        if self.problems.len() > 20 {
            writeln!(f, "  ... and {} more", self.problems.len() - 20)?;
        }
        // FRONTDESK_SIM_LOG=all prints every step instead of the last 60.
        let all = std::env::var("FRONTDESK_SIM_LOG").is_ok_and(|v| v == "all");
        let shown = if all { self.log.len() } else { 60 };
        writeln!(f, "{} steps:", if all { "all" } else { "last" })?;
        for line in self.log.iter().rev().take(shown).rev() {
            writeln!(f, "  {line}")?;
        }
        writeln!(f, "replay with:")?;
        write!(
            f,
            "  {SEED_VAR}={} {STEPS_VAR}={} cargo test -p frontdesk-sim --test simulation -- --nocapture",
            self.seed, self.steps
        )
    }
}

/// What a run does besides its seed.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub steps: usize,
    /// Damage the server's data after quiescence, to prove the checker sees it.
    pub tamper: Option<check::Tamper>,
    /// Whether desks undo check-ins and reinstate check-outs. Without them a seed
    /// makes the very choices it made before the generator had them, which keeps the
    /// reproductions of older bugs exact.
    pub reversals: bool,
}

impl Options {
    /// The main run with `steps` steps.
    pub fn steps(steps: usize) -> Self {
        Options { steps, tamper: None, reversals: true }
    }

    /// A run of `steps` steps with the generator as it was before the reversals.
    pub fn without_reversals(steps: usize) -> Self {
        Options { reversals: false, ..Options::steps(steps) }
    }
}

/// Runs one seed end to end: setup, random steps with faults, reconnection,
/// quiescence, checks.
pub async fn run_seed(seed: u64, options: Options) -> Result<Report, Box<Failure>> {
    let steps = options.steps;
    let started = Instant::now();
    let fail = |problems: Vec<Problem>, log: Vec<String>| Box::new(Failure { seed, steps, problems, log });
    let mut hotel = match Hotel::open(seed).await {
        Ok(hotel) => hotel,
        Err(err) => return Err(fail(vec![Problem::new("setup", err)], Vec::new())),
    };
    let mut world = steps::World::new(seed, &hotel, options.reversals).await;
    for step in 0..steps {
        if let Err(err) = world.step(&mut hotel, step).await {
            let log = world.log.clone();
            hotel.shutdown().await;
            return Err(fail(vec![Problem::new("run", err)], log));
        }
    }
    let rounds = match world.reconnect_and_settle(&mut hotel).await {
        Ok(rounds) => rounds,
        Err(problems) => {
            let log = world.log.clone();
            hotel.shutdown().await;
            return Err(fail(problems, log));
        }
    };
    if let Some(tamper) = options.tamper
        && let Err(err) = check::tamper(&hotel, tamper).await
    {
        hotel.shutdown().await;
        return Err(fail(vec![Problem::new("tamper", err)], Vec::new()));
    }
    let problems = check::check(&hotel, &world).await;
    let conflicts = check::conflict_count(&hotel).await;
    hotel.shutdown().await;
    if !problems.is_empty() {
        return Err(fail(problems, world.log.clone()));
    }
    Ok(Report {
        seed,
        steps,
        saved_ops: world.saved_ops,
        refused_ops: world.refused_ops,
        mutations: world.saved.len(),
        conflicts,
        faults: world.faults.clone(),
        reversals: world.reversals.clone(),
        quiescence_rounds: rounds,
        millis: started.elapsed().as_millis(),
    })
}
