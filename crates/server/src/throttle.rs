//! Guessing is slowed where a secret is typed or tried: sign-in locks an account (and
//! a device) after a few wrong passwords, and enrollment attempts are throttled per
//! source address and for the whole server.
//!
//! Both live in the memory of one server process: a restart forgets them, and with
//! several processes behind a load balancer each counts its own share (an attacker
//! gets a few more guesses per process, not unlimited ones). A table would make them
//! exact across processes at the price of a database write per wrong password, which
//! is what an attacker would then be able to cause at will.
//!
//! A lock refuses even the right password until it ends: otherwise a guesser learns
//! the password by the one answer that differs. Sign-in is only reached with an
//! enrolled device's credential, so the accounts tallied are bounded by the devices'
//! own lock.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex, PoisonError};

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota};
use uuid::Uuid;

use crate::error::AppError;
use crate::metrics::Metrics;

/// When wrong passwords lock an account or a device, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInLimits {
    /// Wrong passwords for one account, within `window`, that lock it.
    pub account_failures: u32,
    /// Wrong passwords on one device (any accounts), within `window`, that lock it.
    pub device_failures: u32,
    /// How far back wrong passwords are counted.
    pub window: chrono::Duration,
    /// How long a lock lasts.
    pub lockout: chrono::Duration,
}

impl Default for SignInLimits {
    fn default() -> Self {
        // Five typos in a row are a person at a desk; twenty on one device, across
        // accounts, are someone trying the staff list.
        SignInLimits {
            account_failures: 5,
            device_failures: 20,
            window: chrono::Duration::minutes(15),
            lockout: chrono::Duration::minutes(15),
        }
    }
}

/// Wrong passwords of one account or device.
#[derive(Debug, Clone, Copy)]
struct Tally {
    failures: u32,
    since: DateTime<Utc>,
    locked_until: Option<DateTime<Utc>>,
}

impl Tally {
    fn new(now: DateTime<Utc>) -> Self {
        Tally { failures: 0, since: now, locked_until: None }
    }

    fn locked(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    /// Counts a wrong password; locks when it makes `max` within the window.
    fn fail(&mut self, now: DateTime<Utc>, limits: &SignInLimits, max: u32) {
        if now - self.since > limits.window {
            *self = Tally::new(now);
        }
        self.failures += 1;
        if self.failures >= max {
            self.locked_until = Some(now + limits.lockout);
            self.failures = 0;
            self.since = now;
        }
    }

    /// Nothing to remember: no lock running, no failure within the window.
    fn stale(&self, now: DateTime<Utc>, window: chrono::Duration) -> bool {
        self.locked(now).is_none() && now - self.since > window
    }
}

/// Past this many tallies a map is swept of the stale ones.
const SWEEP_AT: usize = 10_000;

/// The sign-in locks of a server process.
#[derive(Debug)]
pub struct SignInGuard {
    limits: SignInLimits,
    /// By property and username (trimmed, lower case, as typed: unknown usernames are
    /// counted alike, so a lock does not tell which exist).
    accounts: Mutex<HashMap<(Uuid, String), Tally>>,
    devices: Mutex<HashMap<Uuid, Tally>>,
}

/// The account a sign-in names.
fn account_key(property: Uuid, username: &str) -> (Uuid, String) {
    (property, username.trim().chars().take(64).collect::<String>().to_lowercase())
}

impl SignInGuard {
    pub fn new(limits: SignInLimits) -> Self {
        SignInGuard { limits, accounts: Mutex::default(), devices: Mutex::default() }
    }

    /// Refuses a sign-in while its device or its account is locked, whatever the
    /// password.
    pub fn check(
        &self,
        device: Uuid,
        property: Uuid,
        username: &str,
        now: DateTime<Utc>,
        metrics: &Metrics,
    ) -> Result<(), AppError> {
        let device_lock =
            self.devices.lock().unwrap_or_else(PoisonError::into_inner).get(&device).and_then(|t| t.locked(now));
        if let Some(until) = device_lock {
            metrics.sign_in_locked.get_or_create(&[("scope", "device")]).inc();
            return Err(locked("on this device", until, now));
        }
        let key = account_key(property, username);
        let account_lock =
            self.accounts.lock().unwrap_or_else(PoisonError::into_inner).get(&key).and_then(|t| t.locked(now));
        if let Some(until) = account_lock {
            metrics.sign_in_locked.get_or_create(&[("scope", "account")]).inc();
            return Err(locked("for this account", until, now));
        }
        Ok(())
    }

    /// Counts a wrong password against the account and the device.
    pub fn failed(&self, device: Uuid, property: Uuid, username: &str, now: DateTime<Utc>) {
        let limits = self.limits;
        {
            let mut accounts = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
            if accounts.len() >= SWEEP_AT {
                accounts.retain(|_, tally| !tally.stale(now, limits.window));
            }
            let tally = accounts.entry(account_key(property, username)).or_insert_with(|| Tally::new(now));
            tally.fail(now, &limits, limits.account_failures);
        }
        let mut devices = self.devices.lock().unwrap_or_else(PoisonError::into_inner);
        if devices.len() >= SWEEP_AT {
            devices.retain(|_, tally| !tally.stale(now, limits.window));
        }
        devices.entry(device).or_insert_with(|| Tally::new(now)).fail(now, &limits, limits.device_failures);
    }

    /// A right password: that account's wrong ones are forgiven (no other account's,
    /// and not the device's, or a guesser would interleave a known password).
    pub fn succeeded(&self, property: Uuid, username: &str) {
        self.accounts.lock().unwrap_or_else(PoisonError::into_inner).remove(&account_key(property, username));
    }
}

/// 429 `sign_in_locked`, in words a receptionist reads, with when to try again.
fn locked(what: &str, until: DateTime<Utc>, now: DateTime<Utc>) -> AppError {
    let seconds = u64::try_from((until - now).num_seconds()).unwrap_or(0).max(1);
    let minutes = seconds.div_ceil(60);
    let when = if minutes == 1 { "1 minute".to_owned() } else { format!("{minutes} minutes") };
    let mut err = AppError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "sign_in_locked",
        format!("Too many wrong passwords {what}: try again in {when}"),
    );
    err.retry_after = Some(seconds);
    err
}

/// Enrollment attempts allowed, per minute and in a burst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrollLimits {
    /// From one source address.
    pub per_address_per_minute: u32,
    /// From everywhere together.
    pub global_per_minute: u32,
}

impl Default for EnrollLimits {
    fn default() -> Self {
        // A rollout enrolls a few desks a minute, often from one address behind the
        // hotel's NAT; a code is 60 random bits, so the limit is about load (each
        // attempt is a write transaction), not about guessing.
        EnrollLimits { per_address_per_minute: 30, global_per_minute: 120 }
    }
}

/// The enrollment throttle of a server process.
#[derive(Clone)]
pub struct EnrollThrottle {
    per_address: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    global: Arc<DefaultDirectRateLimiter>,
}

impl std::fmt::Debug for EnrollThrottle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrollThrottle").field("addresses", &self.per_address.len()).finish()
    }
}

fn per_minute(n: u32) -> Quota {
    let n = NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN);
    Quota::per_minute(n).allow_burst(n)
}

impl EnrollThrottle {
    pub fn new(limits: EnrollLimits) -> Self {
        EnrollThrottle {
            per_address: Arc::new(DefaultKeyedRateLimiter::keyed(per_minute(limits.per_address_per_minute))),
            global: Arc::new(DefaultDirectRateLimiter::direct(per_minute(limits.global_per_minute))),
        }
    }

    /// Takes one enrollment attempt from `address`, or refuses it with 429
    /// `enroll_throttled`. The address is the connection's peer: behind a reverse
    /// proxy that is the proxy, so the global limit is what holds there.
    pub fn check(&self, address: IpAddr, metrics: &Metrics) -> Result<(), AppError> {
        if self.per_address.len() >= SWEEP_AT {
            self.per_address.retain_recent();
        }
        let scope = if self.per_address.check_key(&address).is_err() {
            "address"
        } else if self.global.check().is_err() {
            "global"
        } else {
            return Ok(());
        };
        metrics.enroll_throttled.get_or_create(&[("scope", scope)]).inc();
        let mut err = AppError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "enroll_throttled",
            "too many enrollment attempts: wait a minute and enroll again",
        );
        err.retry_after = Some(60);
        Err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrong_passwords_lock_the_account_then_the_lock_ends() {
        let limits = SignInLimits { account_failures: 3, device_failures: 100, ..SignInLimits::default() };
        let guard = SignInGuard::new(limits);
        let metrics = Metrics::default();
        let (device, property) = (Uuid::now_v7(), Uuid::now_v7());
        let now = Utc::now();
        for _ in 0..3 {
            guard.check(device, property, "ana", now, &metrics).expect("not locked before the third wrong password");
            guard.failed(device, property, "ana", now);
        }
        let err = guard.check(device, property, " ANA ", now, &metrics).expect_err("locked, whatever the case");
        assert_eq!(err.code, "sign_in_locked");
        assert!(err.message.contains("try again in 15 minutes"), "{}", err.message);
        guard.check(device, property, "rui", now, &metrics).expect("another account is not locked");
        let later = now + limits.lockout + chrono::Duration::seconds(1);
        guard.check(device, property, "ana", later, &metrics).expect("the lock ends");
    }

    #[test]
    fn failures_outside_the_window_are_forgotten() {
        let limits = SignInLimits { account_failures: 2, ..SignInLimits::default() };
        let guard = SignInGuard::new(limits);
        let metrics = Metrics::default();
        let (device, property) = (Uuid::now_v7(), Uuid::now_v7());
        let now = Utc::now();
        guard.failed(device, property, "ana", now);
        let later = now + limits.window + chrono::Duration::seconds(1);
        guard.failed(device, property, "ana", later);
        guard.check(device, property, "ana", later, &metrics).expect("two wrong passwords a window apart lock nothing");
    }
}
