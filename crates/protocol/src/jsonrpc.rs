//! JSON-RPC 2.0 envelope: classification of raw messages without re-serializing them.
