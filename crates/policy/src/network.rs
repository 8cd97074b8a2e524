//! Network allowlist entries: [`DomainPattern`].

use std::fmt;
use std::str::FromStr;

/// A domain a sandboxed server may reach through the egress proxy: an exact name
/// (`api.github.com`) or a wildcard over subdomains (`*.example.com`).
///
/// Names are ASCII (write internationalized names in punycode, `xn--...`), compared
/// case-insensitively, with any trailing dot removed. `*.example.com` matches
/// `a.example.com` and `a.b.example.com` but not `example.com` itself (list both if both are
/// meant). A wildcard needs at least two labels after `*.`, so `*.com` is refused. IP
/// addresses are not domains: allow them with `allow_cidrs`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(into = "String")]
pub enum DomainPattern {
    /// Exactly this name (lowercase).
    Exact(String),
    /// Any name ending in `.` + this suffix (lowercase, without the `*.`).
    Subdomains(String),
}

/// Why a string is not a valid [`DomainPattern`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainPatternError {
    /// Not a syntactically valid host name.
    #[error("`{0}` is not a valid domain name")]
    Invalid(String),
    /// An IP address was given.
    #[error("`{0}` is an IP address, allow it with `allow_cidrs` instead")]
    IpAddress(String),
    /// `*` somewhere other than a leading `*.`.
    #[error("`{0}`: a wildcard may only be a leading `*.` as in `*.example.com`")]
    BadWildcard(String),
    /// A wildcard that covers a whole top-level domain.
    #[error("`{0}` is too broad, a wildcard needs at least two labels after `*.`")]
    TooBroad(String),
}

impl DomainPattern {
    /// Whether `host` (a DNS name, any case, optional trailing dot) is allowed by this pattern.
    pub fn matches(&self, host: &str) -> bool {
        let host = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        match self {
            DomainPattern::Exact(name) => host == *name,
            DomainPattern::Subdomains(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        }
    }
}

fn valid_hostname(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

impl FromStr for DomainPattern {
    type Err = DomainPatternError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
        if lower.parse::<std::net::IpAddr>().is_ok()
            || lower
                .strip_prefix('[')
                .and_then(|x| x.strip_suffix(']'))
                .is_some_and(|x| x.parse::<std::net::Ipv6Addr>().is_ok())
        {
            return Err(DomainPatternError::IpAddress(s.to_owned()));
        }
        if let Some(suffix) = lower.strip_prefix("*.") {
            if suffix.contains('*') {
                return Err(DomainPatternError::BadWildcard(s.to_owned()));
            }
            if !valid_hostname(suffix) {
                return Err(DomainPatternError::Invalid(s.to_owned()));
            }
            if !suffix.contains('.') {
                return Err(DomainPatternError::TooBroad(s.to_owned()));
            }
            return Ok(DomainPattern::Subdomains(suffix.to_owned()));
        }
        if lower.contains('*') {
            return Err(DomainPatternError::BadWildcard(s.to_owned()));
        }
        // A name made only of digits and dots would be read as an address by some resolvers.
        if !valid_hostname(&lower)
            || lower
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(DomainPatternError::Invalid(s.to_owned()));
        }
        Ok(DomainPattern::Exact(lower))
    }
}

impl fmt::Display for DomainPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DomainPattern::Exact(n) => f.write_str(n),
            DomainPattern::Subdomains(s) => write!(f, "*.{s}"),
        }
    }
}

impl From<DomainPattern> for String {
    fn from(p: DomainPattern) -> String {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_match() {
        let exact: DomainPattern = "API.GitHub.com.".parse().unwrap();
        assert_eq!(exact.to_string(), "api.github.com");
        assert!(exact.matches("api.github.com"));
        assert!(exact.matches("API.github.com."));
        assert!(!exact.matches("xapi.github.com"));
        assert!(!exact.matches("github.com"));

        let wild: DomainPattern = "*.example.com".parse().unwrap();
        assert!(wild.matches("a.example.com"));
        assert!(wild.matches("a.b.example.com"));
        assert!(!wild.matches("example.com"));
        assert!(!wild.matches("badexample.com"));
        assert!(!wild.matches(".example.com"));
        assert!(!wild.matches("example.com.evil.net"));
    }

    #[test]
    fn rejects() {
        assert!(matches!(
            "*.com".parse::<DomainPattern>(),
            Err(DomainPatternError::TooBroad(_))
        ));
        assert!(matches!(
            "a.*.com".parse::<DomainPattern>(),
            Err(DomainPatternError::BadWildcard(_))
        ));
        assert!(matches!(
            "*".parse::<DomainPattern>(),
            Err(DomainPatternError::BadWildcard(_))
        ));
        assert!(matches!(
            "10.0.0.1".parse::<DomainPattern>(),
            Err(DomainPatternError::IpAddress(_))
        ));
        assert!(matches!(
            "[::1]".parse::<DomainPattern>(),
            Err(DomainPatternError::IpAddress(_))
        ));
        assert!(matches!(
            "::1".parse::<DomainPattern>(),
            Err(DomainPatternError::IpAddress(_))
        ));
        for bad in [
            "",
            "a..b",
            "-a.com",
            "a_b.com",
            "exa mple.com",
            "ex\u{e4}mple.com",
            "1.2.3.400",
        ] {
            assert!(bad.parse::<DomainPattern>().is_err(), "{bad}");
        }
    }
}
