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
