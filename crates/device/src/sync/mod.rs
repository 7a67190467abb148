//! Sync with the property's server: the HTTP client, one push-then-pull round,
//! and the worker that runs rounds on a schedule, on demand and on the server's
//! live notices, with retries, staleness checks and alerts.

pub mod client;
pub mod health;
pub mod metered;
pub mod round;
pub mod settings;
pub mod staleness;
pub mod worker;

pub use client::{RemoteError, SIGN_IN_LOCKED, ServerClient};
pub use health::{Alert, AlertLevel, Backoff, FailureStreak};
pub use metered::{Metered, MeteredProbe};
pub use round::{Phase, Progress, RoundError, RoundReport, sync_round};
pub use settings::{AutoResolve, StaleAction, StalePolicy, SyncSettings};
pub use staleness::{Freshness, KindFreshness, StaleVerdict, check_operation};
pub use worker::{SyncCommands, SyncEvent, SyncHandle, SyncMetrics, SyncState, SyncStatus, WallClock};
