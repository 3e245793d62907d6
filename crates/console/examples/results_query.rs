//! Results query benchmark (issue 8, scale): the Console's `GET /registry` and
//! `GET /registry/download` over more than 100,000 stored findings, in process over loopback HTTP.
//!
//! ```text
//! cargo run --release -p crowsnest-console --example results_query -- [IMAGES] [RUNS] [DATA_DIR]
//! ```
//! Defaults: 2,000 images, 30 runs per query (CSV downloads: a fifth of that, at least 3), data
//! under a new temp dir in /var/tmp (removed at the end).
//!
//! How the store is filled: Debian's real `docker-registry` on 127.0.0.1 holds 100 images over 20
//! repositories (5 tags each). Each repository's base layer is an Ubuntu 18.04 root with a quarter
//! of trivy's real dpkg status file (which quarter depends on the repository), and each tag adds an
//! old pinned Python package. The Console's own engine scans them through `POST /registry/scan`
//! with the vulnerability database built from `../shared/vulndb`. Those 100 real results are then
//! stored again under new tags (`<tag>-c<N>`) through the Store API until IMAGES images exist, so
//! every repository holds IMAGES / 20 tags.
//!
//! What is timed, sequentially, one request at a time: pages of `GET /registry` (first and last
//! page, sorted, filtered by repository, search and collections, compact), the CSV download (all
//! of it, and one repository), each against baselines taken in the same run: the same rows read
//! straight from the store (`Store::images`, no HTTP, no JSON), and one unfiltered page. Per
//! query: median and p99 latency, requests per second, response size, and the process's peak
//! RSS while that query ran with its growth over the RSS before it (the Console and the client
//! share the process; the vulnerability database is built in a child process).

use crowsnest_console::{Bootstrap, ConsoleConfig, SystemClock};
use crowsnest_model::scan_result::ImageScanResult;
use crowsnest_store::{ImageQuery, ImageRecord, Store};
use crowsnest_testkit::{ImageBuilder, RegistryBuilder, tar_layer};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADMIN: &str = "admin";
const ADMIN_PASSWORD: &str = "Results-Bench-Pw-1";
const REPOS: usize = 20;
const TAGS_SCANNED: usize = 5;

const UBUNTU_1804_OS_RELEASE: &str = "NAME=\"Ubuntu\"\nVERSION=\"18.04.3 LTS (Bionic Beaver)\"\nID=ubuntu\nID_LIKE=debian\nPRETTY_NAME=\"Ubuntu 18.04.3 LTS\"\nVERSION_ID=\"18.04\"\nVERSION_CODENAME=bionic\nUBUNTU_CODENAME=bionic\n";

/// Old pinned Python packages, one per tag.
const PYTHON: &[(&str, &str)] = &[
    ("urllib3", "1.24.1"),
    ("requests", "2.19.0"),
    ("django", "2.2.0"),
    ("jinja2", "2.10"),
    ("pyyaml", "5.3"),
];

fn shared() -> std::path::PathBuf {
    std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared"))
}

/// An Ubuntu 18.04 base layer holding one quarter of trivy's real dpkg status file.
fn base_layer(quarter: usize) -> Vec<u8> {
    let txtar = std::fs::read_to_string(
        shared().join("testdata/trivy/pkg/fanal/analyzer/pkg/dpkg/testdata/valid.txtar"),
    )
    .expect("trivy's dpkg test data in ../shared/testdata");
    let status = txtar
        .split_once("-- var/lib/dpkg/status --\n")
        .expect("valid.txtar has a status section")
        .1;
    let stanzas: Vec<&str> = status
        .split("\n\n")
        .filter(|s| s.contains("Package:"))
        .enumerate()
        .filter(|(i, _)| i % 4 == quarter)
        .map(|(_, s)| s.trim_matches('\n'))
        .collect();
    let status = stanzas.join("\n\n") + "\n";
    tar_layer(&[
        ("etc/os-release", UBUNTU_1804_OS_RELEASE),
        ("var/lib/dpkg/status", status.as_str()),
    ])
}

fn app_layer(repo: usize, tag: usize) -> Vec<u8> {
    let (name, version) = PYTHON[tag % PYTHON.len()];
    tar_layer(&[
        (
            format!("usr/lib/python3/dist-packages/{name}-{version}.dist-info/METADATA"),
            format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"),
        ),
        (
            "srv/app/BUILD".to_string(),
            format!("repo {repo} tag {tag}\n"),
        ),
    ])
}

/// `VmRSS` or `VmHWM` of this process in MB.
fn status_mb(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Starts a new peak-RSS window (Linux: writing 5 to clear_refs resets VmHWM to VmRSS).
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Latencies of one query, and what it returned.
struct Timing {
    label: String,
    latencies: Vec<Duration>,
    /// Bytes of one response (or of the rows read, for store baselines).
    bytes: u64,
    /// Images (pages) or CSV rows per response.
    items: u64,
    /// RSS when the timed runs started, and the peak during them.
    rss_before: f64,
    peak_rss: f64,
}

impl Timing {
    fn percentile(&self, p: f64) -> Duration {
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        sorted[rank.min(sorted.len() - 1)]
    }

    fn row(&self, baseline: Option<&Timing>) -> String {
        let median = self.percentile(50.0);
        let ratio = baseline.map_or("—".to_string(), |b| {
            format!(
                "{:.1}×",
                median.as_secs_f64() / b.percentile(50.0).as_secs_f64()
            )
        });
        let total: f64 = self.latencies.iter().map(Duration::as_secs_f64).sum();
        format!(
            "| {} | {} | {:.1} ms | {:.1} ms | {} | {:.1} | {:.2} MB | {} | {:.0} MB (+{:.0}) |",
            self.label,
            self.latencies.len(),
            median.as_secs_f64() * 1e3,
            self.percentile(99.0).as_secs_f64() * 1e3,
            ratio,
            self.latencies.len() as f64 / total,
            self.bytes as f64 / 1e6,
            self.items,
            self.peak_rss,
            self.peak_rss - self.rss_before
        )
    }
}

struct Bench {
    base: String,
    http: reqwest::Client,
    token: String,
    store: Arc<dyn Store>,
}

impl Bench {
    /// One GET, its body read to the end without keeping it; (bytes, images or CSV rows).
    async fn get(&self, path: &str) -> (u64, u64) {
        let mut r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("the Console answers");
        assert_eq!(r.status(), 200, "{path}");
        let csv = path.starts_with("/registry/download");
        let (mut bytes, mut lines) = (0u64, 0u64);
        let mut body = Vec::new();
        while let Some(chunk) = r.chunk().await.expect("body") {
            bytes += chunk.len() as u64;
            if csv {
                lines += chunk.iter().filter(|&&b| b == b'\n').count() as u64;
            } else {
                body.extend_from_slice(&chunk);
            }
        }
        if csv {
            // Rows, without the header line.
            return (bytes, lines.saturating_sub(1));
        }
        let page: Vec<serde::de::IgnoredAny> =
            serde_json::from_slice(&body).expect("a JSON array of results");
        (bytes, page.len() as u64)
    }

    async fn time_get(&self, label: &str, path: &str, runs: usize) -> Timing {
        self.get(path).await; // warm-up: caches, connection
        let rss_before = status_mb("VmRSS:");
        reset_peak_rss();
        let mut latencies = Vec::with_capacity(runs);
        let mut last = (0, 0);
        for _ in 0..runs {
            let t = Instant::now();
            last = self.get(path).await;
            latencies.push(t.elapsed());
        }
        Timing {
            label: format!("{label}: `GET {path}`"),
            latencies,
            bytes: last.0,
            items: last.1,
            rss_before,
            peak_rss: status_mb("VmHWM:"),
        }
    }

    /// The baseline: the same rows straight from the store, a page at a time as the CSV route
    /// reads them (or one page), with no HTTP and no JSON.
    async fn time_store(&self, label: &str, query: ImageQuery, all: bool, runs: usize) -> Timing {
        let read = |mut q: ImageQuery| async move {
            let (mut bytes, mut rows) = (0u64, 0u64);
            loop {
                let (page, _) = self.store.images(&q).await.expect("store query");
                let n = page.len() as u64;
                bytes += page.iter().map(|r| r.result.len() as u64).sum::<u64>();
                rows += n;
                if !all || n < q.limit {
                    return (bytes, rows);
                }
                q.offset += n;
            }
        };
        read(query.clone()).await;
        let rss_before = status_mb("VmRSS:");
        reset_peak_rss();
        let mut latencies = Vec::with_capacity(runs);
        let mut last = (0, 0);
        for _ in 0..runs {
            let t = Instant::now();
            last = read(query.clone()).await;
            latencies.push(t.elapsed());
        }
        Timing {
            label: format!("baseline: {label}"),
            latencies,
            bytes: last.0,
            items: last.1,
            rss_before,
            peak_rss: status_mb("VmHWM:"),
        }
    }
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The database is built in a child process, so that the import's memory does not stay in
    // this process's RSS figures.
    if args.first().map(String::as_str) == Some("--build-db") {
        let (db, _) = crowsnest_vulndb::Database::build(
            &[shared().join("vulndb")],
            &crowsnest_vulndb::ImportOptions::new(),
        )
        .expect("feeds in ../shared/vulndb");
        db.write_atomic(std::path::Path::new(&args[1]))
            .expect("write the database");
        return;
    }
    let images: usize = args.first().map_or(2000, |a| a.parse().expect("IMAGES"));
    let runs: usize = args.get(1).map_or(30, |a| a.parse().expect("RUNS"));
    let csv_runs = (runs / 5).max(3);
    let dir = match args.get(2) {
        Some(d) => tempfile::Builder::new().tempdir_in(d),
        None => tempfile::Builder::new().tempdir_in("/var/tmp"),
    }
    .expect("temp dir");
    // reqwest is built without a default TLS provider; this process picks ring.
    let _ = rustls::crypto::ring::default_provider().install_default();

    let registry = RegistryBuilder::new()
        .start()
        .await
        .expect("docker-registry (scripts/test-deps.sh installs it)");
    let pusher = registry.pusher();
    let t = Instant::now();
    for r in 0..REPOS {
        let base = base_layer(r % 4);
        for g in 0..TAGS_SCANNED {
            let img = ImageBuilder::oci().layers(vec![base.clone(), app_layer(r, g)]);
            pusher
                .push_image(&format!("shop/svc{r:02}"), &format!("v{g}"), &img)
                .await
                .expect("push");
        }
    }
    eprintln!(
        "pushed {} images in {:.1?}",
        REPOS * TAGS_SCANNED,
        t.elapsed()
    );

    let built = std::process::Command::new(std::env::current_exe().expect("own path"))
        .arg("--build-db")
        .arg(crowsnest_vulndb::default_path(&dir.path().join("data")))
        .status()
        .expect("run the database build");
    assert!(built.success(), "building the database failed");
    let mut config = ConsoleConfig::for_data_dir(dir.path().join("data"));
    config.scan_interval_hours = 0;
    config.feeds = Some(shared().join("vulndb"));
    let bootstrap = Bootstrap {
        admin_user: Some(ADMIN.into()),
        admin_password: Some(ADMIN_PASSWORD.into()),
        master_key: None,
    };
    let state = crowsnest_console::open(config, Arc::new(SystemClock), &bootstrap)
        .await
        .expect("the Console opens");
    let store = state.store.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/api/v1", listener.local_addr().expect("addr"));
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        crowsnest_console::serve(listener, state, async {
            let _ = stop_rx.await;
        })
        .await
        .expect("server");
    });
    let http = reqwest::Client::new();
    let token: serde_json::Value = http
        .post(format!("{base}/authenticate"))
        .json(&serde_json::json!({"username": ADMIN, "password": ADMIN_PASSWORD}))
        .send()
        .await
        .expect("authenticate")
        .json()
        .await
        .expect("token JSON");
    let token = token["token"].as_str().expect("a token").to_string();
    let bench = Bench {
        base,
        http,
        token,
        store,
    };

    // The engine scans the pushed images, as a user's scan would.
    let spec = serde_json::json!({
        "version": "2", "registry": registry.url(), "repository": "shop/*", "os": "linux",
        "cap": 0, "scanners": 4, "collections": ["All"]
    });
    let r = bench
        .http
        .post(format!("{}/settings/registry?scanLater=true", bench.base))
        .bearer_auth(&bench.token)
        .json(&spec)
        .send()
        .await
        .expect("settings");
    assert!(r.status().is_success(), "spec accepted: {}", r.status());
    let t = Instant::now();
    let r = bench
        .http
        .post(format!("{}/registry/scan", bench.base))
        .bearer_auth(&bench.token)
        .send()
        .await
        .expect("scan");
    assert!(r.status().is_success(), "scan starts: {}", r.status());
    let scanned = REPOS * TAGS_SCANNED;
    loop {
        let (_, stored) = bench
            .store
            .images(&ImageQuery {
                limit: 1,
                ..Default::default()
            })
            .await
            .expect("count");
        let progress: serde_json::Value = bench
            .http
            .get(format!("{}/registry/progress", bench.base))
            .bearer_auth(&bench.token)
            .send()
            .await
            .expect("progress")
            .json()
            .await
            .expect("progress JSON");
        let ongoing = progress
            .as_array()
            .is_some_and(|p| p.iter().any(|x| x["isScanOngoing"] == true));
        if !ongoing && stored as usize == scanned {
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(1800), "scan too slow");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("engine scanned {scanned} images in {:.1?}", t.elapsed());

    // Every scanned result again under new tags, through the Store API, up to IMAGES images.
    let (scanned_records, _) = bench
        .store
        .images(&ImageQuery::default())
        .await
        .expect("results");
    let t = Instant::now();
    let mut copy = 1;
    let mut stored = scanned_records.len();
    while stored < images {
        for rec in &scanned_records {
            if stored >= images {
                break;
            }
            bench
                .store
                .put_image(&retagged(rec, &format!("{}-c{copy}", rec.tag)))
                .await
                .expect("put_image");
            stored += 1;
        }
        copy += 1;
    }
    let (mut findings, mut offset, mut result_bytes) = (0i64, 0u64, 0u64);
    loop {
        let (page, _) = bench
            .store
            .images(&ImageQuery {
                offset,
                limit: 200,
                ..Default::default()
            })
            .await
            .expect("page");
        if page.is_empty() {
            break;
        }
        findings += page.iter().map(|r| r.vulns).sum::<i64>();
        result_bytes += page.iter().map(|r| r.result.len() as u64).sum::<u64>();
        offset += page.len() as u64;
    }
    let db_file = dir.path().join("data/crowsnest.sqlite");
    let db_mb = std::fs::metadata(&db_file).map_or(0.0, |m| m.len() as f64 / 1e6);
    eprintln!(
        "stored {stored} images in {:.1?}: {findings} findings, results {:.0} MB of JSON, store file {db_mb:.0} MB",
        t.elapsed(),
        result_bytes as f64 / 1e6
    );
    assert!(
        findings >= 100_000,
        "only {findings} findings; ask for more images"
    );

    let rss_idle = status_mb("VmRSS:");
    let last_page = (stored as u64 / 50 - 1) * 50;
    let repo = "shop/svc07";
    let per_repo = stored / REPOS;
    let page_baseline = bench
        .time_store(
            "one page of 50 from the store (`Store::images`)",
            ImageQuery {
                limit: 50,
                ..Default::default()
            },
            false,
            runs,
        )
        .await;
    let first_page = bench
        .time_get("first page", "/registry?limit=50", runs)
        .await;
    let queries: Vec<(&str, String)> = vec![
        (
            "last page",
            format!("/registry?limit=50&offset={last_page}"),
        ),
        (
            "sorted by vulnerabilities",
            "/registry?limit=50&sort=vulnerabilities&reverse=true".into(),
        ),
        (
            "filtered by repository",
            format!("/registry?limit=50&repository={repo}"),
        ),
        ("search", "/registry?limit=50&search=svc1".into()),
        ("collections", "/registry?limit=50&collections=All".into()),
        ("compact", "/registry?limit=50&compact=true".into()),
    ];
    let mut page_rows = Vec::new();
    for (label, path) in &queries {
        page_rows.push(bench.time_get(label, path, runs).await);
    }
    let csv_baseline = bench
        .time_store(
            "every result from the store, 100 per page (`Store::images`)",
            ImageQuery {
                limit: 100,
                ..Default::default()
            },
            true,
            csv_runs,
        )
        .await;
    let csv_all = bench
        .time_get("CSV, everything", "/registry/download", csv_runs)
        .await;
    let csv_repo_baseline = bench
        .time_store(
            &format!("one repository's results from the store ({per_repo} images)"),
            ImageQuery {
                repositories: vec![repo.into()],
                limit: 100,
                ..Default::default()
            },
            true,
            runs,
        )
        .await;
    let csv_repo = bench
        .time_get(
            "CSV, one repository",
            &format!("/registry/download?repository={repo}"),
            runs,
        )
        .await;

    println!(
        "\n{stored} images ({REPOS} repositories × {per_repo} tags), {findings} findings, store file {db_mb:.0} MB; process RSS before the queries {rss_idle:.0} MB\n"
    );
    println!(
        "| query | runs | median | p99 | median vs baseline | requests/s | response | images or rows | peak RSS (growth) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|");
    println!("{}", page_baseline.row(None));
    println!("{}", first_page.row(Some(&page_baseline)));
    for t in &page_rows {
        println!("{}", t.row(Some(&first_page)));
    }
    println!("{}", csv_baseline.row(None));
    println!("{}", csv_all.row(Some(&csv_baseline)));
    let median = csv_all.percentile(50.0).as_secs_f64();
    println!("{}", csv_repo_baseline.row(None));
    println!("{}", csv_repo.row(Some(&csv_repo_baseline)));
    println!(
        "\nCSV, everything: {} rows in {median:.2} s = {:.0} rows/s, {:.1} MB/s",
        csv_all.items,
        csv_all.items as f64 / median,
        csv_all.bytes as f64 / 1e6 / median
    );

    let _ = stop_tx.send(());
    let _ = server.await;
}

/// The result of `rec` as if it had been scanned under another tag.
fn retagged(rec: &ImageRecord, tag: &str) -> ImageRecord {
    let mut result: ImageScanResult =
        serde_json::from_str(&rec.result).expect("a stored result parses");
    let key = if rec.registry.is_empty() {
        format!("{}:{tag}", rec.repo)
    } else {
        format!("{}/{}:{tag}", rec.registry, rec.repo)
    };
    result.key = key.clone();
    result.repo_tag.tag = tag.to_string();
    for t in &mut result.tags {
        t.tag = tag.to_string();
    }
    ImageRecord {
        key,
        tag: tag.to_string(),
        result: serde_json::to_string(&result).expect("serialise"),
        ..rec.clone()
    }
}
