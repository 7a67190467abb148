//! Slow and idle connections, on plain HTTP and HTTPS: a client that trickles its
//! request headers is cut off at the header-read timeout, and a connection that
//! says nothing at all is closed at the idle timeout, so a handful of slow sockets
//! cannot hold the server's connections for ever.

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use frontdesk_server::settings::TlsFiles;
use frontdesk_server::{AppState, Config, Store};

use crate::support::Server;

/// A request whose headers never end, sent a byte at a time.
const ENDLESS_HEADERS: &[u8] =
    b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

/// Writes `bytes` one at a time, `every` apart, reading in between; returns how long
/// after the first byte the server closed the connection (none if it never did).
fn trickle<S: Read + Write>(stream: &mut S, bytes: &[u8], every: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut answer = [0_u8; 1024];
    for byte in bytes {
        if stream.write_all(&[*byte]).and_then(|()| stream.flush()).is_err() {
            return Some(started.elapsed());
        }
        // The stream's read timeout is `every`: a quiet server is a timeout, a closed
        // connection is the end (after its 408, if it sent one).
        let waited = Instant::now();
        while waited.elapsed() < every {
            match stream.read(&mut answer) {
                Ok(0) => return Some(started.elapsed()),
                Ok(_) => {}
                Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(_) => return Some(started.elapsed()),
            }
        }
    }
    None
}

/// Waits for the server to close a connection on which nothing is sent.
fn closed_within<S: Read>(stream: &mut S, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut answer = [0_u8; 1024];
    while started.elapsed() < limit {
        match stream.read(&mut answer) {
            Ok(0) => return Some(started.elapsed()),
            Ok(_) => {}
            Err(err) if matches!(err.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Some(started.elapsed()),
        }
    }
    None
}

fn connect(addr: SocketAddr, read_timeout: Duration) -> TcpStream {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(read_timeout)).expect("read timeout");
    stream
}

fn address(base: &str) -> SocketAddr {
    base.trim_start_matches("http://").trim_start_matches("https://").parse().expect("an address")
}

fn timeouts(header_read: Duration, idle: Duration) -> Config {
    Config { header_read_timeout: header_read, idle_timeout: idle, ..Config::default() }
}

/// The same server over HTTPS, its certificate self-signed; returns its address and
/// a client configuration that trusts it.
async fn https_server(server: &Server, config: Config) -> (SocketAddr, Arc<rustls::ClientConfig>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()]).expect("a certificate");
    std::fs::write(dir.path().join("cert.pem"), certified.cert.pem()).expect("write the certificate");
    std::fs::write(dir.path().join("key.pem"), certified.signing_key.serialize_pem()).expect("write the key");
    let files = TlsFiles { cert: dir.path().join("cert.pem"), key: dir.path().join("key.pem") };
    let tls = frontdesk_server::tls::load(&files).expect("the certificate loads");
    let store = Store::open(&server.database_url).await.expect("the store opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let addr = listener.local_addr().expect("local addr");
    let state = AppState::new(store, config);
    tokio::spawn(frontdesk_server::tls::serve_tls(listener, tls, state, std::future::pending()));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(certified.cert.der().clone()).expect("trust the certificate");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    (addr, Arc::new(client), dir)
}

fn tls_stream(
    addr: SocketAddr,
    client: Arc<rustls::ClientConfig>,
    read_timeout: Duration,
) -> rustls::StreamOwned<rustls::ClientConnection, TcpStream> {
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("a server name");
    let connection = rustls::ClientConnection::new(client, name).expect("a TLS client");
    rustls::StreamOwned::new(connection, connect(addr, read_timeout))
}

#[tokio::test]
async fn headers_trickled_a_byte_every_two_seconds_are_cut_off_at_the_header_read_timeout() {
    let server = Server::start_with(timeouts(Duration::from_secs(3), Duration::from_secs(120))).await;
    let addr = address(&server.base);
    let cut = tokio::task::spawn_blocking(move || {
        trickle(&mut connect(addr, Duration::from_secs(2)), ENDLESS_HEADERS, Duration::from_secs(2))
    })
    .await
    .expect("the client runs");
    let cut = cut.expect("the server closes the trickling connection");
    assert!(cut >= Duration::from_millis(2500), "not before the 3 s header-read timeout: {cut:?}");
    assert!(cut < Duration::from_secs(7), "but soon after it, not when the headers end: {cut:?}");

    // A keep-alive connection that starts no next request is bounded alike.
    let idle_after_request = tokio::task::spawn_blocking(move || {
        let mut stream = connect(addr, Duration::from_millis(200));
        stream.write_all(b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").expect("a whole request");
        closed_within(&mut stream, Duration::from_secs(10))
    })
    .await
    .expect("the client runs");
    let closed = idle_after_request.expect("the idle keep-alive connection is closed");
    assert!(closed < Duration::from_secs(6), "at the header-read timeout: {closed:?}");
}

#[tokio::test]
async fn headers_trickled_over_https_are_cut_off_at_the_header_read_timeout() {
    let server = Server::start().await;
    let config = timeouts(Duration::from_secs(3), Duration::from_secs(120));
    let (addr, client, dir) = https_server(&server, config).await;

    let health = reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_der(&client_root(&dir)).expect("the certificate")])
        .build()
        .expect("an HTTPS client")
        .get(format!("https://{addr}/v1/health"))
        .send()
        .await
        .expect("health over HTTPS");
    assert_eq!(health.status(), 200, "the HTTPS server answers a whole request");

    let cut = tokio::task::spawn_blocking(move || {
        let mut stream = tls_stream(addr, client, Duration::from_secs(2));
        trickle(&mut stream, ENDLESS_HEADERS, Duration::from_secs(2))
    })
    .await
    .expect("the client runs");
    let cut = cut.expect("the server closes the trickling TLS connection");
    assert!(cut >= Duration::from_millis(2500), "not before the 3 s header-read timeout: {cut:?}");
    assert!(cut < Duration::from_secs(7), "but soon after it, not when the headers end: {cut:?}");
}

/// The certificate the HTTPS server of `dir` serves, as DER.
fn client_root(dir: &tempfile::TempDir) -> Vec<u8> {
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(dir.path().join("cert.pem")).expect("read the certificate");
    rustls::pki_types::CertificateDer::from_pem_slice(&pem).expect("a PEM certificate").to_vec()
}

#[tokio::test]
async fn a_connection_that_says_nothing_is_closed_at_the_idle_timeout_on_http_and_https() {
    // The header-read timeout is far off: the idle timeout is what closes them.
    let config = timeouts(Duration::from_secs(60), Duration::from_secs(1));
    let server = Server::start_with(config.clone()).await;
    let addr = address(&server.base);
    let (tls_addr, _, _dir) = https_server(&server, config).await;
    for addr in [addr, tls_addr] {
        // A bare TCP connection: no request, and on the HTTPS port no handshake either.
        let closed = tokio::task::spawn_blocking(move || {
            closed_within(&mut connect(addr, Duration::from_millis(200)), Duration::from_secs(10))
        })
        .await
        .expect("the client runs");
        let closed = closed.expect("the silent connection is closed");
        assert!(closed < Duration::from_secs(4), "{addr}: at the 1 s idle timeout: {closed:?}");
    }
}
