//! How connections are served, on plain HTTP and HTTPS alike: a client that trickles
//! its request headers is cut off at `header_read_timeout`, and a connection that
//! sends and receives nothing for `idle_timeout` is closed, so a few slow sockets
//! cannot hold the server's file descriptors and tasks for ever.
//!
//! Both are served by `axum-server`, whose hyper builder takes the timer hyper's
//! header-read timeout needs (`axum::serve` offers no way to set one). hyper starts
//! that timer whenever it waits for a request's head, so it also bounds an idle
//! HTTP/1 keep-alive connection; the idle timeout covers everything else (a TLS
//! handshake that stalls, an HTTP/2 connection that went quiet) by watching the
//! bytes themselves, below TLS.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use axum_server::accept::Accept;
use hyper_util::rt::TokioTimer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::AppState;

/// How long a stop waits for open connections (live streams end by themselves when
/// the server stops) before closing them.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// `server` with the timeouts of `state`'s configuration set, stopping gracefully
/// when `shutdown` completes; the caller serves the router on it (with the peer's
/// address, which the enrollment throttle counts by).
pub(crate) fn prepared<Acc>(
    mut server: axum_server::Server<SocketAddr, Acc>,
    state: &AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> axum_server::Server<SocketAddr, Acc> {
    let header_read = state.config.header_read_timeout;
    let builder = server.http_builder();
    builder.http1().timer(TokioTimer::new()).header_read_timeout(header_read);
    builder.http2().timer(TokioTimer::new());
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    let live = state.live.clone();
    tokio::spawn(async move {
        shutdown.await;
        // Requests in flight finish; the live streams, which never would, end now.
        live.close();
        stopper.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    // hyper's own timer starts once it knows the protocol: this bounds the bytes
    // before that too.
    server.first_request_timeout(header_read).handle(handle)
}

/// An acceptor that closes a connection idle for `timeout` (no byte read or
/// written); below TLS when it is the inner acceptor of the TLS one.
#[derive(Debug, Clone, Copy)]
pub struct IdleAcceptor {
    pub timeout: Duration,
}

impl<I, S> Accept<I, S> for IdleAcceptor
where
    I: AsyncRead + AsyncWrite + Unpin,
{
    type Stream = Idle<I>;
    type Service = S;
    type Future = std::future::Ready<io::Result<(Idle<I>, S)>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        std::future::ready(Ok((Idle::new(stream, self.timeout), service)))
    }
}

/// A stream that fails with `TimedOut` once nothing moved on it for its timeout.
#[derive(Debug)]
pub struct Idle<S> {
    inner: S,
    timeout: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> Idle<S> {
    fn new(inner: S, timeout: Duration) -> Self {
        Idle { inner, timeout, deadline: Box::pin(tokio::time::sleep(timeout)) }
    }

    fn moved(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.timeout);
    }

    /// Called when the inner stream is pending: the error once the deadline passed.
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

fn idle_error() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "the connection was idle too long")
}

impl<S: AsyncRead + Unpin> AsyncRead for Idle<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {
                if buf.filled().len() > before {
                    self.moved();
                }
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Idle<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    self.moved();
                }
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write_vectored(cx, bufs) {
            Poll::Ready(Ok(written)) => {
                if written > 0 {
                    self.moved();
                }
                Poll::Ready(Ok(written))
            }
            Poll::Ready(Err(err)) => Poll::Ready(Err(err)),
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(idle_error())),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}
