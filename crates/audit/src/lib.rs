//! mcpwall audit trail: event schema, hash chain, SQLite store, verify/export.
//!
//! - [`Event`]: what happened (built with chained setters; only `kind` and `time` required).
//! - [`Record`]: an event with `seq`, `prev_hash` and `hash`; each record commits to the
//!   previous one (see [`chain`] and `docs/audit.md` for the exact recipe).
//! - [`Store`]: SQLite in WAL mode; [`Store::append`] returns after the commit. Several
//!   processes may append to one file and keep one chain.
//! - [`Appender`]: a writer thread that batches appends (one transaction per batch) for the
//!   gateway's hot path; tickets tell when an event is acknowledged.
//! - [`Store::verify`], [`Store::prune`], [`Store::query`], [`Store::tail`].
#![forbid(unsafe_code)]

mod appender;
pub mod canonical;
pub mod chain;
mod error;
mod event;
mod spool;
mod store;
pub mod time_fmt;
mod verify;

use std::path::PathBuf;

pub use appender::{Acked, Appender, AppenderOptions, DeferredEvent, Ticket};
pub use chain::{canonical_event, record_hash, Record, GENESIS_HASH};
pub use error::AuditError;
pub use event::{
    cap_text, hex32, sha256_hex, Caps, Decision, Event, EventKind, InvalidDecision, InvalidKind,
    ResultSummary, DEFAULT_CAP, TRUNCATION_MARKER,
};
pub use spool::{recover as recover_spools, spool_dir, Recovered};
pub use store::{
    Checkpoint, Filter, Head, Store, StoreOptions, Synchronous, WalCheckpoint, SCHEMA_VERSION,
};
pub use verify::{Problem, ProblemKind, Verification};

/// Environment variable naming the audit database (same as `--audit PATH`).
pub const ENV_AUDIT: &str = "MCPWALL_AUDIT";

/// The audit database path: `$MCPWALL_AUDIT` if set and non-empty, else
/// `$XDG_DATA_HOME/mcpwall/audit.db` (when `XDG_DATA_HOME` is an absolute path), else
/// `$HOME/.local/share/mcpwall/audit.db`.
pub fn default_path() -> Result<PathBuf, AuditError> {
    resolve_path(|k| std::env::var_os(k))
}

fn resolve_path(get: impl Fn(&str) -> Option<std::ffi::OsString>) -> Result<PathBuf, AuditError> {
    let nonempty = |k: &str| get(k).filter(|v| !v.is_empty()).map(PathBuf::from);
    if let Some(p) = nonempty(ENV_AUDIT) {
        return Ok(p);
    }
    // The XDG spec says relative values are invalid and must be ignored.
    if let Some(x) = nonempty("XDG_DATA_HOME").filter(|p| p.is_absolute()) {
        return Ok(x.join("mcpwall").join("audit.db"));
    }
    if let Some(h) = nonempty("HOME") {
        return Ok(h
            .join(".local")
            .join("share")
            .join("mcpwall")
            .join("audit.db"));
    }
    Err(AuditError::NoDataDir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::ffi::OsString;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let m: HashMap<String, OsString> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), OsString::from(v)))
            .collect();
        move |k| m.get(k).cloned()
    }

    #[test]
    fn default_path_order() {
        let p = resolve_path(env(&[
            ("MCPWALL_AUDIT", "/x/a.db"),
            ("XDG_DATA_HOME", "/d"),
            ("HOME", "/h"),
        ]));
        assert_eq!(p.unwrap(), PathBuf::from("/x/a.db"));
        let p = resolve_path(env(&[
            ("MCPWALL_AUDIT", ""),
            ("XDG_DATA_HOME", "/d"),
            ("HOME", "/h"),
        ]));
        assert_eq!(p.unwrap(), PathBuf::from("/d/mcpwall/audit.db"));
        let p = resolve_path(env(&[("XDG_DATA_HOME", "rel"), ("HOME", "/h")]));
        assert_eq!(
            p.unwrap(),
            PathBuf::from("/h/.local/share/mcpwall/audit.db")
        );
        assert!(matches!(resolve_path(env(&[])), Err(AuditError::NoDataDir)));
    }
}
