//! Egress proxy for sandboxed servers: CONNECT and plain HTTP to allowlisted domains only.
