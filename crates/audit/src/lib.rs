//! mcpwall audit trail: event schema, hash chain, SQLite store, verify/export
#![forbid(unsafe_code)]
