//! `crowsnest image REF`: one image scanned with the Console's engine, reported the way users of
//! `trivy image` and `grype` expect.
//!
//! Flow: the arguments and filter inputs (VEX files, ignore file) are checked first, then the
//! vulnerability database's header (present, readable, young enough) so that a broken setup
//! fails before any pull; the database itself is loaded on a blocking thread while the image is
//! read. A registry reference goes through [`registry`] and the scanner's
//! [`analyze_registry_image`](crowsnest_scanner::analyze_registry_image) (manifest for
//! `--platform`, config, layers streamed through the analyzer), `oci:`/`docker-archive:`
//! through the analyzer's on-disk sources. The matcher's findings are filtered
//! ([`crowsnest_report::Filter`]), turned into the Console's `ImageScanResult` by the scanner's
//! report functions, and written in the chosen format. Progress and the summary go to stderr.
//!
//! Exit status: 0 when no findings remain (or `--exit-code` is 0), N (`--exit-code N`) when
//! some do, 1 when the report cannot be written, 2 for a usage error (bad flag, reference, VEX
//! or ignore file), 3 when the image cannot be reached or read, 4 when the vulnerability
//! database is missing, unreadable or too old.

mod docker_config;
mod progress;
mod reference;
mod registry;

use super::Global;
use crowsnest_analyzer::{Analyzer, ImageRef, ImageSource};
use crowsnest_model::{Finding, Inventory, Severity};
use crowsnest_report::{Filter, FixState, IgnoreFile, Report, VexDocument, table::TableOptions};
use crowsnest_scanner::report::{ImageIdentity, StoredImage};
use crowsnest_scanner::{evaluate, match_findings};
use crowsnest_vulndb::Database;
use progress::{Bar, Unit};
use registry::read_registry;
pub(crate) use registry::{RegistryFlags, registry_inventory};
use sha2::Digest as _;
use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal as _, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The ignore file read from the working directory when `--ignorefile` is not given.
const DEFAULT_IGNORE_FILE: &str = ".crowsnestignore";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum OutputFormat {
    /// Findings grouped by target (OS packages, each language ecosystem).
    Table,
    /// The Console's ImageScanResult (as `GET /registry` returns it).
    Json,
    /// SARIF 2.1.0, for code-scanning upload.
    Sarif,
    /// CycloneDX 1.5 JSON with a vulnerabilities section.
    Cyclonedx,
    /// SPDX 2.3 JSON with advisory references.
    Spdx,
    /// The Console's CSV columns.
    Csv,
}

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Exit status: 0 no findings remain (or --exit-code 0); N findings remain and --exit-code N was \
given; 1 the report could not be written; 2 usage error (flags, reference, VEX or ignore file); \
3 the image cannot be reached or read; 4 the vulnerability database is missing, unreadable or \
too old.

Ignore file (.crowsnestignore in the working directory, or --ignorefile FILE): one rule per \
line, `ID [PACKAGE|PURL] [exp:YYYY-MM-DD]`, `#` starts a comment; a rule past its date no \
longer applies.")]
pub(crate) struct ImageArgs {
    /// The image: `[host[:port]/]repo[:tag|@digest]` (Docker Hub short names like `alpine`
    /// work), `oci:DIR[:tag]` or `docker-archive:FILE`.
    reference: String,
    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value = "table")]
    format: OutputFormat,
    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryFlags,
    /// Severities to report, comma-separated: UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL.
    #[arg(short = 's', long, value_name = "LIST", value_parser = parse_severities)]
    severity: Option<BTreeSet<Severity>>,
    /// Drop findings that have no fixed version yet.
    #[arg(long)]
    ignore_unfixed: bool,
    /// Drop findings with these fix states, comma-separated: fixed, open, will_not_fix, deferred.
    #[arg(long, value_name = "LIST", value_parser = parse_statuses)]
    ignore_status: Option<BTreeSet<FixState>>,
    /// OpenVEX or CycloneDX VEX document; `not_affected`/`fixed` statements remove findings,
    /// others annotate them. Repeatable.
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
    /// Ignore file (default: .crowsnestignore in the working directory, when present).
    #[arg(long, value_name = "FILE")]
    ignorefile: Option<PathBuf>,
    /// Exit with this status when findings remain after filtering.
    #[arg(long, value_name = "N", default_value_t = 0)]
    exit_code: u8,
    /// List every package in the table, not only vulnerable ones (JSON, CycloneDX and SPDX
    /// always list every package).
    #[arg(long)]
    list_all_pkgs: bool,
    /// No progress bar, summary or warnings on stderr; only errors.
    #[arg(short = 'q', long)]
    quiet: bool,
    /// The vulnerability database file (default: DATA_DIR/vulndb/crowsnest.db).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Refuse a database built this long ago or earlier (`7d`, `12h`, `30m`, `0s`).
    #[arg(long, value_name = "AGE", default_value = "7d", value_parser = parse_age)]
    db_max_age: Duration,
}

fn parse_severities(s: &str) -> Result<BTreeSet<Severity>, String> {
    crowsnest_report::parse_severities(s).map_err(|e| e.to_string())
}

fn parse_statuses(s: &str) -> Result<BTreeSet<FixState>, String> {
    s.split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(|w| FixState::parse(w).map_err(|e| e.to_string()))
        .collect()
}

fn parse_age(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("{s:?} is not an age; write a number and a unit: 7d, 12h, 30m, 0s");
    let split = s.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    let secs = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    n.checked_mul(secs).map(Duration::from_secs).ok_or_else(bad)
}

/// Why the command stopped, which decides the exit status.
#[derive(Debug)]
enum Failure {
    Usage(String),
    Image(String),
    Database(String),
    Output(String),
}

impl Failure {
    fn code(&self) -> u8 {
        match self {
            Failure::Output(_) => 1,
            Failure::Usage(_) => 2,
            Failure::Image(_) => 3,
            Failure::Database(_) => 4,
        }
    }

    fn message(&self) -> &str {
        match self {
            Failure::Usage(m) | Failure::Image(m) | Failure::Database(m) | Failure::Output(m) => m,
        }
    }
}

pub(crate) async fn run(args: ImageArgs, global: &Global) -> anyhow::Result<ExitCode> {
    match scan(args, global).await {
        Ok(code) => Ok(code),
        Err(f) => {
            eprintln!("error: {}", f.message());
            Ok(ExitCode::from(f.code()))
        }
    }
}

/// Stdout for the report. A reader that leaves early (`crowsnest image X | head`) is not a
/// failure of the scan: the rest of the report is dropped and the exit code stays the one the
/// findings decide (`--exit-code` gates must not turn into "cannot write").
struct ReaderMayLeave<W>(W);

impl<W: Write> Write for ReaderMayLeave<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self.0.write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(buf.len()),
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self.0.flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }
}

/// What reading an image produced, whatever its source.
struct Analysed {
    stored: StoredImage,
    registry: String,
    repo: String,
    tag: String,
    /// Prisma's registry type (`2` for a distribution registry; empty for a local image).
    registry_type: &'static str,
    pull: Duration,
    analysis: Duration,
}

async fn scan(args: ImageArgs, global: &Global) -> Result<ExitCode, Failure> {
    let started = Instant::now();
    let filter = build_filter(&args)?;
    let db_path = args
        .db
        .clone()
        .unwrap_or_else(|| crowsnest_vulndb::default_path(&global.data_dir));
    check_db(&db_path, args.db_max_age)?;
    // Loading decompresses the whole database: overlap it with the pull.
    let db_task = {
        let path = db_path.clone();
        tokio::task::spawn_blocking(move || Database::open(&path))
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let image = ImageRef::parse(&args.reference).map_err(|e| Failure::Usage(e.to_string()))?;
    let analysed = match image {
        ImageRef::Registry(r) => read_registry(&args.registry, &r, show_progress).await?,
        local => read_local(&args.reference, local, show_progress).await?,
    };
    let db = db_task
        .await
        .map_err(|e| Failure::Database(format!("loading the database failed: {e}")))?
        .map_err(|e| {
            Failure::Database(format!(
                "{e}\nRebuild it with `crowsnest db import DIR` (or `crowsnest db update --feeds DIR`)."
            ))
        })?;
    if !args.quiet {
        for w in &analysed.stored.inventory.warnings {
            eprintln!("warning: {w}");
        }
    }

    let scan_time = jiff::Timestamp::now();
    let t = Instant::now();
    let inventory = Arc::new(analysed.stored.inventory.clone());
    // The Console's own matching step (crowsnest_scanner::match_findings), so one image gets
    // the same findings from both.
    let findings: Vec<Finding> = {
        let stored = analysed.stored.clone();
        tokio::task::spawn_blocking(move || match_findings(&stored, Some(&db), scan_time))
            .await
            .map_err(|e| Failure::Database(format!("matching failed: {e}")))?
    };
    let matching = t.elapsed();

    let today = scan_time.to_zoned(jiff::tz::TimeZone::UTC).date();
    let filtered = filter.apply(findings, &inventory, today);
    if !args.quiet {
        for r in &filtered.expired {
            eprintln!(
                "note: ignore rule for {} (line {}) expired on {}; the finding is reported again",
                r.id,
                r.line,
                r.expires.map(|d| d.to_string()).unwrap_or_default()
            );
        }
    }

    let who = ImageIdentity {
        registry: analysed.registry.clone(),
        repo: analysed.repo.clone(),
        tag: analysed.tag.clone(),
        registry_type: analysed.registry_type.into(),
        scan_time,
        scan_duration_ms: started.elapsed().as_millis() as i64,
        pull_duration_ms: analysed.pull.as_millis() as i64,
        hostname: std::env::var("HOSTNAME").unwrap_or_default(),
        ..ImageIdentity::default()
    };
    let report = Report {
        subject: &args.reference,
        inventory: &inventory,
        findings: &filtered.kept,
        notes: &filtered.notes,
    };
    let color = args.format == OutputFormat::Table
        && args.output.is_none()
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    let write = |w: &mut dyn Write| -> Result<(), String> {
        match args.format {
            OutputFormat::Table => crowsnest_report::table::write(
                &report,
                TableOptions {
                    color,
                    list_all_pkgs: args.list_all_pkgs,
                },
                &mut *w,
            )
            .map_err(|e| e.to_string()),
            OutputFormat::Json | OutputFormat::Csv => {
                // No policies here: the Console's policy documents are not the CLI's.
                let result = evaluate(&who, &analysed.stored, &filtered.kept, None);
                if args.format == OutputFormat::Json {
                    serde_json::to_writer_pretty(&mut *w, &result).map_err(|e| e.to_string())?;
                    w.write_all(b"\n").map_err(|e| e.to_string())
                } else {
                    let mut csv =
                        crowsnest_policy::CsvReport::new(&mut *w).map_err(|e| e.to_string())?;
                    csv.write_image(&result).map_err(|e| e.to_string())?;
                    csv.finish().map(|_| ()).map_err(|e| e.to_string())
                }
            }
            OutputFormat::Sarif | OutputFormat::Cyclonedx | OutputFormat::Spdx => {
                let doc = match args.format {
                    OutputFormat::Sarif => crowsnest_report::sarif::render(&report),
                    OutputFormat::Cyclonedx => crowsnest_report::cyclonedx::render(&report),
                    _ => crowsnest_report::spdx::render(&report),
                };
                serde_json::to_writer_pretty(&mut *w, &doc).map_err(|e| e.to_string())?;
                w.write_all(b"\n").map_err(|e| e.to_string())
            }
        }
    };
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| Failure::Output(format!("cannot write {}: {e}", path.display())))?;
            let mut w = std::io::BufWriter::new(file);
            write(&mut w)
                .and_then(|()| w.flush().map_err(|e| e.to_string()))
                .map_err(|e| Failure::Output(format!("cannot write {}: {e}", path.display())))?;
        }
        None => {
            let stdout = std::io::stdout();
            let mut w = std::io::BufWriter::new(ReaderMayLeave(stdout.lock()));
            write(&mut w)
                .and_then(|()| w.flush().map_err(|e| e.to_string()))
                .map_err(|e| Failure::Output(format!("cannot write the report: {e}")))?;
        }
    }

    if !args.quiet {
        eprintln!(
            "{}",
            summary(
                &args.reference,
                &filtered.kept,
                filtered.suppressed.len(),
                inventory.packages.len(),
                [analysed.pull, analysed.analysis, matching]
            )
        );
    }
    if !filtered.kept.is_empty() && args.exit_code != 0 {
        return Ok(ExitCode::from(args.exit_code));
    }
    Ok(ExitCode::SUCCESS)
}

/// `alpine:3.10: 12 vulnerabilities (CRITICAL 1, HIGH 3, …) in 14 packages, 2 suppressed; pull
/// 0.41s, analysis 0.05s, matching 0.12s`.
fn summary(
    subject: &str,
    kept: &[Finding],
    suppressed: usize,
    packages: usize,
    [pull, analysis, matching]: [Duration; 3],
) -> String {
    let mut by: BTreeMap<Severity, usize> = BTreeMap::new();
    for f in kept {
        *by.entry(f.severity).or_default() += 1;
    }
    let counts: Vec<String> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Unknown,
    ]
    .into_iter()
    .map(|s| {
        format!(
            "{} {}",
            crowsnest_report::severity_label(s),
            by.get(&s).copied().unwrap_or(0)
        )
    })
    .collect();
    let suppressed = if suppressed > 0 {
        format!(", {suppressed} suppressed by filters")
    } else {
        String::new()
    };
    format!(
        "{subject}: {} vulnerabilities ({}) in {packages} packages{suppressed}; pull {:.2}s, analysis {:.2}s, matching {:.2}s",
        kept.len(),
        counts.join(", "),
        pull.as_secs_f64(),
        analysis.as_secs_f64(),
        matching.as_secs_f64()
    )
}

fn build_filter(args: &ImageArgs) -> Result<Filter, Failure> {
    let vex = args
        .vex
        .iter()
        .map(|p| VexDocument::load(p).map_err(|e| Failure::Usage(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let ignore_file = match &args.ignorefile {
        Some(p) => Some(IgnoreFile::load(p).map_err(|e| Failure::Usage(e.to_string()))?),
        None if Path::new(DEFAULT_IGNORE_FILE).is_file() => Some(
            IgnoreFile::load(Path::new(DEFAULT_IGNORE_FILE))
                .map_err(|e| Failure::Usage(e.to_string()))?,
        ),
        None => None,
    };
    Ok(Filter {
        severities: args.severity.clone(),
        ignore_unfixed: args.ignore_unfixed,
        ignore_status: args.ignore_status.clone().unwrap_or_default(),
        ignore_file,
        vex,
    })
}

/// Checks the database header: there, readable, and younger than `max_age`.
fn check_db(path: &Path, max_age: Duration) -> Result<(), Failure> {
    let fix = "Build it from a feed mirror with `crowsnest db import DIR` (or `crowsnest db update --feeds DIR`), \
               or name an existing database with --db PATH.";
    if !path.is_file() {
        return Err(Failure::Database(format!(
            "no vulnerability database at {}.\n{fix}",
            path.display()
        )));
    }
    let status = Database::read_status(path).map_err(|e| {
        Failure::Database(format!(
            "the vulnerability database cannot be read: {e}\nRebuild it with `crowsnest db import DIR` (or `crowsnest db update --feeds DIR`)."
        ))
    })?;
    let now = jiff::Timestamp::now().as_second();
    let age = (now - status.built_at).max(0) as u64;
    if age >= max_age.as_secs() {
        let built = jiff::Timestamp::from_second(status.built_at)
            .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
            .unwrap_or_else(|_| status.built_at.to_string());
        return Err(Failure::Database(format!(
            "the vulnerability database at {} was built {built} ({} days ago), which is not younger than --db-max-age ({}s).\n\
             Refresh it with `crowsnest db update --feeds DIR` or `crowsnest db import DIR`, or raise --db-max-age.",
            path.display(),
            age / 86_400,
            max_age.as_secs()
        )));
    }
    Ok(())
}

/// Reads an `oci:` or `docker-archive:` image. The analyzer returns only the inventory, so the
/// identity (manifest and config digests, diff ids) of an OCI layout is read from the layout;
/// a docker archive is identified by its layers as the config history names them.
async fn read_local(
    subject: &str,
    image: ImageRef,
    show_progress: bool,
) -> Result<Analysed, Failure> {
    let (repo, tag) = match &image {
        ImageRef::Oci { dir, tag } => (
            dir.display().to_string(),
            tag.clone().unwrap_or_else(|| "latest".into()),
        ),
        ImageRef::DockerArchive { file } => (file.display().to_string(), String::new()),
        ImageRef::Registry(r) => (r.clone(), String::new()),
    };
    let subject = subject.to_string();
    let t = Instant::now();
    let (inventory, identity) = tokio::task::spawn_blocking(move || {
        let identity = match &image {
            ImageRef::Oci { dir, tag } => Some(oci_identity(dir, tag.as_deref())?),
            _ => None,
        };
        let bar = Bar::new(show_progress, Unit::Bytes);
        let result = Analyzer::default().analyze_source(&image, &bar);
        bar.finish();
        Ok::<_, String>((result.map_err(|e| format!("{subject}: {e}"))?, identity))
    })
    .await
    .map_err(|e| Failure::Image(format!("analysis failed: {e}")))?
    .map_err(Failure::Image)?;
    let analysis = t.elapsed();
    let stored = match identity {
        Some(mut s) => {
            s.inventory = inventory;
            s
        }
        None => StoredImage {
            layers: history_layers(&inventory),
            created: inventory.config.created.clone(),
            inventory,
            ..StoredImage::default()
        },
    };
    Ok(Analysed {
        stored,
        registry: String::new(),
        repo,
        tag,
        registry_type: "",
        pull: Duration::ZERO,
        analysis,
    })
}

fn history_layers(inv: &Inventory) -> Vec<String> {
    inv.config
        .history
        .iter()
        .filter_map(|h| h.layer_digest.clone())
        .collect()
}

fn oci_identity(dir: &Path, tag: Option<&str>) -> Result<StoredImage, String> {
    let src = ImageSource::open_oci(dir, tag).map_err(|e| format!("oci:{}: {e}", dir.display()))?;
    let config: serde_json::Value = serde_json::from_slice(&src.config)
        .map_err(|e| format!("oci:{}: the image config is not JSON: {e}", dir.display()))?;
    let text = |k: &str| {
        config
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    Ok(StoredImage {
        manifest_digest: src.manifest_digest.clone().unwrap_or_default(),
        image_id: format!("sha256:{}", hex::encode(sha2::Sha256::digest(&src.config))),
        layers: src.layers.iter().map(|l| l.digest.clone()).collect(),
        diff_ids: config
            .get("rootfs")
            .and_then(|r| r.get("diff_ids"))
            .and_then(|d| d.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        created: config
            .get("created")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        os: text("os"),
        architecture: text("architecture"),
        inventory: Inventory::default(),
    })
}

#[cfg(test)]
mod tests {
    use super::registry::parse_platform;
    use super::*;
    use crowsnest_registry::TargetPlatform;

    #[test]
    fn ages_and_platforms_parse_or_explain() {
        assert_eq!(parse_age("7d").unwrap(), Duration::from_secs(7 * 86_400));
        assert_eq!(parse_age("0s").unwrap(), Duration::ZERO);
        for bad in ["", "7", "d", "7w", "-1d", "99999999999999999999d"] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_platform("linux/arm64/v8").unwrap(),
            TargetPlatform::LinuxArm64
        );
        assert!(parse_platform("linux/s390x").is_err());
        assert!(parse_statuses("open,wat").is_err());
    }
}
