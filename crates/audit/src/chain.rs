//! The hash chain: how a record commits to the one before it.
//!
//! `hash = SHA-256(prev_hash || seq || event)`, where `prev_hash` is the previous record's hash
//! as 32 raw bytes (all zero for the first record of a trail), `seq` is the record's sequence
//! number as 8 bytes big-endian, and `event` is the canonical JSON of the event (see
//! [`crate::canonical`]), which is also exactly what the store keeps. Hashes are written as
//! 64 lowercase hex digits.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::event::Event;

/// The `prev_hash` of the first record: 32 zero bytes, in hex.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One stored record: an event with its place in the chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Sequence number: 1, 2, 3, ... with no gaps (gaps mean removal).
    pub seq: u64,
    /// Hash of the previous record (hex), or [`GENESIS_HASH`].
    pub prev_hash: String,
    /// This record's hash (hex).
    pub hash: String,
    /// What happened.
    pub event: Event,
}

/// The canonical JSON text of `event`, the bytes the chain hashes (written directly, see
/// [`crate::canonical::write_event`]). Never fails; the `Result` is kept for callers written
/// against the earlier `Value`-based form.
pub fn canonical_event(event: &Event) -> Result<String, serde_json::Error> {
    let mut buf = Vec::with_capacity(512);
    crate::canonical::write_event(event, &mut buf);
    // Only whole UTF-8 strings and ASCII were appended.
    Ok(String::from_utf8(buf)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
}

/// The hash of a record with `seq` and canonical event text `event_json`, following a record
/// whose hash is `prev_hash` (hex). A malformed `prev_hash` is hashed as its text bytes, so it
/// can never collide with a well-formed one and verification still fails cleanly.
pub fn record_hash(prev_hash: &str, seq: u64, event_json: &str) -> String {
    let mut h = Sha256::new();
    match hex::decode(prev_hash) {
        Ok(raw) if raw.len() == 32 => h.update(&raw),
        _ => {
            h.update(b"malformed:");
            h.update(prev_hash.as_bytes());
        }
    }
    h.update(seq.to_be_bytes());
    h.update(event_json.as_bytes());
    crate::event::hex32(&h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_the_documented_recipe() {
        // sha256(32 zero bytes || 00..01 || "{}") computed independently:
        // python3 -c 'import hashlib;print(hashlib.sha256(bytes(32)+(1).to_bytes(8,"big")+b"{}").hexdigest())'
        assert_eq!(
            record_hash(GENESIS_HASH, 1, "{}"),
            "1bad765d926feacace97a8ddcd329a1f4254c208affc1ba86b3c7d59e8fba83e"
        );
    }
}
