//! `crowsnest worker`: a scanner node of a cluster. It shares the Consoles' PostgreSQL store,
//! claims image jobs of their scans, and scans them with its own copy of the vulnerability
//! database (`<data-dir>/vulndb/`, built from `--feeds` at first start, reloaded when
//! `crowsnest db import` or `db update` replaces it). It needs the cluster's master key (the
//! `master.key` file in its data dir, or `CROWSNEST_MASTER_KEY`) to unseal registry credentials,
//! and refuses to start with another one. SIGTERM or Ctrl-C: it claims nothing more, finishes
//! the images in hand within `--grace-seconds`, and returns the rest to the queue.

use super::Global;
use crowsnest_scanner::{Engine, EngineConfig, WorkerOptions};
use crowsnest_store::{MasterKey, SecretBox, StoreError};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[derive(Debug, clap::Args)]
pub(crate) struct WorkerArgs {
    /// The cluster's store: postgres://USER:PASSWORD@HOST:PORT/DATABASE (also read from
    /// CROWSNEST_DATABASE_URL).
    #[arg(long, env = "CROWSNEST_DATABASE")]
    database: Option<String>,
    /// Images scanned at once.
    #[arg(long, env = "CROWSNEST_WORKER_CONCURRENCY", default_value_t = 4)]
    concurrency: usize,
    /// Local mirror of the vulnerability feeds, to build this node's database at first start.
    #[arg(long, env = "CROWSNEST_FEEDS")]
    feeds: Option<PathBuf>,
    /// Seconds the images in hand may take after a shutdown request.
    #[arg(long, default_value_t = 30)]
    grace_seconds: u64,
    /// Seconds a claimed job stays this node's without a heartbeat (renewed every third).
    #[arg(long, default_value_t = 120)]
    lease_seconds: u64,
}

pub(crate) async fn run(args: WorkerArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let Some(url) = args
        .database
        .clone()
        .or_else(|| std::env::var("CROWSNEST_DATABASE_URL").ok())
        .filter(|u| crowsnest_store::is_shared_url(u))
    else {
        eprintln!(
            "error: a worker needs the cluster's PostgreSQL store: --database postgres://… \
             (or CROWSNEST_DATABASE_URL)"
        );
        return Ok(ExitCode::from(2));
    };
    std::fs::create_dir_all(&global.data_dir)?;
    let key = MasterKey::load_or_create(
        &global.data_dir,
        std::env::var("CROWSNEST_MASTER_KEY").ok().as_deref(),
    )?;
    let store = match crowsnest_store::open(&url, SecretBox::new(&key)).await {
        Ok(s) => s,
        Err(e @ (StoreError::WrongMasterKey(_) | StoreError::UnsupportedUrl(_))) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::from(2));
        }
        Err(e) => return Err(e.into()),
    };
    let db_path = crowsnest_vulndb::default_path(&global.data_dir);
    if let Some(feeds) = &args.feeds
        && crowsnest_vulndb::Database::read_status(&db_path).is_err()
    {
        tracing::info!(feeds = %feeds.display(), "building this worker's vulnerability database");
        let feeds = feeds.clone();
        let path = db_path.clone();
        tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
            let (db, _) = crowsnest_vulndb::Database::build(
                &[feeds],
                &crowsnest_vulndb::ImportOptions::new(),
            )?;
            db.write_atomic(&path)?;
            Ok(())
        })
        .await??;
    }
    let mut config = EngineConfig::new(db_path);
    config.node = crowsnest_console::node_name("worker");
    config.single_node = false;
    config.periodic = None;
    config.lease = Duration::from_secs(args.lease_seconds.max(3));
    let engine = Engine::new(store, config);
    let options = WorkerOptions {
        concurrency: args.concurrency.max(1),
        grace: Duration::from_secs(args.grace_seconds),
        ..WorkerOptions::default()
    };
    let shutdown = CancellationToken::new();
    let signal = shutdown.clone();
    tokio::spawn(async move {
        crowsnest_console::shutdown_signal().await;
        signal.cancel();
    });
    tracing::info!(concurrency = options.concurrency, "worker started");
    let ran = engine.run_worker(options, shutdown).await;
    tracing::info!(jobs = ran, "worker stopped");
    Ok(ExitCode::SUCCESS)
}
