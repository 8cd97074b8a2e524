//! The checked configuration. Runtime code only ever sees these types; they are built by
//! [`crate::load`] / [`crate::parse`] from a file, after every check has passed.
//!
//! Every default is written next to its field and in `docs/config.md`.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::diag::Diagnostic;
use crate::format::Format;
use crate::names::{Environment, ServerId};
use crate::network::DomainPattern;
use crate::secret::SecretRef;

/// A checked mcpwall configuration.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Config {
    /// The file this came from (as given, for messages) and its format.
    pub source: Source,
    /// Settings of the gateway itself, and defaults for servers.
    pub gateway: GatewayConfig,
    /// The configured MCP servers, by name.
    pub servers: BTreeMap<ServerId, ServerConfig>,
    /// Problems that do not make the file invalid (e.g. a hard-coded secret in a host's JSON).
    /// Callers should show them once at start.
    pub warnings: Vec<Diagnostic>,
    /// Settings that are valid and deliberate but weaken containment: every stdio server whose
    /// sandbox is `off` or `best-effort`, located by file, line and field. `mcpwall config
    /// check` prints them; the future `mcpwall scan` reuses them. Not shown at every start
    /// (the launcher warns there itself).
    pub findings: Vec<Diagnostic>,
}

/// Where a [`Config`] was read from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Source {
    /// The path given to [`crate::load`] or [`crate::parse`].
    pub path: PathBuf,
    /// The format the file was read as.
    pub format: Format,
}

impl Config {
    /// The server called `name`, if configured.
    pub fn server(&self, name: &str) -> Option<&ServerConfig> {
        self.servers
            .iter()
            .find(|(id, _)| id.as_str() == name)
            .map(|(_, s)| s)
    }

    /// A config with default gateway settings and the given servers; for tests and for
    /// `mcpwall wrap -- COMMAND` with no config file.
    pub fn with_servers(
        path: impl Into<PathBuf>,
        servers: BTreeMap<ServerId, ServerConfig>,
    ) -> Self {
        Config {
            source: Source {
                path: path.into(),
                format: Format::Toml,
            },
            gateway: GatewayConfig::default(),
            servers,
            warnings: Vec::new(),
            findings: Vec::new(),
        }
    }
}

/// Settings of the gateway process (`[gateway]` in TOML).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GatewayConfig {
    /// Address `mcpwall serve` listens on. Default: `127.0.0.1:8808` (loopback only).
    /// Binding beyond loopback requires at least one entry in `tokens`.
    pub listen: SocketAddr,
    /// Bearer tokens accepted by the HTTP front, each mapped to the subject (identity) that
    /// the audit trail and policy see. The token itself is given by reference. Default: none.
    pub tokens: Vec<TokenConfig>,
    /// Extra `Origin` values the HTTP front accepts besides loopback origins (exact match,
    /// e.g. `https://app.example.com`). Default: none.
    pub allowed_origins: Vec<String>,
    /// Audit trail settings.
    pub audit: AuditConfig,
    /// Directory for runtime state (kill switch, sockets). Default: `None`, meaning the
    /// per-user data directory chosen by the gateway (e.g. `~/.local/share/mcpwall`).
    pub state_dir: Option<PathBuf>,
    /// Environment servers run in unless they say otherwise. Default: `prod`.
    pub environment: Environment,
    /// Per-call timeout servers get unless they say otherwise. Default: 60 s.
    #[serde(serialize_with = "serialize_duration")]
    pub timeout: Duration,
    /// Message limits servers get unless they say otherwise.
    pub limits: MessageLimits,
}

impl GatewayConfig {
    /// Default `listen` address.
    pub const DEFAULT_LISTEN: &'static str = "127.0.0.1:8808";
    /// Default per-call timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
}

impl Default for GatewayConfig {
    fn default() -> Self {
        GatewayConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8808)),
            tokens: Vec::new(),
            allowed_origins: Vec::new(),
            audit: AuditConfig::default(),
            state_dir: None,
            environment: Environment::default(),
            timeout: Self::DEFAULT_TIMEOUT,
            limits: MessageLimits::default(),
        }
    }
}

/// One accepted bearer token (`[[gateway.tokens]]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TokenConfig {
    /// Where the token is read from (`env:NAME` or `file:PATH`).
    pub token: SecretRef,
    /// The identity requests with this token act as (e.g. `alice` or `ci-bot`).
    pub subject: String,
}

/// Audit trail settings (`[gateway.audit]`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditConfig {
    /// SQLite database path. Default: `None`, meaning `MCPWALL_AUDIT` or the per-user data
    /// path chosen by the audit crate. `--audit PATH` overrides both.
    pub path: Option<PathBuf>,
    /// Largest argument or result field stored in a record, in bytes; longer ones are cut
    /// (their size and hash are kept). Default: 4096.
    pub max_field_bytes: usize,
}

impl AuditConfig {
    /// Default `max_field_bytes`.
    pub const DEFAULT_MAX_FIELD_BYTES: usize = 4096;
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            path: None,
            max_field_bytes: Self::DEFAULT_MAX_FIELD_BYTES,
        }
    }
}

/// Limits on each JSON-RPC message, in both directions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct MessageLimits {
    /// Largest message in bytes (a stdio line or an HTTP body). Default: 4 MiB (4194304).
    pub max_message_bytes: usize,
    /// Deepest JSON nesting (arrays and objects). Default: 64.
    pub max_json_depth: usize,
}

impl MessageLimits {
    /// Default `max_message_bytes`.
    pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 4 * 1024 * 1024;
    /// Default `max_json_depth`.
    pub const DEFAULT_MAX_JSON_DEPTH: usize = 64;
}

impl Default for MessageLimits {
    fn default() -> Self {
        MessageLimits {
            max_message_bytes: Self::DEFAULT_MAX_MESSAGE_BYTES,
            max_json_depth: Self::DEFAULT_MAX_JSON_DEPTH,
        }
    }
}

/// One MCP server behind the gateway (`[servers.NAME]` in TOML, an entry of `mcpServers` or
/// `servers` in a host's JSON).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ServerConfig {
    /// Its name (the key it was configured under).
    pub id: ServerId,
    /// How to reach it.
    pub transport: Transport,
    /// What to do when a stdio child exits unexpectedly. Default: [`RestartPolicy::Never`].
    pub restart: RestartPolicy,
    /// HTTP front only: multiplex every client session over one stdio child instead of one
    /// child per session. Default: `false` (no state shared across sessions).
    pub shared: bool,
    /// Per-call timeout (`tools/call` and other requests); on expiry the client gets an error
    /// and the cancellation is forwarded upstream. Default: the gateway's (60 s).
    #[serde(serialize_with = "serialize_duration")]
    pub timeout: Duration,
    /// Message limits. Default: the gateway's (4 MiB, depth 64).
    pub limits: MessageLimits,
    /// Environment this server runs in. Default: the gateway's (`prod`).
    pub environment: Environment,
    /// Sandbox of a stdio child. Ignored for HTTP upstreams (which instead pass the URL guard).
    pub sandbox: SandboxConfig,
}

impl ServerConfig {
    /// A stdio server with every setting at its default; for tests and `wrap -- COMMAND`.
    pub fn stdio(id: ServerId, command: impl Into<String>, args: Vec<String>) -> Self {
        ServerConfig {
            id,
            transport: Transport::Stdio(StdioTransport {
                command: command.into(),
                args,
                env: BTreeMap::new(),
                cwd: None,
            }),
            restart: RestartPolicy::default(),
            shared: false,
            timeout: GatewayConfig::DEFAULT_TIMEOUT,
            limits: MessageLimits::default(),
            environment: Environment::default(),
            sandbox: SandboxConfig::default(),
        }
    }

    /// Every plain (non-secret) variable declared for the child: the transport's `env`
    /// followed by `sandbox.env` (the check refuses a name declared in both). Secrets come
    /// separately from [`SandboxConfig::secrets`].
    pub fn declared_env(&self) -> BTreeMap<String, String> {
        let mut env = match &self.transport {
            Transport::Stdio(s) => s.env.clone(),
            Transport::Http(_) => BTreeMap::new(),
        };
        env.extend(self.sandbox.env.iter().map(|(k, v)| (k.clone(), v.clone())));
        env
    }
}

/// How the gateway reaches a server.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum Transport {
    /// A child process speaking MCP on stdin/stdout.
    Stdio(StdioTransport),
    /// A remote server reached by URL.
    Http(HttpTransport),
}

/// A stdio child (`command` set in config).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct StdioTransport {
    /// Program to run; looked up in `PATH` when it has no `/`.
    pub command: String,
    /// Its arguments.
    pub args: Vec<String>,
    /// Plain variables declared for it (`env` in config). Never secrets in mcpwall TOML
    /// (those go in `sandbox.secrets`); a host's JSON may hold some, which loads with a warning.
    pub env: BTreeMap<String, String>,
    /// Working directory. Default: `None` (the gateway's).
    pub cwd: Option<PathBuf>,
}

/// A remote server (`url` set in config).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct HttpTransport {
    /// The endpoint, `http` or `https`.
    pub url: String,
    /// Which HTTP flavour of MCP it speaks. Default: streamable HTTP.
    pub protocol: HttpProtocol,
    /// Plain headers sent with every request.
    pub headers: BTreeMap<String, String>,
    /// Headers whose values are secrets, by reference (e.g. `Authorization = "env:API_AUTH"`
    /// where the variable holds the whole value, `Bearer ...`).
    pub secret_headers: BTreeMap<String, SecretRef>,
    /// Internal destinations mcpwall may connect to for this server (`[servers.NAME.network]`).
    /// Every remote target passes the URL guard: loopback, private, link-local and other
    /// non-public addresses are refused unless inside `allow_cidrs`, or the URL's host matches
    /// `allow_domains`. Cloud metadata addresses are refused whatever this says. Default: none
    /// (public addresses only).
    pub network: NetworkPolicy,
}

/// Which HTTP transport of MCP a remote server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HttpProtocol {
    /// Streamable HTTP (2025-03-26 and later). Default.
    #[default]
    Streamable,
    /// The legacy HTTP+SSE transport (2024-11-05): `type = "sse"` or `transport = "sse"`.
    LegacySse,
}

/// What to do when a stdio child exits on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(tag = "policy", rename_all = "kebab-case")]
pub enum RestartPolicy {
    /// Do not restart; pending and later calls get an error. Default.
    #[default]
    Never,
    /// Restart after a non-zero exit or a signal, waiting `backoff_ms` doubled on each
    /// consecutive failure, at most `max_restarts` times in a row.
    OnFailure {
        /// Consecutive restarts before giving up. Default: 3.
        max_restarts: u32,
        /// First wait before restarting, in milliseconds. Default: 500.
        backoff_ms: u64,
    },
}

impl RestartPolicy {
    /// Default `max_restarts` of `on-failure`.
    pub const DEFAULT_MAX_RESTARTS: u32 = 3;
    /// Default `backoff_ms` of `on-failure`.
    pub const DEFAULT_BACKOFF_MS: u64 = 500;
}

/// How a stdio child is contained (`[servers.NAME.sandbox]`).
///
/// The default is the strictest: enforced, no extra paths, no network, no declared variables,
/// no secrets, default resource limits.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct SandboxConfig {
    /// Whether the sandbox is required. Default: [`SandboxMode::Enforce`].
    pub mode: SandboxMode,
    /// Host paths made visible inside the sandbox (besides system and runtime directories).
    pub paths: SandboxPaths,
    /// Outbound network allowed through the egress proxy. Default: none.
    pub network: NetworkPolicy,
    /// Plain variables for the child (names and values that are not secret).
    pub env: BTreeMap<String, String>,
    /// Secret variables for the child, by reference, resolved at start.
    pub secrets: BTreeMap<String, SecretRef>,
    /// Resource limits of the child.
    pub limits: ResourceLimits,
}

/// Whether a missing sandbox feature stops a server from starting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SandboxMode {
    /// Every sandbox feature is required; if one is missing the server is not started.
    /// Default.
    #[default]
    Enforce,
    /// Use what the kernel offers; warn at every start (and audit it) when something is
    /// missing.
    BestEffort,
    /// No sandbox at all. Must be written explicitly (`sandbox = "off"` or `mode = "off"`);
    /// `mcpwall scan` flags it.
    Off,
}

/// Host paths visible inside the sandbox. Relative paths in config are relative to the config
/// file's directory; `~/` is the user's home. All paths here are absolute after checking,
/// except that a leading `~` is kept for the launcher to expand.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct SandboxPaths {
    /// Mounted read-only. Default: none.
    pub read_only: Vec<PathBuf>,
    /// Mounted read-write. Default: none.
    pub read_write: Vec<PathBuf>,
}

/// Outbound network of a sandboxed child. Empty (the default) means no network at all.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct NetworkPolicy {
    /// Domains reachable through the egress proxy (exact or `*.example.com`).
    pub allow_domains: Vec<DomainPattern>,
    /// Address ranges reachable by IP (e.g. `10.1.2.0/24`); raw IP targets are refused
    /// otherwise.
    pub allow_cidrs: Vec<ipnet::IpNet>,
}

impl NetworkPolicy {
    /// Whether the child gets any network at all.
    pub fn is_none(&self) -> bool {
        self.allow_domains.is_empty() && self.allow_cidrs.is_empty()
    }
}

/// Resource limits of a sandboxed child (applied as rlimits at least).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct ResourceLimits {
    /// Most processes/threads the child's user may run (`RLIMIT_NPROC`). Default: 256.
    pub processes: u64,
    /// Most memory in MiB (address space or data, as the launcher applies it). Default: 4096
    /// (JavaScript runtimes reserve large address ranges up front).
    pub memory_mb: u64,
    /// Most open file descriptors (`RLIMIT_NOFILE`). Default: 1024.
    pub open_files: u64,
    /// Most CPU seconds (`RLIMIT_CPU`). Default: `None` (no limit; servers are long-lived).
    pub cpu_seconds: Option<u64>,
}

impl ResourceLimits {
    /// Default `processes`.
    pub const DEFAULT_PROCESSES: u64 = 256;
    /// Default `memory_mb`.
    pub const DEFAULT_MEMORY_MB: u64 = 4096;
    /// Default `open_files`.
    pub const DEFAULT_OPEN_FILES: u64 = 1024;
}

impl Default for ResourceLimits {
    fn default() -> Self {
        ResourceLimits {
            processes: Self::DEFAULT_PROCESSES,
            memory_mb: Self::DEFAULT_MEMORY_MB,
            open_files: Self::DEFAULT_OPEN_FILES,
            cpu_seconds: None,
        }
    }
}

/// Durations read back as they are written in config: `60s`, `1500ms`.
fn serialize_duration<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    if d.subsec_millis() == 0 {
        s.collect_str(&format_args!("{}s", d.as_secs()))
    } else {
        s.collect_str(&format_args!("{}ms", d.as_millis()))
    }
}
