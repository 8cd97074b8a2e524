//! Each format normalizes into the same `Config`.

use std::path::{Path, PathBuf};

use mcpwall_policy::{Format, HttpProtocol, SandboxMode, Transport};

use crate::parse;

#[test]
fn claude_desktop() {
    let text = r#"{
  "mcpServers": {
    "filesystem": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]
    },
    "github": {
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-github"],
      "env": { "GITHUB_PERSONAL_ACCESS_TOKEN": "ghp_0123456789abcdefghijABCDEFGHIJ012345" }
    }
  },
  "globalShortcut": "Ctrl+Space"
}"#;
    let config = parse("claude_desktop_config.json", text).unwrap();
    assert_eq!(config.source.format, Format::McpServersJson);
    // The hard-coded token loads (it is the host's file) but is named in a warning, never shown.
    assert_eq!(config.warnings.len(), 1);
    let w = config.warnings[0].to_string();
    assert!(
        w.contains("GITHUB_PERSONAL_ACCESS_TOKEN") && !w.contains("ghp_"),
        "{w}"
    );
    assert_eq!(w.lines().count(), 1);
    insta::assert_json_snapshot!(config);
}

#[test]
fn claude_code_and_cursor() {
    let text = r#"{
  "mcpServers": {
    "time": { "type": "stdio", "command": "uvx", "args": ["mcp-server-time"], "env": {} },
    "api": { "type": "http", "url": "https://mcp.example.com/mcp", "headers": { "X-Team": "blue" } },
    "old": { "type": "sse", "url": "http://localhost:9000/sse" },
    "cursor-style": { "url": "https://other.example.com/mcp" }
  }
}"#;
    let config = parse(".mcp.json", text).unwrap();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    let Transport::Http(old) = &config.server("old").unwrap().transport else {
        panic!()
    };
    assert_eq!(old.protocol, HttpProtocol::LegacySse);
    let Transport::Http(c) = &config.server("cursor-style").unwrap().transport else {
        panic!()
    };
    assert_eq!(c.protocol, HttpProtocol::Streamable);
    insta::assert_json_snapshot!(config);
}

#[test]
fn vscode_jsonc() {
    let text = r#"{
  // VS Code writes comments and trailing commas
  "inputs": [
    { "type": "promptString", "id": "token", "description": "Token", "password": true },
  ],
  "servers": {
    "everything": {
      "type": "stdio",
      "command": "npx",
      "args": ["-y", "@modelcontextprotocol/server-everything"],
      "envFile": "${workspaceFolder}/.env",
    },
    "gh": {
      "command": "docker",
      "args": ["run", "-i", "--rm", "ghcr.io/github/github-mcp-server"],
      "env": { "GITHUB_TOKEN": "${input:token}" },
    },
    "remote": { "type": "http", "url": "https://api.example.com/mcp/" },
  },
}"#;
    let config = parse("mcp.json", text).unwrap();
    assert_eq!(config.source.format, Format::VsCodeJson);
    assert_eq!(config.servers.len(), 3);
    let warnings: Vec<String> = config.warnings.iter().map(ToString::to_string).collect();
    insta::assert_json_snapshot!(config);
    insta::assert_snapshot!(warnings.join("\n"));
}

#[test]
fn vscode_settings_file() {
    let text = r#"{ "editor.tabSize": 2, "mcp": { "servers": { "t": { "command": "uvx", "args": ["mcp-server-time"] } } } }"#;
    let config =
        mcpwall_policy::parse(text, Some(Format::VsCodeJson), Path::new("settings.json")).unwrap();
    assert_eq!(config.servers.len(), 1);
}

#[test]
fn mcpwall_toml() {
    let text = std::fs::read_to_string(examples_dir().join("mcpwall.toml")).unwrap();
    let config = parse("mcpwall.toml", &text).unwrap();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    insta::assert_json_snapshot!(config);
}

#[test]
fn defaults_are_strict() {
    let config = parse("m.toml", "[servers.a]\ncommand = \"x\"\n").unwrap();
    let s = config.server("a").unwrap();
    assert_eq!(s.sandbox.mode, SandboxMode::Enforce);
    assert!(s.sandbox.network.is_none());
    assert!(s.sandbox.paths.read_only.is_empty() && s.sandbox.paths.read_write.is_empty());
    assert!(!s.shared);
    assert_eq!(s.timeout, std::time::Duration::from_secs(60));
    assert!(config.gateway.listen.ip().is_loopback());
    // Off must be said; the shorthand works.
    let off = parse(
        "m.toml",
        "[servers.a]\ncommand = \"x\"\nsandbox = \"off\"\n",
    )
    .unwrap();
    assert_eq!(off.server("a").unwrap().sandbox.mode, SandboxMode::Off);
}

#[test]
fn relative_paths_follow_the_config_file() {
    let text = "[servers.a]\ncommand = \"x\"\ncwd = \"work\"\n[servers.a.sandbox]\npaths.read_write = [\"data\", \"/abs\", \"~/notes\"]\nsecrets = { T = \"file:tok\" }\n";
    let config = parse("m.toml", text).unwrap();
    let s = config.server("a").unwrap();
    assert_eq!(
        s.sandbox.paths.read_write,
        [PathBuf::from("/cfg/data"), "/abs".into(), "~/notes".into()]
    );
    let Transport::Stdio(st) = &s.transport else {
        panic!()
    };
    assert_eq!(st.cwd.as_deref(), Some(Path::new("/cfg/work")));
    assert_eq!(s.sandbox.secrets["T"].to_string(), "file:/cfg/tok");
}

/// Every shipped example loads without errors or warnings.
#[test]
fn examples_load() {
    let mut n = 0;
    for entry in std::fs::read_dir(examples_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let config = mcpwall_policy::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert!(
                config.warnings.is_empty(),
                "{}: {:?}",
                path.display(),
                config.warnings
            );
            assert!(!config.servers.is_empty());
            n += 1;
        }
    }
    assert!(n >= 3);
}

#[test]
fn load_reads_files_and_reports_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("claude_desktop_config.json");
    std::fs::write(
        &p,
        "\u{feff}{\"mcpServers\": {\"t\": {\"command\": \"uvx\"}}}",
    )
    .unwrap();
    assert_eq!(mcpwall_policy::load(&p).unwrap().servers.len(), 1);
    let missing = mcpwall_policy::load(&dir.path().join("nope.toml")).unwrap_err();
    assert!(
        missing
            .to_string()
            .ends_with("nope.toml:1:1: cannot read config file: no such file"),
        "{missing}"
    );
    let is_dir = mcpwall_policy::load(dir.path()).unwrap_err();
    assert!(is_dir.to_string().contains("is a directory"));
    let bin = dir.path().join("bin.toml");
    std::fs::write(&bin, [0xff, 0xfe, 0x00]).unwrap();
    assert!(mcpwall_policy::load(&bin)
        .unwrap_err()
        .to_string()
        .contains("not valid UTF-8"));
}

#[test]
fn format_detection() {
    let d = |p: &str, t: &str| Format::detect(Path::new(p), t);
    assert_eq!(d("x.toml", "{"), Format::Toml);
    assert_eq!(d("mcp.json", r#"{"servers": {}}"#), Format::VsCodeJson);
    assert_eq!(
        d("mcp.json", r#"{"mcpServers": {}}"#),
        Format::McpServersJson
    );
    assert_eq!(d("config", "  {\"servers\": {}}"), Format::VsCodeJson);
    assert_eq!(d("config", "[servers.a]"), Format::Toml);
    assert_eq!(
        d("settings.json", "{ // c\n \"mcp\": {} }"),
        Format::VsCodeJson
    );
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// A host file after `mcpwall install` still describes the real servers.
#[test]
fn installed_host_file_reads_through_the_wrapper() {
    let original = r#"{"mcpServers": {"t": {"command": "uvx", "args": ["mcp-server-time"]}, "r": {"url": "https://a.example/mcp"}}}"#;
    let wrapped = mcpwall_policy::install::wrap(
        original,
        mcpwall_policy::install::Host::ClaudeDesktop,
        "/usr/bin/mcpwall",
    )
    .unwrap()
    .text;
    let a = parse("claude_desktop_config.json", original).unwrap();
    let b = parse("claude_desktop_config.json", &wrapped).unwrap();
    assert_eq!(a.servers, b.servers);
    // In mcpwall's own TOML it is a mistake.
    let e = crate::errors(
        "m.toml",
        "[servers.t]\ncommand = \"/usr/bin/mcpwall\"\nargs = [\"wrap\", \"--\", \"uvx\"]\n",
    );
    assert!(e.contains("servers.t.command: runs `mcpwall wrap`"), "{e}");
}

/// Every stdio server whose sandbox is not enforced is a finding, located at the mode.
#[test]
fn sandbox_off_and_best_effort_are_findings_with_place() {
    let text = r#"[servers.plain]
command = "/opt/srv"
sandbox = "off"

[servers.fallback]
command = "/opt/other"
[servers.fallback.sandbox]
paths.read_only = ["/data"]
mode = "best-effort"

[servers.strict]
command = "/opt/strict"
sandbox = "enforce"

[servers.default]
command = "/opt/default"
"#;
    let config = parse("mcpwall.toml", text).unwrap();
    assert!(config.warnings.is_empty(), "{:?}", config.warnings);
    let findings: Vec<String> = config.findings.iter().map(ToString::to_string).collect();
    assert_eq!(findings.len(), 2, "{findings:?}");
    assert!(
        findings[0].starts_with("/cfg/mcpwall.toml:3:11: servers.plain.sandbox: sandbox is off"),
        "{findings:?}"
    );
    assert!(
        findings[1].starts_with(
            "/cfg/mcpwall.toml:9:8: servers.fallback.sandbox.mode: sandbox is best-effort"
        ),
        "{findings:?}"
    );
    // Off must be written: a server without a sandbox entry is enforced, and so are the
    // servers of a host's file (which cannot say anything else).
    assert_eq!(
        config.server("default").unwrap().sandbox.mode,
        SandboxMode::Enforce
    );
    let host = parse(
        "mcp.json",
        r#"{"mcpServers": {"a": {"command": "x", "sandbox": "off"}}}"#,
    )
    .unwrap();
    assert_eq!(host.server("a").unwrap().sandbox.mode, SandboxMode::Enforce);
    assert!(host.findings.is_empty());
}

/// A remote server's `network` section allowlists internal targets for the URL guard.
#[test]
fn remote_network_allowlist() {
    let text = r#"[servers.local]
url = "http://127.0.0.1:9000/mcp"
[servers.local.network]
allow_cidrs = ["127.0.0.0/8", "::1"]
allow_domains = ["mcp.corp.example"]

[servers.public]
url = "https://mcp.example.com/mcp"
"#;
    let config = parse("mcpwall.toml", text).unwrap();
    let Transport::Http(h) = &config.server("local").unwrap().transport else {
        panic!()
    };
    let cidrs: Vec<String> = h
        .network
        .allow_cidrs
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(cidrs, ["127.0.0.0/8", "::1/128"]);
    assert_eq!(h.network.allow_domains[0].to_string(), "mcp.corp.example");
    let Transport::Http(p) = &config.server("public").unwrap().transport else {
        panic!()
    };
    assert!(p.network.is_none());

    let err = crate::errors(
        "mcpwall.toml",
        r#"[servers.a]
command = "srv"
[servers.a.network]
allow_cidrs = ["10.0.0.0/8"]

[servers.b]
url = "http://10.0.0.1/mcp"
network = { allow_cidrs = ["0.0.0.0/0"], allow_domain = ["x.example"] }
"#,
    );
    assert!(
        err.contains("servers.a.network: `network` applies to `url` servers only"),
        "{err}"
    );
    assert!(err.contains("`0.0.0.0/0` allows every address"), "{err}");
    assert!(err.contains("did you mean `allow_domains`"), "{err}");
}
