//! Validated names: [`ServerId`] and [`Environment`].

use std::fmt;
use std::str::FromStr;

/// The name of a configured server, safe to use as one URL path segment (`/mcp/<id>`), a file
/// name and a log field.
///
/// 1 to 64 characters from `A-Z a-z 0-9 - _ .`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct ServerId(String);

/// Why a string is not a valid [`ServerId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServerIdError {
    /// Empty name.
    #[error("server name is empty")]
    Empty,
    /// Longer than [`ServerId::MAX_LEN`].
    #[error("server name `{0}` is longer than 64 characters")]
    TooLong(String),
    /// Contains a character outside the allowed set, or starts with `-`, `_` or `.`.
    #[error("server name `{0}` may only contain letters, digits, `-`, `_` and `.`, and must start with a letter or digit")]
    BadChar(String),
}

impl ServerId {
    /// Longest accepted name.
    pub const MAX_LEN: usize = 64;

    /// The name as a string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for ServerId {
    type Err = ServerIdError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.is_empty() {
            return Err(ServerIdError::Empty);
        }
        if s.chars().count() > Self::MAX_LEN {
            return Err(ServerIdError::TooLong(s.to_owned()));
        }
        let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
        let first_ok = s.chars().next().is_some_and(|c| c.is_ascii_alphanumeric());
        if !first_ok || !s.chars().all(ok_char) {
            return Err(ServerIdError::BadChar(s.to_owned()));
        }
        Ok(ServerId(s.to_owned()))
    }
}

impl TryFrom<&str> for ServerId {
    type Error = ServerIdError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl fmt::Display for ServerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for ServerId {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Deployment environment a server runs in; policy rules may differ per environment.
///
/// Written `dev`, `stage` or `prod` (also `development`, `staging`, `production`).
/// Default: `prod`, the strictest, so that forgetting to say it never loosens anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Development.
    Dev,
    /// Staging.
    Stage,
    /// Production (default).
    #[default]
    Prod,
}

/// Why a string is not a valid [`Environment`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown environment `{0}`, expected `dev`, `stage` or `prod`")]
pub struct EnvironmentError(pub String);

impl FromStr for Environment {
    type Err = EnvironmentError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "dev" | "development" => Ok(Environment::Dev),
            "stage" | "staging" => Ok(Environment::Stage),
            "prod" | "production" => Ok(Environment::Prod),
            other => Err(EnvironmentError(other.to_owned())),
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Environment::Dev => "dev",
            Environment::Stage => "stage",
            Environment::Prod => "prod",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_ids() {
        for ok in ["fetch", "a", "server-everything", "my_srv.2", "A1"] {
            assert_eq!(ok.parse::<ServerId>().unwrap().as_str(), ok);
        }
        assert_eq!("".parse::<ServerId>(), Err(ServerIdError::Empty));
        for bad in [
            ".", "..", "-x", "a/b", "a b", "é", "a%2f", "_x", "a?b", "a#b",
        ] {
            assert!(bad.parse::<ServerId>().is_err(), "{bad}");
        }
        assert!("a".repeat(65).parse::<ServerId>().is_err());
        assert!("a".repeat(64).parse::<ServerId>().is_ok());
    }

    #[test]
    fn environments() {
        assert_eq!(
            "staging".parse::<Environment>().unwrap(),
            Environment::Stage
        );
        assert_eq!(Environment::default(), Environment::Prod);
        assert!("qa".parse::<Environment>().is_err());
    }
}
