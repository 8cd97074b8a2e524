//! What the front reads from a client POST: the envelope of each message, and the MCP HTTP
//! headers (`MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name`) checked against the body.

use axum::http::HeaderMap;
use base64::Engine;
use serde_json::Value;

/// JSON-RPC error code for routing headers that are missing or disagree with the body
/// (2026-07-28, `HeaderMismatch`).
pub const HEADER_MISMATCH: i64 = -32020;
/// The stateless protocol revision.
pub const STATELESS_VERSION: &str = "2026-07-28";
/// Protocol versions the front accepts in `MCP-Protocol-Version`.
pub const KNOWN_VERSIONS: &[&str] = &[
    "2024-11-05",
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    STATELESS_VERSION,
];

const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";

/// Kind of a JSON-RPC message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Has `method` and `id`.
    Request,
    /// Has `method`, no `id`.
    Notification,
    /// Has `id` and `result` or `error`.
    Response,
}

/// The envelope of one client message.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// Its kind.
    pub kind: Kind,
    /// The id as canonical JSON text (`1`, `"a"`), used as a routing key.
    pub id: Option<String>,
    /// The method, for requests and notifications.
    pub method: Option<String>,
    /// `params._meta.progressToken` as canonical JSON text.
    pub progress_token: Option<String>,
    /// `params._meta["io.modelcontextprotocol/protocolVersion"]` (2026-07-28).
    pub meta_version: Option<String>,
    /// `params._meta["io.modelcontextprotocol/clientInfo"].name` (2026-07-28).
    pub client_name: Option<String>,
    /// The name `Mcp-Name` must carry: `params.name` of `tools/call`/`prompts/get`,
    /// `params.uri` of `resources/read`.
    pub target: Option<String>,
}

/// A parsed POST body.
#[derive(Debug, Clone)]
pub struct Inbound {
    /// The messages, one unless the body is a batch.
    pub messages: Vec<Envelope>,
    /// Whether the body was a JSON array.
    pub batch: bool,
}

impl Inbound {
    /// Whether any message is a request (so the POST waits for responses).
    pub fn has_requests(&self) -> bool {
        self.messages.iter().any(|m| m.kind == Kind::Request)
    }

    /// The handshake request in this body, if any.
    pub fn handshake(&self) -> Option<&Envelope> {
        self.messages
            .iter()
            .find(|m| m.kind == Kind::Request && matches!(m.method.as_deref(), Some("initialize")))
    }
}

/// Parses a POST body. `Err` carries a reason for a JSON-RPC parse or invalid-request error.
pub fn parse(body: &[u8]) -> Result<Inbound, (i64, String)> {
    let value: Value =
        serde_json::from_slice(body).map_err(|e| (-32700, format!("parse error: {e}")))?;
    match value {
        Value::Array(items) => {
            if items.is_empty() {
                return Err((-32600, "empty batch".to_owned()));
            }
            let messages = items.iter().map(envelope).collect::<Result<Vec<_>, _>>()?;
            Ok(Inbound {
                messages,
                batch: true,
            })
        }
        v => Ok(Inbound {
            messages: vec![envelope(&v)?],
            batch: false,
        }),
    }
}

fn envelope(v: &Value) -> Result<Envelope, (i64, String)> {
    let obj = v
        .as_object()
        .ok_or((-32600, "message is not a json object".to_owned()))?;
    let id = obj.get("id").filter(|v| !v.is_null()).map(Value::to_string);
    let method = obj.get("method").and_then(Value::as_str).map(str::to_owned);
    let kind = match (&method, &id) {
        (Some(_), Some(_)) => Kind::Request,
        (Some(_), None) => Kind::Notification,
        (None, Some(_)) if obj.contains_key("result") || obj.contains_key("error") => {
            Kind::Response
        }
        _ => {
            return Err((
                -32600,
                "invalid request: not a json-rpc request, notification or response".to_owned(),
            ))
        }
    };
    let params = obj.get("params");
    let meta = params.and_then(|p| p.get("_meta"));
    let target = match method.as_deref() {
        Some("tools/call" | "prompts/get") => params
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        Some("resources/read") => params
            .and_then(|p| p.get("uri"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    Ok(Envelope {
        kind,
        id,
        method,
        progress_token: meta
            .and_then(|m| m.get("progressToken"))
            .map(Value::to_string),
        meta_version: meta
            .and_then(|m| m.get(META_VERSION))
            .and_then(Value::as_str)
            .map(str::to_owned),
        client_name: meta
            .and_then(|m| m.get(META_CLIENT_INFO))
            .and_then(|c| c.get("name"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        target,
    })
}

/// Reads `MCP-Protocol-Version`; an unknown version is refused.
pub fn protocol_version(headers: &HeaderMap) -> Result<Option<String>, String> {
    match headers.get("mcp-protocol-version") {
        None => Ok(None),
        Some(v) => {
            let v = v.to_str().unwrap_or("").trim();
            if KNOWN_VERSIONS.contains(&v) {
                Ok(Some(v.to_owned()))
            } else {
                Err(format!(
                    "unsupported protocol version `{v}` in mcp-protocol-version"
                ))
            }
        }
    }
}

/// Whether this POST uses the stateless revision: by header or by `_meta`.
pub fn is_stateless(version_header: Option<&str>, inbound: &Inbound) -> bool {
    version_header == Some(STATELESS_VERSION)
        || inbound
            .messages
            .iter()
            .any(|m| m.meta_version.as_deref() == Some(STATELESS_VERSION))
}

/// Checks `Mcp-Method`, `Mcp-Name` and `MCP-Protocol-Version` against the body. When
/// `stateless`, `Mcp-Method` is required on every message, and `Mcp-Name` on the name-bearing
/// methods; otherwise they are checked only when present. Returns the reason for a mismatch.
pub fn check_routing(
    headers: &HeaderMap,
    inbound: &Inbound,
    stateless: bool,
    version: Option<&str>,
) -> Result<(), String> {
    let method_h = header_text(headers, "mcp-method")?;
    let name_h = header_text(headers, "mcp-name")?;
    if inbound.batch {
        if stateless {
            return Err("batches are not allowed in protocol version 2026-07-28".to_owned());
        }
        // Routing headers describe one message; on a batch they cannot be checked.
        if method_h.is_some() || name_h.is_some() {
            return Err("mcp-method and mcp-name headers cannot describe a batch".to_owned());
        }
        return Ok(());
    }
    let Some(msg) = inbound.messages.first() else {
        return Ok(());
    };
    if let (Some(h), Some(m)) = (version, msg.meta_version.as_deref()) {
        if h != m {
            return Err(format!(
                "mcp-protocol-version header `{h}` does not match _meta protocol version `{m}`"
            ));
        }
    }
    if msg.kind == Kind::Response {
        return Ok(());
    }
    let method = msg.method.as_deref().unwrap_or("");
    match method_h.as_deref() {
        Some(h) if h != method => {
            return Err(format!(
                "mcp-method header `{h}` does not match body method `{method}`"
            ))
        }
        None if stateless => {
            return Err(format!(
                "mcp-method header is required (body method `{method}`)"
            ))
        }
        _ => {}
    }
    match (name_h.as_deref(), msg.target.as_deref()) {
        (Some(h), Some(t)) if h != t => Err(format!(
            "mcp-name header `{h}` does not match body name `{t}`"
        )),
        (Some(h), None) => Err(format!(
            "mcp-name header `{h}` names nothing in the body of `{method}`"
        )),
        (None, Some(t)) if stateless => {
            Err(format!("mcp-name header is required (body name `{t}`)"))
        }
        _ => Ok(()),
    }
}

/// A header's text value, with the `=?base64?...?=` wrapper of 2026-07-28 decoded.
fn header_text(headers: &HeaderMap, name: &str) -> Result<Option<String>, String> {
    let Some(v) = headers.get(name) else {
        return Ok(None);
    };
    let s = v
        .to_str()
        .map_err(|_| format!("{name} header is not ascii; use the =?base64?...?= form"))?;
    if let Some(inner) = s
        .strip_prefix("=?base64?")
        .and_then(|r| r.strip_suffix("?="))
    {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(inner)
            .map_err(|_| format!("{name} header has invalid base64"))?;
        return String::from_utf8(bytes)
            .map(Some)
            .map_err(|_| format!("{name} header is not utf-8"));
    }
    Ok(Some(s.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    const CALL: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","progressToken":"p1"}}}"#;

    #[test]
    fn envelope_fields() {
        let i = parse(CALL.as_bytes()).unwrap();
        let m = &i.messages[0];
        assert_eq!(m.kind, Kind::Request);
        assert_eq!(m.id.as_deref(), Some("1"));
        assert_eq!(m.target.as_deref(), Some("echo"));
        assert_eq!(m.progress_token.as_deref(), Some("\"p1\""));
        assert!(is_stateless(None, &i));
        assert!(parse(b"{").is_err());
        assert_eq!(parse(b"[]").unwrap_err().0, -32600);
        assert_eq!(parse(br#"{"id":1}"#).unwrap_err().0, -32600);
    }

    #[test]
    fn stateless_requires_matching_headers() {
        let i = parse(CALL.as_bytes()).unwrap();
        let v = Some(STATELESS_VERSION);
        assert!(check_routing(
            &h(&[("mcp-method", "tools/call"), ("mcp-name", "echo")]),
            &i,
            true,
            v
        )
        .is_ok());
        let e = check_routing(
            &h(&[("mcp-method", "tools/call"), ("mcp-name", "rm")]),
            &i,
            true,
            v,
        )
        .unwrap_err();
        assert!(e.contains("`rm`") && e.contains("`echo`"), "{e}");
        let e = check_routing(
            &h(&[("mcp-method", "tools/list"), ("mcp-name", "echo")]),
            &i,
            true,
            v,
        )
        .unwrap_err();
        assert!(e.contains("mcp-method"), "{e}");
        assert!(check_routing(&h(&[("mcp-method", "tools/call")]), &i, true, v).is_err());
        assert!(check_routing(&h(&[]), &i, true, v).is_err());
        let b64 = format!(
            "=?base64?{}?=",
            base64::engine::general_purpose::STANDARD.encode("echo")
        );
        assert!(check_routing(
            &h(&[("mcp-method", "tools/call"), ("mcp-name", &b64)]),
            &i,
            true,
            v
        )
        .is_ok());
        // Version header and _meta must agree.
        assert!(check_routing(
            &h(&[("mcp-method", "tools/call"), ("mcp-name", "echo")]),
            &i,
            true,
            Some("2025-06-18")
        )
        .is_err());
    }

    #[test]
    fn older_versions_check_headers_only_when_present() {
        let i = parse(
            br#"{"jsonrpc":"2.0","id":"a","method":"resources/read","params":{"uri":"file:///x"}}"#,
        )
        .unwrap();
        assert!(check_routing(&h(&[]), &i, false, None).is_ok());
        assert!(check_routing(&h(&[("mcp-name", "file:///y")]), &i, false, None).is_err());
        assert!(check_routing(&h(&[("mcp-name", "file:///x")]), &i, false, None).is_ok());
    }
}
