//! JSON-RPC 2.0 envelope: classification of raw messages without re-serializing them.
//!
//! [`classify`] reads only the envelope fields (`jsonrpc`, `id`, `method`, and whether `result`
//! or `error` is present) and skips everything else, so the original bytes can be forwarded
//! untouched. It first scans the nesting depth (cheap, no allocation) so that deeply nested
//! input is refused before any recursive parser sees it.

use std::fmt;
use std::ops::Range;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

/// Default cap on JSON nesting depth of one message.
pub const DEFAULT_MAX_DEPTH: usize = 64;

/// The deepest nesting [`classify`] can parse at all (serde_json's own recursion limit is 128).
pub const HARD_MAX_DEPTH: usize = 120;

/// Default cap on one message's size in bytes (same as the stdio line cap).
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = crate::framing::DEFAULT_MAX_LINE_BYTES;

/// JSON-RPC 2.0 error code: invalid JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC 2.0 error code: not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC 2.0 error code: method does not exist.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC 2.0 error code: invalid method parameters.
pub const INVALID_PARAMS: i64 = -32602;
/// JSON-RPC 2.0 error code: internal error.
pub const INTERNAL_ERROR: i64 = -32603;

/// Limits applied while classifying one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest accepted message, in bytes.
    pub max_message_bytes: usize,
    /// Deepest accepted nesting of arrays and objects (clamped to [`HARD_MAX_DEPTH`]).
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

/// A JSON-RPC request id, normalized so that a response's id can be matched to its request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Id {
    /// An integer id (the common case).
    Int(i64),
    /// A string id.
    Str(Box<str>),
    /// Any other number, kept as its JSON text.
    OtherNumber(Box<str>),
    /// `null` (only valid in error responses to unparseable requests).
    Null,
}

impl Id {
    fn from_raw(raw: &RawValue) -> Option<Id> {
        let text = raw.get();
        match text.as_bytes().first()? {
            b'"' => serde_json::from_str::<String>(text)
                .ok()
                .map(|s| Id::Str(s.into_boxed_str())),
            b'n' if text == "null" => Some(Id::Null),
            b'-' | b'0'..=b'9' => Some(match text.parse::<i64>() {
                Ok(n) => Id::Int(n),
                Err(_) => Id::OtherNumber(text.into()),
            }),
            _ => None,
        }
    }

    /// The id as JSON text, for building messages.
    pub fn to_json(&self) -> String {
        match self {
            Id::Int(n) => n.to_string(),
            Id::Str(s) => serde_json::Value::String(s.to_string()).to_string(),
            Id::OtherNumber(s) => s.to_string(),
            Id::Null => "null".to_owned(),
        }
    }

    /// The id as a JSON value.
    pub fn to_value(&self) -> serde_json::Value {
        match self {
            Id::Int(n) => serde_json::Value::from(*n),
            Id::Str(s) => serde_json::Value::String(s.to_string()),
            Id::OtherNumber(s) => serde_json::from_str(s).unwrap_or(serde_json::Value::Null),
            Id::Null => serde_json::Value::Null,
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// What kind of JSON-RPC message a text is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    /// A request: has `method` and `id`.
    Request {
        /// Its id.
        id: Id,
        /// Its method.
        method: Box<str>,
    },
    /// A notification: has `method`, no `id`.
    Notification {
        /// Its method.
        method: Box<str>,
    },
    /// A response: has `result` or `error`, and `id`.
    Response {
        /// The id of the request it answers.
        id: Id,
        /// Whether it carries `error` rather than `result`.
        is_error: bool,
    },
    /// A batch: a non-empty array of messages, each classified.
    Batch(Vec<Element>),
}

/// One element of a batch: where it sits in the batch text and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Element {
    /// Byte range of this element inside the batch message.
    pub range: Range<usize>,
    /// Its classification, or why it is invalid (a batch may mix valid and invalid elements).
    pub kind: Result<Kind, EnvelopeError>,
}

/// A classified message: its kind and nesting depth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// What it is.
    pub kind: Kind,
    /// Its deepest nesting of arrays/objects (1 for a flat object).
    pub depth: usize,
}

impl Envelope {
    /// The method, for requests and notifications.
    pub fn method(&self) -> Option<&str> {
        match &self.kind {
            Kind::Request { method, .. } | Kind::Notification { method } => Some(method),
            _ => None,
        }
    }

    /// The id, for requests and responses.
    pub fn id(&self) -> Option<&Id> {
        match &self.kind {
            Kind::Request { id, .. } | Kind::Response { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// Why a text is not an acceptable JSON-RPC message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    /// Larger than the size limit.
    #[error("message of {len} bytes exceeds the limit of {max} bytes")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// Nested deeper than the depth limit.
    #[error("message nesting exceeds the depth limit of {max}")]
    TooDeep {
        /// The limit.
        max: usize,
    },
    /// Not valid JSON.
    #[error("invalid json: {0}")]
    NotJson(String),
    /// Valid JSON, but not a JSON-RPC 2.0 message.
    #[error("invalid request: {reason}")]
    Invalid {
        /// Why.
        reason: &'static str,
        /// The id, when one could be read (so the error response can carry it).
        id: Option<Id>,
    },
}

impl EnvelopeError {
    /// The JSON-RPC error code to answer with.
    pub fn code(&self) -> i64 {
        match self {
            EnvelopeError::NotJson(_) => PARSE_ERROR,
            _ => INVALID_REQUEST,
        }
    }

    /// The request id to answer with, if one is known.
    pub fn id(&self) -> Option<&Id> {
        match self {
            EnvelopeError::Invalid { id, .. } => id.as_ref(),
            _ => None,
        }
    }
}

/// The deepest nesting of arrays and objects in `text`, scanning at most until it exceeds
/// `limit` (then `None`). Strings are skipped with their escapes; the text need not be valid
/// JSON (the parser judges that afterwards).
pub fn scan_depth(text: &[u8], limit: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut max = 0usize;
    let mut i = 0usize;
    let n = text.len();
    while i < n {
        match text[i] {
            b'"' => {
                i += 1;
                while i < n {
                    match text[i] {
                        b'\\' => i += 2,
                        b'"' => break,
                        _ => i += 1,
                    }
                }
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    max = depth;
                    if max > limit {
                        return None;
                    }
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Some(max)
}

/// The envelope fields; `Some` whenever the field is present, even as `null`.
#[derive(Deserialize)]
struct RawEnvelope<'a> {
    #[serde(borrow, default, deserialize_with = "present")]
    jsonrpc: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    method: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    error: Option<&'a RawValue>,
}

/// Deserializes a present field (including `null`) as `Some`, unlike `Option`'s own impl.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&'de RawValue>::deserialize(d).map(Some)
}

/// Classifies one message text under `limits`, without copying or re-serializing it.
pub fn classify(text: &[u8], limits: &Limits) -> Result<Envelope, EnvelopeError> {
    if text.len() > limits.max_message_bytes {
        return Err(EnvelopeError::TooLarge {
            len: text.len(),
            max: limits.max_message_bytes,
        });
    }
    let max_depth = limits.max_depth.min(HARD_MAX_DEPTH);
    let depth = scan_depth(text, max_depth).ok_or(EnvelopeError::TooDeep { max: max_depth })?;
    let start = text
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .ok_or_else(|| EnvelopeError::NotJson("empty message".to_owned()))?;
    let kind = if text[start] == b'[' {
        let items: Vec<&RawValue> =
            serde_json::from_slice(text).map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
        if items.is_empty() {
            return Err(EnvelopeError::Invalid {
                reason: "empty batch",
                id: None,
            });
        }
        let base = text.as_ptr() as usize;
        let elements = items
            .iter()
            .map(|item| {
                let s = item.get();
                let off = (s.as_ptr() as usize).saturating_sub(base);
                Element {
                    range: off..off + s.len(),
                    kind: classify_object(s.as_bytes()),
                }
            })
            .collect();
        Kind::Batch(elements)
    } else {
        // Validate the whole text as JSON first so that a parse error is reported as such.
        classify_object(text)?
    };
    Ok(Envelope { kind, depth })
}

fn classify_object(text: &[u8]) -> Result<Kind, EnvelopeError> {
    let env: RawEnvelope<'_> = match serde_json::from_slice(text) {
        Ok(e) => e,
        Err(e) if e.is_data() => {
            return Err(EnvelopeError::Invalid {
                reason: "message is not a json-rpc object (or repeats a field)",
                id: None,
            })
        }
        Err(e) => return Err(EnvelopeError::NotJson(e.to_string())),
    };
    let id = match env.id {
        Some(raw) => Some(Id::from_raw(raw).ok_or(EnvelopeError::Invalid {
            reason: "id must be a string or a number",
            id: None,
        })?),
        None => None,
    };
    let invalid = |reason| EnvelopeError::Invalid {
        reason,
        id: id.clone().filter(|i| *i != Id::Null),
    };
    if env.jsonrpc.map(RawValue::get) != Some("\"2.0\"") {
        return Err(invalid("`jsonrpc` must be \"2.0\""));
    }
    if let Some(method) = env.method {
        let method: String =
            serde_json::from_str(method.get()).map_err(|_| invalid("method must be a string"))?;
        if env.result.is_some() || env.error.is_some() {
            return Err(invalid("a request cannot carry `result` or `error`"));
        }
        return Ok(match id {
            Some(Id::Null) => return Err(invalid("request id must not be null")),
            Some(id) => Kind::Request {
                id,
                method: method.into_boxed_str(),
            },
            None => Kind::Notification {
                method: method.into_boxed_str(),
            },
        });
    }
    match (env.result.is_some(), env.error.is_some(), id) {
        (true, false, Some(id)) => Ok(Kind::Response {
            id,
            is_error: false,
        }),
        (false, true, Some(id)) => Ok(Kind::Response { id, is_error: true }),
        (true, true, id) => Err(EnvelopeError::Invalid {
            reason: "a response cannot carry both `result` and `error`",
            id,
        }),
        (_, _, None) => Err(EnvelopeError::Invalid {
            reason: "a response must carry an id",
            id: None,
        }),
        (false, false, id) => Err(EnvelopeError::Invalid {
            reason: "message has neither `method` nor `result` nor `error`",
            id,
        }),
    }
}

/// Builds a JSON-RPC error response. `data` is included when given.
pub fn error_response(
    id: Option<&Id>,
    code: i64,
    message: &str,
    data: Option<&serde_json::Value>,
) -> Bytes {
    let mut error = serde_json::Map::new();
    error.insert("code".to_owned(), code.into());
    error.insert("message".to_owned(), message.into());
    if let Some(d) = data {
        error.insert("data".to_owned(), d.clone());
    }
    let msg = serde_json::json!({
        "jsonrpc": "2.0",
        "id": id.map_or(serde_json::Value::Null, Id::to_value),
        "error": error,
    });
    Bytes::from(msg.to_string())
}

/// The error response answering a message that failed [`classify`].
pub fn envelope_error_response(err: &EnvelopeError) -> Bytes {
    error_response(err.id(), err.code(), &err.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn k(s: &str) -> Result<Kind, EnvelopeError> {
        classify(s.as_bytes(), &Limits::default()).map(|e| e.kind)
    }

    #[test]
    fn classifies_the_four_kinds() {
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"x":[1]}}"#),
            Ok(Kind::Request {
                id: Id::Int(1),
                method: "tools/call".into()
            })
        );
        assert_eq!(
            k(r#"{"method":"notifications/cancelled","jsonrpc":"2.0","params":{}}"#),
            Ok(Kind::Notification {
                method: "notifications/cancelled".into()
            })
        );
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","id":"a\"b","result":{},"extra":true}"#),
            Ok(Kind::Response {
                id: Id::Str("a\"b".into()),
                is_error: false
            })
        );
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","id":null,"error":{"code":1,"message":"x"}}"#),
            Ok(Kind::Response {
                id: Id::Null,
                is_error: true
            })
        );
    }

    #[test]
    fn batch_elements_carry_ranges() {
        let text =
            r#"[ {"jsonrpc":"2.0","id":1,"method":"a"}, {"jsonrpc":"2.0","method":"b"}, 5 ]"#;
        let env = classify(text.as_bytes(), &Limits::default()).unwrap();
        let Kind::Batch(els) = env.kind else {
            panic!("not a batch")
        };
        assert_eq!(els.len(), 3);
        assert_eq!(
            &text[els[0].range.clone()],
            r#"{"jsonrpc":"2.0","id":1,"method":"a"}"#
        );
        assert_eq!(els[1].kind, Ok(Kind::Notification { method: "b".into() }));
        assert!(els[2].kind.is_err());
    }

    #[test]
    fn rejects_malformed_with_codes() {
        assert_eq!(k("{").unwrap_err().code(), PARSE_ERROR);
        assert_eq!(k("").unwrap_err().code(), PARSE_ERROR);
        assert_eq!(k("[]").unwrap_err().code(), INVALID_REQUEST);
        assert_eq!(k("42").unwrap_err().code(), INVALID_REQUEST);
        let e = k(r#"{"jsonrpc":"1.0","id":7,"method":"x"}"#).unwrap_err();
        assert_eq!(e.code(), INVALID_REQUEST);
        assert_eq!(e.id(), Some(&Id::Int(7)));
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","id":{},"method":"x"}"#)
                .unwrap_err()
                .code(),
            INVALID_REQUEST
        );
        assert_eq!(
            k(r#"{"jsonrpc":"2.0","id":1}"#).unwrap_err().code(),
            INVALID_REQUEST
        );
    }

    #[test]
    fn depth_limit() {
        let deep = format!("{}{}", "[".repeat(70), "]".repeat(70));
        let msg = format!(r#"{{"jsonrpc":"2.0","method":"x","params":{deep}}}"#);
        assert_eq!(k(&msg), Err(EnvelopeError::TooDeep { max: 64 }));
        // Brackets inside strings do not count.
        let s = format!(
            r#"{{"jsonrpc":"2.0","method":"x","params":"{}\"{}"}}"#,
            "[".repeat(200),
            "{".repeat(3)
        );
        assert!(k(&s).is_ok());
        assert_eq!(scan_depth(br#"{"a":[{"b":1}]}"#, 10), Some(3));
    }

    #[test]
    fn size_limit() {
        let lim = Limits {
            max_message_bytes: 10,
            max_depth: 64,
        };
        assert!(matches!(
            classify(br#"{"jsonrpc":"2.0","method":"x"}"#, &lim),
            Err(EnvelopeError::TooLarge { .. })
        ));
    }

    #[test]
    fn error_response_shape() {
        let e = error_response(Some(&Id::Str("x".into())), -32001, "timed out", None);
        let v: serde_json::Value = serde_json::from_slice(&e).unwrap();
        assert_eq!(v["id"], "x");
        assert_eq!(v["error"]["code"], -32001);
        assert_eq!(v["error"]["message"], "timed out");
        let e = envelope_error_response(&EnvelopeError::NotJson("eof".into()));
        let v: serde_json::Value = serde_json::from_slice(&e).unwrap();
        assert_eq!(v["id"], serde_json::Value::Null);
        assert_eq!(v["error"]["code"], PARSE_ERROR);
    }
}
