//! Typed views of the MCP messages checks care about, and protocol version handling.
//!
//! Views borrow from the raw message and read only the fields they name; everything else is
//! skipped, never dropped from what is forwarded (the gateway forwards the original bytes).

use std::borrow::Cow;

use bytes::Bytes;
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::jsonrpc::Id;

/// Protocol revisions mcpwall knows. Unknown revisions are still forwarded untouched.
pub const KNOWN_VERSIONS: &[&str] = &[
    "2024-11-05",
    "2025-03-26",
    "2025-06-18",
    "2025-11-25",
    "2026-07-28",
];

/// The first revision that is stateless (`server/discover`, no session id).
pub const STATELESS_VERSION: &str = "2026-07-28";

/// Method names the gateway treats specially.
pub mod method {
    /// Handshake of revisions 2024-11-05 to 2025-11-25.
    pub const INITIALIZE: &str = "initialize";
    /// Handshake of revision 2026-07-28.
    pub const DISCOVER: &str = "server/discover";
    /// Sent by the client after `initialize` succeeded.
    pub const INITIALIZED: &str = "notifications/initialized";
    /// Calls a tool.
    pub const TOOLS_CALL: &str = "tools/call";
    /// Lists tools.
    pub const TOOLS_LIST: &str = "tools/list";
    /// Reads a resource.
    pub const RESOURCES_READ: &str = "resources/read";
    /// Gets a prompt.
    pub const PROMPTS_GET: &str = "prompts/get";
    /// Cancels an in-flight request.
    pub const CANCELLED: &str = "notifications/cancelled";
    /// Liveness check, either direction.
    pub const PING: &str = "ping";
}

/// The methods checks care about; everything else is [`MethodKind::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MethodKind {
    /// `initialize`.
    Initialize,
    /// `server/discover`.
    Discover,
    /// `tools/call`.
    ToolsCall,
    /// `tools/list`.
    ToolsList,
    /// `resources/read`.
    ResourcesRead,
    /// `prompts/get`.
    PromptsGet,
    /// `notifications/cancelled`.
    Cancelled,
    /// Any other method, forwarded untouched.
    Other,
}

impl MethodKind {
    /// Classifies a method name.
    pub fn of(name: &str) -> Self {
        match name {
            method::INITIALIZE => Self::Initialize,
            method::DISCOVER => Self::Discover,
            method::TOOLS_CALL => Self::ToolsCall,
            method::TOOLS_LIST => Self::ToolsList,
            method::RESOURCES_READ => Self::ResourcesRead,
            method::PROMPTS_GET => Self::PromptsGet,
            method::CANCELLED => Self::Cancelled,
            _ => Self::Other,
        }
    }

    /// Whether this is a handshake of any revision.
    pub fn is_handshake(self) -> bool {
        matches!(self, Self::Initialize | Self::Discover)
    }
}

/// Why a view could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ViewError {
    /// The message does not have the shape the method requires.
    #[error("invalid `{method}` message: {detail}")]
    Shape {
        /// Which method.
        method: &'static str,
        /// What is wrong.
        detail: String,
    },
}

fn shape(method: &'static str, e: impl std::fmt::Display) -> ViewError {
    ViewError::Shape {
        method,
        detail: e.to_string(),
    }
}

/// `tools/call` request: the tool name and its raw arguments.
#[derive(Debug, Clone)]
pub struct ToolCall<'a> {
    /// The tool's name.
    pub name: Cow<'a, str>,
    /// Its arguments as raw JSON, if any.
    pub arguments: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WithParams<P> {
    params: Option<P>,
}

#[derive(Deserialize)]
struct ToolCallParams<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
}

/// Reads the `tools/call` view of a whole request message.
pub fn tool_call(msg: &[u8]) -> Result<ToolCall<'_>, ViewError> {
    let m: WithParams<ToolCallParams<'_>> =
        serde_json::from_slice(msg).map_err(|e| shape(method::TOOLS_CALL, e))?;
    let p = m
        .params
        .ok_or_else(|| shape(method::TOOLS_CALL, "missing `params`"))?;
    Ok(ToolCall {
        name: p.name,
        arguments: p.arguments,
    })
}

/// `name` and `version` of a client or server implementation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Implementation {
    /// Its name.
    #[serde(default)]
    pub name: String,
    /// Its version.
    #[serde(default)]
    pub version: String,
}

/// What a handshake request says about the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandshakeRequest {
    /// The requested protocol revision (`initialize`), if given.
    pub protocol_version: Option<String>,
    /// The client implementation, if given.
    pub client_info: Option<Implementation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HandshakeParams {
    #[serde(default)]
    protocol_version: Option<String>,
    #[serde(default)]
    client_info: Option<Implementation>,
}

/// Reads an `initialize` or `server/discover` request. Absent params are allowed
/// (`server/discover` may carry none).
pub fn handshake_request(msg: &[u8]) -> Result<HandshakeRequest, ViewError> {
    let m: WithParams<HandshakeParams> =
        serde_json::from_slice(msg).map_err(|e| shape(method::INITIALIZE, e))?;
    Ok(m.params
        .map_or_else(HandshakeRequest::default, |p| HandshakeRequest {
            protocol_version: p.protocol_version,
            client_info: p.client_info,
        }))
}

/// What a handshake response says about the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HandshakeResponse {
    /// The negotiated revision (`initialize`) or the first supported one (`server/discover`).
    pub protocol_version: Option<String>,
    /// The server implementation, if given.
    pub server_info: Option<Implementation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HandshakeResult {
    #[serde(default)]
    protocol_version: Option<String>,
    #[serde(default)]
    supported_versions: Option<Vec<String>>,
    #[serde(default)]
    server_info: Option<Implementation>,
}

#[derive(Deserialize)]
struct WithResult<R> {
    result: Option<R>,
}

/// Reads an `initialize` or `server/discover` response.
pub fn handshake_response(msg: &[u8]) -> Result<HandshakeResponse, ViewError> {
    let m: WithResult<HandshakeResult> =
        serde_json::from_slice(msg).map_err(|e| shape(method::INITIALIZE, e))?;
    let r = m
        .result
        .ok_or_else(|| shape(method::INITIALIZE, "missing `result`"))?;
    let version = r
        .protocol_version
        .or_else(|| r.supported_versions.and_then(|v| v.into_iter().next()));
    Ok(HandshakeResponse {
        protocol_version: version,
        server_info: r.server_info,
    })
}

/// A summary of a tool result: whether it says `isError`.
#[derive(Deserialize)]
struct ToolResult {
    #[serde(rename = "isError", default)]
    is_error: Option<bool>,
}

/// Reads `result.isError` of a `tools/call` response (`None` when absent or not a result).
pub fn result_is_error(msg: &[u8]) -> Option<bool> {
    serde_json::from_slice::<WithResult<ToolResult>>(msg)
        .ok()
        .and_then(|m| m.result)
        .and_then(|r| r.is_error)
}

/// One tool as `tools/list` describes it (only the fields checks read).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ToolDef {
    /// Its name.
    pub name: String,
    /// Its description.
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Deserialize)]
struct ToolsListResult {
    #[serde(default)]
    tools: Vec<ToolDef>,
}

/// Reads the tools of a `tools/list` response.
pub fn tools_list(msg: &[u8]) -> Result<Vec<ToolDef>, ViewError> {
    let m: WithResult<ToolsListResult> =
        serde_json::from_slice(msg).map_err(|e| shape(method::TOOLS_LIST, e))?;
    Ok(m.result.map(|r| r.tools).unwrap_or_default())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CancelledParams {
    request_id: serde_json::Value,
}

/// Reads the `requestId` of a `notifications/cancelled` notification.
pub fn cancelled_request_id(msg: &[u8]) -> Option<Id> {
    let m: WithParams<CancelledParams> = serde_json::from_slice(msg).ok()?;
    match m.params?.request_id {
        serde_json::Value::String(s) => Some(Id::Str(s.into_boxed_str())),
        serde_json::Value::Number(n) => Some(match n.as_i64() {
            Some(i) => Id::Int(i),
            None => Id::OtherNumber(n.to_string().into_boxed_str()),
        }),
        _ => None,
    }
}

/// Builds `notifications/cancelled` for request `id`.
pub fn cancelled_notification(id: &Id, reason: &str) -> Bytes {
    let msg = serde_json::json!({
        "jsonrpc": "2.0",
        "method": method::CANCELLED,
        "params": { "requestId": id.to_value(), "reason": reason },
    });
    Bytes::from(msg.to_string())
}

/// Builds `notifications/initialized` (sent after replaying `initialize` to a restarted server).
pub fn initialized_notification() -> Bytes {
    Bytes::from_static(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tool_call() {
        let m = br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"},"_meta":{"x":1}}}"#;
        let c = tool_call(m).unwrap();
        assert_eq!(c.name, "echo");
        assert_eq!(c.arguments.unwrap().get(), r#"{"message":"hi"}"#);
        assert!(tool_call(br#"{"jsonrpc":"2.0","id":3,"method":"tools/call"}"#).is_err());
    }

    #[test]
    fn reads_both_handshakes() {
        let init = br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#;
        let h = handshake_request(init).unwrap();
        assert_eq!(h.protocol_version.as_deref(), Some("2025-06-18"));
        assert_eq!(h.client_info.unwrap().name, "c");
        let disc = br#"{"jsonrpc":"2.0","id":0,"method":"server/discover"}"#;
        assert_eq!(
            handshake_request(disc).unwrap(),
            HandshakeRequest::default()
        );
        let resp = br#"{"jsonrpc":"2.0","id":0,"result":{"supportedVersions":["2026-07-28"],"serverInfo":{"name":"s","version":"2"}}}"#;
        let r = handshake_response(resp).unwrap();
        assert_eq!(r.protocol_version.as_deref(), Some(STATELESS_VERSION));
        assert_eq!(r.server_info.unwrap().name, "s");
    }

    #[test]
    fn reads_results_and_lists() {
        assert_eq!(
            result_is_error(br#"{"jsonrpc":"2.0","id":1,"result":{"content":[],"isError":true}}"#),
            Some(true)
        );
        assert_eq!(
            result_is_error(br#"{"jsonrpc":"2.0","id":1,"result":{"content":[]}}"#),
            None
        );
        let tools = tools_list(
            br#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"a","description":"d","inputSchema":{}},{"name":"b"}]}}"#,
        )
        .unwrap();
        assert_eq!(tools.len(), 2);
        assert_eq!(tools[0].description.as_deref(), Some("d"));
    }

    #[test]
    fn cancellation_roundtrip() {
        let n = cancelled_notification(&Id::Str("q".into()), "timeout");
        assert_eq!(cancelled_request_id(&n), Some(Id::Str("q".into())));
        let n = cancelled_notification(&Id::Int(9), "timeout");
        assert_eq!(cancelled_request_id(&n), Some(Id::Int(9)));
    }

    #[test]
    fn method_kinds() {
        assert_eq!(MethodKind::of("tools/call"), MethodKind::ToolsCall);
        assert!(MethodKind::of("server/discover").is_handshake());
        assert_eq!(MethodKind::of("x/unknown"), MethodKind::Other);
    }
}
