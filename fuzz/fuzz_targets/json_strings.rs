//! The streaming JSON string rewriter the audit trail redacts payloads with: it accepts what
//! serde_json accepts, gives the same value, and redacted output stays one JSON document.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mcpwall_detect::fuzzing::json_strings(data));
