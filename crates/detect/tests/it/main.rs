//! Integration tests of mcpwall-detect (one binary; one module per area).

mod pii;
mod redact;
mod secrets;
mod text;
mod url_guard;
