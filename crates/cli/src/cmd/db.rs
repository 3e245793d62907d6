//! `crowsnest db`: build the vulnerability database from feed directories or archives, show its
//! status, and explain a match rule by rule. The work is in `crowsnest-vulndb`; this module only
//! maps arguments to it and prints.

use super::Global;
use anyhow::Context;
use crowsnest_vulndb::{Database, ImportOptions, ImportReport, Matcher, Outcome};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum DbCommand {
    /// Build the database from feed directories and/or .tar.gz archives (replaces the old one
    /// atomically).
    Import {
        /// Feed directories, archives or single feed files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
    /// Refresh the database: from a local feed mirror with --feeds (or CROWSNEST_FEEDS),
    /// otherwise from the upstream sources.
    Update {
        /// A directory mirroring the upstream feeds (same layout as `db import` accepts).
        #[arg(long, env = "CROWSNEST_FEEDS")]
        feeds: Option<PathBuf>,
    },
    /// Show the database's sources, record counts and data dates.
    Status,
    /// Show every rule that applies to one package version, and its verdict.
    Explain {
        /// Package name (for distributions: the SOURCE package, e.g. `openssl`).
        package: String,
        version: String,
        /// Distribution release: `debian:12`, `debian:bookworm`, `ubuntu:22.04`,
        /// `alpine:3.18.4`, `almalinux:9`, `rhel:8`.
        #[arg(long, conflicts_with = "ecosystem")]
        distro: Option<String>,
        /// Language ecosystem as OSV names it: `PyPI`, `npm`, `Go`, `crates.io`, `Maven`,
        /// `RubyGems`, `Packagist`, `NuGet`.
        #[arg(long)]
        ecosystem: Option<String>,
        /// rpm module stream of the installed build (`nodejs:18`).
        #[arg(long)]
        stream: Option<String>,
    },
}

/// Upstream sources `db update` would fetch when online, by the name `db status` shows.
const UPSTREAM: &[&str] = &[
    "debian-cve (Debian security tracker JSON)",
    "debian-dsa / debian-dla (Debian security tracker lists)",
    "ubuntu (Ubuntu CVE Tracker)",
    "alpine (Alpine secdb)",
    "almalinux (AlmaLinux OSV)",
    "redhat-csaf (Red Hat CSAF VEX)",
    "go-vulndb, rustsec, pypa, ghsa (OSV)",
    "rubysec, friendsofphp, nodejs-security-wg",
    "nvd (NVD CVE API 2.0), cisa-kev, epss",
];

pub(crate) async fn run(args: DbCommand, global: &Global) -> anyhow::Result<ExitCode> {
    let db_path = crowsnest_vulndb::default_path(&global.data_dir);
    match args {
        DbCommand::Import { paths } => import(&paths, &db_path),
        DbCommand::Update { feeds: Some(dir) } => import(&[dir], &db_path),
        DbCommand::Update { feeds: None } => {
            // Downloading is not part of this build: say exactly what stays missing.
            eprintln!("error: online feed download is not available; no source could be fetched.");
            eprintln!("missing sources:");
            for s in UPSTREAM {
                eprintln!("  - {s}");
            }
            eprintln!(
                "Point `crowsnest db update --feeds DIR` (or CROWSNEST_FEEDS) at a feed mirror, \
                 or run `crowsnest db import DIR|ARCHIVE…`."
            );
            if db_path.exists() {
                eprintln!(
                    "The existing database at {} is unchanged.",
                    db_path.display()
                );
            }
            Ok(ExitCode::from(2))
        }
        DbCommand::Status => {
            if !db_path.exists() {
                eprintln!(
                    "no vulnerability database at {}; build one with `crowsnest db import DIR`",
                    db_path.display()
                );
                return Ok(ExitCode::FAILURE);
            }
            let status = Database::read_status(&db_path)?;
            println!("{}", db_path.display());
            print!("{}", status.render());
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Explain {
            package,
            version,
            distro,
            ecosystem,
            stream,
        } => {
            let namespace = match (distro, ecosystem) {
                (Some(d), _) => {
                    crowsnest_vulndb::distro_namespace(&d).map_err(anyhow::Error::msg)?
                }
                (None, Some(e)) => e,
                (None, None) => anyhow::bail!("give --distro ID:RELEASE or --ecosystem NAME"),
            };
            let db = Database::open(&db_path)
                .with_context(|| format!("opening {}", db_path.display()))?;
            let matcher = Matcher::new(&db);
            let steps = matcher
                .explain(&namespace, &package, &version, stream.as_deref())
                .map_err(anyhow::Error::msg)?;
            println!(
                "{package} {version} in {namespace}: {} rule(s)",
                steps.len()
            );
            let mut affected = 0;
            for s in &steps {
                let verdict = match &s.outcome {
                    Outcome::Affected { fix } => {
                        affected += 1;
                        format!("AFFECTED ({})", fix.prisma_status())
                    }
                    Outcome::NotAffected => "not affected".to_string(),
                    Outcome::Unknown => "cannot evaluate".to_string(),
                };
                println!("  {:<20} [{}] {} -> {}", s.id, s.source, s.rule, verdict);
            }
            println!("{affected} rule(s) say affected");
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn import(paths: &[PathBuf], db_path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let (db, report) = Database::build(paths, &ImportOptions::new())?;
    let size = db
        .write_atomic(db_path)
        .with_context(|| format!("writing {}", db_path.display()))?;
    print_report(&report);
    println!(
        "wrote {} ({} bytes) in {:.1?}",
        db_path.display(),
        size,
        started.elapsed()
    );
    print!("{}", db.status().render());
    Ok(ExitCode::SUCCESS)
}

fn print_report(report: &ImportReport) {
    if report.malformed.is_empty() {
        return;
    }
    eprintln!(
        "{} malformed record(s) skipped (the import went on):",
        report.malformed.len()
    );
    for m in report.malformed.iter().take(50) {
        eprintln!("  [{}] {}: {}", m.source, m.file, m.error);
    }
    if report.malformed.len() > 50 {
        eprintln!("  … and {} more", report.malformed.len() - 50);
    }
}
