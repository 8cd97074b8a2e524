//! Diagnostics: every problem found in a config file, with the place it was found.

use std::fmt;
use std::path::PathBuf;

/// One problem in a config file, located by file, line, column and field path.
///
/// Displayed as `FILE:LINE:COL: FIELD: MESSAGE`. The message is lowercase, one line, with no
/// trailing period, and quotes user input in backticks.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    /// The file the problem is in (as given by the caller, for messages only).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// Dotted field path, e.g. `servers.fetch.sandbox.network.allow_cidrs[1]`; empty for the
    /// document itself (syntax errors).
    pub field: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: ", self.file.display(), self.line, self.column)?;
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field)?;
        }
        f.write_str(&self.message)
    }
}

/// Every error found in a config file (never just the first). Never empty.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ConfigErrors {
    /// The errors, in the order they appear in the file.
    pub errors: Vec<Diagnostic>,
    /// Warnings found on the way (they do not make the file invalid).
    pub warnings: Vec<Diagnostic>,
}

impl ConfigErrors {
    /// A single error that is not tied to a place in a file (e.g. the file cannot be read).
    pub fn single(file: impl Into<PathBuf>, message: impl Into<String>) -> Self {
        ConfigErrors {
            errors: vec![Diagnostic {
                file: file.into(),
                line: 1,
                column: 1,
                field: String::new(),
                message: message.into(),
            }],
            warnings: Vec::new(),
        }
    }
}

impl fmt::Display for ConfigErrors {
    /// One error per line, in `FILE:LINE:COL: FIELD: MESSAGE` form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.errors.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}
