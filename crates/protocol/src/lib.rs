//! JSON-RPC 2.0 framing and MCP message views for mcpwall; no I/O
#![forbid(unsafe_code)]

pub mod framing;
pub mod jsonrpc;
pub mod mcp;
pub mod sse;
