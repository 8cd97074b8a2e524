//! JSON-RPC 2.0 framing and MCP message views for mcpwall; no I/O.
//!
//! - [`framing`]: newline-delimited stdio framing with a line-length cap.
//! - [`jsonrpc`]: classification of raw messages (request, notification, response, batch)
//!   under size and depth limits, without re-serializing, and JSON-RPC error responses.
//! - [`mcp`]: typed, borrowed views of the MCP messages checks read (handshakes of every
//!   revision, `tools/call`, `tools/list`, cancellation).
//! - [`sse`]: server-sent events framing.
#![forbid(unsafe_code)]

pub mod framing;
pub mod jsonrpc;
pub mod mcp;
pub mod sse;

pub use framing::{Frame, LineFramer};
pub use jsonrpc::{classify, Envelope, EnvelopeError, Id, Kind, Limits};
