//! A cluster the way an operator runs one: a real PostgreSQL (crowsnest-testkit, as an
//! unprivileged user), `crowsnest serve --workers 0` scheduling, and two `crowsnest worker`
//! processes scanning, all sharing one master key, against a real registry. One worker is
//! SIGKILLed in the middle of the scan: its jobs come back when their lease ends and the other
//! worker finishes them, each image stored once. The survivor stops cleanly on SIGTERM.

use crate::faults::{assert_complete, poll, push_apps, small_feeds, wait_mid_scan};
use crate::support::{BIN, Console};
use crowsnest_testkit::{PostgresBuilder, RegistryBuilder, TestPostgres, TestRegistry};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The cluster's master key (hex), given to every node.
const KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

fn worker(data: &Path, database: &str, feeds: &Path, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    let mut cmd = Command::new(BIN);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("CROWSNEST_") {
            cmd.env_remove(k);
        }
    }
    cmd.arg("--data-dir")
        .arg(data)
        .args(["worker", "--database", database, "--concurrency", "2"])
        .args(["--lease-seconds", "6", "--grace-seconds", "20"])
        .arg("--feeds")
        .arg(feeds)
        .env("CROWSNEST_MASTER_KEY", KEY)
        .env("CROWSNEST_LOG", "info")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap()
}

/// Sends a signal (`-STOP`, …) to a process by PID with `kill(1)`.
fn signal(which: &str, pid: &str) {
    let sent = Command::new("kill").args([which, pid]).status().unwrap();
    assert!(sent.success(), "kill {which} {pid}");
}

/// What every cluster test starts from: a real registry holding `count` images under `prefix`,
/// a PostgreSQL database for the cluster, and a small feed mirror, in a temp dir.
struct Setup {
    registry: TestRegistry,
    _pg: TestPostgres,
    database: String,
    images: Vec<(String, String)>,
    tmp: tempfile::TempDir,
    feeds: PathBuf,
}

impl Setup {
    /// `None` (the reason printed) when the registry or PostgreSQL is missing.
    async fn new(prefix: &str, count: usize, own_bytes: usize) -> Option<Setup> {
        let registry = RegistryBuilder::new().start_or_skip().await?;
        let pg = PostgresBuilder::new().start_or_skip()?;
        let database = pg.create_database().unwrap();
        let images = push_apps(&registry, prefix, count, own_bytes).await;
        let tmp = tempfile::tempdir().unwrap();
        let feeds = small_feeds(tmp.path());
        Some(Setup {
            registry,
            _pg: pg,
            database,
            images,
            tmp,
            feeds,
        })
    }

    /// A Console on the cluster's database and key, its data in `<tmp>/<name>`.
    fn console(&self, name: &str, args: &[&str]) -> Console {
        Console::new(&self.tmp.path().join(name))
            .feeds(&self.feeds)
            .args(&["--database", &self.database])
            .args(args)
            .env("CROWSNEST_MASTER_KEY", KEY)
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn workers_scan_for_a_scheduling_console_and_a_killed_one_is_taken_over() {
    let Some(setup) = Setup::new("cluster", 12, 1 << 20).await else {
        return;
    };
    let Setup {
        registry,
        database,
        images,
        tmp,
        feeds,
        ..
    } = &setup;
    let mut console = setup.console("console", &["--workers", "0"]);
    console.start().await;
    let mut workers: Vec<Child> = (0..2)
        .map(|i| {
            worker(
                &tmp.path().join(format!("worker-{i}")),
                database,
                feeds,
                &tmp.path().join(format!("worker-{i}.log")),
            )
        })
        .collect();
    console.add_registry(&registry.url(), "cluster/*", 4).await;
    console.scan().await;
    wait_mid_scan(&console, 3).await;
    workers[0].kill().unwrap();
    workers[0].wait().unwrap();

    let status = console.wait_scan_done(240).await;
    let (results, total) = console.results().await;
    assert_eq!(
        total,
        images.len() as u64,
        "each image stored once: {status}"
    );
    assert_complete(&results, images);
    for (key, r) in &results {
        let host = r["hostname"].as_str().unwrap_or_default();
        assert!(
            host.contains("-worker-"),
            "{key} scanned by {host:?}, not a worker"
        );
    }
    let (scanned, all, ongoing) = console.progress().await;
    assert_eq!((scanned, all, ongoing), (12, 12, false), "{status}");

    // SIGTERM: the survivor drains (nothing in hand) and exits 0.
    let pid = workers[1].id().to_string();
    signal("-TERM", &pid);
    let code = poll("the worker to exit after SIGTERM", 30, || {
        let exited = workers[1].try_wait().unwrap();
        async move { exited }
    })
    .await;
    let log1 = std::fs::read_to_string(tmp.path().join("worker-1.log")).unwrap_or_default();
    assert!(code.success(), "worker exited {code}:\n{log1}");
    assert!(log1.contains("worker stopped"), "{log1}");
}

/// Two Consoles on one PostgreSQL, both scanning: the first started leads (schedules), either
/// serves the API. The leader is SIGKILLed mid-scan; the other takes the lead over, its worker
/// loop finishes the images, and the scan completes with each image stored once.
#[tokio::test(flavor = "multi_thread")]
async fn the_leading_console_killed_mid_scan_another_takes_over() {
    let Some(setup) = Setup::new("leader", 12, 1 << 20).await else {
        return;
    };
    let (registry, images) = (&setup.registry, &setup.images);
    let console = |name: &str| setup.console(name, &["--lease-seconds", "6"]);
    let mut first = console("first");
    first.start().await;
    let mut second = console("second");
    second.start().await;
    // Configured on one, started from the other: they share everything through the store.
    first.add_registry(&registry.url(), "leader/*", 2).await;
    second.scan().await;
    wait_mid_scan(&second, 2).await;
    first.kill();

    let status = second.wait_scan_done(240).await;
    let (results, total) = second.results().await;
    assert_eq!(
        total,
        images.len() as u64,
        "each image stored once: {status}"
    );
    assert_complete(&results, images);
    let (scanned, all, ongoing) = second.progress().await;
    assert_eq!((scanned, all, ongoing), (12, 12, false), "{status}");
    assert!(
        second.log().contains("scheduler role changed"),
        "the second Console never took the lead:\n{}",
        second.log()
    );
}

/// Fencing: a worker SIGSTOPped in the middle of its images, past its lease, then resumed. Its
/// jobs went back to the queue and the other worker stored them; the resumed worker's writes
/// are refused (its log says the lease was lost), so each image has one result, from the node
/// that held its job when it was stored.
#[tokio::test(flavor = "multi_thread")]
async fn a_worker_paused_past_its_lease_cannot_overwrite_the_new_holder() {
    let Some(setup) = Setup::new("fence", 8, 4 << 20).await else {
        return;
    };
    let Setup {
        registry,
        database,
        images,
        tmp,
        feeds,
        ..
    } = &setup;
    let mut console = setup.console("console", &["--workers", "0"]);
    console.start().await;
    let log = |i: usize| tmp.path().join(format!("worker-{i}.log"));
    let mut paused = worker(&tmp.path().join("w0"), database, feeds, &log(0));
    console.add_registry(&registry.url(), "fence/*", 4).await;
    console.scan().await;
    // The first worker alone until it is in the middle of its images, then frozen.
    wait_mid_scan(&console, 1).await;
    let pid = paused.id().to_string();
    signal("-STOP", &pid);
    let mut other = worker(&tmp.path().join("w1"), database, feeds, &log(1));
    let status = console.wait_scan_done(240).await;
    // Past the lease (6 s) the second worker has finished everything; now wake the first.
    signal("-CONT", &pid);
    let said = poll("the resumed worker to find its lease lost", 60, || {
        let text = std::fs::read_to_string(log(0)).unwrap_or_default();
        async move { text.contains("lease lost").then_some(text) }
    })
    .await;
    let (results, total) = console.results().await;
    assert_eq!(
        total,
        images.len() as u64,
        "each image stored once: {status}"
    );
    assert_complete(&results, images);
    assert!(said.contains("its result was not stored"), "{said}");
    // Whatever the paused worker had in hand was stored by the other one, and stays so.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let (after, _) = console.results().await;
    assert_eq!(
        after, results,
        "the resumed worker changed stored results:\n{said}"
    );
    for w in [&mut paused, &mut other] {
        let _ = w.kill();
        let _ = w.wait();
    }
}
