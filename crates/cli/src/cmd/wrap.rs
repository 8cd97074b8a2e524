//! `mcpwall wrap`.

use std::process::ExitCode;

/// Arguments of `mcpwall wrap`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Everything after the subcommand (not implemented yet).
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs the subcommand.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`wrap` is not implemented yet")
}
