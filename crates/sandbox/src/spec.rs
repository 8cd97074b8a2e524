//! What the gateway asks for ([`SandboxPolicy`]) and the self-contained plan the helper executes
//! ([`ExecSpec`]). The policy is what config declares; the spec adds everything the gateway
//! resolved on the host (program path, runtime directories, environment with secrets, proxy
//! socket), so the helper never consults the gateway's environment or config.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// How strictly the sandbox is applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    /// Every required layer must be in place, or the server is not started (the default).
    #[default]
    Enforce,
    /// Apply what the kernel offers, warn on every start about what is missing.
    BestEffort,
    /// No containment. Only ever used when config says so explicitly.
    Off,
}

impl Mode {
    /// The name used in config and messages.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::BestEffort => "best-effort",
            Mode::Off => "off",
        }
    }
}

/// Resource limits applied with `setrlimit` (always) in the sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Processes and threads the server's uid may have at once (`RLIMIT_NPROC`).
    pub processes: u64,
    /// Writable private memory in MiB (`RLIMIT_DATA`; `RLIMIT_AS` would break JIT runtimes that
    /// reserve large address ranges).
    pub memory_mb: u64,
    /// Open file descriptors (`RLIMIT_NOFILE`).
    pub open_files: u64,
    /// CPU seconds (`RLIMIT_CPU`); `None` leaves it unlimited, since servers live long.
    pub cpu_seconds: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            processes: 256,
            memory_mb: 2048,
            open_files: 1024,
            cpu_seconds: None,
        }
    }
}

/// The sandbox a server asks for: what config declares, before anything is resolved on the host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SandboxPolicy {
    /// Enforce (default), best-effort or off.
    pub mode: Mode,
    /// Host paths visible read-only.
    pub read_only: Vec<PathBuf>,
    /// Host paths visible read-write.
    pub read_write: Vec<PathBuf>,
    /// Domains reachable through the egress proxy (`example.com`, `*.example.com`).
    pub allow_domains: Vec<String>,
    /// Address ranges reachable through the egress proxy, also as raw IP targets.
    pub allow_cidrs: Vec<String>,
    /// Resource limits.
    pub limits: Limits,
}

impl SandboxPolicy {
    /// A policy with the sandbox switched off. Use only when config writes `off` explicitly.
    pub fn off() -> Self {
        Self {
            mode: Mode::Off,
            ..Self::default()
        }
    }

    /// Whether the server gets any network at all (through the egress proxy).
    pub fn wants_network(&self) -> bool {
        !self.allow_domains.is_empty() || !self.allow_cidrs.is_empty()
    }
}

/// The egress proxy as seen from inside the sandbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxySpec {
    /// Host path of the proxy's unix socket; bind-mounted into the sandbox.
    pub socket: PathBuf,
    /// Port of the in-namespace TCP listener on 127.0.0.1 that forwards to the socket.
    pub port: u16,
}

/// Everything the helper needs, resolved by the gateway. Sent to the helper through an inherited
/// memfd, never argv, because `env` carries resolved secrets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecSpec {
    /// Enforce or best-effort (the launcher does not start the helper for `off`).
    pub mode: Mode,
    /// Absolute path of the program as found in `PATH` (symlinks kept, so venvs work).
    pub program: PathBuf,
    /// `argv[0]` and the arguments.
    pub argv: Vec<String>,
    /// The complete environment of the server.
    pub env: Vec<(String, String)>,
    /// Working directory inside the sandbox (falls back to the sandbox home).
    pub cwd: Option<PathBuf>,
    /// Host paths the server's runtime needs, read-only (derived from the program).
    pub runtime: Vec<PathBuf>,
    /// Declared read-only paths.
    pub read_only: Vec<PathBuf>,
    /// Declared read-write paths.
    pub read_write: Vec<PathBuf>,
    /// Egress proxy, when the server may reach allowlisted destinations.
    pub proxy: Option<ProxySpec>,
    /// Resource limits.
    pub limits: Limits,
}

/// Home directory of the server inside the sandbox (a private tmpfs).
pub const SANDBOX_HOME: &str = "/home/sandbox";
/// Where the egress proxy's socket appears inside the sandbox.
pub const SANDBOX_PROXY_SOCKET: &str = "/run/mcpwall/egress.sock";
/// Port of the in-namespace proxy listener.
pub const SANDBOX_PROXY_PORT: u16 = 3128;
/// The unprivileged uid/gid the server runs as when mcpwall runs as real root, so that
/// `RLIMIT_NPROC` binds (the kernel exempts uid 0 from it).
pub const UNPRIVILEGED_ID: u32 = 65534;
