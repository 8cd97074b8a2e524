//! Stdio upstream: a child process speaking newline-delimited JSON-RPC.
