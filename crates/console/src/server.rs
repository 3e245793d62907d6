//! Starting the Console: data directory, master key, store, first admin user, then the HTTP
//! server (plain HTTP or HTTPS, see [`crate::tls`]) until the shutdown signal, finishing in-flight requests before returning.

use crate::config::{ConsoleConfig, ConsoleError};
use crate::tls::TlsListener;
use crate::{AppState, Clock, ensure_admin, router};
use crowsnest_store::{MasterKey, SecretBox, Store};
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::net::TcpListener;

/// Secrets the Console reads from its environment, never from the command line (where `ps`
/// would show them).
#[derive(Default)]
pub struct Bootstrap {
    pub admin_user: Option<String>,
    pub admin_password: Option<String>,
    pub master_key: Option<String>,
}

impl std::fmt::Debug for Bootstrap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bootstrap")
            .field("admin_user", &self.admin_user)
            .finish_non_exhaustive()
    }
}

impl Bootstrap {
    pub fn from_env() -> Bootstrap {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        Bootstrap {
            admin_user: var("CROWSNEST_ADMIN_USER"),
            admin_password: var("CROWSNEST_ADMIN_PASSWORD"),
            master_key: var("CROWSNEST_MASTER_KEY"),
        }
    }
}

/// Opens everything the API needs. Fails with a clear message when there is no user and no
/// bootstrap credentials, so a fresh install cannot run unprotected.
pub async fn open(
    config: ConsoleConfig,
    clock: Arc<dyn Clock>,
    bootstrap: &Bootstrap,
) -> Result<AppState, ConsoleError> {
    crate::private::secure_data_dir(&config.data_dir).map_err(|e| {
        ConsoleError::Config(format!(
            "cannot create data dir {} (owner-only): {e}",
            config.data_dir.display()
        ))
    })?;
    let key = MasterKey::load_or_create(&config.data_dir, bootstrap.master_key.as_deref())?;
    // SQLite or PostgreSQL by the URL's scheme; another scheme is a typed error naming both.
    // A SQLite file is created owner-only first, so its WAL and SHM files copy that mode.
    if config.database.starts_with("sqlite:") {
        crate::private::prepare_sqlite_file(&config.database).map_err(|e| {
            ConsoleError::Config(format!("cannot create the database file owner-only: {e}"))
        })?;
    }
    let store: Arc<dyn Store> =
        crowsnest_store::open(&config.database, SecretBox::new(&key)).await?;
    let now = clock.now().to_string();
    let admin = match (&bootstrap.admin_user, &bootstrap.admin_password) {
        (Some(u), Some(p)) => Some((u.as_str(), p.as_str())),
        _ => None,
    };
    ensure_admin(store.as_ref(), admin, &now).await?;
    let db_path = crowsnest_vulndb::default_path(&config.data_dir);
    if let Some(feeds) = &config.feeds {
        build_db_if_missing(feeds, &db_path).await?;
        // The build writes files of its own; they are the admin's alone too.
        crate::private::secure_data_dir(&config.data_dir).map_err(|e| {
            ConsoleError::Config(format!("cannot make the data dir owner-only: {e}"))
        })?;
    }
    report_db_age(&db_path);
    let mut engine_config = engine_config(&config, db_path);
    // One clock for the API and the engine: a test's manual clock moves scan times and retry
    // waits as it moves token expiry.
    engine_config.clock = clock.clone();
    let engine = crowsnest_scanner::Engine::new(store.clone(), engine_config);
    Ok(AppState::new(
        store,
        engine,
        clock,
        key.derive("console-token-signing"),
        config,
    ))
}

fn engine_config(config: &ConsoleConfig, db_path: PathBuf) -> crowsnest_scanner::EngineConfig {
    let mut e = crowsnest_scanner::EngineConfig::new(db_path);
    // A PostgreSQL store may be shared by other Consoles and workers: leases are renewed and
    // fence results, and this node's name must be unique among them (a lease names its holder).
    e.single_node = !crowsnest_store::is_shared_url(&config.database);
    e.local_workers = config.local_workers || e.single_node;
    if !e.single_node {
        e.lease = config.lease;
    }
    e.node = if e.single_node {
        hostname()
    } else {
        node_name("console")
    };
    e.parallel_specs = config.parallel_specs.max(1);
    e.retention_days = config.retention_days;
    e.periodic = (config.scan_interval_hours > 0)
        .then(|| std::time::Duration::from_secs(config.scan_interval_hours * 3600));
    if let Some(hub) = &config.docker_hub {
        e.discovery.docker_hub = hub.clone();
    }
    e.discovery.vendor =
        e.discovery
            .vendor
            .clone()
            .overlay(&crowsnest_registry::VendorEndpoints::from_pairs(
                config.vendor_env.clone(),
            ));
    e
}

/// `<hostname>-<role>-<pid>`: unique among the nodes of a cluster (several may share a host).
pub fn node_name(role: &str) -> String {
    format!("{}-{role}-{}", hostname(), std::process::id())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "crowsnest".into())
}

/// First start with `--feeds`: build the vulnerability database from the local mirror.
async fn build_db_if_missing(feeds: &Path, db_path: &Path) -> Result<(), ConsoleError> {
    // A database this build cannot read (an older format) is rebuilt like a missing one.
    if crowsnest_vulndb::Database::read_status(db_path).is_ok() {
        return Ok(());
    }
    tracing::info!(feeds = %feeds.display(), "building the vulnerability database from the feed mirror (first start)");
    let feeds = feeds.to_path_buf();
    let path = db_path.to_path_buf();
    let started = std::time::Instant::now();
    let built = tokio::task::spawn_blocking(move || -> Result<u64, String> {
        let (db, report) =
            crowsnest_vulndb::Database::build(&[feeds], &crowsnest_vulndb::ImportOptions::new())
                .map_err(|e| e.to_string())?;
        if !report.malformed.is_empty() {
            tracing::warn!(
                records = report.malformed.len(),
                "malformed feed records skipped"
            );
        }
        db.write_atomic(&path).map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| ConsoleError::Config(format!("vulnerability database build failed: {e}")))?;
    match built {
        Ok(bytes) => {
            tracing::info!(
                bytes,
                seconds = started.elapsed().as_secs_f64(),
                "vulnerability database ready"
            );
            Ok(())
        }
        Err(e) => Err(ConsoleError::Config(format!(
            "cannot build the vulnerability database: {e}"
        ))),
    }
}

fn report_db_age(db_path: &Path) {
    match crowsnest_vulndb::Database::read_status(db_path) {
        Ok(status) => {
            let days = (jiff::Timestamp::now().as_second() - status.built_at) / 86_400;
            tracing::info!(path = %db_path.display(), age_days = days, advisories = status.advisories, "vulnerability database");
        }
        Err(_) => tracing::warn!(
            path = %db_path.display(),
            "no vulnerability database: images are analysed but not matched; start with --feeds DIR or run `crowsnest db import`"
        ),
    }
}

/// Serves the API over plain HTTP on `listener`, with the scan engine beside it, until
/// `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ConsoleError> {
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
    });
    serve_on(listener, router(state.clone()), state, shutdown).await
}

/// Serves the API over HTTPS (HTTP/1.1) with `tls`; every response carries
/// `Strict-Transport-Security`, so browsers keep to HTTPS.
pub async fn serve_tls(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ConsoleError> {
    let app = router(state.clone())
        .layer(axum::Extension(crate::session::OverTls))
        .layer(axum::middleware::map_response(hsts));
    serve_on(TlsListener::new(listener, tls), app, state, shutdown).await
}

async fn hsts(mut response: axum::response::Response) -> axum::response::Response {
    response.headers_mut().insert(
        axum::http::header::STRICT_TRANSPORT_SECURITY,
        axum::http::HeaderValue::from_static("max-age=31536000"),
    );
    response
}

async fn serve_on<L>(
    listener: L,
    app: axum::Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), ConsoleError>
where
    L: axum::serve::Listener<Addr = SocketAddr>,
{
    let stop_engine = tokio_util::sync::CancellationToken::new();
    let engine = tokio::spawn(state.engine.clone().run(stop_engine.clone()));
    let config = state.config.clone();
    let served = crate::connections::serve(listener, app, &config, shutdown).await;
    stop_engine.cancel();
    if let Err(e) = engine.await {
        tracing::error!(error = %e, "the scan engine ended abnormally");
    }
    served
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}
