//! Config loader: any text, read as each format, yields a config or located errors, never a
//! panic; and the host-file rewriting of `mcpwall install` is total and idempotent.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use mcpwall_policy::install::{self, Host};
use mcpwall_policy::Format;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for format in [None, Some(Format::Toml), Some(Format::McpServersJson), Some(Format::VsCodeJson)] {
        if let Err(e) = mcpwall_policy::parse(text, format, Path::new("fuzz.cfg")) {
            assert!(!e.errors.is_empty());
            assert!(e.errors.iter().all(|d| d.line >= 1 && d.column >= 1));
        }
    }
    for host in Host::ALL {
        if let Ok(once) = install::wrap(text, host, "/usr/bin/mcpwall") {
            let twice = install::wrap(&once.text, host, "/usr/bin/mcpwall").map(|r| r.text);
            assert_eq!(twice.as_deref(), Ok(once.text.as_str()));
        }
        let _ = install::unwrap(text, host);
    }
});
