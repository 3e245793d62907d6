//! Login floods: huge unique user names, then a crowd guessing passwords.

use crate::{rss_mib, start, summary};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn huge_login(addr: String, i: usize, name_bytes: usize) -> String {
    static CHUNK: [u8; 64 * 1024] = [b'a'; 64 * 1024];
    let head = format!(r#"{{"username":"flood-{i:06}-"#);
    let tail = r#"","password":"wrong"}"#;
    let len = head.len() + name_bytes + tail.len();
    let Ok(mut s) = tokio::net::TcpStream::connect(&addr).await else {
        return "connect failed".into();
    };
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
    let _ = tokio::time::timeout(Duration::from_secs(60), s.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .map_or("(closed)".into(), |l| l.chars().take(12).collect())
}

pub(crate) async fn run(seconds: u64) {
    let c = start().await;
    let http = reqwest::Client::new();
    let before = rss_mib();
    let started = Instant::now();
    let mut answers = std::collections::BTreeMap::<String, usize>::new();
    for batch in 0..5 {
        let tasks: Vec<_> = (0..8)
            .map(|k| tokio::spawn(huge_login(c.addr.clone(), batch * 8 + k, 8 << 20)))
            .collect();
        for t in tasks {
            *answers.entry(t.await.unwrap()).or_default() += 1;
        }
    }
    println!(
        "huge names: 40 logins with unique 8 MiB user names in {:.1} s: answers {answers:?}; RSS {before} MiB before, {} MiB after",
        started.elapsed().as_secs_f64(),
        rss_mib()
    );

    let before = rss_mib();
    let until = Instant::now() + Duration::from_secs(seconds);
    let crowd: Vec<_> = (0..256)
        .map(|i| {
            let http = http.clone();
            let url = format!("{}/authenticate", c.base);
            tokio::spawn(async move {
                let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
                let mut n = 0;
                while Instant::now() < until {
                    n += 1;
                    let body = serde_json::json!({"username": format!("nobody-{i}-{n}"), "password": "wrong"});
                    let status = match http.post(&url).json(&body).send().await {
                        Ok(r) => r.status().as_u16(),
                        Err(_) => 0,
                    };
                    *statuses.entry(status).or_default() += 1;
                }
                statuses
            })
        })
        .collect();
    let mut pings = vec![];
    let mut peak = before;
    while Instant::now() < until {
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
        peak = peak.max(rss_mib());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for t in crowd {
        for (s, n) in t.await.unwrap() {
            *statuses.entry(s).or_default() += n;
        }
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    println!(
        "guessing crowd: 256 clients for {seconds} s: statuses {statuses:?}; RSS {before} MiB before, {peak} MiB peak, {} MiB 2 s after; _ping {}",
        rss_mib(),
        summary(&mut pings)
    );
}
