//! `GET /metrics`: the server's counters in the Prometheus (OpenMetrics) text
//! format, for scraping.
//!
//! Built on `prometheus-client`, the Prometheus project's own Rust client: metrics
//! are plain values held by the app state (no global registry, so every test server
//! counts alone), and label sets are typed. The counts are per process; a
//! deployment of several processes sums them in Prometheus.

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use sync_core::ConflictKind;
use sync_core::protocol::Outcome;

type Labels = [(&'static str, &'static str); 1];

/// The server's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    /// Push requests that committed.
    pub pushes: Counter,
    /// Mutations by result: applied, merged, conflict, rejected.
    pub mutations: Family<Labels, Counter>,
    /// Conflicts raised, by kind.
    pub conflicts: Family<Labels, Counter>,
    /// Seconds a pull took, from the request to the answer.
    pub pull_seconds: Histogram,
    /// Devices connected to the live stream now.
    pub live_devices: Gauge,
    /// Requests refused by the per-device rate limit.
    pub rate_limited: Counter,
    /// Live streams refused because their device held its cap of streams.
    pub live_refused: Counter,
    /// Sign-ins refused while locked, by what is locked: `account` or `device`.
    pub sign_in_locked: Family<Labels, Counter>,
    /// Enrollments refused by their throttle, by which: `address` or `global`.
    pub enroll_throttled: Family<Labels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("frontdesk");
        let pushes = Counter::default();
        let mutations = Family::<Labels, Counter>::default();
        let conflicts = Family::<Labels, Counter>::default();
        // 0.1 ms to ~1.6 s.
        let pull_seconds = Histogram::new(exponential_buckets(0.0001, 2.0, 15));
        let live_devices = Gauge::default();
        let rate_limited = Counter::default();
        let live_refused = Counter::default();
        let sign_in_locked = Family::<Labels, Counter>::default();
        let enroll_throttled = Family::<Labels, Counter>::default();
        registry.register("pushes", "Push requests committed", pushes.clone());
        registry.register("mutations", "Pushed mutations by result", mutations.clone());
        registry.register("conflicts", "Conflicts raised, by kind", conflicts.clone());
        registry.register("pull_duration_seconds", "Time to answer a pull", pull_seconds.clone());
        registry.register("live_devices", "Devices connected to the live stream", live_devices.clone());
        registry.register(
            "rate_limited_requests",
            "Requests refused by the per-device rate limit",
            rate_limited.clone(),
        );
        registry.register(
            "live_streams_refused",
            "Live streams refused because the device holds its cap of streams",
            live_refused.clone(),
        );
        registry.register(
            "sign_in_locked",
            "Sign-ins refused while the account or the device is locked after wrong passwords",
            sign_in_locked.clone(),
        );
        registry.register(
            "enroll_throttled",
            "Enrollments refused by the per-address or the global throttle",
            enroll_throttled.clone(),
        );
        Metrics {
            registry,
            pushes,
            mutations,
            conflicts,
            pull_seconds,
            live_devices,
            rate_limited,
            live_refused,
            sign_in_locked,
            enroll_throttled,
        }
    }
}

impl Metrics {
    /// Counts one mutation's outcome (its conflicts are counted where they are stored).
    pub fn count_outcome(&self, outcome: &Outcome) {
        let result = match outcome {
            Outcome::Applied { .. } => "applied",
            Outcome::Merged { .. } => "merged",
            Outcome::Conflict { .. } => "conflict",
            Outcome::Rejected { .. } => "rejected",
        };
        self.mutations.get_or_create(&[("result", result)]).inc();
    }

    /// Counts a conflict of `kind`.
    pub fn count_conflict(&self, kind: ConflictKind) {
        self.conflicts.get_or_create(&[("kind", kind.as_str())]).inc();
    }

    /// The metrics in the text exposition format.
    pub fn render(&self) -> String {
        let mut text = String::new();
        if let Err(err) = encode(&mut text, &self.registry) {
            tracing::error!(%err, "metrics could not be encoded");
        }
        text
    }
}

/// The content type of [`Metrics::render`].
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
