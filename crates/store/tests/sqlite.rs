//! The SQLite backend: the whole contract suite on a fresh database file per store, then what
//! is particular to SQLite (the file on disk, migrations, rows from other versions).

use crowsnest_store::{
    JobState, MasterKey, ScanKind, ScanQueue, SecretBox, SqliteStore, Store, StoreError,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A factory that opens a new database file in a temp dir it owns, so the files live as long
/// as the test that holds it.
fn sqlite() -> impl crowsnest_store::contract::Factory {
    let dir = Arc::new(tempfile::tempdir().unwrap());
    let next = Arc::new(AtomicUsize::new(0));
    move || {
        let dir = dir.clone();
        let n = next.fetch_add(1, Ordering::Relaxed);
        async move {
            let store = open(&dir.path().join(format!("s{n}.sqlite"))).await;
            Arc::new(store) as Arc<dyn Store>
        }
    }
}

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(
        &format!("sqlite://{}", path.display()),
        SecretBox::new(&MasterKey::generate()),
    )
    .await
    .unwrap()
}

crowsnest_store::contract_tests!(sqlite());

fn temp_db() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.sqlite");
    (dir, path)
}

/// State kept in the store survives closing and reopening the database: a stop, a retry time,
/// a reported progress.
#[tokio::test]
async fn engine_state_survives_a_reopen() {
    let (_dir, path) = temp_db();
    let s = open(&path).await;
    let scan = s.create_scan(ScanKind::Regular, "", "t0").await.unwrap();
    s.stop_scan_spec(scan.id, "s1", "t1").await.unwrap();
    assert!(s.mark_progress_reported(scan.id).await.unwrap());
    s.close().await;
    let s = open(&path).await;
    assert!(s.scan_spec_stopped(scan.id, "s1").await.unwrap());
    assert!(!s.mark_progress_reported(scan.id).await.unwrap());
    assert_eq!(s.scan(scan.id).await.unwrap().unwrap().id, scan.id);
}

/// A row whose state this version does not know is a typed error, not a panic or a default.
#[tokio::test]
async fn an_unknown_stored_state_is_a_typed_error() {
    let (_dir, path) = temp_db();
    let s = open(&path).await;
    let scan = s.create_scan(ScanKind::Regular, "", "t0").await.unwrap();
    s.insert_jobs(&[crowsnest_store::JobRecord {
        id: 0,
        scan_id: scan.id,
        spec_id: "s1".into(),
        registry: "r".into(),
        repo: "a".into(),
        tag: "1".into(),
        digest: String::new(),
        created: None,
        state: JobState::Pending,
        attempts: 0,
        error: String::new(),
    }])
    .await
    .unwrap();
    s.close().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::query("UPDATE scan_jobs SET state = 'paused'")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("UPDATE scans SET kind = 'nightly'")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let s = open(&path).await;
    let jobs = s.jobs(scan.id).await;
    assert!(
        matches!(&jobs, Err(StoreError::UnknownState { what: "job state", value }) if value == "paused"),
        "{jobs:?}"
    );
    assert!(matches!(
        s.job_counts(scan.id, None).await,
        Err(StoreError::UnknownState { .. })
    ));
    assert!(matches!(
        s.scan(scan.id).await,
        Err(StoreError::UnknownState {
            what: "scan kind",
            ..
        })
    ));
}

/// The table of scan requests, written and never read, is gone.
#[tokio::test]
async fn scan_requests_table_is_dropped() {
    let (_dir, path) = temp_db();
    open(&path).await.close().await;
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(tables.iter().any(|t| t == "scan_jobs"), "{tables:?}");
    assert!(!tables.iter().any(|t| t == "scan_requests"), "{tables:?}");
}
