//! One sync round: push the whole outbox in batches, then pull until the server has
//! nothing more. The worker runs rounds; the command line and the tests can run
//! one directly.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sync_core::EntityKind;
use sync_core::protocol::{Cursor, Outcome, PullRequest, PullResponse, PushRequest};

use super::client::{RemoteError, ServerClient};
use crate::Store;

/// Which half of a round is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Push,
    Pull,
}

/// Progress of a long round: `done` of `total` (unknown for pulls).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub phase: Phase,
    pub done: u64,
    pub total: Option<u64>,
}

/// What a round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoundReport {
    pub pushed: u64,
    pub applied: u64,
    pub merged: u64,
    pub conflicts: u64,
    pub rejected: u64,
    /// Mutations held back until a record they point at syncs.
    pub held: u64,
    pub pulled: u64,
    pub push_requests: u64,
    pub pull_requests: u64,
    /// This desk's edits the server's merge settled against (noted for their users).
    pub superseded: u64,
    /// Local conflicts found resolved on the server.
    pub conflicts_closed: u64,
    /// Open conflicts of the property this desk learnt of from the server (raised by
    /// other desks' changes, or a second conflict of one of its own).
    pub conflicts_fetched: u64,
    /// Kinds of records that changed locally (screens showing them refresh).
    pub changed: BTreeSet<EntityKind>,
}

/// Why a round stopped before the end.
#[derive(Debug, thiserror::Error)]
pub enum RoundError {
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error("the local store failed: {0}")]
    Store(#[from] crate::Error),
}

impl RoundError {
    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, RoundError::Remote(err) if err.is_transient())
    }
}

/// Largest page of changes asked for in one pull.
pub const PULL_PAGE: u32 = 5_000;

/// Pushes everything pending, then pulls until the server has nothing more.
/// `progress` is called after each request.
pub async fn sync_round(
    store: &Store,
    client: &ServerClient,
    batch_size: usize,
    mut progress: impl FnMut(Progress),
) -> Result<RoundReport, RoundError> {
    let mut report = RoundReport::default();
    push_all(store, client, batch_size, &mut report, &mut progress).await?;
    pull_all(store, client, &mut report, &mut progress).await?;
    close_resolved_conflicts(store, client, &mut report).await?;
    Ok(report)
}

/// Local conflicts another desk resolved meanwhile are closed here too.
async fn close_resolved_conflicts(
    store: &Store,
    client: &ServerClient,
    report: &mut RoundReport,
) -> Result<(), RoundError> {
    let open_on_server = match client.open_conflicts().await {
        Ok(conflicts) => conflicts,
        // Roles that may not read conflicts (housekeeping) keep their local copies.
        Err(RemoteError::Refused { .. }) => return Ok(()),
        Err(err) => return Err(err.into()),
    };
    // Every open conflict of the property reaches the desks whose role may settle
    // it, not only the desk whose push raised it, and stays readable offline.
    report.conflicts_fetched += store.keep_conflicts(&open_on_server).await?;
    let local = store.open_conflicts().await?;
    let resolved: Vec<_> =
        local.iter().filter(|c| !open_on_server.iter().any(|open| open.id == c.id)).map(|c| c.id).collect();
    report.conflicts_closed += store.close_conflicts(&resolved).await?;
    Ok(())
}

/// Pushes the outbox in causal order, batch by batch. Every result is recorded as
/// soon as its batch is answered, so a round cut short loses nothing already
/// acknowledged, and what was not acknowledged is simply pushed again (the server
/// answers replays with their first result).
pub async fn push_all(
    store: &Store,
    client: &ServerClient,
    batch_size: usize,
    report: &mut RoundReport,
    progress: &mut impl FnMut(Progress),
) -> Result<(), RoundError> {
    let counts = store.outbox_counts().await?;
    if counts.held > 0 {
        // Mutations held for a missing parent get another chance each round.
        store.requeue(false).await?;
    } else if counts.pending == 0 {
        return Ok(());
    }
    let total = u64::try_from(counts.pending + counts.held).unwrap_or(0);
    let limit = u32::try_from(batch_size.max(1)).unwrap_or(u32::MAX);
    loop {
        let batch = store.pending_batch(limit).await?;
        if batch.is_empty() {
            return Ok(());
        }
        let request = PushRequest {
            protocol: sync_core::PROTOCOL_VERSION,
            mutations: batch.iter().map(|(_, mutation)| mutation.clone()).collect(),
        };
        let response = client.push(&request).await?;
        report.push_requests += 1;
        if response.results.len() != batch.len() {
            return Err(RemoteError::Protocol(format!(
                "the server answered {} results for {} mutations",
                response.results.len(),
                batch.len()
            ))
            .into());
        }
        let mut outcomes = Vec::with_capacity(batch.len());
        for ((seq, mutation), result) in batch.iter().zip(response.results) {
            if result.mutation_id != mutation.id {
                return Err(RemoteError::Protocol("the server answered results out of order".into()).into());
            }
            report.pushed += 1;
            report.changed.insert(mutation.entity);
            match &result.outcome {
                Outcome::Applied { .. } => report.applied += 1,
                Outcome::Merged { .. } => report.merged += 1,
                Outcome::Conflict { conflict, .. } if conflict.kind == sync_core::ConflictKind::Dependency => {
                    report.held += 1;
                }
                Outcome::Conflict { .. } => report.conflicts += 1,
                Outcome::Rejected { .. } => report.rejected += 1,
            }
            outcomes.push((*seq, result.outcome));
        }
        // One transaction records the whole answer: a held dependency waits for its
        // parent, a rejection stays visible as failed, a conflict waits for a person.
        report.superseded += store.apply_outcomes(&outcomes).await?;
        progress(Progress { phase: Phase::Push, done: report.pushed, total: Some(total.max(report.pushed)) });
    }
}

/// Pulls pages of changes until the server says there are no more.
///
/// The next page is asked for while the last one is applied, so the server's work
/// and the transfer overlap this desk's writes on a first pull of a large hotel. The
/// pages are still applied one after the other in log order, each in its own
/// transaction with its cursor, so a pull cut short resumes where it stopped.
pub async fn pull_all(
    store: &Store,
    client: &ServerClient,
    report: &mut RoundReport,
    progress: &mut impl FnMut(Progress),
) -> Result<(), RoundError> {
    let request =
        PullRequest { protocol: sync_core::PROTOCOL_VERSION, cursor: store.cursor().await?, limit: Some(PULL_PAGE) };
    // The first page is asked for here: a pull with little to fetch (most of them)
    // starts no background task.
    let mut page = client.pull_text(&request).await?;
    loop {
        report.pull_requests += 1;
        let mut next = page.has_more.then(|| Prefetch::start(client, Some(page.cursor)));
        if !page.changes.is_empty() {
            report.changed.extend(page.changes.iter().map(|change| change.entity));
            let applied = store.apply_pulled_text(&page.changes, page.cursor).await?;
            report.pulled += u64::try_from(applied.records).unwrap_or(0);
        } else {
            store.set_cursor(page.cursor).await?;
        }
        progress(Progress { phase: Phase::Pull, done: report.pulled, total: None });
        match next.as_mut() {
            Some(next) => page = next.page().await?,
            None => {
                store.first_pull_done().await?;
                return Ok(());
            }
        }
    }
}

/// A page being fetched in the background; dropping it stops the request.
struct Prefetch(Option<tokio::task::JoinHandle<Result<PullResponse<Box<RawValue>>, RemoteError>>>);

impl Prefetch {
    fn start(client: &ServerClient, cursor: Option<Cursor>) -> Prefetch {
        let client = client.clone();
        let request = PullRequest { protocol: sync_core::PROTOCOL_VERSION, cursor, limit: Some(PULL_PAGE) };
        Prefetch(Some(tokio::spawn(async move { client.pull_text(&request).await })))
    }

    async fn page(&mut self) -> Result<PullResponse<Box<RawValue>>, RemoteError> {
        let Some(task) = self.0.take() else {
            return Err(RemoteError::Protocol("no page was asked for".into()));
        };
        task.await.map_err(|err| RemoteError::Network(format!("the pull stopped: {err}")))?
    }
}

impl Drop for Prefetch {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}
