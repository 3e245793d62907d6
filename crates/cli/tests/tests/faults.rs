//! Faults: Crowsnest keeps its promises when the world around it breaks. Every test drives the
//! real `crowsnest` binary as a subprocess against Debian's real `docker-registry` (started by
//! crowsnest-testkit on 127.0.0.1), with a real SQLite store and a vulnerability database built by
//! the real importer from the shared feed snapshot; only the 429 answers come from the fault
//! proxy.
//!
//! - The registry is killed in the middle of a scan and restarted on the same port and storage:
//!   the engine waits for it (bounded backoff) and the scan completes every image.
//! - The registry answers 429 with `Retry-After` for a while: the scan completes, every 429 was
//!   waited out and retried exactly once.
//! - The Console is SIGKILLed mid-scan: the next start resumes the scan; earlier results are
//!   untouched and no image is stored twice.
//! - `crowsnest db update` and serve's own first-start import are SIGKILLed at several points:
//!   the database file is always the old one or a complete new one, and the next run succeeds
//!   and leaves no temporary files behind.
//! - The data dir (a small tmpfs) fills up during a scan: the scan ends with a clear error, the
//!   Console keeps answering with the results it had, and once there is room a scan completes.
//!
//! Waits are polls with deadlines; the only fixed waits are the length of an injected outage.

use crate::support::{Console, minimist_layer, shared, ubuntu_layer};
use crowsnest_testkit::{Fault, FaultProxy, ImageBuilder, RegistryBuilder, TestRegistry};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A feed mirror with two small sources of the shared snapshot: the GHSA sample (which has
/// GHSA-xvch-5gv4-984h, CVE-2021-44906 in minimist before 1.2.6) and the Node.js security WG
/// archive. Small enough that a first start builds the database in well under a second.
pub(crate) fn small_feeds(root: &Path) -> PathBuf {
    let dir = root.join("feeds");
    std::fs::create_dir_all(dir.join("osv")).unwrap();
    std::fs::create_dir_all(dir.join("lang")).unwrap();
    let vulndb = shared().join("vulndb");
    std::os::unix::fs::symlink(vulndb.join("osv/ghsa-sample"), dir.join("osv/ghsa-sample"))
        .unwrap();
    std::os::unix::fs::symlink(
        vulndb.join("lang/nodejs-security-wg.tar.gz"),
        dir.join("lang/nodejs-security-wg.tar.gz"),
    )
    .unwrap();
    dir
}

/// `n` bytes that do not repeat, different for every `seed`: a layer the cache has never seen,
/// so every image costs a real pull.
fn filler(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Pushes `count` images `<prefix>/app-NN:1`, each Ubuntu 18.04's dpkg database plus minimist
/// 1.2.5 (shared layers) and a layer of its own of `own_bytes`. Returns the image keys the
/// Console will use (`127.0.0.1:PORT/<prefix>/app-NN:1`) with their pushed config digests.
pub(crate) async fn push_apps(
    registry: &TestRegistry,
    prefix: &str,
    count: usize,
    own_bytes: usize,
) -> Vec<(String, String)> {
    let pusher = registry.pusher();
    let base = ubuntu_layer().tar();
    let npm = minimist_layer("1.2.5").tar();
    let mut keys = Vec::new();
    for i in 0..count {
        let repo = format!("{prefix}/app-{i:02}");
        let own = crowsnest_testkit::tar_layer(&[(
            format!("opt/{prefix}/{i}.bin"),
            filler(i as u64 + prefix.len() as u64 * 1000, own_bytes),
        )]);
        let image = ImageBuilder::oci()
            .label(&repo)
            .layers(vec![base.clone(), npm.clone(), own]);
        let pushed = pusher.push_image(&repo, "1", &image).await.unwrap();
        keys.push((
            format!("{}/{repo}:1", registry.host_port()),
            pushed.config_digest,
        ));
    }
    keys
}

/// Polls `f` every 50 ms until it returns `Some`, failing with `what` after `secs`.
pub(crate) async fn poll<T, F, Fut>(what: &str, secs: u64, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the running scan has finished some images but not all, and returns how many.
/// Panics if the scan ends first: the images would then be too small to catch it in flight.
pub(crate) async fn wait_mid_scan(console: &Console, at_least: u64) -> u64 {
    poll("the scan to be under way", 120, || async {
        let (scanned, total, ongoing) = console.progress().await;
        assert!(
            ongoing || total == 0,
            "the scan finished ({scanned}/{total}) before the fault could be injected"
        );
        (total > 0 && scanned >= at_least).then_some(scanned)
    })
    .await
}

fn cve_ids(result: &serde_json::Value) -> Vec<String> {
    let mut ids: Vec<String> = result["vulnerabilities"]
        .as_array()
        .map(|v| {
            v.iter()
                .filter_map(|x| x["cve"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    ids.sort();
    ids
}

/// Every result is a complete scan of its image: the right config digest and the minimist
/// finding the GHSA sample justifies.
pub(crate) fn assert_complete(
    results: &BTreeMap<String, serde_json::Value>,
    images: &[(String, String)],
) {
    let keys: Vec<&String> = results.keys().collect();
    let want: Vec<&String> = images.iter().map(|(k, _)| k).collect();
    assert_eq!(keys, want, "one result per image, nothing else");
    for (key, config) in images {
        let r = &results[key];
        assert_eq!(r["id"], config.as_str(), "{key}");
        assert!(
            cve_ids(r).contains(&"CVE-2021-44906".to_string()),
            "{key}: {:?}",
            cve_ids(r)
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_killed_and_restarted_mid_scan_the_scan_completes() {
    let Some(mut registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let images = push_apps(&registry, "restart", 24, 1 << 20).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut console = Console::new(&tmp.path().join("data")).feeds(&small_feeds(tmp.path()));
    console.start().await;
    // One scanner, so the scan takes long enough to be caught in the middle.
    console.add_registry(&registry.url(), "restart/*", 1).await;
    console.scan().await;
    wait_mid_scan(&console, 4).await;
    let (before, _) = console.results().await;

    registry.kill();
    // The outage: longer than one request's own retries (under 2 s), shorter than the engine's
    // bounded wait for an unreachable registry.
    tokio::time::sleep(Duration::from_secs(4)).await;
    registry.restart().await.unwrap();

    let status = console.wait_scan_done(180).await;
    let (after, total) = console.results().await;
    assert_eq!(total, images.len() as u64, "{status}\n{}", console.log());
    assert_complete(&after, &images);
    for (key, result) in &before {
        assert_eq!(&after[key], result, "{key} was stored before the outage");
    }
    let (scanned, total, _) = console.progress().await;
    assert_eq!((scanned, total), (24, 24));
    // The engine saw the outage and waited it out rather than failing images.
    let log = console.log();
    assert!(
        log.lines()
            .any(|l| l.contains("retrying the image") && l.contains(&registry.host_port())),
        "{log}"
    );
    assert_eq!(status["errors"], serde_json::json!([]), "{status}");

    // A following scan finds nothing new and changes nothing.
    console.scan().await;
    console.wait_scan_done(120).await;
    assert_eq!(console.results().await.0, after);
}

#[tokio::test(flavor = "multi_thread")]
async fn registry_answering_429_is_waited_out_and_the_scan_completes() {
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let images = push_apps(&registry, "limited", 4, 4096).await;
    let proxy = FaultProxy::start(&registry.url()).await.unwrap();
    // Image 0: its config blob is rate limited three times with Retry-After: 2, within one
    // request's attempts. Image 1: its config blob is limited six times, more than one request
    // tries, so the engine's own retry of the image has to take over.
    let config0 = format!("/v2/limited/app-00/blobs/{}", images[0].1);
    let config1 = format!("/v2/limited/app-01/blobs/{}", images[1].1);
    proxy.inject_times(
        &config0,
        Fault::TooManyRequests {
            retry_after_secs: 2,
        },
        3,
    );
    proxy.inject_times(
        &config1,
        Fault::TooManyRequests {
            retry_after_secs: 1,
        },
        6,
    );
    let tmp = tempfile::tempdir().unwrap();
    let mut console = Console::new(&tmp.path().join("data")).feeds(&small_feeds(tmp.path()));
    console.start().await;
    console.add_registry(proxy.url(), "limited/*", 2).await;
    let started = Instant::now();
    console.scan().await;
    let status = console.wait_scan_done(180).await;
    let elapsed = started.elapsed();

    let keys: Vec<(String, String)> = images
        .iter()
        .map(|(k, c)| {
            (
                k.replace(
                    &registry.host_port(),
                    proxy.url().trim_start_matches("http://"),
                ),
                c.clone(),
            )
        })
        .collect();
    let (results, _) = console.results().await;
    assert_complete(&results, &keys);
    assert_eq!(status["errors"], serde_json::json!([]), "{status}");
    // Each 429 was followed by exactly one more request: the client neither gave up nor
    // hammered the registry.
    assert_eq!(proxy.hits(&format!("GET {config0}")), 4);
    assert_eq!(proxy.hits(&format!("GET {config1}")), 7);
    // Retry-After was honoured: three waits of 2 s on one request come to at least 6 s (noise
    // only makes the scan slower, so this lower bound cannot fail by accident; without
    // honouring it the client's own backoff would have waited 1.75 s).
    assert!(elapsed >= Duration::from_secs(6), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn console_killed_mid_scan_resumes_it_on_restart() {
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let images = push_apps(&registry, "resume", 24, 1 << 20).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut console = Console::new(&tmp.path().join("data")).feeds(&small_feeds(tmp.path()));
    console.start().await;
    console.add_registry(&registry.url(), "resume/*", 1).await;
    console.scan().await;
    wait_mid_scan(&console, 5).await;
    let (before, _) = console.results().await;
    console.kill();
    assert!(!before.is_empty() && before.len() < images.len());

    console.start().await;
    let status = console.wait_scan_done(180).await;
    let (after, total) = console.results().await;
    assert_eq!(
        total,
        images.len() as u64,
        "no image stored twice: {status}"
    );
    assert_complete(&after, &images);
    for (key, result) in &before {
        assert_eq!(&after[key], result, "{key} was stored before the kill");
    }
    let (scanned, total, ongoing) = console.progress().await;
    assert_eq!((scanned, total, ongoing), (24, 24, false), "{status}");
    assert_eq!(status["errors"], serde_json::json!([]), "{status}");
}

/// The sources the database-kill tests import: two real archives of the snapshot, enough work
/// (seconds) to be killed in the middle of. The "old" database holds the second one only.
const UPDATE_SOURCES: [&str; 2] = ["osv/go-vulndb.tar.gz", "lang/nodejs-security-wg.tar.gz"];

fn crowsnest(data: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(crate::support::BIN);
    cmd.arg("--data-dir")
        .arg(data)
        .env_remove("CROWSNEST_FEEDS")
        .env_remove("CROWSNEST_FEEDS_URL")
        .env_remove("CROWSNEST_DATA_DIR")
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    cmd
}

fn update_args<'a>(mirror: &'a str, sources: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["db", "update", "--mirror", mirror];
    for s in sources {
        args.extend(["--only", s]);
    }
    args
}

fn run_ok(cmd: &mut std::process::Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?} failed: {}",
        cmd.get_args().collect::<Vec<_>>(),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the database in `data` says about itself and about one package: `db status` without
/// its first line (the path) and the day of the build, and `db explain` of minimist 1.2.5, which
/// reads the rules themselves (so the whole file decodes, not only its header). `None` when
/// there is no database.
fn db_fingerprint(data: &Path) -> Option<String> {
    if !data.join("vulndb/crowsnest.db").exists() {
        return None;
    }
    let status = crowsnest(data)
        .args(["db", "status"])
        .stdout(std::process::Stdio::piped())
        .output()
        .unwrap();
    let explain = crowsnest(data)
        .args(["db", "explain", "minimist", "1.2.5", "--ecosystem", "npm"])
        .stdout(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert!(
        status.status.success() && explain.status.success(),
        "the database in {} does not open: {}{}",
        data.display(),
        String::from_utf8_lossy(&status.stderr),
        String::from_utf8_lossy(&explain.stderr)
    );
    let status = String::from_utf8_lossy(&status.stdout)
        .lines()
        .skip(1)
        .map(|l| match l.split_once(" UTC; ") {
            Some((_, counts)) if l.starts_with("built ") => counts.to_string(),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    Some(format!(
        "{status}\n{}",
        String::from_utf8_lossy(&explain.stdout)
    ))
}

/// Files in `data/vulndb` other than the database itself (temporary files, scratch downloads).
fn strays(data: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(data.join("vulndb"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "crowsnest.db")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

fn temp_file_present(data: &Path) -> bool {
    strays(data).iter().any(|n| n.contains(".tmp-"))
}

/// After a kill: the database is byte for byte the one before, or a complete new one that opens
/// and says what the reference build says. Returns which.
fn assert_old_or_complete(
    data: &Path,
    before: Option<&[u8]>,
    reference: &str,
    what: &str,
) -> &'static str {
    let now = std::fs::read(data.join("vulndb/crowsnest.db")).ok();
    if now.as_deref() == before {
        return "old";
    }
    assert!(
        now.is_some(),
        "{what}: the database is gone (strays: {:?})",
        strays(data)
    );
    assert_eq!(
        db_fingerprint(data).as_deref(),
        Some(reference),
        "{what}: a changed database must be the complete new one"
    );
    "new"
}

/// Where a kill lands: a share of an uninterrupted run's time, or the moment a file event is
/// seen (polled every millisecond, so the process is at most a few steps past it).
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    After(f64),
    TempFileAppears,
    DatabaseReplaced,
}

const KILL_POINTS: [KillPoint; 4] = [
    KillPoint::After(0.2),
    KillPoint::After(0.6),
    KillPoint::TempFileAppears,
    KillPoint::DatabaseReplaced,
];

/// The database file's inode (a replacement by rename changes it), if there is one.
fn db_inode(data: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(data.join("vulndb/crowsnest.db"))
        .ok()
        .map(|m| m.ino())
}

/// Waits for `point` while `running` says the process still runs; true when the point was
/// reached before the process ended on its own.
fn reach(point: KillPoint, data: &Path, full: Duration, mut running: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    let inode = db_inode(data);
    let deadline = started + full * 3 + Duration::from_secs(60);
    loop {
        let reached = match point {
            KillPoint::After(share) => started.elapsed() >= full.mul_f64(share),
            KillPoint::TempFileAppears => temp_file_present(data),
            KillPoint::DatabaseReplaced => db_inode(data).is_some_and(|i| Some(i) != inode),
        };
        if reached {
            return true;
        }
        if !running() || Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Checks one kill's aftermath: the old or a complete new database, and when the kill came at a
/// file event, the state that event implies.
fn check_kill(
    data: &Path,
    before: Option<&[u8]>,
    reference: &str,
    point: KillPoint,
    reached: bool,
    what: &str,
) -> String {
    let stray_temp = temp_file_present(data);
    let outcome = assert_old_or_complete(data, before, reference, &format!("{what} {point:?}"));
    if reached {
        match point {
            KillPoint::TempFileAppears => {
                assert_eq!(
                    outcome, "old",
                    "killed while writing: the old database stays"
                );
                assert!(stray_temp, "the killed writer's temporary file is left");
            }
            KillPoint::DatabaseReplaced => assert_eq!(outcome, "new"),
            KillPoint::After(_) => {}
        }
    }
    format!(
        "{point:?}: {outcome}{}",
        if reached { "" } else { " (ended first)" }
    )
}

#[test]
fn db_update_killed_at_any_point_keeps_the_old_or_a_complete_new_database() {
    let mirror = crate::db_update::Mirror::serve(&shared().join("vulndb"));
    let tmp = tempfile::tempdir().unwrap();

    // An uninterrupted update: what a complete new database says, and how long the update takes
    // on this machine (timed kills are spread over that time).
    let reference_dir = tmp.path().join("reference");
    let started = Instant::now();
    run_ok(crowsnest(&reference_dir).args(update_args(&mirror.url, &UPDATE_SOURCES)));
    let full = started.elapsed();
    let reference = db_fingerprint(&reference_dir).unwrap();

    let data = tmp.path().join("data");
    run_ok(crowsnest(&data).args(update_args(&mirror.url, &UPDATE_SOURCES[1..])));
    assert_ne!(db_fingerprint(&data).unwrap(), reference);

    let mut outcomes = Vec::new();
    for point in KILL_POINTS {
        let before = std::fs::read(data.join("vulndb/crowsnest.db")).unwrap();
        let mut child = crowsnest(&data)
            .args(update_args(&mirror.url, &UPDATE_SOURCES))
            .spawn()
            .unwrap();
        let reached = reach(point, &data, full, || child.try_wait().unwrap().is_none());
        let _ = child.kill();
        let _ = child.wait();
        outcomes.push(check_kill(
            &data,
            Some(&before),
            &reference,
            point,
            reached,
            "db update killed at",
        ));
    }
    eprintln!(
        "db update kills: {outcomes:?}; left behind: {:?}",
        strays(&data)
    );

    // The next run succeeds and leaves only the database behind.
    run_ok(crowsnest(&data).args(update_args(&mirror.url, &UPDATE_SOURCES)));
    assert_eq!(db_fingerprint(&data).as_deref(), Some(reference.as_str()));
    assert_eq!(strays(&data), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn console_killed_while_building_its_database_at_first_start() {
    let tmp = tempfile::tempdir().unwrap();
    let feeds = tmp.path().join("feeds");
    for source in UPDATE_SOURCES {
        let link = feeds.join(source);
        std::fs::create_dir_all(link.parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(shared().join("vulndb").join(source), link).unwrap();
    }

    // A first start left alone: the reference database, and how long such a start takes.
    let reference_dir = tmp.path().join("reference");
    let mut reference_console = Console::new(&reference_dir).feeds(&feeds);
    let started = Instant::now();
    reference_console.start().await;
    let full = started.elapsed();
    reference_console.kill();
    let reference = db_fingerprint(&reference_dir).unwrap();

    let data = tmp.path().join("data");
    let mut console = Console::new(&data).feeds(&feeds);
    let mut outcomes = Vec::new();
    for point in KILL_POINTS {
        let before = std::fs::read(data.join("vulndb/crowsnest.db")).ok();
        if before.is_some() {
            // A complete database is never rebuilt at start: nothing left to interrupt.
            break;
        }
        console.spawn();
        let reached = tokio::task::block_in_place(|| {
            reach(point, &data, full, || console.exited().is_none())
        });
        console.kill();
        outcomes.push(check_kill(
            &data,
            before.as_deref(),
            &reference,
            point,
            reached,
            "serve killed at",
        ));
    }
    eprintln!(
        "serve first-start kills: {outcomes:?}; left behind: {:?}",
        strays(&data)
    );

    console.start().await;
    assert_eq!(db_fingerprint(&data).as_deref(), Some(reference.as_str()));
    assert_eq!(strays(&data), Vec::<String>::new());
    assert!(
        console.get("/statuses/registry").await["errors"].is_array(),
        "the Console answers"
    );
}

/// A tmpfs of a fixed size mounted on a fresh directory (we run as root in CI), unmounted on
/// drop. Declare it before anything that writes into it, so that is dropped (killed) first.
struct TmpfsMount {
    dir: tempfile::TempDir,
}

impl TmpfsMount {
    fn new(mebibytes: u32) -> Result<TmpfsMount, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mebibytes}m"), "tmpfs"])
            .arg(dir.path())
            .output()
            .map_err(|e| format!("cannot run mount: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "mount -t tmpfs failed (needs root): {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(TmpfsMount { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for TmpfsMount {
    fn drop(&mut self) {
        // Lazy, so a file some process still holds open cannot keep the mount alive.
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Fills the file system holding `path` until a write fails for lack of space; returns that
/// error. The last blocks are taken in small writes so that almost nothing is left.
fn fill(path: &Path) -> std::io::Error {
    use std::io::Write as _;
    let mut f = std::fs::File::create(path).unwrap();
    for chunk in [1 << 20, 4096, 512] {
        let block = vec![0u8; chunk];
        while let Ok(()) = f.write_all(&block) {}
    }
    // `write_all` hides the kind behind a partial write; one more small write reports it.
    match f.write_all(&[0u8; 512]).and_then(|()| f.sync_all()) {
        Err(e) => e,
        Ok(()) => panic!("{} never ran out of space", path.display()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn disk_full_on_the_data_dir_fails_cleanly_and_recovers_once_there_is_room() {
    let mount = match TmpfsMount::new(24) {
        Ok(m) => m,
        Err(why) if std::env::var_os(crowsnest_testkit::REQUIRE_ENV).is_some() => {
            panic!(
                "{why}; {} is set, so this test must run",
                crowsnest_testkit::REQUIRE_ENV
            )
        }
        Err(why) => {
            eprintln!("SKIPPED: {why}");
            return;
        }
    };
    let Some(registry) = RegistryBuilder::new().start_or_skip().await else {
        return;
    };
    let first = push_apps(&registry, "disk/a", 4, 64 << 10).await;
    let tmp = tempfile::tempdir().unwrap();
    let mut console = Console::new(&mount.path().join("data")).feeds(&small_feeds(tmp.path()));
    console.start().await;
    console.add_registry(&registry.url(), "disk/*", 1).await;
    console.scan().await;
    console.wait_scan_done(120).await;
    let (stored, _) = console.results().await;
    assert_complete(&stored, &first);

    let second = push_apps(&registry, "disk/b", 8, 1 << 20).await;
    console.scan().await;
    // The four unchanged images are done at once; the fifth is a new one, stored.
    wait_mid_scan(&console, 5).await;
    let (stored, _) = console.results().await;
    let filler = mount.path().join("filler");
    let full = fill(&filler);
    let (scanned, total, _) = console.progress().await;
    assert!(scanned < total, "the scan ended before the disk filled up");
    eprintln!("disk full: {full}; the scan had done {scanned}/{total}");

    // The store cannot record anything now, yet the status says why the scan is failing.
    let status = poll("the disk-full error in the status", 120, || async {
        let status = console.get("/statuses/registry").await;
        let errors = status["errors"].to_string();
        (errors.contains("No space left on device") || errors.contains("disk is full"))
            .then_some(status)
    })
    .await;
    eprintln!("status with the disk full: {status}");
    assert_eq!(
        console
            .call(reqwest::Method::GET, "/_ping", None)
            .await
            .status,
        200
    );
    let (during, _) = console.results().await;
    for (key, result) in &stored {
        assert_eq!(
            &during[key], result,
            "{key} was stored before the disk filled up"
        );
    }
    assert!(console.exited().is_none(), "{}", console.log());

    // Room again: the scan in progress ends (resumed or failed) and the next one completes.
    std::fs::remove_file(&filler).unwrap();
    console.wait_scan_done(180).await;
    console.scan().await;
    let status = console.wait_scan_done(180).await;
    let (after, _) = console.results().await;
    let mut all = first.clone();
    all.extend(second);
    all.sort();
    assert_complete(&after, &all);
    for (key, result) in &stored {
        assert_eq!(
            &after[key], result,
            "{key} was stored before the disk filled up"
        );
    }
    eprintln!("after freeing space: {status}");
}
