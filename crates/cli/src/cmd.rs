//! The subcommands. Each module owns one subcommand's arguments and its `run`.

mod credential_file;
mod db;
mod discover;
mod image;
mod sbom;
mod serve;
mod worker;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "crowsnest",
    version,
    about = "Self-hosted container registry scanner"
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: Global,
    #[command(subcommand)]
    command: Command,
}

/// Options every subcommand understands.
#[derive(Debug, Args)]
pub(crate) struct Global {
    /// Directory holding the store, the vulnerability DB and the master key.
    #[arg(
        long,
        global = true,
        env = "CROWSNEST_DATA_DIR",
        default_value = "./crowsnest-data"
    )]
    pub(crate) data_dir: PathBuf,
    /// Log filter (tracing syntax), e.g. `info` or `crowsnest=debug`.
    #[arg(long, global = true, env = "CROWSNEST_LOG", default_value = "info")]
    pub(crate) log: String,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the Console: the Prisma-compatible REST API and the scanners.
    Serve(serve::ServeArgs),
    /// Run a scanner node of a cluster: scan the images of the Consoles' scans (PostgreSQL).
    Worker(worker::WorkerArgs),
    /// Build, update and inspect the vulnerability database.
    #[command(subcommand)]
    Db(db::DbCommand),
    /// Resolve a registry specification to the list of images a scan would cover.
    Discover(discover::DiscoverArgs),
    /// Scan one image (registry reference, oci:DIR or docker-archive:FILE) for vulnerabilities.
    Image(image::ImageArgs),
    /// List the packages of one image (native JSON, CycloneDX or SPDX).
    Sbom(sbom::SbomArgs),
}

/// Writes command output to stdout. A reader that went away (`crowsnest db status | head -1`)
/// comes back as a `BrokenPipe` error, which `main` treats as a normal end; `println!` would
/// panic instead.
pub(crate) fn out(text: impl AsRef<str>) -> std::io::Result<()> {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_ref().as_bytes())?;
    stdout.flush()
}

/// Whether an error ended the command only because stdout's reader had gone away.
pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

pub(crate) fn init_logging(global: &Global) {
    let filter = tracing_subscriber::EnvFilter::try_new(&global.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr so that machine output on stdout stays clean.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: a log file or a journal gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

pub(crate) async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Serve(args) => serve::run(args, &cli.global).await,
        Command::Worker(args) => worker::run(args, &cli.global).await,
        Command::Db(cmd) => db::run(cmd, &cli.global).await,
        Command::Discover(args) => discover::run(args, &cli.global).await,
        Command::Sbom(args) => sbom::run(args, &cli.global).await,
        Command::Image(args) => image::run(args, &cli.global).await,
    }
}
