//! Integration tests of mcpwall-detect (one binary; one module per area).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod pii;
mod redact;
mod round4;
mod secrets;
mod text;
mod url_guard;
