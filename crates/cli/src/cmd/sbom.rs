//! `crowsnest sbom` (not written yet).

use super::Global;
use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct SbomArgs {}

pub(crate) async fn run(_args: SbomArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("crowsnest sbom is not implemented yet")
}
