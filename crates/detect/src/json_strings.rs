//! One pass over a JSON document that rewrites its string values: the streaming form of
//! "parse into a `serde_json::Value`, change every string, serialize again", without building
//! the tree. The audit trail redacts every payload this way before it stores it, on the path
//! of each message, so the tree's allocations and the second serialization mattered (they
//! were about half of the redaction's cost on a small JSON-RPC message).
//!
//! What it produces is what that round trip would produce, except that object members keep
//! their order and duplicates (a `Value` sorts and de-duplicates keys) and numbers keep their
//! spelling (a `Value` re-prints them, and refuses numbers out of `f64` range): whitespace
//! outside strings is dropped, strings are escaped the way `serde_json` escapes them.
//! Input that is not exactly one JSON value (with surrounding white space) gives `None`,
//! as does nesting deeper than [`MAX_DEPTH`].

use std::borrow::Cow;

/// Deepest nesting of arrays and objects accepted: `serde_json`'s (its recursion limit of 128
/// counts down to zero, so 127 levels parse).
pub const MAX_DEPTH: usize = 127;

/// Rewrites every string value of the JSON document `text` (object keys are kept) with
/// `each`, which returns `None` to keep a string as it is. A string value whose text, after
/// leading white space, starts with `{` or `[` and is itself a JSON document is rewritten the
/// same way first, and `each` then sees the rewritten inner document. Returns the compact
/// document, or `None` when `text` is not one JSON value.
pub fn map_string_values(
    text: &str,
    each: &mut dyn FnMut(&str) -> Option<String>,
) -> Option<String> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
        out: String::with_capacity(text.len() + 16),
        each,
    };
    p.ws();
    p.value(0)?;
    p.ws();
    (p.i == p.s.len()).then_some(p.out)
}

struct Parser<'a, 'f> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
    out: String,
    each: &'f mut dyn FnMut(&str) -> Option<String>,
}

impl<'a> Parser<'a, '_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.s.get(self.i) {
            self.i += 1;
        }
    }

    fn value(&mut self, depth: usize) -> Option<()> {
        match *self.s.get(self.i)? {
            b'{' => {
                if self.open(b'}', depth)? {
                    return Some(());
                }
                loop {
                    if self.s.get(self.i) != Some(&b'"') {
                        return None;
                    }
                    let key = self.string()?;
                    write_escaped(&mut self.out, &key);
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return None;
                    }
                    self.i += 1;
                    self.out.push(':');
                    self.ws();
                    self.value(depth + 1)?;
                    if self.next_or_close(b'}')? {
                        return Some(());
                    }
                }
            }
            b'[' => {
                if self.open(b']', depth)? {
                    return Some(());
                }
                loop {
                    self.value(depth + 1)?;
                    if self.next_or_close(b']')? {
                        return Some(());
                    }
                }
            }
            b'"' => {
                let s = self.string()?;
                let inner = nested_document(&s).and_then(|t| map_string_values(t, self.each));
                let s = match inner {
                    Some(doc) => Cow::Owned(doc),
                    None => s,
                };
                match (self.each)(&s) {
                    Some(changed) => write_escaped(&mut self.out, &changed),
                    None => write_escaped(&mut self.out, &s),
                }
                Some(())
            }
            b't' => self.literal("true"),
            b'f' => self.literal("false"),
            b'n' => self.literal("null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// At `{` or `[` (nesting `depth` outside it): copies it, and its `close` at once when
    /// the container is empty (`Some(true)`); too deep is not accepted.
    fn open(&mut self, close: u8, depth: usize) -> Option<bool> {
        if depth >= MAX_DEPTH {
            return None;
        }
        self.out.push(char::from(self.s[self.i]));
        self.i += 1;
        self.ws();
        if self.s.get(self.i) != Some(&close) {
            return Some(false);
        }
        self.i += 1;
        self.out.push(char::from(close));
        Some(true)
    }

    /// After a member or element: a `,` (another follows: `Some(false)`) or `close` (the
    /// container ends: `Some(true)`); anything else is not JSON.
    fn next_or_close(&mut self, close: u8) -> Option<bool> {
        self.ws();
        let c = *self.s.get(self.i)?;
        if c != b',' && c != close {
            return None;
        }
        self.i += 1;
        self.out.push(char::from(c));
        self.ws();
        Some(c == close)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        if self.s[self.i..].starts_with(word.as_bytes()) {
            self.i += word.len();
            self.out.push_str(word);
            Some(())
        } else {
            None
        }
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`, copied as written.
    fn number(&mut self) -> Option<()> {
        let start = self.i;
        if self.s.get(self.i) == Some(&b'-') {
            self.i += 1;
        }
        match self.s.get(self.i)? {
            b'0' => self.i += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.s.get(self.i) == Some(&b'.') {
            self.i += 1;
            if !self.s.get(self.i)?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if let Some(b'e' | b'E') = self.s.get(self.i) {
            self.i += 1;
            if let Some(b'+' | b'-') = self.s.get(self.i) {
                self.i += 1;
            }
            if !self.s.get(self.i)?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        self.out.push_str(&self.text[start..self.i]);
        Some(())
    }

    fn digits(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
            self.i += 1;
        }
    }

    /// The decoded string starting at the opening quote at `self.i`; borrowed when it has no
    /// escapes.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        self.i += 1;
        let start = self.i;
        // fast path: no escape before the closing quote
        loop {
            match *self.s.get(self.i)? {
                b'"' => {
                    let s = &self.text[start..self.i];
                    self.i += 1;
                    return Some(Cow::Borrowed(s));
                }
                b'\\' => break,
                c if c < 0x20 => return None,
                _ => self.i += 1,
            }
        }
        let mut buf = String::with_capacity(self.i - start + 16);
        buf.push_str(&self.text[start..self.i]);
        loop {
            let run = self.i;
            while let Some(&c) = self.s.get(self.i) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.i += 1;
            }
            buf.push_str(&self.text[run..self.i]);
            match *self.s.get(self.i)? {
                b'"' => {
                    self.i += 1;
                    return Some(Cow::Owned(buf));
                }
                b'\\' => {
                    self.i += 1;
                    let c = match *self.s.get(self.i)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            self.i += 1;
                            let hi = self.hex4()?;
                            let c = if (0xD800..0xDC00).contains(&hi) {
                                // a high surrogate must be followed by an escaped low one
                                if !self.s[self.i..].starts_with(b"\\u") {
                                    return None;
                                }
                                self.i += 2;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return None;
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else if (0xDC00..0xE000).contains(&hi) {
                                return None;
                            } else {
                                hi
                            };
                            buf.push(char::from_u32(c)?);
                            continue;
                        }
                        _ => return None,
                    };
                    self.i += 1;
                    buf.push(c);
                }
                _ => return None,
            }
        }
    }

    /// Four hex digits at `self.i`.
    fn hex4(&mut self) -> Option<u32> {
        let h = self.s.get(self.i..self.i + 4)?;
        let mut v = 0u32;
        for &b in h {
            v = v * 16 + char::from(b).to_digit(16)?;
        }
        self.i += 4;
        Some(v)
    }
}

/// The text of a string value that may hold a JSON document (starts with `{` or `[` after
/// leading white space).
fn nested_document(s: &str) -> Option<&str> {
    let t = s.trim_start();
    (t.starts_with('{') || t.starts_with('[')).then_some(s)
}

/// Appends `s` as a JSON string literal, escaped as `serde_json` escapes: `"`, `\`, and the
/// control characters below U+0020 (`\b \f \n \r \t` by name, the others as `\u00XX`).
pub fn write_escaped(out: &mut String, s: &str) {
    out.push('"');
    let b = s.as_bytes();
    let mut run = 0;
    for (i, &c) in b.iter().enumerate() {
        let esc: &str = match c {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[run..i]);
        if esc.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(c >> 4)]));
            out.push(char::from(HEX[usize::from(c & 0xf)]));
        } else {
            out.push_str(esc);
        }
        run = i + 1;
    }
    out.push_str(&s[run..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn same(text: &str) -> Option<String> {
        map_string_values(text, &mut |_| None)
    }

    #[test]
    fn compacts_and_keeps_order_and_numbers() {
        assert_eq!(
            same(" { \"b\" : [1, -2.5e+3, true,false, null] ,\"a\":{} } ").as_deref(),
            Some(r#"{"b":[1,-2.5e+3,true,false,null],"a":{}}"#)
        );
        assert_eq!(same("\"x\"").as_deref(), Some("\"x\""));
        assert_eq!(same("0").as_deref(), Some("0"));
        assert_eq!(same("[]").as_deref(), Some("[]"));
    }

    #[test]
    fn rejects_what_is_not_one_json_value() {
        for bad in [
            "",
            " ",
            "{",
            "{\"a\"}",
            "{\"a\":1,}",
            "[1,]",
            "[1 2]",
            "01",
            "1.",
            "1e",
            "-",
            ".5",
            "tru",
            "nul",
            "\"a",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "\"\\ud800\\u0041\"",
            "\"a\u{1}b\"",
            "{} {}",
            "{'a':1}",
            "[1]x",
        ] {
            assert_eq!(same(bad), None, "{bad:?}");
            assert!(serde_json::from_str::<Value>(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn depth_limit_matches_serde() {
        let ok = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert!(same(&ok).is_some());
        assert!(serde_json::from_str::<Value>(&ok).is_ok());
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(same(&deep), None);
        assert!(serde_json::from_str::<Value>(&deep).is_err());
    }

    #[test]
    fn escapes_decode_and_re_encode_like_serde() {
        let text = r#"["a\"b\\c\/d\b\f\n\r\t\u0001\u001f\u00e9\ud83d\ude00 é ☃"]"#;
        let out = same(text).unwrap_or_default();
        let v: Value = serde_json::from_str(text).unwrap_or_default();
        assert_eq!(out, v.to_string());
    }

    #[test]
    fn maps_values_not_keys_and_nested_documents_first() {
        let mut seen = Vec::new();
        let out = map_string_values(
            r#"{"key":"v1","n":{"k2":[" {\"in\":\"v2\"}"]}}"#,
            &mut |s| {
                seen.push(s.to_owned());
                Some(s.to_uppercase())
            },
        );
        // the nested document's value is mapped first, then the rewritten document itself
        assert_eq!(seen, ["v1", "v2", r#"{"in":"V2"}"#]);
        assert_eq!(
            out.as_deref(),
            Some(r#"{"key":"V1","n":{"k2":["{\"IN\":\"V2\"}"]}}"#)
        );
        // a string that only looks like a document is mapped as text
        let out = map_string_values(r#"["[not json"]"#, &mut |s| Some(format!("<{s}>")));
        assert_eq!(out.as_deref(), Some(r#"["<[not json>"]"#));
    }
}
