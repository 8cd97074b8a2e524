//! `mcpwall kill` and `mcpwall resume`.

use std::process::ExitCode;

/// Arguments of `mcpwall kill`.
#[derive(Debug, clap::Args)]
pub struct KillArgs {
    /// Only this server.
    #[arg(long)]
    pub server: Option<String>,
    /// Why (recorded and shown to clients).
    #[arg(long)]
    pub reason: Option<String>,
}

/// Arguments of `mcpwall resume`.
#[derive(Debug, clap::Args)]
pub struct ResumeArgs {
    /// Only this server.
    #[arg(long)]
    pub server: Option<String>,
}

/// Runs `kill`.
pub fn run_kill(_args: KillArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`kill` is not implemented yet")
}

/// Runs `resume`.
pub fn run_resume(_args: ResumeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`resume` is not implemented yet")
}
