//! `crowsnest image REF` (being written).

use super::Global;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct ImageArgs {}

pub(crate) async fn run(_args: ImageArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("crowsnest image is not implemented yet")
}
