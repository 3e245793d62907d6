//! Shared fixtures: real feed records from the snapshot, a database built from them, a good
//! image's layers, an engine over a SQLite store, and a Console on loopback.

use crowsnest_hostile::Corpus;
use crowsnest_scanner::{Engine, EngineConfig, Step};
use crowsnest_store::{MasterKey, SecretBox, SqliteStore, Store};
use crowsnest_testkit::tar_layer;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// The shared snapshot of real feeds, next to the repository.
pub(crate) fn shared_vulndb() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vulndb")
}

/// Real GHSA records: minimist before 1.2.6 (CVE-2021-44906) and lodash before 4.17.21
/// (CVE-2021-23337).
pub(crate) const REAL_RECORDS: [&str; 2] = [
    "osv/ghsa-sample/GHSA-xvch-5gv4-984h.json",
    "osv/ghsa-sample/GHSA-35jh-r3h4-6jhm.json",
];

pub(crate) fn real_record(rel: &str) -> Vec<u8> {
    let path = shared_vulndb().join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (the tests need ../shared/vulndb next to the repository)",
            path.display()
        )
    })
}

/// Copies the real records into `dir` (created).
pub(crate) fn copy_real_records(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for rel in REAL_RECORDS {
        let name = Path::new(rel).file_name().unwrap();
        std::fs::write(dir.join(name), real_record(rel)).unwrap();
    }
}

/// Builds the database of the real records at `db_path`.
pub(crate) fn build_real_db(work: &Path, db_path: &Path) {
    let feeds = work.join("good-feeds");
    copy_real_records(&feeds);
    let (db, report) =
        crowsnest_vulndb::Database::build(&[feeds], &crowsnest_vulndb::ImportOptions::new())
            .unwrap();
    assert!(report.malformed.is_empty(), "{:?}", report.malformed);
    db.write_atomic(db_path).unwrap();
}

pub(crate) fn corpus() -> Corpus {
    Corpus::load().unwrap_or_else(|e| panic!("testdata/hostile/cases.toml: {e}"))
}

/// Debian's identification and a one-package dpkg status.
pub(crate) fn base_layer() -> Vec<u8> {
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

/// An npm application layer: minimist `minimist` and lodash `lodash` (versions given).
pub(crate) fn app_layer(minimist: &str, lodash: &str) -> Vec<u8> {
    let pj = |n: &str, v: &str| format!(r#"{{"name":"{n}","version":"{v}","license":"MIT"}}"#);
    tar_layer(&[
        (
            "srv/app/node_modules/minimist/package.json".to_string(),
            pj("minimist", minimist),
        ),
        (
            "srv/app/node_modules/lodash/package.json".to_string(),
            pj("lodash", lodash),
        ),
    ])
}

/// Opens (or creates) the SQLite store in `dir`.
pub(crate) async fn open_store(dir: &Path) -> Arc<dyn Store> {
    let url = format!("sqlite://{}", dir.join("store.sqlite").display());
    // These tests use no credentials, so any key will do.
    Arc::new(
        SqliteStore::open(&url, SecretBox::new(&MasterKey::generate()))
            .await
            .unwrap(),
    )
}

/// An engine without periodic scans. The layer cap is lowered from 64 GiB to 256 MiB so the
/// bombs are stopped in a fraction of a second; everything else is the production default.
pub(crate) fn engine(store: Arc<dyn Store>, db_path: &Path) -> Engine {
    let mut config = EngineConfig::new(db_path.to_path_buf());
    config.periodic = None;
    config.discovery.client.request_timeout = Duration::from_secs(60);
    config.limits.max_layer_bytes = 256 << 20;
    Engine::new(store, config)
}

/// Drives the engine one [`Engine::step`] at a time until it has nothing left to do: every
/// scan requested so far has ended. Bounded, so an engine that loops fails the test.
pub(crate) async fn steps_until_idle(engine: &Engine) {
    for _ in 0..10_000 {
        if engine.step().await.unwrap() == Step::Idle {
            return;
        }
    }
    panic!("the engine never became idle");
}

/// Waits for `cond` (a condition, not a timing assumption), failing after `secs`.
pub(crate) async fn until<F, Fut>(what: &str, secs: u64, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while !cond().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// All string values in a JSON document, depth first.
pub(crate) fn strings(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| strings(x, out)),
        _ => {}
    }
}
