//! Stopping the gateway with a signal ends each session on the record: `wrap` and `serve`
//! write a `session_end` ("gateway stopped (signal)") before they exit.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Stdio};

use mcpwall_audit::{EventKind, Filter, Store};
use serde_json::json;

use super::{mcpwall_bin, mock_server, Gateway, Opts, WAIT};

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid} failed");
}

fn session_ends(db: &Path) -> Vec<String> {
    Store::open_existing(db)
        .unwrap()
        .query(&Filter {
            kind: Some(EventKind::SessionEnd),
            ..Filter::default()
        })
        .unwrap()
        .into_iter()
        .map(|r| serde_json::to_string(&r.event).unwrap())
        .collect()
}

#[test]
fn wrap_records_session_end_on_sigterm() {
    let mut g = Gateway::start(Opts::default());
    g.initialize();
    assert!(g.call(2, "echo", json!({"m": "x"})).get("result").is_some());
    signal(g.child.id(), "TERM");
    let status = g.wait_exit();
    assert!(
        !status.success(),
        "a stopped wrap reports failure: {status:?}"
    );
    let ends = session_ends(&g.audit_db());
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert!(ends[0].contains("gateway stopped (signal)"), "{}", ends[0]);
}

/// One HTTP/1.1 request; the status line and body of the answer.
fn post(port: u16, body: &str) -> (String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    write!(
        s,
        "POST /mcp/mock HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/json\r\n\
         accept: application/json, text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap_or((&out, ""));
    (
        head.lines().next().unwrap_or("").to_owned(),
        body.to_owned(),
    )
}

#[test]
fn serve_records_session_end_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("mcpwall.toml");
    std::fs::write(
        &config,
        format!(
            "[servers.mock]\ncommand = \"python3\"\nargs = [\"{}\"]\nsandbox = \"off\"\n",
            mock_server().display()
        ),
    )
    .unwrap();
    let db = dir.path().join("audit.db");
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut serve = Command::new(mcpwall_bin())
        .args(["serve", "--config"])
        .arg(&config)
        .args(["--listen", &format!("127.0.0.1:{port}"), "--audit"])
        .arg(&db)
        .env("MCPWALL_STATE_DIR", dir.path().join("state"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + WAIT;
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(std::time::Instant::now() < deadline, "serve did not listen");
        assert!(serve.try_wait().unwrap().is_none(), "serve exited early");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let init = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}"#;
    let (status, body) = post(port, init);
    assert!(status.contains("200"), "{status} {body}");
    assert!(body.contains("\"result\""), "{body}");
    signal(serve.id(), "TERM");
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        if serve.try_wait().unwrap().is_some() {
            break;
        }
        if std::time::Instant::now() > deadline {
            let _ = serve.kill();
            panic!("serve did not exit after SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let ends = session_ends(&db);
    assert_eq!(ends.len(), 1, "{ends:?}");
    assert!(ends[0].contains("gateway stopped (signal)"), "{}", ends[0]);
}
