//! The scan engine: turns scan requests into persisted scans and works them off.
//!
//! A scan is a row in the store with one row per registry specification and one job per image.
//! Nothing lives only in memory: a supervisor picks up every running scan it is not yet working
//! on (at start that resumes scans a killed process left behind), discovers each specification's
//! images into jobs, and claims jobs with a lease, so several nodes on one store can share them.
//! Up to `parallel_specs` specifications run at once, and each scans at most `scanners` images
//! at once. Stopping a scan marks it and its open jobs in the store first, then cancels the
//! tasks, so progress shows "stopped" at once and no job is half-written: a result is stored in
//! one statement after its image is fully analysed and matched.
//!
//! Per image, the cheapest path wins: an image whose manifest digest is unchanged and whose
//! findings came from the current vulnerability database is not touched; an unchanged image with
//! findings from an older database is re-matched from its stored inventory; only a new digest is
//! pulled, and then only layers the cache has not seen.
//!
//! The engine is split along its seams:
//!
//! | module | owns |
//! |---|---|
//! | [`supervisor`] | the run loop, [`Engine::step`] (one unit of work, for tests), periodic scans |
//! | [`control`] | scan requests, selection of specifications, stop |
//! | [`spec_run`] | one specification's part of a scan: connect, discover into jobs, run workers |
//! | [`job`] | one image: the cheapest path, retries of transient registry failures |
//! | [`assess`] | inventory → findings → policies → the stored result; re-matching |
//! | [`views`] | progress and status as the API shows them, scan errors |
//! | [`worker`] | a worker node ([`Engine::run_worker`]): claims jobs of every running scan |
//!
//! **Several nodes on one store** (PostgreSQL; `single_node` false): every job is claimed with a
//! lease that its holder renews while it works (a heartbeat every third of the lease), results
//! are stored only while the lease holds ([`ResultStore::put_image_leased`]), and expired leases
//! return to the queue. A Console with `local_workers` false only schedules: it discovers,
//! waits for the workers and ends the scans.
//!
//! [`ResultStore::put_image_leased`]: crowsnest_store::ResultStore::put_image_leased
//!
//! Time comes from the injected [`Clock`] (`EngineConfig::clock`), never from the wall clock
//! directly, so tests move it by hand.

mod assess;
mod control;
mod job;
mod spec_run;
mod supervisor;
mod views;
mod worker;

pub use assess::{assess, evaluate, match_findings};
pub use supervisor::Step;
pub use worker::WorkerOptions;

use crate::cache::StoreLayerCache;
use crate::error::ScanError;
use crowsnest_analyzer::{Analyzer, Limits};
use crowsnest_model::clock::{Clock, SystemClock};
use crowsnest_registry::DiscoveryOptions;
use crowsnest_store::Store;
use crowsnest_vulndb::Database;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// How many recent scan errors `GET /statuses/registry` shows.
const KEPT_ERRORS: u64 = 10;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// This node's name in leases and results (`hostname` in Prisma's shapes).
    pub node: String,
    /// Registry specifications scanned at once (Prisma's default is 4).
    pub parallel_specs: usize,
    /// Images scanned at once for a specification whose `scanners` is 0.
    pub default_scanners: usize,
    /// How long a claimed job is reserved for this node.
    pub lease: Duration,
    /// Time between regular scans; `None` disables the periodic scan.
    pub periodic: Option<Duration>,
    /// Results of images no longer in their registry are kept this many days.
    pub retention_days: i64,
    /// Path of the vulnerability database file.
    pub db_path: PathBuf,
    pub discovery: DiscoveryOptions,
    pub limits: Limits,
    /// True when no other node shares the store (SQLite): at start every running job is this
    /// node's own leftover and can be taken back at once. False: leases are renewed, results
    /// fenced by them, and a specification ends when no node has a job of it left.
    pub single_node: bool,
    /// Whether this node scans images itself. False for a Console that only schedules
    /// (`serve --workers 0`): worker nodes scan.
    pub local_workers: bool,
    /// Tries per image when the registry is unreachable or busy (see
    /// [`ScanError::is_transient`]); 1 fails the image at the first such error.
    pub image_attempts: u32,
    /// The wait before an image's second try; it doubles for each further one. With the
    /// defaults (5 tries, 2 s) a registry may be away about 30 s without failing an image.
    pub image_retry_backoff: Duration,
    /// Where the engine reads the time (the Console's clock, or a manual one in tests).
    pub clock: Arc<dyn Clock>,
}

impl EngineConfig {
    pub fn new(db_path: PathBuf) -> EngineConfig {
        EngineConfig {
            node: "crowsnest".into(),
            parallel_specs: 4,
            default_scanners: 2,
            lease: Duration::from_secs(600),
            periodic: Some(Duration::from_secs(24 * 3600)),
            retention_days: 30,
            db_path,
            discovery: DiscoveryOptions::default(),
            limits: Limits::default(),
            single_node: true,
            local_workers: true,
            image_attempts: 5,
            image_retry_backoff: Duration::from_secs(2),
            clock: Arc::new(SystemClock),
        }
    }
}

struct Inner {
    store: Arc<dyn Store>,
    config: EngineConfig,
    analyzer: Analyzer,
    cache: StoreLayerCache,
    db: RwLock<Option<Arc<Database>>>,
    /// Scans this node is working on, with the token that stops them.
    running: Mutex<HashMap<i64, CancellationToken>>,
    /// Modification time of the database file when it was loaded: a newer file is reloaded.
    db_mtime: Mutex<Option<std::time::SystemTime>>,
    /// The database build whose results were last re-matched.
    rematched: Mutex<String>,
    /// Scan errors the store refused (time, message), oldest first: see [`Engine::record_error`].
    unsaved_errors: Mutex<VecDeque<(String, String)>>,
    wake: Notify,
}

/// A handle to the engine; cheap to clone.
#[derive(Clone)]
pub struct Engine {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("node", &self.inner.config.node)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, config: EngineConfig) -> Engine {
        let analyzer = Analyzer::new(config.limits);
        let cache = StoreLayerCache::new(store.clone());
        let engine = Engine {
            inner: Arc::new(Inner {
                store,
                config,
                analyzer,
                cache,
                db: RwLock::new(None),
                running: Mutex::new(HashMap::new()),
                unsaved_errors: Mutex::new(VecDeque::new()),
                db_mtime: Mutex::new(None),
                rematched: Mutex::new(String::new()),
                wake: Notify::new(),
            }),
        };
        if let Err(e) = engine.reload_db() {
            tracing::warn!(error = %e, "no vulnerability database loaded; images are analysed but not matched until one is imported");
        }
        engine
    }

    /// The engine's time.
    fn now(&self) -> jiff::Timestamp {
        self.inner.config.clock.now()
    }

    fn store(&self) -> &dyn Store {
        self.inner.store.as_ref()
    }

    /// (Re)loads the vulnerability database from its file. Stored results from another build are
    /// re-matched by the supervisor without pulling anything.
    pub fn reload_db(&self) -> Result<(), ScanError> {
        let mtime = std::fs::metadata(&self.inner.config.db_path)
            .and_then(|m| m.modified())
            .ok();
        let db = Database::open(&self.inner.config.db_path)
            .map_err(|e| ScanError::Database(e.to_string()))?;
        *self.inner.db.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(db));
        *lock(&self.inner.db_mtime) = mtime;
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Reloads the database when another process (`crowsnest db import`) replaced the file; it
    /// is replaced atomically, so a newer modification time means a complete new build.
    fn reload_db_if_replaced(&self) {
        let on_disk = std::fs::metadata(&self.inner.config.db_path)
            .and_then(|m| m.modified())
            .ok();
        if on_disk.is_some() && on_disk != *lock(&self.inner.db_mtime) {
            match self.reload_db() {
                Ok(()) => tracing::info!("loaded the replaced vulnerability database"),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot load the replaced vulnerability database");
                    *lock(&self.inner.db_mtime) = on_disk;
                }
            }
        }
    }

    fn db(&self) -> Option<Arc<Database>> {
        self.inner
            .db
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The build id of the loaded database (`""` when none).
    pub fn db_version(&self) -> String {
        self.db().map(|d| db_version(&d)).unwrap_or_default()
    }
}

/// Identifies a database build: its build time and size (two builds within one second differ
/// in content, and so in counts, in every realistic case).
fn db_version(db: &Database) -> String {
    let s = db.status();
    format!("{}-{}-{}", s.built_at, s.advisories, s.entries)
}
