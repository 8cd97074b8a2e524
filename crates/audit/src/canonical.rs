//! The canonical JSON form that the hash chain commits to.
//!
//! Rules (also in `docs/audit.md`): UTF-8; no whitespace outside strings; object keys sorted
//! by their UTF-8 bytes at every depth; strings escaped as `serde_json` does (`\"`, `\\`,
//! `\b \f \n \r \t`, other control characters as `\u00xx` lowercase, everything else
//! literal); integers in plain decimal; other numbers as `serde_json` writes them. Absent
//! optional event fields are omitted (never `null`). This matches Python's
//! `json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` for every
//! value mcpwall writes (it writes no floating-point numbers outside `detail`).

use serde_json::Value;

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
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
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
            // Sort explicitly: serde_json's map order depends on a cargo feature
            // (`preserve_order`) that another crate in the build may switch on.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let _ = serde_json::to_writer(&mut *out, k.as_str());
                out.push(b':');
                write_bytes(val, out);
            }
            out.push(b'}');
        }
    }
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
