//! Bad files: every error is reported, with file, line, column and field.

use crate::errors;

#[test]
fn every_error_in_one_run() {
    let text = r#"[gateway]
listen = "0.0.0.0:80"
timeout = "soon"

[servers.fetch]
comand = "uvx"
args = ["mcp-server-fetch", 3]

[servers.fetch.sandbox]
mode = "strict"

[servers.fetch.sandbox.network]
allow_domains = ["*.com", "ok.example.org", "10.0.0.1"]
allow_cidrs = ["10.0.0.0/8", "10.1.2.3/8", "banana"]

[servers.fetch.sandbox.secrets]
API_KEY = "sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345"
OTHER = "env:OTHER"

[servers.fetch.sandbox.limits]
processes = 0
memmory_mb = 10

[servers."bad name"]
url = "ftp://x"
"#;
    insta::assert_snapshot!(errors("mcpwall.toml", text));
}

#[test]
fn secrets_never_echoed() {
    let text = "[servers.a]\ncommand = \"x\"\nenv = { GITHUB_TOKEN = \"ghp_0123456789abcdefghijABCDEFGHIJ012345\" }\n[servers.a.sandbox.secrets]\nB = \"hunter2-literal-password-123\"\n";
    let e = errors("m.toml", text);
    assert!(!e.contains("ghp_") && !e.contains("hunter2"), "{e}");
    insta::assert_snapshot!(e);
}

#[test]
fn transports() {
    let text = r#"
[servers.both]
command = "x"
url = "https://a.example"

[servers.neither]
args = []

[servers.mismatch]
type = "http"
command = "x"

[servers.shared-http]
url = "https://a.example/mcp"
shared = true

[servers.unknown]
transport = "websocket"
url = "wss://a.example"
"#;
    insta::assert_snapshot!(errors("m.toml", text));
}

#[test]
fn syntax_errors_have_positions() {
    insta::assert_snapshot!(
        "toml_syntax",
        errors("m.toml", "[servers.a]\ncommand = \"x\nargs = []\n")
    );
    insta::assert_snapshot!(
        "json_syntax",
        errors(
            "mcp.json",
            "{\n  \"mcpServers\": {\n    \"a\": { \"command\": \"x\" \n  }\n"
        )
    );
}

#[test]
fn host_json_errors() {
    let text = r#"{
  "mcpServers": {
    "ok": { "command": "x" },
    "my server": { "command": "y" },
    "num": { "command": 3 },
    "dup": { "command": "a" },
    "dup": { "command": "b" },
    "nothing": { "disabled": true }
  }
}"#;
    insta::assert_snapshot!(errors("claude_desktop_config.json", text));
}

#[test]
fn unknown_fields_suggest_the_right_one() {
    let e = errors("m.toml", "[gatway]\n[servers.a]\ncommand = \"x\"\n[servers.a.sandbox.network]\nallow_domain = [\"a.example\"]\n");
    assert!(
        e.contains("m.toml:1:2: gatway: unknown field `gatway`, did you mean `gateway`"),
        "{e}"
    );
    assert!(e.contains("m.toml:5:1: servers.a.sandbox.network.allow_domain: unknown field `allow_domain`, did you mean `allow_domains`"), "{e}");
}

#[test]
fn field_paths_index_arrays() {
    let e = errors("m.toml", "[servers.fetch]\ncommand = \"x\"\n[servers.fetch.sandbox.network]\nallow_cidrs = [\"10.0.0.0/8\", \"nope\"]\n");
    assert_eq!(
        e,
        "/cfg/m.toml:4:30: servers.fetch.sandbox.network.allow_cidrs[1]: `nope` is not an address range such as `10.0.0.0/8`"
    );
}

#[test]
fn messages_follow_the_style() {
    let text = "[gateway]\nlisten = 3\nenvironment = \"qa\"\n[servers.a]\ncommand = \"\"\ntimeout = -1\nrestart = { policy = \"always\" }\n";
    let e = errors("m.toml", text);
    for line in e.lines() {
        let msg = line.rsplit(": ").next().unwrap();
        assert!(!msg.ends_with('.'), "{line}");
        assert!(!msg.starts_with(|c: char| c.is_uppercase()), "{line}");
    }
    insta::assert_snapshot!(e);
}
