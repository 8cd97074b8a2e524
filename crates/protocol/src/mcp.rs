//! Typed views of the MCP messages checks care about, and protocol version handling.
