//! Integration tests of the config loader: real files on disk, every format, every error.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod errors;
mod formats;
mod robustness;

use std::path::Path;

/// Parses `text` as if it were the file `name` in `/cfg` (fixed, so snapshots are stable).
pub fn parse(
    name: &str,
    text: &str,
) -> Result<mcpwall_policy::Config, mcpwall_policy::ConfigErrors> {
    mcpwall_policy::parse(text, None, &Path::new("/cfg").join(name))
}

/// The errors of a text that must not load, one per line.
pub fn errors(name: &str, text: &str) -> String {
    match parse(name, text) {
        Ok(c) => panic!("expected errors, got {c:#?}"),
        Err(e) => e.to_string(),
    }
}
