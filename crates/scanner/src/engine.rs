//! The scan engine: turns scan requests into persisted scans and works them off.
//!
//! A scan is a row in the store with one row per registry specification and one job per image.
//! Nothing lives only in memory: a supervisor task picks up every running scan it is not yet
//! working on (at start that resumes scans a killed process left behind), discovers each
//! specification's images into jobs, and claims jobs with a lease, so several nodes on one
//! PostgreSQL store could share them. Up to `parallel_specs` specifications run at once, and each
//! scans at most `scanners` images at once. Stopping a scan marks it and its open jobs in the store
//! first, then cancels the tasks, so progress shows "stopped" at once and no job is half-written:
//! a result is stored in one statement after its image is fully analysed and matched.
//!
//! Per image, the cheapest path wins: an image whose manifest digest is unchanged and whose
//! findings came from the current vulnerability database is not touched; an unchanged image with
//! findings from an older database is re-matched from its stored inventory; only a new digest is
//! pulled, and then only layers the cache has not seen.

use crate::cache::StoreLayerCache;
use crate::error::ScanError;
use crate::image::analyze_registry_image;
use crate::report::{ImageIdentity, StoredImage, build_result, image_key, vulnerabilities};
use crowsnest_analyzer::{Analyzer, Limits};
use crowsnest_model::inventory::FileFlag;
use crowsnest_model::pattern::Selection;
use crowsnest_model::scan_result::{
    ImageTag, Progress, RegistryScanProgress, RegistryScanRequest, ScanStatus,
};
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_policy::{
    COLLECTION_DOCUMENT_KIND, COMPLIANCE_POLICY_ID, ComplianceInput, FileFinding, FileKind,
    POLICY_DOCUMENT_KIND, PolicySet, VULNERABILITY_POLICY_ID, evaluate_image,
};
use crowsnest_registry::{
    Credentials, DiscoveryOptions, RegistryAuth, RegistryClient, TargetPlatform,
};
use crowsnest_store::{ImageRecord, JobRecord, ScanRecord, ScanSpecRecord, Store, StoreError};
use crowsnest_vulndb::{Database, MatchOptions, Matcher};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
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
    /// node's own leftover and can be taken back at once.
    pub single_node: bool,
    /// Tries per image when the registry is unreachable or busy (see
    /// [`ScanError::is_transient`]); 1 fails the image at the first such error.
    pub image_attempts: u32,
    /// The wait before an image's second try; it doubles for each further one. With the
    /// defaults (5 tries, 2 s) a registry may be away about 30 s without failing an image.
    pub image_retry_backoff: Duration,
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
            image_attempts: 5,
            image_retry_backoff: Duration::from_secs(2),
        }
    }
}

/// What a scan row's `request` holds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct ScanPlan {
    /// Only these specifications (`POST /registry/scan/select`, on-demand scans).
    spec_ids: Option<Vec<String>>,
    /// Only this image.
    image: Option<ImageTag>,
}

struct Inner {
    store: Arc<dyn Store>,
    config: EngineConfig,
    analyzer: Analyzer,
    cache: StoreLayerCache,
    db: RwLock<Option<Arc<Database>>>,
    /// Scans this node is working on, with the token that stops them.
    running: Mutex<HashMap<i64, CancellationToken>>,
    /// Specifications stopped one by one (`POST /registry/stop/{id}`), per scan.
    stopped_specs: Mutex<HashSet<(i64, String)>>,
    /// Modification time of the database file when it was loaded: a newer file is reloaded.
    db_mtime: Mutex<Option<std::time::SystemTime>>,
    /// On-demand scans whose finished progress was already reported once.
    reported: Mutex<HashSet<i64>>,
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

fn now() -> jiff::Timestamp {
    jiff::Timestamp::now()
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
                stopped_specs: Mutex::new(HashSet::new()),
                reported: Mutex::new(HashSet::new()),
                unsaved_errors: Mutex::new(VecDeque::new()),
                db_mtime: Mutex::new(None),
                wake: Notify::new(),
            }),
        };
        if let Err(e) = engine.reload_db() {
            tracing::warn!(error = %e, "no vulnerability database loaded; images are analysed but not matched until one is imported");
        }
        engine
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

    /// Runs the supervisor until `shutdown` is cancelled.
    pub async fn run(self, shutdown: CancellationToken) {
        if self.inner.config.single_node {
            match self.inner.store.release_expired_leases(i64::MAX).await {
                Ok(n) if n > 0 => {
                    tracing::info!(jobs = n, "resuming jobs an earlier run left unfinished")
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "cannot release old leases"),
            }
        }
        let mut last_rematch = String::new();
        loop {
            if let Err(e) = self.tick(&shutdown).await {
                tracing::error!(error = %e, "scan supervisor");
            }
            // `crowsnest db import` in another process replaces the file atomically: pick it up.
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
            let version = self.db_version();
            if !version.is_empty() && version != last_rematch {
                match self.rematch_all().await {
                    Ok(n) => {
                        if n > 0 {
                            tracing::info!(
                                images = n,
                                "re-matched stored inventories against the new vulnerability database"
                            );
                        }
                        last_rematch = version;
                    }
                    Err(e) => tracing::error!(error = %e, "re-matching stored images"),
                }
            }
            tokio::select! {
                _ = shutdown.cancelled() => break,
                _ = self.inner.wake.notified() => {},
                _ = tokio::time::sleep(Duration::from_secs(1)) => {},
            }
        }
        // Leave running scans as they are: the next start resumes them.
        for token in lock(&self.inner.running).values() {
            token.cancel();
        }
    }

    async fn tick(&self, shutdown: &CancellationToken) -> Result<(), ScanError> {
        let store = &self.inner.store;
        if !self.inner.config.single_node {
            store.release_expired_leases(now().as_second()).await?;
        }
        if let Some(period) = self.inner.config.periodic {
            let due = match store.latest_scan("regular").await? {
                None => false,
                Some(last) if last.state == "running" => false,
                Some(last) => last.started.parse::<jiff::Timestamp>().is_ok_and(|t| {
                    now().duration_since(t)
                        >= jiff::SignedDuration::try_from(period)
                            .unwrap_or(jiff::SignedDuration::MAX)
                }),
            };
            if due {
                let _ = self.request_scan(None).await;
            }
        }
        for scan in store.scans_in_state("running").await? {
            let token = {
                let mut running = lock(&self.inner.running);
                if running.contains_key(&scan.id) {
                    continue;
                }
                let token = shutdown.child_token();
                running.insert(scan.id, token.clone());
                token
            };
            let engine = self.clone();
            tokio::spawn(async move {
                let id = scan.id;
                if let Err(e) = engine.run_scan(scan, token).await {
                    tracing::error!(scan = id, error = %e, "scan failed");
                    engine.record_error(&e.to_string()).await;
                    let _ = engine
                        .inner
                        .store
                        .finish_scan(id, "failed", &now().to_string())
                        .await;
                }
                lock(&engine.inner.running).remove(&id);
            });
        }
        Ok(())
    }

    /// `POST /registry/scan`: no body is a regular scan of every specification; a `tag` alone is
    /// a regular rescan of that image; `onDemandScan` scans one image beside the regular scan,
    /// which must fall inside a configured specification.
    pub async fn request_scan(
        &self,
        request: Option<RegistryScanRequest>,
    ) -> Result<ScanRecord, ScanError> {
        let request = request.unwrap_or_default();
        let now = now().to_string();
        let (kind, plan) = match (&request.tag, request.on_demand_scan) {
            (None, true) => {
                return Err(ScanError::Request(
                    "an on-demand scan needs tag.repo and tag.tag (or tag.digest)".into(),
                ));
            }
            (None, false) => ("regular", ScanPlan::default()),
            (Some(tag), on_demand) => {
                if tag.repo.is_empty() || (tag.tag.is_empty() && tag.digest.is_empty()) {
                    return Err(ScanError::Request(
                        "tag.repo and tag.tag (or tag.digest) are required".into(),
                    ));
                }
                let spec = self.spec_for(tag).await?;
                let kind = if on_demand { "onDemand" } else { "regular" };
                (
                    kind,
                    ScanPlan {
                        spec_ids: Some(vec![spec.id]),
                        image: Some(tag.clone()),
                    },
                )
            }
        };
        self.create_scan(kind, &plan, &now).await
    }

    /// Persists a new scan and wakes the supervisor; a running regular scan is a 400-class error.
    async fn create_scan(
        &self,
        kind: &str,
        plan: &ScanPlan,
        now: &str,
    ) -> Result<ScanRecord, ScanError> {
        let body = serde_json::to_string(plan).unwrap_or_default();
        let scan = self
            .inner
            .store
            .create_scan(kind, &body, now)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(m) => ScanError::Request(m),
                other => other.into(),
            })?;
        self.inner.wake.notify_one();
        Ok(scan)
    }

    /// `POST /registry/scan/select`: a regular scan of the specifications the requests name
    /// (by `settings.id`, or by registry and repository).
    pub async fn request_select(
        &self,
        requests: Vec<RegistryScanRequest>,
    ) -> Result<ScanRecord, ScanError> {
        let specs = self.inner.store.registry_settings().await?.specifications;
        let mut ids = Vec::new();
        for r in &requests {
            let found: Vec<&RegistrySpecification> = specs
                .iter()
                .filter(|s| match (&r.settings, &r.tag) {
                    (Some(want), _) if !want.id.is_empty() => s.id == want.id,
                    (Some(want), _) => {
                        s.registry == want.registry && s.repository == want.repository
                    }
                    (None, Some(tag)) => {
                        s.registry == tag.registry
                            && Selection::new(&s.repository, &s.excluded_repositories)
                                .matches(&tag.repo)
                    }
                    (None, None) => false,
                })
                .collect();
            if found.is_empty() {
                return Err(ScanError::Request(
                    "a selected registry matches no configured registry specification".into(),
                ));
            }
            ids.extend(found.into_iter().map(|s| s.id.clone()));
        }
        if ids.is_empty() {
            return Err(ScanError::Request("select at least one registry".into()));
        }
        let plan = ScanPlan {
            spec_ids: Some(ids),
            image: None,
        };
        self.create_scan("regular", &plan, &now().to_string()).await
    }

    async fn spec_for(&self, tag: &ImageTag) -> Result<RegistrySpecification, ScanError> {
        let specs = self.inner.store.registry_settings().await?.specifications;
        specs
            .into_iter()
            .find(|s| {
                registry_name(&s.registry) == registry_name(&tag.registry)
                    && Selection::new(&s.repository, &s.excluded_repositories).matches(&tag.repo)
                    && (tag.tag.is_empty()
                        || Selection::new(&s.tag, &s.excluded_tags).matches(&tag.tag))
            })
            .ok_or_else(|| {
                ScanError::Request(format!(
                    "image {} is not in the scope of any configured registry specification",
                    image_key(
                        &tag.registry,
                        &tag.repo,
                        if tag.tag.is_empty() {
                            &tag.digest
                        } else {
                            &tag.tag
                        }
                    )
                ))
            })
    }

    /// `POST /registry/stop`: stops the running regular scan. True if there was one.
    pub async fn stop_regular(&self) -> Result<bool, ScanError> {
        let mut stopped = false;
        for scan in self.inner.store.scans_in_state("running").await? {
            if scan.kind != "regular" {
                continue;
            }
            self.inner
                .store
                .finish_scan(scan.id, "stopped", &now().to_string())
                .await?;
            self.inner.store.cancel_jobs(scan.id, None).await?;
            for spec in self.inner.store.scan_specs(scan.id).await? {
                if matches!(spec.state.as_str(), "discovering" | "scanning") {
                    self.inner
                        .store
                        .put_scan_spec(&ScanSpecRecord {
                            state: "stopped".into(),
                            ..spec
                        })
                        .await?;
                }
            }
            if let Some(token) = lock(&self.inner.running).get(&scan.id) {
                token.cancel();
            }
            stopped = true;
        }
        Ok(stopped)
    }

    /// `POST /registry/stop/{id}`: stops one specification's part of the running regular scan.
    pub async fn stop_spec(&self, spec_id: &str) -> Result<bool, ScanError> {
        let Some(scan) = self
            .inner
            .store
            .scans_in_state("running")
            .await?
            .into_iter()
            .find(|s| s.kind == "regular")
        else {
            return Ok(false);
        };
        lock(&self.inner.stopped_specs).insert((scan.id, spec_id.to_string()));
        self.inner.store.cancel_jobs(scan.id, Some(spec_id)).await?;
        if let Some(spec) = self
            .inner
            .store
            .scan_specs(scan.id)
            .await?
            .into_iter()
            .find(|s| s.spec_id == spec_id)
        {
            self.inner
                .store
                .put_scan_spec(&ScanSpecRecord {
                    state: "stopped".into(),
                    ..spec
                })
                .await?;
        } else {
            // Not started yet: record it as stopped so the runner skips it.
            self.inner
                .store
                .put_scan_spec(&ScanSpecRecord {
                    scan_id: scan.id,
                    spec_id: spec_id.to_string(),
                    spec: String::new(),
                    state: "stopped".into(),
                    repos_total: 0,
                    repos_done: 0,
                    error: String::new(),
                    started: now().to_string(),
                })
                .await?;
        }
        Ok(true)
    }

    fn spec_stopped(&self, scan_id: i64, spec_id: &str) -> bool {
        lock(&self.inner.stopped_specs).contains(&(scan_id, spec_id.to_string()))
    }

    async fn run_scan(&self, scan: ScanRecord, token: CancellationToken) -> Result<(), ScanError> {
        let plan: ScanPlan = serde_json::from_str(&scan.request).unwrap_or_default();
        let specs: Vec<RegistrySpecification> = self
            .inner
            .store
            .registry_settings()
            .await?
            .specifications
            .into_iter()
            .filter(|s| plan.spec_ids.as_ref().is_none_or(|ids| ids.contains(&s.id)))
            .collect();
        let limit = Arc::new(Semaphore::new(self.inner.config.parallel_specs.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for spec in specs {
            let engine = self.clone();
            let token = token.clone();
            let limit = limit.clone();
            let plan = plan.clone();
            let scan = scan.clone();
            tasks.spawn(async move {
                let Ok(_permit) = limit.acquire_owned().await else { return };
                let spec_id = spec.id.clone();
                if let Err(e) = engine.run_spec(&scan, spec, &plan, &token).await {
                    tracing::warn!(scan = scan.id, spec = %spec_id, error = %e, "registry specification failed");
                    engine.record_error(&e.to_string()).await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        if token.is_cancelled() {
            return Ok(());
        }
        let finished = self
            .inner
            .store
            .finish_scan(scan.id, "completed", &now().to_string())
            .await?;
        if finished && scan.kind == "regular" && plan.spec_ids.is_none() && plan.image.is_none() {
            let cutoff = now()
                - jiff::SignedDuration::from_hours(24 * self.inner.config.retention_days.max(0));
            let purged = self
                .inner
                .store
                .purge_images_unseen_since(&cutoff.to_string())
                .await?;
            if purged > 0 {
                tracing::info!(
                    images = purged,
                    "purged results of images gone from their registries"
                );
            }
        }
        Ok(())
    }

    async fn credentials(&self, spec: &RegistrySpecification) -> Result<Credentials, ScanError> {
        let mut creds = Credentials::anonymous();
        if !spec.credential_id.is_empty() {
            let cred = self
                .inner
                .store
                .credential(&spec.credential_id)
                .await?
                .ok_or_else(|| {
                    ScanError::Credential(spec.credential_id.clone(), "does not exist".into())
                })?;
            let reveal = |s: &crowsnest_model::credential::Secret| -> Result<String, ScanError> {
                if s.encrypted.is_empty() {
                    return Ok(String::new());
                }
                self.inner
                    .store
                    .reveal(s)
                    .map_err(|e| ScanError::Credential(cred.id.clone(), e.to_string()))
            };
            creds.auth = match cred.kind.as_str() {
                "basic" | "dtr" => RegistryAuth::Basic {
                    username: cred.account_id.clone(),
                    password: reveal(&cred.secret)?,
                },
                "apiToken" | "gitlabToken" => RegistryAuth::Basic {
                    username: cred.account_id.clone(),
                    password: reveal(&cred.api_token)?,
                },
                "certificate" => {
                    let pem = reveal(&cred.secret)?;
                    let (cert, key) = split_pem(&pem).ok_or_else(|| {
                        ScanError::Credential(
                            cred.id.clone(),
                            "the secret must hold a PEM certificate and its private key".into(),
                        )
                    })?;
                    RegistryAuth::ClientCert {
                        cert_pem: cert,
                        key_pem: key,
                    }
                }
                other => {
                    return Err(ScanError::Credential(
                        cred.id.clone(),
                        format!(
                            "credential type {other:?} is not supported for registry scanning yet"
                        ),
                    ));
                }
            };
            creds.skip_verify = cred.skip_verify;
            if !cred.ca_cert.is_empty() {
                creds.ca_cert_pem = Some(cred.ca_cert.clone());
            }
        }
        if !spec.ca_cert.is_empty() {
            creds.ca_cert_pem = Some(spec.ca_cert.clone());
        }
        Ok(creds)
    }

    async fn run_spec(
        &self,
        scan: &ScanRecord,
        spec: RegistrySpecification,
        plan: &ScanPlan,
        token: &CancellationToken,
    ) -> Result<(), ScanError> {
        let store = &self.inner.store;
        let existing = store
            .scan_specs(scan.id)
            .await?
            .into_iter()
            .find(|s| s.spec_id == spec.id);
        if existing
            .as_ref()
            .is_some_and(|s| matches!(s.state.as_str(), "done" | "stopped" | "failed"))
            || self.spec_stopped(scan.id, &spec.id)
        {
            return Ok(());
        }
        let started = existing
            .as_ref()
            .map_or_else(|| now().to_string(), |s| s.started.clone());
        let mut record = existing.unwrap_or(ScanSpecRecord {
            scan_id: scan.id,
            spec_id: spec.id.clone(),
            spec: serde_json::to_string(&spec).unwrap_or_default(),
            state: "discovering".into(),
            repos_total: 0,
            repos_done: 0,
            error: String::new(),
            started,
        });
        let creds = match self.credentials(&spec).await {
            Ok(c) => c,
            Err(e) => {
                record.state = "failed".into();
                record.error = e.to_string();
                store.put_scan_spec(&record).await?;
                return Err(e);
            }
        };
        if record.state == "discovering" {
            store.put_scan_spec(&record).await?;
            let jobs = match &plan.image {
                Some(tag) => vec![JobRecord {
                    id: 0,
                    scan_id: scan.id,
                    spec_id: spec.id.clone(),
                    registry: registry_name(&spec.registry),
                    repo: tag.repo.clone(),
                    tag: if tag.tag.is_empty() {
                        tag.digest.clone()
                    } else {
                        tag.tag.clone()
                    },
                    digest: tag.digest.clone(),
                    created: None,
                    state: "pending".into(),
                    attempts: 0,
                    error: String::new(),
                }],
                None => {
                    let report = tokio::select! {
                        r = crowsnest_registry::discover(&spec, creds.clone(), &self.inner.config.discovery) => r,
                        _ = token.cancelled() => return Ok(()),
                    };
                    let report = match report {
                        Ok(r) => r,
                        Err(e) => {
                            let message = format!(
                                "Failed to retrieve repositories info from registry {}: {e}",
                                if spec.registry.is_empty() {
                                    "Docker Hub"
                                } else {
                                    spec.registry.as_str()
                                }
                            );
                            record.state = "failed".into();
                            record.error = message.clone();
                            store.put_scan_spec(&record).await?;
                            return Err(ScanError::Request(message));
                        }
                    };
                    for e in &report.errors {
                        store
                            .push_scan_error(
                                &now().to_string(),
                                &format!("Failed to query image details: {e}"),
                                KEPT_ERRORS,
                            )
                            .await?;
                    }
                    let repos: HashSet<&str> = report
                        .images
                        .iter()
                        .map(|i| i.repo.as_str())
                        .chain(report.errors.iter().map(|e| e.repo.as_str()))
                        .collect();
                    record.repos_total = repos.len() as i64;
                    record.repos_done = repos.len() as i64;
                    let keys: Vec<String> = report
                        .images
                        .iter()
                        .map(|i| image_key(&registry_name(&spec.registry), &i.repo, &i.tag))
                        .collect();
                    store.touch_images(&keys, &now().to_string()).await?;
                    report
                        .images
                        .iter()
                        .map(|i| JobRecord {
                            id: 0,
                            scan_id: scan.id,
                            spec_id: spec.id.clone(),
                            registry: registry_name(&spec.registry),
                            repo: i.repo.clone(),
                            tag: i.tag.clone(),
                            digest: i.digest.to_string(),
                            created: i.created.map(|c| c.to_string()),
                            state: "pending".into(),
                            attempts: 0,
                            error: String::new(),
                        })
                        .collect()
                }
            };
            if plan.image.is_some() {
                record.repos_total = 1;
                record.repos_done = 1;
            }
            store.insert_jobs(&jobs).await?;
            if token.is_cancelled() || self.spec_stopped(scan.id, &spec.id) {
                return Ok(());
            }
            record.state = "scanning".into();
            store.put_scan_spec(&record).await?;
        }
        let address = if spec.is_docker_hub() {
            self.inner.config.discovery.docker_hub.clone()
        } else {
            spec.registry.clone()
        };
        let client =
            RegistryClient::new(&address, creds, self.inner.config.discovery.client.clone())
                .map_err(|e| ScanError::Registry {
                    image: address.clone(),
                    source: e,
                })?;
        let platform = TargetPlatform::from_spec_os(&spec.os)
            .map_err(|e| ScanError::Request(e.to_string()))?;
        let scanners = usize::try_from(spec.scanners)
            .ok()
            .filter(|n| *n > 0)
            .unwrap_or(self.inner.config.default_scanners);
        // `scanners` workers, each taking one job at a time: a hanging image holds one worker,
        // not a whole batch.
        let worker = |_: usize| async {
            loop {
                if token.is_cancelled() || self.spec_stopped(scan.id, &spec.id) {
                    return Ok::<bool, ScanError>(false);
                }
                let lease_until = (now()
                    + jiff::SignedDuration::try_from(self.inner.config.lease).unwrap_or_default())
                .as_second();
                let mut jobs = store
                    .claim_jobs(scan.id, &spec.id, &self.inner.config.node, lease_until, 1)
                    .await?;
                let Some(job) = jobs.pop() else {
                    let counts = store.job_counts(scan.id, Some(&spec.id)).await?;
                    if counts.pending == 0 {
                        // What is still running belongs to the other workers (or nodes).
                        return Ok(true);
                    }
                    tokio::select! {
                        _ = token.cancelled() => return Ok(false),
                        _ = tokio::time::sleep(Duration::from_millis(500)) => continue,
                    }
                };
                self.scan_job(scan, &spec, &client, platform, job, token)
                    .await;
            }
        };
        let outcomes = futures_util::future::join_all((0..scanners).map(worker)).await;
        let mut finished = true;
        for o in outcomes {
            finished &= o?;
        }
        if !finished {
            return Ok(());
        }
        record.state = "done".into();
        store.put_scan_spec(&record).await?;
        Ok(())
    }

    async fn scan_job(
        &self,
        scan: &ScanRecord,
        spec: &RegistrySpecification,
        client: &RegistryClient,
        platform: TargetPlatform,
        job: JobRecord,
        token: &CancellationToken,
    ) {
        let store = &self.inner.store;
        let outcome = self
            .scan_image(scan, spec, client, platform, &job, token)
            .await;
        // A registry that is restarting or rate limiting: wait, then put the image back in the
        // queue, a bounded number of times. The worker itself waits, so an unreachable registry
        // is not hammered with the next images meanwhile; a stop ends the wait at once.
        let retry = matches!(&outcome, Err(e) if e.is_transient())
            && job.attempts < i64::from(self.inner.config.image_attempts);
        let mut outcome = outcome;
        if retry && let Err(e) = &outcome {
            let wait = retry_wait(self.inner.config.image_retry_backoff, job.attempts);
            tracing::warn!(
                error = %e,
                attempt = job.attempts,
                wait_secs = wait.as_secs_f64(),
                "registry unreachable or busy; retrying the image after a wait"
            );
            tokio::select! {
                _ = token.cancelled() => {
                    let image = image_key(&job.registry, &job.repo, &job.tag);
                    outcome = Err(ScanError::Cancelled { image });
                }
                _ = tokio::time::sleep(wait) => {}
            }
        }
        let (state, error) = match &outcome {
            Ok(()) => ("done", String::new()),
            Err(e) if retry && e.is_transient() => {
                if self.spec_stopped(scan.id, &spec.id) {
                    ("cancelled", String::new())
                } else {
                    ("pending", e.to_string())
                }
            }
            // Stopped by a user: cancelled. Interrupted by a shutdown while the scan still runs:
            // back to pending, so the next start picks it up again.
            Err(ScanError::Cancelled { .. }) => {
                let still_running =
                    matches!(store.scan(scan.id).await, Ok(Some(s)) if s.state == "running");
                if still_running && !self.spec_stopped(scan.id, &spec.id) {
                    ("pending", String::new())
                } else {
                    ("cancelled", String::new())
                }
            }
            Err(e) => ("failed", e.to_string()),
        };
        if state == "failed" {
            tracing::warn!(error = %error, "image scan failed");
            self.record_error(&error).await;
        }
        if let Err(e) = store.finish_job(job.id, state, &error).await {
            tracing::error!(job = job.id, error = %e, "cannot record the job's end");
        }
    }

    async fn scan_image(
        &self,
        scan: &ScanRecord,
        spec: &RegistrySpecification,
        client: &RegistryClient,
        platform: TargetPlatform,
        job: &JobRecord,
        token: &CancellationToken,
    ) -> Result<(), ScanError> {
        let store = &self.inner.store;
        let key = image_key(&registry_name(&spec.registry), &job.repo, &job.tag);
        let previous = store.image(&key).await?;
        let db = self.db();
        let db_version = self.db_version();
        if let Some(prev) = &previous
            && !job.digest.is_empty()
            && prev.manifest_digest == job.digest
        {
            if prev.db_version == db_version {
                store
                    .touch_images(std::slice::from_ref(&key), &now().to_string())
                    .await?;
                return Ok(());
            }
            let stored: StoredImage =
                serde_json::from_str(&prev.inventory).map_err(StoreError::from)?;
            return self
                .store_result(
                    scan,
                    spec,
                    job,
                    stored,
                    previous.as_ref(),
                    db.as_deref(),
                    0,
                    0,
                )
                .await;
        }
        let started = std::time::Instant::now();
        let reference = if job.digest.is_empty() {
            job.tag.as_str()
        } else {
            job.digest.as_str()
        };
        // Every network wait of the pull ends when the scan is stopped, not only the analysis.
        let analyzed = tokio::select! {
            r = analyze_registry_image(
                client,
                &job.repo,
                reference,
                platform,
                &self.inner.analyzer,
                &self.inner.cache,
                token,
            ) => r?,
            _ = token.cancelled() => return Err(ScanError::Cancelled { image: key }),
        };
        if token.is_cancelled() {
            return Err(ScanError::Cancelled { image: key });
        }
        let pull_ms = analyzed.pull.as_millis() as i64;
        let stored = StoredImage {
            manifest_digest: analyzed.manifest_digest,
            image_id: analyzed.image_id,
            layers: analyzed.layers,
            diff_ids: analyzed.diff_ids,
            created: analyzed.created.map(|c| c.to_string()),
            os: analyzed.os,
            architecture: analyzed.architecture,
            inventory: analyzed.inventory,
        };
        self.store_result(
            scan,
            spec,
            job,
            stored,
            previous.as_ref(),
            db.as_deref(),
            started.elapsed().as_millis() as i64,
            pull_ms,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn store_result(
        &self,
        scan: &ScanRecord,
        spec: &RegistrySpecification,
        job: &JobRecord,
        stored: StoredImage,
        previous: Option<&ImageRecord>,
        db: Option<&Database>,
        scan_ms: i64,
        pull_ms: i64,
    ) -> Result<(), ScanError> {
        let when = now();
        let who = ImageIdentity {
            registry: registry_name(&spec.registry),
            repo: job.repo.clone(),
            tag: job.tag.clone(),
            registry_type: spec.version.clone(),
            collections: spec.collections.clone(),
            scan_time: when,
            first_scan_time: previous.map(|p| p.first_scan_time.clone()),
            scan_id: scan.id,
            scan_duration_ms: scan_ms,
            pull_duration_ms: pull_ms,
            hostname: self.inner.config.node.clone(),
        };
        let policies = self.policies().await?;
        let record = self.build_record(&who, &spec.id, stored, db, &policies)?;
        self.inner.store.put_image(&record).await?;
        Ok(())
    }

    /// The current policies and collections, as the Console stored them (built-ins otherwise).
    async fn policies(&self) -> Result<PolicySet, ScanError> {
        let store = &self.inner.store;
        let vuln = store
            .document(POLICY_DOCUMENT_KIND, VULNERABILITY_POLICY_ID)
            .await?;
        let compliance = store
            .document(POLICY_DOCUMENT_KIND, COMPLIANCE_POLICY_ID)
            .await?;
        let collections = store.documents(COLLECTION_DOCUMENT_KIND).await?;
        PolicySet::from_documents(vuln, compliance, collections)
            .map_err(|e| ScanError::Request(format!("stored policies: {e}")))
    }

    fn build_record(
        &self,
        who: &ImageIdentity,
        spec_id: &str,
        stored: StoredImage,
        db: Option<&Database>,
        policies: &PolicySet,
    ) -> Result<ImageRecord, ScanError> {
        let findings = match db {
            Some(db) => Matcher::with_options(db, MatchOptions::at(who.scan_time.as_second()))
                .match_inventory(&stored.inventory),
            None => Vec::new(),
        };
        let vulns = vulnerabilities(&findings, &stored, &who.scan_time.to_string());
        let inv = &stored.inventory;
        let os = inv.os.clone().unwrap_or_default();
        let identity = crowsnest_policy::ImageIdentity::new(&who.registry, &who.repo, &who.tag)
            .with_config_labels(inv.config.labels.iter(), &os.id, &os.version_id);
        let files: Vec<FileFinding> = inv
            .flagged_files
            .iter()
            .map(|f| {
                let kind = match f.flag {
                    FileFlag::Setuid => FileKind::Setuid,
                    FileFlag::Setgid => FileKind::Setgid,
                    FileFlag::PrivateKey => FileKind::PrivateKey,
                    FileFlag::CloudCredential => FileKind::CloudCredential,
                    FileFlag::SshDaemon => FileKind::SshDaemon,
                };
                FileFinding::new(&format!("/{}", f.path), f.mode, kind)
            })
            .collect();
        let mut compliance = ComplianceInput::new(&inv.config)
            .packages(&inv.packages)
            .files(&files);
        if let Some(created) = stored
            .created
            .as_deref()
            .and_then(|c| c.parse::<jiff::Timestamp>().ok())
        {
            compliance = compliance.created(created);
        }
        let eval = evaluate_image(policies, &identity, &vulns, &compliance, who.scan_time);
        let mut result = build_result(who, &stored, eval.vulnerabilities, eval.compliance_issues);
        result.collections = eval.collections;
        result.policy = Some(eval.verdict);
        let now = who.scan_time.to_string();
        Ok(ImageRecord {
            key: who.key(),
            registry: who.registry.clone(),
            repo: who.repo.clone(),
            tag: who.tag.clone(),
            manifest_digest: stored.manifest_digest.clone(),
            image_id: stored.image_id.clone(),
            spec_id: spec_id.to_string(),
            scan_time: now.clone(),
            first_scan_time: who.first_scan_time.clone().unwrap_or_else(|| now.clone()),
            last_seen: now,
            vulns: result.vulnerabilities_count as i64,
            db_version: db.map(db_version).unwrap_or_default(),
            inventory: serde_json::to_string(&stored).map_err(StoreError::from)?,
            result: serde_json::to_string(&result).map_err(StoreError::from)?,
        })
    }

    /// Re-matches every stored image whose findings came from another database build; nothing
    /// is pulled. Returns how many were updated.
    pub async fn rematch_all(&self) -> Result<u64, ScanError> {
        let Some(db) = self.db() else { return Ok(0) };
        let version = db_version(&db);
        let policies = self.policies().await?;
        let mut updated = 0;
        for (key, v) in self.inner.store.image_db_versions().await? {
            if v == version {
                continue;
            }
            let Some(prev) = self.inner.store.image(&key).await? else {
                continue;
            };
            let stored: StoredImage =
                serde_json::from_str(&prev.inventory).map_err(StoreError::from)?;
            let old: crowsnest_model::scan_result::ImageScanResult =
                serde_json::from_str(&prev.result).unwrap_or_default();
            let who = ImageIdentity {
                registry: prev.registry.clone(),
                repo: prev.repo.clone(),
                tag: prev.tag.clone(),
                registry_type: old.registry_type.clone(),
                collections: old.collections.clone(),
                scan_time: now(),
                first_scan_time: Some(prev.first_scan_time.clone()),
                scan_id: old.scan_id,
                scan_duration_ms: 0,
                pull_duration_ms: 0,
                hostname: self.inner.config.node.clone(),
            };
            let mut record =
                self.build_record(&who, &prev.spec_id, stored, Some(&db), &policies)?;
            record.last_seen = prev.last_seen.clone();
            self.inner.store.put_image(&record).await?;
            updated += 1;
        }
        Ok(updated)
    }

    /// `GET /registry/progress`. Without `on_demand`, the regular scan: one entry per
    /// specification of the latest regular scan. With it, the on-demand scan of `repo` and
    /// `tag`/`digest`; a finished one is reported once, then `[]`.
    pub async fn progress(
        &self,
        on_demand: bool,
        repo: &str,
        tag: &str,
        digest: &str,
    ) -> Result<Vec<RegistryScanProgress>, ScanError> {
        let store = &self.inner.store;
        if !on_demand {
            let Some(scan) = store.latest_scan("regular").await? else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            for spec in store.scan_specs(scan.id).await? {
                let s: RegistrySpecification = serde_json::from_str(&spec.spec).unwrap_or_default();
                let registry = if s.registry.is_empty() {
                    "docker.io".to_string()
                } else {
                    s.registry.clone()
                };
                let counts = store.job_counts(scan.id, Some(&spec.spec_id)).await?;
                let ongoing = scan.state == "running"
                    && matches!(spec.state.as_str(), "discovering" | "scanning");
                out.push(RegistryScanProgress {
                    discovery: Progress {
                        id: spec.spec_id.clone(),
                        kind: "registry".into(),
                        discovery: true,
                        total: spec.repos_total as u64,
                        scanned: spec.repos_done as u64,
                        title: format!(
                            "Step 1/2 discovering tags in registry {registry}: Discovered tags in {}/{} repositories with 1 Defenders",
                            spec.repos_done, spec.repos_total
                        ),
                        scan_time: crowsnest_model::spec::UNSET_TIME.into(),
                        error: spec.error.clone(),
                        ..Default::default()
                    },
                    image_scan: Progress {
                        id: spec.spec_id.clone(),
                        kind: "registry".into(),
                        total: counts.total,
                        scanned: counts.finished(),
                        title: format!(
                            "Step 2/2 scanning images in registry {registry}: Scanned {}/{} images with 1 Defender",
                            counts.finished(),
                            counts.total
                        ),
                        scan_time: crowsnest_model::spec::UNSET_TIME.into(),
                        ..Default::default()
                    },
                    is_scan_ongoing: ongoing,
                    spec_scan_start_time: spec.started.clone(),
                });
            }
            return Ok(out);
        }
        // On-demand: the newest on-demand scan of this image.
        let mut candidates = store.scans_in_state("running").await?;
        if let Some(latest) = store.latest_scan("onDemand").await? {
            candidates.push(latest);
        }
        let wanted = |s: &ScanRecord| {
            s.kind == "onDemand"
                && serde_json::from_str::<ScanPlan>(&s.request)
                    .ok()
                    .and_then(|p| p.image)
                    .is_some_and(|i| {
                        i.repo == repo
                            && ((!tag.is_empty() && i.tag == tag)
                                || (!digest.is_empty() && i.digest == digest))
                    })
        };
        let Some(scan) = candidates.into_iter().filter(wanted).max_by_key(|s| s.id) else {
            return Ok(Vec::new());
        };
        let ongoing = scan.state == "running";
        if !ongoing && !lock(&self.inner.reported).insert(scan.id) {
            return Ok(Vec::new());
        }
        let counts = store.job_counts(scan.id, None).await?;
        let what = if tag.is_empty() { digest } else { tag };
        let discovered = if counts.total > 0 { 1 } else { 0 };
        Ok(vec![RegistryScanProgress {
            discovery: Progress {
                discovery: false,
                total: 1,
                scanned: discovered,
                title: format!("Step 1/2 discovering tags in repository: {repo}, tag: {what}"),
                scan_time: crowsnest_model::spec::UNSET_TIME.into(),
                on_demand: true,
                ..Default::default()
            },
            image_scan: Progress {
                total: counts.total.max(1),
                scanned: counts.finished(),
                title: format!("Step 2/2 scanning images in repository: {repo}, tag: {what}"),
                scan_time: crowsnest_model::spec::UNSET_TIME.into(),
                on_demand: true,
                error: store
                    .jobs(scan.id)
                    .await?
                    .into_iter()
                    .map(|j| j.error)
                    .find(|e| !e.is_empty())
                    .unwrap_or_default(),
                ..Default::default()
            },
            is_scan_ongoing: ongoing,
            spec_scan_start_time: scan.started.clone(),
        }])
    }

    /// Remembers a scan error for `GET /statuses/registry`. The failure being reported can be
    /// the store's own (a full disk fails every write), so an error the store refuses is kept in
    /// memory, shown from there, and written ahead of the next error the store accepts.
    async fn record_error(&self, message: &str) {
        let mut pending: Vec<(String, String)> =
            lock(&self.inner.unsaved_errors).drain(..).collect();
        pending.push((now().to_string(), message.to_string()));
        for (i, (time, text)) in pending.iter().enumerate() {
            if let Err(e) = self
                .inner
                .store
                .push_scan_error(time, text, KEPT_ERRORS)
                .await
            {
                tracing::error!(error = %e, "cannot store a scan error; keeping it in memory");
                let mut unsaved = lock(&self.inner.unsaved_errors);
                for item in pending[i..].iter().rev() {
                    unsaved.push_front(item.clone());
                }
                while unsaved.len() > KEPT_ERRORS as usize {
                    unsaved.pop_front();
                }
                return;
            }
        }
    }

    /// `GET /statuses/registry`.
    pub async fn status(&self) -> Result<ScanStatus, ScanError> {
        let store = &self.inner.store;
        // Errors the store could not take are the newest; they come first.
        let mut errors: Vec<String> = lock(&self.inner.unsaved_errors)
            .iter()
            .rev()
            .map(|(_, text)| text.clone())
            .collect();
        errors.extend(store.scan_errors(KEPT_ERRORS).await?);
        errors.truncate(KEPT_ERRORS as usize);
        let latest = store.latest_scan("regular").await?;
        let scanning = latest.as_ref().is_some_and(|s| s.state == "running");
        let selective = latest.as_ref().is_some_and(|s| {
            serde_json::from_str::<ScanPlan>(&s.request)
                .is_ok_and(|p| p.spec_ids.is_some() || p.image.is_some())
        });
        Ok(ScanStatus {
            scan_time: latest
                .as_ref()
                .and_then(|s| s.finished.clone().or_else(|| Some(s.started.clone())))
                .unwrap_or_else(|| crowsnest_model::spec::UNSET_TIME.to_string()),
            completed: latest.as_ref().is_some_and(|s| s.state != "running"),
            scanning,
            selective,
            hostname: self.inner.config.node.clone(),
            errors,
        })
    }
}

/// The wait after an image's `attempt`-th try failed transiently: the backoff doubled for each
/// earlier try, capped at a minute.
fn retry_wait(backoff: Duration, attempt: i64) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1))
        .unwrap_or(0)
        .min(16);
    backoff
        .saturating_mul(1u32 << doublings)
        .min(Duration::from_secs(60))
}

/// Identifies a database build: its build time and size (two builds within one second differ
/// in content, and so in counts, in every realistic case).
fn db_version(db: &Database) -> String {
    let s = db.status();
    format!("{}-{}-{}", s.built_at, s.advisories, s.entries)
}

/// The registry as results name it: the specification's address without scheme or trailing
/// slash (`https://reg:5000/` → `reg:5000`); empty for Docker Hub.
pub(crate) fn registry_name(registry: &str) -> String {
    registry
        .trim()
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string()
}

/// Splits a PEM bundle into its certificate blocks and its private key block.
fn split_pem(pem: &str) -> Option<(String, String)> {
    let mut certs = String::new();
    let mut key = String::new();
    let mut current: Option<&mut String> = None;
    for line in pem.lines() {
        if line.starts_with("-----BEGIN ") {
            current = Some(if line.contains("PRIVATE KEY") {
                &mut key
            } else {
                &mut certs
            });
        }
        if let Some(buf) = current.as_deref_mut() {
            buf.push_str(line);
            buf.push('\n');
        }
        if line.starts_with("-----END ") {
            current = None;
        }
    }
    (!certs.is_empty() && !key.is_empty()).then_some((certs, key))
}
