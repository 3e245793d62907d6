//! Memory and time of loading the vulnerability database, the part of a one-shot scan's peak RSS
//! that does not depend on the image:
//! `cargo run --release -p crowsnest-vulndb --example open_memory -- DB_FILE [RUNS]`.
//!
//! Prints the process's resident memory before loading (the baseline), the peak while loading
//! and what stays resident once loaded, each from `/proc/self/status`, and the load time.

use crowsnest_vulndb::{Database, Matcher};
use std::path::PathBuf;
use std::time::Instant;

/// `VmRSS` and `VmHWM` of this process, in MB.
fn rss_and_peak() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next().map(PathBuf::from) else {
        eprintln!("usage: open_memory DB_FILE [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(1);
    let (before, _) = rss_and_peak();
    println!("before loading: {before:.1} MB resident");
    for run in 1..=runs {
        let start = Instant::now();
        let db = Database::open(&path).unwrap_or_else(|e| {
            eprintln!("error: {e}");
            std::process::exit(1)
        });
        let loaded = start.elapsed();
        // Building a matcher is part of every scan's fixed cost too.
        let matcher = Matcher::new(&db);
        let ready = start.elapsed();
        let (rss, peak) = rss_and_peak();
        println!(
            "run {run}: open {:.0} ms, with matcher {:.0} ms; resident {rss:.1} MB (+{:.1}), peak {peak:.1} MB (+{:.1})",
            loaded.as_secs_f64() * 1e3,
            ready.as_secs_f64() * 1e3,
            rss - before,
            peak - before
        );
        drop(matcher);
    }
}
