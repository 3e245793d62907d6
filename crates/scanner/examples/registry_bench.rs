//! Registry-scale benchmark of the scan engine (issue 6): a real `docker-registry` holding
//! `REPOS` repositories × `TAGS` tags that share one base layer built from this machine's real
//! files, scanned cold (empty store and layer cache) and warm (nothing changed), with the real
//! vulnerability database built from `../shared/vulndb`.
//!
//! Run: `cargo run --release -p crowsnest-scanner --example registry_bench [REPOS TAGS]`
//! It prints a Markdown table: wall and CPU times, layer bytes pulled against the distinct-layer
//! total, requests, and the process's peak RSS during each scan. The database is built in a
//! child process and the peak is reset before each scan, so the figures are the scan's own.

use crowsnest_model::spec::RegistrySpecification;
use crowsnest_scanner::{Engine, EngineConfig};
use crowsnest_store::{MasterKey, SecretBox, SqliteStore, Store};
use crowsnest_testkit::{FaultProxy, ImageBuilder, RegistryBuilder, tar_layer};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// A base layer of real files: this machine's dpkg status and os-release, and its /usr/share/doc
/// copyright files (about the size of a slim base image's metadata).
fn base_layer() -> Vec<u8> {
    let mut entries = vec![
        (
            "var/lib/dpkg/status".to_string(),
            std::fs::read("/var/lib/dpkg/status").unwrap_or_default(),
        ),
        (
            "etc/os-release".to_string(),
            std::fs::read("/etc/os-release").unwrap_or_default(),
        ),
    ];
    if let Ok(dir) = std::fs::read_dir("/usr/share/doc") {
        for e in dir.flatten().take(400) {
            let p = e.path().join("copyright");
            if let Ok(body) = std::fs::read(&p) {
                entries.push((
                    p.to_string_lossy().trim_start_matches('/').to_string(),
                    body,
                ));
            }
        }
    }
    tar_layer(&entries)
}

fn app_layer(repo: usize, tag: usize) -> Vec<u8> {
    // Old pinned versions, as real application images carry.
    let (name, version) = [
        ("urllib3", "1.24.1"),
        ("requests", "2.19.0"),
        ("django", "2.2.0"),
        ("jinja2", "2.10"),
    ][tag % 4];
    let meta = format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n");
    tar_layer(&[
        (
            format!("usr/lib/python3/dist-packages/{name}-{version}.dist-info/METADATA"),
            meta.into_bytes(),
        ),
        (
            format!("app/build-{repo}-{tag}.txt"),
            format!("repo {repo} tag {tag}\n").into_bytes(),
        ),
    ])
}

/// A field of `/proc/self/status` in MB (`VmHWM:` is the peak RSS, `VmRSS:` the current one).
fn status_mb(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
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

/// User + system CPU seconds of this process (all threads), from /proc/self/stat. Steadier than
/// wall time on a shared machine; the registry's own CPU is not included.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3.
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15, i.e. 11 and 12 after the name; 100 ticks a second.
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main]
async fn main() {
    // The database is built in a child process so that the peak RSS below is the scan's own.
    let raw: Vec<String> = std::env::args().collect();
    if raw.get(1).map(String::as_str) == Some("--build-db") {
        let feeds = std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vulndb"
        ));
        let (db, _) =
            crowsnest_vulndb::Database::build(&[feeds], &crowsnest_vulndb::ImportOptions::new())
                .expect("feeds in ../shared/vulndb");
        db.write_atomic(std::path::Path::new(&raw[2])).unwrap();
        return;
    }
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let (repos, tags) = (
        args.first().copied().unwrap_or(20),
        args.get(1).copied().unwrap_or(25),
    );
    let registry = RegistryBuilder::new()
        .start()
        .await
        .expect("docker-registry (scripts/test-deps.sh installs it)");
    let pusher = registry.pusher();
    let base = base_layer();
    let mut distinct_bytes = base.len() as u64;
    let mut layer_sizes = std::collections::HashMap::new();
    let t = Instant::now();
    for r in 0..repos {
        for g in 0..tags {
            let app = app_layer(r, g);
            distinct_bytes += app.len() as u64;
            let created = format!("2024-01-{:02}T00:00:00Z", 1 + g % 28);
            let img = ImageBuilder::oci()
                .created(&created)
                .label(&format!("{r}-{g}"))
                .layers(vec![base.clone(), app]);
            let pushed = pusher
                .push_image(&format!("bench/repo{r:02}"), &format!("v{g}"), &img)
                .await
                .unwrap();
            for (d, size) in pushed.layers {
                layer_sizes.insert(d, size);
            }
        }
    }
    eprintln!("pushed {} images in {:.1?}", repos * tags, t.elapsed());
    let proxy = FaultProxy::start(&registry.url()).await.unwrap();

    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("vulndb/crowsnest.db");
    std::fs::create_dir_all(db_path.parent().unwrap()).unwrap();
    let built = std::process::Command::new(std::env::current_exe().unwrap())
        .arg("--build-db")
        .arg(&db_path)
        .status()
        .unwrap();
    assert!(built.success(), "building the database failed");

    let url = format!("sqlite://{}", dir.path().join("store.sqlite").display());
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&url, SecretBox::new(&MasterKey::generate()))
            .await
            .unwrap(),
    );
    let mut spec = RegistrySpecification {
        id: "bench".into(),
        version: "2".into(),
        registry: proxy.url().to_string(),
        repository: "bench/*".into(),
        scanners: 4,
        collections: vec!["All".into()],
        ..Default::default()
    };
    spec.validate().unwrap();
    store.replace_specifications(&[spec]).await.unwrap();
    let mut config = EngineConfig::new(db_path);
    config.periodic = None;
    let engine = Engine::new(store.clone(), config);
    let stop = CancellationToken::new();
    tokio::spawn(engine.clone().run(stop.clone()));

    let layer_bytes_pulled = |proxy: &FaultProxy| -> u64 {
        layer_sizes
            .iter()
            .map(|(d, size)| proxy.hits(&format!("/blobs/{d}")) as u64 * size)
            .sum()
    };
    let mut rows = Vec::new();
    for (i, label) in ["cold", "warm (nothing changed)"].iter().enumerate() {
        let requests_before = proxy.hits("");
        let rss_before = status_mb("VmRSS:");
        reset_peak_rss();
        let cpu_before = cpu_seconds();
        let t = Instant::now();
        engine.request_scan(None).await.unwrap();
        loop {
            let s = engine.status().await.unwrap();
            let latest = store
                .latest_scan(crowsnest_store::ScanKind::Regular)
                .await
                .unwrap()
                .unwrap();
            if s.completed && latest.id == i as i64 + 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let wall = t.elapsed();
        rows.push((
            label.to_string(),
            wall,
            cpu_seconds() - cpu_before,
            layer_bytes_pulled(&proxy),
            proxy.hits("") - requests_before,
            rss_before,
            status_mb("VmHWM:"),
        ));
    }
    // Counted a page at a time, after the measurements: every stored result at once would be
    // the biggest allocation of the run.
    let (mut images, mut vulns, mut offset) = (0u64, 0i64, 0u64);
    loop {
        let query = crowsnest_store::ImageQuery {
            offset,
            limit: 100,
            ..Default::default()
        };
        let (page, _) = store.images(&query).await.unwrap();
        if page.is_empty() {
            break;
        }
        images += page.len() as u64;
        vulns += page.iter().map(|i| i.vulns).sum::<i64>();
        offset += page.len() as u64;
    }
    let n = repos * tags;
    println!(
        "| scan | images | wall time | per 1,000 tags | CPU time (this process) | CPU per 1,000 tags | layer bytes pulled (cumulative) | distinct layer bytes | requests | RSS before | peak RSS |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for (label, wall, cpu, pulled, requests, rss_before, peak) in rows {
        println!(
            "| {label} | {n} | {:.2} s | {:.2} s | {cpu:.2} s | {:.2} s | {pulled} | {distinct_bytes} | {requests} | {rss_before:.0} MB | {peak:.0} MB |",
            wall.as_secs_f64(),
            wall.as_secs_f64() * 1000.0 / n as f64,
            cpu * 1000.0 / n as f64
        );
    }
    println!("\nimages stored: {images}, vulnerabilities: {vulns}");
    stop.cancel();
}
