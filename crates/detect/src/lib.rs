//! mcpwall detection engine: poisoning/injection analyzers, secret and PII redaction, URL guard; pure
#![forbid(unsafe_code)]

mod analysis;
pub mod engine;
pub mod finding;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
pub mod hidden;
pub mod injection;
pub mod json_strings;
pub mod normalize;
mod pattern;
pub mod pii;
pub mod poisoning;
pub mod redact;
mod rules;
mod rules_table;
pub mod secret;
pub mod url_guard;

pub use analysis::Assessment;
pub use finding::{Family, Finding};
