//! Stage one: the file as written, as a tree of values that each know their byte span.
//!
//! TOML (through `toml_edit`, which keeps spans) and JSON with comments (through
//! `jsonc-parser`) both become a [`Node`] tree, so that the checks in `check.rs` are written
//! once, report every problem (not just serde's first) and point at the exact place.

use std::ops::Range;

/// A value with the span of text it came from.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// Byte range in the source text.
    pub span: Range<usize>,
    /// The value.
    pub kind: Kind,
}

/// The kinds of value a config file holds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// JSON `null`.
    Null,
    Bool(bool),
    /// An integer that fits `i64`.
    Int(i64),
    Float(f64),
    Str(String),
    Array(Vec<Node>),
    /// Entries in file order.
    Table(Vec<Entry>),
    /// A TOML date/time (never valid in our config).
    Datetime,
}

/// One key/value pair of a table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_span: Range<usize>,
    pub value: Node,
}

impl Kind {
    /// What to call this kind of value in a message.
    pub fn describe(&self) -> &'static str {
        match self {
            Kind::Null => "null",
            Kind::Bool(_) => "a boolean",
            Kind::Int(_) => "an integer",
            Kind::Float(_) => "a float",
            Kind::Str(_) => "a string",
            Kind::Array(_) => "an array",
            Kind::Table(_) => "a table",
            Kind::Datetime => "a date",
        }
    }
}

/// A syntax error: where, and what.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SyntaxError {
    pub span: Range<usize>,
    pub message: String,
}

/// Parses mcpwall TOML into a tree.
pub(crate) fn parse_toml(text: &str) -> Result<Node, SyntaxError> {
    let doc = toml_edit::ImDocument::parse(text).map_err(|e| SyntaxError {
        span: e.span().unwrap_or(0..0),
        message: lower_first(e.message().trim()),
    })?;
    Ok(Node {
        span: 0..text.len(),
        kind: toml_table(doc.as_table(), 0..0),
    })
}

fn toml_table(table: &dyn toml_edit::TableLike, fallback: Range<usize>) -> Kind {
    let mut entries = Vec::new();
    for (name, _) in table.iter() {
        let Some((key, item)) = table.get_key_value(name) else {
            continue;
        };
        let key_span = key.span().unwrap_or_else(|| fallback.clone());
        if let Some(value) = toml_item(item, key_span.clone()) {
            entries.push(Entry {
                key: name.to_owned(),
                key_span,
                value,
            });
        }
    }
    Kind::Table(entries)
}

fn toml_item(item: &toml_edit::Item, fallback: Range<usize>) -> Option<Node> {
    use toml_edit::Item;
    match item {
        Item::None => None,
        Item::Value(v) => Some(toml_value(v, fallback)),
        Item::Table(t) => {
            let span = t.span().unwrap_or_else(|| fallback.clone());
            Some(Node {
                kind: toml_table(t, fallback),
                span,
            })
        }
        Item::ArrayOfTables(a) => {
            let span = a.span().unwrap_or_else(|| fallback.clone());
            let elems = a
                .iter()
                .map(|t| {
                    let s = t.span().unwrap_or_else(|| fallback.clone());
                    Node {
                        kind: toml_table(t, s.clone()),
                        span: s,
                    }
                })
                .collect();
            Some(Node {
                kind: Kind::Array(elems),
                span,
            })
        }
    }
}

fn toml_value(v: &toml_edit::Value, fallback: Range<usize>) -> Node {
    use toml_edit::Value;
    let span = v.span().unwrap_or_else(|| fallback.clone());
    let kind = match v {
        Value::String(s) => Kind::Str(s.value().clone()),
        Value::Integer(i) => Kind::Int(*i.value()),
        Value::Float(f) => Kind::Float(*f.value()),
        Value::Boolean(b) => Kind::Bool(*b.value()),
        Value::Datetime(_) => Kind::Datetime,
        Value::Array(a) => Kind::Array(a.iter().map(|e| toml_value(e, span.clone())).collect()),
        Value::InlineTable(t) => toml_table(t, span.clone()),
    };
    Node { span, kind }
}

/// The options hosts' JSON is read with: JSON plus comments and trailing commas (VS Code
/// writes both), nothing looser.
fn json_options() -> jsonc_parser::ParseOptions {
    jsonc_parser::ParseOptions {
        allow_comments: true,
        allow_loose_object_property_names: false,
        allow_trailing_commas: true,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    }
}

/// Deepest nesting accepted in a JSON config. The parser and the tree walk recurse, so a file
/// of a million `[` must be refused before parsing, not overflow the stack.
pub(crate) const MAX_JSON_NESTING: usize = 64;

/// The offset where nesting first exceeds [`MAX_JSON_NESTING`], skipping strings and comments.
fn too_deep(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i + 1 < bytes.len() && !(bytes[i] == b'*' && bytes[i + 1] == b'/') {
                    i += 1;
                }
                i += 1;
            }
            b'{' | b'[' => {
                depth += 1;
                if depth > MAX_JSON_NESTING {
                    return Some(i);
                }
            }
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    None
}

/// Parses JSON (with comments and trailing commas) into a tree.
pub(crate) fn parse_json(text: &str) -> Result<Node, SyntaxError> {
    if let Some(at) = too_deep(text) {
        return Err(SyntaxError {
            span: at..at,
            message: format!("nesting is deeper than {MAX_JSON_NESTING} levels"),
        });
    }
    let parsed = jsonc_parser::parse_to_ast(
        text,
        &jsonc_parser::CollectOptions::default(),
        &json_options(),
    )
    .map_err(|e| {
        let r = e.range();
        SyntaxError {
            span: r.start..r.end,
            message: lower_first(&e.kind().to_string()),
        }
    })?;
    match parsed.value {
        Some(v) => Ok(json_value(&v)),
        None => Err(SyntaxError {
            span: 0..0,
            message: "the file holds no JSON value".to_owned(),
        }),
    }
}

fn json_value(v: &jsonc_parser::ast::Value<'_>) -> Node {
    use jsonc_parser::ast::Value;
    let (range, kind) = match v {
        Value::StringLit(s) => (&s.range, Kind::Str(s.value.to_string())),
        Value::NumberLit(n) => (
            &n.range,
            match n.value.parse::<i64>() {
                Ok(i) => Kind::Int(i),
                Err(_) => n
                    .value
                    .parse::<f64>()
                    .map(Kind::Float)
                    .unwrap_or(Kind::Float(f64::NAN)),
            },
        ),
        Value::BooleanLit(b) => (&b.range, Kind::Bool(b.value)),
        Value::NullKeyword(n) => (&n.range, Kind::Null),
        Value::Array(a) => (
            &a.range,
            Kind::Array(a.elements.iter().map(json_value).collect()),
        ),
        Value::Object(o) => (
            &o.range,
            Kind::Table(
                o.properties
                    .iter()
                    .map(|p| {
                        let (key, key_span) = match &p.name {
                            jsonc_parser::ast::ObjectPropName::String(s) => {
                                (s.value.to_string(), s.range.start..s.range.end)
                            }
                            jsonc_parser::ast::ObjectPropName::Word(w) => {
                                (w.value.to_owned(), w.range.start..w.range.end)
                            }
                        };
                        Entry {
                            key,
                            key_span,
                            value: json_value(&p.value),
                        }
                    })
                    .collect(),
            ),
        ),
    };
    Node {
        span: range.start..range.end,
        kind,
    }
}

/// The top-level keys of a JSON object, or `None` if `text` is not one.
pub(crate) fn json_top_level_keys(text: &str) -> Option<Vec<String>> {
    match parse_json(text).ok()?.kind {
        Kind::Table(entries) => Some(entries.into_iter().map(|e| e.key).collect()),
        _ => None,
    }
}

/// Parser messages start with a capital; ours do not.
fn lower_first(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) => c.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub(crate) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_spans() {
        let text = "[servers.a]\ncommand = \"x\"\nargs = [\"1\", 2]\n";
        let root = parse_toml(text).unwrap();
        let Kind::Table(top) = root.kind else {
            panic!()
        };
        let Kind::Table(servers) = &top[0].value.kind else {
            panic!()
        };
        let Kind::Table(a) = &servers[0].value.kind else {
            panic!()
        };
        assert_eq!(a[0].key, "command");
        assert_eq!(&text[a[0].value.span.clone()], "\"x\"");
        let Kind::Array(args) = &a[1].value.kind else {
            panic!()
        };
        assert_eq!(&text[args[1].span.clone()], "2");
        assert_eq!(line_col(text, args[1].span.start), (3, 14));
    }

    #[test]
    fn json_with_comments_and_trailing_commas() {
        let text = "{\n // c\n \"servers\": {\"a\": {\"command\": \"x\",},},\n}";
        let root = parse_json(text).unwrap();
        let Kind::Table(top) = root.kind else {
            panic!()
        };
        assert_eq!(top[0].key, "servers");
        assert_eq!(line_col(text, top[0].key_span.start), (3, 2));
    }

    #[test]
    fn syntax_errors_have_positions() {
        let e = parse_json("{\n  \"a\": [1,\n}").unwrap_err();
        assert!(e.span.start > 0);
        let e = parse_toml("a = \n").unwrap_err();
        assert!(!e.message.is_empty());
        assert!(
            e.message.chars().next().unwrap().is_lowercase()
                || !e.message.chars().next().unwrap().is_alphabetic()
        );
    }

    #[test]
    fn line_col_handles_multibyte() {
        assert_eq!(line_col("é=1\nxy", 5), (2, 1));
        assert_eq!(line_col("é=1", 2), (1, 2));
        assert_eq!(line_col("é", 1), (1, 1));
        assert_eq!(line_col("", 10), (1, 1));
    }
}
