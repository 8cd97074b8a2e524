//! `mcpwall config ...`.

use std::process::ExitCode;

/// `mcpwall config` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Validate a config file and report every error with file, line, column and field.
    Check {
        /// The config file (mcpwall TOML or a host's JSON).
        file: std::path::PathBuf,
    },
}

/// Runs the subcommand.
pub fn run(_cmd: Command) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`config` is not implemented yet")
}
