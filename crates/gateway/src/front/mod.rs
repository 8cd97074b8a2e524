//! Fronts: how clients reach mcpwall.

pub mod http;
pub mod stdio;
