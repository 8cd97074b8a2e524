//! `mcpwall sandbox doctor` and the internal `mcpwall sandbox-exec`.

use std::process::ExitCode;

use anyhow::Context;

/// `mcpwall sandbox` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Report which sandbox features this kernel offers; exits non-zero when enforce mode
    /// cannot work here.
    Doctor,
}

/// Arguments of the internal `mcpwall sandbox-exec` (started by the launcher, never by hand).
#[derive(Debug, clap::Args)]
pub struct ExecArgs {
    /// Inherited file descriptor holding the sandbox spec (JSON).
    #[arg(long)]
    pub spec_fd: i32,
    /// The server's command line, for `ps`; the spec is authoritative.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub rest: Vec<String>,
}

/// Runs the subcommand.
pub fn run(cmd: Command) -> anyhow::Result<ExitCode> {
    match cmd {
        Command::Doctor => Ok(doctor()),
    }
}

fn doctor() -> ExitCode {
    let features = mcpwall_sandbox::probe();
    println!("mcpwall sandbox doctor");
    for line in features.lines() {
        let status = if line.ok { "ok" } else { "missing" };
        let need = if line.required {
            "required"
        } else {
            "optional"
        };
        let detail = if line.detail.is_empty() {
            String::new()
        } else {
            format!("  {}", line.detail)
        };
        println!("  {:<28} {:<8} ({need}){detail}", line.name, status);
    }
    let missing = features.missing_required();
    if missing.is_empty() {
        println!("enforce mode: available");
        ExitCode::SUCCESS
    } else {
        println!("enforce mode: unavailable, missing {}", missing.join(", "));
        ExitCode::from(1)
    }
}

/// Runs `sandbox-exec`: reads the spec, sets up the sandbox, runs the server, exits with its
/// status.
pub fn run_exec(args: ExecArgs) -> anyhow::Result<ExitCode> {
    let spec = mcpwall_sandbox::helper::read_spec_fd(args.spec_fd).context("sandbox-exec")?;
    match mcpwall_sandbox::helper::run(&spec) {
        Ok(code) => Ok(ExitCode::from(u8::try_from(code).unwrap_or(255))),
        Err(err) => {
            eprintln!("mcpwall sandbox: {err}");
            Ok(ExitCode::from(
                u8::try_from(mcpwall_sandbox::helper::EXIT_SETUP_FAILED).unwrap_or(255),
            ))
        }
    }
}
