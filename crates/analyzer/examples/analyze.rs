//! Analyses one on-disk image and prints a one-line summary (for benchmarks):
//! `cargo run --release -p crowsnest-analyzer --example analyze -- oci:DIR[:tag] [PARALLEL]`.

use crowsnest_analyzer::{Analyzer, ImageRef, Limits, NoProgress};
use std::time::Instant;

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(reference) = args.next() else {
        eprintln!("usage: analyze oci:DIR[:tag]|docker-archive:FILE [PARALLEL_LAYERS]");
        std::process::exit(2);
    };
    let parallel = args
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or(Limits::default().parallel_layers);
    let image = ImageRef::parse(&reference).unwrap_or_else(|e| {
        eprintln!("error: {e}");
        std::process::exit(2)
    });
    let analyzer = Analyzer::new(Limits {
        parallel_layers: parallel,
        ..Limits::default()
    });
    let start = Instant::now();
    match analyzer.analyze_source(&image, &NoProgress) {
        Ok(inv) => println!(
            "packages={} warnings={} os={} seconds={:.2}",
            inv.packages.len(),
            inv.warnings.len(),
            inv.os
                .map(|o| format!("{}-{}", o.id, o.version_id))
                .unwrap_or_default(),
            start.elapsed().as_secs_f64()
        ),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}
