//! The HTTP server loop: axum's router behind limits that keep stalled or hostile clients from
//! taking the server down (no header, body or request may take for ever, and connections beyond
//! a bound are refused at once). `axum::serve` offers none of these.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tower::ServiceExt;

/// The server's limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A client must send a request's headers within this, counted from when the connection
    /// opens or the previous answer was sent (so idle keep-alive connections close too).
    pub header_timeout: Duration,
    /// A request, body included, is answered or cut off (408) within this. Uploads of a 64 MB
    /// file at 400 kbit/s take about 22 minutes: bodies that large belong to imports.
    pub request_timeout: Duration,
    /// Open connections at most; the next ones are closed at once until some end.
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: Duration::from_secs(20),
            request_timeout: Duration::from_secs(30 * 60),
            max_connections: 512,
        }
    }
}

/// Serves `app` on `listen` until Ctrl-C or TERM; connections then get 10 s to finish.
pub async fn serve(
    app: Router,
    listen: SocketAddr,
    limits: Limits,
    ready: impl FnOnce(SocketAddr),
) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    ready(listener.local_addr()?);
    serve_on(listener, app, limits, shutdown_signal()).await
}

/// The loop itself, on a bound listener, until `shutdown` completes (tests pass their own).
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    serve_tls_on(listener, app, limits, None, shutdown).await
}

/// Reads the certificate chain and private key (PEM files) of `serve --tls-cert/--tls-key`: the
/// server then speaks HTTPS itself, for an office without a TLS proxy in front. The error names
/// the file and what was expected.
pub fn tls_acceptor(certificate: &std::path::Path, key: &std::path::Path) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    use tokio_rustls::rustls;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(certificate)
        .and_then(|certificates| certificates.collect())
        .map_err(|e| format!("{}: cannot read the certificate ({e})", certificate.display()))?;
    if chain.is_empty() {
        return Err(format!(
            "{}: no certificate in it (expected a PEM file with -----BEGIN CERTIFICATE-----)",
            certificate.display()
        ));
    }
    let secret = PrivateKeyDer::from_pem_file(key).map_err(|e| {
        format!(
            "{}: cannot read the private key ({e}; expected a PEM file with -----BEGIN PRIVATE KEY-----)",
            key.display()
        )
    })?;
    // ring, as the sync client (ureq) uses: aws-lc-rs would add post-quantum key exchange but a
    // C and cmake build on every machine.
    #[allow(deprecated)]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, secret)
        .map_err(|e| {
            format!("{} and {}: the key does not go with the certificate ({e})", certificate.display(), key.display())
        })?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// As [`serve_on`], over TLS when `tls` is given. Requests then carry
/// `x-forwarded-proto: https` as they would behind a TLS proxy (session cookies are `Secure`),
/// whatever the client sent.
pub async fn serve_tls_on(
    listener: tokio::net::TcpListener,
    app: Router,
    limits: Limits,
    tls: Option<tokio_rustls::TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()>,
) -> std::io::Result<()> {
    let open = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors, say: wait a little rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let app = app.clone();
        let request_timeout = limits.request_timeout;
        let over_tls = tls.is_some();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request.extensions_mut().insert(ConnectInfo(peer));
            if over_tls {
                request.headers_mut().insert("x-forwarded-proto", axum::http::HeaderValue::from_static("https"));
            }
            let app = app.clone();
            async move {
                let answer = app.oneshot(request.map(axum::body::Body::new));
                match tokio::time::timeout(request_timeout, answer).await {
                    Ok(response) => response,
                    Err(_) => Ok(timed_out()),
                }
            }
        });
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
        let watcher = graceful.watcher();
        let (tls, handshake_timeout) = (tls.clone(), limits.header_timeout);
        tokio::spawn(async move {
            match tls {
                None => {
                    let _ = watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await;
                }
                // The handshake in the connection's own task, within the header timeout: a
                // client that stalls it holds nothing else.
                Some(tls) => match tokio::time::timeout(handshake_timeout, tls.accept(stream)).await {
                    Ok(Ok(stream)) => {
                        let _ = watcher.watch(http.serve_connection(TokioIo::new(stream), service)).await;
                    }
                    Ok(Err(error)) => tracing::debug!(%error, "a TLS handshake failed"),
                    Err(_) => tracing::debug!("a TLS handshake timed out"),
                },
            }
            drop(permit);
        });
    }
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(10)) => {}
    }
    Ok(())
}

fn timed_out() -> axum::response::Response {
    use axum::response::IntoResponse;
    crate::error::ApiError::new(
        axum::http::StatusCode::REQUEST_TIMEOUT,
        "timeout",
        "the request took too long to arrive; try again on a better connection",
    )
    .into_response()
}

/// Ctrl-C, or TERM from a service manager. The handlers are installed when this is called
/// (within the runtime), not when the future is first polled: a TERM that comes as soon as
/// the address is announced still stops the server cleanly instead of killing it.
pub fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    let term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    let interrupt = tokio::signal::ctrl_c();
    async move {
        #[cfg(unix)]
        if let Some(mut term) = term {
            tokio::select! {
                _ = interrupt => {}
                _ = term.recv() => {}
            }
            return;
        }
        let _ = interrupt.await;
    }
}
