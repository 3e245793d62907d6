//! `GET /registry/progress` at the documented maximum of 19,999 specifications: every spec is
//! listed with its own counts (read in one query for all; the time is in BENCHMARKS.md).

use super::super::harness::console;

#[path = "../../../examples/reliability/fill.rs"]
mod fill;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_lists_every_one_of_19999_specifications_with_its_counts() {
    let c = console().start().await;
    let store = fill::open_store(&c.data_dir).await;
    fill::fill(&store, 19_999, 2).await;
    store.close().await;
    let r = c.get("/api/v1/registry/progress").await;
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(300)]);
    let progress = r.json();
    let entries = progress.as_array().unwrap();
    assert_eq!(entries.len(), 19_999);
    for (i, p) in entries.iter().enumerate() {
        let id = p["imageScan"]["id"].as_str().unwrap();
        let n: u64 = id.trim_start_matches("spec-").parse().unwrap();
        let scanned = u64::from(n.is_multiple_of(100));
        assert_eq!(p["imageScan"]["total"], 2, "entry {i}: {p}");
        assert_eq!(p["imageScan"]["scanned"], scanned, "entry {i}: {p}");
        assert_eq!(p["isScanOngoing"], false, "entry {i}: {p}");
    }
}
