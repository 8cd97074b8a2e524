//! `mcpwall audit ...`.

use std::process::ExitCode;

/// `mcpwall audit` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Verify the hash chain.
    Verify,
}

/// Runs the subcommand.
pub fn run(_cmd: Command) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`audit` is not implemented yet")
}
