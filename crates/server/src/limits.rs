//! The per-device rate limit: a token bucket per enrolled device (`governor`'s
//! GCRA), checked when a request's credential names the device, so one runaway
//! device cannot starve the property's others. Refusals are 429
//! `{code: "rate_limited"}` with `Retry-After`.

use std::num::NonZeroU32;
use std::sync::Arc;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use uuid::Uuid;

use crate::error::AppError;
use crate::metrics::Metrics;

/// Requests per second and burst of one device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_second: u32,
    pub burst: u32,
}

/// The rate limiter of a server process.
#[derive(Clone)]
pub struct DeviceLimiter(Arc<DefaultKeyedRateLimiter<Uuid>>);

impl std::fmt::Debug for DeviceLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceLimiter").field("devices", &self.0.len()).finish()
    }
}

impl DeviceLimiter {
    pub fn new(limit: RateLimit) -> Self {
        let per_second = NonZeroU32::new(limit.per_second).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(limit.burst).unwrap_or(per_second);
        DeviceLimiter(Arc::new(DefaultKeyedRateLimiter::keyed(Quota::per_second(per_second).allow_burst(burst))))
    }

    /// Takes one request from `device`'s bucket, or says when to come back.
    pub fn check(&self, device: Uuid, metrics: &Metrics) -> Result<(), AppError> {
        match self.0.check_key(&device) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                metrics.rate_limited.inc();
                let wait = not_until.wait_time_from(DefaultClock::default().now());
                let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
                let mut err = AppError::new(
                    axum::http::StatusCode::TOO_MANY_REQUESTS,
                    "rate_limited",
                    format!("this device sends too many requests: wait {seconds} s and retry"),
                );
                err.retry_after = Some(seconds.max(1));
                Err(err)
            }
        }
    }
}
