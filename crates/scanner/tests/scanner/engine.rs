//! The engine end to end against a real `docker-registry` (through the fault proxy, which also
//! counts requests), a real SQLite store and a vulnerability database built by the real importer
//! from OSV records written here from the OSV schema.

use crowsnest_model::scan_result::{ImageScanResult, ImageTag, RegistryScanRequest};
use crowsnest_model::spec::RegistrySpecification;
use crowsnest_scanner::{Engine, EngineConfig};
use crowsnest_store::{ImageQuery, MasterKey, ScanKind, ScanState, SecretBox, SqliteStore, Store};
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
        let mut config = EngineConfig::new(self.db_path.clone());
        config.periodic = None;
        config.discovery.client.request_timeout = Duration::from_secs(30);
        Engine::new(store, config)
    }
}

/// Polls `cond` until it holds (a condition wait, not a timing assumption), failing after 90 s.
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

async fn scan_finished(engine: &Engine) -> bool {
    engine.status().await.map(|s| s.completed).unwrap_or(false)
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
    let stop = CancellationToken::new();
    let running = tokio::spawn(engine.clone().run(stop.clone()));

    engine.request_scan(None).await.unwrap();
    until("the first scan", || scan_finished(&engine)).await;
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
    until("the second scan", || async {
        scan_finished(&engine).await
            && store
                .latest_scan(ScanKind::Regular)
                .await
                .unwrap()
                .unwrap()
                .id
                == 2
    })
    .await;
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
    until("re-match of apps/py:2", || async {
        result(&store, &key2)
            .await
            .is_some_and(|r| r.vulnerabilities_count == 1)
    })
    .await;
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
    stop.cancel();
    running.await.unwrap();
}

#[tokio::test]
async fn one_regular_scan_at_a_time_on_demand_beside_it_and_stop_is_prompt() {
    let Some(fx) = Fixture::new().await else {
        return;
    };
    // apps/base never delivers its own layer: the regular scan hangs on it until stopped.
    fx.proxy.inject(
        &format!("/v2/apps/base/blobs/{}", fx.base_only_layer),
        Fault::Hang,
    );
    let store = fx.store().await;
    store
        .replace_specifications(&[fx.spec("apps/*")])
        .await
        .unwrap();
    let engine = fx.engine(store.clone());
    let stop = CancellationToken::new();
    let running = tokio::spawn(engine.clone().run(stop.clone()));
    engine.request_scan(None).await.unwrap();
    let reg = fx.registry_name();
    until("the other images of the regular scan", || async {
        store.images(&ImageQuery::default()).await.unwrap().1 == 2
    })
    .await;
    assert!(engine.status().await.unwrap().scanning);

    let refused = engine.request_scan(None).await.unwrap_err().to_string();
    assert!(refused.contains("already running"), "{refused}");

    // On demand, beside the running regular scan.
    let tag = ImageTag {
        registry: reg.clone(),
        repo: "apps/py".into(),
        tag: "1".into(),
        ..Default::default()
    };
    let outside = ImageTag {
        registry: reg.clone(),
        repo: "elsewhere/x".into(),
        tag: "1".into(),
        ..Default::default()
    };
    let err = engine
        .request_scan(Some(RegistryScanRequest {
            on_demand_scan: true,
            tag: Some(outside),
            ..Default::default()
        }))
        .await;
    assert!(err.unwrap_err().to_string().contains("not in the scope"));
    engine
        .request_scan(Some(RegistryScanRequest {
            on_demand_scan: true,
            tag: Some(tag),
            ..Default::default()
        }))
        .await
        .unwrap();
    until("the on-demand scan", || async {
        engine
            .progress(true, "apps/py", "1", "")
            .await
            .unwrap()
            .first()
            .is_some_and(|p| !p.is_scan_ongoing)
    })
    .await;
    assert_eq!(
        engine.progress(true, "apps/py", "1", "").await.unwrap(),
        vec![],
        "a finished on-demand scan is reported once"
    );
    assert!(
        engine.status().await.unwrap().scanning,
        "the regular scan is still running"
    );

    // Stop: the regular scan is marked stopped at once and its hanging job cancelled.
    assert!(engine.stop_regular().await.unwrap());
    let progress = engine.progress(false, "", "", "").await.unwrap();
    assert!(progress.iter().all(|p| !p.is_scan_ongoing), "{progress:?}");
    let status = engine.status().await.unwrap();
    assert!(status.completed && !status.scanning);
    let scan = store.latest_scan(ScanKind::Regular).await.unwrap().unwrap();
    assert_eq!(scan.state, ScanState::Stopped);
    let counts = store.job_counts(scan.id, None).await.unwrap();
    assert_eq!((counts.pending, counts.running), (0, 0), "{counts:?}");
    until("the runner to let go of the stopped scan", || async {
        engine.request_scan(None).await.is_ok()
    })
    .await;
    stop.cancel();
    running.await.unwrap();
}

#[test]
fn a_killed_scanner_leaves_a_scan_the_next_one_finishes() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let Some(fx) = rt.block_on(Fixture::new()) else {
        return;
    };
    fx.proxy.inject(
        &format!("/v2/apps/base/blobs/{}", fx.base_only_layer),
        Fault::Hang,
    );
    // First scanner, in its own runtime: dropping that runtime ends every task at once, the way
    // SIGKILL ends a process (no job is released, no state is written).
    let first = tokio::runtime::Runtime::new().unwrap();
    first.block_on(async {
        let store = fx.store().await;
        store
            .replace_specifications(&[fx.spec("apps/*")])
            .await
            .unwrap();
        let engine = fx.engine(store.clone());
        tokio::spawn(engine.clone().run(CancellationToken::new()));
        engine.request_scan(None).await.unwrap();
        until("two of three images", || async {
            store.images(&ImageQuery::default()).await.unwrap().1 == 2
        })
        .await;
    });
    first.shutdown_background();

    rt.block_on(async {
        fx.proxy.clear();
        let store = fx.store().await;
        let scan = store.latest_scan(ScanKind::Regular).await.unwrap().unwrap();
        assert_eq!(
            scan.state,
            ScanState::Running,
            "the killed scanner could not finish it"
        );
        let engine = fx.engine(store.clone());
        let stop = CancellationToken::new();
        let running = tokio::spawn(engine.clone().run(stop.clone()));
        until("the resumed scan", || scan_finished(&engine)).await;
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
        stop.cancel();
        running.await.unwrap();
    });
}
