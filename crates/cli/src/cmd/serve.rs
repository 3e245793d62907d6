//! `crowsnest serve` (not written yet).

use super::Global;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {}

pub(crate) async fn run(_args: ServeArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("crowsnest serve is not implemented yet")
}
