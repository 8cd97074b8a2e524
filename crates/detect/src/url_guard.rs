//! URL guard (family `ssrf`): internal targets in every encoding, resolver-backed pinning.
//!
//! A URL passes when **every** way a client could read it points somewhere public:
//!
//! * the WHATWG reading (the `url` crate; browsers, Node, reqwest): decimal, octal, hex and
//!   short IPv4 forms (`2130706433`, `0177.0.0.1`, `0x7f.1`, `127.1`), percent-encoded and
//!   IDNA/fullwidth hosts, trailing dots, `\` as a path separator;
//! * lenient readings (curl, Python `urllib`, hand-written splitters): the authority cut at
//!   the first `/?#` only (so `\` belongs to the authority), userinfo split at the first
//!   and at the last `@`.
//!
//! Each candidate host is then judged: an IP literal (IPv4-mapped, IPv4-compatible, NAT64,
//! 6to4, Teredo and ISATAP IPv6 are unwrapped to the IPv4 they carry) must not be loopback,
//! private, link-local, CGNAT, unique-local, site-local, unspecified, broadcast,
//! multicast, reserved, documentation/benchmark or a cloud metadata address; a name must not
//! be single-label, `localhost`, an intranet suffix (`.internal`, `.local`, `.localhost`,
//! ...), a metadata name, or a name that embeds an internal address (`10.0.0.1.nip.io`,
//! `127-0-0-1.example.com`) or belongs to a wildcard-DNS service (`*.nip.io`, `*.sslip.io`,
//! `*.xip.io`, ...). Only `http`/`https` pass unless the policy allows more schemes.
//!
//! The guard is pure: it never resolves names. A name that passes must still be resolved
//! by the caller and the answers checked with [`UrlGuard::check_resolved`], which returns
//! only the allowed addresses; the caller then connects to one of those exact addresses
//! (pinning), never re-resolving the name, so a DNS rebinding answer cannot slip in between
//! check and connect. See `docs/url-guard.md`.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use ipnet::IpNet;
use percent_encoding::percent_decode_str;
use unicode_normalization::UnicodeNormalization;
use url::{Host, Url};

/// Configuration: what the deployment explicitly trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlPolicy {
    /// Host names that pass without the name checks: exact (`wiki.corp.example`) or a
    /// suffix pattern (`*.corp.example`, which matches subdomains, not the apex).
    pub allow_domains: Vec<String>,
    /// Address ranges that pass even though they are internal (e.g. an on-prem API).
    pub allow_cidrs: Vec<IpNet>,
    /// Schemes allowed, lower case. Default: `http`, `https`.
    pub allow_schemes: Vec<String>,
}

impl Default for UrlPolicy {
    fn default() -> Self {
        UrlPolicy {
            allow_domains: Vec::new(),
            allow_cidrs: Vec::new(),
            allow_schemes: vec!["http".into(), "https".into()],
        }
    }
}

/// Why a URL, host or address was denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlDenial {
    /// Not a URL any client would accept the same way (fail closed).
    Unparsable {
        /// Input (truncated).
        input: String,
        /// What is wrong.
        reason: String,
    },
    /// The scheme is not allowed.
    Scheme(String),
    /// An address in a range the guard refuses.
    InternalAddress {
        /// The address (after unwrapping IPv4 carried in IPv6).
        ip: IpAddr,
        /// The range class, e.g. `loopback`, `private`, `link-local`.
        class: &'static str,
    },
    /// A cloud metadata address or name.
    Metadata(String),
    /// An intranet or special-use host name (single label, `.internal`, `.local`, ...).
    IntranetHost(String),
    /// A name that embeds an internal address, or a wildcard-DNS service name.
    EmbeddedAddress(String),
    /// Parsers disagree about the host (userinfo or backslash confusion).
    ParserConfusion(String),
    /// A resolved host had no allowed address.
    NoAllowedAddress(String),
}

impl UrlDenial {
    /// Stable rule id for findings and audit records.
    pub fn rule(&self) -> &'static str {
        match self {
            UrlDenial::Unparsable { .. } => "ssrf-unparsable-url",
            UrlDenial::Scheme(_) => "ssrf-scheme",
            UrlDenial::InternalAddress { .. } => "ssrf-internal-address",
            UrlDenial::Metadata(_) => "ssrf-metadata",
            UrlDenial::IntranetHost(_) => "ssrf-intranet-host",
            UrlDenial::EmbeddedAddress(_) => "ssrf-embedded-address",
            UrlDenial::ParserConfusion(_) => "ssrf-parser-confusion",
            UrlDenial::NoAllowedAddress(_) => "ssrf-no-allowed-address",
        }
    }
}

impl fmt::Display for UrlDenial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlDenial::Unparsable { input, reason } => {
                write!(f, "url `{input}` is not valid: {reason}")
            }
            UrlDenial::Scheme(s) => write!(f, "scheme `{s}` is not allowed"),
            UrlDenial::InternalAddress { ip, class } => write!(f, "address `{ip}` is {class}"),
            UrlDenial::Metadata(h) => write!(f, "`{h}` is a cloud metadata endpoint"),
            UrlDenial::IntranetHost(h) => {
                write!(f, "host `{h}` is an intranet or special-use name")
            }
            UrlDenial::EmbeddedAddress(h) => write!(
                f,
                "host `{h}` embeds an internal address or resolves to any address"
            ),
            UrlDenial::ParserConfusion(h) => {
                write!(f, "authority `{h}` reads differently in different clients")
            }
            UrlDenial::NoAllowedAddress(h) => {
                write!(f, "host `{h}` resolved to no allowed address")
            }
        }
    }
}

impl std::error::Error for UrlDenial {}

/// The host of a URL that passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckedHost {
    /// A name: resolve it, then call [`UrlGuard::check_resolved`].
    Domain(String),
    /// An address literal that passed [`UrlGuard::check_ip`]; connect to it directly.
    Ip(IpAddr),
}

/// A URL that passed [`UrlGuard::check_url`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedUrl {
    /// The URL as WHATWG parses it; use this form (not the input string) for the request.
    pub url: Url,
    /// Its host.
    pub host: CheckedHost,
    /// Its port, explicit or the scheme default.
    pub port: Option<u16>,
}

impl CheckedUrl {
    /// True when the host is a name that must be resolved and checked before connecting.
    pub fn needs_resolution(&self) -> bool {
        matches!(self.host, CheckedHost::Domain(_))
    }
}

/// The guard: a validated policy plus the checks.
#[derive(Debug, Clone, Default)]
pub struct UrlGuard {
    policy: UrlPolicy,
}

impl UrlGuard {
    /// A guard with `policy` (domains and schemes are lower-cased, trailing dots removed).
    pub fn new(mut policy: UrlPolicy) -> UrlGuard {
        for d in &mut policy.allow_domains {
            *d = d.trim().trim_end_matches('.').to_ascii_lowercase();
        }
        for s in &mut policy.allow_schemes {
            *s = s.trim().to_ascii_lowercase();
        }
        UrlGuard { policy }
    }

    /// The policy in force.
    pub fn policy(&self) -> &UrlPolicy {
        &self.policy
    }

    /// Checks a URL the way every common client would read it; denies when any reading
    /// targets an internal host, or when the URL cannot be read unambiguously.
    pub fn check_url(&self, input: &str) -> Result<CheckedUrl, UrlDenial> {
        let unparsable = |reason: &str| UrlDenial::Unparsable {
            input: clip(input),
            reason: reason.to_string(),
        };
        let trimmed = input.trim_matches(|c: char| c <= ' ');
        if trimmed.chars().any(|c| c.is_control()) {
            return Err(unparsable("it contains control characters"));
        }
        let scheme = scheme_of(trimmed).ok_or_else(|| unparsable("it has no scheme"))?;
        let scheme = scheme.to_ascii_lowercase();
        if !self.policy.allow_schemes.contains(&scheme) {
            return Err(UrlDenial::Scheme(scheme));
        }
        let url = Url::parse(trimmed).map_err(|e| unparsable(&e.to_string()))?;
        // 1. the WHATWG host
        let host = match url.host() {
            Some(Host::Domain(d)) => {
                let d = d.to_string();
                self.check_domain(&d)?;
                CheckedHost::Domain(d)
            }
            Some(Host::Ipv4(v4)) => {
                self.check_ip(IpAddr::V4(v4))?;
                CheckedHost::Ip(IpAddr::V4(v4))
            }
            Some(Host::Ipv6(v6)) => {
                self.check_ip(IpAddr::V6(v6))?;
                CheckedHost::Ip(IpAddr::V6(v6))
            }
            None => return Err(unparsable("it has no host")),
        };
        // 2. lenient readings of the raw authority
        let authority = raw_authority(trimmed).ok_or_else(|| unparsable("it has no authority"))?;
        if authority.contains('\\') || authority.matches('@').count() > 1 {
            // some client reads another host than WHATWG does: refuse unless each reading
            // is allowed on its own (checked below), and refuse outright on nested `@`
            if authority.matches('@').count() > 1 {
                return Err(UrlDenial::ParserConfusion(clip(authority)));
            }
        }
        let mut candidates = lenient_hosts(authority);
        for reading in other_authorities(trimmed, authority) {
            for cand in lenient_hosts(&reading) {
                if !candidates.contains(&cand) {
                    candidates.push(cand);
                }
            }
        }
        for cand in candidates {
            // Compatibility characters (fullwidth, circled, superscript letters) that IDNA
            // folds to ASCII only serve to slip a host past filters; real IDNs are
            // NFKC-stable.
            if !cand.is_ascii() && cand.nfkc().collect::<String>() != cand {
                return Err(UrlDenial::ParserConfusion(clip(&cand)));
            }
            self.check_host_text(&cand)?;
        }
        Ok(CheckedUrl {
            port: url.port_or_known_default(),
            url,
            host,
        })
    }

    /// Checks one address (after unwrapping any IPv4 address carried inside IPv6).
    pub fn check_ip(&self, ip: IpAddr) -> Result<(), UrlDenial> {
        if self.ip_allowed(ip) {
            return Ok(());
        }
        if let Some(class) = denied_class(ip) {
            if class == "cloud metadata" {
                return Err(UrlDenial::Metadata(ip.to_string()));
            }
            return Err(UrlDenial::InternalAddress { ip, class });
        }
        if let IpAddr::V6(v6) = ip {
            for v4 in embedded_ipv4(v6) {
                if self.ip_allowed(IpAddr::V4(v4)) {
                    continue;
                }
                if let Some(class) = denied_class(IpAddr::V4(v4)) {
                    if class == "cloud metadata" {
                        return Err(UrlDenial::Metadata(v4.to_string()));
                    }
                    return Err(UrlDenial::InternalAddress {
                        ip: IpAddr::V4(v4),
                        class,
                    });
                }
            }
        }
        Ok(())
    }

    /// Checks a host name (or address literal) as it would appear in a URL.
    pub fn check_host(&self, host: &str) -> Result<(), UrlDenial> {
        self.check_host_text(host)
    }

    /// Resolver-backed mode: `host` was resolved by the caller to `addrs`. Returns the
    /// addresses that pass, in the given order; the caller must connect to one of them
    /// (and not resolve `host` again). Denies when the name itself is denied or when no
    /// address passes.
    pub fn check_resolved(&self, host: &str, addrs: &[IpAddr]) -> Result<Vec<IpAddr>, UrlDenial> {
        self.check_host_text(host)?;
        let mut ok = Vec::new();
        let mut first_denial = None;
        for &ip in addrs {
            match self.check_ip(ip) {
                Ok(()) => ok.push(ip),
                Err(d) => {
                    if first_denial.is_none() {
                        first_denial = Some(d);
                    }
                }
            }
        }
        if ok.is_empty() {
            return Err(first_denial.unwrap_or_else(|| UrlDenial::NoAllowedAddress(clip(host))));
        }
        Ok(ok)
    }

    fn ip_allowed(&self, ip: IpAddr) -> bool {
        self.policy.allow_cidrs.iter().any(|n| n.contains(&ip))
    }

    fn domain_allowed(&self, d: &str) -> bool {
        self.policy
            .allow_domains
            .iter()
            .any(|p| match p.strip_prefix("*.") {
                Some(suffix) => {
                    d.len() > suffix.len()
                        && d.ends_with(suffix)
                        && d.as_bytes()[d.len() - suffix.len() - 1] == b'.'
                }
                None => p == d,
            })
    }

    /// A raw host text as some client might pass it to its resolver: port and brackets
    /// removed, percent-decoded, IDNA-mapped, IPv4 in any inet_aton form.
    fn check_host_text(&self, raw: &str) -> Result<(), UrlDenial> {
        let h = raw.trim();
        if h.is_empty() {
            return Err(UrlDenial::Unparsable {
                input: clip(raw),
                reason: "the host is empty".into(),
            });
        }
        // IPv6 literal, possibly with a zone id (`fe80::1%25eth0`, `fe80::1%eth0`)
        let inner = h
            .strip_prefix('[')
            .map(|r| r.split(']').next().unwrap_or(r));
        let bare6 = inner.unwrap_or(h);
        if bare6.contains(':') {
            let no_zone = bare6.split('%').next().unwrap_or(bare6);
            return match no_zone.parse::<Ipv6Addr>() {
                Ok(v6) => self.check_ip(IpAddr::V6(v6)),
                Err(_) => Err(UrlDenial::Unparsable {
                    input: clip(raw),
                    reason: "the host is not a valid address or name".into(),
                }),
            };
        }
        match Host::parse(h) {
            Ok(Host::Ipv4(v4)) => self.check_ip(IpAddr::V4(v4)),
            Ok(Host::Ipv6(v6)) => self.check_ip(IpAddr::V6(v6)),
            Ok(Host::Domain(d)) => self.check_domain(&d),
            Err(_) => Err(UrlDenial::Unparsable {
                input: clip(raw),
                reason: "the host is not a valid address or name".into(),
            }),
        }
    }

    /// Name checks on an already WHATWG-normalized (lower-case, punycode) domain.
    fn check_domain(&self, domain: &str) -> Result<(), UrlDenial> {
        let d = domain.trim_end_matches('.').to_ascii_lowercase();
        if self.domain_allowed(&d) {
            return Ok(());
        }
        if d.is_empty()
            || !d
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_')
            || d.contains("..")
        {
            return Err(UrlDenial::Unparsable {
                input: clip(domain),
                reason: "the host is not a valid name".into(),
            });
        }
        // a name that is really an address in some reader (`127.0.0.1.`, `0x7f.1.`)
        if let Ok(Host::Ipv4(v4)) = Host::parse(&d) {
            return self.check_ip(IpAddr::V4(v4));
        }
        if METADATA_NAMES
            .iter()
            .any(|m| d == *m || d.ends_with(&format!(".{m}")))
        {
            return Err(UrlDenial::Metadata(d));
        }
        if d == "localhost" || !d.contains('.') {
            return Err(UrlDenial::IntranetHost(d));
        }
        if INTRANET_SUFFIXES.iter().any(|s| d.ends_with(s)) || INTRANET_NAMES.contains(&d.as_str())
        {
            return Err(UrlDenial::IntranetHost(d));
        }
        if WILDCARD_DNS
            .iter()
            .any(|s| d == *s || d.ends_with(&format!(".{s}")))
        {
            return Err(UrlDenial::EmbeddedAddress(d));
        }
        for v4 in addresses_in_name(&d) {
            if !self.ip_allowed(IpAddr::V4(v4)) && denied_class(IpAddr::V4(v4)).is_some() {
                return Err(UrlDenial::EmbeddedAddress(d));
            }
        }
        Ok(())
    }
}

/// Host names of cloud metadata services (matched exactly or as a parent domain).
const METADATA_NAMES: &[&str] = &[
    "metadata.google.internal",
    "metadata.goog",
    "metadata",
    "instance-data",
    "instance-data.ec2.internal",
    "metadata.packet.net",
    "metadata.platformequinix.com",
    "metadata.tencentyun.com",
    "metadata.azure.com",
    "metadata.oraclecloud.com",
    "metadata.ibm.com",
];

/// Special-use and intranet suffixes (RFC 6761/6762/8375 and common private zones).
const INTRANET_SUFFIXES: &[&str] = &[
    ".localhost",
    ".local",
    ".internal",
    ".localdomain",
    ".lan",
    ".intranet",
    ".corp",
    ".home",
    ".home.arpa",
    ".arpa",
    ".private",
    ".svc",
    ".cluster.local",
    ".consul",
    ".test",
    ".invalid",
    ".onion",
];

/// Two-label intranet names that a cluster resolver answers.
const INTRANET_NAMES: &[&str] = &["kubernetes.default", "kubernetes.default.svc"];

/// Public zones whose names resolve to whatever address they spell, or to loopback.
const WILDCARD_DNS: &[&str] = &[
    "nip.io",
    "sslip.io",
    "xip.io",
    "nip.direct",
    "traefik.me",
    "backname.io",
    "localtest.me",
    "lvh.me",
    "vcap.me",
    "lacolhost.com",
    "localhost.direct",
    "fuf.me",
    "1u.ms",
    "rbndr.us",
    "127.0.0.1.nip.io",
];

/// The first 200 bytes of untrusted input for an error message, with control characters
/// escaped (`\n`, `\u{0}`) so that a message stays one line in logs and audit records.
fn clip(s: &str) -> String {
    let mut end = s.len().min(200);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out = String::with_capacity(end);
    for c in s[..end].chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

fn scheme_of(s: &str) -> Option<&str> {
    let i = s.find(':')?;
    let scheme = &s[..i];
    let mut chars = scheme.chars();
    let first = chars.next()?;
    (first.is_ascii_alphabetic()
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')))
    .then_some(scheme)
}

/// The authority as a lenient client sees it: after `scheme:` and any run of `/` or `\`,
/// up to the first `/`, `?` or `#`.
fn raw_authority(s: &str) -> Option<&str> {
    let i = s.find(':')?;
    let rest = s[i + 1..].trim_start_matches(['/', '\\']);
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Authorities that parsers other than WHATWG's read (Orange Tsai, "A New Era of SSRF",
/// 2017), beside the WHATWG one:
/// - one that does not stop at `?` or `#`: `http://good.com#@127.0.0.1/` is 127.0.0.1 to a
///   parser that takes the last `@` before the path;
/// - the authority cut at white space, where most resolvers stop a host
///   (`http://127.0.0.1 &@good.com/`);
/// - when percent-escapes in the authority decode (up to three times) to a delimiter, the
///   decoded authority cut at that delimiter: `http://127.0.0.1%2523@good.com/` is 127.0.0.1
///   to a client that decodes twice before it splits.
///
/// Only readings that such a delimiter produces are returned, so an ordinary URL (a query,
/// an escaped space in the user name) yields none.
fn other_authorities(url: &str, authority: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut push = |a: &str| {
        if !a.is_empty() && a != authority && !out.iter().any(|o| o == a) {
            out.push(a.to_string());
        }
    };
    if let Some(i) = authority.find(char::is_whitespace) {
        push(&authority[..i]);
    }
    if let Some(i) = url.find(':') {
        let rest = url[i + 1..].trim_start_matches(['/', '\\']);
        let greedy = &rest[..rest.find('/').unwrap_or(rest.len())];
        if let Some(j) = greedy.rfind('@').filter(|&j| j >= authority.len()) {
            let host = &greedy[j + 1..];
            push(&host[..host.find(char::is_whitespace).unwrap_or(host.len())]);
        }
    }
    if authority.contains('%') {
        let mut decoded = authority.to_string();
        for _ in 0..3 {
            let next = percent_decode_str(&decoded)
                .decode_utf8_lossy()
                .into_owned();
            if next == decoded {
                break;
            }
            decoded = next;
            if let Some(cut) = decoded.find(['/', '?', '#', '\\']) {
                push(&decoded[..cut]);
            } else if decoded.matches('@').count() > authority.matches('@').count() {
                push(&decoded);
            }
        }
    }
    out
}

/// Candidate hosts of an authority: userinfo split at the first and at the last `@`, the
/// authority cut at a backslash or not; port removed.
fn lenient_hosts(authority: &str) -> Vec<String> {
    let mut auths = vec![authority];
    if let Some(i) = authority.find('\\') {
        auths.push(&authority[..i]);
    }
    let mut out: Vec<String> = Vec::new();
    for a in auths {
        let mut hosts = vec![a];
        if let Some(i) = a.find('@') {
            hosts.push(&a[i + 1..]);
        }
        if let Some(i) = a.rfind('@') {
            hosts.push(&a[i + 1..]);
        }
        if a.contains('@') {
            hosts.remove(0);
        }
        // A splitter that ignores `@` takes the userinfo's `host:port` for the authority
        // (`http://127.0.0.1:80@good.com/`). Userinfo that reads as an address literal or
        // `localhost` is therefore a candidate too; an ordinary user name ("user:pw") is not.
        if let Some(i) = a.find('@') {
            let pre = strip_port(a[..i].trim_start_matches('\\'));
            let literal = matches!(Host::parse(pre), Ok(Host::Ipv4(_) | Host::Ipv6(_)));
            if literal || pre.eq_ignore_ascii_case("localhost") {
                hosts.push(pre);
            }
        }
        for h in hosts {
            let h = h.trim_start_matches('\\');
            let host = strip_port(h);
            if !host.is_empty() && !out.iter().any(|o| o == host) {
                out.push(host.to_string());
            }
        }
    }
    out
}

fn strip_port(h: &str) -> &str {
    if h.starts_with('[') {
        return match h.find(']') {
            Some(i) => &h[..=i],
            None => h,
        };
    }
    match h.find(':') {
        Some(i) => &h[..i],
        None => h,
    }
}

/// The class of a denied address, or `None` when it is public.
fn denied_class(ip: IpAddr) -> Option<&'static str> {
    match ip {
        IpAddr::V4(v4) => v4_class(v4),
        IpAddr::V6(v6) => v6_class(v6),
    }
}

fn v4_class(ip: Ipv4Addr) -> Option<&'static str> {
    let o = ip.octets();
    let n = u32::from(ip);
    let in_net = |base: u32, bits: u32| n >> (32 - bits) == base >> (32 - bits);
    if [
        [169, 254, 169, 254],
        [169, 254, 170, 2],
        [169, 254, 170, 23],
        [100, 100, 100, 200],
        [192, 0, 0, 192],
        [168, 63, 129, 16],
    ]
    .contains(&o)
    {
        return Some("cloud metadata");
    }
    let table: &[(u32, u32, &'static str)] = &[
        (0x0000_0000, 8, "unspecified or this-network"),
        (0x0A00_0000, 8, "private"),
        (0x6440_0000, 10, "carrier-grade nat"),
        (0x7F00_0000, 8, "loopback"),
        (0xA9FE_0000, 16, "link-local"),
        (0xAC10_0000, 12, "private"),
        (0xC000_0000, 24, "ietf protocol assignments"),
        (0xC000_0200, 24, "documentation"),
        (0xC058_6300, 24, "6to4 relay"),
        (0xC0A8_0000, 16, "private"),
        (0xC612_0000, 15, "benchmarking"),
        (0xC633_6400, 24, "documentation"),
        (0xCB00_7100, 24, "documentation"),
        (0xE000_0000, 4, "multicast"),
        (0xF000_0000, 4, "reserved or broadcast"),
    ];
    table
        .iter()
        .find(|(base, bits, _)| in_net(*base, *bits))
        .map(|(_, _, c)| *c)
}

fn v6_class(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    if ip.is_unspecified() {
        return Some("unspecified");
    }
    if ip.is_loopback() {
        return Some("loopback");
    }
    if s[0] == 0xfd00 && s[1] == 0x0ec2 && s[2..7].iter().all(|&x| x == 0) && s[7] == 0x254 {
        return Some("cloud metadata");
    }
    let p = |mask: u16, val: u16| s[0] & mask == val;
    if p(0xffc0, 0xfe80) {
        return Some("link-local");
    }
    if p(0xffc0, 0xfec0) {
        return Some("site-local");
    }
    if p(0xfe00, 0xfc00) {
        return Some("unique-local");
    }
    if p(0xff00, 0xff00) {
        return Some("multicast");
    }
    if (s[0] == 0x2001 && s[1] == 0x0db8) || (s[0] == 0x3fff && s[1] & 0xf000 == 0) {
        return Some("documentation");
    }
    if s[0] == 0x0100 && s[1..4].iter().all(|&x| x == 0) {
        return Some("discard-only");
    }
    if s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0 {
        return Some("benchmarking");
    }
    None
}

/// IPv4 addresses carried inside an IPv6 address by the transition mechanisms a client or
/// gateway could act on: mapped, compatible, NAT64 (well-known and local-use prefixes),
/// 6to4, Teredo (server and obfuscated client), ISATAP.
fn embedded_ipv4(ip: Ipv6Addr) -> Vec<Ipv4Addr> {
    let s = ip.segments();
    let o = ip.octets();
    let tail = Ipv4Addr::new(o[12], o[13], o[14], o[15]);
    let mut v = Vec::new();
    if let Some(m) = ip.to_ipv4_mapped() {
        v.push(m);
    }
    if s[..6].iter().all(|&x| x == 0) && !(s[6] == 0 && s[7] <= 1) {
        v.push(tail); // ::a.b.c.d (deprecated compatible form)
    }
    if s[0] == 0x0064 && s[1] == 0xff9b && (s[2..6].iter().all(|&x| x == 0) || s[2] == 0x0001) {
        v.push(tail); // 64:ff9b::/96 and 64:ff9b:1::/48
    }
    if s[0] == 0x2002 {
        v.push(Ipv4Addr::new(o[2], o[3], o[4], o[5])); // 6to4
    }
    if s[0] == 0x2001 && s[1] == 0 {
        v.push(Ipv4Addr::new(o[4], o[5], o[6], o[7])); // Teredo server
        v.push(Ipv4Addr::new(!o[12], !o[13], !o[14], !o[15])); // Teredo client
    }
    if s[5] == 0x5efe && (s[4] == 0 || s[4] == 0x0200) {
        v.push(tail); // ISATAP
    }
    // any other IPv6 whose low 32 bits spell a v4 after a ::ffff:0: (SIIT)
    if s[..4].iter().all(|&x| x == 0) && s[4] == 0xffff && s[5] == 0 {
        v.push(tail);
    }
    v
}

/// IPv4 addresses spelled inside a host name: four numeric labels in a row
/// (`10.0.0.1.example.com`) or four dash-separated numbers in one label
/// (`ip-10-0-0-1.example.com`, `127-0-0-1.example.com`).
fn addresses_in_name(d: &str) -> Vec<Ipv4Addr> {
    let mut out = Vec::new();
    let labels: Vec<&str> = d.split('.').collect();
    let octet = |s: &str| -> Option<u8> {
        if s.is_empty() || s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse::<u8>().ok()
    };
    for w in labels.windows(4) {
        if let (Some(a), Some(b), Some(c), Some(e)) =
            (octet(w[0]), octet(w[1]), octet(w[2]), octet(w[3]))
        {
            out.push(Ipv4Addr::new(a, b, c, e));
        }
    }
    for l in &labels {
        let parts: Vec<&str> = l.split('-').collect();
        for w in parts.windows(4) {
            if let (Some(a), Some(b), Some(c), Some(e)) =
                (octet(w[0]), octet(w[1]), octet(w[2]), octet(w[3]))
            {
                out.push(Ipv4Addr::new(a, b, c, e));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn denied(u: &str) -> bool {
        UrlGuard::default().check_url(u).is_err()
    }

    #[test]
    fn public_urls_pass() {
        for u in [
            "https://example.com/",
            "http://93.184.215.14/x",
            "https://en.wikipedia.org/wiki/SSRF?x=1#y",
            "https://[2606:4700::1111]/",
            "https://medium.com/@user/post",
            "https://web.archive.org/web/2019/https://a.b/",
        ] {
            assert!(!denied(u), "{u}");
        }
    }

    #[test]
    fn ipv4_encodings() {
        for u in [
            "http://127.0.0.1/",
            "http://2130706433/",
            "http://0177.0.0.1/",
            "http://0x7f.1/",
            "http://0x7f000001/",
            "http://127.1/",
            "http://10.1/",
            "http://0/",
            "http://127.0.0.1./",
            "http://%31%32%37.0.0.1/",
            "http://１２７.０.０.１/",
            "http://0251.254.169.254/",
            "http://169.254.169.254/latest/meta-data/",
        ] {
            assert!(denied(u), "{u}");
        }
    }

    #[test]
    fn ipv6_forms() {
        for u in [
            "http://[::1]/",
            "http://[::]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[::127.0.0.1]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[2002:7f00:1::]/",
            "http://[fd00:ec2::254]/",
            "http://[fe80::1%25eth0]/",
            "http://[fc00::1]/",
            "http://[fec0::1]/",
        ] {
            assert!(denied(u), "{u}");
        }
    }

    #[test]
    fn confusion() {
        for u in [
            "http://good.com@127.0.0.1/",
            "http://good.com\\@127.0.0.1/",
            "http://127.0.0.1\\@good.com/",
            "http://a@b@127.0.0.1/",
            "http://127.1.1.1:80\\@@127.2.2.2:80/",
            "http://127.1.1.1:80#\\@127.2.2.2:80/",
            // readings of parsers that do not stop at `#`/`?`, stop at white space, or
            // decode escapes before they split the authority
            "http://good.com#@127.0.0.1/",
            "http://good.com?@169.254.169.254/",
            "http://127.0.0.1 &@good.com# @good.org/",
            "http://1.1.1.1 &@2.2.2.2# @10.0.0.1/",
            "http://127.0.0.1%2523@good.com/",
            "http://169.254.169.254%2f@good.com/",
            "http://localhost%3f@good.com/",
            "http://good.com%40127.0.0.1@good.org/",
            // userinfo that is itself an internal host: a splitter that ignores `@` goes there
            "http://127.0.0.1:80@good.com/",
            "http://0x7f.1@good.com/",
            "http://[::1]:8080@good.com/",
            "http://localhost:3000@good.com/",
        ] {
            assert!(denied(u), "{u}");
        }
        for u in [
            "http://user:pw@example.com/",
            "http://8.8.8.8:53@example.com/",
            "https://deploy:s3cret@registry.example.com/v2/",
            "https://example.com?email=a@example.org",
            "https://example.com#section-2",
            "https://example.com/a@b",
            "https://my%20name:pw@example.com/",
            "https://user%40example.org:pw@example.com/",
            "https://example.com/?q=%2f%23",
        ] {
            assert!(!denied(u), "{u}");
        }
        assert!(
            denied("http://ⓔⓧⓐⓜⓟⓛⓔ.ⓒⓞⓜ/"),
            "compatibility characters in the host"
        );
        assert!(!denied("https://münchen.de/"), "a real IDN passes");
    }

    #[test]
    fn names() {
        for u in [
            "http://localhost/",
            "http://LOCALHOST./",
            "http://foo.localhost/",
            "http://intranet/",
            "http://metadata.google.internal/",
            "http://db.internal/",
            "http://printer.local/",
            "http://10.0.0.1.nip.io/",
            "http://app.sslip.io/",
            "http://127-0-0-1.example.com/",
            "http://ip-10-0-0-1.example.com/",
            "http://kubernetes.default/",
            "http://vault.service.consul/",
        ] {
            assert!(denied(u), "{u}");
        }
        assert!(!denied("http://ec2-54-12-3-4.compute-1.amazonaws.com/"));
    }

    #[test]
    fn schemes() {
        for u in [
            "file:///etc/passwd",
            "gopher://example.com/",
            "dict://example.com:11211/",
            "ftp://example.com/",
            "ldap://example.com/",
            "jar:http://example.com!/",
            "netdoc:///etc/passwd",
            "no-scheme",
            "//example.com/",
        ] {
            assert!(denied(u), "{u}");
        }
    }

    #[test]
    fn allowlists_override() {
        let g = UrlGuard::new(UrlPolicy {
            allow_domains: vec!["wiki".into(), "*.corp.internal".into()],
            allow_cidrs: vec!["10.1.0.0/16".parse().unwrap()],
            ..UrlPolicy::default()
        });
        assert!(g.check_url("http://wiki/").is_ok());
        assert!(g.check_url("http://a.corp.internal/").is_ok());
        assert!(g.check_url("http://corp.internal/").is_err());
        assert!(g.check_url("http://10.1.2.3/").is_ok());
        assert!(g.check_url("http://10.2.2.3/").is_err());
    }

    #[test]
    fn resolved_addresses_are_filtered_and_pinned() {
        let g = UrlGuard::default();
        let addrs: Vec<IpAddr> = vec![
            "127.0.0.1".parse().unwrap(),
            "93.184.215.14".parse().unwrap(),
        ];
        assert_eq!(
            g.check_resolved("example.com", &addrs).unwrap(),
            vec![addrs[1]]
        );
        let only_internal: Vec<IpAddr> = vec!["10.0.0.5".parse().unwrap()];
        assert_eq!(
            g.check_resolved("example.com", &only_internal)
                .unwrap_err()
                .rule(),
            "ssrf-internal-address"
        );
        assert_eq!(
            g.check_resolved("example.com", &[]).unwrap_err().rule(),
            "ssrf-no-allowed-address"
        );
    }

    #[test]
    fn denial_rules_and_messages() {
        let e = UrlGuard::default()
            .check_url("http://169.254.169.254/")
            .unwrap_err();
        assert_eq!(e.rule(), "ssrf-metadata");
        assert_eq!(
            e.to_string(),
            "`169.254.169.254` is a cloud metadata endpoint"
        );
        let e = UrlGuard::default().check_url("gopher://x/").unwrap_err();
        assert_eq!(e.to_string(), "scheme `gopher` is not allowed");
    }
}
