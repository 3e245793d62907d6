//! Job claim throughput (issue 17): `N` claimers taking one job at a time until the queue of one
//! scan is empty, on a real PostgreSQL (started by crowsnest-testkit in a temp dir) and, as the
//! baseline measured in the same run, on SQLite in a temp dir.
//!
//! Run: `cargo run --release -p crowsnest-store --example claim_rate [JOBS] [CLAIMERS...]`
//! (defaults: 20000 jobs; 1, 8 and 64 claimers). Prints a Markdown table.

use crowsnest_store::{
    JobRecord, JobState, MasterKey, PostgresStore, ScanKind, SecretBox, SqliteStore, Store,
};
use std::sync::Arc;
use std::time::Instant;

fn job(scan_id: i64, i: usize) -> JobRecord {
    JobRecord {
        id: 0,
        scan_id,
        spec_id: "bench".into(),
        registry: "reg".into(),
        repo: format!("repo{}", i / 100),
        tag: format!("v{i}"),
        digest: String::new(),
        created: None,
        state: JobState::Pending,
        attempts: 0,
        error: String::new(),
    }
}

/// Fills one scan with `jobs` jobs, then lets `claimers` tasks claim and finish them one at a
/// time. Returns claims per second.
async fn run(store: Arc<dyn Store>, jobs: usize, claimers: usize) -> f64 {
    let scan = store
        .create_scan(ScanKind::OnDemand, "", "2026-01-01T00:00:00Z")
        .await
        .unwrap();
    let batch: Vec<JobRecord> = (0..jobs).map(|i| job(scan.id, i)).collect();
    for chunk in batch.chunks(1000) {
        store.insert_jobs(chunk).await.unwrap();
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..claimers {
        let store = store.clone();
        tasks.spawn(async move {
            let owner = format!("node-{c}");
            let mut n = 0u64;
            loop {
                let got = store
                    .claim_jobs(scan.id, "bench", &owner, 0, i64::MAX, 1)
                    .await
                    .unwrap();
                let Some(j) = got.first() else { return n };
                store
                    .finish_job(j.id, JobState::Done, "", None)
                    .await
                    .unwrap();
                n += 1;
            }
        });
    }
    let mut total = 0;
    while let Some(n) = tasks.join_next().await {
        total += n.unwrap();
    }
    assert_eq!(total as usize, jobs, "every job claimed exactly once");
    total as f64 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let jobs = args.first().copied().unwrap_or(20_000);
    let claimers: Vec<usize> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        vec![1, 8, 64]
    };
    let pg = crowsnest_testkit::PostgresBuilder::new()
        .start()
        .expect("PostgreSQL (scripts/test-deps.sh installs it)");
    let dir = tempfile::tempdir().unwrap();
    println!("| claimers | SQLite: claims/s (baseline) | PostgreSQL: claims/s |");
    println!("|---|---|---|");
    for (i, &n) in claimers.iter().enumerate() {
        let url = format!(
            "sqlite://{}",
            dir.path().join(format!("s{i}.sqlite")).display()
        );
        let sqlite: Arc<dyn Store> = Arc::new(
            SqliteStore::open(&url, SecretBox::new(&MasterKey::generate()))
                .await
                .unwrap(),
        );
        let s = run(sqlite, jobs, n).await;
        let url = pg.create_database().unwrap();
        let postgres: Arc<dyn Store> = Arc::new(
            PostgresStore::open(&url, SecretBox::new(&MasterKey::generate()))
                .await
                .unwrap(),
        );
        let p = run(postgres, jobs, n).await;
        println!("| {n} | {s:.0} | {p:.0} |");
    }
}
