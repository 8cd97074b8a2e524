//! `mcpwall detect --jsonl` input handling: arbitrary bytes read as the CLI reads lines, and
//! the same text wrapped in a well-formed line of each family; every output is one JSON line
//! with the id and an error or a verdict with in-bounds spans (see `mcpwall_detect::fuzzing`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| mcpwall_detect::fuzzing::detect_line(data));
