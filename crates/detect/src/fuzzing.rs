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
use crate::{pii, redact, secret};

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
    fn redact_seeds() {
        for s in seeds("redact") {
            redact(&s);
        }
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
        fn redact_arbitrary(data in proptest::collection::vec(any::<u8>(), 0..512)) {
            redact(&data);
        }

        #[test]
        fn redact_credentialish(s in r"([A-Za-z0-9_=:+/.@ -]|api_key|token|password|AKIA|ghp_|\[REDACTED:x\]|\n){0,80}") {
            redact(s.as_bytes());
        }
    }
}
