//! Slow and idle clients are cut off by timeouts, and beyond the connection cap they wait in
//! the kernel's backlog, while `_ping` keeps answering.

use super::super::harness::console;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slow {
    /// Opens a connection and says nothing.
    Idle,
    /// Sends a request head one byte at a time.
    Head,
    /// Sends a whole head, then the body one byte at a time.
    Body,
}

/// Plays one slow client until the server ends the connection (or `give_up` passes); returns
/// how long the server took and the first line it answered, if any.
async fn slow_client(addr: String, kind: Slow, give_up: Duration) -> (Duration, String) {
    let started = Instant::now();
    let stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let (mut read, mut write) = stream.into_split();
    let trickle = tokio::spawn(async move {
        let opening = match kind {
            Slow::Idle => {
                // Holding the write half open (dropping it would send FIN), saying nothing.
                let _keep = write;
                std::future::pending::<()>().await;
                return;
            }
            Slow::Head => "GET /api/v1/_ping HTTP/1.1\r\nX-Slow: ".to_string(),
            Slow::Body => format!(
                "POST /api/v1/authenticate HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{{"
            ),
        };
        if write.write_all(opening.as_bytes()).await.is_err() {
            return;
        }
        loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            if write.write_all(b"a").await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(give_up, read.read_to_end(&mut answer)).await;
    trickle.abort();
    let text = String::from_utf8_lossy(&answer);
    (
        started.elapsed(),
        text.lines().next().unwrap_or("").to_string(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_clients_are_cut_off_and_ping_answers_throughout() {
    let c = console()
        .configure(|config| {
            config.header_read_timeout = Duration::from_secs(1);
            config.body_read_timeout = Duration::from_secs(2);
            config.max_connections = 32;
        })
        .start()
        .await;
    let addr = c.base.trim_start_matches("http://").to_string();
    // A keep-alive connection opened before the crowd, kept busy so it is never idle.
    let http = reqwest::Client::new();
    let ping = || async {
        http.get(format!("{}/api/v1/_ping", c.base))
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map(|r| r.status().as_u16())
    };
    assert_eq!(ping().await.unwrap(), 200);
    let give_up = Duration::from_secs(60);
    let clients: Vec<_> = (0..150)
        .map(|i| {
            let kind = [Slow::Idle, Slow::Head, Slow::Body][i % 3];
            let addr = addr.clone();
            (kind, tokio::spawn(slow_client(addr, kind, give_up)))
        })
        .collect();
    let done = std::sync::atomic::AtomicBool::new(false);
    let pings = async {
        let mut answered = 0;
        while !done.load(std::sync::atomic::Ordering::Relaxed) {
            assert_eq!(ping().await.expect("_ping answers"), 200);
            answered += 1;
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        answered
    };
    let slow = async {
        let mut ends = vec![];
        for (kind, task) in clients {
            ends.push((kind, task.await.unwrap()));
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        ends
    };
    let (ends, answered) = tokio::join!(slow, pings);
    assert!(answered > 0);
    for (kind, (took, first_line)) in &ends {
        // Generous: 150 clients through 32 slots, 1-2 s each, is well under this.
        assert!(
            *took < Duration::from_secs(45),
            "{kind:?} client held its connection for {took:?}"
        );
        if *kind == Slow::Body {
            assert!(
                first_line.starts_with("HTTP/1.1 408"),
                "{kind:?}: {first_line:?}"
            );
        }
    }
    assert_eq!(c.get("/api/v1/_ping").await.status, 200);
}
