//! `mcpwall scan` through the binary: exit codes and output forms CI relies on.

use std::process::Command;

use serde_json::Value;

#[test]
fn scan_flags_sandbox_off_with_place_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let off = dir.path().join("mcpwall.toml");
    std::fs::write(
        &off,
        "[servers.fetch]\ncommand = \"uvx\"\nargs = [\"mcp-server-fetch\"]\nsandbox = \"off\"\n",
    )
    .unwrap();
    let clean = dir.path().join("clean.toml");
    std::fs::write(&clean, "[servers.fetch]\ncommand = \"uvx\"\n").unwrap();

    let out = Command::new(crate::mcpwall_bin())
        .args(["scan"])
        .arg(&off)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(&format!(
            "warning: {}:4:11: servers.fetch.sandbox: sandbox is off",
            off.display()
        )),
        "{text}"
    );

    let out = Command::new(crate::mcpwall_bin())
        .args(["scan", "--format", "json"])
        .arg(&clean)
        .arg(&off)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["findings"], 1);
    assert_eq!(v["files"][0]["findings"].as_array().unwrap().len(), 0);
    assert_eq!(v["files"][1]["findings"][0]["line"], 4);
    assert_eq!(
        v["files"][1]["findings"][0]["field"],
        "servers.fetch.sandbox"
    );

    let out = Command::new(crate::mcpwall_bin())
        .arg("scan")
        .arg(&clean)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));

    let out = Command::new(crate::mcpwall_bin())
        .arg("scan")
        .arg(dir.path().join("missing.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
