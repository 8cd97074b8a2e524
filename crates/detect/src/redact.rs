//! Redaction of secrets and PII: idempotent, never leaves a secret partly visible.
//!
//! How the two guarantees hold:
//! * **Whole spans.** Findings are merged when they overlap or touch, and the merged span
//!   is replaced as a whole by one marker `[REDACTED:<rule>]` (the rule of the finding that
//!   starts first). A secret is never cut in two with one half left in clear.
//! * **Idempotence.** Markers match no rule (their alphabet is letters, `-`, `:` and
//!   brackets, with no keyword-assignment shape). Redaction repeats until a pass finds
//!   nothing (bounded), so the output is a fixed point: `redact(redact(x)) == redact(x)`.
//!   The property tests in `tests/it/redact.rs` check both on generated input.

use std::borrow::Cow;

use serde_json::Value;

use crate::finding::{Family, Finding};
use crate::{pii, secret};

/// Passes redaction may take before giving up on reaching a fixed point. A second pass
/// only happens when a marker and its neighbours form a new match; that is rare and
/// always shrinks the clear text.
const MAX_PASSES: usize = 6;

/// What to redact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedactOptions {
    /// Redact credentials (family `secret`).
    pub secrets: bool,
    /// Redact personal data (family `pii`).
    pub pii: bool,
    /// PII rules not to redact (ids from [`pii::RULE_IDS`]), e.g. `ip-address` in an
    /// operations context.
    pub pii_skip: Vec<String>,
}

impl Default for RedactOptions {
    fn default() -> Self {
        RedactOptions {
            secrets: true,
            pii: true,
            pii_skip: Vec::new(),
        }
    }
}

/// The marker that replaces a finding of `rule`.
pub fn marker(rule: &str) -> String {
    format!("[REDACTED:{rule}]")
}

/// Redacts secrets and PII with the default options.
pub fn redact(text: &str) -> String {
    redact_with(text, &RedactOptions::default())
}

/// Redacts what `opts` selects.
pub fn redact_with(text: &str, opts: &RedactOptions) -> String {
    let mut cur: Cow<'_, str> = Cow::Borrowed(text);
    for _ in 0..MAX_PASSES {
        let findings = findings(&cur, opts);
        if findings.is_empty() {
            return cur.into_owned();
        }
        cur = Cow::Owned(apply(&cur, &findings));
    }
    // Still changing after the bound: fail closed by masking every remaining finding
    // span with a generic marker until nothing is found (each pass removes clear text).
    let mut s = cur.into_owned();
    for _ in 0..MAX_PASSES {
        let f = findings(&s, opts);
        if f.is_empty() {
            break;
        }
        s = apply(&s, &f);
    }
    s
}

/// The findings redaction acts on, sorted by start (secrets and PII together).
pub fn findings(text: &str, opts: &RedactOptions) -> Vec<Finding> {
    let mut all = Vec::new();
    if opts.secrets {
        all.extend(secret::scan(text));
    }
    if opts.pii {
        // skipped rules leave the overlap resolution, so what they would have claimed is
        // still redacted under any other rule that finds it
        all.extend(pii::scan_except(text, &opts.pii_skip));
    }
    // never re-redact inside an existing marker
    let markers = marker_spans(text);
    all.retain(|f| !markers.iter().any(|&(s, e)| s <= f.start && f.end <= e));
    all.sort_by_key(|f| (f.start, f.end));
    all
}

/// Replaces merged finding spans by markers.
pub fn apply(text: &str, findings: &[Finding]) -> String {
    let mut spans: Vec<(usize, usize, &str)> = findings
        .iter()
        .filter(|f| f.start < f.end && f.end <= text.len())
        .map(|f| (f.start, f.end, f.rule.as_ref()))
        .collect();
    spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
    let mut merged: Vec<(usize, usize, &str)> = Vec::new();
    for (s, e, r) in spans {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e, r)),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for (s, e, r) in merged {
        // spans are byte offsets from our own scanners; keep them on char boundaries
        let s = floor_boundary(text, s);
        let e = ceil_boundary(text, e);
        if s < pos {
            continue;
        }
        out.push_str(&text[pos..s]);
        out.push_str(&marker(r));
        pos = e;
    }
    out.push_str(&text[pos..]);
    out
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil_boundary(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i.min(s.len())
}

/// Byte spans of `[REDACTED:…]` markers already in `text`.
fn marker_spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("[REDACTED:") {
        let s = from + i;
        let rest = &text[s + 10..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        if rest[len..].starts_with(']') {
            out.push((s, s + 10 + len + 1));
            from = s + 10 + len + 1;
        } else {
            from = s + 10;
        }
    }
    out
}

/// Redacts every string (and every object key) of a JSON value in place with the default
/// options. Returns how many strings changed.
pub fn redact_json(value: &mut Value) -> usize {
    redact_json_with(value, &RedactOptions::default())
}

/// [`redact_json`] with options.
pub fn redact_json_with(value: &mut Value, opts: &RedactOptions) -> usize {
    // iterative walk: tool results can nest deeply, recursion could overflow the stack
    let mut changed = 0;
    let mut stack: Vec<&mut Value> = vec![value];
    while let Some(v) = stack.pop() {
        match v {
            Value::String(s) => {
                let r = redact_with(s, opts);
                if r != *s {
                    *s = r;
                    changed += 1;
                }
            }
            Value::Array(a) => stack.extend(a.iter_mut()),
            Value::Object(map) => {
                let needs_key_change = map.keys().any(|k| redact_with(k, opts) != *k);
                if needs_key_change {
                    let old = std::mem::take(map);
                    for (k, v) in old {
                        let nk = redact_with(&k, opts);
                        if nk != k {
                            changed += 1;
                        }
                        map.insert(nk, v);
                    }
                }
                stack.extend(map.values_mut());
            }
            _ => {}
        }
    }
    changed
}

/// True when `f` comes from a family redaction handles.
pub fn is_redactable(f: &Finding) -> bool {
    matches!(f.family, Family::Secret | Family::Pii)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_secret() {
        let t = "export GITHUB_TOKEN=ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2z4A done";
        assert_eq!(redact(t), "export GITHUB_TOKEN=[REDACTED:github-pat] done");
    }

    #[test]
    fn pii_marker() {
        assert_eq!(redact("mail jane@example.org"), "mail [REDACTED:email]");
    }

    #[test]
    fn overlapping_spans_merge() {
        let f = vec![
            Finding {
                family: Family::Secret,
                rule: "a".into(),
                start: 2,
                end: 6,
                path: None,
            },
            Finding {
                family: Family::Pii,
                rule: "b".into(),
                start: 4,
                end: 9,
                path: None,
            },
        ];
        assert_eq!(apply("0123456789", &f), "01[REDACTED:a]9");
    }

    #[test]
    fn idempotent_on_examples() {
        for t in [
            "api_key = \"q8Zr2VbX4nT7mK1pW9sLc3Hd\" and jane@example.org",
            "card 4111 1111 1111 1111, AKIAQYLPMN5HFIQR7XQB",
            "[REDACTED:email] [REDACTED:nope",
        ] {
            let once = redact(t);
            assert_eq!(redact(&once), once);
        }
    }

    #[test]
    fn json_in_place() {
        let mut v = serde_json::json!({"a": ["x", {"k": "token=ghp_aB3dE5fG7hJ9kL1mN2pQ4rS6tU8vW0xY2z4A"}], "jane@example.org": 1});
        let n = redact_json(&mut v);
        assert_eq!(n, 2);
        assert_eq!(v["a"][1]["k"], "token=[REDACTED:github-pat]");
        assert!(v.get("[REDACTED:email]").is_some());
    }

    #[test]
    fn options_select_families() {
        let t = "jane@example.org AKIAQYLPMN5HFIQR7XQB";
        let only_pii = RedactOptions {
            secrets: false,
            ..RedactOptions::default()
        };
        assert_eq!(
            redact_with(t, &only_pii),
            "[REDACTED:email] AKIAQYLPMN5HFIQR7XQB"
        );
    }

    #[test]
    fn a_skipped_rule_does_not_unmask_what_it_would_have_claimed() {
        // NHS England's published example number, after a word that makes it a phone too
        let t = "call number 943 476 5919 today";
        let all = redact(t);
        assert!(!all.contains("5919"), "{all}");
        let no_phone = RedactOptions {
            pii_skip: vec!["phone".to_owned()],
            ..RedactOptions::default()
        };
        let red = redact_with(t, &no_phone);
        assert_eq!(red, "call number [REDACTED:uk-nhs] today");
        // a plain phone number is left alone when `phone` is skipped
        let phone = "call +1 (415) 555-0132 today";
        assert_eq!(redact_with(phone, &no_phone), phone);
    }
}
