//! The randomized simulation over many seeds (see the crate doc and README).
//!
//! `cargo test -p frontdesk-sim --test simulation` runs the default seeds;
//! `FRONTDESK_SIM_SEED=n` replays one seed, `FRONTDESK_SIM_SEEDS=n` runs n seeds
//! (a soak), `FRONTDESK_SIM_STEPS=n` sets the steps of each, and
//! `FRONTDESK_SIM_BASE=n` moves the first seed.

use std::time::Instant;

use frontdesk_sim::check::Tamper;
use frontdesk_sim::steps::FaultCounts;
use frontdesk_sim::{Failure, Options, Report, SEED_VAR, SEEDS_VAR, STEPS_VAR, Tolerate, run_seed};

/// Seeds of the normal test run.
const DEFAULT_SEEDS: u64 = 200;
/// Steps of each seed in the normal test run.
const DEFAULT_STEPS: usize = 30;
/// Seeds run at once, each on its own thread and runtime.
const PARALLEL: usize = 4;

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

/// Runs one seed on a thread of its own with its own runtime.
fn spawn_seed(seed: u64, options: Options) -> std::thread::JoinHandle<Result<Report, Box<Failure>>> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(run_seed(seed, options))
    })
}

/// Runs the seeds the environment asks for (or `default_seeds` from 1), prints a
/// summary and every failure with its replay command, and returns the failed seeds.
fn run_seeds(default_seeds: u64, mix: impl Fn(usize) -> Options) -> Vec<u64> {
    let steps = env_number(STEPS_VAR).map_or(DEFAULT_STEPS, |n| usize::try_from(n).unwrap_or(DEFAULT_STEPS));
    let options = mix(steps);
    let seeds: Vec<u64> = match env_number(SEED_VAR) {
        Some(seed) => vec![seed],
        None => {
            let count = env_number(SEEDS_VAR).unwrap_or(default_seeds);
            let base = env_number("FRONTDESK_SIM_BASE").unwrap_or(1);
            (base..base + count).collect()
        }
    };
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut faults = FaultCounts::default();
    let (mut mutations, mut conflicts, mut refused, mut rounds, mut ran) = (0, 0, 0, 0, 0);
    let mut known = [0; 7];
    for chunk in seeds.chunks(PARALLEL) {
        let runs: Vec<_> = chunk.iter().map(|seed| (*seed, spawn_seed(*seed, options))).collect();
        for (seed, run) in runs {
            ran += 1;
            match run.join() {
                Ok(Ok(report)) => {
                    faults.add(&report.faults);
                    mutations += report.mutations;
                    conflicts += report.conflicts;
                    refused += report.refused_ops;
                    rounds = rounds.max(report.quiescence_rounds);
                    if report.known_bugs.iter().any(|hits| *hits > 0) {
                        eprintln!("seed {seed}: tolerated hits of known bugs 1-6: {:?}", &report.known_bugs[1..]);
                    }
                    for (total, hits) in known.iter_mut().zip(report.known_bugs) {
                        *total += hits;
                    }
                }
                Ok(Err(failure)) => {
                    eprintln!("{failure}\n");
                    failures.push(failure.seed);
                }
                Err(_) => {
                    eprintln!("seed {seed} panicked; replay with {SEED_VAR}={seed} {STEPS_VAR}={steps}");
                    failures.push(seed);
                }
            }
        }
        // A broken build fails every seed: stop early instead of printing hundreds.
        if failures.len() >= 5 {
            break;
        }
    }
    eprintln!(
        "simulation: {ran} seeds x {steps} steps in {:.1} s; {mutations} mutations saved, {refused} operations \
         refused by device validation, {conflicts} conflicts, at most {rounds} rounds to quiescence; tolerated hits of \
         known bugs 1-6: {:?}; faults: {faults:?}",
        started.elapsed().as_secs_f64(),
        &known[1..]
    );
    failures
}

#[test]
fn random_runs_keep_every_promise_of_sync() {
    let failures = run_seeds(DEFAULT_SEEDS, Options::steps);
    assert!(failures.is_empty(), "seeds that broke a guarantee (replay commands above): {failures:?}");
}

/// The checker is not vacuous: data damaged behind sync's back after quiescence
/// (a record gone from the server, a record changed without a log entry) is caught.
#[test]
fn the_checker_notices_damaged_data() {
    for (seed, tamper, expected) in
        [(11, Tamper::DropLastRecord, ["replica", "lost"]), (12, Tamper::RewriteRecord, ["replica", "history"])]
    {
        let options = Options { tamper: Some(tamper), ..Options::steps(30) };
        let failure = spawn_seed(seed, options)
            .join()
            .expect("the seed runs")
            .expect_err("a damaged server must fail the checks");
        for check in expected {
            assert!(
                failure.problems.iter().any(|p| p.check == check),
                "{tamper:?} must break the {check} check; it broke: {:?}",
                failure.problems
            );
        }
    }
}

/// Bug 1 of the README: the device lets the front desk create and move housekeeping
/// tasks and maintenance reports; the server refuses them as not the front desk's
/// to change. The desk's saved work ends "failed" in its outbox and its replica
/// keeps records the server never had. Smallest reproduction: seed 1000, 22 steps
/// (step 21: the desk creates a task; its push is rejected with `permission`).
#[test]
#[ignore = "bug 1 (README): device and server disagree on what the front desk may change"]
fn bug1_front_desk_room_work_reaches_the_server() {
    let tolerate = Tolerate { front_desk_room_work: false, ..Tolerate::ALL };
    let failures = run_seeds(40, |steps| Options { tolerate, ..Options::steps(steps) });
    assert!(failures.is_empty(), "seeds that broke a guarantee (replay commands above): {failures:?}");
}

/// Bug 2 of the README: two desks correct one posting while offline. Each device's
/// check passes; the server applies the first correction and rejects the second
/// ("takes back at most what is left") instead of raising a conflict: the second
/// desk's correction ends "failed" and its replica keeps a posting, and a folio
/// balance, the server never had. Smallest reproduction: seed 1036, 16 steps (steps
/// 13 and 14 correct one payment on the desk and, offline, on the office).
#[test]
#[ignore = "bug 2 (README): a concurrent second correction is rejected, not a conflict"]
fn bug2_concurrent_corrections_of_one_posting_are_kept() {
    let tolerate = Tolerate { concurrent_corrections: false, ..Tolerate::ALL };
    let failures = run_seeds(60, |steps| Options { tolerate, ..Options::steps(steps) });
    assert!(failures.is_empty(), "seeds that broke a guarantee (replay commands above): {failures:?}");
}

/// Bug 3 of the README: the office, offline, checks a stay out (step 14 of seed
/// 1121, 25 steps); the desk, not having seen it, posts a charge on it (step 16).
/// The charge reaches the server after the check-out and lands on the closed
/// folio: the checked-out stay owes 143.03 EUR and no conflict says so.
#[test]
#[ignore = "bug 3 (README): a posting after check-out lands on the closed folio silently"]
fn bug3_postings_after_check_out_raise_a_conflict() {
    let tolerate = Tolerate { posting_after_check_out: false, ..Tolerate::ALL };
    let failures = run_seeds(60, |steps| Options { tolerate, ..Options::steps(steps) });
    assert!(failures.is_empty(), "seeds that broke a guarantee (replay commands above): {failures:?}");
}

/// Bug 4 of the README: two desks assign different rooms to one stay offline (step
/// 29 of seed 1180, 30 steps). The first lands; the second is answered with a
/// dependency conflict "waiting for room_id → room <the first desk's room>", a room
/// that exists, and is held in its outbox forever: the clash never becomes the
/// manual conflict the room-assignment policy asks for, and sync never settles.
#[test]
#[ignore = "bug 4 (README): a clashing room assignment is held forever for a room that exists"]
fn bug4_clashing_room_assignments_become_conflicts() {
    let tolerate = Tolerate { held_for_existing_parent: false, ..Tolerate::ALL };
    let failures = run_seeds(60, |steps| Options { tolerate, ..Options::steps(steps) });
    assert!(failures.is_empty(), "seeds that broke a guarantee (replay commands above): {failures:?}");
}

/// Bug 5 of the README: the office checks a stay in (step 23 of seed 1111, 29
/// steps); the desk, not having seen it, assigns the stay another room (step 28),
/// which the device allows for a confirmed stay. The server applies it as a plain
/// field change: the in-house guest moves to a vacant room with no room move, room
/// 301 is "vacant" with a guest in it, and no conflict says so.
#[test]
#[ignore = "bug 5 (README): an offline room assignment silently moves an in-house stay"]
fn bug5_room_changes_of_in_house_stays_raise_a_conflict() {
    let tolerate = Tolerate { in_house_stay_moved: false, ..Tolerate::ALL };
    let failures = run_seeds(60, |steps| Options { tolerate, ..Options::steps(steps) });
    assert!(failures.is_empty(), "seeds that broke a guarantee (replay commands above): {failures:?}");
}

/// Bug 6 of the README: the office books room 302 for the 26th (step 21 of seed
/// 1918, 28 steps); housekeeping, not having seen the stay, takes room 302 out of
/// service (step 27), which its device allows. The server applies the block
/// without looking at the room's stays: a live stay sits in a blocked room and no
/// conflict says so (the check runs only when a reservation is written).
#[test]
#[ignore = "bug 6 (README): a room blocked offline under a stay raises no conflict"]
fn bug6_rooms_blocked_under_a_stay_raise_a_conflict() {
    let tolerate = Tolerate { room_blocked_under_stay: false, ..Tolerate::ALL };
    let failures = run_seeds(60, |steps| Options { tolerate, ..Options::steps(steps) });
    assert!(failures.is_empty(), "seeds that broke a guarantee (replay commands above): {failures:?}");
}
