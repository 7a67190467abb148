//! `GET /v1/live`: a server-sent event stream that tells a device its property's
//! change log grew, so it pulls within milliseconds instead of a polling interval.
//!
//! Fan-out is in process, one tokio broadcast channel per property with
//! subscribers. With several server processes on one PostgreSQL database, every
//! transaction that grows a log also runs `pg_notify` (delivered by PostgreSQL only
//! when it commits), and each process listens on the deployment's channel and
//! re-broadcasts what the others committed. The stream carries only sequence
//! numbers: what changed is read with a pull, with the reader's permissions.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use sqlx::AnyConnection;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::metrics::Metrics;
use crate::store::{Backend, Store};

/// Buffered events per property; a subscriber that falls further behind skips to
/// the newest sequence (it only needs the latest one to pull).
const CHANNEL_CAPACITY: usize = 64;

/// The PostgreSQL notification channel when the configuration names none.
pub const DEFAULT_CHANNEL: &str = "frontdesk_changes";

/// The live fan-out of one server process.
#[derive(Debug, Clone)]
pub struct Live {
    senders: Arc<Mutex<HashMap<Uuid, broadcast::Sender<u64>>>>,
    /// This process, so it skips its own notifications coming back from PostgreSQL.
    origin: Uuid,
    /// Set when the server shuts down: every stream ends, so the graceful shutdown
    /// does not wait for devices that would stay connected for hours.
    closing: Arc<watch::Sender<bool>>,
}

impl Default for Live {
    fn default() -> Self {
        Live { senders: Arc::default(), origin: Uuid::now_v7(), closing: Arc::new(watch::channel(false).0) }
    }
}

impl Live {
    /// Ends every open stream (their devices reconnect to another process, or when
    /// this one is back).
    pub fn close(&self) {
        self.closing.send_replace(true);
    }

    /// Resolves when the server shuts down.
    pub fn closed(&self) -> impl Future<Output = ()> + Send + use<> {
        let mut closing = self.closing.subscribe();
        async move {
            let _ = closing.wait_for(|closed| *closed).await;
        }
    }

    /// Subscribes to `property`'s new sequence numbers.
    pub fn subscribe(&self, property: Uuid) -> broadcast::Receiver<u64> {
        let mut senders = self.senders.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        senders.entry(property).or_insert_with(|| broadcast::channel(CHANNEL_CAPACITY).0).subscribe()
    }

    /// Tells this process's subscribers of `property` that its log reached `seq`.
    pub fn publish(&self, property: Uuid, seq: u64) {
        let mut senders = self.senders.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // When nobody listens any more, the channel is forgotten.
        if let Some(sender) = senders.get(&property)
            && sender.send(seq).is_err()
        {
            senders.remove(&property);
        }
    }

    /// Inside a write transaction that grew `property`'s log to `seq`: on PostgreSQL,
    /// queues the notification for the other processes (sent at commit, dropped at
    /// rollback). Call [`Live::publish`] after the commit for this process.
    pub async fn announce(
        &self,
        conn: &mut AnyConnection,
        backend: Backend,
        channel: &str,
        property: Uuid,
        seq: u64,
    ) -> Result<(), sqlx::Error> {
        if backend == Backend::Postgres {
            sqlx::query("SELECT pg_notify($1, $2) AS sent")
                .bind(channel)
                .bind(format!("{property} {seq} {}", self.origin))
                .fetch_one(&mut *conn)
                .await?;
        }
        Ok(())
    }

    /// On PostgreSQL, listens on `channel` and re-broadcasts the other processes'
    /// commits; returns once the `LISTEN` is in place, so nothing committed after
    /// that is missed. The task reconnects by itself (sqlx's listener does).
    pub async fn listen(&self, store: &Store, channel: &str) -> Result<(), sqlx::Error> {
        let Some(url) = store.postgres_url() else {
            return Ok(());
        };
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen(channel).await?;
        let live = self.clone();
        tokio::spawn(async move {
            loop {
                match listener.recv().await {
                    Ok(notification) => live.receive(notification.payload()),
                    Err(err) => {
                        tracing::warn!(%err, "the live listener lost PostgreSQL; retrying");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        });
        Ok(())
    }

    fn receive(&self, payload: &str) {
        let mut parts = payload.split(' ');
        let (Some(property), Some(seq), origin) = (parts.next(), parts.next(), parts.next()) else {
            return;
        };
        if origin.and_then(|o| Uuid::parse_str(o).ok()) == Some(self.origin) {
            return;
        }
        if let (Ok(property), Ok(seq)) = (Uuid::parse_str(property), seq.parse::<u64>()) {
            self.publish(property, seq);
        }
    }
}

/// Counts a connected stream in the metrics for as long as it lives.
struct Connected(Arc<Metrics>);

impl Connected {
    fn new(metrics: Arc<Metrics>) -> Self {
        metrics.live_devices.inc();
        Connected(metrics)
    }
}

impl Drop for Connected {
    fn drop(&mut self) {
        self.0.live_devices.dec();
    }
}

/// The event stream of one subscriber: a `change` event `{"seq": n}` per new
/// sequence (never one it sent already), and keep-alive comments. It ends when the
/// session expires (`lasts`), so the device signs in again and reconnects, and when
/// the server shuts down (`closed`, from [`Live::closed`]).
pub fn stream(
    closed: impl Future<Output = ()> + Send + 'static,
    receiver: broadcast::Receiver<u64>,
    metrics: Arc<Metrics>,
    keep_alive: Duration,
    lasts: Duration,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let end = tokio::time::Instant::now() + lasts;
    let closed = Box::pin(closed);
    let state = (receiver, 0_u64, Connected::new(metrics), closed);
    let events =
        futures_util::stream::unfold(state, move |(mut receiver, mut last, connected, mut closed)| async move {
            loop {
                let received = tokio::select! {
                    received = receiver.recv() => received,
                    () = tokio::time::sleep_until(end) => return None,
                    () = &mut closed => return None,
                };
                match received {
                    Ok(seq) if seq > last => {
                        last = seq;
                        let event = Event::default().event("change").data(format!("{{\"seq\":{seq}}}"));
                        return Some((Ok(event), (receiver, last, connected, closed)));
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        });
    Sse::new(events).keep_alive(KeepAlive::new().interval(keep_alive).text("keep-alive"))
}
