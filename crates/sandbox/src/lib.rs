//! mcpwall sandbox: launching stdio MCP servers under namespaces, landlock and seccomp.
//! The only crate with `unsafe`; every block carries a `// SAFETY:` comment.
//!
//! The gateway builds a [`SandboxPolicy`] from config, resolves it on the host into an
//! [`ExecSpec`] and starts `mcpwall sandbox-exec` with [`helper_command`]; the helper calls
//! [`helper::run`] in a fresh single-threaded process. See `docs/sandbox.md`.

pub mod cgroup;
pub mod egress_policy;
pub mod features;
pub mod fsrules;
pub mod helper;
pub mod plan;
pub mod seccomp;
pub mod spawn;
pub mod spec;

pub use features::{probe, Features};
pub use spawn::helper_command;
pub use spec::{ExecSpec, Limits, Mode, ProxySpec, SandboxPolicy};

/// Why the sandbox could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// Enforce mode and the kernel lacks required features.
    #[error("sandbox cannot be enforced, missing: {0} (set the server's sandbox mode to `best-effort` to run it with what is available)")]
    Missing(String),
    /// The program was not found.
    #[error("program `{0}` not found or not executable")]
    ProgramNotFound(String),
    /// A declared path would expose the whole filesystem.
    #[error("declared sandbox path `{0}` would expose the whole filesystem")]
    WholeFilesystem(String),
    /// The spec could not be read.
    #[error("reading sandbox spec: {0}")]
    Spec(String),
    /// A setup step failed.
    #[error("sandbox setup failed: {0}")]
    Setup(String),
    /// Compiling or installing the seccomp filter failed.
    #[error("seccomp: {0}")]
    Seccomp(String),
    /// Applying landlock failed.
    #[error("landlock: {0}")]
    Landlock(String),
    /// exec of the server failed.
    #[error("cannot execute server {0}")]
    Exec(String),
}
