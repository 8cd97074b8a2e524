//! `mcpwall wrap --pass-env NAME`: a listed variable of mcpwall's own environment reaches the
//! server; an unlisted one does not (the server otherwise starts with an empty environment).

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::mcpwall_bin;

/// A minimal server: answers every request with its own environment as the result.
const ENV_SERVER: &str = r#"
import json, os, sys
for line in sys.stdin:
    msg = json.loads(line)
    if "id" in msg and "method" in msg:
        out = {"jsonrpc": "2.0", "id": msg["id"], "result": {"env": dict(os.environ)}}
        sys.stdout.write(json.dumps(out) + "\n")
        sys.stdout.flush()
"#;

/// Runs the env server behind `mcpwall wrap --no-audit` (with `wrap_args` before `--`) and
/// returns the environment it saw.
fn server_env(wrap_args: &[&str]) -> serde_json::Map<String, Value> {
    let dir = tempfile::tempdir().unwrap();
    server_env_in(dir.path(), wrap_args)
}

fn server_env_in(dir: &std::path::Path, wrap_args: &[&str]) -> serde_json::Map<String, Value> {
    let mut child = Command::new(mcpwall_bin())
        .arg("wrap")
        .arg("--no-audit")
        .args(wrap_args)
        .args(["--", "python3", "-c", ENV_SERVER])
        .env("MCPWALL_STATE_DIR", dir.join("state"))
        .env("MCPWALL_TEST_PASSED", "passed-value")
        .env("MCPWALL_TEST_UNLISTED", "unlisted-value")
        // set, as a user's shell profile may set it: `--no-audit` must still win
        .env("MCPWALL_AUDIT", dir.join("audit.db"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "it", "version": "1"}}});
    writeln!(stdin, "{init}").unwrap();
    stdin.flush().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = lines.next().expect("an answer").unwrap();
    drop(stdin);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status}");
    let v: Value = serde_json::from_str(&line).unwrap();
    v["result"]["env"]
        .as_object()
        .unwrap_or_else(|| panic!("no env in {v}"))
        .clone()
}

#[test]
fn passed_variable_reaches_the_server_and_unlisted_does_not() {
    let env = server_env(&[
        "--pass-env",
        "MCPWALL_TEST_PASSED",
        "--pass-env",
        "MCPWALL_TEST_NOT_SET_ANYWHERE",
    ]);
    assert_eq!(env["MCPWALL_TEST_PASSED"], "passed-value");
    assert!(!env.contains_key("MCPWALL_TEST_UNLISTED"));
    assert!(!env.contains_key("MCPWALL_TEST_NOT_SET_ANYWHERE"));
    // Without the flag, nothing of mcpwall's environment gets through.
    let env = server_env(&[]);
    assert!(!env.contains_key("MCPWALL_TEST_PASSED"));
    assert!(!env.contains_key("MCPWALL_TEST_UNLISTED"));
}

/// `--no-audit` wins over `MCPWALL_AUDIT` in the environment (it used to be refused as a
/// conflict with `--audit`), and no database is created.
#[test]
fn no_audit_wins_over_the_audit_variable() {
    let dir = tempfile::tempdir().unwrap();
    let env = server_env_in(dir.path(), &[]);
    assert!(
        !env.contains_key("MCPWALL_AUDIT"),
        "the server's environment is empty"
    );
    assert!(!dir.path().join("audit.db").exists(), "no audit database");
}
