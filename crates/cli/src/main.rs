//! The `mcpwall` binary: a thin main that parses arguments and hands each subcommand to its module.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd;

/// mcpwall: a security gateway for the Model Context Protocol.
#[derive(Debug, Parser)]
#[command(name = "mcpwall", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one MCP server as a child and proxy it on this process's stdin/stdout.
    Wrap(cmd::wrap::Args),
    /// Serve configured MCP servers over streamable HTTP (and legacy HTTP+SSE).
    Serve(cmd::serve::Args),
    /// Inspect and validate configuration files.
    #[command(subcommand)]
    Config(cmd::config::Command),
    /// Audit config files for CI: sandbox off/best-effort and config errors (exit 0/1/2).
    Scan(cmd::scan::Args),
    /// Rewrite a host's MCP config so each server runs behind `mcpwall wrap`.
    Install(cmd::install::Args),
    /// Engage the kill switch: every running mcpwall of this config refuses tool calls.
    Kill(cmd::kill::KillArgs),
    /// Release the kill switch.
    Resume(cmd::kill::ResumeArgs),
    /// Read, export, verify and prune the audit trail.
    #[command(subcommand)]
    Audit(cmd::audit::Command),
    /// Run the detection engine over JSON lines (see docs/detect.md).
    Detect(cmd::detect::Args),
    /// Redact secrets and PII from plain text on stdin.
    Redact(cmd::detect::RedactArgs),
    /// Sandbox diagnostics.
    #[command(subcommand)]
    Sandbox(cmd::sandbox::Command),
    /// Internal: set up the sandbox and exec the server (used by the launcher).
    #[command(name = "sandbox-exec", hide = true)]
    SandboxExec(cmd::sandbox::ExecArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Wrap(a) => cmd::wrap::run(a),
        Command::Serve(a) => cmd::serve::run(a),
        Command::Config(c) => cmd::config::run(c),
        Command::Scan(a) => cmd::scan::run(a),
        Command::Install(a) => cmd::install::run(a),
        Command::Kill(a) => cmd::kill::run_kill(a),
        Command::Resume(a) => cmd::kill::run_resume(a),
        Command::Audit(c) => cmd::audit::run(c),
        Command::Detect(a) => cmd::detect::run(a),
        Command::Redact(a) => cmd::detect::run_redact(a),
        Command::Sandbox(c) => cmd::sandbox::run(c),
        Command::SandboxExec(a) => cmd::sandbox::run_exec(a),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("mcpwall: {err:#}");
            ExitCode::from(2)
        }
    }
}
