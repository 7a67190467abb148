//! The real sync server as the simulation runs it: the axum app over a SQLite file,
//! in a thread with its own Tokio runtime, so that killing it drops every task it
//! has (listener, open connections, requests in flight) at once, like a killed
//! process. A restart opens the same file and binds the same address again, so
//! the devices' stored server address stays right.

use std::net::SocketAddr;
use std::time::Duration;

use frontdesk_server::limits::RateLimit;
use frontdesk_server::{AppState, Config, Store as ServerStore};
use tokio::sync::oneshot;

/// A running server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn config() -> Config {
    // The simulation pushes and pulls far faster than a desk: no rate limit.
    Config { rate_limit: RateLimit { per_second: 1_000_000, burst: 1_000_000 }, ..Config::default() }
}

impl Server {
    /// Starts the server over the database at `url`, on `addr` (port 0: any).
    pub async fn start(url: &str, addr: SocketAddr) -> Result<Server, String> {
        let (ready, started) = oneshot::channel::<Result<SocketAddr, String>>();
        let (stop, stopped) = oneshot::channel::<()>();
        let url = url.to_owned();
        let thread = std::thread::Builder::new()
            .name("sim-server".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build() {
                    Ok(runtime) => runtime,
                    Err(err) => {
                        let _ = ready.send(Err(format!("the server runtime: {err}")));
                        return;
                    }
                };
                runtime.block_on(async move {
                    let store = match ServerStore::open(&url).await {
                        Ok(store) => store,
                        Err(err) => {
                            let _ = ready.send(Err(format!("the server store: {err}")));
                            return;
                        }
                    };
                    // The old listener's port can take a moment to be free again.
                    let mut tries = 0;
                    let listener = loop {
                        match tokio::net::TcpListener::bind(addr).await {
                            Ok(listener) => break listener,
                            Err(err) if tries >= 200 => {
                                let _ = ready.send(Err(format!("binding {addr}: {err}")));
                                return;
                            }
                            Err(_) => {
                                tries += 1;
                                tokio::time::sleep(Duration::from_millis(10)).await;
                            }
                        }
                    };
                    let bound = match listener.local_addr() {
                        Ok(bound) => bound,
                        Err(err) => {
                            let _ = ready.send(Err(format!("the bound address: {err}")));
                            return;
                        }
                    };
                    let state = AppState::new(store, config());
                    tokio::spawn(frontdesk_server::serve(listener, state, std::future::pending()));
                    let _ = ready.send(Ok(bound));
                    let _ = stopped.await;
                });
                // A kill, not a graceful stop: every task of the server goes now.
                runtime.shutdown_timeout(Duration::ZERO);
            })
            .map_err(|err| format!("the server thread: {err}"))?;
        let addr = started.await.map_err(|_| "the server thread died while starting".to_owned())??;
        Ok(Server { addr, stop: Some(stop), thread: Some(thread) })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The base URL devices use.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Kills the server and waits until its thread is gone.
    pub async fn kill(mut self) {
        self.stop_now();
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    fn stop_now(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_now();
    }
}
