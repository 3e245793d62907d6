//! The engine end to end against a real `docker-registry` (through the fault proxy, which also
//! counts requests), a real SQLite store and a vulnerability database built by the real importer
//! from OSV records written here from the OSV schema.

use crowsnest_model::clock::{Clock, ManualClock, SystemClock};
use crowsnest_model::scan_result::{ImageScanResult, ImageTag, RegistryScanRequest};
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_scanner::{Engine, EngineConfig, Step};
use crowsnest_store::{
    ImageQuery, JobState, MasterKey, ScanKind, ScanState, SecretBox, SqliteStore, Store,
};
use crowsnest_testkit::{
    Fault, FaultProxy, ImageBuilder, RegistryBuilder, TestRegistry, tar_layer,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// urllib3 before 1.24.3 (a PyPI record in OSV form; the id is ours, the CVE alias real).
const OSV_URLLIB3_OLD: &str = r#"{"id":"CROWSNEST-TEST-0001","modified":"2024-01-01T00:00:00Z","published":"2019-04-18T00:00:00Z",
 "aliases":["CVE-2019-11236"],"summary":"CRLF injection in urllib3",
 "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.24.3"}]}]}]}"#;
/// urllib3 before 1.26.18: added by the "database update" to check re-matching.
const OSV_URLLIB3_NEW: &str = r#"{"id":"CROWSNEST-TEST-0002","modified":"2024-01-01T00:00:00Z","published":"2023-10-17T00:00:00Z",
 "aliases":["CVE-2023-45803"],"summary":"Request body not stripped after redirect",
 "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.26.18"}]}]}]}"#;

fn base_layer() -> Vec<u8> {
    tar_layer(&[
        (
            "etc/os-release",
            "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
        ),
        (
            "var/lib/dpkg/status",
            "Package: base-files\nStatus: install ok installed\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\n",
        ),
    ])
}

fn python_layer(version: &str) -> Vec<u8> {
    let path = format!("usr/lib/python3/dist-packages/urllib3-{version}.dist-info/METADATA");
    let body = format!("Metadata-Version: 2.1\nName: urllib3\nVersion: {version}\nLicense: MIT\n");
    tar_layer(&[(path.as_str(), body.as_str())])
}

fn build_db(dir: &Path, records: &[&str], db_path: &Path) {
    let feeds = dir.join(format!("feeds-{}", records.len()));
    std::fs::create_dir_all(&feeds).unwrap();
    for (i, r) in records.iter().enumerate() {
        std::fs::write(feeds.join(format!("r{i}.json")), r).unwrap();
    }
    let (db, report) =
        crowsnest_vulndb::Database::build(&[feeds], &crowsnest_vulndb::ImportOptions::new())
            .unwrap();
    assert!(report.malformed.is_empty(), "{:?}", report.malformed);
    db.write_atomic(db_path).unwrap();
}

struct Fixture {
    _registry: TestRegistry,
    /// Every layer digest pushed.
    layers: Vec<String>,
    /// The layer only apps/base has.
    base_only_layer: String,
    proxy: FaultProxy,
    dir: tempfile::TempDir,
    db_path: PathBuf,
}

impl Fixture {
    async fn new() -> Option<Fixture> {
        // `CROWSNEST_TEST_LOG=debug` shows the engine's log when a test needs explaining.
        if let Ok(filter) = std::env::var("CROWSNEST_TEST_LOG") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter(filter)
                .with_test_writer()
                .try_init();
        }
        let registry = RegistryBuilder::new().start_or_skip().await?;
        let pusher = registry.pusher();
        let images = [
            (
                "apps/py",
                "1",
                python_layer("1.24.1"),
                "2024-01-01T00:00:00Z",
            ),
            (
                "apps/py",
                "2",
                python_layer("1.26.5"),
                "2024-02-01T00:00:00Z",
            ),
            (
                "apps/base",
                "latest",
                tar_layer(&[("README", "base only\n")]),
                "2024-03-01T00:00:00Z",
            ),
        ];
        let mut layers = Vec::new();
        let mut base_only_layer = String::new();
        for (repo, tag, app, created) in images {
            let image = ImageBuilder::oci()
                .created(created)
                .label(&format!("{repo}:{tag}"))
                .layers(vec![base_layer(), app]);
            let pushed = pusher.push_image(repo, tag, &image).await.unwrap();
            if repo == "apps/base" {
                base_only_layer = pushed.layers[1].0.clone();
            }
            layers.extend(pushed.layers.into_iter().map(|(d, _)| d));
        }
        layers.sort();
        layers.dedup();
        let proxy = FaultProxy::start(&registry.url()).await.unwrap();
        let dir = tempfile::tempdir().unwrap();
        let db_path = dir.path().join("vulndb/crowsnest.db");
        std::fs::create_dir_all(db_path.parent().unwrap()).unwrap();
        build_db(dir.path(), &[OSV_URLLIB3_OLD], &db_path);
        Some(Fixture {
            _registry: registry,
            layers,
            base_only_layer,
            proxy,
            dir,
            db_path,
        })
    }

    fn spec(&self, repository: &str) -> RegistrySpecification {
        let mut s = RegistrySpecification {
            id: "spec-1".into(),
            version: "2".into(),
            registry: self.proxy.url().to_string(),
            repository: repository.into(),
            os: "linux".into(),
            cap: 0,
            scanners: 2,
            collections: vec!["All".into()],
            ..Default::default()
        };
        s.validate().unwrap();
        s
    }

    /// Layer blob downloads the proxy has forwarded so far.
    fn layer_pulls(&self) -> usize {
        self.layers
            .iter()
            .map(|d| {
                self.proxy.hits(&format!("GET /v2/apps/base/blobs/{d}"))
                    + self.proxy.hits(&format!("GET /v2/apps/py/blobs/{d}"))
            })
            .sum()
    }

    fn registry_name(&self) -> String {
        self.proxy.url().trim_start_matches("http://").to_string()
    }

    async fn store(&self) -> Arc<dyn Store> {
        let url = format!(
            "sqlite://{}",
            self.dir.path().join("store.sqlite").display()
        );
        // The key is irrelevant: these tests use no credentials.
        Arc::new(
            SqliteStore::open(&url, SecretBox::new(&MasterKey::generate()))
                .await
                .unwrap(),
        )
    }

    fn engine(&self, store: Arc<dyn Store>) -> Engine {
        self.engine_with_clock(store, Arc::new(SystemClock))
    }

    fn engine_with_clock(&self, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> Engine {
        let mut config = EngineConfig::new(self.db_path.clone());
        config.periodic = None;
        config.discovery.client.request_timeout = Duration::from_secs(30);
        config.clock = clock;
        Engine::new(store, config)
    }
}

/// Drives the engine with [`Engine::step`] until it has nothing to do, returning every step.
/// Bounded, so a loop in the engine fails the test instead of hanging it.
async fn steps_until_idle(engine: &Engine) -> Vec<Step> {
    let mut steps = Vec::new();
    loop {
        let step = engine.step().await.unwrap();
        if step == Step::Idle {
            return steps;
        }
        steps.push(step);
        assert!(steps.len() < 200, "the engine never became idle: {steps:?}");
    }
}

/// Polls `cond` until it holds, failing after 90 s. Only for the one test of the concurrent
/// runner, and only for an outside event (a request reaching the registry), never for the
/// engine's own progress: engine progress is driven with [`steps_until_idle`].
async fn until<F, Fut>(what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn result(store: &Arc<dyn Store>, key: &str) -> Option<ImageScanResult> {
    store
        .image(key)
        .await
        .unwrap()
        .map(|r| serde_json::from_str(&r.result).unwrap())
}

#[tokio::test]
async fn regular_scan_then_nothing_pulled_again_then_rematch_without_pulls() {
    let Some(fx) = Fixture::new().await else {
        return;
    };
    let store = fx.store().await;
    store
        .replace_specifications(&[fx.spec("apps/*")])
        .await
        .unwrap();
    let engine = fx.engine(store.clone());

    engine.request_scan(None).await.unwrap();
    let steps = steps_until_idle(&engine).await;
    let scanned = steps
        .iter()
        .filter(|s| matches!(s, Step::Scanned { .. }))
        .count();
    assert_eq!(scanned, 3, "{steps:?}");
    assert_eq!(steps.last(), Some(&Step::ScanFinished { scan: 1 }));
    assert!(engine.status().await.unwrap().completed);
    let reg = fx.registry_name();
    let (all, total) = store.images(&ImageQuery::default()).await.unwrap();
    assert_eq!(
        total,
        3,
        "{:?}",
        all.iter().map(|i| &i.key).collect::<Vec<_>>()
    );
    let old = result(&store, &format!("{reg}/apps/py:1")).await.unwrap();
    let cves: Vec<&str> = old
        .vulnerabilities
        .as_ref()
        .unwrap()
        .iter()
        .map(|v| v.cve.as_str())
        .collect();
    assert_eq!(
        cves,
        ["CVE-2019-11236"],
        "justified by CROWSNEST-TEST-0001: urllib3 1.24.1 < 1.24.3"
    );
    let v = &old.vulnerabilities.as_ref().unwrap()[0];
    assert_eq!(
        (v.package_name.as_str(), v.package_version.as_str(), v.id),
        ("urllib3", "1.24.1", 410)
    );
    assert_eq!(v.status, "fixed in 1.24.3");
    assert_eq!(old.os_distro, "debian");
    assert_eq!(old.repo_tag.registry, reg);
    let newer = result(&store, &format!("{reg}/apps/py:2")).await.unwrap();
    assert_eq!(newer.vulnerabilities_count, 0, "1.26.5 is past the fix");
    let progress = engine.progress(false, "", "", "").await.unwrap();
    assert_eq!(progress.len(), 1);
    assert_eq!(
        (progress[0].image_scan.total, progress[0].image_scan.scanned),
        (3, 3)
    );
    assert!(!progress[0].is_scan_ongoing);
    assert!(
        progress[0]
            .image_scan
            .title
            .starts_with("Step 2/2 scanning images in registry")
    );
    let blobs_after_first = fx.layer_pulls();
    assert!(
        (4..=6).contains(&blobs_after_first),
        "4 distinct layers; the shared one at most once per worker: {blobs_after_first}"
    );

    // Nothing changed in the registry: the second scan pulls no blob at all.
    engine.request_scan(None).await.unwrap();
    steps_until_idle(&engine).await;
    let second = store.latest_scan(ScanKind::Regular).await.unwrap().unwrap();
    assert_eq!((second.id, second.state), (2, ScanState::Completed));
    assert_eq!(
        fx.layer_pulls(),
        blobs_after_first,
        "unchanged digests must not be pulled"
    );

    // A new database: stored inventories are re-matched, still without pulling.
    build_db(
        fx.dir.path(),
        &[OSV_URLLIB3_OLD, OSV_URLLIB3_NEW],
        &fx.db_path,
    );
    let before = engine.db_version();
    engine.reload_db().unwrap();
    assert_ne!(engine.db_version(), before);
    let key2 = format!("{reg}/apps/py:2");
    assert_eq!(engine.step().await.unwrap(), Step::Rematched(3));
    assert_eq!(engine.step().await.unwrap(), Step::Idle);
    let rematched = result(&store, &key2).await.unwrap();
    assert_eq!(
        rematched.vulnerabilities.unwrap()[0].cve,
        "CVE-2023-45803",
        "justified by CROWSNEST-TEST-0002: 1.26.5 < 1.26.18"
    );
    assert_eq!(
        result(&store, &format!("{reg}/apps/py:1"))
            .await
            .unwrap()
            .vulnerabilities_count,
        2
    );
    assert_eq!(
        fx.layer_pulls(),
        blobs_after_first,
        "re-matching pulls nothing"
    );
}

#[tokio::test]
async fn one_regular_scan_at_a_time_on_demand_beside_it_and_stop() {
    let Some(fx) = Fixture::new().await else {
        return;
    };
    let store = fx.store().await;
    store
        .replace_specifications(&[fx.spec("apps/*")])
        .await
        .unwrap();
    let engine = fx.engine(store.clone());
    engine.request_scan(None).await.unwrap();
    assert_eq!(
        engine.step().await.unwrap(),
        Step::Discovered {
            scan: 1,
            spec: "spec-1".into()
        }
    );
    assert!(engine.status().await.unwrap().scanning);
    let refused = engine.request_scan(None).await.unwrap_err().to_string();
    assert!(refused.contains("already running"), "{refused}");

    // On demand, beside the running regular scan; only inside a specification's scope.
    let reg = fx.registry_name();
    let image = |repo: &str| ImageTag {
        registry: reg.clone(),
        repo: repo.into(),
        tag: "1".into(),
        ..Default::default()
    };
    let on_demand = |tag: ImageTag| RegistryScanRequest {
        on_demand_scan: true,
        tag: Some(tag),
        ..Default::default()
    };
    let err = engine
        .request_scan(Some(on_demand(image("elsewhere/x"))))
        .await;
    assert!(err.unwrap_err().to_string().contains("not in the scope"));
    let scan = engine
        .request_scan(Some(on_demand(image("apps/py"))))
        .await
        .unwrap();
    assert_eq!(scan.id, 2);

    // Stop: the regular scan is marked stopped at once and its open jobs cancelled.
    assert!(engine.stop_regular().await.unwrap());
    let progress = engine.progress(false, "", "", "").await.unwrap();
    assert!(progress.iter().all(|p| !p.is_scan_ongoing), "{progress:?}");
    let status = engine.status().await.unwrap();
    assert!(status.completed && !status.scanning);
    let regular = store.latest_scan(ScanKind::Regular).await.unwrap().unwrap();
    assert_eq!(regular.state, ScanState::Stopped);
    let counts = store.job_counts(regular.id, None).await.unwrap();
    assert_eq!((counts.pending, counts.running), (0, 0), "{counts:?}");

    // The on-demand scan goes on alone and is reported once when finished.
    let steps = steps_until_idle(&engine).await;
    assert!(
        steps
            .iter()
            .all(|s| !matches!(s, Step::Scanned { scan: 1, .. })),
        "{steps:?}"
    );
    assert_eq!(steps.last(), Some(&Step::ScanFinished { scan: 2 }));
    let reported = engine.progress(true, "apps/py", "1", "").await.unwrap();
    assert_eq!(reported.len(), 1);
    assert!(!reported[0].is_scan_ongoing);
    assert_eq!(
        (reported[0].image_scan.total, reported[0].image_scan.scanned),
        (1, 1)
    );
    assert_eq!(
        engine.progress(true, "apps/py", "1", "").await.unwrap(),
        vec![],
        "a finished on-demand scan is reported once"
    );
    assert!(result(&store, &format!("{reg}/apps/py:1")).await.is_some());
    engine.request_scan(None).await.unwrap();
}

/// The concurrent runner ([`Engine::run`]): stopping a scan ends an image whose registry never
/// delivers a layer, at once and without a half-written job.
#[tokio::test]
async fn stop_cancels_a_hanging_image_in_the_running_service() {
    let Some(fx) = Fixture::new().await else {
        return;
    };
    let hanging = format!("/v2/apps/base/blobs/{}", fx.base_only_layer);
    fx.proxy.inject(&hanging, Fault::Hang);
    let store = fx.store().await;
    store
        .replace_specifications(&[fx.spec("apps/base")])
        .await
        .unwrap();
    let engine = fx.engine(store.clone());
    let stop = CancellationToken::new();
    let running = tokio::spawn(engine.clone().run(stop.clone()));
    engine.request_scan(None).await.unwrap();
    until("the registry to be asked for the hanging layer", || async {
        fx.proxy.hits(&hanging) > 0
    })
    .await;
    assert!(engine.stop_regular().await.unwrap());
    let regular = store.latest_scan(ScanKind::Regular).await.unwrap().unwrap();
    assert_eq!(regular.state, ScanState::Stopped);
    let counts = store.job_counts(regular.id, None).await.unwrap();
    assert_eq!(
        (counts.pending, counts.running, counts.cancelled),
        (0, 0, 1),
        "{counts:?}"
    );
    assert!(engine.request_scan(None).await.is_ok());
    stop.cancel();
    running.await.unwrap();
}

#[tokio::test]
async fn a_killed_scanner_leaves_a_scan_the_next_one_finishes() {
    let Some(fx) = Fixture::new().await else {
        return;
    };
    let store = fx.store().await;
    store
        .replace_specifications(&[fx.spec("apps/*")])
        .await
        .unwrap();
    {
        let first = fx.engine(store.clone());
        first.request_scan(None).await.unwrap();
        assert!(matches!(
            first.step().await.unwrap(),
            Step::Discovered { .. }
        ));
        assert!(matches!(first.step().await.unwrap(), Step::Scanned { .. }));
        // Killed while working on the next image: its job stays claimed, nothing is written.
        // A lease far ahead (2096): only the single-node recovery may take it back.
        let claimed = store
            .claim_jobs(1, "spec-1", "crowsnest", 0, 4_000_000_000, 1)
            .await
            .unwrap();
        assert_eq!(claimed.len(), 1);
    }
    let scan = store.latest_scan(ScanKind::Regular).await.unwrap().unwrap();
    assert_eq!(
        scan.state,
        ScanState::Running,
        "the killed scanner could not finish it"
    );

    let second = fx.engine(store.clone());
    assert_eq!(
        second.recover().await.unwrap(),
        1,
        "the orphaned job is taken back"
    );
    let steps = steps_until_idle(&second).await;
    assert_eq!(steps.last(), Some(&Step::ScanFinished { scan: 1 }));
    let (images, total) = store.images(&ImageQuery::default()).await.unwrap();
    assert_eq!(
        total,
        3,
        "every image once: {:?}",
        images.iter().map(|i| &i.key).collect::<Vec<_>>()
    );
    let counts = store.job_counts(scan.id, None).await.unwrap();
    assert_eq!(
        (counts.total, counts.done),
        (3, 3),
        "no job lost or duplicated: {counts:?}"
    );
}

/// A registry answering 503 is a transient failure: the image goes back in the queue due again
/// after the backoff (kept in the store), the engine waits without sleeping, and the image is
/// scanned once the clock passes its time.
#[tokio::test]
async fn a_transient_failure_is_retried_when_its_time_comes() {
    let Some(fx) = Fixture::new().await else {
        return;
    };
    let cut = format!("/v2/apps/base/blobs/{}", fx.base_only_layer);
    fx.proxy.inject_times(&cut, Fault::Status(503), 1);
    let store = fx.store().await;
    store
        .replace_specifications(&[fx.spec("apps/base")])
        .await
        .unwrap();
    let clock = Arc::new(ManualClock::new("2026-01-01T00:00:00Z".parse().unwrap()));
    let mut config = EngineConfig::new(fx.db_path.clone());
    config.periodic = None;
    config.clock = clock.clone();
    // The client's own retries (with their real waits) are the registry crate's business and
    // tested there; here the 503 reaches the engine at once.
    config.discovery.client.max_attempts = 1;
    let engine = Engine::new(store.clone(), config);
    engine.request_scan(None).await.unwrap();
    let steps = steps_until_idle(&engine).await;
    assert!(
        matches!(steps.last(), Some(Step::Scanned { .. })),
        "{steps:?}"
    );
    let scan = store.latest_scan(ScanKind::Regular).await.unwrap().unwrap();
    assert_eq!(scan.state, ScanState::Running, "waiting for the retry");
    let jobs = store.jobs(scan.id).await.unwrap();
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].state, JobState::Pending);
    assert!(jobs[0].error.contains("apps/base"), "{}", jobs[0].error);
    assert_eq!(engine.step().await.unwrap(), Step::Idle, "not due yet");

    // The first retry waits the configured backoff (2 s).
    clock.advance(jiff::SignedDuration::from_secs(1));
    assert_eq!(engine.step().await.unwrap(), Step::Idle, "still not due");
    clock.advance(jiff::SignedDuration::from_secs(1));
    let steps = steps_until_idle(&engine).await;
    assert_eq!(steps.last(), Some(&Step::ScanFinished { scan: scan.id }));
    let jobs = store.jobs(scan.id).await.unwrap();
    assert_eq!((jobs[0].state, jobs[0].attempts), (JobState::Done, 2));
    assert_eq!(fx.proxy.hits(&format!("GET {cut}")), 2);
}

/// A cluster on a real PostgreSQL: a Console that only schedules (`local_workers` false) and two
/// worker nodes, each with its own connection pool. The scan completes with every image scanned
/// by a worker (the result's hostname says which), none by the Console, and the workers stop
/// when told.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_scheduling_console_and_two_workers_share_a_scan() {
    let Some(f) = Fixture::new().await else {
        return;
    };
    let Some(pg) = crowsnest_testkit::PostgresBuilder::new().start_or_skip() else {
        return;
    };
    let url = pg.create_database().unwrap();
    let key = MasterKey::generate();
    let open = || async {
        let s = crowsnest_store::PostgresStore::open(&url, SecretBox::new(&key))
            .await
            .unwrap();
        Arc::new(s) as Arc<dyn Store>
    };
    let node = |store: Arc<dyn Store>, name: &str, local_workers: bool| {
        let mut config = EngineConfig::new(f.db_path.clone());
        config.periodic = None;
        config.node = name.into();
        config.single_node = false;
        config.local_workers = local_workers;
        config.lease = Duration::from_secs(30);
        Engine::new(store, config)
    };
    let console_store = open().await;
    console_store
        .replace_specifications(&[f.spec("apps/*")])
        .await
        .unwrap();
    let console = node(console_store.clone(), "console", false);
    let stop = CancellationToken::new();
    tokio::spawn(console.clone().run(stop.clone()));
    let mut workers = Vec::new();
    for name in ["worker-1", "worker-2"] {
        let engine = node(open().await, name, true);
        let options = crowsnest_scanner::WorkerOptions {
            concurrency: 2,
            poll: Duration::from_millis(100),
            ..Default::default()
        };
        workers.push(tokio::spawn(engine.run_worker(options, stop.clone())));
    }
    console.request_scan(None).await.unwrap();
    until("the scan to complete", || async {
        matches!(
            console_store.latest_scan(ScanKind::Regular).await.unwrap(),
            Some(s) if s.state == ScanState::Completed
        )
    })
    .await;
    let scan = console_store
        .latest_scan(ScanKind::Regular)
        .await
        .unwrap()
        .unwrap();
    let jobs = console_store.jobs(scan.id).await.unwrap();
    assert_eq!(jobs.len(), 3);
    assert!(jobs.iter().all(|j| j.state == JobState::Done), "{jobs:?}");
    let (images, total) = console_store.images(&ImageQuery::default()).await.unwrap();
    assert_eq!(total, 3);
    for image in &images {
        let result: ImageScanResult = serde_json::from_str(&image.result).unwrap();
        assert!(
            result.hostname.starts_with("worker-"),
            "{} scanned by {:?}",
            image.key,
            result.hostname
        );
    }
    let py1 = images
        .iter()
        .find(|i| i.key.ends_with("apps/py:1"))
        .unwrap();
    assert_eq!(py1.vulns, 1, "matched with the worker's own database");
    stop.cancel();
    let mut ran = 0;
    for w in workers {
        ran += w.await.unwrap();
    }
    assert_eq!(ran, 3, "every job ran once, on one worker");
}
