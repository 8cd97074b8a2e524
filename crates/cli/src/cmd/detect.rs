//! `mcpwall detect` and `mcpwall redact`.

use std::process::ExitCode;

/// Arguments of `mcpwall detect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Read JSON lines (`id`, `text`, `family`) and write one verdict per line.
    #[arg(long)]
    pub jsonl: bool,
    /// Input file, or `-` for stdin.
    pub file: Option<std::path::PathBuf>,
}

/// Arguments of `mcpwall redact`.
#[derive(Debug, clap::Args)]
pub struct RedactArgs {}

/// Runs `detect`.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`detect` is not implemented yet")
}

/// Runs `redact`.
pub fn run_redact(_args: RedactArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`redact` is not implemented yet")
}
