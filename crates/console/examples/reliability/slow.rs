//! Slow and idle clients: how long the Console holds them, and `_ping` meanwhile.

use crate::{start, summary};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

pub(crate) async fn run(connections: usize) {
    let c = start().await;
    let open = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    for i in 0..connections * 2 {
        let addr = c.addr.clone();
        let open = open.clone();
        tokio::spawn(async move {
            let Ok(stream) = tokio::net::TcpStream::connect(&addr).await else {
                return;
            };
            open.fetch_add(1, Ordering::Relaxed);
            let (mut read, mut write) = stream.into_split();
            let trickle = tokio::spawn(async move {
                if i % 2 == 1 {
                    // Idle: keep the write half (dropping it would send FIN) and say nothing.
                    let _keep = write;
                    std::future::pending::<()>().await;
                    return;
                }
                if write
                    .write_all(b"GET /api/v1/_ping HTTP/1.1\r\nX-Slow: ")
                    .await
                    .is_err()
                {
                    return;
                }
                loop {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    if write.write_all(b"a").await.is_err() {
                        return;
                    }
                }
            });
            let mut sink = Vec::new();
            let _ =
                tokio::time::timeout(Duration::from_secs(40), read.read_to_end(&mut sink)).await;
            trickle.abort();
            open.fetch_sub(1, Ordering::Relaxed);
        });
    }
    let http = reqwest::Client::new();
    let mut pings = vec![];
    let mut reported = [5u64, 15, 30].into_iter().peekable();
    while let Some(&at) = reported.peek() {
        let t = Instant::now();
        let ok = http
            .get(format!("{}/_ping", c.base))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        pings.push(if ok {
            t.elapsed()
        } else {
            Duration::from_secs(30)
        });
        if started.elapsed() >= Duration::from_secs(at) {
            println!(
                "after {at} s: {} of {} slow or idle connections still open",
                open.load(Ordering::Relaxed),
                connections * 2
            );
            reported.next();
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("_ping meanwhile: {}", summary(&mut pings));
}
