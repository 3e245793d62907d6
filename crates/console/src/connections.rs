//! Accepting and serving connections with limits a slow or idle client cannot outwait.
//!
//! axum's own `serve` has no timeouts, so a client sending one byte at a time, or opening a
//! connection and saying nothing, held it for ever; twenty thousand of them used up the file
//! descriptors and `_ping` stopped answering. Here each connection is served by hyper with a
//! header read timeout, which also closes an idle keep-alive connection (hyper starts it when
//! it begins waiting for the next request's head); request bodies have their own deadline (see
//! `body.rs`, a 408); and at most `max_connections` are open at once: the rest wait in the
//! kernel's listen backlog, not in our memory, and are accepted as slots free up.

use crate::ConsoleError;
use crate::config::ConsoleConfig;
use axum::Router;
use axum::extract::connect_info::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tower::ServiceExt;

/// Serves `app` on `listener` (plain TCP, or the TLS listener that hands over connections once
/// their handshake is done) until `shutdown` resolves, then lets the requests in flight finish
/// (idle connections are closed at once).
pub(crate) async fn serve<L>(
    mut listener: L,
    app: Router,
    config: &ConsoleConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ConsoleError>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            _ = &mut shutdown => break,
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break,
            },
        };
        // The listener deals with accept errors itself (it waits and goes on when out of file
        // descriptors), and a TLS listener returns only connections that finished a handshake.
        let (stream, addr) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<_>| {
            req.extensions_mut().insert(ConnectInfo(addr));
            app.clone().oneshot(req)
        });
        let conn = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                tracing::debug!(client = %addr, error = %e, "connection ended");
            }
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}
