//! Egress decisions that need no I/O: which destinations a sandboxed server may reach through
//! the egress proxy, and parsing of the proxy's request line. Used by the gateway's egress proxy
//! (`mcpwall_gateway::egress`) and by its check of remote upstreams.
//!
//! Rules, in order:
//! 1. Addresses that are never reachable (cloud metadata, unspecified, multicast, broadcast) are
//!    denied whatever the allowlist says.
//! 2. A raw IP target is allowed only inside an allowlisted CIDR.
//! 3. A name must match an allowlisted domain (`example.com` exactly, `*.example.com` for its
//!    subdomains). The proxy then resolves it itself; each resolved address must be inside an
//!    allowlisted CIDR or pass the address guard (which refuses private, loopback and link-local
//!    space); one bad address denies the whole name, so a rebinding answer cannot slip through.
//!    The proxy connects only to the addresses checked here.

use std::net::IpAddr;

pub use ipnet::IpNet;

/// Why a destination was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EgressDenied {
    /// Name not in the allowlist.
    #[error("domain `{0}` is not allowlisted")]
    DomainNotAllowed(String),
    /// Raw IP outside every allowlisted CIDR.
    #[error("raw ip target `{0}` is not in an allowlisted cidr")]
    RawIpNotAllowed(IpAddr),
    /// Address that is never reachable.
    #[error("address `{0}` is never reachable ({1})")]
    Forbidden(IpAddr, &'static str),
    /// The guard refused a resolved address.
    #[error("`{host}` resolves to refused address: {reason}")]
    Guard {
        /// The name.
        host: String,
        /// The guard's reason.
        reason: String,
    },
    /// The name did not resolve.
    #[error("`{0}` did not resolve")]
    Unresolved(String),
    /// Bad request to the proxy.
    #[error("bad proxy request: {0}")]
    BadRequest(String),
}

/// Checks resolved addresses of a name (implemented by the detection engine's URL guard).
pub trait AddressGuard: Send + Sync {
    /// `Ok` when every address of `host` may be contacted.
    fn check(&self, host: &str, addrs: &[IpAddr]) -> Result<(), String>;
}

/// A guard that admits only globally routable unicast addresses. Used when no other guard is
/// supplied, and as a floor under any other guard.
#[derive(Debug, Clone, Copy, Default)]
pub struct PublicOnly;

impl AddressGuard for PublicOnly {
    fn check(&self, host: &str, addrs: &[IpAddr]) -> Result<(), String> {
        for addr in addrs {
            if let Some(why) = non_public(*addr) {
                return Err(format!("`{host}` -> `{addr}` is {why}"));
            }
        }
        Ok(())
    }
}

/// Why an address is never a permitted destination (cloud metadata, unspecified, broadcast,
/// multicast, also inside IPv4-mapped IPv6), if it is one; no allowlist overrides this.
pub fn never_reachable(addr: IpAddr) -> Option<&'static str> {
    let metadata: [IpAddr; 3] = [
        IpAddr::from([169, 254, 169, 254]),
        IpAddr::from([100, 100, 100, 200]),
        IpAddr::from([0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254]),
    ];
    if metadata.contains(&addr) {
        return Some("a cloud metadata address");
    }
    match addr {
        IpAddr::V4(v4) if v4.is_unspecified() => Some("unspecified"),
        IpAddr::V4(v4) if v4.is_broadcast() => Some("broadcast"),
        IpAddr::V4(v4) if v4.is_multicast() => Some("multicast"),
        IpAddr::V6(v6) if v6.is_unspecified() => Some("unspecified"),
        IpAddr::V6(v6) if v6.is_multicast() => Some("multicast"),
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .and_then(|v4| never_reachable(IpAddr::V4(v4))),
        _ => None,
    }
}

/// Why an address is not public unicast space, if it is not.
pub fn non_public(addr: IpAddr) -> Option<&'static str> {
    if let Some(why) = never_reachable(addr) {
        return Some(why);
    }
    match addr {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            if v4.is_loopback() {
                Some("loopback")
            } else if v4.is_private() {
                Some("private")
            } else if v4.is_link_local() {
                Some("link-local")
            } else if o[0] == 100 && (64..128).contains(&o[1]) {
                Some("shared address space")
            } else if o[0] == 0 || o[0] >= 240 {
                Some("reserved")
            } else if o[0] == 192 && o[1] == 0 && o[2] == 0 {
                Some("ietf protocol assignment")
            } else {
                None
            }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            if let Some(v4) = v6.to_ipv4_mapped() {
                non_public(IpAddr::V4(v4))
            } else if v6.is_loopback() {
                Some("loopback")
            } else if s[0] & 0xfe00 == 0xfc00 {
                Some("unique local")
            } else if s[0] & 0xffc0 == 0xfe80 {
                Some("link-local")
            } else if s[0] == 0x64 && s[1] == 0xff9b {
                Some("nat64")
            } else {
                None
            }
        }
    }
}

/// One allowlisted domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DomainPattern {
    /// Exactly this name.
    Exact(String),
    /// Any subdomain of this name (written `*.name`); not the name itself.
    Wildcard(String),
}

fn normalize_host(host: &str) -> String {
    host.trim_end_matches('.').to_ascii_lowercase()
}

impl DomainPattern {
    /// Parses `example.com` or `*.example.com`.
    pub fn parse(text: &str) -> Result<Self, EgressDenied> {
        let t = normalize_host(text.trim());
        let valid = |s: &str| {
            !s.is_empty()
                && s.split('.').all(|l| {
                    !l.is_empty()
                        && l.len() <= 63
                        && l.chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                })
        };
        match t.strip_prefix("*.") {
            Some(rest) if valid(rest) => Ok(Self::Wildcard(rest.to_owned())),
            None if valid(&t) => Ok(Self::Exact(t)),
            _ => Err(EgressDenied::BadRequest(format!(
                "invalid domain pattern `{text}`"
            ))),
        }
    }

    /// Whether `host` matches.
    pub fn matches(&self, host: &str) -> bool {
        let host = normalize_host(host);
        match self {
            Self::Exact(name) => host == *name,
            Self::Wildcard(suffix) => host
                .strip_suffix(suffix.as_str())
                .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        }
    }
}

/// The allowlist of one server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressRules {
    /// Allowed names.
    pub domains: Vec<DomainPattern>,
    /// Allowed address ranges.
    pub cidrs: Vec<IpNet>,
}

/// What a target turned into before resolution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An IP literal inside an allowlisted CIDR: connect to it.
    Address(IpAddr),
    /// An allowlisted name: resolve it, then [`EgressRules::check_resolved`].
    Name(String),
}

impl EgressRules {
    /// Builds rules from config strings.
    pub fn parse(domains: &[String], cidrs: &[String]) -> Result<Self, EgressDenied> {
        Ok(Self {
            domains: domains
                .iter()
                .map(|d| DomainPattern::parse(d))
                .collect::<Result<_, _>>()?,
            cidrs: cidrs
                .iter()
                .map(|c| {
                    c.trim()
                        .parse::<IpNet>()
                        .or_else(|_| c.trim().parse::<IpAddr>().map(IpNet::from))
                        .map_err(|_| EgressDenied::BadRequest(format!("invalid cidr `{c}`")))
                })
                .collect::<Result<_, _>>()?,
        })
    }

    fn in_cidr(&self, addr: IpAddr) -> bool {
        let addr = match addr {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(addr),
            v4 => v4,
        };
        self.cidrs.iter().any(|net| net.contains(&addr))
    }

    /// First decision on a host as written in the request (before any resolution).
    pub fn classify(&self, host: &str) -> Result<Target, EgressDenied> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(addr) = bare.parse::<IpAddr>() {
            if let Some(why) = never_reachable(addr) {
                return Err(EgressDenied::Forbidden(addr, why));
            }
            return if self.in_cidr(addr) {
                Ok(Target::Address(addr))
            } else {
                Err(EgressDenied::RawIpNotAllowed(addr))
            };
        }
        let name = normalize_host(host);
        if self.domains.iter().any(|d| d.matches(&name)) {
            Ok(Target::Name(name))
        } else {
            Err(EgressDenied::DomainNotAllowed(name))
        }
    }

    /// Checks every resolved address of `host`; returns the addresses to connect to.
    pub fn check_resolved(
        &self,
        host: &str,
        addrs: &[IpAddr],
        guard: &dyn AddressGuard,
    ) -> Result<Vec<IpAddr>, EgressDenied> {
        if addrs.is_empty() {
            return Err(EgressDenied::Unresolved(host.to_owned()));
        }
        let mut outside = Vec::new();
        for addr in addrs {
            if let Some(why) = never_reachable(*addr) {
                return Err(EgressDenied::Forbidden(*addr, why));
            }
            if !self.in_cidr(*addr) {
                outside.push(*addr);
            }
        }
        if !outside.is_empty() {
            for g in [guard, &PublicOnly as &dyn AddressGuard] {
                g.check(host, &outside)
                    .map_err(|reason| EgressDenied::Guard {
                        host: host.to_owned(),
                        reason,
                    })?;
            }
        }
        Ok(addrs.to_vec())
    }
}

/// A parsed request to the proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProxyRequest {
    /// `CONNECT` tunnel or plain HTTP.
    pub tunnel: bool,
    /// Host as written.
    pub host: String,
    /// Port (default 80 for plain HTTP).
    pub port: u16,
    /// For plain HTTP: the head to send upstream (origin-form target, proxy headers removed,
    /// `Connection: close` so one connection carries one checked destination).
    pub upstream_head: Vec<u8>,
}

fn split_host_port(
    authority: &str,
    default_port: Option<u16>,
) -> Result<(String, u16), EgressDenied> {
    let bad = || EgressDenied::BadRequest(format!("bad authority `{authority}`"));
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if let Some(rest) = authority.strip_prefix('[') {
        let (host, tail) = rest.split_once(']').ok_or_else(bad)?;
        let port = match tail.strip_prefix(':') {
            Some(p) => p.parse().map_err(|_| bad())?,
            None => default_port.ok_or_else(bad)?,
        };
        return Ok((host.to_owned(), port));
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Ok((host.to_owned(), port.parse().map_err(|_| bad())?)),
        None => Ok((authority.to_owned(), default_port.ok_or_else(bad)?)),
    }
    .and_then(|(h, p): (String, u16)| if h.is_empty() { Err(bad()) } else { Ok((h, p)) })
}

/// Parses a complete request head (up to and including the blank line).
pub fn parse_request(head: &[u8]) -> Result<ProxyRequest, EgressDenied> {
    let text = std::str::from_utf8(head)
        .map_err(|_| EgressDenied::BadRequest("request head is not utf-8".to_owned()))?;
    let mut lines = text.split("\r\n");
    let first = lines.next().unwrap_or_default();
    let mut parts = first.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(EgressDenied::BadRequest(
            "malformed request line".to_owned(),
        ));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(EgressDenied::BadRequest(format!(
            "unsupported version `{version}`"
        )));
    }
    if method.eq_ignore_ascii_case("CONNECT") {
        let (host, port) = split_host_port(target, None)?;
        return Ok(ProxyRequest {
            tunnel: true,
            host,
            port,
            upstream_head: Vec::new(),
        });
    }
    let rest = target.strip_prefix("http://").ok_or_else(|| {
        EgressDenied::BadRequest("plain requests must use an absolute http:// url".to_owned())
    })?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_owned()
    };
    let (host, port) = split_host_port(authority, Some(80))?;
    let mut out = format!("{method} {path} {version}\r\n");
    for line in lines {
        if line.is_empty() {
            continue;
        }
        let name = line
            .split(':')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase();
        if name.starts_with("proxy-") || name == "connection" || name == "keep-alive" {
            continue;
        }
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("Connection: close\r\n\r\n");
    Ok(ProxyRequest {
        tunnel: false,
        host,
        port,
        upstream_head: out.into_bytes(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> EgressRules {
        EgressRules::parse(
            &["api.example.com".into(), "*.svc.example.org".into()],
            &["10.213.7.2/32".into()],
        )
        .unwrap()
    }

    #[test]
    fn domains_exact_and_wildcard() {
        let r = rules();
        assert_eq!(
            r.classify("API.example.com.").unwrap(),
            Target::Name("api.example.com".into())
        );
        assert!(r.classify("a.svc.example.org").is_ok());
        assert!(r.classify("svc.example.org").is_err());
        assert!(r.classify("evilsvc.example.org").is_err());
        assert!(r.classify("example.com").is_err());
        assert!(r.classify("api.example.com.evil.net").is_err());
    }

    #[test]
    fn raw_ips_need_a_cidr_and_metadata_is_never_allowed() {
        let r = rules();
        assert_eq!(
            r.classify("10.213.7.2").unwrap(),
            Target::Address("10.213.7.2".parse().unwrap())
        );
        assert!(matches!(
            r.classify("10.213.7.3"),
            Err(EgressDenied::RawIpNotAllowed(_))
        ));
        assert!(matches!(
            r.classify("169.254.169.254"),
            Err(EgressDenied::Forbidden(..))
        ));
        assert!(matches!(
            r.classify("[::ffff:169.254.169.254]"),
            Err(EgressDenied::Forbidden(..))
        ));
        let everything = EgressRules::parse(&[], &["0.0.0.0/0".into()]).unwrap();
        assert!(matches!(
            everything.classify("169.254.169.254"),
            Err(EgressDenied::Forbidden(..))
        ));
    }

    #[test]
    fn resolved_addresses_all_checked() {
        let r = rules();
        let ok: Vec<IpAddr> = vec!["93.184.216.34".parse().unwrap()];
        assert_eq!(
            r.check_resolved("api.example.com", &ok, &PublicOnly)
                .unwrap(),
            ok
        );
        let mixed: Vec<IpAddr> = vec![
            "93.184.216.34".parse().unwrap(),
            "127.0.0.1".parse().unwrap(),
        ];
        assert!(r
            .check_resolved("api.example.com", &mixed, &PublicOnly)
            .is_err());
        let private: Vec<IpAddr> = vec!["10.0.0.5".parse().unwrap()];
        assert!(r
            .check_resolved("api.example.com", &private, &PublicOnly)
            .is_err());
        let in_cidr: Vec<IpAddr> = vec!["10.213.7.2".parse().unwrap()];
        assert!(r
            .check_resolved("api.example.com", &in_cidr, &PublicOnly)
            .is_ok());
        let meta: Vec<IpAddr> = vec!["169.254.169.254".parse().unwrap()];
        assert!(matches!(
            r.check_resolved("api.example.com", &meta, &PublicOnly),
            Err(EgressDenied::Forbidden(..))
        ));
        assert!(r
            .check_resolved("api.example.com", &[], &PublicOnly)
            .is_err());
    }

    #[test]
    fn parses_connect_and_plain_requests() {
        let c = parse_request(b"CONNECT api.example.com:443 HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        assert!(c.tunnel);
        assert_eq!((c.host.as_str(), c.port), ("api.example.com", 443));
        let p = parse_request(
            b"GET http://api.example.com:8080/a?b=1 HTTP/1.1\r\nHost: api.example.com\r\nProxy-Authorization: x\r\nConnection: keep-alive\r\n\r\n",
        )
        .unwrap();
        assert!(!p.tunnel);
        assert_eq!(p.port, 8080);
        let head = String::from_utf8(p.upstream_head).unwrap();
        assert!(head.starts_with("GET /a?b=1 HTTP/1.1\r\n"));
        assert!(!head.to_ascii_lowercase().contains("proxy-authorization"));
        assert!(head.ends_with("Connection: close\r\n\r\n"));
        assert!(parse_request(b"GET /relative HTTP/1.1\r\n\r\n").is_err());
        assert!(parse_request(b"CONNECT [::1]:443 HTTP/1.1\r\n\r\n").is_ok());
        assert!(parse_request(b"garbage\r\n\r\n").is_err());
    }
}
