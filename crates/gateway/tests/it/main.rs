//! Integration tests of the gateway crate (one test binary, as for every crate).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod http;
mod http_support;
