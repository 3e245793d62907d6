//! Load benchmark: many API clients reading results while a scan runs.
//!
//! ```text
//! cargo run --release -p crowsnest-console --example load -- [CLIENTS] [IMAGES] [READS] [FEEDS_DIR]
//! ```
//! Defaults: 50 clients, 150 images per scan, the Console's default admission limit for result
//! reads (READS 0: one per core; a large READS turns the limit off), feeds from
//! `../shared/vulndb`. It scans `IMAGES`
//! images once to fill the results, then times a scan of `IMAGES` new images twice over: alone
//! (the baseline) and with the clients reading throughout (the loaded run), and prints per
//! request kind the count, failures and p50/p99 latency, and the scan's slowdown.

mod scenario;

use scenario::Scenario;
use std::path::PathBuf;
use std::time::Duration;

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let clients: usize = args.first().map_or(50, |a| a.parse().expect("CLIENTS"));
    let images: usize = args.get(1).map_or(150, |a| a.parse().expect("IMAGES"));
    let reads: usize = args.get(2).map_or(0, |a| a.parse().expect("READS"));
    let feeds = args.get(3).map_or_else(
        || {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../../shared/vulndb"
            ))
        },
        PathBuf::from,
    );
    let deadline = Duration::from_secs(1800);
    let mut s = Scenario::start(feeds, reads)
        .await
        .expect("docker-registry is installed (scripts/test-deps.sh)");

    s.push_images(images).await;
    let fill = s.scan(deadline).await;
    println!("fill scan: {images} images in {:.2} s", fill.as_secs_f64());

    s.push_images(images).await;
    let baseline = s.scan(deadline).await;
    println!(
        "baseline: scan of {images} new images, no readers: {:.2} s",
        baseline.as_secs_f64()
    );

    s.push_images(images).await;
    let mut loaded = Duration::ZERO;
    let report = s
        .hammer(clients, deadline, async {
            loaded = s.scan(deadline).await;
        })
        .await;
    println!(
        "loaded:   scan of {images} new images, {clients} readers: {:.2} s (slowdown {:.2}x)",
        loaded.as_secs_f64(),
        loaded.as_secs_f64() / baseline.as_secs_f64()
    );
    println!(
        "{} requests in {:.2} s ({:.0}/s), {} failed; results stored during the run: {}",
        report.requests(),
        report.elapsed.as_secs_f64(),
        report.requests() as f64 / report.elapsed.as_secs_f64(),
        report.failures().len(),
        s.result_count().await
    );
    println!(
        "| request | count | failed | mean KB | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|"
    );
    for k in &report.kinds {
        println!(
            "| {} | {} | {} | {:.0} | {:.1} | {:.1} |",
            k.name,
            k.latencies.len(),
            k.failures.len(),
            k.bytes as f64 / 1024.0 / k.latencies.len().max(1) as f64,
            k.percentile(50.0).as_secs_f64() * 1000.0,
            k.percentile(99.0).as_secs_f64() * 1000.0
        );
    }
    for f in report.failures().iter().take(10) {
        println!("failure: {f}");
    }
}
