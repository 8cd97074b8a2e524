//! The canonical JSON form that the hash chain commits to.
//!
//! Rules (also in `docs/audit.md`): UTF-8; no whitespace outside strings; object keys sorted
//! by their UTF-8 bytes at every depth; strings escaped as `serde_json` does (`\"`, `\\`,
//! `\b \f \n \r \t`, other control characters as `\u00xx` lowercase, everything else
//! literal); integers in plain decimal; other numbers as `serde_json` writes them. Absent
//! optional event fields are omitted (never `null`). This matches Python's
//! `json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` for every
//! value mcpwall writes (it writes no floating-point numbers outside `detail`).

use serde_json::{Map, Value};

use crate::event::{Event, ResultSummary};

/// Appends the canonical form of `v` to `out`.
pub fn write(v: &Value, out: &mut String) {
    let mut buf = std::mem::take(out).into_bytes();
    write_bytes(v, &mut buf);
    // Only serde_json's own output and whole UTF-8 strings were appended.
    *out = String::from_utf8(buf)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
}

/// Appends the canonical form of `v` to `out` without allocating per key or scalar (this runs
/// for every record on the commit path).
fn write_bytes(v: &Value, out: &mut Vec<u8>) {
    match v {
        // strings through the one escaper the event writer and object keys use
        Value::String(text) => escape(text, out),
        Value::Null | Value::Bool(_) | Value::Number(_) => {
            // serde_json's compact form of a scalar is already canonical; writing into a Vec
            // cannot fail.
            let _ = serde_json::to_writer(&mut *out, v);
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_bytes(item, out);
            }
            out.push(b']');
        }
        Value::Object(map) => {
            // Sorted explicitly in `write_map`: serde_json's map order depends on a cargo
            // feature (`preserve_order`) that another crate in the build may switch on.
            write_map(map, out);
        }
    }
}

/// Appends the canonical form of `event` to `out`, written field by field: the same text as
/// `to_string(&serde_json::to_value(event))` (the property test below holds them equal),
/// without building the `Value` tree first. Every record's hash is computed over this text,
/// on the commit path and by `verify`.
pub fn write_event(event: &Event, out: &mut Vec<u8>) {
    // Keys in byte order, as the canonical form sorts them; absent fields are omitted, as
    // the serde attributes of `Event` omit them.
    let mut w = Obj::new(out);
    w.opt("args", &event.args);
    w.opt("args_sha256", &event.args_sha256);
    if let Some(n) = event.args_size {
        w.key("args_size").number(n);
    }
    if event.args_truncated {
        w.key("args_truncated").raw("true");
    }
    if let Some(d) = event.decision {
        w.key("decision").string(d.as_str());
    }
    if !event.detail.is_empty() {
        w.key("detail");
        write_map(&event.detail, w.out);
    }
    w.opt("identity", &event.identity);
    w.key("kind").string(event.kind.as_str());
    if let Some(l) = event.latency_us {
        w.key("latency_us").number(l);
    }
    w.opt("method", &event.method);
    w.opt("reason", &event.reason);
    w.opt("request_id", &event.request_id);
    if let Some(r) = &event.result {
        w.key("result");
        write_result(r, w.out);
    }
    w.opt("rule", &event.rule);
    w.opt("server", &event.server);
    w.opt("session", &event.session);
    w.key("time").string(&crate::time_fmt::format(event.time));
    w.opt("tool", &event.tool);
    w.opt("transport", &event.transport);
    w.end();
}

fn write_result(r: &ResultSummary, out: &mut Vec<u8>) {
    let mut w = Obj::new(out);
    w.opt("excerpt", &r.excerpt);
    if r.excerpt_truncated {
        w.key("excerpt_truncated").raw("true");
    }
    w.key("is_error")
        .raw(if r.is_error { "true" } else { "false" });
    w.key("sha256").string(&r.sha256);
    w.key("size").number(r.size);
    w.end();
}

fn write_map(map: &Map<String, Value>, out: &mut Vec<u8>) {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    out.push(b'{');
    for (i, (k, val)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        escape(k, out);
        out.push(b':');
        write_bytes(val, out);
    }
    out.push(b'}');
}

/// Writes one object's members in the order given.
struct Obj<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Obj<'a> {
    fn new(out: &'a mut Vec<u8>) -> Self {
        out.push(b'{');
        Obj { out, first: true }
    }

    /// A member name: one of the schema's field names, which need no escaping.
    fn key(&mut self, k: &'static str) -> &mut Self {
        debug_assert!(k
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_' || b.is_ascii_digit()));
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\":");
        self
    }

    /// A string member, when present.
    fn opt(&mut self, k: &'static str, v: &Option<String>) {
        if let Some(v) = v {
            self.key(k).string(v);
        }
    }

    fn string(&mut self, s: &str) {
        escape(s, self.out);
    }

    fn number(&mut self, n: u64) {
        push_u64(n, self.out);
    }

    fn raw(&mut self, s: &str) {
        self.out.extend_from_slice(s.as_bytes());
    }

    fn end(self) {
        self.out.push(b'}');
    }
}

/// `s` as a JSON string, escaped exactly as `serde_json` escapes (see the module comment).
/// Runs of bytes that need no escape are found eight bytes at a time.
fn escape(s: &str, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    let b = s.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < b.len() {
        // skip whole words without a quote, a backslash or a control character
        while let Some(chunk) = b.get(i..i + 8) {
            let mut w = [0u8; 8];
            w.copy_from_slice(chunk);
            if needs_escape(u64::from_le_bytes(w)) {
                break;
            }
            i += 8;
        }
        let Some(&c) = b.get(i) else { break };
        let short: &[u8] = match c {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0..=0x1f => b"",
            _ => {
                i += 1;
                continue;
            }
        };
        out.extend_from_slice(&b[run..i]);
        if short.is_empty() {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(c >> 4)]);
            out.push(HEX[usize::from(c & 0xf)]);
        } else {
            out.extend_from_slice(short);
        }
        i += 1;
        run = i;
    }
    out.extend_from_slice(&b[run..]);
    out.push(b'"');
}

/// Whether any byte of the little-endian word `w` is `"`, a backslash or below 0x20 (exact: see
/// `word_test_is_exact_per_byte`).
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // a byte is zero after xor with the sought byte; "has zero byte" is exact in this form
    let zero = |v: u64| (v.wrapping_sub(ONES) & !v & HIGH) != 0;
    // bytes below 0x20: high bit clear in b, and in (b | 0x80) - 0x20 (no byte borrows from
    // its neighbour, since every (b | 0x80) is at least 0x80)
    let control = (!(w | HIGH).wrapping_sub(ONES * 0x20) & !w & HIGH) != 0;
    zero(w ^ (ONES * u64::from(b'"'))) || zero(w ^ (ONES * u64::from(b'\\'))) || control
}

/// Appends `n` in decimal.
fn push_u64(mut n: u64, out: &mut Vec<u8>) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// The canonical form of `v`.
pub fn to_string(v: &Value) -> String {
    let mut out = String::with_capacity(512);
    write(v, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorted_compact_escaped() {
        let v = json!({"b": 1, "a": {"z": [true, null, "x\n\u{1}é"], "y": -3}, "A": "/"});
        assert_eq!(
            to_string(&v),
            r#"{"A":"/","a":{"y":-3,"z":[true,null,"x\n\u0001é"]},"b":1}"#
        );
    }

    /// The former writer (a `to_string` per key and scalar), kept as the reference.
    fn reference(v: &Value, out: &mut String) {
        match v {
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    reference(item, out);
                }
                out.push(']');
            }
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                out.push('{');
                for (i, (k, val)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    reference(val, out);
                }
                out.push('}');
            }
            _ => out.push_str(&v.to_string()),
        }
    }

    use crate::event::{Decision, Event, EventKind};
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        proptest::string::string_regex(
            r#"([a-z0-9 :/._-]|"|\\|\n|\t|\u{1}|\u{1f}|\u{7f}|é|😀|\u{2028}){0,12}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }

    prop_compose! {
        fn event()(
            kind in prop_oneof![Just(EventKind::Call), Just(EventKind::Result), Just(EventKind::KillSwitch), "[a-z_.]{1,8}".prop_map(EventKind::Other)],
            micros in 0i64..4_000_000_000_000_000,
            strs in proptest::collection::vec(proptest::option::of(text()), 10),
            nums in proptest::collection::vec(proptest::option::of(any::<u64>()), 3),
            flags in proptest::collection::vec(any::<bool>(), 4),
            decision in proptest::option::of(prop_oneof![Just(Decision::Allow), Just(Decision::Deny), Just(Decision::Modify), Just(Decision::Hold)]),
            detail in proptest::collection::vec((text(), prop_oneof![text().prop_map(Value::from), any::<i64>().prop_map(Value::from), any::<bool>().prop_map(Value::from), Just(serde_json::json!({"b": [1, "x"], "a": null}))]), 0..4),
        ) -> Event {
            let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            let mut e = Event::at(kind, t);
            e.session = strs[0].clone();
            e.identity = strs[1].clone();
            e.server = strs[2].clone();
            e.transport = strs[3].clone();
            e.method = strs[4].clone();
            e.request_id = strs[5].clone();
            e.tool = strs[6].clone();
            e.args = strs[7].clone();
            e.rule = strs[8].clone();
            e.reason = strs[9].clone();
            e.args_truncated = flags[0];
            e.args_size = nums[0];
            e.args_sha256 = strs[2].clone().map(|s| s + "ab");
            e.latency_us = nums[1];
            e.decision = decision;
            if flags[1] {
                e.result = Some(crate::event::ResultSummary {
                    size: nums[2].unwrap_or(0),
                    is_error: flags[2],
                    sha256: "0f".repeat(32),
                    excerpt: strs[9].clone(),
                    excerpt_truncated: flags[3],
                });
            }
            for (k, v) in detail {
                e.detail.insert(k, v);
            }
            e
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn event_writer_matches_the_value_path(e in event()) {
            let want = to_string(&serde_json::to_value(&e).unwrap());
            let mut got = Vec::new();
            write_event(&e, &mut got);
            prop_assert_eq!(String::from_utf8(got).unwrap(), want);
        }
    }

    #[test]
    fn word_test_is_exact_per_byte() {
        // every byte value at every position of a word of otherwise plain bytes
        for pos in 0..8 {
            for b in 0..=255u8 {
                let mut w = *b"abcdefgh";
                w[pos] = b;
                let want = b == b'"' || b == b'\\' || b < 0x20;
                assert_eq!(needs_escape(u64::from_le_bytes(w)), want, "{b:#x} at {pos}");
            }
        }
        // neighbours that borrow in the subtraction do not hide or fake a hit
        for w in [
            [0x20u8; 8],
            [0x80; 8],
            [0xff; 8],
            [0x21, 0x00, 0x21, 0x21, 0x5b, 0x5d, 0x23, 0x1f],
        ] {
            let want = w.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20);
            assert_eq!(needs_escape(u64::from_le_bytes(w)), want, "{w:?}");
        }
        // and arbitrary words (xorshift, fixed seed), biased towards the interesting bytes
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..200_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let mut w = x.to_le_bytes();
            for (k, b) in w.iter_mut().enumerate() {
                if (x >> (k * 3)) & 7 == 0 {
                    *b = [b'"', b'\\', 0x1f, 0x20, 0x7f, 0x80, 0x00, 0x5c]
                        [(x >> (k * 5 + 1)) as usize & 7];
                }
            }
            let want = w.iter().any(|&b| b == b'"' || b == b'\\' || b < 0x20);
            assert_eq!(needs_escape(u64::from_le_bytes(w)), want, "{w:?}");
        }
        let mut out = Vec::new();
        for n in [0, 7, 10, 99, 100, u64::MAX] {
            out.clear();
            push_u64(n, &mut out);
            assert_eq!(out, n.to_string().as_bytes());
        }
    }

    #[test]
    fn same_text_as_the_reference_writer() {
        let v = json!({
            "kéy\u{7f}\"\\": ["\u{0}\u{1f}\u{2028}\u{10ffff}", 1.5, -0.0, 18446744073709551615u64, -9223372036854775808i64],
            "nested": {"z": {"y": [null, false, {"\t": "\r"}]}, "": ""},
            "emoji": "😀 \\ / <>&",
        });
        let mut want = String::new();
        reference(&v, &mut want);
        assert_eq!(to_string(&v), want);
    }
}
