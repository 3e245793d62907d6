//! The Console's own HTTPS. Prisma's Console serves TLS itself and its clients (the vendor's
//! Python SDK above all) speak nothing else, so Crowsnest does too: a certificate and key given
//! by the operator, or else a self-signed pair made in the data directory at the first start
//! (its fingerprint logged, so a client can pin it). Plain HTTP only when asked for.
//!
//! Handshakes run in their own tasks, bounded in number and time, so a client that connects and
//! never speaks holds neither the accept loop nor other clients.

use crate::config::ConsoleError;
use axum::serve::Listener;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How the Console speaks to its clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    /// HTTPS with the operator's PEM certificate chain and key.
    Tls { cert: PathBuf, key: PathBuf },
    /// HTTPS with the self-signed pair under `<data-dir>/tls/`, made at the first start.
    SelfSigned,
    /// Plain HTTP (`--plain-http`): behind a TLS-terminating proxy, or in tests.
    Plain,
}

/// Where the self-signed pair lives in the data directory.
pub fn self_signed_paths(data_dir: &Path) -> (PathBuf, PathBuf) {
    let dir = data_dir.join("tls");
    (dir.join("console.crt"), dir.join("console.key"))
}

/// The rustls configuration for `transport`, or `None` for plain HTTP. Makes the self-signed
/// pair when it is asked for and missing.
pub fn server_config(
    transport: &Transport,
    data_dir: &Path,
) -> Result<Option<Arc<rustls::ServerConfig>>, ConsoleError> {
    let (cert, key) = match transport {
        Transport::Plain => return Ok(None),
        Transport::Tls { cert, key } => (cert.clone(), key.clone()),
        Transport::SelfSigned => {
            let (cert, key) = self_signed_paths(data_dir);
            if !cert.exists() || !key.exists() {
                make_self_signed(&cert, &key)?;
                tracing::info!(cert = %cert.display(), "generated a self-signed TLS certificate (first start)");
            }
            (cert, key)
        }
    };
    let bad = |what: &str, path: &Path, e: &dyn std::fmt::Display| {
        ConsoleError::Config(format!("cannot read TLS {what} {}: {e}", path.display()))
    };
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&cert)
        .map_err(|e| bad("certificate", &cert, &e))?
        .collect::<Result<_, _>>()
        .map_err(|e| bad("certificate", &cert, &e))?;
    let Some(leaf) = chain.first() else {
        return Err(bad("certificate", &cert, &"no CERTIFICATE block"));
    };
    tracing::info!(
        cert = %cert.display(),
        sha256 = %fingerprint(leaf),
        "HTTPS certificate"
    );
    let private = PrivateKeyDer::from_pem_file(&key).map_err(|e| bad("key", &key, &e))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ConsoleError::Config(format!("TLS: {e}")))?
        .with_no_client_auth()
        .with_single_cert(chain, private)
        .map_err(|e| {
            ConsoleError::Config(format!(
                "TLS certificate {} and key {} do not make a usable pair: {e}",
                cert.display(),
                key.display()
            ))
        })?;
    // HTTP/1.1 only: connections are served by hyper's HTTP/1 server, whose header and idle
    // timeouts hold slow clients off (connections.rs).
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Some(Arc::new(config)))
}

/// SHA-256 of a certificate's DER, as `AB:CD:…` (the form browsers and `openssl x509
/// -fingerprint -sha256` show).
pub fn fingerprint(cert: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(cert);
    digest
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

fn make_self_signed(cert: &Path, key: &Path) -> Result<(), ConsoleError> {
    let io = |path: &Path, e: std::io::Error| {
        ConsoleError::Config(format!("cannot write {}: {e}", path.display()))
    };
    let mut names = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if let Ok(host) = std::fs::read_to_string("/etc/hostname") {
        let host = host.trim();
        if !host.is_empty() && host != "localhost" {
            names.push(host.to_string());
        }
    }
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|e| ConsoleError::Config(format!("cannot make a TLS certificate: {e}")))?;
    if let Some(dir) = cert.parent() {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    write_private(key, made.signing_key.serialize_pem().as_bytes()).map_err(|e| io(key, e))?;
    std::fs::write(cert, made.cert.pem()).map_err(|e| io(cert, e))?;
    Ok(())
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

/// Handshakes in progress at once; more connections wait in the kernel's backlog.
const MAX_HANDSHAKES: usize = 256;
/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A listener handing out connections whose TLS handshake has finished.
pub(crate) struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
    accepting: tokio::task::JoinHandle<()>,
}

impl TlsListener {
    pub(crate) fn new(tcp: TcpListener, config: Arc<rustls::ServerConfig>) -> TlsListener {
        let local = tcp
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
        let (tx, ready) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        let accepting = tokio::spawn(accept_loop(tcp, acceptor, tx));
        TlsListener {
            ready,
            local,
            accepting,
        }
    }
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accepting.abort();
    }
}

async fn accept_loop(
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    tx: mpsc::Sender<(TlsStream<TcpStream>, SocketAddr)>,
) {
    let slots = Arc::new(Semaphore::new(MAX_HANDSHAKES));
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        let (stream, addr) = match tcp.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: wait a little instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let _slot = slot;
            match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                Ok(Ok(tls)) => {
                    let _ = tx.send((tls, addr)).await;
                }
                Ok(Err(e)) => tracing::debug!(%addr, error = %e, "TLS handshake failed"),
                Err(_) => tracing::debug!(%addr, "TLS handshake timed out"),
            }
        });
    }
}

impl Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(conn) => conn,
            // The accept loop ended (the runtime is going down): nothing more will come.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
