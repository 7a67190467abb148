//! HTTPS served by the server itself, for a property without a reverse proxy: the
//! certificate and key of `[tls]` in the settings, rustls, and `axum-server`, which
//! serves an axum router over any acceptor.
//!
//! The crypto provider is chosen here (aws-lc-rs, the one reqwest already brings
//! into the build) rather than left to rustls' process default, which is ambiguous
//! when two providers end up compiled in.

use std::sync::Arc;

use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::connections::{self, IdleAcceptor};
use crate::settings::TlsFiles;
use crate::{AppState, router};

/// Why the certificate or key could not be used; the message names the file.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(String);

/// Reads the certificate chain and key of `files` into a server configuration.
pub fn load(files: &TlsFiles) -> Result<RustlsConfig, TlsError> {
    let cert_path = files.cert.display();
    let key_path = files.key.display();
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|err| TlsError(format!("tls.cert {cert_path}: {err}")))?
        .collect::<Result<_, _>>()
        .map_err(|err| TlsError(format!("tls.cert {cert_path} is not a PEM certificate chain: {err}")))?;
    if chain.is_empty() {
        return Err(TlsError(format!("tls.cert {cert_path} holds no certificate (expected BEGIN CERTIFICATE)")));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|err| TlsError(format!("tls.key {key_path} is not a PEM private key: {err}")))?;
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|err| TlsError(format!("TLS settings: {err}")))?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|err| TlsError(format!("tls.cert {cert_path} and tls.key {key_path} do not go together: {err}")))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}

/// Serves the API over HTTPS on `listener` until `shutdown` completes, then lets
/// open requests finish for a few seconds.
pub async fn serve_tls(
    listener: tokio::net::TcpListener,
    tls: RustlsConfig,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    crate::prepare(&state).await?;
    let state = crate::addressed(state, listener.local_addr()?, true);
    // The idle timeout watches the bytes below TLS, so a stalled handshake is cut too;
    // the handshake has the header-read timeout's time.
    let idle = IdleAcceptor { timeout: state.config.idle_timeout };
    let acceptor = RustlsAcceptor::new(tls).handshake_timeout(state.config.header_read_timeout).acceptor(idle);
    let server = axum_server::from_tcp(listener.into_std()?)?.acceptor(acceptor);
    connections::prepared(server, &state, shutdown)
        .serve(router(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .await
}
