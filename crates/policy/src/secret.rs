//! Secret references (`env:NAME`, `file:PATH`) and the check that keeps literal secrets out of
//! config text.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// Where a secret comes from. Config never holds the secret itself, only this reference,
/// resolved when a server starts (see [`SecretRef::resolve`]).
///
/// Written `env:NAME` (a variable of the gateway's own environment) or `file:PATH` (a file
/// whose content, less one trailing newline, is the secret; a relative path is relative to the
/// config file's directory).
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
pub enum SecretRef {
    /// `env:NAME`: the gateway's environment variable `NAME`.
    Env(String),
    /// `file:PATH`: the content of the file at `PATH`.
    File(PathBuf),
}

/// Why a string is not a valid [`SecretRef`]. Messages never repeat the string itself, since
/// it may be a secret written where a reference belongs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretRefError {
    /// Neither `env:` nor `file:`.
    #[error("expected a reference `env:NAME` or `file:PATH`, not a literal value (secrets never go in config text)")]
    NotAReference,
    /// `env:` followed by something that is not a variable name.
    #[error("`env:` must be followed by a variable name of letters, digits and `_`")]
    BadEnvName,
    /// `file:` with no path.
    #[error("`file:` must be followed by a path")]
    EmptyPath,
}

/// Why a secret could not be read at start time. Never contains the secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The variable is not set (or not UTF-8).
    #[error("secret `env:{0}` is not set in mcpwall's environment")]
    EnvMissing(String),
    /// The file could not be read.
    #[error("secret `file:{path}` cannot be read: {source}")]
    File {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl SecretRef {
    /// Reads the secret now. This is the only I/O in this crate besides [`crate::load`]; it is
    /// here so every launcher resolves references the same way.
    pub fn resolve(&self) -> Result<String, SecretError> {
        match self {
            SecretRef::Env(name) => {
                std::env::var(name).map_err(|_| SecretError::EnvMissing(name.clone()))
            }
            SecretRef::File(path) => {
                let mut text =
                    std::fs::read_to_string(path).map_err(|source| SecretError::File {
                        path: path.clone(),
                        source,
                    })?;
                if text.ends_with('\n') {
                    text.pop();
                    if text.ends_with('\r') {
                        text.pop();
                    }
                }
                Ok(text)
            }
        }
    }

    /// Makes a relative `file:` path relative to `base` (the config file's directory).
    pub(crate) fn rebase(self, base: &Path) -> Self {
        match self {
            SecretRef::File(p) if p.is_relative() => SecretRef::File(base.join(p)),
            other => other,
        }
    }
}

pub(crate) fn is_env_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl FromStr for SecretRef {
    type Err = SecretRefError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(name) = s.strip_prefix("env:") {
            if is_env_name(name) {
                Ok(SecretRef::Env(name.to_owned()))
            } else {
                Err(SecretRefError::BadEnvName)
            }
        } else if let Some(path) = s.strip_prefix("file:") {
            if path.is_empty() {
                Err(SecretRefError::EmptyPath)
            } else {
                Ok(SecretRef::File(PathBuf::from(path)))
            }
        } else {
            Err(SecretRefError::NotAReference)
        }
    }
}

impl fmt::Display for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretRef::Env(n) => write!(f, "env:{n}"),
            SecretRef::File(p) => write!(f, "file:{}", p.display()),
        }
    }
}

impl fmt::Debug for SecretRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretRef({self})")
    }
}

impl From<SecretRef> for String {
    fn from(r: SecretRef) -> String {
        r.to_string()
    }
}

/// Prefixes of well-known credential formats.
const SECRET_PREFIXES: &[(&str, usize)] = &[
    // (prefix, minimum total length)
    ("ghp_", 20),
    ("gho_", 20),
    ("ghu_", 20),
    ("ghs_", 20),
    ("ghr_", 20),
    ("github_pat_", 30),
    ("glpat-", 20),
    ("sk-ant-", 20),
    ("sk-proj-", 20),
    ("sk-", 32),
    ("sk_live_", 20),
    ("rk_live_", 20),
    ("sk_test_", 20),
    ("xoxb-", 20),
    ("xoxp-", 20),
    ("xoxa-", 20),
    ("xoxs-", 20),
    ("xapp-", 20),
    ("AKIA", 20),
    ("ASIA", 20),
    ("AIza", 35),
    ("npm_", 36),
    ("pypi-", 40),
    ("hf_", 30),
    ("shpat_", 30),
    ("dop_v1_", 40),
    ("lin_api_", 30),
    ("SG.", 40),
    ("-----BEGIN", 20),
];

/// Words in a variable or header name that say its value is a credential.
const SECRET_NAME_WORDS: &[&str] = &[
    "TOKEN",
    "SECRET",
    "PASSWORD",
    "PASSWD",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE_KEY",
    "CREDENTIAL",
    "AUTHORIZATION",
    "AUTH",
    "COOKIE",
];

/// Whether `value`, set for the variable or header `name`, looks like a hard-coded secret.
///
/// A heuristic that errs towards "yes" for well-known token formats and for credential-named
/// variables holding long opaque strings, and "no" for placeholders such as `${input:token}`,
/// `${GITHUB_TOKEN}`, `<your token>` or references like `env:NAME`.
pub fn looks_like_secret(name: &str, value: &str) -> bool {
    let v = value.trim();
    let v = v
        .strip_prefix("Bearer ")
        .or_else(|| v.strip_prefix("bearer "))
        .unwrap_or(v);
    let v = v.strip_prefix("token ").unwrap_or(v).trim();
    if v.is_empty() || is_placeholder(v) {
        return false;
    }
    if SECRET_PREFIXES
        .iter()
        .any(|(p, min)| v.starts_with(p) && v.len() >= *min && !v.contains(char::is_whitespace))
    {
        return true;
    }
    // A JSON Web Token: three base64url parts, the first two starting with `{"` encoded.
    if v.starts_with("eyJ") && v.matches('.').count() == 2 && v.len() >= 30 {
        return true;
    }
    let upper = name.to_ascii_uppercase().replace('-', "_");
    let credential_name = SECRET_NAME_WORDS.iter().any(|w| upper.contains(w))
        && !upper.ends_with("_FILE")
        && !upper.ends_with("_PATH")
        && !upper.ends_with("_URL");
    credential_name && v.len() >= 8 && looks_opaque(v)
}

/// `${...}`, `<...>`, `env:`/`file:` references and the like are not secrets.
fn is_placeholder(v: &str) -> bool {
    (v.starts_with("${") && v.ends_with('}'))
        || (v.starts_with('<') && v.ends_with('>'))
        || (v.starts_with('$')
            && v[1..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_'))
        || v.starts_with("env:")
        || v.starts_with("file:")
        || v.chars()
            .all(|c| c == '*' || c == 'x' || c == 'X' || c == '.')
        || matches!(
            v.to_ascii_lowercase().as_str(),
            "changeme"
                | "change-me"
                | "your-token-here"
                | "your_token_here"
                | "placeholder"
                | "redacted"
        )
}

/// A string with no spaces that mixes character classes, as random credentials do.
fn looks_opaque(v: &str) -> bool {
    if v.contains(char::is_whitespace) || v.contains("://") || v.starts_with('/') {
        return false;
    }
    let has_digit = v.chars().any(|c| c.is_ascii_digit());
    let has_alpha = v.chars().any(|c| c.is_ascii_alphabetic());
    (has_digit && has_alpha) || v.len() >= 24
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_refs() {
        assert_eq!(
            "env:GITHUB_TOKEN".parse::<SecretRef>().unwrap(),
            SecretRef::Env("GITHUB_TOKEN".into())
        );
        assert_eq!(
            "file:/run/s".parse::<SecretRef>().unwrap(),
            SecretRef::File("/run/s".into())
        );
        assert_eq!("env:".parse::<SecretRef>(), Err(SecretRefError::BadEnvName));
        assert_eq!(
            "env:A-B".parse::<SecretRef>(),
            Err(SecretRefError::BadEnvName)
        );
        assert_eq!("file:".parse::<SecretRef>(), Err(SecretRefError::EmptyPath));
        assert_eq!(
            "ghp_abc".parse::<SecretRef>(),
            Err(SecretRefError::NotAReference)
        );
        let msg = "ghp_0123456789abcdefghij"
            .parse::<SecretRef>()
            .unwrap_err()
            .to_string();
        assert!(!msg.contains("ghp_"), "{msg}");
    }

    #[test]
    fn resolves_file_without_trailing_newline() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tok");
        std::fs::write(&p, "s3cr3t\n").unwrap();
        assert_eq!(SecretRef::File(p).resolve().unwrap(), "s3cr3t");
        let missing = SecretRef::Env("MCPWALL_TEST_SURELY_UNSET_VAR".into())
            .resolve()
            .unwrap_err();
        assert!(missing
            .to_string()
            .contains("MCPWALL_TEST_SURELY_UNSET_VAR"));
    }

    #[test]
    fn spots_secrets() {
        for (n, v) in [
            (
                "GITHUB_PERSONAL_ACCESS_TOKEN",
                "ghp_1234567890abcdefghijABCDEFGHIJ123456",
            ),
            ("X", "sk-ant-api03-abcdefghijklmnopqrstuvwxyz"),
            (
                "Authorization",
                "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghijk",
            ),
            ("SLACK_BOT_TOKEN", "xoxb-1234-5678-abcdefgh"),
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            ("DB_PASSWORD", "hunter2hunter2x9"),
            ("BRAVE_API_KEY", "BSAabcdef1234567"),
        ] {
            assert!(looks_like_secret(n, v), "{n}={v}");
        }
        for (n, v) in [
            ("GITHUB_TOKEN", "${input:github_token}"),
            ("GITHUB_TOKEN", "${GITHUB_TOKEN}"),
            ("API_KEY", "<your key>"),
            ("TOKEN_FILE", "/run/secrets/tok123"),
            ("LOG_LEVEL", "debug"),
            ("PATH", "/usr/bin:/bin"),
            ("AUTH_URL", "https://auth.example/x1"),
            ("PASSWORD", "changeme"),
            ("DEBUG", "1"),
        ] {
            assert!(!looks_like_secret(n, v), "{n}={v}");
        }
    }
}
