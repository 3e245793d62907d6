//! `crowsnest db`: build the vulnerability database from feed directories or archives, show its
//! status, and explain a match rule by rule. The work is in `crowsnest-vulndb`; this module only
//! maps arguments to it and prints.

mod fetch;

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
        /// An HTTP mirror serving the feed layout (`<URL>/osv/go-vulndb.tar.gz`, …) instead of
        /// the upstream projects.
        #[arg(long, env = "CROWSNEST_FEEDS_URL", conflicts_with = "feeds")]
        mirror: Option<String>,
        /// Only these sources, by layout path (e.g. `osv/go-vulndb.tar.gz`); repeatable.
        #[arg(long = "only")]
        only: Vec<String>,
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

pub(crate) async fn run(args: DbCommand, global: &Global) -> anyhow::Result<ExitCode> {
    let db_path = crowsnest_vulndb::default_path(&global.data_dir);
    match args {
        DbCommand::Import { paths } => import(&paths, &db_path),
        DbCommand::Update {
            feeds: Some(dir), ..
        } => import(&[dir], &db_path),
        DbCommand::Update {
            feeds: None,
            mirror,
            only,
        } => update(mirror.as_deref(), &only, &global.data_dir, &db_path).await,
        DbCommand::Status => {
            if !db_path.exists() {
                eprintln!(
                    "no vulnerability database at {}; build one with `crowsnest db import DIR`",
                    db_path.display()
                );
                return Ok(ExitCode::FAILURE);
            }
            let status = Database::read_status(&db_path)?;
            super::out(format!("{}\n{}", db_path.display(), status.render()))?;
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
            let mut text = format!(
                "{package} {version} in {namespace}: {} rule(s)\n",
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
                text += &format!("  {:<20} [{}] {} -> {}\n", s.id, s.source, s.rule, verdict);
            }
            text += &format!("{affected} rule(s) say affected\n");
            super::out(text)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Downloads every source into a scratch directory, then imports them all at once; if any
/// source is missing the existing database is kept, since a database built from part of the
/// feeds would silently drop findings.
async fn update(
    mirror: Option<&str>,
    only: &[String],
    data_dir: &std::path::Path,
    db_path: &std::path::Path,
) -> anyhow::Result<ExitCode> {
    if let Some(unknown) = only
        .iter()
        .find(|o| !fetch::SOURCES.iter().any(|s| s.path == o.as_str()))
    {
        eprintln!("error: unknown source {unknown:?}; known sources:");
        for s in fetch::SOURCES {
            eprintln!("  {}", s.path);
        }
        return Ok(ExitCode::from(2));
    }
    let scratch = data_dir.join("vulndb").join("download");
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).with_context(|| format!("creating {}", scratch.display()))?;
    let (fetched, failed) = fetch::download(mirror, only, &scratch).await?;
    if !failed.is_empty() {
        eprintln!(
            "error: {} of {} feed source(s) could not be fetched:",
            failed.len(),
            failed.len() + fetched.len()
        );
        for (source, why) in &failed {
            eprintln!("  - {source}: {why}");
        }
        eprintln!(
            "The database was not changed. Without network access, point `crowsnest db update --feeds DIR` (or --mirror URL) at a feed mirror."
        );
        let _ = std::fs::remove_dir_all(&scratch);
        return Ok(ExitCode::from(3));
    }
    let code = import(&fetched, db_path);
    let _ = std::fs::remove_dir_all(&scratch);
    code
}

fn import(paths: &[PathBuf], db_path: &std::path::Path) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let (db, report) = Database::build(paths, &ImportOptions::new())?;
    let size = db
        .write_atomic(db_path)
        .with_context(|| format!("writing {}", db_path.display()))?;
    print_report(&report);
    super::out(format!(
        "wrote {} ({} bytes) in {:.1?}\n{}",
        db_path.display(),
        size,
        started.elapsed(),
        db.status().render()
    ))?;
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
