//! Web console benchmark (issue 20): the Images page in headless Chromium over many stored
//! results: time to first render, time to interactive, and the bytes a page load transfers.
//!
//! ```text
//! cargo run --release -p crowsnest-console --example ui_images -- [IMAGES] [RUNS]
//! ```
//! Defaults: 100,000 images, 5 loads per scenario. Needs what the browser test needs
//! (`scripts/test-deps.sh`: chromium, chromium-driver, Selenium in /var/tmp/crowsnest-ui-venv).
//!
//! How the store is filled: synthetic results, written straight through the Store API
//! (`put_image`, one row per call, as the engine writes them) into the Console's SQLite store in
//! a temp dir under /var/tmp. Each result is a full `ImageScanResult` of 60 packages in three
//! layers and 24 findings (every tenth image: none), with severities spread so that a `high`
//! filter matches most pages at once and a `critical` filter is rare (one image in 1,000), the
//! worst case for the severity filter, which walks results in sort order. Then the Console serves
//! them over loopback HTTP and `measure.py` (beside this file) drives Chromium: each scenario is a
//! fresh navigation with the browser cache disabled, timed by the Navigation Timing and Paint
//! APIs and the console's own `crowsnest:ready` mark (set when the page's table is in the DOM).

use crowsnest_console::{Bootstrap, ConsoleConfig, SystemClock};
use crowsnest_model::scan_result::{
    Distribution, ImageHistory, ImageScanResult, ImageTag, PackageView, PackagesGroup,
    Vulnerability,
};
use crowsnest_store::ImageRecord;
use std::sync::Arc;
use std::time::Instant;

const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "Ui-Bench-Pw-1";
const REPOS: usize = 200;

fn layer_id(n: usize) -> String {
    format!("sha256:{n:064x}")
}

/// One synthetic result: image `i` of the set.
fn result(i: usize) -> ImageScanResult {
    let repo = format!("team-{}/service-{}", i % 20, i % REPOS);
    let tag = format!("1.{}.{}", i / REPOS, i % 7);
    let registry = "registry.example:5000".to_string();
    let key = format!("{registry}/{repo}:{tag}");
    let severities: &[&str] = if i.is_multiple_of(1000) {
        &["critical", "high", "medium", "low"]
    } else if i.is_multiple_of(10) {
        &[]
    } else {
        &["high", "medium", "low"]
    };
    let mut vulns = vec![];
    let mut dist = Distribution::default();
    for k in 0..if severities.is_empty() { 0 } else { 24 } {
        let sev = severities[k % severities.len()];
        match sev {
            "critical" => dist.critical += 1,
            "high" => dist.high += 1,
            "medium" => dist.medium += 1,
            _ => dist.low += 1,
        }
        dist.total += 1;
        vulns.push(Vulnerability {
            cve: format!("CVE-2024-{:05}", (i * 7 + k) % 5000),
            cvss: 5.0 + (k % 5) as f64,
            severity: sev.into(),
            status: if k % 3 == 0 {
                "open".into()
            } else {
                format!("fixed in 2.{k}.1")
            },
            package_name: format!("pkg-{k}"),
            package_version: format!("1.{k}.0"),
            package_type: "os".into(),
            function_layer: layer_id(1 + k % 3),
            link: format!("https://security.example/CVE-2024-{k:05}"),
            description:
                "A synthetic finding with a description of ordinary length, as the feeds give, \
                          long enough to weigh what a real one weighs in the stored result."
                    .into(),
            title: format!("pkg-{k}: synthetic flaw"),
            ..Vulnerability::default()
        });
    }
    let pkgs = (0..60)
        .map(|k| PackageView {
            name: format!("pkg-{k}"),
            version: format!("1.{k}.0"),
            license: "MIT".into(),
            function_layer: layer_id(1 + k % 3),
            ..PackageView::default()
        })
        .collect();
    let history = (1..=3)
        .map(|n| ImageHistory {
            id: layer_id(n),
            instruction: format!("RUN apt-get install -y step-{n}"),
            size_bytes: 1_000_000 * n as i64,
            ..ImageHistory::default()
        })
        .collect();
    ImageScanResult {
        key: key.clone(),
        id: format!("sha256:{i:064x}"),
        repo_tag: ImageTag {
            registry,
            repo,
            tag,
            digest: format!("sha256:{:064x}", i + 1),
            id: format!("sha256:{i:064x}"),
            ..ImageTag::default()
        },
        scan_time: format!("2026-11-{:02}T{:02}:{:02}:00Z", 1 + i % 28, i % 24, i % 60),
        distro: "Debian GNU/Linux 12 (bookworm)".into(),
        os_distro: "debian".into(),
        vulnerabilities_count: vulns.len() as u64,
        vulnerability_distribution: dist,
        vulnerability_risk_score: (dist.critical * 1000 + dist.high * 100 + dist.medium * 10)
            as f64,
        vulnerabilities: Some(vulns),
        packages: vec![PackagesGroup {
            pkgs_type: "os".into(),
            pkgs,
            ..PackagesGroup::default()
        }],
        history,
        collections: vec!["All".into()],
        ..ImageScanResult::default()
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let images: usize = args.get(1).map_or(100_000, |a| a.parse().expect("IMAGES"));
    let runs: usize = args.get(2).map_or(5, |a| a.parse().expect("RUNS"));
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::Builder::new()
        .prefix("crowsnest-ui-bench")
        .tempdir_in("/var/tmp")
        .unwrap();
    let mut config = ConsoleConfig::for_data_dir(dir.path().join("data"));
    config.scan_interval_hours = 0;
    config.transport = crowsnest_console::Transport::Plain;
    let bootstrap = Bootstrap {
        admin_user: Some(ADMIN.into()),
        admin_password: Some(ADMIN_PASSWORD.into()),
        master_key: None,
    };
    let state = crowsnest_console::open(config, Arc::new(SystemClock), &bootstrap)
        .await
        .expect("console opens");
    let started = Instant::now();
    let mut bytes = 0usize;
    for i in 0..images {
        let r = result(i);
        let text = serde_json::to_string(&r).unwrap();
        bytes += text.len();
        let rec = ImageRecord {
            key: r.key.clone(),
            registry: r.repo_tag.registry.clone(),
            repo: r.repo_tag.repo.clone(),
            tag: r.repo_tag.tag.clone(),
            manifest_digest: r.repo_tag.digest.clone(),
            image_id: r.id.clone(),
            spec_id: "bench".into(),
            scan_time: r.scan_time.clone(),
            first_scan_time: r.scan_time.clone(),
            last_seen: r.scan_time.clone(),
            vulns: r.vulnerabilities_count as i64,
            db_version: "bench".into(),
            inventory: "{}".into(),
            result: text,
        };
        state.store.put_image(&rec).await.expect("put_image");
        if (i + 1) % 10_000 == 0 {
            eprintln!("stored {} results in {:.0?}", i + 1, started.elapsed());
        }
    }
    let db = std::fs::metadata(dir.path().join("data/crowsnest.sqlite")).map_or(0, |m| m.len());
    eprintln!(
        "stored {images} results ({:.1} KB of result JSON each, {:.0} MB database) in {:.1?}",
        bytes as f64 / images.max(1) as f64 / 1e3,
        db as f64 / 1e6,
        started.elapsed()
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crowsnest_console::serve(listener, state, async {
        let _ = rx.await;
    }));
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/ui_images/measure.py");
    let python = std::env::var("CROWSNEST_UI_VENV")
        .unwrap_or_else(|_| "/var/tmp/crowsnest-ui-venv".into())
        + "/bin/python";
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args([script, &base, ADMIN, ADMIN_PASSWORD, &runs.to_string()])
            .env("NO_PROXY", "127.0.0.1,localhost")
            .status()
            .expect("python runs")
    })
    .await
    .unwrap();
    let _ = tx.send(());
    let _ = server.await;
    assert!(status.success(), "measure.py failed");
}
