//! Fifty clients read results (pages, filters, searches, progress, names, CSV) while a scan runs:
//! every answer is a 200 with the body its route promises, and the scan still completes with a
//! result for every image. Latency and slowdown are measured by `examples/load`, not here.

#[path = "../../examples/load/scenario.rs"]
mod scenario;

use scenario::Scenario;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_clients_read_results_while_a_scan_runs() {
    let feeds = tempfile::tempdir().unwrap();
    // One real advisory shape for the application layer's urllib3; the Debian packages go
    // unmatched here (the benchmark uses the whole snapshot).
    std::fs::write(
        feeds.path().join("urllib3.json"),
        r#"{"id":"CROWSNEST-LOAD-0001","modified":"2024-01-01T00:00:00Z","aliases":["CVE-2019-11236"],
 "affected":[{"package":{"ecosystem":"PyPI","name":"urllib3"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"},{"fixed":"1.24.3"}]}]}]}"#,
    )
    .unwrap();
    let Some(mut s) = Scenario::start(feeds.path().to_path_buf(), 0).await else {
        return;
    };
    let deadline = Duration::from_secs(120);
    s.push_images(10).await;
    s.scan(deadline).await;
    s.push_images(20).await;
    let report = s
        .hammer(50, deadline, async {
            s.scan(deadline).await;
        })
        .await;
    assert_eq!(report.failures(), Vec::<String>::new());
    let csv_p99 = report
        .kinds
        .iter()
        .find(|k| k.name == "csv")
        .map(|k| k.percentile(99.0));
    eprintln!(
        "{} requests served, CSV p99 {csv_p99:?} (figures: examples/load)",
        report.requests()
    );
    for kind in ["page", "filter", "search", "progress", "names", "csv"] {
        let served = report
            .kinds
            .iter()
            .find(|k| k.name == kind)
            .map_or(0, |k| k.latencies.len());
        assert!(served > 0, "no {kind} request was made: {report:?}");
    }
    assert_eq!(s.result_count().await, 30);
    // The CSV after the run has one row per image (plus the header), each with its findings.
    let csv = s
        .http
        .get(format!("{}/registry/download", s.base))
        .bearer_auth(&s.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let repos: std::collections::BTreeSet<&str> = rows.iter().map(|r| &r[1]).collect();
    assert_eq!(repos.len(), 30, "{repos:?}");
    assert!(csv.contains("CVE-2019-11236"));
}
