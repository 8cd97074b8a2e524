//! Who may talk to the front: bearer tokens, and `Origin`/`Host` checks against DNS rebinding.

use axum::http::{header, HeaderMap, StatusCode};
use sha2::{Digest, Sha256};

/// The identity of requests when no token is configured (loopback only).
pub const ANONYMOUS_LOOPBACK: &str = "anonymous-loopback";

/// Bearer tokens and the subject each one authenticates. Tokens are kept only as SHA-256
/// digests, and compared in constant time.
#[derive(Default, Clone)]
pub struct TokenTable {
    entries: Vec<([u8; 32], String)>,
}

impl std::fmt::Debug for TokenTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenTable")
            .field(
                "subjects",
                &self.entries.iter().map(|e| &e.1).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl TokenTable {
    /// An empty table: no authentication.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `token`, authenticating as `subject`. Empty tokens are ignored.
    pub fn add(&mut self, token: &str, subject: impl Into<String>) {
        if !token.is_empty() {
            self.entries.push((digest(token), subject.into()));
        }
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no token is configured.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn subject(&self, token: &str) -> Option<&str> {
        let d = digest(token);
        let mut found = None;
        // Compare against every entry without early exit, so timing says nothing.
        for (h, subject) in &self.entries {
            let diff = h
                .iter()
                .zip(d.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if diff == 0 && found.is_none() {
                found = Some(subject.as_str());
            }
        }
        found
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Which browser origins and `Host` names are accepted.
#[derive(Debug, Clone, Default)]
pub struct OriginPolicy {
    /// Origins allowed besides loopback ones, exactly as browsers send them
    /// (`https://app.example.com`); `*` allows any.
    pub allowed: Vec<String>,
    /// Set when bound to loopback: then `Host` must also name loopback (or an allowed origin's
    /// host), which stops DNS-rebinding pages whose requests carry no `Origin`.
    pub loopback_bound: bool,
}

impl OriginPolicy {
    fn origin_ok(&self, origin: &str) -> bool {
        if origin == "null" {
            return false;
        }
        if self
            .allowed
            .iter()
            .any(|a| a == "*" || a.eq_ignore_ascii_case(origin.trim_end_matches('/')))
        {
            return true;
        }
        match origin.split_once("://") {
            Some((scheme, rest))
                if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
            {
                let authority = rest.split('/').next().unwrap_or("");
                is_loopback_host(authority)
            }
            _ => false,
        }
    }

    fn host_ok(&self, host: &str) -> bool {
        if !self.loopback_bound || is_loopback_host(host) {
            return true;
        }
        self.allowed.iter().any(|a| {
            a == "*"
                || a.split_once("://")
                    .map(|(_, h)| h.trim_end_matches('/'))
                    .is_some_and(|h| h.eq_ignore_ascii_case(host))
        })
    }
}

/// Whether `authority` (`host[:port]`) names the loopback interface.
fn is_loopback_host(authority: &str) -> bool {
    let host = if let Some(rest) = authority.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, p)| {
            if p.bytes().all(|b| b.is_ascii_digit()) {
                h
            } else {
                authority
            }
        })
    };
    if host.eq_ignore_ascii_case("localhost") || host.to_ascii_lowercase().ends_with(".localhost") {
        return true;
    }
    host.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

/// Why a request was refused before it reached a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// HTTP status.
    pub status: StatusCode,
    /// Reason, one line.
    pub reason: String,
    /// Whether to ask for a bearer token (`WWW-Authenticate`).
    pub challenge: bool,
}

impl Refusal {
    fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
            challenge: false,
        }
    }
}

/// Checks `Origin`, `Host` and the bearer token; returns the identity.
pub fn admit(
    headers: &HeaderMap,
    tokens: &TokenTable,
    origins: &OriginPolicy,
) -> Result<String, Refusal> {
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("");
        if !origins.origin_ok(origin) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                format!("origin `{origin}` is not allowed"),
            ));
        }
    }
    if let Some(host) = headers.get(header::HOST) {
        let host = host.to_str().unwrap_or("");
        if !origins.host_ok(host) {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                format!("host `{host}` is not allowed"),
            ));
        }
    }
    if tokens.is_empty() {
        return Ok(super::guard::ANONYMOUS_LOOPBACK.to_owned());
    }
    let unauthorized = |reason: &str| Refusal {
        status: StatusCode::UNAUTHORIZED,
        reason: reason.to_owned(),
        challenge: true,
    };
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(unauthorized("missing bearer token"));
    };
    let value = value.to_str().unwrap_or("");
    let token = match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
        _ => return Err(unauthorized("authorization is not a bearer token")),
    };
    tokens
        .subject(token)
        .map(str::to_owned)
        .ok_or_else(|| unauthorized("invalid bearer token"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn loopback_origins_pass_others_fail() {
        let p = OriginPolicy {
            allowed: vec!["https://ok.example".into()],
            loopback_bound: true,
        };
        let t = TokenTable::new();
        for o in [
            "http://localhost:3000",
            "http://127.0.0.1",
            "https://[::1]:8443",
            "https://ok.example",
        ] {
            assert_eq!(
                admit(&h(&[("origin", o)]), &t, &p).as_deref(),
                Ok(ANONYMOUS_LOOPBACK),
                "{o}"
            );
        }
        for o in [
            "http://evil.example",
            "null",
            "http://127.0.0.1.evil.example",
            "file://x",
        ] {
            assert_eq!(
                admit(&h(&[("origin", o)]), &t, &p).unwrap_err().status,
                StatusCode::FORBIDDEN,
                "{o}"
            );
        }
    }

    #[test]
    fn rebinding_host_is_refused_on_loopback() {
        let p = OriginPolicy {
            allowed: vec![],
            loopback_bound: true,
        };
        let t = TokenTable::new();
        assert!(admit(&h(&[("host", "127.0.0.1:8080")]), &t, &p).is_ok());
        assert!(admit(&h(&[("host", "localhost")]), &t, &p).is_ok());
        assert!(admit(&h(&[("host", "attacker.example:8080")]), &t, &p).is_err());
    }

    #[test]
    fn bearer_tokens_map_to_subjects() {
        let p = OriginPolicy::default();
        let mut t = TokenTable::new();
        t.add("s3cret", "alice");
        t.add("other", "bob");
        assert_eq!(
            admit(&h(&[("authorization", "Bearer other")]), &t, &p).as_deref(),
            Ok("bob")
        );
        let e = admit(&h(&[("authorization", "Bearer nope")]), &t, &p).unwrap_err();
        assert_eq!(e.status, StatusCode::UNAUTHORIZED);
        assert!(e.challenge);
        assert!(admit(&h(&[]), &t, &p).is_err());
        assert!(admit(&h(&[("authorization", "Basic s3cret")]), &t, &p).is_err());
    }
}
