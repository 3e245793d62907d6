//! `crowsnest sbom REF`: the package inventory of one image as native JSON, CycloneDX 1.5 or
//! SPDX 2.3. REF is `oci:DIR[:tag]`, `docker-archive:FILE` or a registry reference, which is
//! read exactly as `crowsnest image` reads it (same flags, Docker config credentials and
//! pipeline). The analysis runs on a blocking thread; a progress bar is drawn on stderr only
//! when stderr is a terminal, so it never mixes with the document on stdout or in `-o FILE`.

use super::Global;
use crowsnest_analyzer::sbom::{self, Format};
use crowsnest_analyzer::{Analyzer, ImageRef, Progress};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, clap::Args)]
pub(crate) struct SbomArgs {
    /// The image: `[host[:port]/]repo[:tag|@digest]`, `oci:DIR[:tag]` or `docker-archive:FILE`.
    reference: String,
    #[command(flatten)]
    registry: super::image::RegistryFlags,
    /// Output format: json (native), cyclonedx (CycloneDX 1.5 JSON) or spdx (SPDX 2.3 JSON).
    #[arg(long, default_value = "json", value_parser = parse_format)]
    format: Format,
    /// Write the document to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Never draw the progress bar.
    #[arg(long)]
    no_progress: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

pub(crate) async fn run(args: SbomArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    let image = ImageRef::parse(&args.reference)?;
    let show_bar = !args.no_progress && std::io::stderr().is_terminal();
    let subject = args.reference.clone();
    let inventory = if let ImageRef::Registry(r) = &image {
        super::image::registry_inventory(&args.registry, r, show_bar)
            .await
            .map_err(anyhow::Error::msg)?
    } else {
        tokio::task::spawn_blocking(move || {
            let bar = Bar::new(show_bar);
            let result = Analyzer::default().analyze_source(&image, &bar);
            bar.finish();
            result
        })
        .await??
    };
    for w in &inventory.warnings {
        tracing::warn!("{w}");
    }
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            let mut w = std::io::BufWriter::new(file);
            sbom::write(&inventory, &subject, args.format, &mut w)?;
            w.flush()?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(stdout.lock());
            sbom::write(&inventory, &subject, args.format, &mut w)?;
            w.flush()?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A one-line progress bar on stderr (bytes of blobs read), redrawn at most once per percent.
struct Bar {
    enabled: bool,
    total: AtomicU64,
    done: AtomicU64,
    last: Mutex<u64>,
}

impl Bar {
    fn new(enabled: bool) -> Self {
        Bar {
            enabled,
            total: AtomicU64::new(0),
            done: AtomicU64::new(0),
            last: Mutex::new(u64::MAX),
        }
    }

    fn draw(&self) {
        let total = self.total.load(Ordering::Relaxed);
        let done = self.done.load(Ordering::Relaxed);
        let pct = (done * 100).checked_div(total).unwrap_or(0).min(100);
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        if *last == pct {
            return;
        }
        *last = pct;
        let filled = (pct / 4) as usize;
        let mb = |b: u64| b as f64 / 1e6;
        let _ = write!(
            std::io::stderr(),
            "\r[{}{}] {pct:>3}% {:.1}/{:.1} MB",
            "=".repeat(filled),
            " ".repeat(25 - filled),
            mb(done),
            mb(total)
        );
    }

    fn finish(&self) {
        if self.enabled {
            let _ = writeln!(std::io::stderr());
        }
    }
}

impl Progress for Bar {
    fn start(&self, total: Option<u64>) {
        self.total.store(total.unwrap_or(0), Ordering::Relaxed);
        if self.enabled {
            self.draw();
        }
    }
    fn advance(&self, bytes: u64) {
        self.done.fetch_add(bytes, Ordering::Relaxed);
        if self.enabled {
            self.draw();
        }
    }
}
