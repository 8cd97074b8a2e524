//! Arbitrary input never panics the loader: it yields a config or errors.

use std::path::Path;

use mcpwall_policy::Format;
use proptest::prelude::*;

fn check_all_formats(text: &str) {
    for format in [
        None,
        Some(Format::Toml),
        Some(Format::McpServersJson),
        Some(Format::VsCodeJson),
    ] {
        match mcpwall_policy::parse(text, format, Path::new("fuzz.cfg")) {
            Ok(_) => {}
            Err(e) => {
                assert!(!e.errors.is_empty());
                for d in &e.errors {
                    assert!(d.line >= 1 && d.column >= 1);
                }
            }
        }
    }
    let _ =
        mcpwall_policy::install::wrap(text, mcpwall_policy::install::Host::VsCode, "/bin/mcpwall");
    let _ = mcpwall_policy::install::unwrap(text, mcpwall_policy::install::Host::ClaudeCode);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,200}") {
        check_all_formats(&text);
    }

    #[test]
    fn config_shaped_text_never_panics(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("[servers.a]\n"), Just("[servers.a.sandbox]\n"), Just("command = \"x\"\n"),
                Just("url = \"http://[::1\"\n"), Just("{\"mcpServers\": {"), Just("\"a\": {\"command\": "),
                Just("}"), Just("]"), Just("["), Just("\"é\""), Just(","), Just("// c\n"), Just("= 1\n"),
                Just("allow_cidrs = [\"::/0\"]\n"), Just("\u{0}"), Just("\"servers\": {"), Just("args = [1]\n"),
                Just("\"command\": \"mcpwall\", \"args\": [\"wrap\""), Just("\"--\""), Just("\"x\"}"),
            ],
            0..24,
        )
    ) {
        check_all_formats(&parts.concat());
    }
}

#[test]
fn deep_nesting_does_not_overflow() {
    let json = format!("{}{}", "[".repeat(2000), "]".repeat(2000));
    check_all_formats(&json);
    let toml = format!("a = {}{}", "[".repeat(2000), "]".repeat(2000));
    check_all_formats(&toml);
    // Far deeper than any stack allows for a recursive parser: refused up front.
    let huge = "[".repeat(1_000_000);
    check_all_formats(&huge);
    let e = mcpwall_policy::parse(&huge, Some(Format::McpServersJson), Path::new("x.json"))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "x.json:1:65: nesting is deeper than 64 levels"
    );
    let in_string = format!("{{\"mcpServers\": {{}}, \"x\": \"{}\"}}", "[".repeat(1000));
    assert!(mcpwall_policy::parse(&in_string, None, Path::new("x.json")).is_ok());
}
