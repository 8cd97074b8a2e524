//! Building the command that starts a stdio server. Every stdio server that mcpwall starts goes
//! through [`command`], so the sandbox is applied in exactly one place.

use std::ffi::OsString;
use std::path::PathBuf;

/// What to start: the server's own command line and declared environment.
#[derive(Debug, Clone, Default)]
pub struct LaunchSpec {
    /// Program to run (looked up in `PATH` when it has no slash).
    pub program: OsString,
    /// Its arguments.
    pub args: Vec<OsString>,
    /// Environment variables the config declares for this server.
    pub env: Vec<(OsString, OsString)>,
    /// Working directory, if any.
    pub cwd: Option<PathBuf>,
}

impl LaunchSpec {
    /// A spec for `program args...` with no declared environment.
    pub fn new(program: impl Into<OsString>, args: impl IntoIterator<Item = impl Into<OsString>>) -> Self {
        Self {
            program: program.into(),
            args: args.into_iter().map(Into::into).collect(),
            ..Self::default()
        }
    }
}

/// Why a server could not be launched.
#[derive(Debug, thiserror::Error)]
pub enum LaunchError {
    /// The spec has no program.
    #[error("server has no command")]
    NoCommand,
}

/// The command that starts `spec`. Stdio is left for the caller to set.
pub fn command(spec: &LaunchSpec) -> Result<tokio::process::Command, LaunchError> {
    if spec.program.is_empty() {
        return Err(LaunchError::NoCommand);
    }
    let mut cmd = tokio::process::Command::new(&spec.program);
    cmd.args(&spec.args);
    cmd.envs(spec.env.iter().map(|(k, v)| (k, v)));
    if let Some(dir) = &spec.cwd {
        cmd.current_dir(dir);
    }
    cmd.kill_on_drop(true);
    Ok(cmd)
}
