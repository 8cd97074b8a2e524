//! One module per subcommand. Each exposes clap argument types and a `run` returning the exit code.

pub mod audit;
pub mod config;
pub mod detect;
pub mod install;
pub mod kill;
pub mod lifecycle;
pub mod ml;
pub mod sandbox;
pub mod scan;
pub mod serve;
pub mod wrap;

/// The audit database named by `--audit`, else by `MCPWALL_AUDIT`. The variable is read here
/// rather than by clap: clap counts a value from the environment as given, so
/// `--no-audit` (which conflicts with `--audit`) was refused whenever the variable was set.
pub(crate) fn audit_arg(flag: Option<&std::path::PathBuf>) -> Option<std::path::PathBuf> {
    flag.cloned().or_else(|| {
        std::env::var_os("MCPWALL_AUDIT")
            .filter(|v| !v.is_empty())
            .map(std::path::PathBuf::from)
    })
}
