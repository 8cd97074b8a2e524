//! Session context: identity, server, transport, negotiated protocol revision.
//!
//! A front creates one [`SessionCtx`] per client session (for stdio: one per process) and hands
//! it to [`crate::relay::Relay`]. Checks read it; only the relay changes it (it learns the
//! protocol revision from the handshake).

use std::fmt;
use std::str::FromStr;
use std::time::SystemTime;

/// Why a name or id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    /// Empty.
    #[error("{what} must not be empty")]
    Empty {
        /// What kind of name.
        what: &'static str,
    },
    /// Too long.
    #[error("{what} `{value}` is longer than {max} characters")]
    TooLong {
        /// What kind of name.
        what: &'static str,
        /// The value.
        value: String,
        /// The limit.
        max: usize,
    },
    /// Has a character outside the allowed set.
    #[error("{what} `{value}` may only contain letters, digits, `.`, `_` and `-`")]
    BadChar {
        /// What kind of name.
        what: &'static str,
        /// The value.
        value: String,
    },
}

fn check_name(what: &'static str, s: &str, max: usize) -> Result<(), NameError> {
    if s.is_empty() {
        return Err(NameError::Empty { what });
    }
    if s.chars().count() > max {
        return Err(NameError::TooLong {
            what,
            value: s.to_owned(),
            max,
        });
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        return Err(NameError::BadChar {
            what,
            value: s.to_owned(),
        });
    }
    Ok(())
}

/// A session id: opaque, unique per client session.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId(String);

impl SessionId {
    /// A fresh random id.
    pub fn random() -> Self {
        Self(uuid::Uuid::new_v4().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for SessionId {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_name("session id", s, 128)?;
        Ok(Self(s.to_owned()))
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The name of a configured (or wrapped) MCP server; also the kill switch's scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServerId(String);

impl ServerId {
    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A server id derived from a command line (`wrap -- CMD` without a config): the program's
    /// file name, with characters outside the allowed set replaced by `-`.
    pub fn from_program(program: &str) -> Self {
        let base = program.rsplit('/').next().unwrap_or(program);
        let mut s: String = base
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                    c
                } else {
                    '-'
                }
            })
            .take(64)
            .collect();
        if s.is_empty() {
            s.push_str("server");
        }
        Self(s)
    }
}

impl FromStr for ServerId {
    type Err = NameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_name("server name", s, 64)?;
        Ok(Self(s.to_owned()))
    }
}

impl TryFrom<String> for ServerId {
    type Error = NameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        check_name("server name", &s, 64)?;
        Ok(Self(s))
    }
}

impl fmt::Display for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who is on the client side of a session.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Identity {
    /// The local OS user running mcpwall (stdio front).
    OsUser(String),
    /// The subject of a bearer token or JWT (HTTP front).
    Token {
        /// The token's subject.
        subject: String,
    },
    /// Not authenticated (HTTP on loopback without a token).
    Anonymous,
}

impl Identity {
    /// The current OS user, from the environment (`USER`/`LOGNAME`), or the numeric uid.
    pub fn os_user() -> Self {
        let name = std::env::var("USER")
            .or_else(|_| std::env::var("LOGNAME"))
            .ok()
            .filter(|s| !s.is_empty())
            .or_else(uid_name)
            .unwrap_or_else(|| "unknown".to_owned());
        Identity::OsUser(name)
    }

    /// A short text for audit records: `user:NAME`, `token:SUBJECT` or `anonymous`.
    pub fn label(&self) -> String {
        match self {
            Identity::OsUser(u) => format!("user:{u}"),
            Identity::Token { subject } => format!("token:{subject}"),
            Identity::Anonymous => "anonymous".to_owned(),
        }
    }
}

/// The uid from `/proc/self/status` (no libc call needed).
fn uid_name() -> Option<String> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("Uid:"))?;
    let uid = line.split_whitespace().nth(1)?;
    Some(format!("uid{uid}"))
}

/// How the client reached mcpwall.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// Our own stdin/stdout.
    Stdio,
    /// Streamable HTTP.
    StreamableHttp,
    /// Legacy HTTP+SSE.
    LegacySse,
}

impl Transport {
    /// A short name for audit records.
    pub fn as_str(self) -> &'static str {
        match self {
            Transport::Stdio => "stdio",
            Transport::StreamableHttp => "http",
            Transport::LegacySse => "sse",
        }
    }
}

/// Everything a check may want to know about the session a message belongs to.
#[derive(Debug, Clone)]
pub struct SessionCtx {
    /// Unique id of this session.
    pub id: SessionId,
    /// Who is on the client side.
    pub identity: Identity,
    /// Which server this session talks to.
    pub server: ServerId,
    /// How the client reached us.
    pub transport: Transport,
    /// The protocol revision the handshake settled on, once known.
    pub protocol_version: Option<String>,
    /// Client name and version from the handshake, once known.
    pub client_info: Option<mcpwall_protocol::mcp::Implementation>,
    /// Environment label (dev/stage/prod) from config, if any.
    pub environment: Option<String>,
    /// When the session started.
    pub started: SystemTime,
}

impl SessionCtx {
    /// A new session with a random id.
    pub fn new(identity: Identity, server: ServerId, transport: Transport) -> Self {
        Self {
            id: SessionId::random(),
            identity,
            server,
            transport,
            protocol_version: None,
            client_info: None,
            environment: None,
            started: SystemTime::now(),
        }
    }

    /// A stdio session for the current OS user.
    pub fn stdio(server: ServerId) -> Self {
        Self::new(Identity::os_user(), server, Transport::Stdio)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_names() {
        assert!("github".parse::<ServerId>().is_ok());
        assert!("a b".parse::<ServerId>().is_err());
        assert!("".parse::<ServerId>().is_err());
        assert_eq!(ServerId::from_program("/usr/bin/npx").as_str(), "npx");
        assert_eq!(ServerId::from_program("my server!").as_str(), "my-server-");
    }

    #[test]
    fn session_ids_are_unique() {
        assert_ne!(SessionId::random(), SessionId::random());
        assert!(SessionId::random().as_str().parse::<SessionId>().is_ok());
    }

    #[test]
    fn identity_labels() {
        assert!(Identity::os_user().label().starts_with("user:"));
        assert_eq!(Identity::Anonymous.label(), "anonymous");
    }
}
