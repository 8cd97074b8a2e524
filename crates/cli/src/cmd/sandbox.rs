//! `mcpwall sandbox doctor` and the internal `mcpwall sandbox-exec`.

use std::process::ExitCode;

/// `mcpwall sandbox` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Report which sandbox features this kernel offers.
    Doctor,
}

/// Arguments of the internal `mcpwall sandbox-exec`.
#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// Everything after the subcommand.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs the subcommand.
pub fn run(_cmd: Command) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sandbox` is not implemented yet")
}

/// Runs `sandbox-exec`.
pub fn run_exec(_args: ExecArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`sandbox-exec` is not implemented yet")
}
