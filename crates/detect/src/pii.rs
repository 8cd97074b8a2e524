//! PII detection (family `pii`) with validation (Luhn, IBAN checksum).
//!
//! Structured identifiers only, each validated beyond its shape where a checksum or a
//! strict format exists:
//!
//! | rule | what | validation |
//! |---|---|---|
//! | `email` | e-mail address | shape, TLD of letters |
//! | `credit-card` | payment card number, 13-19 digits, spaces/dashes allowed | Luhn + issuer prefix |
//! | `iban` | international bank account number | country length + mod-97 |
//! | `us-ssn` | US social security number | area/group/serial ranges; bare 9 digits only with context |
//! | `uk-nino` | UK national insurance number | prefix letters, suffix A-D |
//! | `phone` | phone number, international or national | 7-15 digits (an extension apart); `+`/`(…)`/extension or NANP shape, or a trunk `0` area code and `/` (`0221/4711088`), else a phone word nearby; bare 8-9 digits, other slash and dotted forms only right after a word naming a phone; dates, times, versions, IPs excluded |
//! | `ip-address` | IPv4 dotted quad, IPv6 | parsed by `std::net` |
//! | `driver-license` | driving licence number | only after a licence word: 1-2 letters + 4-14 digits, 5-15 digits, dashed digit groups, a letter + dashed groups `L123-4567-8901(-23)` (US state formats), or the 16-character UK (DVLA) number |
//!
//! National identity, tax and health numbers (UK NHS, Spanish NIF/NIE, Italian codice
//! fiscale, Polish PESEL, Dutch BSN, Belgian national number, French NIR, Finnish HETU,
//! Singapore NRIC/FIN, Australian TFN/Medicare/ABN, Indian Aadhaar/PAN, Brazilian CPF,
//! Chinese resident id, Korean RRN, Canadian SIN, Swedish personnummer, US ITIN/passport,
//! German Steuer-ID) live in [`national`]; their table (format, check, context) is in
//! `docs/redaction.md`.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::OnceLock;

use regex::Regex;

use crate::finding::{Family, Finding};

mod national;

/// Rule ids of this module, in reporting order.
pub const RULE_IDS: &[&str] = &[
    "email",
    "credit-card",
    "iban",
    "us-ssn",
    "uk-nino",
    "phone",
    "ip-address",
    "driver-license",
    // national numbers: after the rules above, so that none of their findings changes
    "uk-nhs",
    "es-nif",
    "es-nie",
    "it-fiscal-code",
    "pl-pesel",
    "nl-bsn",
    "be-national-number",
    "fr-nir",
    "fi-hetu",
    "sg-nric",
    "au-tfn",
    "au-medicare",
    "au-abn",
    "in-aadhaar",
    "br-cpf",
    "cn-resident-id",
    "kr-rrn",
    "ca-sin",
    "se-personnummer",
    "in-pan",
    "us-itin",
    "us-passport",
    "de-tax-id",
    "mx-curp",
    "ch-ahv",
    "tr-tckn",
    "no-fodselsnummer",
    "ro-cnp",
    "gr-amka",
    "at-svnr",
];

type Meta = regex_automata::meta::Regex;

/// A regex compiled on its first use: a process holds only the PII regexes its traffic
/// needs (the number-shaped ones are large: Unicode `\d` in bounded repetitions). `None`
/// inside means the pattern does not compile; the scan then fails closed over the stretch
/// the regex would have searched, and `every_regex_compiles` keeps that from shipping.
struct Lazy<R> {
    cell: OnceLock<Option<R>>,
    src: &'static str,
}

/// The two regex types the scanner uses.
trait Compile: Sized {
    fn compile(src: &str) -> Option<Self>;
}

impl Compile for Regex {
    fn compile(src: &str) -> Option<Self> {
        Regex::new(src).ok()
    }
}

impl Compile for Meta {
    fn compile(src: &str) -> Option<Self> {
        Meta::new(src).ok()
    }
}

impl<R: Compile> Lazy<R> {
    const fn new(src: &'static str) -> Self {
        Lazy {
            cell: OnceLock::new(),
            src,
        }
    }

    fn get(&self) -> Option<&R> {
        self.cell.get_or_init(|| R::compile(self.src)).as_ref()
    }
}

struct Pii {
    email: Lazy<Regex>,
    card: Lazy<Meta>,
    iban: Lazy<Meta>,
    ssn: Lazy<Meta>,
    nino: Lazy<Meta>,
    phone: Lazy<Meta>,
    ipv4: Lazy<Meta>,
    ipv6: Lazy<Meta>,
    dl: Lazy<Regex>,
    /// Digit-only national number candidates ([`national::NUM_SRC`]).
    natnum: Lazy<Meta>,
    /// National number candidates with letters ([`national::ALPHA_SRC`]).
    natalpha: Lazy<Meta>,
}

impl Pii {
    const fn new() -> Pii {
        Pii {
            email: Lazy::new(
                r"(?i)\b[a-z0-9](?:[a-z0-9._%+-]{0,63})@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}\b",
            ),
            card: Lazy::new(r"\b(?:\d[ -]?){11,18}\d\b"),
            iban: Lazy::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b"),
            ssn: Lazy::new(r"\b(\d{3})([- ]?)(\d{2})([- ]?)(\d{4})\b"),
            nino: Lazy::new(
                r"(?i)\b([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?(\d{2}) ?(\d{2}) ?(\d{2}) ?([A-D])\b",
            ),
            phone: Lazy::new(
                r"(?:\+\d{1,3}[ .-]?|\b00\d{1,3}[ .-]|\b|)(?:\(\+?\d{1,6}\)[ ./-]?)?\d{1,12}(?:[ ./-]\(?\d{1,10}\)?){0,5}(?:[ ]?(?:x|ext\.?|#)[ ]?\d{1,6})?\b",
            ),
            ipv4: Lazy::new(r"\b(?:\d{1,3}\.){3}\d{1,3}\b"),
            ipv6: Lazy::new(
                r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:[0-9a-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?",
            ),
            dl: Lazy::new(
                r"(?i)\b(?:driver'?s?|driving)[ _-]?(?:licen[cs]e|lic\.?|permit)(?:[ _-]?(?:number|no\.?|num|#|id))?\b[^\n\d]{0,20}?\b([A-Z9]{5}\d{6}[A-Z9]{2}\d[A-Z]{2}|[A-Z]\d{3}[- ]\d{4}[- ]\d{4}(?:[- ]\d{2})?|[A-Z]{1,2}[- ]?\d{4,14}|\d{5,15}|\d{2,4}-\d{2,4}-\d{2,5}|[A-Z]\d{3}-\d{3}-\d{2}-\d{3}-\d)\b",
            ),
            natnum: Lazy::new(national::NUM_SRC),
            natalpha: Lazy::new(national::ALPHA_SRC),
        }
    }
}

static PII: Pii = Pii::new();

/// A maximal run of bytes that a number-shaped PII match may contain, with counts that
/// tell which rules can possibly match inside it.
///
/// Why this is exact: none of the card, IBAN, SSN, NINO, phone and IPv4 patterns can match
/// a byte outside [`NUMBER_CLASSES`] (they use spaces, never `\s`), so no match crosses
/// a segment edge, and every match lies inside one segment. The regexes then run over the
/// segment as a *range* of the whole text (`regex_automata::Input::range`), so `\b` still
/// sees the bytes around it and each match is the one a whole-text search finds. A rule
/// skips a segment that has fewer digits than any match of it needs; non-ASCII bytes count
/// as digits (Unicode `\d`), which only ever runs a regex more, never less.
#[derive(Debug, Clone, Copy)]
struct Segment {
    start: usize,
    end: usize,
    /// ASCII digits plus non-ASCII bytes.
    digits: usize,
    dots: usize,
    upper: usize,
    /// Which of the card, SSN and NINO shapes the segment's bytes hold ([`shapes`]).
    shapes: u8,
}

/// A run of 12+ digits with single spaces or dashes between them (`credit-card`).
const SHAPE_CARD: u8 = 1;
/// `ddd[- ]?dd[- ]?dddd` (`us-ssn`).
const SHAPE_SSN: u8 = 2;
/// Two letters, then three digit pairs, each after an optional space (`uk-nino`).
const SHAPE_NINO: u8 = 4;
const SHAPE_ANY: u8 = SHAPE_CARD | SHAPE_SSN | SHAPE_NINO;

/// The shapes `b` holds: necessary conditions of the card, SSN and NINO patterns, checked
/// on the bytes before a regex runs (most number segments in logs, such as timestamps and
/// addresses, hold none). Non-ASCII text may hold Unicode digits and letters that fold to
/// ASCII ones, whose byte layout these checks do not model: it counts as holding every shape.
/// (The national numbers check their own shapes, in [`national_candidates`], only on the
/// segments their counts allow.)
fn shapes(b: &[u8]) -> u8 {
    if !b.is_ascii() {
        return SHAPE_ANY;
    }
    let mut out = 0;
    if has_card_shape(b) {
        out |= SHAPE_CARD;
    }
    // Both shapes hold a digit close to where they start (an SSN at its first byte, a NINO
    // two or three bytes after it), so only the positions around digits are tried; in
    // segments of prose and log lines most bytes are letters and spaces.
    let (mut ssn, mut nino) = (false, false);
    for (d, _) in b.iter().enumerate().filter(|(_, c)| c.is_ascii_digit()) {
        ssn = ssn || ssn_shape_at(b, d);
        nino = nino || (d >= 2 && nino_shape_at(b, d - 2)) || (d >= 3 && nino_shape_at(b, d - 3));
        if ssn && nino {
            break;
        }
    }
    if ssn {
        out |= SHAPE_SSN;
    }
    if nino {
        out |= SHAPE_NINO;
    }
    out
}

/// `(?:\d[ -]?){11,18}\d`: twelve digits, consecutive ones at most one separator apart.
fn has_card_shape(b: &[u8]) -> bool {
    let mut digits = 0usize;
    let mut after_sep = false;
    for &c in b {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 12 {
                return true;
            }
            after_sep = false;
        } else if matches!(c, b' ' | b'-') && digits > 0 && !after_sep {
            after_sep = true;
        } else {
            digits = 0;
            after_sep = false;
        }
    }
    false
}

fn digits_at(b: &[u8], i: usize, n: usize) -> bool {
    b.get(i..i + n)
        .is_some_and(|w| w.iter().all(u8::is_ascii_digit))
}

/// Offsets after an optional byte of `seps` at `i`: `i`, and `i + 1` when it is one.
fn optional(b: &[u8], i: usize, seps: &[u8]) -> impl Iterator<Item = usize> {
    let one = b.get(i).is_some_and(|c| seps.contains(c));
    std::iter::once(i).chain(one.then_some(i + 1))
}

/// `\d{3}[- ]?\d{2}[- ]?\d{4}` at `i`.
fn ssn_shape_at(b: &[u8], i: usize) -> bool {
    digits_at(b, i, 3)
        && optional(b, i + 3, b"- ")
            .any(|j| digits_at(b, j, 2) && optional(b, j + 2, b"- ").any(|k| digits_at(b, k, 4)))
}

/// `[a-z]{2} ?\d{2} ?\d{2} ?\d{2}` (any ASCII case) at `i`.
fn nino_shape_at(b: &[u8], i: usize) -> bool {
    let letter = |k: usize| b.get(k).is_some_and(u8::is_ascii_alphabetic);
    letter(i)
        && letter(i + 1)
        && optional(b, i + 2, b" ").any(|j| {
            digits_at(b, j, 2)
                && optional(b, j + 2, b" ").any(|k| {
                    digits_at(b, k, 2) && optional(b, k + 2, b" ").any(|l| digits_at(b, l, 2))
                })
        })
}

/// Per-byte increments of a segment alphabet, packed into one `u64` so that the scan does
/// one table load and one add per byte: digits (ASCII digits and non-ASCII bytes) in bits
/// 0-20, the alphabet's counted separator (`.` for numbers, `:` for IPv6) in bits 21-41,
/// ASCII capitals in bits 42-62. [`OUT`] marks bytes outside the alphabet.
const OUT: u64 = u64::MAX;
const DIGIT: u64 = 1;
const COUNTED: u64 = 1 << 21;
const UPPER: u64 = 1 << 42;
const MEMBER: u64 = 0;
const FIELD: u64 = (1 << 21) - 1;
/// Longest run counted exactly; longer runs (megabytes without a separator) count as
/// "anything may match here", which only runs the regexes more.
const MAX_EXACT_RUN: usize = 1 << 20;

/// Bytes a number-shaped PII match (card, IBAN, SSN, NINO, phone, IPv4) may contain:
/// ASCII alphanumerics, ` -.()+#`, and non-ASCII bytes (Unicode `\d`, case folding).
static NUMBER_CLASSES: [u64; 256] = {
    let mut t = [OUT; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_digit() || b >= 0x80 {
            DIGIT
        } else if b == b'.' {
            COUNTED
        } else if b.is_ascii_uppercase() {
            UPPER
        } else if b.is_ascii_lowercase() || matches!(b, b' ' | b'-' | b'(' | b')' | b'+' | b'#') {
            MEMBER
        } else {
            OUT
        };
        i += 1;
    }
    t
};

/// Bytes an IPv6 match may contain: hex digits, `:`, `.` of an embedded IPv4, and
/// non-ASCII bytes (Unicode `\d`).
static IPV6_CLASSES: [u64; 256] = {
    let mut t = [OUT; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = if b.is_ascii_digit() || b >= 0x80 {
            DIGIT
        } else if b == b':' {
            COUNTED
        } else if b.is_ascii_hexdigit() || b == b'.' {
            MEMBER
        } else {
            OUT
        };
        i += 1;
    }
    t
};

/// The segments of `bytes` over the alphabet `classes` describes that hold a digit or at
/// least two counted bytes.
fn segments(bytes: &[u8], classes: &[u64; 256]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        // skip bytes outside the alphabet
        while i < n && classes[usize::from(bytes[i])] == OUT {
            i += 1;
        }
        let start = i;
        let mut acc = 0u64;
        while i < n {
            let c = classes[usize::from(bytes[i])];
            if c == OUT {
                break;
            }
            acc = acc.wrapping_add(c);
            i += 1;
        }
        let field = |shift: u32| usize::try_from((acc >> shift) & FIELD).unwrap_or(usize::MAX);
        let (digits, dots, upper) = if i - start >= MAX_EXACT_RUN {
            (usize::MAX, usize::MAX, usize::MAX)
        } else {
            (field(0), field(21), field(42))
        };
        if i > start && (digits > 0 || dots > 1) {
            // the shapes matter only to rules that need six digits or more
            let shapes = match digits {
                0..=5 => 0,
                usize::MAX => SHAPE_ANY,
                _ => shapes(&bytes[start..i]),
            };
            out.push(Segment {
                start,
                end: i,
                digits,
                dots,
                upper,
                shapes,
            });
        }
    }
    out
}

/// Whether a phone match may contain byte `b`: the phone regex is made of `\\d` (ASCII
/// digits, and non-ASCII bytes for Unicode digits), `+`, `(`, `)`, `#`, the separators
/// ` ./-`, and the lowercase extension marks `x` and `ext.` (it has no `(?i)`).
fn phone_byte(b: u8) -> bool {
    b.is_ascii_digit()
        || b >= 0x80
        || matches!(
            b,
            b' ' | b'.' | b'/' | b'-' | b'(' | b')' | b'+' | b'#' | b'x' | b'e' | b't'
        )
}

/// The stretches the phone regex runs in: the maximal runs of [`phone_byte`] inside chains
/// of segments joined by one `/` (`0221/1234567`: `/` is not a segment byte) that hold 7
/// digits or more, where the run holds 7 ASCII digits or more itself.
///
/// Why this is exact: every phone byte but `/` is a segment byte, and the regex has `/` only
/// as a single separator between a digit or `)` and a digit or `(` (each side's `)` or `(`
/// next to a digit), so a match lies inside one chain of segments, each of them holding a
/// digit (segments without digits are not listed, and no match needs one). Every phone match
/// then lies inside one run (it contains no other byte), so the leftmost-first matches over a
/// chain are the matches over its runs taken in order (the regex has no empty match, and the
/// runs are searched as ranges of the whole text, so `\b` sees the bytes around them); a match
/// in a run with fewer than 7 ASCII digits has fewer than 7 itself, and [`is_phone`] rejects
/// it. Log lines are the case this is for: a timestamp, a status code and a port number share
/// a segment (letters and spaces belong to segments) and each would be one regex match, all of
/// them rejected. Chains whose counts are not exact (whole-text and huge segments) are kept as
/// they are.
fn phone_runs(bytes: &[u8], segs: &[Segment]) -> Vec<Segment> {
    let mut out = Vec::new();
    let mut k = 0;
    while k < segs.len() {
        // the chain segs[k..=last]: neighbours one `/` apart
        let mut last = k;
        let mut digits = segs[k].digits;
        while let Some(next) = segs.get(last + 1) {
            let gap = segs[last].end;
            if next.start != gap + 1 || bytes.get(gap) != Some(&b'/') {
                break;
            }
            digits = digits.saturating_add(next.digits);
            last += 1;
        }
        let chain = Segment {
            end: segs[last].end,
            digits,
            ..segs[k]
        };
        k = last + 1;
        if chain.digits < 7 {
            continue;
        }
        if chain.digits == usize::MAX {
            out.push(chain);
            continue;
        }
        let mut i = chain.start;
        while i < chain.end {
            while i < chain.end && !phone_byte(bytes[i]) {
                i += 1;
            }
            let start = i;
            let mut digits = 0;
            while i < chain.end && phone_byte(bytes[i]) {
                digits += usize::from(bytes[i].is_ascii_digit());
                i += 1;
            }
            if digits >= 7 {
                out.push(Segment {
                    start,
                    end: i,
                    digits,
                    ..chain
                });
            }
        }
    }
    out
}

/// The IPv6 segments that can hold a match: every IPv6 match has two colons with at most
/// four hex digits between them (`(?:[0-9a-f]{0,4}:){2,7}`), so only the maximal runs of
/// [`IPV6_CLASSES`] around such a pair are kept. Colons are found with `memchr`, so text
/// without close colon pairs costs one vectorized pass.
/// Whether an address can point at a person's machine: loopback (`127.0.0.0/8`, `::1`) and
/// unspecified (`0.0.0.0`, `::`) addresses name no host and fill every server log.
fn names_a_host(ip: std::net::IpAddr) -> bool {
    !(ip.is_loopback() || ip.is_unspecified())
}

fn ipv6_segments(bytes: &[u8]) -> Vec<Segment> {
    let member = |b: u8| IPV6_CLASSES[usize::from(b)] != OUT;
    let mut out = Vec::new();
    let mut last_end = 0;
    let mut prev: Option<usize> = None;
    for p in memchr::memchr_iter(b':', bytes) {
        if let Some(q) = prev {
            let between = &bytes[q + 1..p];
            if q >= last_end && between.len() <= 4 && between.iter().all(u8::is_ascii_hexdigit) {
                let mut start = q;
                while start > 0 && member(bytes[start - 1]) {
                    start -= 1;
                }
                let mut end = p + 1;
                while end < bytes.len() && member(bytes[end]) {
                    end += 1;
                }
                let colons = bytes[start..end].iter().filter(|&&b| b == b':').count();
                out.push(Segment {
                    start,
                    end,
                    digits: usize::MAX,
                    dots: colons,
                    upper: 0,
                    shapes: SHAPE_ANY,
                });
                last_end = end;
            }
        }
        prev = Some(p);
    }
    out
}

/// Leftmost-first matches of `re` inside the segments `keep` selects, in text order.
fn matches_in<'a>(
    re: &'a Meta,
    text: &'a str,
    segs: &'a [Segment],
    keep: impl Fn(&Segment) -> bool + 'a,
) -> impl Iterator<Item = regex_automata::Match> + 'a {
    segs.iter()
        .filter(move |s| keep(s))
        .flat_map(move |s| re.find_iter(regex_automata::Input::new(text).range(s.start..s.end)))
}

/// Like [`matches_in`], with capture groups.
fn captures_in<'a>(
    re: &'a Meta,
    text: &'a str,
    segs: &'a [Segment],
    keep: impl Fn(&Segment) -> bool + 'a,
) -> impl Iterator<Item = regex_automata::util::captures::Captures> + 'a {
    segs.iter()
        .filter(move |s| keep(s))
        .flat_map(move |s| re.captures_iter(regex_automata::Input::new(text).range(s.start..s.end)))
}

/// Scans `text` for structured PII and returns findings sorted by start offset.
pub fn scan(text: &str) -> Vec<Finding> {
    scan_with(&PII, text, false)
}

/// Like [`scan`], without the rules named in `skip` (ids from [`RULE_IDS`]). They are left
/// out before overlapping candidates are resolved, so a number that a skipped rule would
/// have claimed is still found by any other rule that matches it.
pub fn scan_except(text: &str, skip: &[String]) -> Vec<Finding> {
    scan_inner(&PII, text, false, skip)
}

/// `whole` runs every regex over the whole text instead of the segments: the reference the
/// segment gating is tested against.
fn scan_with(p: &Pii, text: &str, whole: bool) -> Vec<Finding> {
    scan_inner(p, text, whole, &[])
}

/// The number segments the digit rules run in; `whole` makes the whole text one segment
/// that holds every shape (the reference the gating is tested against).
fn number_segments(text: &str, whole: bool) -> Vec<Segment> {
    if whole {
        vec![Segment {
            start: 0,
            end: text.len(),
            digits: usize::MAX,
            dots: usize::MAX,
            upper: usize::MAX,
            shapes: SHAPE_ANY,
        }]
    } else {
        segments(text.as_bytes(), &NUMBER_CLASSES)
    }
}

fn scan_inner(p: &Pii, text: &str, whole: bool, skip: &[String]) -> Vec<Finding> {
    let mut out: Vec<(usize, usize, &'static str)> = Vec::new();
    // spans of rules whose regex does not compile (fail closed), kept out of overlap
    // resolution so that nothing else can shrink them
    let mut failed: Vec<(usize, usize, &'static str)> = Vec::new();
    let bytes = text.as_bytes();
    let has_at = memchr_byte(bytes, b'@');
    let has_digit = bytes.iter().any(u8::is_ascii_digit);

    if has_at {
        match p.email.get() {
            Some(re) => {
                for m in re.find_iter(text) {
                    out.push((m.start(), m.end(), "email"));
                }
            }
            None => failed.push((0, text.len(), "email")),
        }
    }
    if !has_digit {
        return finish(out, failed, skip);
    }
    let segs = number_segments(text, whole);
    let span = |c: &regex_automata::util::captures::Captures, i: usize| {
        c.get_group(i)
            .map(|s| (s.start, s.end, &text[s.start..s.end]))
    };
    let card_gate = |s: &Segment| s.digits >= 12 && s.shapes & SHAPE_CARD != 0;
    if let Some(re) = segment_regex(&p.card, &segs, card_gate, "credit-card", &mut failed) {
        for m in matches_in(re, text, &segs, card_gate) {
            let (s, e) = (m.start(), m.end());
            if valid_card(&text[s..e], || context_before(text, s, CARD_WORDS)) {
                out.push((s, e, "credit-card"));
            }
        }
    }
    let iban_gate = |s: &Segment| s.digits >= 2 && s.upper >= 2 && s.end - s.start >= 12;
    if let Some(re) = segment_regex(&p.iban, &segs, iban_gate, "iban", &mut failed) {
        for m in matches_in(re, text, &segs, iban_gate) {
            if valid_iban(&text[m.range()]) {
                out.push((m.start(), m.end(), "iban"));
            }
        }
    }
    let ssn_gate = |s: &Segment| s.digits >= 9 && s.shapes & SHAPE_SSN != 0;
    if let Some(re) = segment_regex(&p.ssn, &segs, ssn_gate, "us-ssn", &mut failed) {
        for c in captures_in(re, text, &segs, ssn_gate) {
            let (Some(all), Some(a), Some(s1), Some(g), Some(s2), Some(s)) = (
                span(&c, 0),
                span(&c, 1),
                span(&c, 2),
                span(&c, 3),
                span(&c, 4),
                span(&c, 5),
            ) else {
                continue;
            };
            if s1.2 != s2.2 || !valid_ssn(a.2, g.2, s.2) {
                continue;
            }
            if s1.2.is_empty()
                && !context_before(
                    text,
                    all.0,
                    &[
                        "ssn",
                        "social security",
                        "social-security",
                        "tax id",
                        "taxpayer",
                    ],
                )
            {
                continue;
            }
            if is_inside_longer_number(text, all.0, all.1) {
                continue;
            }
            out.push((all.0, all.1, "us-ssn"));
        }
    }
    let nino_gate = |s: &Segment| s.digits >= 6 && s.shapes & SHAPE_NINO != 0;
    if let Some(re) = segment_regex(&p.nino, &segs, nino_gate, "uk-nino", &mut failed) {
        for c in captures_in(re, text, &segs, nino_gate) {
            let (Some(all), Some(prefix)) = (span(&c, 0), span(&c, 1)) else {
                continue;
            };
            let pre = prefix.2.to_ascii_uppercase();
            if ["BG", "GB", "NK", "KN", "TN", "NT", "ZZ"].contains(&pre.as_str()) {
                continue;
            }
            // lower-case runs are ordinary words + numbers; NINOs are written in capitals
            if all.2.chars().any(|c| c.is_ascii_lowercase()) {
                continue;
            }
            out.push((all.0, all.1, "uk-nino"));
        }
    }
    // every match starts with `driv` in some case (no non-ASCII character folds to one of
    // those letters: `licence_words_fold_only_to_ascii`), so text without it skips the
    // regex and never compiles it
    if mentions_driv(bytes) {
        match p.dl.get() {
            Some(re) => {
                for c in re.captures_iter(text) {
                    let Some(m) = c.get(1) else { continue };
                    out.push((m.start(), m.end(), "driver-license"));
                }
            }
            None => failed.push((0, text.len(), "driver-license")),
        }
    }
    let ipv4_gate = |s: &Segment| s.digits >= 4 && s.dots >= 3;
    if let Some(re) = segment_regex(&p.ipv4, &segs, ipv4_gate, "ip-address", &mut failed) {
        for m in matches_in(re, text, &segs, ipv4_gate) {
            if text[m.range()]
                .parse::<Ipv4Addr>()
                .is_ok_and(|ip| names_a_host(ip.into()))
                && !looks_like_version(text, m.start(), m.end())
            {
                out.push((m.start(), m.end(), "ip-address"));
            }
        }
    }
    if memchr_byte(bytes, b':') {
        let v6 = if whole {
            number_segments(text, true)
        } else {
            ipv6_segments(bytes)
        };
        let ipv6_gate = |s: &Segment| s.dots >= 2;
        if let Some(re) = segment_regex(&p.ipv6, &v6, ipv6_gate, "ip-address", &mut failed) {
            for m in matches_in(re, text, &v6, ipv6_gate) {
                let s = &text[m.range()];
                if s.len() >= 6
                    && s.matches(':').count() >= 2
                    && s.parse::<Ipv6Addr>()
                        .is_ok_and(|ip| names_a_host(ip.into()))
                    && !is_time_like(s)
                    && word_boundary(text, m.start(), m.end())
                {
                    out.push((m.start(), m.end(), "ip-address"));
                }
            }
        }
    }
    let phone_segs = phone_runs(bytes, &segs);
    let phone_gate = |s: &Segment| s.digits >= 7;
    if let Some(re) = segment_regex(&p.phone, &phone_segs, phone_gate, "phone", &mut failed) {
        for m in matches_in(re, text, &phone_segs, phone_gate) {
            if is_phone(text, m.start(), m.end()) {
                out.push((m.start(), m.end(), "phone"));
            }
        }
    }
    national_numbers(p, text, &segs, &mut out, &mut failed);
    finish(out, failed, skip)
}

/// The two national-number candidate regexes, each over the segments whose counts and
/// byte shape ([`national::shapes`], one pass for both) allow a match; whole-text
/// segments and segments of non-ASCII text count as allowing both. (The `failed` rule of a
/// regex that does not compile is the first of its rules.)
fn national_candidates(
    p: &Pii,
    text: &str,
    segs: &[Segment],
    failed: &mut Vec<(usize, usize, &'static str)>,
) -> [(Vec<regex_automata::Match>, bool); 2] {
    let bytes = text.as_bytes();
    let (mut num_segs, mut alpha_segs) = (Vec::new(), Vec::new());
    for s in segs {
        let want_num = s.digits >= national::NUM_MIN_DIGITS;
        let want_alpha = national::alpha_possible(s.digits, s.upper);
        if !(want_num || want_alpha) {
            continue;
        }
        let (num, alpha) = if s.digits == usize::MAX {
            (want_num, want_alpha)
        } else {
            national::shapes(&bytes[s.start..s.end], want_num, want_alpha, s.upper >= 5)
        };
        if num {
            num_segs.push(*s);
        }
        if alpha {
            alpha_segs.push(*s);
        }
    }
    let all = |_: &Segment| true;
    let num = segment_regex(&p.natnum, &num_segs, all, "uk-nhs", failed)
        .map(|re| matches_in(re, text, &num_segs, all).collect())
        .unwrap_or_default();
    let alpha = segment_regex(&p.natalpha, &alpha_segs, all, "es-nif", failed)
        .map(|re| matches_in(re, text, &alpha_segs, all).collect())
        .unwrap_or_default();
    [(num, true), (alpha, false)]
}

/// National identity numbers: candidates of the two regexes, classified and validated by
/// [`national`].
fn national_numbers(
    p: &Pii,
    text: &str,
    segs: &[Segment],
    out: &mut Vec<(usize, usize, &'static str)>,
    failed: &mut Vec<(usize, usize, &'static str)>,
) {
    for (matches, numeric) in national_candidates(p, text, segs, failed) {
        for m in matches {
            let rule = if numeric {
                national::classify_num(text, m.start(), m.end())
            } else {
                national::classify_alpha(text, m.start(), m.end())
            };
            if let Some(rule) = rule {
                out.push((m.start(), m.end(), rule));
            }
        }
    }
}

/// The regex of a segment rule, compiled only once some segment passes the rule's gate.
/// If it does not compile, every such segment (the stretch the regex would have searched)
/// goes to `failed` as a finding of `rule`, and `None` is returned.
fn segment_regex<'a, R: Compile>(
    lazy: &'a Lazy<R>,
    segs: &[Segment],
    gate: impl Fn(&Segment) -> bool,
    rule: &'static str,
    failed: &mut Vec<(usize, usize, &'static str)>,
) -> Option<&'a R> {
    if !segs.iter().any(&gate) {
        return None;
    }
    let re = lazy.get();
    if re.is_none() {
        failed.extend(
            segs.iter()
                .filter(|s| gate(s))
                .map(|s| (s.start, s.end, rule)),
        );
    }
    re
}

/// True when `driv` occurs in any ASCII case: a necessary condition of the licence rule.
/// Looks for the `v` (rare in prose, unlike `d`) and then at the three bytes before it.
fn mentions_driv(bytes: &[u8]) -> bool {
    memchr::memchr2_iter(b'v', b'V', bytes).any(|i| {
        i >= 3
            && bytes
                .get(i - 3..i)
                .is_some_and(|w| w.eq_ignore_ascii_case(b"dri"))
    })
}

fn memchr_byte(hay: &[u8], b: u8) -> bool {
    hay.contains(&b)
}

/// Resolves overlaps: the earlier rule in [`RULE_IDS`] and then the longer span wins.
/// `failed` (spans of rules that could not run) are added after resolution, whole.
fn finish(
    mut v: Vec<(usize, usize, &'static str)>,
    failed: Vec<(usize, usize, &'static str)>,
    skip: &[String],
) -> Vec<Finding> {
    v.retain(|c| !skip.iter().any(|s| s == c.2));
    let rank = |r: &str| RULE_IDS.iter().position(|x| *x == r).unwrap_or(usize::MAX);
    v.sort_by(|a, b| {
        rank(a.2)
            .cmp(&rank(b.2))
            .then((b.1 - b.0).cmp(&(a.1 - a.0)))
    });
    let mut kept: Vec<(usize, usize, &'static str)> = Vec::new();
    for c in v {
        if !kept.iter().any(|k| c.0 < k.1 && k.0 < c.1) {
            kept.push(c);
        }
    }
    kept.extend(failed);
    kept.sort();
    kept.into_iter()
        .map(|(start, end, rule)| Finding {
            family: Family::Pii,
            rule: Cow::Borrowed(rule),
            start,
            end,
            path: None,
        })
        .collect()
}

fn digits_of(s: &str) -> Vec<u8> {
    s.bytes()
        .filter(u8::is_ascii_digit)
        .map(|b| b - b'0')
        .collect()
}

/// Luhn checksum over the digits of `s`.
pub fn luhn_valid(s: &str) -> bool {
    let d = digits_of(s);
    d.len() >= 2 && luhn_digits(&d)
}

/// Luhn (ISO/IEC 7812-1 annex B) over digit values `d`.
pub(crate) fn luhn_digits(d: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &x) in d.iter().rev().enumerate() {
        let mut v = u32::from(x);
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

const CARD_WORDS: &[&str] = &[
    "card",
    "visa",
    "mastercard",
    "amex",
    "credit",
    "debit",
    "maestro",
    "jcb",
    "discover",
    "diners",
    "pan",
    "cc#",
    "cc ",
];

/// Luhn plus issuer: well-known issuer prefixes with 13-19 digits pass on their own;
/// other lengths (12) and rarer prefixes need a card word just before.
fn valid_card(s: &str, context: impl Fn() -> bool) -> bool {
    // one separator style throughout
    let seps: Vec<char> = s.chars().filter(|c| !c.is_ascii_digit()).collect();
    if seps.windows(2).any(|w| w[0] != w[1]) {
        return false;
    }
    let d = digits_of(s);
    if !(12..=19).contains(&d.len()) || !luhn_valid(s) {
        return false;
    }
    if d.iter().all(|&x| x == d[0]) {
        return false;
    }
    let n = |k: usize| d.iter().take(k).fold(0u32, |a, &x| a * 10 + u32::from(x));
    let major = d[0] == 4
        || (51..=55).contains(&n(2))
        || (2221..=2720).contains(&n(4))
        // Mir (Russia's national scheme)
        || (2200..=2204).contains(&n(4))
        || n(2) == 34
        || n(2) == 37
        || n(4) == 6011
        || n(2) == 65
        || (644..=649).contains(&n(3))
        || (3528..=3589).contains(&n(4))
        || n(2) == 36
        || n(2) == 38
        || (300..=305).contains(&n(3))
        || n(2) == 62;
    if major && d.len() >= 13 {
        return true;
    }
    // Maestro (50, 56-69), JCB 15-digit (1800, 2131), other 35xx ranges, UnionPay and RuPay
    // 81-82, 12-digit cards
    let other = n(2) == 50
        || (56..=69).contains(&n(2))
        || n(2) == 81
        || n(2) == 82
        || n(4) == 1800
        || n(4) == 2131
        || n(2) == 35
        || major;
    other && context()
}

/// IBAN lengths per country (ISO 13616 registry, SWIFT release 101), for the countries that
/// issue them.
const IBAN_LEN: &[(&str, usize)] = &[
    ("AD", 24),
    ("AE", 23),
    ("AL", 28),
    ("AT", 20),
    ("AZ", 28),
    ("BA", 20),
    ("BE", 16),
    ("BG", 22),
    ("BH", 22),
    ("BI", 27),
    ("BR", 29),
    ("BY", 28),
    ("CH", 21),
    ("CR", 22),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DJ", 27),
    ("DK", 18),
    ("DO", 28),
    ("EE", 20),
    ("EG", 29),
    ("ES", 24),
    ("FI", 18),
    ("FK", 18),
    ("FO", 18),
    ("FR", 27),
    ("GB", 22),
    ("GE", 22),
    ("GI", 23),
    ("GL", 18),
    ("GR", 27),
    ("GT", 28),
    ("HN", 28),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IL", 23),
    ("IQ", 23),
    ("IS", 26),
    ("IT", 27),
    ("JO", 30),
    ("KW", 30),
    ("KZ", 20),
    ("LB", 28),
    ("LC", 32),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("LY", 25),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MK", 19),
    ("MN", 20),
    ("MR", 27),
    ("MT", 31),
    ("MU", 30),
    ("NI", 28),
    ("NL", 18),
    ("NO", 15),
    ("OM", 23),
    ("PK", 24),
    ("PL", 28),
    ("PS", 29),
    ("PT", 25),
    ("QA", 29),
    ("RO", 24),
    ("RS", 22),
    ("RU", 33),
    ("SA", 24),
    ("SC", 31),
    ("SD", 18),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("SO", 23),
    ("ST", 25),
    ("SV", 28),
    ("TL", 23),
    ("TN", 24),
    ("TR", 26),
    ("UA", 29),
    ("VA", 22),
    ("VG", 24),
    ("XK", 20),
    ("YE", 30),
];

/// IBAN validation: known country, its length, and the ISO 7064 mod-97 check.
pub fn valid_iban(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(cc) = compact.get(..2) else {
        return false;
    };
    let Some(&(_, len)) = IBAN_LEN.iter().find(|(c, _)| *c == cc) else {
        return false;
    };
    if compact.len() != len {
        return false;
    }
    let rearranged = format!("{}{}", &compact[4..], &compact[..4]);
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

fn valid_ssn(area: &str, group: &str, serial: &str) -> bool {
    let a: u32 = area.parse().unwrap_or(0);
    a != 0 && a != 666 && a < 900 && group != "00" && serial != "0000"
        // well-known advertising / sample numbers
        && !matches!((area, group, serial), ("078", "05", "1120") | ("219", "09", "9999") | ("123", "45", "6789"))
}

fn context_before(text: &str, start: usize, words: &[&str]) -> bool {
    let mut from = start.saturating_sub(60);
    while from > 0 && !text.is_char_boundary(from) {
        from -= 1;
    }
    let before = text[from..start].to_ascii_lowercase();
    words.iter().any(|w| before.contains(w))
}

fn is_inside_longer_number(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    let before = start.checked_sub(1).map(|i| b[i]);
    let after = b.get(end).copied();
    let joins = |x: Option<u8>, y: Option<u8>| matches!((x, y), (Some(b'-' | b'.' | b'/'), Some(d)) if d.is_ascii_digit());
    joins(before, start.checked_sub(2).map(|i| b[i])) || joins(after, b.get(end + 1).copied())
}

fn word_boundary(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    let ok =
        |x: Option<&u8>| x.is_none_or(|c| !(c.is_ascii_alphanumeric() || *c == b':' || *c == b'.'));
    ok(start.checked_sub(1).and_then(|i| b.get(i))) && ok(b.get(end))
}

fn is_time_like(s: &str) -> bool {
    s.split(':')
        .all(|p| p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit()))
}

/// `v1.2.3.4`, `version 10.0.0.1`: dotted numbers after a version marker are not addresses.
fn looks_like_version(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    if start > 0 && (b[start - 1] == b'v' || b[start - 1] == b'V' || b[start - 1] == b'.') {
        return true;
    }
    if b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit) {
        return true;
    }
    context_before(text, start, &["version", "release", "build "])
        && !context_before(text, start, &["ip", "address", "host"])
}

/// Words that name a phone.
const PHONE_WORDS: &[&str] = &[
    "phone",
    "mobile",
    "cell",
    "tel",
    "fax",
    "call",
    "whatsapp",
    "sms",
    "text me",
    "dial",
    "reach me",
    "hotline",
    "landline",
    "ring me",
    "téléphone",
    "telefon",
    "teléfono",
    "handy",
];

/// Words that often stand before a phone number but name none: enough for a number in a
/// phone's printed shape, not for a bare run of digits ("order number 0123456789").
const PHONE_WORDS_GENERIC: &[&str] = &[
    "desk",
    "contact",
    "answering",
    "messages to",
    "registered",
    "number",
];

/// A phone word, of either kind, in the 60 bytes before `start`.
fn any_phone_word_before(text: &str, start: usize) -> bool {
    context_before(text, start, PHONE_WORDS) || context_before(text, start, PHONE_WORDS_GENERIC)
}

/// Whole words that name a phone when they stand right before a number
/// ([`phone_word_right_before`]): the one-word [`PHONE_WORDS`] and a few more spellings,
/// without `cell` (a spreadsheet's: "cell 1672.2919 updated").
const PHONE_NAMES: &[&str] = &[
    "phone",
    "telephone",
    "cellphone",
    "smartphone",
    "mobile",
    "mobil",
    "tel",
    "tél",
    "tlf",
    "fax",
    "call",
    "whatsapp",
    "sms",
    "dial",
    "hotline",
    "landline",
    "téléphone",
    "telefon",
    "telefone",
    "telefono",
    "teléfono",
    "telefonnummer",
    "handy",
];

/// Phrases of [`PHONE_WORDS`] ending in a word that is also filler.
const PHONE_PHRASES: &[&str] = &["text me", "reach me", "ring me"];

/// Words allowed between a phone word and its number ("phone number:", "tel. no").
const PHONE_FILLER: &[&str] = &[
    "number", "no", "nr", "num", "is", "my", "our", "his", "her", "their", "nummer", "numéro",
    "numero", "número",
];

/// Prepositions allowed between a phone word and its number only after a pronoun ("call me
/// at", "ring us on"): "call on 20240512" is not a phone.
const PHONE_PREPOSITIONS: &[&str] = &["at", "on", "via", "under", "to"];
const PHONE_PRONOUNS: &[&str] = &["me", "us", "him", "her", "them"];

/// Words before `call` that make it a noun for a program's call ("API call 12345678").
const CALL_NOUNS: &[&str] = &[
    "api", "tool", "function", "fn", "rpc", "grpc", "method", "system", "remote", "http", "the",
    "a", "an", "this", "that", "each", "per", "every", "one", "last", "first", "next",
];

/// A word that names a phone right before `start`: only filler words ([`PHONE_FILLER`]) and
/// punctuation between them, no digit, within 40 bytes ("Please call me at 48350305",
/// "Tlf.: 48350305", "phone number 939083863"). Stricter than [`context_before`], which
/// finds `tel` in `hotel` and `call` anywhere in the 60 bytes: evidence enough for a bare
/// run of 8-9 digits or a dotted number that is not North American.
fn phone_word_right_before(text: &str, start: usize) -> bool {
    let mut from = start.saturating_sub(40);
    while from > 0 && !text.is_char_boundary(from) {
        from -= 1;
    }
    let before = text[from..start].to_lowercase();
    let mut rest = before.as_str();
    for _ in 0..5 {
        rest = rest.trim_end_matches(|c: char| !c.is_alphanumeric());
        if rest.ends_with(|c: char| c.is_numeric()) || rest.is_empty() {
            return false;
        }
        let word_start = rest
            .char_indices()
            .rev()
            .find(|(_, c)| !c.is_alphanumeric())
            .map_or(0, |(i, c)| i + c.len_utf8());
        if word_start == 0 && from > 0 {
            // the word may be cut by the window ("hotel" seen as "tel")
            return false;
        }
        let word = &rest[word_start..];
        let head = rest[..word_start].trim_end();
        let phrase = |r: &str| {
            PHONE_PHRASES.iter().any(|p| {
                r.strip_suffix(p).is_some_and(|h| {
                    h.is_empty() && from == 0 || h.ends_with(|c: char| !c.is_alphanumeric())
                })
            })
        };
        if phrase(rest) {
            return true;
        }
        if PHONE_NAMES.contains(&word) {
            if word == "call" {
                let prev = head
                    .rsplit(|c: char| !c.is_alphanumeric())
                    .next()
                    .unwrap_or("");
                return !CALL_NOUNS.contains(&prev);
            }
            return true;
        }
        if PHONE_PREPOSITIONS.contains(&word) {
            // only as "me at", "us on": the pronoun is consumed with it
            let (h, pronoun) = match head
                .char_indices()
                .rev()
                .find(|(_, c)| !c.is_alphanumeric())
            {
                Some((i, c)) => (&head[..i], &head[i + c.len_utf8()..]),
                None => ("", head),
            };
            if !PHONE_PRONOUNS.contains(&pronoun) || h.is_empty() && from > 0 {
                return false;
            }
            if phrase(head) {
                return true;
            }
            rest = h;
            continue;
        }
        if !PHONE_FILLER.contains(&word) {
            return false;
        }
        rest = &rest[..word_start];
    }
    false
}

/// The number and its extension: `704.482.8148x932` is `704.482.8148` and `932`; the mark
/// (`x`, `ext`, `ext.`, `#`) is the first byte of the match that is none of the number's.
fn split_extension(s: &str) -> (&str, Option<(&str, &str)>) {
    match s.find(['x', 'e', '#']) {
        Some(i) => {
            let tail = &s[i..];
            let digits_at = tail
                .find(|c: char| c.is_ascii_digit())
                .unwrap_or(tail.len());
            (
                s[..i].trim_end(),
                Some((tail[..digits_at].trim_end(), &tail[digits_at..])),
            )
        }
        None => (s, None),
    }
}

/// `yyyymmdd` or `ddmmyyyy` (years 1900-2100): an 8-digit run that is a date.
fn is_compact_date(d: &[u8]) -> bool {
    if d.len() != 8 {
        return false;
    }
    let n = |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |a, &x| a * 10 + u32::from(x));
    let year = |y: u32| (1900..=2100).contains(&y);
    let md = |m: u32, day: u32| (1..=12).contains(&m) && (1..=31).contains(&day);
    (year(n(0..4)) && md(n(4..6), n(6..8))) || (year(n(4..8)) && md(n(2..4), n(0..2)))
}

fn is_phone(text: &str, start: usize, end: usize) -> bool {
    let s = &text[start..end];
    // cheap count first: most numbers in tool output (ids, counts, times) are short
    let n_digits = s.bytes().filter(u8::is_ascii_digit).count();
    if !(7..=21).contains(&n_digits) {
        return false;
    }
    // the extension's digits do not count towards the number's 7-15
    let (main, ext) = split_extension(s);
    let dm = digits_of(main);
    if !(7..=15).contains(&dm.len()) {
        return false;
    }
    let d = digits_of(s);
    let b = text.as_bytes();
    // part of something else: a decimal, a code, a path, a time, a longer token
    let prev = start.checked_sub(1).map(|i| b[i]);
    let next = b.get(end).copied();
    if prev.is_some_and(|c| {
        c.is_ascii_alphanumeric()
            || matches!(c, b'.' | b'/' | b'_' | b':' | b'-' | b'=' | b'$' | b'#')
    }) || next
        .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'/' | b'_' | b':' | b'%'))
        // a decimal or a file name (`0221/4711088.txt`)
        || (next == Some(b'.')
            && b.get(end + 1)
                .is_some_and(|c| c.is_ascii_digit() || c.is_ascii_lowercase()))
    {
        return false;
    }
    // dates and times
    if is_date_like(main) {
        return false;
    }
    if main.contains('/') {
        return ext.is_none() && is_slash_phone(text, start, main, &dm);
    }
    // dotted quads are IP addresses, 3-part dotted numbers are versions, unless a phone
    // word stands before the North American shape (`phone: 415.555.0132`)
    let groups: Vec<&str> = main
        .split(|c: char| !c.is_ascii_digit())
        .filter(|g| !g.is_empty())
        .collect();
    if main.contains('.')
        && !main.contains(' ')
        && !main.contains('-')
        && groups.len() <= 4
        && !main.starts_with('+')
    {
        let strong_ext = ext.is_some_and(|e| e.0 == "x" || e.0.starts_with("ext"));
        return is_dotted_phone(text, start, main, &groups, strong_ext);
    }
    let ext_x = ext.is_some_and(|e| e.0 == "x");
    let strong = main.starts_with('+')
        || (main.starts_with('(') && paren_area_ok(main))
        || ext_x && d.len() >= 10
        || s.contains("ext")
        || is_nanp(main)
        || (main.starts_with("00") && main.contains(['-', ' ']) && dm.len() >= 10);
    if strong {
        return !(d.iter().all(|&x| x == d[0]));
    }
    // weaker shapes need a phone word nearby; a bare run of 10-11 digits one that names a
    // phone ("order number 0123456789" is not one), of 8-9 digits (Denmark, Norway,
    // Portugal) such a word right before it
    let plain_digits = !s.contains([' ', '-', '.', '(']);
    if plain_digits {
        return match d.len() {
            10 | 11 => context_before(text, start, PHONE_WORDS),
            8 | 9 => {
                ext.is_none()
                    && !is_compact_date(&d)
                    && !d.iter().all(|&x| x == d[0])
                    && phone_word_right_before(text, start)
            }
            _ => false,
        };
    }
    any_phone_word_before(text, start)
}

/// A leading `(…)` group of 4-6 digits is an area code with its trunk `0` (`(0221)`,
/// `(06001) 338908`); other groups that long in brackets (`(2019) 123456`, a year) are not
/// strong evidence. Shorter ones are area codes (`(415)`, `(02)`) or country codes
/// (`(+358)`).
fn paren_area_ok(main: &str) -> bool {
    let inner = main[1..].split(')').next().unwrap_or("");
    inner.len() <= 3 || inner.starts_with('+') || inner.starts_with('0')
}

/// A number with one `/` between the area code and the subscriber number (DIN 5008's
/// old style `0221/1234567`, Austria `0662/8044`, Hungary `06-1/043 3218`,
/// `(06)50/305-6413`): the part before the slash is the area code, 1-6 digits with the
/// trunk `0` (`06-` or `(06)` included), 1-3 without it, the part after 5-8 digits in groups
/// of 3 or more first. With the trunk `0` and 6-8 digits after the slash (9 in all) it
/// stands alone; else a phone word right before it is needed. Dates (`12/05/2024`: two slashes, `05/12 2024`:
/// a first group of 2), fractions and ratios do not have this shape.
fn is_slash_phone(text: &str, start: usize, main: &str, d: &[u8]) -> bool {
    let Some((left, right)) = main.split_once('/') else {
        return false;
    };
    if right.contains(['/', '(', ')', '.', '+']) || left.contains(['.', '+', ' ']) {
        return false;
    }
    // the area code: `0221`, `(06)50`, `06-1`, `(89)`
    let area: Vec<u8> = digits_of(left);
    let area_shape = {
        let inner = left.strip_prefix('(');
        match inner {
            Some(r) => r
                .split_once(')')
                .is_some_and(|(a, b)| all_digits(a) && (b.is_empty() || all_digits(b))),
            None => left.split('-').count() <= 2 && left.split('-').all(all_digits),
        }
    };
    let groups: Vec<&str> = right.split([' ', '-']).collect();
    let subscriber = d.len() - area.len();
    if !area_shape
        || !(1..=6).contains(&area.len())
        || !groups.iter().all(|g| all_digits(g))
        || groups[0].len() < 3
        || !(5..=8).contains(&subscriber)
        || d.iter().all(|&x| x == d[0])
    {
        return false;
    }
    let trunk = area.len() >= 3 && area[0] == 0 && area[1] != 0;
    // without the trunk prefix an area code has 1-3 digits (Hungary: `1`, `30`, `(89)`)
    (trunk && subscriber >= 6 && d.len() >= 9)
        || (trunk || area.len() <= 3) && phone_word_right_before(text, start)
}

fn all_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// A dotted number (no space, no dash, at most four groups) is an IP address, a version or
/// a decimal unless it is printed the way phones are and the evidence is there:
/// - the North American `ddd.ddd.dddd` after any phone word; `ddd.ddd.dddd` with an `x` or
///   `ext` extension (`704.482.8148x932`, `415.555.0132 ext. 12`);
/// - after a phone word right before it ([`phone_word_right_before`]): `ddd.ddd.dddd` with
///   an area code not starting 0/1, Australian `0d.dddd.dddd` / `(0d).dddd.dddd` and
///   `dddd.dddd` (first digit not 0).
///
/// Never after a version word.
fn is_dotted_phone(
    text: &str,
    start: usize,
    main: &str,
    groups: &[&str],
    strong_ext: bool,
) -> bool {
    if context_before(text, start, &["version", "release", "build"]) {
        return false;
    }
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let first = groups
        .first()
        .and_then(|g| g.bytes().next())
        .unwrap_or(b'0');
    let parens = main.starts_with('(');
    // dotted groups only: `(03).7672.4238` has its area code in brackets
    let plain = main
        .trim_start_matches('(')
        .replacen(").", ".", 1)
        .bytes()
        .all(|c| c.is_ascii_digit() || c == b'.');
    if !plain {
        return false;
    }
    if groups
        .concat()
        .bytes()
        .all(|c| Some(c) == groups[0].bytes().next())
    {
        return false;
    }
    // an extension marks a phone (`415.555.0132 x12`, `704.482.8148x932`)
    if lens == [3, 3, 4]
        && !parens
        && (strong_ext || is_nanp(main) && any_phone_word_before(text, start))
    {
        return true;
    }
    let nanp_like = lens == [3, 3, 4] && !parens && !matches!(first, b'0' | b'1');
    let au_area = lens == [2, 4, 4] && first == b'0' && groups[0].as_bytes()[1] != b'0';
    let au_local = lens == [4, 4] && !parens && first != b'0';
    (nanp_like || au_area || au_local) && phone_word_right_before(text, start)
}

fn is_nanp(s: &str) -> bool {
    let g: Vec<&str> = s.split(['-', '.', ' ']).collect();
    if g.len() == 3 && g[0].len() == 3 && g[1].len() == 3 && g[2].len() == 4 && !s.contains(' ') {
        let a = g[0].as_bytes();
        return a[0] != b'0'
            && a[0] != b'1'
            && g[1].as_bytes()[0] != b'0'
            && g[1].as_bytes()[0] != b'1'
            || s.starts_with("1-");
    }
    false
}

fn is_date_like(s: &str) -> bool {
    let g: Vec<&str> = s
        .split(['-', '.', '/', ' '])
        .filter(|x| !x.is_empty())
        .collect();
    if g.len() != 3 || !g.iter().all(|x| x.chars().all(|c| c.is_ascii_digit())) {
        return false;
    }
    let n = |x: &str| x.parse::<u32>().unwrap_or(99999);
    let year = |x: &str| x.len() == 4 && (1900..=2100).contains(&n(x));
    let md = |x: &str| x.len() <= 2 && (1..=31).contains(&n(x));
    (year(g[0]) && md(g[1]) && md(g[2])) || (md(g[0]) && md(g[1]) && year(g[2]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        /// The segment gating finds exactly what whole-text regex searches find.
        #[test]
        fn segment_gating_is_exact(
            parts in proptest::collection::vec(prop_oneof![
                "[0-9]{1,19}",
                "[0-9 .()+#:x/-]{1,12}",
                "[A-Z]{2}[0-9]{2}[A-Z0-9 ]{8,30}",
                "[0-9a-fA-F:.]{2,40}",
                Just("ssn ".to_string()), Just("phone: ".to_string()), Just("card ".to_string()),
                Just(" ext ".to_string()), Just("é".to_string()), Just("\u{663}".to_string()),
                Just("\u{212a}".to_string()), Just("\n".to_string()), Just(", ".to_string()),
                "[a-z ]{1,10}",
                "[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2} ?[A-Da-d]",
                "[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}",
                "([0-9][ -]?){11,19}",
                "20[0-9]{2}-[01][0-9]-[0-3][0-9]T[0-9:]{8}Z",
                NATIONAL_SHAPES[0], NATIONAL_SHAPES[1], NATIONAL_SHAPES[2], NATIONAL_SHAPES[3],
                NATIONAL_SHAPES[4], NATIONAL_SHAPES[5], NATIONAL_SHAPES[6], NATIONAL_SHAPES[7],
                NATIONAL_SHAPES[8], NATIONAL_SHAPES[9], NATIONAL_SHAPES[10], NATIONAL_SHAPES[11],
                Just("NHS ".to_string()), Just("sin: ".to_string()), Just("passport ".to_string()),
                Just("PAN ".to_string()), Just("x".to_string()), Just("X".to_string()),
                "[0-9]{1,4}[ .-]?[0-9]{1,4}[ .-]?[0-9]{1,5}",
                "\\+?[0-9]{1,3}[ .-]?\\(?[0-9]{1,4}\\)?[ .-]?[0-9]{2,8}",
                "[etx#]{1,3}", Just("ext.".to_string()), Just(" status=200 ".to_string()),
                Just("\t".to_string()), Just(":8443".to_string()),
                r"\(?0?[0-9]{1,4}\)?(-[0-9]{1,2})?/[0-9]{2,4}[ -]?[0-9]{2,5}",
                Just("/".to_string()), Just("//".to_string()), Just("tel. ".to_string()),
                Just("call me at ".to_string()),
                r"[0-9]{2,4}\.[0-9]{3,4}\.[0-9]{4}(x[0-9]{3,5})?",
            ], 0..24)
        ) {
            let text: String = parts.concat();
            prop_assert_eq!(scan_with(&PII, &text, false), scan_with(&PII, &text, true));
        }

        /// The national-number regexes find the same *candidates* (before any checksum)
        /// over the gated segments as over the whole text: random digits rarely pass a
        /// checksum, so comparing findings alone would hardly test their gating.
        #[test]
        fn national_candidates_are_exact(
            parts in proptest::collection::vec(prop_oneof![
                "[0-9]{1,19}",
                "[0-9 .+-]{1,14}",
                "[A-Z]{1,7}",
                "[a-z ]{1,6}",
                "[0-9A-Zx+ -]{1,16}",
                Just("é".to_string()), Just("\u{663}".to_string()), Just("\n".to_string()),
                Just("_".to_string()), Just(":".to_string()),
                NATIONAL_SHAPES[0], NATIONAL_SHAPES[1], NATIONAL_SHAPES[2], NATIONAL_SHAPES[3],
                NATIONAL_SHAPES[4], NATIONAL_SHAPES[5], NATIONAL_SHAPES[6], NATIONAL_SHAPES[7],
                NATIONAL_SHAPES[8], NATIONAL_SHAPES[9], NATIONAL_SHAPES[10], NATIONAL_SHAPES[11],
            ], 0..16)
        ) {
            let text: String = parts.concat();
            prop_assert_eq!(candidates(&text, false), candidates(&text, true));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1024))]
        /// What `phone_runs` relies on: no phone match holds a byte outside `phone_byte`,
        /// and `is_phone` rejects every match with fewer than 7 ASCII digits.
        #[test]
        fn phone_matches_stay_in_phone_runs(
            text in "[0-9 .()+#:xXetE/_=a-dA-D\\t\n\u{663}é-]{0,80}"
        ) {
            let re = PII.phone.get().expect("phone regex");
            for m in re.find_iter(text.as_str()) {
                let span = &text.as_bytes()[m.range()];
                prop_assert!(span.iter().all(|&b| phone_byte(b)), "{:?}", &text[m.range()]);
                if span.iter().filter(|b| b.is_ascii_digit()).count() < 7 {
                    prop_assert!(!is_phone(&text, m.start(), m.end()));
                }
            }
        }
    }

    /// The shape checks as first written: every byte offset tried.
    fn shapes_every_offset(b: &[u8]) -> u8 {
        if !b.is_ascii() {
            return SHAPE_ANY;
        }
        let mut out = 0;
        if has_card_shape(b) {
            out |= SHAPE_CARD;
        }
        if (0..b.len()).any(|i| ssn_shape_at(b, i)) {
            out |= SHAPE_SSN;
        }
        if (0..b.len()).any(|i| nino_shape_at(b, i)) {
            out |= SHAPE_NINO;
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]
        /// Trying only the offsets around digits finds the shapes every offset finds.
        #[test]
        fn shapes_around_digits_match_every_offset(
            parts in proptest::collection::vec(prop_oneof![
                "[0-9]{1,12}",
                "[A-Za-z]{1,4}",
                "[ -]{1,2}",
                "[A-Za-z]{2} ?[0-9]{2} ?[0-9]{2} ?[0-9]{2}",
                "[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}",
                Just("é".to_string()),
            ], 0..12)
        ) {
            let text: String = parts.concat();
            prop_assert_eq!(shapes(text.as_bytes()), shapes_every_offset(text.as_bytes()));
        }
    }

    /// Printed layouts of the national numbers (random digits and letters: the checks
    /// mostly fail, which the gating must not depend on).
    const NATIONAL_SHAPES: [&str; 12] = [
        "[0-9]{3}[ -][0-9]{3}[ -][0-9]{3,4}",
        "[0-9]{3}\\.[0-9]{3}\\.[0-9]{3}-[0-9]{2}",
        "[0-9]{2}\\.[0-9]{2}\\.[0-9]{2}-[0-9]{3}\\.[0-9]{2}",
        "[0-9]{6}[-+A][0-9]{3,7}[0-9A-Y]?",
        "[0-9]{17}[0-9Xx]",
        "[XYZSTFG]-?[0-9]{7}-?[A-Z]",
        "[0-9]{8}-?[A-Z]",
        "[A-Z]{6}[0-9]{2}[A-Z][0-9]{2}[A-Z][0-9]{3}[A-Z]",
        "[A-Z]{5}[0-9]{4}[A-Z]",
        "[1-4] [0-9]{2} [0-9]{2} [0-9]{2} [0-9]{3} [0-9]{3} [0-9]{2}",
        "[0-9]{2,4} [0-9]{3,5} [0-9]{1,3}( [0-9]{3})?",
        "[1-4][0-9]{4}2[AB][0-9]{8}",
    ];

    /// Pinned cases of `national_candidates_are_exact` (the first: an all-digit HETU
    /// layout has no capital, so the letters regex must not be where it is found).
    #[test]
    fn national_candidates_on_examples() {
        for t in [
            "123456-1234",
            "131052-308T 12345678Z x 11010519491231002x",
            "A-1234567 S1234567D ABCDE1234F",
        ] {
            assert_eq!(candidates(t, false), candidates(t, true), "{t}");
        }
        assert_eq!(candidates("123456-1234", false), vec![(0, 11, true)]);
    }

    fn candidates(text: &str, whole: bool) -> Vec<(usize, usize, bool)> {
        let segs = number_segments(text, whole);
        let mut failed = Vec::new();
        national_candidates(&PII, text, &segs, &mut failed)
            .into_iter()
            .flat_map(|(m, numeric)| m.into_iter().map(move |m| (m.start(), m.end(), numeric)))
            .collect()
    }

    #[test]
    fn every_regex_compiles() {
        // Compiled lazily in production: build each one here so a broken pattern cannot ship.
        let p = Pii::new();
        assert!(p.email.get().is_some());
        assert!(p.card.get().is_some());
        assert!(p.iban.get().is_some());
        assert!(p.ssn.get().is_some());
        assert!(p.nino.get().is_some());
        assert!(p.phone.get().is_some());
        assert!(p.ipv4.get().is_some());
        assert!(p.ipv6.get().is_some());
        assert!(p.dl.get().is_some());
        assert!(p.natnum.get().is_some());
        assert!(p.natalpha.get().is_some());
    }

    #[test]
    fn regexes_compile_only_when_needed() {
        let p = Pii::new();
        assert!(scan_with(&p, "plain words, no digits", false).is_empty());
        assert!(scan_with(&p, "version 2025-06-18, build 12", false).is_empty());
        let built = |p: &Pii| {
            [
                p.email.cell.get().is_some(),
                p.card.cell.get().is_some(),
                p.iban.cell.get().is_some(),
                p.ssn.cell.get().is_some(),
                p.nino.cell.get().is_some(),
                p.phone.cell.get().is_some(),
                p.ipv4.cell.get().is_some(),
                p.ipv6.cell.get().is_some(),
                p.dl.cell.get().is_some(),
                p.natnum.cell.get().is_some(),
                p.natalpha.cell.get().is_some(),
            ]
        };
        // `2025-06-18` has 8 digits: phone (7) may match there; NINO (6 digits) also needs
        // two letters before them, which the segment's shape check rules out
        assert_eq!(
            built(&p),
            [false, false, false, false, false, true, false, false, false, false, false]
        );
        assert_eq!(
            scan_with(&p, "mail a@example.com", false).len(),
            1,
            "e-mail still found"
        );
        assert!(p.email.cell.get().is_some());
    }

    /// A PII regex that does not compile reports the stretch it would have searched.
    #[test]
    fn a_regex_that_does_not_compile_fails_closed() {
        let t = "order 17, card 4111 1111 1111 1111 today; mail a@example.com";
        let p = Pii::new();
        p.card.cell.set(None).unwrap();
        let f = scan_with(&p, t, false);
        let card = t.find("4111").unwrap();
        assert!(
            f.iter().any(|f| f.rule == "credit-card"
                && f.start <= card
                && f.end >= card + "4111 1111 1111 1111".len()),
            "{f:?}"
        );
        assert!(f.iter().any(|f| f.rule == "email"), "{f:?}");
        let p = Pii::new();
        p.dl.cell.set(None).unwrap();
        let t = "Driver license: D1234567";
        let f = scan_with(&p, t, false);
        assert!(
            f.iter()
                .any(|f| f.rule == "driver-license" && f.start == 0 && f.end == t.len()),
            "{f:?}"
        );
    }

    /// The national-number regexes fail closed too: the gated segments are reported.
    #[test]
    fn a_national_regex_that_does_not_compile_fails_closed() {
        let t = "ref 943 476 5919 and DNI 12345678Z";
        let p = Pii::new();
        p.natnum.cell.set(None).unwrap();
        p.natalpha.cell.set(None).unwrap();
        let f = scan_with(&p, t, false);
        let covers = |rule: &str, needle: &str| {
            let at = t.find(needle).unwrap();
            f.iter()
                .any(|f| f.rule == rule && f.start <= at && f.end >= at + needle.len())
        };
        assert!(covers("uk-nhs", "943 476 5919"), "{f:?}");
        assert!(covers("es-nif", "12345678Z"), "{f:?}");
    }

    /// The licence rule is gated on `driv` in ASCII case only; sound because under the
    /// regex crate's case folding no other character matches one of those letters.
    #[test]
    fn licence_words_fold_only_to_ascii() {
        let re = Regex::new(r"(?i)^[driv]$").unwrap();
        let mut buf = [0u8; 4];
        let folded: Vec<char> = (0..=0x10ffffu32)
            .filter_map(char::from_u32)
            .filter(|c| re.is_match(c.encode_utf8(&mut buf)))
            .collect();
        assert_eq!(folded, vec!['D', 'I', 'R', 'V', 'd', 'i', 'r', 'v']);
        assert!(mentions_driv(b"DRIVING licence"));
        assert!(mentions_driv(b"x dRiv"));
        assert!(!mentions_driv(b"dri v d"));
    }

    #[test]
    fn segment_gating_on_examples() {
        for t in [
            "call +1 (415) 555-0132 ext 12, card 4111 1111 1111 1111; SSN 123-45-6780",
            "AB 12 34 56 C and GB82 WEST 1234 5698 7654 32 at 10.0.0.1 or fe80::1:2 2001:db8::7",
            "id=12345678901 v1.2.3.4 10:20:30 (0)20 7946 0958 \u{663}\u{664}\u{665}-\u{666}\u{667}-1234",
            "NHS 943 476 5919, DNI 12345678Z, S1234567D, RSSMRA85T10A562S, 131052-308T, 11010519491231002X",
            "CPF 111.444.777-35, BSN 111222333, ABN 51 824 753 556, TFN 123 456 782, 2 55 08 14 168 025 38",
            "Tel. 0221/4711088, (06)30/215-8844, 12/05/2024, call me at 1/234-5678 9/8/7 0662/8044123/1 a/1234567",
        ] {
            assert_eq!(scan_with(&PII, t, false), scan_with(&PII, t, true), "{t}");
        }
    }

    fn found(text: &str) -> Vec<(String, &str)> {
        scan(text)
            .into_iter()
            .map(|f| (f.rule.into_owned(), &text[f.start..f.end]))
            .collect()
    }

    #[test]
    fn email() {
        assert_eq!(
            found("write to jane.doe+x@mail.example.org today"),
            vec![("email".into(), "jane.doe+x@mail.example.org")]
        );
        assert!(found("use git@ or @handle").is_empty());
    }

    #[test]
    fn cards_need_luhn_and_issuer() {
        assert_eq!(
            found("card 4111 1111 1111 1111 ok"),
            vec![("credit-card".into(), "4111 1111 1111 1111")]
        );
        assert_eq!(
            found("5500-0000-0000-0004"),
            vec![("credit-card".into(), "5500-0000-0000-0004")]
        );
        assert!(found("card 4111 1111 1111 1112")
            .iter()
            .all(|(r, _)| r != "credit-card"));
        // Mir stands alone like the other major schemes; UnionPay/RuPay 81 needs a card word
        assert_eq!(
            found("paid with 2200 1234 5600 0003"),
            vec![("credit-card".into(), "2200 1234 5600 0003")]
        );
        assert_eq!(
            found("card number 8171999927000009"),
            vec![("credit-card".into(), "8171999927000009")]
        );
        assert!(found("ref 8171999927000009")
            .iter()
            .all(|(r, _)| r != "credit-card"));
    }

    #[test]
    fn iban_checksum() {
        assert_eq!(
            found("IBAN GB82 WEST 1234 5698 7654 32."),
            vec![("iban".into(), "GB82 WEST 1234 5698 7654 32")]
        );
        assert_eq!(
            found("DE89370400440532013000"),
            vec![("iban".into(), "DE89370400440532013000")]
        );
        assert!(found("GB83WEST12345698765432")
            .iter()
            .all(|(r, _)| r != "iban"));
        // countries the registry added later (check digits computed with python-stdnum)
        for v in [
            "RU0304452522540817810538091310419",
            "OM810180000001299123456",
            "YE15CBYE0001018861234567891234",
        ] {
            assert_eq!(found(&format!("IBAN {v}")), vec![("iban".into(), v)], "{v}");
            assert!(found(&format!("IBAN {}", v.replacen("0", "1", 1)))
                .iter()
                .all(|(r, _)| r != "iban"));
        }
    }

    #[test]
    fn ssn_ranges() {
        assert_eq!(
            found("SSN 536-22-1234"),
            vec![("us-ssn".into(), "536-22-1234")]
        );
        assert!(found("id 666-22-1234").iter().all(|(r, _)| r != "us-ssn"));
        assert!(found("id 912-22-1234").iter().all(|(r, _)| r != "us-ssn"));
        assert!(found("order 536221234").is_empty());
        assert_eq!(
            found("ssn: 536221234"),
            vec![("us-ssn".into(), "536221234")]
        );
    }

    #[test]
    fn nino() {
        assert_eq!(
            found("NI number AB 12 34 56 C"),
            vec![("uk-nino".into(), "AB 12 34 56 C")]
        );
        assert!(found("GB123456A").is_empty());
    }

    #[test]
    fn phones() {
        assert_eq!(
            found("call +44 20 7946 0958 now"),
            vec![("phone".into(), "+44 20 7946 0958")]
        );
        assert_eq!(
            found("(415) 555-2671"),
            vec![("phone".into(), "(415) 555-2671")]
        );
        assert_eq!(
            found("415-555-2671"),
            vec![("phone".into(), "415-555-2671")]
        );
        assert_eq!(
            found("Phone: 0496 46 46 70"),
            vec![("phone".into(), "0496 46 46 70")]
        );
        assert!(found("released 2023-05-12 build 1234567").is_empty());
        assert!(found("version 1.2.3 and 4.5.6").is_empty());
        assert!(found("total 123456789012 bytes").is_empty());
    }

    #[test]
    fn loopback_and_unspecified_addresses_are_not_personal() {
        for t in [
            "listening on 127.0.0.1:8080",
            "bind 0.0.0.0 port 80",
            "connect to [::1]:5432",
            "127.10.0.3 is loopback too",
        ] {
            assert!(found(t).is_empty(), "{t}");
        }
        assert_eq!(
            found("from 127.0.0.1 to 198.51.100.20"),
            vec![("ip-address".into(), "198.51.100.20")]
        );
    }

    #[test]
    fn ip_addresses() {
        assert_eq!(
            found("client 203.0.113.7 connected"),
            vec![("ip-address".into(), "203.0.113.7")]
        );
        assert_eq!(
            found("addr 2001:db8::1 up"),
            vec![("ip-address".into(), "2001:db8::1")]
        );
        assert!(found("at 12:30:45").is_empty());
        assert!(found("999.1.1.1").is_empty());
    }

    #[test]
    fn long_national_groups_and_bare_runs_after_a_phone_word() {
        for (t, want) in [
            ("Phone: +44 (0)141 496 0379", "+44 (0)141 496 0379"),
            ("Tel. +44(0)1414960379", "+44(0)1414960379"),
            ("Telefon: +49(0) 863794026", "+49(0) 863794026"),
            ("chiamami al +39 0131433210", "+39 0131433210"),
            ("mobile: 15510433218", "15510433218"),
            ("please call me at 9568413953 tonight", "9568413953"),
            ("Phone: +44 123456789", "+44 123456789"),
        ] {
            assert_eq!(found(t), vec![("phone".to_string(), want)], "{t}");
        }
        // a bare run after a generic word is an order or account number
        for t in [
            "order number 9568413953 shipped",
            "registered under 15510433218",
            "contact id 9568413953",
            "invoice 1234567890 paid",
        ] {
            assert!(!found(t).iter().any(|(r, _)| r == "phone"), "{t}");
        }
    }

    /// Formats real locales print that the rule used to miss (examples written here, in
    /// each country's published numbering layout).
    #[test]
    fn locale_formats_with_their_evidence() {
        for (t, want) in [
            // slash between area code and number: DIN 5008 (old), Austria, Hungary
            ("Tel. 0221/4711088", "0221/4711088"),
            ("Büro 030/89012345, ab 9 Uhr", "030/89012345"),
            ("Ordination: 0662/8044123", "0662/8044123"),
            ("06-1/234 5678 a titkárság", "06-1/234 5678"),
            ("(06)30/215-8844 mobil", "(06)30/215-8844"),
            ("hívjon: 06-27/412 3456", "06-27/412 3456"),
            ("Telefon: 30/215-8844", "30/215-8844"),
            ("call me at 1/234-5678", "1/234-5678"),
            ("tel.: (89)/345-6789", "(89)/345-6789"),
            // bare 8 and 9 digits right after a word that names a phone
            ("Ring til mig, tlf. 32145698", "32145698"),
            ("Please call me at 41237788 tomorrow.", "41237788"),
            ("text me at 41237788", "41237788"),
            ("ring me on 41237788", "41237788"),
            ("Tlf.\u{a0}32145698", "32145698"),
            ("mobil: 91234567", "91234567"),
            ("telefone 912345678 (TMN)", "912345678"),
            ("phone number: 213456789", "213456789"),
            // German area code with its trunk 0 in brackets, 5-6 digit number
            ("(0221) 47110", "(0221) 47110"),
            ("Rufnummer (03431) 712345", "(03431) 712345"),
            ("Fax (033203) 61234", "(033203) 61234"),
            ("(+358) 401234567", "(+358) 401234567"),
            // dotted groups outside North America, after a phone word
            ("phone: 02.9876.5432", "02.9876.5432"),
            ("call (08).8123.4567 today", "(08).8123.4567"),
            ("tel 9876.5432", "9876.5432"),
            ("call me at 305.123.4567", "305.123.4567"),
            // extensions after an international or dotted number
            ("+1-415-555-0132x98765", "+1-415-555-0132x98765"),
            ("415.555.0132x321", "415.555.0132x321"),
            ("+90(312)555-0132x4321", "+90(312)555-0132x4321"),
            ("1-415-555-0132x12345", "1-415-555-0132x12345"),
        ] {
            assert_eq!(found(t), vec![("phone".to_string(), want)], "{t}");
        }
    }

    /// Look-alikes of those formats, many after words that stand before phones: none is a
    /// phone.
    #[test]
    fn phone_look_alikes_stay_unflagged() {
        let mut wrong = Vec::new();
        for t in [
            // dates, times, versions, fractions, ratios
            "released 12/05/2024, call us",
            "call: 2024/05/12 10:30",
            "number 05/12 2024",
            "call me on 20240512",
            "cell 1672.2919 updated",
            "cell 13011324 updated",
            "call on 52113950",
            "call on 1363.8741",
            "cell 81053/20077044 updated",
            "hotel\u{a0}me at 41237788",
            "calls\u{2014}me at 41237788",
            "phone 15012024",
            "dial 1.2.3.4 then",
            "call version 10.15.7.1234",
            "build number 2024.0512.1234",
            "phone: 4.15.5550",
            "phone: 015.555.0132",
            "number 3/4 of 1234567",
            "call ratio 1234/5678",
            "number 12/345678",
            "mobile share 99/100",
            // decimals, prices, amounts
            "API call took 1234.5678 ms",
            "call cost 9600.1338 EUR",
            "tool call 48350305 returned",
            "the call 41237788 failed",
            "each call 12345678 bytes",
            "number of calls: 12345678",
            "call count 12345678",
            "price 1234.5678 USD per number",
            "total 12345678.90 paid, call",
            // ids, orders, ISBNs, ranges, pages
            "order number 48350305",
            "invoice 939083863",
            "hotel 41237788",
            "registered under 48350305",
            "contact id 939083863",
            "ISBN 978-3-16-148410-0",
            "pages 10-20",
            "see pages 1234-5678 of number",
            "number range 10000000-20000000",
            "ticket #48350305",
            "user 12345678 called",
            // file paths and URLs
            "call /srv/0221/1234567",
            "phone book at data/0662/8044123.csv",
            "see https://example.com/0221/4711088",
            "file 0221/1234567.txt",
            // IPs, hex, versions after phone-ish words
            "call 192.168.10.20",
            "dial 10.0.0.1",
            "tel 1.2.3.4",
            "number 0x48350305",
            "v2.3.4567.8901",
            // brackets that are not area codes
            "(12345) 678901",
            "in (2019) 123456 words",
            "zip (12345) 67890",
            // too short after the slash or no trunk and no phone word
            "Az. 15/594-0781",
            "ref 53/767 2423",
            "0221/12345",
            "01/123456",
            // dimensions and extension-like text
            "size 1920x1080",
            "image 12345x67890",
            "call 1234x5678",
        ] {
            let f = found(t);
            if f.iter().any(|(r, _)| r == "phone") {
                wrong.push(format!("{t}: {f:?}"));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn dotted_north_american_numbers_need_a_phone_word() {
        for t in [
            "phone: 415.555.0132",
            "my cell: 555.234.5678",
            "call 212.555.0187 after six",
        ] {
            assert!(found(t).iter().any(|(r, _)| r == "phone"), "{t}");
        }
        for t in [
            "version 415.555.0132",
            "upgraded to 212.555.0187",
            "the build number 415.555.0132 passed",
            "phone: 4.15.5550",
            "phone: 015.555.0132",
        ] {
            assert!(!found(t).iter().any(|(r, _)| r == "phone"), "{t}");
        }
    }

    #[test]
    fn driver_license_needs_context() {
        assert_eq!(
            found("driver's license number is D1234567"),
            vec![("driver-license".into(), "D1234567")]
        );
        assert!(found("order D1234567").is_empty());
        // a letter and dashed groups (Illinois, Wisconsin); the UK's 16-character number;
        // whole, never a part
        for (text, number) in [
            ("driver's license S530-4607-1234", "S530-4607-1234"),
            ("Driver license no. D123 4567 8901 23", "D123 4567 8901 23"),
            ("driving licence MORGA753116SM9IJ", "MORGA753116SM9IJ"),
            (
                "Driving licence number: JONES710238HA3DX",
                "JONES710238HA3DX",
            ),
            ("driving licence: MC999751008M99AB", "MC999751008M99AB"),
        ] {
            assert_eq!(
                found(text),
                vec![("driver-license".into(), number)],
                "{text}"
            );
        }
        assert!(found("ticket MORGA753116SM9IJ").is_empty());
    }
}
