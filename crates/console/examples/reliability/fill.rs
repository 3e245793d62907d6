//! Fills a Console's store with a regular scan of many specifications, for the progress view
//! at the documented maximum (19,999): what `examples/reliability` times and the test checks.

use crowsnest_store::{
    JobRecord, JobState, MasterKey, ScanKind, ScanQueue, ScanSpecRecord, ScanState, SecretBox,
    SpecState, SqliteStore,
};
use std::path::Path;

/// Opens the store of the Console whose data dir is `data_dir` (beside the running Console).
pub(crate) async fn open_store(data_dir: &Path) -> SqliteStore {
    let key = MasterKey::load_or_create(data_dir, None).expect("master key");
    let url = format!("sqlite://{}", data_dir.join("crowsnest.sqlite").display());
    SqliteStore::open(&url, SecretBox::new(&key))
        .await
        .expect("store")
}

/// A completed regular scan of `specs` specifications with `jobs` images each; in every
/// hundredth specification the first image is done. Returns the scan's id.
pub(crate) async fn fill(store: &SqliteStore, specs: usize, jobs: usize) -> i64 {
    let now = "2026-11-01T10:00:00Z";
    let scan = store
        .create_scan(ScanKind::Regular, "", now)
        .await
        .expect("scan");
    let mut all = Vec::with_capacity(specs * jobs);
    for i in 0..specs {
        let spec_id = format!("spec-{i:05}");
        let spec = format!(
            r#"{{"id":"{spec_id}","version":"2","registry":"http://127.0.0.1:9","repository":"r{i}"}}"#
        );
        store
            .put_scan_spec(&ScanSpecRecord {
                scan_id: scan.id,
                spec_id: spec_id.clone(),
                spec,
                state: SpecState::Scanning,
                repos_total: 1,
                repos_done: 1,
                error: String::new(),
                started: now.into(),
            })
            .await
            .expect("scan spec");
        for j in 0..jobs {
            all.push(JobRecord {
                id: 0,
                scan_id: scan.id,
                spec_id: spec_id.clone(),
                registry: "127.0.0.1:9".into(),
                repo: format!("r{i}"),
                tag: format!("t{j}"),
                digest: String::new(),
                created: None,
                state: JobState::Pending,
                attempts: 0,
                error: String::new(),
            });
        }
    }
    store.insert_jobs(&all).await.expect("jobs");
    for spec in (0..specs).step_by(100) {
        let claimed = store
            .claim_jobs(scan.id, &format!("spec-{spec:05}"), "fill", 0, i64::MAX, 1)
            .await
            .expect("claim");
        for job in claimed {
            store
                .finish_job(job.id, JobState::Done, "", None)
                .await
                .expect("finish");
        }
    }
    // Completed, so the running engine leaves it alone.
    store
        .finish_scan(scan.id, ScanState::Completed, now)
        .await
        .expect("finish scan");
    scan.id
}
