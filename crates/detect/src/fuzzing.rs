//! Fuzz oracles for every parser of untrusted input in this crate. Shared by the cargo-fuzz
//! targets in `fuzz/` (feature `fuzzing`) and by this crate's unit tests, which run each
//! oracle over the committed seeds in `fuzz/seeds/<target>/` and over generated input on
//! stable Rust, so the bodies are exercised on every `cargo nextest run`.
//!
//! Each function takes arbitrary bytes and checks properties with `assert!`: a failed
//! assertion is the bug the fuzzer reports. None of them does I/O. Panicking is this
//! module's job, hence the lint allowance; it is compiled only for tests and with the
//! `fuzzing` feature, never into the gateway.
#![allow(clippy::panic)]

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::Value;

use crate::engine::{Engine, MAX_LINE};
use crate::url_guard::{CheckedHost, UrlGuard};
use crate::{json_strings, pii, redact, secret};

/// Families of the evaluation interface, picked by the first input byte in structured mode.
const FAMILIES: &[&str] = &["poisoning", "output_injection", "secret", "pii", "ssrf"];

/// `mcpwall detect --jsonl` line handling. The bytes are read the way the CLI reads them
/// (split at `\n`, lossy UTF-8, `\r` trimmed, blank lines skipped), each line judged raw;
/// then the same text is wrapped in a well-formed line of each family so the analyzers
/// themselves see arbitrary text. Every output line is one JSON object with the input's
/// `id` and either an `error` string or a `verdict` with in-bounds, ordered spans.
pub fn detect_line(data: &[u8]) {
    let engine = Engine::new();
    for raw in data.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        check_output_line(&engine.detect_line(line), None);
    }
    let text = String::from_utf8_lossy(data);
    let family = FAMILIES[usize::from(data.first().copied().unwrap_or(0)) % FAMILIES.len()];
    let line = serde_json::json!({"id": "fuzz", "family": family, "text": text}).to_string();
    if line.len() <= MAX_LINE {
        check_output_line(&engine.detect_line(&line), Some(&text));
    }
}

fn check_output_line(out: &str, text: Option<&str>) {
    assert!(!out.contains('\n'), "verdict line spans lines: {out}");
    let v: Value = match serde_json::from_str(out) {
        Ok(v) => v,
        Err(e) => panic!("verdict line is not json ({e}): {out}"),
    };
    assert!(v.get("id").is_some(), "no id: {out}");
    if let Some(err) = v.get("error") {
        assert!(err.is_string(), "error not a string: {out}");
        // a well-formed line of a known family always gets a verdict
        assert!(text.is_none(), "well-formed line got an error: {out}");
        return;
    }
    let verdict = v.get("verdict").and_then(Value::as_str);
    assert!(
        matches!(verdict, Some("malicious" | "benign")),
        "bad verdict: {out}"
    );
    let findings = v.get("findings").and_then(Value::as_array);
    assert!(findings.is_some(), "no findings array: {out}");
    let findings = findings.map(Vec::as_slice).unwrap_or_default();
    assert_eq!(
        verdict == Some("malicious"),
        !findings.is_empty(),
        "verdict and findings disagree: {out}"
    );
    for f in findings {
        let (Some(s), Some(e)) = (
            f.get("start").and_then(Value::as_u64),
            f.get("end").and_then(Value::as_u64),
        ) else {
            panic!("finding without span: {out}");
        };
        assert!(s <= e, "reversed span: {out}");
        assert!(
            f.get("rule").is_some_and(Value::is_string),
            "no rule: {out}"
        );
        if let (Some(t), None) = (text, f.get("path")) {
            assert!(e as usize <= t.len(), "span past the text: {out}");
        }
    }
}

/// The URL guard on arbitrary input: never panics, is deterministic, a URL that passes has
/// an allowed scheme and a host that passes on its own, and `check_resolved` returns only
/// addresses (from its input) that `check_ip` allows.
pub fn url_guard(data: &[u8]) {
    let guard = UrlGuard::default();
    let input = String::from_utf8_lossy(data);
    let first = guard.check_url(&input);
    assert_eq!(
        first,
        guard.check_url(&input),
        "not deterministic: {input:?}"
    );
    match &first {
        Ok(checked) => {
            assert!(
                matches!(checked.url.scheme(), "http" | "https"),
                "passed scheme `{}`",
                checked.url.scheme()
            );
            match &checked.host {
                CheckedHost::Ip(ip) => {
                    assert!(
                        guard.check_ip(*ip).is_ok(),
                        "passed address {ip} fails check_ip"
                    )
                }
                CheckedHost::Domain(d) => {
                    assert!(
                        guard.check_host(d).is_ok(),
                        "passed host `{d}` fails check_host"
                    )
                }
            }
        }
        Err(denial) => {
            let msg = denial.to_string();
            assert!(
                !msg.is_empty() && !msg.contains('\n'),
                "bad message {msg:?}"
            );
            assert!(denial.rule().starts_with("ssrf-"));
        }
    }
    let _ = guard.check_host(&input);
    // addresses from the bytes: 4 bytes per IPv4, 16 per IPv6, alternating
    let mut addrs: Vec<IpAddr> = Vec::new();
    let mut rest = data;
    let mut v6 = false;
    while !rest.is_empty() && addrs.len() < 32 {
        let n = if v6 { 16 } else { 4 };
        let mut buf = [0u8; 16];
        let take = n.min(rest.len());
        buf[..take].copy_from_slice(&rest[..take]);
        rest = &rest[take..];
        addrs.push(if v6 {
            IpAddr::V6(Ipv6Addr::from(buf))
        } else {
            IpAddr::V4(Ipv4Addr::new(buf[0], buf[1], buf[2], buf[3]))
        });
        v6 = !v6;
    }
    if let Ok(allowed) = guard.check_resolved("example.com", &addrs) {
        assert!(!allowed.is_empty());
        for a in &allowed {
            assert!(addrs.contains(a), "invented address {a}");
            assert!(
                guard.check_ip(*a).is_ok(),
                "allowed address {a} fails check_ip"
            );
        }
    }
}

/// Redaction and the scanners under it on arbitrary text: spans are in bounds, on char
/// boundaries and sorted; redaction is idempotent, keeps text without findings unchanged,
/// and the JSON form redacts a string the same way.
pub fn redact(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for (family, findings) in [("secret", secret::scan(&text)), ("pii", pii::scan(&text))] {
        let mut prev = 0;
        for f in &findings {
            assert!(
                f.start < f.end && f.end <= text.len(),
                "{family} span {f:?}"
            );
            assert!(
                text.is_char_boundary(f.start) && text.is_char_boundary(f.end),
                "{family} span off a char boundary {f:?}"
            );
            assert!(f.start >= prev, "{family} unsorted {f:?}");
            prev = f.start;
        }
    }
    let once = redact::redact(&text);
    let twice = redact::redact(&once);
    assert_eq!(once, twice, "redaction not idempotent on {text:?}");
    if redact::findings(&text, &redact::RedactOptions::default()).is_empty() {
        assert_eq!(once, text, "text without findings changed");
    }
    let mut v = Value::String(text.to_string());
    redact::redact_json(&mut v);
    assert_eq!(v, Value::String(once), "json redaction differs");
}

/// Rewrites every string value that holds a JSON document the way the rewriter compacts it
/// (and that document's own strings likewise), so that values can be compared.
fn compact_nested(v: &mut Value) {
    match v {
        Value::String(s) => {
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                if let Some(doc) = json_strings::map_string_values(s, &mut |_| None) {
                    *s = match serde_json::from_str::<Value>(&doc) {
                        Ok(mut inner) => {
                            compact_nested(&mut inner);
                            inner.to_string()
                        }
                        Err(_) => doc,
                    };
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(compact_nested),
        Value::Object(o) => o.values_mut().for_each(compact_nested),
        _ => {}
    }
}

/// The streaming string rewriter ([`json_strings::map_string_values`]) against `serde_json`:
/// both accept the same documents (only numbers beyond `f64` range are accepted by the
/// rewriter alone, which copies numbers as written), and with the identity mapping its output
/// is the same value (a string holding a JSON document is compacted, as documented). With redaction as the mapping, the output is still one JSON document,
/// its keys are the input's, and every string value is a fixed point of redaction.
pub fn json_strings(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let ours = json_strings::map_string_values(&text, &mut |_| None);
    let theirs = serde_json::from_str::<Value>(&text);
    match (&ours, &theirs) {
        (Some(out), Ok(v)) => {
            let mut back: Value = serde_json::from_str(out)
                .unwrap_or_else(|e| panic!("output is not json ({e}): {out:?}"));
            let mut v = v.clone();
            compact_nested(&mut back);
            compact_nested(&mut v);
            assert_eq!(back, v, "identity mapping changed the value of {text:?}");
        }
        (None, Ok(_)) => panic!("serde_json accepts what the rewriter rejects: {text:?}"),
        (Some(out), Err(e)) => assert!(
            e.to_string().contains("number out of range"),
            "rewriter accepts what serde_json rejects ({e}): {text:?} -> {out:?}"
        ),
        (None, Err(_)) => {}
    }
    let red = json_strings::map_string_values(&text, &mut |s| {
        let r = redact::redact(s);
        (r != s).then_some(r)
    });
    assert_eq!(red.is_some(), ours.is_some(), "mapping changed acceptance");
    let (Some(red), Some(out)) = (red, ours) else {
        return;
    };
    let (Ok(rv), Ok(ov)) = (
        serde_json::from_str::<Value>(&red),
        serde_json::from_str::<Value>(&out),
    ) else {
        // only documents with numbers beyond f64 range fail here, on both sides
        assert!(
            serde_json::from_str::<Value>(&out).is_err(),
            "redacted output is not json: {red:?}"
        );
        return;
    };
    fn check(r: &Value, o: &Value) {
        match (r, o) {
            (Value::String(rs), Value::String(_)) => {
                assert_eq!(
                    &redact::redact(rs),
                    rs,
                    "string value not redacted to a fixed point"
                );
            }
            (Value::Array(ra), Value::Array(oa)) => {
                assert_eq!(ra.len(), oa.len());
                ra.iter().zip(oa).for_each(|(r, o)| check(r, o));
            }
            (Value::Object(rm), Value::Object(om)) => {
                assert!(rm.keys().eq(om.keys()), "keys changed");
                rm.values().zip(om.values()).for_each(|(r, o)| check(r, o));
            }
            (r, o) => assert_eq!(r, o),
        }
    }
    check(&rv, &ov);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The committed seeds of one target (`fuzz/seeds/<target>/`).
    fn seeds(target: &str) -> Vec<Vec<u8>> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../fuzz/seeds")
            .join(target);
        let mut out = Vec::new();
        for e in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
            let p = e.unwrap().path();
            out.push(std::fs::read(&p).unwrap());
        }
        assert!(out.len() >= 5, "too few seeds in {}", dir.display());
        out
    }

    #[test]
    fn detect_line_seeds() {
        for s in seeds("detect_line") {
            detect_line(&s);
        }
    }

    #[test]
    fn url_guard_seeds() {
        for s in seeds("url_guard") {
            url_guard(&s);
        }
    }

    #[test]
    fn json_strings_seeds() {
        for s in seeds("json_strings") {
            json_strings(&s);
        }
    }

    #[test]
    fn redact_seeds() {
        for s in seeds("redact") {
            redact(&s);
        }
    }

    /// JSON values whose strings hold secrets, PII, escapes and JSON documents of their own.
    fn json_value() -> impl Strategy<Value = Value> {
        let text = proptest::string::string_regex(
            r#"( |[a-z]{1,6}|[0-9]{1,4}|"|\\|\n|\u{1}|é|😀|\{|\[|ghp_[A-Za-z0-9]{36}|AKIA[A-Z2-7]{16}|bob@example\.com|4111 1111 1111 1111|api_key=[A-Za-z0-9]{24}){0,8}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            (-1e6f64..1e6).prop_map(Value::from),
            text.prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
                proptest::collection::btree_map("[a-z_]{0,8}", inner.clone(), 0..6)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
                // a JSON document inside a string
                inner.prop_map(|v| Value::String(format!(" {v}"))),
            ]
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn detect_line_arbitrary(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            detect_line(&data);
        }

        #[test]
        fn detect_line_jsonish(s in r#"[{}\[\]":,a-z0-9 \\\n_-]{0,200}"#) {
            detect_line(s.as_bytes());
        }

        #[test]
        fn url_guard_arbitrary(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            url_guard(&data);
        }

        #[test]
        fn url_guard_urlish(s in r"(https?|ftp|file|gopher)?:?/{0,3}[a-z0-9.@:%\[\]\\/?#_x-]{0,60}") {
            url_guard(s.as_bytes());
        }

        #[test]
        fn json_strings_documents(v in json_value(), pretty in any::<bool>()) {
            let text = if pretty {
                serde_json::to_string_pretty(&v).unwrap_or_default()
            } else {
                v.to_string()
            };
            json_strings(text.as_bytes());
        }

        #[test]
        fn json_strings_arbitrary(data in proptest::collection::vec(any::<u8>(), 0..256)) {
            json_strings(&data);
        }

        #[test]
        fn json_strings_jsonish(s in r#"([{}\[\]":, \n\t0-9.eE+-]|true|false|null|\\[nu"\\/]|d83d|de00|ab|ghp_[A-Za-z0-9]{36}|bob@example\.com|\{\\"k\\":\\"v\\"\}){0,60}"#) {
            json_strings(s.as_bytes());
        }

        #[test]
        fn redact_arbitrary(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            redact(&data);
        }

        #[test]
        fn redact_credentialish(s in r"([A-Za-z0-9_=:+/.@ -]|api_key|token|password|AKIA|ghp_|\[REDACTED:x\]|\n){0,80}") {
            redact(s.as_bytes());
        }
    }
}
