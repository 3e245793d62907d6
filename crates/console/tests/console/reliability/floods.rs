//! Unauthenticated floods: what anonymous clients can make the Console keep is bounded.
//!
//! The server runs in this test process, so the process's resident memory is the Console's
//! (plus the clients', which are kept small: raw sockets writing one shared buffer).

use super::super::harness::console;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CROWD: usize = 256;

/// Resident memory of this process, in MiB.
fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let kib: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS");
    kib / 1024
}

/// Sends a login whose user name is `name_bytes` long (unique by `i`), from a shared chunk, and
/// reads whatever answer comes; the status line, when there is one.
async fn huge_login(addr: &str, i: usize, name_bytes: usize) -> Option<String> {
    static CHUNK: [u8; 64 * 1024] = [b'a'; 64 * 1024];
    let head = format!(r#"{{"username":"flood-{i:06}-"#);
    let tail = r#"","password":"wrong"}"#;
    let len = head.len() + name_bytes + tail.len();
    let mut s = tokio::net::TcpStream::connect(addr).await.ok()?;
    let request = format!(
        "POST /api/v1/authenticate HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{head}"
    );
    let mut sent = s.write_all(request.as_bytes()).await.is_ok();
    let mut left = name_bytes;
    while sent && left > 0 {
        let n = left.min(CHUNK.len());
        sent = s.write_all(&CHUNK[..n]).await.is_ok();
        left -= n;
    }
    if sent {
        let _ = s.write_all(tail.as_bytes()).await;
    }
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(30), s.read_to_end(&mut answer)).await;
    let text = String::from_utf8_lossy(&answer);
    text.lines().next().map(str::to_string)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_with_huge_unique_names_leave_nothing_behind() {
    let c = console().start().await;
    let addr = c.base.trim_start_matches("http://").to_string();
    // Warm up allocator arenas and the store before the baseline.
    assert_eq!(c.login("wrong").await.status, 401);
    let before = rss_mib();
    let mut statuses = vec![];
    // 40 clients, 8 at a time, each with its own 8 MiB user name: 320 MiB of names.
    for batch in 0..5 {
        let tasks: Vec<_> = (0..8)
            .map(|k| {
                let addr = addr.clone();
                tokio::spawn(async move { huge_login(&addr, batch * 8 + k, 8 << 20).await })
            })
            .collect();
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
    }
    let after = rss_mib();
    for s in statuses.iter().flatten() {
        assert!(
            s.starts_with("HTTP/1.1 400") || s.starts_with("HTTP/1.1 413"),
            "{s}"
        );
    }
    assert!(
        after.saturating_sub(before) < 64,
        "RSS grew from {before} MiB to {after} MiB after 40 logins with 8 MiB names"
    );
    // The Console still answers, and the real admin can still log in.
    assert_eq!(c.get("/api/v1/_ping").await.status, 200);
    assert_eq!(
        c.login(super::super::harness::ADMIN_PASSWORD).await.status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_guessing_passwords_is_queued_not_run_at_once() {
    let c = console().start().await;
    assert_eq!(c.login("wrong").await.status, 401);
    let before = rss_mib();
    let http = reqwest::Client::new();
    let flood = async {
        let tasks: Vec<_> = (0..CROWD)
            .map(|i| {
                let http = http.clone();
                let url = format!("{}/api/v1/authenticate", c.base);
                tokio::spawn(async move {
                    let name = format!("nobody-{i:04}-{}", "x".repeat(200));
                    let body = serde_json::json!({"username": name, "password": "wrong"});
                    let r = http
                        .post(url)
                        .timeout(Duration::from_secs(60))
                        .json(&body)
                        .send()
                        .await
                        .expect("the Console answers every login");
                    r.status().as_u16()
                })
            })
            .collect();
        let mut statuses = vec![];
        for t in tasks {
            statuses.push(t.await.unwrap());
        }
        statuses
    };
    let done = std::sync::atomic::AtomicBool::new(false);
    let watch = async {
        // `_ping` keeps answering, and memory stays bounded, while the crowd waits.
        let (mut pings, mut peak) = (0, 0);
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            let r = http
                .get(format!("{}/api/v1/_ping", c.base))
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .expect("_ping answers during the flood");
            assert_eq!(r.status(), 200);
            pings += 1;
            peak = u64::max(peak, rss_mib());
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        (pings, peak)
    };
    let flood = async {
        let statuses = flood.await;
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        statuses
    };
    let (statuses, (pings, peak)) = tokio::join!(flood, watch);
    assert!(pings > 0);
    let unauthorized = statuses.iter().filter(|s| **s == 401).count();
    let busy = statuses.iter().filter(|s| **s == 503).count();
    assert_eq!(unauthorized + busy, CROWD, "{statuses:?}");
    assert!(unauthorized >= 2, "{statuses:?}");
    // One argon2 check (about 19 MiB) per core at once, whatever the crowd.
    let after = rss_mib();
    assert!(
        peak.max(after).saturating_sub(before) < 200,
        "RSS from {before} MiB to {peak}/{after} MiB"
    );
    assert_eq!(c.get("/api/v1/_ping").await.status, 200);
}
