//! Reliability benchmark (issue 21): what floods, slow clients and a 19,999-specification
//! progress view cost the Console.
//!
//! ```text
//! cargo run --release -p crowsnest-console --example reliability -- flood [SECONDS]
//! cargo run --release -p crowsnest-console --example reliability -- slow [CONNECTIONS]
//! cargo run --release -p crowsnest-console --example reliability -- progress [SPECS]
//! ```
//! Each starts a Console in a temporary data dir on a loopback port, in this process (so the
//! process's resident memory is the Console's, plus small raw-socket clients).
//! - `flood`: 40 logins with unique 8 MiB user names (8 at a time), then 256 clients guessing
//!   passwords of unknown users for SECONDS (default 20) while `_ping` is timed every 100 ms;
//!   prints RSS before, at peak and after, the statuses, and `_ping` latency.
//! - `slow`: CONNECTIONS (default 400) clients sending a request head one byte every 200 ms and
//!   as many idle connections; prints how many the Console still holds after 5, 15 and 30 s,
//!   and `_ping` latency meanwhile.
//! - `progress`: a regular scan of SPECS (default 19,999) specifications; prints the time of
//!   `GET /registry/progress`, and of the store reads behind it both ways (a count query per
//!   specification, as before, and one for all).

mod fill;
mod flood;
mod progress;
mod slow;

use crowsnest_console::{Bootstrap, ConsoleConfig, SystemClock};
use std::sync::Arc;
use std::time::Duration;

pub(crate) const USER: &str = "admin";
pub(crate) const PASSWORD: &str = "Bench-Admin-Pw-1";

/// A Console serving on a loopback port until the process ends.
pub(crate) struct Running {
    pub(crate) base: String,
    pub(crate) addr: String,
    pub(crate) data_dir: std::path::PathBuf,
    _tmp: tempfile::TempDir,
}

pub(crate) async fn start() -> Running {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let tmp = tempfile::tempdir().expect("temp dir");
    let data_dir = tmp.path().join("data");
    let mut config = ConsoleConfig::for_data_dir(data_dir.clone());
    config.scan_interval_hours = 0;
    config.docker_hub = Some("http://127.0.0.1:9".into());
    let bootstrap = Bootstrap {
        admin_user: Some(USER.into()),
        admin_password: Some(PASSWORD.into()),
        master_key: None,
    };
    let state = crowsnest_console::open(config, Arc::new(SystemClock), &bootstrap)
        .await
        .expect("console opens");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap().to_string();
    tokio::spawn(async move {
        let _ = crowsnest_console::serve(listener, state, std::future::pending()).await;
    });
    Running {
        base: format!("http://{addr}/api/v1"),
        addr,
        data_dir,
        _tmp: tmp,
    }
}

/// Resident memory of this process, in MiB.
pub(crate) fn rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

/// p50, p99 and max of `latencies`, in milliseconds.
pub(crate) fn summary(latencies: &mut [Duration]) -> String {
    if latencies.is_empty() {
        return "no samples".into();
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    format!(
        "n={} p50={:.1} ms p99={:.1} ms max={:.1} ms",
        latencies.len(),
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        latencies[latencies.len() - 1].as_secs_f64() * 1e3
    )
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = |default: usize| {
        args.get(1)
            .map_or(default, |a| a.parse().expect("a number"))
    };
    match args.first().map(String::as_str) {
        Some("flood") => flood::run(n(20) as u64).await,
        Some("slow") => slow::run(n(400)).await,
        Some("progress") => progress::run(n(19_999)).await,
        _ => {
            eprintln!("usage: reliability flood [SECONDS] | slow [CONNECTIONS] | progress [SPECS]")
        }
    }
}
