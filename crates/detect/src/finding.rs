//! What every analyzer reports: a family, a stable rule id and a byte span.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

/// The detector families of `mcpwall detect` (see `../shared/DESIGN.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Family {
    /// A tool definition or description that tries to steer the model.
    Poisoning,
    /// Text a tool returned that tries to steer the model.
    OutputInjection,
    /// A credential.
    Secret,
    /// Personal data.
    Pii,
    /// A URL that targets an internal address, or a forbidden scheme.
    Ssrf,
}

/// One finding: which rule matched where. Offsets are byte offsets into the analyzed text
/// (for JSON input, into the string the rule ran on, as [`Finding::path`] says).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Family of the rule.
    pub family: Family,
    /// Stable rule id, e.g. `aws-access-key` or `ignore-previous`.
    pub rule: Cow<'static, str>,
    /// Start byte offset (inclusive).
    pub start: usize,
    /// End byte offset (exclusive).
    pub end: usize,
    /// Where in a JSON document the analyzed string sits (JSON pointer), if not plain text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}
