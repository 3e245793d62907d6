//! Benchmark: imports a feed snapshot (default `../shared/vulndb`), writes the database, and
//! prints per-source counts, import time, DB size against the unpacked feed size.
//!
//! `cargo run --release -p crowsnest-vulndb --example import_snapshot [FEEDS_DIR…] [OUT.db]`
//! (several feed folders build one database, as `crowsnest db import` does; the argument ending
//! in `.db` is the output).

use crowsnest_vulndb::{Database, ImportOptions};
use std::path::PathBuf;
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let (outs, mut feeds): (Vec<PathBuf>, Vec<PathBuf>) = std::env::args()
        .skip(1)
        .map(PathBuf::from)
        .partition(|p| p.extension().is_some_and(|e| e == "db"));
    if feeds.is_empty() {
        feeds.push(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../../shared/vulndb"
        )));
    }
    let out = outs
        .into_iter()
        .next()
        .unwrap_or_else(|| std::env::temp_dir().join("crowsnest-bench.db"));
    let start = Instant::now();
    let (db, report) = Database::build(&feeds, &ImportOptions::new())?;
    let import = start.elapsed();
    let size = db.write_atomic(&out)?;
    let total = start.elapsed();
    for (name, s) in &report.sources {
        println!(
            "{name:22} records {:>6} withdrawn {:>3} malformed {:>3} entries {:>8}",
            s.records, s.withdrawn, s.malformed, s.entries
        );
    }
    for m in report.malformed.iter().take(20) {
        println!("malformed: [{}] {}: {}", m.source, m.file, m.error);
    }
    let st = db.status();
    println!(
        "advisories {} entries {} ignored files {}",
        st.advisories, st.entries, report.ignored_files
    );
    println!(
        "import {:.2?}, import+write {:.2?}, db {} bytes",
        import, total, size
    );
    let t = Instant::now();
    let again = Database::open(&out)?;
    println!(
        "open {:.2?} ({} entries)",
        t.elapsed(),
        again.status().entries
    );
    Ok(())
}
