//! `GET /v1/live`: a server-sent event stream that tells a device its property's
//! change log grew, so it pulls within milliseconds instead of a polling interval.
//!
//! Fan-out is in process, one tokio broadcast channel per property with
//! subscribers. With several server processes on one PostgreSQL database, every
//! transaction that grows a log also runs `pg_notify` (delivered by PostgreSQL only
//! when it commits), and each process listens on the deployment's channel and
//! re-broadcasts what the others committed. The stream carries only sequence
//! numbers: what changed is read with a pull, with the reader's permissions.
//!
//! A stream lives no longer than its session: it ends when the session expires, is
//! signed out (at once on this process), or its device is revoked or wiped (the
//! admin command may run in another process, so each stream checks its session
//! again at every change it announces and every `live_session_check`). A device
//! holds at most `live_streams_per_device` streams on one process.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::Stream;
use sqlx::AnyConnection;
use tokio::sync::{broadcast, watch};
use uuid::Uuid;

use crate::AppState;
use crate::auth::{self, Session};
use crate::error::AppError;
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
    /// Digests of the tokens signed out on this process, so their streams end at once.
    signed_out: broadcast::Sender<Arc<str>>,
    /// Open streams per device, for the cap.
    streams: Arc<Mutex<HashMap<Uuid, usize>>>,
}

impl Default for Live {
    fn default() -> Self {
        Live {
            senders: Arc::default(),
            origin: Uuid::now_v7(),
            closing: Arc::new(watch::channel(false).0),
            signed_out: broadcast::channel(CHANNEL_CAPACITY).0,
            streams: Arc::default(),
        }
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

    /// Ends this process's streams of the session whose token has digest `token_hash`.
    pub fn signed_out(&self, token_hash: &str) {
        // No stream listening is not an error.
        let _ = self.signed_out.send(Arc::from(token_hash));
    }

    /// One more stream of `device`, unless it holds `cap` already.
    fn open(&self, device: Uuid, cap: usize) -> Option<Opened> {
        let mut streams = self.streams.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let open = streams.entry(device).or_default();
        if *open >= cap {
            return None;
        }
        *open += 1;
        Some(Opened { streams: self.streams.clone(), device })
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

/// One open stream of a device, counted in the metrics and against the device's
/// cap for as long as it lives.
struct Opened {
    streams: Arc<Mutex<HashMap<Uuid, usize>>>,
    device: Uuid,
}

impl Drop for Opened {
    fn drop(&mut self) {
        let mut streams = self.streams.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(open) = streams.get_mut(&self.device) {
            *open = open.saturating_sub(1);
            if *open == 0 {
                streams.remove(&self.device);
            }
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

/// What a stream carries from one event to the next.
struct Open {
    state: AppState,
    token_hash: String,
    changes: broadcast::Receiver<u64>,
    signed_out: broadcast::Receiver<Arc<str>>,
    closed: std::pin::Pin<Box<dyn Future<Output = ()> + Send>>,
    check: tokio::time::Interval,
    end: tokio::time::Instant,
    /// The last sequence sent (never one twice).
    last: u64,
    _opened: Opened,
    _connected: Connected,
}

impl Open {
    /// Whether the session still holds. Only a refusal of the session ends the
    /// stream: a database that does not answer for a moment does not drop every
    /// desk's stream at once.
    async fn holds(state: &AppState, token_hash: &str) -> bool {
        match auth::session_of(state, token_hash.to_owned()).await {
            Ok(_) => true,
            Err(err) => err.status != axum::http::StatusCode::UNAUTHORIZED,
        }
    }

    /// The next `change` event, or `None` when the stream ends.
    async fn next(&mut self) -> Option<Event> {
        loop {
            tokio::select! {
                received = self.changes.recv() => match received {
                    Ok(seq) if seq > self.last => {
                        if !Open::holds(&self.state, &self.token_hash).await {
                            return None;
                        }
                        self.last = seq;
                        return Some(Event::default().event("change").data(format!("{{\"seq\":{seq}}}")));
                    }
                    Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                gone = self.signed_out.recv() => match gone {
                    Ok(hash) if *hash == *self.token_hash => return None,
                    Ok(_) => {}
                    // Sign-outs were missed: ask the database.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        if !Open::holds(&self.state, &self.token_hash).await {
                            return None;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => return None,
                },
                _ = self.check.tick() => {
                    if !Open::holds(&self.state, &self.token_hash).await {
                        return None;
                    }
                }
                () = tokio::time::sleep_until(self.end) => return None,
                () = &mut self.closed => return None,
            }
        }
    }
}

/// The event stream of `session`: a `change` event `{"seq": n}` per new sequence of
/// its property, and keep-alive comments, until the session ends or the server shuts
/// down. Refused with 429 when the device holds its cap of streams already.
pub fn stream(
    state: &AppState,
    session: Session,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, AppError> {
    let cap = state.config.live_streams_per_device;
    let Some(opened) = state.live.open(session.device_id, cap) else {
        state.metrics.live_refused.inc();
        let mut err = AppError::new(
            axum::http::StatusCode::TOO_MANY_REQUESTS,
            "too_many_streams",
            format!(
                "this device has {cap} live streams open already, the most one device may hold: close one before opening another"
            ),
        );
        err.retry_after = Some(state.config.live_keep_alive.as_secs().max(1));
        return Err(err);
    };
    let lasts = (session.expires_at - (state.now)()).to_std().unwrap_or_default();
    let mut check = tokio::time::interval_at(
        tokio::time::Instant::now() + state.config.live_session_check,
        state.config.live_session_check,
    );
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let open = Open {
        changes: state.live.subscribe(session.property_id),
        signed_out: state.live.signed_out.subscribe(),
        closed: Box::pin(state.live.closed()),
        check,
        end: tokio::time::Instant::now() + lasts,
        last: 0,
        _opened: opened,
        _connected: Connected::new(state.metrics.clone()),
        state: state.clone(),
        token_hash: session.token_hash,
    };
    let events = futures_util::stream::unfold(open, |mut open| async move {
        let event = open.next().await?;
        Some((Ok(event), open))
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(state.config.live_keep_alive).text("keep-alive")))
}
