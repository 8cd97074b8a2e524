//! Errors of the audit trail.

use std::path::PathBuf;

/// Everything that can go wrong reading or writing the trail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The database could not be opened or initialized.
    #[error("cannot open audit trail `{path}`: {source}")]
    Open {
        /// The database path.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// A file-system operation failed.
    #[error("cannot prepare audit trail `{path}`: {source}")]
    Io {
        /// The path involved.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A database operation failed.
    #[error("audit database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// An event could not be encoded.
    #[error("cannot encode audit event: {0}")]
    Encode(#[from] serde_json::Error),
    /// A stored record could not be read back.
    #[error("audit record {seq} is malformed: {reason}")]
    Malformed {
        /// Its sequence number.
        seq: u64,
        /// What is wrong.
        reason: String,
    },
    /// The database was written by an incompatible version.
    #[error(
        "audit trail `{path}` has schema version {found}, this mcpwall reads version {expected}"
    )]
    Schema {
        /// The database path.
        path: PathBuf,
        /// Version found.
        found: i64,
        /// Version this build understands.
        expected: i64,
    },
    /// No per-user data directory could be found.
    #[error("no per-user data directory: set `MCPWALL_AUDIT`, `XDG_DATA_HOME` or `HOME`")]
    NoDataDir,
    /// The appender's queue is full (only from `try_append`).
    #[error("audit queue is full")]
    QueueFull,
    /// The appender's writer thread has stopped.
    #[error("audit writer has stopped")]
    Closed,
    /// A batch could not be committed by the appender; its events are not in the trail.
    #[error("audit append failed: {0}")]
    Append(String),
}
