//! `crowsnest db` (not written yet).

use super::Global;
use std::process::ExitCode;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum DbCommand {
    /// Show the database's sources, record counts and data dates.
    Status,
}

pub(crate) async fn run(_args: DbCommand, _global: &Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("crowsnest db is not implemented yet")
}
