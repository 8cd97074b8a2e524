//! mcpwall configuration: the file as written ([`RawConfig`]) and the checked model
//! ([`Config`]) that runtime code uses.
//!
//! ```no_run
//! let config = mcpwall_policy::load("mcpwall.toml".as_ref())?;
//! for (id, server) in &config.servers {
//!     println!("{id}: {:?}", server.transport);
//! }
//! # Ok::<(), mcpwall_policy::ConfigErrors>(())
//! ```
//!
//! Two stages, as in ripgrep: [`RawConfig::parse`] reads mcpwall TOML or a host's JSON into a
//! tree that remembers where every value was written, then [`RawConfig::check`] validates it
//! into a [`Config`], collecting every error with file, line, column and field path
//! ([`ConfigErrors`]). Nothing here starts a process or opens a socket.
#![forbid(unsafe_code)]

mod check;
mod diag;
mod format;
pub mod install;
mod model;
mod names;
mod network;
mod secret;
mod tree;

use std::path::Path;

pub use diag::{ConfigErrors, Diagnostic};
pub use format::Format;
pub use model::{
    AuditConfig, Config, GatewayConfig, HttpProtocol, HttpTransport, MessageLimits, NetworkPolicy,
    ResourceLimits, RestartPolicy, SandboxConfig, SandboxMode, SandboxPaths, ServerConfig, Source,
    StdioTransport, TokenConfig, Transport,
};
pub use names::{Environment, EnvironmentError, ServerId, ServerIdError};
pub use network::{DomainPattern, DomainPatternError};
pub use secret::{looks_like_secret, SecretError, SecretRef, SecretRefError};

/// Largest config file accepted, so a wrong path (a log, a device) fails fast. Generous
/// because `~/.claude.json` also holds Claude Code's per-project history.
pub const MAX_CONFIG_BYTES: u64 = 64 * 1024 * 1024;

/// Reads and checks the config file at `path`; the format is detected from its name and
/// content (see [`Format::detect`]).
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let meta = std::fs::metadata(path).map_err(|e| {
        ConfigErrors::single(path, format!("cannot read config file: {}", io_reason(&e)))
    })?;
    if meta.is_dir() {
        return Err(ConfigErrors::single(
            path,
            "is a directory, not a config file",
        ));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(ConfigErrors::single(
            path,
            "config file is larger than 64 MiB",
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        ConfigErrors::single(path, format!("cannot read config file: {}", io_reason(&e)))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| ConfigErrors::single(path, "config file is not valid UTF-8"))?;
    parse(&text, None, path)
}

/// Checks config `text`. `format` is detected when `None`; `path` is used for messages and
/// as the base of relative paths in the file.
pub fn parse(text: &str, format: Option<Format>, path: &Path) -> Result<Config, ConfigErrors> {
    RawConfig::parse(text, format, path)?.check()
}

/// Stage one: the file as written, parsed but not yet checked.
#[derive(Debug, Clone)]
pub struct RawConfig {
    source: Source,
    text: String,
    root: tree::Node,
}

impl RawConfig {
    /// Parses `text` (syntax only). `format` is detected when `None`.
    pub fn parse(
        text: &str,
        format: Option<Format>,
        path: &Path,
    ) -> Result<RawConfig, ConfigErrors> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let format = format.unwrap_or_else(|| Format::detect(path, text));
        let parsed = match format {
            Format::Toml => tree::parse_toml(text),
            Format::McpServersJson | Format::VsCodeJson => tree::parse_json(text),
        };
        match parsed {
            Ok(root) => Ok(RawConfig {
                source: Source {
                    path: path.to_owned(),
                    format,
                },
                text: text.to_owned(),
                root,
            }),
            Err(e) => {
                let (line, column) = tree::line_col(text, e.span.start);
                Err(ConfigErrors {
                    errors: vec![Diagnostic {
                        file: path.to_owned(),
                        line,
                        column,
                        field: String::new(),
                        message: e.message,
                    }],
                    warnings: Vec::new(),
                })
            }
        }
    }

    /// The format the text was read as.
    pub fn format(&self) -> Format {
        self.source.format
    }

    /// Stage two: checks everything and builds the [`Config`], or returns every error found.
    pub fn check(&self) -> Result<Config, ConfigErrors> {
        check::check(&self.source, &self.text, &self.root)
    }
}

fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => e.to_string().to_lowercase(),
    }
}
