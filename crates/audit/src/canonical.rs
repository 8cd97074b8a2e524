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
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) | Value::String(_) => {
            // serde_json's compact form of a scalar is already canonical.
            out.push_str(&v.to_string());
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            // Sort explicitly: serde_json's map order depends on a cargo feature
            // (`preserve_order`) that another crate in the build may switch on.
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push('{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                write(val, out);
            }
            out.push('}');
        }
    }
}

/// The canonical form of `v`.
pub fn to_string(v: &Value) -> String {
    let mut out = String::new();
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
}
