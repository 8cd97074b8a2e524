//! mcpwall detection engine: poisoning/injection analyzers, secret and PII redaction, URL guard; pure
#![forbid(unsafe_code)]

pub mod engine;
pub mod finding;
pub mod hidden;
pub mod injection;
pub mod normalize;
pub mod pii;
pub mod poisoning;
pub mod redact;
pub mod secret;
pub mod url_guard;

pub use finding::{Family, Finding};
