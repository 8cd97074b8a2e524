//! Redaction and the secret/PII scanners: spans in bounds and on char boundaries, redaction
//! idempotent, text without findings unchanged, JSON strings redacted the same way.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mcpwall_detect::fuzzing::redact(data));
