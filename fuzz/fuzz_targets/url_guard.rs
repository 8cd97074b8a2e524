//! URL guard: arbitrary input never panics, the check is deterministic, a passing URL has an
//! allowed scheme and host, and resolver mode returns only allowed input addresses.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mcpwall_detect::fuzzing::url_guard(data));
