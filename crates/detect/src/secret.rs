//! Secret detection (family `secret`): gitleaks-class rules plus a generic high-entropy rule.
//!
//! Pipeline, all linear time:
//! 1. one aho-corasick pass (ASCII case-insensitive) finds every rule keyword;
//! 2. texts with no keyword stop there (the common case for tool output);
//! 3. token rules whose keyword occurred run their regex over the text; context rules run
//!    an anchored regex right behind each keyword occurrence; each regex is compiled on its
//!    rule's first keyword hit, so a process only holds the rules its traffic triggers;
//! 4. candidates pass entropy, placeholder and stop-word filters; overlaps are resolved
//!    so that a specific rule beats the generic one.
//!
//! The table itself is data: see [`rules`].

mod allowlist;
pub mod rules;

use std::borrow::Cow;
use std::sync::{LazyLock, OnceLock};

use aho_corasick::dfa::DFA;
use regex::{Regex, RegexBuilder};

use crate::finding::{Family, Finding};
use rules::{RuleDef, Shape, RULES};

pub use rules::RuleDef as SecretRule;

/// Id of the generic keyword + entropy rule.
pub const GENERIC_RULE: &str = "generic-api-key";
/// Id of the PEM private-key rule.
pub const PRIVATE_KEY_RULE: &str = "private-key";
/// Id of the password-in-URL rule (`scheme://user:password@host`).
pub const URL_PASSWORD_RULE: &str = "url-password";
/// Id of the connection-string password rule (`Server=…;Password=…`).
pub const CONNECTION_STRING_RULE: &str = "connection-string-password";
/// Id of the HTTP authorization header rule (curl `-H`, raw requests, logs).
pub const AUTH_HEADER_RULE: &str = "http-auth-header";
/// Id of the curl `-u user:password` rule.
pub const CURL_USER_RULE: &str = "curl-auth-user";

/// Every rule id this module can report, table rules first, without duplicates.
pub fn rule_ids() -> Vec<&'static str> {
    let mut ids: Vec<&'static str> = Vec::new();
    let extra = [
        PRIVATE_KEY_RULE,
        URL_PASSWORD_RULE,
        CONNECTION_STRING_RULE,
        AUTH_HEADER_RULE,
        CURL_USER_RULE,
        GENERIC_RULE,
    ];
    for id in RULES.iter().map(|r| r.id).chain(extra) {
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// The redaction form of a rule: `[REDACTED:<id>]`.
pub fn redaction_label(rule: &str) -> String {
    format!("[REDACTED:{rule}]")
}

/// Scans `text` and returns one finding per secret, sorted by start offset. The span of a
/// finding is the secret itself (not the name it is assigned to).
pub fn scan(text: &str) -> Vec<Finding> {
    let engine = &*ENGINE;
    let mut cands: Vec<Cand> = Vec::new();
    engine.collect(text, &mut cands);
    // published example values (global and per-rule allowlists, as gitleaks has them)
    cands.retain(|c| {
        !text
            .get(c.start..c.end)
            .is_some_and(|v| allowlist::is_known_value(c.rule, v))
    });
    resolve(cands)
}

/// Builtin special rules that are code, not table rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Special {
    PrivateKey,
    UrlPassword,
    ConnString,
    AuthHeader,
    CurlUser,
    Generic,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Table(usize),
    Special(Special),
}

#[derive(Debug, Clone)]
struct Cand {
    rule: &'static str,
    start: usize,
    end: usize,
    /// Lower is more specific; generic-style rules lose overlaps to specific ones.
    rank: u8,
}

/// A regex compiled on first use. `None` inside means it does not compile: the scan then
/// fails closed (see [`Engine::fail_closed`]); `every_table_rule_compiles` keeps such a
/// rule from shipping.
type LazyRegex = OnceLock<Option<Regex>>;

struct Engine {
    /// The keywords, walked by [`crate::rules::lanes::overlapping`].
    ac: Option<DFA>,
    /// For each aho-corasick pattern: which rules it triggers.
    owners: Vec<Vec<Owner>>,
    /// One lazily compiled regex per row of [`RULES`] (same index). Compiling all ~180 at
    /// once held about 7 MiB in a gateway that only ever sees a handful of them.
    table: Vec<LazyRegex>,
    /// The regexes of the [`Special`] rules, indexed by `Special as usize`.
    specials: [LazyRegex; 6],
}
/// The assignment between a name and its value: `=`, `:`, `:=`, `=>`, `||`, `?=`, `,`
/// with optional quotes and spaces (the shape gitleaks uses for keyed rules).
const ASSIGN: &str =
    r#"\A[ \t\w.-]{0,20}?[\s'"]{0,3}(?:=|>|:{1,3}=|\|\||:|=>|\?=|,)[\x60'"\s=]{0,5}"#;
/// What may follow a value.
const VALUE_END: &str = r#"(?:[\x60'"\s;,)\]}<&]|\\[nrt]|\z)"#;

const GENERIC_KEYWORDS: &[&str] = &[
    "access",
    "api",
    "auth",
    "key",
    "credential",
    "creds",
    "passwd",
    "password",
    "secret",
    "token",
    "pwd",
];

static ENGINE: LazyLock<Engine> = LazyLock::new(Engine::build);

impl Engine {
    fn build() -> Engine {
        let mut patterns: Vec<String> = Vec::new();
        let mut owners: Vec<Vec<Owner>> = Vec::new();
        let add =
            |kw: &str, owner: Owner, patterns: &mut Vec<String>, owners: &mut Vec<Vec<Owner>>| {
                let kw = kw.to_ascii_lowercase();
                if let Some(i) = patterns.iter().position(|p| *p == kw) {
                    if !owners[i].contains(&owner) {
                        owners[i].push(owner);
                    }
                } else {
                    patterns.push(kw);
                    owners.push(vec![owner]);
                }
            };
        for (i, def) in RULES.iter().enumerate() {
            for kw in def.keywords {
                add(kw, Owner::Table(i), &mut patterns, &mut owners);
            }
        }
        for kw in ["-----begin", "-----begin "] {
            add(
                kw,
                Owner::Special(Special::PrivateKey),
                &mut patterns,
                &mut owners,
            );
        }
        add(
            "://",
            Owner::Special(Special::UrlPassword),
            &mut patterns,
            &mut owners,
        );
        for kw in ["password", "pwd"] {
            add(
                kw,
                Owner::Special(Special::ConnString),
                &mut patterns,
                &mut owners,
            );
        }
        for kw in [
            "authorization",
            "api-key",
            "apikey",
            "api-token",
            "token",
            "x-auth-token",
            "x-access-token",
            "private-token",
        ] {
            add(
                kw,
                Owner::Special(Special::AuthHeader),
                &mut patterns,
                &mut owners,
            );
        }
        add(
            "curl",
            Owner::Special(Special::CurlUser),
            &mut patterns,
            &mut owners,
        );
        for kw in GENERIC_KEYWORDS {
            add(
                kw,
                Owner::Special(Special::Generic),
                &mut patterns,
                &mut owners,
            );
        }
        // Building only fails on absurd pattern sizes; a unit test pins that it succeeds.
        let ac = crate::rules::lanes::build(&patterns, true);
        Engine {
            ac,
            owners,
            table: RULES.iter().map(|_| OnceLock::new()).collect(),
            specials: Default::default(),
        }
    }

    /// The regex of table rule `i`, compiled on first use.
    fn table_regex(&self, i: usize) -> Option<&Regex> {
        let def = RULES.get(i)?;
        self.table
            .get(i)?
            .get_or_init(|| build_regex(&table_source(def)))
            .as_ref()
    }

    /// The regex of a special rule, compiled on first use.
    fn special_regex(&self, s: Special) -> Option<&Regex> {
        self.specials
            .get(s as usize)?
            .get_or_init(|| build_regex(&special_source(s)))
            .as_ref()
    }

    /// The candidate reported when rule `rule` cannot run because its regex does not
    /// compile: the whole stretch its regex would have searched, so a secret it was meant
    /// to find is redacted rather than let through.
    fn fail_closed(rule: &'static str, start: usize, end: usize, out: &mut Vec<Cand>) {
        out.push(Cand {
            rule,
            start,
            end,
            rank: 0,
        });
    }

    fn collect(&self, text: &str, out: &mut Vec<Cand>) {
        if text.is_empty() {
            return;
        }
        let Some(ac) = &self.ac else {
            // no keyword search, no rule can run: fail closed
            Self::fail_closed(GENERIC_RULE, 0, text.len(), out);
            return;
        };
        let mut token_done = vec![false; self.table.len()];
        let mut special_done = [false; 6];
        let mut events = Vec::new();
        crate::rules::lanes::overlapping(ac, text.as_bytes(), &mut events);
        for m in &events {
            let Some(owners) = self.owners.get(m.pattern) else {
                continue;
            };
            for owner in owners {
                match *owner {
                    Owner::Table(i) => {
                        let Some(def) = RULES.get(i) else { continue };
                        match def.shape {
                            Shape::Token => {
                                if !token_done[i] {
                                    token_done[i] = true;
                                    self.run_token(i, def, text, out);
                                }
                            }
                            Shape::Assigned => {
                                if keyword_case_ok(&text[m.start..m.end]) {
                                    self.run_assigned(i, def, text, m.end, out);
                                }
                            }
                        }
                    }
                    Owner::Special(Special::Generic) => {
                        if keyword_case_ok(&text[m.start..m.end]) {
                            self.run_generic(text, m.start, m.end, out);
                        }
                    }
                    Owner::Special(s) => {
                        let idx = s as usize;
                        if !special_done[idx] {
                            special_done[idx] = true;
                            self.run_special(s, text, out);
                        }
                    }
                }
            }
        }
    }

    fn run_token(&self, i: usize, def: &'static RuleDef, text: &str, out: &mut Vec<Cand>) {
        let Some(re) = self.table_regex(i) else {
            return Self::fail_closed(def.id, 0, text.len(), out);
        };
        for caps in re.captures_iter(text) {
            let Some(m) = caps.get(1).or_else(|| caps.get(0)) else {
                continue;
            };
            let secret = m.as_str();
            if secret.is_empty() || !passes_entropy(secret, def.entropy) || is_placeholder(secret) {
                continue;
            }
            if def.id == "aws-access-key" && secret.ends_with("EXAMPLE") {
                continue;
            }
            out.push(Cand {
                rule: def.id,
                start: m.start(),
                end: m.end(),
                rank: 0,
            });
        }
    }

    fn run_assigned(
        &self,
        i: usize,
        def: &'static RuleDef,
        text: &str,
        from: usize,
        out: &mut Vec<Cand>,
    ) {
        if !assignment_follows(text, from) {
            return;
        }
        let window = window_from(text, from, 600);
        let Some(re) = self.table_regex(i) else {
            return Self::fail_closed(def.id, from, from + window.len(), out);
        };
        let Some(caps) = re.captures(window) else {
            return;
        };
        let Some(m) = caps.get(1) else { return };
        if truncated(text, from, window, caps.get(0).map_or(0, |m| m.end())) {
            return;
        }
        let secret = m.as_str();
        if !passes_entropy(secret, def.entropy) || is_placeholder(secret) {
            return;
        }
        out.push(Cand {
            rule: def.id,
            start: from + m.start(),
            end: from + m.end(),
            rank: 1,
        });
    }

    fn run_special(&self, s: Special, text: &str, out: &mut Vec<Cand>) {
        let Some(re) = self.special_regex(s) else {
            return Self::fail_closed(special_id(s), 0, text.len(), out);
        };
        match s {
            Special::PrivateKey => {
                for m in re.find_iter(text) {
                    let body = m.as_str();
                    // A header with nothing but a placeholder line inside is documentation.
                    let inner: String = body
                        .lines()
                        .filter(|l| !l.contains("-----"))
                        .collect::<Vec<_>>()
                        .join("");
                    let inner = inner.trim();
                    if inner.len() < 16 || !passes_entropy(inner, 3.5) {
                        // still redact keys embedded with escaped newlines (`\n`) as one line
                        if !(body.contains("\\n") && body.len() > 120) {
                            continue;
                        }
                    }
                    out.push(Cand {
                        rule: PRIVATE_KEY_RULE,
                        start: m.start(),
                        end: m.end(),
                        rank: 0,
                    });
                }
            }
            Special::UrlPassword => {
                for caps in re.captures_iter(text) {
                    let Some(m) = caps.get(1) else { continue };
                    let pw = m.as_str();
                    if is_placeholder(pw) || pw.len() < 3 || is_weak_example_password(pw) {
                        continue;
                    }
                    out.push(Cand {
                        rule: URL_PASSWORD_RULE,
                        start: m.start(),
                        end: m.end(),
                        rank: 1,
                    });
                }
            }
            Special::ConnString => {
                for caps in re.captures_iter(text) {
                    let (Some(all), Some(m)) = (caps.get(0), caps.get(1)) else {
                        continue;
                    };
                    // Only inside a connection string: another `key=value;` on the same line.
                    let line_start = text[..all.start()].rfind('\n').map_or(0, |i| i + 1);
                    let line_end = text[all.end()..]
                        .find('\n')
                        .map_or(text.len(), |i| all.end() + i);
                    let line = &text[line_start..line_end];
                    let lower = line.to_ascii_lowercase();
                    let is_conn = line.contains(';')
                        && [
                            "server=",
                            "data source=",
                            "host=",
                            "uid=",
                            "user id=",
                            "user=",
                            "database=",
                            "initial catalog=",
                            "dsn=",
                        ]
                        .iter()
                        .any(|k| lower.contains(k));
                    if !is_conn {
                        continue;
                    }
                    let pw = strip_quotes(m.as_str());
                    let off = m.as_str().find(pw).unwrap_or(0);
                    if pw.len() < 3 || is_placeholder(pw) || is_weak_example_password(pw) {
                        continue;
                    }
                    let start = m.start() + off;
                    out.push(Cand {
                        rule: CONNECTION_STRING_RULE,
                        start,
                        end: start + pw.len(),
                        rank: 1,
                    });
                }
            }
            Special::AuthHeader => {
                for caps in re.captures_iter(text) {
                    let Some(m) = caps.get(1).or_else(|| caps.get(2)) else {
                        continue;
                    };
                    let v = m.as_str();
                    if is_placeholder(v) || !passes_entropy(v, 2.75) || v.starts_with('$') {
                        continue;
                    }
                    let lower = v.to_ascii_lowercase();
                    if [
                        "bearer",
                        "basic",
                        "token",
                        "application",
                        "content",
                        "header",
                    ]
                    .iter()
                    .any(|w| lower == *w)
                    {
                        continue;
                    }
                    out.push(Cand {
                        rule: AUTH_HEADER_RULE,
                        start: m.start(),
                        end: m.end(),
                        rank: 1,
                    });
                }
            }
            Special::CurlUser => {
                for caps in re.captures_iter(text) {
                    let Some(m) = caps.get(1) else { continue };
                    let raw = m.as_str();
                    let v = strip_quotes(raw);
                    let Some((user, pw)) = v.split_once(':') else {
                        continue;
                    };
                    let (user, pw) = (strip_quotes(user), strip_quotes(pw));
                    let var = |x: &str| x.starts_with('$') || x.contains("${") || x.contains("$(");
                    if var(user) || var(pw) || (user.is_empty() && pw.is_empty()) {
                        continue;
                    }
                    let judged = if pw.is_empty() { user } else { pw };
                    let judged = judged.trim_matches(|c| c == '{' || c == '}');
                    if judged.len() < 3
                        || is_placeholder(judged)
                        || is_placeholder(v)
                        || v.contains("{{")
                        || is_weak_example_password(judged)
                        || !passes_entropy(v, 2.0)
                    {
                        continue;
                    }
                    let off = raw.find(v).unwrap_or(0);
                    let start = m.start() + off;
                    out.push(Cand {
                        rule: CURL_USER_RULE,
                        start,
                        end: start + v.len(),
                        rank: 1,
                    });
                }
            }
            Special::Generic => {}
        }
    }

    fn run_generic(&self, text: &str, kw_start: usize, kw_end: usize, out: &mut Vec<Cand>) {
        // the value regex starts with ASSIGN: no operator, no match
        if !assignment_follows(text, kw_end) {
            return;
        }
        let window = window_from(text, kw_end, 400);
        let Some(re) = self.special_regex(Special::Generic) else {
            return Self::fail_closed(GENERIC_RULE, kw_end, kw_end + window.len(), out);
        };
        let Some(caps) = re.captures(window) else {
            return;
        };
        let (Some(all), Some(m)) = (caps.get(0), caps.get(1)) else {
            return;
        };
        if truncated(text, kw_end, window, all.end()) {
            return;
        }
        // The whole identifier the keyword sits in, e.g. `client_secret` or `publicKeyId`.
        let id_start = identifier_start(text, kw_start);
        let tail = &window[..m.start()];
        let id_tail_len = tail
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '-'))
            .unwrap_or(tail.len());
        let ident = &text[id_start..kw_end + id_tail_len];
        let secret = m.as_str();
        // pure predicates, all must pass: the cheap value checks (entropy first) reject
        // most hits in code (`key = req.key()`) before the long identifier list runs
        if !generic_value_is_secret(secret)
            || allowlist::has_vendor_prefix(secret)
            || generic_identifier_allowed(ident)
        {
            return;
        }
        let line_start = text[..kw_start].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[kw_end..].find('\n').map_or(text.len(), |i| kw_end + i);
        if allowlist::generic_line_allowed(&text[line_start..line_end]) {
            return;
        }
        out.push(Cand {
            rule: GENERIC_RULE,
            start: kw_end + m.start(),
            end: kw_end + m.end(),
            rank: 2,
        });
    }
}

/// The regex source of a table rule: token patterns as written, assigned values behind
/// [`ASSIGN`].
fn table_source(def: &RuleDef) -> Cow<'static, str> {
    match def.shape {
        Shape::Token => Cow::Borrowed(def.pattern),
        Shape::Assigned => Cow::Owned(format!("{ASSIGN}({}){VALUE_END}", def.pattern)),
    }
}

/// The rule id a special rule reports.
fn special_id(s: Special) -> &'static str {
    match s {
        Special::PrivateKey => PRIVATE_KEY_RULE,
        Special::UrlPassword => URL_PASSWORD_RULE,
        Special::ConnString => CONNECTION_STRING_RULE,
        Special::AuthHeader => AUTH_HEADER_RULE,
        Special::CurlUser => CURL_USER_RULE,
        Special::Generic => GENERIC_RULE,
    }
}

/// The regex source of a special rule.
fn special_source(s: Special) -> Cow<'static, str> {
    match s {
        Special::PrivateKey => Cow::Borrowed(
            r"(?i)-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----(?:[\s\S]{16,}?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|[A-Za-z0-9+/=\s:,\\-]{16,})",
        ),
        Special::UrlPassword => Cow::Borrowed(
            r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:@/?#'\x22<>]{0,64}:([^\s@/?'\x22<>]{1,128})@[\w.\[\]-]{1,255}",
        ),
        Special::ConnString => Cow::Borrowed(
            r#"(?i)\b(?:password|pwd)\s*=\s*("[^"\n]{1,128}"|'[^'\n]{1,128}'|[^;'"\s][^;'"\n]{0,127})"#,
        ),
        Special::AuthHeader => Cow::Borrowed(
            r#"(?i)\b(?:authorization|proxy-authorization)\s*[:=]\s*(?:(?:basic|bearer|token|api-token|apikey|digest|sso-key|otoken)\s+)?([\w=~@.+/-]{8,}(?::[\w=~@.+/-]+)?)|(?:^|["'\s])(?:x-(?:[a-z0-9]+-)*(?:api-?key|api-?token|auth-token|access-token|token|secret)|api-?key|api-?token|token|auth-token|access-token|private-token)\s*:\s*([\w=~@.+/-]{8,})"#,
        ),
        Special::CurlUser => Cow::Borrowed(
            r#"\s(?:-u|--user)(?:=|[ \t]{1,5})("[^"\n]*"(?::"[^"\n]*")?|'[^'\n]*'|[^\s"']+(?:'[^'\n]*'|"[^"\n]*")?)"#,
        ),
        Special::Generic => Cow::Owned(format!(
            r#"{ASSIGN}([\w.=~+/-]{{10,150}}|[a-zA-Z0-9][a-zA-Z0-9+/]{{11,}}={{0,3}}){VALUE_END}"#
        )),
    }
}

/// Compiles with a size limit that fits long bounded repetitions of Unicode classes.
fn build_regex(src: &str) -> Option<Regex> {
    RegexBuilder::new(&ascii_classes(src))
        .size_limit(64 << 20)
        .build()
        .ok()
}

/// Rewrites `\w`, `\d` and `\b` to their ASCII forms. Credentials are ASCII, and the
/// Unicode forms blow up the lazy DFA (Unicode `\b` even forces the slower engines).
fn ascii_classes(src: &str) -> String {
    crate::pattern::rewrite_escapes(src, |n, in_class| match (n, in_class) {
        ('w', false) => Some("[0-9A-Za-z_]"),
        ('w', true) => Some("0-9A-Za-z_"),
        ('d', false) => Some("[0-9]"),
        ('d', true) => Some("0-9"),
        ('b', false) => Some("(?-u:\\b)"),
        _ => None,
    })
}

/// A byte window of at most `len` bytes starting at `from`, cut on a char boundary.
fn window_from(text: &str, from: usize, len: usize) -> &str {
    let mut end = (from + len).min(text.len());
    while end > from && !text.is_char_boundary(end) {
        end -= 1;
    }
    text.get(from..end).unwrap_or("")
}

/// True when a match reached the end of a window that is not the end of the text: the
/// value may continue past the window, so the match is not trustworthy.
fn truncated(text: &str, from: usize, window: &str, match_end: usize) -> bool {
    match_end >= window.len() && from + window.len() < text.len()
}

/// Cheap byte-level version of the start of [`ASSIGN`]: up to 21 identifier bytes, up to
/// 12 quote or space bytes (ASCII whitespace, or non-ASCII bytes that may spell a Unicode
/// space, which `\s` accepts), then an operator byte. It accepts everything [`ASSIGN`]
/// accepts (a necessary condition), so running it first changes no result; most keyword
/// hits in prose (`key points`, `/api/v1`) fail here without running a regex.
fn assignment_follows(text: &str, from: usize) -> bool {
    let b = &text.as_bytes()[from.min(text.len())..];
    let mut i = 0;
    while i < b.len()
        && i < 21
        && (b[i].is_ascii_alphanumeric() || matches!(b[i], b'_' | b'.' | b'-' | b' ' | b'\t'))
    {
        i += 1;
    }
    let mut q = 0;
    while i < b.len()
        && q < 12
        && (matches!(
            b[i],
            b'"' | b'\'' | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c
        ) || b[i] >= 0x80)
    {
        i += 1;
        q += 1;
    }
    i < b.len() && matches!(b[i], b'=' | b':' | b'>' | b'|' | b'?' | b',')
}

/// Keywords match case-insensitively but an identifier is written in one case style:
/// `token`, `TOKEN`, `Token`. `tOkEn` inside a base64 blob is noise.
fn keyword_case_ok(kw: &str) -> bool {
    let mut letters = kw.bytes().filter(u8::is_ascii_alphabetic);
    let Some(first) = letters.next() else {
        return true;
    };
    let (mut n, mut lower_to_upper, mut upper_to_lower) = (1usize, 0usize, 0usize);
    let (mut all_lower, mut all_upper, mut rest_lower) =
        (first.is_ascii_lowercase(), first.is_ascii_uppercase(), true);
    let mut prev = first;
    for c in letters {
        n += 1;
        lower_to_upper += usize::from(prev.is_ascii_lowercase() && c.is_ascii_uppercase());
        upper_to_lower += usize::from(prev.is_ascii_uppercase() && c.is_ascii_lowercase());
        all_lower &= c.is_ascii_lowercase();
        all_upper &= c.is_ascii_uppercase();
        rest_lower &= c.is_ascii_lowercase();
        prev = c;
    }
    let capitalized = first.is_ascii_uppercase() && rest_lower;
    // `token`, `TOKEN`, `Token`; long multi-word names may be camelCase (`MessageBird`);
    // `tOkEn` or `sumO` inside a random blob is noise
    all_lower || all_upper || capitalized || (n >= 8 && lower_to_upper <= 1 && upper_to_lower <= 2)
}

fn identifier_start(text: &str, kw_start: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = kw_start;
    let floor = kw_start.saturating_sub(50);
    while i > floor {
        let b = bytes[i - 1];
        if b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-' {
            i -= 1;
        } else {
            break;
        }
    }
    i
}

fn strip_quotes(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if let Some(inner) = s.strip_prefix(q).and_then(|r| r.strip_suffix(q)) {
            return inner;
        }
    }
    s
}

/// Shannon entropy in bits per byte.
pub fn shannon_entropy(s: &str) -> f32 {
    if s.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for b in s.bytes() {
        counts[b as usize] += 1;
    }
    let n = s.len() as f32;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = c as f32 / n;
            -p * p.log2()
        })
        .sum()
}

fn passes_entropy(s: &str, min: f32) -> bool {
    min <= 0.0 || shannon_entropy(s) >= min
}

/// Template variables, masks and documentation placeholders that are not secrets.
pub(crate) fn is_placeholder(s: &str) -> bool {
    let t = s.trim_matches(|c| c == '"' || c == '\'' || c == '`');
    if t.is_empty() {
        return true;
    }
    let lower = t.to_ascii_lowercase();
    if t.starts_with("${")
        || t.starts_with("$(")
        || t.starts_with("{{")
        || t.starts_with('<')
        || t.starts_with('%') && t.ends_with('%')
    {
        return true;
    }
    if t.starts_with('$')
        && t[1..]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '{' || c == '}')
    {
        return true;
    }
    if t.contains("{{")
        || t.contains("${")
        || t.contains("***")
        || t.contains("...")
        || t.contains("xxxx")
        || t.contains("XXXX")
    {
        return true;
    }
    if lower.contains("redacted")
        || lower.contains("your_")
        || lower.contains("your-")
        || lower.contains("placeholder")
        || lower.starts_with("example")
        || lower.contains("changeme")
        || lower.contains("insert") && lower.contains("here")
    {
        return true;
    }
    // keyboard/alphabet walks (`abcdefgh`, `12345678`) mark documentation values
    if has_sequential_run(&lower, 10) {
        return true;
    }
    // a long run of one character (`aaaaaaaa`, `00000000`, `________`)
    let mut run = 1;
    let mut prev = None;
    for c in t.chars() {
        if Some(c) == prev {
            run += 1;
            if run >= 8 {
                return true;
            }
        } else {
            run = 1;
            prev = Some(c);
        }
    }
    false
}

fn has_sequential_run(s: &str, n: usize) -> bool {
    let b = s.as_bytes();
    let mut run = 1;
    for w in b.windows(2) {
        if w[1] == w[0].wrapping_add(1) && w[0].is_ascii_alphabetic() {
            run += 1;
            if run >= n {
                return true;
            }
        } else {
            run = 1;
        }
    }
    false
}

fn is_weak_example_password(pw: &str) -> bool {
    const WORDS: &[&str] = &[
        "password",
        "passwd",
        "pass",
        "pwd",
        "secret",
        "test",
        "token",
        "changeit",
        "changeme",
        "example",
        "user",
        "username",
        "admin",
        "root",
        "guest",
        "demo",
        "foo",
        "bar",
        "xxx",
        "yyy",
        "pw",
        "mypassword",
        "yourpassword",
        "your_password",
        "p@ssw0rd",
        "hunter2",
        "none",
        "null",
        "empty",
        "dummy",
    ];
    let lower = pw.to_ascii_lowercase();
    WORDS.contains(&lower.as_str())
        || (lower.starts_with('[') && lower.ends_with(']'))
        || (lower.starts_with('{') && lower.ends_with('}'))
        || lower.chars().all(|c| c == '*' || c == 'x' || c == '.')
}

/// Words that make an identifier holding a keyword not name a secret, wherever they occur
/// in its lowercase alphanumerics (see [`generic_identifier_allowed`]).
const ID_ALLOWED_WORDS: &[&str] = &[
    "public",
    "pubkey",
    "keyid",
    "keyname",
    "keysize",
    "keylength",
    "keytype",
    "keyspace",
    "keyword",
    "keyboard",
    "keypress",
    "keycode",
    "keyframe",
    "keystore",
    "keytab",
    "keychain",
    "keypair",
    "keyring",
    "keyvault",
    "keymesh",
    "keyselector",
    "keysignature",
    "secretname",
    "secretsize",
    "secretlength",
    "secretref",
    "secretsid",
    "secretid",
    "secretkeyref",
    "tokenizer",
    "tokenize",
    "tokentype",
    "tokenurl",
    "tokenuri",
    "tokenendpoint",
    "tokenfile",
    "tokenname",
    "tokenid",
    "tokencount",
    "tokenlimit",
    "tokens",
    "maxtoken",
    "csrf",
    "xsrf",
    "author",
    "accessibility",
    "accessor",
    "accessid",
    "accesslevel",
    "accessmode",
    "accesstype",
    "accesslog",
    "accessurl",
    "randomaccess",
    "apiversion",
    "apiurl",
    "apiuri",
    "apiendpoint",
    "apiname",
    "apiid",
    "apihost",
    "apibase",
    "apipath",
    "apiport",
    "rapid",
    "capital",
    "credentialsid",
    "credentialid",
    "credentialname",
    "withcredentials",
    "authentication",
    "authority",
    "authorize",
    "authmethod",
    "authtype",
    "authmode",
    "authurl",
    "authuri",
    "authendpoint",
    "authprovider",
    "authdomain",
    "passwordfile",
    "passwordpolicy",
    "passwordlength",
    "passwordhash",
    "passwordfield",
    "passwordvariable",
    "passwordreset",
    "passwordinput",
    "passwordprompt",
    "forgotpassword",
    "primarykey",
    "foreignkey",
    "sortkey",
    "partitionkey",
    "hashkey",
    "bucketkey",
    "schemakey",
    "sequencekey",
    "cachekey",
    "idxkey",
    "naturalkey",
    "hotkey",
    "monkey",
    "keying",
    "donkey",
    "turkey",
    "jsonwebtoken",
    "keyvaulttostoresecrets",
    "usersecretsid",
    "secretkeyref",
    "tokenexpir",
    "expiresin",
    "filepath",
    "filename",
];

/// Whether `norm` contains one of [`ID_ALLOWED_WORDS`]: one automaton pass instead of a
/// substring search per word (about 200 of them); an automaton finds a match exactly when
/// one of its words occurs.
fn contains_allowed_word(norm: &str) -> bool {
    static AC: LazyLock<Option<aho_corasick::AhoCorasick>> =
        LazyLock::new(|| aho_corasick::AhoCorasick::new(ID_ALLOWED_WORDS).ok());
    match &*AC {
        Some(ac) => ac.is_match(norm),
        None => ID_ALLOWED_WORDS.iter().any(|w| norm.contains(w)),
    }
}

/// Identifiers that contain a keyword but do not name a secret (`public_key`, `key_id`,
/// `tokenizer`, `author`, ...).
fn generic_identifier_allowed(ident: &str) -> bool {
    let lower = ident.to_ascii_lowercase();
    let norm: String = lower
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect();
    if contains_allowed_word(&norm) {
        return true;
    }
    const ENDS: &[&str] = &[
        "id", "ids", "name", "names", "url", "uri", "path", "file", "size", "length", "type",
        "version", "count", "len", "env", "var", "field", "label", "prefix", "suffix", "format",
        "header", "param", "policy", "mode", "hint", "enabled", "required", "exists", "alias",
    ];
    let last = lower.rsplit(['_', '-', '.']).next().unwrap_or("");
    if ENDS.contains(&last) {
        return true;
    }
    // camelCase last word: `clientId`, `secretName`
    let last_camel: String = {
        let mut start = 0;
        for (i, c) in ident.char_indices() {
            if c.is_ascii_uppercase() {
                start = i;
            }
        }
        ident[start..].to_ascii_lowercase()
    };
    ENDS.contains(&last_camel.as_str()) && last_camel.len() < ident.len()
}

/// Value filters of the generic rule: entropy, structure and common non-secret shapes.
fn generic_value_is_secret(v: &str) -> bool {
    if !passes_entropy(v, 3.5) || is_placeholder(v) {
        return false;
    }
    // words, identifiers, paths, dotted names: no digit and no mixed structure
    if v.chars()
        .all(|c| c.is_ascii_alphabetic() || c == '_' || c == '.' || c == '-')
    {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    // versions, dates, numbers
    if v.chars()
        .all(|c| c.is_ascii_digit() || c == '.' || c == '-' || c == '_' || c == ':')
    {
        return false;
    }
    if lower.starts_with("http") || lower.contains("://") || lower.starts_with("www.") {
        return false;
    }
    // file names and dotted module paths
    const EXT: &[&str] = &[
        ".pem", ".key", ".p12", ".pfx", ".crt", ".cer", ".json", ".yaml", ".yml", ".txt", ".js",
        ".ts", ".py", ".rs", ".go", ".java", ".xml", ".html", ".png", ".jpg", ".gif", ".svg",
        ".jar", ".keytab", ".jks", ".env", ".conf", ".cfg", ".ini", ".toml", ".md", ".exe", ".dll",
        ".so", ".zip", ".gz",
    ];
    if EXT.iter().any(|e| lower.ends_with(e)) {
        return false;
    }
    if lower.contains("snapshot") || lower.contains("release") {
        return false;
    }
    // CamelCase.Member references (`X25519.KeyPair`, `PdfEncryptionKeySize.Key128Bit`)
    if v.contains('.')
        && v.split('.')
            .all(|p| p.chars().next().is_some_and(|c| c.is_ascii_alphabetic()))
        && v.split('.').count() >= 2
        && !v.contains('=')
    {
        let digits = v.chars().filter(|c| c.is_ascii_digit()).count();
        if digits * 4 < v.len() {
            return false;
        }
    }
    const STOP: &[&str] = &[
        "example",
        "sample",
        "dummy",
        "fake",
        "placeholder",
        "changeme",
        "default",
        "password",
        "passwd",
        "secret",
        "token",
        "abcdef",
        "123456",
        "qwerty",
        "lorem",
        "foobar",
        "test-key",
        "testkey",
        "your",
        "mykey",
        "xxxxxx",
        "000000",
        "abcdefghijklmnopqrstuvwxyz",
        "0123456789",
    ];
    if STOP.iter().any(|w| lower.contains(w)) {
        return false;
    }
    // a value that is itself a name (`chain_Key2`, `SECRET_TOKEN_VAR`)
    if ["_key", "key_", "_token", "token_", "_secret", "secret_"]
        .iter()
        .any(|w| lower.contains(w))
        && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return false;
    }
    // a secret value mixes character classes
    let has_digit = v.chars().any(|c| c.is_ascii_digit());
    let has_alpha = v.chars().any(|c| c.is_ascii_alphabetic());
    has_digit && has_alpha
}

/// Drops duplicates and resolves overlaps: a lower rank (more specific rule) wins, then
/// the longer span, then the earlier rule.
fn resolve(mut cands: Vec<Cand>) -> Vec<Finding> {
    cands.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then((b.end - b.start).cmp(&(a.end - a.start)))
            .then(a.start.cmp(&b.start))
    });
    let mut kept: Vec<Cand> = Vec::new();
    for c in cands {
        let overlaps = kept.iter().any(|k| c.start < k.end && k.start < c.end);
        if !overlaps {
            kept.push(c);
        } else if c.rank == 0 {
            // two specific rules overlapping: keep both so redaction covers the union
            if !kept.iter().any(|k| k.start <= c.start && c.end <= k.end) {
                kept.push(c);
            }
        }
    }
    kept.sort_by_key(|c| (c.start, c.end));
    kept.into_iter()
        .map(|c| Finding {
            family: Family::Secret,
            rule: Cow::Borrowed(c.rule),
            start: c.start,
            end: c.end,
            path: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A token body of `n` characters walked through `alphabet` (our own values, never ones
    /// from a probe or corpus).
    fn body(alphabet: &str, n: usize) -> String {
        alphabet.chars().cycle().step_by(7).take(n).collect()
    }

    #[test]
    fn allowed_words_automaton_matches_substring_search() {
        let oracle = |n: &str| ID_ALLOWED_WORDS.iter().any(|w| n.contains(w));
        // every word alone, glued to others, cut at every length, and near misses
        let mut inputs: Vec<String> = vec![String::new(), "apikey".into(), "secret".into()];
        for (i, w) in ID_ALLOWED_WORDS.iter().enumerate() {
            let next = ID_ALLOWED_WORDS[(i + 1) % ID_ALLOWED_WORDS.len()];
            inputs.push((*w).to_string());
            inputs.push(format!("x{w}9"));
            inputs.push(format!("{w}{next}"));
            for cut in 0..w.len() {
                inputs.push(format!("api{}key", &w[..cut]));
                inputs.push(w[cut..].to_string());
            }
        }
        for n in &inputs {
            assert_eq!(contains_allowed_word(n), oracle(n), "{n}");
        }
    }

    fn rules_of(text: &str) -> Vec<String> {
        scan(text)
            .into_iter()
            .map(|f| f.rule.into_owned())
            .collect()
    }

    fn spans(text: &str) -> Vec<&str> {
        scan(text)
            .into_iter()
            .map(|f| &text[f.start..f.end])
            .collect()
    }

    #[test]
    fn every_table_rule_compiles() {
        // Regexes compile lazily in production; a rule that does not compile would only
        // show on its first keyword hit (and then redact fail-closed). Build every one here
        // so that no broken rule ships.
        let engine = Engine::build();
        assert_eq!(engine.table.len(), RULES.len());
        for (i, def) in RULES.iter().enumerate() {
            assert!(
                engine.table_regex(i).is_some(),
                "rule {} does not compile",
                def.id
            );
        }
        assert!(engine.ac.is_some());
        for s in [
            Special::PrivateKey,
            Special::UrlPassword,
            Special::ConnString,
            Special::AuthHeader,
            Special::CurlUser,
            Special::Generic,
        ] {
            assert!(engine.special_regex(s).is_some(), "{s:?} does not compile");
            assert_eq!(
                engine.specials[s as usize].get().map(Option::is_some),
                Some(true)
            );
        }
    }

    #[test]
    fn regexes_compile_only_on_a_keyword_hit() {
        let engine = Engine::build();
        let mut out = Vec::new();
        engine.collect("The quick brown fox. Nothing here.", &mut out);
        assert!(out.is_empty());
        assert!(engine.table.iter().all(|c| c.get().is_none()));
        assert!(engine.specials.iter().all(|c| c.get().is_none()));
        let t = format!("token: ghp_{}", "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2z4A");
        engine.collect(&t, &mut out);
        assert_eq!(resolve(out).len(), 1);
        let built: Vec<&str> = RULES
            .iter()
            .zip(&engine.table)
            .filter(|(_, c)| c.get().is_some())
            .map(|(d, _)| d.id)
            .collect();
        assert!(built.contains(&"github-pat"), "{built:?}");
        assert!(built.len() < 10, "{built:?}");
    }

    /// A rule whose regex does not compile redacts the whole stretch it would have
    /// searched instead of letting its secrets through.
    #[test]
    fn a_rule_that_does_not_compile_fails_closed() {
        let pat = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2z4A");
        let text = format!("log line\ntoken: {pat}\nmore");
        let token_rule = RULES.iter().position(|d| d.id == "github-pat").unwrap();
        let engine = Engine::build();
        engine.table[token_rule].set(None).unwrap();
        let mut out = Vec::new();
        engine.collect(&text, &mut out);
        let f = resolve(out);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].rule.as_ref(), f[0].start, f[0].end),
            ("github-pat", 0, text.len())
        );

        // keyed rule: the window behind the keyword
        let t = "HEROKU_API_KEY=3f6c2a1b-9d4e-4c7a-8b2f-1e0d9c8b7a65 rest";
        let keyed = RULES.iter().position(|d| d.id == "heroku-api-key").unwrap();
        let engine = Engine::build();
        engine.table[keyed].set(None).unwrap();
        let mut out = Vec::new();
        engine.collect(t, &mut out);
        let f = resolve(out);
        let secret = t.find("3f6c").unwrap();
        assert!(
            f.iter()
                .any(|f| f.rule == "heroku-api-key" && f.start <= secret && f.end == t.len()),
            "{f:?}"
        );

        // special rule: generic
        let t = "api_key = \"q8Zr2VbX4nT7mK1pW9sLc3Hd\"";
        let engine = Engine::build();
        engine.specials[Special::Generic as usize]
            .set(None)
            .unwrap();
        engine.specials[Special::AuthHeader as usize]
            .set(None)
            .unwrap();
        let mut out = Vec::new();
        engine.collect(t, &mut out);
        let f = resolve(out);
        let secret = t.find("q8Zr").unwrap();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, GENERIC_RULE);
        assert!(f[0].start <= secret && f[0].end == t.len(), "{f:?}");
    }

    #[test]
    fn keywords_are_lowercase() {
        for def in RULES {
            for kw in def.keywords {
                assert_eq!(*kw, kw.to_ascii_lowercase(), "{}", def.id);
            }
        }
    }

    #[test]
    fn plain_text_has_no_secret() {
        assert!(scan("The quick brown fox jumps over the lazy dog. Nothing here.").is_empty());
        assert!(scan("").is_empty());
    }

    #[test]
    fn aws_access_key() {
        let t = "aws_access_key_id = AKIAQYLPMN5HFIQR7XQB\n";
        assert_eq!(spans(t), vec!["AKIAQYLPMN5HFIQR7XQB"]);
        assert_eq!(rules_of(t), vec!["aws-access-key"]);
        assert!(
            scan("AKIAIOSFODNN7EXAMPLE").is_empty(),
            "documentation key is not a secret"
        );
    }

    #[test]
    fn github_tokens() {
        let pat = format!("ghp_{}", "aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2z4A");
        assert_eq!(rules_of(&format!("token: {pat}")), vec!["github-pat"]);
        let alphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let body: String = alphabet.chars().cycle().step_by(7).take(82).collect();
        let fg = format!("github_pat_{body}");
        assert_eq!(rules_of(&fg), vec!["github-fine-grained-pat"]);
        // A real token with characters glued to its end is still caught, and its 40 bytes
        // never stay visible (the generic rule leaves vendor-prefixed values to this rule).
        let glued = format!("{{\"secret\": \"{pat}Xy9\"}}");
        assert_eq!(rules_of(&glued), vec!["github-pat"]);
        let red = crate::redact::redact(&glued);
        assert!(!red.contains(&pat[4..]), "{red}");
    }

    #[test]
    fn ai_and_platform_tokens_beyond_gitleaks() {
        // Bodies built from a walk over the alphabet, so no test value is a real key.
        let hex = "0123456789abcdef";
        let b62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let cases = [
            (format!("sk-or-v1-{}", body(hex, 64)), "openrouter-api-key"),
            (
                "LANGFUSE_SECRET_KEY=sk-lf-3f2b9c1e-7a4d-4e8b-9c2f-1d5e6a7b8c9d".to_owned(),
                "langfuse-secret-key",
            ),
            (
                format!("lsv2_pt_{}_{}", body(hex, 32), body(hex, 10)),
                "langsmith-api-key",
            ),
            (format!("sbp_{}", body(hex, 40)), "supabase-access-token"),
            (format!("tvly-dev-{}", body(b62, 32)), "tavily-api-key"),
            (format!("fc-{}", body(hex, 32)), "firecrawl-api-key"),
            (format!("sk_{}", body(hex, 48)), "elevenlabs-api-key"),
            (
                format!("pcsk_{}_{}", body(b62, 6), body(b62, 60)),
                "pinecone-api-key",
            ),
            (format!("figd_{}", body(b62, 40)), "figma-access-token"),
            (
                format!("sk.eyJ1Ijoi{}.{}", body(b62, 40), body(b62, 22)),
                "mapbox-secret-token",
            ),
            (format!("csk-{}", body(&b62[..36], 48)), "cerebras-api-key"),
            (
                format!("Authorization: Bearer ya29.{}", body(b62, 120)),
                "gcp-oauth-access-token",
            ),
            (
                format!("client_secret: GOCSPX-{}", body(b62, 28)),
                "gcp-oauth-client-secret",
            ),
        ];
        for (text, rule) in &cases {
            assert_eq!(rules_of(text), vec![*rule], "{text}");
            let red = crate::redact::redact(text);
            assert!(red.contains(&format!("[REDACTED:{rule}]")), "{red}");
        }
        // prefixes alone, short bodies and ordinary words stay clear
        for text in [
            "sk-or-v1-deadbeef",
            "fc-1234",
            "task_queue_size = 48",
            "the csk-1 cluster",
            "figd_",
            "ya29.short",
            "GOCSPX-",
        ] {
            assert!(rules_of(text).is_empty(), "{text}");
        }
    }

    #[test]
    fn vendor_formats_added_after_the_trufflehog_probe() {
        // Our own bodies (alphabet walks), never values from the probe set.
        let lower36 = "0123456789abcdefghijklmnopqrstuvwxyz";
        let b62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let b64 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+/";
        // base64 of `{"org":"acme","url":"https://sentry.example.org"}`: no `iat` claim, so
        // only the structural Sentry row can see it
        let sentry_payload = "eyJvcmciOiJhY21lIiwidXJsIjoiaHR0cHM6Ly9zZW50cnkuZXhhbXBsZS5vcmcifQ==";
        let cases = [
            (
                format!(
                    "steps:\n  - env:\n      BK_TOKEN: bkua_{}",
                    body(lower36, 40)
                ),
                "buildkite-api-token",
            ),
            (
                format!(
                    "asana client token 2/1204455667788990/1207766554433221:{}",
                    body("0123456789abcdef", 32)
                ),
                "asana-personal-access-token",
            ),
            (
                format!("the posthog key phx_{} was rotated", body(b62, 43)),
                "posthog-personal-api-key",
            ),
            (
                format!("curl -d key=nvapi-{} ...", body(b62, 64)),
                "nvidia-api-key",
            ),
            (
                format!("token figp_{}", body(b62, 44)),
                "figma-access-token",
            ),
            (
                format!("docker login -p dckr_oat_{}", body(b62, 30)),
                "docker-hub-oat",
            ),
            (
                format!("auth: sntrys_{sentry_payload}_{}", body(b64, 43)),
                "sentry-org-token",
            ),
            (
                format!("key = sk-proj-{}T3BlbkFJ{}", body(b62, 24), body(b62, 24)),
                "openai-api-key",
            ),
            (
                format!(
                    "sk-service-build-bot-{}T3BlbkFJ{}",
                    body(b62, 20),
                    body(b62, 30)
                ),
                "openai-api-key",
            ),
            (
                format!(
                    "CASTAI_API_KEY=castai_v1_{}_{}",
                    body(lower36, 64),
                    body(lower36, 8)
                ),
                "castai-api-key",
            ),
            (
                format!(
                    "bitbucket app password ATBB{}7F3A90C2 for ci",
                    body(b62, 24)
                ),
                "bitbucket-app-password",
            ),
            (
                format!(
                    "const client = new ApifyClient({{ token: 'apify_api_{}' }});",
                    body(b62, 36)
                ),
                "apify-api-token",
            ),
            (
                "ld sdk-3f2b9c1e-7a4d-4e8b-9c2f-1d5e6a7b8c9d in prod".to_owned(),
                "launchdarkly-access-token",
            ),
            (
                format!("installation token ghs_{}_{}", body(b62, 60), body(b62, 30)),
                "github-app-token",
            ),
            (
                "<server><id>nexus</id><password>q7Vz2mLp9Xk4Rt8w</password></server>".to_owned(),
                "xml-credential-element",
            ),
            (
                format!("<secret>{{AQAAABAAAAAQ{}=}}</secret>", body(b64, 40)),
                "xml-credential-element",
            ),
        ];
        for (text, rule) in &cases {
            assert_eq!(rules_of(text), vec![*rule], "{text}");
            let red = crate::redact::redact(text);
            assert!(red.contains(&format!("[REDACTED:{rule}]")), "{red}");
        }
        // look-alikes: short bodies, the wrong alphabet, public keys, the token shape
        // without its vendor, and Asana task URLs (digits and slashes, no secret)
        for text in [
            format!("bkua_{}", body(lower36, 39)),
            format!("bkua_{}", body(b62, 40).to_ascii_uppercase()),
            format!(
                "2/1204455667788990/1207766554433221:{}",
                body("0123456789abcdef", 32)
            ),
            "see https://app.asana.com/0/1204455667788990/1207766554433221 in asana".to_owned(),
            format!("posthog.init('phc_{}')", body(b62, 43)),
            "phx_short".to_owned(),
            "nvapi-0123456789".to_owned(),
            "figp_short".to_owned(),
            "dckr_oat_abc".to_owned(),
            "sntrys_eyJhIjoiYiJ9_tooShort".to_owned(),
            "the sk-abcT3BlbkFJxyz marker".to_owned(),
            format!("castai_v1_{}", body(lower36, 64)),
            "ATBBshort".to_owned(),
            "apify_api_short".to_owned(),
            "mob-3f2b9c1e-7a4d-4e8b-9c2f-1d5e6a7b8c9d".to_owned(),
            "api-3f2b9c1e-7a4d-1e8b-9c2f-1d5e6a7b8c9d".to_owned(),
            "<password>${env.DEPLOY_PASSWORD}</password>".to_owned(),
            "<apiKey>YOUR_API_KEY</apiKey>".to_owned(),
            "<token>international</token> <secret>false</secret>".to_owned(),
            "<password>{your password}</password>".to_owned(),
        ] {
            assert!(rules_of(&text).is_empty(), "{text}");
        }
    }

    #[test]
    fn vendor_formats_added_in_session_9() {
        // Our own bodies (alphabet walks); formats from the vendors' docs and trufflehog's
        // detector sources.
        let b62 = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        let hex = "0123456789abcdef";
        let cases = [
            (
                format!("CONTENTFUL_MANAGEMENT_TOKEN=CFPAT-{}", body(b62, 43)),
                "contentful-api-token",
            ),
            (
                format!(
                    "tailscale up --authkey tskey-auth-k{}CNTRL-{}",
                    body(b62, 9),
                    body(b62, 33)
                ),
                "tailscale-api-key",
            ),
            (
                format!("token: nfp_{}", body(b62, 36)),
                "netlify-access-token",
            ),
            (
                format!(
                    "Authorization: Bearer pat{}.{}",
                    body(b62, 14),
                    body(hex, 64)
                ),
                "airtable-personal-access-token",
            ),
        ];
        for (text, rule) in &cases {
            assert!(
                rules_of(text).iter().any(|r| r == rule),
                "{text}: {:?}",
                rules_of(text)
            );
            let red = crate::redact::redact(text);
            assert!(red.contains(&format!("[REDACTED:{rule}]")), "{red}");
        }
        for text in [
            format!("CFPAT-{}", body(b62, 20)),
            "see tskey-auth- in the Tailscale docs".to_owned(),
            "nfp_short".to_owned(),
            format!("path{}.{}", body(b62, 14), body(hex, 20)),
            "let pattern = compile(pat);".to_owned(),
        ] {
            assert!(rules_of(&text).is_empty(), "{text}: {:?}", rules_of(&text));
        }
    }

    #[test]
    fn slack_and_stripe() {
        assert_eq!(
            rules_of("SLACK=xoxb-1234567890123-1234567890123-Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8"),
            vec!["slack-bot-token"]
        );
        assert_eq!(
            rules_of("stripe.api_key = 'sk_live_4eC39HqLyjWDarjtT1zdp7dc'"),
            vec!["stripe-access-token"]
        );
    }

    #[test]
    fn private_key_block_is_one_span() {
        let body = "MIIEowIBAAKCAQEA1x2y3z4w5v6u7t8s9r0qAbCdEfGhIjKlMnOpQrStUvWxYz0123456789+/ab";
        let t = format!("key:\n-----BEGIN RSA PRIVATE KEY-----\n{body}\n{body}\n-----END RSA PRIVATE KEY-----\nafter");
        let f = scan(&t);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].rule, PRIVATE_KEY_RULE);
        assert!(t[f[0].start..f[0].end].starts_with("-----BEGIN RSA"));
        assert!(t[f[0].start..f[0].end].ends_with("PRIVATE KEY-----"));
        assert!(
            scan("-----BEGIN PRIVATE KEY-----\nanything\n-----END PRIVATE KEY-----").is_empty()
        );
    }

    #[test]
    fn truncated_private_key_is_still_found() {
        let t = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAABlwAAAAdzc2gtcn\nNhAAAAAwEAAQAAAYEAq9";
        assert_eq!(rules_of(t), vec![PRIVATE_KEY_RULE]);
    }

    #[test]
    fn jwt() {
        let t = "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";
        let f = scan(t);
        assert_eq!(f.len(), 1);
        assert!(t[f[0].start..f[0].end].starts_with("eyJhbGci"));
    }

    #[test]
    fn password_in_url_and_connection_string() {
        let t = "DATABASE_URL=postgres://app:Zk7#qP9vLm2@db.example.com:5432/app";
        assert_eq!(spans(t), vec!["Zk7#qP9vLm2"]);
        assert!(scan("see https://user:password@example.com").is_empty());
        let c = "Server=tcp:db.example.net,1433;Database=app;User Id=app;Password=Qv8!rT2#mW5z;Encrypt=true";
        assert_eq!(spans(c), vec!["Qv8!rT2#mW5z"]);
    }

    #[test]
    fn generic_rule_needs_entropy_and_a_secret_name() {
        assert_eq!(
            rules_of("api_key = \"q8Zr2VbX4nT7mK1pW9sLc3Hd\""),
            vec![GENERIC_RULE]
        );
        assert!(scan("api_key = \"changeme\"").is_empty());
        assert!(scan("public_key = \"9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit\"").is_empty());
        assert!(scan("client_id = \"9Cnzj4p4WGeKLs1Pt8QuKUpRKfFLfRYC9AIKjbJTWit\"").is_empty());
        assert!(scan("token = ${API_TOKEN}").is_empty());
        assert!(scan(
            "keyStr = \"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789\""
        )
        .is_empty());
    }

    #[test]
    fn assigned_rules_read_the_value_after_the_name() {
        let t = "HEROKU_API_KEY=3f6c2a1b-9d4e-4c7a-8b2f-1e0d9c8b7a65";
        assert_eq!(rules_of(t), vec!["heroku-api-key"]);
        assert_eq!(spans(t), vec!["3f6c2a1b-9d4e-4c7a-8b2f-1e0d9c8b7a65"]);
    }

    #[test]
    fn auth_header_and_curl_user() {
        assert_eq!(
            spans("curl -H 'Authorization: Bearer 9f8e7d6c5b4a39281706f5e4d3c2b1a0' x"),
            vec!["9f8e7d6c5b4a39281706f5e4d3c2b1a0"]
        );
        assert!(scan("curl -H \"Authorization: Bearer $TOKEN\"").is_empty());
        assert_eq!(
            spans("curl -u admin:S3cr3tPw9 https://x"),
            vec!["admin:S3cr3tPw9"]
        );
        assert!(scan("curl -u user:password https://x").is_empty());
        assert!(scan("curl -u <user:password> https://x").is_empty());
        assert_eq!(
            spans("curl -H \"Token: 3fea6af1349166ea\" -d x"),
            vec!["3fea6af1349166ea"]
        );
    }

    #[test]
    fn ascii_rewrite() {
        assert_eq!(
            ascii_classes(r"\b(x\w[\w-]\d)\b"),
            r"(?-u:\b)(x[0-9A-Za-z_][0-9A-Za-z_-][0-9])(?-u:\b)"
        );
        assert_eq!(ascii_classes(r"[^\w-]"), r"[^0-9A-Za-z_-]");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        /// The byte-level gate accepts wherever the `ASSIGN` regex matches, so gating the
        /// keyed and generic rules with it changes no finding.
        #[test]
        fn assignment_gate_is_a_necessary_condition(
            text in "([ \t\n\r\x0b\x0c'\"`=:>|?,._a-zA-Z0-9-]|\u{a0}|\u{2003}|\u{3000}|\u{85}|é){0,40}"
        ) {
            let Some(re) = build_regex(ASSIGN) else {
                panic!("ASSIGN does not compile");
            };
            for i in (0..=text.len()).filter(|&i| text.is_char_boundary(i)) {
                if re.is_match(&text[i..]) {
                    proptest::prop_assert!(assignment_follows(&text, i), "{:?} at {}", text, i);
                }
            }
        }
    }

    #[test]
    fn entropy_is_bits_per_byte() {
        assert_eq!(shannon_entropy("aaaa"), 0.0);
        assert!((shannon_entropy("abcd") - 2.0).abs() < 1e-6);
    }

    #[test]
    fn rule_ids_are_unique_and_listed() {
        let ids = rule_ids();
        assert!(ids.contains(&"aws-access-key"));
        assert!(ids.contains(&GENERIC_RULE));
        let mut sorted = ids.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), ids.len());
    }
}
