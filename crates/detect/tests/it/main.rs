//! Integration tests of mcpwall-detect (one binary; one module per area).

mod text;
mod pii;
mod redact;
mod secrets;
mod url_guard;
