//! Upstreams: how mcpwall reaches MCP servers.

pub mod http;
pub mod stdio;
