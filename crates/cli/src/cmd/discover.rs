//! `crowsnest discover` (not written yet).

use super::Global;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct DiscoverArgs {}

pub(crate) async fn run(_args: DiscoverArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("crowsnest discover is not implemented yet")
}
